/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the OAuth 2.0 endpoints (form-encoded, RFC 6749 errors): /oauth/token,
 * /oauth/introspect (RFC 7662), /oauth/revoke (RFC 7009); and the API-client registry under
 * /api/v1/orgs/{id}/clients. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "http/query.h"
#include "auth/authorize.h"
#include "auth/client.h"
#include "auth/oauth.h"
#include "auth/session.h"
#include "core/json.h"
#include "core/text.h"

#define CRED_MAX 256

/* Client authentication (RFC 6749 2.3.1): HTTP Basic with form-encoded id and secret, or
 * client_id/client_secret in the body, never both. Returns 1 if credentials were presented
 * (then *st tells whether they were valid), 0 if none were. */
static int client_auth(qr_req_t *r, qr_client_t *cl, qr_status_t *st, qr_err_t *err) {
    const char *basic = qr_req_header(r, "Authorization");
    const char *fid = qr_req_form(r, "client_id"), *fsecret = qr_req_form(r, "client_secret");
    *st = QR_OK;
    if (basic && strncasecmp(basic, "Basic ", 6) == 0) {
        if (fsecret) {
            *st = qr_err_set(err, QR_E_INVALID, "invalid_request",
                             "use one client authentication method, not two");
            return 1;
        }
        char raw[QR_BASIC_MAX], id[CRED_MAX], secret[CRED_MAX];
        size_t colon = 0;
        long len = qr_basic_decode(basic, raw, sizeof(raw), &colon);
        /* RFC 6749 2.3.1: client id and secret are form-encoded before Basic encoding. */
        if (len < 0 || qr_percent_decode(raw, colon, id, sizeof(id)) < 0 ||
            qr_percent_decode(raw + colon + 1, (size_t)len - colon - 1, secret, sizeof(secret)) <
                0) {
            OPENSSL_cleanse(raw, sizeof(raw));
            *st = qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_client",
                             "client authentication failed");
            return 1;
        }
        OPENSSL_cleanse(raw, sizeof(raw));
        *st = qr_client_authenticate(qr_req_ctx(r), id, secret, cl, err);
        OPENSSL_cleanse(secret, sizeof(secret));
        return 1;
    }
    if (fsecret) {
        *st = qr_client_authenticate(qr_req_ctx(r), fid, fsecret, cl, err);
        return 1;
    }
    return 0;
}

/* The client of a request that may come from a public client: the authenticated one, or
 * the public client named by client_id (RFC 6749 3.2.1), or none. Returns 0 and sets *out
 * (cleared by the caller with qr_client_clear when *has) or answers invalid_client. */
static int request_client(qr_req_t *r, int authed, const qr_client_t *cl, qr_client_t *out,
                          int *has, qr_err_t *err) {
    const char *fid = qr_req_form(r, "client_id");
    *has = 0;
    if (authed) {
        *out = *cl;
        out->redirect_uris = NULL;
        *has = 1;
        return 0;
    }
    if (!fid)
        return 0;
    if (qr_client_lookup(qr_req_ctx(r), fid, out) != QR_OK || !out->is_public) {
        qr_client_clear(out);
        qr_err_set(err, QR_E_UNAUTHORIZED, "invalid_client",
                   "unknown client, or a confidential client without its secret");
        return -1;
    }
    *has = 1;
    return 0;
}

static void token_refresh(qr_req_t *r, int authed, const qr_client_t *cl) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_client_t who;
    int has = 0;
    if (request_client(r, authed, cl, &who, &has, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    const char *rt = qr_req_form(r, "refresh_token");
    if (!rt || !*rt || strlen(rt) > CRED_MAX) {
        qr_err_set(&err, QR_E_INVALID, "invalid_request", "refresh_token is required");
        qr_req_reply_error(r, &err);
        if (has)
            qr_client_clear(&who);
        return;
    }
    qr_tokens_t t;
    qr_status_t st = qr_session_refresh(qr_req_ctx(r), rt, has ? who.id : NULL, &t, &err);
    if (has)
        qr_client_clear(&who);
    if (st == QR_E_UNAUTHORIZED)
        err.status = QR_E_INVALID; /* invalid_grant is a 400 at the token endpoint */
    if (st) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_req_reply_json(r, 200,
                      json_pack("{s:s, s:s, s:s, s:i}", "access_token", t.access_token,
                                "refresh_token", t.refresh_token, "token_type", "Bearer",
                                "expires_in", t.expires_in));
    qr_tokens_free(&t);
}

void qr_api_oauth_token(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_client_t cl;
    qr_status_t st;
    int authed = client_auth(r, &cl, &st, &err);
    if (authed && st) {
        qr_req_reply_error(r, &err);
        return;
    }
    const char *grant = qr_req_form(r, "grant_type");
    if (!grant || !*grant) {
        qr_err_set(&err, QR_E_INVALID, "invalid_request", "grant_type is required");
        qr_req_reply_error(r, &err);
        return;
    }
    if (strcmp(grant, "refresh_token") == 0) {
        token_refresh(r, authed, &cl);
        return;
    }
    if (strcmp(grant, "authorization_code") == 0) {
        /* A public client names itself; a confidential one must authenticate. */
        qr_client_t known;
        int has = 0;
        if (request_client(r, authed, &cl, &known, &has, &err) || !has) {
            if (!has && !err.msg[0])
                qr_err_set(&err, QR_E_UNAUTHORIZED, "invalid_client",
                           "client_id is required: the code is redeemed by its client");
            qr_req_reply_error(r, &err);
            return;
        }
        const char *code = qr_req_form(r, "code");
        json_t *out = NULL;
        if (!code || !*code || strlen(code) > CRED_MAX)
            st = qr_err_set(&err, QR_E_INVALID, "invalid_request", "code is required");
        else
            st = qr_authz_redeem(qr_req_ctx(r), &known, code, qr_req_form(r, "redirect_uri"),
                                 qr_req_form(r, "code_verifier"), &out, &err);
        qr_client_clear(&known);
        qr_api_finish(r, st, &err, out, 200);
        return;
    }
    if (strcmp(grant, "client_credentials") == 0) {
        if (!authed) {
            qr_err_set(&err, QR_E_UNAUTHORIZED, "invalid_client",
                       "the client_credentials grant needs client authentication");
            qr_req_reply_error(r, &err);
            return;
        }
        json_t *out = NULL;
        st = qr_client_grant(qr_req_ctx(r), &cl, qr_req_form(r, "scope"), &err);
        if (!st)
            st = qr_oauth_client_token(qr_req_ctx(r), &cl, &out, &err);
        qr_api_finish(r, st, &err, out, 200);
        return;
    }
    qr_err_set(&err, QR_E_INVALID, "unsupported_grant_type",
               "grant_type must be authorization_code, client_credentials or refresh_token (the "
               "password and implicit grants are not offered)");
    qr_req_reply_error(r, &err);
}

void qr_api_oauth_introspect(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_client_t cl;
    qr_status_t st;
    if (!client_auth(r, &cl, &st, &err)) {
        qr_err_set(&err, QR_E_UNAUTHORIZED, "invalid_client",
                   "introspection needs client authentication");
        st = QR_E_UNAUTHORIZED;
    }
    if (!st && cl.device_id[0])
        st = qr_err_set(&err, QR_E_UNAUTHORIZED, "invalid_client",
                        "a device's credentials cannot introspect tokens");
    const char *tok = qr_req_form(r, "token");
    if (!st && (!tok || !*tok))
        st = qr_err_set(&err, QR_E_INVALID, "invalid_request", "token is required");
    if (st) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_req_reply_json(r, 200, qr_oauth_introspect(qr_req_ctx(r), &cl, tok));
}

void qr_api_oauth_revoke(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_client_t cl;
    qr_status_t st;
    int authed = client_auth(r, &cl, &st, &err);
    qr_client_t who;
    int has = 0;
    const char *tok = qr_req_form(r, "token");
    if (!st && request_client(r, authed, &cl, &who, &has, &err))
        st = err.status;
    if (!st && (!tok || !*tok))
        st = qr_err_set(&err, QR_E_INVALID, "invalid_request", "token is required");
    if (st) {
        if (has)
            qr_client_clear(&who);
        qr_req_reply_error(r, &err);
        return;
    }
    /* A device's credentials carry no authority over user tokens: its request is that of
     * the token's holder. */
    qr_oauth_revoke(qr_req_ctx(r), has && !who.device_id[0] ? &who : NULL, tok);
    if (has)
        qr_client_clear(&who);
    qr_req_reply_json(r, 200, NULL);
}

/* The client view of an API client (never its secret). An API key (REP-5) also shows its
 * scopes, who created it and when it last got a token (null: never). */
static json_t *client_json(const qr_client_t *cl) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:b, s:O}", "client_id", cl->id, "org_id",
                          cl->org_id, "name", cl->name, "created_at", (json_int_t)cl->created_at,
                          "public", cl->is_public, "redirect_uris", cl->redirect_uris);
    json_t *scopes = json_array();
    for (const char *w = cl->scopes; *w;) {
        size_t n = strcspn(w, " ");
        json_array_append_new(scopes, json_stringn(w, n));
        w += n;
        w += strspn(w, " ");
    }
    json_object_set_new(o, "scopes", scopes);
    json_object_set_new(o, "created_by",
                        cl->created_by[0] ? json_string(cl->created_by) : json_null());
    json_object_set_new(o, "last_used_at",
                        cl->last_used_at ? json_integer(cl->last_used_at) : json_null());
    return o;
}

static json_t *client_json_fn(const void *row) {
    return client_json(row);
}

void qr_api_clients_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_client_t *items = NULL;
    size_t n = 0;
    qr_status_t st =
        qr_client_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), client_json_fn);
    qr_client_list_free(items, n);
}

void qr_api_clients_create(qr_req_t *r) {
    static const char *const keys[] = {"name", "redirect_uris", "public", "scopes", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *b = qr_req_body(r), *out = NULL;
    const char *name;
    int is_public = 0;
    qr_client_t cl = {0};
    char *secret = NULL;
    qr_status_t st = qr_json_get_str(b, "name", 1, 100, &name, &err);
    if (!st)
        st = qr_json_get_bool(b, "public", 0, &is_public, NULL, &err);
    if (!st)
        st = qr_client_create(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), name,
                              json_object_get(b, "redirect_uris"), is_public,
                              json_object_get(b, "scopes"), &cl, &secret, &err);
    if (!st) {
        out = client_json(&cl);
        if (secret)
            json_object_set_new(out, "client_secret", json_string(secret));
    }
    qr_api_finish(r, st, &err, out, 201);
    qr_client_clear(&cl);
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
}

void qr_api_clients_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_client_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}
