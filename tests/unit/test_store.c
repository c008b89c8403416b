/* SPDX-License-Identifier: Apache-2.0 */
/* quire: store — per-org document keys (SEC-2) and the database interface's error mapping,
 * on a real SQLite database. */
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
#include "store/datakey.h"
#include "store/db.h"

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sec2_one_data_key_per_org_stored_wrapped),
        cmocka_unit_test(test_db_unique_violation_is_conflict),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
