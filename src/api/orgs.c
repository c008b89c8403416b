/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/orgs and the org's audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/org_setup.h"
#include "api/api.h"
#include "core/json.h"
#include "report/audit.h"
#include "tenancy/license.h"
#include "tenancy/org.h"
#include "tenancy/user.h"

static const char *const org_read_only[] = {"id", "type", "parent_id", "slug", "created_at", NULL};

/* A license limit: a number, or null for unlimited. */
json_t *qr_api_limit_json(long long v) {
    return v == QR_LIC_UNLIMITED ? json_null() : json_integer((json_int_t)v);
}

/* The client view of an org; license and retention only if the reader may see them. */
static json_t *org_json(const qr_org_t *g) {
    json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:O, s:I}", "id", g->id, "parent_id",
                          g->parent_id[0] ? json_string(g->parent_id) : json_null(), "type",
                          g->type, "name", g->name, "slug", g->slug, "portal_url", g->portal_url,
                          "admin_emails", g->admin_emails, "created_at", (json_int_t)g->created_at);
    json_object_set_new(o, "mfa_email", json_boolean(g->mfa_email));
    json_object_set_new(o, "pin_mode", json_string(g->pin_mode));
    json_object_set(o, "pin_lengths", g->pin_lengths);
    json_object_set_new(o, "time_zone", json_string(g->time_zone));
    json_object_set_new(o, "region_id", g->region_id[0] ? json_string(g->region_id) : json_null());
    json_object_set_new(o, "print_policy",
                        json_pack("{s:b, s:b, s:I}", "force_mono", g->print_force_mono,
                                  "force_duplex", g->print_force_duplex, "max_pages_per_job",
                                  (json_int_t)g->print_max_pages));
    if (g->show_rep)
        json_object_set_new(o, "representative",
                            json_pack("{s:s, s:s, s:s}", "name", g->rep_name, "email", g->rep_email,
                                      "phone", g->rep_phone));
    if (!g->show_contract)
        return o;
    json_object_set_new(o, "license",
                        json_pack("{s:o, s:o, s:o, s:o, s:O}", "devices",
                                  qr_api_limit_json(g->lic_devices), "ocr_pages_per_month",
                                  qr_api_limit_json(g->lic_ocr_pages), "storage_mb",
                                  qr_api_limit_json(g->lic_storage_mb), "users",
                                  qr_api_limit_json(g->lic_users), "features", g->lic_features));
    json_object_set_new(o, "retention",
                        json_pack("{s:I, s:I, s:I}", "print_jobs_days",
                                  (json_int_t)g->ret_print_days, "scan_documents_days",
                                  (json_int_t)g->ret_scan_days, "audit_days",
                                  (json_int_t)g->ret_audit_days));
    return o;
}

static json_t *org_json_fn(const void *row) {
    return org_json(row);
}

/* Answers one org (or the error) and clears it. */
static void finish_org(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_org_t *g,
                       int ok_status) {
    qr_api_finish(r, st, err, st ? NULL : org_json(g), ok_status);
    qr_org_clear(g);
}

/* Reads the optional "print_policy" object (PRN-4). */
static qr_status_t parse_print_policy(json_t *b, qr_org_input_t *in, qr_err_t *err) {
    static const char *const keys[] = {"force_mono", "force_duplex", "max_pages_per_job", NULL};
    json_t *pol = json_object_get(b, "print_policy");
    int v = 0, given = 0;
    qr_status_t st;
    if (!pol)
        return QR_OK;
    if (!json_is_object(pol))
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'print_policy' must be an object");
    if ((st = qr_json_check_keys(pol, keys, err)) ||
        (st = qr_json_get_bool(pol, "force_mono", 0, &v, &given, err)))
        return st;
    in->print_force_mono = given ? v : -1;
    if ((st = qr_json_get_bool(pol, "force_duplex", 0, &v, &given, err)))
        return st;
    in->print_force_duplex = given ? v : -1;
    if ((st = qr_json_get_int(pol, "max_pages_per_job", 0, 0, 1000000, &in->print_max_pages, &given,
                              err)))
        return st;
    if (!given)
        in->print_max_pages = -1;
    return QR_OK;
}

/* Reads license limit key of lic into *v: absent leaves it unset, null is unlimited, else an
 * integer from 0 to max. */
static qr_status_t get_limit(json_t *lic, const char *key, long long max, long long *v,
                             qr_err_t *err) {
    json_t *x = json_object_get(lic, key);
    if (json_is_null(x)) {
        *v = QR_LIC_UNLIMITED;
        return QR_OK;
    }
    if (x && (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > max))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "license.%s must be an integer from 0 to %lld, or null for unlimited",
                          key, max);
    if (x)
        *v = json_integer_value(x);
    return QR_OK;
}

/* Reads the optional "license" and "retention" objects (the contract). */
static qr_status_t parse_contract(json_t *b, qr_org_input_t *in, qr_err_t *err) {
    qr_status_t st;
    json_t *lic = json_object_get(b, "license");
    if (lic) {
        static const char *const keys[] = {
            "devices", "ocr_pages_per_month", "storage_mb", "users", "features", NULL};
        if (!json_is_object(lic))
            return qr_err_set(err, QR_E_INVALID, NULL, "field 'license' must be an object");
        if ((st = qr_json_check_keys(lic, keys, err)) ||
            (st = get_limit(lic, "devices", 1000000, &in->lic_devices, err)) ||
            (st = get_limit(lic, "ocr_pages_per_month", 1000000000, &in->lic_ocr_pages, err)) ||
            (st = get_limit(lic, "storage_mb", 1000000000, &in->lic_storage_mb, err)) ||
            (st = get_limit(lic, "users", 1000000, &in->lic_users, err)))
            return st;
        in->lic_features = json_object_get(lic, "features");
    }
    json_t *ret = json_object_get(b, "retention");
    if (ret) {
        static const char *const keys[] = {"print_jobs_days", "scan_documents_days", "audit_days",
                                           NULL};
        if (!json_is_object(ret))
            return qr_err_set(err, QR_E_INVALID, NULL, "field 'retention' must be an object");
        if ((st = qr_json_check_keys(ret, keys, err)) ||
            (st = qr_json_get_int(ret, "print_jobs_days", 0, 1, 3650, &in->ret_print_days, NULL,
                                  err)) ||
            (st = qr_json_get_int(ret, "scan_documents_days", 0, 1, 3650, &in->ret_scan_days, NULL,
                                  err)) ||
            (st = qr_json_get_int(ret, "audit_days", 0, 1, 3650, &in->ret_audit_days, NULL, err)))
            return st;
    }
    return QR_OK;
}

/* Reads the optional "representative" object (TEN-2): name, email, phone, each a string. */
static qr_status_t parse_representative(json_t *b, qr_org_input_t *in, qr_err_t *err) {
    static const char *const keys[] = {"name", "email", "phone", NULL};
    json_t *rep = json_object_get(b, "representative");
    qr_status_t st;
    if (!rep)
        return QR_OK;
    if (!json_is_object(rep))
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'representative' must be an object");
    if ((st = qr_json_check_keys(rep, keys, err)) ||
        (st = qr_json_get_str(rep, "name", 0, 200 * 4, &in->rep_name, err)) ||
        (st = qr_json_get_str(rep, "email", 0, 254, &in->rep_email, err)))
        return st;
    return qr_json_get_str(rep, "phone", 0, 32, &in->rep_phone, err);
}

/* Reads the plain fields and the optional nested "print_policy", "license" and "retention"
 * objects, in that order (the first error wins). */
static qr_status_t parse_org(json_t *b, qr_org_input_t *in, int creating, qr_err_t *err) {
    qr_org_input_init(in);
    qr_status_t st = QR_OK;
    if (creating) {
        if ((st = qr_json_get_str(b, "parent_id", 1, 64, &in->parent_id, err)) ||
            (st = qr_json_get_str(b, "type", 1, 16, &in->type, err)) ||
            (st = qr_json_get_str(b, "slug", 1, QR_ORG_SLUG_MAX, &in->slug, err)))
            return st;
    }
    if ((st = qr_json_get_str(b, "name", creating, 200, &in->name, err)) ||
        (st = qr_json_get_str(b, "portal_url", 0, 2048, &in->portal_url, err)))
        return st;
    in->admin_emails = json_object_get(b, "admin_emails");
    int mfa = 0, present = 0;
    if ((st = qr_json_get_bool(b, "mfa_email", 0, &mfa, &present, err)))
        return st;
    in->mfa_email = present ? mfa : -1;
    if ((st = qr_json_get_str(b, "pin_mode", 0, 16, &in->pin_mode, err)))
        return st;
    in->pin_lengths = json_object_get(b, "pin_lengths");
    if ((st = qr_json_get_str(b, "time_zone", 0, 64, &in->time_zone, err)) ||
        (st = parse_print_policy(b, in, err)) || (st = parse_representative(b, in, err)))
        return st;
    /* TEN-7: the region, set by the parent; null leaves the org without one. */
    json_t *region = json_object_get(b, "region_id");
    if (json_is_null(region))
        in->region_id = "";
    else if ((st = qr_json_get_str(b, "region_id", 0, 64, &in->region_id, err)))
        return st;
    return parse_contract(b, in, err);
}

void qr_api_orgs_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_org_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_org_list(qr_req_ctx(r), qr_req_principal(r), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), org_json_fn);
    qr_org_list_free(items, n);
}

void qr_api_orgs_create(qr_req_t *r) {
    static const char *const keys[] = {"parent_id",  "type",           "name",      "slug",
                                       "portal_url", "admin_emails",   "license",   "retention",
                                       "admin",      "representative", "region_id", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    json_t *b = qr_req_body(r);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_org_input_t in;
    qr_admin_input_t admin = {0};
    json_t *out = NULL;
    qr_status_t st = parse_org(b, &in, 1, &err);
    json_t *a = json_object_get(b, "admin");
    if (!st && a) {
        static const char *const akeys[] = {"username", "email", "first_name", "last_name", NULL};
        if (!json_is_object(a))
            st = qr_err_set(&err, QR_E_INVALID, NULL, "field 'admin' must be an object");
        if (!st)
            st = qr_json_check_keys(a, akeys, &err);
        if (!st)
            st = qr_json_get_str(a, "username", 1, 256, &admin.username, &err);
        if (!st)
            st = qr_json_get_str(a, "email", 0, 254, &admin.email, &err);
        if (!st)
            st = qr_json_get_str(a, "first_name", 0, 256, &admin.first_name, &err);
        if (!st)
            st = qr_json_get_str(a, "last_name", 0, 256, &admin.last_name, &err);
    }
    qr_org_t org = {0};
    qr_user_t first = {0};
    char *password = NULL;
    if (!st)
        st = qr_org_setup_create(qr_req_ctx(r), qr_req_principal(r), &in, a ? &admin : NULL, &org,
                                 &first, &password, &err);
    if (!st) {
        out = org_json(&org);
        if (a) {
            json_t *u = qr_api_user_json(&first);
            json_object_set_new(u, "password", json_string(password));
            json_object_set_new(out, "admin", u);
        }
    }
    qr_api_finish(r, st, &err, out, 201);
    qr_org_clear(&org);
    qr_user_clear(&first);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
}

void qr_api_orgs_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_org_t g;
    qr_status_t st = qr_org_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &g, &err);
    finish_org(r, st, &err, &g, 200);
}

void qr_api_orgs_patch(qr_req_t *r) {
    static const char *const keys[] = {"name",      "portal_url",   "admin_emails",   "license",
                                       "retention", "mfa_email",    "pin_mode",       "pin_lengths",
                                       "time_zone", "print_policy", "representative", "region_id",
                                       NULL};
    if (qr_api_check_body(r, keys, org_read_only))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_org_input_t in;
    qr_org_t g = {0};
    qr_status_t st = parse_org(qr_req_body(r), &in, 0, &err);
    if (!st)
        st = qr_org_update(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &g, &err);
    finish_org(r, st, &err, &g, 200);
}

void qr_api_orgs_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_org_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

static json_t *audit_json_fn(const void *row) {
    const qr_audit_entry_t *e = row;
    return json_pack(
        "{s:I, s:I, s:o, s:s, s:o, s:s}", "id", (json_int_t)e->id, "time", (json_int_t)e->time,
        "actor_id", e->actor_id ? json_string(e->actor_id) : json_null(), "action", e->action,
        "target_id", e->target_id ? json_string(e->target_id) : json_null(), "detail", e->detail);
}

/* The CSV header of an audit export: audit_json_fn's keys, in its order. */
static const char *const audit_columns[] = {"id",        "time",   "actor_id", "action",
                                            "target_id", "detail", NULL};

/* The export's view of the domain cursor. */
static qr_status_t audit_next(void *cur, const void **rows, size_t *n, qr_err_t *err) {
    const qr_audit_entry_t *v = NULL;
    qr_status_t st = qr_audit_next(cur, &v, n, err);
    *rows = v;
    return st;
}

static void audit_close(void *cur) {
    qr_audit_close(cur);
}

void qr_api_org_audit(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_audit_filter_t f = {0};
    int limit, given, csv;
    long long after[2];
    if (qr_api_period_query(r, &f.from, &f.to) ||
        qr_api_page_query(r, QR_AUDIT_PAGE_MAX, &limit, &given, 2, after) || qr_api_format(r, &csv))
        return;
    f.action = qr_req_query(r, "action");
    f.actor_id = qr_req_query(r, "actor");
    f.target_id = qr_req_query(r, "target");
    f.before_time = after[0];
    f.before_id = after[1];
    qr_ctx_t *ctx = qr_req_ctx(r);
    const char *org_id = qr_req_param(r, 0);
    if (csv) {
        qr_audit_cursor_t *cur = NULL;
        if (qr_audit_open(ctx, qr_req_principal(r), org_id, &f, given ? limit : 0, &cur, &err)) {
            qr_req_reply_error(r, &err);
            return;
        }
        qr_api_export_t x = {cur,           audit_next,    audit_close, sizeof(qr_audit_entry_t),
                             audit_json_fn, audit_columns, NULL};
        qr_api_reply_export(r, &x);
        return;
    }
    qr_audit_entry_t *items = NULL;
    size_t n = 0;
    long long next_time = 0, next_id = 0;
    qr_status_t st = qr_audit_page(ctx, qr_req_principal(r), org_id, &f, limit, &items, &n,
                                   &next_time, &next_id, &err);
    char cursor[48];
    snprintf(cursor, sizeof(cursor), "%lld.%lld", next_time, next_id);
    qr_api_finish_page(r, st, &err, items, n, sizeof(*items), audit_json_fn,
                       next_id ? cursor : NULL);
    qr_audit_list_free(items, n);
}
