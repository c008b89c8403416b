/* SPDX-License-Identifier: Apache-2.0 */
/* quire: OAuth 2.0 API clients of an organization (confidential clients that use the
 * client credentials grant, RFC 6749 4.4). The secret is shown once at creation and kept
 * only as SHA-256 (it is 256 random bits, so a slow hash adds nothing). */
#ifndef QR_CLIENT_H
#define QR_CLIENT_H

#include <jansson.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "tenancy/policy.h"

/* A client. name, created_by, created_at and last_used_at are read by create and list only
 * (lookup and authenticate leave them empty). redirect_uris is stored as JSON text and kept as
 * a JSON array. A client with scopes is an API key (REP-5): confidential, no redirect URIs,
 * its client-credentials tokens read what its scopes name in its own org. */
typedef struct qr_client {
    char id[QR_ID_LEN + 1];
    char org_id[QR_ID_LEN + 1];
    int is_public;                 /* a public client (browser or native app): no secret, PKCE */
    char device_id[QR_ID_LEN + 1]; /* set for a device\'s credentials (AUTH-11) */
    json_t *redirect_uris;         /* owned; release with qr_client_clear */
    char *name;                    /* owned */
    long long created_at;
    int any_org;                    /* the web portal's client: people of every org use it */
    char scopes[QR_SCOPES_MAX];     /* space-separated, "" for a client that is no API key */
    char created_by[QR_ID_LEN + 1]; /* the admin who registered it ("" if unknown) */
    long long last_used_at;         /* when it last got a token; 0: never */
} qr_client_t;

/* Frees what a qr_client_t owns. */
void qr_client_clear(qr_client_t *cl);
/* Loads a client by id (no authentication). QR_E_NOT_FOUND if there is none. */
qr_status_t qr_client_lookup(qr_ctx_t *ctx, const char *id, qr_client_t *out);
/* 1 if uri is registered for the client, compared exactly (RFC 9700 2.1). */
int qr_client_has_redirect(const qr_client_t *cl, const char *uri);

/* Registers a client named name in org_id with its redirect URIs (array of strings, may be
 * NULL) and kind into *out (caller clears); for a confidential client *secret receives,
 * once, the client secret (caller wipes and frees), else NULL. scopes (array of strings, may
 * be NULL) makes it an API key: at least one of QR_CLIENT_SCOPES, confidential, no redirect
 * URIs (400 otherwise), and only if the org's license has the feature "api_keys" (403
 * feature_disabled). Audited. */
qr_status_t qr_client_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                             const char *name, json_t *redirect_uris, int is_public, json_t *scopes,
                             qr_client_t *out, char **secret, qr_err_t *err);
/* Lists the API clients of org_id (not devices' credentials; never their secrets) by creation
 * into a new array *items of *n (qr_client_list_free). */
qr_status_t qr_client_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           qr_client_t **items, size_t *n, qr_err_t *err);
/* Frees n clients and the array; accepts NULL. */
void qr_client_list_free(qr_client_t *v, size_t n);
/* Deletes a client; tokens it holds stop working at once. */
qr_status_t qr_client_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Checks a client id and secret (constant time). QR_E_UNAUTHORIZED with code
 * invalid_client if they do not match a client. */
qr_status_t qr_client_authenticate(qr_ctx_t *ctx, const char *id, const char *secret,
                                   qr_client_t *out, qr_err_t *err);
/* 1 if the client still exists (its tokens are valid only while it does). */
int qr_client_exists(qr_ctx_t *ctx, const char *id, const char *org_id);

/* The client credentials grant's scope (RFC 6749 3.3) for an authenticated client cl. For
 * an API key, requested (space-separated, NULL or "" for all of the key's) must be a subset
 * of cl->scopes (400 invalid_scope naming them otherwise), and its org must still have the
 * feature "api_keys" (400 unauthorized_client); on QR_OK cl->scopes is narrowed to the
 * granted scopes and the key's last_used_at is set to now. Other clients: QR_OK, requested
 * ignored. */
qr_status_t qr_client_grant(qr_ctx_t *ctx, qr_client_t *cl, const char *requested, qr_err_t *err);
/* The scopes of words (space-separated) that are also in allowed, in allowed's order, into
 * out. */
void qr_client_scopes_meet(const char *words, const char *allowed, char out[QR_SCOPES_MAX]);

#endif
