/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/jobs — submit a document (a PDF, or JPEG, PNG or raster converted to PDF,
 * streamed into the encrypted spool), list, read and delete one's own jobs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/json.h"
#include "print/job.h"
#include "print/quota.h"
#include "store/blob.h"

/* A job as the API shows it. */
static json_t *job_json(const qr_job_t *j) {
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:b, s:b, s:I, s:I, s:I, s:I, s:b}", "id",
                          j->id, "name", j->name, "size", (json_int_t)j->size, "status", j->status,
                          "copies", (json_int_t)j->copies, "color", j->color, "duplex", j->duplex,
                          "created_at", (json_int_t)j->created_at, "expires_at",
                          (json_int_t)j->expires_at, "number", (json_int_t)j->number, "pages",
                          (json_int_t)j->pages, "document_color", j->document_color);
    json_object_set_new(o, "device_id", j->device_id[0] ? json_string(j->device_id) : json_null());
    json_object_set_new(o, "released_at",
                        j->has_released_at ? json_integer(j->released_at) : json_null());
    json_object_set_new(o, "reason", j->reason ? json_string(j->reason) : json_null());
    json_object_set_new(o, "page_ranges",
                        j->page_ranges ? json_string(j->page_ranges) : json_null());
    return o;
}

static json_t *job_json_fn(const void *row) {
    return job_json(row);
}

/* Answers with job (cleared here) on success. */
static void finish_job(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_job_t *job,
                       int ok_status) {
    qr_api_finish(r, st, err, st ? NULL : job_json(job), ok_status);
    qr_job_clear(job);
}

static int query_int(qr_req_t *r, const char *name, long long dflt, long long *out) {
    const char *q = qr_req_query(r, name);
    *out = dflt;
    if (!q)
        return 0;
    char *end = NULL;
    errno = 0;
    *out = strtoll(q, &end, 10);
    return !*q || *end || errno;
}

static int query_bool(qr_req_t *r, const char *name, int *out) {
    const char *q = qr_req_query(r, name);
    *out = 0;
    if (!q)
        return 0;
    if (strcmp(q, "true") == 0 || strcmp(q, "1") == 0)
        *out = 1;
    else if (strcmp(q, "false") != 0 && strcmp(q, "0") != 0)
        return 1;
    return 0;
}

/* The job's options from the query and the document's format from its Content-Type (anything
 * but PDF is converted as it arrives), then the spool upload. */
static qr_status_t submit_begin(qr_req_t *r, long long size, void **state, qr_err_t *err) {
    qr_job_options_t o = {
        qr_req_query(r, "name"), 1, 0, 0, qr_req_query(r, "page_ranges"), QR_DOC_PDF,
        QR_COMPRESSION_NONE};
    qr_convert_format(qr_req_header(r, "Content-Type"), &o.format);
    if (query_int(r, "copies", 1, &o.copies) || query_bool(r, "color", &o.color) ||
        query_bool(r, "duplex", &o.duplex) || (o.name && strlen(o.name) > 255))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "copies is a number, color and duplex are true or false, name at most "
                          "255 bytes");
    qr_job_upload_t *u = NULL;
    qr_status_t st = qr_job_begin(qr_req_ctx(r), qr_req_principal(r), &o, size, &u, err);
    *state = u;
    return st;
}

static qr_status_t submit_write(void *u, const void *data, size_t n, qr_err_t *err) {
    return qr_job_write(u, data, n, err);
}

static qr_status_t submit_commit(void *u, json_t **out, qr_err_t *err) {
    qr_job_t job;
    qr_status_t st = qr_job_commit(u, &job, err);
    if (!st)
        *out = job_json(&job);
    qr_job_clear(&job);
    return st;
}

static void submit_abort(void *u) {
    qr_job_abort(u);
}

void qr_api_jobs_submit(qr_req_t *r) {
    static const char *const types[] = {"application/pdf",  "image/jpeg", "image/png",
                                        "image/pwg-raster", "image/urf",  NULL};
    static const qr_api_upload_t upload = {
        types,
        "a print job is a PDF, JPEG, PNG, PWG raster or Apple raster document: send "
        "Content-Type: application/pdf, image/jpeg, image/png, image/pwg-raster or image/urf",
        submit_begin,
        submit_write,
        submit_commit,
        submit_abort};
    qr_api_upload(r, &upload);
}

void qr_api_jobs_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_job_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_job_list(qr_req_ctx(r), qr_req_principal(r), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), job_json_fn);
    qr_job_list_free(items, n);
}

void qr_api_jobs_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_job_t job;
    qr_status_t st = qr_job_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &job, &err);
    finish_job(r, st, &err, &job, 200);
}

void qr_api_jobs_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_job_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_jobs_document(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_blob_reader_t *reader = NULL;
    long long size = 0;
    qr_status_t st = qr_job_document(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0),
                                     &reader, &size, &err);
    if (st) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_api_reply_blob(r, reader, size, "application/pdf");
}

void qr_api_jobs_release(qr_req_t *r) {
    static const char *const keys[] = {NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_job_t job;
    qr_print_settings_t print;
    qr_status_t st =
        qr_job_release(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &job, &print, &err);
    json_t *out = NULL;
    if (!st && job.status) {
        out = job_json(&job);
        json_object_set_new(out, "print",
                            json_pack("{s:I, s:I, s:b, s:b}", "pages", (json_int_t)print.pages,
                                      "copies", (json_int_t)print.copies, "color", print.color,
                                      "duplex", print.duplex));
    }
    qr_job_clear(&job);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_jobs_result(qr_req_t *r) {
    static const char *const keys[] = {"status", "pages",  "copies", "color",
                                       "duplex", "reason", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *b = qr_req_body(r);
    qr_job_t job = {0};
    qr_print_result_t res = {0};
    qr_status_t st = qr_json_get_str(b, "status", 1, 16, &res.status, &err);
    if (!st)
        st = qr_json_get_int(b, "pages", 1, 0, 1000000, &res.pages, NULL, &err);
    if (!st)
        st = qr_json_get_int(b, "copies", 1, 1, 999, &res.copies, NULL, &err);
    if (!st)
        st = qr_json_get_bool(b, "color", 1, &res.color, NULL, &err);
    if (!st)
        st = qr_json_get_bool(b, "duplex", 1, &res.duplex, NULL, &err);
    if (!st)
        st = qr_json_get_str(b, "reason", 0, 500, &res.reason, &err);
    if (!st)
        st =
            qr_job_report(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &res, &job, &err);
    qr_api_finish(r, st, &err, !st && job.status ? job_json(&job) : NULL, 200);
    qr_job_clear(&job);
}

/* A user's quota as the API shows it. */
static json_t *quota_json(const qr_quota_t *q) {
    json_t *o = json_pack("{s:s, s:s, s:I}", "user_id", q->user_id, "month", q->month, "used",
                          (json_int_t)q->used);
    if (q->username)
        json_object_set_new(o, "username", json_string(q->username));
    long long left = qr_quota_remaining(q);
    json_object_set_new(o, "monthly_pages",
                        q->has_quota ? json_integer(q->monthly_pages) : json_null());
    json_object_set_new(o, "remaining", left >= 0 ? json_integer(left) : json_null());
    return o;
}

/* Answers with q (cleared here) on success. */
static void finish_quota(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_quota_t *q) {
    qr_api_finish(r, st, err, st ? NULL : quota_json(q), 200);
    qr_quota_clear(q);
}

void qr_api_quota_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_quota_t q;
    qr_status_t st = qr_quota_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &q, &err);
    finish_quota(r, st, &err, &q);
}

void qr_api_me_quota(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_quota_t q;
    qr_status_t st = qr_quota_get(qr_req_ctx(r), qr_req_principal(r), NULL, &q, &err);
    finish_quota(r, st, &err, &q);
}

void qr_api_quota_put(qr_req_t *r) {
    static const char *const keys[] = {"monthly_pages", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *b = qr_req_body(r), *v = json_object_get(b, "monthly_pages");
    qr_quota_t q = {0};
    long long pages = -1;
    qr_status_t st = QR_OK;
    if (!v)
        st = qr_err_set(&err, QR_E_INVALID, NULL,
                        "field 'monthly_pages' is required (a number of pages, or null for no "
                        "quota)");
    else if (!json_is_null(v))
        st = qr_json_get_int(b, "monthly_pages", 1, 0, 10000000, &pages, NULL, &err);
    if (!st)
        st = qr_quota_set(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), pages, &q, &err);
    finish_quota(r, st, &err, &q);
}

void qr_api_org_quotas(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_quota_t *items = NULL;
    size_t n = 0;
    char month[8];
    qr_status_t st = qr_quota_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), month,
                                   &items, &n, &err);
    json_t *out = NULL;
    if (!st) {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, quota_json(&items[i]));
        out = json_pack("{s:s, s:o}", "month", month, "items", list);
    }
    qr_quota_list_free(items, n);
    qr_api_finish(r, st, &err, out, 200);
}
