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
 * its org and carrying cl->scopes (the granted ones, qr_client_grant) as its "scope"; no
 * refresh token. *out is the token response. */
qr_status_t qr_oauth_client_token(qr_ctx_t *ctx, const qr_client_t *cl, json_t **out,
                                  qr_err_t *err);
/* Introspects an access or refresh token for client cl: {"active": false} unless the token
 * is valid and belongs to the client's own organization. */
json_t *qr_oauth_introspect(qr_ctx_t *ctx, const qr_client_t *cl, const char *token);
/* Revokes a refresh token or a user access token (its whole session) for client cl (NULL:
 * no client, as quire's own login API). A token issued to a client is revoked only by that
 * client (RFC 7009 2.1); one of the login API (no client) by its holder, or by a client of
 * its org. Anything else, and unknown tokens, are left alone without error (RFC 7009 2.2). */
void qr_oauth_revoke(qr_ctx_t *ctx, const qr_client_t *cl, const char *token);

#endif
