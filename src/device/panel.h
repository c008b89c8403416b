/* SPDX-License-Identifier: Apache-2.0 */
/* quire: logging a person in at an MFP panel (AUTH-8, AUTH-9, AUTH-5): by username and
 * password, by PIN (alone or with the username, per the org's mode) or by ID card. Failures
 * are throttled per device, independently of the account lockout they also count toward. */
#ifndef QR_PANEL_H
#define QR_PANEL_H

#include <jansson.h>

#include "device/device.h"

typedef struct qr_panel_input {
    const char *method; /* "password", "pin" or "card" */
    const char *username, *password, *pin, *card;
} qr_panel_input_t;

/* Logs the person in at device d (a principal of kind QR_PRINCIPAL_DEVICE); *out is {access_token,
 * token_type, expires_in, user}. */
qr_status_t qr_panel_login(qr_ctx_t *ctx, const qr_principal_t *d, const qr_panel_input_t *in,
                           const char *source, json_t **out, qr_err_t *err);

#endif
