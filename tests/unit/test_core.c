/* SPDX-License-Identifier: Apache-2.0 */
/* quire: core — canonical paths, percent-decoding, UTF-8, strict JSON intake, the bounded
 * buffer and configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/json.h"
#include "core/text.h"
#include "core/tz.h"

static int canon(const char *p) {
    return qr_path_is_canonical(p, strlen(p));
}

static void test_paths_canonical_accepted(void **state) {
    (void)state;
    assert_true(canon("/"));
    assert_true(canon("/healthz"));
    assert_true(canon("/api/v1/orgs/0123456789abcdef0123456789abcdef/users"));
    assert_true(canon("/a.b/c-d/e_f/g~h"));
    assert_true(canon("/api/v1/orgs/")); /* a trailing slash is one spelling; no route has it */
}

static void test_paths_non_canonical_refused(void **state) {
    (void)state;
    const char *bad[] = {"",          "api",       "/api/../healthz", "/api/./v1", "/..",
                         "/.",        "//healthz", "/api//v1",        "/api;v1",   "/api%2fv1",
                         "/%2e%2e/x", "/api\\v1",  "/%252e",          "/api/v1?x", "/a b",
                         "/\xc3\xa9", "/api/v1#f", "/api/v1/orgs/%00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (canon(bad[i]))
            fail_msg("path accepted: '%s'", bad[i]);
    char longp[QR_PATH_MAX + 2];
    memset(longp, 'a', sizeof(longp));
    longp[0] = '/';
    assert_false(qr_path_is_canonical(longp, sizeof(longp)));
}

static void test_percent_decode(void **state) {
    (void)state;
    char out[64];
    assert_int_equal(qr_percent_decode("a%20b+c", 7, out, sizeof(out)), 5);
    assert_string_equal(out, "a b c");
    assert_int_equal(qr_percent_decode("%C3%A9", 6, out, sizeof(out)), 2);
    assert_int_equal(qr_percent_decode("%", 1, out, sizeof(out)), -1);
    assert_int_equal(qr_percent_decode("%4", 2, out, sizeof(out)), -1);
    assert_int_equal(qr_percent_decode("%zz", 3, out, sizeof(out)), -1);
    assert_int_equal(qr_percent_decode("%00", 3, out, sizeof(out)), -1);
    assert_int_equal(qr_percent_decode("%0a", 3, out, sizeof(out)), -1);
    assert_int_equal(qr_percent_decode("%C3", 3, out, sizeof(out)), -1);    /* truncated UTF-8 */
    assert_int_equal(qr_percent_decode("%C0%AF", 6, out, sizeof(out)), -1); /* overlong */
    assert_int_equal(qr_percent_decode("abcdef", 6, out, 4), -1);           /* no room */
}

static void test_utf8(void **state) {
    (void)state;
    assert_true(qr_utf8_valid("plain", 5));
    assert_true(qr_utf8_valid("\xe6\x9d\x8e\xf0\x9f\x98\x80", 7));
    assert_false(qr_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(qr_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(qr_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(qr_utf8_valid("\x80", 1));
    assert_false(qr_utf8_valid("\xc3", 1));
}

static qr_status_t parse(const char *s, json_t **out, qr_err_t *err) {
    return qr_json_parse_object(s, strlen(s), out, err);
}

static void test_json_intake(void **state) {
    (void)state;
    json_t *v = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(parse("", &v, &err), QR_OK); /* no body at all: {} */
    assert_int_equal(json_object_size(v), 0);
    json_decref(v);
    const char *bad[] = {" ",
                         "[]",
                         "1",
                         "{",
                         "{\"a\":1,\"a\":2}",
                         "{\"a\":\"\\u0000\"}",
                         "{\"a\":\"\xff\"}",
                         "{\"a\":1}x",
                         "nul"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err.code = NULL;
        if (parse(bad[i], &v, &err) != QR_E_INVALID)
            fail_msg("accepted: %s", bad[i]);
        assert_string_equal(qr_err_code(&err), "invalid_json");
    }
    /* Depth: 32 levels pass, 33 are refused before parsing. */
    char deep[80];
    for (int depth = 32; depth <= 33; depth++) {
        size_t n = 0;
        deep[n++] = '{';
        deep[n++] = '"';
        deep[n++] = 'a';
        deep[n++] = '"';
        deep[n++] = ':';
        for (int i = 1; i < depth; i++)
            deep[n++] = '[';
        for (int i = 1; i < depth; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        deep[n] = '\0';
        qr_status_t st = parse(deep, &v, &err);
        assert_int_equal(st, depth == 32 ? QR_OK : QR_E_INVALID);
        if (!st)
            json_decref(v);
    }
}

static void test_json_fields(void **state) {
    (void)state;
    json_t *v = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(parse("{\"name\":\"x\",\"n\":5,\"b\":true,\"extra\":1}", &v, &err), QR_OK);
    static const char *const keys[] = {"name", "n", "b", NULL};
    assert_int_equal(qr_json_check_keys(v, keys, &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "extra"));
    const char *s;
    long long n;
    int b, present;
    assert_int_equal(qr_json_get_str(v, "name", 1, 10, &s, &err), QR_OK);
    assert_string_equal(s, "x");
    assert_int_equal(qr_json_get_str(v, "n", 1, 10, &s, &err), QR_E_INVALID);
    assert_int_equal(qr_json_get_str(v, "missing", 1, 10, &s, &err), QR_E_INVALID);
    assert_int_equal(qr_json_get_str(v, "missing", 0, 10, &s, &err), QR_OK);
    assert_null(s);
    assert_int_equal(qr_json_get_int(v, "n", 1, 0, 4, &n, &present, &err), QR_E_INVALID);
    assert_int_equal(qr_json_get_int(v, "n", 1, 0, 5, &n, &present, &err), QR_OK);
    assert_int_equal(n, 5);
    assert_int_equal(qr_json_get_bool(v, "b", 1, &b, &present, &err), QR_OK);
    assert_true(b && present);
    assert_int_equal(qr_json_get_bool(v, "name", 1, &b, &present, &err), QR_E_INVALID);
    json_decref(v);
}

static void test_label_check(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_text_check_label("name", "Finance team", 100, &err), QR_OK);
    assert_int_equal(qr_text_check_label("name", "", 100, &err), QR_E_INVALID);
    assert_int_equal(qr_text_check_label("name", " lead", 100, &err), QR_E_INVALID);
    assert_int_equal(qr_text_check_label("name", "trail ", 100, &err), QR_E_INVALID);
    assert_int_equal(qr_text_check_label("name", "tab\there", 100, &err), QR_E_INVALID);
    assert_int_equal(qr_text_check_label("name", "abcd", 3, &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "name must be 1 to 3"));
}

static void test_buf_ceiling(void **state) {
    (void)state;
    qr_buf_t b;
    qr_buf_init(&b, 8);
    assert_int_equal(qr_buf_puts(&b, "12345"), QR_OK);
    assert_int_equal(qr_buf_puts(&b, "6789"), QR_E_TOO_LARGE);
    assert_int_equal(b.len, 5); /* unchanged */
    assert_int_equal(qr_buf_puts(&b, "678"), QR_OK);
    assert_string_equal(b.ptr, "12345678");
    qr_buf_free(&b);
}

static void test_config_defaults_file_and_env(void **state) {
    (void)state;
    qr_config_t cfg;
    char err[256];
    unsetenv("QUIRE_CONFIG");
    unsetenv("QUIRE_PORT");
    unsetenv("QUIRE_DATA_DIR");
    unsetenv("QUIRE_DATABASE");
    assert_int_equal(qr_config_load(&cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(cfg.port, 8443);
    assert_string_equal(cfg.database, "sqlite:quire-data/quire.db");
    assert_int_equal(cfg.test_clock, 0);
    qr_config_free(&cfg);

    char path[] = "/tmp/quire-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "# comment\nport = 9000\ndata_dir = /srv/q\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    setenv("QUIRE_PORT", "9100", 1);
    assert_int_equal(qr_config_load(&cfg, path, err, sizeof(err)), 0);
    assert_int_equal(cfg.port, 9100); /* the environment wins over the file */
    assert_string_equal(cfg.data_dir, "/srv/q");
    assert_string_equal(cfg.tls_cert, "/srv/q/tls/cert.pem");
    qr_config_free(&cfg);

    setenv("QUIRE_PORT", "70000", 1);
    assert_int_equal(qr_config_load(&cfg, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "port"));
    qr_config_free(&cfg);
    unsetenv("QUIRE_PORT");

    fd = open(path, O_WRONLY | O_TRUNC);
    const char bad[] = "colour = blue\n";
    assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
    close(fd);
    assert_int_equal(qr_config_load(&cfg, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown setting 'colour'"));
    qr_config_free(&cfg);
    unlink(path);
}

/* PRN-4: the month of an instant where the org is, daylight saving included. */
static void test_tz_month(void **state) {
    (void)state;
    char m[8];
    /* 2026-11-30 11:00:00 UTC is 2026-12-01 00:00 in Auckland (NZDT, UTC+13). */
    const int64_t nz_midnight = 1796036400;
    qr_tz_month("UTC", nz_midnight, m);
    assert_string_equal(m, "2026-11");
    qr_tz_month("Pacific/Auckland", nz_midnight, m);
    assert_string_equal(m, "2026-12");
    qr_tz_month("Pacific/Auckland", nz_midnight - 1, m);
    assert_string_equal(m, "2026-11");
    /* Midnight on 2027-01-01 in New York (EST, UTC-5) is 05:00 UTC. */
    qr_tz_month("America/New_York", 1798779599, m);
    assert_string_equal(m, "2026-12");
    qr_tz_month("America/New_York", 1798779600, m);
    assert_string_equal(m, "2027-01");
    /* An unknown zone counts as UTC (it cannot be stored: qr_tz_valid refuses it). */
    qr_tz_month("Mars/Olympus", nz_midnight, m);
    assert_string_equal(m, "2026-11");
    assert_true(qr_tz_valid("UTC"));
    assert_true(qr_tz_valid("Europe/Berlin"));
    assert_false(qr_tz_valid("Mars/Olympus"));
    assert_false(qr_tz_valid(""));
    assert_false(qr_tz_valid(NULL));
    assert_false(qr_tz_valid("Europe/Berlin\n"));
    assert_false(qr_tz_valid("../../etc/passwd"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_canonical_accepted),
        cmocka_unit_test(test_paths_non_canonical_refused),
        cmocka_unit_test(test_percent_decode),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_json_intake),
        cmocka_unit_test(test_json_fields),
        cmocka_unit_test(test_label_check),
        cmocka_unit_test(test_buf_ceiling),
        cmocka_unit_test(test_config_defaults_file_and_env),
        cmocka_unit_test(test_tz_month),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
