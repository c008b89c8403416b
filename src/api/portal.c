/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the web portal (web/): its page at / and /callback, its content-hashed assets
 * under /assets/, and its sign-out. Everything else the portal does goes through the JSON
 * API like any other client. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Whether a weight (RFC 9110 12.4.2: "0" to "0.000", or up to "1") of n bytes is zero. */
static int zero_weight(const char *v, size_t n) {
    return n > 0 && v[0] == '0' && strspn(v + 1, ".0") >= n - 1;
}

/* Whether an Accept-Encoding header value takes gzip (RFC 9110 12.5.3): "gzip" or "*",
 * unless its weight is zero. */
static int accepts_gzip(const char *h) {
    while (h && *h) {
        h += strspn(h, " \t,");
        size_t n = strcspn(h, ";, \t");
        int named = (n == 4 && strncasecmp(h, "gzip", 4) == 0) || (n == 1 && *h == '*');
        const char *p = h + n + strspn(h + n, " \t");
        if (*p == ';') {
            p += 1 + strspn(p + 1, " \t");
            if ((*p == 'q' || *p == 'Q') && p[1] == '=' &&
                zero_weight(p + 2, strcspn(p + 2, ", \t;")))
                named = 0;
        }
        if (named)
            return 1;
        h = p + strcspn(p, ",");
    }
    return 0;
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
    if (a->gzip) {
        qr_req_add_header(r, "Vary", "Accept-Encoding");
        if (accepts_gzip(qr_req_header(r, "Accept-Encoding"))) {
            qr_req_add_header(r, "Content-Encoding", "gzip");
            qr_req_reply_bytes(r, 200, a->content_type, a->gzip, a->gzip_len);
            return;
        }
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
