/* SPDX-License-Identifier: Apache-2.0 */
/* quire: DNS-SD of the IPP queue (src/print/dnssd.c) on a real SQLite installation: the TXT
 * record read from the queue's attributes, the zone file fragment (escaping, label length,
 * SRV from public_url), the configuration profile, and the dnssd switch of the configuration. */
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
#include "core/config.h"
#include "print/dnssd.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-dnssd-XXXXXX";

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    setenv("QUIRE_PUBLIC_URL", "https://Print.Example.NET:8631/portal", 1);
    qr_err_t err = {QR_OK, NULL, ""};
    return qr_app_open(&ctx, &cfg, NULL, 0, &err) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    unsetenv("QUIRE_PUBLIC_URL");
    return fixture_remove(dir);
}

static void test_txt_from_attributes(void **state) {
    (void)state;
    qr_dnssd_txt_t t = {NULL, 0};
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_dnssd_txt_build(&ctx, &t, &err), QR_OK);
    assert_string_equal(t.items[0], "txtvers=1");
    assert_string_equal(qr_dnssd_txt_get(&t, "rp"), "ipp/print");
    assert_string_equal(qr_dnssd_txt_get(&t, "RP"), "ipp/print"); /* keys compare caselessly */
    assert_string_equal(qr_dnssd_txt_get(&t, "TLS"), "1.2");
    assert_string_equal(qr_dnssd_txt_get(&t, "air"), "username,password");
    /* adminurl is printer-more-info: the page that says how to release a job */
    assert_string_equal(qr_dnssd_txt_get(&t, "adminurl"),
                        "https://Print.Example.NET:8631/portal/help/print");
    const char *pdl = qr_dnssd_txt_get(&t, "pdl");
    assert_non_null(strstr(pdl, "application/pdf"));
    assert_non_null(strstr(pdl, "image/urf")); /* AirPrint: iOS lists a queue with URF only */
    assert_non_null(strstr(pdl, "image/pwg-raster"));
    assert_non_null(qr_dnssd_txt_get(&t, "URF"));
    assert_null(strstr(pdl, "octet-stream"));
    const char *uuid = qr_dnssd_txt_get(&t, "UUID");
    assert_int_equal(strlen(uuid), 36); /* without urn:uuid: */
    assert_null(qr_dnssd_txt_get(&t, "nosuchkey"));
    for (size_t i = 0; i < t.n; i++)
        assert_true(strlen(t.items[i]) <= 255);
    qr_dnssd_txt_clear(&t);
    qr_dnssd_txt_clear(&t); /* twice is harmless */
}

static void test_zone_escapes_and_srv(void **state) {
    (void)state;
    const char *items[] = {"txtvers=1", "note=say \"hi\" \\ there"};
    qr_dnssd_txt_t t = {(char **)items, 2};
    qr_err_t err = {QR_OK, NULL, ""};
    char *z = qr_dnssd_zone(&ctx, "A.b (c); \"d\" @$", NULL, &t, &err);
    assert_non_null(z);
    assert_non_null(
        strstr(z, "_ipps._tcp IN PTR A\\.b\\ \\(c\\)\\;\\ \\\"d\\\"\\ \\@\\$._ipps._tcp\n"));
    assert_non_null(strstr(z, "IN SRV 0 0 8631 print.example.net.\n")); /* host lower-cased */
    assert_non_null(strstr(z, "IN TXT \"txtvers=1\" \"note=say \\\"hi\\\" \\\\ there\"\n"));
    assert_non_null(strstr(z, "b._dns-sd._udp IN PTR @\n"));
    free(z);
    z = qr_dnssd_zone(&ctx, "x", "corp.example.com", &t, &err);
    assert_non_null(strstr(z, "lb._dns-sd._udp.corp.example.com. IN PTR corp.example.com.\n"));
    assert_non_null(strstr(z, "_print._sub._ipps._tcp.corp.example.com. IN PTR "
                              "x._ipps._tcp.corp.example.com.\n"));
    free(z);
}

static void test_zone_label_cut_on_utf8(void **state) {
    (void)state;
    /* 62 ASCII bytes then a two-byte 'é': the label keeps 62 bytes, not half a character. */
    char name[80];
    memset(name, 'a', 62);
    memcpy(name + 62, "\xc3\xa9z", 4);
    qr_dnssd_txt_t t = {NULL, 0};
    qr_err_t err = {QR_OK, NULL, ""};
    char *z = qr_dnssd_zone(&ctx, name, NULL, &t, &err);
    char want[100];
    snprintf(want, sizeof(want), "IN PTR %.62s._ipps._tcp\n", name);
    assert_non_null(strstr(z, want));
    free(z);
    /* Non-ASCII that fits is written as \DDD. */
    z = qr_dnssd_zone(&ctx, "Caf\xc3\xa9", NULL, &t, &err);
    assert_non_null(strstr(z, "Caf\\195\\169._ipps._tcp"));
    free(z);
}

static void test_public_url_by_address_is_refused(void **state) {
    (void)state;
    char *saved = cfg.public_url;
    qr_dnssd_txt_t t = {NULL, 0};
    const char *bad[] = {"https://192.0.2.7:8443", "https://[2001:db8::1]:8443", "https://"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg.public_url = (char *)bad[i];
        qr_err_t err = {QR_OK, NULL, ""};
        assert_null(qr_dnssd_zone(&ctx, "x", NULL, &t, &err));
        assert_int_equal(err.status, QR_E_INVALID);
        assert_non_null(strstr(err.msg, "host name"));
        assert_null(qr_dnssd_mobileconfig(&ctx, "x", "seed", &err));
    }
    cfg.public_url = (char *)"https://print.example.net"; /* no port: 443 */
    qr_err_t err = {QR_OK, NULL, ""};
    char *z = qr_dnssd_zone(&ctx, "x", NULL, &t, &err);
    assert_non_null(strstr(z, "IN SRV 0 0 443 print.example.net.\n"));
    free(z);
    cfg.public_url = saved;
}

static void test_mobileconfig(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    char *a = qr_dnssd_mobileconfig(&ctx, "R&D <Print>", "org-1", &err);
    char *b = qr_dnssd_mobileconfig(&ctx, "R&D <Print>", "org-1", &err);
    char *c = qr_dnssd_mobileconfig(&ctx, "R&D <Print>", "org-2", &err);
    assert_string_equal(a, b); /* stable for one org */
    assert_string_not_equal(a, c);
    assert_non_null(strstr(a, "<string>R&amp;D &lt;Print&gt;</string>"));
    assert_non_null(
        strstr(a, "<key>IPAddress</key>\n          <string>print.example.net</string>"));
    assert_non_null(strstr(a, "<key>Port</key>\n          <integer>8631</integer>"));
    assert_non_null(strstr(a, "<string>com.apple.airprint</string>"));
    free(a);
    free(b);
    free(c);
}

static void test_config_switch(void **state) {
    (void)state;
    const char *on[] = {"on", "ON", "1", "yes", "true"}, *off[] = {"off", "0", "No", "false"};
    qr_config_t c;
    char err[256];
    for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
        setenv("QUIRE_DNSSD", on[i], 1);
        assert_int_equal(qr_config_load(&c, NULL, err, sizeof(err)), 0);
        assert_int_equal(c.dnssd, 1);
        qr_config_free(&c);
    }
    for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        setenv("QUIRE_DNSSD", off[i], 1);
        assert_int_equal(qr_config_load(&c, NULL, err, sizeof(err)), 0);
        assert_int_equal(c.dnssd, 0);
        qr_config_free(&c);
    }
    setenv("QUIRE_DNSSD", "maybe", 1);
    assert_int_equal(qr_config_load(&c, NULL, err, sizeof(err)), -1);
    assert_string_equal(err, "dnssd must be on or off, not 'maybe'");
    qr_config_free(&c);
    unsetenv("QUIRE_DNSSD");
    assert_int_equal(qr_config_load(&c, NULL, err, sizeof(err)), 0);
    assert_int_equal(c.dnssd, 0); /* off by default */
    assert_string_equal(c.dnssd_name, "");
    qr_config_free(&c);
}

/* Off (the default): nothing starts, and stopping nothing is harmless. */
static void test_start_when_off(void **state) {
    (void)state;
    assert_null(qr_dnssd_start(&ctx, 8443));
    qr_dnssd_stop(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_txt_from_attributes),
        cmocka_unit_test(test_zone_escapes_and_srv),
        cmocka_unit_test(test_zone_label_cut_on_utf8),
        cmocka_unit_test(test_public_url_by_address_is_refused),
        cmocka_unit_test(test_mobileconfig),
        cmocka_unit_test(test_config_switch),
        cmocka_unit_test(test_start_when_off),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
