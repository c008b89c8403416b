/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the token signing keys (ES256). Private keys are kept in the database sealed with
 * AES-256-GCM under a key derived from the master key, so every server of a cluster signs
 * and verifies with the same set. Rotation adds a new key and retires the old one, which
 * stays published and accepted until every token it signed has expired: nobody is logged
 * out by a rotation. */
#ifndef QR_KEYRING_H
#define QR_KEYRING_H

#include <jansson.h>
#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"

#define QR_KEY_RELOAD_S 60 /* servers pick up a rotation done elsewhere within this time */

typedef struct qr_keyring qr_keyring_t;

/* Loads the keys from the database, creating the first one if there is none. */
qr_status_t qr_keyring_open(qr_ctx_t *ctx, qr_keyring_t **out, qr_err_t *err);
/* Frees the keyring; accepts NULL. */
void qr_keyring_destroy(qr_keyring_t *kr);
/* Signs claims with the newest key. Returns a new string (caller frees) or NULL. */
char *qr_keyring_sign(qr_ctx_t *ctx, const char *typ, const json_t *claims);
/* Verifies a token signed by any published key, with iss = public_url and the given aud.
 * Returns the claims (caller decrefs) or NULL. */
json_t *qr_keyring_verify(qr_ctx_t *ctx, const char *token, size_t len, const char *aud);
/* The JSON Web Key Set of the published keys: {"keys": [...]}. */
json_t *qr_keyring_jwks(qr_ctx_t *ctx);
/* Creates a new signing key and retires the others; kid receives its id. */
qr_status_t qr_keyring_rotate(qr_ctx_t *ctx, char kid[33], qr_err_t *err);

#endif
