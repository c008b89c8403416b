/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what the files of the HTTP server share (request.c, reply.c, router.c, tls.c):
 * the server and request structures and the calls between the files. Not for other
 * modules: they use http/server.h. */
#ifndef QR_HTTP_SERVER_PRIVATE_H
#define QR_HTTP_SERVER_PRIVATE_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "http/forwarded.h"
#include "http/query.h"
#include "http/server.h"

struct qr_http {
    qr_ctx_t *ctx;
    struct MHD_Daemon *d;
    const qr_route_t *routes;
    size_t nroutes;
    qr_guard_fn guard;
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

struct out_stream {
    qr_stream_read_fn fn;
    void *cls;
    void (*free_fn)(void *);
    unsigned long long size;
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
    union {
        unsigned char bytes[QR_REQ_AUTH_MAX];
        max_align_t align;
    } auth; /* the guard's, opaque here */
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

/* request.c: called by MHD with the raw request target before anything else; allocates the
 * request (cls is the server). */
void *qr__req_create(void *cls, const char *uri, struct MHD_Connection *conn);
/* request.c: called by MHD when a request ends, answered or not; frees it. */
void qr__req_destroy(void *cls, struct MHD_Connection *conn, void **req_cls,
                     enum MHD_RequestTerminationCode toe);
/* request.c: sets r->source, the client's address (behind trusted proxies, the one they
 * name). */
void qr__req_client_address(qr_req_t *r);

/* reply.c: frees a streamed answer's state (runs its free_fn). */
void qr__out_stream_free(void *cls);
/* reply.c: answers with err built from st, code and a printf-style message. */
void qr__req_reply_errf(qr_req_t *r, qr_status_t st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* reply.c: hands the request's answer to MHD, with the security headers. */
enum MHD_Result qr__req_send(qr_req_t *r);

/* router.c: MHD's access handler: collects the body, routes, checks and runs the handler. */
enum MHD_Result qr__http_access(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls);

#endif
