/* SPDX-License-Identifier: Apache-2.0 */
/* quire: who may do what (SPEC TEN-2, TEN-3). The access matrix exists once, as data, in
 * policy.c; every domain function asks it before touching tenant data. */
#ifndef QR_POLICY_H
#define QR_POLICY_H

#include "core/buf.h"
#include "crypto/random.h"
#include "store/db.h"

typedef enum qr_role {
    QR_ROLE_PROVIDER_ADMIN = 0,
    QR_ROLE_PROVIDER_SUPPORT,
    QR_ROLE_CUSTOMER_ADMIN,
    QR_ROLE_PRINT_MANAGER,
    QR_ROLE_CUSTOMER_USER,
    QR_ROLE_GUEST_USER,
    QR_ROLE_COUNT
} qr_role_t;

/* What a cell of the matrix is about. */
typedef enum qr_resource {
    QR_RES_ORG = 0,  /* the organization record (name, contacts, portal) and its children */
    QR_RES_USERS,    /* user accounts */
    QR_RES_GROUPS,   /* user groups */
    QR_RES_DEVICES,  /* registered MFPs */
    QR_RES_REPORTS,  /* job and page reports of the org's users, groups and devices */
    QR_RES_JOBS,     /* other people's print and scan documents (own jobs: owner only) */
    QR_RES_CONTRACT, /* license, usage counters, retention */
    QR_RES_QUOTA,    /* print-quota settings */
    QR_RES_AUDIT,    /* the audit log */
    QR_RES_CLIENTS,  /* OAuth API clients (client credentials) of the org */
    QR_RES_CAPTURE,  /* scan workflows, document classes and destinations (CAP-1, TEN-6) */
    QR_RES_ADMINS,   /* a direct child's admin accounts, for the parent's help (issue 13): list,
                        unlock and send a reset link (read), add an admin (write); never the
                        child's other users (TEN-3 users: no) */
    QR_RES_COUNT
} qr_resource_t;

/* Where the target organization stands relative to the principal's organization. */
typedef enum qr_relation {
    QR_REL_SELF = 0,  /* the principal's own org */
    QR_REL_CHILD,     /* a direct child */
    QR_REL_DEEPER,    /* a deeper descendant, principal not the root provider */
    QR_REL_TREE,      /* a deeper descendant, principal is the root provider (TEN-7) */
    QR_REL_PARENT,    /* the direct parent */
    QR_REL_ANCESTOR,  /* a higher ancestor */
    QR_REL_SIBLING,   /* another child of the same parent */
    QR_REL_UNRELATED, /* anything else */
    QR_REL_COUNT
} qr_relation_t;

typedef enum qr_access { QR_ACCESS_NONE = 0, QR_ACCESS_READ = 1, QR_ACCESS_WRITE = 2 } qr_access_t;

/* What kind of caller a principal is. Zero is a user, so that a zeroed principal (the
 * login paths fill one field by field) stays what it always was. */
typedef enum qr_principal_kind {
    QR_PRINCIPAL_USER = 0, /* a person with a session (login, panel, OAuth code flow) */
    QR_PRINCIPAL_DEVICE,   /* an MFP with its client-credentials token (no user, no role) */
    QR_PRINCIPAL_CLIENT,   /* an org's API client with a client-credentials token */
} qr_principal_kind_t;

#define QR_SCOPES_MAX 128

/* Who is asking: resolved once at the api layer (api/principal.c, the one authenticator)
 * and passed down explicitly. A device or client principal has no user_id, session_id or
 * org_path and carries QR_ROLE_GUEST_USER; only routes that accept its kind see it. */
typedef struct qr_principal {
    qr_principal_kind_t kind;
    char user_id[QR_ID_LEN + 1];
    char org_id[QR_ID_LEN + 1];
    char session_id[QR_ID_LEN + 1];
    char device_id[QR_ID_LEN + 1]; /* the device itself, or the device whose panel opened the
                                      user's session */
    char client_id[QR_ID_LEN + 1]; /* the OAuth client a device or client token was issued to */
    char scopes[QR_SCOPES_MAX];    /* a client's token: space-separated granted scopes */
    char org_path[512];            /* materialized path of the principal's org */
    int org_depth;
    qr_role_t role;
    int must_change_password; /* a one-time password awaits replacement (/api/v1/me/password) */
} qr_principal_t;

/* The scopes an API client (an API key, REP-5) may hold, in canonical order; each lets it
 * read exactly one resource of its own org: users:read QR_RES_USERS, joblog:read
 * QR_RES_REPORTS. Nothing else, and never a write. */
#define QR_CLIENT_SCOPES "users:read joblog:read"
/* 1 if scope is one of QR_CLIENT_SCOPES. */
int qr_policy_client_scope_known(const char *scope);
/* The scope that lets an API client read res, or NULL if none does. */
const char *qr_policy_client_scope_for(qr_resource_t res);

/* The matrix cell: what role may do to resource in an org standing at rel. */
qr_access_t qr_policy_access(qr_role_t role, qr_resource_t res, qr_relation_t rel);
/* 1 if the principal's access to res at rel is at least want. */
int qr_policy_allows(const qr_principal_t *p, qr_resource_t res, qr_relation_t rel,
                     qr_access_t want);
/* Relation of an org with path/depth to the principal's org. */
qr_relation_t qr_policy_relation(const qr_principal_t *p, const char *path, int depth);

/* Appends to sql a condition on the org table alias `o` (columns id, parent_id, path,
 * depth) that holds exactly for the orgs where the principal has at least want on res,
 * and appends the parameters it uses to params (*n is advanced; capacity cap). Every
 * query of tenant data is scoped through this. */
void qr_policy_scope(const qr_principal_t *p, qr_resource_t res, qr_access_t want, qr_buf_t *sql,
                     qr_dbval_t *params, int *n, int cap, char *scratch, size_t scratchlen);

/* Runs select, a query of one tenant row by id that joins the org table as `o` and ends in
 * "WHERE <alias>.id = ? AND ", completed with the principal's read scope on res. QR_OK with
 * *r holding exactly one row, else QR_E_NOT_FOUND (or a database error); *r is always the
 * caller's to free. */
qr_status_t qr_policy_find(qr_dbc_t *c, const qr_principal_t *p, qr_resource_t res,
                           const char *select, const char *id, qr_dbres_t **r);

/* "provider_admin" etc. */
const char *qr_role_name(qr_role_t r);
/* Parses a role name; -1 if unknown. */
int qr_role_parse(const char *s);
/* 1 if role belongs in an org of the given type ("provider" or "customer"). */
int qr_role_fits_org(qr_role_t r, const char *org_type);
/* 1 for the roles that administer their own org (provider_admin, customer_admin). */
int qr_role_is_admin(qr_role_t r);

#endif
