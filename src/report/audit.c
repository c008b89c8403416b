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

qr_status_t qr_audit_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int limit,
                          qr_audit_entry_t **items, size_t *n, qr_err_t *err) {
    qr_dbval_t lim = QR_INT(limit);
    void *v = NULL;
    qr_status_t st = qr_org_list_rows(ctx, p, org_id, QR_RES_AUDIT,
                                      "SELECT " AUDIT_COLUMNS " FROM audit "
                                      "WHERE org_id = ? ORDER BY time DESC, id DESC LIMIT ?",
                                      &lim, 1, sizeof(**items), entry_row, NULL, &v, n, err);
    *items = v;
    return st;
}
