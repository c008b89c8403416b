/* SPDX-License-Identifier: Apache-2.0 */
/* quire: POST /ipp/print — the HTTP side of the IPP Everywhere queue (PRN-1): who is asking
 * (HTTP Basic through the login path, or a bearer access token), then the body streams into
 * the IPP request (src/print/ipp.c) and the IPP answer goes back as application/ipp. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "http/query.h"
#include "tenancy/org.h"
#include "auth/login.h"
#include "core/mem.h"
#include "print/ipp.h"

#define SECRET_MAX 256 /* as the login API */

/* What a request carries between its phases. */
struct call {
    qr_ipp_t *ipp;
    char *slug, *username, *password; /* Basic credentials until they are checked */
};

static void free_call(void *cls) {
    struct call *c = cls;
    if (!c)
        return;
    qr_ipp_destroy(c->ipp);
    if (c->password) {
        OPENSSL_cleanse(c->password, strlen(c->password));
        free(c->password);
    }
    free(c->slug);
    free(c->username);
    free(c);
}

static void unauthorized(qr_req_t *r, const char *msg) {
    qr_req_add_header(r, "WWW-Authenticate", "Basic realm=\"quire\"");
    qr_req_reply_json(r, 401, json_pack("{s:s, s:s}", "error", "unauthorized", "message", msg));
}

/* Splits decoded Basic credentials "org\user:password" or "user@org:password" (the org's
 * slug; neither slugs nor usernames contain '\' or ':'). Returns 0 on success. */
static int split_basic(struct call *c, const char *s) {
    const char *colon = strchr(s, ':');
    if (!colon || strlen(colon + 1) > SECRET_MAX || !colon[1])
        return 1;
    const char *bs = memchr(s, '\\', (size_t)(colon - s));
    const char *at = NULL;
    for (const char *q = s; q < colon; q++)
        if (*q == '@')
            at = q;
    const char *org, *user;
    size_t olen, ulen;
    if (bs) {
        org = s, olen = (size_t)(bs - s);
        user = bs + 1, ulen = (size_t)(colon - bs - 1);
    } else if (at) {
        user = s, ulen = (size_t)(at - s);
        org = at + 1, olen = (size_t)(colon - at - 1);
    } else {
        return 1;
    }
    if (!olen || olen > QR_ORG_SLUG_MAX || !ulen || ulen > SECRET_MAX)
        return 1;
    c->slug = qr_xstrndup(org, olen);
    c->username = qr_xstrndup(user, ulen);
    c->password = qr_xstrdup(colon + 1);
    return 0;
}

/* Starts the IPP exchange for an authenticated principal; not while its one-time password
 * awaits replacement. */
static void start_ipp(qr_req_t *r, struct call *c, const qr_principal_t *p) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_principal_check_one_time(p, 0, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    c->ipp = qr_ipp_create(qr_req_ctx(r), p, qr_req_content_length(r));
}

/* Runs on the slow pool: the Basic credentials through the login path (AUTH-5). */
static void check_basic(qr_req_t *r) {
    struct call *c = qr_req_state(r);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_principal_t p;
    qr_status_t st = qr_login_basic(qr_req_ctx(r), c->slug, c->username, c->password,
                                    qr_req_source(r), &p, &err);
    OPENSSL_cleanse(c->password, strlen(c->password));
    if (st == QR_E_UNAUTHORIZED) {
        unauthorized(r, err.msg);
        return;
    }
    if (st) {
        qr_req_reply_error(r, &err);
        return;
    }
    start_ipp(r, c, &p);
}

static void begin(qr_req_t *r) {
    const char *ct = qr_req_header(r, "Content-Type");
    if (!ct || strncasecmp(ct, "application/ipp", 15) != 0 || (ct[15] && ct[15] != ';')) {
        qr_req_reply_json(r, 415,
                          json_pack("{s:s, s:s}", "error", "unsupported_media_type", "message",
                                    "an IPP request is sent as Content-Type: application/ipp"));
        return;
    }
    struct call *c = qr_xcalloc(1, sizeof(*c));
    qr_req_set_state(r, c, free_call);
    const char *a = qr_req_header(r, "Authorization");
    if (!a) {
        /* Anonymous: only Get-Printer-Attributes is answered (print/ipp.c). */
        c->ipp = qr_ipp_create(qr_req_ctx(r), NULL, qr_req_content_length(r));
        return;
    }
    if (strncasecmp(a, "Bearer ", 7) == 0) {
        /* A user's token, through the one authenticator (the one-time rule is start_ipp's). */
        qr_principal_t p;
        qr_err_t err = {QR_OK, NULL, ""};
        qr_status_t st = qr_principal_authenticate(qr_req_ctx(r), a,
                                                   QR_ROUTE_AUTH | QR_ROUTE_ONE_TIME, &p, &err);
        if (st == QR_E_UNAUTHORIZED)
            unauthorized(r, "the access token is invalid, expired or revoked");
        else if (st)
            qr_req_reply_error(r, &err);
        else
            start_ipp(r, c, &p);
        return;
    }
    if (strncasecmp(a, "Basic ", 6) != 0) {
        unauthorized(r, "use HTTP Basic (org\\username and password) or a bearer access token");
        return;
    }
    char dec[QR_BASIC_MAX];
    size_t colon = 0;
    if (qr_basic_decode(a, dec, sizeof(dec), &colon) < 0 || split_basic(c, dec)) {
        OPENSSL_cleanse(dec, sizeof(dec));
        unauthorized(r, "the Basic credentials must be org\\username:password or "
                        "username@org:password");
        return;
    }
    OPENSSL_cleanse(dec, sizeof(dec));
    qr_req_defer(r, check_basic);
}

static void answer(qr_req_t *r, qr_ipp_next_t next) {
    struct call *c = qr_req_state(r);
    if (next == QR_IPP_NEED_AUTH) {
        unauthorized(r, "this operation needs a user: sign in with HTTP Basic or a bearer token");
        return;
    }
    size_t len;
    qr_err_t err = {QR_OK, NULL, ""};
    const void *out = qr_ipp_answer(c->ipp, &len, &err);
    if (!out) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_req_reply_bytes(r, 200, "application/ipp", out, len);
}

void qr_api_ipp(qr_req_t *r) {
    struct call *c = qr_req_state(r);
    switch (qr_req_phase(r)) {
    case QR_PHASE_BEGIN:
        begin(r);
        return;
    case QR_PHASE_DATA: {
        size_t n;
        const void *data = qr_req_chunk(r, &n);
        qr_ipp_next_t next = qr_ipp_feed(c->ipp, data, n);
        if (next != QR_IPP_MORE)
            answer(r, next);
        return;
    }
    default:
        answer(r, qr_ipp_finish(c->ipp));
    }
}
