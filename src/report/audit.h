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

#endif
