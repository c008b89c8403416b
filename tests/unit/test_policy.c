/* SPDX-License-Identifier: Apache-2.0 */
/* quire: TEN-2/TEN-3 — walks every cell of the access matrix (role x resource x relation)
 * against an expectation written independently from SPEC.md, checks the relation of every
 * pair of orgs in a real tree, and checks that the SQL scope selects exactly the orgs the
 * matrix allows, on a real SQLite database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "store/db.h"
#include "tenancy/policy.h"

#define N QR_ACCESS_NONE
#define R QR_ACCESS_READ
#define W QR_ACCESS_WRITE

/* TEN-3 restated per role for the role's own organization. */
static qr_access_t expected_self(qr_role_t role, qr_resource_t res) {
    switch (role) {
    case QR_ROLE_PROVIDER_ADMIN: {
        static const qr_access_t a[QR_RES_COUNT] = {
            [QR_RES_ORG] = W,      [QR_RES_USERS] = W,
            [QR_RES_GROUPS] = W,   [QR_RES_DEVICES] = W,
            [QR_RES_REPORTS] = R,  [QR_RES_JOBS] = N,
            [QR_RES_CONTRACT] = R, [QR_RES_QUOTA] = W,
            [QR_RES_AUDIT] = R,    [QR_RES_CLIENTS] = W /* the admin's own API integrations */,
            [QR_RES_CAPTURE] = W /* the classes its children inherit (TEN-6) */};
        return a[res];
    }
    case QR_ROLE_PROVIDER_SUPPORT:
        return res == QR_RES_ORG || res == QR_RES_DEVICES || res == QR_RES_CONTRACT ? R : N;
    case QR_ROLE_CUSTOMER_ADMIN: /* users, devices, reports, contract: yes; jobs: own only */
        return res == QR_RES_JOBS || res == QR_RES_ADMINS                               ? N
               : res == QR_RES_REPORTS || res == QR_RES_CONTRACT || res == QR_RES_AUDIT ? R
                                                                                        : W;
    case QR_ROLE_PRINT_MANAGER: /* print-quota settings only */
        return res == QR_RES_QUOTA ? W : res == QR_RES_ORG ? R : N;
    case QR_ROLE_CUSTOMER_USER: /* contract info: view only; not even other users' names */
        return res == QR_RES_ORG || res == QR_RES_CONTRACT ? R : N;
    case QR_ROLE_GUEST_USER:
        return res == QR_RES_ORG ? R : N;
    default:
        return N;
    }
}

/* TEN-3's provider rows for a customer (child) org: devices yes, contract info yes (support:
 * read only), users/reports/job data no. */
static qr_access_t expected_child(qr_role_t role, qr_resource_t res) {
    /* Issue 13: the parent's help with a child's admin accounts (list, unlock, reset link:
     * support too; adding an admin: provider admin only). */
    if (res == QR_RES_ADMINS)
        return role == QR_ROLE_PROVIDER_ADMIN ? W : role == QR_ROLE_PROVIDER_SUPPORT ? R : N;
    if (role == QR_ROLE_PROVIDER_ADMIN)
        return res == QR_RES_ORG || res == QR_RES_DEVICES || res == QR_RES_CONTRACT ? W : N;
    if (role == QR_ROLE_PROVIDER_SUPPORT)
        return res == QR_RES_DEVICES ? W : res == QR_RES_ORG || res == QR_RES_CONTRACT ? R : N;
    return N;
}

static qr_access_t expected(qr_role_t role, qr_resource_t res, qr_relation_t rel) {
    switch (rel) {
    case QR_REL_SELF:
        return expected_self(role, res);
    case QR_REL_CHILD:
        return expected_child(role, res);
    case QR_REL_TREE: /* TEN-7: the root provider views its whole tree */
        return res == QR_RES_ORG &&
                       (role == QR_ROLE_PROVIDER_ADMIN || role == QR_ROLE_PROVIDER_SUPPORT)
                   ? R
                   : N;
    default: /* TEN-4: deeper only aggregated; TEN-2: nothing upward or sideways */
        return N;
    }
}

/* One test per cell (SPEC TEN-3: "every cell is a test"). */
struct cell {
    qr_role_t role;
    qr_resource_t res;
    qr_relation_t rel;
    char name[96];
};

static const char *const res_names[QR_RES_COUNT] = {"org",     "users",   "groups",   "devices",
                                                    "reports", "jobs",    "contract", "quota",
                                                    "audit",   "clients", "capture",  "admins"};
static const char *const rel_names[QR_REL_COUNT] = {"self",   "child",    "deeper",  "tree",
                                                    "parent", "ancestor", "sibling", "unrelated"};

static void test_ten3_cell(void **state) {
    const struct cell *c = *state;
    qr_access_t got = qr_policy_access(c->role, c->res, c->rel);
    qr_access_t want = expected(c->role, c->res, c->rel);
    if (got != want)
        fail_msg("%s: got %d, want %d", c->name, got, want);
}

static void test_ten3_out_of_range_is_none(void **state) {
    (void)state;
    assert_int_equal(qr_policy_access(QR_ROLE_COUNT, QR_RES_ORG, QR_REL_SELF), N);
    assert_int_equal(qr_policy_access(QR_ROLE_PROVIDER_ADMIN, QR_RES_COUNT, QR_REL_SELF), N);
    assert_int_equal(qr_policy_access(QR_ROLE_PROVIDER_ADMIN, QR_RES_ORG, QR_REL_COUNT), N);
    assert_int_equal(qr_policy_access((qr_role_t)-1, QR_RES_ORG, QR_REL_SELF), N);
}

/* A device's or an API client's token is not a person: whatever role its principal carries,
 * the matrix gives it nothing (TEN-3 is about people; those kinds have their own functions). */
static void test_ten3_only_people_have_roles(void **state) {
    (void)state;
    qr_principal_kind_t kinds[] = {QR_PRINCIPAL_DEVICE, QR_PRINCIPAL_CLIENT};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        for (int role = 0; role < QR_ROLE_COUNT; role++)
            for (int res = 0; res < QR_RES_COUNT; res++)
                for (int rel = 0; rel < QR_REL_COUNT; rel++) {
                    qr_principal_t p = {0};
                    p.kind = kinds[k];
                    p.role = (qr_role_t)role;
                    assert_false(qr_policy_allows(&p, (qr_resource_t)res, (qr_relation_t)rel,
                                                  QR_ACCESS_READ));
                    p.kind = QR_PRINCIPAL_USER;
                    assert_int_equal(qr_policy_allows(&p, (qr_resource_t)res, (qr_relation_t)rel,
                                                      QR_ACCESS_READ),
                                     qr_policy_access((qr_role_t)role, (qr_resource_t)res,
                                                      (qr_relation_t)rel) >= QR_ACCESS_READ);
                }
}

/* REP-5: an API client reads exactly what its scopes name, in its own org only, and never
 * writes; its role (whatever it says) gives it nothing; a look-alike scope gives nothing. */
static void test_rep5_client_scopes(void **state) {
    (void)state;
    static const char *const lists[] = {"",
                                        "users:read",
                                        "joblog:read",
                                        "users:read joblog:read",
                                        "users:readx joblog:rea",
                                        "users:write"};
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
        for (int res = 0; res < QR_RES_COUNT; res++)
            for (int rel = 0; rel < QR_REL_COUNT; rel++)
                for (int want = QR_ACCESS_READ; want <= QR_ACCESS_WRITE; want++) {
                    qr_principal_t p = {0};
                    p.kind = QR_PRINCIPAL_CLIENT;
                    p.role = QR_ROLE_PROVIDER_ADMIN;
                    snprintf(p.scopes, sizeof(p.scopes), "%s", lists[l]);
                    int users = l == 1 || l == 3, joblog = l == 2 || l == 3;
                    int expect =
                        want == QR_ACCESS_READ && rel == QR_REL_SELF &&
                        ((res == QR_RES_USERS && users) || (res == QR_RES_REPORTS && joblog));
                    if (qr_policy_allows(&p, (qr_resource_t)res, (qr_relation_t)rel,
                                         (qr_access_t)want) != expect)
                        fail_msg("REP-5 scopes '%s' res %s rel %s want %d: expected %d", lists[l],
                                 res_names[res], rel_names[rel], want, expect);
                }
    assert_true(qr_policy_client_scope_known("users:read"));
    assert_true(qr_policy_client_scope_known("joblog:read"));
    assert_false(qr_policy_client_scope_known("users:write"));
    assert_false(qr_policy_client_scope_known(""));
    assert_string_equal(qr_policy_client_scope_for(QR_RES_USERS), "users:read");
    assert_string_equal(qr_policy_client_scope_for(QR_RES_REPORTS), "joblog:read");
    assert_null(qr_policy_client_scope_for(QR_RES_AUDIT));
}

static void test_roles_names_and_org_types(void **state) {
    (void)state;
    for (int r = 0; r < QR_ROLE_COUNT; r++)
        assert_int_equal(qr_role_parse(qr_role_name(r)), r);
    assert_int_equal(qr_role_parse("admin"), -1);
    assert_true(qr_role_fits_org(QR_ROLE_PROVIDER_ADMIN, "provider"));
    assert_false(qr_role_fits_org(QR_ROLE_PROVIDER_ADMIN, "customer"));
    assert_true(qr_role_fits_org(QR_ROLE_GUEST_USER, "customer"));
    assert_false(qr_role_fits_org(QR_ROLE_CUSTOMER_ADMIN, "provider"));
}

/* A tree: root -> pA -> {cA1, pA2 -> cA21}, root -> pB -> cB1. Ids are hex like real ones. */
struct node {
    const char *name, *id, *parent;
    int depth;
    char path[400];
};

static struct node tree[] = {
    {"root", "00000000000000000000000000000001", NULL, 0, ""},
    {"pA", "0000000000000000000000000000000a", "root", 1, ""},
    {"cA1", "000000000000000000000000000000a1", "pA", 2, ""},
    {"pA2", "000000000000000000000000000000a2", "pA", 2, ""},
    {"cA21", "00000000000000000000000000000a21", "pA2", 3, ""},
    {"pB", "0000000000000000000000000000000b", "root", 1, ""},
    {"cB1", "000000000000000000000000000000b1", "pB", 2, ""},
};
#define NNODES (sizeof(tree) / sizeof(tree[0]))

static struct node *node(const char *name) {
    for (size_t i = 0; i < NNODES; i++)
        if (strcmp(tree[i].name, name) == 0)
            return &tree[i];
    return NULL;
}

static void build_paths(void) {
    for (size_t i = 0; i < NNODES; i++) {
        struct node *n = &tree[i];
        if (!n->parent)
            snprintf(n->path, sizeof(n->path), "/%s/", n->id);
        else
            snprintf(n->path, sizeof(n->path), "%.300s%s/", node(n->parent)->path, n->id);
    }
}

static qr_principal_t principal(const char *name, qr_role_t role) {
    qr_principal_t p;
    memset(&p, 0, sizeof(p));
    struct node *n = node(name);
    snprintf(p.org_id, sizeof(p.org_id), "%s", n->id);
    snprintf(p.org_path, sizeof(p.org_path), "%s", n->path);
    p.org_depth = n->depth;
    p.role = role;
    return p;
}

static void test_ten2_relations_in_tree(void **state) {
    (void)state;
    build_paths();
    static const struct {
        const char *from, *to;
        qr_relation_t rel;
    } cases[] = {
        {"pA", "pA", QR_REL_SELF},        {"pA", "cA1", QR_REL_CHILD},
        {"pA", "cA21", QR_REL_DEEPER},    {"root", "cA21", QR_REL_TREE},
        {"root", "pA", QR_REL_CHILD},     {"cA1", "pA", QR_REL_PARENT},
        {"cA21", "pA", QR_REL_ANCESTOR},  {"cA1", "pA2", QR_REL_SIBLING},
        {"pA", "pB", QR_REL_SIBLING},     {"pA", "cB1", QR_REL_UNRELATED},
        {"cA1", "cB1", QR_REL_UNRELATED}, {"cA21", "cA1", QR_REL_UNRELATED},
        {"pA2", "root", QR_REL_ANCESTOR},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        qr_principal_t p = principal(cases[i].from, QR_ROLE_PROVIDER_ADMIN);
        struct node *t = node(cases[i].to);
        qr_relation_t got = qr_policy_relation(&p, t->path, t->depth);
        if (got != cases[i].rel)
            fail_msg("relation %s -> %s: got %d want %d", cases[i].from, cases[i].to, got,
                     cases[i].rel);
    }
}

/* The scope SQL must select exactly the orgs where the matrix allows the access. */
static void test_ten2_scope_matches_matrix(void **state) {
    (void)state;
    build_paths();
    char path[] = "/tmp/quire-policy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "sqlite:%s", path);
    qr_db_t *db = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_db_open(url, 1, &db, &err), QR_OK);
    qr_dbc_t *c = qr_db_acquire(db);
    assert_int_equal(qr_dbc_script(c, "CREATE TABLE orgs (id TEXT PRIMARY KEY, parent_id TEXT, "
                                      "path TEXT, depth INTEGER)"),
                     QR_OK);
    for (size_t i = 0; i < NNODES; i++) {
        const char *parent = tree[i].parent ? node(tree[i].parent)->id : NULL;
        assert_int_equal(qr_db_q(c, NULL, NULL,
                                 "INSERT INTO orgs (id, parent_id, path, depth) VALUES (?,?,?,?)",
                                 QR_TEXT(tree[i].id), QR_TEXT(parent), QR_TEXT(tree[i].path),
                                 QR_INT(tree[i].depth)),
                         QR_OK);
    }
    int checks = 0;
    for (size_t from = 0; from < NNODES; from++)
        for (int role = 0; role < QR_ROLE_COUNT; role++)
            for (int res = 0; res < QR_RES_COUNT; res++)
                for (int want = R; want <= W; want++) {
                    qr_principal_t p = principal(tree[from].name, role);
                    qr_buf_t sql;
                    qr_buf_init(&sql, 4096);
                    qr_buf_puts(&sql, "SELECT o.id FROM orgs o WHERE ");
                    qr_dbval_t params[16];
                    int n = 0;
                    char scratch[512];
                    qr_policy_scope(&p, res, want, &sql, params, &n, 16, scratch, sizeof(scratch));
                    qr_dbres_t *r = NULL;
                    assert_int_equal(qr_dbc_exec(c, sql.ptr, params, n, &r, NULL), QR_OK);
                    for (size_t to = 0; to < NNODES; to++) {
                        int selected = 0;
                        for (int k = 0; k < qr_dbres_rows(r); k++)
                            selected |= strcmp(qr_dbres_text(r, k, 0), tree[to].id) == 0;
                        qr_relation_t rel = qr_policy_relation(&p, tree[to].path, tree[to].depth);
                        int allowed = qr_policy_access(role, res, rel) >= (qr_access_t)want;
                        if (selected != allowed)
                            fail_msg("scope %s as %s res %d want %d -> %s: selected %d allowed %d",
                                     tree[from].name, qr_role_name(role), res, want, tree[to].name,
                                     selected, allowed);
                        checks++;
                    }
                    qr_dbres_free(r);
                    qr_buf_free(&sql);
                }
    assert_true(checks > 1000);
    qr_db_release(c);
    qr_db_close(db);
    unlink(path);
}

#define NCELLS (QR_ROLE_COUNT * QR_RES_COUNT * QR_REL_COUNT)

int main(void) {
    static struct cell cells[NCELLS];
    static struct CMUnitTest cell_tests[NCELLS];
    int i = 0;
    for (int role = 0; role < QR_ROLE_COUNT; role++)
        for (int res = 0; res < QR_RES_COUNT; res++)
            for (int rel = 0; rel < QR_REL_COUNT; rel++, i++) {
                cells[i] = (struct cell){role, res, rel, ""};
                snprintf(cells[i].name, sizeof(cells[i].name), "TEN-3 %s %s %s", qr_role_name(role),
                         res_names[res], rel_names[rel]);
                cell_tests[i] =
                    (struct CMUnitTest){cells[i].name, test_ten3_cell, NULL, NULL, &cells[i]};
            }
    int failed = cmocka_run_group_tests_name("TEN-3 matrix", cell_tests, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten3_out_of_range_is_none),
        cmocka_unit_test(test_ten3_only_people_have_roles),
        cmocka_unit_test(test_rep5_client_scopes),
        cmocka_unit_test(test_roles_names_and_org_types),
        cmocka_unit_test(test_ten2_relations_in_tree),
        cmocka_unit_test(test_ten2_scope_matches_matrix),
    };
    return failed + cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
