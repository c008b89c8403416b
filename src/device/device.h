/* SPDX-License-Identifier: Apache-2.0 */
/* quire: MFPs registered to an organization (DEV-1, DEV-3, AUTH-11, TEN-5). Each device gets
 * OAuth client credentials, shown once at registration; the license caps how many devices
 * an org may have; a disabled or deleted device's credentials and tokens stop working at
 * once. */
#ifndef QR_DEVICE_H
#define QR_DEVICE_H

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

/* A registered device, as read from its row. */
typedef struct qr_device {
    char id[QR_ID_LEN + 1];
    char org_id[QR_ID_LEN + 1];
    char *serial, *model, *hostname, *ip; /* owned; "" when not given at registration */
    int enabled;
    char client_id[QR_ID_LEN + 1]; /* the device's OAuth client */
    long long created_at;
    char *org_name; /* owned; the org's name, set by qr_device_self only (else NULL) */
} qr_device_t;

/* Frees the members of d and zeroes it; accepts a zeroed struct. */
void qr_device_clear(qr_device_t *d);
/* Frees a list of n devices from qr_device_list; accepts NULL. */
void qr_device_list_free(qr_device_t *v, size_t n);

/* Sets every field to "not given". */
void qr_device_input_init(qr_device_input_t *in);
/* Registers a device in org_id; *out is the device (clear it) and *client_secret its OAuth
 * client's secret, shown this once (a new string; the caller wipes and frees it). Past the
 * license's device count: QR_E_CONFLICT, license_exceeded. */
qr_status_t qr_device_register(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                               const qr_device_input_t *in, qr_device_t *out, char **client_secret,
                               qr_err_t *err);
/* Lists the devices of org_id by serial: *items (free with qr_device_list_free) and *n. */
qr_status_t qr_device_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           qr_device_t **items, size_t *n, qr_err_t *err);
/* Reads one device into *out (clear it). */
qr_status_t qr_device_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_device_t *out,
                          qr_err_t *err);
/* Updates model, hostname, ip or enabled; *out (clear it) is the device afterwards. */
qr_status_t qr_device_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             const qr_device_input_t *in, qr_device_t *out, qr_err_t *err);
/* Rotates a device's credentials (DEV-3, AUTH-11; issue 13): a new OAuth client id and secret
 * replace the old ones, which and every token issued with them stop working at once; needs
 * device write access (TEN-3). *out (clear it) shows the new client_id; *client_secret is the
 * new secret, shown this once (the caller wipes and frees it). Audited. */
qr_status_t qr_device_rotate_secret(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                    qr_device_t *out, char **client_secret, qr_err_t *err);
/* Deletes a device with its credentials. */
qr_status_t qr_device_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Resolves a device's bearer token into a principal of kind QR_PRINCIPAL_DEVICE (org_id,
 * device_id, client_id): signed by us, issued to a device client that still exists and
 * whose device is enabled. QR_E_UNAUTHORIZED otherwise. For the one authenticator
 * (api/principal.c). */
qr_status_t qr_device_authenticate(qr_ctx_t *ctx, const char *token, size_t len,
                                   qr_principal_t *out, qr_err_t *err);
/* The device's own record with its org's name into *out (clear it), for d, a principal of
 * kind QR_PRINCIPAL_DEVICE. */
qr_status_t qr_device_self(qr_ctx_t *ctx, const qr_principal_t *d, qr_device_t *out, qr_err_t *err);

#endif
