/* SPDX-License-Identifier: Apache-2.0 */
/* quire: process counters for the metrics endpoint (OPS-3). Relaxed atomic increments on
 * the hot paths; nothing here names an organization, a user or an address. */
#ifndef QR_METRICS_H
#define QR_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct qr_metrics {
    atomic_ullong http_responses[6]; /* [0] no response, [1..5] 1xx..5xx */
    atomic_ullong password_ok, password_failed, password_throttled, accounts_locked;
    atomic_ullong backups_ok, backups_failed;
    atomic_llong backup_last_success; /* epoch seconds of the injected clock, 0 = never */
    atomic_llong tls_not_after;       /* expiry of the certificate served, 0 = unknown */
    int64_t started_at;               /* epoch seconds (wall clock) */
} qr_metrics_t;

/* Adds one to counter field of m (a qr_metrics_t *, may be NULL). */
#define qr_metrics_inc(m, field)                                                                   \
    do {                                                                                           \
        if (m)                                                                                     \
            atomic_fetch_add_explicit(&(m)->field, 1, memory_order_relaxed);                       \
    } while (0)

#endif
