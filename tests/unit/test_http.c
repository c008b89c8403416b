/* SPDX-License-Identifier: Apache-2.0 */
/* quire: http — strict query-string parsing, Basic credentials, trusted proxies; and the
 * one authenticator's checks that need no database (api/principal.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "http/forwarded.h"
#include "http/query.h"

static qr_status_t parse(const char *q, qr_query_t *out) {
    qr_err_t err = {QR_OK, NULL, ""};
    memset(out, 0, sizeof(*out));
    return qr_query_parse(q, "limit name", out, &err);
}

static void test_query_accepted(void **state) {
    (void)state;
    qr_query_t q;
    assert_int_equal(parse("limit=10&name=a%20b+c", &q), QR_OK);
    assert_string_equal(qr_query_get(&q, "limit"), "10");
    assert_string_equal(qr_query_get(&q, "name"), "a b c");
    assert_null(qr_query_get(&q, "other"));
    qr_query_free(&q);
    assert_int_equal(parse("", &q), QR_OK);
    assert_int_equal(q.n, 0);
    assert_int_equal(parse("limit", &q), QR_OK);
    assert_string_equal(qr_query_get(&q, "limit"), "");
    qr_query_free(&q);
}

static void test_query_refused(void **state) {
    (void)state;
    const char *bad[] = {"other=1",   "limit=1&limit=2", "limit=%zz",
                         "limit=%00", "&limit=1",        "limit=1&&name=x",
                         "=1",        "name=%ff",        "li%6dit=1&limit=2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        qr_query_t q;
        qr_status_t st = parse(bad[i], &q);
        qr_query_free(&q);
        if (st != QR_E_INVALID)
            fail_msg("query accepted: %s", bad[i]);
    }
    char big[QR_QUERY_MAX_BYTES + 16];
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "name=", 5);
    big[sizeof(big) - 1] = '\0';
    qr_query_t q;
    assert_int_equal(parse(big, &q), QR_E_INVALID);
    qr_query_free(&q);
}

/* RFC 7617 Basic credentials, shared by the token endpoint and the IPP queue. */
static void test_basic_decode(void **state) {
    (void)state;
    char out[QR_BASIC_MAX];
    size_t colon = 0;
    /* "alice@acme:Pa:ss" -> the first colon splits; the password may hold colons. */
    assert_int_equal(qr_basic_decode("Basic YWxpY2VAYWNtZTpQYTpzcw==", out, sizeof(out), &colon),
                     16);
    assert_string_equal(out, "alice@acme:Pa:ss");
    assert_int_equal(colon, 10);
    assert_int_equal(qr_basic_decode("basic YTpi", out, sizeof(out), &colon), 3); /* "a:b" */
    assert_int_equal(colon, 1);
    assert_int_equal(qr_basic_decode("Basic YTo=", out, sizeof(out), &colon), 2); /* "a:" */
    assert_int_equal(qr_basic_decode("Bearer YTpi", out, sizeof(out), &colon), -1);
    assert_int_equal(qr_basic_decode("Basic ", out, sizeof(out), &colon), -1);
    assert_int_equal(qr_basic_decode("Basic YWJj", out, sizeof(out), &colon), -1);  /* no colon */
    assert_int_equal(qr_basic_decode("Basic YTpi!", out, sizeof(out), &colon), -1); /* not base64 */
    assert_int_equal(qr_basic_decode("Basic YTpiCg==", out, sizeof(out), &colon), -1); /* LF */
    assert_int_equal(qr_basic_decode("Basic YQA6Yg==", out, sizeof(out), &colon), -1); /* NUL */
    char small[4];
    assert_int_equal(qr_basic_decode("Basic YWxpY2U6cHc=", small, sizeof(small), &colon), -1);
    char big[QR_BASIC_MAX + 16];
    memcpy(big, "Basic ", 6);
    memset(big + 6, 'A', QR_BASIC_MAX + 4);
    big[QR_BASIC_MAX + 10] = '\0';
    assert_int_equal(qr_basic_decode(big, out, sizeof(out), &colon), -1);
}

static void test_netset_parse(void **state) {
    (void)state;
    char err[160] = "";
    qr_netset_t *s =
        qr_netset_create("10.0.0.0/8, 192.0.2.7 2001:db8:a::/48,,fd00::1", err, sizeof(err));
    assert_non_null(s);
    assert_false(qr_netset_is_empty(s));
    assert_true(qr_netset_contains(s, "10.255.1.2"));
    assert_true(qr_netset_contains(s, "::ffff:10.1.2.3")); /* mapped IPv4 */
    assert_false(qr_netset_contains(s, "11.0.0.1"));
    assert_true(qr_netset_contains(s, "192.0.2.7"));
    assert_false(qr_netset_contains(s, "192.0.2.8"));
    assert_true(qr_netset_contains(s, "2001:db8:a:ffff::1"));
    assert_false(qr_netset_contains(s, "2001:db8:b::1"));
    assert_true(qr_netset_contains(s, "fd00::1"));
    assert_false(qr_netset_contains(s, "fd00::2"));
    assert_false(qr_netset_contains(s, "not-an-address"));
    qr_netset_destroy(s);
    s = qr_netset_create("", err, sizeof(err));
    assert_true(qr_netset_is_empty(s));
    assert_false(qr_netset_contains(s, "127.0.0.1"));
    qr_netset_destroy(s);
    /* Each bad entry is refused by name. */
    const char *bad[] = {"10.0.0.0/33",   "2001:db8::/129", "10.0.0.0/",   "10.0.0.0/x",
                         "proxy.example", "10.0.0.0/-1",    "10.0.0.0/8/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_null(qr_netset_create(bad[i], err, sizeof(err)));
        assert_non_null(strstr(err, "trusted_proxies"));
        assert_non_null(strstr(err, bad[i]));
    }
}

static void test_forwarded_client(void **state) {
    (void)state;
    char err[160], out[QR_ADDR_TEXT_MAX];
    qr_netset_t *none = qr_netset_create("", err, sizeof(err));
    qr_netset_t *lb = qr_netset_create("10.0.0.0/8 fd00::/8", err, sizeof(err));
    static const struct {
        int trusted; /* 0: nobody trusted, 1: the balancer's prefixes */
        const char *peer, *xff, *client;
    } cases[] = {
        /* Nobody trusted: the header is ignored, whoever sends it. */
        {0, "10.0.0.1", "203.0.113.5", "10.0.0.1"},
        /* An untrusted peer cannot claim another address. */
        {1, "198.51.100.9", "203.0.113.5", "198.51.100.9"},
        /* Behind the balancer: the address it appended. */
        {1, "10.0.0.1", "203.0.113.5", "203.0.113.5"},
        {1, "10.0.0.1", NULL, "10.0.0.1"},
        /* Entries the client wrote itself (left of the first untrusted one) do not count. */
        {1, "10.0.0.1", "1.2.3.4, 198.51.100.1, 10.0.0.2,203.0.113.5", "203.0.113.5"},
        {1, "10.0.0.1", "1.2.3.4, 203.0.113.5 ,10.0.0.2", "203.0.113.5"},
        /* All trusted: the leftmost; garbage ends the walk at the last trusted hop. */
        {1, "10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"},
        {1, "10.0.0.1", "203.0.113.5, unknown, 10.0.0.2", "10.0.0.2"},
        {1, "10.0.0.1", "", "10.0.0.1"},
        {1, "10.0.0.1", ",,,", "10.0.0.1"},
        {1, "10.0.0.1", "[2001:db8::1", "10.0.0.1"},
        /* Ports and brackets as some proxies write them; IPv6 and mapped forms. */
        {1, "10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"},
        {1, "10.0.0.1", "192.0.2.1:5000", "192.0.2.1"},
        {1, "fd00::5", "2001:DB8:0:0::1", "2001:db8::1"},
        {1, "::ffff:10.0.0.1", "203.0.113.5", "203.0.113.5"},
        {0, "::ffff:198.51.100.3", NULL, "198.51.100.3"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        qr_forwarded_client(cases[i].trusted ? lb : none, cases[i].peer, cases[i].xff, out,
                            sizeof(out));
        assert_string_equal(out, cases[i].client);
    }
    /* At most QR_FORWARDED_MAX_HOPS entries are walked. */
    char many[1024] = "203.0.113.5";
    for (int i = 0; i < 40; i++) {
        size_t n = strlen(many);
        snprintf(many + n, sizeof(many) - n, ",10.0.%d.1", i);
    }
    qr_forwarded_client(lb, "10.0.0.1", many, out, sizeof(out));
    assert_string_equal(out, "10.0.8.1");
    qr_netset_destroy(none);
    qr_netset_destroy(lb);
}

/* AUTH-11: a request without a bearer token is refused before any token is looked at, with
 * the message of the kind the route wants. */
static void test_principal_needs_bearer(void **state) {
    (void)state;
    qr_principal_t p;
    qr_err_t err = {QR_OK, NULL, ""};
    memset(&p, 0x5a, sizeof(p));
    assert_int_equal(qr_principal_authenticate(NULL, NULL, QR_ROUTE_AUTH, &p, &err),
                     QR_E_UNAUTHORIZED);
    assert_string_equal(err.msg, "a bearer access token is required");
    assert_int_equal(p.kind, QR_PRINCIPAL_USER);
    assert_string_equal(p.user_id, "");
    assert_int_equal(qr_principal_authenticate(NULL, "Basic YTpi", QR_ROUTE_DEVICE, &p, &err),
                     QR_E_UNAUTHORIZED);
    assert_string_equal(err.msg, "a device bearer token is required");
    assert_int_equal(
        qr_principal_authenticate(NULL, "bearer", QR_ROUTE_AUTH | QR_ROUTE_DEVICE, &p, &err),
        QR_E_UNAUTHORIZED);
    assert_string_equal(err.msg, "a bearer access token is required");
}

/* AUTH-2: until a one-time password is replaced, only QR_ROUTE_ONE_TIME routes serve the
 * user; devices and API clients have no password. */
static void test_principal_one_time(void **state) {
    (void)state;
    qr_principal_t p;
    qr_err_t err = {QR_OK, NULL, ""};
    memset(&p, 0, sizeof(p));
    assert_int_equal(qr_principal_check_one_time(&p, QR_ROUTE_AUTH, &err), QR_OK);
    p.must_change_password = 1;
    assert_int_equal(qr_principal_check_one_time(&p, QR_ROUTE_AUTH, &err), QR_E_FORBIDDEN);
    assert_string_equal(err.code, "password_change_required");
    assert_int_equal(qr_principal_check_one_time(&p, 0, &err), QR_E_FORBIDDEN);
    assert_int_equal(qr_principal_check_one_time(&p, QR_ROUTE_AUTH | QR_ROUTE_ONE_TIME, &err),
                     QR_OK);
    p.kind = QR_PRINCIPAL_DEVICE;
    assert_int_equal(qr_principal_check_one_time(&p, QR_ROUTE_DEVICE, &err), QR_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_accepted),     cmocka_unit_test(test_query_refused),
        cmocka_unit_test(test_basic_decode),       cmocka_unit_test(test_netset_parse),
        cmocka_unit_test(test_forwarded_client),   cmocka_unit_test(test_principal_needs_bearer),
        cmocka_unit_test(test_principal_one_time),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
