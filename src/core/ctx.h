/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the server context. All state lives here and is passed down explicitly; there
 * are no mutable globals. */
#ifndef QR_CTX_H
#define QR_CTX_H

#include "core/clock.h"
#include "core/config.h"

struct qr_db;
struct qr_keys;
struct qr_workq;
struct qr_common_passwords;
struct qr_throttle;
struct qr_keyring;
struct qr_scan_workers;
struct qr_mailer;
struct qr_metrics;
struct qr_credcache;

typedef struct qr_ctx {
    const qr_config_t *cfg;
    struct qr_db *db;
    qr_clock_t *clock;
    const struct qr_keys *keys;
    struct qr_workq *slowq;                   /* Argon2id and other slow work */
    struct qr_mailer *mailer;                 /* mail sent in the background */
    const struct qr_common_passwords *common; /* AUTH-2 list */
    struct qr_throttle *throttle;             /* failed logins per source address */
    struct qr_keyring *keyring;               /* token signing keys */
    struct qr_scan_workers *scanq;            /* scan pipeline and delivery threads (or NULL) */
    struct qr_metrics *metrics;               /* counters for GET /metrics (OPS-3) */
    struct qr_credcache *credcache; /* verified HTTP Basic credentials (issue 15), or NULL */
    char *dummy_hash; /* verified when there is no real hash, so timing reveals nothing */
    /* The server's periodic upkeep beyond the domain's sweeps (TLS certificate renewal and
     * reload), set by quired; moving the test clock runs it too. NULL elsewhere. */
    void (*upkeep)(struct qr_ctx *ctx);
    void *upkeep_arg;
} qr_ctx_t;

#endif
