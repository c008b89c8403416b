/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/orgs/{id}/users and /api/v1/users. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/account.h"
#include "auth/recovery.h"
#include "core/json.h"
#include "tenancy/user.h"

/* The PIN is only ever shown masked here (AUTH-8); its owner reads it at /api/v1/me/pin. */
json_t *qr_api_user_json(const qr_user_t *u) {
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:I}", "id", u->id, "org_id",
                  u->org_id, "username", u->username, "email", u->email, "first_name",
                  u->first_name, "last_name", u->last_name, "role", u->role, "active", u->active,
                  "locked", u->locked, "created_at", (json_int_t)u->created_at);
    json_object_set_new(o, "pin", u->has_pin ? json_string("****") : json_null());
    json_object_set_new(o, "password_change_required", json_boolean(u->must_change_password));
    return o;
}

static json_t *user_json_fn(const void *row) {
    return qr_api_user_json(row);
}

/* Answers one user (or the error) and clears it. */
static void finish_user(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_user_t *u,
                        int ok_status) {
    qr_api_finish(r, st, err, st ? NULL : qr_api_user_json(u), ok_status);
    qr_user_clear(u);
}

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

/* GET /orgs/{id}/users: every user, or with `limit` (1 to QR_USER_PAGE_MAX) a page after the
 * username `after` with "next"; `q` searches username, names and email. */
void qr_api_users_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    const char *lim = qr_req_query(r, "limit"), *after = qr_req_query(r, "after");
    const char *q = qr_req_query(r, "q");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : QR_USER_PAGE_MAX;
    if (lim && (end == lim || *end || limit < 1 || limit > QR_USER_PAGE_MAX)) {
        qr_err_set(&err, QR_E_INVALID, NULL, "limit must be a whole number from 1 to %d",
                   QR_USER_PAGE_MAX);
        qr_req_reply_error(r, &err);
        return;
    }
    qr_user_t *items = NULL;
    size_t n = 0;
    if (!lim && !after && !q) {
        qr_status_t st =
            qr_user_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &items, &n, &err);
        qr_api_finish_items(r, st, &err, items, n, sizeof(*items), user_json_fn);
        qr_user_list_free(items, n);
        return;
    }
    char *next = NULL;
    qr_status_t st = qr_user_page(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), q, after,
                                  (int)limit, &items, &n, &next, &err);
    qr_api_finish_page(r, st, &err, items, n, sizeof(*items), user_json_fn, next);
    free(next);
    qr_user_list_free(items, n);
}

void qr_api_users_create(qr_req_t *r) {
    static const char *const keys[] = {"username",  "role",   "password", "email", "first_name",
                                       "last_name", "active", "invite",   NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_input_t in;
    qr_user_t u = {0};
    char *password = NULL;
    json_t *out = NULL;
    qr_status_t st = parse_user(qr_req_body(r), &in, 1, &err);
    if (!st)
        st = qr_account_create(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &u,
                               &password, &err);
    if (!st) {
        out = qr_api_user_json(&u);
        if (in.invite)
            json_object_set_new(out, "invited", json_true());
        if (password)
            json_object_set_new(out, "password", json_string(password));
    }
    qr_api_finish(r, st, &err, out, 201);
    qr_user_clear(&u);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
}

void qr_api_users_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_t u;
    qr_status_t st = qr_user_read(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &u, &err);
    finish_user(r, st, &err, &u, 200);
}

void qr_api_users_patch(qr_req_t *r) {
    static const char *const keys[] = {"role",      "password", "email", "first_name",
                                       "last_name", "active",   NULL};
    static const char *const ro[] = {"id", "org_id", "username", "locked", "created_at", NULL};
    if (qr_api_check_body(r, keys, ro))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_input_t in;
    qr_user_t u = {0};
    qr_status_t st = parse_user(qr_req_body(r), &in, 0, &err);
    if (!st)
        st = qr_account_update(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &u,
                               &err);
    finish_user(r, st, &err, &u, 200);
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

/* What the parent sees of a child's admin (issue 13): who it is and whether it can sign in;
 * nothing about PINs or other users. */
static json_t *admin_json_fn(const void *row) {
    const qr_user_t *u = row;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "id", u->id, "username",
                     u->username, "first_name", u->first_name, "last_name", u->last_name, "email",
                     u->email, "role", u->role, "active", u->active, "locked", u->locked,
                     "password_change_required", u->must_change_password);
}

void qr_api_org_admins_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_user_list_admins(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0),
                                         &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), admin_json_fn);
    qr_user_list_free(items, n);
}

void qr_api_org_admins_add(qr_req_t *r) {
    static const char *const keys[] = {"username", "email", "first_name", "last_name", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_input_t in;
    qr_user_t u = {0};
    json_t *b = qr_req_body(r), *out = NULL;
    qr_user_input_init(&in);
    qr_status_t st;
    if (!(st = qr_json_get_str(b, "username", 1, 256, &in.username, &err)) &&
        !(st = qr_json_get_str(b, "email", 1, 254, &in.email, &err)) &&
        !(st = qr_json_get_str(b, "first_name", 0, 256, &in.first_name, &err)) &&
        !(st = qr_json_get_str(b, "last_name", 0, 256, &in.last_name, &err)))
        st = qr_account_add_child_admin(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in,
                                        &u, &err);
    if (!st) {
        out = admin_json_fn(&u);
        json_object_set_new(out, "invited", json_true());
    }
    qr_api_finish(r, st, &err, out, 201);
    qr_user_clear(&u);
}

void qr_api_users_password_reset(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_reset_send(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, st ? NULL : json_pack("{s:s}", "delivery", "email"), 202);
}
