/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the route table and the shared response helpers of the API. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "print/ipp.h"

#define A QR_ROUTE_AUTH
#define S QR_ROUTE_SLOW
#define B QR_ROUTE_BODY
#define F (QR_ROUTE_FORM | QR_ROUTE_OAUTH)
#define O QR_ROUTE_ONE_TIME
#define D QR_ROUTE_DEVICE
#define C QR_ROUTE_CLIENT /* also an API key's token, with the scope for it (REP-5) */

const qr_route_t qr_api_routes[] = {
    {"GET", "/", qr_api_portal_page, 0, NULL, NULL},
    {"GET", "/callback", qr_api_portal_page, 0, "code state iss error error_description", NULL},
    {"GET", "/assets/{}", qr_api_portal_asset, 0, NULL, NULL},
    {"POST", "/api/v1/auth/signout", qr_api_portal_signout, A | O, NULL, NULL},
    {"GET", "/healthz", qr_api_health, 0, NULL, NULL},
    {"GET", "/metrics", qr_api_metrics, 0, NULL, NULL},
    {"GET", "/.well-known/jwks.json", qr_api_jwks, 0, NULL, NULL},
    {"POST", "/_test/clock", qr_api_test_clock, B, NULL, NULL},
    {"GET", "/.well-known/openid-configuration", qr_api_discovery, 0, NULL, NULL},
    {"GET", "/oauth/authorize", qr_api_authorize, 0,
     "response_type client_id redirect_uri scope state nonce code_challenge "
     "code_challenge_method prompt login_hint response_mode max_age ui_locales display "
     "acr_values",
     NULL},
    {"POST", "/login", qr_api_login_form, QR_ROUTE_FORM | S, NULL,
     "csrf org return_to username password"},
    {"GET", "/oauth/userinfo", qr_api_userinfo, A | O, NULL, NULL},
    {"GET", "/forgot", qr_api_forgot_page, 0, "org return_to", NULL},
    {"POST", "/forgot", qr_api_forgot_submit, QR_ROUTE_FORM, NULL, "csrf org return_to username"},
    {"GET", "/reset", qr_api_reset_page, 0, "token", NULL},
    {"POST", "/reset", qr_api_reset_submit, QR_ROUTE_FORM | S, NULL,
     "csrf token password return_to"},
    {"GET", "/activate", qr_api_activate_page, 0, "token", NULL},
    {"POST", "/activate", qr_api_activate_submit, QR_ROUTE_FORM | S, NULL, "csrf token password"},
    {"POST", "/api/v1/auth/password-reset", qr_api_reset_request, S | B, NULL, NULL},
    {"POST", "/api/v1/auth/password-reset/complete", qr_api_link_complete, S | B, NULL, NULL},
    {"POST", "/api/v1/auth/activate", qr_api_link_complete, S | B, NULL, NULL},
    {"POST", "/oauth/token", qr_api_oauth_token, F, NULL,
     /* username and password are accepted only to answer the password grant with
      * unsupported_grant_type (RFC 6749 5.2), as a client that tries it expects. */
     "grant_type refresh_token client_id client_secret scope code redirect_uri code_verifier "
     "username password"},
    {"POST", "/oauth/introspect", qr_api_oauth_introspect, F, NULL,
     "token token_type_hint client_id client_secret"},
    {"POST", "/oauth/revoke", qr_api_oauth_revoke, F, NULL,
     "token token_type_hint client_id client_secret"},
    {"POST", "/api/v1/auth/login", qr_api_login, S | B, NULL, NULL},
    {"POST", "/api/v1/auth/mfa", qr_api_login_mfa, B, NULL, NULL},
    {"POST", "/login/mfa", qr_api_login_mfa_form, QR_ROUTE_FORM, NULL,
     "csrf mfa_token return_to code"},
    {"POST", "/api/v1/auth/refresh", qr_api_refresh, B, NULL, NULL},
    {"POST", "/api/v1/auth/logout", qr_api_logout, A | O, NULL, NULL},
    {"GET", "/api/v1/me", qr_api_me_get, A | O, NULL, NULL},
    {"PATCH", "/api/v1/me", qr_api_me_patch, A | B, NULL, NULL},
    {"POST", "/api/v1/me/password", qr_api_me_password, A | O | S | B, NULL, NULL},
    {"GET", "/api/v1/orgs", qr_api_orgs_list, A, "format", NULL},
    {"POST", "/api/v1/orgs", qr_api_orgs_create, A | S | B, NULL, NULL},
    {"GET", "/api/v1/orgs/{}", qr_api_orgs_get, A, NULL, NULL},
    {"PATCH", "/api/v1/orgs/{}", qr_api_orgs_patch, A | B, NULL, NULL},
    {"DELETE", "/api/v1/orgs/{}", qr_api_orgs_delete, A, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/audit", qr_api_org_audit, A,
     "limit after action actor target from to format", NULL},
    {"GET", "/api/v1/orgs/{}/users", qr_api_users_list, A | C, "format limit after q", NULL},
    {"POST", "/api/v1/orgs/{}/users", qr_api_users_create, A | S | B, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/groups", qr_api_groups_list, A, "format", NULL},
    {"POST", "/api/v1/orgs/{}/groups", qr_api_groups_create, A | B, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/clients", qr_api_clients_list, A, "format", NULL},
    {"POST", "/api/v1/orgs/{}/clients", qr_api_clients_create, A | B, NULL, NULL},
    {"DELETE", "/api/v1/clients/{}", qr_api_clients_delete, A, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/devices", qr_api_devices_list, A, "format", NULL},
    {"POST", "/api/v1/orgs/{}/devices", qr_api_devices_create, A | B, NULL, NULL},
    {"GET", "/api/v1/devices/{}", qr_api_devices_get, A, NULL, NULL},
    {"PATCH", "/api/v1/devices/{}", qr_api_devices_patch, A | B, NULL, NULL},
    {"DELETE", "/api/v1/devices/{}", qr_api_devices_delete, A, NULL, NULL},
    {"GET", "/api/v1/device", qr_api_device_self, D, NULL, NULL},
    {"POST", "/api/v1/device/login", qr_api_panel_login, D | S | B, NULL, NULL},
    {"POST", "/api/v1/device/log", qr_api_device_log, D | B, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/log", qr_api_org_log, A | C,
     "from to limit after user device type color format", NULL},
    {"GET", "/api/v1/me/log", qr_api_me_log, A, "from to limit after device type color format",
     NULL},
    {"POST", "/api/v1/jobs", qr_api_jobs_submit, A | QR_ROUTE_STREAM,
     "name copies color duplex page_ranges", NULL},
    {"POST", QR_IPP_PATH, qr_api_ipp, QR_ROUTE_STREAM, NULL, NULL},
    {"POST", QR_IPP_PATH "/{n}", qr_api_ipp, QR_ROUTE_STREAM, NULL, NULL}, /* a job's URI */
    {"GET", QR_IPP_ICON_PATH "48.png", qr_api_printer_icon, 0, NULL, NULL},
    {"GET", QR_IPP_ICON_PATH "128.png", qr_api_printer_icon, 0, NULL, NULL},
    {"GET", QR_IPP_ICON_PATH "512.png", qr_api_printer_icon, 0, NULL, NULL},
    {"GET", QR_IPP_HELP_PATH, qr_api_printer_help, 0, NULL, NULL},
    {"GET", "/api/v1/jobs", qr_api_jobs_list, A, NULL, NULL},
    {"GET", "/api/v1/jobs/{}", qr_api_jobs_get, A, NULL, NULL},
    {"DELETE", "/api/v1/jobs/{}", qr_api_jobs_delete, A, NULL, NULL},
    {"GET", "/api/v1/jobs/{}/document", qr_api_jobs_document, A, NULL, NULL},
    {"POST", "/api/v1/jobs/{}/release", qr_api_jobs_release, A | B, NULL, NULL},
    {"POST", "/api/v1/jobs/{}/result", qr_api_jobs_result, A | B, NULL, NULL},
    {"GET", "/api/v1/me/quota", qr_api_me_quota, A, NULL, NULL},
    {"GET", "/api/v1/users/{}/quota", qr_api_quota_get, A, NULL, NULL},
    {"PUT", "/api/v1/users/{}/quota", qr_api_quota_put, A | B, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/quotas", qr_api_org_quotas, A, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/usage", qr_api_org_usage, A, "month format", NULL},
    {"GET", "/api/v1/orgs/{}/classes", qr_api_classes_list, A, NULL, NULL},
    {"POST", "/api/v1/orgs/{}/classes", qr_api_classes_create, A | B, NULL, NULL},
    {"GET", "/api/v1/classes/{}", qr_api_classes_get, A, NULL, NULL},
    {"PATCH", "/api/v1/classes/{}", qr_api_classes_patch, A | B, NULL, NULL},
    {"DELETE", "/api/v1/classes/{}", qr_api_classes_delete, A, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/destinations", qr_api_destinations_list, A, NULL, NULL},
    {"POST", "/api/v1/orgs/{}/destinations", qr_api_destinations_create, A | B, NULL, NULL},
    {"GET", "/api/v1/destinations/{}", qr_api_destinations_get, A, NULL, NULL},
    {"PATCH", "/api/v1/destinations/{}", qr_api_destinations_patch, A | B, NULL, NULL},
    {"DELETE", "/api/v1/destinations/{}", qr_api_destinations_delete, A, NULL, NULL},
    {"GET", "/api/v1/orgs/{}/workflows", qr_api_workflows_list, A, NULL, NULL},
    {"POST", "/api/v1/orgs/{}/workflows", qr_api_workflows_create, A | B, NULL, NULL},
    {"GET", "/api/v1/workflows/{}", qr_api_workflows_get, A, NULL, NULL},
    {"PATCH", "/api/v1/workflows/{}", qr_api_workflows_patch, A | B, NULL, NULL},
    {"DELETE", "/api/v1/workflows/{}", qr_api_workflows_delete, A, NULL, NULL},
    {"GET", "/api/v1/me/workflows", qr_api_me_workflows, A, NULL, NULL},
    {"POST", "/api/v1/scans", qr_api_scans_create, A | B, NULL, NULL},
    {"GET", "/api/v1/scans", qr_api_scans_list, A, NULL, NULL},
    {"GET", "/api/v1/scans/{}", qr_api_scans_get, A, NULL, NULL},
    {"DELETE", "/api/v1/scans/{}", qr_api_scans_delete, A, NULL, NULL},
    {"POST", "/api/v1/scans/{}/files", qr_api_scans_file, A | QR_ROUTE_STREAM, NULL, NULL},
    {"POST", "/api/v1/scans/{}/submit", qr_api_scans_submit, A | B, NULL, NULL},
    {"GET", "/api/v1/scans/{}/documents/{n}", qr_api_scans_document, A, NULL, NULL},
    {"POST", "/api/v1/me/pin", qr_api_me_pin_set, A | B, NULL, NULL},
    {"GET", "/api/v1/me/pin", qr_api_me_pin_get, A, NULL, NULL},
    {"POST", "/api/v1/me/cards", qr_api_me_cards_add, A | B, NULL, NULL},
    {"GET", "/api/v1/me/cards", qr_api_me_cards_list, A, NULL, NULL},
    {"DELETE", "/api/v1/me/cards/{}", qr_api_me_cards_delete, A, NULL, NULL},
    {"GET", "/api/v1/users/{}/cards", qr_api_user_cards_list, A, NULL, NULL},
    {"DELETE", "/api/v1/users/{}/cards/{}", qr_api_user_cards_delete, A, NULL, NULL},
    {"GET", "/api/v1/users/{}", qr_api_users_get, A, NULL, NULL},
    {"PATCH", "/api/v1/users/{}", qr_api_users_patch, A | S | B, NULL, NULL},
    {"DELETE", "/api/v1/users/{}", qr_api_users_delete, A, NULL, NULL},
    {"POST", "/api/v1/users/{}/unlock", qr_api_users_unlock, A, NULL, NULL},
    {"GET", "/api/v1/groups/{}", qr_api_groups_get, A, NULL, NULL},
    {"PATCH", "/api/v1/groups/{}", qr_api_groups_patch, A | B, NULL, NULL},
    {"DELETE", "/api/v1/groups/{}", qr_api_groups_delete, A, NULL, NULL},
    {"PUT", "/api/v1/groups/{}/members/{}", qr_api_groups_member_put, A, NULL, NULL},
    {"DELETE", "/api/v1/groups/{}/members/{}", qr_api_groups_member_delete, A, NULL, NULL},
    /* Issue 13 (adminops): the parent's help with a direct child's admins. */
    {"GET", "/api/v1/orgs/{}/admins", qr_api_org_admins_list, A, NULL, NULL},
    {"POST", "/api/v1/orgs/{}/admins", qr_api_org_admins_add, A | S | B, NULL, NULL},
    {"POST", "/api/v1/users/{}/password-reset", qr_api_users_password_reset, A, NULL, NULL},
    {"POST", "/api/v1/users/{}/pin", qr_api_users_pin_generate, A, NULL, NULL},
    {"POST", "/api/v1/devices/{}/secret", qr_api_devices_rotate_secret, A, NULL, NULL},
    /* issue 13, TEN-7: regions and the desktop client's settings */
    {"GET", "/api/v1/regions", qr_api_regions_list, A, NULL, NULL},
    {"POST", "/api/v1/regions", qr_api_regions_create, A | B, NULL, NULL},
    {"GET", "/api/v1/regions/{}", qr_api_regions_get, A, NULL, NULL},
    {"PATCH", "/api/v1/regions/{}", qr_api_regions_patch, A | B, NULL, NULL},
    {"DELETE", "/api/v1/regions/{}", qr_api_regions_delete, A, NULL, NULL},
    {"GET", "/api/v1/me/settings", qr_api_me_settings, A, NULL, NULL},
    /* issue 13: reports from the usage ledger (REP-1, REP-2, TEN-4). */
    {"GET", "/api/v1/orgs/{}/reports/users", qr_api_report_users, A, "from to format", NULL},
    {"GET", "/api/v1/orgs/{}/reports/groups", qr_api_report_groups, A, "from to format", NULL},
    {"GET", "/api/v1/orgs/{}/reports/devices", qr_api_report_devices, A, "from to format", NULL},
    {"GET", "/api/v1/me/report", qr_api_me_report, A, "from to format", NULL},
    {"GET", "/api/v1/orgs/{}/subscriptions", qr_api_org_subscriptions, A, "month format", NULL},
};

const size_t qr_api_nroutes = sizeof(qr_api_routes) / sizeof(qr_api_routes[0]);

void qr_api_finish(qr_req_t *r, qr_status_t st, const qr_err_t *err, json_t *out, int ok_status) {
    if (st) {
        json_decref(out);
        qr_req_reply_error(r, err);
    } else if (out) {
        qr_req_reply_json(r, ok_status, out);
    } else {
        qr_req_reply_empty(r);
    }
}

void qr_api_finish_items(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                         size_t n, size_t size, qr_api_json_fn fn) {
    qr_api_finish_items_totals(r, st, err, rows, n, size, fn, NULL);
}

/* Answers the CSV of a list (qr_csv_list). */
static void finish_csv(qr_req_t *r, const json_t *items, const json_t *totals) {
    qr_buf_t b;
    qr_buf_init(&b, 64u * 1024 * 1024);
    if (qr_csv_list(&b, items, totals)) {
        qr_err_t err = {QR_OK, NULL, ""};
        qr_err_set(&err, QR_E_TOO_LARGE, NULL,
                   "the CSV answer is larger than 64 MiB; ask for fewer rows");
        qr_req_reply_error(r, &err);
    } else {
        qr_api_reply_csv(r, b.ptr ? b.ptr : "", b.len);
    }
    qr_buf_free(&b);
}

/* The one list answer behind qr_api_finish_items*: the items, plus totals (a JSON member
 * and the CSV "Total" row) and next (a JSON member only) when not NULL; steals both. */
static void finish_list(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                        size_t n, size_t size, qr_api_json_fn fn, json_t *totals, json_t *next,
                        json_t *head) {
    int csv = 0;
    if (st || qr_api_format(r, &csv)) {
        json_decref(head);
        json_decref(totals);
        json_decref(next);
        if (st)
            qr_req_reply_error(r, err);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, fn((const char *)rows + i * size));
    if (csv) {
        finish_csv(r, items, totals);
        json_decref(head);
        json_decref(items);
        json_decref(totals);
        json_decref(next);
        return;
    }
    json_t *out = head ? head : json_object();
    json_object_set_new(out, "items", items);
    if (totals)
        json_object_set_new(out, "totals", totals);
    if (next)
        json_object_set_new(out, "next", next);
    qr_req_reply_json(r, 200, out);
}

void qr_api_finish_items_totals(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                                size_t n, size_t size, qr_api_json_fn fn, json_t *totals) {
    finish_list(r, st, err, rows, n, size, fn, totals, NULL, NULL);
}

void qr_api_finish_report(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                          size_t n, size_t size, qr_api_json_fn fn, json_t *totals, json_t *head) {
    finish_list(r, st, err, rows, n, size, fn, totals, NULL, head);
}

void qr_api_finish_page(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                        size_t n, size_t size, qr_api_json_fn fn, const char *next) {
    finish_list(r, st, err, rows, n, size, fn, NULL, next ? json_string(next) : json_null(), NULL);
}

/* Query parameter name as a whole number from lo to hi into *v (left alone if absent);
 * answers 400 with msg and returns non-zero if it is not one. */
static int query_number(qr_req_t *r, const char *name, long long lo, long long hi, long long *v,
                        const char *msg) {
    const char *q = qr_req_query(r, name);
    if (!q)
        return 0;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(q, &end, 10);
    if (*q && !*end && !errno && x >= lo && x <= hi) {
        *v = x;
        return 0;
    }
    qr_err_t err = {QR_OK, NULL, ""};
    qr_err_set(&err, QR_E_INVALID, NULL, "%s", msg);
    qr_req_reply_error(r, &err);
    return 1;
}

/* Parses a cursor of nparts positive integers joined by '.' into v; 0 if it is not one. */
static int parse_cursor(const char *q, int nparts, long long *v) {
    for (int i = 0; i < nparts; i++) {
        char *end = NULL;
        errno = 0;
        v[i] = strtoll(q, &end, 10);
        if (end == q || errno || v[i] < 1 || *end != (i + 1 < nparts ? '.' : '\0'))
            return 0;
        q = end + 1;
    }
    return 1;
}

int qr_api_page_query(qr_req_t *r, int max, int *limit, int *limit_given, int nparts,
                      long long *v) {
    char msg[96];
    long long l = 100;
    snprintf(msg, sizeof(msg), "limit must be an integer from 1 to %d", max);
    if (query_number(r, "limit", 1, max, &l, msg))
        return 1;
    const char *after = qr_req_query(r, "after");
    memset(v, 0, sizeof(*v) * (size_t)nparts);
    if (after && !parse_cursor(after, nparts, v)) {
        qr_err_t err = {QR_OK, NULL, ""};
        qr_err_set(&err, QR_E_INVALID, NULL,
                   "after must be the \"next\" cursor of a previous page, as it was given");
        qr_req_reply_error(r, &err);
        return 1;
    }
    *limit = (int)l;
    *limit_given = qr_req_query(r, "limit") != NULL;
    return 0;
}

int qr_api_period_query(qr_req_t *r, int64_t *from, int64_t *to) {
    static const char msg[] = "from and to are Unix times in seconds";
    long long f = 0, t = 0;
    if (query_number(r, "from", 0, INT64_MAX, &f, msg) ||
        query_number(r, "to", 0, INT64_MAX, &t, msg))
        return 1;
    *from = f;
    *to = t;
    return 0;
}

int qr_api_check_body(qr_req_t *r, const char *const *allowed, const char *const *read_only) {
    json_t *body = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    for (const char *const *k = read_only; k && *k; k++)
        if (json_object_get(body, *k)) {
            qr_err_set(&err, QR_E_READ_ONLY, NULL, "the field '%s' cannot be changed", *k);
            qr_req_reply_error(r, &err);
            return 1;
        }
    if (qr_json_check_keys(body, allowed, &err)) {
        qr_req_reply_error(r, &err);
        return 1;
    }
    return 0;
}
