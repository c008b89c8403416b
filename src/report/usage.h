/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the usage ledger (TEN-4, REP-1, REP-2, REP-3, CAP-5): what the job log counts, booked
 * per org, day, user and device and per org and month in the same transaction as the log row,
 * and the reports and provider rollups read from it. A month is closed once it has ended in
 * the org's time zone: an entry that arrives later is booked to the open month and flagged
 * late with the month it belongs to, so a closed month's figures never change. */
#ifndef QR_USAGE_H
#define QR_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "report/joblog.h"
#include "tenancy/policy.h"

/* How far a device's event time may lie ahead of the server's clock, and how far back. */
#define QR_USAGE_SKEW_SECONDS 300
#define QR_USAGE_MAX_AGE_DAYS 90
/* The longest period of a customer report, in days. */
#define QR_USAGE_MAX_PERIOD_DAYS 1100

/* The figures of a period or month. Pages are sides x copies. The fields after scan_pages
 * are filled by the monthly rollups only. */
typedef struct qr_usage_figures {
    long long print_jobs, print_pages, print_color, print_duplex;
    long long copy_jobs, copy_pages, scan_jobs, scan_pages;
    long long ocr_pages, ocr_reserved, documents, bytes;
    long long active_users, active_devices, late_entries, late_pages;
    long long users, devices; /* registered now; users in the subscription report only */
} qr_usage_figures_t;

/* One row of a customer report: a user (id NULL: walk-up copies without login), a group or a
 * device; name is the username, group name or device serial (NULL once deleted). Owned. */
typedef struct qr_usage_row {
    char *id, *name;
    qr_usage_figures_t f;
} qr_usage_row_t;

typedef enum qr_usage_by {
    QR_USAGE_BY_USER = 0,
    QR_USAGE_BY_GROUP,
    QR_USAGE_BY_DEVICE
} qr_usage_by_t;

/* A period of a report: dates YYYY-MM-DD in the org's calendar, both included. */
typedef struct qr_usage_period {
    char from[11], to[11];
} qr_usage_period_t;

/* Entries booked in a month that belong to an earlier, closed month. */
typedef struct qr_usage_late {
    char month[8];
    long long entries, pages;
} qr_usage_late_t;

/* A direct child in a rollup: its id and name, its own figures and its whole subtree's
 * (itself included), and how many orgs lie below it (counted, never named). */
typedef struct qr_usage_child {
    char id[QR_ID_LEN + 1];
    char *name, *type, *lic_features; /* owned; lic_features a JSON array text */
    long long lic_devices, lic_ocr_pages, lic_storage_mb, lic_users; /* -1: unlimited */
    long long orgs_below;
    qr_usage_figures_t own, subtree;
} qr_usage_child_t;

/* A provider's or customer's month (REP-3, TEN-4). children is set only when the principal
 * asks about its own org (a parent reading a child sees the child's sums, never its
 * children); free with qr_usage_rollup_clear. */
typedef struct qr_usage_rollup {
    char org_id[QR_ID_LEN + 1];
    char month[8];
    long long ocr_pages_per_month;
    qr_usage_figures_t own, subtree;
    qr_usage_late_t *late;
    size_t nlate;
    int has_children;
    qr_usage_child_t *children;
    size_t nchildren;
} qr_usage_rollup_t;

/* Books one job-log entry into the ledger on c (inside the caller's transaction): for org_id
 * and device_id, at event time `event` (Unix seconds) received at `now`. *late is set when
 * the event's month was closed and the entry went to the open month. */
qr_status_t qr__usage_book(qr_dbc_t *c, const char *org_id, const char *device_id,
                           const qr_joblog_entry_t *e, int64_t event, int64_t now, int *late);
/* Checks a device's event time against now (QR_USAGE_SKEW_SECONDS ahead, QR_USAGE_MAX_AGE_DAYS
 * back): QR_OK or QR_E_INVALID with the allowed range in err. */
qr_status_t qr_usage_check_time(int64_t event, int64_t now, qr_err_t *err);

/* Frees the members of a report row; accepts a zeroed struct. */
void qr_usage_row_clear(qr_usage_row_t *r);
/* Frees n rows and the array; accepts NULL. */
void qr_usage_list_free(qr_usage_row_t *v, size_t n);
/* Frees what a rollup holds and zeroes it. */
void qr_usage_rollup_clear(qr_usage_rollup_t *u);

/* REP-1: org_id's report by user, group or device over from..to (YYYY-MM-DD, NULL: this month
 * in the org's calendar), rows sorted by name, and the org's totals over the period (a user in
 * two groups counts in both groups, once in the totals). Needs report read access (TEN-3:
 * the customer admin). *items is a new array of *n (qr_usage_list_free); *period the dates
 * used. */
qr_status_t qr_usage_report(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                            qr_usage_by_t by, const char *from, const char *to,
                            qr_usage_row_t **items, size_t *n, qr_usage_figures_t *totals,
                            qr_usage_period_t *period, qr_err_t *err);
/* REP-2: the principal's own figures over the period, one row per device, as qr_usage_report. */
qr_status_t qr_usage_mine(qr_ctx_t *ctx, const qr_principal_t *p, const char *from, const char *to,
                          qr_usage_row_t **items, size_t *n, qr_usage_figures_t *totals,
                          qr_usage_period_t *period, qr_err_t *err);
/* REP-3, TEN-4: org_id's figures for month (YYYY-MM, NULL: the current month in the org's
 * calendar), its subtree's, and, for the principal's own org, per direct child. Needs contract
 * read access (TEN-3). */
qr_status_t qr_usage_rollup(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                            const char *month, qr_usage_rollup_t *out, qr_err_t *err);
/* TEN-4: the subscription status of the principal's own provider org (404 for any other org;
 * 403 for a customer): per direct child its license, registered devices and users and the
 * month's subtree figures, orgs below counted. Same shape as qr_usage_rollup. */
qr_status_t qr_usage_subscriptions(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                                   const char *month, qr_usage_rollup_t *out, qr_err_t *err);

#endif
