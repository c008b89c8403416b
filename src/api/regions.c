/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/regions (TEN-7, the root provider's admins) and /api/v1/me/settings (what
 * the desktop client reads: the region's URLs, the PIN lengths, the idle logout). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "tenancy/region.h"

static const char *const region_read_only[] = {"id", "created_at", "updated_at", NULL};

static json_t *region_json(const qr_region_t *g) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:I, s:I, s:I}", "id", g->id, "name", g->name,
                     "eula_url", g->eula_url, "privacy_url", g->privacy_url, "desktop_client_url",
                     g->desktop_client_url, "pin_lengths", g->pin_lengths, "desktop_idle_minutes",
                     (json_int_t)g->desktop_idle_minutes, "created_at", (json_int_t)g->created_at,
                     "updated_at", (json_int_t)g->updated_at);
}

static json_t *region_json_fn(const void *row) {
    return region_json(row);
}

static void finish_region(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_region_t *g,
                          int ok_status) {
    qr_api_finish(r, st, err, st ? NULL : region_json(g), ok_status);
    qr_region_clear(g);
}

/* Reads the fields of a region's create or update body. */
static qr_status_t parse_region(json_t *b, qr_region_input_t *in, int creating, qr_err_t *err) {
    qr_region_input_init(in);
    qr_status_t st;
    int given = 0;
    if ((st = qr_json_get_str(b, "name", creating, 400, &in->name, err)) ||
        (st = qr_json_get_str(b, "eula_url", 0, 2048, &in->eula_url, err)) ||
        (st = qr_json_get_str(b, "privacy_url", 0, 2048, &in->privacy_url, err)) ||
        (st = qr_json_get_str(b, "desktop_client_url", 0, 2048, &in->desktop_client_url, err)) ||
        (st = qr_json_get_int(b, "desktop_idle_minutes", 0, 0, QR_REGION_IDLE_MAX,
                              &in->desktop_idle_minutes, &given, err)))
        return st;
    if (!given)
        in->desktop_idle_minutes = -1;
    in->pin_lengths = json_object_get(b, "pin_lengths");
    return QR_OK;
}

static const char *const region_keys[] = {
    "name", "eula_url", "privacy_url", "desktop_client_url", "pin_lengths", "desktop_idle_minutes",
    NULL};

void qr_api_regions_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_region_t *items = NULL;
    size_t n = 0;
    qr_status_t st = qr_region_list(qr_req_ctx(r), qr_req_principal(r), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), region_json_fn);
    qr_region_list_free(items, n);
}

void qr_api_regions_create(qr_req_t *r) {
    if (qr_api_check_body(r, region_keys, region_read_only))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_region_input_t in;
    qr_region_t g = {0};
    qr_status_t st = parse_region(qr_req_body(r), &in, 1, &err);
    if (!st)
        st = qr_region_create(qr_req_ctx(r), qr_req_principal(r), &in, &g, &err);
    finish_region(r, st, &err, &g, 201);
}

void qr_api_regions_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_region_t g;
    qr_status_t st =
        qr_region_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &g, &err);
    finish_region(r, st, &err, &g, 200);
}

void qr_api_regions_patch(qr_req_t *r) {
    if (qr_api_check_body(r, region_keys, region_read_only))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_region_input_t in;
    qr_region_t g = {0};
    qr_status_t st = parse_region(qr_req_body(r), &in, 0, &err);
    if (!st)
        st =
            qr_region_update(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &g, &err);
    finish_region(r, st, &err, &g, 200);
}

void qr_api_regions_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_region_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

void qr_api_me_settings(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_client_settings_t s;
    qr_status_t st = qr_region_client_settings(qr_req_ctx(r), qr_req_principal(r), &s, &err);
    json_t *out = NULL;
    if (!st) {
        json_t *lengths = json_array();
        for (int k = 1; k < 16; k++)
            if (s.pin_lengths & (1u << k))
                json_array_append_new(lengths, json_integer(k));
        json_t *region =
            s.has_region
                ? json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", s.region.id, "name", s.region.name,
                            "eula_url", s.region.eula_url, "privacy_url", s.region.privacy_url,
                            "desktop_client_url", s.region.desktop_client_url)
                : json_null();
        out = json_pack("{s:o, s:o, s:I}", "region", region, "pin_lengths", lengths,
                        "desktop_idle_minutes", (json_int_t)s.desktop_idle_minutes);
    }
    qr_region_clear(&s.region);
    qr_api_finish(r, st, &err, out, 200);
}
