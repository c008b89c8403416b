/* SPDX-License-Identifier: Apache-2.0 */
/* quire: authorization codes, PKCE and ID tokens. */
#include "auth/authorize.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keyring.h"
#include "auth/session.h"
#include "core/log.h"
#include "crypto/random.h"
#include "report/audit.h"
#include "store/db.h"

#define ID_TOKEN_TTL_S 900

qr_status_t qr_authz_issue(qr_ctx_t *ctx, const qr_client_t *cl, const char *user_id,
                           const char *web_session, const char *redirect_uri, const char *challenge,
                           const char *scope, const char *nonce, int64_t auth_time, char **code,
                           qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    unsigned char raw[32];
    char hash[65];
    qr_random_bytes(raw, sizeof(raw));
    *code = qr_b64url_encode(raw, sizeof(raw));
    qr_sha256_hex(*code, strlen(*code), hash);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_db_q(
        c, NULL, NULL,
        "INSERT INTO auth_codes (hash, client_id, user_id, org_id, redirect_uri, code_challenge, "
        "scope, nonce, auth_time, created_at, expires_at, used, web_session) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
        QR_TEXT(hash), QR_TEXT(cl->id), QR_TEXT(user_id), QR_TEXT(cl->org_id),
        QR_TEXT(redirect_uri), QR_TEXT(challenge), QR_TEXT(scope), QR_TEXT(nonce),
        QR_INT(auth_time), QR_INT(now), QR_INT(now + QR_CODE_TTL_S), QR_TEXT(web_session));
    /* Spent and expired codes are of no further use. */
    if (!st)
        qr_db_q(c, NULL, NULL, "DELETE FROM auth_codes WHERE expires_at < ?", QR_INT(now - 3600));
    qr_db_release(c);
    if (st) {
        free(*code);
        *code = NULL;
        return qr_err_set(err, st, NULL, "could not issue an authorization code");
    }
    return QR_OK;
}

/* RFC 7636 4.1 and 4.6: 43 to 128 unreserved characters, and S256 must match. */
static int pkce_ok(const char *verifier, const char *challenge) {
    size_t n = strlen(verifier);
    if (n < 43 || n > 128 ||
        strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != n)
        return 0;
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(verifier, n, md, &mdlen, EVP_sha256(), NULL);
    char *b64 = qr_b64url_encode(md, sizeof(md));
    int ok = strlen(challenge) == strlen(b64) && qr_ct_equal(b64, challenge, strlen(b64));
    free(b64);
    return ok;
}

static int has_scope(const char *scope, const char *want) {
    size_t n = strlen(want);
    for (const char *p = scope; p && *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, want, n) == 0)
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

/* A code seen twice: whoever holds the first tokens may be an attacker (RFC 6749 4.1.2). */
static void revoke_issued(qr_dbc_t *c, const char *sid, const char *org, int64_t now) {
    if (!sid)
        return;
    qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE id = ?", QR_TEXT(sid));
    qr_audit_write(c, now, org, NULL, "authorization_code_reused", sid,
                   "an authorization code was redeemed twice; its tokens were revoked");
    qr_log_warn("code_reuse", "session %s revoked after authorization code reuse", sid);
}

qr_status_t qr_authz_redeem(qr_ctx_t *ctx, const qr_client_t *cl, const char *code,
                            const char *redirect_uri, const char *verifier, json_t **out,
                            qr_err_t *err) {
    *out = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    char hash[65];
    qr_sha256_hex(code, strlen(code), hash);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_tokens_t t = {0};
    char *id_token = NULL;
    long long changed = 0;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT a.client_id, a.user_id, a.org_id, a.redirect_uri, "
                             "a.code_challenge, a.scope, a.nonce, a.auth_time, a.expires_at, "
                             "a.used, a.session_id, a.web_session FROM auth_codes a JOIN users "
                             "u ON u.id = a.user_id WHERE a.hash = ? AND u.active = 1 AND "
                             "(u.locked_until IS NULL OR u.locked_until <= ?)",
                             QR_TEXT(hash), QR_INT(now));
    if (st)
        goto out;
    const char *why = NULL;
    if (qr_dbres_rows(r) != 1)
        why = "the authorization code is unknown";
    else if (qr_dbres_int(r, 0, 9)) {
        revoke_issued(c, qr_dbres_text(r, 0, 10), qr_dbres_text(r, 0, 2), now);
        why = "the authorization code was already used";
    } else if (strcmp(qr_dbres_text(r, 0, 0), cl->id) != 0)
        why = "the authorization code was issued to another client";
    else if (qr_dbres_int(r, 0, 8) <= now)
        why = "the authorization code has expired";
    else if (!redirect_uri || strcmp(qr_dbres_text(r, 0, 3), redirect_uri) != 0)
        why = "redirect_uri differs from the one of the authorization request";
    else if (!verifier || !pkce_ok(verifier, qr_dbres_text(r, 0, 4)))
        why = "code_verifier does not match the code challenge (PKCE S256)";
    if (why) {
        st = qr_err_set(err, QR_E_INVALID, "invalid_grant", "%s", why);
        goto out;
    }
    const char *uid = qr_dbres_text(r, 0, 1), *oid = qr_dbres_text(r, 0, 2);
    const char *scope = qr_dbres_text(r, 0, 5), *nonce = qr_dbres_text(r, 0, 6);
    if ((st = qr_dbc_begin(c)))
        goto out;
    if ((st = qr_db_q(c, NULL, &changed,
                      "UPDATE auth_codes SET used = 1 WHERE hash = ? AND used = 0", QR_TEXT(hash))))
        goto out;
    if (changed != 1) {
        qr_dbc_rollback(c);
        st = qr_err_set(err, QR_E_INVALID, "invalid_grant",
                        "the authorization code was already used");
        goto out;
    }
    if ((st = qr_session_start(ctx, c, uid, oid, cl->id, now, &t, err)))
        goto out;
    json_t *claims = qr_session_claims(t.access_token);
    const char *sid = json_string_value(json_object_get(claims, "sid"));
    st = qr_db_q(c, NULL, NULL, "UPDATE auth_codes SET session_id = ? WHERE hash = ?", QR_TEXT(sid),
                 QR_TEXT(hash));
    if (!st)
        st = qr_db_q(c, NULL, NULL, "UPDATE sessions SET web_session = ? WHERE id = ?",
                     QR_TEXT(qr_dbres_text(r, 0, 11)), QR_TEXT(sid));
    json_decref(claims);
    if (st)
        goto out;
    if (has_scope(scope, "openid")) {
        json_t *idc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "iss", ctx->cfg->public_url,
                                "sub", uid, "aud", cl->id, "org", oid, "iat", (json_int_t)now,
                                "exp", (json_int_t)(now + ID_TOKEN_TTL_S), "auth_time",
                                (json_int_t)qr_dbres_int(r, 0, 7));
        if (nonce)
            json_object_set_new(idc, "nonce", json_string(nonce));
        id_token = qr_keyring_sign(ctx, "JWT", idc);
        json_decref(idc);
        if (!id_token) {
            st = qr_err_set(err, QR_E_CRYPTO, NULL, "could not sign the ID token");
            goto out;
        }
    }
    qr_audit_write(c, now, oid, uid, "authorization_code_redeemed", cl->id, scope);
    if ((st = qr_dbc_commit(c)))
        goto out;
    *out = json_pack("{s:s, s:s, s:s, s:i, s:s}", "access_token", t.access_token, "refresh_token",
                     t.refresh_token, "token_type", "Bearer", "expires_in", t.expires_in, "scope",
                     scope);
    if (id_token)
        json_object_set_new(*out, "id_token", json_string(id_token));
out:
    if (st && st != QR_E_INVALID)
        qr_err_set(err, st, NULL, "the token request failed on the server (see the log)");
    free(id_token);
    qr_tokens_free(&t);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

void qr_authz_org_slug(qr_ctx_t *ctx, const char *org_id, char *out, size_t outlen) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    out[0] = '\0';
    if (qr_db_q(c, &r, NULL, "SELECT slug FROM orgs WHERE id = ?", QR_TEXT(org_id)) == QR_OK &&
        qr_dbres_rows(r) == 1)
        snprintf(out, outlen, "%s", qr_dbres_text(r, 0, 0));
    qr_dbres_free(r);
    qr_db_release(c);
}

json_t *qr_authz_userinfo(qr_ctx_t *ctx, const char *user_id, const char *org_id) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    json_t *out = NULL;
    if (qr_db_q(c, &r, NULL,
                "SELECT username, first_name, last_name, email FROM users WHERE id = ? AND "
                "org_id = ?",
                QR_TEXT(user_id), QR_TEXT(org_id)) == QR_OK &&
        qr_dbres_rows(r) == 1) {
        const char *first = qr_dbres_text(r, 0, 1), *last = qr_dbres_text(r, 0, 2);
        char name[300];
        snprintf(name, sizeof(name), "%s%s%s", first, *first && *last ? " " : "", last);
        out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "sub", user_id, "preferred_username",
                        qr_dbres_text(r, 0, 0), "given_name", first, "family_name", last, "name",
                        name, "org", org_id);
        if (*qr_dbres_text(r, 0, 3))
            json_object_set_new(out, "email", json_string(qr_dbres_text(r, 0, 3)));
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return out;
}
