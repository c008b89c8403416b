/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the JSON API: one file per resource; each handler parses the request, calls the
 * domain with the principal, and writes JSON. No SQL here. */
#ifndef QR_API_H
#define QR_API_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "http/server.h"
#include "tenancy/policy.h"

/* The route table of the whole API. The test-clock route is served only when the
 * test_clock setting is on (quired leaves it out otherwise). */
extern const qr_route_t qr_api_routes[];
extern const size_t qr_api_nroutes;

/* Who is asking, as the guard (qr_api_guard) resolved it: a user for QR_ROUTE_AUTH routes, a
 * device for QR_ROUTE_DEVICE routes, an API client (with its scopes) for QR_ROUTE_CLIENT
 * routes; a zeroed principal on routes without any. Borrowed from the request. */
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
/* As qr_api_finish_items, with the list's totals: JSON {"items": [...], "totals": totals},
 * CSV the item rows and a last row whose first cell is "Total" and whose other cells are
 * the totals' values of the same columns. Borrows rows; steals totals (may be NULL). */
void qr_api_finish_items_totals(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                                size_t n, size_t size, qr_api_json_fn fn, json_t *totals);
/* A report (REP-1, REP-3): as qr_api_finish_items_totals, with the fields of head (a new
 * object, taken; may be NULL), e.g. the period, before "items" in the JSON form; the CSV form
 * is the rows and the Total row. */
void qr_api_finish_report(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                          size_t n, size_t size, qr_api_json_fn fn, json_t *totals, json_t *head);
/* A keyset page (REP-1): as qr_api_finish_items, the JSON with "next": the cursor of the next
 * page (the "after" of the next request), null on the last page (next NULL). */
void qr_api_finish_page(qr_req_t *r, qr_status_t st, const qr_err_t *err, const void *rows,
                        size_t n, size_t size, qr_api_json_fn fn, const char *next);
/* Reads a page's `limit` (default 100, 1 to max) and `after` (the "next" cursor of a previous
 * page: nparts positive integers joined by '.', into v; zeroes if absent) from the query;
 * *limit_given tells whether limit was there. A bad value is answered 400 and the function
 * returns non-zero. */
int qr_api_page_query(qr_req_t *r, int max, int *limit, int *limit_given, int nparts, long long *v);
/* Reads a period's `from` and `to` (Unix seconds, inclusive; 0 if absent) from the query;
 * a bad value is answered 400 and the function returns non-zero. */
int qr_api_period_query(qr_req_t *r, int64_t *from, int64_t *to);

/* CSV (src/api/csv.c; REP-1, REP-2, REP-4). RFC 4180 in UTF-8: CRLF line ends, a header row,
 * a field quoted when it holds , " CR or LF (quotes doubled). A text cell beginning with
 * = + - @ TAB or CR gets a leading ' (OWASP CSV injection: names are user input); numbers
 * quire writes itself (JSON numbers) stay as they are, so -5 is a number and the text "-5"
 * is '-5. Writers append to b (its ceiling bounds them: QR_E_TOO_LARGE); first is 1 for a
 * row's first cell (no comma before it). */
qr_status_t qr_csv_text(qr_buf_t *b, int first, const char *s);
qr_status_t qr_csv_number(qr_buf_t *b, int first, long long v);
qr_status_t qr_csv_end_row(qr_buf_t *b);
/* The columns of an item object: a new array of key paths (arrays of keys), in the item's
 * key order; a nested object's keys become columns named parent_child. */
json_t *qr_csv_columns(const json_t *item);
/* Columns of plain top-level keys, from a NULL-terminated list: a new array. */
json_t *qr_csv_columns_of(const char *const *names);
/* Appends the header row of cols (the key paths joined with _). */
qr_status_t qr_csv_header(qr_buf_t *b, const json_t *cols);
/* Appends item's row: per column its value (null or missing empty, an array as JSON text);
 * first, if not NULL, replaces the first cell (the "Total" row). */
qr_status_t qr_csv_row(qr_buf_t *b, const json_t *cols, const json_t *item, const char *first);
/* The CSV of a list: a header from the first item's columns (qr_csv_columns), a row per item
 * of the items array, and, if totals is not NULL, the "Total" row of its values in the same
 * columns (for an empty list: an unnamed first column, then the totals' keys). An empty list
 * without totals is an empty document. */
qr_status_t qr_csv_list(qr_buf_t *b, const json_t *items, const json_t *totals);

/* The answer format a list request asks for: `format=csv|json` in the query, else an Accept
 * header naming text/csv before application/json. *csv is 1 for CSV. A bad format value is
 * answered 400 (naming the allowed values) and the function returns non-zero. */
int qr_api_format(qr_req_t *r, int *csv);
/* Answers 200 with the len bytes of CSV at body (copied), text/csv; charset=utf-8, as an
 * attachment named after the request path's last segment. */
void qr_api_reply_csv(qr_req_t *r, const char *body, size_t len);
/* A streamed export: a domain cursor read batch by batch (REP-1: a report of a million rows
 * is sent without holding it in memory). */
typedef struct qr_api_export {
    void *cursor;
    /* The next batch of rows (owned by the cursor until the next call): *n is 0 at the end. */
    qr_status_t (*next)(void *cursor, const void **rows, size_t *n, qr_err_t *err);
    void (*close)(void *cursor); /* frees the cursor; accepts NULL */
    size_t size;                 /* bytes of one row */
    qr_api_json_fn fn;           /* one row's JSON: its keys give the CSV cells */
    const char *const *columns;  /* the header: fn's keys in order, NULL-terminated */
    /* Optional: writes one row's cells and line end straight into b, the same cells as fn's
     * JSON would give (the hot path of a large export); NULL: through fn. */
    qr_status_t (*csv)(qr_buf_t *b, const void *row);
} qr_api_export_t;
/* Answers 200 with the CSV of every row of x's cursor, streamed (chunked, length unknown);
 * takes the cursor (closed when the answer is done or abandoned). A batch that fails is
 * logged and the connection cut short, so the client sees an incomplete answer. */
void qr_api_reply_export(qr_req_t *r, const qr_api_export_t *x);

struct qr_user;
/* The client view of a user (tenancy/user.h), shared by /users, /me and an org's first admin:
 * a new object. */
json_t *qr_api_user_json(const struct qr_user *u);
/* A license limit as JSON: the number, or null for QR_LIC_UNLIMITED (TEN-5). */
json_t *qr_api_limit_json(long long v);
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
/* GET /ipp/icons/printer-{48,128,512}.png: the queue's printer-icons (PNG). */
void qr_api_printer_icon(qr_req_t *r);
/* GET /help/print: the printer-more-info page, how to release a job. */
void qr_api_printer_help(qr_req_t *r);
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
/* Issue 13, the admin actions a dealer needs (users.c). */
void qr_api_org_admins_list(qr_req_t *r);
void qr_api_org_admins_add(qr_req_t *r);
void qr_api_users_password_reset(qr_req_t *r);
/* AUTH-8: an admin has a new PIN generated for a user (panel.c). */
void qr_api_users_pin_generate(qr_req_t *r);
/* DEV-3, AUTH-11: a device's new client id and secret (devices.c). */
void qr_api_devices_rotate_secret(qr_req_t *r);
/* issue 13, TEN-7: /api/v1/regions (the root provider's admins) and /api/v1/me/settings. */
void qr_api_regions_list(qr_req_t *r);
void qr_api_regions_create(qr_req_t *r);
void qr_api_regions_get(qr_req_t *r);
void qr_api_regions_patch(qr_req_t *r);
void qr_api_regions_delete(qr_req_t *r);
void qr_api_me_settings(qr_req_t *r);

#endif
