/* SPDX-License-Identifier: Apache-2.0 */
/* quire: audit log reads (the writer is store/audit.c). */
#include "report/audit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "report/cursor.h"
#include "tenancy/org.h"

#define AUDIT_COLUMNS "id, time, actor_id, action, target_id, detail"

void qr_audit_entry_clear(qr_audit_entry_t *e) {
    free(e->actor_id);
    free(e->action);
    free(e->target_id);
    free(e->detail);
    memset(e, 0, sizeof(*e));
}

void qr_audit_list_free(qr_audit_entry_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_audit_entry_clear(&v[i]);
    free(v);
}

/* Row i of a result selected with AUDIT_COLUMNS. */
static void entry_row(qr_dbc_t *c, const qr_dbres_t *r, int i, void *out, void *arg) {
    qr_audit_entry_t *e = out;
    (void)c;
    (void)arg;
    e->id = qr_dbres_int(r, i, 0);
    e->time = qr_dbres_int(r, i, 1);
    e->actor_id = qr_xstrdup(qr_dbres_text(r, i, 2));
    e->action = qr_xstrdup(qr_dbres_text(r, i, 3));
    e->target_id = qr_xstrdup(qr_dbres_text(r, i, 4));
    e->detail = qr_xstrdup(qr_dbres_text(r, i, 5));
}

/* At most limit events of org matching f, newest first, into a new array *items of *n. The
 * columns are named (the table may carry more, such as the hash chain's). */
static qr_status_t query(qr_dbc_t *c, const char *org, const qr_audit_filter_t *f, int limit,
                         qr_audit_entry_t **items, size_t *n) {
    qr_dbres_t *r = NULL;
    int before = f->before_time > 0 || f->before_id > 0;
    *items = NULL;
    *n = 0;
    qr_status_t st = qr_db_q(
        c, &r, NULL,
        "SELECT " AUDIT_COLUMNS " FROM audit WHERE org_id = ? AND "
        "(CAST(? AS TEXT) IS NULL OR action = ?) AND (CAST(? AS TEXT) IS NULL OR actor_id = ?) AND "
        "(CAST(? AS TEXT) IS NULL OR target_id = ?) AND time >= ? AND time <= ? AND "
        "(time < ? OR (time = ? AND id < ?)) ORDER BY time DESC, id DESC LIMIT ?",
        QR_TEXT(org), QR_TEXT(f->action), QR_TEXT(f->action), QR_TEXT(f->actor_id),
        QR_TEXT(f->actor_id), QR_TEXT(f->target_id), QR_TEXT(f->target_id), QR_INT(f->from),
        QR_INT(f->to ? f->to : INT64_MAX), QR_INT(before ? f->before_time : INT64_MAX),
        QR_INT(before ? f->before_time : INT64_MAX), QR_INT(before ? f->before_id : INT64_MAX),
        QR_INT(limit));
    if (!st && qr_dbres_rows(r) > 0) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n, sizeof(**items));
        for (size_t i = 0; i < *n; i++)
            entry_row(c, r, (int)i, &(*items)[i], NULL);
    }
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_audit_page(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                          const qr_audit_filter_t *f, int limit, qr_audit_entry_t **items,
                          size_t *n, long long *next_time, long long *next_id, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    *next_time = *next_id = 0;
    if (limit < 1 || limit > QR_AUDIT_PAGE_MAX)
        return qr_err_set(err, QR_E_INVALID, NULL, "limit must be from 1 to %d", QR_AUDIT_PAGE_MAX);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_AUDIT, QR_ACCESS_READ, &ref, err);
    /* One event more than asked tells whether another page follows. */
    if (!st)
        st = query(c, ref.id, f, limit + 1, items, n);
    qr_db_release(c);
    if (!st && *n > (size_t)limit) {
        qr_audit_entry_clear(&(*items)[limit]);
        *n = (size_t)limit;
        *next_time = (*items)[limit - 1].time;
        *next_id = (*items)[limit - 1].id;
    }
    return st;
}

qr_status_t qr_audit_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int limit,
                          qr_audit_entry_t **items, size_t *n, qr_err_t *err) {
    qr_audit_filter_t f = {0};
    long long t, i;
    return qr_audit_page(ctx, p, org_id, &f, limit, items, n, &t, &i, err);
}

struct qr_audit_cursor {
    qr_batch_cursor_t b; /* first: read_batch gets it back as the cursor */
    char org[QR_ID_LEN + 1];
    char *action, *actor_id, *target_id; /* the filter's strings, owned */
    qr_audit_filter_t f;                 /* f.before_* move back batch by batch */
};

static void free_batch(void *rows, size_t n) {
    qr_audit_list_free(rows, n);
}

/* The cursor's next batch: want events before its keyset, which moves past them. */
static qr_status_t read_batch(qr_batch_cursor_t *b, qr_dbc_t *c, int want, void **rows, size_t *n) {
    qr_audit_cursor_t *cur = (qr_audit_cursor_t *)b;
    qr_audit_entry_t *v = NULL;
    qr_status_t st = query(c, cur->org, &cur->f, want, &v, n);
    if (!st && *n) {
        cur->f.before_time = v[*n - 1].time;
        cur->f.before_id = v[*n - 1].id;
    }
    *rows = v;
    return st;
}

qr_status_t qr_audit_open(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                          const qr_audit_filter_t *f, long long max, qr_audit_cursor_t **out,
                          qr_err_t *err) {
    *out = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_AUDIT, QR_ACCESS_READ, &ref, err);
    qr_db_release(c);
    if (st)
        return st;
    qr_audit_cursor_t *cur = qr_xcalloc(1, sizeof(*cur));
    qr__batch_init(&cur->b, ctx, max, QR_AUDIT_BATCH, read_batch, free_batch, "the audit log");
    snprintf(cur->org, sizeof(cur->org), "%s", ref.id);
    cur->f = *f;
    cur->f.action = cur->action = qr_xstrdup(f->action);
    cur->f.actor_id = cur->actor_id = qr_xstrdup(f->actor_id);
    cur->f.target_id = cur->target_id = qr_xstrdup(f->target_id);
    *out = cur;
    return QR_OK;
}

qr_status_t qr_audit_next(qr_audit_cursor_t *cur, const qr_audit_entry_t **rows, size_t *n,
                          qr_err_t *err) {
    const void *v = NULL;
    qr_status_t st = qr__batch_next(&cur->b, &v, n, err);
    *rows = v;
    return st;
}

void qr_audit_close(qr_audit_cursor_t *cur) {
    if (!cur)
        return;
    qr__batch_clear(&cur->b);
    free(cur->action);
    free(cur->actor_id);
    free(cur->target_id);
    free(cur);
}
