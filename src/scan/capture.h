/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what an org's admin sets up for capture (CAP-1, CAP-3, CAP-4, TEN-6): document
 * classes, destinations (their secret sealed, SEC-2) and scan workflows; and the workflows a
 * user may use at the panel. Reading and writing the setup is QR_RES_CAPTURE in the matrix. */
#ifndef QR_CAPTURE_H
#define QR_CAPTURE_H

#include <jansson.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* The three kinds of setup object. */
typedef enum qr_capture_kind {
    QR_CAPTURE_CLASS = 0,
    QR_CAPTURE_DESTINATION,
    QR_CAPTURE_WORKFLOW,
    QR_CAPTURE_KIND_COUNT
} qr_capture_kind_t;

/* Creates an object of kind in org_id from body (validated; see docs/openapi.yaml). */
qr_status_t qr_capture_create(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *org_id, json_t *body, json_t **out, qr_err_t *err);
/* Lists the org's objects of kind: {"items": [...]}. */
qr_status_t qr_capture_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                            const char *org_id, json_t **out, qr_err_t *err);
/* Reads one object (a destination's secret is never returned). */
qr_status_t qr_capture_get(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                           const char *id, json_t **out, qr_err_t *err);
/* Changes the fields given in body (the others keep their values); validated as create. */
qr_status_t qr_capture_update(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *id, json_t *body, json_t **out, qr_err_t *err);
/* Deletes one object; a class or destination a workflow uses is refused (409 in_use). */
qr_status_t qr_capture_delete(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *id, qr_err_t *err);

/* The enabled workflows of the principal's org that the principal may use (no groups set,
 * or a member of one), each with its class's attributes to ask at the panel:
 * {"items": [{id, name, description, format, folder, fields: [...]}]}. */
qr_status_t qr_capture_usable(qr_ctx_t *ctx, const qr_principal_t *p, json_t **out, qr_err_t *err);

/* A workflow as a scan takes it: its definition with the class's attributes ("attributes")
 * and the destination's kind, settings and id, if any. *out is new. 404 if the principal may
 * not use it. */
qr_status_t qr_capture_snapshot(qr_ctx_t *ctx, const qr_principal_t *p, const char *workflow_id,
                                json_t **out, qr_err_t *err);

/* Opens a destination's sealed secret for delivery; *secret is a new string or NULL. */
qr_status_t qr_capture_destination_secret(qr_ctx_t *ctx, const char *org_id, const char *id,
                                          json_t **settings, char **secret, qr_err_t *err);

/* 1 if s is a usable folder path: "" or '/'-separated names, none empty, "." or "..", without
 * control characters or backslashes, at most 255 bytes. */
int qr_capture_folder_valid(const char *s);

/* TEN-6: copies the classes of parent_id into the new org child_id (inside the caller's
 * transaction on c). */
qr_status_t qr__capture_inherit(qr_dbc_t *c, const char *parent_id, const char *child_id,
                                long long now);

#endif
