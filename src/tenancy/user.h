/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user accounts, as rows of an organization (TEN-3): read, list, delete, unlock and
 * the raw writes. The account life cycle that needs the AUTH-2/3/4 rules (create with a
 * password, invite, admin update, own profile and password) is auth/account.h's. No function
 * here ever returns a password hash. */
#ifndef QR_USER_H
#define QR_USER_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "store/db.h"
#include "tenancy/org.h"
#include "tenancy/policy.h"

/* Input of create and update; NULL means "not given", active -1 "not given". */
typedef struct qr_user_input {
    const char *username, *email, *first_name, *last_name, *role, *password;
    int active;
    int invite; /* 1: no password; the account stays inactive until its emailed link is used */
} qr_user_input_t;

/* A user as a client may see it (no secrets). Strings are owned; free with qr_user_clear. */
typedef struct qr_user {
    char id[QR_ID_LEN + 1];
    char org_id[QR_ID_LEN + 1];
    char *username, *email, *first_name, *last_name, *role;
    int active;
    int locked;  /* locked out (AUTH-5) at the time of reading */
    int has_pin; /* the PIN itself is never read here (AUTH-8) */
    int must_change_password;
    long long created_at;
} qr_user_t;

/* AUTH-3, issue 13: the form in which usernames are compared, Unicode NFC of the case-folded
 * NFC name (ICU), as a new UTF-8 string (caller frees); NULL if name is not valid UTF-8 or
 * too long. "Alice" and "ALICE", and "jo\u0308hn" and "j\u00f6hn", have the same key. */
char *qr_user_name_key(const char *name);
/* The condition on users alias u that finds a username as sign-in does: the exact name, else
 * the one account whose key matches (legacy duplicates, flagged username_key_dup, only by
 * their exact name). Parameters: name, key (qr_user_name_key, may be NULL), name. */
#define QR_USER_NAME_MATCH                                                                         \
    "(u.username = ? OR (u.username_key = ? AND u.username_key_dup = 0 AND NOT EXISTS "            \
    "(SELECT 1 FROM users x WHERE x.org_id = u.org_id AND x.username = ?)))"
/* Writes the key of every user that has none (rows older than the column), flagging a name
 * that collides with an earlier account of its org as a duplicate, and logs one warning per
 * org with duplicates. Called at start, after the migrations. */
qr_status_t qr_user_backfill_keys(qr_db_t *db, qr_err_t *err);
/* A legacy account whose name collides with another's after folding, with its org's slug. */
typedef struct qr_user_dup {
    char org_slug[QR_ORG_SLUG_MAX + 1];
    qr_user_t user;
} qr_user_dup_t;
/* Lists every group of colliding usernames (all members, the first one included), by org
 * slug, key and age, into a new array *items of *n (qr_user_dup_list_free). For the
 * operator's CLI (`quire user duplicates`): no principal. */
qr_status_t qr_user_list_duplicates(qr_ctx_t *ctx, qr_user_dup_t **items, size_t *n, qr_err_t *err);
/* Frees n entries and the array; accepts NULL. */
void qr_user_dup_list_free(qr_user_dup_t *v, size_t n);

/* Sets every field of in to "not given". */
void qr_user_input_init(qr_user_input_t *in);
/* Frees the members of u and zeroes it; accepts a zeroed struct. */
void qr_user_clear(qr_user_t *u);
/* Frees n users and the array; accepts NULL. */
void qr_user_list_free(qr_user_t *v, size_t n);

/* Inserts the row of a user whose input the caller has checked (auth/account.c does), with
 * pw_hash (NULL for an invitation) and a new id written to id. A taken username (compared by
 * qr_user_name_key) is QR_E_CONFLICT with a message naming the existing one. */
qr_status_t qr__user_insert_row(qr_dbc_t *c, const char *org_id, const qr_user_input_t *in,
                                const char *pw_hash, int must_change_password, int64_t now,
                                char id[QR_ID_LEN + 1], qr_err_t *err);
/* Updates the given fields of user id (checked by the caller); a non-NULL pw_hash replaces the
 * password and clears the lockout counters. */
qr_status_t qr__user_update_row(qr_dbc_t *c, const char *id, const qr_user_input_t *in,
                                const char *pw_hash, int64_t now);
/* Reads user id on connection c into *out without a policy check (for a caller that has just
 * made or resolved it). QR_E_NOT_FOUND if there is none. */
qr_status_t qr__user_read(qr_dbc_t *c, const char *id, int64_t now, qr_user_t *out);
/* Finds a user the principal may access: itself (read only) or a user of an org in scope
 * for want on users (then *ref is that org). Fills *out (caller clears). */
qr_status_t qr__user_resolve(qr_dbc_t *c, const qr_principal_t *p, const char *id, qr_access_t want,
                             int64_t now, qr_user_t *out, qr_org_ref_t *ref, qr_err_t *err);

/* Finds username in the org with slug, as sign-in does (no principal: for the operator's
 * CLI), into *out (caller clears). QR_E_NOT_FOUND with a message naming what is missing. */
qr_status_t qr__user_find_by_name(qr_dbc_t *c, const char *slug, const char *username, int64_t now,
                                  qr_user_t *out, qr_err_t *err);
/* Finds a user the principal may help (issue 13): a user of its own org it may change
 * (QR_RES_USERS write), or an admin account of a direct child (QR_RES_ADMINS read: the
 * parent's provider admin or support). Anything else, deeper descendants and the child's
 * other users included, is QR_E_NOT_FOUND. ref->rel tells which (QR_REL_CHILD: the parent's
 * help, to be audited in both orgs). Fills *out (caller clears). */
qr_status_t qr__user_resolve_assist(qr_dbc_t *c, const qr_principal_t *p, const char *id,
                                    int64_t now, qr_user_t *out, qr_org_ref_t *ref, qr_err_t *err);
/* Records action on target in org ref->id and, when it is the parent's help with a direct
 * child (ref->rel is QR_REL_CHILD), as "child_<action>" in the principal's org too. */
void qr__user_audit_assist(qr_dbc_t *c, const qr_principal_t *p, const qr_org_ref_t *ref,
                           int64_t now, const char *action, const char *target);

/* Reads a user: the principal itself or a user of an org whose users it may read. */
qr_status_t qr_user_read(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_user_t *out,
                         qr_err_t *err);
/* Lists the users of org_id by username into a new array *items of *n (qr_user_list_free). */
qr_status_t qr_user_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                         qr_user_t **items, size_t *n, qr_err_t *err);
/* The largest page of qr_user_page. */
#define QR_USER_PAGE_MAX 1000
/* A page of org_id's users (read access to users, TEN-3), by username: those whose username,
 * first or last name or email holds q (case-insensitive; NULL: all), after the username
 * `after` (NULL: from the start), at most limit. *next is a new string, the username to
 * pass as `after` for the next page, or NULL on the last page. */
qr_status_t qr_user_page(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, const char *q,
                         const char *after, int limit, qr_user_t **items, size_t *n, char **next,
                         qr_err_t *err);
/* Lists the admin accounts of org_id, a direct child of the principal's org (QR_RES_ADMINS
 * read), by username into a new array *items of *n (qr_user_list_free). */
qr_status_t qr_user_list_admins(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                                qr_user_t **items, size_t *n, qr_err_t *err);
/* Deletes a user (not oneself). */
qr_status_t qr_user_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Clears a lockout (AUTH-5 admin unlock): an admin of the user's org, or the parent's
 * provider admin or support for an admin of a direct child (qr__user_resolve_assist). */
qr_status_t qr_user_unlock(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);

#endif
