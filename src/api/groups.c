/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/orgs/{id}/groups and /api/v1/groups. */
#include "api/api.h"
#include "core/json.h"
#include "tenancy/group.h"

static const char *const group_keys[] = {"name", NULL};
static const char *const group_ro[] = {"id", "org_id", "members", NULL};

static int get_name(qr_req_t *r, const char **name) {
    if (qr_api_check_body(r, group_keys, group_ro))
        return 1;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_json_get_str(qr_req_body(r), "name", 1, 100, name, &err)) {
        qr_req_reply_error(r, &err);
        return 1;
    }
    return 0;
}

void qr_api_groups_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_group_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_groups_create(qr_req_t *r) {
    const char *name;
    if (get_name(r, &name))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_group_create(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), name, &out, &err);
    qr_api_finish(r, st, &err, out, 201);
}

void qr_api_groups_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_group_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_groups_patch(qr_req_t *r) {
    const char *name;
    if (get_name(r, &name))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_group_rename(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), name, &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_groups_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_group_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

static void member(qr_req_t *r, int add) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_group_set_member(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0),
                                         qr_req_param(r, 1), add, &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_groups_member_put(qr_req_t *r) {
    member(r, 1);
}

void qr_api_groups_member_delete(qr_req_t *r) {
    member(r, 0);
}
