/* SPDX-License-Identifier: Apache-2.0 */
/* quire: password login with lockout (AUTH-5).
 *
 * An attempt first claims a slot atomically: the UPDATE records it as a failure in advance
 * and, if it is the third within 15 minutes, locks the account at once. Only an attempt
 * whose claim succeeded evaluates the real hash, so 50 parallel guesses evaluate at most 3;
 * a correct password then clears the record. Unknown users and locked accounts verify a
 * dummy hash and are audited like a wrong password, so every failure costs the same and
 * answers the same. */
#include "auth/login.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/credcache.h"
#include "auth/recovery.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/metrics.h"
#include "core/mem.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "report/audit.h"
#include "store/db.h"
#include "tenancy/user.h"

static const char BAD_LOGIN[] = "the organization, username or password is wrong, or the "
                                "account is locked";

void qr_tokens_free(qr_tokens_t *t) {
    if (!t)
        return;
    free(t->access_token);
    free(t->refresh_token);
    free(t->mfa_token);
    t->access_token = t->refresh_token = t->mfa_token = NULL;
}

/* Claims an attempt for user_id. Returns 1 if the attempt may be evaluated (*locked_now
 * tells whether this claim was the one that locked the account), 0 if the account is
 * locked, -1 on database error. */
void qr_login_clear(qr_dbc_t *c, const char *user_id) {
    qr_db_q(c, NULL, NULL,
            "UPDATE users SET fail_prev = NULL, fail_last = NULL, fail_prev2 = NULL, "
            "locked_until = NULL WHERE id = ?",
            QR_TEXT(user_id));
}

int qr_login_claim(qr_dbc_t *c, const char *user_id, int64_t now, int *locked_now) {
    qr_dbres_t *r = NULL;
    int64_t window = now - QR_LOCK_WINDOW_S;
    qr_status_t st = qr_db_q(
        c, &r, NULL,
        "UPDATE users SET fail_prev2 = fail_prev, fail_prev = fail_last, fail_last = ?, "
        "locked_until = CASE WHEN fail_prev IS NOT NULL AND fail_prev > ? AND fail_last > ? "
        "THEN ? ELSE locked_until END, "
        /* a lock ends every remembered Basic credential of the account (issue 15) */
        "auth_gen = auth_gen + CASE WHEN fail_prev IS NOT NULL AND fail_prev > ? AND "
        "fail_last > ? THEN 1 ELSE 0 END "
        "WHERE id = ? AND (locked_until IS NULL OR locked_until <= ?) RETURNING locked_until",
        QR_INT(now), QR_INT(window), QR_INT(window), QR_INT(now + QR_LOCK_DURATION_S),
        QR_INT(window), QR_INT(window), QR_TEXT(user_id), QR_INT(now));
    if (st) {
        qr_dbres_free(r);
        return -1;
    }
    int rows = qr_dbres_rows(r);
    *locked_now = rows == 1 && !qr_dbres_isnull(r, 0, 0) && qr_dbres_int(r, 0, 0) > now;
    qr_dbres_free(r);
    return rows == 1;
}

/* AUTH-5 smart lockout: the tag of password tried for user_id from source, an HMAC under
 * the lookup key (the same on every server of the database), as hex. Only tags of wrong
 * passwords are kept, for QR_LOCK_WINDOW_S; the password itself is never stored. */
static void wrong_tag(const qr_ctx_t *ctx, const char *user_id, const char *source,
                      const char *password, char out[65]) {
    char *msg = qr_xasprintf("wrong:%s:%zu:%s:%s", user_id, strlen(source), source, password);
    unsigned char mac[32];
    qr_hmac_sha256(ctx->keys->secret_lookup, QR_KEY_LEN, msg, strlen(msg), mac);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
    OPENSSL_cleanse(msg, strlen(msg));
    free(msg);
}

static void forget_tag(qr_dbc_t *c, const char *user_id, const char *tag) {
    qr_db_q(c, NULL, NULL, "DELETE FROM login_wrong WHERE user_id = ? AND tag = ?",
            QR_TEXT(user_id), QR_TEXT(tag));
}

/* Records tag as tried now, unless it was tried within the window. Returns 1 if it is new
 * (the attempt counts toward the lockout), 0 if it repeats one, -1 on error. The insert is
 * the atomic test, so of identical parallel attempts exactly one counts. */
static int tag_is_new(qr_dbc_t *c, const char *user_id, const char *tag, int64_t now) {
    long long fresh = 0;
    if (qr_db_q(c, NULL, NULL, "DELETE FROM login_wrong WHERE user_id = ? AND at <= ?",
                QR_TEXT(user_id), QR_INT(now - QR_LOCK_WINDOW_S)) ||
        qr_db_q(c, NULL, &fresh,
                "INSERT INTO login_wrong (user_id, tag, at) VALUES (?, ?, ?) ON CONFLICT "
                "(user_id, tag) DO NOTHING",
                QR_TEXT(user_id), QR_TEXT(tag), QR_INT(now)))
        return -1;
    return fresh == 1;
}

/* A locked account refuses unverified, after the same work as a verification (a dummy hash),
 * so that the answer and its timing are a wrong password's. */
static qr_status_t refuse_locked(qr_ctx_t *ctx, qr_dbc_t *c, const char *user_id,
                                 const char *org_id, const char *password, const char *source,
                                 int64_t now) {
    qr_password_verify(ctx->dummy_hash, password);
    qr_throttle_add(ctx->throttle, c, source, now);
    qr_audit_write(c, now, org_id, NULL, "login_refused_locked", user_id, source);
    return QR_E_UNAUTHORIZED;
}

/* An attempt that repeats a recent one from the same source (its password was wrong, or its
 * twin is still being checked): verified with the same work, so it answers and costs the
 * same, but it claims no lockout slot and is not counted again. A locked account still
 * refuses it unverified. */
static qr_status_t evaluate_repeat(qr_ctx_t *ctx, qr_dbc_t *c, const char *user_id,
                                   const char *org_id, const char *hash, int active,
                                   const char *password, const char *source, const char *tag,
                                   int64_t now) {
    qr_dbres_t *r = NULL;
    if (qr_db_q(c, &r, NULL, "SELECT locked_until FROM users WHERE id = ?", QR_TEXT(user_id))) {
        qr_dbres_free(r);
        return QR_E_DB;
    }
    int locked =
        qr_dbres_rows(r) != 1 || (!qr_dbres_isnull(r, 0, 0) && qr_dbres_int(r, 0, 0) > now);
    qr_dbres_free(r);
    if (locked)
        return refuse_locked(ctx, c, user_id, org_id, password, source, now);
    if (qr_password_verify(hash, password) && active) {
        forget_tag(c, user_id, tag);
        return QR_OK;
    }
    char *what = qr_xasprintf("%s: the same wrong password again, not counted", source);
    qr_throttle_add(ctx->throttle, c, source, now);
    qr_audit_write(c, now, org_id, user_id, "login_failed", user_id, what);
    free(what);
    return QR_E_UNAUTHORIZED;
}

/* The common path of every password entry point: claim, verify, account for the result.
 * Returns QR_OK if the password is right and the account may log in. */
static qr_status_t evaluate(qr_ctx_t *ctx, qr_dbc_t *c, const char *user_id, const char *org_id,
                            const char *hash, int active, const char *password, const char *source,
                            int64_t now) {
    char tag[65];
    wrong_tag(ctx, user_id, source, password, tag);
    int fresh = tag_is_new(c, user_id, tag, now);
    if (fresh < 0)
        return QR_E_DB;
    if (!fresh)
        return evaluate_repeat(ctx, c, user_id, org_id, hash, active, password, source, tag, now);
    int locked_now = 0;
    int claimed = qr_login_claim(c, user_id, now, &locked_now);
    if (claimed < 0)
        return QR_E_DB;
    if (!claimed) {
        forget_tag(c, user_id, tag); /* not evaluated: not known to be wrong */
        return refuse_locked(ctx, c, user_id, org_id, password, source, now);
    }
    /* A right password does not clear the failure record yet: with email MFA the code must
     * follow, and clearing here would give a password holder endless code guesses. The
     * caller clears it once every factor has passed (qr_login_clear). */
    if (qr_password_verify(hash, password) && active) {
        forget_tag(c, user_id, tag);
        /* This attempt was recorded as a failure in advance: take it back, keeping the
         * failures before it. */
        qr_db_q(
            c, NULL, NULL,
            "UPDATE users SET fail_last = fail_prev, fail_prev = fail_prev2, fail_prev2 = NULL, "
            "locked_until = CASE WHEN ? = 1 THEN NULL ELSE locked_until END WHERE id = ?",
            QR_INT(locked_now), QR_TEXT(user_id));
        return QR_OK;
    }
    qr_throttle_add(ctx->throttle, c, source, now);
    qr_login_failed(c, user_id, org_id, source, locked_now, now);
    if (locked_now)
        qr_metrics_inc(ctx->metrics, accounts_locked);
    return QR_E_UNAUTHORIZED;
}

void qr_login_failed(qr_dbc_t *c, const char *user_id, const char *org_id, const char *what,
                     int locked_now, int64_t now) {
    qr_audit_write(c, now, org_id, user_id, "login_failed", user_id, what);
    if (!locked_now)
        return;
    /* A pending login must not outlive the lock: its emailed code stops working. */
    qr_db_q(c, NULL, NULL, "UPDATE mfa_challenges SET used = 1 WHERE user_id = ?",
            QR_TEXT(user_id));
    qr_audit_write(c, now, org_id, user_id, "account_locked", user_id,
                   "3 failed entries within 15 minutes");
    qr_log_warn("account_locked", "user %s locked for 30 minutes", user_id);
}

/* The shared first step of every login by org, username and password: throttle, look up,
 * claim, verify. Fills uid, oid and *gen (the user's auth generation read with the hash) on
 * success. */
static qr_status_t verify(qr_ctx_t *ctx, qr_dbc_t *c, const char *slug, const char *username,
                          const char *password, const char *source, int64_t now,
                          char uid[QR_ID_LEN + 1], char oid[QR_ID_LEN + 1], int64_t *gen,
                          qr_err_t *err) {
    if (qr_throttle_is_blocked(ctx->throttle, c, source, now, ctx->cfg->login_throttle_per_min)) {
        qr_metrics_inc(ctx->metrics, password_throttled);
        return qr_err_set(err, QR_E_THROTTLED, NULL,
                          "too many failed logins from your address; try again in a minute");
    }
    qr_dbres_t *r = NULL;
    char *key = qr_user_name_key(username); /* any case or Unicode form (issue 13) */
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT u.id, o.id, u.pw_hash, u.active, u.auth_gen FROM orgs o "
                "LEFT JOIN users u ON u.org_id = o.id AND " QR_USER_NAME_MATCH " WHERE o.slug = ?",
                QR_TEXT(username), QR_TEXT(key), QR_TEXT(username), QR_TEXT(slug));
    free(key);
    if (!st && (qr_dbres_rows(r) != 1 || qr_dbres_isnull(r, 0, 0))) {
        qr_password_verify(ctx->dummy_hash, password);
        qr_throttle_add(ctx->throttle, c, source, now);
        /* Guessing at an organization's usernames is a security event of that organization
         * (never the typed name: it may be a password typed in the wrong field); the write
         * also makes this failure cost what a wrong password costs. */
        if (qr_dbres_rows(r) == 1)
            qr_audit_write(c, now, qr_dbres_text(r, 0, 1), NULL, "login_failed", NULL, source);
        st = QR_E_UNAUTHORIZED;
    } else if (!st) {
        snprintf(uid, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 0));
        snprintf(oid, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 1));
        *gen = qr_dbres_int(r, 0, 4);
        st = evaluate(ctx, c, uid, oid, qr_dbres_text(r, 0, 2), (int)qr_dbres_int(r, 0, 3),
                      password, source, now);
    }
    qr_dbres_free(r);
    if (st == QR_E_UNAUTHORIZED)
        qr_metrics_inc(ctx->metrics, password_failed);
    else if (!st)
        qr_metrics_inc(ctx->metrics, password_ok);
    if (st == QR_E_UNAUTHORIZED)
        qr_err_set(err, st, "invalid_credentials", BAD_LOGIN);
    else if (st && !err->msg[0])
        qr_err_set(err, st, NULL, "login failed on the server (see the log)");
    return st;
}

qr_status_t qr_login_verify(qr_ctx_t *ctx, qr_dbc_t *c, const char *slug, const char *username,
                            const char *password, const char *source, int64_t now,
                            char uid[QR_ID_LEN + 1], char oid[QR_ID_LEN + 1], qr_err_t *err) {
    int64_t gen;
    return verify(ctx, c, slug, username, password, source, now, uid, oid, &gen, err);
}

/* AUTH-6: if the user's org wants email MFA, creates a pending login and mails its
 * 6-digit code; *token is then the pending login's handle (caller frees). */
static qr_status_t mfa_start(qr_ctx_t *ctx, qr_dbc_t *c, const char *uid, const char *oid,
                             const char *kind, int64_t now, char **token, qr_err_t *err) {
    *token = NULL;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT o.mfa_email, u.email, o.name FROM users u JOIN orgs o ON "
                             "o.id = u.org_id WHERE u.id = ? AND u.org_id = ?",
                             QR_TEXT(uid), QR_TEXT(oid));
    if (st || qr_dbres_rows(r) != 1 || !qr_dbres_int(r, 0, 0)) {
        qr_dbres_free(r);
        return st;
    }
    if (!*qr_dbres_text(r, 0, 1)) {
        qr_dbres_free(r);
        return qr_err_set(err, QR_E_FORBIDDEN, "mfa_unavailable",
                          "your organization requires a code sent by email, and your account "
                          "has no email address; ask an administrator");
    }
    unsigned char raw[32];
    uint32_t n;
    qr_random_bytes(raw, sizeof(raw));
    do {
        qr_random_bytes(&n, sizeof(n));
    } while (n >= 4294000000u); /* uniform over 000000..999999 */
    char code[8], hash[65], handle_hash[65];
    snprintf(code, sizeof(code), "%06u", n % 1000000u);
    *token = qr_b64url_encode(raw, sizeof(raw));
    qr_sha256_hex(*token, strlen(*token), handle_hash);
    char *salted = qr_xasprintf("%s:%s", handle_hash, code);
    qr_sha256_hex(salted, strlen(salted), hash);
    free(salted);
    st = qr_db_q(c, NULL, NULL,
                 "INSERT INTO mfa_challenges (hash, user_id, org_id, code_hash, kind, created_at, "
                 "expires_at, used) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                 QR_TEXT(handle_hash), QR_TEXT(uid), QR_TEXT(oid), QR_TEXT(hash), QR_TEXT(kind),
                 QR_INT(now), QR_INT(now + QR_MFA_TTL_S));
    if (!st) {
        char *text = qr_xasprintf("Your quire sign-in code is %s\n\nIt is valid for 5 minutes "
                                  "and works once. If you did not try to sign in, change your "
                                  "password.\n",
                                  code);
        char *html = qr_xasprintf("<!DOCTYPE html><html><body><p>Your quire sign-in code is "
                                  "<strong>%s</strong></p><p>It is valid for 5 minutes and works "
                                  "once. If you did not try to sign in, change your password."
                                  "</p></body></html>",
                                  code);
        st = qr_mail_send(ctx->cfg, qr_dbres_text(r, 0, 2), qr_dbres_text(r, 0, 1),
                          "Your quire sign-in code", text, html, err);
        free(text);
        free(html);
        if (st)
            st = qr_err_set(err, QR_E_BUSY, "mfa_unavailable",
                            "the sign-in code could not be sent; try again shortly");
    }
    qr_dbres_free(r);
    if (st) {
        free(*token);
        *token = NULL;
    }
    return st;
}

/* Checks a pending login's code. A wrong code counts toward the lockout like a wrong
 * password (AUTH-6); when the account locks, the pending login ends. */
static qr_status_t mfa_check(qr_ctx_t *ctx, qr_dbc_t *c, const char *token, const char *code,
                             const char *kind, const char *source, int64_t now,
                             char uid[QR_ID_LEN + 1], char oid[QR_ID_LEN + 1], qr_err_t *err) {
    char handle_hash[65], hash[65];
    qr_sha256_hex(token, strlen(token), handle_hash);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT user_id, org_id, code_hash FROM mfa_challenges WHERE hash = ? "
                             "AND kind = ? AND used = 0 AND expires_at > ?",
                             QR_TEXT(handle_hash), QR_TEXT(kind), QR_INT(now));
    if (st || qr_dbres_rows(r) != 1) {
        qr_dbres_free(r);
        qr_throttle_add(ctx->throttle, c, source, now);
        return st ? st
                  : qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_credentials",
                               "the code is wrong or expired; sign in again");
    }
    snprintf(uid, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 0));
    snprintf(oid, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 1));
    char *salted = qr_xasprintf("%s:%.8s", handle_hash, code);
    qr_sha256_hex(salted, strlen(salted), hash);
    free(salted);
    int right = strlen(code) == 6 && qr_ct_equal(hash, qr_dbres_text(r, 0, 2), 64);
    qr_dbres_free(r);
    int locked_now = 0;
    int claimed = qr_login_claim(c, uid, now, &locked_now);
    if (claimed < 0)
        return QR_E_DB;
    if (claimed && right) {
        qr_login_clear(c, uid);
        long long changed = 0;
        qr_db_q(c, NULL, &changed, "UPDATE mfa_challenges SET used = 1 WHERE hash = ? AND used = 0",
                QR_TEXT(handle_hash));
        if (changed == 1)
            return QR_OK;
    }
    qr_throttle_add(ctx->throttle, c, source, now);
    if (claimed)
        qr_login_failed(c, uid, oid, "wrong one-time code", locked_now, now);
    else /* locked meanwhile: every pending login of the account ends */
        qr_db_q(c, NULL, NULL, "UPDATE mfa_challenges SET used = 1 WHERE user_id = ?",
                QR_TEXT(uid));
    if (locked_now)
        qr_metrics_inc(ctx->metrics, accounts_locked);
    return qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_credentials",
                      "the code is wrong or expired; sign in again");
}

static qr_status_t issue_tokens(qr_ctx_t *ctx, qr_dbc_t *c, const char *uid, const char *oid,
                                const char *source, int64_t now, qr_tokens_t *out, qr_err_t *err) {
    qr_login_clear(c, uid);
    qr_status_t st = qr_dbc_begin(c);
    if (!st && !(st = qr_session_start(ctx, c, uid, oid, NULL, now, out, err))) {
        qr_audit_write(c, now, oid, uid, "login_succeeded", uid, source);
        st = qr_dbc_commit(c);
    }
    return st;
}

/* The end of a token login (password or MFA code): after st succeeded with no MFA step
 * pending, issues the tokens; gives a failure without a message the generic one, frees the
 * tokens on failure and releases c. */
static qr_status_t finish_tokens(qr_ctx_t *ctx, qr_dbc_t *c, qr_status_t st, const char *uid,
                                 const char *oid, const char *source, int64_t now, qr_tokens_t *out,
                                 qr_err_t *err) {
    if (!st && !out->mfa_token)
        st = issue_tokens(ctx, c, uid, oid, source, now, out, err);
    if (st && !err->msg[0])
        qr_err_set(err, st, NULL, "login failed on the server (see the log)");
    if (st)
        qr_tokens_free(out);
    qr_db_release(c);
    return st;
}

qr_status_t qr_login(qr_ctx_t *ctx, const char *slug, const char *username, const char *password,
                     const char *source, qr_tokens_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    int64_t now = qr_clock_now(ctx->clock);
    char uid[QR_ID_LEN + 1], oid[QR_ID_LEN + 1];
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_login_verify(ctx, c, slug, username, password, source, now, uid, oid, err);
    if (!st)
        st = mfa_start(ctx, c, uid, oid, "api", now, &out->mfa_token, err);
    return finish_tokens(ctx, c, st, uid, oid, source, now, out, err);
}

/* The principal a Basic credential of user uid in org oid stands for, read on c. With
 * slug and gen (a cache hit), only while the user is still active, unlocked, of the org with
 * that slug and at auth generation gen; else QR_E_NOT_FOUND. An org that requires an emailed
 * code refuses (QR_E_FORBIDDEN). */
static qr_status_t basic_principal(qr_dbc_t *c, const char *uid, const char *oid, const char *slug,
                                   int64_t gen, int64_t now, qr_principal_t *p, qr_err_t *err) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(
        c, &r, NULL,
        "SELECT u.role, o.path, o.depth, o.mfa_email, u.must_change_password, "
        "CASE WHEN u.fail_last IS NULL THEN 0 ELSE 1 END FROM users u JOIN orgs o ON o.id = "
        "u.org_id WHERE u.id = ? AND u.org_id = ? AND (CAST(? AS TEXT) IS NULL OR (o.slug = ? AND "
        "u.auth_gen = ? AND u.active = 1 AND (u.locked_until IS NULL OR u.locked_until <= ?)))",
        QR_TEXT(uid), QR_TEXT(oid), QR_TEXT(slug), QR_TEXT(slug), QR_INT(gen), QR_INT(now));
    int role = !st && qr_dbres_rows(r) == 1 ? qr_role_parse(qr_dbres_text(r, 0, 0)) : -1;
    if (!st && role < 0) {
        st = slug ? QR_E_NOT_FOUND
                  : qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_credentials", BAD_LOGIN);
    } else if (!st && qr_dbres_int(r, 0, 3)) {
        st = qr_err_set(err, QR_E_FORBIDDEN, "mfa_required",
                        "your organization requires a code sent by email at sign-in, which a "
                        "printer dialog cannot ask for; print with a bearer access token, or "
                        "upload the document in the portal");
    } else if (!st) {
        /* A complete login ends the failure count (a cache hit writes only when there is
         * one to end). */
        if (!slug || qr_dbres_int(r, 0, 5))
            qr_login_clear(c, uid);
        snprintf(p->user_id, sizeof(p->user_id), "%s", uid);
        snprintf(p->org_id, sizeof(p->org_id), "%s", oid);
        snprintf(p->org_path, sizeof(p->org_path), "%s", qr_dbres_text(r, 0, 1));
        p->org_depth = (int)qr_dbres_int(r, 0, 2);
        p->role = (qr_role_t)role;
        p->must_change_password = (int)qr_dbres_int(r, 0, 4);
    }
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_login_basic_cached(qr_ctx_t *ctx, const char *slug, const char *username,
                                  const char *password, const char *source, qr_principal_t *p,
                                  qr_err_t *err) {
    memset(p, 0, sizeof(*p));
    if (!ctx->credcache)
        return QR_E_NOT_FOUND;
    int64_t now = qr_clock_now(ctx->clock);
    unsigned char key[QR_CREDCACHE_KEY_LEN];
    qr_credcache_entry_t e;
    qr_credcache_key(ctx->credcache, slug, username, password, key);
    if (!qr_credcache_get(ctx->credcache, key, now, &e))
        return QR_E_NOT_FOUND;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = QR_OK;
    /* A throttled source is refused even a remembered credential: else a throttled guesser
     * could still test guesses against the cache. */
    if (qr_throttle_is_blocked(ctx->throttle, c, source, now, ctx->cfg->login_throttle_per_min)) {
        qr_metrics_inc(ctx->metrics, password_throttled);
        st = qr_err_set(err, QR_E_THROTTLED, NULL,
                        "too many failed logins from your address; try again in a minute");
    } else {
        st = basic_principal(c, e.user_id, e.org_id, slug, e.gen, now, p, err);
    }
    qr_db_release(c);
    if (st == QR_E_NOT_FOUND) /* taken back since: the full check decides */
        qr_credcache_drop(ctx->credcache, key);
    return st;
}

qr_status_t qr_login_basic(qr_ctx_t *ctx, const char *slug, const char *username,
                           const char *password, const char *source, qr_principal_t *p,
                           qr_err_t *err) {
    memset(p, 0, sizeof(*p));
    int64_t now = qr_clock_now(ctx->clock);
    char uid[QR_ID_LEN + 1], oid[QR_ID_LEN + 1];
    int64_t gen = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = verify(ctx, c, slug, username, password, source, now, uid, oid, &gen, err);
    if (!st)
        st = basic_principal(c, uid, oid, NULL, 0, now, p, err);
    if (!st && ctx->credcache) {
        /* Remembered at the generation read with the hash that was verified: a change made
         * meanwhile has already moved it on. */
        unsigned char key[QR_CREDCACHE_KEY_LEN];
        qr_credcache_entry_t e;
        memset(&e, 0, sizeof(e));
        snprintf(e.user_id, sizeof(e.user_id), "%s", uid);
        snprintf(e.org_id, sizeof(e.org_id), "%s", oid);
        e.gen = gen;
        qr_credcache_key(ctx->credcache, slug, username, password, key);
        qr_credcache_put(ctx->credcache, key, now, &e);
    }
    if (st && !err->msg[0])
        qr_err_set(err, st, NULL, "login failed on the server (see the log)");
    qr_db_release(c);
    return st;
}

qr_status_t qr_login_mfa(qr_ctx_t *ctx, const char *mfa_token, const char *code, const char *source,
                         qr_tokens_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    int64_t now = qr_clock_now(ctx->clock);
    char uid[QR_ID_LEN + 1], oid[QR_ID_LEN + 1];
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = mfa_check(ctx, c, mfa_token, code, "api", source, now, uid, oid, err);
    return finish_tokens(ctx, c, st, uid, oid, source, now, out, err);
}

static qr_status_t open_web_session(qr_dbc_t *c, const char *uid, const char *oid,
                                    const char *source, int64_t now, char **cookie, char **change) {
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT must_change_password FROM users WHERE id = ?", QR_TEXT(uid));
    int one_time = !st && qr_dbres_rows(r) == 1 && qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    if (st)
        return st;
    if (one_time) {
        /* No session yet: the person first replaces the one-time password, through the
         * same single-use token as an emailed reset. */
        qr_login_clear(c, uid);
        *change = qr_link_issue(c, uid, oid, QR_LINK_RESET, now);
        if (!*change)
            return QR_E_DB;
        qr_audit_write(c, now, oid, uid, "login_succeeded", uid,
                       "one-time password: change required");
        return QR_OK;
    }
    unsigned char raw[32];
    char hash[65];
    qr_random_bytes(raw, sizeof(raw));
    *cookie = qr_b64url_encode(raw, sizeof(raw));
    qr_sha256_hex(*cookie, strlen(*cookie), hash);
    qr_login_clear(c, uid);
    st = qr_db_q(c, NULL, NULL,
                 "INSERT INTO web_sessions (hash, user_id, org_id, created_at, "
                 "last_seen, expires_at, revoked) VALUES (?, ?, ?, ?, ?, ?, 0)",
                 QR_TEXT(hash), QR_TEXT(uid), QR_TEXT(oid), QR_INT(now), QR_INT(now),
                 QR_INT(now + QR_WEB_SESSION_MAX_S));
    if (!st)
        qr_audit_write(c, now, oid, uid, "login_succeeded", uid, source);
    else {
        free(*cookie);
        *cookie = NULL;
    }
    return st;
}

qr_status_t qr_login_web(qr_ctx_t *ctx, const char *slug, const char *username,
                         const char *password, const char *source, char **cookie, char **mfa_token,
                         char **change, qr_err_t *err) {
    *cookie = *mfa_token = *change = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    char uid[QR_ID_LEN + 1], oid[QR_ID_LEN + 1];
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_login_verify(ctx, c, slug, username, password, source, now, uid, oid, err);
    if (!st)
        st = mfa_start(ctx, c, uid, oid, "web", now, mfa_token, err);
    if (!st && !*mfa_token)
        st = open_web_session(c, uid, oid, source, now, cookie, change);
    if (st && !err->msg[0])
        qr_err_set(err, st, NULL, "login failed on the server (see the log)");
    qr_db_release(c);
    return st;
}

qr_status_t qr_login_web_mfa(qr_ctx_t *ctx, const char *mfa_token, const char *code,
                             const char *source, char **cookie, char **change, qr_err_t *err) {
    *cookie = *change = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    char uid[QR_ID_LEN + 1], oid[QR_ID_LEN + 1];
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = mfa_check(ctx, c, mfa_token, code, "web", source, now, uid, oid, err);
    if (!st)
        st = open_web_session(c, uid, oid, source, now, cookie, change);
    if (st && !err->msg[0])
        qr_err_set(err, st, NULL, "login failed on the server (see the log)");
    qr_db_release(c);
    return st;
}

qr_status_t qr_web_session_check(qr_ctx_t *ctx, const char *cookie, char user_id[QR_ID_LEN + 1],
                                 char org_id[QR_ID_LEN + 1], int64_t *auth_time, char hash[65]) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_sha256_hex(cookie, strlen(cookie), hash);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    long long changed = 0;
    /* Touching last_seen is the idle check: a session idle for 15 minutes is not touched. */
    qr_status_t st =
        qr_db_q(c, NULL, &changed,
                "UPDATE web_sessions SET last_seen = ? WHERE hash = ? AND revoked = 0 "
                "AND expires_at > ? AND last_seen > ?",
                QR_INT(now), QR_TEXT(hash), QR_INT(now), QR_INT(now - QR_WEB_SESSION_IDLE_S));
    qr_dbres_t *r = NULL;
    /* A locked account (AUTH-5) gets nothing through a session either, as at refresh. */
    if (!st && changed == 1)
        st = qr_db_q(c, &r, NULL,
                     "SELECT w.user_id, w.org_id, w.created_at FROM web_sessions w JOIN users u "
                     "ON u.id = w.user_id WHERE w.hash = ? AND u.active = 1 AND "
                     "(u.locked_until IS NULL OR u.locked_until <= ?)",
                     QR_TEXT(hash), QR_INT(now));
    if (!st && qr_dbres_rows(r) == 1) {
        snprintf(user_id, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 0));
        snprintf(org_id, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 1));
        *auth_time = qr_dbres_int(r, 0, 2);
    } else {
        st = QR_E_UNAUTHORIZED;
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

int qr_web_session_alive(qr_dbc_t *c, const char *handle, int64_t now) {
    qr_dbres_t *r = NULL;
    int alive =
        qr_db_q(c, &r, NULL,
                "SELECT 1 FROM web_sessions WHERE hash = ? AND revoked = 0 AND "
                "expires_at > ? AND last_seen > ?",
                QR_TEXT(handle), QR_INT(now), QR_INT(now - QR_WEB_SESSION_IDLE_S)) == QR_OK &&
        qr_dbres_rows(r) == 1;
    qr_dbres_free(r);
    return alive;
}

qr_status_t qr_login_check_password(qr_ctx_t *ctx, const char *user_id, const char *org_id,
                                    const char *password, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT pw_hash, active FROM users WHERE id = ? AND org_id = ?",
                QR_TEXT(user_id), QR_TEXT(org_id));
    if (!st && qr_dbres_rows(r) == 1)
        st = evaluate(ctx, c, user_id, org_id, qr_dbres_text(r, 0, 0), (int)qr_dbres_int(r, 0, 1),
                      password, user_id, now);
    else if (!st)
        st = QR_E_UNAUTHORIZED;
    if (!st)
        qr_login_clear(c, user_id);
    if (st == QR_E_UNAUTHORIZED)
        qr_err_set(err, QR_E_FORBIDDEN, "invalid_credentials",
                   "the current password is wrong, or the account is locked");
    qr_dbres_free(r);
    qr_db_release(c);
    return st == QR_E_UNAUTHORIZED ? QR_E_FORBIDDEN : st;
}

int qr_login_sweep(qr_dbc_t *c, int64_t now) {
    long long n = 0;
    qr_db_q(c, NULL, &n, "DELETE FROM login_wrong WHERE at <= ?", QR_INT(now - QR_LOCK_WINDOW_S));
    return (int)n;
}
