/* SPDX-License-Identifier: Apache-2.0 */
/* quire: CAP-3 — document class attributes, index values and indexing rules (src/scan/index.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "scan/index.h"

static json_t *attrs(void) {
    json_t *in = json_loads("[{\"name\":\"invoice_no\",\"type\":\"text\",\"required\":true},"
                            "{\"name\":\"total\",\"type\":\"number\"},"
                            "{\"name\":\"date\",\"type\":\"date\"},"
                            "{\"name\":\"dept\",\"type\":\"list\",\"values\":[\"Sales\",\"HR\"]}]",
                            0, NULL);
    json_t *out = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_index_check_attributes(in, &out, &err), QR_OK);
    json_decref(in);
    return out;
}

static void refuse_attrs(const char *text, const char *needle) {
    json_t *in = json_loads(text, 0, NULL), *out = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_index_check_attributes(in, &out, &err), QR_E_INVALID);
    assert_null(out);
    if (!strstr(err.msg, needle))
        fail_msg("CAP-3 message '%s' lacks '%s'", err.msg, needle);
    json_decref(in);
}

static void test_cap3_attributes(void **state) {
    (void)state;
    json_t *a = attrs();
    assert_int_equal(json_array_size(a), 4);
    assert_true(json_is_false(json_object_get(json_array_get(a, 1), "required")));
    json_decref(a);
    refuse_attrs("[{\"name\":\"x\",\"type\":\"money\"}]", "type must be");
    refuse_attrs("[{\"name\":\"x\",\"type\":\"list\"}]", "needs 'values'");
    refuse_attrs("[{\"name\":\"x\",\"type\":\"list\",\"values\":[]}]", "needs 'values'");
    refuse_attrs("[{\"name\":\"a b\",\"type\":\"text\"}]", "'name' is required");
    refuse_attrs("[{\"name\":\"x\",\"type\":\"text\",\"values\":[\"a\"]}]", "only a list");
    refuse_attrs("[{\"name\":\"x\",\"type\":\"text\",\"hint\":1}]", "unknown field 'hint'");
    refuse_attrs("[{\"name\":\"x\",\"type\":\"text\"},{\"name\":\"x\",\"type\":\"date\"}]",
                 "names unique");
    refuse_attrs("{}", "array");
}

/* Checks values (JSON text) against attrs: the status, and the message or normalized value. */
static json_t *values(const json_t *a, const char *text, const json_t *later, qr_status_t want,
                      const char *needle) {
    json_t *in = json_loads(text, 0, NULL), *out = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_index_check_values(a, in, later, &out, &err), want);
    if (want && !strstr(err.msg, needle))
        fail_msg("CAP-3 message '%s' lacks '%s'", err.msg, needle);
    json_decref(in);
    return out;
}

static void test_cap3_values(void **state) {
    (void)state;
    json_t *a = attrs(), *later = json_pack("{s:b}", "invoice_no", 1);
    json_t *v = values(a,
                       "{\"invoice_no\":\"A-1\",\"total\":\"1,234.50\",\"date\":\"2024-02-29\","
                       "\"dept\":\"HR\"}",
                       NULL, QR_OK, NULL);
    assert_true(json_number_value(json_object_get(v, "total")) == 1234.5);
    assert_string_equal(json_string_value(json_object_get(v, "date")), "2024-02-29");
    json_decref(v);
    json_decref(values(a, "{}", NULL, QR_E_INVALID, "'invoice_no' is required"));
    json_decref(values(a, "{}", later, QR_OK, NULL)); /* a rule fills it later */
    json_decref(values(a, "{\"invoice_no\":\"x\",\"date\":\"2023-02-29\"}", NULL, QR_E_INVALID,
                       "YYYY-MM-DD"));
    json_decref(values(a, "{\"invoice_no\":\"x\",\"date\":\"2023-13-01\"}", NULL, QR_E_INVALID,
                       "YYYY-MM-DD"));
    json_decref(values(a, "{\"invoice_no\":\"x\",\"total\":\"lots\"}", NULL, QR_E_INVALID,
                       "must be a number"));
    json_decref(values(a, "{\"invoice_no\":\"x\",\"total\":\"1e999\"}", NULL, QR_E_INVALID,
                       "must be a number"));
    json_decref(values(a, "{\"invoice_no\":\"x\",\"dept\":\"Legal\"}", NULL, QR_E_INVALID,
                       "one of its list"));
    json_decref(values(a, "{\"invoice_no\":\"\"}", NULL, QR_E_INVALID, "1 to 1000 bytes"));
    json_decref(values(a, "{\"invoice_no\":\"x\",\"colour\":\"red\"}", NULL, QR_E_INVALID,
                       "'colour' is not an attribute"));
    json_decref(values(a, "[]", NULL, QR_E_INVALID, "must be an object"));
    json_decref(later);
    json_decref(a);
}

static json_t *rules(const json_t *a, const char *text, qr_status_t want, const char *needle) {
    json_t *in = json_loads(text, 0, NULL), *out = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_index_check_rules(a, in, &out, &err), want);
    if (want && !strstr(err.msg, needle))
        fail_msg("CAP-3 message '%s' lacks '%s'", err.msg, needle);
    json_decref(in);
    return out;
}

static void test_cap3_rules(void **state) {
    (void)state;
    json_t *a = attrs();
    json_t *r = rules(a,
                      "[{\"attribute\":\"invoice_no\",\"source\":\"text\",\"pattern\":\"Invoice "
                      "No\\\\.?\\\\s+([A-Z]+-\\\\d+)\"},"
                      "{\"attribute\":\"total\",\"source\":\"text\",\"pattern\":\"Total\\\\s+([0-"
                      "9.,]+)\"},"
                      "{\"attribute\":\"date\",\"source\":\"text\",\"pattern\":\"\\\\d{4}-\\\\d{2}-"
                      "\\\\d{2}\"},"
                      "{\"attribute\":\"dept\",\"source\":\"barcode\",\"pattern\":\"^DEPT:(.*)$\"}"
                      "]",
                      QR_OK, NULL);
    const char *text = "ACME\nInvoice No. INV-42\nDate 2026-11-20\nTotal 1,234.50 EUR\n\f"
                       "Invoice No OTHER-1\n";
    json_t *codes = json_loads("[{\"page\":1,\"type\":\"QR-Code\",\"data\":\"PO-1\"},"
                               "{\"page\":2,\"type\":\"QR-Code\",\"data\":\"DEPT:Sales\"}]",
                               0, NULL);
    json_t *v = json_object();
    assert_int_equal(qr_index_apply_rules(a, r, text, codes, v), 4);
    assert_string_equal(json_string_value(json_object_get(v, "invoice_no")), "INV-42");
    assert_true(json_number_value(json_object_get(v, "total")) == 1234.5);
    assert_string_equal(json_string_value(json_object_get(v, "date")), "2026-11-20");
    assert_string_equal(json_string_value(json_object_get(v, "dept")), "Sales");
    /* A value the user gave is never overwritten. */
    json_t *mine = json_pack("{s:s}", "invoice_no", "MINE-1");
    assert_int_equal(qr_index_apply_rules(a, r, text, codes, mine), 3);
    assert_string_equal(json_string_value(json_object_get(mine, "invoice_no")), "MINE-1");
    /* What does not fit its attribute is skipped: a barcode outside the list. */
    json_t *other =
        json_loads("[{\"page\":1,\"type\":\"QR-Code\",\"data\":\"DEPT:Legal\"}]", 0, NULL);
    json_t *v2 = json_object();
    qr_index_apply_rules(a, r, "", other, v2);
    assert_null(json_object_get(v2, "dept"));
    json_decref(v);
    json_decref(v2);
    json_decref(mine);
    json_decref(other);
    json_decref(codes);
    json_decref(r);
    json_decref(rules(a, "[{\"attribute\":\"nope\",\"source\":\"text\",\"pattern\":\"x\"}]",
                      QR_E_INVALID, "'nope' is not an attribute"));
    json_decref(rules(a, "[{\"attribute\":\"total\",\"source\":\"ocr\",\"pattern\":\"x\"}]",
                      QR_E_INVALID, "'source' (text or barcode)"));
    json_decref(rules(a, "[{\"attribute\":\"total\",\"source\":\"text\",\"pattern\":\"(x\"}]",
                      QR_E_INVALID, "not a valid regular expression"));
    json_decref(
        rules(a, "[{\"attribute\":\"total\",\"source\":\"text\"}]", QR_E_INVALID, "needs exactly"));
    json_decref(a);
}

/* A pattern with catastrophic backtracking (2^63 paths here) stops at ICU's time limit instead
 * of hanging the worker: that this test ends at all is the check. */
static void test_cap3_rule_time_limit(void **state) {
    (void)state;
    json_t *a = attrs();
    json_t *r =
        rules(a, "[{\"attribute\":\"invoice_no\",\"source\":\"text\",\"pattern\":\"(a+)+b\"}]",
              QR_OK, NULL);
    char text[64];
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = 0;
    json_t *v = json_object();
    assert_int_equal(qr_index_apply_rules(a, r, text, NULL, v), 0);
    json_decref(v);
    json_decref(r);
    json_decref(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap3_attributes),
        cmocka_unit_test(test_cap3_values),
        cmocka_unit_test(test_cap3_rules),
        cmocka_unit_test(test_cap3_rule_time_limit),
    };
    return cmocka_run_group_tests_name("index", tests, NULL, NULL);
}
