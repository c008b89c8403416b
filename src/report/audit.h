/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit log of security events and admin changes (REP-4). */
#ifndef QR_AUDIT_H
#define QR_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* Records an event of org_id. actor_id and target_id may be NULL. detail is free text that
 * must never hold a secret. Failures are logged, not returned: an audit write never turns
 * a successful action into a failed one, but it is written in the caller's transaction. */
void qr_audit_write(qr_dbc_t *c, int64_t now, const char *org_id, const char *actor_id,
                    const char *action, const char *target_id, const char *detail);
/* Lists the newest events (at most limit) of org_id for a principal allowed to read the
 * org's audit log; *out is {"items": [...]}. */
qr_status_t qr_audit_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int limit,
                          json_t **out, qr_err_t *err);

#endif
