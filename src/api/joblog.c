/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the job log: POST /api/v1/device/log (a device reports), GET /api/v1/orgs/{id}/log
 * (org admins) and GET /api/v1/me/log (a user's own entries). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Reads the period and size of a log listing from the query. */
static int window(qr_req_t *r, int64_t *from, int64_t *to, int *limit) {
    const char *names[3] = {"from", "to", "limit"};
    long long v[3] = {0, 0, 100};
    for (int i = 0; i < 3; i++) {
        const char *q = qr_req_query(r, names[i]);
        if (!q)
            continue;
        char *end = NULL;
        errno = 0;
        v[i] = strtoll(q, &end, 10);
        if (!*q || *end || errno || v[i] < 0 || (i == 2 && (v[i] < 1 || v[i] > 1000))) {
            qr_err_t err = {QR_OK, NULL, ""};
            qr_err_set(&err, QR_E_INVALID, NULL,
                       "from and to are Unix times in seconds; limit is from 1 to 1000");
            qr_req_reply_error(r, &err);
            return 1;
        }
    }
    *from = v[0];
    *to = v[1];
    *limit = (int)v[2];
    return 0;
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

void qr_api_org_log(qr_req_t *r) {
    int64_t from, to;
    int limit;
    if (window(r, &from, &to, &limit))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_joblog_record_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_joblog_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), from,
                                    to, limit, &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), record_json);
    qr_joblog_list_free(items, n);
}

void qr_api_me_log(qr_req_t *r) {
    int64_t from, to;
    int limit;
    if (window(r, &from, &to, &limit))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_joblog_record_t *items = NULL;
    size_t n = 0;
    qr_status_t st =
        qr_joblog_mine(qr_req_ctx(r), qr_req_principal(r), from, to, limit, &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), record_json);
    qr_joblog_list_free(items, n);
}
