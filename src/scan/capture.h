/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what an org's admin sets up for capture (CAP-1, CAP-3, CAP-4, TEN-6): document
 * classes, destinations (their secret sealed, SEC-2) and scan workflows; and the workflows a
 * user may use at the panel. Reading and writing the setup is QR_RES_CAPTURE in the matrix. */
#ifndef QR_CAPTURE_H
#define QR_CAPTURE_H

#include <jansson.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* The three kinds of setup object. */
typedef enum qr_capture_kind {
    QR_CAPTURE_CLASS = 0,
    QR_CAPTURE_DESTINATION,
    QR_CAPTURE_WORKFLOW,
    QR_CAPTURE_KIND_COUNT
} qr_capture_kind_t;

/* A document class (CAP-3): the index attributes a scan of it asks for. */
typedef struct qr_doc_class {
    char id[QR_ID_LEN + 1], org_id[QR_ID_LEN + 1];
    char *name;
    /* The attributes [{name, type, required, ...}]: a nested document the database keeps as
     * JSON text, checked by qr_index_check_attributes when stored; json null if unreadable. */
    json_t *attributes;
    char *inherited_from; /* TEN-6: the parent org's class it was copied from; NULL if none */
    long long created_at, updated_at;
} qr_doc_class_t;

/* A destination (CAP-4): where a workflow delivers. Its secret is sealed and never read here. */
typedef struct qr_destination {
    char id[QR_ID_LEN + 1], org_id[QR_ID_LEN + 1];
    char *name, *kind; /* kind: the connector ("webdav") */
    /* The connector's settings: a nested document kept as JSON text, checked by the connector
     * (qr_connector_t.check) when stored; json null if unreadable. */
    json_t *settings;
    int has_secret;
    long long created_at, updated_at;
} qr_destination_t;

/* A scan workflow (CAP-1): its definition, as validated and stored (workflows.definition). */
typedef struct qr_workflow {
    char id[QR_ID_LEN + 1], org_id[QR_ID_LEN + 1];
    char *name, *description, *format, *language, *folder;
    /* The processing and indexing documents, kept as JSON inside the stored definition: steps
     * {auto_rotate, deskew, ...: true|false} and rules [{attribute, source, pattern}], both
     * validated when stored (NULL if absent). */
    json_t *steps, *rules;
    char **groups; /* the groups that may use it (none: everybody) */
    size_t n_groups;
    int enabled;
    char *class_id, *destination_id; /* NULL: none */
    long long created_at, updated_at;
    /* TEN-5: why scans with it will be refused although it is valid (OCR on while the org's
     * license allows 0 OCR pages a month), derived when read; NULL if nothing is wrong. */
    char *warning;
} qr_workflow_t;

/* The definition of w as the database stores it (workflows.definition, a JSON document): its
 * fields in their stored order, without id, org and times. A new object (caller decrefs). */
json_t *qr_workflow_definition(const qr_workflow_t *w);

/* One setup object of any kind: kind says which member of u is set. */
typedef struct qr_capture_obj {
    qr_capture_kind_t kind;
    union {
        qr_doc_class_t doc_class;
        qr_destination_t destination;
        qr_workflow_t workflow;
    } u;
} qr_capture_obj_t;

/* Frees what o holds and zeroes it; accepts a zeroed struct. */
void qr_capture_obj_clear(qr_capture_obj_t *o);
/* Frees a list of n objects; accepts NULL. */
void qr_capture_obj_list_free(qr_capture_obj_t *v, size_t n);

/* Creates an object of kind in org_id from body (validated; see docs/openapi.yaml); *out gets
 * it (clear it). The body stays JSON here: its fields are checked together with the database
 * (classes, groups and destinations of the org) in the order the API documents, and an update
 * validates the stored object with the given fields laid over it. */
qr_status_t qr_capture_create(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *org_id, json_t *body, qr_capture_obj_t *out,
                              qr_err_t *err);
/* Lists the org's objects of kind by name: *items is a new array of *n
 * (qr_capture_obj_list_free). */
qr_status_t qr_capture_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                            const char *org_id, qr_capture_obj_t **items, size_t *n, qr_err_t *err);
/* Reads one object (a destination's secret is never returned); clear *out. */
qr_status_t qr_capture_get(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                           const char *id, qr_capture_obj_t *out, qr_err_t *err);
/* Changes the fields given in body (the others keep their values); validated as create; *out
 * gets the object as stored (clear it). */
qr_status_t qr_capture_update(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *id, json_t *body, qr_capture_obj_t *out, qr_err_t *err);
/* Deletes one object; a class or destination a workflow uses is refused (409 in_use). */
qr_status_t qr_capture_delete(qr_ctx_t *ctx, const qr_principal_t *p, qr_capture_kind_t kind,
                              const char *id, qr_err_t *err);

/* A workflow as the panel offers it: what the user sees and the fields to ask. */
typedef struct qr_usable_workflow {
    char id[QR_ID_LEN + 1];
    char *name, *description, *format, *folder;
    char *class_name; /* NULL: the workflow has no class */
    /* The class's attributes to ask, each with "filled_by_rule" (true if a rule of the workflow
     * fills it): the class's nested attribute documents as stored, so they stay JSON. */
    json_t *fields;
} qr_usable_workflow_t;

/* Frees a list of n usable workflows; accepts NULL. */
void qr_usable_workflow_list_free(qr_usable_workflow_t *v, size_t n);

/* The enabled workflows of the principal's org that the principal may use (no groups set,
 * or a member of one), by name, each with its class's attributes to ask at the panel: *items
 * is a new array of *n (qr_usable_workflow_list_free). */
qr_status_t qr_capture_usable(qr_ctx_t *ctx, const qr_principal_t *p, qr_usable_workflow_t **items,
                              size_t *n, qr_err_t *err);

/* A workflow as a scan takes it: its definition with the class's attributes ("attributes")
 * and the destination's kind, settings and id, if any. *out is new. 404 if the principal may
 * not use it. This snapshot is a document the scan keeps as JSON text (scans.workflow), read
 * by the workers long after the workflow may have changed, so it stays JSON. */
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
