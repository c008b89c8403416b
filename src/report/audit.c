/* SPDX-License-Identifier: Apache-2.0 */
/* quire: audit log reads (the writer is store/audit.c). */
#include "report/audit.h"

#include "tenancy/org.h"

qr_status_t qr_audit_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int limit,
                          json_t **out, qr_err_t *err) {
    *out = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_AUDIT, QR_ACCESS_READ, &ref, err);
    if (!st)
        st = qr_db_q(c, &r, NULL,
                     "SELECT id, time, actor_id, action, target_id, detail FROM audit "
                     "WHERE org_id = ? ORDER BY time DESC, id DESC LIMIT ?",
                     QR_TEXT(ref.id), QR_INT(limit));
    if (!st) {
        json_t *items = json_array();
        for (int i = 0; i < qr_dbres_rows(r); i++) {
            const char *actor = qr_dbres_text(r, i, 2), *target = qr_dbres_text(r, i, 4);
            json_array_append_new(items, json_pack("{s:I, s:I, s:o, s:s, s:o, s:s}", "id",
                                                   (json_int_t)qr_dbres_int(r, i, 0), "time",
                                                   (json_int_t)qr_dbres_int(r, i, 1), "actor_id",
                                                   actor ? json_string(actor) : json_null(),
                                                   "action", qr_dbres_text(r, i, 3), "target_id",
                                                   target ? json_string(target) : json_null(),
                                                   "detail", qr_dbres_text(r, i, 5)));
        }
        *out = json_pack("{s:o}", "items", items);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
