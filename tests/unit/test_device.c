/* SPDX-License-Identifier: Apache-2.0 */
/* quire: typed devices and job-log rows, and the one authenticator's device kind (DEV-1,
 * DEV-2, DEV-3, AUTH-11), on a real SQLite database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "api/api.h"
#include "auth/client.h"
#include "auth/login.h"
#include "auth/oauth.h"
#include "auth/session.h"
#include "cmd/app.h"
#include "core/mem.h"
#include "device/device.h"
#include "report/joblog.h"
#include "store/db.h"
#include "tenancy/org.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-device-XXXXXX";
static char *org_id;
static qr_principal_t admin;

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_app_open(&ctx, &cfg, NULL, 0, &err)) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    char *password = NULL;
    if (qr_org_bootstrap(&ctx, "admin", &org_id, &password, &err))
        return -1;
    qr_tokens_t t;
    qr_status_t st = qr_login(&ctx, "root", "admin", password, "192.0.2.1", &t, &err);
    free(password);
    if (st)
        return -1;
    st = qr_session_authenticate(&ctx, t.access_token, strlen(t.access_token), &admin, &err);
    qr_tokens_free(&t);
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    if (!st)
        st =
            qr_db_q(c, NULL, NULL, "UPDATE orgs SET lic_devices = 2 WHERE id = ?", QR_TEXT(org_id));
    qr_db_release(c);
    return st ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    free(org_id);
    return fixture_remove(dir);
}

/* A device's client-credentials token, as the token endpoint issues it. */
static char *device_token(const qr_device_t *d) {
    qr_client_t cl;
    memset(&cl, 0, sizeof(cl));
    memcpy(cl.id, d->client_id, sizeof(cl.id));
    memcpy(cl.org_id, d->org_id, sizeof(cl.org_id));
    memcpy(cl.device_id, d->id, sizeof(cl.device_id));
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *out = NULL;
    assert_int_equal(qr_oauth_client_token(&ctx, &cl, &out, &err), QR_OK);
    char *bearer =
        qr_xasprintf("Bearer %s", json_string_value(json_object_get(out, "access_token")));
    json_decref(out);
    return bearer;
}

/* Entries for the cursor test: enough prints (every other entry) for two and a half batches. */
#define CURSOR_ROWS (5 * QR_JOBLOG_BATCH)

/* REP-1: CURSOR_ROWS more entries (every other one a print, every third colour) read by keyset
 * pages and by the export cursor in batches of at most QR_JOBLOG_BATCH, newest first, each
 * entry once. */
static void joblog_pages_and_cursor(const char *device_id) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    assert_int_equal(
        qr_db_q(c, NULL, NULL,
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
                "INSERT INTO job_log (org_id, time, user_id, device_id, type, pages, copies, "
                "color, duplex) SELECT ?, 1000 + i, NULL, ?, CASE WHEN i % 2 = 0 THEN 'print' "
                "ELSE 'scan' END, i, 1, CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END, 0 FROM s",
                QR_INT(CURSOR_ROWS), QR_TEXT(org_id), QR_TEXT(device_id)),
        QR_OK);
    qr_db_release(c);
    qr_joblog_filter_t f;
    qr_joblog_filter_init(&f);
    f.type = "print";
    qr_joblog_cursor_t *cur = NULL;
    assert_int_equal(qr_joblog_open(&ctx, &admin, org_id, &f, 0, &cur, &err), QR_OK);
    const qr_joblog_record_t *rows = NULL;
    size_t n = 0, total = 0, batches = 0;
    long long last = INT64_MAX;
    do {
        assert_int_equal(qr_joblog_next(cur, &rows, &n, &err), QR_OK);
        assert_true(n <= QR_JOBLOG_BATCH);
        for (size_t i = 0; i < n; i++) {
            assert_true(rows[i].id < last);
            assert_string_equal(rows[i].type, "print");
            last = rows[i].id;
        }
        total += n;
        batches += n > 0;
    } while (n > 0);
    assert_int_equal(total, CURSOR_ROWS / 2);
    assert_int_equal(batches, 3); /* two full batches and a half */
    qr_joblog_close(cur);

    /* At most max entries; colour only. */
    f.type = NULL;
    f.color = 1;
    assert_int_equal(qr_joblog_open(&ctx, &admin, org_id, &f, 700, &cur, &err), QR_OK);
    total = 0;
    do {
        assert_int_equal(qr_joblog_next(cur, &rows, &n, &err), QR_OK);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(rows[i].color, 1);
        total += n;
    } while (n > 0);
    assert_int_equal(total, 700);
    qr_joblog_close(cur);

    /* Pages of 300 with the keyset: every third entry is colour, and the copy above. */
    qr_joblog_record_t *page = NULL;
    long long next = 0;
    total = 0;
    f.before = 0;
    do {
        assert_int_equal(qr_joblog_page(&ctx, &admin, org_id, &f, 300, &page, &n, &next, &err),
                         QR_OK);
        total += n;
        f.before = next;
        qr_joblog_list_free(page, n);
    } while (next);
    assert_int_equal(total, CURSOR_ROWS / 3 + 1);
    assert_int_equal(qr_joblog_page(&ctx, &admin, org_id, &f, 1001, &page, &n, &next, &err),
                     QR_E_INVALID);
}

static void test_device_typed(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_input_t in;
    qr_device_input_init(&in);
    in.serial = "SN-1";
    in.model = "MFP 9000";
    qr_device_t d = {0}, got = {0};
    char *secret = NULL;
    assert_int_equal(qr_device_register(&ctx, &admin, org_id, &in, &d, &secret, &err), QR_OK);
    assert_non_null(secret);
    assert_true(strlen(secret) > 20);
    assert_string_equal(d.org_id, org_id);
    assert_string_equal(d.serial, "SN-1");
    assert_string_equal(d.model, "MFP 9000");
    assert_string_equal(d.hostname, "");
    assert_int_equal(d.enabled, 1);
    assert_null(d.org_name);
    assert_int_equal(qr_device_get(&ctx, &admin, d.id, &got, &err), QR_OK);
    assert_string_equal(got.client_id, d.client_id);
    assert_int_equal(got.created_at, d.created_at);
    qr_device_clear(&got);
    qr_device_clear(&got); /* a cleared struct clears again */

    /* DEV-2: the device reports a copy; the org's log reads it back typed. */
    char *bearer = device_token(&d);
    qr_principal_t dp;
    assert_int_equal(qr_principal_authenticate(&ctx, bearer, QR_ROUTE_DEVICE, &dp, &err), QR_OK);
    assert_int_equal(dp.kind, QR_PRINCIPAL_DEVICE);
    assert_string_equal(dp.device_id, d.id);
    assert_string_equal(dp.client_id, d.client_id);
    assert_string_equal(dp.user_id, "");
    /* AUTH-11: device and user tokens do not mix. */
    assert_int_equal(qr_principal_authenticate(&ctx, bearer, QR_ROUTE_AUTH, &dp, &err),
                     QR_E_UNAUTHORIZED);
    assert_int_equal(qr_principal_authenticate(&ctx, bearer, QR_ROUTE_DEVICE, &dp, &err), QR_OK);
    qr_device_t self = {0};
    assert_int_equal(qr_device_self(&ctx, &dp, &self, &err), QR_OK);
    assert_string_equal(self.id, d.id);
    assert_non_null(self.org_name);
    qr_device_clear(&self);
    qr_joblog_entry_t e = {NULL, "copy", 3, 2, 1, 0, 0};
    long long id = 0, at = 0;
    int late = 0;
    assert_int_equal(qr_joblog_report(&ctx, &dp, &e, &id, &at, &late, &err), QR_OK);
    assert_false(late);
    assert_true(id > 0);
    qr_joblog_record_t *log = NULL;
    size_t n = 0;
    assert_int_equal(qr_joblog_list(&ctx, &admin, org_id, 0, 0, 10, &log, &n, &err), QR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(log[0].id, id);
    assert_int_equal(log[0].time, at);
    assert_null(log[0].user_id);
    assert_null(log[0].username);
    assert_string_equal(log[0].device_id, d.id);
    assert_string_equal(log[0].device_serial, "SN-1");
    assert_string_equal(log[0].type, "copy");
    assert_int_equal(log[0].pages, 3);
    assert_int_equal(log[0].copies, 2);
    assert_int_equal(log[0].color, 1);
    assert_int_equal(log[0].duplex, 0);
    qr_joblog_list_free(log, n);
    joblog_pages_and_cursor(d.id);

    /* DEV-3: a disabled device's token stops at once. */
    qr_device_input_init(&in);
    in.enabled = 0;
    assert_int_equal(qr_device_update(&ctx, &admin, d.id, &in, &got, &err), QR_OK);
    assert_int_equal(got.enabled, 0);
    assert_string_equal(got.model, "MFP 9000");
    qr_device_clear(&got);
    assert_int_equal(qr_principal_authenticate(&ctx, bearer, QR_ROUTE_DEVICE, &dp, &err),
                     QR_E_UNAUTHORIZED);
    free(bearer);
    memset(secret, 0, strlen(secret));
    free(secret);
    qr_device_clear(&d);
}

/* DEV-1 TEN-5: the list is typed and ordered by serial; past the license, a clear error. */
static void test_device_list_and_license(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_input_t in;
    qr_device_input_init(&in);
    in.serial = "SN-0";
    qr_device_t d = {0};
    char *secret = NULL;
    assert_int_equal(qr_device_register(&ctx, &admin, org_id, &in, &d, &secret, &err), QR_OK);
    free(secret);
    qr_device_clear(&d);
    in.serial = "SN-2";
    assert_int_equal(qr_device_register(&ctx, &admin, org_id, &in, &d, &secret, &err),
                     QR_E_CONFLICT);
    assert_string_equal(qr_err_code(&err), "license_exceeded");
    assert_null(secret);
    qr_device_t *items = NULL;
    size_t n = 0;
    assert_int_equal(qr_device_list(&ctx, &admin, org_id, &items, &n, &err), QR_OK);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].serial, "SN-0");
    assert_string_equal(items[1].serial, "SN-1");
    qr_device_list_free(items, n);
    qr_device_list_free(NULL, 0);
}

/* DEV-3, AUTH-11 (issue 13): a rotated device gets a new client and secret; the old client's
 * tokens stop at once, the new client's work. */
static void test_device_rotate_secret(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_device_t *items = NULL, d = {0};
    size_t n = 0;
    assert_int_equal(qr_device_list(&ctx, &admin, org_id, &items, &n, &err), QR_OK);
    assert_true(n >= 1);
    char *old_bearer = device_token(&items[0]);
    qr_principal_t dp;
    char *secret = NULL;
    assert_int_equal(qr_device_rotate_secret(&ctx, &admin, items[0].id, &d, &secret, &err), QR_OK);
    assert_non_null(secret);
    assert_true(strlen(secret) > 20);
    assert_string_equal(d.id, items[0].id);
    assert_string_not_equal(d.client_id, items[0].client_id);
    assert_int_equal(qr_principal_authenticate(&ctx, old_bearer, QR_ROUTE_DEVICE, &dp, &err),
                     QR_E_UNAUTHORIZED);
    char *new_bearer = device_token(&d);
    assert_int_equal(items[0].enabled, 1); /* SN-0, registered enabled */
    assert_int_equal(qr_principal_authenticate(&ctx, new_bearer, QR_ROUTE_DEVICE, &dp, &err),
                     QR_OK);
    /* An unknown device: not found, nothing rotated. */
    char *none = NULL;
    qr_device_t nd = {0};
    assert_int_equal(
        qr_device_rotate_secret(&ctx, &admin, "0123456789abcdef0123456789abcdef", &nd, &none, &err),
        QR_E_NOT_FOUND);
    assert_null(none);
    free(old_bearer);
    free(new_bearer);
    memset(secret, 0, strlen(secret));
    free(secret);
    qr_device_clear(&d);
    qr_device_list_free(items, n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_typed),
        cmocka_unit_test(test_device_list_and_license),
        cmocka_unit_test(test_device_rotate_secret),
    };
    return cmocka_run_group_tests_name("device", tests, setup, teardown);
}
