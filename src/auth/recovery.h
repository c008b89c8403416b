/* SPDX-License-Identifier: Apache-2.0 */
/* quire: emailed account links (AUTH-1, AUTH-5): invitations that activate a new account
 * and password resets. Each link carries a single-use random token, stored only as SHA-256,
 * valid 7 days (invitation) or 30 minutes (reset). Completing either sets a password that
 * satisfies AUTH-2; a reset also unlocks the account and ends its sessions. */
#ifndef QR_RECOVERY_H
#define QR_RECOVERY_H

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"

#define QR_RESET_TTL_S (30 * 60)
#define QR_INVITE_TTL_S (7 * 24 * 60 * 60)
#define QR_RESET_GAP_S 60 /* at most one reset mail per account per minute */

typedef enum qr_link_purpose { QR_LINK_RESET = 0, QR_LINK_ACTIVATE } qr_link_purpose_t;

/* Queues a reset link mail if the org and user exist, the user has an email address and
 * got no reset link in the last QR_RESET_GAP_S seconds. Answers the same (QR_OK) in every
 * case and never waits for the mail server, so neither answer nor timing reveals anything;
 * delivery failures are logged. */
qr_status_t qr_reset_request(qr_ctx_t *ctx, const char *slug, const char *username, qr_err_t *err);
struct qr_principal;
/* Sends user_id a reset link on an admin's request (issue 13): an admin of the user's org, or
 * the parent's provider admin or support for an admin of a direct child (anything else is
 * QR_E_NOT_FOUND). The account needs an email address and the server mail (QR_E_CONFLICT
 * naming `quire user reset-password` otherwise). The mail is queued; audited (in both orgs
 * for the parent's help). */
qr_status_t qr_reset_send(qr_ctx_t *ctx, const struct qr_principal *p, const char *user_id,
                          qr_err_t *err);
/* Mails an invitation (activation link) to a user who has none yet. */
qr_status_t qr_invite_send(qr_ctx_t *ctx, const char *user_id, qr_err_t *err);
/* Issues a link token for user_id on connection c, replacing any live one of the same
 * purpose. Returns the token (caller frees) or NULL on a database error. */
char *qr_link_issue(qr_dbc_t *c, const char *user_id, const char *org_id, qr_link_purpose_t purpose,
                    int64_t now);
/* Checks a link's token without using it; fills username (for the form). */
qr_status_t qr_link_check(qr_ctx_t *ctx, const char *token, qr_link_purpose_t purpose,
                          char *username, size_t len, qr_err_t *err);
/* Uses a link's token: sets password (AUTH-2), activates or unlocks, ends sessions. */
qr_status_t qr_link_complete(qr_ctx_t *ctx, const char *token, qr_link_purpose_t purpose,
                             const char *password, qr_err_t *err);

#endif
