/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the WebDAV destination (RFC 4918) over libcurl: MKCOL of missing folders, a HEAD probe
 * for a free name, then one streaming PUT fed chunk by chunk through curl's multi interface and a
 * read callback that pauses when the caller has no data (docs/architecture.md, "Destinations and
 * connectors"). Only https, TLS 1.2 or later, certificates always verified, redirects refused. */
#include "scan/connector.h"

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define CONNECT_TIMEOUT_S 10L
#define LOW_SPEED_LIMIT_BPS 1024L   /* slower than this ... */
#define LOW_SPEED_TIME_S 30L        /* ... for this long aborts a transfer (no total timeout) */
#define SMALL_REQUEST_TIMEOUT_S 60L /* MKCOL, HEAD, DELETE: no body, so a total bound is fine */
#define POLL_MS 1000
#define MAX_URL_LEN 2048
#define MAX_SEGMENT_LEN 255 /* a folder or document name, in bytes */
#define MAX_FOLDER_LEN 1024
#define MAX_FOLDER_DEPTH 32
#define MAX_USERNAME_LEN 256
#define MAX_CA_PEM_LEN (256 * 1024)
#define MAX_MIME_LEN 255
#define MAX_NAME_TRIES 100 /* "name.pdf", "name (2).pdf" ... "name (100).pdf" */

/* A destination's settings, checked. */
struct dest {
    char *base;     /* "https://host:port/base/" (ends with '/'), percent-encoded */
    char *hostport; /* "host:port", for connection errors */
    char *username; /* NULL if none */
    char *ca_pem;   /* NULL if none */
    size_t ca_len;
};

struct qr_conn {
    struct dest d;
    char *secret; /* copy of the password, wiped on free; NULL if none */
    CURLM *multi; /* one multi handle, so that all requests share a connection */
    CURL *easy;
    int in_multi;
    struct curl_slist *headers;
    char *url;      /* the document's URL (percent-encoded) */
    long long size; /* announced size, -1 if unknown */
    long long written;
    /* The caller's chunk the read callback copies from; empty between write() calls. */
    const unsigned char *chunk;
    size_t chunk_len;
    int paused;       /* the read callback returned CURL_READFUNC_PAUSE */
    int eof;          /* close(): the read callback returns 0 once the chunk is empty */
    int body_started; /* the server asked for the body: this PUT may have created the file */
    int done;         /* the current transfer has ended; result holds its outcome */
    CURLcode result;
    char errbuf[CURL_ERROR_SIZE];
};

/* ---- settings -------------------------------------------------------------------------- */

static void dest_free(struct dest *d) {
    free(d->base);
    free(d->hostport);
    free(d->username);
    free(d->ca_pem);
    memset(d, 0, sizeof(*d));
}

static int has_ctl(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

/* Reads and checks the url: https, no credentials, query or fragment. Fills d->base and
 * d->hostport. Never puts the URL itself in a message (it might hold a password). */
static qr_status_t parse_url(const char *url, struct dest *d, qr_err_t *err) {
    qr_status_t st = QR_OK;
    char *scheme = NULL, *part = NULL, *host = NULL, *port = NULL, *full = NULL;
    CURLU *u = curl_url();
    CURLUcode uc;
    if (!u)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "libcurl could not parse a URL");
    if (strlen(url) > MAX_URL_LEN || has_ctl(url, strlen(url))) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "url is too long or contains control characters: at most %d printable "
                        "characters are allowed",
                        MAX_URL_LEN);
        goto out;
    }
    uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "url is not a valid URL (%s): expected https://host[:port]/path/",
                        curl_url_strerror(uc));
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        strcmp(scheme, "https") != 0) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "url must begin with https:// (got '%s://'): documents travel only over "
                        "TLS (SEC-1)",
                        scheme ? scheme : "");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_OPTIONS, &part, 0) == CURLUE_OK) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "url must not contain a user name or password: give the user name as "
                        "username and the password as the destination's secret");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "url must not contain a query (?...) or fragment (#...): only "
                        "https://host[:port]/path/ is allowed");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "url has no host: expected https://host[:port]/path/");
        goto out;
    }
    if (d) {
        size_t n = strlen(full);
        d->base = n && full[n - 1] == '/' ? qr_xstrdup(full) : qr_xasprintf("%s/", full);
        d->hostport = qr_xasprintf("%s:%s", host, port);
    }
out:
    curl_free(scheme);
    curl_free(part);
    curl_free(host);
    curl_free(port);
    curl_free(full);
    curl_url_cleanup(u);
    return st;
}

/* Whether pem holds at least one PEM certificate. */
static int is_pem_cert(const char *pem, size_t len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int ok = x != NULL;
    X509_free(x);
    BIO_free(bio);
    ERR_clear_error();
    return ok;
}

/* Checks settings and secret; fills d (if not NULL; caller frees with dest_free). */
static qr_status_t parse_settings(const json_t *settings, const char *secret, struct dest *d,
                                  qr_err_t *err) {
    qr_status_t st = QR_OK;
    const char *key;
    json_t *val;
    if (!json_is_object(settings))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "WebDAV settings must be a JSON object with url (required), username "
                          "and ca_certificate");
    json_object_foreach((json_t *)settings, key, val) {
        if (strcmp(key, "url") != 0 && strcmp(key, "username") != 0 &&
            strcmp(key, "ca_certificate") != 0)
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "unknown WebDAV setting '%.64s': allowed are url, username and "
                              "ca_certificate",
                              key);
        if (!json_is_string(val))
            return qr_err_set(err, QR_E_INVALID, NULL, "WebDAV setting %s must be a string", key);
    }
    const char *url = json_string_value(json_object_get(settings, "url"));
    json_t *user = json_object_get(settings, "username");
    json_t *ca = json_object_get(settings, "ca_certificate");
    if (!url || !*url)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "WebDAV setting url is required: https://host[:port]/path/");
    if (user) {
        const char *s = json_string_value(user);
        size_t n = json_string_length(user);
        if (!n || n > MAX_USERNAME_LEN || strlen(s) != n || strchr(s, ':') || has_ctl(s, n))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "WebDAV username must be 1 to %d characters without ':' or control "
                              "characters (HTTP Basic authentication)",
                              MAX_USERNAME_LEN);
    } else if (secret && *secret) {
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "a WebDAV password is set but no username: set username as well");
    }
    if (ca && (json_string_length(ca) > MAX_CA_PEM_LEN ||
               !is_pem_cert(json_string_value(ca), json_string_length(ca))))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "WebDAV ca_certificate is not a PEM certificate: give the server's CA "
                          "(or self-signed) certificate as -----BEGIN CERTIFICATE----- ... "
                          "(at most %d bytes)",
                          MAX_CA_PEM_LEN);
    st = parse_url(url, d, err);
    if (st || !d)
        return st;
    d->username = user ? qr_xstrdup(json_string_value(user)) : NULL;
    d->ca_pem = ca ? qr_xstrndup(json_string_value(ca), json_string_length(ca)) : NULL;
    d->ca_len = ca ? json_string_length(ca) : 0;
    return QR_OK;
}

static qr_status_t webdav_check(const json_t *settings, const char *secret, qr_err_t *err) {
    return parse_settings(settings, secret, NULL, err);
}

/* ---- names and URLs -------------------------------------------------------------------- */

/* Checks one folder segment or document name of n bytes. */
static qr_status_t check_segment(const char *s, size_t n, const char *what, qr_err_t *err) {
    if (n == 0 || n > MAX_SEGMENT_LEN || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.') || memchr(s, '/', n) || has_ctl(s, n))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "%s '%.*s' is not allowed: 1 to %d bytes, not '.' or '..', without '/' "
                          "or control characters",
                          what, (int)(n > 64 ? 64 : n), s, MAX_SEGMENT_LEN);
    return QR_OK;
}

/* Appends the percent-encoding of s[0..n) (everything but RFC 3986 unreserved characters) to
 * prefix; returns a new string, caller frees. */
static char *append_escaped(const char *prefix, const char *s, size_t n, const char *suffix) {
    static const char hex[] = "0123456789ABCDEF";
    size_t plen = strlen(prefix), slen = strlen(suffix), o = plen;
    char *out = qr_xmalloc(plen + 3 * n + slen + 1);
    memcpy(out, prefix, plen);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    memcpy(out + o, suffix, slen + 1);
    return out;
}

/* The try-th candidate name: "a.pdf", "a (2).pdf", "a (3).pdf"...; a new string. */
static char *candidate_name(const char *name, int try) {
    if (try == 1)
        return qr_xstrdup(name);
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return qr_xasprintf("%s (%d)", name, try);
    return qr_xasprintf("%.*s (%d)%s", (int)(dot - name), name, try, dot);
}

static const char *reason(long code) {
    switch (code) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 423:
        return "Locked";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 507:
        return "Insufficient Storage";
    default:
        return "unexpected status";
    }
}

/* ---- transfers ------------------------------------------------------------------------- */

static size_t discard(char *ptr, size_t size, size_t nmemb, void *user) {
    (void)ptr;
    (void)user;
    return size * nmemb;
}

/* Feeds the PUT from the caller's current chunk; pauses when it is empty. */
static size_t read_body(char *buf, size_t size, size_t nitems, void *user) {
    qr_conn_t *c = user;
    size_t room = size * nitems;
    c->body_started = 1;
    if (c->chunk_len) {
        size_t n = c->chunk_len < room ? c->chunk_len : room;
        memcpy(buf, c->chunk, n);
        c->chunk += n;
        c->chunk_len -= n;
        return n;
    }
    if (c->eof)
        return 0;
    c->paused = 1;
    return CURL_READFUNC_PAUSE;
}

/* Resets the handle and sets what every request has: TLS rules, timeouts, credentials. */
static void setup(qr_conn_t *c, const char *url) {
    CURL *h = c->easy;
    curl_easy_reset(h);
    c->errbuf[0] = '\0';
    c->done = 0;
    c->result = CURLE_OK;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    /* HTTP/1.1: pausing an upload is simplest and best tested there; WebDAV servers speak it. */
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT_BPS);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    if (c->d.ca_pem) {
        struct curl_blob blob = {(void *)c->d.ca_pem, c->d.ca_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (c->d.username) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->d.username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->secret ? c->secret : "");
    }
}

static int is_done(const qr_conn_t *c) {
    return c->done;
}

static int body_wanted(const qr_conn_t *c) {
    return c->body_started;
}

static int chunk_taken(const qr_conn_t *c) {
    return c->chunk_len == 0;
}

/* Runs the multi handle until the transfer ends or enough(c) holds. */
static void drive(qr_conn_t *c, int (*enough)(const qr_conn_t *)) {
    while (!c->done && !enough(c)) {
        int running = 0, left = 0;
        CURLMcode mc = curl_multi_perform(c->multi, &running);
        if (mc != CURLM_OK) {
            c->done = 1;
            c->result = CURLE_OUT_OF_MEMORY;
            snprintf(c->errbuf, sizeof(c->errbuf), "%s", curl_multi_strerror(mc));
            break;
        }
        CURLMsg *m;
        while ((m = curl_multi_info_read(c->multi, &left)))
            if (m->msg == CURLMSG_DONE) {
                c->done = 1;
                c->result = m->data.result;
            }
        if (c->done || enough(c))
            break;
        curl_multi_poll(c->multi, NULL, 0, POLL_MS, NULL);
    }
}

static void detach(qr_conn_t *c) {
    if (c->in_multi) {
        curl_multi_remove_handle(c->multi, c->easy);
        c->in_multi = 0;
    }
}

/* Whether the finished PUT stored the document. */
static int put_succeeded(qr_conn_t *c) {
    long code = 0;
    if (!c->done || c->result != CURLE_OK)
        return 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    return code == 201 || code == 204;
}

static void resume(qr_conn_t *c) {
    if (c->paused && !c->done) {
        c->paused = 0;
        curl_easy_pause(c->easy, CURLPAUSE_CONT);
    }
}

/* The error for a finished request: a transport failure or an unexpected status. */
static qr_status_t request_error(qr_conn_t *c, const char *method, const char *url, qr_err_t *err) {
    long code = 0;
    const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(c->result);
    switch (c->result) {
    case CURLE_OK:
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return qr_err_set(err, QR_E_IO, NULL, "WebDAV: cannot connect to %s: %s", c->d.hostport,
                          detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "WebDAV: TLS certificate of %s not trusted (%s): give the server's CA "
                          "or self-signed certificate as ca_certificate; verification is never "
                          "turned off",
                          c->d.hostport, detail);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return qr_err_set(err, QR_E_INVALID, NULL, "WebDAV %s %s: %s (only https is allowed)",
                          method, url, detail);
    case CURLE_OPERATION_TIMEDOUT:
        return qr_err_set(err, QR_E_IO, NULL, "WebDAV %s %s: timed out: %s", method, url, detail);
    default:
        return qr_err_set(err, QR_E_IO, NULL, "WebDAV %s %s: %s", method, url, detail);
    }
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 300 && code < 400) {
        char *loc = NULL;
        curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_URL, &loc);
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "WebDAV %s %s: %ld redirect to %s: redirects are not followed; set url "
                          "to the final address",
                          method, url, code, loc ? loc : "(no Location)");
    }
    qr_status_t st;
    switch (code) {
    case 401:
        st = QR_E_UNAUTHORIZED;
        break;
    case 403:
        st = QR_E_FORBIDDEN;
        break;
    case 404:
        st = QR_E_NOT_FOUND;
        break;
    case 409:
        st = QR_E_CONFLICT;
        break; /* a parent folder is missing */
    case 413:
        st = QR_E_TOO_LARGE;
        break;
    case 412:
        st = QR_E_BUSY;
        break; /* the name was taken meanwhile: a new try picks another */
    case 408:
    case 423:
        st = QR_E_BUSY;
        break;
    case 429:
        st = QR_E_THROTTLED;
        break;
    default:
        st = code >= 500 ? QR_E_BUSY : QR_E_INVALID;
        break;
    }
    if (code == 409)
        return qr_err_set(err, st, NULL, "WebDAV %s %s: 409 Conflict (a parent folder is missing)",
                          method, url);
    return qr_err_set(err, st, NULL, "WebDAV %s %s: %ld %s", method, url, code, reason(code));
}

/* Whether the last answer redirects url to url + "/" (how servers answer for a folder). */
static int redirects_to_folder(qr_conn_t *c, const char *url) {
    char *loc = NULL;
    size_t n = strlen(url);
    curl_easy_getinfo(c->easy, CURLINFO_REDIRECT_URL, &loc);
    return loc && strncmp(loc, url, n) == 0 && strcmp(loc + n, "/") == 0;
}

/* Sends a request without a body (MKCOL, HEAD, DELETE) and waits for the answer. */
static long simple_request(qr_conn_t *c, const char *method, const char *url) {
    long code = 0;
    setup(c, url);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, SMALL_REQUEST_TIMEOUT_S);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c->easy, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, method);
    if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK) {
        c->result = CURLE_OUT_OF_MEMORY;
        return 0;
    }
    c->in_multi = 1;
    drive(c, is_done);
    if (c->result == CURLE_OK)
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    detach(c);
    return code;
}

/* Starts the PUT of c->url and runs it until the server wants the body or has answered. */
static qr_status_t start_put(qr_conn_t *c, const char *mime) {
    setup(c, c->url);
    curl_slist_free_all(c->headers);
    c->headers = NULL;
    char *ctype = qr_xasprintf("Content-Type: %s", mime);
    c->headers = curl_slist_append(c->headers, ctype);
    /* Never overwrite; and let the server refuse (401, 409, 412, 507...) before the body. */
    c->headers = curl_slist_append(c->headers, "If-None-Match: *");
    c->headers = curl_slist_append(c->headers, "Expect: 100-continue");
    free(ctype);
    if (!c->headers)
        return QR_E_INTERNAL;
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c->easy, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(c->easy, CURLOPT_READDATA, c);
    if (c->size >= 0)
        curl_easy_setopt(c->easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->size);
    c->body_started = c->paused = c->eof = 0;
    c->chunk = NULL;
    c->chunk_len = 0;
    if (curl_multi_add_handle(c->multi, c->easy) != CURLM_OK)
        return QR_E_INTERNAL;
    c->in_multi = 1;
    drive(c, body_wanted);
    return QR_OK;
}

static void conn_free(qr_conn_t *c) {
    if (!c)
        return;
    detach(c);
    curl_easy_cleanup(c->easy);
    curl_multi_cleanup(c->multi);
    curl_slist_free_all(c->headers);
    if (c->secret) {
        OPENSSL_cleanse(c->secret, strlen(c->secret));
        free(c->secret);
    }
    free(c->url);
    dest_free(&c->d);
    free(c);
}

/* Cancels the PUT in progress; if the server may keep part of it, deletes what this PUT made. */
static void cancel_put(qr_conn_t *c) {
    int partial = c->in_multi && c->body_started && (!c->done || c->result != CURLE_OK);
    detach(c);
    if (partial && c->url)
        simple_request(c, "DELETE", c->url); /* best effort: 404 if nothing was kept */
}

/* ---- the connector --------------------------------------------------------------------- */

/* Each level of folder: MKCOL base/a/, base/a/b/ (201 made, 405 already there). The whole
 * folder is checked before the first request, so a bad one creates nothing. *dir gets the
 * folder's URL (a new string, also on failure). */
static qr_status_t make_folders(qr_conn_t *c, const char *folder, char **dir, qr_err_t *err) {
    qr_status_t st = QR_OK;
    for (int pass = 0; pass < 2; pass++) {
        int depth = 0;
        free(*dir);
        *dir = qr_xstrdup(c->d.base);
        for (const char *p = folder; *p;) {
            const char *end = strchr(p, '/');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            if (n && pass == 0) {
                st = check_segment(p, n, "folder name", err);
                if (!st && ++depth > MAX_FOLDER_DEPTH)
                    st = qr_err_set(err, QR_E_INVALID, NULL, "folder has more than %d levels",
                                    MAX_FOLDER_DEPTH);
                if (st)
                    return st;
            } else if (n) {
                char *next = append_escaped(*dir, p, n, "/");
                free(*dir);
                *dir = next;
                long code = simple_request(c, "MKCOL", *dir);
                if (c->result != CURLE_OK || (code != 201 && code != 405))
                    return request_error(c, "MKCOL", *dir, err);
            }
            p += n;
            if (*p == '/')
                p++;
        }
    }
    return QR_OK;
}

/* A free name in dir: HEAD says 404; then the PUT with If-None-Match: * guards the race. A
 * server that honours it answers 412 before any body byte (Expect: 100-continue), and the next
 * name is tried; once the body has started, nothing is retried here. */
static qr_status_t start_document(qr_conn_t *c, const char *dir, const char *name, const char *mime,
                                  qr_err_t *err) {
    qr_status_t st = QR_OK;
    char *url = NULL, *cand = NULL;
    long code;
    for (int try = 1;; try++) {
        if (try > MAX_NAME_TRIES) {
            st = qr_err_set(err, QR_E_CONFLICT, NULL,
                            "WebDAV: %d documents named like '%.64s' already exist in %s",
                            MAX_NAME_TRIES, name, dir);
            break;
        }
        free(cand);
        free(url);
        cand = candidate_name(name, try);
        url = append_escaped(dir, cand, strlen(cand), "");
        code = simple_request(c, "HEAD", url);
        if (c->result != CURLE_OK || (code >= 300 && code != 404 && code != 410 &&
                                      !(code < 400 && redirects_to_folder(c, url)))) {
            st = request_error(c, "HEAD", url, err);
            break;
        }
        if (code != 404 && code != 410)
            continue; /* taken: a file (2xx), or a folder of that name (3xx to url/) */
        free(c->url);
        c->url = qr_xstrdup(url);
        if (start_put(c, mime)) {
            st = qr_err_set(err, QR_E_INTERNAL, NULL, "libcurl could not start the PUT");
            break;
        }
        if (!c->done)
            break; /* the server wants the body */
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
        if (c->result == CURLE_OK && code == 412 && !c->body_started) {
            detach(c);
            continue;
        }
        if (put_succeeded(c) && c->size == 0)
            break; /* an empty document is complete already; close() reports it */
        st = request_error(c, "PUT", c->url, err);
        if (!st)
            st = qr_err_set(err, QR_E_INVALID, NULL,
                            "WebDAV PUT %s: the server answered %ld before the document was sent",
                            c->url, code);
        break;
    }
    free(url);
    free(cand);
    return st;
}

/* The arguments of open that do not depend on the destination. */
static qr_status_t check_open(const char *folder, const char *name, const char *mime,
                              qr_err_t *err) {
    qr_status_t st = check_segment(name ? name : "", name ? strlen(name) : 0, "document name", err);
    if (st)
        return st;
    if (strlen(folder) > MAX_FOLDER_LEN)
        return qr_err_set(err, QR_E_INVALID, NULL, "folder is longer than %d bytes",
                          MAX_FOLDER_LEN);
    if (strlen(mime) > MAX_MIME_LEN || has_ctl(mime, strlen(mime)))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "content type must be at most %d printable characters", MAX_MIME_LEN);
    return QR_OK;
}

static qr_status_t webdav_open(const json_t *settings, const char *secret, const char *folder,
                               const char *name, const char *mime, long long size, qr_conn_t **out,
                               qr_err_t *err) {
    qr_conn_t *c = NULL;
    char *dir = NULL;
    *out = NULL;
    if (!folder)
        folder = "";
    if (!mime || !*mime)
        mime = "application/octet-stream";
    qr_status_t st = check_open(folder, name, mime, err);
    if (st)
        goto out;
    c = qr_xcalloc(1, sizeof(*c));
    st = parse_settings(settings, secret, &c->d, err);
    if (st)
        goto out;
    c->secret = qr_xstrdup(secret);
    c->size = size < 0 ? -1 : size;
    c->multi = curl_multi_init();
    c->easy = curl_easy_init();
    if (!c->multi || !c->easy) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "libcurl could not be initialized");
        goto out;
    }
    st = make_folders(c, folder, &dir, err);
    if (!st)
        st = start_document(c, dir, name, mime, err);
    if (st)
        goto out;
    *out = c;
    c = NULL;
out:
    if (c)
        cancel_put(c);
    conn_free(c);
    free(dir);
    return st;
}

/* On a failed write the connection stays open: the caller ends it with abort(). */
static qr_status_t webdav_write(qr_conn_t *c, const void *data, size_t n, qr_err_t *err) {
    if (!c)
        return qr_err_set(err, QR_E_INVALID, NULL, "WebDAV: write without an open document");
    if (n == 0)
        return QR_OK;
    if (c->size >= 0 && (unsigned long long)c->written + n > (unsigned long long)c->size)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "WebDAV PUT %s: the document is longer than the %lld bytes announced",
                          c->url, c->size);
    int was_done = c->done;
    if (!was_done) {
        c->chunk = data;
        c->chunk_len = n;
        resume(c);
        drive(c, chunk_taken);
    }
    size_t left = c->chunk_len;
    c->chunk = NULL;
    c->chunk_len = 0;
    /* The PUT may end with this chunk (the last bytes of a document of known size). */
    if (was_done || left || (c->done && !put_succeeded(c))) {
        qr_status_t st = request_error(c, "PUT", c->url, err);
        if (!st)
            st = qr_err_set(err, QR_E_IO, NULL,
                            "WebDAV PUT %s: the server ended the transfer before the whole "
                            "document was sent",
                            c->url);
        return st;
    }
    c->written += (long long)n;
    return QR_OK;
}

static qr_status_t webdav_close(qr_conn_t *c, char **location, qr_err_t *err) {
    qr_status_t st = QR_OK;
    long code = 0;
    if (location)
        *location = NULL;
    if (!c)
        return qr_err_set(err, QR_E_INVALID, NULL, "WebDAV: close without an open document");
    if (c->size >= 0 && c->written != c->size) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "WebDAV PUT %s: the document ended after %lld of the %lld bytes "
                        "announced",
                        c->url, c->written, c->size);
        goto out;
    }
    c->eof = 1;
    resume(c);
    drive(c, is_done);
    if (!put_succeeded(c)) {
        st = request_error(c, "PUT", c->url, err);
        if (!st) {
            curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
            st = qr_err_set(err, QR_E_INVALID, NULL, "WebDAV PUT %s: %ld unexpected status", c->url,
                            code);
        }
        goto out;
    }
    detach(c);
    if (location)
        *location = qr_xstrdup(c->url);
out:
    if (st)
        cancel_put(c);
    conn_free(c);
    return st;
}

static void webdav_abort(qr_conn_t *c) {
    if (!c)
        return;
    cancel_put(c);
    conn_free(c);
}

static qr_deliver_fail_t webdav_describe_error(const qr_err_t *err) {
    if (!err)
        return QR_DELIVER_RETRY;
    switch (err->status) {
    case QR_E_INVALID: /* bad settings or URL, TLS verification, redirect, other 4xx */
    case QR_E_UNAUTHORIZED:
    case QR_E_FORBIDDEN:
    case QR_E_NOT_FOUND:
    case QR_E_CONFLICT: /* a parent folder is missing, or no free name */
    case QR_E_TOO_LARGE:
        return QR_DELIVER_FIX;
    default: /* connection failures, timeouts, 5xx, 507, 429 */
        return QR_DELIVER_RETRY;
    }
}

const qr_connector_t qr_connector_webdav = {
    "webdav",     webdav_check, webdav_open,           webdav_write,
    webdav_close, webdav_abort, webdav_describe_error,
};
