/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the HTTP router. Request life: the URI-log callback (request.c) sees the raw
 * request target first and allocates the request; the access handler's first call only
 * stores it (answering on the first call would turn off keep-alive, DESIGN 5); later calls
 * collect the body within its ceiling; the final call validates path, route, query and
 * body, lets the guard check who is asking, then runs the handler, or suspends the
 * connection and hands the request to the slow pool, whose worker resumes it once the
 * answer is ready. Streaming routes are checked on the first call and get their body piece
 * by piece. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/workq.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "http/server_private.h"

/* How much of a refused upload is read and dropped before the connection is closed. */
#define QR_DISCARD_MAX ((size_t)64 << 20)

/* Matches the path against one pattern, capturing "{}" segments. */
static int match(const char *pattern, char *path, const char **params) {
    int np = 0;
    const char *p = pattern;
    char *s = path;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        char *se = strchr(s, '/');
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen == 2 && p[0] == '{' && p[1] == '}') {
            if (slen == 0 || np >= QR_ROUTE_MAX_PARAMS)
                return 0;
            params[np++] = s;
        } else if (plen == 3 && memcmp(p, "{n}", 3) == 0) {
            /* A decimal number (an IPP job-id), matched but not captured. */
            if (slen == 0 || slen > 10)
                return 0;
            for (size_t k = 0; k < slen; k++)
                if (s[k] < '0' || s[k] > '9')
                    return 0;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    return !*p && !*s;
}

/* Finds the route; fills r->params (pointing into a split copy of the path). Returns 0 if
 * found, 404 if no pattern matches, 405 if only the method differs. */
static int route(qr_req_t *r, const char *method, const char *path, size_t plen) {
    qr_http_t *h = r->http;
    char *probe = qr_xstrndup(path, plen);
    int path_known = 0;
    char *allow = r->allow;
    allow[0] = '\0';
    for (size_t i = 0; i < h->nroutes; i++) {
        const char *params[QR_ROUTE_MAX_PARAMS] = {0};
        if (!match(h->routes[i].pattern, probe, params))
            continue;
        path_known = 1;
        size_t al = strlen(allow);
        snprintf(allow + al, sizeof(r->allow) - al, "%s%s", al ? ", " : "", h->routes[i].method);
        if (strcmp(h->routes[i].method, method) != 0)
            continue;
        r->route = &h->routes[i];
        allow[0] = '\0';
        /* Split the copy so that each captured segment is its own string. */
        for (int k = 0; k < QR_ROUTE_MAX_PARAMS; k++)
            r->params[k] = params[k];
        for (char *c = probe; *c; c++)
            if (*c == '/')
                *c = '\0';
        r->path = probe;
        return 0;
    }
    free(probe);
    if (path_known)
        return 405;
    return 404;
}

static void slow_work(void *arg) {
    qr_req_t *r = arg;
    r->route->fn(r);
    r->done = 1;
    MHD_resume_connection(r->conn);
}

/* Lets the guard check who is asking. Returns 1 to go on, 0 once an error was answered. */
static int check_guard(qr_http_t *h, qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (!h->guard || h->guard(r, r->route->flags, &err) == QR_OK)
        return 1;
    qr_req_reply_error(r, &err);
    return 0;
}

/* Checks the collected body against the route: its size, its Content-Type, and its form
 * fields or JSON object (r->json, {} without a body). Returns 1 to go on, 0 once an error
 * was answered. */
static int check_body(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (r->body_too_large) {
        qr__req_reply_errf(r, QR_E_TOO_LARGE, NULL, "the request body is larger than %d bytes",
                           QR_BODY_MAX);
        return 0;
    }
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (r->body.len == 0 && ct && strncasecmp(ct, "application/json", 16) == 0) {
        qr__req_reply_errf(r, QR_E_INVALID, "invalid_json",
                           "the body is declared as JSON but is empty; send {} or no Content-Type");
        return 0;
    }
    if (r->route->flags & QR_ROUTE_FORM) {
        static const char form_ct[] = "application/x-www-form-urlencoded";
        size_t fl = sizeof(form_ct) - 1;
        if (!ct || strncasecmp(ct, form_ct, fl) != 0 ||
            (ct[fl] && ct[fl] != ';' && ct[fl] != ' ')) {
            qr__req_reply_errf(r, QR_E_INVALID, "invalid_request",
                               "the body must be application/x-www-form-urlencoded");
            return 0;
        }
        if (qr_query_parse(r->body.ptr ? r->body.ptr : "", r->route->form, &r->form, &err)) {
            qr_req_reply_error(r, &err);
            return 0;
        }
        r->json = json_object();
    } else if (r->body.len > 0) {
        size_t ctl = strlen("application/json");
        if (!ct || strncasecmp(ct, "application/json", ctl) != 0 ||
            (ct[ctl] && ct[ctl] != ';' && ct[ctl] != ' ')) {
            qr_req_reply_json(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                              json_pack("{s:s, s:s}", "error", "unsupported_media_type", "message",
                                        "the request body must be application/json"));
            return 0;
        }
    }
    if (!r->json &&
        qr_json_parse_object(r->body.ptr ? r->body.ptr : "", r->body.len, &r->json, &err)) {
        qr_req_reply_error(r, &err);
        return 0;
    }
    if (!(r->route->flags & QR_ROUTE_BODY) && json_object_size(r->json) > 0) {
        qr__req_reply_errf(r, QR_E_INVALID, NULL, "this request takes no body fields");
        return 0;
    }
    return 1;
}

/* Validates everything about the request and runs (or queues) its handler. Returns 1 if
 * the connection was suspended for the slow pool. */
static int dispatch(qr_req_t *r, const char *method) {
    qr_http_t *h = r->http;
    qr_err_t err = {QR_OK, NULL, ""};
    const char *qmark = strchr(r->target, '?');
    size_t plen = qmark ? (size_t)(qmark - r->target) : strlen(r->target);
    if (!qr_path_is_canonical(r->target, plen)) {
        qr__req_reply_errf(
            r, QR_E_INVALID, "invalid_path",
            "the request path is not canonical: only letters, digits, - . _ ~ and single "
            "'/' are allowed, without escapes or dot segments");
        return 0;
    }
    int rc = route(r, method, r->target, plen);
    if (rc == 404) {
        qr__req_reply_errf(r, QR_E_NOT_FOUND, NULL, "no such resource");
        return 0;
    }
    if (rc == 405) {
        qr_req_reply_json(r, MHD_HTTP_METHOD_NOT_ALLOWED,
                          json_pack("{s:s, s:s}", "error", "method_not_allowed", "message",
                                    "this method is not allowed here"));
        return 0;
    }
    for (int i = 0; i < QR_ROUTE_MAX_PARAMS && r->params[i]; i++)
        if (!qr_id_is_valid(r->params[i])) {
            qr__req_reply_errf(
                r, QR_E_INVALID, NULL,
                "'%.40s' is not a valid id: ids are 32 lowercase hexadecimal characters",
                r->params[i]);
            return 0;
        }
    if (qmark && qr_query_parse(qmark + 1, r->route->query, &r->query, &err)) {
        qr_req_reply_error(r, &err);
        return 0;
    }
    if (!check_body(r))
        return 0;
    qr__req_client_address(r);
    if (!check_guard(h, r))
        return 0;
    if (r->route->flags & QR_ROUTE_SLOW) {
        MHD_suspend_connection(r->conn);
        if (qr_workq_submit(h->ctx->slowq, slow_work, r) != QR_OK) {
            MHD_resume_connection(r->conn);
            qr__req_reply_errf(r, QR_E_BUSY, NULL, "the server is busy; try again shortly");
            return 0;
        }
        return 1;
    }
    r->route->fn(r);
    return 0;
}

static void defer_work(void *arg) {
    qr_req_t *r = arg;
    qr_handler_fn fn = r->defer;
    r->defer = NULL;
    fn(r);
    r->deferred = 1;
    MHD_resume_connection(r->conn);
}

/* A refusal of a streaming request is sent after the body has been read (and dropped), so
 * that the client sees the answer rather than a reset connection; except when the client
 * waits for "100 Continue" or announces more than we would drop: then the answer goes out
 * at once, instead of the body being asked for. */
static int refuse_at_once(qr_req_t *r) {
    const char *expect =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return (expect && strcasecmp(expect, "100-continue") == 0) ||
           qr_req_content_length(r) > (long long)QR_DISCARD_MAX;
}

/* On the first call: if the request is for a streaming route, checks everything but the
 * body (path, id parameters, query, the guard) and lets the handler begin. Returns 1 if an
 * answer is ready already (a refusal), 2 if the connection was suspended for a deferred
 * call (qr_req_defer). */
static int stream_begin(qr_req_t *r, const char *method) {
    qr_http_t *h = r->http;
    qr_err_t err = {QR_OK, NULL, ""};
    const char *qmark = strchr(r->target, '?');
    size_t plen = qmark ? (size_t)(qmark - r->target) : strlen(r->target);
    if (!qr_path_is_canonical(r->target, plen) || route(r, method, r->target, plen) != 0 ||
        !(r->route->flags & QR_ROUTE_STREAM)) {
        /* Not a streaming request: the final call checks and answers it as usual. */
        free(r->path);
        r->path = NULL;
        r->route = NULL;
        memset(r->params, 0, sizeof(r->params));
        r->allow[0] = '\0';
        return 0;
    }
    r->stream = 1;
    for (int i = 0; i < QR_ROUTE_MAX_PARAMS && r->params[i]; i++)
        if (!qr_id_is_valid(r->params[i])) {
            qr__req_reply_errf(r, QR_E_INVALID, NULL, "'%.40s' is not a valid id", r->params[i]);
            return 1;
        }
    if (qmark && qr_query_parse(qmark + 1, r->route->query, &r->query, &err)) {
        qr_req_reply_error(r, &err);
        return 1;
    }
    qr__req_client_address(r);
    if (!check_guard(h, r))
        return 1;
    r->phase = QR_PHASE_BEGIN;
    r->route->fn(r);
    if (r->defer && !r->status) {
        MHD_suspend_connection(r->conn);
        if (qr_workq_submit(h->ctx->slowq, defer_work, r) == QR_OK)
            return 2;
        MHD_resume_connection(r->conn);
        qr__req_reply_errf(r, QR_E_BUSY, NULL, "the server is busy; try again shortly");
    }
    return r->status != 0;
}

enum MHD_Result qr__http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls) {
    (void)cls;
    (void)url;
    (void)version;
    qr_req_t *r = *req_cls;
    if (!r)
        return MHD_NO;
    r->conn = conn;
    if (!r->started) {
        r->started = 1;
        if (stream_begin(r, method) == 1 && refuse_at_once(r)) {
            r->done = 1;
            return qr__req_send(r);
        }
        return MHD_YES;
    }
    if (r->stream && r->deferred) {
        /* MHD repeats the first call of a request that was suspended in it; the deferred
         * call may have refused meanwhile. The body comes with the calls after this one. */
        r->deferred = 0;
        if (r->status && refuse_at_once(r)) {
            *upload_data_size = 0;
            r->done = 1;
            return qr__req_send(r);
        }
        if (*upload_data_size == 0)
            return MHD_YES;
    }
    if (r->stream) {
        if (*upload_data_size) {
            if (!r->status) {
                r->phase = QR_PHASE_DATA;
                r->chunk = upload_data;
                r->chunk_len = *upload_data_size;
                r->route->fn(r);
            } else if ((r->discarded += *upload_data_size) > QR_DISCARD_MAX) {
                return MHD_NO; /* refused long ago and still sending: hang up */
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        if (r->done)
            return MHD_YES;
        r->done = 1;
        if (!r->status) {
            r->phase = QR_PHASE_END;
            r->chunk = NULL;
            r->chunk_len = 0;
            r->route->fn(r);
        }
        if (!r->status)
            qr__req_reply_errf(r, QR_E_INTERNAL, NULL, "the handler gave no answer");
        return qr__req_send(r);
    }
    if (*upload_data_size) {
        if (!r->body_too_large &&
            qr_buf_append(&r->body, upload_data, *upload_data_size) != QR_OK) {
            r->body_too_large = 1;
            qr_buf_free(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->done)
        return qr__req_send(r);
    if (r->dispatched)
        return MHD_YES; /* resumed without an answer yet: cannot happen, be safe */
    r->dispatched = 1;
    if (dispatch(r, method))
        return MHD_YES;
    r->done = 1;
    if (!r->status)
        qr__req_reply_errf(r, QR_E_INTERNAL, NULL, "the handler gave no answer");
    return qr__req_send(r);
}
