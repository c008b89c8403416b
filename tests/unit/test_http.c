/* SPDX-License-Identifier: Apache-2.0 */
/* quire: http — strict query-string parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_accepted),
        cmocka_unit_test(test_query_refused),
        cmocka_unit_test(test_basic_decode),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
