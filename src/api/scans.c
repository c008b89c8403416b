/* SPDX-License-Identifier: Apache-2.0 */
/* quire: capture — /api/v1/orgs/{id}/{classes,destinations,workflows}, /api/v1/{classes,
 * destinations,workflows}/{id}, /api/v1/me/workflows, /api/v1/scans (start at the panel,
 * upload streamed files, submit, status, download area) and /api/v1/orgs/{id}/usage. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/log.h"
#include "scan/capture.h"
#include "scan/scan.h"
#include "store/blob.h"

static void create(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_capture_create(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0),
                                       qr_req_body(r), &out, &err);
    qr_api_finish(r, st, &err, out, 201);
}

static void list(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_capture_list(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

static void get(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_capture_get(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

static void patch(qr_req_t *r, qr_capture_kind_t kind) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_capture_update(qr_req_ctx(r), qr_req_principal(r), kind, qr_req_param(r, 0),
                                       qr_req_body(r), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
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

void qr_api_me_workflows(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_capture_usable(qr_req_ctx(r), qr_req_principal(r), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_scans_create(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_scan_create(qr_req_ctx(r), qr_req_principal(r), qr_req_body(r), &out, &err);
    qr_api_finish(r, st, &err, out, 201);
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
    json_t *out = NULL;
    qr_status_t st =
        qr_scan_submit(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 202);
}

void qr_api_scans_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_scan_list(qr_req_ctx(r), qr_req_principal(r), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_scans_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_scan_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_scans_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_scan_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

static long read_document(void *cls, char *buf, size_t max) {
    qr_err_t err = {QR_OK, NULL, ""};
    long n = qr_blob_read(cls, buf, max, &err);
    if (n < 0)
        qr_log_error("document_damaged", "%s", err.msg);
    return n;
}

static void close_document(void *cls) {
    qr_blob_close(cls);
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
    qr_req_reply_stream(r, 200, mime, (unsigned long long)size, read_document, reader,
                        close_document);
}

void qr_api_org_usage(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_scan_usage(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}
