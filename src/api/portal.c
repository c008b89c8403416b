/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the web portal (web/): its page at / and /callback, its content-hashed assets
 * under /assets/, and its sign-out. Everything else the portal does goes through the JSON
 * API like any other client. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/portal.h"
#include "auth/portal.h"

/* The portal's own policy: its scripts and styles from this origin only (no inline code,
 * no eval), never framed. */
#define PORTAL_CSP                                                                                 \
    "default-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; "                 \
    "frame-ancestors 'none'"
#define ASSET_CACHE "public, max-age=31536000, immutable" /* names change with content */

static const qr_web_asset_t *find_asset(const char *name) {
    for (size_t i = 0; i < qr_web_nassets; i++)
        if (strcmp(qr_web_assets[i].name, name) == 0)
            return &qr_web_assets[i];
    return NULL;
}

static void send_asset(qr_req_t *r, const char *name, const char *cache) {
    const qr_web_asset_t *a = find_asset(name);
    if (!a) {
        qr_err_t err = {QR_OK, NULL, ""};
        qr_err_set(&err, QR_E_NOT_FOUND, NULL, "no such file in the web portal");
        qr_req_reply_error(r, &err);
        return;
    }
    qr_req_add_header(r, "Content-Security-Policy", PORTAL_CSP);
    qr_req_add_header(r, "Cache-Control", cache);
    if (a->download) { /* a guide's PDF: saved under its own name, not the hash */
        char disposition[160];
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", a->download);
        qr_req_add_header(r, "Content-Disposition", disposition);
    }
    qr_req_reply_bytes(r, 200, a->content_type, a->data, a->len);
}

void qr_api_portal_page(qr_req_t *r) {
    /* Always revalidated, so that a new build's asset names are picked up at once. */
    send_asset(r, "index.html", "no-cache");
}

void qr_api_portal_asset(qr_req_t *r) {
    const char *name = qr_req_param(r, 0);
    if (strcmp(name, "index.html") == 0)
        name = ""; /* the page is served at / only */
    send_asset(r, name, ASSET_CACHE);
}

void qr_api_portal_signout(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_portal_signout(qr_req_ctx(r), qr_req_principal(r), &err);
    if (!st)
        qr_req_add_header(r, "Set-Cookie",
                          "__Host-quire_session=; Path=/; Secure; HttpOnly; SameSite=Lax; "
                          "Max-Age=0");
    qr_api_finish(r, st, &err, NULL, 204);
}
