/* SPDX-License-Identifier: Apache-2.0 */
/* quire: store — per-org document keys (SEC-2), the database interface's error mapping and
 * the audit sink (REP-4), on a real SQLite database; and the typed org, user, group and audit
 * rows read back through the domain (issue 12). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "cmd/app.h"
#include "crypto/keys.h"
#include "report/audit.h"
#include "store/audit.h"
#include "store/datakey.h"
#include "store/db.h"
#include "tenancy/group.h"
#include "tenancy/org.h"
#include "tenancy/user.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-store-XXXXXX";

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    qr_err_t err = {QR_OK, NULL, ""};
    return qr_app_open(&ctx, &cfg, NULL, 0, &err) == QR_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    return fixture_remove(dir);
}

static void test_sec2_one_data_key_per_org_stored_wrapped(void **state) {
    (void)state;
    unsigned char a1[32], a2[32], b[32];
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_datakey_get(&ctx, "org-a", a1, &err), QR_OK);
    assert_int_equal(qr_datakey_get(&ctx, "org-a", a2, &err), QR_OK);
    assert_int_equal(qr_datakey_get(&ctx, "org-b", b, &err), QR_OK);
    assert_memory_equal(a1, a2, 32);
    assert_memory_not_equal(a1, b, 32);
    /* The database holds the key only wrapped. */
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(
        qr_db_q(c, &r, NULL, "SELECT wrapped FROM org_keys WHERE org_id = ?", QR_TEXT("org-a")),
        QR_OK);
    const char *w = qr_dbres_text(r, 0, 0);
    assert_non_null(w);
    assert_null(memmem(w, strlen(w), a1, 4));
    qr_dbres_free(r);
    qr_db_release(c);
    /* Another master key cannot open it. */
    qr_keys_t *keys = (qr_keys_t *)ctx.keys;
    keys->data_kek[0] ^= 1;
    assert_int_equal(qr_datakey_get(&ctx, "org-a", a2, &err), QR_E_CRYPTO);
    keys->data_kek[0] ^= 1;
}

static void test_db_unique_violation_is_conflict(void **state) {
    (void)state;
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    assert_int_equal(qr_dbc_script(c, "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)"), QR_OK);
    assert_int_equal(qr_db_q(c, NULL, NULL, "INSERT INTO t VALUES (?, ?)", QR_TEXT("x"), QR_INT(1)),
                     QR_OK);
    assert_int_equal(qr_db_q(c, NULL, NULL, "INSERT INTO t VALUES (?, ?)", QR_TEXT("x"), QR_INT(2)),
                     QR_E_CONFLICT);
    long long changed = 0;
    assert_int_equal(
        qr_db_q(c, NULL, &changed, "UPDATE t SET v = ? WHERE k = ?", QR_INT(5), QR_TEXT("x")),
        QR_OK);
    assert_int_equal(changed, 1);
    qr_dbres_t *r = NULL;
    /* The same statement again (from the statement cache) sees the new value. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(qr_db_q(c, &r, NULL, "SELECT v FROM t WHERE k = ?", QR_TEXT("x")), QR_OK);
        assert_int_equal(qr_dbres_int(r, 0, 0), 5);
        qr_dbres_free(r);
    }
    qr_db_release(c);
}

static long long count_audit(const char *action) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    long long n = -1;
    if (qr_db_q(c, &r, NULL, "SELECT COUNT(*) FROM audit WHERE action = ?", QR_TEXT(action)) ==
        QR_OK)
        n = qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    qr_db_release(c);
    return n;
}

/* REP-4: the sink writes in the caller's transaction: a rollback takes the row with it. */
static void test_rep4_audit_sink_joins_the_callers_transaction(void **state) {
    (void)state;
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    assert_int_equal(qr_dbc_begin(c), QR_OK);
    qr_audit_write(c, 1000, "org-sink", NULL, "sink_test", NULL, NULL);
    qr_dbc_rollback(c);
    qr_db_release(c);
    assert_int_equal(count_audit("sink_test"), 0);
    c = qr_db_acquire(ctx.db);
    assert_int_equal(qr_dbc_begin(c), QR_OK);
    qr_audit_write(c, 1000, "org-sink", NULL, "sink_test", "target", NULL);
    assert_int_equal(qr_dbc_commit(c), QR_OK);
    qr_db_release(c);
    assert_int_equal(count_audit("sink_test"), 1);
}

/* The root provider's admin as a principal (what the api layer resolves from a token). */
static qr_principal_t root_admin(const char *org_id) {
    qr_principal_t p;
    memset(&p, 0, sizeof(p));
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(qr_db_q(c, &r, NULL,
                             "SELECT u.id, o.path FROM users u JOIN orgs o ON o.id = u.org_id "
                             "WHERE u.org_id = ? AND u.username = ?",
                             QR_TEXT(org_id), QR_TEXT("admin")),
                     QR_OK);
    assert_int_equal(qr_dbres_rows(r), 1);
    snprintf(p.user_id, sizeof(p.user_id), "%s", qr_dbres_text(r, 0, 0));
    snprintf(p.org_id, sizeof(p.org_id), "%s", org_id);
    snprintf(p.org_path, sizeof(p.org_path), "%s", qr_dbres_text(r, 0, 1));
    p.role = QR_ROLE_PROVIDER_ADMIN;
    qr_dbres_free(r);
    qr_db_release(c);
    return p;
}

/* Issue 12: orgs, users, groups and audit entries come back as structs, and an org's first
 * admin is made with it (admin/org_setup.c) with a one-time password (TEN-1). */

/* REP-4: 1,205 events of one action, many of them in the same second, read by keyset pages
 * on (time, id) and by the export cursor in batches, newest first, each event once. */
static void audit_pages_and_cursor(qr_ctx_t *c_ctx, const qr_principal_t *who, const char *org) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_dbc_t *c = qr_db_acquire(c_ctx->db);
    assert_int_equal(qr_dbc_begin(c), QR_OK);
    for (int i = 0; i < 1205; i++)
        qr_audit_write(c, 5000 + i / 100, org, i % 2 ? who->user_id : NULL, "probe",
                       i % 5 ? "t1" : "t2", "=detail");
    assert_int_equal(qr_dbc_commit(c), QR_OK);
    qr_db_release(c);
    qr_audit_filter_t f = {0};
    f.action = "probe";
    qr_audit_cursor_t *cur = NULL;
    assert_int_equal(qr_audit_open(c_ctx, who, org, &f, 0, &cur, &err), QR_OK);
    const qr_audit_entry_t *rows = NULL;
    size_t n = 0, total = 0;
    long long lt = INT64_MAX, li = INT64_MAX;
    do {
        assert_int_equal(qr_audit_next(cur, &rows, &n, &err), QR_OK);
        assert_true(n <= QR_AUDIT_BATCH);
        for (size_t i = 0; i < n; i++) {
            assert_true(rows[i].time < lt || (rows[i].time == lt && rows[i].id < li));
            lt = rows[i].time;
            li = rows[i].id;
        }
        total += n;
    } while (n > 0);
    assert_int_equal(total, 1205);
    qr_audit_close(cur);

    /* Pages of 100, each ending inside a run of equal times; filtered by target. */
    f.target_id = "t2";
    qr_audit_entry_t *page = NULL;
    long long nt = 0, ni = 0;
    total = 0;
    do {
        assert_int_equal(qr_audit_page(c_ctx, who, org, &f, 100, &page, &n, &nt, &ni, &err), QR_OK);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(page[i].target_id, "t2");
        total += n;
        f.before_time = nt;
        f.before_id = ni;
        qr_audit_list_free(page, n);
    } while (ni);
    assert_int_equal(total, 241);
}

static void test_ten1_typed_org_user_group_rows(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    char *root = NULL, *pw = NULL;
    assert_int_equal(qr_org_bootstrap(&ctx, "admin", &root, &pw, &err), QR_OK);
    assert_non_null(pw);
    qr_principal_t p = root_admin(root);

    qr_org_t o;
    assert_int_equal(qr_org_get(&ctx, &p, root, &o, &err), QR_OK);
    assert_string_equal(o.slug, "root");
    assert_string_equal(o.type, "provider");
    assert_string_equal(o.parent_id, "");
    assert_true(o.show_contract);
    qr_org_clear(&o);

    qr_org_input_t in;
    qr_org_input_init(&in);
    in.parent_id = root;
    in.type = "customer";
    in.name = "Acme";
    in.slug = "acme";
    qr_admin_input_t admin = {"acme-admin", "a@example.com", "Ada", "Lovelace"};
    qr_user_t first;
    char *first_pw = NULL;
    assert_int_equal(qr_org_setup_create(&ctx, &p, &in, &admin, &o, &first, &first_pw, &err),
                     QR_OK);
    assert_string_equal(o.parent_id, root);
    assert_string_equal(first.role, "customer_admin");
    assert_string_equal(first.org_id, o.id);
    assert_true(first.must_change_password);
    assert_non_null(first_pw);

    qr_user_t *users = NULL;
    size_t n = 0;
    assert_int_equal(qr_user_list(&ctx, &p, root, &users, &n, &err), QR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(users[0].username, "admin");
    assert_string_equal(users[0].id, p.user_id);
    assert_false(users[0].has_pin);
    assert_false(users[0].locked);
    qr_user_list_free(users, n);

    qr_group_t g;
    assert_int_equal(qr_group_create(&ctx, &p, root, "Finance", &g, &err), QR_OK);
    assert_int_equal(qr_group_set_member(&ctx, &p, g.id, p.user_id, 1, &err), QR_OK);
    qr_group_clear(&g);
    qr_group_t *groups = NULL;
    assert_int_equal(qr_group_list(&ctx, &p, root, &groups, &n, &err), QR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(groups[0].name, "Finance");
    assert_int_equal(groups[0].n_members, 1);
    assert_string_equal(groups[0].members[0], p.user_id);
    qr_group_list_free(groups, n);

    qr_audit_entry_t *events = NULL;
    assert_int_equal(qr_audit_list(&ctx, &p, root, 10, &events, &n, &err), QR_OK);
    assert_true(n >= 2);
    size_t created = n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(events[i].action, "org_created") == 0)
            created = i;
    assert_true(created < n);
    assert_string_equal(events[created].target_id, o.id);
    assert_string_equal(events[created].detail, "acme");
    assert_string_equal(events[n - 1].action, "bootstrap");
    assert_null(events[n - 1].actor_id);
    qr_audit_list_free(events, n);
    audit_pages_and_cursor(&ctx, &p, root);

    qr_org_t *orgs = NULL;
    assert_int_equal(qr_org_list(&ctx, &p, &orgs, &n, &err), QR_OK);
    assert_int_equal(n, 2);
    qr_org_list_free(orgs, n);

    qr_org_clear(&o);
    qr_user_clear(&first);
    free(first_pw);
    free(root);
    free(pw);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sec2_one_data_key_per_org_stored_wrapped),
        cmocka_unit_test(test_db_unique_violation_is_conflict),
        cmocka_unit_test(test_rep4_audit_sink_joins_the_callers_transaction),
        cmocka_unit_test(test_ten1_typed_org_user_group_rows),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
