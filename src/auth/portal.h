/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the web portal's built-in OAuth client (public, PKCE, first party): one client for
 * the people of every org, whose only redirect URI is the portal's callback on public_url. */
#ifndef QR_AUTH_PORTAL_H
#define QR_AUTH_PORTAL_H

#include "auth/client.h"
#include "core/ctx.h"
#include "core/error.h"
#include "tenancy/policy.h"

#define QR_PORTAL_CLIENT_ID "00000000000000000000000000000001"
#define QR_PORTAL_CALLBACK "/callback"

/* If id is the portal's client: makes sure its row exists (codes and sessions refer to it),
 * fills *out (redirect URI public_url + QR_PORTAL_CALLBACK, any_org set), sets *st and
 * returns 1. Returns 0 for any other id. */
int qr_portal_client_get(qr_ctx_t *ctx, const char *id, qr_client_t *out, qr_status_t *st);
/* Signs out: ends the session of the principal's access token and the browser session it
 * was issued from (with every other session issued from that browser session). */
qr_status_t qr_portal_signout(qr_ctx_t *ctx, const qr_principal_t *p, qr_err_t *err);

#endif
