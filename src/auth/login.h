/* SPDX-License-Identifier: Apache-2.0 */
/* quire: password login with lockout (AUTH-5) and per-source throttling. Slow by design
 * (Argon2id): call these from the slow worker pool. */
#ifndef QR_LOGIN_H
#define QR_LOGIN_H

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"
#include "tenancy/policy.h"
#include <stdint.h>

#define QR_LOCK_WINDOW_S (15 * 60) /* 3 failures within this window ... */
#define QR_LOCK_FAILURES 3
#define QR_LOCK_DURATION_S (30 * 60) /* ... lock the account this long */

/* Tokens handed to a client; all strings are owned (free with qr_tokens_free). */
typedef struct qr_tokens {
    char *access_token;
    char *refresh_token;
    char *mfa_token; /* set instead of the tokens when an emailed code must follow (AUTH-6) */
    int expires_in;
} qr_tokens_t;

/* Frees the strings of t. */
void qr_tokens_free(qr_tokens_t *t);

/* Logs username of the org with slug in with password, from source (an address). Every
 * failure (unknown org or user, wrong password, locked or inactive account) returns the
 * same QR_E_UNAUTHORIZED error after the same work; QR_E_THROTTLED when the source has
 * failed too often. */
qr_status_t qr_login(qr_ctx_t *ctx, const char *slug, const char *username, const char *password,
                     const char *source, qr_tokens_t *out, qr_err_t *err);
#define QR_MFA_TTL_S (5 * 60)               /* AUTH-6: an emailed code is valid 5 minutes */
#define QR_WEB_SESSION_IDLE_S (15 * 60)     /* AUTH-7: a browser session ends when idle */
#define QR_WEB_SESSION_MAX_S (12 * 60 * 60) /* and after 12 hours in any case */

/* Completes a login that is waiting for its emailed code. */
qr_status_t qr_login_mfa(qr_ctx_t *ctx, const char *mfa_token, const char *code, const char *source,
                         qr_tokens_t *out, qr_err_t *err);
/* Like qr_login, for a browser: opens a web session and returns its cookie value (caller
 * frees) in *cookie, or, when an emailed code must follow, a pending login in *mfa_token.
 * An account whose one-time password awaits replacement gets no session: *change is then a
 * password-reset token (caller frees) for the page where the person chooses their own. */
qr_status_t qr_login_web(qr_ctx_t *ctx, const char *slug, const char *username,
                         const char *password, const char *source, char **cookie, char **mfa_token,
                         char **change, qr_err_t *err);
/* Completes a browser login that is waiting for its emailed code (*cookie or *change as
 * for qr_login_web). */
qr_status_t qr_login_web_mfa(qr_ctx_t *ctx, const char *mfa_token, const char *code,
                             const char *source, char **cookie, char **change, qr_err_t *err);
/* Resolves a web-session cookie (and counts the request as activity: call it only for what
 * a person does, never for background requests). Fills the session's handle (the SHA-256
 * of the cookie, hex). QR_E_UNAUTHORIZED if it is unknown, revoked, idle for 15 minutes or
 * older than 12 hours. */
qr_status_t qr_web_session_check(qr_ctx_t *ctx, const char *cookie, char user_id[33],
                                 char org_id[33], int64_t *auth_time, char handle[65]);
/* 1 if the web session with this handle is still alive (not revoked, not idle, not past
 * its 12 hours); does not count as activity. Runs on connection c. */
int qr_web_session_alive(qr_dbc_t *c, const char *handle, int64_t now);
/* The first step of every login by org slug, username and password (throttle, lockout
 * claim, Argon2id); fills uid and oid on success. Runs on connection c. */
qr_status_t qr_login_verify(qr_ctx_t *ctx, qr_dbc_t *c, const char *slug, const char *username,
                            const char *password, const char *source, int64_t now, char uid[33],
                            char oid[33], qr_err_t *err);
/* Claims one attempt for the lockout count of user_id (AUTH-5): 1 if it may be evaluated
 * (*locked_now: this claim locked the account), 0 if the account is locked, -1 on error.
 * A correct secret must then clear the record. */
int qr_login_claim(qr_dbc_t *c, const char *user_id, int64_t now, int *locked_now);
/* Records a failed entry claimed by qr_login_claim: the audit line (what: which secret was
 * wrong, or the source) and, if that claim locked the account (locked_now), the lock itself:
 * every pending login of the account ends (AUTH-5, AUTH-6) and the lock is audited. */
void qr_login_failed(qr_dbc_t *c, const char *user_id, const char *org_id, const char *what,
                     int locked_now, int64_t now);
/* Clears the failure record of user_id after a complete login (every factor passed). */
void qr_login_clear(qr_dbc_t *c, const char *user_id);
/* HTTP Basic authentication for one request (the IPP queue): checks username and password of
 * the org with slug exactly like a login (throttle, AUTH-5 lockout, Argon2id) and fills the
 * principal, without opening a session. An org that requires an emailed code (AUTH-6) gets
 * QR_E_FORBIDDEN: a password alone is not enough there; use a bearer token. A credential that
 * passed is remembered in ctx->credcache (issue 15). Slow: call it from the slow worker
 * pool. */
qr_status_t qr_login_basic(qr_ctx_t *ctx, const char *slug, const char *username,
                           const char *password, const char *source, qr_principal_t *p,
                           qr_err_t *err);
/* The fast path of qr_login_basic (issue 15): QR_OK and the principal if this credential
 * passed qr_login_basic less than QR_CREDCACHE_TTL_S ago and its user is still active,
 * unlocked and at the same auth generation (no password change, lock or deactivation since,
 * on any server); QR_E_NOT_FOUND if the full check must run; QR_E_THROTTLED or
 * QR_E_FORBIDDEN (err set) as qr_login_basic answers. No Argon2id: callable from any
 * thread. */
qr_status_t qr_login_basic_cached(qr_ctx_t *ctx, const char *slug, const char *username,
                                  const char *password, const char *source, qr_principal_t *p,
                                  qr_err_t *err);
/* Deletes the wrong-password tags (AUTH-5 smart lockout) older than the lock window;
 * returns how many. */
int qr_login_sweep(qr_dbc_t *c, int64_t now);
/* Checks the password of a known user with the same lockout accounting as a login. */
qr_status_t qr_login_check_password(qr_ctx_t *ctx, const char *user_id, const char *org_id,
                                    const char *password, qr_err_t *err);

#endif
