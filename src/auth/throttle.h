/* SPDX-License-Identifier: Apache-2.0 */
/* quire: failure counters per source (address or device), independent of the account
 * lockout (AUTH-5). The counters live in the database, so every server sharing it counts
 * the same failures: a source gets its limit once, not once per server. */
#ifndef QR_THROTTLE_H
#define QR_THROTTLE_H

#include <stdint.h>

#include "store/db.h"

typedef struct qr_throttle qr_throttle_t;

/* Creates a throttle counting over fixed windows of window_s seconds. Aborts on OOM. */
qr_throttle_t *qr_throttle_create(int window_s);
/* Frees the throttle; accepts NULL. */
void qr_throttle_destroy(qr_throttle_t *t);
/* 1 if key has reached limit failures in the current window (a database error counts as
 * not blocked: the account lockout still guards every account). */
int qr_throttle_is_blocked(qr_throttle_t *t, qr_dbc_t *c, const char *key, int64_t now, int limit);
/* Counts one failure for key. */
void qr_throttle_add(qr_throttle_t *t, qr_dbc_t *c, const char *key, int64_t now);
/* Deletes the counters of past windows; returns how many. */
int qr_throttle_sweep(qr_throttle_t *t, qr_dbc_t *c, int64_t now);

#endif
