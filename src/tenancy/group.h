/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user groups of an organization (for reports and quotas). */
#ifndef QR_GROUP_H
#define QR_GROUP_H

#include <jansson.h>

#include "core/ctx.h"
#include "core/error.h"
#include "tenancy/policy.h"

/* Creates a group named name in org_id. */
qr_status_t qr_group_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                            const char *name, json_t **out, qr_err_t *err);
/* Lists the groups of org_id with their members: {"items": [...]}. */
qr_status_t qr_group_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, json_t **out,
                          qr_err_t *err);
/* Reads one group. */
qr_status_t qr_group_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, json_t **out,
                         qr_err_t *err);
/* Renames a group. */
qr_status_t qr_group_rename(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                            const char *name, json_t **out, qr_err_t *err);
/* Deletes a group (not its members). */
qr_status_t qr_group_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Adds (add=1) or removes a user of the same org. */
qr_status_t qr_group_set_member(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                const char *user_id, int add, qr_err_t *err);

#endif
