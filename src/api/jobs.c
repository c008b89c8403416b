/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/jobs — submit a PDF (streamed into the encrypted spool), list, read and
 * delete one's own jobs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/log.h"
#include "core/json.h"
#include "print/job.h"
#include "print/quota.h"
#include "store/blob.h"

static void free_upload(void *u) {
    qr_job_abort(u);
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

static void begin(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    const char *ct = qr_req_header(r, "Content-Type");
    if (!ct || strncasecmp(ct, "application/pdf", 15) != 0 || (ct[15] && ct[15] != ';')) {
        qr_req_reply_json(r, 415,
                          json_pack("{s:s, s:s}", "error", "unsupported_media_type", "message",
                                    "a print job is a PDF: send Content-Type: application/pdf"));
        return;
    }
    qr_job_options_t o = {qr_req_query(r, "name"), 1, 0, 0};
    long long size = qr_req_content_length(r);
    if (query_int(r, "copies", 1, &o.copies) || query_bool(r, "color", &o.color) ||
        query_bool(r, "duplex", &o.duplex) || (o.name && strlen(o.name) > 255)) {
        qr_err_set(&err, QR_E_INVALID, NULL,
                   "copies is a number, color and duplex are true or false, name at most 255 "
                   "bytes");
        qr_req_reply_error(r, &err);
        return;
    }
    qr_job_upload_t *u = NULL;
    if (qr_job_begin(qr_req_ctx(r), qr_req_principal(r), &o, size, &u, &err)) {
        qr_req_reply_error(r, &err);
        return;
    }
    qr_req_set_state(r, u, free_upload);
}

void qr_api_jobs_submit(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    switch (qr_req_phase(r)) {
    case QR_PHASE_BEGIN:
        begin(r);
        return;
    case QR_PHASE_DATA: {
        size_t n;
        const void *data = qr_req_chunk(r, &n);
        if (qr_job_write(qr_req_state(r), data, n, &err))
            qr_req_reply_error(r, &err);
        return;
    }
    default: {
        json_t *out = NULL;
        qr_job_upload_t *u = qr_req_state(r);
        qr_req_set_state(r, NULL, NULL); /* commit frees the upload in every case */
        qr_status_t st = qr_job_commit(u, &out, &err);
        qr_api_finish(r, st, &err, out, 201);
    }
    }
}

void qr_api_jobs_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_job_list(qr_req_ctx(r), qr_req_principal(r), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_jobs_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_job_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_jobs_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_job_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
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
    qr_req_reply_stream(r, 200, "application/pdf", (unsigned long long)size, read_document, reader,
                        close_document);
}

void qr_api_jobs_release(qr_req_t *r) {
    static const char *const keys[] = {NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_job_release(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_jobs_result(qr_req_t *r) {
    static const char *const keys[] = {"status", "pages",  "copies", "color",
                                       "duplex", "reason", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *b = qr_req_body(r), *out = NULL;
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
            qr_job_report(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &res, &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_quota_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_quota_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_me_quota(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st = qr_quota_get(qr_req_ctx(r), qr_req_principal(r), NULL, &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_quota_put(qr_req_t *r) {
    static const char *const keys[] = {"monthly_pages", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *b = qr_req_body(r), *v = json_object_get(b, "monthly_pages"), *out = NULL;
    long long pages = -1;
    qr_status_t st = QR_OK;
    if (!v)
        st = qr_err_set(&err, QR_E_INVALID, NULL,
                        "field 'monthly_pages' is required (a number of pages, or null for no "
                        "quota)");
    else if (!json_is_null(v))
        st = qr_json_get_int(b, "monthly_pages", 1, 0, 10000000, &pages, NULL, &err);
    if (!st)
        st =
            qr_quota_set(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), pages, &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_org_quotas(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_quota_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}
