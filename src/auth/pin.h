/* SPDX-License-Identifier: Apache-2.0 */
/* quire: PINs and ID cards for logging in at an MFP panel (AUTH-8, AUTH-9, SEC-2). Both are
 * stored as an HMAC lookup key plus an AES-256-GCM ciphertext, never in the clear; a user
 * sees their own PIN, everyone else only whether one is set. */
#ifndef QR_PIN_H
#define QR_PIN_H

#include <jansson.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* Sets the principal's PIN. pin NULL: generate one. In the org's "pin_only" mode a PIN is
 * always generated (unique in the org, so that no "PIN taken" answer can leak another
 * user's PIN). *shown is the new PIN (caller frees). */
qr_status_t qr_pin_set(qr_ctx_t *ctx, const qr_principal_t *p, const char *pin, char **shown,
                       qr_err_t *err);
/* The principal's own PIN (caller frees); QR_E_NOT_FOUND if none is set. *pending (may be
 * NULL) is 1 the first time an admin-generated PIN is read (qr_pin_generate_for): that read
 * is its delivery, and later reads say 0. */
qr_status_t qr_pin_get(qr_ctx_t *ctx, const qr_principal_t *p, char **pin, int *pending,
                       qr_err_t *err);

/* How qr_pin_generate_for delivered a PIN. */
typedef enum qr_pin_delivery {
    QR_PIN_BY_EMAIL = 0, /* mailed to the user's address */
    QR_PIN_NEXT_SIGN_IN, /* kept sealed, shown to the user once by GET /api/v1/me/pin */
} qr_pin_delivery_t;
/* An admin of the user's org has a new PIN generated for user_id (AUTH-8, issue 13): drawn
 * like qr_pin_set's (unique in pin_only mode, the org's longest allowed length), usable at
 * the panel at once, and never shown to the admin: mailed to the user if the user has an
 * email address and the server mail, else kept pending for the user's next sign-in.
 * Audited without the PIN. A user the principal may not change: QR_E_NOT_FOUND /
 * QR_E_FORBIDDEN as for other user changes. */
qr_status_t qr_pin_generate_for(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                                qr_pin_delivery_t *delivery, qr_err_t *err);
/* Finds the user for a PIN at a device of org_id. With username (user+PIN mode) the PIN
 * is checked for that user and a wrong one counts toward the lockout; without it
 * (pin_only mode) the PIN identifies the user. Fills uid. */
qr_status_t qr_pin_login(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *username,
                         const char *pin, int64_t now, char uid[33], qr_err_t *err);
/* Finds the user of a card number in org_id. */
qr_status_t qr_card_login(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *card,
                          int64_t now, char uid[33], qr_err_t *err);
/* A registered card as its owner and admins see it: never the number, only its end. */
typedef struct qr_card {
    char id[QR_ID_LEN + 1];
    char user_id[QR_ID_LEN + 1];
    char number[16]; /* masked: "****" and the last 4 characters */
    long long created_at;
} qr_card_t;

/* Registers a card for the principal, who must be logged in at a device's panel; fills *out. */
qr_status_t qr_card_add(qr_ctx_t *ctx, const qr_principal_t *p, const char *card, qr_card_t *out,
                        qr_err_t *err);
/* Lists the cards of user_id (NULL: the principal's own) by registration into a new array
 * *items of *n (caller frees the array; NULL when there are none). */
qr_status_t qr_card_list_read(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                              qr_card_t **items, size_t *n, qr_err_t *err);

/* Deletes a card of user_id (NULL: the principal's own). */
qr_status_t qr_card_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                           const char *card_id, qr_err_t *err);

#endif
