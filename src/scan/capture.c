/* SPDX-License-Identifier: Apache-2.0 */
/* quire: document classes, destinations and workflows of an org (CAP-1, CAP-3, CAP-4, TEN-6). */
#include "scan/capture.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "crypto/aead.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "report/audit.h"
#include "scan/connector.h"
#include "scan/index.h"
#include "scan/pipeline.h"
#include "tenancy/license.h"
#include "tenancy/org.h"

#define MAX_NAME 100
#define MAX_DESCRIPTION 500
#define MAX_FOLDER 255
#define MAX_GROUPS 100
#define MAX_SECRET 1024

static const char *const tables[QR_CAPTURE_KIND_COUNT] = {"doc_classes", "destinations",
                                                          "workflows"};
static const char *const nouns[QR_CAPTURE_KIND_COUNT] = {"document class", "destination",
                                                         "workflow"};
/* The columns a row is read with, after t.id, t.org_id, o.path, o.depth. */
static const char *const columns[QR_CAPTURE_KIND_COUNT] = {
    "t.name, t.attributes, t.inherited_from, t.created_at, t.updated_at",
    "t.name, t.kind, t.settings, t.secret_sealed, t.created_at, t.updated_at",
    "t.name, t.definition, t.created_at, t.updated_at"};

static const char *const step_names[] = {"auto_rotate",  "deskew", "despeckle", "binarize",
                                         "remove_blank", "ocr",    "barcodes",  NULL};
static const int step_defaults[] = {1, 1, 0, 0, 0, 1, 0};

static json_t *parse(const char *s) {
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    return j ? j : json_null();
}

static void copy_id(char *dst, const char *src) {
    snprintf(dst, QR_ID_LEN + 1, "%s", src ? src : "");
}

/* The readers of row i of each kind (columns: t.id, t.org_id, o.path, o.depth, then
 * columns[kind]); the only places those columns are read. */
static void class_from_row(const qr_dbres_t *r, int i, qr_doc_class_t *out) {
    copy_id(out->id, qr_dbres_text(r, i, 0));
    copy_id(out->org_id, qr_dbres_text(r, i, 1));
    out->name = qr_dbres_strdup(r, i, 4);
    out->attributes = parse(qr_dbres_text(r, i, 5));
    out->inherited_from = qr_dbres_strdup(r, i, 6);
    out->created_at = qr_dbres_int(r, i, 7);
    out->updated_at = qr_dbres_int(r, i, 8);
}

static void destination_from_row(const qr_dbres_t *r, int i, qr_destination_t *out) {
    copy_id(out->id, qr_dbres_text(r, i, 0));
    copy_id(out->org_id, qr_dbres_text(r, i, 1));
    out->name = qr_dbres_strdup(r, i, 4);
    out->kind = qr_dbres_strdup(r, i, 5);
    out->settings = parse(qr_dbres_text(r, i, 6));
    out->has_secret = !qr_dbres_isnull(r, i, 7);
    out->created_at = qr_dbres_int(r, i, 8);
    out->updated_at = qr_dbres_int(r, i, 9);
}

static char *def_str(const json_t *def, const char *key) {
    return qr_xstrdup(json_string_value(json_object_get(def, key)));
}

static void workflow_from_row(const qr_dbres_t *r, int i, qr_workflow_t *out) {
    copy_id(out->id, qr_dbres_text(r, i, 0));
    copy_id(out->org_id, qr_dbres_text(r, i, 1));
    json_t *def = parse(qr_dbres_text(r, i, 5));
    out->name = def_str(def, "name");
    out->description = def_str(def, "description");
    out->format = def_str(def, "format");
    out->language = def_str(def, "language");
    out->folder = def_str(def, "folder");
    out->steps = json_incref(json_object_get(def, "steps"));
    out->rules = json_incref(json_object_get(def, "rules"));
    json_t *groups = json_object_get(def, "groups");
    out->groups = qr_xcalloc(json_array_size(groups) + 1, sizeof(char *));
    size_t k;
    json_t *g;
    json_array_foreach(groups, k, g) {
        out->groups[out->n_groups++] = qr_xstrdup(json_string_value(g));
    }
    out->enabled = json_is_true(json_object_get(def, "enabled"));
    out->class_id = def_str(def, "class_id");
    out->destination_id = def_str(def, "destination_id");
    out->created_at = qr_dbres_int(r, i, 6);
    out->updated_at = qr_dbres_int(r, i, 7);
    json_decref(def);
}

static void obj_from_row(qr_capture_kind_t kind, const qr_dbres_t *r, int i,
                         qr_capture_obj_t *out) {
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    if (kind == QR_CAPTURE_CLASS)
        class_from_row(r, i, &out->u.doc_class);
    else if (kind == QR_CAPTURE_DESTINATION)
        destination_from_row(r, i, &out->u.destination);
    else
        workflow_from_row(r, i, &out->u.workflow);
}

/* The org an object belongs to. */
static const char *obj_org_id(const qr_capture_obj_t *o) {
    if (o->kind == QR_CAPTURE_CLASS)
        return o->u.doc_class.org_id;
    if (o->kind == QR_CAPTURE_DESTINATION)
        return o->u.destination.org_id;
    return o->u.workflow.org_id;
}

void qr_capture_obj_clear(qr_capture_obj_t *o) {
    if (!o)
        return;
    if (o->kind == QR_CAPTURE_CLASS) {
        qr_doc_class_t *c = &o->u.doc_class;
        free(c->name);
        json_decref(c->attributes);
        free(c->inherited_from);
    } else if (o->kind == QR_CAPTURE_DESTINATION) {
        qr_destination_t *d = &o->u.destination;
        free(d->name);
        free(d->kind);
        json_decref(d->settings);
    } else {
        qr_workflow_t *w = &o->u.workflow;
        free(w->name);
        free(w->description);
        free(w->format);
        free(w->language);
        free(w->folder);
        json_decref(w->steps);
        json_decref(w->rules);
        for (size_t i = 0; i < w->n_groups; i++)
            free(w->groups[i]);
        free(w->groups);
        free(w->class_id);
        free(w->destination_id);
        free(w->warning);
    }
    memset(o, 0, sizeof(*o));
}

void qr_capture_obj_list_free(qr_capture_obj_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_capture_obj_clear(&v[i]);
    free(v);
}

static json_t *str_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

json_t *qr_workflow_definition(const qr_workflow_t *w) {
    json_t *groups = json_array();
    for (size_t i = 0; i < w->n_groups; i++)
        json_array_append_new(groups, str_or_null(w->groups[i]));
    json_t *j = json_object();
    json_object_set_new(j, "name", str_or_null(w->name));
    json_object_set_new(j, "description", str_or_null(w->description));
    if (w->steps)
        json_object_set(j, "steps", w->steps);
    json_object_set_new(j, "format", str_or_null(w->format));
    json_object_set_new(j, "language", str_or_null(w->language));
    json_object_set_new(j, "folder", str_or_null(w->folder));
    if (w->rules)
        json_object_set(j, "rules", w->rules);
    json_object_set_new(j, "groups", groups);
    json_object_set_new(j, "enabled", json_boolean(w->enabled));
    json_object_set_new(j, "class_id", str_or_null(w->class_id));
    json_object_set_new(j, "destination_id", str_or_null(w->destination_id));
    return j;
}

/* The object as a create body (its fields as stored, without id, org, times and what is
 * derived), for an update to lay the given fields over. A new object. */
static json_t *obj_body(const qr_capture_obj_t *o) {
    if (o->kind == QR_CAPTURE_CLASS)
        return json_pack("{s:s, s:O}", "name", o->u.doc_class.name, "attributes",
                         o->u.doc_class.attributes);
    if (o->kind == QR_CAPTURE_DESTINATION)
        return json_pack("{s:s, s:s, s:O}", "name", o->u.destination.name, "kind",
                         o->u.destination.kind, "settings", o->u.destination.settings);
    return qr_workflow_definition(&o->u.workflow);
}

/* The query of kind's rows (t.id, t.org_id, o.path, o.depth, then columns[kind]) whose WHERE
 * clause goes on with tail. A new string. */
static char *select_sql(qr_capture_kind_t kind, const char *tail) {
    return qr_xasprintf("SELECT t.id, t.org_id, o.path, o.depth, %s FROM %s t JOIN orgs o ON o.id "
                        "= t.org_id WHERE %s",
                        columns[kind], tables[kind], tail);
}

/* Reads object id of kind into *out if the principal may reach it with want; 404 otherwise
 * (403 when it may read but not write). */
static qr_status_t find(qr_dbc_t *c, const qr_principal_t *p, qr_capture_kind_t kind,
                        const char *id, qr_access_t want, qr_capture_obj_t *out, qr_err_t *err) {
    qr_dbres_t *r = NULL;
    char *sql = select_sql(kind, "t.id = ? AND ");
    qr_status_t st = qr_policy_find(c, p, QR_RES_CAPTURE, sql, id, &r);
    free(sql);
    if (st == QR_E_NOT_FOUND)
        st = qr_err_set(err, st, NULL, "%s not found", nouns[kind]);
    else if (st)
        st = qr_err_set(err, st, NULL, "the %s could not be read", nouns[kind]);
    if (!st) {
        qr_relation_t rel =
            qr_policy_relation(p, qr_dbres_text(r, 0, 2), (int)qr_dbres_int(r, 0, 3));
        obj_from_row(kind, r, 0, out);
        if (!qr_policy_allows(p, QR_RES_CAPTURE, rel, want))
            st = qr_err_set(err, QR_E_FORBIDDEN, NULL,
                            "only the organization's admin can change "
                            "its capture settings");
    }
    qr_dbres_free(r);
    return st;
}

/* TEN-5: sets the warning of each of the n workflows of one org in v that use OCR while the
 * org's license allows 0 OCR pages a month (a new customer's default): its scans would be
 * refused at submit, and the admin should know why before the first one. */
static void add_warnings(qr_dbc_t *c, qr_capture_obj_t *v, size_t n) {
    qr_license_t l;
    if (n == 0 || v[0].kind != QR_CAPTURE_WORKFLOW ||
        qr_license_read(c, v[0].u.workflow.org_id, &l) || l.ocr_pages != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        qr_workflow_t *w = &v[i].u.workflow;
        if (json_is_true(json_object_get(w->steps, "ocr")) && !w->warning)
            w->warning = qr_xstrdup("OCR is on, but the organization's license allows 0 OCR "
                                    "pages per month: scans with this workflow will be refused "
                                    "until your provider raises license.ocr_pages_per_month, or "
                                    "turn OCR off");
    }
}

/* 1 if a row of table with this id exists in org_id. */
static int exists_in_org(qr_dbc_t *c, const char *table, const char *id, const char *org_id) {
    char *sql = qr_xasprintf("SELECT 1 FROM %s WHERE id = ? AND org_id = ?", table);
    qr_dbres_t *r = NULL;
    int yes =
        qr_dbc_exec(c, sql, (qr_dbval_t[]){QR_TEXT(id), QR_TEXT(org_id)}, 2, &r, NULL) == QR_OK &&
        qr_dbres_rows(r) == 1;
    qr_dbres_free(r);
    free(sql);
    return yes;
}

/* A folder path as a workflow or a user gives it: "" or segments joined by '/', none empty,
 * "." or "..", no control characters or backslashes. */
static int valid_folder(const char *s) {
    if (strlen(s) > MAX_FOLDER)
        return 0;
    const char *seg = s;
    for (const char *q = s;; q++) {
        if (*q == '/' || !*q) {
            size_t n = (size_t)(q - seg);
            if (*s &&
                (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')))
                return 0;
            if (!*q)
                return 1;
            seg = q + 1;
        } else if ((unsigned char)*q < 0x20 || *q == 0x7f || *q == '\\') {
            return 0;
        }
    }
}

int qr_capture_folder_valid(const char *s) {
    return valid_folder(s);
}

static qr_status_t check_name(json_t *b, const char **name, qr_err_t *err) {
    return qr_json_get_str(b, "name", 1, MAX_NAME, name, err);
}

/* Validates a class body; *norm gets {name, attributes}. */
static qr_status_t check_class(json_t *b, json_t **norm, qr_err_t *err) {
    static const char *const keys[] = {"name", "attributes", NULL};
    const char *name;
    json_t *attrs = NULL;
    qr_status_t st = qr_json_check_keys(b, keys, err);
    if (!st)
        st = check_name(b, &name, err);
    /* No attributes given: an empty list (ours to free; the check only borrows it). */
    json_t *none = json_object_get(b, "attributes") ? NULL : json_array();
    if (!st)
        st = qr_index_check_attributes(none ? none : json_object_get(b, "attributes"), &attrs, err);
    json_decref(none);
    if (!st)
        *norm = json_pack("{s:s, s:o}", "name", name, "attributes", attrs);
    return st;
}

/* Validates a destination body; *norm gets {name, kind, settings}; *secret the secret given
 * ("" to remove it, NULL if not given). */
static qr_status_t check_destination(json_t *b, int stored_secret, json_t **norm,
                                     const char **secret, qr_err_t *err) {
    static const char *const keys[] = {"name", "kind", "settings", "secret", NULL};
    const char *name, *kind;
    *secret = NULL;
    qr_status_t st = qr_json_check_keys(b, keys, err);
    if (!st)
        st = check_name(b, &name, err);
    if (!st)
        st = qr_json_get_str(b, "kind", 1, 32, &kind, err);
    if (st)
        return st;
    const qr_connector_t *conn = qr_connector_find(kind);
    if (!conn)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "kind '%s' is not a destination kind quire has (webdav)", kind);
    json_t *settings = json_object_get(b, "settings"), *sec = json_object_get(b, "secret");
    if (!json_is_object(settings))
        return qr_err_set(err, QR_E_INVALID, NULL, "settings must be an object");
    if (sec && !json_is_null(sec) && (!json_is_string(sec) || json_string_length(sec) > MAX_SECRET))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "secret must be a string of at most %d bytes, or null to remove it",
                          MAX_SECRET);
    if (sec)
        *secret = json_is_null(sec) ? "" : json_string_value(sec);
    /* A secret kept from before counts as given (its value does not matter to the check). */
    const char *effective = *secret ? (**secret ? *secret : NULL) : stored_secret ? "*" : NULL;
    if ((st = conn->check(settings, effective, err)))
        return st;
    *norm = json_pack("{s:s, s:s, s:O}", "name", name, "kind", kind, "settings", settings);
    return QR_OK;
}

/* A workflow's plain fields as given in b (defaults for those absent). Strings are borrowed
 * from b (or static). */
typedef struct wf_fields {
    const char *name, *desc, *format, *lang, *folder;
    int enabled;
} wf_fields_t;

/* Reads and checks the plain fields of workflow body b into *f. */
static qr_status_t workflow_fields(json_t *b, wf_fields_t *f, qr_err_t *err) {
    f->desc = "";
    f->format = "pdf_text";
    f->lang = "eng";
    f->folder = "";
    f->enabled = 1;
    qr_status_t st = check_name(b, &f->name, err);
    if (!st && json_object_get(b, "description"))
        st = qr_json_get_str(b, "description", 0, MAX_DESCRIPTION, &f->desc, err);
    if (!f->desc)
        f->desc = ""; /* null clears it */
    if (!st && json_object_get(b, "format"))
        st = qr_json_get_str(b, "format", 1, 16, &f->format, err);
    if (!st && json_object_get(b, "language"))
        st = qr_json_get_str(b, "language", 1, 63, &f->lang, err);
    if (!st && json_object_get(b, "folder") && !json_is_string(json_object_get(b, "folder")))
        st = qr_err_set(err, QR_E_INVALID, NULL, "folder must be a string");
    if (!st && json_object_get(b, "folder"))
        f->folder = json_string_value(json_object_get(b, "folder"));
    if (!st)
        st = qr_json_get_bool(b, "enabled", 0, &f->enabled, NULL, err);
    if (!st && !json_object_get(b, "enabled"))
        f->enabled = 1;
    if (!st && !valid_folder(f->folder))
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "folder: at most %d bytes of '/'-separated names, none empty, '.' or "
                        "'..', without control characters or '\\'",
                        MAX_FOLDER);
    return st;
}

/* Steps: known switches only, each true or false; missing ones take their defaults. Fills the
 * object steps with every switch. */
static qr_status_t workflow_steps(const json_t *given, json_t *steps, qr_err_t *err) {
    if (given && !json_is_object(given))
        return qr_err_set(err, QR_E_INVALID, NULL, "steps must be an object of switches");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)given, key, v) {
        int known = 0;
        for (int i = 0; step_names[i]; i++)
            known |= strcmp(key, step_names[i]) == 0;
        if (!known || !json_is_boolean(v))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "steps.%s: the steps are auto_rotate, deskew, despeckle, binarize, "
                              "remove_blank, ocr and barcodes, each true or false",
                              key);
    }
    for (int i = 0; step_names[i]; i++) {
        json_t *s = json_object_get(given, step_names[i]);
        json_object_set_new(steps, step_names[i],
                            json_boolean(s ? json_is_true(s) : step_defaults[i]));
    }
    return QR_OK;
}

/* The output format and the language: known, and a searchable format needs the ocr step. */
static qr_status_t workflow_format(const wf_fields_t *f, const json_t *steps, qr_err_t *err) {
    int fmt = qr_scan_format_parse(f->format);
    if (fmt < 0)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "format '%s' is unknown: pdf, pdf_text, pdfa, tiff or jpeg", f->format);
    if ((fmt == QR_SCAN_PDF_TEXT || fmt == QR_SCAN_PDFA) &&
        !json_is_true(json_object_get(steps, "ocr")))
        return qr_err_set(err, QR_E_INVALID, NULL, "format %s is searchable: it needs the ocr step",
                          f->format);
    if (!qr_ocr_languages_valid(f->lang, err))
        return QR_E_INVALID;
    return QR_OK;
}

/* class_id and destination_id of b: null or an object of org_id (*class_id, *dest_id borrowed
 * from b; NULL for none). */
static qr_status_t workflow_refs(qr_dbc_t *c, const char *org_id, json_t *b, const char **class_id,
                                 const char **dest_id, qr_err_t *err) {
    json_t *cid = json_object_get(b, "class_id"), *did = json_object_get(b, "destination_id");
    *class_id = cid && !json_is_null(cid) ? json_string_value(cid) : NULL;
    *dest_id = did && !json_is_null(did) ? json_string_value(did) : NULL;
    if (cid && !json_is_null(cid) &&
        (!*class_id || !exists_in_org(c, "doc_classes", *class_id, org_id)))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "class_id must be a document class of the workflow's organization");
    if (did && !json_is_null(did) &&
        (!*dest_id || !exists_in_org(c, "destinations", *dest_id, org_id)))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "destination_id must be a destination of the workflow's organization "
                          "(or null: the user's download area)");
    return QR_OK;
}

/* The rules of b against the class's attributes (class_id may be NULL); a rule can only fill
 * what its step produces. *rules is new. */
static qr_status_t workflow_rules(qr_dbc_t *c, const char *class_id, json_t *b, const json_t *steps,
                                  json_t **rules, qr_err_t *err) {
    json_t *attrs = NULL;
    if (class_id) {
        qr_dbres_t *r = NULL;
        if (qr_db_q(c, &r, NULL, "SELECT attributes FROM doc_classes WHERE id = ?",
                    QR_TEXT(class_id)) == QR_OK &&
            qr_dbres_rows(r) == 1)
            attrs = parse(qr_dbres_text(r, 0, 0));
        qr_dbres_free(r);
    }
    qr_status_t st = qr_index_check_rules(attrs, json_object_get(b, "rules"), rules, err);
    json_decref(attrs);
    size_t ri;
    json_t *rule;
    json_array_foreach(st ? NULL : *rules, ri, rule) {
        int text = strcmp(json_string_value(json_object_get(rule, "source")), "text") == 0;
        if (!json_is_true(json_object_get(steps, text ? "ocr" : "barcodes")))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "rule %zu reads the %s: it needs the %s step", ri + 1,
                              text ? "recognized text" : "barcodes", text ? "ocr" : "barcodes");
    }
    return st;
}

/* The groups of b (null or an array of group ids of org_id), appended to groups. */
static qr_status_t workflow_groups(qr_dbc_t *c, const char *org_id, json_t *b, json_t *groups,
                                   qr_err_t *err) {
    json_t *g = json_object_get(b, "groups"), *v;
    if (!g || json_is_null(g))
        return QR_OK;
    if (!json_is_array(g) || json_array_size(g) > MAX_GROUPS)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "groups must be an array of at most %d group ids", MAX_GROUPS);
    size_t i;
    json_array_foreach(g, i, v) {
        if (!json_is_string(v) || !exists_in_org(c, "user_groups", json_string_value(v), org_id))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "groups[%zu] is not a group of the workflow's organization", i);
        json_array_append(groups, v);
    }
    return QR_OK;
}

/* Validates a workflow body for org_id; *norm gets the whole normalized definition. */
static qr_status_t check_workflow(qr_dbc_t *c, const char *org_id, json_t *b, json_t **norm,
                                  qr_err_t *err) {
    static const char *const keys[] = {"name",     "description", "steps",          "format",
                                       "language", "class_id",    "destination_id", "folder",
                                       "rules",    "groups",      "enabled",        NULL};
    wf_fields_t f;
    const char *class_id = NULL, *dest_id = NULL;
    json_t *steps = json_object(), *rules = NULL, *groups = json_array();
    qr_status_t st = qr_json_check_keys(b, keys, err);
    if (!st)
        st = workflow_fields(b, &f, err);
    if (!st)
        st = workflow_steps(json_object_get(b, "steps"), steps, err);
    if (!st)
        st = workflow_format(&f, steps, err);
    if (!st)
        st = workflow_refs(c, org_id, b, &class_id, &dest_id, err);
    if (!st)
        st = workflow_rules(c, class_id, b, steps, &rules, err);
    if (!st)
        st = workflow_groups(c, org_id, b, groups, err);
    if (st)
        goto out;
    *norm = json_pack("{s:s, s:s, s:O, s:s, s:s, s:s, s:O, s:O, s:b}", "name", f.name,
                      "description", f.desc, "steps", steps, "format", f.format, "language", f.lang,
                      "folder", f.folder, "rules", rules, "groups", groups, "enabled", f.enabled);
    json_object_set_new(*norm, "class_id", class_id ? json_string(class_id) : json_null());
    json_object_set_new(*norm, "destination_id", dest_id ? json_string(dest_id) : json_null());
out:
    json_decref(steps);
    json_decref(rules);
    json_decref(groups);
    return st;
}

/* Seals a destination secret under the destination's id; NULL for "" (no secret). */
static char *seal(qr_ctx_t *ctx, const char *id, const char *secret) {
    if (!secret || !*secret)
        return NULL;
    return qr_aead_seal(ctx->keys->secret_seal, id, secret, strlen(secret));
}

/* The row writers of store, one per kind: norm (validated) as object id; insert or update. */
static qr_status_t store_class(qr_dbc_t *c, int insert, const char *id, const char *org_id,
                               const json_t *norm, long long now) {
    const char *name = json_string_value(json_object_get(norm, "name"));
    char *a = qr_json_dump(json_object_get(norm, "attributes"));
    qr_status_t st = insert ? qr_db_q(c, NULL, NULL,
                                      "INSERT INTO doc_classes (id, org_id, name, attributes, "
                                      "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                                      QR_TEXT(id), QR_TEXT(org_id), QR_TEXT(name), QR_TEXT(a),
                                      QR_INT(now), QR_INT(now))
                            : qr_db_q(c, NULL, NULL,
                                      "UPDATE doc_classes SET name = ?, attributes = ?, "
                                      "updated_at = ? WHERE id = ?",
                                      QR_TEXT(name), QR_TEXT(a), QR_INT(now), QR_TEXT(id));
    free(a);
    return st;
}

/* secret: the new one ("" removes it), or NULL to keep the stored one. */
static qr_status_t store_destination(qr_ctx_t *ctx, qr_dbc_t *c, int insert, const char *id,
                                     const char *org_id, const json_t *norm, const char *secret,
                                     long long now, qr_err_t *err) {
    const char *name = json_string_value(json_object_get(norm, "name"));
    const char *kind = json_string_value(json_object_get(norm, "kind"));
    char *sealed = seal(ctx, id, secret);
    if (secret && *secret && !sealed)
        return qr_err_set(err, QR_E_CRYPTO, NULL, "the secret could not be sealed");
    char *a = qr_json_dump(json_object_get(norm, "settings"));
    qr_status_t st =
        insert ? qr_db_q(c, NULL, NULL,
                         "INSERT INTO destinations (id, org_id, name, kind, settings, "
                         "secret_sealed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         QR_TEXT(id), QR_TEXT(org_id), QR_TEXT(name), QR_TEXT(kind), QR_TEXT(a),
                         QR_TEXT(sealed), QR_INT(now), QR_INT(now))
               : qr_db_q(c, NULL, NULL,
                         "UPDATE destinations SET name = ?, kind = ?, settings = ?, "
                         "secret_sealed = CASE WHEN ? = 1 THEN ? ELSE secret_sealed END, "
                         "updated_at = ? WHERE id = ?",
                         QR_TEXT(name), QR_TEXT(kind), QR_TEXT(a), QR_INT(secret != NULL),
                         QR_TEXT(sealed), QR_INT(now), QR_TEXT(id));
    free(a);
    free(sealed);
    return st;
}

static qr_status_t store_workflow(qr_dbc_t *c, int insert, const char *id, const char *org_id,
                                  const json_t *norm, long long now) {
    const char *name = json_string_value(json_object_get(norm, "name"));
    const char *cid = json_string_value(json_object_get(norm, "class_id"));
    const char *did = json_string_value(json_object_get(norm, "destination_id"));
    int en = json_is_true(json_object_get(norm, "enabled"));
    char *a = qr_json_dump(norm);
    qr_status_t st = insert
                         ? qr_db_q(c, NULL, NULL,
                                   "INSERT INTO workflows (id, org_id, name, definition, "
                                   "class_id, destination_id, enabled, created_at, updated_at) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                   QR_TEXT(id), QR_TEXT(org_id), QR_TEXT(name), QR_TEXT(a),
                                   QR_TEXT(cid), QR_TEXT(did), QR_INT(en), QR_INT(now), QR_INT(now))
                         : qr_db_q(c, NULL, NULL,
                                   "UPDATE workflows SET name = ?, definition = ?, class_id = "
                                   "?, destination_id = ?, enabled = ?, updated_at = ? WHERE "
                                   "id = ?",
                                   QR_TEXT(name), QR_TEXT(a), QR_TEXT(cid), QR_TEXT(did),
                                   QR_INT(en), QR_INT(now), QR_TEXT(id));
    free(a);
    return st;
}

/* Writes norm (validated) as object id of kind; insert or update. */
static qr_status_t store(qr_ctx_t *ctx, qr_dbc_t *c, qr_capture_kind_t kind, int insert,
                         const char *id, const char *org_id, json_t *norm, const char *secret,
                         long long now, qr_err_t *err) {
    qr_status_t st;
    if (kind == QR_CAPTURE_CLASS)
        st = store_class(c, insert, id, org_id, norm, now);
    else if (kind == QR_CAPTURE_DESTINATION)
        st = store_destination(ctx, c, insert, id, org_id, norm, secret, now, err);
    else
        st = store_workflow(c, insert, id, org_id, norm, now);
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, "name_taken", "the organization already has a %s called '%s'",
                   nouns[kind], json_string_value(json_object_get(norm, "name")));
    else if (st && err && !err->status)
        qr_err_set(err, st, NULL, "the %s could not be stored", nouns[kind]);
    return st;
}

static qr_status_t validate(qr_dbc_t *c, qr_capture_kind_t kind, const char *org_id, json_t *b,
                            int stored_secret, json_t **norm, const char **secret, qr_err_t *err) {
    *secret = NULL;
    *norm = NULL;
    if (kind == QR_CAPTURE_CLASS)
        return check_class(b, norm, err);
    if (kind == QR_CAPTURE_DESTINATION)
        return check_destination(b, stored_secret, norm, secret, err);
    return check_workflow(c, org_id, b, norm, err);
}

static qr_status_t read_one(qr_dbc_t *c, qr_capture_kind_t kind, const char *id,
                            qr_capture_obj_t *out) {
    char *sql = select_sql(kind, "t.id = ?");
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_dbc_exec(c, sql, (qr_dbval_t[]){QR_TEXT(id)}, 1, &r, NULL);
    if (!st && qr_dbres_rows(r) == 1)
        obj_from_row(kind, r, 0, out);
    else if (!st)
        st = QR_E_NOT_FOUND;
    qr_dbres_free(r);
    free(sql);
    return st;
}

qr_status_t qr_capture_create(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *org_id, json_t *body, qr_capture_obj_t *out,
                              qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    json_t *norm = NULL;
    const char *secret = NULL;
    char id[QR_ID_LEN + 1];
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_CAPTURE, QR_ACCESS_WRITE, &ref, err);
    if (!st)
        st = validate(c, kind, ref.id, body, 0, &norm, &secret, err);
    if (st)
        goto out;
    qr_random_id(id);
    if ((st = store(ctx, c, kind, 1, id, ref.id, norm, secret, now, err)))
        goto out;
    qr_audit_write(c, now, ref.id, p->user_id, "capture_created", id, nouns[kind]);
    if (!(st = read_one(c, kind, id, out)))
        add_warnings(c, out, 1);
out:
    json_decref(norm);
    qr_db_release(c);
    return st;
}

qr_status_t qr_capture_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                            const char *org_id, qr_capture_obj_t **items, size_t *n,
                            qr_err_t *err) {
    *items = NULL;
    *n = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_CAPTURE, QR_ACCESS_READ, &ref, err);
    if (!st) {
        char *sql = select_sql(kind, "t.org_id = ? ORDER BY t.name, t.id");
        st = qr_dbc_exec(c, sql, (qr_dbval_t[]){QR_TEXT(ref.id)}, 1, &r, NULL);
        free(sql);
    }
    if (!st) {
        int rows = qr_dbres_rows(r);
        *items = qr_xcalloc((size_t)rows + 1, sizeof(**items));
        for (int i = 0; i < rows; i++)
            obj_from_row(kind, r, i, &(*items)[i]);
        *n = (size_t)rows;
        add_warnings(c, *items, *n);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_capture_get(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                           const char *id, qr_capture_obj_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = find(c, p, kind, id, QR_ACCESS_READ, out, err);
    if (st)
        qr_capture_obj_clear(out);
    else
        add_warnings(c, out, 1);
    qr_db_release(c);
    return st;
}

qr_status_t qr_capture_update(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *id, json_t *body, qr_capture_obj_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_capture_obj_t old;
    memset(&old, 0, sizeof(old));
    json_t *cur = NULL, *norm = NULL;
    const char *secret = NULL, *key;
    json_t *v;
    char org_id[QR_ID_LEN + 1];
    qr_status_t st = find(c, p, kind, id, QR_ACCESS_WRITE, &old, err);
    if (st)
        goto out;
    snprintf(org_id, sizeof(org_id), "%s", obj_org_id(&old));
    /* The current object with the given fields laid over it, validated as a whole. */
    cur = obj_body(&old);
    json_object_foreach(body, key, v) {
        json_object_set(cur, key, v);
    }
    int stored = kind == QR_CAPTURE_DESTINATION && old.u.destination.has_secret;
    if ((st = validate(c, kind, org_id, cur, stored, &norm, &secret, err)))
        goto out;
    if ((st = store(ctx, c, kind, 0, id, org_id, norm, secret, now, err)))
        goto out;
    qr_audit_write(c, now, org_id, p->user_id, "capture_updated", id, nouns[kind]);
    if (!(st = read_one(c, kind, id, out)))
        add_warnings(c, out, 1);
out:
    qr_capture_obj_clear(&old);
    json_decref(cur);
    json_decref(norm);
    qr_db_release(c);
    return st;
}

qr_status_t qr_capture_delete(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *id, qr_err_t *err) {
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *u = NULL;
    qr_capture_obj_t old;
    memset(&old, 0, sizeof(old));
    qr_status_t st = find(c, p, kind, id, QR_ACCESS_WRITE, &old, err);
    if (st)
        goto out;
    if (kind != QR_CAPTURE_WORKFLOW) {
        st = qr_db_q(c, &u, NULL,
                     kind == QR_CAPTURE_CLASS
                         ? "SELECT name FROM workflows WHERE class_id = ? ORDER BY name"
                         : "SELECT name FROM workflows WHERE destination_id = ? ORDER BY name",
                     QR_TEXT(id));
        if (!st && qr_dbres_rows(u) > 0) {
            st = qr_err_set(err, QR_E_CONFLICT, "in_use", "the %s is used by workflow '%s'",
                            nouns[kind], qr_dbres_text(u, 0, 0));
            goto out;
        }
    }
    char *sql = qr_xasprintf("DELETE FROM %s WHERE id = ?", tables[kind]);
    if (!st)
        st = qr_dbc_exec(c, sql, (qr_dbval_t[]){QR_TEXT(id)}, 1, NULL, NULL);
    free(sql);
    if (!st)
        qr_audit_write(c, now, obj_org_id(&old), p->user_id, "capture_deleted", id, nouns[kind]);
out:
    qr_capture_obj_clear(&old);
    qr_dbres_free(u);
    qr_db_release(c);
    return st;
}

/* 1 if the principal may use workflow definition w: no groups, or a member of one. */
static int may_use(const json_t *w, const qr_dbres_t *mine) {
    json_t *groups = json_object_get(w, "groups");
    if (json_array_size(groups) == 0)
        return 1;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        for (int k = 0; k < qr_dbres_rows(mine); k++)
            if (strcmp(qr_dbres_text(mine, k, 0), json_string_value(g)) == 0)
                return 1;
    }
    return 0;
}

/* The definitions of the enabled workflows of the principal's org it may use, with the class's
 * attributes; one workflow if id is given. */
static qr_status_t usable(qr_dbc_t *c, const qr_principal_t *p, const char *id, json_t **items) {
    qr_dbres_t *r = NULL, *mine = NULL;
    *items = json_array();
    qr_status_t st = qr_db_q(c, &mine, NULL, "SELECT group_id FROM group_members WHERE user_id = ?",
                             QR_TEXT(p->user_id));
    if (!st)
        st =
            qr_db_q(c, &r, NULL,
                    "SELECT w.id, w.definition, k.name, k.attributes, d.kind, d.settings FROM "
                    "workflows w LEFT JOIN doc_classes k ON k.id = w.class_id LEFT JOIN "
                    "destinations d ON d.id = w.destination_id WHERE w.org_id = ? AND "
                    "w.enabled = 1 AND (CAST(? AS TEXT) IS NULL OR w.id = ?) ORDER BY w.name, w.id",
                    QR_TEXT(p->org_id), QR_TEXT(id), QR_TEXT(id));
    for (int i = 0; !st && i < qr_dbres_rows(r); i++) {
        json_t *w = parse(qr_dbres_text(r, i, 1));
        if (!json_is_object(w) || !may_use(w, mine)) {
            json_decref(w);
            continue;
        }
        json_object_set_new(w, "id", json_string(qr_dbres_text(r, i, 0)));
        json_object_set_new(w, "class_name",
                            qr_dbres_isnull(r, i, 2) ? json_null()
                                                     : json_string(qr_dbres_text(r, i, 2)));
        json_t *attrs = qr_dbres_isnull(r, i, 3) ? json_array() : parse(qr_dbres_text(r, i, 3));
        json_object_set_new(w, "attributes", attrs);
        if (!qr_dbres_isnull(r, i, 4))
            json_object_set_new(w, "destination",
                                json_pack("{s:s, s:o}", "kind", qr_dbres_text(r, i, 4), "settings",
                                          parse(qr_dbres_text(r, i, 5))));
        else
            json_object_set_new(w, "destination", json_null());
        json_array_append_new(*items, w);
    }
    qr_dbres_free(r);
    qr_dbres_free(mine);
    return st;
}

void qr_usable_workflow_list_free(qr_usable_workflow_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].name);
        free(v[i].description);
        free(v[i].format);
        free(v[i].folder);
        free(v[i].class_name);
        json_decref(v[i].fields);
    }
    free(v);
}

/* The class's attributes of usable workflow w, each marked with whether a rule fills it. */
static json_t *panel_fields(const json_t *w) {
    json_t *filled = json_object(), *fields = json_array(), *rule, *a;
    size_t k;
    json_array_foreach(json_object_get(w, "rules"), k, rule) {
        json_object_set_new(filled, json_string_value(json_object_get(rule, "attribute")),
                            json_true());
    }
    json_array_foreach(json_object_get(w, "attributes"), k, a) {
        json_t *f = json_deep_copy(a);
        json_object_set_new(f, "filled_by_rule",
                            json_boolean(json_object_get(filled, json_string_value(json_object_get(
                                                                     a, "name"))) != NULL));
        json_array_append_new(fields, f);
    }
    json_decref(filled);
    return fields;
}

qr_status_t qr_capture_usable(qr_ctx_t *ctx, const qr_principal_t *p, qr_usable_workflow_t **items,
                              size_t *n, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    json_t *all = NULL;
    qr_status_t st = usable(c, p, NULL, &all);
    qr_db_release(c);
    if (st) {
        json_decref(all);
        return qr_err_set(err, st, NULL, "the workflows could not be read");
    }
    /* What the panel needs: no rules, groups or destination settings. */
    *items = qr_xcalloc(json_array_size(all) + 1, sizeof(**items));
    size_t i;
    json_t *w;
    json_array_foreach(all, i, w) {
        qr_usable_workflow_t *u = &(*items)[i];
        copy_id(u->id, json_string_value(json_object_get(w, "id")));
        u->name = def_str(w, "name");
        u->description = def_str(w, "description");
        u->format = def_str(w, "format");
        u->folder = def_str(w, "folder");
        u->class_name = def_str(w, "class_name");
        u->fields = panel_fields(w);
    }
    *n = json_array_size(all);
    json_decref(all);
    return QR_OK;
}

qr_status_t qr_capture_snapshot(qr_ctx_t *ctx, const qr_principal_t *p, const char *workflow_id,
                                json_t **out, qr_err_t *err) {
    *out = NULL;
    if (!qr_id_is_valid(workflow_id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "workflow not found");
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    json_t *items = NULL;
    qr_status_t st = usable(c, p, workflow_id, &items);
    qr_db_release(c);
    if (!st && json_array_size(items) == 1)
        *out = json_incref(json_array_get(items, 0));
    else if (!st)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "workflow not found (or not yours to use)");
    else
        qr_err_set(err, st, NULL, "the workflow could not be read");
    json_decref(items);
    return st;
}

qr_status_t qr_capture_destination_secret(qr_ctx_t *ctx, const char *org_id, const char *id,
                                          json_t **settings, char **secret, qr_err_t *err) {
    *settings = NULL;
    *secret = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT settings, secret_sealed FROM destinations WHERE id = ? AND "
                             "org_id = ?",
                             QR_TEXT(id), QR_TEXT(org_id));
    if (!st && qr_dbres_rows(r) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "the destination was deleted");
    if (!st) {
        *settings = parse(qr_dbres_text(r, 0, 0));
        if (!qr_dbres_isnull(r, 0, 1)) {
            size_t n = 0;
            unsigned char *plain =
                qr_aead_open(ctx->keys->secret_seal, id, qr_dbres_text(r, 0, 1), &n);
            if (!plain) {
                st = qr_err_set(err, QR_E_CRYPTO, NULL, "the destination's secret is damaged");
            } else {
                *secret = qr_xstrndup((const char *)plain, n);
                OPENSSL_cleanse(plain, n);
                free(plain);
            }
        }
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr__capture_inherit(qr_dbc_t *c, const char *parent_id, const char *child_id,
                                long long now) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT id, name, attributes FROM doc_classes WHERE org_id = ? ORDER "
                             "BY name",
                             QR_TEXT(parent_id));
    for (int i = 0; !st && i < qr_dbres_rows(r); i++) {
        char id[QR_ID_LEN + 1];
        qr_random_id(id);
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO doc_classes (id, org_id, name, attributes, inherited_from, "
                     "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     QR_TEXT(id), QR_TEXT(child_id), QR_TEXT(qr_dbres_text(r, i, 1)),
                     QR_TEXT(qr_dbres_text(r, i, 2)), QR_TEXT(qr_dbres_text(r, i, 0)), QR_INT(now),
                     QR_INT(now));
    }
    qr_dbres_free(r);
    return st;
}
