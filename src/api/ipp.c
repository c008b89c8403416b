/* SPDX-License-Identifier: Apache-2.0 */
/* quire: POST /ipp/print — the HTTP side of the IPP Everywhere queue (PRN-1): who is asking
 * (HTTP Basic through the login path, or a bearer access token), then the body streams into
 * the IPP request (src/print/ipp.c) and the IPP answer goes back as application/ipp.
 *
 * Issue 15: a Basic credential verified a few minutes ago is answered from the credential
 * cache on the HTTP thread (no Argon2id); only a new one goes to the slow pool. Refusals
 * speak as IPP clients show them: HTTP 401 with WWW-Authenticate where other credentials
 * can help (wrong or unknown, and a locked account, which AUTH-5 answers alike); else the
 * request is read and answered with an IPP status and a status-message (a one-time password
 * to replace, a required emailed code, a throttled address). Never a JSON body. */
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
    qr_err_t refusal; /* status set: the IPP answer to every operation but the anonymous ones */
    char denied[320]; /* set: the 401 message for every operation but the anonymous ones */
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

/* Other credentials can help: 401 and a challenge (the message in plain text for a person
 * looking at the exchange; IPP clients prompt for credentials). */
static void unauthorized(qr_req_t *r, const char *msg) {
    qr_req_add_header(r, "WWW-Authenticate", "Basic realm=\"quire\"");
    char *text = qr_xasprintf("%s\n", msg);
    qr_req_reply_bytes(r, 401, "text/plain; charset=utf-8", text, strlen(text));
    free(text);
}

/* Other credentials can help, but the answer waits until the IPP attributes have been read:
 * a 401 before the request was sent shows in ipptool as "No request sent", one after it as
 * client-error-not-authenticated. The request goes on without a user (Get-Printer-Attributes
 * is answered as to anyone); the document after the attributes is never read. */
static void deny(qr_req_t *r, struct call *c, const char *msg) {
    snprintf(c->denied, sizeof(c->denied), "%s", msg);
    c->ipp = qr_ipp_create(qr_req_ctx(r), NULL, qr_req_content_length(r));
}

/* Other credentials cannot help: the request is read without a user and every operation
 * that needs one is answered with why (qr_ipp_refuse), as an IPP status. */
static void refuse(qr_req_t *r, struct call *c, const qr_err_t *why) {
    c->refusal = *why;
    if (!c->refusal.msg[0])
        qr_err_set(&c->refusal, why->status, why->code, "sign-in failed on the server");
    c->ipp = qr_ipp_create(qr_req_ctx(r), NULL, qr_req_content_length(r));
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
        qr_err_set(&err, err.status, err.code,
                   "this account has a one-time password: sign in at %s, choose your own "
                   "password, then print with it",
                   qr_req_ctx(r)->cfg->public_url);
        refuse(r, c, &err);
        return;
    }
    c->ipp = qr_ipp_create(qr_req_ctx(r), p, qr_req_content_length(r));
}

static void forget_password(struct call *c) {
    OPENSSL_cleanse(c->password, strlen(c->password));
}

/* Runs on the slow pool: the Basic credentials through the login path (AUTH-5). */
static void check_basic(qr_req_t *r) {
    struct call *c = qr_req_state(r);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_principal_t p;
    qr_status_t st = qr_login_basic(qr_req_ctx(r), c->slug, c->username, c->password,
                                    qr_req_source(r), &p, &err);
    forget_password(c);
    if (st == QR_E_UNAUTHORIZED)
        deny(r, c, err.msg);
    else if (st)
        refuse(r, c, &err);
    else
        start_ipp(r, c, &p);
}

/* Basic credentials: a remembered one at once, else the full check on the slow pool. */
static void begin_basic(qr_req_t *r, struct call *c) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_principal_t p;
    qr_status_t st = qr_login_basic_cached(qr_req_ctx(r), c->slug, c->username, c->password,
                                           qr_req_source(r), &p, &err);
    if (st == QR_E_NOT_FOUND) {
        qr_req_defer(r, check_basic);
        return;
    }
    forget_password(c);
    if (st)
        refuse(r, c, &err);
    else
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
            deny(r, c, "the access token is invalid, expired or revoked");
        else if (st)
            refuse(r, c, &err);
        else
            start_ipp(r, c, &p);
        return;
    }
    if (strncasecmp(a, "Basic ", 6) != 0) {
        deny(r, c, "use HTTP Basic (org\\username and password) or a bearer access token");
        return;
    }
    char dec[QR_BASIC_MAX];
    size_t colon = 0;
    if (qr_basic_decode(a, dec, sizeof(dec), &colon) < 0 || split_basic(c, dec)) {
        OPENSSL_cleanse(dec, sizeof(dec));
        deny(r, c, "the Basic credentials must be org\\username:password or username@org:password");
        return;
    }
    OPENSSL_cleanse(dec, sizeof(dec));
    begin_basic(r, c);
}

static void answer(qr_req_t *r, qr_ipp_next_t next) {
    struct call *c = qr_req_state(r);
    if (next == QR_IPP_NEED_AUTH && c->refusal.status) {
        qr_ipp_refuse(c->ipp, &c->refusal);
    } else if (next == QR_IPP_NEED_AUTH) {
        unauthorized(r, c->denied[0] ? c->denied
                                     : "this operation needs a user: sign in with HTTP Basic or "
                                       "a bearer token");
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
