/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the authorization code grant with PKCE (RFC 6749 4.1, RFC 7636) and OpenID
 * Connect ID tokens. Codes are single use, live 60 seconds, are bound to the client, the
 * redirect URI and an S256 code challenge; a code presented twice revokes what it issued. */
#ifndef QR_AUTHORIZE_H
#define QR_AUTHORIZE_H

#include <jansson.h>
#include <stdint.h>

#include "auth/client.h"
#include "core/ctx.h"
#include "core/error.h"

#define QR_CODE_TTL_S 60

/* Issues a code for the user (who must belong to the client's org), signed in by the web
 * session web_session (its handle); the tokens it yields end with that session. *code is a
 * new string. */
qr_status_t qr_authz_issue(qr_ctx_t *ctx, const qr_client_t *cl, const char *user_id,
                           const char *web_session, const char *redirect_uri, const char *challenge,
                           const char *scope, const char *nonce, int64_t auth_time, char **code,
                           qr_err_t *err);
/* Redeems a code at the token endpoint. *out is the token response (with an id_token when
 * the scope had openid). Errors carry the RFC 6749 codes (invalid_grant...). */
qr_status_t qr_authz_redeem(qr_ctx_t *ctx, const qr_client_t *cl, const char *code,
                            const char *redirect_uri, const char *verifier, json_t **out,
                            qr_err_t *err);
/* The slug of org_id into out (for the login form), or an empty string. */
void qr_authz_org_slug(qr_ctx_t *ctx, const char *org_id, char *out, size_t outlen);
/* The OpenID Connect userinfo claims of a user. NULL if there is no such user. */
json_t *qr_authz_userinfo(qr_ctx_t *ctx, const char *user_id, const char *org_id);

#endif
