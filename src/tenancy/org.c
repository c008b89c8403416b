/* SPDX-License-Identifier: Apache-2.0 */
/* quire: organizations. The tree is a materialized path (/root/child/.../self/, ids are
 * hex) so "all descendants" is one range scan on an index (DESIGN rule 2). */
#include "tenancy/org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "core/mail.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/tz.h"
#include "store/audit.h"
#include "tenancy/license.h"
#include "tenancy/region.h"

int qr_org_slug_is_valid(const char *s) {
    size_t n = strlen(s);
    return n >= 3 && n <= QR_ORG_SLUG_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n && s[0] != '-' &&
           s[n - 1] != '-';
}

#define ORG_COLUMNS                                                                                \
    "o.id, o.parent_id, o.type, o.name, o.slug, o.portal_url, o.admin_emails, o.lic_devices, "     \
    "o.lic_ocr_pages, o.lic_storage_mb, o.lic_features, o.ret_print_days, o.ret_scan_days, "       \
    "o.ret_audit_days, o.created_at, o.path, o.depth, o.mfa_email, o.pin_mode, o.pin_lengths, "    \
    "o.time_zone, o.print_force_mono, o.print_force_duplex, o.print_max_pages, o.lic_users, "      \
    "o.rep_name, o.rep_email, o.rep_phone, o.region_id"

#define MAX_PARAMS 16

void qr_org_input_init(qr_org_input_t *in) {
    memset(in, 0, sizeof(*in));
    in->lic_devices = in->lic_ocr_pages = in->lic_storage_mb = in->lic_users = QR_LIC_UNSET;
    in->ret_print_days = in->ret_scan_days = in->ret_audit_days = -1;
    in->mfa_email = in->print_force_mono = in->print_force_duplex = -1;
    in->print_max_pages = -1;
}

static json_t *parse_array(const char *s) {
    json_t *v = s ? json_loads(s, 0, NULL) : NULL;
    if (!json_is_array(v)) {
        json_decref(v);
        v = json_array();
    }
    return v;
}

void qr_org_clear(qr_org_t *o) {
    free(o->type);
    free(o->name);
    free(o->slug);
    free(o->portal_url);
    json_decref(o->admin_emails);
    free(o->pin_mode);
    json_decref(o->pin_lengths);
    free(o->time_zone);
    free(o->rep_name);
    free(o->rep_email);
    free(o->rep_phone);
    json_decref(o->lic_features);
    memset(o, 0, sizeof(*o));
}

void qr_org_list_free(qr_org_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_org_clear(&v[i]);
    free(v);
}

/* Row i of a result selected with ORG_COLUMNS, as principal p may see it: license and
 * retention only with contract read access (TEN-3). */
static void org_from_row(const qr_principal_t *p, const qr_dbres_t *r, int i, qr_org_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    if (!qr_dbres_isnull(r, i, 1))
        snprintf(out->parent_id, sizeof(out->parent_id), "%s", qr_dbres_text(r, i, 1));
    out->type = qr_xstrdup(qr_dbres_text(r, i, 2));
    out->name = qr_xstrdup(qr_dbres_text(r, i, 3));
    out->slug = qr_xstrdup(qr_dbres_text(r, i, 4));
    out->portal_url = qr_xstrdup(qr_dbres_text(r, i, 5));
    out->admin_emails = parse_array(qr_dbres_text(r, i, 6));
    out->created_at = qr_dbres_int(r, i, 14);
    out->mfa_email = qr_dbres_int(r, i, 17) != 0;
    out->pin_mode = qr_xstrdup(qr_dbres_text(r, i, 18));
    out->pin_lengths = parse_array(qr_dbres_text(r, i, 19));
    out->time_zone = qr_xstrdup(qr_dbres_text(r, i, 20));
    out->print_force_mono = qr_dbres_int(r, i, 21) != 0;
    out->print_force_duplex = qr_dbres_int(r, i, 22) != 0;
    out->print_max_pages = qr_dbres_int(r, i, 23);
    if (!qr_dbres_isnull(r, i, 28))
        snprintf(out->region_id, sizeof(out->region_id), "%s", qr_dbres_text(r, i, 28));
    qr_relation_t rel = qr_policy_relation(p, qr_dbres_text(r, i, 15), (int)qr_dbres_int(r, i, 16));
    if (rel == QR_REL_SELF || rel == QR_REL_CHILD) {
        out->show_rep = 1;
        out->rep_name = qr_xstrdup(qr_dbres_text(r, i, 25));
        out->rep_email = qr_xstrdup(qr_dbres_text(r, i, 26));
        out->rep_phone = qr_xstrdup(qr_dbres_text(r, i, 27));
    }
    if (!qr_policy_allows(p, QR_RES_CONTRACT, rel, QR_ACCESS_READ))
        return;
    out->show_contract = 1;
    out->lic_devices = qr_dbres_int(r, i, 7);
    out->lic_ocr_pages = qr_dbres_int(r, i, 8);
    out->lic_storage_mb = qr_dbres_int(r, i, 9);
    out->lic_users = qr_dbres_int(r, i, 24);
    out->lic_features = parse_array(qr_dbres_text(r, i, 10));
    out->ret_print_days = qr_dbres_int(r, i, 11);
    out->ret_scan_days = qr_dbres_int(r, i, 12);
    out->ret_audit_days = qr_dbres_int(r, i, 13);
}

static int has_ctl(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static qr_status_t check_email(const char *field, const char *e, qr_err_t *err) {
    const char *at = strchr(e, '@');
    size_t n = strlen(e);
    if (n > 254 || !at || at == e || !at[1] || strchr(at + 1, '@') || strpbrk(e, " ,;<>\"") ||
        has_ctl(e) || !strchr(at + 1, '.'))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "%s must be an email address like name@example.com", field);
    return QR_OK;
}

static qr_status_t check_string_array(const char *field, json_t *a, size_t max_items, int is_email,
                                      qr_err_t *err) {
    if (!json_is_array(a))
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' must be an array of strings", field);
    if (json_array_size(a) > max_items)
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' has more than %zu entries", field,
                          max_items);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (!json_is_string(v))
            return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' must be an array of strings",
                              field);
        const char *s = json_string_value(v);
        if (is_email) {
            if (check_email(field, s, err))
                return QR_E_INVALID;
        } else {
            size_t n = strlen(s);
            if (n == 0 || n > 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
                return qr_err_set(err, QR_E_INVALID, NULL,
                                  "each of '%s' must be 1 to 32 of a-z, 0-9 and _", field);
        }
    }
    return QR_OK;
}

/* Checks the license's features: known names (license.h), each at most once. */
static qr_status_t check_features(json_t *a, qr_err_t *err) {
    if (check_string_array("features", a, 8, 0, err))
        return QR_E_INVALID;
    unsigned seen = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        unsigned bit = qr_feature_bit(json_string_value(v));
        if (!bit || (seen & bit)) {
            char all[96];
            qr_feature_names(QR_FEAT_ALL, all, sizeof(all));
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "features must list each of %s at most once; '%s' is %s", all,
                              json_string_value(v), bit ? "repeated" : "unknown");
        }
        seen |= bit;
    }
    return QR_OK;
}

qr_status_t qr_org_check_url(const char *field, const char *url, qr_err_t *err) {
    if (url && url[0] &&
        (strncmp(url, "https://", 8) != 0 || strlen(url) > 2048 || strlen(url) < 9 ||
         has_ctl(url) || strchr(url, ' ')))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "%s must be empty or an https:// URL of at most 2048 bytes", field);
    return QR_OK;
}

/* Checks name, type and slug where given; on create, they are required. */
static qr_status_t validate_identity(const qr_org_input_t *in, int creating, qr_err_t *err) {
    if (in->name) {
        size_t n = strlen(in->name);
        if (n == 0 || n > 200 || has_ctl(in->name) || in->name[0] == ' ' || in->name[n - 1] == ' ')
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "name must be 1 to 200 characters without control characters or "
                              "leading or trailing spaces");
    } else if (creating) {
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'name' is required");
    }
    if (in->type) {
        if (strcmp(in->type, "provider") != 0 && strcmp(in->type, "customer") != 0)
            return qr_err_set(err, QR_E_INVALID, NULL, "type must be 'provider' or 'customer'");
    } else if (creating) {
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'type' is required");
    }
    if (in->slug) {
        if (!qr_org_slug_is_valid(in->slug))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "slug must be 3 to %d of a-z, 0-9 and '-', not starting or ending "
                              "with '-'",
                              QR_ORG_SLUG_MAX);
    } else if (creating) {
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'slug' is required");
    }
    return QR_OK;
}

/* TEN-2: checks the representative's contact where given; "" clears a field. */
static qr_status_t validate_rep(const qr_org_input_t *in, qr_err_t *err) {
    const char *n = in->rep_name, *ph = in->rep_phone;
    if (n && (strlen(n) > 200 || has_ctl(n)))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "representative.name must be at most 200 characters without control "
                          "characters");
    if (in->rep_email && in->rep_email[0] &&
        check_email("representative.email", in->rep_email, err))
        return QR_E_INVALID;
    if (ph && ph[0] &&
        (strlen(ph) > 32 || strspn(ph, "0123456789 +-().") != strlen(ph) ||
         strcspn(ph, "0123456789") == strlen(ph)))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "representative.phone must be at most 32 of digits, spaces and + - ( ) "
                          ". with at least one digit, e.g. +49 30 1234567");
    return QR_OK;
}

/* Checks the allowed PIN lengths (AUTH-8): one or more of 4, 5, 6 and 8. */
static qr_status_t validate_pin_lengths(json_t *a, qr_err_t *err) {
    size_t i;
    json_t *v;
    int ok = json_is_array(a) && json_array_size(a) > 0 && json_array_size(a) <= 4;
    json_array_foreach(a, i, v) {
        json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
        ok = ok && (n == 4 || n == 5 || n == 6 || n == 8);
    }
    if (!ok)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "pin_lengths must list one or more of 4, 5, 6 and 8");
    return QR_OK;
}

/* Checks the fields that are given; on create, name, type and slug are required. */
static qr_status_t validate(const qr_org_input_t *in, int creating, qr_err_t *err) {
    if (validate_identity(in, creating, err))
        return QR_E_INVALID;
    if (qr_org_check_url("portal_url", in->portal_url, err))
        return QR_E_INVALID;
    if (in->admin_emails && check_string_array("admin_emails", in->admin_emails, 10, 1, err))
        return QR_E_INVALID;
    if (validate_rep(in, err))
        return QR_E_INVALID;
    if (in->lic_features && check_features(in->lic_features, err))
        return QR_E_INVALID;
    if (in->pin_mode && strcmp(in->pin_mode, "user_pin") != 0 &&
        strcmp(in->pin_mode, "pin_only") != 0)
        return qr_err_set(err, QR_E_INVALID, NULL, "pin_mode must be 'user_pin' or 'pin_only'");
    if (in->pin_lengths && validate_pin_lengths(in->pin_lengths, err))
        return QR_E_INVALID;
    if (in->time_zone && !qr_tz_valid(in->time_zone))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "time_zone must be an IANA time zone name such as 'Europe/Berlin' or "
                          "'UTC'");
    return QR_OK;
}

qr_status_t qr_org_resolve(qr_dbc_t *c, const qr_principal_t *p, const char *org_id,
                           qr_resource_t res, qr_access_t want, qr_org_ref_t *ref, qr_err_t *err) {
    if (!qr_id_is_valid(org_id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "organization not found");
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_policy_find(c, p, res,
                                    "SELECT o.id, o.parent_id, o.path, o.depth, o.type FROM orgs o "
                                    "WHERE o.id = ? AND ",
                                    org_id, &r);
    if (st == QR_E_NOT_FOUND && p->kind == QR_PRINCIPAL_CLIENT && strcmp(org_id, p->org_id) == 0) {
        /* An API key in its own org without the scope for this (REP-5, RFC 6750 3.1). */
        const char *need = qr_policy_client_scope_for(res);
        st = qr_err_set(err, QR_E_FORBIDDEN, "insufficient_scope",
                        "this token's scopes (%s) do not allow this: %s%s",
                        p->scopes[0] ? p->scopes : "none",
                        need ? "it needs "
                             : "API keys may "
                               "only read users (users:read) and the job log (joblog:read)",
                        need ? need : "");
    } else if (st == QR_E_NOT_FOUND)
        qr_err_set(err, st, NULL, "organization not found");
    if (st)
        goto out;
    memset(ref, 0, sizeof(*ref));
    snprintf(ref->id, sizeof(ref->id), "%s", qr_dbres_text(r, 0, 0));
    if (!qr_dbres_isnull(r, 0, 1))
        snprintf(ref->parent_id, sizeof(ref->parent_id), "%s", qr_dbres_text(r, 0, 1));
    snprintf(ref->path, sizeof(ref->path), "%s", qr_dbres_text(r, 0, 2));
    ref->depth = (int)qr_dbres_int(r, 0, 3);
    ref->is_customer = strcmp(qr_dbres_text(r, 0, 4), "customer") == 0;
    ref->rel = qr_policy_relation(p, ref->path, ref->depth);
    if (want == QR_ACCESS_WRITE && !qr_policy_allows(p, res, ref->rel, QR_ACCESS_WRITE))
        st = qr_err_set(err, QR_E_FORBIDDEN, NULL,
                        "your role may view but not change this organization's %s",
                        res == QR_RES_CONTRACT ? "license and retention" : "data");
out:
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_org_find_row(qr_dbc_t *c, const qr_principal_t *p, qr_resource_t res,
                            const char *select, const char *id, qr_access_t want, const char *what,
                            qr_dbres_t **r, qr_org_ref_t *ref, qr_err_t *err) {
    qr_status_t st = qr_policy_find(c, p, res, select, id, r);
    if (st == QR_E_NOT_FOUND)
        qr_err_set(err, st, NULL, "%s not found", what);
    if (!st)
        st = qr_org_resolve(c, p, qr_dbres_text(*r, 0, 0), res, want, ref, err);
    return st;
}

qr_status_t qr_org_list_rows(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                             qr_resource_t res, const char *sql, const qr_dbval_t *extra,
                             int nextra, size_t size, qr_org_row_fn fn, void *arg, void **items,
                             size_t *n, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    qr_dbval_t params[MAX_PARAMS];
    if (nextra < 0 || nextra >= MAX_PARAMS)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "too many list parameters");
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_org_resolve(c, p, org_id, res, QR_ACCESS_READ, &ref, err);
    if (!st) {
        params[0] = QR_TEXT(ref.id);
        for (int k = 0; k < nextra; k++)
            params[k + 1] = extra[k];
        st = qr_dbc_exec(c, sql, params, nextra + 1, &r, NULL);
    }
    if (!st) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n ? *n : 1, size);
        for (size_t i = 0; i < *n; i++)
            fn(c, r, (int)i, (char *)*items + i * size, arg);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr__org_read(qr_dbc_t *c, const qr_principal_t *p, const char *id, qr_org_t *out) {
    qr_dbres_t *r = NULL;
    memset(out, 0, sizeof(*out));
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT " ORG_COLUMNS " FROM orgs o WHERE o.id = ?", QR_TEXT(id));
    if (!st && qr_dbres_rows(r) == 1)
        org_from_row(p, r, 0, out);
    else if (!st)
        st = QR_E_NOT_FOUND;
    qr_dbres_free(r);
    return st;
}

static char *dump_or(json_t *v, const char *dflt) {
    return v ? qr_json_dump(v) : qr_xstrdup(dflt);
}

qr_status_t qr__org_check_new(qr_dbc_t *c, const qr_principal_t *p, const qr_org_input_t *in,
                              qr_org_ref_t *parent, qr_err_t *err) {
    if (!in->parent_id)
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'parent_id' is required");
    if (!qr_id_is_valid(in->parent_id))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "parent_id must be an id of 32 lowercase hexadecimal characters");
    if (validate(in, 1, err))
        return QR_E_INVALID;
    qr_status_t st = qr__region_check_id(c, in->region_id, err);
    if (st)
        return st;
    st = qr_org_resolve(c, p, in->parent_id, QR_RES_ORG, QR_ACCESS_READ, parent, err);
    if (st)
        return st;
    if (parent->is_customer)
        return qr_err_set(err, QR_E_INVALID, NULL, "a customer organization cannot have children");
    /* The new org would stand one level below the parent: ask the matrix about that. */
    qr_relation_t rel = parent->rel == QR_REL_SELF ? QR_REL_CHILD
                        : p->org_depth == 0        ? QR_REL_TREE
                                                   : QR_REL_DEEPER;
    if (!qr_policy_allows(p, QR_RES_ORG, rel, QR_ACCESS_WRITE))
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "only a provider admin of the parent organization can create its "
                          "children");
    if (parent->depth + 1 >= QR_ORG_MAX_DEPTH)
        return qr_err_set(err, QR_E_INVALID, NULL, "the organization tree is limited to %d levels",
                          QR_ORG_MAX_DEPTH);
    return QR_OK;
}

/* The feature bits of a validated array of names. */
static unsigned features_mask(json_t *a) {
    unsigned mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        mask |= qr_feature_bit(json_string_value(v));
    }
    return mask;
}

/* The stored form of feature bits: a JSON array of names. Returns a new string. */
static char *features_text(unsigned mask) {
    json_t *a = json_array();
    for (unsigned bit = 1; bit <= QR_FEAT_ALL; bit <<= 1)
        if (mask & bit)
            json_array_append_new(a, json_string(qr_feature_name(bit)));
    char *s = qr_json_dump(a);
    json_decref(a);
    return s;
}

/* A numeric limit of a new child: the given one, else 0 where zero_default, else unlimited
 * if the parent's is, else 0. */
static long long new_limit(long long given, long long parents, int zero_default) {
    if (given != QR_LIC_UNSET)
        return given;
    return !zero_default && parents == QR_LIC_UNLIMITED ? QR_LIC_UNLIMITED : 0;
}

/* The license of a new child (TEN-5): what in gives, else the defaults: devices and OCR pages
 * 0 for a customer; every other limit unlimited if the parent's is, else 0; the features print
 * and scan as far as the parent has them. Checked against the parent's license. */
static qr_status_t new_license(qr_dbc_t *c, const qr_org_input_t *in, const qr_org_ref_t *parent,
                               qr_license_t *out, qr_err_t *err) {
    qr_license_t pl;
    qr_status_t st = qr_license_read(c, parent->id, &pl);
    if (st)
        return qr_err_set(err, st, NULL, "the parent organization could not be read");
    int customer = strcmp(in->type, "customer") == 0;
    out->devices = new_limit(in->lic_devices, pl.devices, customer);
    out->ocr_pages = new_limit(in->lic_ocr_pages, pl.ocr_pages, customer);
    out->storage_mb = new_limit(in->lic_storage_mb, pl.storage_mb, 0);
    out->users = new_limit(in->lic_users, pl.users, 0);
    out->features =
        in->lic_features ? features_mask(in->lic_features) : (QR_FEAT_DEFAULT & pl.features);
    return qr_license_check_grant(c, parent->id, NULL, out, err);
}

qr_status_t qr__org_insert_row(qr_dbc_t *c, const qr_org_input_t *in, const qr_org_ref_t *parent,
                               int64_t now, char id[QR_ID_LEN + 1], qr_err_t *err) {
    qr_license_t lic;
    qr_status_t st = new_license(c, in, parent, &lic, err);
    if (st)
        return st;
    qr_random_id(id);
    char *path = qr_xasprintf("%s%s/", parent->path, id);
    char *emails = dump_or(in->admin_emails, "[]");
    char *features = features_text(lic.features);
    st = qr_db_q(
        c, NULL, NULL,
        "INSERT INTO orgs (id, parent_id, path, depth, type, name, slug, portal_url, "
        "admin_emails, lic_devices, lic_ocr_pages, lic_storage_mb, lic_users, lic_features, "
        "ret_print_days, ret_scan_days, ret_audit_days, created_at, updated_at, rep_name, "
        "rep_email, rep_phone, region_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "CASE WHEN CAST(? AS TEXT) IS NULL THEN (SELECT p.region_id FROM orgs p WHERE p.id = ?) "
        "ELSE NULLIF(CAST(? AS TEXT), '') END)",
        QR_TEXT(id), QR_TEXT(parent->id), QR_TEXT(path), QR_INT(parent->depth + 1),
        QR_TEXT(in->type), QR_TEXT(in->name), QR_TEXT(in->slug),
        QR_TEXT(in->portal_url ? in->portal_url : ""), QR_TEXT(emails), QR_INT(lic.devices),
        QR_INT(lic.ocr_pages), QR_INT(lic.storage_mb), QR_INT(lic.users), QR_TEXT(features),
        QR_INT(in->ret_print_days >= 0 ? in->ret_print_days : 7),
        QR_INT(in->ret_scan_days >= 0 ? in->ret_scan_days : 30),
        QR_INT(in->ret_audit_days >= 0 ? in->ret_audit_days : 365), QR_INT(now), QR_INT(now),
        QR_TEXT(in->rep_name ? in->rep_name : ""), QR_TEXT(in->rep_email ? in->rep_email : ""),
        QR_TEXT(in->rep_phone ? in->rep_phone : ""), QR_TEXT(in->region_id), QR_TEXT(parent->id),
        QR_TEXT(in->region_id));
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, NULL, "the slug '%s' is already taken", in->slug);
    free(path);
    free(emails);
    free(features);
    return st;
}

qr_status_t qr_org_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_org_t *out,
                       qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, id, QR_RES_ORG, QR_ACCESS_READ, &ref, err);
    if (!st)
        st = qr__org_read(c, p, ref.id, out);
    qr_db_release(c);
    return st;
}

qr_status_t qr_org_find_by_slug(qr_ctx_t *ctx, const char *slug, char id[QR_ID_LEN + 1],
                                char **name, qr_err_t *err) {
    *name = NULL;
    id[0] = '\0';
    if (!qr_org_slug_is_valid(slug))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "'%s' is not an organization slug (3 to %d of a-z, 0-9 and '-')", slug,
                          QR_ORG_SLUG_MAX);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT id, name FROM orgs WHERE slug = ?", QR_TEXT(slug));
    if (!st && qr_dbres_rows(r) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "no organization with slug '%s'", slug);
    else if (st)
        qr_err_set(err, st, NULL, "the database could not be read");
    if (!st) {
        snprintf(id, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 0));
        *name = qr_xstrdup(qr_dbres_text(r, 0, 1));
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_org_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_org_t **items, size_t *n,
                        qr_err_t *err) {
    (void)err;
    *items = NULL;
    *n = 0;
    qr_buf_t sql;
    qr_buf_init(&sql, 4096);
    qr_buf_puts(&sql, "SELECT " ORG_COLUMNS " FROM orgs o WHERE ");
    qr_dbval_t params[MAX_PARAMS];
    int np = 0;
    char scratch[512];
    qr_policy_scope(p, QR_RES_ORG, QR_ACCESS_READ, &sql, params, &np, MAX_PARAMS, scratch,
                    sizeof(scratch));
    qr_buf_puts(&sql, " ORDER BY o.path");
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_dbc_exec(c, sql.ptr, params, np, &r, NULL);
    qr_db_release(c);
    qr_buf_free(&sql);
    if (!st) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n ? *n : 1, sizeof(**items));
        for (size_t i = 0; i < *n; i++)
            org_from_row(p, r, (int)i, &(*items)[i]);
    }
    qr_dbres_free(r);
    return st;
}

/* 1 if the update touches the license. */
static int changes_license(const qr_org_input_t *in) {
    return in->lic_devices != QR_LIC_UNSET || in->lic_ocr_pages != QR_LIC_UNSET ||
           in->lic_storage_mb != QR_LIC_UNSET || in->lic_users != QR_LIC_UNSET || in->lic_features;
}

/* TEN-5: the license org ref would have after the update in, checked against its parent's
 * (and against what it uses). Call in the update's transaction. */
static qr_status_t check_license_change(qr_dbc_t *c, const qr_org_ref_t *ref,
                                        const qr_org_input_t *in, qr_err_t *err) {
    qr_license_t l;
    if (!changes_license(in))
        return QR_OK;
    if (!ref->parent_id[0])
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "the root provider's license is unlimited and cannot be changed");
    qr_status_t st = qr_license_read(c, ref->id, &l);
    if (st)
        return qr_err_set(err, st, NULL, "the license could not be read");
    l.devices = in->lic_devices != QR_LIC_UNSET ? in->lic_devices : l.devices;
    l.ocr_pages = in->lic_ocr_pages != QR_LIC_UNSET ? in->lic_ocr_pages : l.ocr_pages;
    l.storage_mb = in->lic_storage_mb != QR_LIC_UNSET ? in->lic_storage_mb : l.storage_mb;
    l.users = in->lic_users != QR_LIC_UNSET ? in->lic_users : l.users;
    l.features = in->lic_features ? features_mask(in->lic_features) : l.features;
    return qr_license_check_grant(c, ref->parent_id, ref->id, &l, err);
}

/* 1 if the update touches license or retention (the contract, set by the parent). */
static int changes_contract(const qr_org_input_t *in) {
    return changes_license(in) || in->region_id || in->ret_print_days >= 0 ||
           in->ret_scan_days >= 0 || in->ret_audit_days >= 0;
}

/* Checks that p may make the update in to org ref: the org's own fields need org write
 * access (so does an update that changes nothing), the contract contract write access. */
static qr_status_t check_update_access(const qr_principal_t *p, const qr_org_ref_t *ref,
                                       const qr_org_input_t *in, qr_err_t *err) {
    int contract = changes_contract(in);
    int record = in->name || in->portal_url || in->admin_emails || in->rep_name || in->rep_email ||
                 in->rep_phone || in->mfa_email >= 0 || in->pin_mode || in->pin_lengths ||
                 in->time_zone || in->print_force_mono >= 0 || in->print_force_duplex >= 0 ||
                 in->print_max_pages >= 0;
    if ((record || !contract) && !qr_policy_allows(p, QR_RES_ORG, ref->rel, QR_ACCESS_WRITE))
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "your role may view but not change this organization");
    if (contract && !qr_policy_allows(p, QR_RES_CONTRACT, ref->rel, QR_ACCESS_WRITE))
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "license and retention are set by the parent organization's provider "
                          "admin");
    return QR_OK;
}

qr_status_t qr_org_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                          const qr_org_input_t *in, qr_org_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (validate(in, 0, err))
        return QR_E_INVALID;
    if (in->mfa_email == 1 && !qr_mail_enabled(ctx->cfg))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "email MFA needs email delivery, which this server has not configured "
                          "(smtp_url)");
    int contract = changes_contract(in);
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    char *emails = NULL, *features = NULL, *pin_lengths = NULL;
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, id, QR_RES_ORG, QR_ACCESS_READ, &ref, err);
    if (st)
        goto out;
    if ((st = check_update_access(p, &ref, in, err)) ||
        (st = qr__region_check_id(c, in->region_id, err)))
        goto out;
    emails = in->admin_emails ? qr_json_dump(in->admin_emails) : NULL;
    features = in->lic_features ? features_text(features_mask(in->lic_features)) : NULL;
    pin_lengths = in->pin_lengths ? qr_json_dump(in->pin_lengths) : NULL;
    if ((st = qr_dbc_begin(c)))
        goto out;
    if ((st = check_license_change(c, &ref, in, err)))
        goto out;
    st = qr_db_q(
        c, NULL, NULL,
        "UPDATE orgs SET name = COALESCE(?, name), portal_url = COALESCE(?, portal_url), "
        "admin_emails = COALESCE(?, admin_emails), "
        "lic_devices = CASE WHEN ? <> -2 THEN ? ELSE lic_devices END, "
        "lic_ocr_pages = CASE WHEN ? <> -2 THEN ? ELSE lic_ocr_pages END, "
        "lic_storage_mb = CASE WHEN ? <> -2 THEN ? ELSE lic_storage_mb END, "
        "lic_users = CASE WHEN ? <> -2 THEN ? ELSE lic_users END, "
        "lic_features = COALESCE(?, lic_features), "
        "ret_print_days = CASE WHEN ? >= 0 THEN ? ELSE ret_print_days END, "
        "ret_scan_days = CASE WHEN ? >= 0 THEN ? ELSE ret_scan_days END, "
        "ret_audit_days = CASE WHEN ? >= 0 THEN ? ELSE ret_audit_days END, "
        "mfa_email = CASE WHEN ? >= 0 THEN ? ELSE mfa_email END, "
        "pin_mode = COALESCE(?, pin_mode), pin_lengths = COALESCE(?, pin_lengths), "
        "time_zone = COALESCE(?, time_zone), "
        "print_force_mono = CASE WHEN ? >= 0 THEN ? ELSE print_force_mono END, "
        "print_force_duplex = CASE WHEN ? >= 0 THEN ? ELSE print_force_duplex END, "
        "print_max_pages = CASE WHEN ? >= 0 THEN ? ELSE print_max_pages END, "
        "rep_name = COALESCE(?, rep_name), rep_email = COALESCE(?, rep_email), "
        "rep_phone = COALESCE(?, rep_phone), "
        "region_id = CASE WHEN CAST(? AS TEXT) IS NULL THEN region_id ELSE NULLIF(CAST(? AS TEXT), "
        "'') END, "
        "updated_at = ? WHERE id = ?",
        QR_TEXT(in->name), QR_TEXT(in->portal_url), QR_TEXT(emails), QR_INT(in->lic_devices),
        QR_INT(in->lic_devices), QR_INT(in->lic_ocr_pages), QR_INT(in->lic_ocr_pages),
        QR_INT(in->lic_storage_mb), QR_INT(in->lic_storage_mb), QR_INT(in->lic_users),
        QR_INT(in->lic_users), QR_TEXT(features), QR_INT(in->ret_print_days),
        QR_INT(in->ret_print_days), QR_INT(in->ret_scan_days), QR_INT(in->ret_scan_days),
        QR_INT(in->ret_audit_days), QR_INT(in->ret_audit_days), QR_INT(in->mfa_email),
        QR_INT(in->mfa_email), QR_TEXT(in->pin_mode), QR_TEXT(pin_lengths), QR_TEXT(in->time_zone),
        QR_INT(in->print_force_mono), QR_INT(in->print_force_mono), QR_INT(in->print_force_duplex),
        QR_INT(in->print_force_duplex), QR_INT(in->print_max_pages), QR_INT(in->print_max_pages),
        QR_TEXT(in->rep_name), QR_TEXT(in->rep_email), QR_TEXT(in->rep_phone),
        QR_TEXT(in->region_id), QR_TEXT(in->region_id), QR_INT(now), QR_TEXT(ref.id));
    if (st)
        goto out;
    const char *audit_org = ref.rel == QR_REL_SELF ? ref.id : p->org_id;
    qr_audit_write(c, now, audit_org, p->user_id, contract ? "org_license_changed" : "org_updated",
                   ref.id, "");
    if ((st = qr_dbc_commit(c)))
        goto out;
    st = qr__org_read(c, p, ref.id, out);
out:
    qr_db_release(c);
    free(emails);
    free(features);
    free(pin_lengths);
    return st;
}

qr_status_t qr_org_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_org_resolve(c, p, id, QR_RES_ORG, QR_ACCESS_WRITE, &ref, err);
    if (st)
        goto out;
    if (ref.rel == QR_REL_SELF) {
        st = qr_err_set(err, QR_E_FORBIDDEN, NULL,
                        "an organization cannot delete itself; its parent's admin can");
        goto out;
    }
    if ((st = qr_dbc_begin(c)))
        goto out;
    if ((st = qr_db_q(c, &r, NULL, "SELECT COUNT(*) FROM orgs WHERE parent_id = ?",
                      QR_TEXT(ref.id))))
        goto out;
    if (qr_dbres_int(r, 0, 0) > 0) {
        st = qr_err_set(err, QR_E_CONFLICT, "org_has_children",
                        "the organization has child organizations: delete them first");
        goto out;
    }
    if ((st = qr_db_q(c, NULL, NULL, "DELETE FROM orgs WHERE id = ?", QR_TEXT(ref.id))))
        goto out;
    qr_audit_write(c, now, p->org_id, p->user_id, "org_deleted", ref.id, "");
    st = qr_dbc_commit(c);
out:
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr__org_ensure_root(qr_dbc_t *c, int64_t now, char id[QR_ID_LEN + 1], int *created) {
    qr_dbres_t *r = NULL;
    char *path = NULL, *all = NULL;
    *created = 0;
    qr_status_t st = qr_db_q(
        c, &r, NULL, "SELECT id FROM orgs WHERE parent_id IS NULL AND depth = ?", QR_INT(0));
    if (st)
        goto out;
    if (qr_dbres_rows(r) > 0) {
        snprintf(id, QR_ID_LEN + 1, "%s", qr_dbres_text(r, 0, 0));
        goto out;
    }
    qr_random_id(id);
    path = qr_xasprintf("/%s/", id);
    all = features_text(QR_FEAT_ALL);
    st = qr_db_q(c, NULL, NULL,
                 "INSERT INTO orgs (id, parent_id, path, depth, type, name, slug, created_at, "
                 "updated_at, lic_devices, lic_ocr_pages, lic_storage_mb, lic_users, "
                 "lic_features) VALUES (?, NULL, ?, 0, 'provider', 'Root provider', 'root', ?, "
                 "?, -1, -1, -1, -1, ?)",
                 QR_TEXT(id), QR_TEXT(path), QR_INT(now), QR_INT(now), QR_TEXT(all));
    *created = !st;
out:
    free(path);
    free(all);
    qr_dbres_free(r);
    return st;
}

int qr_org_sweep_audit(qr_ctx_t *ctx) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    long long total = 0;
    /* Per org with expired rows: the newest id among them (the audit_org_when index). */
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT o.id, MAX(a.id) FROM orgs o JOIN audit a ON a.org_id = o.id "
                "AND a.time < CAST(? AS BIGINT) - 86400 * o.ret_audit_days GROUP BY o.id",
                QR_INT(now));
    for (int i = 0; !st && i < qr_dbres_rows(r); i++) {
        long long n = 0;
        if (qr_db_q(c, NULL, &n, "DELETE FROM audit WHERE org_id = ? AND id <= ?",
                    QR_TEXT(qr_dbres_text(r, i, 0)), QR_INT(qr_dbres_int(r, i, 1))) == QR_OK)
            total += n;
    }
    qr_dbres_free(r);
    qr_db_release(c);
    if (total)
        qr_log_info("audit_expired",
                    "deleted %lld audit entries past their organization's "
                    "retention (audit_days)",
                    total);
    return (int)total;
}
