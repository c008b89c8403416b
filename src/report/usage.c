/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the usage ledger: booking job-log entries per day and month, the customer reports
 * (REP-1, REP-2) and the provider rollups (REP-3, TEN-4) read from it. */
#include "report/usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/tz.h"
#include "store/db.h"
#include "tenancy/org.h"

/* The eight counters of a ledger row, in the order of qr_usage_figures_t's first fields. */
#define COUNTER_NAMES                                                                              \
    "print_jobs, print_pages, print_color, print_duplex, copy_jobs, copy_pages, scan_jobs, "       \
    "scan_pages"
#define COUNTER_ADD(t)                                                                             \
    "print_jobs = " t ".print_jobs + excluded.print_jobs, print_pages = " t                        \
    ".print_pages + excluded.print_pages, print_color = " t                                        \
    ".print_color + excluded.print_color, "                                                        \
    "print_duplex = " t ".print_duplex + excluded.print_duplex, copy_jobs = " t                    \
    ".copy_jobs + excluded.copy_jobs, copy_pages = " t ".copy_pages + excluded.copy_pages, "       \
    "scan_jobs = " t ".scan_jobs + excluded.scan_jobs, scan_pages = " t                            \
    ".scan_pages + excluded.scan_pages"
/* The same counters summed over the rows of usage_daily d (0 when there are none). */
#define COUNTER_SUMS                                                                               \
    "COALESCE(SUM(d.print_jobs), 0), COALESCE(SUM(d.print_pages), 0), "                            \
    "COALESCE(SUM(d.print_color), 0), COALESCE(SUM(d.print_duplex), 0), "                          \
    "COALESCE(SUM(d.copy_jobs), 0), COALESCE(SUM(d.copy_pages), 0), "                              \
    "COALESCE(SUM(d.scan_jobs), 0), COALESCE(SUM(d.scan_pages), 0)"
#define NCOUNTERS 8

/* Reads the eight counters from columns col.. of row i. */
static void counters_from_row(const qr_dbres_t *r, int i, int col, qr_usage_figures_t *f) {
    long long *v[NCOUNTERS] = {&f->print_jobs, &f->print_pages, &f->print_color, &f->print_duplex,
                               &f->copy_jobs,  &f->copy_pages,  &f->scan_jobs,   &f->scan_pages};
    for (int k = 0; k < NCOUNTERS; k++)
        *v[k] = qr_dbres_int(r, i, col + k);
}

/* Adds every figure of b to a. */
static void figures_add(qr_usage_figures_t *a, const qr_usage_figures_t *b) {
    long long *x = (long long *)a;
    const long long *y = (const long long *)b;
    for (size_t k = 0; k < sizeof(*a) / sizeof(long long); k++)
        x[k] += y[k];
}

/* ---- booking ------------------------------------------------------------------------------ */

qr_status_t qr_usage_check_time(int64_t event, int64_t now, qr_err_t *err) {
    if (event > now + QR_USAGE_SKEW_SECONDS || event < now - QR_USAGE_MAX_AGE_DAYS * 86400LL)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "time %lld is out of range: an event time is Unix seconds from %lld "
                          "(%d days ago) to %lld (the server's time plus %d seconds)",
                          (long long)event, (long long)(now - QR_USAGE_MAX_AGE_DAYS * 86400LL),
                          QR_USAGE_MAX_AGE_DAYS, (long long)(now + QR_USAGE_SKEW_SECONDS),
                          QR_USAGE_SKEW_SECONDS);
    return QR_OK;
}

/* Counts ref (a user or device) as active in the month; *added is 1 the first time. */
static qr_status_t mark_active(qr_dbc_t *c, const char *org_id, const char *month, const char *kind,
                               const char *ref, long long *added) {
    *added = 0;
    if (!ref || !*ref)
        return QR_OK;
    return qr_db_q(c, NULL, added,
                   "INSERT INTO usage_active (org_id, month, kind, ref) VALUES (?, ?, ?, ?) ON "
                   "CONFLICT (org_id, month, kind, ref) DO NOTHING",
                   QR_TEXT(org_id), QR_TEXT(month), QR_TEXT(kind), QR_TEXT(ref));
}

qr_status_t qr__usage_book(qr_dbc_t *c, const char *org_id, const char *device_id,
                           const qr_joblog_entry_t *e, int64_t event, int64_t now, int *late) {
    *late = 0;
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT time_zone FROM orgs WHERE id = ?", QR_TEXT(org_id));
    char month[8], event_month[8], day[11];
    const char *tz = !st && qr_dbres_rows(r) == 1 ? qr_dbres_text(r, 0, 0) : "UTC";
    qr_tz_month(tz, now, month);
    qr_tz_month(tz, event, event_month);
    /* An event of the open month is booked to its day; anything else to today. */
    int other_month = strcmp(event_month, month) != 0;
    *late = strcmp(event_month, month) < 0;
    qr_tz_day(tz, other_month ? now : event, day);
    qr_dbres_free(r);
    if (st)
        return st;
    long long pages = e->pages * e->copies, v[NCOUNTERS] = {0};
    int base = strcmp(e->type, "print") == 0 ? 0 : strcmp(e->type, "copy") == 0 ? 4 : 6;
    v[base] = 1;
    v[base + 1] = pages;
    if (base == 0) {
        v[2] = e->color ? pages : 0;
        v[3] = e->duplex ? pages : 0;
    }
    st = qr_db_q(c, NULL, NULL,
                 "INSERT INTO usage_daily (org_id, day, user_id, device_id, " COUNTER_NAMES
                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, day, user_id, "
                 "device_id) DO UPDATE SET " COUNTER_ADD("usage_daily"),
                 QR_TEXT(org_id), QR_TEXT(day), QR_TEXT(e->user_id ? e->user_id : ""),
                 QR_TEXT(device_id), QR_INT(v[0]), QR_INT(v[1]), QR_INT(v[2]), QR_INT(v[3]),
                 QR_INT(v[4]), QR_INT(v[5]), QR_INT(v[6]), QR_INT(v[7]));
    long long users = 0, devices = 0;
    if (!st)
        st = mark_active(c, org_id, month, "user", e->user_id, &users);
    if (!st)
        st = mark_active(c, org_id, month, "device", device_id, &devices);
    if (!st)
        st = qr_db_q(
            c, NULL, NULL,
            "INSERT INTO usage_month (org_id, month, " COUNTER_NAMES
            ", active_users, active_devices, late_entries, late_pages) VALUES (?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, month) DO UPDATE SET " COUNTER_ADD(
                "usage_month") ", active_users = usage_month.active_users + "
                               "excluded.active_users, active_devices = "
                               "usage_month.active_devices + excluded.active_devices, "
                               "late_entries = usage_month.late_entries + excluded.late_entries, "
                               "late_pages = usage_month.late_pages + excluded.late_pages",
            QR_TEXT(org_id), QR_TEXT(month), QR_INT(v[0]), QR_INT(v[1]), QR_INT(v[2]), QR_INT(v[3]),
            QR_INT(v[4]), QR_INT(v[5]), QR_INT(v[6]), QR_INT(v[7]), QR_INT(users), QR_INT(devices),
            QR_INT(*late), QR_INT(*late ? pages : 0));
    if (!st && *late)
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO usage_late (org_id, month, event_month, entries, pages) VALUES "
                     "(?, ?, ?, 1, ?) ON CONFLICT (org_id, month, event_month) DO UPDATE SET "
                     "entries = usage_late.entries + 1, pages = usage_late.pages + excluded.pages",
                     QR_TEXT(org_id), QR_TEXT(month), QR_TEXT(event_month), QR_INT(pages));
    return st;
}

/* ---- rows --------------------------------------------------------------------------------- */

void qr_usage_row_clear(qr_usage_row_t *r) {
    if (!r)
        return;
    free(r->id);
    free(r->name);
    memset(r, 0, sizeof(*r));
}

void qr_usage_list_free(qr_usage_row_t *v, size_t n) {
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        qr_usage_row_clear(&v[i]);
    free(v);
}

static void child_clear(qr_usage_child_t *ch) {
    free(ch->name);
    free(ch->type);
    free(ch->lic_features);
}

void qr_usage_rollup_clear(qr_usage_rollup_t *u) {
    if (!u)
        return;
    for (size_t i = 0; i < u->nchildren; i++)
        child_clear(&u->children[i]);
    free(u->children);
    free(u->late);
    memset(u, 0, sizeof(*u));
}

/* ---- periods ------------------------------------------------------------------------------ */

static int days_in_month(int y, int m) {
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static long long days_from_civil(int y, int m, int d) {
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Parses "YYYY-MM" (day NULL) or "YYYY-MM-DD" strictly; 1 if it is a real date. */
static int parse_date(const char *s, int *y, int *m, int *d) {
    size_t n = s ? strlen(s) : 0;
    if (n != (d ? 10u : 7u) || s[4] != '-' || (d && s[7] != '-'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[5] - '0') * 10 + (s[6] - '0');
    if (*y < 1970 || *m < 1 || *m > 12)
        return 0;
    if (!d)
        return 1;
    *d = (s[8] - '0') * 10 + (s[9] - '0');
    return *d >= 1 && *d <= days_in_month(*y, *m);
}

/* Fills *pd from the given dates, or this month in time zone tz. */
static qr_status_t period_make(const char *from, const char *to, const char *tz, int64_t now,
                               qr_usage_period_t *pd, qr_err_t *err) {
    int y, m, d, y2, m2, d2;
    char month[8];
    qr_tz_month(tz, now, month);
    parse_date(month, &y, &m, NULL);
    snprintf(pd->from, sizeof(pd->from), "%04u-%02u-01", (unsigned)y % 10000u, (unsigned)m % 100u);
    snprintf(pd->to, sizeof(pd->to), "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)days_in_month(y, m) % 100u);
    if (from)
        snprintf(pd->from, sizeof(pd->from), "%.10s", from);
    if (to)
        snprintf(pd->to, sizeof(pd->to), "%.10s", to);
    if ((from && strlen(from) != 10) || (to && strlen(to) != 10) ||
        !parse_date(pd->from, &y, &m, &d) || !parse_date(pd->to, &y2, &m2, &d2))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "from and to are dates YYYY-MM-DD in the organization's calendar "
                          "(default: this month)");
    long long days = days_from_civil(y2, m2, d2) - days_from_civil(y, m, d) + 1;
    if (days < 1 || days > QR_USAGE_MAX_PERIOD_DAYS)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "the period %s to %s has %lld days; from must not be after to, and a "
                          "report covers at most %d days",
                          pd->from, pd->to, days, QR_USAGE_MAX_PERIOD_DAYS);
    return QR_OK;
}

/* The time zone of org_id into tz. */
static qr_status_t org_tz(qr_dbc_t *c, const char *org_id, char tz[65]) {
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT time_zone FROM orgs WHERE id = ?", QR_TEXT(org_id));
    if (!st && qr_dbres_rows(r) != 1)
        st = QR_E_NOT_FOUND;
    snprintf(tz, 65, "%s", st ? "UTC" : qr_dbres_text(r, 0, 0));
    qr_dbres_free(r);
    return st;
}

/* ---- customer reports --------------------------------------------------------------------- */

/* Orders report rows by name (a row without one first), then id. */
static int row_cmp(const void *a, const void *b) {
    const qr_usage_row_t *x = a, *y = b;
    if (!x->name || !y->name)
        return (x->name != NULL) - (y->name != NULL);
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

/* The counters summed per key k (a user or device id) of an org's days (parameters: org,
 * from, to, and the user for one's own), named c0..c7. The names are joined afterwards, to
 * the few rows this gives, each join with its org condition (the last parameter). */
#define COUNTER_SUMS_AS                                                                            \
    "COALESCE(SUM(d.print_jobs), 0) AS c0, COALESCE(SUM(d.print_pages), 0) AS c1, "                \
    "COALESCE(SUM(d.print_color), 0) AS c2, COALESCE(SUM(d.print_duplex), 0) AS c3, "              \
    "COALESCE(SUM(d.copy_jobs), 0) AS c4, COALESCE(SUM(d.copy_pages), 0) AS c5, "                  \
    "COALESCE(SUM(d.scan_jobs), 0) AS c6, COALESCE(SUM(d.scan_pages), 0) AS c7"
#define PER_KEY(key, extra)                                                                        \
    "(SELECT d." key " AS k, " COUNTER_SUMS_AS " FROM usage_daily d WHERE d.org_id = ? AND "       \
    "d.day >= ? AND d.day <= ?" extra " GROUP BY d." key ") x"
#define X_COLS "x.c0, x.c1, x.c2, x.c3, x.c4, x.c5, x.c6, x.c7"
#define X_SUMS                                                                                     \
    "SUM(x.c0), SUM(x.c1), SUM(x.c2), SUM(x.c3), SUM(x.c4), SUM(x.c5), SUM(x.c6), SUM(x.c7)"

/* Each report's query: the row's id and name, then the counters. A user in two groups counts
 * in both. */
static const char *const report_sql[] = {
    [QR_USAGE_BY_USER] = "SELECT x.k, u.username, " X_COLS " FROM " PER_KEY(
        "user_id", "") " LEFT JOIN users u ON u.id = x.k AND u.org_id = ?",
    [QR_USAGE_BY_GROUP] = "SELECT g.id, g.name, " X_SUMS " FROM " PER_KEY(
        "user_id", "") " JOIN group_members m ON m.user_id = x.k AND m.org_id = ? JOIN "
                       "user_groups g ON g.id = m.group_id GROUP BY g.id, g.name",
    [QR_USAGE_BY_DEVICE] = "SELECT x.k, v.serial, " X_COLS " FROM " PER_KEY(
        "device_id", "") " LEFT JOIN devices v ON v.id = x.k AND v.org_id = ?",
};
/* One's own report, per device. */
#define MINE_SQL                                                                                   \
    "SELECT x.k, v.serial, " X_COLS " FROM " PER_KEY(                                              \
        "device_id", " AND d.user_id = ?") " LEFT JOIN devices v ON v.id = x.k AND v.org_id = ?"

/* Runs the report of org_id (of user_id if not NULL: by device only) and its totals. */
static qr_status_t report_rows(qr_dbc_t *c, const char *org_id, const char *user_id,
                               qr_usage_by_t by, const qr_usage_period_t *pd,
                               qr_usage_row_t **items, size_t *n, qr_usage_figures_t *totals) {
    qr_dbres_t *r = NULL, *t = NULL;
    qr_dbval_t params[5] = {QR_TEXT(org_id), QR_TEXT(pd->from), QR_TEXT(pd->to), QR_TEXT(user_id),
                            QR_TEXT(org_id)};
    int np = user_id ? 4 : 3;
    params[np] = QR_TEXT(org_id);
    qr_status_t st = qr_dbc_exec(c, user_id ? MINE_SQL : report_sql[by], params, np + 1, &r, NULL);
    if (!st)
        st = qr_dbc_exec(c,
                         user_id ? "SELECT " COUNTER_SUMS " FROM usage_daily d WHERE d.org_id = ? "
                                   "AND d.day >= ? AND d.day <= ? AND d.user_id = ?"
                                 : "SELECT " COUNTER_SUMS " FROM usage_daily d WHERE d.org_id = ? "
                                   "AND d.day >= ? AND d.day <= ?",
                         params, np, &t, NULL);
    if (!st) {
        counters_from_row(t, 0, 0, totals);
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n ? *n : 1, sizeof(**items));
        for (size_t i = 0; i < *n; i++) {
            qr_usage_row_t *row = &(*items)[i];
            const char *id = qr_dbres_text(r, (int)i, 0);
            row->id = id && *id ? qr_xstrdup(id) : NULL;
            row->name = row->id ? qr_dbres_strdup(r, (int)i, 1) : NULL;
            counters_from_row(r, (int)i, 2, &row->f);
        }
        qsort(*items, *n, sizeof(**items), row_cmp);
    }
    qr_dbres_free(r);
    qr_dbres_free(t);
    return st;
}

qr_status_t qr_usage_report(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                            qr_usage_by_t by, const char *from, const char *to,
                            qr_usage_row_t **items, size_t *n, qr_usage_figures_t *totals,
                            qr_usage_period_t *period, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    memset(totals, 0, sizeof(*totals));
    memset(period, 0, sizeof(*period));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    char tz[65];
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_REPORTS, QR_ACCESS_READ, &ref, err);
    if (!st)
        st = org_tz(c, ref.id, tz);
    if (!st)
        st = period_make(from, to, tz, qr_clock_now(ctx->clock), period, err);
    if (!st)
        st = report_rows(c, ref.id, NULL, by, period, items, n, totals);
    qr_db_release(c);
    return st;
}

qr_status_t qr_usage_mine(qr_ctx_t *ctx, const qr_principal_t *p, const char *from, const char *to,
                          qr_usage_row_t **items, size_t *n, qr_usage_figures_t *totals,
                          qr_usage_period_t *period, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    memset(totals, 0, sizeof(*totals));
    memset(period, 0, sizeof(*period));
    if (p->kind != QR_PRINCIPAL_USER || !p->user_id[0])
        return qr_err_set(err, QR_E_FORBIDDEN, NULL, "only a signed-in user has a report");
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    char tz[65];
    qr_status_t st = org_tz(c, p->org_id, tz);
    if (!st)
        st = period_make(from, to, tz, qr_clock_now(ctx->clock), period, err);
    if (!st)
        st = report_rows(c, p->org_id, p->user_id, QR_USAGE_BY_DEVICE, period, items, n, totals);
    qr_db_release(c);
    return st;
}

/* ---- provider rollups --------------------------------------------------------------------- */

/* Every org of a subtree with its month's figures (and its path last; rows are put in path
 * order here, cheaper than a collated sort in the database). Parameters:
 * whether to count registered users (the subscription report: an index count per org),
 * month, month, the org's id, its path and the path's upper bound. */
#define ROLLUP_SQL                                                                                 \
    "SELECT o.id, o.name, o.type, o.depth, o.lic_devices, o.lic_ocr_pages, o.lic_storage_mb, "     \
    "o.lic_features, COALESCE(m.print_jobs, 0), COALESCE(m.print_pages, 0), "                      \
    "COALESCE(m.print_color, 0), COALESCE(m.print_duplex, 0), COALESCE(m.copy_jobs, 0), "          \
    "COALESCE(m.copy_pages, 0), COALESCE(m.scan_jobs, 0), COALESCE(m.scan_pages, 0), "             \
    "COALESCE(m.active_users, 0), COALESCE(m.active_devices, 0), COALESCE(m.late_entries, 0), "    \
    "COALESCE(m.late_pages, 0), COALESCE(s.ocr_pages, 0), COALESCE(s.reserved_pages, 0), "         \
    "COALESCE(s.documents, 0), COALESCE(s.bytes, 0), CASE WHEN ? = 1 THEN (SELECT COUNT(*) FROM "  \
    "users u WHERE u.org_id = o.id) ELSE 0 END, (SELECT COUNT(*) FROM devices v WHERE v.org_id = " \
    "o.id), o.path, o.lic_users FROM orgs o LEFT "                                                 \
    "JOIN usage_month m ON m.org_id = o.id AND m.month = ? LEFT JOIN scan_usage s ON s.org_id = "  \
    "o.id AND s.month = ? WHERE o.id = ? OR (o.path > ? AND o.path < ?)"

/* The figures of row i of ROLLUP_SQL. */
static void rollup_figures(const qr_dbres_t *r, int i, qr_usage_figures_t *f) {
    memset(f, 0, sizeof(*f));
    counters_from_row(r, i, 8, f);
    long long *rest[] = {&f->active_users, &f->active_devices, &f->late_entries, &f->late_pages,
                         &f->ocr_pages,    &f->ocr_reserved,   &f->documents,    &f->bytes,
                         &f->users,        &f->devices};
    for (size_t k = 0; k < sizeof(rest) / sizeof(rest[0]); k++)
        *rest[k] = qr_dbres_int(r, i, 16 + (int)k);
}

/* Fills a new direct child from row i. */
static void child_from_row(const qr_dbres_t *r, int i, qr_usage_child_t *ch) {
    memset(ch, 0, sizeof(*ch));
    snprintf(ch->id, sizeof(ch->id), "%s", qr_dbres_text(r, i, 0));
    ch->name = qr_dbres_strdup(r, i, 1);
    ch->type = qr_dbres_strdup(r, i, 2);
    ch->lic_devices = qr_dbres_int(r, i, 4);
    ch->lic_ocr_pages = qr_dbres_int(r, i, 5);
    ch->lic_storage_mb = qr_dbres_int(r, i, 6);
    ch->lic_features = qr_dbres_strdup(r, i, 7);
    ch->lic_users = qr_dbres_int(r, i, 27);
    rollup_figures(r, i, &ch->own);
    ch->subtree = ch->own;
}

/* A row of ROLLUP_SQL by its path, for putting the subtree in path order. */
struct path_row {
    const char *path;
    int row;
};

static int path_row_cmp(const void *a, const void *b) {
    return strcmp(((const struct path_row *)a)->path, ((const struct path_row *)b)->path);
}

/* Reads the subtree of ref for month into out: own and subtree figures, and with children
 * the direct children, each with its own figures and its subtree's sums (in path order,
 * so each deeper org follows the direct child it lies under). */
static qr_status_t rollup_read(qr_dbc_t *c, const qr_org_ref_t *ref, const char *month,
                               int children, int users, qr_usage_rollup_t *out) {
    char upper[sizeof(ref->path)];
    size_t pl = strlen(ref->path);
    snprintf(upper, sizeof(upper), "%s", ref->path);
    if (pl > 0)
        upper[pl - 1] = '0';
    qr_dbres_t *r = NULL, *l = NULL;
    struct path_row *order = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, ROLLUP_SQL, QR_INT(users), QR_TEXT(month), QR_TEXT(month),
                             QR_TEXT(ref->id), QR_TEXT(ref->path), QR_TEXT(upper));
    int rows = st ? 0 : qr_dbres_rows(r);
    if (!st && rows > 0) {
        order = qr_xcalloc((size_t)rows, sizeof(*order));
        for (int i = 0; i < rows; i++)
            order[i] = (struct path_row){qr_dbres_text(r, i, 26), i};
        qsort(order, (size_t)rows, sizeof(*order), path_row_cmp);
    }
    /* The org itself has the shortest path, a prefix of every other: it comes first. */
    if (!st && (rows < 1 || strcmp(qr_dbres_text(r, order[0].row, 0), ref->id) != 0))
        st = QR_E_NOT_FOUND;
    if (st)
        goto out;
    snprintf(out->org_id, sizeof(out->org_id), "%s", ref->id);
    snprintf(out->month, sizeof(out->month), "%s", month);
    out->ocr_pages_per_month = qr_dbres_int(r, order[0].row, 5);
    rollup_figures(r, order[0].row, &out->own);
    out->subtree = out->own;
    out->has_children = children;
    if (children)
        out->children = qr_xcalloc((size_t)rows, sizeof(*out->children));
    qr_usage_child_t *cur = NULL;
    for (int k = 1; k < rows; k++) {
        int i = order[k].row;
        qr_usage_figures_t f;
        rollup_figures(r, i, &f);
        figures_add(&out->subtree, &f);
        if (!children)
            continue;
        if (qr_dbres_int(r, i, 3) == ref->depth + 1) {
            cur = &out->children[out->nchildren++];
            child_from_row(r, i, cur);
        } else if (cur) {
            figures_add(&cur->subtree, &f);
            cur->orgs_below++;
        }
    }
    st = qr_db_q(c, &l, NULL,
                 "SELECT event_month, entries, pages FROM usage_late WHERE org_id = ? AND month "
                 "= ? ORDER BY event_month",
                 QR_TEXT(ref->id), QR_TEXT(month));
    if (!st && qr_dbres_rows(l) > 0) {
        out->nlate = (size_t)qr_dbres_rows(l);
        out->late = qr_xcalloc(out->nlate, sizeof(*out->late));
        for (size_t i = 0; i < out->nlate; i++) {
            snprintf(out->late[i].month, sizeof(out->late[i].month), "%s",
                     qr_dbres_text(l, (int)i, 0));
            out->late[i].entries = qr_dbres_int(l, (int)i, 1);
            out->late[i].pages = qr_dbres_int(l, (int)i, 2);
        }
    }
out:
    free(order);
    qr_dbres_free(r);
    qr_dbres_free(l);
    return st;
}

/* The month asked for (checked) or the org's current one, into month. */
static qr_status_t month_pick(qr_dbc_t *c, const char *org_id, const char *want, int64_t now,
                              char month[8], qr_err_t *err) {
    int y, m;
    if (want) {
        if (!parse_date(want, &y, &m, NULL))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "month must be YYYY-MM (a calendar month from 1970-01), not '%.20s'",
                              want);
        snprintf(month, 8, "%s", want);
        return QR_OK;
    }
    char tz[65];
    qr_status_t st = org_tz(c, org_id, tz);
    qr_tz_month(tz, now, month);
    return st;
}

qr_status_t qr_usage_rollup(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                            const char *month, qr_usage_rollup_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    char m[8];
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_CONTRACT, QR_ACCESS_READ, &ref, err);
    if (!st)
        st = month_pick(c, ref.id, month, qr_clock_now(ctx->clock), m, err);
    /* TEN-4: a parent sees a child's sums; only an org's own people see its children. */
    if (!st)
        st = rollup_read(c, &ref, m, ref.rel == QR_REL_SELF, 0, out);
    qr_db_release(c);
    return st;
}

qr_status_t qr_usage_subscriptions(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                                   const char *month, qr_usage_rollup_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    char m[8];
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_CONTRACT, QR_ACCESS_READ, &ref, err);
    if (!st && ref.rel != QR_REL_SELF)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL,
                        "organization not found: a provider reads the subscription report of "
                        "its own organization");
    if (!st && ref.is_customer)
        st = qr_err_set(err, QR_E_FORBIDDEN, NULL,
                        "a customer organization has no children: the subscription report is "
                        "a provider's; its own figures are at /usage");
    if (!st)
        st = month_pick(c, ref.id, month, qr_clock_now(ctx->clock), m, err);
    if (!st)
        st = rollup_read(c, &ref, m, 1, 1, out);
    qr_db_release(c);
    return st;
}
