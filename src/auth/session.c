/* SPDX-License-Identifier: Apache-2.0 */
/* quire: sessions and tokens. Refresh tokens are random 256-bit values stored only as
 * SHA-256; spending one is a conditional UPDATE, so of many concurrent uses exactly one
 * wins, and any other use of a spent token revokes the family (AUTH-7). */
#include "auth/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "auth/client.h"
#include "auth/keyring.h"
#include "auth/login.h"
#include "crypto/random.h"
#include "crypto/token.h"
#include "report/audit.h"
#include "tenancy/license.h"

static char *new_access_token(qr_ctx_t *ctx, const char *user_id, const char *org_id,
                              const char *sid, int64_t now) {
    char jti[QR_ID_LEN + 1];
    qr_random_id(jti);
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", ctx->cfg->public_url, "aud",
                  QR_TOKEN_AUDIENCE, "sub", user_id, "org", org_id, "sid", sid, "iat",
                  (json_int_t)now, "exp", (json_int_t)(now + QR_ACCESS_TTL_S), "jti", jti);
    char *tok = qr_keyring_sign(ctx, "at+jwt", claims);
    json_decref(claims);
    return tok;
}

/* Inserts a fresh refresh token of session sid; returns it (caller frees) or NULL. */
static char *new_refresh_token(qr_dbc_t *c, const char *sid, int64_t now, int64_t expires) {
    unsigned char raw[32];
    qr_random_bytes(raw, sizeof(raw));
    char *tok = qr_b64url_encode(raw, sizeof(raw));
    char hash[65];
    qr_sha256_hex(tok, strlen(tok), hash);
    if (qr_db_q(c, NULL, NULL,
                "INSERT INTO refresh_tokens (hash, session_id, used, created_at, expires_at) "
                "VALUES (?, ?, 0, ?, ?)",
                QR_TEXT(hash), QR_TEXT(sid), QR_INT(now), QR_INT(expires))) {
        free(tok);
        return NULL;
    }
    return tok;
}

qr_status_t qr_session_start(qr_ctx_t *ctx, qr_dbc_t *c, const char *user_id, const char *org_id,
                             const char *client_id, int64_t now, qr_tokens_t *out, qr_err_t *err) {
    char sid[QR_ID_LEN + 1];
    qr_random_id(sid);
    int64_t expires = now + QR_SESSION_TTL_S;
    qr_status_t st = qr_db_q(c, NULL, NULL,
                             "INSERT INTO sessions (id, user_id, org_id, client_id, created_at, "
                             "expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, 0)",
                             QR_TEXT(sid), QR_TEXT(user_id), QR_TEXT(org_id), QR_TEXT(client_id),
                             QR_INT(now), QR_INT(expires));
    if (st)
        return qr_err_set(err, st, NULL, "could not start a session");
    out->refresh_token = new_refresh_token(c, sid, now, expires);
    if (!out->refresh_token)
        return qr_err_set(err, QR_E_DB, NULL, "could not start a session");
    out->access_token = new_access_token(ctx, user_id, org_id, sid, now);
    out->expires_in = QR_ACCESS_TTL_S;
    return QR_OK;
}

json_t *qr_session_claims(const char *token) {
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2)
        return NULL;
    size_t n = (size_t)(d2 - d1 - 1);
    unsigned char *buf = qr_xmalloc(n + 1);
    long len = qr_b64url_decode(d1 + 1, n, buf, n);
    json_t *v = len > 0 ? json_loadb((const char *)buf, (size_t)len, 0, NULL) : NULL;
    free(buf);
    return v;
}

qr_status_t qr_session_start_panel(qr_ctx_t *ctx, qr_dbc_t *c, const char *user_id,
                                   const char *org_id, const char *device_id, int64_t now,
                                   char **access_token, qr_err_t *err) {
    char sid[QR_ID_LEN + 1], jti[QR_ID_LEN + 1];
    qr_random_id(sid);
    qr_random_id(jti);
    qr_status_t st = qr_db_q(c, NULL, NULL,
                             "INSERT INTO sessions (id, user_id, org_id, created_at, expires_at, "
                             "revoked) VALUES (?, ?, ?, ?, ?, 0)",
                             QR_TEXT(sid), QR_TEXT(user_id), QR_TEXT(org_id), QR_INT(now),
                             QR_INT(now + QR_PANEL_TTL_S));
    if (st)
        return qr_err_set(err, st, NULL, "could not start a panel session");
    json_t *claims = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "iss", ctx->cfg->public_url, "aud",
        QR_TOKEN_AUDIENCE, "sub", user_id, "org", org_id, "sid", sid, "device_id", device_id, "iat",
        (json_int_t)now, "exp", (json_int_t)(now + QR_PANEL_TTL_S), "jti", jti);
    *access_token = qr_keyring_sign(ctx, "at+jwt", claims);
    json_decref(claims);
    return *access_token ? QR_OK : qr_err_set(err, QR_E_CRYPTO, NULL, "could not sign the token");
}

static void revoke_family(qr_dbc_t *c, const char *sid, const char *org_id, const char *user_id,
                          int64_t now) {
    qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE id = ?", QR_TEXT(sid));
    qr_audit_write(c, now, org_id, user_id, "refresh_token_reused", sid,
                   "a spent refresh token was presented; the session was revoked");
    qr_log_warn("refresh_reuse", "session %s revoked after refresh token reuse", sid);
}

qr_status_t qr_session_refresh(qr_ctx_t *ctx, const char *refresh_token, const char *client_id,
                               qr_tokens_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    int64_t now = qr_clock_now(ctx->clock);
    char hash[65];
    qr_sha256_hex(refresh_token, strlen(refresh_token), hash);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    long long changes = 0;
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT rt.session_id, rt.used, rt.expires_at, s.revoked, s.user_id, s.org_id, "
                "u.active, u.locked_until, s.web_session, s.client_id FROM refresh_tokens rt JOIN "
                "sessions s ON s.id "
                "= rt.session_id JOIN users u ON u.id = s.user_id WHERE rt.hash = ?",
                QR_TEXT(hash));
    if (st)
        goto out;
    if (qr_dbres_rows(r) != 1) {
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    const char *sid = qr_dbres_text(r, 0, 0), *uid = qr_dbres_text(r, 0, 4),
               *oid = qr_dbres_text(r, 0, 5);
    /* RFC 6749 6: the token works only for the client it was issued to. Another client
     * holding it learns nothing and spends nothing. */
    const char *bound = qr_dbres_isnull(r, 0, 9) ? NULL : qr_dbres_text(r, 0, 9);
    if ((bound || client_id) && (!bound || !client_id || strcmp(bound, client_id) != 0)) {
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    if (qr_dbres_int(r, 0, 1)) {
        revoke_family(c, sid, oid, uid, now);
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    int locked = !qr_dbres_isnull(r, 0, 7) && qr_dbres_int(r, 0, 7) > now;
    if (qr_dbres_int(r, 0, 3) || qr_dbres_int(r, 0, 2) <= now || !qr_dbres_int(r, 0, 6) || locked) {
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    /* AUTH-7: tokens of a browser sign-in end with the browser session. A refresh is
     * background work: it checks the session but never counts as the person's activity. */
    if (!qr_dbres_isnull(r, 0, 8) && !qr_web_session_alive(c, qr_dbres_text(r, 0, 8), now)) {
        qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE id = ?", QR_TEXT(sid));
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    if ((st = qr_dbc_begin(c)))
        goto out;
    if ((st = qr_db_q(c, NULL, &changes,
                      "UPDATE refresh_tokens SET used = 1 WHERE hash = ? AND used = 0",
                      QR_TEXT(hash))))
        goto out;
    if (changes != 1) {
        qr_dbc_rollback(c);
        revoke_family(c, sid, oid, uid, now);
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    qr_dbres_t *s = NULL;
    st = qr_db_q(c, &s, NULL, "SELECT expires_at FROM sessions WHERE id = ? AND revoked = 0",
                 QR_TEXT(sid));
    int64_t expires = qr_dbres_rows(s) == 1 ? qr_dbres_int(s, 0, 0) : 0;
    qr_dbres_free(s);
    if (st)
        goto out;
    if (!expires) {
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    out->refresh_token = new_refresh_token(c, sid, now, expires);
    if (!out->refresh_token) {
        st = QR_E_DB;
        goto out;
    }
    out->access_token = new_access_token(ctx, uid, oid, sid, now);
    out->expires_in = QR_ACCESS_TTL_S;
    st = qr_dbc_commit(c);
out:
    if (st == QR_E_UNAUTHORIZED)
        qr_err_set(err, st, "invalid_grant",
                   "the refresh token is invalid, expired, revoked or already used");
    else if (st)
        qr_err_set(err, st, NULL, "refresh failed on the server (see the log)");
    if (st)
        qr_tokens_free(out);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_session_logout(qr_ctx_t *ctx, const qr_principal_t *p, qr_err_t *err) {
    (void)err;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st =
        qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE id = ? AND user_id = ?",
                QR_TEXT(p->session_id), QR_TEXT(p->user_id));
    if (!st)
        qr_audit_write(c, now, p->org_id, p->user_id, "logout", p->session_id, "");
    qr_db_release(c);
    return st;
}

qr_status_t qr_session_authenticate(qr_ctx_t *ctx, const char *token, size_t len, qr_principal_t *p,
                                    qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    json_t *claims = qr_keyring_verify(ctx, token, len, QR_TOKEN_AUDIENCE);
    if (!claims)
        return qr_err_set(err, QR_E_UNAUTHORIZED, NULL, "the access token is invalid or expired");
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *org = json_string_value(json_object_get(claims, "org"));
    const char *sid = json_string_value(json_object_get(claims, "sid"));
    qr_status_t st = QR_E_UNAUTHORIZED;
    qr_dbres_t *r = NULL;
    qr_dbc_t *c = NULL;
    if (!qr_id_is_valid(sub) || !qr_id_is_valid(org) || !qr_id_is_valid(sid))
        goto out;
    c = qr_db_acquire(ctx->db);
    st = qr_db_q(c, &r, NULL,
                 "SELECT u.role, o.path, o.depth, u.must_change_password FROM sessions s JOIN "
                 "users u ON u.id = s.user_id "
                 "JOIN orgs o ON o.id = u.org_id WHERE s.id = ? AND u.id = ? AND u.org_id = ? "
                 "AND s.revoked = 0 AND s.expires_at > ? AND u.active = 1",
                 QR_TEXT(sid), QR_TEXT(sub), QR_TEXT(org), QR_INT(now));
    if (st)
        goto out;
    int role = qr_dbres_rows(r) == 1 ? qr_role_parse(qr_dbres_text(r, 0, 0)) : -1;
    if (role < 0) {
        st = QR_E_UNAUTHORIZED;
        goto out;
    }
    memset(p, 0, sizeof(*p));
    p->kind = QR_PRINCIPAL_USER;
    snprintf(p->user_id, sizeof(p->user_id), "%s", sub);
    snprintf(p->org_id, sizeof(p->org_id), "%s", org);
    snprintf(p->session_id, sizeof(p->session_id), "%s", sid);
    snprintf(p->org_path, sizeof(p->org_path), "%s", qr_dbres_text(r, 0, 1));
    p->org_depth = (int)qr_dbres_int(r, 0, 2);
    p->must_change_password = (int)qr_dbres_int(r, 0, 3);
    const char *dev = json_string_value(json_object_get(claims, "device_id"));
    if (qr_id_is_valid(dev)) {
        /* A panel session lives only as long as its device is enabled (DEV-3). */
        qr_dbres_free(r);
        r = NULL;
        st = qr_db_q(c, &r, NULL,
                     "SELECT 1 FROM devices WHERE id = ? AND org_id = ? AND enabled = 1",
                     QR_TEXT(dev), QR_TEXT(org));
        if (!st && qr_dbres_rows(r) != 1)
            st = QR_E_UNAUTHORIZED;
        if (st)
            goto out;
        snprintf(p->device_id, sizeof(p->device_id), "%s", dev);
    }
    p->role = (qr_role_t)role;
out:
    if (st == QR_E_UNAUTHORIZED)
        qr_err_set(err, st, NULL, "the access token is invalid, expired or revoked");
    else if (st)
        qr_err_set(err, st, NULL, "authentication failed on the server (see the log)");
    qr_dbres_free(r);
    qr_db_release(c);
    json_decref(claims);
    return st;
}

qr_status_t qr_session_authenticate_client(qr_ctx_t *ctx, const char *token, size_t len,
                                           qr_principal_t *p, qr_err_t *err) {
    json_t *claims = qr_keyring_verify(ctx, token, len, QR_TOKEN_AUDIENCE);
    const char *cid = json_string_value(json_object_get(claims, "client_id"));
    const char *org = json_string_value(json_object_get(claims, "org"));
    qr_status_t st = QR_E_UNAUTHORIZED;
    /* A client-credentials token names its client and org, and neither a session (a
     * user's token) nor a device (a device's token, api/principal.c asks device/). */
    if (qr_id_is_valid(cid) && qr_id_is_valid(org) && !json_object_get(claims, "sid") &&
        !json_object_get(claims, "device_id")) {
        qr_dbc_t *c = qr_db_acquire(ctx->db);
        qr_dbres_t *r = NULL;
        st = qr_db_q(c, &r, NULL,
                     "SELECT o.path, o.depth, k.scopes FROM oauth_clients k JOIN orgs o ON "
                     "o.id = k.org_id WHERE k.id = ? AND k.org_id = ? AND k.device_id IS NULL",
                     QR_TEXT(cid), QR_TEXT(org));
        if (!st && qr_dbres_rows(r) != 1)
            st = QR_E_UNAUTHORIZED;
        /* An API key's token holds the scopes granted to it that the key still has, and only
         * while the org's license has the feature (REP-5). */
        const char *scope = json_string_value(json_object_get(claims, "scope"));
        if (!st && scope && !qr_license_has_feature(c, org, "api_keys"))
            st = QR_E_UNAUTHORIZED;
        if (!st) {
            memset(p, 0, sizeof(*p));
            p->kind = QR_PRINCIPAL_CLIENT;
            p->role = QR_ROLE_GUEST_USER; /* no role: the least one */
            snprintf(p->client_id, sizeof(p->client_id), "%s", cid);
            snprintf(p->org_id, sizeof(p->org_id), "%s", org);
            snprintf(p->org_path, sizeof(p->org_path), "%s", qr_dbres_text(r, 0, 0));
            p->org_depth = (int)qr_dbres_int(r, 0, 1);
            qr_client_scopes_meet(scope ? scope : "", qr_dbres_text(r, 0, 2), p->scopes);
        }
        qr_dbres_free(r);
        qr_db_release(c);
    }
    json_decref(claims);
    if (st == QR_E_UNAUTHORIZED)
        qr_err_set(err, st, NULL, "the client access token is invalid, expired or revoked");
    else if (st)
        qr_err_set(err, st, NULL, "authentication failed on the server (see the log)");
    return st;
}
