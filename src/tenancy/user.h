/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user accounts (TEN-3, AUTH-2, AUTH-3, AUTH-4, AUTH-12). No function here ever
 * returns a password hash; a generated password is returned once, at creation. */
#ifndef QR_USER_H
#define QR_USER_H

#include <jansson.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* Input of create and update; NULL means "not given", active -1 "not given". */
typedef struct qr_user_input {
    const char *username, *email, *first_name, *last_name, *role, *password;
    int active;
    int invite; /* 1: no password; the account stays inactive until its emailed link is used */
} qr_user_input_t;

/* Sets every field of in to "not given". */
void qr_user_input_init(qr_user_input_t *in);

/* Validates and inserts a user into org_id (of type org_type) on connection c. Without a
 * password one is generated and returned in *generated (caller frees). Hashes with
 * Argon2id: call it from the slow worker pool. */
qr_status_t qr__user_insert(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *org_type,
                            const qr_user_input_t *in, int64_t now, char id[QR_ID_LEN + 1],
                            char **generated, qr_err_t *err);
/* Builds the client view of the user with that id (no secrets), or NULL. */
json_t *qr__user_json(qr_dbc_t *c, const char *id, int64_t now);

/* Creates a user in org_id (needs user write access there). */
qr_status_t qr_user_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           const qr_user_input_t *in, json_t **out, qr_err_t *err);
/* Reads a user: the principal itself or a user of an org whose users it may read. */
qr_status_t qr_user_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, json_t **out,
                        qr_err_t *err);
/* Lists the users of org_id: {"items": [...]}. */
qr_status_t qr_user_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, json_t **out,
                         qr_err_t *err);
/* Updates a user as an admin of its org. An admin cannot change their own role or
 * deactivate themselves. A new password is checked against AUTH-2 and unlocks. */
qr_status_t qr_user_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                           const qr_user_input_t *in, json_t **out, qr_err_t *err);
/* Deletes a user (not oneself). */
qr_status_t qr_user_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Clears a lockout (AUTH-5 admin unlock). */
qr_status_t qr_user_unlock(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Updates the principal's own names and email (AUTH-12: nothing else). */
qr_status_t qr_me_update(qr_ctx_t *ctx, const qr_principal_t *p, const qr_user_input_t *in,
                         json_t **out, qr_err_t *err);
/* Changes the principal's own password after checking the current one; a wrong current
 * password counts toward lockout like a failed login. */
qr_status_t qr_me_set_password(qr_ctx_t *ctx, const qr_principal_t *p, const char *current,
                               const char *password, qr_err_t *err);

#endif
