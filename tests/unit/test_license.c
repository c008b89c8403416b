/* SPDX-License-Identifier: Apache-2.0 */
/* quire: licenses that bind (TEN-5) on a real SQLite database: the root is unlimited, a
 * provider's children hold at most its license, a limit cannot go below what is used, and
 * storage, users and features are checked where they are spent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "admin/org_setup.h"
#include "cmd/app.h"
#include "store/db.h"
#include "tenancy/license.h"
#include "tenancy/region.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-license-XXXXXX";
static char *root_id;
static const char *const dealer = "d0000000000000000000000000000001";
static const char *const cust_a = "c0000000000000000000000000000001";
static const char *const cust_b = "c0000000000000000000000000000002";

/* Inserts org id under parent with the given limits and features (JSON text). */
static void insert_org(qr_dbc_t *c, const char *id, const char *parent, const char *type,
                       const char *name, long long dev, long long ocr, long long mb,
                       long long users, const char *features) {
    char path[128];
    snprintf(path, sizeof(path), "%s%s/", strcmp(parent, root_id) == 0 ? "/r/" : "/r/d/", id);
    assert_int_equal(qr_db_q(c, NULL, NULL,
                             "INSERT INTO orgs (id, parent_id, path, depth, type, name, slug, "
                             "lic_devices, lic_ocr_pages, lic_storage_mb, lic_users, lic_features, "
                             "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                             "0, 0)",
                             QR_TEXT(id), QR_TEXT(parent), QR_TEXT(path),
                             QR_INT(strcmp(parent, root_id) == 0 ? 1 : 2), QR_TEXT(type),
                             QR_TEXT(name), QR_TEXT(id), QR_INT(dev), QR_INT(ocr), QR_INT(mb),
                             QR_INT(users), QR_TEXT(features)),
                     QR_OK);
}

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_app_open(&ctx, &cfg, NULL, 0, &err))
        return -1;
    char *password = NULL;
    if (qr_org_bootstrap(&ctx, "admin", &root_id, &password, &err))
        return -1;
    free(password);
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    insert_org(c, dealer, root_id, "provider", "Dealer A", 10, 1000, 100, 20,
               "[\"print\", \"scan\", \"api_keys\"]");
    insert_org(c, cust_a, dealer, "customer", "Customer A", 6, 600, 1, 3, "[\"print\"]");
    insert_org(c, cust_b, dealer, "customer", "Customer B", 4, 400, 99, 17, "[\"scan\"]");
    qr_db_release(c);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    free(root_id);
    return fixture_remove(dir);
}

static void test_license_features(void **state) {
    (void)state;
    assert_int_equal(qr_feature_bit("print"), QR_FEAT_PRINT);
    assert_int_equal(qr_feature_bit("api_keys"), QR_FEAT_API_KEYS);
    assert_int_equal(qr_feature_bit("fax"), 0);
    assert_string_equal(qr_feature_name(QR_FEAT_CONNECTORS), "connectors");
    char names[96];
    qr_feature_names(QR_FEAT_PRINT | QR_FEAT_API_KEYS, names, sizeof(names));
    assert_string_equal(names, "print, api_keys");
    qr_feature_names(0, names, sizeof(names));
    assert_string_equal(names, "none");
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    /* The root has every feature, whatever its row says; the others what their row says. */
    assert_int_equal(qr_license_has_feature(c, root_id, "federation"), 1);
    assert_int_equal(qr_license_has_feature(c, dealer, "api_keys"), 1);
    assert_int_equal(qr_license_has_feature(c, cust_a, "api_keys"), 0);
    assert_int_equal(qr_license_has_feature(c, cust_a, "unknown"), 0);
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_license_require_feature(c, cust_a, QR_FEAT_SCAN, &err), QR_E_FORBIDDEN);
    assert_string_equal(qr_err_code(&err), "feature_disabled");
    assert_non_null(strstr(err.msg, "'scan'"));
    qr_license_t l;
    assert_int_equal(qr_license_read(c, root_id, &l), QR_OK);
    assert_true(l.devices == QR_LIC_UNLIMITED && l.users == QR_LIC_UNLIMITED);
    qr_db_release(c);
}

static void test_license_binding(void **state) {
    (void)state;
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_err_t err = {QR_OK, NULL, ""};
    /* A new child: 6 + 4 of 10 devices are granted. */
    qr_license_t asked = {1, 0, 0, 0, QR_FEAT_PRINT};
    assert_int_equal(qr_license_check_grant(c, dealer, NULL, &asked, &err), QR_E_CONFLICT);
    assert_string_equal(qr_err_code(&err), "license_exceeded");
    assert_string_equal(err.msg, "devices: the children of Dealer A hold 10 of 10; asked 1");
    /* Customer B raised to 1000: the others hold 6. */
    asked = (qr_license_t){1000, 400, 99, 17, QR_FEAT_SCAN};
    assert_int_equal(qr_license_check_grant(c, dealer, cust_b, &asked, &err), QR_E_CONFLICT);
    assert_string_equal(err.msg,
                        "devices: the other children of Dealer A hold 6 of 10; asked 1000");
    /* Exactly what fits. */
    asked.devices = 4;
    assert_int_equal(qr_license_check_grant(c, dealer, cust_b, &asked, &err), QR_OK);
    /* Unlimited from a limited parent. */
    asked.users = QR_LIC_UNLIMITED;
    assert_int_equal(qr_license_check_grant(c, dealer, cust_b, &asked, &err), QR_E_CONFLICT);
    assert_string_equal(
        err.msg, "users: the license of Dealer A allows 20, so a child's cannot be unlimited");
    /* A feature the parent lacks; one the child already has passes. */
    asked = (qr_license_t){4, 400, 99, 17, QR_FEAT_SCAN | QR_FEAT_FEDERATION};
    assert_int_equal(qr_license_check_grant(c, dealer, cust_b, &asked, &err), QR_E_CONFLICT);
    assert_string_equal(err.msg, "features: the license of Dealer A does not include federation; "
                                 "it may grant print, scan, api_keys");
    /* A grant made before licenses bound can be lowered although the sum still exceeds. */
    assert_int_equal(
        qr_db_q(c, NULL, NULL, "UPDATE orgs SET lic_devices = 1000 WHERE id = ?", QR_TEXT(cust_b)),
        QR_OK);
    asked = (qr_license_t){500, 400, 99, 17, QR_FEAT_SCAN};
    assert_int_equal(qr_license_check_grant(c, dealer, cust_b, &asked, &err), QR_OK);
    asked.devices = 1001;
    assert_int_equal(qr_license_check_grant(c, dealer, cust_b, &asked, &err), QR_E_CONFLICT);
    assert_int_equal(
        qr_db_q(c, NULL, NULL, "UPDATE orgs SET lic_devices = 4 WHERE id = ?", QR_TEXT(cust_b)),
        QR_OK);
    /* The dealer below what its children hold (root is the dealer's parent). */
    asked = (qr_license_t){9, 1000, 100, 20, QR_FEAT_PRINT | QR_FEAT_SCAN};
    assert_int_equal(qr_license_check_grant(c, root_id, dealer, &asked, &err), QR_E_CONFLICT);
    assert_string_equal(qr_err_code(&err), "license_below_use");
    assert_string_equal(err.msg, "devices: the children of Dealer A hold 10; asked 9: lower theirs "
                                 "first");
    qr_db_release(c);
}

static void test_license_storage_and_users(void **state) {
    (void)state;
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_err_t err = {QR_OK, NULL, ""};
    /* Customer A: 1 MiB. A held job of 700,000 bytes and a scan file of 300,000; a printed
     * job's document is gone and does not count. */
    assert_int_equal(qr_db_q(c, NULL, NULL,
                             "INSERT INTO users (id, org_id, username, role, created_at, "
                             "updated_at) VALUES ('u1', ?, 'alice', 'customer_user', 0, 0)",
                             QR_TEXT(cust_a)),
                     QR_OK);
    const char *jobs = "INSERT INTO print_jobs (id, org_id, user_id, name, size, status, copies, "
                       "color, duplex, created_at, expires_at) VALUES (?, ?, 'u1', 'd', ?, ?, 1, "
                       "0, 0, 0, 0)";
    assert_int_equal(qr_db_q(c, NULL, NULL, jobs, QR_TEXT("j1"), QR_TEXT(cust_a), QR_INT(700000),
                             QR_TEXT("held")),
                     QR_OK);
    assert_int_equal(qr_db_q(c, NULL, NULL, jobs, QR_TEXT("j2"), QR_TEXT(cust_a), QR_INT(900000),
                             QR_TEXT("printed")),
                     QR_OK);
    assert_int_equal(qr_db_q(c, NULL, NULL,
                             "INSERT INTO scans (id, org_id, user_id, workflow_id, workflow, name, "
                             "index_values, status, created_at, updated_at, expires_at) VALUES "
                             "('s1', ?, 'u1', 'w', '{}', 's', '{}', 'done', 0, 0, 0)",
                             QR_TEXT(cust_a)),
                     QR_OK);
    assert_int_equal(qr_db_q(c, NULL, NULL,
                             "INSERT INTO scan_files (scan_id, kind, seq, org_id, blob_id, size, "
                             "format, pages) VALUES ('s1', 'in', 1, ?, 'b1', 300000, 'png', 1)",
                             QR_TEXT(cust_a)),
                     QR_OK);
    long long used = 0;
    assert_int_equal(qr_license_storage_used(c, cust_a, &used), QR_OK);
    assert_int_equal(used, 1000000);
    assert_int_equal(qr_license_check_storage(c, cust_a, 48576, &err), QR_OK);
    assert_int_equal(qr_license_check_storage(c, cust_a, 48577, &err), QR_E_CONFLICT);
    assert_string_equal(qr_err_code(&err), "storage_exceeded");
    assert_non_null(strstr(err.msg, "allows 1 MiB (1048576 bytes) and 1000000 bytes are stored; "
                                    "this document needs 48577 more"));
    assert_int_equal(qr_license_check_storage(c, cust_a, -1, &err), QR_OK);
    assert_int_equal(qr_license_check_storage(c, root_id, 1LL << 40, &err), QR_OK);
    /* Lowering storage below the bytes stored. */
    qr_license_t asked = {6, 600, 0, 3, QR_FEAT_PRINT};
    assert_int_equal(qr_license_check_grant(c, dealer, cust_a, &asked, &err), QR_E_CONFLICT);
    assert_string_equal(err.msg,
                        "storage_mb: Customer A stores 1000000 bytes (1 MiB rounded up); asked 0");
    /* Users: 3 allowed, 1 present; then 3 present. */
    assert_int_equal(qr_license_check_users(c, cust_a, &err), QR_OK);
    assert_int_equal(qr_db_q(c, NULL, NULL,
                             "INSERT INTO users (id, org_id, username, role, created_at, "
                             "updated_at) VALUES ('u2', ?, 'bob', 'customer_user', 0, 0), ('u3', "
                             "?, 'carol', 'customer_user', 0, 0)",
                             QR_TEXT(cust_a), QR_TEXT(cust_a)),
                     QR_OK);
    assert_int_equal(qr_license_check_users(c, cust_a, &err), QR_E_CONFLICT);
    assert_string_equal(err.msg, "users: the license allows 3 users and the organization has 3; "
                                 "delete one or ask your provider to raise it");
    asked = (qr_license_t){6, 600, 1, 2, QR_FEAT_PRINT};
    assert_int_equal(qr_license_check_grant(c, dealer, cust_a, &asked, &err), QR_E_CONFLICT);
    assert_string_equal(err.msg, "users: Customer A has 3; asked 2: remove some first");
    qr_db_release(c);
}

static void test_region_pin_lengths(void **state) {
    (void)state;
    char text[48];
    qr_pin_lengths_text((1u << 4) | (1u << 5) | (1u << 6) | (1u << 8), text, sizeof(text));
    assert_string_equal(text, "4, 5, 6 or 8");
    qr_pin_lengths_text(1u << 8, text, sizeof(text));
    assert_string_equal(text, "8");
    qr_pin_lengths_text((1u << 6) | (1u << 8), text, sizeof(text));
    assert_string_equal(text, "6 or 8");
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    unsigned org = (1u << 4) | (1u << 6), out = 0;
    /* No region: the org's own lengths. */
    assert_int_equal(qr_region_pin_lengths(c, cust_a, org, &out), QR_OK);
    assert_int_equal(out, org);
    assert_int_equal(qr_db_q(c, NULL, NULL,
                             "INSERT INTO regions (id, name, pin_lengths, created_at, updated_at) "
                             "VALUES ('g1', 'EU', '[6, 8]', 0, 0)"),
                     QR_OK);
    assert_int_equal(
        qr_db_q(c, NULL, NULL, "UPDATE orgs SET region_id = 'g1' WHERE id = ?", QR_TEXT(cust_a)),
        QR_OK);
    /* The intersection; and the region's rule alone when they share none. */
    assert_int_equal(qr_region_pin_lengths(c, cust_a, org, &out), QR_OK);
    assert_int_equal(out, 1u << 6);
    assert_int_equal(qr_region_pin_lengths(c, cust_a, 1u << 4, &out), QR_OK);
    assert_int_equal(out, (1u << 6) | (1u << 8));
    qr_region_t g;
    int found = 0;
    assert_int_equal(qr_region_of_org(c, cust_a, &g, &found), QR_OK);
    assert_int_equal(found, 1);
    assert_string_equal(g.name, "EU");
    qr_region_clear(&g);
    assert_int_equal(qr_region_of_org(c, cust_b, &g, &found), QR_OK);
    assert_int_equal(found, 0);
    assert_int_equal(
        qr_db_q(c, NULL, NULL, "UPDATE orgs SET region_id = NULL WHERE id = ?", QR_TEXT(cust_a)),
        QR_OK);
    qr_db_release(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_license_features),
        cmocka_unit_test(test_license_binding),
        cmocka_unit_test(test_license_storage_and_users),
        cmocka_unit_test(test_region_pin_lengths),
    };
    return cmocka_run_group_tests_name("license", tests, setup, teardown);
}
