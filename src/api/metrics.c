/* SPDX-License-Identifier: Apache-2.0 */
/* quire: GET /metrics (OPS-3), Prometheus' text format 0.0.4. Only process-wide figures:
 * nothing names an organization, a user or an address. Served to loopback clients, or to
 * anyone presenting metrics_token as a bearer token when one is configured. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/metrics.h"
#include "core/workq.h"
#include "crypto/random.h"

#define METRICS_MAX (16 * 1024)

/* The caller may read the metrics: with a token configured, exactly that bearer token;
 * without one, a loopback client only. The one place besides IPP's Basic path where a
 * handler reads the Authorization header itself: metrics_token is a static shared secret of
 * the operator's scraper, not a principal (no org, no user, no device), so the one
 * authenticator (api/principal.c) does not know it. */
static int allowed(qr_req_t *r) {
    const char *token = qr_req_ctx(r)->cfg->metrics_token;
    if (token && *token) {
        const char *a = qr_req_header(r, "Authorization");
        size_t n = strlen(token);
        return a && strncmp(a, "Bearer ", 7) == 0 && strlen(a + 7) == n &&
               qr_ct_equal(a + 7, token, n);
    }
    const char *src = qr_req_source(r);
    return strncmp(src, "127.", 4) == 0 || strcmp(src, "::1") == 0;
}

static void metric(qr_buf_t *b, const char *name, const char *type, const char *help) {
    char line[256];
    snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
    qr_buf_puts(b, line);
}

static void sample(qr_buf_t *b, const char *name, const char *labels, long long v) {
    char line[256];
    snprintf(line, sizeof(line), "%s%s %lld\n", name, labels ? labels : "", v);
    qr_buf_puts(b, line);
}

void qr_api_metrics(qr_req_t *r) {
    if (!allowed(r)) {
        qr_err_t err = {QR_OK, NULL, ""};
        qr_err_set(&err, QR_E_FORBIDDEN, NULL,
                   "metrics are served to loopback clients, or with the bearer token set as "
                   "metrics_token");
        qr_req_reply_error(r, &err);
        return;
    }
    qr_ctx_t *ctx = qr_req_ctx(r);
    qr_metrics_t *m = ctx->metrics;
    qr_buf_t b;
    qr_buf_init(&b, METRICS_MAX);
    metric(&b, "quire_http_responses_total", "counter",
           "HTTP responses sent, by status class (none: the client went away first).");
    static const char *const cls[] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i < 6; i++) {
        char l[32];
        snprintf(l, sizeof(l), "{code=\"%s\"}", cls[i]);
        sample(&b, "quire_http_responses_total", l, (long long)atomic_load(&m->http_responses[i]));
    }
    metric(&b, "quire_http_requests_in_flight", "gauge", "Requests being handled now.");
    sample(&b, "quire_http_requests_in_flight", NULL, qr_req_inflight(r));
    metric(&b, "quire_password_checks_total", "counter",
           "Password entries (portal, API, panel, IPP) by outcome; throttled: refused by the "
           "per-source limit before any check.");
    sample(&b, "quire_password_checks_total", "{result=\"ok\"}",
           (long long)atomic_load(&m->password_ok));
    sample(&b, "quire_password_checks_total", "{result=\"failed\"}",
           (long long)atomic_load(&m->password_failed));
    sample(&b, "quire_password_checks_total", "{result=\"throttled\"}",
           (long long)atomic_load(&m->password_throttled));
    metric(&b, "quire_accounts_locked_total", "counter",
           "Accounts locked after 3 failed entries in 15 minutes (AUTH-5).");
    sample(&b, "quire_accounts_locked_total", NULL, (long long)atomic_load(&m->accounts_locked));
    metric(&b, "quire_password_hash_queue", "gauge",
           "Password checks waiting for an Argon2id worker (503 when hash_queue is full).");
    sample(&b, "quire_password_hash_queue", NULL, qr_workq_pending(ctx->slowq));
    metric(&b, "quire_backups_total", "counter", "Automatic backups by outcome (SEC-3).");
    sample(&b, "quire_backups_total", "{result=\"ok\"}", (long long)atomic_load(&m->backups_ok));
    sample(&b, "quire_backups_total", "{result=\"failed\"}",
           (long long)atomic_load(&m->backups_failed));
    metric(&b, "quire_backup_last_success_timestamp_seconds", "gauge",
           "When this server last wrote an automatic backup (0: not yet).");
    sample(&b, "quire_backup_last_success_timestamp_seconds", NULL,
           (long long)atomic_load(&m->backup_last_success));
    metric(&b, "quire_tls_certificate_expiry_timestamp_seconds", "gauge",
           "When the TLS certificate being served expires (Unix time; 0: unknown).");
    sample(&b, "quire_tls_certificate_expiry_timestamp_seconds", NULL,
           (long long)atomic_load(&m->tls_not_after));
    metric(&b, "quire_start_time_seconds", "gauge", "When this server started (Unix time).");
    sample(&b, "quire_start_time_seconds", NULL, (long long)m->started_at);
    qr_req_reply_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.ptr, b.len);
    qr_buf_free(&b);
}
