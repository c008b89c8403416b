/* SPDX-License-Identifier: Apache-2.0 */
/* quire: organizations and their tree (TEN-1, TEN-5, TEN-7, TEN-8). */
#ifndef QR_ORG_H
#define QR_ORG_H

#include <jansson.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "store/db.h"
#include "tenancy/policy.h"

#define QR_ORG_MAX_DEPTH 12
/* An org's slug (its short name in sign-in forms and IPP user names): 3 to QR_ORG_SLUG_MAX
 * of a-z, 0-9 and '-', not starting or ending with '-'. */
#define QR_ORG_SLUG_MAX 63

/* 1 if s is a well-formed slug. */
int qr_org_slug_is_valid(const char *s);
/* Checks a URL of the record (portal, a region's links): NULL or "" (not set), or an https://
 * URL of at most 2048 bytes without spaces or control characters; 400 naming field. */
qr_status_t qr_org_check_url(const char *field, const char *url, qr_err_t *err);

/* Input of create and update. NULL strings and -1 numbers mean "not given"; for the license's
 * numbers QR_LIC_UNSET means "not given" and QR_LIC_UNLIMITED (-1) "no limit" (license.h). */
typedef struct qr_org_input {
    const char *parent_id, *type, *name, *slug, *portal_url;
    json_t *admin_emails; /* array of strings, borrowed */
    /* TEN-2: the representative's contact ("" clears a field) */
    const char *rep_name, *rep_email, *rep_phone;
    const char *region_id; /* TEN-7, set by the parent; "" = none; not given on create: the
                              parent's */
    long long lic_devices, lic_ocr_pages, lic_storage_mb, lic_users;
    json_t *lic_features; /* array of feature names (license.h), borrowed */
    long long ret_print_days, ret_scan_days, ret_audit_days;
    int mfa_email;         /* AUTH-6 switch, -1 = not given */
    const char *pin_mode;  /* AUTH-8: "user_pin" or "pin_only" */
    json_t *pin_lengths;   /* AUTH-8: allowed PIN lengths, a subset of 4, 5, 6, 8 (borrowed) */
    const char *time_zone; /* IANA name; the org's calendar (monthly quotas, PRN-4) */
    int print_force_mono, print_force_duplex; /* PRN-4 policies, -1 = not given */
    long long print_max_pages;                /* pages per job, 0 = no limit, -1 = not given */
} qr_org_input_t;

/* A resolved org: what policy needs about it. */
typedef struct qr_org_ref {
    char id[QR_ID_LEN + 1];
    char parent_id[QR_ID_LEN + 1];
    char path[512];
    int depth;
    int is_customer;
    qr_relation_t rel;
} qr_org_ref_t;

/* An org as principal p may see it (TEN-3). Strings and arrays are owned; free with
 * qr_org_clear. The arrays are stored as JSON text and kept as validated JSON arrays
 * (admin_emails and lic_features of strings, pin_lengths of numbers). */
typedef struct qr_org {
    char id[QR_ID_LEN + 1];
    char parent_id[QR_ID_LEN + 1]; /* "" for the root */
    char *type, *name, *slug, *portal_url;
    json_t *admin_emails;
    /* TEN-2: the representative's contact, shown to the org itself and its parent (show_rep);
     * NULL otherwise */
    int show_rep;
    char *rep_name, *rep_email, *rep_phone;
    char region_id[QR_ID_LEN + 1]; /* TEN-7: "" if none */
    long long created_at;
    int mfa_email;
    char *pin_mode;
    json_t *pin_lengths;
    char *time_zone;
    int print_force_mono, print_force_duplex;
    long long print_max_pages;
    int show_contract; /* p may read license and retention; else these are 0/NULL */
    long long lic_devices, lic_ocr_pages, lic_storage_mb, lic_users; /* -1: unlimited */
    json_t *lic_features;
    long long ret_print_days, ret_scan_days, ret_audit_days;
} qr_org_t;

/* Sets every field of in to "not given". */
void qr_org_input_init(qr_org_input_t *in);
/* Frees the members of o and zeroes it; accepts a zeroed struct. */
void qr_org_clear(qr_org_t *o);
/* Frees n orgs and the array; accepts NULL. */
void qr_org_list_free(qr_org_t *v, size_t n);

/* Finds org_id among the orgs where p may read res; 404 if none. If want is
 * QR_ACCESS_WRITE and p may read but not write, 403. Fills ref. */
qr_status_t qr_org_resolve(qr_dbc_t *c, const qr_principal_t *p, const char *org_id,
                           qr_resource_t res, qr_access_t want, qr_org_ref_t *ref, qr_err_t *err);

/* Finds row id of a tenant table with select (as qr_policy_find; its first column is the row's
 * org id) in p's read scope on res, else QR_E_NOT_FOUND "<what> not found", and resolves the
 * row's org for want on res into *ref (errors as qr_org_resolve). *r is the caller's to free. */
qr_status_t qr_org_find_row(qr_dbc_t *c, const qr_principal_t *p, qr_resource_t res,
                            const char *select, const char *id, qr_access_t want, const char *what,
                            qr_dbres_t **r, qr_org_ref_t *ref, qr_err_t *err);

/* Reads row i of r into out, one element of a list's array; c is the connection the rows
 * came from (for a detail query), arg the caller's. */
typedef void (*qr_org_row_fn)(qr_dbc_t *c, const qr_dbres_t *r, int i, void *out, void *arg);

/* The one shape of a list of an org's rows: resolves org_id for p with read access to res
 * (errors as qr_org_resolve), runs sql with the resolved org's id as its first parameter and
 * then the nextra parameters of extra, and reads each row with fn into a new zeroed array
 * *items of *n elements of size bytes (freed by the row type's list_free; NULL and 0 on
 * error). */
qr_status_t qr_org_list_rows(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                             qr_resource_t res, const char *sql, const qr_dbval_t *extra,
                             int nextra, size_t size, qr_org_row_fn fn, void *arg, void **items,
                             size_t *n, qr_err_t *err);

/* Checks a new child org of in->parent_id before it is written (TEN-1): the input, the parent
 * (p must see it, it must be a provider, and p must be allowed to create its children) and
 * the depth limit. Fills *parent. Org creation itself (org + first admin + inherited document
 * classes) is admin/org_setup.h's qr_org_setup_create. */
qr_status_t qr__org_check_new(qr_dbc_t *c, const qr_principal_t *p, const qr_org_input_t *in,
                              qr_org_ref_t *parent, qr_err_t *err);
/* Inserts the row of a child org checked by qr__org_check_new; writes its new id. A taken
 * slug is QR_E_CONFLICT with its message in err. */
qr_status_t qr__org_insert_row(qr_dbc_t *c, const qr_org_input_t *in, const qr_org_ref_t *parent,
                               int64_t now, char id[QR_ID_LEN + 1], qr_err_t *err);
/* Writes the id of the root provider into id, inserting it ("Root provider", slug root) if
 * the database has none; *created tells which. */
qr_status_t qr__org_ensure_root(qr_dbc_t *c, int64_t now, char id[QR_ID_LEN + 1], int *created);
/* Reads org id on connection c as principal p may see it (no access check). */
qr_status_t qr__org_read(qr_dbc_t *c, const qr_principal_t *p, const char *id, qr_org_t *out);

/* Reads one org the principal may see into *out (caller clears). */
qr_status_t qr_org_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_org_t *out,
                       qr_err_t *err);
/* Lists the orgs the principal may see, by path, into a new array *items of *n
 * (qr_org_list_free). */
qr_status_t qr_org_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_org_t **items, size_t *n,
                        qr_err_t *err);
/* Updates the given fields; license and retention need contract write access (the parent),
 * the rest org write access. */
qr_status_t qr_org_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                          const qr_org_input_t *in, qr_org_t *out, qr_err_t *err);
/* Deletes a child org that has no children of its own, with its users and groups. */
qr_status_t qr_org_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);

/* The org with slug, for the operator's CLI (`quire dnssd`; no principal): writes its id and a
 * new copy of its name into *name (caller frees). QR_E_INVALID if slug is not a well-formed
 * slug, QR_E_NOT_FOUND if no org has it; err says which. */
qr_status_t qr_org_find_by_slug(qr_ctx_t *ctx, const char *slug, char id[QR_ID_LEN + 1],
                                char **name, qr_err_t *err);

/* TEN-8: applies each org's audit retention (ret_audit_days): deletes its audit rows older
 * than that, as a whole prefix of its oldest rows (by id, so that a hash chain over the rest
 * starts at the oldest remaining row). Run by quired's sweeper and the test clock. Returns
 * the number of rows deleted. */
int qr_org_sweep_audit(qr_ctx_t *ctx);

/* qr_org_bootstrap (the root provider and its first admin) is admin/org_setup.h's. */

#endif
