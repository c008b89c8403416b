/* SPDX-License-Identifier: Apache-2.0 */
/* quire: failure counters per source (address or device), independent of the account
 * lockout (AUTH-5): a fixed-size table, so an attacker cannot grow memory. */
#ifndef QR_THROTTLE_H
#define QR_THROTTLE_H

#include <stdint.h>

typedef struct qr_throttle qr_throttle_t;

/* Creates a table of counters over windows of window_s seconds. Aborts on OOM. */
qr_throttle_t *qr_throttle_create(int window_s);
/* Frees the table; accepts NULL. */
void qr_throttle_destroy(qr_throttle_t *t);
/* 1 if key has reached limit failures in the current window. Thread-safe. */
int qr_throttle_is_blocked(qr_throttle_t *t, const char *key, int64_t now, int limit);
/* Counts one failure for key. Thread-safe. */
void qr_throttle_add(qr_throttle_t *t, const char *key, int64_t now);

#endif
