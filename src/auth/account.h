/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the account life cycle (AUTH-1, AUTH-2, AUTH-3, AUTH-4, AUTH-12): creating users under
 * the account rules (a given password, a generated one-time password or an emailed
 * invitation), an admin's update of a user, one's own profile and password. The user rows
 * are tenancy/user.h's; this is the layer above them that knows the rules and the sessions. */
#ifndef QR_ACCOUNT_H
#define QR_ACCOUNT_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"
#include "tenancy/policy.h"
#include "tenancy/user.h"

/* Validates and inserts a user into org_id (of type org_type) on connection c. Without a
 * password one is generated and returned in *generated (caller frees). Hashes with
 * Argon2id: call it from the slow worker pool. */
qr_status_t qr__account_insert(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *org_type,
                               const qr_user_input_t *in, int64_t now, char id[QR_ID_LEN + 1],
                               char **generated, qr_err_t *err);

/* Creates a user in org_id (needs user write access there) into *out (caller clears). A
 * password quire generated is returned once in *password (caller wipes and frees), else NULL.
 * An invitation (in->invite) is mailed before this returns; if it cannot be, nothing is
 * left behind. */
qr_status_t qr_account_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                              const qr_user_input_t *in, qr_user_t *out, char **password,
                              qr_err_t *err);
/* Adds an admin to org_id, a direct child of the principal's org, for its provider admin
 * (QR_RES_ADMINS write; issue 13): given holds username, email and names; the role follows
 * the child's type (customer_admin or provider_admin) and the account is invited by email
 * (mail must be configured). Audited in both orgs. *out as qr_account_create. */
qr_status_t qr_account_add_child_admin(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                                       const qr_user_input_t *given, qr_user_t *out, qr_err_t *err);
/* Updates a user as an admin of its org into *out (caller clears). An admin cannot change
 * their own role or password here or deactivate themselves. A new password is checked
 * against AUTH-2 and unlocks; a role change, deactivation or password ends the sessions. */
qr_status_t qr_account_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                              const qr_user_input_t *in, qr_user_t *out, qr_err_t *err);
/* The operator's reset when no mail is configured (`quire user reset-password`, issue 13):
 * finds username in the org with slug (as sign-in does), gives it a generated one-time
 * password (*password, caller wipes and frees; replaced at first sign-in), unlocks it and
 * ends its sessions, links and pending codes; audited with no actor. *out is the user
 * afterwards (caller clears). QR_E_NOT_FOUND names what was not found. Hashes with
 * Argon2id. */
qr_status_t qr_account_reset_by_operator(qr_ctx_t *ctx, const char *slug, const char *username,
                                         qr_user_t *out, char **password, qr_err_t *err);
/* Updates the principal's own names and email (AUTH-12: nothing else) into *out. */
qr_status_t qr_account_update_self(qr_ctx_t *ctx, const qr_principal_t *p,
                                   const qr_user_input_t *in, qr_user_t *out, qr_err_t *err);
/* Changes the principal's own password after checking the current one; a wrong current
 * password counts toward lockout like a failed login. */
qr_status_t qr_account_set_password(qr_ctx_t *ctx, const qr_principal_t *p, const char *current,
                                    const char *password, qr_err_t *err);

#endif
