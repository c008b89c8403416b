/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the OAuth 2.0 token endpoint's grants, token introspection (RFC 7662) and token
 * revocation (RFC 7009). */
#ifndef QR_OAUTH_H
#define QR_OAUTH_H

#include <jansson.h>

#include "auth/client.h"
#include "core/ctx.h"
#include "core/error.h"

/* Client credentials grant (RFC 6749 4.4): an access token for the client itself, scoped to
 * its org; no refresh token. *out is the token response. */
qr_status_t qr_oauth_client_token(qr_ctx_t *ctx, const qr_client_t *cl, json_t **out,
                                  qr_err_t *err);
/* Introspects an access or refresh token for client cl: {"active": false} unless the token
 * is valid and belongs to the client's own organization. */
json_t *qr_oauth_introspect(qr_ctx_t *ctx, const qr_client_t *cl, const char *token);
/* Revokes a refresh token or a user access token (its whole session). cl may be NULL
 * (public client: possession of the token suffices); otherwise tokens of other orgs are
 * left alone. Unknown tokens are not an error (RFC 7009 2.2). */
void qr_oauth_revoke(qr_ctx_t *ctx, const qr_client_t *cl, const char *token);

#endif
