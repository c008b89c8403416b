/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit log of security events and admin changes (REP-4): its reader. The writer
 * (qr_audit_write) is the store-level sink in store/audit.h, declared here too. */
#ifndef QR_AUDIT_H
#define QR_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/audit.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* One event of the audit log. Strings are owned; actor_id and target_id are NULL when the
 * event has none. */
typedef struct qr_audit_entry {
    long long id, time;
    char *actor_id, *action, *target_id, *detail;
} qr_audit_entry_t;

/* Frees the members of e and zeroes it; accepts a zeroed struct. */
void qr_audit_entry_clear(qr_audit_entry_t *e);
/* Frees n entries and the array; accepts NULL. */
void qr_audit_list_free(qr_audit_entry_t *v, size_t n);
/* Lists the newest events (at most limit), newest first, of org_id for a principal allowed to
 * read the org's audit log into a new array *items of *n (qr_audit_list_free). */
qr_status_t qr_audit_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int limit,
                          qr_audit_entry_t **items, size_t *n, qr_err_t *err);

/* What a listing of the audit log selects (REP-4): every field optional. */
typedef struct qr_audit_filter {
    int64_t from, to;      /* Unix seconds, inclusive; 0 = open */
    const char *action;    /* an action name ("user_created"); NULL = every action */
    const char *actor_id;  /* who did it; NULL = anyone */
    const char *target_id; /* what it was done to; NULL = anything */
    /* the keyset (events are listed by time, then id, newest first): only events before
     * (before_time, before_id); 0, 0 = from the newest */
    long long before_time, before_id;
} qr_audit_filter_t;

/* The most events of one page, and of one batch of an export. */
#define QR_AUDIT_PAGE_MAX 1000
#define QR_AUDIT_BATCH 1000

/* One page of org_id's audit log for a principal allowed to read it: at most limit (1 to
 * QR_AUDIT_PAGE_MAX) events matching f, newest first, into *items (qr_audit_list_free) and
 * *n; *next_time, *next_id are the keyset of the next page (f->before_*), 0 on the last. */
qr_status_t qr_audit_page(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                          const qr_audit_filter_t *f, int limit, qr_audit_entry_t **items,
                          size_t *n, long long *next_time, long long *next_id, qr_err_t *err);

/* A cursor over every event matching a filter (an export): keyset batches of QR_AUDIT_BATCH
 * events, each on a pooled connection taken and released for that batch. */
typedef struct qr_audit_cursor qr_audit_cursor_t;
/* Checks access as qr_audit_page and opens a cursor over the events of org_id matching f
 * (copied), newest first, at most max (0: all), into *out (qr_audit_close). */
qr_status_t qr_audit_open(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                          const qr_audit_filter_t *f, long long max, qr_audit_cursor_t **out,
                          qr_err_t *err);
/* The next batch: *rows (owned by the cursor until the next call) and *n, 0 at the end. */
qr_status_t qr_audit_next(qr_audit_cursor_t *cur, const qr_audit_entry_t **rows, size_t *n,
                          qr_err_t *err);
/* Frees the cursor and its batch; accepts NULL. */
void qr_audit_close(qr_audit_cursor_t *cur);

#endif
