/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/auth (login, refresh, logout), /api/v1/me, /healthz and the test clock. */
#include <string.h>

#include "api/api.h"
#include "auth/account.h"
#include "auth/keyring.h"
#include "auth/login.h"
#include "auth/recovery.h"
#include "print/job.h"
#include "scan/scan.h"
#include "scan/worker.h"
#include "store/backup.h"
#include "auth/session.h"
#include "core/json.h"
#include "tenancy/org.h"
#include "tenancy/user.h"

#define MAX_SECRET 256 /* longest password or token accepted before authentication */

void qr_api_health(qr_req_t *r) {
    qr_req_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void qr_api_jwks(qr_req_t *r) {
    qr_req_reply_json(r, 200, qr_keyring_jwks(qr_req_ctx(r)));
}

void qr_api_test_clock(qr_req_t *r) {
    qr_ctx_t *ctx = qr_req_ctx(r);
    qr_err_t err = {QR_OK, NULL, ""};
    static const char *const keys[] = {"advance_seconds", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    long long secs = 0;
    if (qr_json_get_int(qr_req_body(r), "advance_seconds", 1, -100000000LL, 100000000LL, &secs,
                        NULL, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_clock_advance(ctx->clock, secs);
    /* Moving the clock runs what the passing time would have run. */
    qr_job_sweep(ctx);
    qr_scan_sweep(ctx);
    qr_org_sweep_audit(ctx);
    qr_scan_workers_wake(ctx->scanq);
    qr_backup_tick(ctx);
    if (ctx->upkeep)
        ctx->upkeep(ctx);
    qr_req_reply_json(r, 200, json_pack("{s:I}", "now", (json_int_t)qr_clock_now(ctx->clock)));
}

static json_t *tokens_json(qr_tokens_t *t) {
    return json_pack("{s:s, s:s, s:s, s:i}", "access_token", t->access_token, "refresh_token",
                     t->refresh_token, "token_type", "Bearer", "expires_in", t->expires_in);
}

void qr_api_login(qr_req_t *r) {
    static const char *const keys[] = {"org", "username", "password", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    json_t *b = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    const char *org, *username, *password;
    if (qr_json_get_str(b, "org", 1, QR_ORG_SLUG_MAX, &org, &err) ||
        qr_json_get_str(b, "username", 1, MAX_SECRET, &username, &err) ||
        qr_json_get_str(b, "password", 1, MAX_SECRET, &password, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_tokens_t t;
    qr_status_t st = qr_login(qr_req_ctx(r), org, username, password, qr_req_source(r), &t, &err);
    if (!st && t.mfa_token)
        qr_req_reply_json(r, 200,
                          json_pack("{s:b, s:s, s:i}", "mfa_required", 1, "mfa_token", t.mfa_token,
                                    "expires_in", QR_MFA_TTL_S));
    else
        qr_api_finish(r, st, &err, st ? NULL : tokens_json(&t), 200);
    qr_tokens_free(&t);
}

void qr_api_login_mfa(qr_req_t *r) {
    static const char *const keys[] = {"mfa_token", "code", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    json_t *b = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    const char *token, *code;
    if (qr_json_get_str(b, "mfa_token", 1, MAX_SECRET, &token, &err) ||
        qr_json_get_str(b, "code", 1, 16, &code, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_tokens_t t;
    qr_status_t st = qr_login_mfa(qr_req_ctx(r), token, code, qr_req_source(r), &t, &err);
    qr_api_finish(r, st, &err, st ? NULL : tokens_json(&t), 200);
    qr_tokens_free(&t);
}

void qr_api_refresh(qr_req_t *r) {
    static const char *const keys[] = {"refresh_token", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    const char *tok;
    if (qr_json_get_str(qr_req_body(r), "refresh_token", 1, MAX_SECRET, &tok, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_tokens_t t;
    qr_status_t st = qr_session_refresh(qr_req_ctx(r), tok, NULL, &t, &err);
    qr_api_finish(r, st, &err, st ? NULL : tokens_json(&t), 200);
    qr_tokens_free(&t);
}

void qr_api_logout(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_session_logout(qr_req_ctx(r), qr_req_principal(r), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_me_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_t u;
    const qr_principal_t *p = qr_req_principal(r);
    qr_status_t st = qr_user_read(qr_req_ctx(r), p, p->user_id, &u, &err);
    qr_api_finish(r, st, &err, st ? NULL : qr_api_user_json(&u), 200);
    qr_user_clear(&u);
}

void qr_api_me_patch(qr_req_t *r) {
    static const char *const keys[] = {"first_name", "last_name", "email", NULL};
    static const char *const ro[] = {"id",     "org_id",   "username",   "role", "active",
                                     "locked", "password", "created_at", NULL};
    if (qr_api_check_body(r, keys, ro))
        return;
    json_t *b = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_input_t in;
    qr_user_input_init(&in);
    qr_user_t u = {0};
    qr_status_t st = qr_json_get_str(b, "first_name", 0, 256, &in.first_name, &err);
    if (!st)
        st = qr_json_get_str(b, "last_name", 0, 256, &in.last_name, &err);
    if (!st)
        st = qr_json_get_str(b, "email", 0, 254, &in.email, &err);
    if (!st)
        st = qr_account_update_self(qr_req_ctx(r), qr_req_principal(r), &in, &u, &err);
    qr_api_finish(r, st, &err, st ? NULL : qr_api_user_json(&u), 200);
    qr_user_clear(&u);
}

void qr_api_me_password(qr_req_t *r) {
    static const char *const keys[] = {"current_password", "new_password", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    json_t *b = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    const char *cur, *pw;
    qr_status_t st = qr_json_get_str(b, "current_password", 1, MAX_SECRET, &cur, &err);
    if (!st)
        st = qr_json_get_str(b, "new_password", 1, MAX_SECRET, &pw, &err);
    if (!st)
        st = qr_account_set_password(qr_req_ctx(r), qr_req_principal(r), cur, pw, &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_reset_request(qr_req_t *r) {
    static const char *const keys[] = {"org", "username", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    json_t *b = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    const char *org, *username;
    if (qr_json_get_str(b, "org", 1, QR_ORG_SLUG_MAX, &org, &err) ||
        qr_json_get_str(b, "username", 1, MAX_SECRET, &username, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_reset_request(qr_req_ctx(r), org, username, &err);
    qr_req_reply_json(r, 202,
                      json_pack("{s:s}", "status",
                                "if the account exists and has an email address, a reset link "
                                "was sent to it"));
}

void qr_api_link_complete(qr_req_t *r) {
    static const char *const keys[] = {"token", "password", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    json_t *b = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    const char *token, *password;
    qr_status_t st = qr_json_get_str(b, "token", 1, 64, &token, &err);
    if (!st)
        st = qr_json_get_str(b, "password", 1, MAX_SECRET, &password, &err);
    if (!st) {
        /* The route says which kind of link this is. */
        qr_link_purpose_t purpose =
            strstr(qr_req_target_path(r), "activate") ? QR_LINK_ACTIVATE : QR_LINK_RESET;
        st = qr_link_complete(qr_req_ctx(r), token, purpose, password, &err);
    }
    qr_api_finish(r, st, &err, NULL, 204);
}
