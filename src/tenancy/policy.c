/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the TEN-3 access matrix as data, and the helpers that apply it. */
#include "tenancy/policy.h"

#include <stdio.h>
#include <string.h>

#define N QR_ACCESS_NONE
#define R QR_ACCESS_READ
#define W QR_ACCESS_WRITE

/* matrix[role][resource][relation]. Columns: SELF CHILD DEEPER TREE PARENT ANCESTOR SIBLING
 * UNRELATED. Parents, ancestors, siblings and unrelated orgs get nothing, ever (TEN-2).
 * Deeper descendants are seen only aggregated through reports (TEN-4), except that the root
 * provider views its whole tree's org records (TEN-7). Own jobs are their owner's alone
 * and are not governed here: QR_RES_JOBS is about other people's documents. */
static const unsigned char matrix[QR_ROLE_COUNT][QR_RES_COUNT][QR_REL_COUNT] =
    {
        [QR_ROLE_PROVIDER_ADMIN] =
            {
                [QR_RES_ORG] = {W, W, N, R, N, N, N, N},
                [QR_RES_USERS] = {W, N, N, N, N, N, N, N},
                [QR_RES_GROUPS] = {W, N, N, N, N, N, N, N},
                [QR_RES_DEVICES] = {W, W, N, N, N, N, N, N},
                [QR_RES_REPORTS] = {R, N, N, N, N, N, N, N},
                [QR_RES_JOBS] = {N, N, N, N, N, N, N, N},
                [QR_RES_CONTRACT] = {R, W, N, N, N, N, N, N},
                [QR_RES_QUOTA] = {W, N, N, N, N, N, N, N},
                [QR_RES_AUDIT] = {R, N, N, N, N, N, N, N},
                [QR_RES_CLIENTS] = {W, N, N, N, N, N, N, N},
                [QR_RES_CAPTURE] = {W, N, N, N, N, N, N, N},
                [QR_RES_ADMINS] = {N, W, N, N, N, N, N, N},
            },
        [QR_ROLE_PROVIDER_SUPPORT] =
            {
                [QR_RES_ORG] = {R, R, N, R, N, N, N, N},
                [QR_RES_USERS] = {N, N, N, N, N, N, N, N},
                [QR_RES_GROUPS] = {N, N, N, N, N, N, N, N},
                [QR_RES_DEVICES] = {R, W, N, N, N, N, N, N},
                [QR_RES_REPORTS] = {N, N, N, N, N, N, N, N},
                [QR_RES_JOBS] = {N, N, N, N, N, N, N, N},
                [QR_RES_CONTRACT] = {R, R, N, N, N, N, N, N},
                [QR_RES_QUOTA] = {N, N, N, N, N, N, N, N},
                [QR_RES_AUDIT] = {N, N, N, N, N, N, N, N},
                [QR_RES_ADMINS] = {N, R, N, N, N, N, N, N},
            },
        [QR_ROLE_CUSTOMER_ADMIN] =
            {
                [QR_RES_ORG] = {W, N, N, N, N, N, N, N},
                [QR_RES_USERS] = {W, N, N, N, N, N, N, N},
                [QR_RES_GROUPS] = {W, N, N, N, N, N, N, N},
                [QR_RES_DEVICES] = {W, N, N, N, N, N, N, N},
                [QR_RES_REPORTS] = {R, N, N, N, N, N, N, N},
                [QR_RES_JOBS] = {N, N, N, N, N, N, N, N},
                [QR_RES_CONTRACT] = {R, N, N, N, N, N, N, N},
                [QR_RES_QUOTA] = {W, N, N, N, N, N, N, N},
                [QR_RES_AUDIT] = {R, N, N, N, N, N, N, N},
                [QR_RES_CLIENTS] = {W, N, N, N, N, N, N, N},
                [QR_RES_CAPTURE] = {W, N, N, N, N, N, N, N},
            },
        [QR_ROLE_PRINT_MANAGER] =
            {
                [QR_RES_ORG] = {R, N, N, N, N, N, N, N},
                [QR_RES_QUOTA] = {W, N, N, N, N, N, N, N},
            },
        [QR_ROLE_CUSTOMER_USER] =
            {
                [QR_RES_ORG] = {R, N, N, N, N, N, N, N},
                [QR_RES_CONTRACT] = {R, N, N, N, N, N, N, N},
            },
        [QR_ROLE_GUEST_USER] =
            {
                [QR_RES_ORG] = {R, N, N, N, N, N, N, N},
            },
};

#undef N
#undef R
#undef W

static const char *const role_names[QR_ROLE_COUNT] = {
    "provider_admin", "provider_support", "customer_admin",
    "print_manager",  "customer_user",    "guest_user",
};

qr_access_t qr_policy_access(qr_role_t role, qr_resource_t res, qr_relation_t rel) {
    if ((unsigned)role >= QR_ROLE_COUNT || (unsigned)res >= QR_RES_COUNT ||
        (unsigned)rel >= QR_REL_COUNT)
        return QR_ACCESS_NONE;
    return (qr_access_t)matrix[role][res][rel];
}

/* What each API client scope lets a client read in its own org (REP-5). */
static const struct {
    const char *scope;
    qr_resource_t res;
} client_scopes[] = {
    {"users:read", QR_RES_USERS},    /* the org's user accounts */
    {"joblog:read", QR_RES_REPORTS}, /* the org's job log */
};

int qr_policy_client_scope_known(const char *scope) {
    for (size_t i = 0; i < sizeof(client_scopes) / sizeof(client_scopes[0]); i++)
        if (strcmp(scope, client_scopes[i].scope) == 0)
            return 1;
    return 0;
}

const char *qr_policy_client_scope_for(qr_resource_t res) {
    for (size_t i = 0; i < sizeof(client_scopes) / sizeof(client_scopes[0]); i++)
        if (client_scopes[i].res == res)
            return client_scopes[i].scope;
    return NULL;
}

/* 1 if the space-separated list has the word w. */
static int has_word(const char *list, const char *w) {
    size_t n = strlen(w);
    for (const char *s = list; (s = strstr(s, w)) != NULL; s += n)
        if ((s == list || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
            return 1;
    return 0;
}

/* An API client's access: read of one resource of its own org per scope it holds. */
static int client_allows(const qr_principal_t *p, qr_resource_t res, qr_relation_t rel,
                         qr_access_t want) {
    if (want == QR_ACCESS_NONE)
        return 1;
    if (want != QR_ACCESS_READ || rel != QR_REL_SELF)
        return 0;
    for (size_t i = 0; i < sizeof(client_scopes) / sizeof(client_scopes[0]); i++)
        if (client_scopes[i].res == res && has_word(p->scopes, client_scopes[i].scope))
            return 1;
    return 0;
}

int qr_policy_allows(const qr_principal_t *p, qr_resource_t res, qr_relation_t rel,
                     qr_access_t want) {
    /* The matrix is about people: a device token reaches tenant data only through the
     * functions made for its kind, an API client only through its scopes, never a role. */
    if (p->kind == QR_PRINCIPAL_CLIENT)
        return client_allows(p, res, rel, want);
    if (p->kind != QR_PRINCIPAL_USER)
        return want == QR_ACCESS_NONE;
    return qr_policy_access(p->role, res, rel) >= want;
}

qr_relation_t qr_policy_relation(const qr_principal_t *p, const char *path, int depth) {
    size_t pl = strlen(p->org_path), tl = strlen(path);
    if (pl == tl && memcmp(p->org_path, path, pl) == 0)
        return QR_REL_SELF;
    if (tl > pl && memcmp(path, p->org_path, pl) == 0) {
        if (depth == p->org_depth + 1)
            return QR_REL_CHILD;
        return p->org_depth == 0 ? QR_REL_TREE : QR_REL_DEEPER;
    }
    if (pl > tl && memcmp(p->org_path, path, tl) == 0)
        return depth == p->org_depth - 1 ? QR_REL_PARENT : QR_REL_ANCESTOR;
    /* Siblings share the parent's path: everything up to the last component. */
    if (depth == p->org_depth && depth > 0) {
        const char *a = p->org_path + pl - 2, *b = path + tl - 2;
        while (a > p->org_path && *a != '/')
            a--;
        while (b > path && *b != '/')
            b--;
        if (a - p->org_path == b - path &&
            memcmp(p->org_path, path, (size_t)(a - p->org_path)) == 0)
            return QR_REL_SIBLING;
    }
    return QR_REL_UNRELATED;
}

void qr_policy_scope(const qr_principal_t *p, qr_resource_t res, qr_access_t want, qr_buf_t *sql,
                     qr_dbval_t *params, int *n, int cap, char *scratch, size_t scratchlen) {
    int any = 0;
    qr_buf_puts(sql, "(");
    if (qr_policy_allows(p, res, QR_REL_SELF, want) && *n < cap) {
        qr_buf_puts(sql, "o.id = ?");
        params[(*n)++] = QR_TEXT(p->org_id);
        any = 1;
    }
    if (qr_policy_allows(p, res, QR_REL_CHILD, want) && *n < cap) {
        qr_buf_puts(sql, any ? " OR o.parent_id = ?" : "o.parent_id = ?");
        params[(*n)++] = QR_TEXT(p->org_id);
        any = 1;
    }
    qr_relation_t deeper = p->org_depth == 0 ? QR_REL_TREE : QR_REL_DEEPER;
    if (qr_policy_allows(p, res, deeper, want) && *n + 3 <= cap) {
        /* Descendants: paths in [prefix, prefix with its final '/' raised to '0'). The ids
         * are hex, so every descendant path sorts inside that range (byte order). */
        size_t pl = strlen(p->org_path);
        if (pl + 1 < scratchlen) {
            memcpy(scratch, p->org_path, pl + 1);
            scratch[pl - 1] = '0';
            qr_buf_puts(sql, any ? " OR " : "");
            qr_buf_puts(sql, "(o.path > ? AND o.path < ? AND o.depth > ?)");
            params[(*n)++] = QR_TEXT(p->org_path);
            params[(*n)++] = QR_TEXT(scratch);
            params[(*n)++] = QR_INT(p->org_depth + 1);
            any = 1;
        }
    }
    if (!any)
        qr_buf_puts(sql, "1 = 0");
    qr_buf_puts(sql, ")");
}

qr_status_t qr_policy_find(qr_dbc_t *c, const qr_principal_t *p, qr_resource_t res,
                           const char *select, const char *id, qr_dbres_t **r) {
    *r = NULL;
    if (!qr_id_is_valid(id))
        return QR_E_NOT_FOUND;
    qr_buf_t sql;
    qr_buf_init(&sql, 4096);
    qr_buf_puts(&sql, select);
    qr_dbval_t params[16];
    int n = 0;
    char scratch[512];
    params[n++] = QR_TEXT(id);
    qr_policy_scope(p, res, QR_ACCESS_READ, &sql, params, &n, 16, scratch, sizeof(scratch));
    qr_status_t st = qr_dbc_exec(c, sql.ptr, params, n, r, NULL);
    qr_buf_free(&sql);
    if (!st && qr_dbres_rows(*r) != 1)
        st = QR_E_NOT_FOUND;
    return st;
}

const char *qr_role_name(qr_role_t r) {
    return (unsigned)r < QR_ROLE_COUNT ? role_names[r] : "unknown";
}

int qr_role_parse(const char *s) {
    for (int i = 0; i < QR_ROLE_COUNT; i++)
        if (strcmp(s, role_names[i]) == 0)
            return i;
    return -1;
}

int qr_role_fits_org(qr_role_t r, const char *org_type) {
    int provider_role = r == QR_ROLE_PROVIDER_ADMIN || r == QR_ROLE_PROVIDER_SUPPORT;
    return provider_role == (strcmp(org_type, "provider") == 0);
}

int qr_role_is_admin(qr_role_t r) {
    return r == QR_ROLE_PROVIDER_ADMIN || r == QR_ROLE_CUSTOMER_ADMIN;
}
