/* SPDX-License-Identifier: Apache-2.0 */
/* quire: monthly print quotas. */
#include "print/quota.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#include "core/tz.h"
#include "report/audit.h"
#include "tenancy/org.h"

/* The user's org (which must be one p may access quotas of, with want) and its time zone. */
static qr_status_t quota_user(qr_dbc_t *c, const qr_principal_t *p, const char *user_id,
                              qr_access_t want, char org_id[QR_ID_LEN + 1], char tz[65],
                              qr_err_t *err) {
    int self = !user_id || strcmp(user_id, p->user_id) == 0;
    if (!self && !qr_id_is_valid(user_id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT u.org_id, o.time_zone FROM users u JOIN orgs o ON o.id = "
                             "u.org_id WHERE u.id = ?",
                             QR_TEXT(self ? p->user_id : user_id));
    if (!st && qr_dbres_rows(r) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    if (!st) {
        snprintf(org_id, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 0));
        snprintf(tz, 65, "%s", qr_dbres_text(r, 0, 1));
    }
    qr_dbres_free(r);
    if (st || (self && want == QR_ACCESS_READ))
        return st; /* everyone sees their own quota */
    qr_org_ref_t ref;
    st = qr_org_resolve(c, p, org_id, QR_RES_QUOTA, QR_ACCESS_READ, &ref, err);
    if (st)
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
    if (want == QR_ACCESS_WRITE && !qr_policy_allows(p, QR_RES_QUOTA, ref.rel, QR_ACCESS_WRITE))
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "print quotas are set by a customer admin or print manager");
    return QR_OK;
}

/* The one column list of a quota: user, username, quota, pages used in the month. Every
 * query of a quota selects these, from users u (with print_quotas q and print_usage g). */
#define QUOTA_COLUMNS "u.id, u.username, q.monthly_pages, g.pages"
#define QUOTA_FROM                                                                                 \
    " FROM users u LEFT JOIN print_quotas q ON q.user_id = u.id LEFT JOIN print_usage g ON "       \
    "g.user_id = u.id AND g.month = ? "

/* Row i of r (QUOTA_COLUMNS) for month into out; with_name keeps the username. */
static void quota_from_row(const qr_dbres_t *r, int i, const char *month, int with_name,
                           qr_quota_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->user_id, sizeof(out->user_id), "%s", qr_dbres_text(r, i, 0));
    out->username = with_name ? qr_xstrdup(qr_dbres_text(r, i, 1)) : NULL;
    out->has_quota = !qr_dbres_isnull(r, i, 2);
    out->monthly_pages = out->has_quota ? qr_dbres_int(r, i, 2) : 0;
    snprintf(out->month, sizeof(out->month), "%s", month);
    out->used = qr_dbres_isnull(r, i, 3) ? 0 : qr_dbres_int(r, i, 3);
}

void qr_quota_clear(qr_quota_t *q) {
    if (!q)
        return;
    free(q->username);
    memset(q, 0, sizeof(*q));
}

void qr_quota_list_free(qr_quota_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_quota_clear(&v[i]);
    free(v);
}

long long qr_quota_remaining(const qr_quota_t *q) {
    if (!q->has_quota)
        return -1;
    return q->monthly_pages > q->used ? q->monthly_pages - q->used : 0;
}

static qr_status_t read_quota(qr_dbc_t *c, int64_t now, const char *user_id, const char *tz,
                              qr_quota_t *out) {
    char month[8];
    qr_tz_month(tz, now, month);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, "SELECT " QUOTA_COLUMNS QUOTA_FROM "WHERE u.id = ?",
                             QR_TEXT(month), QR_TEXT(user_id));
    if (!st && qr_dbres_rows(r) == 1)
        quota_from_row(r, 0, month, 0, out);
    else if (!st)
        st = QR_E_NOT_FOUND;
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_quota_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                         qr_quota_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    char org_id[QR_ID_LEN + 1], tz[65];
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = quota_user(c, p, user_id, QR_ACCESS_READ, org_id, tz, err);
    if (!st)
        st = read_quota(c, qr_clock_now(ctx->clock), user_id ? user_id : p->user_id, tz, out);
    if (st == QR_E_NOT_FOUND)
        qr_err_set(err, st, NULL, "user not found");
    qr_db_release(c);
    return st;
}

qr_status_t qr_quota_set(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                         long long monthly_pages, qr_quota_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (monthly_pages > 10000000)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "monthly_pages must be from 0 to 10000000, or null for no quota");
    char org_id[QR_ID_LEN + 1], tz[65], detail[32];
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = quota_user(c, p, user_id, QR_ACCESS_WRITE, org_id, tz, err);
    if (!st && monthly_pages < 0)
        st = qr_db_q(c, NULL, NULL, "DELETE FROM print_quotas WHERE user_id = ?", QR_TEXT(user_id));
    else if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO print_quotas (user_id, org_id, monthly_pages, updated_at) VALUES "
                     "(?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET monthly_pages = "
                     "excluded.monthly_pages, updated_at = excluded.updated_at",
                     QR_TEXT(user_id), QR_TEXT(org_id), QR_INT(monthly_pages), QR_INT(now));
    if (!st) {
        snprintf(detail, sizeof(detail), "%lld", monthly_pages < 0 ? -1 : monthly_pages);
        qr_audit_write(c, now, org_id, p->user_id, "print_quota_set", user_id, detail);
        st = read_quota(c, now, user_id, tz, out);
    }
    qr_db_release(c);
    return st;
}

qr_status_t qr_quota_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, char month[8],
                          qr_quota_t **items, size_t *n, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    month[0] = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL, *o = NULL;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_QUOTA, QR_ACCESS_READ, &ref, err);
    if (!st)
        st = qr_db_q(c, &o, NULL, "SELECT time_zone FROM orgs WHERE id = ?", QR_TEXT(ref.id));
    if (!st) {
        qr_tz_month(qr_dbres_text(o, 0, 0), qr_clock_now(ctx->clock), month);
        st = qr_db_q(c, &r, NULL,
                     "SELECT " QUOTA_COLUMNS QUOTA_FROM "WHERE u.org_id = ? ORDER BY u.username",
                     QR_TEXT(month), QR_TEXT(ref.id));
    }
    int rows = st ? 0 : qr_dbres_rows(r);
    if (rows > 0) {
        *items = qr_xcalloc((size_t)rows, sizeof(**items));
        for (int i = 0; i < rows; i++)
            quota_from_row(r, i, month, 1, &(*items)[i]);
        *n = (size_t)rows;
    }
    qr_dbres_free(o);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr__quota_charge(qr_dbc_t *c, const char *org_id, const char *user_id,
                             const char *month, long long pages, qr_err_t *err) {
    qr_status_t st =
        qr_db_q(c, NULL, NULL,
                "INSERT INTO print_usage (user_id, month, org_id, pages) VALUES (?, ?, "
                "?, 0) ON CONFLICT (user_id, month) DO NOTHING",
                QR_TEXT(user_id), QR_TEXT(month), QR_TEXT(org_id));
    long long changed = 0;
    if (!st)
        st = qr_db_q(c, NULL, &changed,
                     "UPDATE print_usage SET pages = pages + ? WHERE user_id = ? AND month = ? AND "
                     "(NOT EXISTS (SELECT 1 FROM print_quotas q WHERE q.user_id = ?) OR pages + ? "
                     "<= (SELECT monthly_pages FROM print_quotas q WHERE q.user_id = ?))",
                     QR_INT(pages), QR_TEXT(user_id), QR_TEXT(month), QR_TEXT(user_id),
                     QR_INT(pages), QR_TEXT(user_id));
    if (st || changed == 1)
        return st;
    qr_dbres_t *r = NULL;
    st = qr_db_q(c, &r, NULL,
                 "SELECT q.monthly_pages, g.pages FROM print_quotas q JOIN print_usage g ON "
                 "g.user_id = q.user_id AND g.month = ? WHERE q.user_id = ?",
                 QR_TEXT(month), QR_TEXT(user_id));
    long long quota = !st && qr_dbres_rows(r) == 1 ? qr_dbres_int(r, 0, 0) : 0;
    long long used = !st && qr_dbres_rows(r) == 1 ? qr_dbres_int(r, 0, 1) : 0;
    qr_dbres_free(r);
    return qr_err_set(err, QR_E_CONFLICT, "quota_exceeded",
                      "this job needs %lld pages, but only %lld of your %lld pages for %s are "
                      "left",
                      pages, quota > used ? quota - used : 0, quota, month);
}

qr_status_t qr__quota_adjust(qr_dbc_t *c, const char *user_id, const char *month, long long delta) {
    return qr_db_q(c, NULL, NULL,
                   "UPDATE print_usage SET pages = CASE WHEN pages + ? < 0 THEN 0 ELSE pages + ? "
                   "END WHERE user_id = ? AND month = ?",
                   QR_INT(delta), QR_INT(delta), QR_TEXT(user_id), QR_TEXT(month));
}
