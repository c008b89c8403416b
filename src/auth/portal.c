/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the web portal's built-in OAuth client and its sign-out (see auth/portal.h). */
#include "auth/portal.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "report/audit.h"
#include "store/db.h"

int qr_portal_client_get(qr_ctx_t *ctx, const char *id, qr_client_t *out, qr_status_t *st) {
    if (!id || strcmp(id, QR_PORTAL_CLIENT_ID) != 0)
        return 0;
    memset(out, 0, sizeof(*out));
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    /* The row belongs to the root org (the column is required); any_org lets people of every
     * org use it. It comes back by itself if an admin deletes it. */
    *st = qr_db_q(c, NULL, NULL,
                  "INSERT INTO oauth_clients (id, org_id, name, secret_hash, created_by, "
                  "created_at, redirect_uris, public) SELECT ?, id, 'quire web portal', '-', NULL, "
                  "?, '[]', 1 FROM orgs WHERE parent_id IS NULL AND NOT EXISTS (SELECT 1 FROM "
                  "oauth_clients WHERE id = ?) ORDER BY path LIMIT 1",
                  QR_TEXT(QR_PORTAL_CLIENT_ID), QR_INT(now), QR_TEXT(QR_PORTAL_CLIENT_ID));
    if (!*st)
        *st = qr_db_q(c, &r, NULL, "SELECT org_id FROM oauth_clients WHERE id = ?",
                      QR_TEXT(QR_PORTAL_CLIENT_ID));
    if (!*st && qr_dbres_rows(r) != 1)
        *st = QR_E_NOT_FOUND;
    if (!*st) {
        memcpy(out->id, QR_PORTAL_CLIENT_ID, QR_ID_LEN);
        memcpy(out->org_id, qr_dbres_text(r, 0, 0), QR_ID_LEN);
        out->is_public = 1;
        out->any_org = 1;
        char *uri = qr_xasprintf("%s%s", ctx->cfg->public_url, QR_PORTAL_CALLBACK);
        out->redirect_uris = json_pack("[s]", uri);
        free(uri);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return 1;
}

qr_status_t qr_portal_signout(qr_ctx_t *ctx, const qr_principal_t *p, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    /* The browser session first (found through the token's session), then every session
     * issued from it, this one included. */
    qr_status_t st = qr_db_q(c, NULL, NULL,
                             "UPDATE web_sessions SET revoked = 1 WHERE user_id = ? AND hash = "
                             "(SELECT web_session FROM sessions WHERE id = ? AND user_id = ?)",
                             QR_TEXT(p->user_id), QR_TEXT(p->session_id), QR_TEXT(p->user_id));
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE sessions SET revoked = 1 WHERE user_id = ? AND (id = ? OR "
                     "web_session = (SELECT web_session FROM sessions WHERE id = ? AND user_id = "
                     "?))",
                     QR_TEXT(p->user_id), QR_TEXT(p->session_id), QR_TEXT(p->session_id),
                     QR_TEXT(p->user_id));
    if (!st)
        qr_audit_write(c, now, p->org_id, p->user_id, "logout", p->session_id, "web portal");
    else
        qr_err_set(err, st, NULL, "sign-out failed on the server (see the log)");
    qr_db_release(c);
    return st;
}
