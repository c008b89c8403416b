/* SPDX-License-Identifier: Apache-2.0 */
/* quire: SMTP via libcurl. */
#include "core/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/workq.h"

#define SMTP_TIMEOUT_S 30L
#define MSGID_BYTES 16 /* a Message-ID's random part: 128 bits as 32 lowercase hex */

/* Writes a random Message-ID local part (2 * MSGID_BYTES hex characters + NUL). From the
 * kernel's generator directly: core stands below crypto, and an id needs no more. */
static void message_id(char out[2 * MSGID_BYTES + 1]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char b[MSGID_BYTES];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n < 0 && errno != EINTR)
            abort(); /* as qr_random_bytes does when the generator fails */
    }
    for (size_t i = 0; i < sizeof(b); i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * MSGID_BYTES] = '\0';
}

int qr_mail_enabled(const qr_config_t *cfg) {
    return cfg->smtp_url && *cfg->smtp_url;
}

static int has_crlf(const char *s) {
    return s && strpbrk(s, "\r\n") != NULL;
}

/* The From header's display name (caller frees): quoted as is when it is printable ASCII
 * without quote or backslash, else RFC 2047 encoded words ("Müller" -> =?UTF-8?B?...?=),
 * each at most 75 characters and never splitting a UTF-8 character. */
static char *display_name(const char *name) {
    size_t n = strlen(name);
    int plain = 1;
    for (size_t i = 0; i < n && plain; i++)
        plain = name[i] >= 0x20 && name[i] < 0x7f && name[i] != '"' && name[i] != '\\';
    if (plain)
        return qr_xasprintf("\"%s\"", name);
    qr_buf_t b;
    qr_buf_init(&b, 8 * n + 64);
    for (size_t i = 0; i < n;) {
        size_t len = n - i < 45 ? n - i : 45;
        while (i + len < n && ((unsigned char)name[i + len] & 0xC0) == 0x80)
            len--; /* do not cut a multi-byte character */
        unsigned char enc[64];
        int k = EVP_EncodeBlock(enc, (const unsigned char *)name + i, (int)len);
        qr_buf_puts(&b, i ? " =?UTF-8?B?" : "=?UTF-8?B?");
        qr_buf_append(&b, enc, (size_t)k);
        qr_buf_puts(&b, "?=");
        i += len;
    }
    return qr_buf_take(&b);
}

struct payload {
    const char *data;
    size_t len, pos;
};

qr_status_t qr_mail_send(const qr_config_t *cfg, const char *from_name, const char *to,
                         const char *subject, const char *text, const char *html, qr_err_t *err) {
    if (!qr_mail_enabled(cfg))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "email is not configured on this server (smtp_url)");
    if (has_crlf(to) || has_crlf(from_name) || has_crlf(subject) || !strchr(to, '@') ||
        strpbrk(to, " <>,\"") || strpbrk(cfg->smtp_from, "\r\n<>"))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "refusing to send: malformed address or subject");
    CURL *curl = curl_easy_init();
    if (!curl)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "libcurl failed to start");
    struct curl_slist *rcpt = NULL, *headers = NULL;
    char *rcpt_addr = qr_xasprintf("<%s>", to);
    char *from_addr = qr_xasprintf("<%s>", cfg->smtp_from);
    rcpt = curl_slist_append(rcpt, rcpt_addr);
    char date[64], msgid[2 * MSGID_BYTES + 1];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
    message_id(msgid);
    char *shown = from_name && *from_name ? display_name(from_name) : NULL;
    char *h_from = shown ? qr_xasprintf("From: %s <%s>", shown, cfg->smtp_from)
                         : qr_xasprintf("From: <%s>", cfg->smtp_from);
    free(shown);
    char *h_to = qr_xasprintf("To: <%s>", to);
    char *h_subject = qr_xasprintf("Subject: %s", subject);
    char *h_id = qr_xasprintf("Message-ID: <%s@quire>", msgid);
    headers = curl_slist_append(headers, date);
    headers = curl_slist_append(headers, h_from);
    headers = curl_slist_append(headers, h_to);
    headers = curl_slist_append(headers, h_subject);
    headers = curl_slist_append(headers, h_id);

    curl_mime *mime = curl_mime_init(curl), *alt = curl_mime_init(curl);
    curl_mimepart *part = curl_mime_addpart(alt);
    curl_mime_data(part, text, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/plain; charset=utf-8");
    part = curl_mime_addpart(alt);
    curl_mime_data(part, html, CURL_ZERO_TERMINATED);
    curl_mime_type(part, "text/html; charset=utf-8");
    part = curl_mime_addpart(mime);
    curl_mime_subparts(part, alt);
    curl_mime_type(part, "multipart/alternative");

    curl_easy_setopt(curl, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (*cfg->smtp_ca_file)
        curl_easy_setopt(curl, CURLOPT_CAINFO, cfg->smtp_ca_file);
    if (*cfg->smtp_user) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, cfg->smtp_password);
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from_addr);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, SMTP_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(curl);
    qr_status_t st = QR_OK;
    if (rc != CURLE_OK) {
        qr_log_error("mail_failed", "sending to a recipient failed: %s", curl_easy_strerror(rc));
        st = qr_err_set(err, QR_E_IO, NULL, "the email could not be sent (see the log)");
    }
    curl_mime_free(mime);
    curl_slist_free_all(rcpt);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(rcpt_addr);
    free(from_addr);
    free(h_from);
    free(h_to);
    free(h_subject);
    free(h_id);
    return st;
}

struct qr_mailer {
    const qr_config_t *cfg;
    qr_workq_t *q;
};

struct message {
    const qr_config_t *cfg;
    char *from_name, *to, *subject, *text, *html;
};

static void message_free(struct message *m) {
    free(m->from_name);
    free(m->to);
    free(m->subject);
    free(m->text);
    free(m->html);
    free(m);
}

static void send_queued(void *arg) {
    struct message *m = arg;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_mail_send(m->cfg, m->from_name, m->to, m->subject, m->text, m->html, &err))
        qr_log_error("mail_not_sent", "%s", err.msg);
    message_free(m);
}

qr_mailer_t *qr_mailer_create(const qr_config_t *cfg) {
    qr_mailer_t *m = qr_xcalloc(1, sizeof(*m));
    m->cfg = cfg;
    m->q = qr_workq_create(1, QR_MAILER_QUEUE);
    return m;
}

qr_status_t qr_mailer_post(qr_mailer_t *mailer, const char *from_name, const char *to,
                           const char *subject, const char *text, const char *html) {
    struct message *m = qr_xcalloc(1, sizeof(*m));
    *m = (struct message){mailer->cfg,      qr_xstrdup(from_name ? from_name : ""),
                          qr_xstrdup(to),   qr_xstrdup(subject),
                          qr_xstrdup(text), qr_xstrdup(html)};
    qr_status_t st = qr_workq_submit(mailer->q, send_queued, m);
    if (st) {
        qr_log_error("mail_queue_full", "%d messages waiting; one dropped", QR_MAILER_QUEUE);
        message_free(m);
    }
    return st;
}

void qr_mailer_destroy(qr_mailer_t *m) {
    if (!m)
        return;
    qr_workq_destroy(m->q);
    free(m);
}
