/* SPDX-License-Identifier: Apache-2.0 */
/* quire: setting up an organization, an operation that spans domains (TEN-1, TEN-6): the
 * org row (tenancy), its first admin account with a generated one-time password (auth), a
 * copy of its parent's document classes (scan) and the audit rows, in one transaction. The
 * api (POST /api/v1/orgs) and the first start (quired, quire bootstrap) call it. */
#ifndef QR_ORG_SETUP_H
#define QR_ORG_SETUP_H

#include "core/ctx.h"
#include "core/error.h"
#include "tenancy/org.h"
#include "tenancy/policy.h"
#include "tenancy/user.h"

/* The first admin of a new org (created with it). */
typedef struct qr_admin_input {
    const char *username, *email, *first_name, *last_name;
} qr_admin_input_t;

/* Creates a child org of in->parent_id (TEN-1) into *org (caller clears), starting with a
 * copy of its parent's document classes (TEN-6). With admin (may be NULL), also creates its
 * first admin account into *admin_user (caller clears) with a generated one-time password
 * in *password (caller wipes and frees); without, both stay zero/NULL. Hashes with Argon2id:
 * call it from the slow worker pool. */
qr_status_t qr_org_setup_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_org_input_t *in,
                                const qr_admin_input_t *admin, qr_org_t *org, qr_user_t *admin_user,
                                char **password, qr_err_t *err);

/* Creates the root provider and its first provider admin if the database has no org.
 * *org_id receives the root's id (caller frees); *password the one-time password (caller
 * frees) or NULL if nothing was done. */
qr_status_t qr_org_bootstrap(qr_ctx_t *ctx, const char *username, char **org_id, char **password,
                             qr_err_t *err);

#endif
