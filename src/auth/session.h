/* SPDX-License-Identifier: Apache-2.0 */
/* quire: sessions, access tokens and rotating refresh tokens (AUTH-7). A session is a
 * refresh-token family: reuse of a spent refresh token revokes the whole family. */
#ifndef QR_SESSION_H
#define QR_SESSION_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/login.h"
#include "store/db.h"
#include "tenancy/policy.h"

#define QR_ACCESS_TTL_S (15 * 60)
#define QR_SESSION_TTL_S (12 * 60 * 60)
#define QR_TOKEN_AUDIENCE "quire-api"

/* Opens a session for a user on connection c and issues its first tokens. client_id is the
 * OAuth client the tokens are issued to (NULL: quire's own login API); only that client can
 * refresh them. */
qr_status_t qr_session_start(qr_ctx_t *ctx, qr_dbc_t *c, const char *user_id, const char *org_id,
                             const char *client_id, int64_t now, qr_tokens_t *out, qr_err_t *err);
/* The claims of a token this server signed, without verifying it (for a token it has just
 * issued itself). New reference or NULL. */
json_t *qr_session_claims(const char *token);
#define QR_PANEL_TTL_S (5 * 60) /* a person's session at an MFP panel */

/* Opens a short session for a person logged in at a device's panel: an access token with a
 * device_id claim and no refresh token. */
qr_status_t qr_session_start_panel(qr_ctx_t *ctx, qr_dbc_t *c, const char *user_id,
                                   const char *org_id, const char *device_id, int64_t now,
                                   char **access_token, qr_err_t *err);
/* Exchanges a refresh token for new tokens (rotation). client_id is the client that presents
 * it, authenticated or (public client) identified; NULL for quire's own login API. A token
 * issued to another client (or to none) is refused with invalid_grant. */
qr_status_t qr_session_refresh(qr_ctx_t *ctx, const char *refresh_token, const char *client_id,
                               qr_tokens_t *out, qr_err_t *err);
/* Ends the principal's session: its access and refresh tokens stop working. */
qr_status_t qr_session_logout(qr_ctx_t *ctx, const qr_principal_t *p, qr_err_t *err);
/* Resolves a bearer access token to a principal (role and org read fresh from the
 * database). QR_E_UNAUTHORIZED if the token is invalid, expired or revoked. */
qr_status_t qr_session_authenticate(qr_ctx_t *ctx, const char *token, size_t len, qr_principal_t *p,
                                    qr_err_t *err);
/* Resolves an API client's client-credentials token (no session, no device) into a
 * principal of kind QR_PRINCIPAL_CLIENT (org_id, org_path, org_depth, client_id), if the
 * client still exists in its org. QR_E_UNAUTHORIZED otherwise. For the one authenticator
 * (api/principal.c). */
qr_status_t qr_session_authenticate_client(qr_ctx_t *ctx, const char *token, size_t len,
                                           qr_principal_t *p, qr_err_t *err);

#endif
