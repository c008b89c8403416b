/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the HTTPS server (libmicrohttpd + GnuTLS): TLS 1.2/1.3 only, one canonical path
 * per resource, bounded bodies, strict JSON and query intake, security headers on every
 * response, slow handlers on a bounded worker pool, graceful stop. The public header of
 * http/request.c (request life cycle and accessors), http/router.c (route matching and
 * dispatch), http/reply.c (responders, the one error responder) and http/tls.c (listener,
 * TLS reload, stop). */
#ifndef QR_HTTP_SERVER_H
#define QR_HTTP_SERVER_H

#include <jansson.h>
#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"

#define QR_BODY_MAX (64 * 1024)
#define QR_ROUTE_MAX_PARAMS 4

typedef struct qr_http qr_http_t;
typedef struct qr_req qr_req_t;
typedef void (*qr_handler_fn)(qr_req_t *req);

enum {
    QR_ROUTE_AUTH = 1,      /* a user's bearer access token (checked by the guard) */
    QR_ROUTE_SLOW = 2,      /* runs on the slow worker pool (password hashing) */
    QR_ROUTE_BODY = 4,      /* takes a JSON body; without this flag a non-empty body is refused */
    QR_ROUTE_FORM = 8,      /* takes an application/x-www-form-urlencoded body (names in form) */
    QR_ROUTE_OAUTH = 16,    /* errors in RFC 6749 form: {"error", "error_description"} */
    QR_ROUTE_STREAM = 32,   /* the body streams through the handler (large uploads) */
    QR_ROUTE_ONE_TIME = 64, /* with QR_ROUTE_AUTH: allowed while the account's one-time
                               password awaits replacement (else 403) */
    QR_ROUTE_DEVICE = 128,  /* a device's client-credentials token (checked by the guard) */
    QR_ROUTE_CLIENT = 256,  /* an API client's client-credentials token (checked by the
                               guard; no route takes one yet) */
};

typedef struct qr_route {
    const char *method;
    const char *pattern; /* segments; "{}" matches one id-like segment (captured), "{n}" one
                            decimal number of 1 to 10 digits (not captured) */
    qr_handler_fn fn;
    int flags;
    const char *query; /* space-separated allowed query parameter names, or NULL */
    const char *form;  /* with QR_ROUTE_FORM: space-separated allowed form field names */
} qr_route_t;

/* Size of the request's opaque slot for who is asking (see qr_req_auth). */
#define QR_REQ_AUTH_MAX 1024

/* Checks who is asking before the handler runs, from the request and its route's flags
 * (http does not interpret QR_ROUTE_AUTH, QR_ROUTE_ONE_TIME or QR_ROUTE_DEVICE itself); it
 * keeps what it resolved in qr_req_auth(r). Called for every routed request, after the
 * path, parameters, query and body were checked. QR_OK to go on, else err is answered. */
typedef qr_status_t (*qr_guard_fn)(qr_req_t *r, int route_flags, qr_err_t *err);

/* Starts serving routes on the configured address and port with the certificate files;
 * guard (may be NULL) checks each request before its handler. Returns NULL (and err) if the
 * daemon cannot start. */
qr_http_t *qr_http_start(qr_ctx_t *ctx, const qr_route_t *routes, size_t nroutes, qr_guard_fn guard,
                         qr_err_t *err);
/* The TCP port actually bound (useful with port 0). */
int qr_http_port(const qr_http_t *h);
/* Stops accepting, lets in-flight requests finish (at most timeout_s), then stops. */
/* Serves the certificate and key files again if they changed (an operator's renewal, or
 * quire's own renewal of its self-signed one): a new listener with them takes over the port
 * and the old one finishes its connections. *reloaded tells whether anything changed; on
 * error the old certificate stays in use. */
qr_status_t qr_http_reload_tls(qr_http_t *h, int *reloaded, qr_err_t *err);
void qr_http_stop(qr_http_t *h, int timeout_s);

/* Accessors for handlers. Strings are owned by the request. */
qr_ctx_t *qr_req_ctx(qr_req_t *r);
/* The i-th "{}" segment of the matched route. */
const char *qr_req_param(qr_req_t *r, int i);
/* A decoded query parameter, or NULL. */
const char *qr_req_query(qr_req_t *r, const char *name);
/* A decoded form field of a QR_ROUTE_FORM request, or NULL. */
const char *qr_req_form(qr_req_t *r, const char *name);
/* The request target as received (path and query). Owned by the request. */
const char *qr_req_target_path(qr_req_t *r);
/* The raw (still encoded) query string of the request target, or NULL. */
const char *qr_req_target_query(qr_req_t *r);
/* The request's Content-Length as a number, or -1 when it has none or it is not a plain
 * decimal number (a chunked body). */
long long qr_req_content_length(qr_req_t *r);
/* A request header, or NULL. */
const char *qr_req_header(qr_req_t *r, const char *name);
/* The parsed JSON body (an object; {} if there was none). Borrowed. */
json_t *qr_req_body(qr_req_t *r);
/* The request's opaque slot of QR_REQ_AUTH_MAX bytes (zeroed, suitably aligned) where the
 * guard keeps who is asking; the api layer reads it as its principal (qr_req_principal). */
void *qr_req_auth(qr_req_t *r);
/* The client's address as text. */
const char *qr_req_source(qr_req_t *r);
/* Requests the server is handling now, this one included. */
int qr_req_inflight(qr_req_t *r);

/* Streaming routes: the handler is called once before the body (QR_PHASE_BEGIN, after
 * the guard passed it), once per piece of body (QR_PHASE_DATA) and once at the end
 * (QR_PHASE_END). It answers at the end, or earlier to refuse (the rest of the body is
 * then discarded). */
enum { QR_PHASE_BEGIN = 0, QR_PHASE_DATA, QR_PHASE_END };
/* The current phase of a streaming request. */
int qr_req_phase(qr_req_t *r);
/* The piece of body of a QR_PHASE_DATA call. */
const void *qr_req_chunk(qr_req_t *r, size_t *len);
/* A handler's own state for a streaming request; free_fn (may be NULL) runs when the
 * request ends, also if the client goes away mid-upload. */
void qr_req_set_state(qr_req_t *r, void *state, void (*free_fn)(void *));
/* The state set with qr_req_set_state, or NULL. */
void *qr_req_state(qr_req_t *r);
/* 1 once the request has an answer. */
int qr_req_answered(qr_req_t *r);
/* Reads the next piece of a streamed answer into buf: bytes read, 0 at the end, -1 on an
 * error (the connection is then closed, so the client sees an incomplete answer). */
typedef long (*qr_stream_read_fn)(void *cls, char *buf, size_t max);
/* The size of a streamed answer whose length is not known in advance (sent chunked). */
#define QR_STREAM_SIZE_UNKNOWN (~0ULL)
/* Answers with a body produced piece by piece (size bytes in all, or
 * QR_STREAM_SIZE_UNKNOWN); free_fn(cls) runs when
 * the answer is done or abandoned. */
void qr_req_reply_stream(qr_req_t *r, int status, const char *content_type, unsigned long long size,
                         qr_stream_read_fn fn, void *cls, void (*free_fn)(void *));
/* In the QR_PHASE_BEGIN call of a streaming route: runs fn(r) on the slow worker pool (for
 * password hashing) once the handler returns, with the connection suspended meanwhile; no
 * body is read before fn has run. fn may answer (a refusal), set the handler's state, or
 * neither. */
void qr_req_defer(qr_req_t *r, qr_handler_fn fn);
/* Answers with status and a binary body of len bytes (copied) of content_type. */
void qr_req_reply_bytes(qr_req_t *r, int status, const char *content_type, const void *data,
                        size_t len);
/* A cookie sent by the client, or NULL. */
const char *qr_req_cookie(qr_req_t *r, const char *name);
/* Adds a response header (at most 4 per response; name and value are copied). */
void qr_req_add_header(qr_req_t *r, const char *name, const char *value);
/* Answers with status and an HTML page (copied). */
void qr_req_reply_html(qr_req_t *r, int status, const char *html);
/* Answers with a redirect (302 or 303) to location, which the caller has validated. */
void qr_req_redirect(qr_req_t *r, int status, const char *location);
/* Answers with status and a JSON body (the reference is stolen). */
void qr_req_reply_json(qr_req_t *r, int status, json_t *body);
/* Answers 204 No Content. */
void qr_req_reply_empty(qr_req_t *r);
/* Answers with the HTTP form of err: {"error": code, "message": text}. The one place that
 * maps a status to an HTTP code; it logs server errors once. */
void qr_req_reply_error(qr_req_t *r, const qr_err_t *err);

#endif
