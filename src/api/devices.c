/* SPDX-License-Identifier: Apache-2.0 */
/* quire: /api/v1/orgs/{id}/devices, /api/v1/devices/{id} (admins) and /api/v1/device (the
 * device itself, with its client-credentials token). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/json.h"
#include "device/device.h"

/* The JSON of a device, keys in today's order. */
static json_t *device_json(const qr_device_t *d) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:I}", "id", d->id, "org_id",
                     d->org_id, "serial", d->serial, "model", d->model, "hostname", d->hostname,
                     "ip", d->ip, "enabled", d->enabled, "client_id", d->client_id, "created_at",
                     (json_int_t)d->created_at);
}

static json_t *device_json_fn(const void *row) {
    return device_json(row);
}

static qr_status_t parse(json_t *b, qr_device_input_t *in, int creating, qr_err_t *err) {
    qr_device_input_init(in);
    qr_status_t st = QR_OK;
    if (creating && (st = qr_json_get_str(b, "serial", 1, 64, &in->serial, err)))
        return st;
    if ((st = qr_json_get_str(b, "model", 0, 128, &in->model, err)) ||
        (st = qr_json_get_str(b, "hostname", 0, 253, &in->hostname, err)) ||
        (st = qr_json_get_str(b, "ip", 0, 64, &in->ip, err)))
        return st;
    int enabled = 1, present = 0;
    if (!creating && (st = qr_json_get_bool(b, "enabled", 0, &enabled, &present, err)))
        return st;
    in->enabled = present ? enabled : -1;
    return QR_OK;
}

/* Answers a device with its client secret, shown this once after the device's own fields (or
 * the error); wipes and frees secret and clears d. */
static void finish_with_secret(qr_req_t *r, qr_status_t st, const qr_err_t *err, qr_device_t *d,
                               char *secret, int ok_status) {
    json_t *out = NULL;
    if (!st) {
        out = device_json(d);
        json_object_set_new(out, "client_secret", json_string(secret));
    }
    qr_api_finish(r, st, err, out, ok_status);
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    qr_device_clear(d);
}

void qr_api_devices_list(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_t *items = NULL;
    size_t n = 0;
    qr_status_t st =
        qr_device_list(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &items, &n, &err);
    qr_api_finish_items(r, st, &err, items, n, sizeof(*items), device_json_fn);
    qr_device_list_free(items, n);
}

void qr_api_devices_create(qr_req_t *r) {
    static const char *const keys[] = {"serial", "model", "hostname", "ip", NULL};
    if (qr_api_check_body(r, keys, NULL))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_input_t in;
    qr_device_t d = {0};
    char *secret = NULL;
    qr_status_t st = parse(qr_req_body(r), &in, 1, &err);
    if (!st)
        st = qr_device_register(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &d,
                                &secret, &err);
    finish_with_secret(r, st, &err, &d, secret, 201);
}

void qr_api_devices_rotate_secret(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_t d = {0};
    char *secret = NULL;
    qr_status_t st = qr_device_rotate_secret(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0),
                                             &d, &secret, &err);
    finish_with_secret(r, st, &err, &d, secret, 200);
}

void qr_api_devices_get(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_t d = {0};
    qr_status_t st =
        qr_device_get(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &d, &err);
    qr_api_finish(r, st, &err, st ? NULL : device_json(&d), 200);
    qr_device_clear(&d);
}

void qr_api_devices_patch(qr_req_t *r) {
    static const char *const keys[] = {"model", "hostname", "ip", "enabled", NULL};
    static const char *const ro[] = {"id", "org_id", "serial", "client_id", "created_at", NULL};
    if (qr_api_check_body(r, keys, ro))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_input_t in;
    qr_device_t d = {0};
    qr_status_t st = parse(qr_req_body(r), &in, 0, &err);
    if (!st)
        st =
            qr_device_update(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &in, &d, &err);
    qr_api_finish(r, st, &err, st ? NULL : device_json(&d), 200);
    qr_device_clear(&d);
}

void qr_api_devices_delete(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_device_delete(qr_req_ctx(r), qr_req_principal(r), qr_req_param(r, 0), &err);
    qr_api_finish(r, st, &err, NULL, 204);
}

/* GET /api/v1/device: a QR_ROUTE_DEVICE route, the principal is the device. */
void qr_api_device_self(qr_req_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_t d = {0};
    json_t *out = NULL;
    qr_status_t st = qr_device_self(qr_req_ctx(r), qr_req_principal(r), &d, &err);
    if (!st) {
        out = device_json(&d);
        json_object_set_new(out, "org_name", json_string(d.org_name));
    }
    qr_api_finish(r, st, &err, out, 200);
    qr_device_clear(&d);
}
