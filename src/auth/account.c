/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the account life cycle. Rules of AUTH-2/3/4 are checked on every value that is set;
 * values stored before a rule existed stay valid until they are changed (the legacy rule). */
#include "auth/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account_rules.h"
#include "auth/login.h"
#include "auth/recovery.h"
#include "core/mail.h"
#include "core/mem.h"
#include "crypto/password.h"
#include "store/audit.h"
#include "tenancy/org.h"

#define GENERATED_PASSWORD_LEN 16

static qr_status_t check_email(const char *e, qr_err_t *err) {
    if (!*e)
        return QR_OK;
    const char *at = strchr(e, '@');
    size_t n = strlen(e);
    int bad = n > 254 || !at || at == e || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
              strpbrk(e, " ,;<>\"()[]\\");
    for (const char *s = e; *s && !bad; s++)
        bad = (unsigned char)*s < 0x21 || *s == 0x7f;
    if (bad)
        return qr_err_set(err, QR_E_INVALID, "invalid_email",
                          "email must be an address like name@example.com");
    return QR_OK;
}

/* Checks the given name and email fields (AUTH-4). */
static qr_status_t check_profile(const qr_user_input_t *in, qr_err_t *err) {
    char msg[256];
    if (in->first_name && in->first_name[0] &&
        qr_name_check("first_name", in->first_name, msg, sizeof(msg)))
        return qr_err_set(err, QR_E_INVALID, "invalid_name", "%s", msg);
    if (in->last_name && in->last_name[0] &&
        qr_name_check("last_name", in->last_name, msg, sizeof(msg)))
        return qr_err_set(err, QR_E_INVALID, "invalid_name", "%s", msg);
    if (in->email && check_email(in->email, err))
        return QR_E_INVALID;
    return QR_OK;
}

static qr_status_t check_password(qr_ctx_t *ctx, const char *password, const char *username,
                                  qr_err_t *err) {
    char msg[256];
    if (qr_password_check(password, username, ctx->common, msg, sizeof(msg)))
        return qr_err_set(err, QR_E_INVALID, "invalid_password", "%s", msg);
    return QR_OK;
}

static char *hash_password(qr_ctx_t *ctx, const char *password) {
    qr_argon2_params_t ap = {(unsigned)ctx->cfg->argon2_memory_kib,
                             (unsigned)ctx->cfg->argon2_iterations};
    return qr_password_hash(&ap, password);
}

/* Checks the username, role and profile of a new user of an org of type org_type. */
static qr_status_t check_new_user(const char *org_type, const qr_user_input_t *in, qr_err_t *err) {
    char msg[256];
    if (!in->username)
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'username' is required");
    if (qr_username_check(in->username, msg, sizeof(msg)))
        return qr_err_set(err, QR_E_INVALID, "invalid_username", "%s", msg);
    if (!in->role)
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'role' is required");
    int role = qr_role_parse(in->role);
    if (role < 0)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "role must be one of provider_admin, provider_support, customer_admin, "
                          "print_manager, customer_user, guest_user");
    if (!qr_role_fits_org((qr_role_t)role, org_type))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "the role %s does not exist in a %s organization", in->role, org_type);
    return check_profile(in, err);
}

/* A random one-time password that satisfies AUTH-2 for username (caller wipes and frees). */
static char *generate_password(qr_ctx_t *ctx, const char *username) {
    char msg[256];
    char *pw = NULL;
    do {
        free(pw);
        pw = qr_random_password(GENERATED_PASSWORD_LEN);
    } while (qr_password_check(pw, username, ctx->common, msg, sizeof(msg)));
    return pw;
}

/* The password a new user starts with: none for an invitation, the given one (AUTH-2) or a
 * generated one (*generated, caller frees). *password points to the one to hash. */
static qr_status_t choose_password(qr_ctx_t *ctx, const qr_user_input_t *in, const char **password,
                                   char **generated, qr_err_t *err) {
    *password = in->password;
    if (in->invite) {
        if (in->password)
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "an invited user chooses the password: leave 'password' out");
        if (!in->email || !*in->email)
            return qr_err_set(err, QR_E_INVALID, NULL, "an invitation needs 'email'");
        if (!qr_mail_enabled(ctx->cfg))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "invitations need email, which this server has not configured "
                              "(smtp_url)");
        return QR_OK;
    }
    if (in->password)
        return check_password(ctx, in->password, in->username, err);
    *password = *generated = generate_password(ctx, in->username);
    return QR_OK;
}

qr_status_t qr__account_insert(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *org_type,
                               const qr_user_input_t *in, int64_t now, char id[QR_ID_LEN + 1],
                               char **generated, qr_err_t *err) {
    *generated = NULL;
    const char *password = NULL;
    char *hash = NULL;
    qr_status_t st = check_new_user(org_type, in, err);
    if (!st)
        st = choose_password(ctx, in, &password, generated, err);
    if (!st && !in->invite && !(hash = hash_password(ctx, password)))
        st = qr_err_set(err, QR_E_CRYPTO, NULL, "password hashing failed");
    /* A password quire made up is one-time: the person chooses their own first. */
    if (!st)
        st = qr__user_insert_row(c, org_id, in, hash, *generated != NULL, now, id, err);
    free(hash);
    if (st) {
        free(*generated);
        *generated = NULL;
    }
    return st;
}

/* Creates the user in the resolved org ref on c and audits it (for the parent's help with
 * a child, in both orgs); the rest as qr_account_create. */
static qr_status_t create_in(qr_ctx_t *ctx, qr_dbc_t *c, const qr_principal_t *p,
                             const qr_org_ref_t *ref, const qr_user_input_t *in, int64_t now,
                             qr_user_t *out, char **password, qr_err_t *err) {
    char id[QR_ID_LEN + 1];
    qr_status_t st = qr__account_insert(ctx, c, ref->id, ref->is_customer ? "customer" : "provider",
                                        in, now, id, password, err);
    if (st)
        return st;
    qr_audit_write(c, now, ref->id, p->user_id, "user_created", id, in->role);
    if (ref->rel == QR_REL_CHILD)
        qr_audit_write(c, now, p->org_id, p->user_id, "child_admin_added", id, ref->id);
    if (in->invite && (st = qr_invite_send(ctx, id, err))) {
        /* Nothing half-done: an invitation that cannot be sent leaves no account behind. */
        qr_db_q(c, NULL, NULL, "DELETE FROM users WHERE id = ? AND org_id = ?", QR_TEXT(id),
                QR_TEXT(ref->id));
        return st;
    }
    return qr__user_read(c, id, now, out);
}

/* Resolves org_id for write on res and creates the user there (create_in). */
static qr_status_t create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                          qr_resource_t res, const qr_user_input_t *in, qr_user_t *out,
                          char **password, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    *password = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, org_id, res, QR_ACCESS_WRITE, &ref, err);
    if (!st)
        st = create_in(ctx, c, p, &ref, in, now, out, password, err);
    qr_db_release(c);
    if (st && *password) {
        memset(*password, 0, strlen(*password));
        free(*password);
        *password = NULL;
    }
    return st;
}

qr_status_t qr_account_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                              const qr_user_input_t *in, qr_user_t *out, char **password,
                              qr_err_t *err) {
    return create(ctx, p, org_id, QR_RES_USERS, in, out, password, err);
}

qr_status_t qr_account_add_child_admin(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                                       const qr_user_input_t *given, qr_user_t *out,
                                       qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (given->role || given->password || given->active >= 0)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "an admin added for a child organization is invited by email: give "
                          "username, email, first_name and last_name only");
    /* The role follows the child's type; the person chooses the password (invitation). */
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_ADMINS, QR_ACCESS_WRITE, &ref, err);
    qr_db_release(c);
    if (st == QR_E_FORBIDDEN)
        st = qr_err_set(err, st, NULL,
                        "only a provider admin of the parent organization can add an admin");
    if (st)
        return st;
    qr_user_input_t in = *given;
    in.role = ref.is_customer ? "customer_admin" : "provider_admin";
    in.invite = 1;
    char *password = NULL;
    st = create(ctx, p, org_id, QR_RES_ADMINS, &in, out, &password, err);
    free(password); /* an invitation has none */
    return st;
}

/* The checks of an admin's update of user u (resolved for write in org ref); *hash receives
 * the new password's hash if one is given (caller frees). */
static qr_status_t check_update(qr_ctx_t *ctx, const qr_principal_t *p, const qr_user_t *u,
                                const qr_org_ref_t *ref, const qr_user_input_t *in, char **hash,
                                qr_err_t *err) {
    int self = strcmp(u->id, p->user_id) == 0;
    const char *org_type = ref->is_customer ? "customer" : "provider";
    if (in->role) {
        int role = qr_role_parse(in->role);
        if (role < 0 || !qr_role_fits_org((qr_role_t)role, org_type))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "the role %.40s does not exist in a %s organization", in->role,
                              org_type);
        if (self && role != (int)p->role)
            return qr_err_set(err, QR_E_FORBIDDEN, NULL, "you cannot change your own role");
    }
    if (self && in->active == 0)
        return qr_err_set(err, QR_E_FORBIDDEN, NULL, "you cannot deactivate your own account");
    /* One's own password changes only with the current one (and its lockout accounting). */
    if (self && in->password)
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "change your own password with POST /api/v1/me/password, which asks "
                          "for the current one");
    qr_status_t st = check_profile(in, err);
    if (st || !in->password)
        return st;
    if ((st = check_password(ctx, in->password, u->username, err)))
        return st;
    if (!(*hash = hash_password(ctx, in->password)))
        return qr_err_set(err, QR_E_CRYPTO, NULL, "password hashing failed");
    return QR_OK;
}

/* Ends what an admin's update takes away: the sessions after a role change, deactivation or
 * password reset, and a deactivated account's pending invitation (it must not reactivate). */
static qr_status_t end_access(qr_dbc_t *c, const char *id, const qr_user_input_t *in,
                              const char *hash) {
    qr_status_t st = QR_OK;
    if (in->role || in->active == 0 || hash)
        st = qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE user_id = ?",
                     QR_TEXT(id));
    if (!st && (in->role || in->active == 0 || hash))
        st = qr_db_q(c, NULL, NULL, "UPDATE web_sessions SET revoked = 1 WHERE user_id = ?",
                     QR_TEXT(id));
    if (!st && in->active == 0)
        st = qr_db_q(c, NULL, NULL, "UPDATE account_tokens SET used = 1 WHERE user_id = ?",
                     QR_TEXT(id));
    return st;
}

qr_status_t qr_account_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                              const qr_user_input_t *in, qr_user_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_user_t u;
    qr_org_ref_t ref;
    char *hash = NULL;
    qr_status_t st = qr__user_resolve(c, p, id, QR_ACCESS_WRITE, now, &u, &ref, err);
    if (st)
        goto out;
    if ((st = check_update(ctx, p, &u, &ref, in, &hash, err)))
        goto out;
    if ((st = qr_dbc_begin(c)))
        goto out;
    if ((st = qr__user_update_row(c, id, in, hash, now)) || (st = end_access(c, id, in, hash)))
        goto out;
    char detail[160];
    snprintf(detail, sizeof(detail), "%s%s%s%s", in->role ? "role " : "",
             in->active >= 0 ? "active " : "", hash ? "password " : "",
             in->email || in->first_name || in->last_name ? "profile" : "");
    qr_audit_write(c, now, ref.id, p->user_id, "user_updated", id, detail);
    if ((st = qr_dbc_commit(c)))
        goto out;
    st = qr__user_read(c, id, now, out);
out:
    free(hash);
    qr_user_clear(&u);
    qr_db_release(c);
    return st;
}

qr_status_t qr_account_update_self(qr_ctx_t *ctx, const qr_principal_t *p,
                                   const qr_user_input_t *in, qr_user_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (in->username || in->role || in->password || in->active >= 0)
        return qr_err_set(err, QR_E_READ_ONLY, NULL,
                          "only first_name, last_name and email can be changed here");
    if (check_profile(in, err))
        return QR_E_INVALID;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_db_q(c, NULL, NULL,
                             "UPDATE users SET email = COALESCE(?, email), first_name = "
                             "COALESCE(?, first_name), last_name = COALESCE(?, last_name), "
                             "updated_at = ? WHERE id = ? AND org_id = ?",
                             QR_TEXT(in->email), QR_TEXT(in->first_name), QR_TEXT(in->last_name),
                             QR_INT(now), QR_TEXT(p->user_id), QR_TEXT(p->org_id));
    if (!st) {
        qr_audit_write(c, now, p->org_id, p->user_id, "profile_updated", p->user_id, "");
        st = qr__user_read(c, p->user_id, now, out);
    }
    qr_db_release(c);
    return st;
}

qr_status_t qr_account_set_password(qr_ctx_t *ctx, const qr_principal_t *p, const char *current,
                                    const char *password, qr_err_t *err) {
    qr_status_t st = qr_login_check_password(ctx, p->user_id, p->org_id, current, err);
    if (st)
        return st;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    char *hash = NULL;
    if ((st = qr_db_q(c, &r, NULL, "SELECT username FROM users WHERE id = ? AND org_id = ?",
                      QR_TEXT(p->user_id), QR_TEXT(p->org_id))))
        goto out;
    if (qr_dbres_rows(r) != 1) {
        st = qr_err_set(err, QR_E_UNAUTHORIZED, NULL, "the account no longer exists");
        goto out;
    }
    if ((st = check_password(ctx, password, qr_dbres_text(r, 0, 0), err)))
        goto out;
    if (strcmp(password, current) == 0) {
        st = qr_err_set(err, QR_E_INVALID, "invalid_password",
                        "the new password must differ from the current one");
        goto out;
    }
    if (!(hash = hash_password(ctx, password))) {
        st = qr_err_set(err, QR_E_CRYPTO, NULL, "password hashing failed");
        goto out;
    }
    if ((st = qr_dbc_begin(c)))
        goto out;
    /* The user chose it: a one-time password is replaced. */
    st = qr_db_q(c, NULL, NULL,
                 "UPDATE users SET pw_hash = ?, must_change_password = 0, auth_gen = auth_gen "
                 "+ 1, updated_at = ? WHERE id = ?",
                 QR_TEXT(hash), QR_INT(now), QR_TEXT(p->user_id));
    /* Every other session of the user ends; the current one goes on. */
    if (!st)
        st = qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE user_id = ? AND id <> ?",
                     QR_TEXT(p->user_id), QR_TEXT(p->session_id));
    if (!st)
        st = qr_db_q(c, NULL, NULL, "UPDATE web_sessions SET revoked = 1 WHERE user_id = ?",
                     QR_TEXT(p->user_id));
    if (!st)
        qr_audit_write(c, now, p->org_id, p->user_id, "password_changed", p->user_id, "");
    if (!st)
        st = qr_dbc_commit(c);
out:
    free(hash);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_account_reset_by_operator(qr_ctx_t *ctx, const char *slug, const char *username,
                                         qr_user_t *out, char **password, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    *password = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    char *hash = NULL;
    qr_status_t st = qr__user_find_by_name(c, slug, username, now, out, err);
    if (st)
        goto out;
    *password = generate_password(ctx, out->username);
    if (!(hash = hash_password(ctx, *password))) {
        st = qr_err_set(err, QR_E_CRYPTO, NULL, "password hashing failed");
        goto out;
    }
    if ((st = qr_dbc_begin(c)))
        goto out;
    /* One-time (replaced at first sign-in), unlocked (AUTH-5), every session and pending
     * link or emailed code ended. */
    st = qr_db_q(c, NULL, NULL,
                 "UPDATE users SET pw_hash = ?, must_change_password = 1, fail_prev = NULL, "
                 "fail_last = NULL, fail_prev2 = NULL, locked_until = NULL, auth_gen = "
                 "auth_gen + 1, updated_at = ? WHERE id = ? AND org_id = ?",
                 QR_TEXT(hash), QR_INT(now), QR_TEXT(out->id), QR_TEXT(out->org_id));
    static const char *const ends[] = {
        "UPDATE sessions SET revoked = 1 WHERE user_id = ?",
        "UPDATE web_sessions SET revoked = 1 WHERE user_id = ?",
        "UPDATE mfa_challenges SET used = 1 WHERE user_id = ?",
        "UPDATE account_tokens SET used = 1 WHERE user_id = ? AND purpose = 'reset'",
    };
    for (size_t i = 0; !st && i < sizeof(ends) / sizeof(ends[0]); i++)
        st = qr_db_q(c, NULL, NULL, ends[i], QR_TEXT(out->id));
    if (!st)
        qr_audit_write(c, now, out->org_id, NULL, "password_reset_by_operator", out->id,
                       "quire user reset-password");
    if (!st)
        st = qr_dbc_commit(c);
    if (!st) {
        char id[QR_ID_LEN + 1];
        snprintf(id, sizeof(id), "%s", out->id);
        qr_user_clear(out);
        st = qr__user_read(c, id, now, out);
    }
out:
    free(hash);
    qr_db_release(c);
    if (st) {
        qr_user_clear(out);
        if (*password) {
            memset(*password, 0, strlen(*password));
            free(*password);
            *password = NULL;
        }
    }
    return st;
}
