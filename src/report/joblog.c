/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the job log. */
#include "report/joblog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#include "report/audit.h"
#include "report/cursor.h"
#include "report/usage.h"
#include "store/db.h"
#include "tenancy/org.h"

/* The one column list of a job-log row; record_from_row reads it. */
#define JOBLOG_COLUMNS                                                                             \
    "j.id, j.time, j.user_id, u.username, j.device_id, d.serial, j.type, j.pages, j.copies, "      \
    "j.color, j.duplex"

/* Row i of a result holding JOBLOG_COLUMNS into *e. */
static void record_from_row(const qr_dbres_t *r, int i, qr_joblog_record_t *e) {
    memset(e, 0, sizeof(*e));
    e->id = qr_dbres_int(r, i, 0);
    e->time = qr_dbres_int(r, i, 1);
    e->user_id = qr_dbres_strdup(r, i, 2);
    e->username = qr_dbres_strdup(r, i, 3);
    e->device_id = qr_dbres_strdup(r, i, 4);
    e->device_serial = qr_dbres_strdup(r, i, 5);
    e->type = qr_dbres_strdup(r, i, 6);
    e->pages = qr_dbres_int(r, i, 7);
    e->copies = qr_dbres_int(r, i, 8);
    e->color = (int)qr_dbres_int(r, i, 9);
    e->duplex = (int)qr_dbres_int(r, i, 10);
}

void qr_joblog_record_clear(qr_joblog_record_t *e) {
    if (!e)
        return;
    free(e->user_id);
    free(e->username);
    free(e->device_id);
    free(e->device_serial);
    free(e->type);
    memset(e, 0, sizeof(*e));
}

void qr_joblog_list_free(qr_joblog_record_t *v, size_t n) {
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        qr_joblog_record_clear(&v[i]);
    free(v);
}

/* Writes the log row (its time the event's) and its ledger booking on c. */
static qr_status_t joblog_write(qr_dbc_t *c, const char *org_id, const char *device_id, int64_t now,
                                const qr_joblog_entry_t *e, long long *id, int *late) {
    qr_dbres_t *r = NULL;
    int64_t event = e->time ? e->time : now;
    qr_status_t st = qr_db_q(
        c, &r, NULL,
        "INSERT INTO job_log (org_id, time, user_id, device_id, type, pages, "
        "copies, color, duplex) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        QR_TEXT(org_id), QR_INT(event), QR_TEXT(e->user_id), QR_TEXT(device_id), QR_TEXT(e->type),
        QR_INT(e->pages), QR_INT(e->copies), QR_INT(e->color), QR_INT(e->duplex));
    if (!st && id)
        *id = qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    if (!st)
        st = qr__usage_book(c, org_id, device_id, e, event, now, late);
    return st;
}

qr_status_t qr__joblog_insert(qr_dbc_t *c, const char *org_id, const char *device_id, int64_t now,
                              const qr_joblog_entry_t *e, long long *id) {
    int late = 0;
    return joblog_write(c, org_id, device_id, now, e, id, &late);
}

qr_status_t qr_joblog_report(qr_ctx_t *ctx, const qr_principal_t *d, const qr_joblog_entry_t *e,
                             long long *id, long long *at, int *late, qr_err_t *err) {
    *id = *at = 0;
    *late = 0;
    if (strcmp(e->type, "print") != 0 && strcmp(e->type, "copy") != 0 &&
        strcmp(e->type, "scan") != 0)
        return qr_err_set(err, QR_E_INVALID, NULL, "type must be print, copy or scan");
    if (e->pages < 0 || e->pages > 1000000 || e->copies < 1 || e->copies > 10000)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "pages must be from 0 to 1000000 and copies from 1 to 10000");
    int64_t now = qr_clock_now(ctx->clock);
    qr_status_t st = e->time ? qr_usage_check_time(e->time, now, err) : QR_OK;
    if (st)
        return st;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    int open = 0;
    if (e->user_id) {
        st = qr_db_q(c, &r, NULL, "SELECT id FROM users WHERE id = ? AND org_id = ?",
                     QR_TEXT(e->user_id), QR_TEXT(d->org_id));
        if (!st && qr_dbres_rows(r) != 1)
            st = qr_err_set(err, QR_E_INVALID, NULL,
                            "user_id is not a user of this device's organization");
        qr_dbres_free(r);
        r = NULL;
    }
    if (!st && !(st = qr_dbc_begin(c)))
        open = 1;
    if (!st)
        st = joblog_write(c, d->org_id, d->device_id, now, e, id, late);
    if (!st)
        st = qr_dbc_commit(c);
    else if (open)
        qr_dbc_rollback(c);
    if (!st)
        *at = e->time ? e->time : now;
    qr_db_release(c);
    return st;
}

void qr_joblog_filter_init(qr_joblog_filter_t *f) {
    memset(f, 0, sizeof(*f));
    f->color = -1;
}

/* At most limit entries of org_id matching f (user_id, if not NULL, replaces f's user),
 * newest first, into a new array *items of *n. */
static qr_status_t query(qr_dbc_t *c, const char *org_id, const char *user_id,
                         const qr_joblog_filter_t *f, int limit, qr_joblog_record_t **items,
                         size_t *n) {
    qr_dbres_t *r = NULL;
    const char *user = user_id ? user_id : f->user_id;
    *items = NULL;
    *n = 0;
    qr_status_t st = qr_db_q(
        c, &r, NULL,
        "SELECT " JOBLOG_COLUMNS " FROM job_log j LEFT JOIN users u ON u.id = j.user_id "
        "LEFT JOIN devices d ON d.id = j.device_id WHERE j.org_id = ? AND "
        "(CAST(? AS TEXT) IS NULL OR j.user_id = ?) AND "
        "(CAST(? AS TEXT) IS NULL OR j.device_id = ?) AND "
        "(CAST(? AS TEXT) IS NULL OR j.type = ?) AND (CAST(? AS BIGINT) < 0 OR j.color = ?) AND "
        "j.time >= ? AND j.time <= ? AND j.id < ? ORDER BY j.id DESC LIMIT ?",
        QR_TEXT(org_id), QR_TEXT(user), QR_TEXT(user), QR_TEXT(f->device_id), QR_TEXT(f->device_id),
        QR_TEXT(f->type), QR_TEXT(f->type), QR_INT(f->color), QR_INT(f->color), QR_INT(f->from),
        QR_INT(f->to ? f->to : INT64_MAX), QR_INT(f->before > 0 ? f->before : INT64_MAX),
        QR_INT(limit));
    if (!st && qr_dbres_rows(r) > 0) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n, sizeof(**items));
        for (size_t i = 0; i < *n; i++)
            record_from_row(r, (int)i, &(*items)[i]);
    }
    qr_dbres_free(r);
    return st;
}

/* Whose log a listing reads: org_id's (report access checked) or, with org_id NULL, the
 * principal's own entries. Fills org (and *user, borrowed from p, for the own ones). */
static qr_status_t scope(qr_dbc_t *c, const qr_principal_t *p, const char *org_id,
                         char org[QR_ID_LEN + 1], const char **user, qr_err_t *err) {
    *user = NULL;
    if (!org_id) {
        if (!p->user_id[0])
            return qr_err_set(err, QR_E_FORBIDDEN, NULL, "only a user has a job log of their own");
        snprintf(org, QR_ID_LEN + 1, "%s", p->org_id);
        *user = p->user_id;
        return QR_OK;
    }
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_REPORTS, QR_ACCESS_READ, &ref, err);
    if (!st)
        snprintf(org, QR_ID_LEN + 1, "%s", ref.id);
    return st;
}

qr_status_t qr_joblog_page(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           const qr_joblog_filter_t *f, int limit, qr_joblog_record_t **items,
                           size_t *n, long long *next, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    *next = 0;
    if (limit < 1 || limit > QR_JOBLOG_PAGE_MAX)
        return qr_err_set(err, QR_E_INVALID, NULL, "limit must be from 1 to %d",
                          QR_JOBLOG_PAGE_MAX);
    char org[QR_ID_LEN + 1];
    const char *user = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = scope(c, p, org_id, org, &user, err);
    /* One entry more than asked tells whether another page follows. */
    if (!st)
        st = query(c, org, user, f, limit + 1, items, n);
    qr_db_release(c);
    if (!st && *n > (size_t)limit) {
        qr_joblog_record_clear(&(*items)[limit]);
        *n = (size_t)limit;
        *next = (*items)[limit - 1].id;
    }
    return st;
}

qr_status_t qr_joblog_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int64_t from,
                           int64_t to, int limit, qr_joblog_record_t **items, size_t *n,
                           qr_err_t *err) {
    qr_joblog_filter_t f;
    long long next;
    qr_joblog_filter_init(&f);
    f.from = from;
    f.to = to;
    return qr_joblog_page(ctx, p, org_id ? org_id : "", &f, limit, items, n, &next, err);
}

qr_status_t qr_joblog_mine(qr_ctx_t *ctx, const qr_principal_t *p, int64_t from, int64_t to,
                           int limit, qr_joblog_record_t **items, size_t *n, qr_err_t *err) {
    qr_joblog_filter_t f;
    long long next;
    qr_joblog_filter_init(&f);
    f.from = from;
    f.to = to;
    return qr_joblog_page(ctx, p, NULL, &f, limit, items, n, &next, err);
}

struct qr_joblog_cursor {
    qr_batch_cursor_t b; /* first: read_batch gets it back as the cursor */
    char org[QR_ID_LEN + 1];
    char *user_id, *device_id, *type; /* the filter's strings, owned */
    qr_joblog_filter_t f;             /* f.before moves back batch by batch */
};

static void free_batch(void *rows, size_t n) {
    qr_joblog_list_free(rows, n);
}

/* The cursor's next batch: want entries before its keyset, which moves past them. */
static qr_status_t read_batch(qr_batch_cursor_t *b, qr_dbc_t *c, int want, void **rows, size_t *n) {
    qr_joblog_cursor_t *cur = (qr_joblog_cursor_t *)b;
    qr_joblog_record_t *v = NULL;
    qr_status_t st = query(c, cur->org, NULL, &cur->f, want, &v, n);
    if (!st && *n)
        cur->f.before = v[*n - 1].id;
    *rows = v;
    return st;
}

qr_status_t qr_joblog_open(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           const qr_joblog_filter_t *f, long long max, qr_joblog_cursor_t **out,
                           qr_err_t *err) {
    *out = NULL;
    qr_joblog_cursor_t *cur = qr_xcalloc(1, sizeof(*cur));
    const char *user = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = scope(c, p, org_id, cur->org, &user, err);
    qr_db_release(c);
    if (st) {
        free(cur);
        return st;
    }
    qr__batch_init(&cur->b, ctx, max, QR_JOBLOG_BATCH, read_batch, free_batch, "the job log");
    cur->f = *f;
    cur->f.user_id = cur->user_id = qr_xstrdup(user ? user : f->user_id);
    cur->f.device_id = cur->device_id = qr_xstrdup(f->device_id);
    cur->f.type = cur->type = qr_xstrdup(f->type);
    *out = cur;
    return QR_OK;
}

qr_status_t qr_joblog_next(qr_joblog_cursor_t *cur, const qr_joblog_record_t **rows, size_t *n,
                           qr_err_t *err) {
    const void *v = NULL;
    qr_status_t st = qr__batch_next(&cur->b, &v, n, err);
    *rows = v;
    return st;
}

void qr_joblog_close(qr_joblog_cursor_t *cur) {
    if (!cur)
        return;
    qr__batch_clear(&cur->b);
    free(cur->user_id);
    free(cur->device_id);
    free(cur->type);
    free(cur);
}
