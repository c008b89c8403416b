/* SPDX-License-Identifier: Apache-2.0 */
/* quire: audit log reads (the writer is store/audit.c). */
#include "report/audit.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
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
static void entry_from_row(const qr_dbres_t *r, int i, qr_audit_entry_t *out) {
    out->id = qr_dbres_int(r, i, 0);
    out->time = qr_dbres_int(r, i, 1);
    out->actor_id = qr_xstrdup(qr_dbres_text(r, i, 2));
    out->action = qr_xstrdup(qr_dbres_text(r, i, 3));
    out->target_id = qr_xstrdup(qr_dbres_text(r, i, 4));
    out->detail = qr_xstrdup(qr_dbres_text(r, i, 5));
}

qr_status_t qr_audit_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int limit,
                          qr_audit_entry_t **items, size_t *n, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_AUDIT, QR_ACCESS_READ, &ref, err);
    if (!st)
        st = qr_db_q(c, &r, NULL,
                     "SELECT " AUDIT_COLUMNS " FROM audit "
                     "WHERE org_id = ? ORDER BY time DESC, id DESC LIMIT ?",
                     QR_TEXT(ref.id), QR_INT(limit));
    if (!st) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n ? *n : 1, sizeof(**items));
        for (size_t i = 0; i < *n; i++)
            entry_from_row(r, (int)i, &(*items)[i]);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
