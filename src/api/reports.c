/* SPDX-License-Identifier: Apache-2.0 */
/* quire: reports read from the usage ledger: GET /api/v1/orgs/{id}/reports/{users,groups,devices}
 * and /api/v1/me/report (REP-1, REP-2), GET /api/v1/orgs/{id}/usage (REP-3, TEN-4, CAP-5) and
 * /api/v1/orgs/{id}/subscriptions (TEN-4). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "report/usage.h"

/* The print figures of a customer report row (pages are sides x copies). */
static void report_figures(json_t *o, const qr_usage_figures_t *f) {
    json_object_set_new(o, "print_pages", json_integer(f->print_pages));
    json_object_set_new(o, "print_mono_pages", json_integer(f->print_pages - f->print_color));
    json_object_set_new(o, "print_color_pages", json_integer(f->print_color));
    json_object_set_new(o, "print_simplex_pages", json_integer(f->print_pages - f->print_duplex));
    json_object_set_new(o, "print_duplex_pages", json_integer(f->print_duplex));
    json_object_set_new(o, "print_jobs", json_integer(f->print_jobs));
    json_object_set_new(o, "copy_pages", json_integer(f->copy_pages));
    json_object_set_new(o, "scan_pages", json_integer(f->scan_pages));
}

/* All figures of a month (a rollup's own, subtree or child figures), with the registered
 * users if counted (the subscription report): a new object. */
static json_t *month_figures(const qr_usage_figures_t *f, int users) {
    json_t *o = json_object();
    report_figures(o, f);
    json_object_set_new(o, "copy_jobs", json_integer(f->copy_jobs));
    json_object_set_new(o, "scan_jobs", json_integer(f->scan_jobs));
    json_object_set_new(o, "ocr_pages", json_integer(f->ocr_pages));
    json_object_set_new(o, "documents", json_integer(f->documents));
    json_object_set_new(o, "bytes", json_integer(f->bytes));
    json_object_set_new(o, "active_users", json_integer(f->active_users));
    json_object_set_new(o, "active_devices", json_integer(f->active_devices));
    if (users)
        json_object_set_new(o, "users", json_integer(f->users));
    json_object_set_new(o, "devices", json_integer(f->devices));
    json_object_set_new(o, "late_entries", json_integer(f->late_entries));
    json_object_set_new(o, "late_pages", json_integer(f->late_pages));
    return o;
}

static json_t *text_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

/* A row of each report: who (id and name under the report's own keys), then the figures. */
static json_t *row_json(const qr_usage_row_t *row, const char *id_key, const char *name_key) {
    json_t *o = json_object();
    json_object_set_new(o, id_key, text_or_null(row->id));
    json_object_set_new(o, name_key, text_or_null(row->name));
    report_figures(o, &row->f);
    return o;
}
static json_t *user_row_json(const void *row) {
    return row_json(row, "user_id", "username");
}
static json_t *group_row_json(const void *row) {
    return row_json(row, "group_id", "name");
}
static json_t *device_row_json(const void *row) {
    return row_json(row, "device_id", "serial");
}

/* The one report answer: {"from", "to", "items": [...], "totals": {...}} (or CSV: the rows
 * and a Total row) or the error. */
static void finish_report(qr_req_t *r, qr_status_t st, const qr_err_t *err,
                          const qr_usage_row_t *rows, size_t n, const qr_usage_figures_t *totals,
                          const qr_usage_period_t *pd, qr_api_json_fn fn) {
    json_t *t = NULL, *head = NULL;
    if (!st) {
        t = json_object();
        report_figures(t, totals);
        head = json_pack("{s:s, s:s}", "from", pd->from, "to", pd->to);
    }
    qr_api_finish_report(r, st, err, rows, n, sizeof(*rows), fn, t, head);
}

static void org_report(qr_req_t *r, qr_usage_by_t by, qr_api_json_fn fn) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_usage_row_t *items = NULL;
    size_t n = 0;
    qr_usage_figures_t totals;
    qr_usage_period_t pd;
    qr_status_t st = qr_usage_report(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), by,
                                     qr_req_query(r, "from"), qr_req_query(r, "to"), &items, &n,
                                     &totals, &pd, &err);
    finish_report(r, st, &err, items, n, &totals, &pd, fn);
    qr_usage_list_free(items, n);
}

void qr_api_report_users(qr_req_t *r) {
    org_report(r, QR_USAGE_BY_USER, user_row_json);
}

void qr_api_report_groups(qr_req_t *r) {
    org_report(r, QR_USAGE_BY_GROUP, group_row_json);
}

void qr_api_report_devices(qr_req_t *r) {
    org_report(r, QR_USAGE_BY_DEVICE, device_row_json);
}

void qr_api_me_report(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_usage_row_t *items = NULL;
    size_t n = 0;
    qr_usage_figures_t totals;
    qr_usage_period_t pd;
    qr_status_t st = qr_usage_mine(qr_req_ctx(r), qr_req_principal(r), qr_req_query(r, "from"),
                                   qr_req_query(r, "to"), &items, &n, &totals, &pd, &err);
    finish_report(r, st, &err, items, n, &totals, &pd, device_row_json);
    qr_usage_list_free(items, n);
}

/* A direct child: its name, own figures and its subtree's sums (never a deeper org's). */
static json_t *child_json(const qr_usage_child_t *ch, int subscription) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "id", ch->id, "name", ch->name, "type", ch->type,
                          "orgs_below", (json_int_t)ch->orgs_below);
    if (subscription) {
        json_t *features = json_loads(ch->lic_features ? ch->lic_features : "[]", 0, NULL);
        json_object_set_new(o, "license",
                            json_pack("{s:o, s:o, s:o, s:o, s:o}", "devices",
                                      qr_api_limit_json(ch->lic_devices), "ocr_pages",
                                      qr_api_limit_json(ch->lic_ocr_pages), "storage_mb",
                                      qr_api_limit_json(ch->lic_storage_mb), "users",
                                      qr_api_limit_json(ch->lic_users), "features",
                                      features ? features : json_array()));
        json_object_set_new(o, "devices", json_integer(ch->own.devices));
        json_object_set_new(o, "users", json_integer(ch->own.users));
    } else {
        json_object_set_new(o, "own", month_figures(&ch->own, 0));
    }
    json_object_set_new(o, "subtree", month_figures(&ch->subtree, subscription));
    return o;
}

static json_t *late_json(const qr_usage_rollup_t *u) {
    json_t *a = json_array();
    for (size_t i = 0; i < u->nlate; i++)
        json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "month", u->late[i].month, "entries",
                                           (json_int_t)u->late[i].entries, "pages",
                                           (json_int_t)u->late[i].pages));
    return a;
}

/* The usage answer: the fields it always had (CAP-5: this org's OCR pages, documents and
 * bytes and its OCR limit), then the ledger's figures. */
static json_t *usage_json(const qr_usage_rollup_t *u) {
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:o}", "org_id", u->org_id, "month",
                          u->month, "ocr_pages", (json_int_t)u->own.ocr_pages, "ocr_pages_reserved",
                          (json_int_t)u->own.ocr_reserved, "documents",
                          (json_int_t)u->own.documents, "bytes", (json_int_t)u->own.bytes,
                          "ocr_pages_per_month", qr_api_limit_json(u->ocr_pages_per_month));
    json_object_set_new(o, "own", month_figures(&u->own, 0));
    json_object_set_new(o, "subtree", month_figures(&u->subtree, 0));
    json_object_set_new(o, "late", late_json(u));
    if (u->has_children) {
        json_t *a = json_array();
        for (size_t i = 0; i < u->nchildren; i++)
            json_array_append_new(a, child_json(&u->children[i], 0));
        json_object_set_new(o, "children", a);
    }
    return o;
}

static json_t *usage_child_json(const void *row) {
    return child_json(row, 0);
}

static json_t *subscription_child_json(const void *row) {
    return child_json(row, 1);
}

/* GET /orgs/{id}/usage: the JSON above; as CSV (REP-3), a row per direct child (its own and
 * its subtree's figures) and the Total row of the whole subtree. */
void qr_api_org_usage(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_usage_rollup_t u;
    int csv = 0;
    if (qr_api_format(r, &csv))
        return;
    qr_status_t st = qr_usage_rollup(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0),
                                     qr_req_query(r, "month"), &u, &err);
    if (csv)
        qr_api_finish_report(
            r, st, &err, u.children, st ? 0 : u.nchildren, sizeof(*u.children), usage_child_json,
            st ? NULL : json_pack("{s:o}", "subtree", month_figures(&u.subtree, 0)), NULL);
    else
        qr_api_finish(r, st, &err, st ? NULL : usage_json(&u), 200);
    qr_usage_rollup_clear(&u);
}

void qr_api_org_subscriptions(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_usage_rollup_t u;
    qr_status_t st = qr_usage_subscriptions(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0),
                                            qr_req_query(r, "month"), &u, &err);
    qr_api_finish_report(r, st, &err, u.children, st ? 0 : u.nchildren, sizeof(*u.children),
                         subscription_child_json,
                         st ? NULL : json_pack("{s:o}", "subtree", month_figures(&u.subtree, 1)),
                         st ? NULL : json_pack("{s:s, s:s}", "org_id", u.org_id, "month", u.month));
    qr_usage_rollup_clear(&u);
}
