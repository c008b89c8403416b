/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/orgs/{id}/groups and /api/v1/groups. */
#include "api/api.h"
#include "core/json.h"
#include "tenancy/group.h"

static json_t *group_json(const qr_group_t *g) {
    json_t *members = json_array();
    for (size_t i = 0; i < g->n_members; i++)
        json_array_append_new(members, json_string(g->members[i]));
    return json_pack("{s:s, s:s, s:s, s:o}", "id", g->id, "org_id", g->org_id, "name", g->name,
                     "members", members);
}

static json_t *group_json_fn(const void *row) {
    return group_json(row);
}

/* Answers one group (or the error) and clears it. */
static void finish_group(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_group_t *g,
                         int ok_status) {
    qr_api_finish(r, st, err, st ? NULL : group_json(g), ok_status);
    qr_group_clear(g);
}

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
    qr_group_t *items = NULL;
    size_t n = 0;
    qr_status_t st =
        qr_group_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), group_json_fn);
    qr_group_list_free(items, n);
}

/* A group operation that takes a name: create (in an org) or rename (a group). */
typedef qr_status_t (*named_fn)(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                const char *name, qr_group_t *out, qr_err_t *err);

/* Reads the body's name, calls fn on the path's id and answers the group with ok_status. */
static void with_name(qr_req_t *r, named_fn fn, int ok_status) {
    const char *name;
    if (get_name(r, &name))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_group_t g;
    qr_status_t st = fn(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), name, &g, &err);
    finish_group(r, st, &err, &g, ok_status);
}

void qr_api_groups_create(qr_req_t *r) {
    with_name(r, qr_group_create, 201);
}

void qr_api_groups_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_group_t g;
    qr_status_t st = qr_group_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &g, &err);
    finish_group(r, st, &err, &g, 200);
}

void qr_api_groups_patch(qr_req_t *r) {
    with_name(r, qr_group_rename, 200);
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
