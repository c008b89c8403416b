/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the HTTPS server on libmicrohttpd.
 *
 * Request life: the URI-log callback sees the raw request target first and allocates the
 * request; the access handler's first call only stores it (answering on the first call
 * would turn off keep-alive, DESIGN 5); later calls collect the body within its ceiling;
 * the final call validates path, route, query, body and token, then runs the handler, or
 * suspends the connection and hands the request to the slow pool, whose worker resumes it
 * once the answer is ready. */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/workq.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "http/forwarded.h"
#include "http/query.h"

/* How much of a refused upload is read and dropped before the connection is closed. */
#define QR_DISCARD_MAX ((size_t)64 << 20)

struct qr_http {
    qr_ctx_t *ctx;
    struct MHD_Daemon *d;
    const qr_route_t *routes;
    size_t nroutes;
    qr_authenticate_fn auth;
    char *cert, *key;
    qr_netset_t *proxies; /* trusted_proxies: whose X-Forwarded-For is believed */
    int port;
    pthread_mutex_t mu;
    pthread_cond_t idle;
    int inflight;
    /* TLS reload: the daemon it replaced, still finishing its connections */
    struct sockaddr_storage addr;
    unsigned flags;
    pthread_mutex_t reload_mu; /* one reload at a time, and none during stop */
    atomic_int stopping;       /* also read, without the lock, by the retiring thread */
    struct MHD_Daemon *retiring;
    char *retiring_cert, *retiring_key;
    pthread_t retire_thread;
    int retire_running;
};

struct qr_req {
    qr_http_t *http;
    struct MHD_Connection *conn;
    char *target; /* raw request target as received */
    char *path;   /* copy of the path part, segments split for params */
    const char *params[QR_ROUTE_MAX_PARAMS];
    qr_query_t query;
    qr_query_t form;
    const qr_route_t *route;
    qr_buf_t body;
    int body_too_large;
    int started, dispatched, done;
    json_t *json;
    qr_principal_t principal;
    char source[QR_ADDR_TEXT_MAX];
    int status;
    char *reply;
    size_t reply_len; /* with reply_bin: the length of a binary reply */
    int reply_bin;
    qr_handler_fn defer; /* set by qr_req_defer during QR_PHASE_BEGIN */
    int deferred;        /* the deferred call ran; check for an early refusal once */
    char allow[128];     /* Allow header for 405 */
    const char *www_auth;
    const char *content_type;
    int nextra;
    char *extra[4][2];
    int stream, phase;
    size_t discarded;
    struct out_stream *out;
    const char *chunk;
    size_t chunk_len;
    void *state;
    void (*state_free)(void *);
};

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

qr_ctx_t *qr_req_ctx(qr_req_t *r) {
    return r->http->ctx;
}

const char *qr_req_param(qr_req_t *r, int i) {
    return i >= 0 && i < QR_ROUTE_MAX_PARAMS ? r->params[i] : NULL;
}

const char *qr_req_query(qr_req_t *r, const char *name) {
    return qr_query_get(&r->query, name);
}

const char *qr_req_form(qr_req_t *r, const char *name) {
    return qr_query_get(&r->form, name);
}

struct out_stream {
    qr_stream_read_fn fn;
    void *cls;
    void (*free_fn)(void *);
    unsigned long long size;
};

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

static void out_free(void *cls) {
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

int qr_req_phase(qr_req_t *r) {
    return r->phase;
}

const void *qr_req_chunk(qr_req_t *r, size_t *len) {
    *len = r->chunk_len;
    return r->chunk;
}

void qr_req_set_state(qr_req_t *r, void *state, void (*free_fn)(void *)) {
    r->state = state;
    r->state_free = free_fn;
}

void *qr_req_state(qr_req_t *r) {
    return r->state;
}

int qr_req_answered(qr_req_t *r) {
    return r->status != 0;
}

const char *qr_req_cookie(qr_req_t *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

void qr_req_add_header(qr_req_t *r, const char *name, const char *value) {
    if (r->nextra >= 4)
        return;
    r->extra[r->nextra][0] = qr_xstrdup(name);
    r->extra[r->nextra++][1] = qr_xstrdup(value);
}

void qr_req_defer(qr_req_t *r, qr_handler_fn fn) {
    r->defer = fn;
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

const char *qr_req_target_path(qr_req_t *r) {
    return r->target;
}

const char *qr_req_target_query(qr_req_t *r) {
    const char *q = strchr(r->target, '?');
    return q ? q + 1 : NULL;
}

long long qr_req_content_length(qr_req_t *r) {
    const char *cl =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl || *cl < '0' || *cl > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    long long n = strtoll(cl, &end, 10);
    return errno == 0 && end && !*end ? n : -1;
}

const char *qr_req_header(qr_req_t *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

json_t *qr_req_body(qr_req_t *r) {
    return r->json;
}

const qr_principal_t *qr_req_principal(qr_req_t *r) {
    return &r->principal;
}

const char *qr_req_source(qr_req_t *r) {
    return r->source;
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

static void reply_err(qr_req_t *r, qr_status_t st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reply_err(qr_req_t *r, qr_status_t st, const char *code, const char *fmt, ...) {
    qr_err_t e = {st, code, ""};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
    va_end(ap);
    qr_req_reply_error(r, &e);
}

/* Called by MHD with the raw request target before anything else. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn) {
    qr_http_t *h = cls;
    qr_req_t *r = qr_xcalloc(1, sizeof(*r));
    r->http = h;
    r->conn = conn;
    r->target = qr_xstrndup(uri, strnlen(uri, QR_PATH_MAX + QR_QUERY_MAX_BYTES + 2));
    qr_buf_init(&r->body, QR_BODY_MAX);
    pthread_mutex_lock(&h->mu);
    h->inflight++;
    pthread_mutex_unlock(&h->mu);
    return r;
}

static void completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                      enum MHD_RequestTerminationCode toe) {
    (void)conn;
    (void)toe;
    qr_http_t *h = cls;
    qr_req_t *r = *req_cls;
    if (!r)
        return;
    *req_cls = NULL;
    int cls_ = r->status >= 100 && r->status < 600 ? r->status / 100 : 0;
    qr_metrics_inc(h->ctx->metrics, http_responses[cls_]);
    qr_buf_free(&r->body);
    json_decref(r->json);
    qr_query_free(&r->query);
    qr_query_free(&r->form);
    if (r->state && r->state_free)
        r->state_free(r->state);
    if (r->out)
        out_free(r->out);
    for (int i = 0; i < r->nextra; i++) {
        free(r->extra[i][0]);
        free(r->extra[i][1]);
    }
    free(r->target);
    free(r->path);
    free(r->reply);
    free(r);
    pthread_mutex_lock(&h->mu);
    if (--h->inflight == 0)
        pthread_cond_broadcast(&h->idle);
    pthread_mutex_unlock(&h->mu);
}

static enum MHD_Result send_reply(qr_req_t *r) {
    const char *body = r->reply ? r->reply : "";
    size_t len = r->reply_bin ? r->reply_len : strlen(body);
    struct MHD_Response *resp;
    if (r->out) {
        /* A streamed body: MHD owns the stream from here on. */
        resp =
            MHD_create_response_from_callback(r->out->size, 64 * 1024, out_read, r->out, out_free);
        if (!resp)
            out_free(r->out);
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

/* Joins every X-Forwarded-For header of the request, in order, with commas. */
static enum MHD_Result join_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
    (void)kind;
    qr_buf_t *b = cls;
    if (value && strcasecmp(key, "X-Forwarded-For") == 0) {
        if (b->len)
            qr_buf_puts(b, ",");
        qr_buf_puts(b, value);
    }
    return MHD_YES;
}

/* The request's source address: the peer, or behind trusted proxies the client they name
 * (qr_forwarded_client). An IPv4 client of a dual-stack socket reads as IPv4. */
static void client_address(qr_req_t *r) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->source, sizeof(r->source), "unknown");
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    char peer[INET6_ADDRSTRLEN] = "unknown";
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer,
                  sizeof(peer));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer,
                  sizeof(peer));
    /* Headers live in the connection's bounded memory pool, so their total is bounded. */
    qr_buf_t xff;
    qr_buf_init(&xff, (size_t)64 * 1024);
    if (!qr_netset_is_empty(r->http->proxies))
        MHD_get_connection_values(r->conn, MHD_HEADER_KIND, join_forwarded, &xff);
    qr_forwarded_client(r->http->proxies, peer, xff.len ? xff.ptr : NULL, r->source,
                        sizeof(r->source));
    qr_buf_free(&xff);
}

/* For a route with QR_ROUTE_AUTH: resolves the bearer token to the principal. Until an
 * account's one-time password is replaced, only routes marked QR_ROUTE_ONE_TIME serve it.
 * Returns 1 to go on, 0 once an error was answered. */
static int authenticate(qr_http_t *h, qr_req_t *r) {
    if (!(r->route->flags & QR_ROUTE_AUTH))
        return 1;
    qr_err_t err = {QR_OK, NULL, ""};
    const char *a =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!a || strncasecmp(a, "Bearer ", 7) != 0) {
        reply_err(r, QR_E_UNAUTHORIZED, NULL, "a bearer access token is required");
        return 0;
    }
    if (h->auth(h->ctx, a + 7, strlen(a + 7), &r->principal, &err)) {
        qr_req_reply_error(r, &err);
        return 0;
    }
    if (r->principal.must_change_password && !(r->route->flags & QR_ROUTE_ONE_TIME)) {
        reply_err(r, QR_E_FORBIDDEN, "password_change_required",
                  "this account signed in with a one-time password: choose your own with POST "
                  "/api/v1/me/password first");
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
        reply_err(r, QR_E_INVALID, "invalid_path",
                  "the request path is not canonical: only letters, digits, - . _ ~ and single "
                  "'/' are allowed, without escapes or dot segments");
        return 0;
    }
    int rc = route(r, method, r->target, plen);
    if (rc == 404) {
        reply_err(r, QR_E_NOT_FOUND, NULL, "no such resource");
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
            reply_err(r, QR_E_INVALID, NULL,
                      "'%.40s' is not a valid id: ids are 32 lowercase hexadecimal characters",
                      r->params[i]);
            return 0;
        }
    if (qmark && qr_query_parse(qmark + 1, r->route->query, &r->query, &err)) {
        qr_req_reply_error(r, &err);
        return 0;
    }
    if (r->body_too_large) {
        reply_err(r, QR_E_TOO_LARGE, NULL, "the request body is larger than %d bytes", QR_BODY_MAX);
        return 0;
    }
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (r->body.len == 0 && ct && strncasecmp(ct, "application/json", 16) == 0) {
        reply_err(r, QR_E_INVALID, "invalid_json",
                  "the body is declared as JSON but is empty; send {} or no Content-Type");
        return 0;
    }
    if (r->route->flags & QR_ROUTE_FORM) {
        static const char form_ct[] = "application/x-www-form-urlencoded";
        size_t fl = sizeof(form_ct) - 1;
        if (!ct || strncasecmp(ct, form_ct, fl) != 0 ||
            (ct[fl] && ct[fl] != ';' && ct[fl] != ' ')) {
            reply_err(r, QR_E_INVALID, "invalid_request",
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
        reply_err(r, QR_E_INVALID, NULL, "this request takes no body fields");
        return 0;
    }
    client_address(r);
    if (!authenticate(h, r))
        return 0;
    if (r->route->flags & QR_ROUTE_SLOW) {
        MHD_suspend_connection(r->conn);
        if (qr_workq_submit(h->ctx->slowq, slow_work, r) != QR_OK) {
            MHD_resume_connection(r->conn);
            reply_err(r, QR_E_BUSY, NULL, "the server is busy; try again shortly");
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
 * body (path, id parameters, query, token) and lets the handler begin. Returns 1 if an
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
            reply_err(r, QR_E_INVALID, NULL, "'%.40s' is not a valid id", r->params[i]);
            return 1;
        }
    if (qmark && qr_query_parse(qmark + 1, r->route->query, &r->query, &err)) {
        qr_req_reply_error(r, &err);
        return 1;
    }
    client_address(r);
    if (!authenticate(h, r))
        return 1;
    r->phase = QR_PHASE_BEGIN;
    r->route->fn(r);
    if (r->defer && !r->status) {
        MHD_suspend_connection(r->conn);
        if (qr_workq_submit(h->ctx->slowq, defer_work, r) == QR_OK)
            return 2;
        MHD_resume_connection(r->conn);
        reply_err(r, QR_E_BUSY, NULL, "the server is busy; try again shortly");
    }
    return r->status != 0;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls) {
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
            return send_reply(r);
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
            return send_reply(r);
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
            reply_err(r, QR_E_INTERNAL, NULL, "the handler gave no answer");
        return send_reply(r);
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
        return send_reply(r);
    if (r->dispatched)
        return MHD_YES; /* resumed without an answer yet: cannot happen, be safe */
    r->dispatched = 1;
    if (dispatch(r, method))
        return MHD_YES;
    r->done = 1;
    if (!r->status)
        reply_err(r, QR_E_INTERNAL, NULL, "the handler gave no answer");
    return send_reply(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    qr_log_debug("http", "%s", msg);
}

/* 1 if binding ss without SO_REUSEPORT fails because the address is in use. */
static int port_taken(const struct sockaddr_storage *ss) {
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)); /* TIME_WAIT is no owner */
    socklen_t len =
        ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    int taken = bind(fd, (const struct sockaddr *)ss, len) != 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

/* Starts a daemon with the server's certificate on port (SO_REUSEPORT, so that a reloaded
 * one can bind next to it before the old one lets go). */
static struct MHD_Daemon *start_daemon(qr_http_t *h, int port) {
    struct sockaddr_storage ss = h->addr;
    if (ss.ss_family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    const qr_config_t *cfg = h->ctx->cfg;
    return MHD_start_daemon(
        h->flags, (uint16_t)port, NULL, NULL, access_handler, h, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_HTTPS_MEM_CERT, h->cert,
        MHD_OPTION_HTTPS_MEM_KEY, h->key, MHD_OPTION_HTTPS_PRIORITIES,
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)cfg->threads, MHD_OPTION_URI_LOG_CALLBACK, uri_log, h,
        MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_LIMIT, 2048u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
}

qr_http_t *qr_http_start(qr_ctx_t *ctx, const qr_route_t *routes, size_t nroutes,
                         qr_authenticate_fn auth, qr_err_t *err) {
    const qr_config_t *cfg = ctx->cfg;
    qr_http_t *h = qr_xcalloc(1, sizeof(*h));
    h->ctx = ctx;
    h->routes = routes;
    h->nroutes = nroutes;
    h->auth = auth;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->idle, NULL);
    pthread_mutex_init(&h->reload_mu, NULL);
    char why[160];
    h->proxies = qr_netset_create(cfg->trusted_proxies, why, sizeof(why));
    if (!h->proxies) {
        qr_err_set(err, QR_E_INVALID, NULL, "%s", why);
        goto fail;
    }
    h->cert = qr_read_file(cfg->tls_cert, 1 << 20, NULL);
    h->key = qr_read_file(cfg->tls_key, 1 << 20, NULL);
    if (!h->cert || !h->key) {
        qr_err_set(err, QR_E_IO, NULL, "cannot read the TLS certificate %s or key %s",
                   cfg->tls_cert, cfg->tls_key);
        goto fail;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL))
        flags |= MHD_USE_EPOLL;
    if (inet_pton(AF_INET, cfg->listen, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->listen, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        qr_err_set(err, QR_E_INVALID, NULL, "listen must be an IPv4 or IPv6 address, not '%s'",
                   cfg->listen);
        goto fail;
    }
    h->addr = ss;
    h->flags = flags;
    /* The listener shares its port only with its own reloads (SO_REUSEPORT): a port some
     * other process (another quired, say) holds is refused, not silently shared. */
    if (cfg->port != 0 && port_taken(&ss)) {
        qr_err_set(err, QR_E_IO, NULL, "cannot listen on %s port %d: it is in use", cfg->listen,
                   cfg->port);
        goto fail;
    }
    h->d = start_daemon(h, cfg->port);
    if (!h->d) {
        qr_err_set(err, QR_E_IO, NULL, "cannot listen on %s port %d (in use, or not permitted)",
                   cfg->listen, cfg->port);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = di ? di->port : cfg->port;
    return h;
fail:
    qr_netset_destroy(h->proxies);
    free(h->cert);
    free(h->key);
    free(h);
    return NULL;
}

int qr_req_inflight(qr_req_t *r) {
    pthread_mutex_lock(&r->http->mu);
    int n = r->http->inflight;
    pthread_mutex_unlock(&r->http->mu);
    return n;
}

int qr_http_port(const qr_http_t *h) {
    return h->port;
}

/* Lets the replaced daemon finish its connections (at most QR_RETIRE_S, less if the
 * server stops), then stops it. */
#define QR_RETIRE_S 10
static void *retire(void *arg) {
    qr_http_t *h = arg;
    for (int i = 0; i < QR_RETIRE_S * 10; i++) {
        int stopping = atomic_load(&h->stopping);
        const union MHD_DaemonInfo *di =
            MHD_get_daemon_info(h->retiring, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (stopping || !di || di->num_connections == 0)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(h->retiring);
    return NULL;
}

/* Joins a retiring daemon's thread and frees what it used; with reload_mu held. */
static void retired(qr_http_t *h) {
    if (!h->retire_running)
        return;
    pthread_join(h->retire_thread, NULL);
    h->retire_running = 0;
    h->retiring = NULL;
    free(h->retiring_cert);
    free(h->retiring_key);
    h->retiring_cert = h->retiring_key = NULL;
}

qr_status_t qr_http_reload_tls(qr_http_t *h, int *reloaded, qr_err_t *err) {
    const qr_config_t *cfg = h->ctx->cfg;
    *reloaded = 0;
    char *cert = qr_read_file(cfg->tls_cert, 1 << 20, NULL);
    char *key = qr_read_file(cfg->tls_key, 1 << 20, NULL);
    qr_status_t st = QR_OK;
    pthread_mutex_lock(&h->reload_mu);
    if (!cert || !key) {
        st = qr_err_set(err, QR_E_IO, NULL, "cannot read the TLS certificate %s or key %s",
                        cfg->tls_cert, cfg->tls_key);
        goto out;
    }
    if (h->stopping || (strcmp(cert, h->cert) == 0 && strcmp(key, h->key) == 0))
        goto out;
    /* One replacement at a time: the previous one must be gone first. */
    retired(h);
    char *old_cert = h->cert, *old_key = h->key;
    h->cert = cert;
    h->key = key;
    struct MHD_Daemon *d = start_daemon(h, h->port);
    if (!d) {
        h->cert = old_cert;
        h->key = old_key;
        st = qr_err_set(err, QR_E_CRYPTO, NULL,
                        "the new TLS certificate or key was not accepted; still serving the old "
                        "one");
        goto out;
    }
    cert = key = NULL;
    struct MHD_Daemon *old = h->d;
    h->d = d;
    MHD_socket fd = MHD_quiesce_daemon(old);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    h->retiring = old;
    h->retiring_cert = old_cert;
    h->retiring_key = old_key;
    h->retire_running = pthread_create(&h->retire_thread, NULL, retire, h) == 0;
    if (!h->retire_running) {
        MHD_stop_daemon(old);
        free(old_cert);
        free(old_key);
        h->retiring = NULL;
        h->retiring_cert = h->retiring_key = NULL;
    }
    *reloaded = 1;
out:
    pthread_mutex_unlock(&h->reload_mu);
    free(cert);
    free(key);
    return st;
}

void qr_http_stop(qr_http_t *h, int timeout_s) {
    if (!h)
        return;
    pthread_mutex_lock(&h->reload_mu);
    h->stopping = 1;
    pthread_mutex_unlock(&h->reload_mu);
    MHD_socket fd = MHD_quiesce_daemon(h->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_s;
    pthread_mutex_lock(&h->mu);
    while (h->inflight > 0)
        if (pthread_cond_timedwait(&h->idle, &h->mu, &until) != 0)
            break;
    int left = h->inflight;
    pthread_mutex_unlock(&h->mu);
    if (left)
        qr_log_warn("shutdown", "%d requests still running after %d s; closing them", left,
                    timeout_s);
    MHD_stop_daemon(h->d);
    pthread_mutex_lock(&h->reload_mu);
    retired(h);
    pthread_mutex_unlock(&h->reload_mu);
    pthread_mutex_destroy(&h->reload_mu);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->idle);
    qr_netset_destroy(h->proxies);
    free(h->cert);
    free(h->key);
    free(h);
}
