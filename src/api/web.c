/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the browser side of sign-in: OpenID Connect discovery, the authorization endpoint
 * with its server-rendered login page (no JavaScript; CSRF token; __Host- cookies), and the
 * userinfo endpoint. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/portal.h"
#include "auth/authorize.h"
#include "auth/client.h"
#include "auth/login.h"
#include "auth/portal.h"
#include "auth/recovery.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/text.h"
#include "crypto/random.h"
#include "http/query.h"
#include "tenancy/org.h"

#define SESSION_COOKIE "__Host-quire_session"
#define CSRF_COOKIE "__Host-quire_csrf"
#define RETURN_MAX 4096
/* Styles (the portal's stylesheet) and its images from this origin, nothing else. (No
 * form-action: Chromium applies it to the redirects after a form, which end at the
 * application.) */
#define SIGNIN_CSP "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'"
#define AUTHORIZE_PARAMS                                                                           \
    "response_type client_id redirect_uri scope state nonce code_challenge "                       \
    "code_challenge_method prompt login_hint response_mode max_age ui_locales display "            \
    "acr_values"

static const char *const known_scopes[] = {"openid", "profile", "email", "offline_access", NULL};

void qr_api_discovery(qr_req_t *r) {
    const char *iss = qr_req_ctx(r)->cfg->public_url;
    char *u[6];
    const char *paths[6] = {"/oauth/authorize",       "/oauth/token",  "/oauth/userinfo",
                            "/.well-known/jwks.json", "/oauth/revoke", "/oauth/introspect"};
    for (int i = 0; i < 6; i++)
        u[i] = qr_xasprintf("%s%s", iss, paths[i]);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s], s:[s, s, s], s:[s], s:[s], "
        "s:[s, s, s, s], s:[s, s], s:[s, s], s:b, s:[s, s, s, s, s, s, s, s, s, s]}",
        "issuer", iss, "authorization_endpoint", u[0], "token_endpoint", u[1], "userinfo_endpoint",
        u[2], "jwks_uri", u[3], "revocation_endpoint", u[4], "introspection_endpoint", u[5],
        "response_types_supported", "code", "response_modes_supported", "query",
        "grant_types_supported", "authorization_code", "refresh_token", "client_credentials",
        "subject_types_supported", "public", "id_token_signing_alg_values_supported", "ES256",
        "scopes_supported", "openid", "profile", "email", "offline_access",
        "token_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post",
        "code_challenge_methods_supported", "S256", "S256",
        "authorization_response_iss_parameter_supported", 1, "claims_supported", "iss", "sub",
        "aud", "exp", "iat", "auth_time", "nonce", "name", "preferred_username", "email");
    /* "S256" twice above keeps the format simple; publish it once. */
    json_array_remove(json_object_get(doc, "code_challenge_methods_supported"), 1);
    json_object_set_new(doc, "code_challenge_methods_supported", json_pack("[s]", "S256"));
    json_object_set_new(
        doc, "token_endpoint_auth_methods_supported",
        json_pack("[s, s, s]", "client_secret_basic", "client_secret_post", "none"));
    json_object_set_new(
        doc, "revocation_endpoint_auth_methods_supported",
        json_pack("[s, s, s]", "client_secret_basic", "client_secret_post", "none"));
    for (int i = 0; i < 6; i++)
        free(u[i]);
    qr_req_reply_json(r, 200, doc);
}

static void html_escape(qr_buf_t *b, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '&':
            qr_buf_puts(b, "&amp;");
            break;
        case '<':
            qr_buf_puts(b, "&lt;");
            break;
        case '>':
            qr_buf_puts(b, "&gt;");
            break;
        case '"':
            qr_buf_puts(b, "&quot;");
            break;
        case '\'':
            qr_buf_puts(b, "&#39;");
            break;
        default:
            qr_buf_append(b, s, 1);
        }
    }
}

/* Starts a page: doctype, head with title, and the heading (the same text). */
static void page_start(qr_buf_t *b, const char *title) {
    qr_buf_init(b, 1 << 16);
    qr_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    html_escape(b, title);
    /* The web portal's stylesheet (its design system); the page works without it. */
    qr_buf_puts(b, "</title><link rel=\"stylesheet\" href=\"/assets/");
    qr_buf_puts(b, qr_web_stylesheet);
    qr_buf_puts(
        b, "\"></head><body class=\"signin\"><main class=\"signin-card\">"
           "<p class=\"brand\"><span class=\"logo\" aria-hidden=\"true\"></span>quire</p><h1>");
    html_escape(b, title);
    qr_buf_puts(b, "</h1>");
}

/* An alert paragraph (screen readers announce it), if there is an error to show. */
static void page_alert(qr_buf_t *b, const char *error) {
    if (!error)
        return;
    qr_buf_puts(b, "<p role=\"alert\">");
    html_escape(b, error);
    qr_buf_puts(b, "</p>");
}

static void page_text(qr_buf_t *b, const char *text) {
    qr_buf_puts(b, "<p>");
    html_escape(b, text);
    qr_buf_puts(b, "</p>");
}

static void page_hidden(qr_buf_t *b, const char *name, const char *value) {
    qr_buf_puts(b, "<input type=\"hidden\" name=\"");
    qr_buf_puts(b, name);
    qr_buf_puts(b, "\" value=\"");
    html_escape(b, value);
    qr_buf_puts(b, "\">");
}

/* A link back to the authorization request (its query is return_to), if there is one. */
static void page_back(qr_buf_t *b, const char *return_to, const char *label) {
    if (!return_to || !*return_to)
        return;
    qr_buf_puts(b, "<p><a href=\"/oauth/authorize?");
    html_escape(b, return_to);
    qr_buf_puts(b, "\">");
    html_escape(b, label);
    qr_buf_puts(b, "</a></p>");
}

/* Ends the page, sends it and frees b. */
static void page_send(qr_req_t *r, int status, qr_buf_t *b) {
    qr_buf_puts(b, "</main></body></html>\n");
    qr_req_add_header(r, "Content-Security-Policy", SIGNIN_CSP);
    qr_req_reply_html(r, status, b->ptr);
    qr_buf_free(b);
}

/* A page with a title and one paragraph. */
static void page(qr_req_t *r, int status, const char *title, const char *text) {
    qr_buf_t b;
    page_start(&b, title);
    page_text(&b, text);
    page_send(r, status, &b);
}

/* The CSRF token of this browser (set as a cookie if it has none). Caller frees. */
static char *csrf_token(qr_req_t *r) {
    const char *have = qr_req_cookie(r, CSRF_COOKIE);
    if (have && strlen(have) == 43)
        return qr_xstrdup(have);
    unsigned char raw[32];
    qr_random_bytes(raw, sizeof(raw));
    char *csrf = qr_b64url_encode(raw, sizeof(raw));
    char *cookie = qr_xasprintf(CSRF_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict", csrf);
    qr_req_add_header(r, "Set-Cookie", cookie);
    free(cookie);
    return csrf;
}

/* 1 if the form's CSRF token equals the cookie's and a browser's Origin is ours. */
static int csrf_ok(qr_req_t *r) {
    const char *csrf = qr_req_form(r, "csrf"), *cookie = qr_req_cookie(r, CSRF_COOKIE);
    const char *origin = qr_req_header(r, "Origin");
    return csrf && cookie && strlen(csrf) == 43 && strlen(cookie) == 43 &&
           qr_ct_equal(csrf, cookie, 43) &&
           !(origin && strcmp(origin, qr_req_ctx(r)->cfg->public_url) != 0);
}

/* Opens a form posting to action, with this browser's CSRF token. */
static void form_start(qr_req_t *r, qr_buf_t *b, const char *action) {
    char *csrf = csrf_token(r);
    qr_buf_puts(b, "<form method=\"post\" action=\"");
    qr_buf_puts(b, action);
    qr_buf_puts(b, "\">");
    page_hidden(b, "csrf", csrf);
    free(csrf);
}

/* Appends name=value, percent-encoded, to a URL being built. */
static void url_param(qr_buf_t *b, const char *name, const char *value) {
    static const char hex[] = "0123456789ABCDEF";
    qr_buf_puts(b, strchr(b->ptr, '?') ? "&" : "?");
    qr_buf_puts(b, name);
    qr_buf_puts(b, "=");
    for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
            *s == '-' || *s == '.' || *s == '_' || *s == '~') {
            qr_buf_append(b, s, 1);
        } else {
            char enc[3] = {'%', hex[*s >> 4], hex[*s & 15]};
            qr_buf_append(b, enc, 3);
        }
    }
}

/* Sends the user agent back to the client with an error or a code (RFC 6749 4.1.2, RFC
 * 9207 iss). Only called with a redirect URI registered for the client. */
static void back_to_client(qr_req_t *r, const char *redirect_uri, const char *state,
                           const char *code, const char *error, const char *desc) {
    qr_buf_t b;
    qr_buf_init(&b, 16384);
    qr_buf_puts(&b, redirect_uri);
    if (code)
        url_param(&b, "code", code);
    if (error) {
        url_param(&b, "error", error);
        url_param(&b, "error_description", desc);
    }
    if (state)
        url_param(&b, "state", state);
    url_param(&b, "iss", qr_req_ctx(r)->cfg->public_url);
    qr_req_redirect(r, 302, b.ptr);
    qr_buf_free(&b);
}

static int scope_ok(const char *scope) {
    if (strlen(scope) > 256)
        return 0;
    for (const char *p = scope; *p;) {
        size_t len = strcspn(p, " ");
        int known = len == 0;
        for (const char *const *k = known_scopes; *k && !known; k++)
            known = strlen(*k) == len && memcmp(*k, p, len) == 0;
        if (!known)
            return 0;
        p += len;
        if (*p == ' ')
            p++;
    }
    return 1;
}

/* The org of a sign-in form: hidden when the application's client belongs to one org, else
 * asked for (the web portal's client serves every org). */
static void org_field(qr_buf_t *b, const char *slug, const char *return_to) {
    qr_query_t q = {0};
    qr_err_t qe = {QR_OK, NULL, ""};
    const char *cid = NULL;
    int ask = qr_query_parse(return_to, AUTHORIZE_PARAMS, &q, &qe) == QR_OK &&
              (cid = qr_query_get(&q, "client_id")) && strcmp(cid, QR_PORTAL_CLIENT_ID) == 0;
    qr_query_free(&q);
    if (!ask) {
        page_hidden(b, "org", slug);
        return;
    }
    qr_buf_puts(b, "<p><label>Organization <input name=\"org\" autocomplete=\"organization\" "
                   "required value=\"");
    html_escape(b, slug);
    qr_buf_puts(b, "\"></label></p>");
}

static void login_page(qr_req_t *r, int status, const char *slug, const char *return_to,
                       const char *error) {
    qr_buf_t b;
    page_start(&b, "Sign in to quire");
    page_alert(&b, error);
    form_start(r, &b, "/login");
    org_field(&b, slug, return_to);
    page_hidden(&b, "return_to", return_to);
    qr_buf_puts(&b, "<p><label>Username <input name=\"username\" autocomplete=\"username\" "
                    "required></label></p><p><label>Password <input type=\"password\" "
                    "name=\"password\" autocomplete=\"current-password\" required></label></p>"
                    "<p><button type=\"submit\">Sign in</button></p></form>");
    qr_buf_t link;
    qr_buf_init(&link, RETURN_MAX * 3 + 256);
    qr_buf_puts(&link, "/forgot");
    url_param(&link, "org", slug);
    url_param(&link, "return_to", return_to);
    qr_buf_puts(&b, "<p><a href=\"");
    html_escape(&b, link.ptr);
    qr_buf_puts(&b, "\">Forgot your password?</a></p>");
    qr_buf_free(&link);
    page_send(r, status, &b);
}

/* 1 if the browser has a live session (its cookie) of a person the client may sign in: one
 * of the client's org, or of any org for the portal's client; fills uid, oid (the person's
 * org), auth_time and the session's handle. */
static int signed_in_for(qr_req_t *r, const qr_client_t *cl, char uid[QR_ID_LEN + 1],
                         char oid[QR_ID_LEN + 1], int64_t *auth_time, char handle[65]) {
    const char *cookie = qr_req_cookie(r, SESSION_COOKIE);
    return cookie && strlen(cookie) < 100 &&
           qr_web_session_check(qr_req_ctx(r), cookie, uid, oid, auth_time, handle) == QR_OK &&
           (cl->any_org || strcmp(oid, cl->org_id) == 0);
}

void qr_api_authorize(qr_req_t *r) {
    qr_ctx_t *ctx = qr_req_ctx(r);
    const char *client_id = qr_req_query(r, "client_id");
    const char *redirect_uri = qr_req_query(r, "redirect_uri");
    qr_client_t cl;
    /* Until client and redirect URI are known good, errors are shown here, never sent to
     * an unverified address (no open redirect). */
    if (!client_id || qr_client_lookup(ctx, client_id, &cl) != QR_OK) {
        page(r, 400, "Sign-in request refused", "The application is not registered with quire.");
        return;
    }
    if (!redirect_uri || !qr_client_has_redirect(&cl, redirect_uri)) {
        qr_client_clear(&cl);
        page(r, 400, "Sign-in request refused",
             "The application asked to return to an address it has not registered.");
        return;
    }
    const char *state = qr_req_query(r, "state"), *nonce = qr_req_query(r, "nonce");
    const char *rtype = qr_req_query(r, "response_type"), *scope = qr_req_query(r, "scope");
    const char *challenge = qr_req_query(r, "code_challenge");
    const char *method = qr_req_query(r, "code_challenge_method");
    const char *prompt = qr_req_query(r, "prompt");
    const char *err = NULL, *desc = NULL;
    if (!rtype || strcmp(rtype, "code") != 0)
        err = "unsupported_response_type", desc = "only response_type=code is supported";
    else if (scope && !scope_ok(scope))
        err = "invalid_scope", desc = "scope may hold openid, profile, email and offline_access";
    else if (!challenge || strlen(challenge) != 43 ||
             strspn(challenge,
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != 43)
        err = "invalid_request", desc = "PKCE is required: send an S256 code_challenge";
    else if (!method || strcmp(method, "S256") != 0)
        err = "invalid_request", desc = "code_challenge_method must be S256 (plain is refused)";
    else if ((state && strlen(state) > 512) || (nonce && strlen(nonce) > 512))
        err = "invalid_request", desc = "state and nonce are limited to 512 bytes";
    if (err) {
        back_to_client(r, redirect_uri, state && strlen(state) <= 512 ? state : NULL, NULL, err,
                       desc);
        qr_client_clear(&cl);
        return;
    }
    char uid[QR_ID_LEN + 1], handle[65];
    int64_t auth_time = 0;
    /* The client as it issues codes: in the person's org (that of the portal's client's
     * people, or the client's own). */
    qr_client_t issuer = cl;
    if (signed_in_for(r, &cl, uid, issuer.org_id, &auth_time, handle)) {
        char *code = NULL;
        qr_err_t e = {QR_OK, NULL, ""};
        if (qr_authz_issue(ctx, &issuer, uid, handle, redirect_uri, challenge, scope ? scope : "",
                           nonce, auth_time, &code, &e) == QR_OK)
            back_to_client(r, redirect_uri, state, code, NULL, NULL);
        else
            back_to_client(r, redirect_uri, state, NULL, "server_error", e.msg);
        free(code);
    } else if (prompt && strcmp(prompt, "none") == 0) {
        back_to_client(r, redirect_uri, state, NULL, "login_required", "the user is not signed in");
    } else {
        char slug[QR_ORG_SLUG_MAX + 1] = ""; /* none: the page asks for the org */
        if (!cl.any_org)
            qr_authz_org_slug(ctx, cl.org_id, slug, sizeof(slug));
        const char *target = qr_req_target_query(r);
        login_page(r, 200, slug, target ? target : "", NULL);
    }
    qr_client_clear(&cl);
}

/* return_to is the authorization request's own query: check it like one. */
static int return_ok(const char *return_to) {
    qr_query_t q = {0};
    qr_err_t qe = {QR_OK, NULL, ""};
    int ok = strlen(return_to) <= RETURN_MAX && strpbrk(return_to, " \r\n#") == NULL &&
             qr_query_parse(return_to, AUTHORIZE_PARAMS, &q, &qe) == QR_OK;
    qr_query_free(&q);
    return ok;
}

/* Sets the web-session cookie and goes back to the authorization request. */
static void finish_login(qr_req_t *r, const char *session, const char *return_to) {
    char *set = qr_xasprintf(SESSION_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Lax", session);
    qr_req_add_header(r, "Set-Cookie", set);
    char *location = qr_xasprintf("/oauth/authorize?%s", return_to);
    qr_req_redirect(r, 303, location);
    free(location);
    free(set);
}

static void link_form(qr_req_t *r, int status, qr_link_purpose_t purpose, const char *token,
                      const char *username, const char *return_to, const char *error);

/* After a right password (and code): the web session, or, for an account that signed in
 * with its one-time password, the page where the person chooses their own (a reset). */
static void login_done(qr_req_t *r, const char *session, const char *change,
                       const char *return_to) {
    if (session) {
        finish_login(r, session, return_to);
        return;
    }
    char username[300];
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_link_check(qr_req_ctx(r), change, QR_LINK_RESET, username, sizeof(username), &err)) {
        page(r, 500, "Sign-in failed", "The server could not complete the sign-in.");
        return;
    }
    link_form(r, 200, QR_LINK_RESET, change, username, return_to,
              "You signed in with a one-time password. Choose your own password to go on.");
}

/* AUTH-6: the page that asks for the emailed code (again, with error, after a wrong one). */
static void mfa_page(qr_req_t *r, int status, const char *token, const char *return_to,
                     const char *error) {
    qr_buf_t b;
    page_start(&b, "Enter your code");
    if (error) {
        page_alert(&b, error);
        page_back(&b, return_to, "Sign in again");
    }
    qr_buf_puts(&b, "<p>We sent a 6-digit code to your email address. It is valid for 5 "
                    "minutes.</p>");
    form_start(r, &b, "/login/mfa");
    page_hidden(&b, "mfa_token", token);
    page_hidden(&b, "return_to", return_to);
    qr_buf_puts(&b, "<p><label>Code <input name=\"code\" inputmode=\"numeric\" "
                    "autocomplete=\"one-time-code\" pattern=\"[0-9]{6}\" required></label></p>"
                    "<p><button type=\"submit\">Sign in</button></p></form>");
    page_send(r, status, &b);
}

void qr_api_login_form(qr_req_t *r) {
    qr_ctx_t *ctx = qr_req_ctx(r);
    const char *return_to = qr_req_form(r, "return_to"), *slug = qr_req_form(r, "org");
    const char *username = qr_req_form(r, "username"), *password = qr_req_form(r, "password");
    if (!csrf_ok(r)) {
        page(r, 403, "Sign-in refused",
             "The sign-in form has expired or did not come from this site. Go back to the "
             "application and start again.");
        return;
    }
    if (!return_to || !return_ok(return_to) || !slug || !username || !password ||
        strlen(username) > 256 || strlen(password) > 256) {
        page(r, 400, "Sign-in refused", "The sign-in form was incomplete.");
        return;
    }
    char *session = NULL, *pending = NULL, *change = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_login_web(ctx, slug, username, password, qr_req_source(r), &session,
                                  &pending, &change, &err);
    if (st == QR_E_UNAUTHORIZED || st == QR_E_THROTTLED) {
        login_page(r, st == QR_E_THROTTLED ? 429 : 401, slug, return_to,
                   st == QR_E_THROTTLED ? "Too many failed sign-ins from your address; try again "
                                          "in a minute."
                                        : "The username or password is wrong, or the account is "
                                          "locked.");
        return;
    }
    if (st) {
        page(r, st == QR_E_FORBIDDEN ? 403 : 500, "Sign-in failed", err.msg);
        return;
    }
    if (pending) {
        mfa_page(r, 200, pending, return_to, NULL);
        free(pending);
        return;
    }
    login_done(r, session, change, return_to);
    free(session);
    free(change);
}

void qr_api_login_mfa_form(qr_req_t *r) {
    const char *token = qr_req_form(r, "mfa_token"), *code = qr_req_form(r, "code");
    const char *return_to = qr_req_form(r, "return_to");
    if (!csrf_ok(r)) {
        page(r, 403, "Sign-in refused",
             "The sign-in form has expired or did not come from this site. Go back to the "
             "application and start again.");
        return;
    }
    if (!token || !code || !return_to || strlen(token) > 64 || strlen(code) > 16 ||
        !return_ok(return_to)) {
        page(r, 400, "Sign-in refused", "The sign-in form was incomplete.");
        return;
    }
    char *session = NULL, *change = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st =
        qr_login_web_mfa(qr_req_ctx(r), token, code, qr_req_source(r), &session, &change, &err);
    if (st == QR_E_UNAUTHORIZED) {
        /* The same pending login may try again until it expires or the account locks
         * (wrong codes count toward the lockout); the page cannot tell which, on purpose. */
        mfa_page(r, 401, token, return_to,
                 "The code is wrong or has expired. Try again, or start over if it has expired "
                 "or you have entered a wrong code three times.");
        return;
    }
    if (st) {
        page(r, 500, "Sign-in failed", "The server could not complete the sign-in.");
        return;
    }
    login_done(r, session, change, return_to);
    free(session);
    free(change);
}

void qr_api_userinfo(qr_req_t *r) {
    const qr_principal_t *p = qr_req_principal(r);
    json_t *info = qr_authz_userinfo(qr_req_ctx(r), p->user_id, p->org_id);
    if (!info) {
        qr_err_t err = {QR_OK, NULL, ""};
        qr_err_set(&err, QR_E_UNAUTHORIZED, NULL, "the user no longer exists");
        qr_req_reply_error(r, &err);
        return;
    }
    qr_req_reply_json(r, 200, info);
}

/* The "choose a password" form of an emailed link (or of a sign-in with a one-time
 * password, which goes back to the application's request, return_to, afterwards). */
static void link_form(qr_req_t *r, int status, qr_link_purpose_t purpose, const char *token,
                      const char *username, const char *return_to, const char *error) {
    char *title = qr_xasprintf("Choose a password for %s", username);
    qr_buf_t b;
    page_start(&b, title);
    free(title);
    page_alert(&b, error);
    qr_buf_puts(&b, "<p>8 to 64 characters with an upper-case letter, a lower-case letter, a "
                    "digit and a symbol; not a common password and not containing your "
                    "username.</p>");
    form_start(r, &b, purpose == QR_LINK_RESET ? "/reset" : "/activate");
    page_hidden(&b, "token", token);
    if (return_to && *return_to)
        page_hidden(&b, "return_to", return_to);
    qr_buf_puts(&b, "<p><label>New password <input type=\"password\" name=\"password\" "
                    "autocomplete=\"new-password\" required></label></p>"
                    "<p><button type=\"submit\">Save</button></p></form>");
    page_send(r, status, &b);
}

static void link_get(qr_req_t *r, qr_link_purpose_t purpose) {
    const char *token = qr_req_query(r, "token");
    char username[300];
    qr_err_t err = {QR_OK, NULL, ""};
    if (!token || strlen(token) > 64 ||
        qr_link_check(qr_req_ctx(r), token, purpose, username, sizeof(username), &err)) {
        page(r, 400, "This link cannot be used",
             "The link is unknown, expired or already used. Ask for a new one.");
        return;
    }
    link_form(r, 200, purpose, token, username, NULL, NULL);
}

static void link_post(qr_req_t *r, qr_link_purpose_t purpose) {
    const char *token = qr_req_form(r, "token"), *password = qr_req_form(r, "password");
    const char *return_to = qr_req_form(r, "return_to");
    if (!csrf_ok(r)) {
        page(r, 403, "Refused",
             "The form has expired or did not come from this site. Open the "
             "link from the email again.");
        return;
    }
    char username[300];
    qr_err_t err = {QR_OK, NULL, ""};
    if (return_to && !return_ok(return_to)) {
        page(r, 400, "Refused", "The form was incomplete.");
        return;
    }
    if (!token || !password || strlen(token) > 64 || strlen(password) > 256 ||
        qr_link_check(qr_req_ctx(r), token, purpose, username, sizeof(username), &err)) {
        page(r, 400, "This link cannot be used",
             "The link is unknown, expired or already used. Ask for a new one.");
        return;
    }
    qr_status_t st = qr_link_complete(qr_req_ctx(r), token, purpose, password, &err);
    if (st == QR_E_INVALID) {
        link_form(r, 400, purpose, token, username, return_to, err.msg);
        return;
    }
    if (st) {
        page(r, 500, "Failed", "The server could not save the password.");
        return;
    }
    qr_buf_t b;
    page_start(&b, "Password saved");
    page_text(&b, purpose == QR_LINK_RESET ? "Your password was changed and the account "
                                             "unlocked. Sign in with the new password."
                                           : "Your account is active. Sign in with your new "
                                             "password.");
    page_back(&b, return_to, "Sign in");
    page_send(r, 200, &b);
}

void qr_api_reset_page(qr_req_t *r) {
    link_get(r, QR_LINK_RESET);
}

void qr_api_reset_submit(qr_req_t *r) {
    link_post(r, QR_LINK_RESET);
}

void qr_api_activate_page(qr_req_t *r) {
    link_get(r, QR_LINK_ACTIVATE);
}

void qr_api_activate_submit(qr_req_t *r) {
    link_post(r, QR_LINK_ACTIVATE);
}

/* The "forgot your password?" form: the org comes from the sign-in page, the person types
 * the username. */
static void forgot_form(qr_req_t *r, const char *slug, const char *return_to) {
    qr_buf_t b;
    page_start(&b, "Reset your password");
    page_text(&b, "Enter your username. If your account has an email address, we send a link "
                  "there to choose a new password; it works once, within 30 minutes.");
    form_start(r, &b, "/forgot");
    org_field(&b, slug, return_to);
    page_hidden(&b, "return_to", return_to);
    qr_buf_puts(&b, "<p><label>Username <input name=\"username\" autocomplete=\"username\" "
                    "required></label></p><p><button type=\"submit\">Send the link</button></p>"
                    "</form>");
    page_send(r, 200, &b);
}

void qr_api_forgot_page(qr_req_t *r) {
    const char *slug = qr_req_query(r, "org"), *return_to = qr_req_query(r, "return_to");
    if (!slug || strlen(slug) > QR_ORG_SLUG_MAX || (return_to && !return_ok(return_to))) {
        page(r, 400, "Cannot reset here",
             "Open the sign-in page of your application and choose \"Forgot your password?\" "
             "there.");
        return;
    }
    forgot_form(r, slug, return_to ? return_to : "");
}

void qr_api_forgot_submit(qr_req_t *r) {
    const char *slug = qr_req_form(r, "org"), *username = qr_req_form(r, "username");
    const char *return_to = qr_req_form(r, "return_to");
    if (!csrf_ok(r)) {
        page(r, 403, "Refused",
             "The form has expired or did not come from this site. Go back to the sign-in "
             "page and start again.");
        return;
    }
    if (!slug || !*slug || strlen(slug) > QR_ORG_SLUG_MAX || !username || !*username ||
        strlen(username) > 256 || (return_to && *return_to && !return_ok(return_to))) {
        page(r, 400, "Cannot reset", "The form was incomplete.");
        return;
    }
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reset_request(qr_req_ctx(r), slug, username, &err);
    qr_buf_t b;
    page_start(&b, "Check your email");
    page_text(&b, "If the account exists and has an email address, a link to choose a new "
                  "password is on its way. It works once, within 30 minutes.");
    page_back(&b, return_to, "Back to sign in");
    page_send(r, 200, &b);
}
