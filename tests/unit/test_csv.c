/* SPDX-License-Identifier: Apache-2.0 */
/* quire: CSV answers (src/api/csv.c): RFC 4180 quoting, CRLF, UTF-8, the formula-injection
 * guard on every dangerous first character, columns of nested items, the totals row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* The CSV of one text cell (a whole row). */
static char *text_row(const char *s) {
    qr_buf_t b;
    qr_buf_init(&b, 1 << 20);
    assert_int_equal(qr_csv_text(&b, 1, s), QR_OK);
    assert_int_equal(qr_csv_end_row(&b), QR_OK);
    return qr_buf_take(&b);
}

static void expect_text(const char *in, const char *want) {
    char *got = text_row(in);
    assert_string_equal(got, want);
    free(got);
}

static void test_csv_plain_and_quoted(void **state) {
    (void)state;
    expect_text("alice", "alice\r\n");
    expect_text("", "\r\n");
    expect_text(NULL, "\r\n");
    expect_text("a,b", "\"a,b\"\r\n");
    expect_text("say \"hi\"", "\"say \"\"hi\"\"\"\r\n");
    expect_text("\"", "\"\"\"\"\r\n");
    expect_text("two\nlines", "\"two\nlines\"\r\n");
    expect_text("cr\rhere", "\"cr\rhere\"\r\n");
    expect_text("end\r\n", "\"end\r\n\"\r\n");
    /* UTF-8 passes through byte for byte. */
    expect_text("j\xc3\xb6hn \xe6\x97\xa5\xe6\x9c\xac", "j\xc3\xb6hn \xe6\x97\xa5\xe6\x9c\xac\r\n");
    expect_text("\xc3\xa9,\xc3\xa9", "\"\xc3\xa9,\xc3\xa9\"\r\n");
}

static void test_csv_injection_guard(void **state) {
    (void)state;
    /* REP-1 every dangerous first character gets a leading ' */
    expect_text("=1+2", "'=1+2\r\n");
    expect_text("+1", "'+1\r\n");
    expect_text("-2+3", "'-2+3\r\n");
    expect_text("-5", "'-5\r\n"); /* text, even if it looks like a number */
    expect_text("@SUM(A1)", "'@SUM(A1)\r\n");
    expect_text("\tx", "'\tx\r\n");
    expect_text("\rx", "\"'\rx\"\r\n");
    expect_text("=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");
    expect_text("=a,b", "\"'=a,b\"\r\n");
    /* only the first character counts */
    expect_text("a=b", "a=b\r\n");
    expect_text(" =x", " =x\r\n");
    expect_text("'quoted", "'quoted\r\n");
}

static void test_csv_numbers_stay_numbers(void **state) {
    (void)state;
    qr_buf_t b;
    qr_buf_init(&b, 1 << 20);
    assert_int_equal(qr_csv_number(&b, 1, -5), QR_OK);
    assert_int_equal(qr_csv_number(&b, 0, 1234567890123LL), QR_OK);
    assert_int_equal(qr_csv_text(&b, 0, "-5"), QR_OK);
    assert_int_equal(qr_csv_end_row(&b), QR_OK);
    assert_string_equal(b.ptr, "-5,1234567890123,'-5\r\n");
    qr_buf_free(&b);
}

static void test_csv_items_flattened(void **state) {
    (void)state;
    json_error_t je;
    json_t *a = json_loads("{\"id\": 1, \"name\": \"=cmd\", \"owner\": {\"id\": \"u1\", \"name\": "
                           "\"Bob, Jr.\"}, \"tags\": [\"a\", \"b\"], \"note\": null, \"ok\": true, "
                           "\"delta\": -3, \"ratio\": 0.5}",
                           0, &je);
    json_t *b2 = json_loads("{\"id\": 2, \"name\": \"x\", \"owner\": null, \"tags\": [], \"note\": "
                            "\"n\", \"ok\": false, \"delta\": 4}",
                            0, &je);
    assert_non_null(a);
    assert_non_null(b2);
    json_t *cols = qr_csv_columns(a);
    qr_buf_t b;
    qr_buf_init(&b, 1 << 20);
    assert_int_equal(qr_csv_header(&b, cols), QR_OK);
    assert_int_equal(qr_csv_row(&b, cols, a, NULL), QR_OK);
    assert_int_equal(qr_csv_row(&b, cols, b2, NULL), QR_OK);
    json_t *totals = json_pack("{s:i, s:i}", "delta", 1, "id", 99);
    assert_int_equal(qr_csv_row(&b, cols, totals, "Total"), QR_OK);
    assert_string_equal(b.ptr, "id,name,owner_id,owner_name,tags,note,ok,delta,ratio\r\n"
                               "1,'=cmd,u1,\"Bob, Jr.\",\"[\"\"a\"\",\"\"b\"\"]\",,true,-3,0.5\r\n"
                               "2,x,,,[],n,false,4,\r\n"
                               "Total,,,,,,,1,\r\n");
    qr_buf_free(&b);
    json_decref(totals);
    json_decref(cols);
    json_decref(a);
    json_decref(b2);
}

static void test_csv_columns_of_and_ceiling(void **state) {
    (void)state;
    static const char *const names[] = {"id", "-evil name", NULL};
    json_t *cols = qr_csv_columns_of(names);
    qr_buf_t b;
    qr_buf_init(&b, 8);
    assert_int_equal(qr_csv_header(&b, cols), QR_E_TOO_LARGE);
    qr_buf_free(&b);
    qr_buf_init(&b, 1 << 10);
    assert_int_equal(qr_csv_header(&b, cols), QR_OK);
    assert_string_equal(b.ptr, "id,'-evil name\r\n");
    qr_buf_free(&b);
    json_decref(cols);
}

static void test_csv_list_with_totals(void **state) {
    (void)state;
    json_error_t je;
    json_t *items = json_loads("[{\"name\": \"@ann\", \"pages\": 3, \"color\": 1}, "
                               "{\"name\": \"bob\", \"pages\": 4, \"color\": 0}]",
                               0, &je);
    json_t *totals = json_pack("{s:i, s:i}", "pages", 7, "color", 1);
    qr_buf_t b;
    qr_buf_init(&b, 1 << 20);
    assert_int_equal(qr_csv_list(&b, items, totals), QR_OK);
    assert_string_equal(b.ptr, "name,pages,color\r\n'@ann,3,1\r\nbob,4,0\r\nTotal,7,1\r\n");
    qr_buf_free(&b);
    /* No rows: the totals' own keys make the header, after the "Total" column. */
    json_t *none = json_array();
    qr_buf_init(&b, 1 << 20);
    assert_int_equal(qr_csv_list(&b, none, totals), QR_OK);
    assert_string_equal(b.ptr, ",pages,color\r\nTotal,7,1\r\n");
    qr_buf_free(&b);
    qr_buf_init(&b, 1 << 20);
    assert_int_equal(qr_csv_list(&b, none, NULL), QR_OK);
    assert_int_equal(b.len, 0);
    qr_buf_free(&b);
    json_decref(none);
    json_decref(items);
    json_decref(totals);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_plain_and_quoted),
        cmocka_unit_test(test_csv_injection_guard),
        cmocka_unit_test(test_csv_numbers_stay_numbers),
        cmocka_unit_test(test_csv_items_flattened),
        cmocka_unit_test(test_csv_columns_of_and_ceiling),
        cmocka_unit_test(test_csv_list_with_totals),
    };
    return cmocka_run_group_tests_name("csv", tests, NULL, NULL);
}
