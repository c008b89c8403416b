/* SPDX-License-Identifier: Apache-2.0 */
/* quire: AUTH-5 lockout and AUTH-7 refresh rotation, through the auth module on a real
 * SQLite database with the injected clock (no sleeping). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include "fixture.h"
#include "auth/account.h"
#include "auth/credcache.h"
#include "auth/login.h"
#include "auth/session.h"
#include "auth/throttle.h"
#include "cmd/app.h"
#include "crypto/password.h"
#include "store/db.h"
#include "tenancy/org.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-login-XXXXXX";
static char *root_password;
static const char *SRC = "192.0.2.1";

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    setenv("QUIRE_LOGIN_THROTTLE_PER_MIN", "1000000", 1);
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_app_open(&ctx, &cfg, NULL, 0, &err)) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    /* Only the test moves time: the 29:59 / 30:00 boundaries hold on a slow (ASan) run. */
    qr_clock_freeze(ctx.clock);
    char *org = NULL;
    if (qr_org_bootstrap(&ctx, "admin", &org, &root_password, &err))
        return -1;
    free(org);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    free(root_password);
    return fixture_remove(dir);
}

static qr_status_t login(const char *user, const char *pw, qr_err_t *err) {
    qr_tokens_t t;
    qr_status_t st = qr_login(&ctx, "root", user, pw, SRC, &t, err);
    qr_tokens_free(&t);
    return st;
}

static void unlock_admin(void) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbc_script(c, "UPDATE users SET fail_prev = NULL, fail_last = NULL, locked_until = NULL");
    qr_dbc_script(c, "DELETE FROM login_wrong");
    qr_db_release(c);
}

/* A wrong password never tried before (AUTH-5 counts a repeated one once). */
static const char *wrong_pw(void) {
    static char buf[32];
    static int n;
    snprintf(buf, sizeof(buf), "Wrong-pass-%d", ++n);
    return buf;
}

static void test_auth5_correct_password_logs_in(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", root_password, &err), QR_OK);
}

static void test_auth5_three_failures_lock_for_30_minutes(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    for (int i = 0; i < 3; i++)
        assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 30 * 60 - 1); /* 29:59 after the lock: still locked */
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 1); /* 30:00: unlocked by itself */
    assert_int_equal(login("admin", root_password, &err), QR_OK);
}

static void test_auth5_window_boundary_14_59_locks(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 7 * 60);
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 7 * 60 + 59); /* third failure at 14:59 */
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 30 * 60);
}

static void test_auth5_window_boundary_15_01_does_not_lock(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 8 * 60);
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 7 * 60 + 1); /* third failure at 15:01: the first fell out */
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_OK);
}

/* Exactly 15:00 between the first and the third failure is no longer "within 15 minutes":
 * the first failure has left the window (the window is the 900 seconds before now). */
static void test_auth5_window_boundary_15_00_does_not_lock(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 8 * 60);
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 7 * 60); /* third failure at exactly 15:00 */
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_OK);
}

static void test_auth5_success_resets_the_count(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_OK);
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_OK);
}

static void test_auth5_same_answer_for_unknown_wrong_and_locked(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t unknown = {QR_OK, NULL, ""}, wrong = {QR_OK, NULL, ""}, locked = {QR_OK, NULL, ""};
    assert_int_equal(login("nobody-here", "Wrong-pass-1", &unknown), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", wrong_pw(), &wrong), QR_E_UNAUTHORIZED);
    login("admin", wrong_pw(), &wrong);
    login("admin", wrong_pw(), &wrong);
    assert_int_equal(login("admin", root_password, &locked), QR_E_UNAUTHORIZED);
    assert_string_equal(qr_err_code(&unknown), qr_err_code(&wrong));
    assert_string_equal(qr_err_code(&unknown), qr_err_code(&locked));
    assert_string_equal(unknown.msg, wrong.msg);
    assert_string_equal(unknown.msg, locked.msg);
    qr_clock_advance(ctx.clock, 30 * 60);
}

/* The CPU time this thread spends in one failed login, in microseconds. */
static double failed_login_us(const char *user, const char *pw) {
    struct timespec a, b;
    qr_err_t err = {QR_OK, NULL, ""};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    assert_int_equal(login(user, pw, &err), QR_E_UNAUTHORIZED);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    return (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
}

static int by_value(const void *x, const void *y) {
    double d = *(const double *)x - *(const double *)y;
    return (d > 0) - (d < 0);
}

/* AUTH-5: an unknown user, a wrong password and a locked account cost the same: each
 * evaluates exactly one Argon2id hash of the real (OWASP) strength, which dominates the
 * time. Measured as this thread's CPU time (not wall time, so other load does not
 * matter), median of 7; the medians must agree within 20 %. */
static void test_auth5_same_timing_for_unknown_wrong_and_locked(void **state) {
    (void)state;
    unlock_admin();
    qr_argon2_params_t owasp = {19 * 1024, 2};
    char *strong = qr_password_hash(&owasp, root_password);
    char *dummy = qr_password_hash(&owasp, "a dummy nobody knows");
    assert_non_null(strong);
    assert_non_null(dummy);
    char *cheap_dummy = ctx.dummy_hash;
    ctx.dummy_hash = dummy;
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    char *old = NULL;
    qr_dbres_t *r = NULL;
    assert_int_equal(qr_db_q(c, &r, NULL, "SELECT pw_hash FROM users WHERE username = 'admin'"),
                     QR_OK);
    old = strdup(qr_dbres_text(r, 0, 0));
    qr_dbres_free(r);
    assert_int_equal(qr_db_q(c, NULL, NULL, "UPDATE users SET pw_hash = ? WHERE username = 'admin'",
                             QR_TEXT(strong)),
                     QR_OK);
    qr_db_release(c);

    enum { N = 7 };
    double unknown[N], wrong[N], locked[N];
    for (int i = 0; i < N; i++) {
        unlock_admin();
        unknown[i] = failed_login_us("nobody-here", "Wrong-pass-1");
        wrong[i] = failed_login_us("admin", wrong_pw());
        failed_login_us("admin", wrong_pw());
        failed_login_us("admin", wrong_pw()); /* now locked */
        locked[i] = failed_login_us("admin", root_password);
    }
    qsort(unknown, N, sizeof(double), by_value);
    qsort(wrong, N, sizeof(double), by_value);
    qsort(locked, N, sizeof(double), by_value);
    double mu = unknown[N / 2], mw = wrong[N / 2], ml = locked[N / 2];
    double lo = mu < mw ? (mu < ml ? mu : ml) : (mw < ml ? mw : ml);
    double hi = mu > mw ? (mu > ml ? mu : ml) : (mw > ml ? mw : ml);
    fprintf(stderr,
            "AUTH-5 failed-login CPU time, median of %d: unknown user %.0f us, wrong "
            "password %.0f us, locked %.0f us\n",
            N, mu, mw, ml);
    assert_true(lo > 1000);     /* a real Argon2id ran on every path */
    assert_true(hi < lo * 1.2); /* and nothing else of weight */

    c = qr_db_acquire(ctx.db);
    qr_db_q(c, NULL, NULL, "UPDATE users SET pw_hash = ? WHERE username = 'admin'", QR_TEXT(old));
    qr_db_release(c);
    ctx.dummy_hash = cheap_dummy;
    unlock_admin();
    free(old);
    free(strong);
    free(dummy);
}

static long long count_audit(const char *action) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    qr_db_q(c, &r, NULL, "SELECT COUNT(*) FROM audit WHERE action = ?", QR_TEXT(action));
    long long n = qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    qr_db_release(c);
    return n;
}

static void *guess(void *arg) {
    char pw[32];
    snprintf(pw, sizeof(pw), "Wrong-guess-%d", (int)(intptr_t)arg);
    qr_err_t err = {QR_OK, NULL, ""};
    login("admin", pw, &err);
    return NULL;
}

static void test_auth5_50_parallel_attempts_evaluate_at_most_3(void **state) {
    (void)state;
    unlock_admin();
    long long before = count_audit("login_failed");
    pthread_t th[50];
    for (int i = 0; i < 50; i++)
        assert_int_equal(pthread_create(&th[i], NULL, guess, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 50; i++)
        pthread_join(th[i], NULL);
    long long evaluated = count_audit("login_failed") - before;
    assert_true(evaluated >= 1 && evaluated <= 3);
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 30 * 60);
}

struct refresh_arg {
    const char *token;
    int ok;
};

static void *refresh_once(void *p) {
    struct refresh_arg *a = p;
    qr_tokens_t t;
    qr_err_t err = {QR_OK, NULL, ""};
    a->ok = qr_session_refresh(&ctx, a->token, NULL, &t, &err) == QR_OK;
    qr_tokens_free(&t);
    return NULL;
}

static void test_auth7_100_concurrent_refreshes_one_success(void **state) {
    (void)state;
    unlock_admin();
    qr_tokens_t t;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, SRC, &t, &err), QR_OK);
    pthread_t th[100];
    struct refresh_arg args[100];
    for (int i = 0; i < 100; i++) {
        args[i] = (struct refresh_arg){t.refresh_token, 0};
        assert_int_equal(pthread_create(&th[i], NULL, refresh_once, &args[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < 100; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].ok;
    }
    assert_int_equal(ok, 1);
    qr_tokens_free(&t);
}

static void test_auth7_reuse_revokes_family(void **state) {
    (void)state;
    qr_tokens_t t1, t2, t3;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, SRC, &t1, &err), QR_OK);
    assert_int_equal(qr_session_refresh(&ctx, t1.refresh_token, NULL, &t2, &err), QR_OK);
    qr_principal_t p;
    assert_int_equal(
        qr_session_authenticate(&ctx, t2.access_token, strlen(t2.access_token), &p, &err), QR_OK);
    /* The spent token comes back: the whole family ends, the new tokens too. */
    assert_int_equal(qr_session_refresh(&ctx, t1.refresh_token, NULL, &t3, &err),
                     QR_E_UNAUTHORIZED);
    assert_string_equal(qr_err_code(&err), "invalid_grant");
    assert_int_equal(qr_session_refresh(&ctx, t2.refresh_token, NULL, &t3, &err),
                     QR_E_UNAUTHORIZED);
    assert_int_equal(
        qr_session_authenticate(&ctx, t2.access_token, strlen(t2.access_token), &p, &err),
        QR_E_UNAUTHORIZED);
    qr_tokens_free(&t1);
    qr_tokens_free(&t2);
}

static void test_auth7_access_token_lives_15_minutes(void **state) {
    (void)state;
    qr_tokens_t t;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, SRC, &t, &err), QR_OK);
    qr_principal_t p;
    size_t n = strlen(t.access_token);
    qr_clock_advance(ctx.clock, 15 * 60 - 1);
    assert_int_equal(qr_session_authenticate(&ctx, t.access_token, n, &p, &err), QR_OK);
    qr_clock_advance(ctx.clock, 1);
    assert_int_equal(qr_session_authenticate(&ctx, t.access_token, n, &p, &err), QR_E_UNAUTHORIZED);
    /* A tampered token is refused. */
    t.access_token[n - 2] = t.access_token[n - 2] == 'A' ? 'B' : 'A';
    qr_clock_advance(ctx.clock, -60);
    assert_int_equal(qr_session_authenticate(&ctx, t.access_token, n, &p, &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 60);
    qr_tokens_free(&t);
}

static void test_auth5_throttle_per_source(void **state) {
    (void)state;
    unlock_admin();
    cfg.login_throttle_per_min = 5;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_tokens_t t;
    for (int i = 0; i < 5; i++)
        assert_int_equal(qr_login(&ctx, "root", "nobody-here", "x", "198.51.100.7", &t, &err),
                         QR_E_UNAUTHORIZED);
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, "198.51.100.7", &t, &err),
                     QR_E_THROTTLED);
    /* Another address is not affected; a minute later the first one may try again. */
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, "198.51.100.8", &t, &err),
                     QR_OK);
    qr_tokens_free(&t);
    qr_clock_advance(ctx.clock, 60);
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, "198.51.100.7", &t, &err),
                     QR_OK);
    qr_tokens_free(&t);
    cfg.login_throttle_per_min = 1000000;
}

static void test_auth5_throttle_ipv6_counts_per_64(void **state) {
    (void)state;
    unlock_admin();
    cfg.login_throttle_per_min = 4;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_tokens_t t;
    /* One host walking through the addresses of its /64 is one source. */
    const char *hops[] = {"2001:db8:7:1::1", "2001:db8:7:1::2", "2001:db8:7:1:abcd::9",
                          "2001:db8:7:1:ffff:ffff:ffff:ffff"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(qr_login(&ctx, "root", "nobody-here", "x", hops[i], &t, &err),
                         QR_E_UNAUTHORIZED);
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, "2001:db8:7:1::77", &t, &err),
                     QR_E_THROTTLED);
    /* The next /64 is another source. */
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, "2001:db8:7:2::1", &t, &err),
                     QR_OK);
    qr_tokens_free(&t);
    /* An IPv4 address seen through a dual-stack socket is the IPv4 address. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(qr_login(&ctx, "root", "nobody-here", "x", "::ffff:203.0.113.9", &t, &err),
                         QR_E_UNAUTHORIZED);
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, "203.0.113.9", &t, &err),
                     QR_E_THROTTLED);
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, "203.0.113.10", &t, &err),
                     QR_OK);
    qr_tokens_free(&t);
    qr_clock_advance(ctx.clock, 60);
    cfg.login_throttle_per_min = 1000000;
}

static void test_auth5_throttle_shared_and_swept(void **state) {
    (void)state;
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    int64_t now = qr_clock_now(ctx.clock);
    /* A second handle on the same database is what a second server has: failures counted
     * by either count for both. */
    qr_throttle_t *other = qr_throttle_create(60);
    for (int i = 0; i < 3; i++)
        qr_throttle_add(ctx.throttle, c, "192.0.2.200", now);
    assert_false(qr_throttle_is_blocked(other, c, "192.0.2.200", now, 4));
    qr_throttle_add(other, c, "192.0.2.200", now);
    assert_true(qr_throttle_is_blocked(ctx.throttle, c, "192.0.2.200", now, 4));
    assert_true(qr_throttle_is_blocked(other, c, "192.0.2.200", now, 4));
    assert_false(qr_throttle_is_blocked(other, c, "192.0.2.201", now, 4));
    /* Past windows are swept; the current one stays. */
    qr_throttle_sweep(other, c, now);
    assert_true(qr_throttle_is_blocked(other, c, "192.0.2.200", now, 4));
    assert_true(qr_throttle_sweep(other, c, now + 120) >= 1);
    assert_false(qr_throttle_is_blocked(ctx.throttle, c, "192.0.2.200", now, 4));
    qr_throttle_destroy(other);
    qr_db_release(c);
}

/* Issue 13: the operator's reset (no mail) unlocks, ends the old password, is one-time, and
 * finds the name in any case (AUTH-3) as sign-in does. */
static void test_issue13_operator_reset_unlocks_one_time(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    for (int i = 0; i < 3; i++)
        login("admin", wrong_pw(), &err);
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED); /* locked */
    qr_user_t u;
    char *pw = NULL;
    assert_int_equal(qr_account_reset_by_operator(&ctx, "root", "ADMIN", &u, &pw, &err), QR_OK);
    assert_non_null(pw);
    assert_string_equal(u.username, "admin");
    assert_int_equal(u.must_change_password, 1);
    assert_int_equal(u.locked, 0);
    qr_user_clear(&u);
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("Admin", pw, &err), QR_OK);
    free(root_password);
    root_password = pw;
    assert_int_equal(qr_account_reset_by_operator(&ctx, "root", "nobody", &u, &pw, &err),
                     QR_E_NOT_FOUND);
    assert_null(pw);
    assert_non_null(strstr(err.msg, "no user 'nobody'"));
    assert_int_equal(qr_account_reset_by_operator(&ctx, "nowhere", "admin", &u, &pw, &err),
                     QR_E_NOT_FOUND);
    assert_non_null(strstr(err.msg, "no organization with slug 'nowhere'"));
}

/* AUTH-5, issue 15 (smart lockout): a client retrying a stale password, the same wrong one
 * from the same source, does not lock its user; the same password from other sources, and
 * distinct ones, still count. Only an HMAC of the wrong password is stored. */
static void test_auth5_same_wrong_password_from_one_source_counts_once(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    for (int i = 0; i < 10; i++)
        assert_int_equal(login("admin", "Stale-pass-1!", &err), QR_E_UNAUTHORIZED);
    assert_string_equal(qr_err_code(&err), "invalid_credentials");
    assert_int_equal(login("admin", root_password, &err), QR_OK);
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(qr_db_q(c, &r, NULL, "SELECT tag FROM login_wrong"), QR_OK);
    assert_int_equal(qr_dbres_rows(r), 1);
    assert_int_equal(strlen(qr_dbres_text(r, 0, 0)), 64);
    assert_null(strstr(qr_dbres_text(r, 0, 0), "Stale"));
    qr_dbres_free(r);
    qr_db_release(c);
    /* The same password from two other sources counts twice, once more from the first
     * source it does not count (not locked yet); from three new sources it locks. */
    qr_tokens_t t;
    const char *sources[] = {"192.0.2.2", SRC, "192.0.2.3"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(qr_login(&ctx, "root", "admin", "Stale-pass-1!", sources[i], &t, &err),
                         QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_OK); /* 2 counted: not locked */
    const char *more[] = {"192.0.2.4", "192.0.2.5", "192.0.2.6"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(qr_login(&ctx, "root", "admin", "Stale-pass-1!", more[i], &t, &err),
                         QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED); /* locked */
    qr_clock_advance(ctx.clock, 30 * 60);
}

/* The repeat is remembered for the lock window only: after 15 minutes it counts again. */
static void test_auth5_repeat_counts_again_after_the_window(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", "Stale-pass-2!", &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 15 * 60);
    assert_int_equal(login("admin", "Stale-pass-2!", &err), QR_E_UNAUTHORIZED); /* counts */
    qr_clock_advance(ctx.clock, 1);
    assert_int_equal(login("admin", "Stale-pass-2!", &err), QR_E_UNAUTHORIZED); /* does not */
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED);
    assert_int_equal(login("admin", wrong_pw(), &err), QR_E_UNAUTHORIZED); /* third: locked */
    assert_int_equal(login("admin", root_password, &err), QR_E_UNAUTHORIZED);
    qr_clock_advance(ctx.clock, 30 * 60);
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    assert_true(qr_login_sweep(c, qr_clock_now(ctx.clock)) >= 1);
    qr_db_release(c);
}

static void *stale_guess(void *arg) {
    (void)arg;
    qr_err_t err = {QR_OK, NULL, ""};
    login("admin", "Stale-pass-3!", &err);
    return NULL;
}

/* A queue sending the same stale password on 50 connections at once: one counts. */
static void test_auth5_50_parallel_identical_attempts_do_not_lock(void **state) {
    (void)state;
    unlock_admin();
    pthread_t th[50];
    for (int i = 0; i < 50; i++)
        assert_int_equal(pthread_create(&th[i], NULL, stale_guess, NULL), 0);
    for (int i = 0; i < 50; i++)
        pthread_join(th[i], NULL);
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(login("admin", root_password, &err), QR_OK);
}

static qr_status_t basic(const char *pw, int cached, qr_principal_t *p, qr_err_t *err) {
    return cached ? qr_login_basic_cached(&ctx, "root", "admin", pw, SRC, p, err)
                  : qr_login_basic(&ctx, "root", "admin", pw, SRC, p, err);
}

/* Issue 15: a verified Basic credential is remembered 5 minutes and dropped at once when the
 * account is locked or its password changes; a wrong password is never remembered. */
static void test_issue15_basic_credential_cache(void **state) {
    (void)state;
    unlock_admin();
    qr_err_t err = {QR_OK, NULL, ""};
    qr_principal_t p;
    assert_int_equal(basic(root_password, 1, &p, &err), QR_E_NOT_FOUND);
    assert_int_equal(basic(root_password, 0, &p, &err), QR_OK);
    char uid[33];
    snprintf(uid, sizeof(uid), "%s", p.user_id);
    assert_int_equal(basic(root_password, 1, &p, &err), QR_OK);
    assert_string_equal(p.user_id, uid);
    assert_int_equal(p.role, QR_ROLE_PROVIDER_ADMIN); /* the bootstrap admin of root */
    assert_int_equal(basic("Wrong-basic-1!", 1, &p, &err), QR_E_NOT_FOUND);
    assert_int_equal(basic("Wrong-basic-1!", 0, &p, &err), QR_E_UNAUTHORIZED);
    assert_int_equal(basic("Wrong-basic-1!", 1, &p, &err), QR_E_NOT_FOUND);
    /* Five minutes after the check the full check runs again. */
    qr_clock_advance(ctx.clock, QR_CREDCACHE_TTL_S - 1);
    assert_int_equal(basic(root_password, 1, &p, &err), QR_OK);
    qr_clock_advance(ctx.clock, 1);
    assert_int_equal(basic(root_password, 1, &p, &err), QR_E_NOT_FOUND);
    assert_int_equal(basic(root_password, 0, &p, &err), QR_OK);
    /* A lock ends it, and the unlock does not bring it back. */
    for (int i = 0; i < 3; i++)
        login("admin", wrong_pw(), &err);
    assert_int_equal(basic(root_password, 1, &p, &err), QR_E_NOT_FOUND);
    unlock_admin();
    assert_int_equal(basic(root_password, 1, &p, &err), QR_E_NOT_FOUND);
    /* A password change ends it at once: the old password is refused at the next request. */
    assert_int_equal(basic(root_password, 0, &p, &err), QR_OK);
    assert_int_equal(basic(root_password, 1, &p, &err), QR_OK);
    qr_tokens_t t;
    qr_principal_t me;
    assert_int_equal(qr_login(&ctx, "root", "admin", root_password, SRC, &t, &err), QR_OK);
    assert_int_equal(
        qr_session_authenticate(&ctx, t.access_token, strlen(t.access_token), &me, &err), QR_OK);
    const char *fresh = "Fresh-Basic-77!";
    assert_int_equal(qr_account_set_password(&ctx, &me, root_password, fresh, &err), QR_OK);
    qr_tokens_free(&t);
    assert_int_equal(basic(root_password, 1, &p, &err), QR_E_NOT_FOUND);
    assert_int_equal(basic(root_password, 0, &p, &err), QR_E_UNAUTHORIZED);
    assert_int_equal(basic(fresh, 0, &p, &err), QR_OK);
    assert_int_equal(basic(fresh, 1, &p, &err), QR_OK);
    free(root_password);
    root_password = strdup(fresh);
    unlock_admin();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth5_correct_password_logs_in),
        cmocka_unit_test(test_auth5_three_failures_lock_for_30_minutes),
        cmocka_unit_test(test_auth5_window_boundary_14_59_locks),
        cmocka_unit_test(test_auth5_window_boundary_15_00_does_not_lock),
        cmocka_unit_test(test_auth5_window_boundary_15_01_does_not_lock),
        cmocka_unit_test(test_auth5_success_resets_the_count),
        cmocka_unit_test(test_auth5_same_answer_for_unknown_wrong_and_locked),
        cmocka_unit_test(test_auth5_same_timing_for_unknown_wrong_and_locked),
        cmocka_unit_test(test_auth5_50_parallel_attempts_evaluate_at_most_3),
        cmocka_unit_test(test_auth7_100_concurrent_refreshes_one_success),
        cmocka_unit_test(test_auth7_reuse_revokes_family),
        cmocka_unit_test(test_auth7_access_token_lives_15_minutes),
        cmocka_unit_test(test_auth5_throttle_per_source),
        cmocka_unit_test(test_auth5_throttle_ipv6_counts_per_64),
        cmocka_unit_test(test_auth5_throttle_shared_and_swept),
        cmocka_unit_test(test_issue13_operator_reset_unlocks_one_time),
        cmocka_unit_test(test_auth5_same_wrong_password_from_one_source_counts_once),
        cmocka_unit_test(test_auth5_repeat_counts_again_after_the_window),
        cmocka_unit_test(test_auth5_50_parallel_identical_attempts_do_not_lock),
        cmocka_unit_test(test_issue15_basic_credential_cache),
    };
    return cmocka_run_group_tests_name("login", tests, setup, teardown);
}
