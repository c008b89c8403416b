/* SPDX-License-Identifier: Apache-2.0 */
/* quire: invitation and password-reset links. */
#include "auth/recovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account_rules.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/mem.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "report/audit.h"
#include "store/db.h"
#include "tenancy/org.h"
#include "tenancy/user.h"

static const char *const purposes[] = {"reset", "activate"};

/* Creates a token for the user; returns it (caller frees) or NULL. */
char *qr_link_issue(qr_dbc_t *c, const char *user_id, const char *org_id, qr_link_purpose_t purpose,
                    int64_t now) {
    unsigned char raw[32];
    char hash[65];
    qr_random_bytes(raw, sizeof(raw));
    char *tok = qr_b64url_encode(raw, sizeof(raw));
    qr_sha256_hex(tok, strlen(tok), hash);
    int64_t ttl = purpose == QR_LINK_RESET ? QR_RESET_TTL_S : QR_INVITE_TTL_S;
    /* One live link per purpose: a new one replaces the old. */
    qr_db_q(c, NULL, NULL, "UPDATE account_tokens SET used = 1 WHERE user_id = ? AND purpose = ?",
            QR_TEXT(user_id), QR_TEXT(purposes[purpose]));
    if (qr_db_q(c, NULL, NULL,
                "INSERT INTO account_tokens (hash, user_id, org_id, purpose, created_at, "
                "expires_at, used) VALUES (?, ?, ?, ?, ?, ?, 0)",
                QR_TEXT(hash), QR_TEXT(user_id), QR_TEXT(org_id), QR_TEXT(purposes[purpose]),
                QR_INT(now), QR_INT(now + ttl))) {
        free(tok);
        return NULL;
    }
    return tok;
}

static void html_text(qr_buf_t *b, const char *s) {
    for (; *s; s++) {
        if (*s == '<')
            qr_buf_puts(b, "&lt;");
        else if (*s == '>')
            qr_buf_puts(b, "&gt;");
        else if (*s == '&')
            qr_buf_puts(b, "&amp;");
        else if (*s == '"')
            qr_buf_puts(b, "&quot;");
        else
            qr_buf_append(b, s, 1);
    }
}

/* Sends the link mail: plain text and HTML, from the organization's name. A reset is only
 * queued (err is then unused), so that the request's answer and its timing are the same
 * whether or not the account exists; an invitation is sent at once, so that the admin
 * learns of a failure. */
static qr_status_t send_link(qr_ctx_t *ctx, const char *to, const char *org_name,
                             const char *username, const char *token, qr_link_purpose_t purpose,
                             qr_err_t *err) {
    char *url = qr_xasprintf("%s/%s?token=%s", ctx->cfg->public_url,
                             purpose == QR_LINK_RESET ? "reset" : "activate", token);
    const char *subject =
        purpose == QR_LINK_RESET ? "Reset your quire password" : "Your quire account is ready";
    const char *what = purpose == QR_LINK_RESET
                           ? "Someone asked to reset the password of your quire account"
                           : "An administrator created a quire account for you";
    const char *valid = purpose == QR_LINK_RESET ? "within 30 minutes" : "within 7 days";
    char *text = qr_xasprintf("%s \"%s\" in %s.\n\nOpen this link %s to choose a password:\n"
                              "%s\n\nThe link works once. If you did not expect this message, "
                              "ignore it.\n",
                              what, username, org_name, valid, url);
    qr_buf_t h;
    qr_buf_init(&h, 1 << 16);
    qr_buf_puts(&h, "<!DOCTYPE html><html><body><p>");
    html_text(&h, what);
    qr_buf_puts(&h, " &ldquo;");
    html_text(&h, username);
    qr_buf_puts(&h, "&rdquo; in ");
    html_text(&h, org_name);
    qr_buf_puts(&h, ".</p><p><a href=\"");
    html_text(&h, url);
    qr_buf_puts(&h, "\">Choose a password</a> (");
    html_text(&h, valid);
    qr_buf_puts(&h, ").</p><p>The link works once. If you did not expect this message, ignore "
                    "it.</p></body></html>");
    qr_status_t st = purpose == QR_LINK_RESET
                         ? qr_mailer_post(ctx->mailer, org_name, to, subject, text, h.ptr)
                         : qr_mail_send(ctx->cfg, org_name, to, subject, text, h.ptr, err);
    qr_buf_free(&h);
    free(text);
    free(url);
    return st;
}

/* 1 if a reset link went to the user less than QR_RESET_GAP_S ago: asking again does not
 * flood the mailbox (the answer stays the same). */
static int recently_sent(qr_dbc_t *c, const char *user_id, int64_t now) {
    qr_dbres_t *r = NULL;
    int recent = qr_db_q(c, &r, NULL,
                         "SELECT 1 FROM account_tokens WHERE user_id = ? AND purpose = 'reset' "
                         "AND created_at > ?",
                         QR_TEXT(user_id), QR_INT(now - QR_RESET_GAP_S)) == QR_OK &&
                 qr_dbres_rows(r) > 0;
    qr_dbres_free(r);
    return recent;
}

qr_status_t qr_reset_request(qr_ctx_t *ctx, const char *slug, const char *username, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    char *tok = NULL;
    char *key = qr_user_name_key(username);
    qr_status_t found =
        qr_db_q(c, &r, NULL,
                "SELECT u.id, u.org_id, u.email, o.name FROM users u JOIN orgs o "
                "ON o.id = u.org_id WHERE o.slug = ? AND " QR_USER_NAME_MATCH " AND u.email <> ''",
                QR_TEXT(slug), QR_TEXT(username), QR_TEXT(key), QR_TEXT(username));
    free(key);
    if (found == QR_OK && qr_dbres_rows(r) == 1 && !recently_sent(c, qr_dbres_text(r, 0, 0), now) &&
        (tok = qr_link_issue(c, qr_dbres_text(r, 0, 0), qr_dbres_text(r, 0, 1), QR_LINK_RESET,
                             now))) {
        qr_audit_write(c, now, qr_dbres_text(r, 0, 1), NULL, "password_reset_requested",
                       qr_dbres_text(r, 0, 0), "");
        if (send_link(ctx, qr_dbres_text(r, 0, 2), qr_dbres_text(r, 0, 3), username, tok,
                      QR_LINK_RESET, err))
            qr_log_error("reset_mail_failed", "user %s: the mail queue is full",
                         qr_dbres_text(r, 0, 0));
    } else {
        /* The same kind of work as a real request would do: a hash and a token. */
        char dummy[65];
        qr_sha256_hex(username, strlen(username), dummy);
    }
    free(tok);
    qr_dbres_free(r);
    qr_db_release(c);
    return QR_OK;
}

qr_status_t qr_reset_send(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                          qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_user_t u;
    qr_org_ref_t ref;
    char *tok = NULL;
    qr_status_t st = qr__user_resolve_assist(c, p, user_id, now, &u, &ref, err);
    if (st)
        goto out;
    if (!*u.email || !qr_mail_enabled(ctx->cfg)) {
        st = qr_err_set(err, QR_E_CONFLICT, "no_email",
                        "%s: the server's operator can set a one-time password with `quire "
                        "user reset-password`",
                        *u.email ? "this server sends no mail (smtp_url is not set)"
                                 : "the account has no email address");
        goto out;
    }
    if ((st = qr_db_q(c, &r, NULL, "SELECT name FROM orgs WHERE id = ?", QR_TEXT(ref.id))) ||
        (st = qr_dbc_begin(c)))
        goto out;
    if (!(tok = qr_link_issue(c, u.id, ref.id, QR_LINK_RESET, now))) {
        st = qr_err_set(err, QR_E_DB, NULL, "could not create the reset link");
        goto out;
    }
    qr__user_audit_assist(c, p, &ref, now, "password_reset_sent", u.id);
    if ((st = qr_dbc_commit(c)))
        goto out;
    if (send_link(ctx, u.email, qr_dbres_text(r, 0, 0), u.username, tok, QR_LINK_RESET, err))
        st = qr_err_set(err, QR_E_BUSY, NULL, "the mail queue is full; try again soon");
out:
    free(tok);
    qr_user_clear(&u);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_invite_send(qr_ctx_t *ctx, const char *user_id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    char *tok = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT u.org_id, u.email, u.username, o.name FROM users u JOIN orgs "
                             "o ON o.id = u.org_id WHERE u.id = ?",
                             QR_TEXT(user_id));
    if (!st && (qr_dbres_rows(r) != 1 || !*qr_dbres_text(r, 0, 1)))
        st = qr_err_set(err, QR_E_INVALID, NULL, "an invitation needs the user's email address");
    if (!st && !(tok = qr_link_issue(c, user_id, qr_dbres_text(r, 0, 0), QR_LINK_ACTIVATE, now)))
        st = qr_err_set(err, QR_E_DB, NULL, "could not create the invitation");
    if (!st)
        st = send_link(ctx, qr_dbres_text(r, 0, 1), qr_dbres_text(r, 0, 3), qr_dbres_text(r, 0, 2),
                       tok, QR_LINK_ACTIVATE, err);
    if (!st)
        qr_audit_write(c, now, qr_dbres_text(r, 0, 0), NULL, "invitation_sent", user_id, "");
    free(tok);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

/* Finds a live token: user id, org id, username. */
static qr_status_t find(qr_dbc_t *c, const char *token, qr_link_purpose_t purpose, int64_t now,
                        qr_dbres_t **r, qr_err_t *err) {
    char hash[65];
    qr_sha256_hex(token, strlen(token), hash);
    qr_status_t st = qr_db_q(c, r, NULL,
                             "SELECT t.user_id, t.org_id, u.username, t.hash FROM account_tokens t "
                             "JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.purpose = ? "
                             "AND t.used = 0 AND t.expires_at > ?",
                             QR_TEXT(hash), QR_TEXT(purposes[purpose]), QR_INT(now));
    if (!st && qr_dbres_rows(*r) != 1)
        st = qr_err_set(err, QR_E_INVALID, "invalid_token",
                        "this link is unknown, expired or already used; ask for a new one");
    return st;
}

qr_status_t qr_link_check(qr_ctx_t *ctx, const char *token, qr_link_purpose_t purpose,
                          char *username, size_t len, qr_err_t *err) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = find(c, token, purpose, qr_clock_now(ctx->clock), &r, err);
    if (!st)
        snprintf(username, len, "%s", qr_dbres_text(r, 0, 2));
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_link_complete(qr_ctx_t *ctx, const char *token, qr_link_purpose_t purpose,
                             const char *password, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    char *hash = NULL;
    char msg[256];
    long long changed = 0;
    qr_status_t st = find(c, token, purpose, now, &r, err);
    if (st)
        goto out;
    const char *uid = qr_dbres_text(r, 0, 0), *oid = qr_dbres_text(r, 0, 1);
    if (qr_password_check(password, qr_dbres_text(r, 0, 2), ctx->common, msg, sizeof(msg))) {
        st = qr_err_set(err, QR_E_INVALID, "invalid_password", "%s", msg);
        goto out;
    }
    qr_argon2_params_t ap = {(unsigned)ctx->cfg->argon2_memory_kib,
                             (unsigned)ctx->cfg->argon2_iterations};
    if (!(hash = qr_password_hash(&ap, password))) {
        st = qr_err_set(err, QR_E_CRYPTO, NULL, "password hashing failed");
        goto out;
    }
    if ((st = qr_dbc_begin(c)))
        goto out;
    if ((st = qr_db_q(c, NULL, &changed,
                      "UPDATE account_tokens SET used = 1 WHERE hash = ? AND used = 0",
                      QR_TEXT(qr_dbres_text(r, 0, 3)))))
        goto out;
    if (changed != 1) {
        st = qr_err_set(err, QR_E_INVALID, "invalid_token", "this link was already used");
        goto out;
    }
    /* A reset unlocks (AUTH-5) and replaces a one-time password; an invitation activates
     * (AUTH-1). Both end old sessions. */
    st = qr_db_q(
        c, NULL, NULL,
        "UPDATE users SET pw_hash = ?, fail_prev = NULL, fail_last = NULL, fail_prev2 = NULL, "
        "locked_until = NULL, must_change_password = 0, auth_gen = auth_gen + 1, "
        "active = CASE WHEN ? = 1 THEN 1 ELSE active END, "
        "updated_at = ? WHERE id = ?",
        QR_TEXT(hash), QR_INT(purpose == QR_LINK_ACTIVATE), QR_INT(now), QR_TEXT(uid));
    if (!st)
        st = qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE user_id = ?",
                     QR_TEXT(uid));
    if (!st)
        st = qr_db_q(c, NULL, NULL, "UPDATE web_sessions SET revoked = 1 WHERE user_id = ?",
                     QR_TEXT(uid));
    /* A login pending its emailed code began with the old password: it ends too. */
    if (!st)
        st = qr_db_q(c, NULL, NULL, "UPDATE mfa_challenges SET used = 1 WHERE user_id = ?",
                     QR_TEXT(uid));
    if (!st)
        qr_audit_write(c, now, oid, uid,
                       purpose == QR_LINK_RESET ? "password_reset" : "account_activated", uid, "");
    if (!st)
        st = qr_dbc_commit(c);
out:
    if (st && st != QR_E_INVALID)
        qr_err_set(err, st, NULL, "the request failed on the server (see the log)");
    free(hash);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
