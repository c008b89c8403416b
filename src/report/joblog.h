/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the job log (DEV-2, REP-1, REP-2): every print, copy and scan a device reports, with
 * user, device, time, type, pages, color and duplex. Admins read their org's log; a user
 * reads only their own. */
#ifndef QR_JOBLOG_H
#define QR_JOBLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "tenancy/policy.h"

/* What a device (or the domain, for a released print job or a delivered scan) reports: the
 * input of qr_joblog_report and qr__joblog_insert. */
typedef struct qr_joblog_entry {
    const char *user_id; /* may be NULL (a walk-up copy without login) */
    const char *type;    /* "print", "copy" or "scan" */
    long long pages, copies;
    int color, duplex;
    long long time; /* when it happened (Unix seconds); 0: now. A device may report a past
                       event (qr_usage_check_time); the ledger books it (report/usage.h) */
} qr_joblog_entry_t;

/* A recorded entry of the log, as read from its row (qr_joblog_list, qr_joblog_mine). The
 * name qr_joblog_entry_t stays the input above, which print/ and scan/ fill positionally. */
typedef struct qr_joblog_record {
    long long id, time;
    char *user_id, *username; /* owned; NULL for a walk-up copy without login */
    char *device_id;          /* owned */
    char *device_serial;      /* owned; NULL once the device is deleted */
    char *type;               /* owned: "print", "copy" or "scan" */
    long long pages, copies;
    int color, duplex;
} qr_joblog_record_t;

/* Frees the members of e and zeroes it; accepts a zeroed struct. */
void qr_joblog_record_clear(qr_joblog_record_t *e);
/* Frees a list of n records; accepts NULL. */
void qr_joblog_list_free(qr_joblog_record_t *v, size_t n);

/* Records an entry reported by device d (a principal of kind QR_PRINCIPAL_DEVICE) with its
 * ledger booking in one transaction. The user must belong to the device's org; e->time, if
 * given, within qr_usage_check_time's range. *id is the new entry's number, *at its time;
 * *late is set when its month was closed (booked to the open month). */
qr_status_t qr_joblog_report(qr_ctx_t *ctx, const qr_principal_t *d, const qr_joblog_entry_t *e,
                             long long *id, long long *at, int *late, qr_err_t *err);
struct qr_dbc;
/* Inserts an entry on connection c (inside the caller's transaction) and books it into the
 * usage ledger in the same transaction; *id its number. For domain code that logs as part of
 * a larger change (a released print job). */
qr_status_t qr__joblog_insert(struct qr_dbc *c, const char *org_id, const char *device_id,
                              int64_t now, const qr_joblog_entry_t *e, long long *id);
/* What a listing of the log selects (REP-1): every field optional. */
typedef struct qr_joblog_filter {
    int64_t from, to;      /* Unix seconds, inclusive; 0 = open */
    const char *user_id;   /* NULL = every user */
    const char *device_id; /* NULL = every device */
    const char *type;      /* "print", "copy", "scan", or NULL = every type */
    int color;             /* 1 colour, 0 mono, -1 both */
    long long before;      /* the keyset: only entries with a smaller id; 0 = from the newest */
} qr_joblog_filter_t;

/* The most entries of one page, and of one batch of an export. */
#define QR_JOBLOG_PAGE_MAX 1000
#define QR_JOBLOG_BATCH 2000

/* Sets f to "everything": no period, no user, device or type, both colours, newest first. */
void qr_joblog_filter_init(qr_joblog_filter_t *f);
/* One page of the log of org_id (org_id NULL: the principal's own entries, REP-2), newest
 * first: at most limit (1 to QR_JOBLOG_PAGE_MAX) entries matching f into *items (free with
 * qr_joblog_list_free) and *n; *next is the id to pass as f->before for the next page, 0 if
 * this is the last one. An org's log needs report access to it (TEN-3). */
qr_status_t qr_joblog_page(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           const qr_joblog_filter_t *f, int limit, qr_joblog_record_t **items,
                           size_t *n, long long *next, qr_err_t *err);
/* The log of org_id between from and to (Unix seconds, inclusive, 0 = open), newest first,
 * at most limit entries: *items (free with qr_joblog_list_free) and *n. Needs report access
 * to the org (TEN-3). The first page of qr_joblog_page without other filters. */
qr_status_t qr_joblog_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int64_t from,
                           int64_t to, int limit, qr_joblog_record_t **items, size_t *n,
                           qr_err_t *err);
/* The principal's own entries (REP-2), as qr_joblog_list. */
qr_status_t qr_joblog_mine(qr_ctx_t *ctx, const qr_principal_t *p, int64_t from, int64_t to,
                           int limit, qr_joblog_record_t **items, size_t *n, qr_err_t *err);

/* A cursor over every entry matching a filter (an export of any size): it reads keyset
 * batches of QR_JOBLOG_BATCH entries, each on a pooled connection taken and released for
 * that batch, so memory stays flat however long the log is. */
typedef struct qr_joblog_cursor qr_joblog_cursor_t;
/* Checks access as qr_joblog_page (org_id NULL: the principal's own entries) and opens a
 * cursor over the entries matching f (copied), newest first, at most max of them (0: all)
 * into *out (qr_joblog_close). */
qr_status_t qr_joblog_open(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           const qr_joblog_filter_t *f, long long max, qr_joblog_cursor_t **out,
                           qr_err_t *err);
/* The next batch: *rows (owned by the cursor, valid until the next call) and *n, 0 at the
 * end. */
qr_status_t qr_joblog_next(qr_joblog_cursor_t *cur, const qr_joblog_record_t **rows, size_t *n,
                           qr_err_t *err);
/* Frees the cursor and its batch; accepts NULL. */
void qr_joblog_close(qr_joblog_cursor_t *cur);

#endif
