/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the JSON API: one file per resource; each handler parses the request, calls the
 * domain with the principal, and writes JSON. No SQL here. */
#ifndef QR_API_H
#define QR_API_H

#include <jansson.h>

#include "http/server.h"
#include "tenancy/policy.h"

/* The route table of the whole API. The test-clock route is served only when the
 * test_clock setting is on (quired leaves it out otherwise). */
extern const qr_route_t qr_api_routes[];
extern const size_t qr_api_nroutes;

/* Who is asking, as the guard (qr_api_guard) resolved it: a user for QR_ROUTE_AUTH routes, a
 * device for QR_ROUTE_DEVICE routes; a zeroed principal on routes without either. Borrowed
 * from the request. */
const qr_principal_t *qr_req_principal(qr_req_t *r);
/* The one authenticator: resolves an Authorization header value (may be NULL) into *p for
 * a route with the given flags: a user's access token (QR_ROUTE_AUTH; one-time password
 * rule included), a device's client-credentials token (QR_ROUTE_DEVICE) or an API client's
 * (QR_ROUTE_CLIENT). QR_OK, or
 * QR_E_UNAUTHORIZED / QR_E_FORBIDDEN (password_change_required) in err. */
qr_status_t qr_principal_authenticate(qr_ctx_t *ctx, const char *authorization, int route_flags,
                                      qr_principal_t *p, qr_err_t *err);
/* The one-time-password rule: until a user's one-time password is replaced, only routes
 * with QR_ROUTE_ONE_TIME serve it (403 password_change_required); for IPP pass 0. */
qr_status_t qr_principal_check_one_time(const qr_principal_t *p, int route_flags, qr_err_t *err);
/* The guard quired gives qr_http_start: authenticates routes with QR_ROUTE_AUTH,
 * QR_ROUTE_DEVICE or QR_ROUTE_CLIENT into the request's principal; other routes pass
 * untouched. */
qr_status_t qr_api_guard(qr_req_t *r, int route_flags, qr_err_t *err);

/* Writes the outcome of a domain call: on success out (stolen) with status ok_status (or
 * 204 if out is NULL), else the error. */
void qr_api_finish(qr_req_t *r, qr_status_t st, const qr_err_t *err, json_t *out, int ok_status);
/* Turns one typed domain row into its JSON (a new reference). */
typedef json_t *(*qr_api_json_fn)(const void *row);
/* The one list answer: on success 200 {"items": [fn(row) for each of the n rows of size bytes
 * at rows]}, else the error. Borrows rows. */
void qr_api_finish_items(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                         size_t n, size_t size, qr_api_json_fn fn);
struct qr_user;
/* The client view of a user (tenancy/user.h), shared by /users, /me and an org's first admin:
 * a new object. */
json_t *qr_api_user_json(const struct qr_user *u);
/* Checks the body's keys against allowed and fails with 403 read_only_field if one of
 * read_only is present. Replies and returns non-zero on error. */
int qr_api_check_body(qr_req_t *r, const char *const *allowed, const char *const *read_only);

/* A streamed upload route (a print job, a scanned file): what it accepts and the domain's
 * upload functions. */
typedef struct qr_api_upload {
    const char *const *types;  /* accepted Content-Types, NULL-terminated */
    const char *types_message; /* the 415 message otherwise */
    /* Starts the domain's upload for a body of size bytes (-1 if unknown) into *state. */
    qr_status_t (*begin)(qr_req_t *r, long long size, void **state, qr_err_t *err);
    qr_status_t (*write)(void *state, const void *data, size_t n, qr_err_t *err);
    /* Commits (and frees state in every case); *out is the 201 answer. */
    qr_status_t (*commit)(void *state, json_t **out, qr_err_t *err);
    void (*abort)(void *state); /* frees an unfinished upload; accepts NULL */
} qr_api_upload_t;
/* Serves every phase of a streamed upload route with u (src/api/stream.c). */
void qr_api_upload(qr_req_t *r, const qr_api_upload_t *u);
struct qr_blob_reader;
/* Answers 200 with a document of size bytes read (decrypted) from reader as it is sent;
 * takes reader (closed when the answer is done). A damaged document is logged and the
 * connection cut short. */
void qr_api_reply_blob(qr_req_t *r, struct qr_blob_reader *reader, long long size,
                       const char *content_type);

/* Handlers, by resource. */
void qr_api_health(qr_req_t *r);
void qr_api_metrics(qr_req_t *r);
void qr_api_jwks(qr_req_t *r);
void qr_api_test_clock(qr_req_t *r);
void qr_api_login(qr_req_t *r);
void qr_api_login_mfa(qr_req_t *r);
void qr_api_login_mfa_form(qr_req_t *r);
void qr_api_refresh(qr_req_t *r);
void qr_api_logout(qr_req_t *r);
void qr_api_me_get(qr_req_t *r);
void qr_api_me_patch(qr_req_t *r);
void qr_api_me_password(qr_req_t *r);
void qr_api_orgs_list(qr_req_t *r);
void qr_api_orgs_create(qr_req_t *r);
void qr_api_orgs_get(qr_req_t *r);
void qr_api_orgs_patch(qr_req_t *r);
void qr_api_orgs_delete(qr_req_t *r);
void qr_api_org_audit(qr_req_t *r);
void qr_api_users_list(qr_req_t *r);
void qr_api_users_create(qr_req_t *r);
void qr_api_users_get(qr_req_t *r);
void qr_api_users_patch(qr_req_t *r);
void qr_api_users_delete(qr_req_t *r);
void qr_api_users_unlock(qr_req_t *r);
void qr_api_groups_list(qr_req_t *r);
void qr_api_groups_create(qr_req_t *r);
void qr_api_groups_get(qr_req_t *r);
void qr_api_groups_patch(qr_req_t *r);
void qr_api_groups_delete(qr_req_t *r);
void qr_api_groups_member_put(qr_req_t *r);
void qr_api_groups_member_delete(qr_req_t *r);
void qr_api_portal_page(qr_req_t *r);
void qr_api_portal_asset(qr_req_t *r);
void qr_api_portal_signout(qr_req_t *r);
void qr_api_oauth_token(qr_req_t *r);
void qr_api_oauth_introspect(qr_req_t *r);
void qr_api_oauth_revoke(qr_req_t *r);
void qr_api_clients_list(qr_req_t *r);
void qr_api_clients_create(qr_req_t *r);
void qr_api_clients_delete(qr_req_t *r);
void qr_api_devices_list(qr_req_t *r);
void qr_api_devices_create(qr_req_t *r);
void qr_api_devices_get(qr_req_t *r);
void qr_api_devices_patch(qr_req_t *r);
void qr_api_devices_delete(qr_req_t *r);
void qr_api_device_self(qr_req_t *r);
void qr_api_panel_login(qr_req_t *r);
void qr_api_device_log(qr_req_t *r);
void qr_api_jobs_submit(qr_req_t *r);
void qr_api_jobs_list(qr_req_t *r);
void qr_api_jobs_get(qr_req_t *r);
void qr_api_jobs_delete(qr_req_t *r);
void qr_api_jobs_document(qr_req_t *r);
void qr_api_jobs_release(qr_req_t *r);
void qr_api_jobs_result(qr_req_t *r);
void qr_api_quota_get(qr_req_t *r);
void qr_api_quota_put(qr_req_t *r);
void qr_api_me_quota(qr_req_t *r);
void qr_api_org_quotas(qr_req_t *r);
void qr_api_classes_create(qr_req_t *r);
void qr_api_classes_list(qr_req_t *r);
void qr_api_classes_get(qr_req_t *r);
void qr_api_classes_patch(qr_req_t *r);
void qr_api_classes_delete(qr_req_t *r);
void qr_api_destinations_create(qr_req_t *r);
void qr_api_destinations_list(qr_req_t *r);
void qr_api_destinations_get(qr_req_t *r);
void qr_api_destinations_patch(qr_req_t *r);
void qr_api_destinations_delete(qr_req_t *r);
void qr_api_workflows_create(qr_req_t *r);
void qr_api_workflows_list(qr_req_t *r);
void qr_api_workflows_get(qr_req_t *r);
void qr_api_workflows_patch(qr_req_t *r);
void qr_api_workflows_delete(qr_req_t *r);
void qr_api_me_workflows(qr_req_t *r);
void qr_api_scans_create(qr_req_t *r);
/* Reports from the usage ledger (api/reports.c, issue 13). */
void qr_api_report_users(qr_req_t *r);
void qr_api_report_groups(qr_req_t *r);
void qr_api_report_devices(qr_req_t *r);
void qr_api_me_report(qr_req_t *r);
void qr_api_org_subscriptions(qr_req_t *r);
void qr_api_scans_file(qr_req_t *r);
void qr_api_scans_submit(qr_req_t *r);
void qr_api_scans_list(qr_req_t *r);
void qr_api_scans_get(qr_req_t *r);
void qr_api_scans_delete(qr_req_t *r);
void qr_api_scans_document(qr_req_t *r);
void qr_api_org_usage(qr_req_t *r);
void qr_api_ipp(qr_req_t *r);
void qr_api_org_log(qr_req_t *r);
void qr_api_me_log(qr_req_t *r);
void qr_api_me_pin_set(qr_req_t *r);
void qr_api_me_pin_get(qr_req_t *r);
void qr_api_me_cards_add(qr_req_t *r);
void qr_api_me_cards_list(qr_req_t *r);
void qr_api_me_cards_delete(qr_req_t *r);
void qr_api_user_cards_list(qr_req_t *r);
void qr_api_user_cards_delete(qr_req_t *r);
void qr_api_discovery(qr_req_t *r);
void qr_api_authorize(qr_req_t *r);
void qr_api_login_form(qr_req_t *r);
void qr_api_userinfo(qr_req_t *r);
void qr_api_reset_page(qr_req_t *r);
/* GET /forgot: the form that asks for a password-reset link; POST /forgot sends it. */
void qr_api_forgot_page(qr_req_t *r);
void qr_api_forgot_submit(qr_req_t *r);
void qr_api_reset_submit(qr_req_t *r);
void qr_api_activate_page(qr_req_t *r);
void qr_api_activate_submit(qr_req_t *r);
void qr_api_reset_request(qr_req_t *r);
void qr_api_link_complete(qr_req_t *r);

#endif
