/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the usage ledger (REP-1, REP-3, TEN-4, CAP-5): booking with the job-log row in one
 * transaction, days and months in the org's time zone, closed months and late entries, the
 * customer reports and the provider rollups with their anonymity. On SQLite, and on a fresh
 * PostgreSQL database too when QUIRE_TEST_PG_URL is set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "auth/login.h"
#include "auth/session.h"
#include "cmd/app.h"
#include "core/mem.h"
#include "core/tz.h"
#include "report/joblog.h"
#include "report/usage.h"
#include "store/db.h"
#include "tenancy/org.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-usage-XXXXXX";
static char *root_id;
static qr_principal_t admin; /* the root provider's admin */
static char pg_db[64];

/* 2026-03-15 12:00:00 UTC and 2026-04-01 03:00:00 UTC (still March in New York). */
#define MARCH_15 1773576000LL
#define APRIL_1_0300 1775012400LL
#define APRIL_10 1775822400LL

/* Points QUIRE_DATABASE at a new database of the server at QUIRE_TEST_PG_URL, if set. */
static int pg_env(void) {
    const char *base = getenv("QUIRE_TEST_PG_URL");
    if (!base || !*base)
        return 0;
    snprintf(pg_db, sizeof(pg_db), "quire_unit_usage_%d", (int)getpid());
    char *cmd = qr_xasprintf("psql '%s' -q -c 'CREATE DATABASE %s' >/dev/null", base, pg_db);
    int rc = system(cmd);
    free(cmd);
    const char *scheme = strstr(base, "://");
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (rc != 0 || !slash)
        return -1;
    const char *q = strchr(slash, '?');
    char *url = qr_xasprintf("%.*s/%s%s", (int)(slash - base), base, pg_db, q ? q : "");
    setenv("QUIRE_DATABASE", url, 1);
    free(url);
    return 0;
}

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir) || pg_env())
        return -1;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_app_open(&ctx, &cfg, NULL, 0, &err)) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    char *password = NULL;
    if (qr_org_bootstrap(&ctx, "admin", &root_id, &password, &err))
        return -1;
    qr_tokens_t t;
    qr_status_t st = qr_login(&ctx, "root", "admin", password, "192.0.2.1", &t, &err);
    free(password);
    if (st)
        return -1;
    st = qr_session_authenticate(&ctx, t.access_token, strlen(t.access_token), &admin, &err);
    qr_tokens_free(&t);
    return st ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    free(root_id);
    if (pg_db[0]) {
        char *cmd = qr_xasprintf("psql '%s' -q -c 'DROP DATABASE %s WITH (FORCE)' >/dev/null",
                                 getenv("QUIRE_TEST_PG_URL"), pg_db);
        if (system(cmd) != 0)
            fprintf(stderr, "teardown: could not drop %s\n", pg_db);
        free(cmd);
    }
    return fixture_remove(dir);
}

/* Inserts org id under parent (path and depth from it) with a time zone; returns nothing. */
static void org_add(const char *id, const char *parent, const char *type, const char *tz) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(
        qr_db_q(c, &r, NULL, "SELECT path, depth FROM orgs WHERE id = ?", QR_TEXT(parent)), QR_OK);
    assert_int_equal(qr_dbres_rows(r), 1);
    char *path = qr_xasprintf("%s%s/", qr_dbres_text(r, 0, 0), id);
    char *name = qr_xasprintf("Org %s", id);
    assert_int_equal(qr_db_q(c, NULL, NULL,
                             "INSERT INTO orgs (id, parent_id, path, depth, type, name, slug, "
                             "time_zone, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                             "0, 0)",
                             QR_TEXT(id), QR_TEXT(parent), QR_TEXT(path),
                             QR_INT(qr_dbres_int(r, 0, 1) + 1), QR_TEXT(type), QR_TEXT(name),
                             QR_TEXT(id), QR_TEXT(tz)),
                     QR_OK);
    free(path);
    free(name);
    qr_dbres_free(r);
    qr_db_release(c);
}

/* Books one entry for org at event time `event`, received at `now`, in its own transaction
 * (or rolled back); returns the late flag. */
static int book(const char *org, const char *user, const char *device, const char *type,
                long long pages, long long copies, int color, int duplex, int64_t event,
                int64_t now, int commit) {
    qr_joblog_entry_t e = {user, type, pages, copies, color, duplex, event};
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    int late = 0;
    assert_int_equal(qr_dbc_begin(c), QR_OK);
    long long id = 0;
    assert_int_equal(qr__joblog_insert(c, org, device, now, &e, &id), QR_OK);
    assert_true(id > 0);
    /* The flag as the ledger computed it, read back from what was booked. */
    qr_dbres_t *r = NULL;
    assert_int_equal(qr_db_q(c, &r, NULL,
                             "SELECT COALESCE(SUM(late_entries), 0) FROM usage_month WHERE "
                             "org_id = ?",
                             QR_TEXT(org)),
                     QR_OK);
    late = (int)qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    if (commit)
        assert_int_equal(qr_dbc_commit(c), QR_OK);
    else
        qr_dbc_rollback(c);
    qr_db_release(c);
    return late;
}

static long long count(const char *sql, const char *org) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(qr_db_q(c, &r, NULL, sql, QR_TEXT(org)), QR_OK);
    long long n = qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    qr_db_release(c);
    return n;
}

static void test_tz_day(void **state) {
    (void)state;
    char d[11], m[8];
    qr_tz_day("America/New_York", APRIL_1_0300, d);
    assert_string_equal(d, "2026-03-31");
    qr_tz_day("Europe/Berlin", APRIL_1_0300, d);
    assert_string_equal(d, "2026-04-01");
    qr_tz_day("No/Such_Zone", APRIL_1_0300, d);
    assert_string_equal(d, "2026-04-01");
    qr_tz_month("America/New_York", APRIL_1_0300, m);
    assert_string_equal(m, "2026-03");
}

/* The ledger and the log are written together: a rolled-back log row leaves no booking. */
static void test_same_transaction(void **state) {
    (void)state;
    const char *org = "10000000000000000000000000000001";
    org_add(org, root_id, "customer", "UTC");
    book(org, NULL, "dev-a", "copy", 2, 1, 0, 0, 0, MARCH_15, 0);
    assert_int_equal(count("SELECT COUNT(*) FROM job_log WHERE org_id = ?", org), 0);
    assert_int_equal(count("SELECT COUNT(*) FROM usage_daily WHERE org_id = ?", org), 0);
    assert_int_equal(count("SELECT COUNT(*) FROM usage_month WHERE org_id = ?", org), 0);
    book(org, NULL, "dev-a", "copy", 2, 3, 0, 0, 0, MARCH_15, 1);
    assert_int_equal(count("SELECT COUNT(*) FROM job_log WHERE org_id = ?", org), 1);
    assert_int_equal(count("SELECT copy_pages FROM usage_month WHERE org_id = ?", org), 6);
}

/* A late entry goes to the open month, flagged with its own; the closed month is unchanged. */
static void test_closed_month(void **state) {
    (void)state;
    const char *ny = "10000000000000000000000000000002", *be = "10000000000000000000000000000003";
    org_add(ny, root_id, "customer", "America/New_York");
    org_add(be, root_id, "customer", "Europe/Berlin");
    assert_int_equal(book(ny, NULL, "dev-b", "print", 5, 1, 1, 0, MARCH_15, MARCH_15, 1), 0);
    assert_int_equal(book(ny, NULL, "dev-b", "print", 2, 2, 0, 1, APRIL_1_0300, APRIL_10, 1), 1);
    assert_int_equal(book(be, NULL, "dev-c", "print", 2, 2, 0, 1, APRIL_1_0300, APRIL_10, 1), 0);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_usage_rollup_t u;
    assert_int_equal(qr_usage_rollup(&ctx, &admin, root_id, "2026-03", &u, &err), QR_OK);
    assert_true(u.has_children);
    long long ny_march = -1;
    for (size_t i = 0; i < u.nchildren; i++)
        if (strcmp(u.children[i].id, ny) == 0)
            ny_march = u.children[i].own.print_pages;
    assert_int_equal(ny_march, 5);
    qr_usage_rollup_clear(&u);
    /* New York's April: 4 pages, 1 late entry of March; Berlin's: 4 pages on 1 April. */
    qr_principal_t p = admin;
    assert_int_equal(qr_usage_rollup(&ctx, &p, ny, "2026-04", &u, &err), QR_OK);
    assert_false(u.has_children);
    assert_int_equal(u.own.print_pages, 4);
    assert_int_equal(u.own.print_duplex, 4);
    assert_int_equal(u.own.late_entries, 1);
    assert_int_equal(u.own.late_pages, 4);
    assert_int_equal(u.nlate, 1);
    assert_string_equal(u.late[0].month, "2026-03");
    qr_usage_rollup_clear(&u);
    assert_int_equal(count("SELECT COUNT(*) FROM usage_daily WHERE org_id = ? AND day = "
                           "'2026-04-10'",
                           ny),
                     1);
    assert_int_equal(count("SELECT COUNT(*) FROM usage_daily WHERE org_id = ? AND day = "
                           "'2026-04-01'",
                           be),
                     1);
    /* The device's event time is checked: a little skew ahead, 90 days back. */
    assert_int_equal(qr_usage_check_time(APRIL_10 + 60, APRIL_10, &err), QR_OK);
    assert_int_equal(qr_usage_check_time(APRIL_10 + 3600, APRIL_10, &err), QR_E_INVALID);
    assert_int_equal(qr_usage_check_time(APRIL_10 - 91 * 86400LL, APRIL_10, &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "90 days"));
}

/* TEN-4: a provider's children by name with their subtree sums; deeper orgs only counted. */
static void test_rollup_tree(void **state) {
    (void)state;
    const char *dealer = "20000000000000000000000000000001",
               *cust = "20000000000000000000000000000002",
               *sub = "20000000000000000000000000000003",
               *deep = "20000000000000000000000000000004";
    org_add(dealer, root_id, "provider", "UTC");
    org_add(cust, dealer, "customer", "UTC");
    org_add(sub, dealer, "provider", "UTC");
    org_add(deep, sub, "customer", "Asia/Tokyo");
    book(cust, NULL, "dev-d", "scan", 3, 1, 0, 0, 0, MARCH_15, 1);
    book(deep, NULL, "dev-e", "print", 7, 2, 1, 1, 0, MARCH_15, 1);
    book(deep, NULL, "dev-e", "copy", 1, 1, 0, 0, 0, MARCH_15, 1);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_usage_rollup_t u;
    assert_int_equal(qr_usage_rollup(&ctx, &admin, root_id, "2026-03", &u, &err), QR_OK);
    const qr_usage_child_t *d = NULL;
    for (size_t i = 0; i < u.nchildren; i++) {
        assert_string_not_equal(u.children[i].id, cust); /* only direct children */
        assert_string_not_equal(u.children[i].id, deep);
        if (strcmp(u.children[i].id, dealer) == 0)
            d = &u.children[i];
    }
    assert_non_null(d);
    assert_int_equal(d->orgs_below, 3);
    assert_int_equal(d->own.print_pages, 0);
    assert_int_equal(d->subtree.print_pages, 14);
    assert_int_equal(d->subtree.print_color, 14);
    assert_int_equal(d->subtree.copy_pages, 1);
    assert_int_equal(d->subtree.scan_pages, 3);
    assert_int_equal(d->subtree.active_devices, 2);
    qr_usage_rollup_clear(&u);
    /* The root's subscription report of its own org works; of a child's, 404. */
    assert_int_equal(qr_usage_subscriptions(&ctx, &admin, root_id, "2026-03", &u, &err), QR_OK);
    qr_usage_rollup_clear(&u);
    assert_int_equal(qr_usage_subscriptions(&ctx, &admin, dealer, "2026-03", &u, &err),
                     QR_E_NOT_FOUND);
    assert_int_equal(qr_usage_rollup(&ctx, &admin, root_id, "2026-3", &u, &err), QR_E_INVALID);
}

/* REP-1 on the root org itself: rows per user and device and the org's totals. */
static void test_report_period(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    book(root_id, admin.user_id, "dev-r", "print", 4, 1, 0, 1, 0, MARCH_15, 1);
    book(root_id, NULL, "dev-r", "copy", 2, 1, 0, 0, 0, MARCH_15, 1);
    qr_usage_row_t *rows = NULL;
    size_t n = 0;
    qr_usage_figures_t tot;
    qr_usage_period_t pd;
    assert_int_equal(qr_usage_report(&ctx, &admin, root_id, QR_USAGE_BY_USER, "2026-03-01",
                                     "2026-03-31", &rows, &n, &tot, &pd, &err),
                     QR_OK);
    assert_int_equal(n, 2);
    assert_null(rows[0].id); /* the walk-up copy first */
    assert_int_equal(rows[0].f.copy_pages, 2);
    assert_string_equal(rows[1].name, "admin");
    assert_int_equal(rows[1].f.print_duplex, 4);
    assert_int_equal(tot.print_pages + tot.copy_pages, 6);
    qr_usage_list_free(rows, n);
    assert_int_equal(qr_usage_report(&ctx, &admin, root_id, QR_USAGE_BY_DEVICE, "2026-03-16", NULL,
                                     &rows, &n, &tot, &pd, &err),
                     QR_OK);
    assert_int_equal(n, 0);
    qr_usage_list_free(rows, n);
    assert_int_equal(qr_usage_report(&ctx, &admin, root_id, QR_USAGE_BY_USER, "2026-02-29", NULL,
                                     &rows, &n, &tot, &pd, &err),
                     QR_E_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tz_day),        cmocka_unit_test(test_same_transaction),
        cmocka_unit_test(test_closed_month),  cmocka_unit_test(test_rollup_tree),
        cmocka_unit_test(test_report_period),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
