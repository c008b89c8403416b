/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the JSON API: one file per resource; each handler parses the request, calls the
 * domain with the principal, and writes JSON. No SQL here. */
#ifndef QR_API_H
#define QR_API_H

#include <jansson.h>

#include "http/server.h"

/* The route table of the whole API. The test-clock route is served only when the
 * test_clock setting is on (quired leaves it out otherwise). */
extern const qr_route_t qr_api_routes[];
extern const size_t qr_api_nroutes;

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
