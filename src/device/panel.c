/* SPDX-License-Identifier: Apache-2.0 */
/* quire: panel login. */
#include "device/panel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authorize.h"
#include "auth/login.h"
#include "auth/pin.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "core/mem.h"
#include "report/audit.h"
#include "store/db.h"
#include "tenancy/org.h"

void qr_panel_session_clear(qr_panel_session_t *s) {
    if (!s)
        return;
    if (s->access_token)
        memset(s->access_token, 0, strlen(s->access_token));
    free(s->access_token);
    free(s->username);
    free(s->first_name);
    free(s->last_name);
    memset(s, 0, sizeof(*s));
}

qr_status_t qr_panel_login(qr_ctx_t *ctx, const qr_principal_t *d, const qr_panel_input_t *in,
                           const char *source, qr_panel_session_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    int64_t now = qr_clock_now(ctx->clock);
    char throttle_key[48], uid[QR_ID_LEN + 1] = "", oid[QR_ID_LEN + 1];
    snprintf(throttle_key, sizeof(throttle_key), "device:%s", d->device_id);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st;
    char *token = NULL;
    qr_dbres_t *r = NULL;
    if (qr_throttle_is_blocked(ctx->throttle, c, throttle_key, now,
                               ctx->cfg->login_throttle_per_min)) {
        st = qr_err_set(err, QR_E_THROTTLED, NULL,
                        "too many failed logins at this device; try again in a minute");
        goto out;
    }
    if (strcmp(in->method, "password") == 0) {
        char slug[QR_ORG_SLUG_MAX + 1];
        qr_authz_org_slug(ctx, d->org_id, slug, sizeof(slug));
        qr_dbres_t *m = NULL;
        st = qr_db_q(c, &m, NULL, "SELECT mfa_email FROM orgs WHERE id = ?", QR_TEXT(d->org_id));
        int mfa = !st && qr_dbres_int(m, 0, 0);
        qr_dbres_free(m);
        if (!st && mfa)
            st = qr_err_set(err, QR_E_FORBIDDEN, "mfa_required",
                            "this organization requires a second factor: sign in at the panel "
                            "with a PIN or a card");
        else if (!st)
            st = !in->username || !in->password
                     ? qr_err_set(err, QR_E_INVALID, NULL, "username and password are required")
                     : qr_login_verify(ctx, c, slug, in->username, in->password, source, now, uid,
                                       oid, err);
        if (!st)
            qr_login_clear(c, uid);
    } else if (strcmp(in->method, "pin") == 0) {
        st = !in->pin ? qr_err_set(err, QR_E_INVALID, NULL, "pin is required")
                      : qr_pin_login(ctx, c, d->org_id, in->username, in->pin, now, uid, err);
    } else if (strcmp(in->method, "card") == 0) {
        st = !in->card ? qr_err_set(err, QR_E_INVALID, NULL, "card is required")
                       : qr_card_login(ctx, c, d->org_id, in->card, now, uid, err);
    } else {
        st = qr_err_set(err, QR_E_INVALID, NULL, "method must be password, pin or card");
    }
    if (st == QR_E_UNAUTHORIZED)
        qr_throttle_add(ctx->throttle, c, throttle_key, now);
    if (st)
        goto out;
    if ((st = qr_db_q(c, &r, NULL,
                      "SELECT username, first_name, last_name, must_change_password FROM users "
                      "WHERE id = ? AND org_id = ?",
                      QR_TEXT(uid), QR_TEXT(d->org_id))) ||
        qr_dbres_rows(r) != 1) {
        st = st ? st : qr_err_set(err, QR_E_UNAUTHORIZED, NULL, "the user no longer exists");
        goto out;
    }
    /* A session that every panel route would refuse is not started: the person is told at
     * the panel what to do instead. */
    if (qr_dbres_int(r, 0, 3)) {
        st = qr_err_set(err, QR_E_FORBIDDEN, "password_change_required",
                        "this account has a one-time password: sign in at the portal and choose "
                        "your own password first");
        goto out;
    }
    if ((st = qr_session_start_panel(ctx, c, uid, d->org_id, d->device_id, now, &token, err)))
        goto out;
    qr_audit_write(c, now, d->org_id, uid, "panel_login", d->device_id, in->method);
    out->access_token = token;
    token = NULL;
    out->expires_in = QR_PANEL_TTL_S;
    snprintf(out->user_id, sizeof(out->user_id), "%s", uid);
    out->username = qr_dbres_strdup(r, 0, 0);
    out->first_name = qr_dbres_strdup(r, 0, 1);
    out->last_name = qr_dbres_strdup(r, 0, 2);
out:
    free(token);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
