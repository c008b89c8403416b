/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/orgs/{id}/users and /api/v1/users. */
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "tenancy/user.h"

static qr_status_t parse_user(json_t *b, qr_user_input_t *in, int creating, qr_err_t *err) {
    qr_user_input_init(in);
    qr_status_t st = QR_OK;
    if (creating && (st = qr_json_get_str(b, "username", 1, 256, &in->username, err)))
        return st;
    if ((st = qr_json_get_str(b, "role", creating, 32, &in->role, err)) ||
        (st = qr_json_get_str(b, "password", 0, 256, &in->password, err)) ||
        (st = qr_json_get_str(b, "email", 0, 254, &in->email, err)) ||
        (st = qr_json_get_str(b, "first_name", 0, 256, &in->first_name, err)) ||
        (st = qr_json_get_str(b, "last_name", 0, 256, &in->last_name, err)))
        return st;
    int present = 0, active = 1, invite = 0;
    if (creating && (st = qr_json_get_bool(b, "invite", 0, &invite, NULL, err)))
        return st;
    in->invite = invite;
    if ((st = qr_json_get_bool(b, "active", 0, &active, &present, err)))
        return st;
    in->active = present ? active : -1;
    return QR_OK;
}

void qr_api_users_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_user_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_users_create(qr_req_t *r) {
    static const char *const keys[] = {"username",  "role",   "password", "email", "first_name",
                                       "last_name", "active", "invite",   NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_input_t in;
    json_t *out = NULL;
    qr_status_t st = parse_user(qr_req_body(r), &in, 1, &err);
    if (!st)
        st =
            qr_user_create(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &out, &err);
    qr_api_finish(r, st, &err, out, 201);
}

void qr_api_users_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    qr_status_t st =
        qr_user_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_users_patch(qr_req_t *r) {
    static const char *const keys[] = {"role",      "password", "email", "first_name",
                                       "last_name", "active",   NULL};
    static const char *const ro[] = {"id", "org_id", "username", "locked", "created_at", NULL};
    if (qr_api_check_body(r, keys, ro))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_input_t in;
    json_t *out = NULL;
    qr_status_t st = parse_user(qr_req_body(r), &in, 0, &err);
    if (!st)
        st =
            qr_user_update(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &out, &err);
    qr_api_finish(r, st, &err, out, 200);
}

void qr_api_users_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_user_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_users_unlock(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_user_unlock(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}
