/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the client side of quire's HTTPS JSON API over libcurl (see remote.h). */
#include "client/remote.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/mem.h"

#define CONNECT_TIMEOUT_S 15L
#define STALL_TIMEOUT_S 60L /* a transfer that moves no byte for this long fails */

struct qr_remote {
    CURL *curl; /* one handle, so that its connection is kept alive between calls */
    char *base;
    char *ca_file;
    char errbuf[CURL_ERROR_SIZE];
};

/* Where a reply body goes: into buf, or (a 200 download) into fd. */
struct sink {
    CURL *curl;
    qr_buf_t buf;
    int fd;            /* -1: no download */
    long long written; /* bytes written to fd */
    int too_large;     /* the ceiling was hit */
    int write_errno;   /* writing to fd failed */
};

/* Where an uploaded body comes from: size bytes of fd, read as libcurl asks for them. */
struct source {
    int fd;
    long long size; /* -1: not known (not a regular file), sent chunked */
    long long sent; /* bytes handed to libcurl */
    int read_errno; /* reading fd failed */
    int short_read; /* fd ended before size bytes */
};

qr_status_t qr_remote_create(const char *base_url, const char *ca_file, qr_remote_t **out,
                             qr_err_t *err) {
    *out = NULL;
    if (strncmp(base_url, "https://", 8) != 0 || !base_url[8])
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "the server URL must begin with https:// (got '%s')", base_url);
    qr_remote_t *rm = qr_xcalloc(1, sizeof(*rm));
    rm->curl = curl_easy_init();
    if (!rm->curl) {
        free(rm);
        return qr_err_set(err, QR_E_INTERNAL, NULL, "libcurl could not be initialized");
    }
    size_t n = strlen(base_url);
    while (n > 8 && base_url[n - 1] == '/')
        n--;
    rm->base = qr_xstrndup(base_url, n);
    rm->ca_file = qr_xstrdup(ca_file);
    *out = rm;
    return QR_OK;
}

void qr_remote_destroy(qr_remote_t *rm) {
    if (!rm)
        return;
    curl_easy_cleanup(rm->curl);
    free(rm->base);
    free(rm->ca_file);
    free(rm);
}

void qr_reply_free(qr_reply_t *reply) {
    if (!reply)
        return;
    json_decref(reply->json);
    reply->json = NULL;
}

const char *qr_reply_message(const qr_reply_t *reply, char *buf, size_t len) {
    static const char *const keys[] = {"message", "error_description", "error"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *s = json_string_value(json_object_get(reply->json, keys[i]));
        if (s && *s)
            return s;
    }
    snprintf(buf, len, "HTTP %ld", reply->status);
    return buf;
}

const char *qr_reply_code(const qr_reply_t *reply) {
    const char *s = json_string_value(json_object_get(reply->json, "error"));
    return s ? s : "";
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud) {
    struct sink *s = ud;
    size_t n = size * nmemb;
    long code = 0;
    if (s->fd >= 0 && curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
        code == 200) {
        if ((long long)n > QR_REMOTE_MAX_DOCUMENT - s->written) {
            s->too_large = 1;
            return 0;
        }
        if (write_all(s->fd, p, n)) {
            s->write_errno = errno ? errno : EIO;
            return 0;
        }
        s->written += (long long)n;
        return n;
    }
    if (qr_buf_append(&s->buf, p, n)) {
        s->too_large = 1;
        return 0;
    }
    return n;
}

/* libcurl's read callback: the next piece of the uploaded file, never past its size. */
static size_t on_read(char *p, size_t size, size_t nmemb, void *ud) {
    struct source *src = ud;
    size_t want = size * nmemb;
    if (src->size >= 0 && (long long)want > src->size - src->sent)
        want = (size_t)(src->size - src->sent);
    if (want == 0)
        return 0;
    ssize_t n;
    do
        n = read(src->fd, p, want);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        src->read_errno = errno ? errno : EIO;
        return CURL_READFUNC_ABORT;
    }
    if (n == 0 && src->size >= 0) {
        src->short_read = 1; /* the file shrank while it was sent */
        return CURL_READFUNC_ABORT;
    }
    src->sent += n;
    return (size_t)n;
}

/* One request: method and path, the headers (perform frees them), the body: src (a file, may
 * be NULL) or else body (may be NULL), and where a 200 answer's body goes (fd >= 0: written
 * there, the download; -1: into the reply). */
struct request {
    const char *method, *path;
    struct curl_slist *hdrs;
    const char *body;
    size_t blen;
    struct source *src;
    int fd;
};

/* The handle's options for one request: verified TLS only, timeouts, headers, callbacks. */
static void set_transfer(qr_remote_t *rm, const char *url, const struct request *rq,
                         struct sink *s) {
    CURL *c = rm->curl;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (rm->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, rm->ca_file);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, STALL_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "quire-device/1");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rm->errbuf);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, rq->hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
}

/* The handle's options for the request's method and body. */
static void set_body(CURL *c, const struct request *rq) {
    if (rq->src) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, rq->src);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->src->size);
    } else if (strcmp(rq->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->blen : 0));
        if (strcmp(rq->method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    }
}

/* What went wrong with a finished transfer, first the reasons of our own callbacks. */
static qr_status_t transfer_status(const qr_remote_t *rm, const struct request *rq,
                                   const struct sink *s, CURLcode rc, qr_err_t *err) {
    const char *method = rq->method, *path = rq->path;
    const struct source *src = rq->src;
    if (s->too_large)
        return qr_err_set(err, QR_E_IO, NULL, "%s %s: the answer is larger than allowed", method,
                          path);
    if (s->write_errno)
        return qr_err_set(err, QR_E_IO, NULL, "%s %s: writing the download failed: %s", method,
                          path, strerror(s->write_errno));
    if (src && src->read_errno)
        return qr_err_set(err, QR_E_IO, NULL, "%s %s: reading the file failed: %s", method, path,
                          strerror(src->read_errno));
    if (src && src->short_read)
        return qr_err_set(err, QR_E_IO, NULL,
                          "%s %s: the file ended after %lld of its %lld bytes (changed while sent)",
                          method, path, src->sent, src->size);
    if (rc != CURLE_OK)
        return qr_err_set(err, QR_E_IO, NULL, "%s %s%s: %s", method, rm->base, path,
                          rm->errbuf[0] ? rm->errbuf : curl_easy_strerror(rc));
    return QR_OK;
}

/* Runs the request rq (and frees its headers). The answer's status and JSON go into reply
 * (zeroed first); *written (may be NULL) is the number of bytes written to rq->fd. */
static qr_status_t perform(qr_remote_t *rm, const struct request *rq, qr_reply_t *reply,
                           long long *written, qr_err_t *err) {
    CURL *c = rm->curl;
    struct sink s = {.curl = c, .fd = rq->fd};
    qr_buf_init(&s.buf, QR_REMOTE_MAX_REPLY);
    char *url = qr_xasprintf("%s%s", rm->base, rq->path);
    curl_easy_reset(c);
    rm->errbuf[0] = '\0';
    set_transfer(rm, url, rq, &s);
    set_body(c, rq);
    CURLcode rc = curl_easy_perform(c);
    free(url);
    qr_status_t st = transfer_status(rm, rq, &s, rc, err);
    if (!st) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply->status);
        if (s.buf.len > 0)
            reply->json = json_loadb(s.buf.ptr, s.buf.len, 0, NULL);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(rq->hdrs);
    qr_buf_free(&s.buf);
    if (written)
        *written = s.written;
    return st;
}

/* Appends the bearer token's Authorization header to h (the copy made for it is cleansed). */
static struct curl_slist *add_bearer(struct curl_slist *h, const char *token) {
    char *a = qr_xasprintf("Authorization: Bearer %s", token);
    h = curl_slist_append(h, a);
    OPENSSL_cleanse(a, strlen(a));
    free(a);
    return h;
}

/* Accept JSON, the body's Content-Type (NULL: no body) and the bearer token (may be NULL). */
static struct curl_slist *bearer_headers(const char *token, const char *content_type) {
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    /* Without a body, no Content-Type at all (libcurl would add a form type to a POST). */
    char *ct = qr_xasprintf("Content-Type:%s%s", content_type ? " " : "",
                            content_type ? content_type : "");
    h = curl_slist_append(h, ct);
    free(ct);
    return token ? add_bearer(h, token) : h;
}

qr_status_t qr_remote_call(qr_remote_t *rm, const char *method, const char *path, const char *token,
                           json_t *body, qr_reply_t *reply, qr_err_t *err) {
    memset(reply, 0, sizeof(*reply));
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "could not encode the request");
    struct curl_slist *h = bearer_headers(token, body ? "application/json" : NULL);
    struct request rq = {method, path, h, text, text ? strlen(text) : 0, NULL, -1};
    qr_status_t st = perform(rm, &rq, reply, NULL, err);
    if (text) {
        OPENSSL_cleanse(text, strlen(text)); /* it may hold a PIN or a password */
        free(text);
    }
    return st;
}

/* The HTTP Basic header of the client credentials (RFC 6749 2.3.1: id and secret are
 * form-encoded, then joined and base64-encoded); a new string (caller cleanses and frees),
 * or NULL when they cannot be encoded. */
static char *basic_auth(CURL *curl, const char *client_id, const char *secret) {
    char *id = curl_easy_escape(curl, client_id, 0);
    char *sec = curl_easy_escape(curl, secret, 0);
    char *auth = NULL;
    if (id && sec) {
        char *pair = qr_xasprintf("%s:%s", id, sec);
        size_t plen = strlen(pair);
        char *b64 = qr_xmalloc(4 * ((plen + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)pair, (int)plen);
        auth = qr_xasprintf("Authorization: Basic %s", b64);
        OPENSSL_cleanse(pair, plen);
        OPENSSL_cleanse(b64, strlen(b64));
        free(pair);
        free(b64);
    }
    if (sec)
        OPENSSL_cleanse(sec, strlen(sec));
    curl_free(id);
    curl_free(sec);
    return auth;
}

qr_status_t qr_remote_client_token(qr_remote_t *rm, const char *client_id, const char *secret,
                                   char **token, qr_reply_t *reply, qr_err_t *err) {
    *token = NULL;
    memset(reply, 0, sizeof(*reply));
    char *auth = basic_auth(rm->curl, client_id, secret);
    if (!auth)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "could not encode the client credentials");
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
    h = curl_slist_append(h, auth);
    static const char form[] = "grant_type=client_credentials";
    struct request rq = {"POST", "/oauth/token", h, form, sizeof(form) - 1, NULL, -1};
    qr_status_t st = perform(rm, &rq, reply, NULL, err);
    OPENSSL_cleanse(auth, strlen(auth));
    free(auth);
    if (st)
        return st;
    const char *t = json_string_value(json_object_get(reply->json, "access_token"));
    if (reply->status == 200 && !t)
        return qr_err_set(err, QR_E_IO, NULL, "the token endpoint answered without access_token");
    if (reply->status == 200)
        *token = qr_xstrdup(t);
    return QR_OK;
}

qr_status_t qr_remote_download(qr_remote_t *rm, const char *path, const char *token, int fd,
                               long long *size, qr_reply_t *reply, qr_err_t *err) {
    memset(reply, 0, sizeof(*reply));
    *size = 0;
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/pdf, application/json");
    struct request rq = {"GET", path, add_bearer(h, token), NULL, 0, NULL, fd};
    return perform(rm, &rq, reply, size, err);
}

/* The bytes of fd from its offset to its end (-1: not a regular file, size unknown). */
static qr_status_t upload_size(int fd, const char *path, long long *size, qr_err_t *err) {
    struct stat sb;
    *size = -1;
    if (fstat(fd, &sb) != 0)
        return qr_err_set(err, QR_E_IO, NULL, "POST %s: cannot read the file: %s", path,
                          strerror(errno));
    if (S_ISREG(sb.st_mode)) {
        off_t at = lseek(fd, 0, SEEK_CUR);
        if (at < 0)
            return qr_err_set(err, QR_E_IO, NULL, "POST %s: cannot read the file: %s", path,
                              strerror(errno));
        *size = at < sb.st_size ? (long long)(sb.st_size - at) : 0;
    }
    if (*size > QR_REMOTE_MAX_DOCUMENT)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "POST %s: the file has %lld bytes; at most %lld are sent", path, *size,
                          QR_REMOTE_MAX_DOCUMENT);
    return QR_OK;
}

qr_status_t qr_remote_upload(qr_remote_t *rm, const char *path, const char *token, int fd,
                             const char *content_type, qr_reply_t *reply, qr_err_t *err) {
    memset(reply, 0, sizeof(*reply));
    struct source src = {.fd = fd, .size = -1};
    qr_status_t st = upload_size(fd, path, &src.size, err);
    if (st)
        return st;
    struct request rq = {"POST", path, bearer_headers(token, content_type), NULL, 0, &src, -1};
    return perform(rm, &rq, reply, NULL, err);
}
