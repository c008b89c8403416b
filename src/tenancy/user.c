/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user accounts as rows. Every query carries the org condition of the resolved org;
 * the rules of AUTH-2/3/4 on the values written are auth/account.c's. */
#include "tenancy/user.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ustring.h>
#include <unicode/unorm2.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/audit.h"
#include "tenancy/license.h"

#define USER_COLUMNS                                                                               \
    "u.id, u.org_id, u.username, u.email, u.first_name, u.last_name, u.role, u.active, "           \
    "u.locked_until, u.created_at, CASE WHEN u.pin_lookup IS NULL THEN 0 ELSE 1 END, "             \
    "u.must_change_password"
#define MAX_PARAMS 16
/* UTF-16 units of a name being folded: folding and normalizing may grow it (ß -> ss). */
#define KEY_UNITS 1024

char *qr_user_name_key(const char *name) {
    UChar a[KEY_UNITS], b[KEY_UNITS];
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&e);
    int32_t n = 0;
    u_strFromUTF8(a, KEY_UNITS, &n, name, -1, &e);
    if (U_SUCCESS(e))
        n = unorm2_normalize(nfc, a, n, b, KEY_UNITS, &e);
    if (U_SUCCESS(e))
        n = u_strFoldCase(a, KEY_UNITS, b, n, U_FOLD_CASE_DEFAULT, &e);
    if (U_SUCCESS(e))
        n = unorm2_normalize(nfc, a, n, b, KEY_UNITS, &e);
    if (U_FAILURE(e) || e == U_STRING_NOT_TERMINATED_WARNING)
        return NULL;
    char *out = qr_xmalloc((size_t)KEY_UNITS * 3 + 1);
    int32_t len = 0;
    u_strToUTF8(out, KEY_UNITS * 3 + 1, &len, b, n, &e);
    if (U_FAILURE(e)) {
        free(out);
        return NULL;
    }
    return out;
}

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

/* QR_E_CONFLICT naming the existing username if org_id has one with key. */
static qr_status_t taken_by(qr_dbc_t *c, const char *org_id, const char *key, qr_err_t *err) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT username FROM users WHERE org_id = ? AND username_key = ? "
                             "ORDER BY created_at, id",
                             QR_TEXT(org_id), QR_TEXT(key));
    if (!st && qr_dbres_rows(r) > 0)
        st = qr_err_set(err, QR_E_CONFLICT, NULL,
                        "the username is already taken in this organization by '%s' (usernames "
                        "are compared regardless of case and Unicode form)",
                        qr_dbres_text(r, 0, 0));
    qr_dbres_free(r);
    return st;
}

qr_status_t qr__user_insert_row(qr_dbc_t *c, const char *org_id, const qr_user_input_t *in,
                                const char *pw_hash, int must_change_password, int64_t now,
                                char id[QR_ID_LEN + 1], qr_err_t *err) {
    qr_random_id(id);
    /* TEN-5: every account counts against the license's users, deactivated ones too. */
    qr_status_t st = qr_license_check_users(c, org_id, err);
    if (st)
        return st;
    char *key = qr_user_name_key(in->username);
    if (!key)
        return qr_err_set(err, QR_E_INVALID, "invalid_username",
                          "username must be valid UTF-8 of at most 64 characters");
    /* Checked here too, because legacy duplicates stay out of the unique index. */
    st = taken_by(c, org_id, key, err);
    if (!st)
        st = qr_db_q(
            c, NULL, NULL,
            "INSERT INTO users (id, org_id, username, username_key, email, first_name, last_name, "
            "role, active, pw_hash, must_change_password, created_at, updated_at) VALUES (?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            QR_TEXT(id), QR_TEXT(org_id), QR_TEXT(in->username), QR_TEXT(key),
            QR_TEXT(in->email ? in->email : ""), QR_TEXT(in->first_name ? in->first_name : ""),
            QR_TEXT(in->last_name ? in->last_name : ""), QR_TEXT(in->role),
            QR_INT(in->active == 0 || in->invite ? 0 : 1), QR_TEXT(pw_hash),
            QR_INT(must_change_password), QR_INT(now), QR_INT(now));
    if (st == QR_E_CONFLICT && taken_by(c, org_id, key, err) == QR_OK)
        qr_err_set(err, st, NULL, "the username '%s' is already taken in this organization",
                   in->username);
    free(key);
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
        /* a new password, a role change or a deactivation ends remembered credentials */
        "auth_gen = auth_gen + CASE WHEN CAST(? AS TEXT) IS NOT NULL OR CAST(? AS TEXT) IS NOT "
        "NULL OR ? = 0 THEN 1 ELSE 0 END, "
        "updated_at = ? WHERE id = ?",
        QR_TEXT(in->email), QR_TEXT(in->first_name), QR_TEXT(in->last_name), QR_TEXT(in->role),
        QR_INT(in->active), QR_INT(in->active), QR_TEXT(pw_hash), QR_TEXT(pw_hash),
        QR_TEXT(pw_hash), QR_TEXT(pw_hash), QR_TEXT(pw_hash), QR_TEXT(in->role), QR_INT(in->active),
        QR_INT(now), QR_TEXT(id));
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

qr_status_t qr__user_find_by_name(qr_dbc_t *c, const char *slug, const char *username, int64_t now,
                                  qr_user_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, "SELECT id FROM orgs WHERE slug = ?", QR_TEXT(slug));
    if (!st && qr_dbres_rows(r) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "no organization with slug '%s'", slug);
    if (st)
        goto out;
    char org_id[QR_ID_LEN + 1];
    snprintf(org_id, sizeof(org_id), "%s", qr_dbres_text(r, 0, 0));
    qr_dbres_free(r);
    r = NULL;
    char *key = qr_user_name_key(username);
    st = qr_db_q(c, &r, NULL,
                 "SELECT " USER_COLUMNS " FROM users u WHERE u.org_id = ? AND " QR_USER_NAME_MATCH,
                 QR_TEXT(org_id), QR_TEXT(username), QR_TEXT(key), QR_TEXT(username));
    free(key);
    if (st)
        goto out;
    if (qr_dbres_rows(r) == 1)
        user_from_row(r, 0, now, out);
    else
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "no user '%s' in organization '%s'", username,
                        slug);
out:
    qr_dbres_free(r);
    return st;
}

/* An admin account of a direct child org where p may read QR_RES_ADMINS (list, unlock, reset
 * link); ref is resolved for read. */
static qr_status_t resolve_child_admin(qr_dbc_t *c, const qr_principal_t *p, const char *id,
                                       int64_t now, qr_user_t *out, qr_org_ref_t *ref,
                                       qr_err_t *err) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_policy_find(c, p, QR_RES_ADMINS,
                                    "SELECT " USER_COLUMNS " FROM users u JOIN orgs o ON o.id = "
                                    "u.org_id WHERE u.id = ? AND u.role IN ('customer_admin', "
                                    "'provider_admin') AND ",
                                    id, &r);
    if (!st) {
        user_from_row(r, 0, now, out);
        st = qr_org_resolve(c, p, out->org_id, QR_RES_ADMINS, QR_ACCESS_READ, ref, err);
    } else if (st == QR_E_NOT_FOUND) {
        qr_err_set(err, st, NULL, "user not found");
    }
    qr_dbres_free(r);
    return st;
}

qr_status_t qr__user_resolve_assist(qr_dbc_t *c, const qr_principal_t *p, const char *id,
                                    int64_t now, qr_user_t *out, qr_org_ref_t *ref, qr_err_t *err) {
    qr_status_t st = qr__user_resolve(c, p, id, QR_ACCESS_WRITE, now, out, ref, err);
    /* Not a user of one's own org: perhaps an admin of a direct child (TEN-3 stays strict
     * for everyone else there). A user one may only read (oneself) keeps its 403. */
    if (st == QR_E_NOT_FOUND) {
        qr_user_clear(out);
        st = resolve_child_admin(c, p, id, now, out, ref, err);
    }
    return st;
}

void qr__user_audit_assist(qr_dbc_t *c, const qr_principal_t *p, const qr_org_ref_t *ref,
                           int64_t now, const char *action, const char *target) {
    qr_audit_write(c, now, ref->id, p->user_id, action, target,
                   ref->rel == QR_REL_CHILD ? "by the parent organization" : "");
    if (ref->rel == QR_REL_CHILD) {
        char child_action[64];
        snprintf(child_action, sizeof(child_action), "child_%s", action);
        qr_audit_write(c, now, p->org_id, p->user_id, child_action, target, ref->id);
    }
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

/* q as a LIKE pattern matching it anywhere, lower-cased, with % _ and \ escaped by \:
 * a new string. */
static char *like_pattern(const char *q) {
    qr_buf_t b;
    qr_buf_init(&b, strlen(q) * 2 + 3);
    qr_buf_append(&b, "%", 1);
    for (const char *c = q; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            qr_buf_append(&b, "\\", 1);
        char lc = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
        qr_buf_append(&b, &lc, 1);
    }
    qr_buf_append(&b, "%", 1);
    return qr_buf_take(&b);
}

/* The page query, one text per shape so that each can seek the (org_id, username) index:
 * with or without a cursor, and a search: none, through the trigram index (PostgreSQL's
 * pg_trgm serves the LIKE itself; SQLite's FTS5 table user_search is asked first), or by
 * reading the org's users in order until the page is full (SQLite, a common term). */
#define PAGE_SELECT "SELECT " USER_COLUMNS " FROM users u WHERE u.org_id = ?"
#define PAGE_AFTER " AND u.username > ?"
#define PAGE_LIKE " AND LOWER(" QR_USER_SEARCH_TEXT ") LIKE ? ESCAPE '\\'"
#define PAGE_FTS " AND u.id IN (SELECT user_id FROM user_search WHERE text LIKE ?)"
#define PAGE_ORDER " ORDER BY u.username LIMIT ?"
/* Up to this many matches in the whole installation, SQLite's search takes the matching ids
 * from its trigram index (then sorts them); above it, the term is common and reading the
 * org's users in order fills a page sooner. */
#define FTS_NARROW 1000

enum { SEARCH_NONE, SEARCH_LIKE, SEARCH_FTS };

/* How to search for the LIKE pattern pat on c's database. SQLite's trigram index takes no
 * ESCAPE clause: a pattern with an escaped character is read in order. */
static int search_kind(qr_dbc_t *c, const char *pat) {
    if (!pat)
        return SEARCH_NONE;
    if (qr_dbc_kind(c) == QR_DB_PG || strchr(pat, '\\'))
        return SEARCH_LIKE;
    qr_dbres_t *r = NULL;
    long long hits = FTS_NARROW;
    if (!qr_db_q(c, &r, NULL,
                 "SELECT COUNT(*) FROM (SELECT 1 FROM user_search WHERE text LIKE ? LIMIT ?)",
                 QR_TEXT(pat), QR_INT(FTS_NARROW)) &&
        qr_dbres_rows(r) == 1)
        hits = qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    return hits < FTS_NARROW ? SEARCH_FTS : SEARCH_LIKE;
}

qr_status_t qr_user_page(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, const char *q,
                         const char *after, int limit, qr_user_t **items, size_t *n, char **next,
                         qr_err_t *err) {
    static const char *const sql[2][3] = {
        {PAGE_SELECT PAGE_ORDER, PAGE_SELECT PAGE_LIKE PAGE_ORDER, PAGE_SELECT PAGE_FTS PAGE_ORDER},
        {PAGE_SELECT PAGE_AFTER PAGE_ORDER, PAGE_SELECT PAGE_AFTER PAGE_LIKE PAGE_ORDER,
         PAGE_SELECT PAGE_AFTER PAGE_FTS PAGE_ORDER},
    };
    int64_t now = qr_clock_now(ctx->clock);
    char *pat = q && *q ? like_pattern(q) : NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    int how = search_kind(c, pat);
    qr_db_release(c);
    void *v = NULL;
    *next = NULL;
    /* The parameters in the order of the chosen text; one row more than asked tells whether
     * there is a next page. */
    qr_dbval_t extra[3];
    int k = 0;
    if (after)
        extra[k++] = QR_TEXT(after);
    if (pat)
        extra[k++] = QR_TEXT(pat);
    extra[k++] = QR_INT(limit + 1);
    qr_status_t st = qr_org_list_rows(ctx, p, org_id, QR_RES_USERS, sql[after ? 1 : 0][how], extra,
                                      k, sizeof(**items), user_row, &now, &v, n, err);
    *items = v;
    if (!st && *n > (size_t)limit) {
        qr_user_clear(&(*items)[limit]);
        *n = (size_t)limit;
        *next = qr_xstrdup((*items)[limit - 1].username);
    }
    free(pat);
    return st;
}

qr_status_t qr_user_list_admins(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                                qr_user_t **items, size_t *n, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    void *v = NULL;
    qr_status_t st =
        qr_org_list_rows(ctx, p, org_id, QR_RES_ADMINS,
                         "SELECT " USER_COLUMNS " FROM users u WHERE u.org_id = ? AND u.role IN "
                         "('customer_admin', 'provider_admin') ORDER BY u.username",
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
    qr_status_t st = qr__user_resolve_assist(c, p, id, now, &u, &ref, err);
    if (!st)
        st = qr_dbc_begin(c);
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE users SET fail_prev = NULL, fail_last = NULL, fail_prev2 = NULL, "
                     "locked_until = NULL, "
                     "updated_at = ? WHERE id = ? AND org_id = ?",
                     QR_INT(now), QR_TEXT(id), QR_TEXT(ref.id));
    if (!st)
        qr__user_audit_assist(c, p, &ref, now, "account_unlocked", id);
    if (!st)
        st = qr_dbc_commit(c);
    qr_user_clear(&u);
    qr_db_release(c);
    return st;
}

/* Gives the user of row i of r (id, org_id, username) its key; *dup tells whether the key was
 * already another account's. */
static qr_status_t backfill_one(qr_dbc_t *c, const qr_dbres_t *r, int i, int *dup) {
    char *key = qr_user_name_key(qr_dbres_text(r, i, 2));
    qr_dbres_t *x = NULL;
    qr_status_t st = QR_OK;
    *dup = 0;
    /* A name that is not valid UTF-8 keeps no key: only its exact form signs in. */
    if (key)
        st = qr_db_q(c, &x, NULL,
                     "SELECT 1 FROM users WHERE org_id = ? AND username_key = ? AND "
                     "username_key_dup = 0",
                     QR_TEXT(qr_dbres_text(r, i, 1)), QR_TEXT(key));
    *dup = !st && qr_dbres_rows(x) > 0;
    if (!st)
        st = qr_db_q(
            c, NULL, NULL, "UPDATE users SET username_key = ?, username_key_dup = ? WHERE id = ?",
            QR_TEXT(key ? key : ""), QR_INT(key ? *dup : 1), QR_TEXT(qr_dbres_text(r, i, 0)));
    qr_dbres_free(x);
    free(key);
    return st;
}

qr_status_t qr_user_backfill_keys(qr_db_t *db, qr_err_t *err) {
    qr_dbc_t *c = qr_db_acquire(db);
    qr_dbres_t *r = NULL;
    int dups = 0;
    qr_status_t st = qr_dbc_begin(c);
    if (!st)
        st = qr_db_q(c, &r, NULL,
                     "SELECT id, org_id, username FROM users WHERE username_key IS NULL ORDER BY "
                     "org_id, created_at, id");
    for (int i = 0; !st && i < qr_dbres_rows(r); i++) {
        int dup = 0;
        st = backfill_one(c, r, i, &dup);
        dups += dup;
    }
    if (!st)
        st = qr_dbc_commit(c);
    qr_dbres_free(r);
    r = NULL;
    /* Reported, not merged: one line per org, every time older rows were keyed. */
    if (!st && dups > 0 &&
        !(st = qr_db_q(c, &r, NULL,
                       "SELECT o.slug, COUNT(*) FROM users u JOIN orgs o ON o.id = u.org_id WHERE "
                       "u.username_key_dup = 1 GROUP BY o.slug ORDER BY o.slug")))
        for (int i = 0; i < qr_dbres_rows(r); i++)
            qr_log_warn("username_duplicates",
                        "organization %s: %lld username(s) collide with another account's after "
                        "case folding and Unicode normalization; each signs in by its exact name "
                        "only until renamed or deleted; list them with `quire user duplicates`",
                        qr_dbres_text(r, i, 0), (long long)qr_dbres_int(r, i, 1));
    qr_dbres_free(r);
    qr_db_release(c);
    if (st)
        qr_err_set(err, st, NULL, "writing the usernames' comparison keys failed (see the log)");
    return st;
}

void qr_user_dup_list_free(qr_user_dup_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_user_clear(&v[i].user);
    free(v);
}

qr_status_t qr_user_list_duplicates(qr_ctx_t *ctx, qr_user_dup_t **items, size_t *n,
                                    qr_err_t *err) {
    *items = NULL;
    *n = 0;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT " USER_COLUMNS ", o.slug FROM users u JOIN orgs o ON o.id = u.org_id "
                "WHERE EXISTS (SELECT 1 FROM users d WHERE d.org_id = u.org_id AND "
                "d.username_key = u.username_key AND d.username_key_dup = 1 AND "
                "d.username_key <> '') ORDER BY o.slug, u.username_key, u.created_at, u.id");
    if (!st && qr_dbres_rows(r) > 0) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n, sizeof(**items));
        for (size_t i = 0; i < *n; i++) {
            user_from_row(r, (int)i, now, &(*items)[i].user);
            snprintf((*items)[i].org_slug, sizeof((*items)[i].org_slug), "%s",
                     qr_dbres_text(r, (int)i, 12));
        }
    }
    if (st)
        qr_err_set(err, st, NULL, "listing duplicate usernames failed (see the log)");
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
