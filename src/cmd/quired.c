/* SPDX-License-Identifier: Apache-2.0 */
/* quired: the quire server. With no arguments it serves a working single-machine install
 * on https://localhost:8443, creating its data directory, database, master key and a
 * self-signed certificate on first start. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/login.h"
#include "auth/throttle.h"
#include "cmd/app.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mem.h"
#include "crypto/keys.h"
#include "http/server.h"
#include "print/dnssd.h"
#include "print/job.h"
#include "scan/scan.h"
#include "scan/worker.h"
#include "store/backup.h"
#include "tenancy/org.h"

#define SHUTDOWN_GRACE_S 30
#define SWEEP_INTERVAL_S 60

/* The background sweeper: expired jobs and orphaned documents (PRN-6, DESIGN rule 6). */
struct sweeper {
    qr_ctx_t *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

#define TLS_RENEW_BEFORE_S (30 * 86400) /* quire's own certificate: renewed this early */
#define TLS_WARN_BEFORE_S (14 * 86400)  /* an operator's: warned about this early */

/* What the TLS upkeep remembers between runs. */
struct tls_upkeep {
    qr_http_t *http;
    pthread_mutex_t mu;  /* the sweeper and the test clock may both run it */
    int64_t last_warned; /* injected-clock time of the last expiry warning */
};

/* OPS-4: renews quire's own self-signed certificate 30 days before it expires, warns daily
 * about an operator's certificate in its last 14 days, and serves the files anew whenever
 * they change (a renewal by certbot or by us), without a restart. */
static void tls_upkeep(qr_ctx_t *ctx) {
    struct tls_upkeep *u = ctx->upkeep_arg;
    const qr_config_t *cfg = ctx->cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    pthread_mutex_lock(&u->mu);
    int64_t now = qr_clock_now(ctx->clock), not_after = 0;
    int mine = 0;
    if (qr_tls_cert_info(cfg->tls_cert, &not_after, &mine) == QR_OK) {
        if (mine && not_after - now < TLS_RENEW_BEFORE_S) {
            if (qr_tls_renew_self_signed(cfg->tls_cert, cfg->tls_key, &err))
                qr_log_error("tls_renew_failed", "%s", err.msg);
            else
                qr_log_info("tls_renewed", "made a new self-signed certificate (the old one "
                                           "expired within 30 days)");
        } else if (!mine && not_after - now < TLS_WARN_BEFORE_S && now - u->last_warned >= 86400) {
            u->last_warned = now;
            qr_log_warn("tls_expiring", "the TLS certificate %s expires in %lld days: renew it",
                        cfg->tls_cert, (long long)((not_after - now) / 86400));
        }
    }
    int reloaded = 0;
    if (qr_http_reload_tls(u->http, &reloaded, &err))
        qr_log_error("tls_reload_failed", "%s", err.msg);
    else if (reloaded)
        qr_log_info("tls_reloaded", "serving the certificate in %s", cfg->tls_cert);
    if (qr_tls_cert_info(cfg->tls_cert, &not_after, &mine) == QR_OK)
        atomic_store(&ctx->metrics->tls_not_after, (long long)not_after);
    pthread_mutex_unlock(&u->mu);
}

static void *sweep_loop(void *arg) {
    struct sweeper *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += SWEEP_INTERVAL_S;
        while (!s->stop && pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->mu);
        int n = qr_job_sweep(s->ctx) + qr_scan_sweep(s->ctx);
        qr_org_sweep_audit(s->ctx); /* TEN-8: audit retention */
        if (n)
            qr_log_info("sweep", "removed %d expired or orphaned documents", n);
        qr_dbc_t *c = qr_db_acquire(s->ctx->db);
        qr_throttle_sweep(s->ctx->throttle, c, qr_clock_now(s->ctx->clock));
        qr_login_sweep(c, qr_clock_now(s->ctx->clock)); /* AUTH-5 wrong-password tags */
        qr_db_release(c);
        qr_backup_tick(s->ctx); /* SEC-3: daily, by one server of the database */
        if (s->ctx->upkeep)
            s->ctx->upkeep(s->ctx);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void stop_sweeper(struct sweeper *sw, pthread_t thread, int *running) {
    if (!*running)
        return;
    pthread_mutex_lock(&sw->mu);
    sw->stop = 1;
    pthread_cond_signal(&sw->cv);
    pthread_mutex_unlock(&sw->mu);
    pthread_join(thread, NULL);
    *running = 0;
}

static void usage(FILE *f) {
    fprintf(f, "usage: quired [--config FILE]\n"
               "Serves quire over HTTPS. Settings come from FILE (or $QUIRE_CONFIG) and\n"
               "QUIRE_* environment variables; see docs/configuration.md.\n");
}

int main(int argc, char **argv) {
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "quired: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }

    /* Signals are taken synchronously by the main thread; every thread inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    int rc = 1;
    qr_http_t *http = NULL;
    qr_route_t *routes = NULL;
    qr_dnssd_t *dnssd = NULL;
    struct sweeper sw = {NULL, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t sweeper_thread;
    int sweeping = 0;
    int lock_fd = -1;
    if (qr_app_open(&ctx, &cfg, config_path, 1, &err)) {
        fprintf(stderr, "quired: %s\n", err.msg);
        goto out;
    }
    if (cfg.test_clock)
        qr_log_warn("test_clock", "the test clock is enabled: never do this in production");
    /* While it runs, `quire restore` refuses to replace this data directory under it. */
    lock_fd = qr_backup_hold_lock(cfg.data_dir);
    if (lock_fd < 0) {
        fprintf(stderr, "quired: %s is being restored (or its .lock cannot be opened)\n",
                cfg.data_dir);
        goto out;
    }

    char *org_id = NULL, *password = NULL;
    if (qr_org_bootstrap(&ctx, "admin", &org_id, &password, &err)) {
        fprintf(stderr, "quired: %s\n", err.msg);
        goto out;
    }
    if (password) {
        printf("\n"
               "  quire is set up. Sign in once with this one-time password:\n"
               "    organization: root\n"
               "    username:     admin\n"
               "    password:     %s\n"
               "  It is shown only now; change it after signing in.\n\n",
               password);
        fflush(stdout);
        memset(password, 0, strlen(password));
        free(password);
    }
    free(org_id);

    /* The test clock exists only when it is switched on: otherwise its path is unknown. */
    routes = qr_xcalloc(qr_api_nroutes, sizeof(*routes));
    size_t nroutes = 0;
    for (size_t i = 0; i < qr_api_nroutes; i++)
        if (cfg.test_clock || qr_api_routes[i].fn != qr_api_test_clock)
            routes[nroutes++] = qr_api_routes[i];
    /* The first sweep runs before serving: what a crash left behind is gone before anyone
     * can ask for it. */
    int swept = qr_job_sweep(&ctx) + qr_scan_sweep(&ctx);
    if (swept)
        qr_log_info("sweep", "removed %d expired or orphaned documents at start", swept);
    sw.ctx = &ctx;
    /* Scans queued or interrupted before a restart are taken up again (DESIGN rule 6). */
    ctx.scanq = qr_scan_workers_start(&ctx, cfg.scan_workers);
    http = qr_http_start(&ctx, routes, nroutes, qr_api_guard, &err);
    if (!http) {
        fprintf(stderr, "quired: %s\n", err.msg);
        goto out;
    }
    struct tls_upkeep up = {http, PTHREAD_MUTEX_INITIALIZER, INT64_MIN / 2};
    ctx.upkeep_arg = &up;
    ctx.upkeep = tls_upkeep;
    tls_upkeep(&ctx);
    sweeping = pthread_create(&sweeper_thread, NULL, sweep_loop, &sw) == 0;
    qr_log_info("listening", "serving https://%s:%d (database %s)", cfg.listen, qr_http_port(http),
                strncmp(cfg.database, "sqlite:", 7) == 0 ? cfg.database : "postgresql");
    /* On-premises discovery (issue 15): the queue on the local network, if dnssd is on. */
    dnssd = qr_dnssd_start(&ctx, qr_http_port(http));
    int sig = 0;
    sigwait(&set, &sig);
    qr_log_info("shutdown", "signal %d: finishing in-flight requests", sig);
    qr_dnssd_stop(dnssd);
    dnssd = NULL;
    /* The sweeper's upkeep uses the server: it stops first. */
    stop_sweeper(&sw, sweeper_thread, &sweeping);
    qr_http_stop(http, SHUTDOWN_GRACE_S);
    rc = 0;
out:
    qr_dnssd_stop(dnssd);
    qr_scan_workers_stop(ctx.scanq);
    ctx.scanq = NULL;
    stop_sweeper(&sw, sweeper_thread, &sweeping);
    free(routes);
    if (lock_fd >= 0)
        close(lock_fd);
    if (ctx.cfg)
        qr_app_close(&ctx, &cfg);
    else
        qr_config_free(&cfg);
    if (rc == 0)
        qr_log_info("stopped", "quired stopped");
    return rc;
}
