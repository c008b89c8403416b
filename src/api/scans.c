/* SPDX-License-Identifier: Apache-2.0 */
/* quire: capture — /api/v1/orgs/{id}/{classes,destinations,workflows}, /api/v1/{classes,
 * destinations,workflows}/{id}, /api/v1/me/workflows, /api/v1/scans (start at the panel,
 * upload streamed files, submit, status, download area). The org's usage is api/reports.c's. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/json.h"
#include "core/log.h"
#include "scan/capture.h"
#include "scan/scan.h"
#include "store/blob.h"

static json_t *text_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

/* The API forms of the three kinds of setup object. */
static json_t *class_json(const qr_doc_class_t *k) {
    json_t *j = json_pack("{s:s, s:s, s:s, s:O, s:I, s:I}", "id", k->id, "org_id", k->org_id,
                          "name", k->name, "attributes", k->attributes, "created_at",
                          (json_int_t)k->created_at, "updated_at", (json_int_t)k->updated_at);
    json_object_set_new(j, "inherited_from", text_or_null(k->inherited_from));
    return j;
}

static json_t *destination_json(const qr_destination_t *d) {
    return json_pack("{s:s, s:s, s:s, s:s, s:O, s:b, s:I, s:I}", "id", d->id, "org_id", d->org_id,
                     "name", d->name, "kind", d->kind, "settings", d->settings, "has_secret",
                     d->has_secret, "created_at", (json_int_t)d->created_at, "updated_at",
                     (json_int_t)d->updated_at);
}

/* A workflow: its definition's fields in the order they are stored, then id, org and times. */
static json_t *workflow_json(const qr_workflow_t *w) {
    json_t *j = qr_workflow_definition(w);
    json_object_set_new(j, "id", json_string(w->id));
    json_object_set_new(j, "org_id", json_string(w->org_id));
    json_object_set_new(j, "created_at", json_integer(w->created_at));
    json_object_set_new(j, "updated_at", json_integer(w->updated_at));
    if (w->warning)
        json_object_set_new(j, "warning", json_string(w->warning));
    return j;
}

static json_t *capture_json(const void *row) {
    const qr_capture_obj_t *o = row;
    if (o->kind == QR_CAPTURE_CLASS)
        return class_json(&o->u.doc_class);
    if (o->kind == QR_CAPTURE_DESTINATION)
        return destination_json(&o->u.destination);
    return workflow_json(&o->u.workflow);
}

/* Answers with the object (ok_status) or the error; clears o. */
static void finish_capture(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_capture_obj_t *o,
                           int ok_status) {
    qr_api_finish(r, st, err, st ? NULL : capture_json(o), ok_status);
    qr_capture_obj_clear(o);
}

static void create(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_capture_obj_t o;
    qr_status_t st = qr_capture_create(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0),
                                       qr_req_body(r), &o, &err);
    finish_capture(r, st, &err, &o, 201);
}

static void list(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_capture_obj_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_capture_list(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0),
                                     &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), capture_json);
    qr_capture_obj_list_free(items, n);
}

static void get(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_capture_obj_t o;
    qr_status_t st =
        qr_capture_get(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0), &o, &err);
    finish_capture(r, st, &err, &o, 200);
}

static void patch(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_capture_obj_t o;
    qr_status_t st = qr_capture_update(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0),
                                       qr_req_body(r), &o, &err);
    finish_capture(r, st, &err, &o, 200);
}

static void del(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st =
        qr_capture_delete(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_classes_create(qr_req_t *r) {
    create(r, QR_CAPTURE_CLASS);
}
void qr_api_classes_list(qr_req_t *r) {
    list(r, QR_CAPTURE_CLASS);
}
void qr_api_classes_get(qr_req_t *r) {
    get(r, QR_CAPTURE_CLASS);
}
void qr_api_classes_patch(qr_req_t *r) {
    patch(r, QR_CAPTURE_CLASS);
}
void qr_api_classes_delete(qr_req_t *r) {
    del(r, QR_CAPTURE_CLASS);
}
void qr_api_destinations_create(qr_req_t *r) {
    create(r, QR_CAPTURE_DESTINATION);
}
void qr_api_destinations_list(qr_req_t *r) {
    list(r, QR_CAPTURE_DESTINATION);
}
void qr_api_destinations_get(qr_req_t *r) {
    get(r, QR_CAPTURE_DESTINATION);
}
void qr_api_destinations_patch(qr_req_t *r) {
    patch(r, QR_CAPTURE_DESTINATION);
}
void qr_api_destinations_delete(qr_req_t *r) {
    del(r, QR_CAPTURE_DESTINATION);
}
void qr_api_workflows_create(qr_req_t *r) {
    create(r, QR_CAPTURE_WORKFLOW);
}
void qr_api_workflows_list(qr_req_t *r) {
    list(r, QR_CAPTURE_WORKFLOW);
}
void qr_api_workflows_get(qr_req_t *r) {
    get(r, QR_CAPTURE_WORKFLOW);
}
void qr_api_workflows_patch(qr_req_t *r) {
    patch(r, QR_CAPTURE_WORKFLOW);
}
void qr_api_workflows_delete(qr_req_t *r) {
    del(r, QR_CAPTURE_WORKFLOW);
}

/* A workflow as the panel offers it. */
static json_t *usable_json(const void *row) {
    const qr_usable_workflow_t *w = row;
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:O}", "id", w->id, "name",
                     text_or_null(w->name), "description", text_or_null(w->description), "format",
                     text_or_null(w->format), "folder", text_or_null(w->folder), "class_name",
                     text_or_null(w->class_name), "fields", w->fields);
}

void qr_api_me_workflows(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_usable_workflow_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_capture_usable(qr_req_ctx(r), qr_req_principal(r), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), usable_json);
    qr_usable_workflow_list_free(items, n);
}

/* A text field or null. */
static json_t *str_or_null(const char *s) {
    return s ? json_string(s) : json_null();
}

/* The API form of a scan (documents only when read: qr_scan_get). */
static json_t *scan_json(const qr_scan_t *s) {
    json_t *j = json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:O, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id", s->id,
        "workflow_id", s->workflow_id, "workflow_name", str_or_null(s->workflow_name), "name",
        s->name, "folder", s->folder, "index", s->index, "status", s->status, "files",
        (json_int_t)s->files, "pages_in", (json_int_t)s->pages_in, "pages_out",
        (json_int_t)s->pages_out, "ocr_pages", (json_int_t)s->ocr_pages, "bytes_out",
        (json_int_t)s->bytes_out, "created_at", (json_int_t)s->created_at, "updated_at",
        (json_int_t)s->updated_at, "expires_at", (json_int_t)s->expires_at);
    json_t *missing = json_array();
    for (size_t i = 0; i < s->n_index_missing; i++)
        json_array_append_new(missing, json_string(s->index_missing[i]));
    json_object_set_new(j, "index_missing", missing);
    json_object_set(j, "barcodes", s->barcodes);
    json_object_set_new(j, "device_id", str_or_null(s->device_id));
    json_object_set_new(j, "error",
                        !s->error_code ? json_null()
                                       : json_pack("{s:s, s:s}", "code", s->error_code, "message",
                                                   s->error_message));
    if (!s->delivery_status) {
        json_object_set_new(j, "delivery", json_null());
    } else {
        json_t *d = json_pack("{s:s, s:I, s:o, s:o}", "status", s->delivery_status, "attempts",
                              (json_int_t)s->delivery_attempts, "error",
                              str_or_null(s->delivery_error), "location", str_or_null(s->location));
        json_object_set_new(d, "next_attempt_at",
                            s->has_delivery_next_at ? json_integer(s->delivery_next_at)
                                                    : json_null());
        json_object_set_new(j, "delivery", d);
    }
    if (s->has_documents) {
        json_t *items = json_array();
        for (size_t k = 0; k < s->n_documents; k++)
            json_array_append_new(
                items, json_pack("{s:I, s:s, s:I}", "n", (json_int_t)s->documents[k].n, "name",
                                 s->documents[k].name, "size", (json_int_t)s->documents[k].size));
        json_object_set_new(j, "documents", items);
    }
    return j;
}

static json_t *scan_json_fn(const void *row) {
    return scan_json(row);
}

/* Answers with the scan (ok_status) or the error; clears s. */
static void finish_scan(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_scan_t *s,
                        int ok_status) {
    qr_api_finish(r, st, err, st ? NULL : scan_json(s), ok_status);
    qr_scan_clear(s);
}

/* The body of POST /scans: {workflow_id, name?, folder?, index?}; strings borrowed from body. */
static qr_status_t scan_start_input(json_t *body, qr_scan_start_input_t *in, qr_err_t *err) {
    static const char *const keys[] = {"workflow_id", "name", "folder", "index", NULL};
    memset(in, 0, sizeof(*in));
    qr_status_t st;
    if ((st = qr_json_check_keys(body, keys, err)) ||
        (st = qr_json_get_str(body, "workflow_id", 1, 64, &in->workflow_id, err)) ||
        (st = qr_json_get_str(body, "name", 0, 1024, &in->name, err)) ||
        (st = qr_json_get_str(body, "folder", 0, 1024, &in->folder, err)))
        return st;
    in->index = json_object_get(body, "index");
    return QR_OK;
}

void qr_api_scans_create(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_scan_start_input_t in;
    qr_scan_t s;
    memset(&s, 0, sizeof(s));
    /* CAP-2: a principal away from a panel is refused before its body is looked at. */
    qr_status_t st = qr_scan_check_panel(qr_req_principal(r), &err);
    if (!st)
        st = scan_start_input(qr_req_body(r), &in, &err);
    if (!st)
        st = qr_scan_create(qr_req_ctx(r), qr_req_principal(r), &in, &s, &err);
    finish_scan(r, st, &err, &s, 201);
}

static qr_status_t file_begin(qr_req_t *r, long long size, void **state, qr_err_t *err) {
    qr_scan_upload_t *u = NULL;
    qr_status_t st =
        qr_scan_file_begin(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), size, &u, err);
    *state = u;
    return st;
}

static qr_status_t file_write(void *u, const void *data, size_t n, qr_err_t *err) {
    return qr_scan_file_write(u, data, n, err);
}

static qr_status_t file_commit(void *u, json_t **out, qr_err_t *err) {
    return qr_scan_file_commit(u, out, err);
}

static void file_abort(void *u) {
    qr_scan_file_abort(u);
}

void qr_api_scans_file(qr_req_t *r) {
    static const char *const types[] = {"image/jpeg", "image/png", "image/tiff", "application/pdf",
                                        NULL};
    static const qr_api_upload_t upload = {
        types,       "a scanned file is image/jpeg, image/png, image/tiff or application/pdf",
        file_begin,  file_write,
        file_commit, file_abort};
    qr_api_upload(r, &upload);
}

void qr_api_scans_submit(qr_req_t *r) {
    static const char *const keys[] = {NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_scan_t s;
    qr_status_t st =
        qr_scan_submit(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &s, &err);
    finish_scan(r, st, &err, &s, 202);
}

void qr_api_scans_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_scan_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_scan_list(qr_req_ctx(r), qr_req_principal(r), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), scan_json_fn);
    qr_scan_list_free(items, n);
}

void qr_api_scans_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_scan_t s;
    qr_status_t st = qr_scan_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &s, &err);
    finish_scan(r, st, &err, &s, 200);
}

void qr_api_scans_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_scan_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_scans_document(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    /* The route's last segment is the document's number ("{n}": 1 to 10 digits). */
    const char *path = qr_req_target_path(r);
    const char *q = strchr(path, '?');
    size_t len = q ? (size_t)(q - path) : strlen(path);
    const char *last = path + len;
    while (last > path && last[-1] != '/')
        last--;
    int n = (int)strtol(last, NULL, 10);
    qr_blob_reader_t *reader = NULL;
    long long size = 0;
    const char *mime = NULL;
    char *name = NULL;
    qr_status_t st = qr_scan_document(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), n,
                                      &reader, &size, &mime, &name, &err);
    if (st) {
        qr_req_reply_error(r, &err);
        return;
    }
    /* RFC 6266: the name as UTF-8 (filename*), with an ASCII fallback. */
    char disp[600], ascii[128];
    size_t k = 0;
    for (const char *s = name; *s && k + 1 < sizeof(ascii); s++)
        ascii[k++] = (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') ? *s : '_';
    ascii[k] = 0;
    size_t d = (size_t)snprintf(disp, sizeof(disp),
                                "attachment; filename=\"%s\"; filename*=UTF-8''", ascii);
    for (const unsigned char *s = (const unsigned char *)name; *s && d + 4 < sizeof(disp); s++) {
        if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~", *s))
            disp[d++] = (char)*s;
        else
            d += (size_t)snprintf(disp + d, sizeof(disp) - d, "%%%02X", *s);
    }
    disp[d < sizeof(disp) ? d : sizeof(disp) - 1] = 0;
    free(name);
    qr_req_add_header(r, "Content-Disposition", disp);
    qr_api_reply_blob(r, reader, size, mime);
}
