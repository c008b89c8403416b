/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the HTTP answers: the responders handlers call, the one error responder with the
 * one status mapping, and handing the answer to MHD with the security headers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/server_private.h"

static const char *const security_headers[][2] = {
    {"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
    {"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
    {"X-Frame-Options", "DENY"},
    {"X-Content-Type-Options", "nosniff"},
    /* same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on our own
     * form posts, which the CSRF check must refuse; other sites still get no referrer. */
    {"Referrer-Policy", "same-origin"},
    {"Cache-Control", "no-store"},
};

_Static_assert(QR_STREAM_SIZE_UNKNOWN == MHD_SIZE_UNKNOWN, "an unknown size is MHD's");

static ssize_t out_read(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    struct out_stream *o = cls;
    long n = o->fn(o->cls, buf, max);
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

void qr__out_stream_free(void *cls) {
    struct out_stream *o = cls;
    if (o->free_fn)
        o->free_fn(o->cls);
    free(o);
}

void qr_req_reply_stream(qr_req_t *r, int status, const char *content_type, unsigned long long size,
                         qr_stream_read_fn fn, void *cls, void (*free_fn)(void *)) {
    free(r->reply);
    r->reply = NULL;
    r->reply_bin = 0;
    r->status = status;
    r->content_type = content_type;
    r->out = qr_xcalloc(1, sizeof(*r->out));
    *r->out = (struct out_stream){fn, cls, free_fn, size};
}

void qr_req_reply_bytes(qr_req_t *r, int status, const char *content_type, const void *data,
                        size_t len) {
    free(r->reply);
    r->status = status;
    r->reply = qr_xmalloc(len ? len : 1);
    if (len)
        memcpy(r->reply, data, len);
    r->reply_len = len;
    r->reply_bin = 1;
    r->content_type = content_type;
}

void qr_req_reply_html(qr_req_t *r, int status, const char *html) {
    free(r->reply);
    r->reply_bin = 0;
    r->status = status;
    r->reply = qr_xstrdup(html);
    r->content_type = "text/html; charset=utf-8";
}

void qr_req_redirect(qr_req_t *r, int status, const char *location) {
    free(r->reply);
    r->reply = NULL;
    r->reply_bin = 0;
    r->status = status;
    qr_req_add_header(r, "Location", location);
}

void qr_req_reply_json(qr_req_t *r, int status, json_t *body) {
    free(r->reply);
    r->reply_bin = 0;
    r->content_type = NULL;
    r->status = status;
    r->reply = body ? qr_json_dump(body) : NULL;
    json_decref(body);
}

void qr_req_reply_empty(qr_req_t *r) {
    free(r->reply);
    r->reply_bin = 0;
    r->reply = NULL;
    r->status = MHD_HTTP_NO_CONTENT;
}

static int http_status(qr_status_t st) {
    switch (st) {
    case QR_OK:
        return MHD_HTTP_OK;
    case QR_E_INVALID:
        return MHD_HTTP_BAD_REQUEST;
    case QR_E_UNAUTHORIZED:
        return MHD_HTTP_UNAUTHORIZED;
    case QR_E_FORBIDDEN:
    case QR_E_READ_ONLY:
        return MHD_HTTP_FORBIDDEN;
    case QR_E_NOT_FOUND:
        return MHD_HTTP_NOT_FOUND;
    case QR_E_CONFLICT:
        return MHD_HTTP_CONFLICT;
    case QR_E_TOO_LARGE:
        return MHD_HTTP_CONTENT_TOO_LARGE;
    case QR_E_THROTTLED:
        return MHD_HTTP_TOO_MANY_REQUESTS;
    case QR_E_BUSY:
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

void qr_req_reply_error(qr_req_t *r, const qr_err_t *err) {
    int status = http_status(err->status);
    const char *code = qr_err_code(err);
    const char *msg = err->msg[0] ? err->msg : code;
    if (status >= 500) {
        qr_log_error("request_failed", "%s %s: %s", r->route ? r->route->method : "-",
                     r->route ? r->route->pattern : "-", msg);
        if (err->status != QR_E_BUSY) {
            code = "internal_error";
            msg = "the server failed to complete the request; it has been logged";
        }
    }
    if (r->route && (r->route->flags & QR_ROUTE_OAUTH)) {
        /* RFC 6749 5.2: the OAuth error codes, and a description. */
        if (status >= 500)
            code = "server_error";
        else if (!err->code || strncmp(err->code, "invalid_", 8) == 0 ||
                 strncmp(err->code, "unsupported_", 12) == 0)
            code = err->code && strcmp(err->code, "invalid_json") != 0 &&
                           strcmp(err->code, "invalid_path") != 0
                       ? err->code
                       : "invalid_request";
        if (strcmp(code, "invalid_client") == 0) {
            status = MHD_HTTP_UNAUTHORIZED;
            r->www_auth = "Basic realm=\"quire\"";
        }
        qr_req_reply_json(r, status,
                          json_pack("{s:s, s:s}", "error", code, "error_description", msg));
        return;
    }
    if (status == MHD_HTTP_UNAUTHORIZED)
        r->www_auth = "Bearer realm=\"quire\"";
    qr_req_reply_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
}

void qr__req_reply_errf(qr_req_t *r, qr_status_t st, const char *code, const char *fmt, ...) {
    qr_err_t e = {st, code, ""};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
    va_end(ap);
    qr_req_reply_error(r, &e);
}

enum MHD_Result qr__req_send(qr_req_t *r) {
    const char *body = r->reply ? r->reply : "";
    size_t len = r->reply_bin ? r->reply_len : strlen(body);
    struct MHD_Response *resp;
    if (r->out) {
        /* A streamed body: MHD owns the stream from here on. */
        resp = MHD_create_response_from_callback(r->out->size, 64 * 1024, out_read, r->out,
                                                 qr__out_stream_free);
        if (!resp)
            qr__out_stream_free(r->out);
        r->out = NULL;
    } else {
        resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    }
    if (!resp)
        return MHD_NO;
    /* A handler's own Content-Security-Policy or Cache-Control (the web portal's) replaces
     * the default one. */
    for (size_t i = 0; i < sizeof(security_headers) / sizeof(security_headers[0]); i++) {
        int own = 0;
        for (int k = 0; k < r->nextra && !own; k++)
            own = strcasecmp(r->extra[k][0], security_headers[i][0]) == 0;
        if (!own)
            MHD_add_response_header(resp, security_headers[i][0], security_headers[i][1]);
    }
    if (r->reply || r->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->content_type ? r->content_type
                                                : "application/json; charset=utf-8");
    for (int i = 0; i < r->nextra; i++)
        MHD_add_response_header(resp, r->extra[i][0], r->extra[i][1]);
    if (r->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->www_auth)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->www_auth);
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}
