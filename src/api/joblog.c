/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the job log: POST /api/v1/device/log (a device reports), GET /api/v1/orgs/{id}/log
 * (org admins) and GET /api/v1/me/log (a user's own entries). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "report/joblog.h"

/* The JSON of a job-log record, keys in today's order; nulls for a missing user or device. */
static json_t *record_json(const void *row) {
    const qr_joblog_record_t *e = row;
    return json_pack(
        "{s:I, s:I, s:o, s:o, s:s, s:o, s:s, s:I, s:I, s:b, s:b}", "id", (json_int_t)e->id, "time",
        (json_int_t)e->time, "user_id", e->user_id ? json_string(e->user_id) : json_null(),
        "username", e->username ? json_string(e->username) : json_null(), "device_id", e->device_id,
        "device_serial", e->device_serial ? json_string(e->device_serial) : json_null(), "type",
        e->type, "pages", (json_int_t)e->pages, "copies", (json_int_t)e->copies, "color", e->color,
        "duplex", e->duplex);
}

/* One entry as a CSV row: record_json's cells (null as empty, booleans as true/false),
 * written without the JSON object in between (the export's hot path). */
static qr_status_t record_csv(qr_buf_t *b, const void *row) {
    const qr_joblog_record_t *e = row;
    qr_status_t st;
    if ((st = qr_csv_number(b, 1, e->id)) || (st = qr_csv_number(b, 0, e->time)) ||
        (st = qr_csv_text(b, 0, e->user_id)) || (st = qr_csv_text(b, 0, e->username)) ||
        (st = qr_csv_text(b, 0, e->device_id)) || (st = qr_csv_text(b, 0, e->device_serial)) ||
        (st = qr_csv_text(b, 0, e->type)) || (st = qr_csv_number(b, 0, e->pages)) ||
        (st = qr_csv_number(b, 0, e->copies)) ||
        (st = qr_csv_text(b, 0, e->color ? "true" : "false")) ||
        (st = qr_csv_text(b, 0, e->duplex ? "true" : "false")))
        return st;
    return qr_csv_end_row(b);
}

void qr_api_device_log(qr_req_t *r) {
    static const char *const keys[] = {"user_id", "type",   "pages", "copies",
                                       "color",   "duplex", "time",  NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_joblog_entry_t e = {0};
    json_t *b = qr_req_body(r);
    long long id = 0, at = 0;
    int late = 0;
    e.copies = 1;
    qr_status_t st;
    if (!(st = qr_json_get_str(b, "user_id", 0, 64, &e.user_id, &err)) &&
        !(st = qr_json_get_str(b, "type", 1, 16, &e.type, &err)) &&
        !(st = qr_json_get_int(b, "pages", 1, 0, 1000000, &e.pages, NULL, &err)) &&
        !(st = qr_json_get_int(b, "copies", 0, 1, 10000, &e.copies, NULL, &err)) &&
        !(st = qr_json_get_bool(b, "color", 1, &e.color, NULL, &err)) &&
        !(st = qr_json_get_bool(b, "duplex", 1, &e.duplex, NULL, &err)) &&
        !(st = qr_json_get_int(b, "time", 0, 1, INT64_MAX / 2, &e.time, NULL, &err)))
        st = qr_joblog_report(qr_req_ctx(r), qr_req_principal(r), &e, &id, &at, &late, &err);
    qr_api_finish(r, st, &err,
                  st ? NULL
                     : json_pack("{s:I, s:I, s:b}", "id", (json_int_t)id, "time", (json_int_t)at,
                                 "late", late),
                  201);
}

/* The CSV header of an export: record_json's keys, in its order. */
static const char *const record_columns[] = {"id",        "time",          "user_id", "username",
                                             "device_id", "device_serial", "type",    "pages",
                                             "copies",    "color",         "duplex",  NULL};

/* The export's view of the domain cursor. */
static qr_status_t cursor_next(void *cur, const void **rows, size_t *n, qr_err_t *err) {
    const qr_joblog_record_t *v = NULL;
    qr_status_t st = qr_joblog_next(cur, &v, n, err);
    *rows = v;
    return st;
}

static void cursor_close(void *cur) {
    qr_joblog_close(cur);
}

/* Reads a listing's filters from the query into f (user only where has_user). Answers 400
 * and returns non-zero on a bad value. */
static int filters(qr_req_t *r, int has_user, qr_joblog_filter_t *f) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_joblog_filter_init(f);
    if (qr_api_period_query(r, &f->from, &f->to))
        return 1;
    f->user_id = has_user ? qr_req_query(r, "user") : NULL;
    f->device_id = qr_req_query(r, "device");
    f->type = qr_req_query(r, "type");
    const char *color = qr_req_query(r, "color");
    if (f->type && strcmp(f->type, "print") != 0 && strcmp(f->type, "copy") != 0 &&
        strcmp(f->type, "scan") != 0)
        qr_err_set(&err, QR_E_INVALID, NULL, "type must be print, copy or scan");
    else if (color && strcmp(color, "true") != 0 && strcmp(color, "false") != 0)
        qr_err_set(&err, QR_E_INVALID, NULL, "color must be true or false");
    if (err.status) {
        qr_req_reply_error(r, &err);
        return 1;
    }
    if (color)
        f->color = color[0] == 't';
    return 0;
}

/* GET an org's log (org_id) or the user's own (org_id NULL): a page of JSON, or with CSV
 * asked for every matching entry streamed (at most limit if limit is given). */
static void log_get(qr_req_t *r, const char *org_id) {
    qr_joblog_filter_t f;
    int limit, given, csv;
    long long after;
    if (filters(r, org_id != NULL, &f) ||
        qr_api_page_query(r, QR_JOBLOG_PAGE_MAX, &limit, &given, 1, &after) ||
        qr_api_format(r, &csv))
        return;
    f.before = after;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_ctx_t *ctx = qr_req_ctx(r);
    if (csv) {
        qr_joblog_cursor_t *cur = NULL;
        qr_status_t st =
            qr_joblog_open(ctx, qr_req_principal(r), org_id, &f, given ? limit : 0, &cur, &err);
        if (st) {
            qr_req_reply_error(r, &err);
            return;
        }
        qr_api_export_t x = {cur,         cursor_next,    cursor_close, sizeof(qr_joblog_record_t),
                             record_json, record_columns, record_csv};
        qr_api_reply_export(r, &x);
        return;
    }
    qr_joblog_record_t *items = NULL;
    size_t n = 0;
    long long next = 0;
    qr_status_t st =
        qr_joblog_page(ctx, qr_req_principal(r), org_id, &f, limit, &items, &n, &next, &err);
    char cursor[32];
    snprintf(cursor, sizeof(cursor), "%lld", next);
    qr_api_finish_page(r, st, &err, items, n, sizeof(*items), record_json, next ? cursor : NULL);
    qr_joblog_list_free(items, n);
}

void qr_api_org_log(qr_req_t *r) {
    log_get(r, qr_req_param(r, 0));
}

void qr_api_me_log(qr_req_t *r) {
    log_get(r, NULL);
}
