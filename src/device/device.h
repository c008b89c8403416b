/* SPDX-License-Identifier: Apache-2.0 */
/* quire: MFPs registered to an organization (DEV-1, DEV-3, AUTH-11, TEN-5). Each device gets
 * OAuth client credentials, shown once at registration; the license caps how many devices
 * an org may have; a disabled or deleted device's credentials and tokens stop working at
 * once. */
#ifndef QR_DEVICE_H
#define QR_DEVICE_H

#include <jansson.h>
#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "tenancy/policy.h"

/* Input of register and update; NULL / -1 mean "not given". */
typedef struct qr_device_input {
    const char *serial, *model, *hostname, *ip;
    int enabled;
} qr_device_input_t;

/* Sets every field to "not given". */
void qr_device_input_init(qr_device_input_t *in);
/* Registers a device in org_id; *out has the device and, once, client_id and
 * client_secret. Past the license's device count: QR_E_CONFLICT, license_exceeded. */
qr_status_t qr_device_register(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                               const qr_device_input_t *in, json_t **out, qr_err_t *err);
/* Lists the devices of org_id: {"items": [...]}. */
qr_status_t qr_device_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, json_t **out,
                           qr_err_t *err);
/* Reads one device. */
qr_status_t qr_device_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, json_t **out,
                          qr_err_t *err);
/* Updates model, hostname, ip or enabled. */
qr_status_t qr_device_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             const qr_device_input_t *in, json_t **out, qr_err_t *err);
/* Deletes a device with its credentials. */
qr_status_t qr_device_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Resolves a device's bearer token into a principal of kind QR_PRINCIPAL_DEVICE (org_id,
 * device_id, client_id): signed by us, issued to a device client that still exists and
 * whose device is enabled. QR_E_UNAUTHORIZED otherwise. For the one authenticator
 * (api/principal.c). */
qr_status_t qr_device_authenticate(qr_ctx_t *ctx, const char *token, size_t len,
                                   qr_principal_t *out, qr_err_t *err);
/* The device's own record, for d, a principal of kind QR_PRINCIPAL_DEVICE. */
qr_status_t qr_device_self(qr_ctx_t *ctx, const qr_principal_t *d, json_t **out, qr_err_t *err);

#endif
