/* SPDX-License-Identifier: Apache-2.0 */
/* quire: logging a person in at an MFP panel (AUTH-8, AUTH-9, AUTH-5): by username and
 * password, by PIN (alone or with the username, per the org's mode) or by ID card. Failures
 * are throttled per device, independently of the account lockout they also count toward. */
#ifndef QR_PANEL_H
#define QR_PANEL_H

#include "device/device.h"

typedef struct qr_panel_input {
    const char *method; /* "password", "pin" or "card" */
    const char *username, *password, *pin, *card;
} qr_panel_input_t;

/* A person's short session at a device's panel, as qr_panel_login opens it. */
typedef struct qr_panel_session {
    char *access_token; /* owned; the panel session's bearer token */
    int expires_in;     /* seconds (QR_PANEL_TTL_S) */
    char user_id[QR_ID_LEN + 1];
    char *username, *first_name, *last_name; /* owned */
} qr_panel_session_t;

/* Frees the members of s (the token wiped first) and zeroes it; accepts a zeroed struct. */
void qr_panel_session_clear(qr_panel_session_t *s);

/* Logs the person in at device d (a principal of kind QR_PRINCIPAL_DEVICE); *out
 * (clear it) is the session. */
qr_status_t qr_panel_login(qr_ctx_t *ctx, const qr_principal_t *d, const qr_panel_input_t *in,
                           const char *source, qr_panel_session_t *out, qr_err_t *err);

#endif
