/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user accounts as rows. Every query carries the org condition of the resolved org;
 * the rules of AUTH-2/3/4 on the values written are auth/account.c's. */
#include "tenancy/user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "store/audit.h"
#include "tenancy/license.h"

#define USER_COLUMNS                                                                               \
    "u.id, u.org_id, u.username, u.email, u.first_name, u.last_name, u.role, u.active, "           \
    "u.locked_until, u.created_at, CASE WHEN u.pin_lookup IS NULL THEN 0 ELSE 1 END, "             \
    "u.must_change_password"
#define MAX_PARAMS 16

void qr_user_input_init(qr_user_input_t *in) {
    memset(in, 0, sizeof(*in));
    in->active = -1;
}

void qr_user_clear(qr_user_t *u) {
    free(u->username);
    free(u->email);
    free(u->first_name);
    free(u->last_name);
    free(u->role);
    memset(u, 0, sizeof(*u));
}

void qr_user_list_free(qr_user_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_user_clear(&v[i]);
    free(v);
}

/* Row i of a result selected with USER_COLUMNS, read at time now (for the lockout). */
static void user_from_row(const qr_dbres_t *r, int i, int64_t now, qr_user_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    snprintf(out->org_id, sizeof(out->org_id), "%s", qr_dbres_text(r, i, 1));
    out->username = qr_xstrdup(qr_dbres_text(r, i, 2));
    out->email = qr_xstrdup(qr_dbres_text(r, i, 3));
    out->first_name = qr_xstrdup(qr_dbres_text(r, i, 4));
    out->last_name = qr_xstrdup(qr_dbres_text(r, i, 5));
    out->role = qr_xstrdup(qr_dbres_text(r, i, 6));
    out->active = (int)qr_dbres_int(r, i, 7);
    out->locked = !qr_dbres_isnull(r, i, 8) && qr_dbres_int(r, i, 8) > now;
    out->created_at = qr_dbres_int(r, i, 9);
    out->has_pin = qr_dbres_int(r, i, 10) != 0;
    out->must_change_password = qr_dbres_int(r, i, 11) != 0;
}

qr_status_t qr__user_insert_row(qr_dbc_t *c, const char *org_id, const qr_user_input_t *in,
                                const char *pw_hash, int must_change_password, int64_t now,
                                char id[QR_ID_LEN + 1], qr_err_t *err) {
    qr_random_id(id);
    /* TEN-5: every account counts against the license's users, deactivated ones too. */
    qr_status_t st = qr_license_check_users(c, org_id, err);
    if (st)
        return st;
    st = qr_db_q(
        c, NULL, NULL,
        "INSERT INTO users (id, org_id, username, email, first_name, last_name, role, active, "
        "pw_hash, must_change_password, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?)",
        QR_TEXT(id), QR_TEXT(org_id), QR_TEXT(in->username), QR_TEXT(in->email ? in->email : ""),
        QR_TEXT(in->first_name ? in->first_name : ""), QR_TEXT(in->last_name ? in->last_name : ""),
        QR_TEXT(in->role), QR_INT(in->active == 0 || in->invite ? 0 : 1), QR_TEXT(pw_hash),
        QR_INT(must_change_password), QR_INT(now), QR_INT(now));
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, NULL, "the username '%s' is already taken in this organization",
                   in->username);
    return st;
}

qr_status_t qr__user_update_row(qr_dbc_t *c, const char *id, const qr_user_input_t *in,
                                const char *pw_hash, int64_t now) {
    return qr_db_q(
        c, NULL, NULL,
        "UPDATE users SET email = COALESCE(?, email), first_name = COALESCE(?, "
        "first_name), last_name = COALESCE(?, last_name), role = COALESCE(?, role), "
        "active = CASE WHEN ? >= 0 THEN ? ELSE active END, "
        "pw_hash = COALESCE(?, pw_hash), "
        "fail_prev = CASE WHEN CAST(? AS TEXT) IS NULL THEN fail_prev ELSE NULL END, "
        "fail_last = CASE WHEN CAST(? AS TEXT) IS NULL THEN fail_last ELSE NULL END, "
        "locked_until = CASE WHEN CAST(? AS TEXT) IS NULL THEN locked_until ELSE NULL END, "
        "updated_at = ? WHERE id = ?",
        QR_TEXT(in->email), QR_TEXT(in->first_name), QR_TEXT(in->last_name), QR_TEXT(in->role),
        QR_INT(in->active), QR_INT(in->active), QR_TEXT(pw_hash), QR_TEXT(pw_hash),
        QR_TEXT(pw_hash), QR_TEXT(pw_hash), QR_INT(now), QR_TEXT(id));
}

qr_status_t qr__user_read(qr_dbc_t *c, const char *id, int64_t now, qr_user_t *out) {
    qr_dbres_t *r = NULL;
    memset(out, 0, sizeof(*out));
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT " USER_COLUMNS " FROM users u WHERE u.id = ?", QR_TEXT(id));
    if (!st && qr_dbres_rows(r) == 1)
        user_from_row(r, 0, now, out);
    else if (!st)
        st = QR_E_NOT_FOUND;
    qr_dbres_free(r);
    return st;
}

qr_status_t qr__user_resolve(qr_dbc_t *c, const qr_principal_t *p, const char *id, qr_access_t want,
                             int64_t now, qr_user_t *out, qr_org_ref_t *ref, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (!qr_id_is_valid(id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    qr_buf_t sql;
    qr_buf_init(&sql, 4096);
    qr_buf_puts(&sql, "SELECT " USER_COLUMNS " FROM users u JOIN orgs o ON o.id = u.org_id "
                      "WHERE u.id = ? AND (u.id = ? OR ");
    qr_dbval_t params[MAX_PARAMS];
    int n = 0;
    char scratch[512];
    params[n++] = QR_TEXT(id);
    params[n++] = QR_TEXT(p->user_id);
    qr_policy_scope(p, QR_RES_USERS, QR_ACCESS_READ, &sql, params, &n, MAX_PARAMS, scratch,
                    sizeof(scratch));
    qr_buf_puts(&sql, ")");
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_dbc_exec(c, sql.ptr, params, n, &r, NULL);
    qr_buf_free(&sql);
    if (st)
        goto out;
    if (qr_dbres_rows(r) != 1) {
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
        goto out;
    }
    user_from_row(r, 0, now, out);
    if (want == QR_ACCESS_WRITE) {
        st = qr_org_resolve(c, p, out->org_id, QR_RES_USERS, QR_ACCESS_WRITE, ref, err);
        if (st == QR_E_NOT_FOUND)
            st = qr_err_set(err, QR_E_FORBIDDEN, NULL,
                            "only an admin of your organization can change this account");
    }
out:
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_user_read(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_user_t *out,
                         qr_err_t *err) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st =
        qr__user_resolve(c, p, id, QR_ACCESS_READ, qr_clock_now(ctx->clock), out, NULL, err);
    qr_db_release(c);
    if (st)
        qr_user_clear(out);
    return st;
}

static void user_row(qr_dbc_t *c, const qr_dbres_t *r, int i, void *out, void *now) {
    (void)c;
    user_from_row(r, i, *(const int64_t *)now, out);
}

qr_status_t qr_user_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                         qr_user_t **items, size_t *n, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    void *v = NULL;
    qr_status_t st = qr_org_list_rows(ctx, p, org_id, QR_RES_USERS,
                                      "SELECT " USER_COLUMNS
                                      " FROM users u WHERE u.org_id = ? ORDER BY u.username",
                                      NULL, 0, sizeof(**items), user_row, &now, &v, n, err);
    *items = v;
    return st;
}

qr_status_t qr_user_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_user_t u;
    qr_org_ref_t ref;
    qr_status_t st = qr__user_resolve(c, p, id, QR_ACCESS_WRITE, now, &u, &ref, err);
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
    qr_user_clear(&u);
    qr_db_release(c);
    return st;
}

qr_status_t qr_user_unlock(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_user_t u;
    qr_org_ref_t ref;
    qr_status_t st = qr__user_resolve(c, p, id, QR_ACCESS_WRITE, now, &u, &ref, err);
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE users SET fail_prev = NULL, fail_last = NULL, fail_prev2 = NULL, "
                     "locked_until = NULL, "
                     "updated_at = ? WHERE id = ? AND org_id = ?",
                     QR_INT(now), QR_TEXT(id), QR_TEXT(ref.id));
    if (!st)
        qr_audit_write(c, now, ref.id, p->user_id, "account_unlocked", id, "");
    qr_user_clear(&u);
    qr_db_release(c);
    return st;
}
