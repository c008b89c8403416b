/* SPDX-License-Identifier: Apache-2.0 */
/* quire: organizations and their tree (TEN-1, TEN-5, TEN-7, TEN-8). */
#ifndef QR_ORG_H
#define QR_ORG_H

#include <jansson.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"
#include "tenancy/policy.h"

#define QR_ORG_MAX_DEPTH 12
/* An org's slug (its short name in sign-in forms and IPP user names): 3 to QR_ORG_SLUG_MAX
 * of a-z, 0-9 and '-', not starting or ending with '-'. */
#define QR_ORG_SLUG_MAX 63

/* 1 if s is a well-formed slug. */
int qr_org_slug_is_valid(const char *s);

/* Input of create and update. NULL strings and -1 numbers mean "not given". */
typedef struct qr_org_input {
    const char *parent_id, *type, *name, *slug, *portal_url;
    json_t *admin_emails; /* array of strings, borrowed */
    long long lic_devices, lic_ocr_pages, lic_storage_mb;
    json_t *lic_features; /* array of strings, borrowed */
    long long ret_print_days, ret_scan_days, ret_audit_days;
    int mfa_email;         /* AUTH-6 switch, -1 = not given */
    const char *pin_mode;  /* AUTH-8: "user_pin" or "pin_only" */
    json_t *pin_lengths;   /* AUTH-8: allowed PIN lengths, a subset of 4, 5, 6, 8 (borrowed) */
    const char *time_zone; /* IANA name; the org's calendar (monthly quotas, PRN-4) */
    int print_force_mono, print_force_duplex; /* PRN-4 policies, -1 = not given */
    long long print_max_pages;                /* pages per job, 0 = no limit, -1 = not given */
} qr_org_input_t;

/* The first admin of a new org (created with it). */
typedef struct qr_admin_input {
    const char *username, *email, *first_name, *last_name;
} qr_admin_input_t;

/* A resolved org: what policy needs about it. */
typedef struct qr_org_ref {
    char id[QR_ID_LEN + 1];
    char parent_id[QR_ID_LEN + 1];
    char path[512];
    int depth;
    int is_customer;
    qr_relation_t rel;
} qr_org_ref_t;

/* Sets every field of in to "not given". */
void qr_org_input_init(qr_org_input_t *in);

/* Finds org_id among the orgs where p may read res; 404 if none. If want is
 * QR_ACCESS_WRITE and p may read but not write, 403. Fills ref. */
qr_status_t qr_org_resolve(qr_dbc_t *c, const qr_principal_t *p, const char *org_id,
                           qr_resource_t res, qr_access_t want, qr_org_ref_t *ref, qr_err_t *err);

/* Creates a child org of in->parent_id (TEN-1). With admin, also creates its first admin
 * account with a generated one-time password (in the result's "admin" member). *out is a
 * new org object. */
qr_status_t qr_org_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_org_input_t *in,
                          const qr_admin_input_t *admin, json_t **out, qr_err_t *err);
/* Reads one org the principal may see. */
qr_status_t qr_org_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, json_t **out,
                       qr_err_t *err);
/* Lists the orgs the principal may see: {"items": [...]}. */
qr_status_t qr_org_list(qr_ctx_t *ctx, const qr_principal_t *p, json_t **out, qr_err_t *err);
/* Updates the given fields; license and retention need contract write access (the parent),
 * the rest org write access. */
qr_status_t qr_org_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                          const qr_org_input_t *in, json_t **out, qr_err_t *err);
/* Deletes a child org that has no children of its own, with its users and groups. */
qr_status_t qr_org_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);

/* Creates the root provider and its first provider admin if the database has no org.
 * *password receives the one-time password (caller frees) or NULL if nothing was done. */
qr_status_t qr_org_bootstrap(qr_ctx_t *ctx, const char *username, char **org_id, char **password,
                             qr_err_t *err);

#endif
