/* SPDX-License-Identifier: Apache-2.0 */
/* quire: per-organization document keys (SEC-2): a random AES-256 key per org, stored only
 * wrapped (AES-256-GCM) under a key derived from the master key, created on first use. */
#ifndef QR_DATAKEY_H
#define QR_DATAKEY_H

#include "core/ctx.h"
#include "core/error.h"

/* Fills key with org_id's document key, creating it on first use (race-free across
 * servers: the first insert wins and everyone reads it back). */
qr_status_t qr_datakey_get(qr_ctx_t *ctx, const char *org_id, unsigned char key[32], qr_err_t *err);

#endif
