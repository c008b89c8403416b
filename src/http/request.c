/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the HTTP request: its life cycle (created on the raw target, freed when MHD is done
 * with it), the client's address, and the accessors handlers read. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/json.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/text.h"
#include "http/server_private.h"

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

void *qr_req_auth(qr_req_t *r) {
    return r->auth.bytes;
}

const char *qr_req_source(qr_req_t *r) {
    return r->source;
}

int qr_req_inflight(qr_req_t *r) {
    pthread_mutex_lock(&r->http->mu);
    int n = r->http->inflight;
    pthread_mutex_unlock(&r->http->mu);
    return n;
}

/* Called by MHD with the raw request target before anything else. */
void *qr__req_create(void *cls, const char *uri, struct MHD_Connection *conn) {
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

void qr__req_destroy(void *cls, struct MHD_Connection *conn, void **req_cls,
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
        qr__out_stream_free(r->out);
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
void qr__req_client_address(qr_req_t *r) {
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
