/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit sink (REP-4): the writer of the audit table, below every domain module
 * that records an event. Reading the log is report/audit.h's (it needs policy). */
#ifndef QR_STORE_AUDIT_H
#define QR_STORE_AUDIT_H

#include <stdint.h>

#include "store/db.h"

/* Records an event of org_id. actor_id and target_id may be NULL. detail is free text that
 * must never hold a secret. Failures are logged, not returned: an audit write never turns
 * a successful action into a failed one, but it is written in the caller's transaction. */
void qr_audit_write(qr_dbc_t *c, int64_t now, const char *org_id, const char *actor_id,
                    const char *action, const char *target_id, const char *detail);

#endif
