/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit sink, one INSERT into the audit table on the caller's connection. */
#include "store/audit.h"

#include "core/log.h"

void qr_audit_write(qr_dbc_t *c, int64_t now, const char *org_id, const char *actor_id,
                    const char *action, const char *target_id, const char *detail) {
    qr_status_t st = qr_db_q(c, NULL, NULL,
                             "INSERT INTO audit (org_id, time, actor_id, action, target_id, "
                             "detail) VALUES (?, ?, ?, ?, ?, ?)",
                             QR_TEXT(org_id), QR_INT(now), QR_TEXT(actor_id), QR_TEXT(action),
                             QR_TEXT(target_id), QR_TEXT(detail ? detail : ""));
    if (st)
        qr_log_error("audit_failed", "could not record %s in org %s", action, org_id);
}
