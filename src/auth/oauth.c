/* SPDX-License-Identifier: Apache-2.0 */
/* quire: OAuth 2.0 grants, introspection and revocation. */
#include "auth/oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keyring.h"
#include "auth/session.h"
#include "report/audit.h"
#include "store/db.h"

qr_status_t qr_oauth_client_token(qr_ctx_t *ctx, const qr_client_t *cl, json_t **out,
                                  qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    char jti[QR_ID_LEN + 1];
    qr_random_id(jti);
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", ctx->cfg->public_url, "aud",
                  QR_TOKEN_AUDIENCE, "sub", cl->id, "client_id", cl->id, "org", cl->org_id, "iat",
                  (json_int_t)now, "exp", (json_int_t)(now + QR_ACCESS_TTL_S), "jti", jti);
    if (cl->device_id[0])
        json_object_set_new(claims, "device_id", json_string(cl->device_id));
    if (cl->scopes[0])
        json_object_set_new(claims, "scope", json_string(cl->scopes));
    char *tok = qr_keyring_sign(ctx, "at+jwt", claims);
    json_decref(claims);
    if (!tok)
        return qr_err_set(err, QR_E_CRYPTO, NULL, "could not sign the token");
    *out = json_pack("{s:s, s:s, s:i}", "access_token", tok, "token_type", "Bearer", "expires_in",
                     QR_ACCESS_TTL_S);
    if (cl->scopes[0])
        json_object_set_new(*out, "scope", json_string(cl->scopes));
    free(tok);
    return QR_OK;
}

static json_t *inactive(void) {
    return json_pack("{s:b}", "active", 0);
}

/* A refresh token's session, if the token is unspent and its session alive. */
static json_t *introspect_refresh(qr_ctx_t *ctx, const qr_client_t *cl, const char *token) {
    int64_t now = qr_clock_now(ctx->clock);
    char hash[65];
    qr_sha256_hex(token, strlen(token), hash);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    json_t *out = NULL;
    if (qr_db_q(c, &r, NULL,
                "SELECT s.user_id, s.org_id, rt.created_at, rt.expires_at FROM refresh_tokens rt "
                "JOIN sessions s ON s.id = rt.session_id WHERE rt.hash = ? AND rt.used = 0 AND "
                "s.revoked = 0 AND rt.expires_at > ? AND s.org_id = ?",
                QR_TEXT(hash), QR_INT(now), QR_TEXT(cl->org_id)) == QR_OK &&
        qr_dbres_rows(r) == 1)
        out = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I, s:s}", "active", 1, "token_type",
                        "refresh_token", "sub", qr_dbres_text(r, 0, 0), "org",
                        qr_dbres_text(r, 0, 1), "iat", (json_int_t)qr_dbres_int(r, 0, 2), "exp",
                        (json_int_t)qr_dbres_int(r, 0, 3), "iss", ctx->cfg->public_url);
    qr_dbres_free(r);
    qr_db_release(c);
    return out;
}

json_t *qr_oauth_introspect(qr_ctx_t *ctx, const qr_client_t *cl, const char *token) {
    size_t len = strlen(token);
    json_t *claims = qr_keyring_verify(ctx, token, len, QR_TOKEN_AUDIENCE);
    if (!claims) {
        json_t *rt = introspect_refresh(ctx, cl, token);
        return rt ? rt : inactive();
    }
    const char *org = json_string_value(json_object_get(claims, "org"));
    const char *client = json_string_value(json_object_get(claims, "client_id"));
    int active = org && strcmp(org, cl->org_id) == 0;
    if (active && json_object_get(claims, "sid")) {
        qr_principal_t p;
        qr_err_t err = {QR_OK, NULL, ""};
        active = qr_session_authenticate(ctx, token, len, &p, &err) == QR_OK;
    } else if (active) {
        active = client && qr_client_exists(ctx, client, org);
    }
    if (!active) {
        json_decref(claims);
        return inactive();
    }
    json_object_set_new(claims, "active", json_true());
    json_object_set_new(claims, "token_type", json_string("access_token"));
    json_object_del(claims, "sid");
    return claims;
}

void qr_oauth_revoke(qr_ctx_t *ctx, const qr_client_t *cl, const char *token) {
    int64_t now = qr_clock_now(ctx->clock);
    char sid[QR_ID_LEN + 1] = "", org[QR_ID_LEN + 1] = "", uid[QR_ID_LEN + 1] = "";
    char bound[QR_ID_LEN + 1] = "";
    json_t *claims = qr_keyring_verify(ctx, token, strlen(token), QR_TOKEN_AUDIENCE);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    if (claims) {
        const char *s = json_string_value(json_object_get(claims, "sid"));
        const char *o = json_string_value(json_object_get(claims, "org"));
        const char *u = json_string_value(json_object_get(claims, "sub"));
        if (qr_id_is_valid(s) && qr_id_is_valid(o) && qr_id_is_valid(u) &&
            qr_db_q(c, &r, NULL,
                    "SELECT id, org_id, user_id, client_id FROM sessions WHERE id = ? AND "
                    "org_id = ? AND user_id = ?",
                    QR_TEXT(s), QR_TEXT(o), QR_TEXT(u)) != QR_OK) {
            qr_dbres_free(r);
            r = NULL;
        }
    } else {
        char hash[65];
        qr_sha256_hex(token, strlen(token), hash);
        if (qr_db_q(c, &r, NULL,
                    "SELECT s.id, s.org_id, s.user_id, s.client_id FROM refresh_tokens rt JOIN "
                    "sessions s ON s.id = rt.session_id WHERE rt.hash = ?",
                    QR_TEXT(hash)) != QR_OK) {
            qr_dbres_free(r);
            r = NULL;
        }
    }
    if (r && qr_dbres_rows(r) == 1) {
        memcpy(sid, qr_dbres_text(r, 0, 0), QR_ID_LEN + 1);
        memcpy(org, qr_dbres_text(r, 0, 1), QR_ID_LEN + 1);
        memcpy(uid, qr_dbres_text(r, 0, 2), QR_ID_LEN + 1);
        if (!qr_dbres_isnull(r, 0, 3))
            snprintf(bound, sizeof(bound), "%s", qr_dbres_text(r, 0, 3));
    }
    int allowed = bound[0] ? cl && strcmp(cl->id, bound) == 0 : !cl || strcmp(cl->org_id, org) == 0;
    if (sid[0] && allowed) {
        long long changed = 0;
        qr_db_q(c, NULL, &changed,
                "UPDATE sessions SET revoked = 1 WHERE id = ? AND org_id = ? AND revoked = 0",
                QR_TEXT(sid), QR_TEXT(org));
        if (changed)
            qr_audit_write(c, now, org, cl ? cl->id : uid, "token_revoked", sid, "");
    }
    qr_dbres_free(r);
    qr_db_release(c);
    json_decref(claims);
}
