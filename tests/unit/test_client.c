/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the device client's modules (src/client/) — the API client's input checks and
 * error replies, and the printer's URI checks and connection failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/printer.h"
#include "client/remote.h"

static void test_remote_only_https(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_remote_t *rm = NULL;
    assert_int_equal(qr_remote_create("http://localhost:8443", NULL, &rm, &err), QR_E_INVALID);
    assert_null(rm);
    assert_non_null(strstr(err.msg, "https://"));
    assert_int_equal(qr_remote_create("https://", NULL, &rm, &err), QR_E_INVALID);
    assert_int_equal(qr_remote_create("localhost:8443", NULL, &rm, &err), QR_E_INVALID);
    assert_int_equal(qr_remote_create("https://localhost:8443/", "/tmp/ca.pem", &rm, &err), QR_OK);
    assert_non_null(rm);
    qr_remote_destroy(rm);
    qr_remote_destroy(NULL);
}

static void test_reply_message(void **state) {
    (void)state;
    char buf[32];
    qr_reply_t r = {409, json_pack("{s:s, s:s}", "error", "quota_exceeded", "message",
                                   "this job needs 4 pages, 1 left this month")};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)),
                        "this job needs 4 pages, 1 left this month");
    assert_string_equal(qr_reply_code(&r), "quota_exceeded");
    qr_reply_free(&r);
    assert_null(r.json);
    r = (qr_reply_t){401, json_pack("{s:s, s:s}", "error", "invalid_client", "error_description",
                                    "unknown client")};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)), "unknown client");
    qr_reply_free(&r);
    r = (qr_reply_t){400, json_pack("{s:s}", "error", "invalid_request")};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)), "invalid_request");
    qr_reply_free(&r);
    r = (qr_reply_t){502, NULL};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)), "HTTP 502");
    assert_string_equal(qr_reply_code(&r), "");
    qr_reply_free(&r);
    qr_reply_free(NULL);
}

static void test_printer_uri(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_printer_check_uri("ipp://printer.example/ipp/print", &err), QR_OK);
    assert_int_equal(qr_printer_check_uri("ipps://10.0.0.5:8631/ipp/print", &err), QR_OK);
    assert_int_equal(qr_printer_check_uri("ipp://[::1]:631/ipp/print", &err), QR_OK);
    static const char *const bad[] = {"http://printer/ipp/print", "ipp://", "printer",
                                      "socket://printer:9100",    "",       NULL};
    for (const char *const *u = bad; *u; u++) {
        err.msg[0] = '\0';
        assert_int_equal(qr_printer_check_uri(*u, &err), QR_E_INVALID);
        assert_non_null(strstr(err.msg, "ipp://"));
    }
}

static void test_printer_unreachable(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_print_settings_t s = {"doc.pdf", "alice", 1, 0, 0};
    int job_id = -1, fds[2];
    assert_int_equal(pipe(fds), 0);
    /* Port 1 on loopback: nothing listens, the connection is refused at once. */
    assert_int_equal(
        qr_printer_print("ipp://127.0.0.1:1/ipp/print", fds[0], 10, &s, 5, &job_id, &err), QR_E_IO);
    assert_int_equal(job_id, 0);
    assert_non_null(strstr(err.msg, "cannot connect"));
    assert_int_equal(qr_printer_print("lpd://x/q", fds[0], 10, &s, 5, &job_id, &err), QR_E_INVALID);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_only_https),
        cmocka_unit_test(test_reply_message),
        cmocka_unit_test(test_printer_uri),
        cmocka_unit_test(test_printer_unreachable),
    };
    return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
