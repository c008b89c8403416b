/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user accounts. Rules of AUTH-2/3/4 are checked on every value that is set; values
 * stored before a rule existed stay valid until they are changed (the legacy rule). */
#include "tenancy/user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/account_rules.h"
#include "auth/login.h"
#include "auth/recovery.h"
#include "core/mail.h"
#include "core/buf.h"
#include "core/mem.h"
#include "crypto/password.h"
#include "report/audit.h"
#include "tenancy/org.h"

#define USER_COLS                                                                                  \
    "u.id, u.org_id, u.username, u.email, u.first_name, u.last_name, u.role, u.active, "           \
    "u.locked_until, u.created_at, CASE WHEN u.pin_lookup IS NULL THEN 0 ELSE 1 END, "             \
    "u.must_change_password"
#define MAX_PARAMS 16
#define GENERATED_PASSWORD_LEN 16

void qr_user_input_init(qr_user_input_t *in) {
    memset(in, 0, sizeof(*in));
    in->active = -1;
}

/* The client view of a user. The PIN is only ever shown masked here (AUTH-8); its owner reads
 * it at /api/v1/me/pin. */
static json_t *user_row_json(const qr_dbres_t *r, int i, int64_t now) {
    int locked = !qr_dbres_isnull(r, i, 8) && qr_dbres_int(r, i, 8) > now;
    json_t *u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:I}", "id",
                          qr_dbres_text(r, i, 0), "org_id", qr_dbres_text(r, i, 1), "username",
                          qr_dbres_text(r, i, 2), "email", qr_dbres_text(r, i, 3), "first_name",
                          qr_dbres_text(r, i, 4), "last_name", qr_dbres_text(r, i, 5), "role",
                          qr_dbres_text(r, i, 6), "active", (int)qr_dbres_int(r, i, 7), "locked",
                          locked, "created_at", (json_int_t)qr_dbres_int(r, i, 9));
    json_object_set_new(u, "pin", qr_dbres_int(r, i, 10) ? json_string("****") : json_null());
    json_object_set_new(u, "password_change_required", json_boolean(qr_dbres_int(r, i, 11)));
    return u;
}

json_t *qr__user_json(qr_dbc_t *c, const char *id, int64_t now) {
    qr_dbres_t *r = NULL;
    json_t *out = NULL;
    if (qr_db_q(c, &r, NULL, "SELECT " USER_COLS " FROM users u WHERE u.id = ?", QR_TEXT(id)) ==
            QR_OK &&
        qr_dbres_rows(r) == 1)
        out = user_row_json(r, 0, now);
    qr_dbres_free(r);
    return out;
}

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

qr_status_t qr__user_insert(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *org_type,
                            const qr_user_input_t *in, int64_t now, char id[QR_ID_LEN + 1],
                            char **generated, qr_err_t *err) {
    char msg[256];
    *generated = NULL;
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
    if (check_profile(in, err))
        return QR_E_INVALID;
    const char *password = in->password;
    if (in->invite) {
        if (password)
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "an invited user chooses the password: leave 'password' out");
        if (!in->email || !*in->email)
            return qr_err_set(err, QR_E_INVALID, NULL, "an invitation needs 'email'");
        if (!qr_mail_enabled(ctx->cfg))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "invitations need email, which this server has not configured "
                              "(smtp_url)");
    } else if (password) {
        if (check_password(ctx, password, in->username, err))
            return QR_E_INVALID;
    } else {
        do {
            free(*generated);
            *generated = qr_random_password(GENERATED_PASSWORD_LEN);
        } while (qr_password_check(*generated, in->username, ctx->common, msg, sizeof(msg)));
        password = *generated;
    }
    char *hash = in->invite ? NULL : hash_password(ctx, password);
    if (!hash && !in->invite) {
        free(*generated);
        *generated = NULL;
        return qr_err_set(err, QR_E_CRYPTO, NULL, "password hashing failed");
    }
    qr_random_id(id);
    qr_status_t st = qr_db_q(
        c, NULL, NULL,
        "INSERT INTO users (id, org_id, username, email, first_name, last_name, role, active, "
        "pw_hash, must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?)",
        QR_TEXT(id), QR_TEXT(org_id), QR_TEXT(in->username), QR_TEXT(in->email ? in->email : ""),
        QR_TEXT(in->first_name ? in->first_name : ""), QR_TEXT(in->last_name ? in->last_name : ""),
        QR_TEXT(in->role), QR_INT(in->active == 0 || in->invite ? 0 : 1), QR_TEXT(hash),
        /* A password quire made up is one-time: the person chooses their own first. */
        QR_INT(*generated != NULL), QR_INT(now), QR_INT(now));
    free(hash);
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, NULL, "the username '%s' is already taken in this organization",
                   in->username);
    if (st) {
        free(*generated);
        *generated = NULL;
    }
    return st;
}

qr_status_t qr_user_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           const qr_user_input_t *in, json_t **out, qr_err_t *err) {
    *out = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    char *generated = NULL;
    qr_org_ref_t ref;
    char id[QR_ID_LEN + 1];
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_USERS, QR_ACCESS_WRITE, &ref, err);
    if (st)
        goto out;
    if ((st = qr__user_insert(ctx, c, ref.id, ref.is_customer ? "customer" : "provider", in, now,
                              id, &generated, err)))
        goto out;
    qr_audit_write(c, now, ref.id, p->user_id, "user_created", id, in->role);
    if (in->invite && (st = qr_invite_send(ctx, id, err))) {
        /* Nothing half-done: an invitation that cannot be sent leaves no account behind. */
        qr_db_q(c, NULL, NULL, "DELETE FROM users WHERE id = ? AND org_id = ?", QR_TEXT(id),
                QR_TEXT(ref.id));
        goto out;
    }
    *out = qr__user_json(c, id, now);
    if (*out && in->invite)
        json_object_set_new(*out, "invited", json_true());
    if (*out && generated)
        json_object_set_new(*out, "password", json_string(generated));
out:
    qr_db_release(c);
    if (generated) {
        memset(generated, 0, strlen(generated));
        free(generated);
    }
    return st;
}

/* Loads a user row the principal may access for res/want: itself (read only) or a user of
 * an org in scope. *self tells which. */
static qr_status_t resolve_user(qr_dbc_t *c, const qr_principal_t *p, const char *id,
                                qr_access_t want, qr_dbres_t **r, qr_org_ref_t *ref,
                                qr_err_t *err) {
    *r = NULL;
    if (!qr_id_is_valid(id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    qr_buf_t sql;
    qr_buf_init(&sql, 4096);
    qr_buf_puts(&sql, "SELECT " USER_COLS ", u.pw_hash FROM users u JOIN orgs o ON o.id = u.org_id "
                      "WHERE u.id = ? AND (u.id = ? OR ");
    qr_dbval_t params[MAX_PARAMS];
    int n = 0;
    char scratch[512];
    params[n++] = QR_TEXT(id);
    params[n++] = QR_TEXT(p->user_id);
    qr_policy_scope(p, QR_RES_USERS, QR_ACCESS_READ, &sql, params, &n, MAX_PARAMS, scratch,
                    sizeof(scratch));
    qr_buf_puts(&sql, ")");
    qr_status_t st = qr_dbc_exec(c, sql.ptr, params, n, r, NULL);
    qr_buf_free(&sql);
    if (st)
        return st;
    if (qr_dbres_rows(*r) != 1)
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    if (want == QR_ACCESS_WRITE) {
        st = qr_org_resolve(c, p, qr_dbres_text(*r, 0, 1), QR_RES_USERS, QR_ACCESS_WRITE, ref, err);
        if (st == QR_E_NOT_FOUND)
            st = qr_err_set(err, QR_E_FORBIDDEN, NULL,
                            "only an admin of your organization can change this account");
    }
    return st;
}

qr_status_t qr_user_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, json_t **out,
                        qr_err_t *err) {
    *out = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = resolve_user(c, p, id, QR_ACCESS_READ, &r, NULL, err);
    if (!st)
        *out = user_row_json(r, 0, qr_clock_now(ctx->clock));
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_user_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, json_t **out,
                         qr_err_t *err) {
    *out = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_USERS, QR_ACCESS_READ, &ref, err);
    if (!st)
        st = qr_db_q(c, &r, NULL,
                     "SELECT " USER_COLS " FROM users u WHERE u.org_id = ? ORDER BY u.username",
                     QR_TEXT(ref.id));
    if (!st) {
        int64_t now = qr_clock_now(ctx->clock);
        json_t *items = json_array();
        for (int i = 0; i < qr_dbres_rows(r); i++)
            json_array_append_new(items, user_row_json(r, i, now));
        *out = json_pack("{s:o}", "items", items);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_user_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                           const qr_user_input_t *in, json_t **out, qr_err_t *err) {
    *out = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_org_ref_t ref;
    char *hash = NULL;
    qr_status_t st = resolve_user(c, p, id, QR_ACCESS_WRITE, &r, &ref, err);
    if (st)
        goto out;
    int self = strcmp(qr_dbres_text(r, 0, 0), p->user_id) == 0;
    const char *username = qr_dbres_text(r, 0, 2);
    if (in->role) {
        int role = qr_role_parse(in->role);
        if (role < 0 ||
            !qr_role_fits_org((qr_role_t)role, ref.is_customer ? "customer" : "provider")) {
            st = qr_err_set(err, QR_E_INVALID, NULL,
                            "the role %.40s does not exist in a %s organization", in->role,
                            ref.is_customer ? "customer" : "provider");
            goto out;
        }
        if (self && role != (int)p->role) {
            st = qr_err_set(err, QR_E_FORBIDDEN, NULL, "you cannot change your own role");
            goto out;
        }
    }
    if (self && in->active == 0) {
        st = qr_err_set(err, QR_E_FORBIDDEN, NULL, "you cannot deactivate your own account");
        goto out;
    }
    /* One's own password changes only with the current one (and its lockout accounting). */
    if (self && in->password) {
        st = qr_err_set(err, QR_E_FORBIDDEN, NULL,
                        "change your own password with POST /api/v1/me/password, which asks "
                        "for the current one");
        goto out;
    }
    if ((st = check_profile(in, err)))
        goto out;
    if (in->password) {
        if ((st = check_password(ctx, in->password, username, err)))
            goto out;
        if (!(hash = hash_password(ctx, in->password))) {
            st = qr_err_set(err, QR_E_CRYPTO, NULL, "password hashing failed");
            goto out;
        }
    }
    if ((st = qr_dbc_begin(c)))
        goto out;
    st =
        qr_db_q(c, NULL, NULL,
                "UPDATE users SET email = COALESCE(?, email), first_name = COALESCE(?, "
                "first_name), last_name = COALESCE(?, last_name), role = COALESCE(?, role), "
                "active = CASE WHEN ? >= 0 THEN ? ELSE active END, "
                "pw_hash = COALESCE(?, pw_hash), "
                "fail_prev = CASE WHEN CAST(? AS TEXT) IS NULL THEN fail_prev ELSE NULL END, "
                "fail_last = CASE WHEN CAST(? AS TEXT) IS NULL THEN fail_last ELSE NULL END, "
                "locked_until = CASE WHEN CAST(? AS TEXT) IS NULL THEN locked_until ELSE NULL END, "
                "updated_at = ? WHERE id = ?",
                QR_TEXT(in->email), QR_TEXT(in->first_name), QR_TEXT(in->last_name),
                QR_TEXT(in->role), QR_INT(in->active), QR_INT(in->active), QR_TEXT(hash),
                QR_TEXT(hash), QR_TEXT(hash), QR_TEXT(hash), QR_INT(now), QR_TEXT(id));
    if (st)
        goto out;
    /* A role change, deactivation or password reset ends the user's sessions. */
    if (in->role || in->active == 0 || hash)
        st = qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE user_id = ?",
                     QR_TEXT(id));
    if (!st && (in->role || in->active == 0 || hash))
        st = qr_db_q(c, NULL, NULL, "UPDATE web_sessions SET revoked = 1 WHERE user_id = ?",
                     QR_TEXT(id));
    /* A deactivated account's pending invitation must not reactivate it. */
    if (!st && in->active == 0)
        st = qr_db_q(c, NULL, NULL, "UPDATE account_tokens SET used = 1 WHERE user_id = ?",
                     QR_TEXT(id));
    if (st)
        goto out;
    char detail[160];
    snprintf(detail, sizeof(detail), "%s%s%s%s", in->role ? "role " : "",
             in->active >= 0 ? "active " : "", hash ? "password " : "",
             in->email || in->first_name || in->last_name ? "profile" : "");
    qr_audit_write(c, now, ref.id, p->user_id, "user_updated", id, detail);
    if ((st = qr_dbc_commit(c)))
        goto out;
    *out = qr__user_json(c, id, now);
out:
    free(hash);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_user_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_org_ref_t ref;
    qr_status_t st = resolve_user(c, p, id, QR_ACCESS_WRITE, &r, &ref, err);
    if (st)
        goto out;
    if (strcmp(id, p->user_id) == 0) {
        st = qr_err_set(err, QR_E_FORBIDDEN, NULL, "you cannot delete your own account");
        goto out;
    }
    if ((st = qr_dbc_begin(c)))
        goto out;
    if ((st = qr_db_q(c, NULL, NULL, "DELETE FROM users WHERE id = ? AND org_id = ?", QR_TEXT(id),
                      QR_TEXT(ref.id))))
        goto out;
    qr_audit_write(c, now, ref.id, p->user_id, "user_deleted", id, "");
    st = qr_dbc_commit(c);
out:
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_user_unlock(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_org_ref_t ref;
    qr_status_t st = resolve_user(c, p, id, QR_ACCESS_WRITE, &r, &ref, err);
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE users SET fail_prev = NULL, fail_last = NULL, fail_prev2 = NULL, "
                     "locked_until = NULL, "
                     "updated_at = ? WHERE id = ? AND org_id = ?",
                     QR_INT(now), QR_TEXT(id), QR_TEXT(ref.id));
    if (!st)
        qr_audit_write(c, now, ref.id, p->user_id, "account_unlocked", id, "");
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_me_update(qr_ctx_t *ctx, const qr_principal_t *p, const qr_user_input_t *in,
                         json_t **out, qr_err_t *err) {
    *out = NULL;
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
        *out = qr__user_json(c, p->user_id, now);
    }
    qr_db_release(c);
    return st;
}

qr_status_t qr_me_set_password(qr_ctx_t *ctx, const qr_principal_t *p, const char *current,
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
                 "UPDATE users SET pw_hash = ?, must_change_password = 0, updated_at = ? WHERE "
                 "id = ?",
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
