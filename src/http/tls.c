/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the HTTPS listener: starting the MHD daemon with TLS 1.2/1.3 on the configured
 * address, reloading a renewed certificate with a second daemon that takes over the port,
 * and the graceful stop. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/text.h"
#include "crypto/keys.h"
#include "http/server_private.h"

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
        h->flags, (uint16_t)port, NULL, NULL, qr__http_access, h, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_HTTPS_MEM_CERT, h->cert,
        MHD_OPTION_HTTPS_MEM_KEY, h->key, MHD_OPTION_HTTPS_PRIORITIES,
        "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)cfg->threads, MHD_OPTION_URI_LOG_CALLBACK, qr__req_create, h,
        MHD_OPTION_NOTIFY_COMPLETED, qr__req_destroy, h, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_LIMIT, 2048u, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
}

qr_http_t *qr_http_start(qr_ctx_t *ctx, const qr_route_t *routes, size_t nroutes, qr_guard_fn guard,
                         qr_err_t *err) {
    const qr_config_t *cfg = ctx->cfg;
    qr_http_t *h = qr_xcalloc(1, sizeof(*h));
    h->ctx = ctx;
    h->routes = routes;
    h->nroutes = nroutes;
    h->guard = guard;
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
