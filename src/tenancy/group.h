/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user groups of an organization (for reports and quotas). */
#ifndef QR_GROUP_H
#define QR_GROUP_H

#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "tenancy/policy.h"

/* A group with the ids of its members (ordered). Owned members; free with qr_group_clear. */
typedef struct qr_group {
    char id[QR_ID_LEN + 1];
    char org_id[QR_ID_LEN + 1];
    char *name;
    char (*members)[QR_ID_LEN + 1];
    size_t n_members;
} qr_group_t;

/* Frees the members of g and zeroes it; accepts a zeroed struct. */
void qr_group_clear(qr_group_t *g);
/* Frees n groups and the array; accepts NULL. */
void qr_group_list_free(qr_group_t *v, size_t n);

/* Creates a group named name in org_id. */
qr_status_t qr_group_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                            const char *name, qr_group_t *out, qr_err_t *err);
/* Lists the groups of org_id by name with their members into a new array *items of *n
 * (qr_group_list_free). */
qr_status_t qr_group_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                          qr_group_t **items, size_t *n, qr_err_t *err);
/* Reads one group into *out (caller clears). */
qr_status_t qr_group_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_group_t *out,
                         qr_err_t *err);
/* Renames a group. */
qr_status_t qr_group_rename(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                            const char *name, qr_group_t *out, qr_err_t *err);
/* Deletes a group (not its members). */
qr_status_t qr_group_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Adds (add=1) or removes a user of the same org. */
qr_status_t qr_group_set_member(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                const char *user_id, int add, qr_err_t *err);

#endif
