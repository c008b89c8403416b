/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit log of security events and admin changes (REP-4): its reader. The writer
 * (qr_audit_write) is the store-level sink in store/audit.h, declared here too. */
#ifndef QR_AUDIT_H
#define QR_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/audit.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* Lists the newest events (at most limit) of org_id for a principal allowed to read the
 * org's audit log; *out is {"items": [...]}. */
qr_status_t qr_audit_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, int limit,
                          json_t **out, qr_err_t *err);

#endif
