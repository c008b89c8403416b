/* SPDX-License-Identifier: Apache-2.0 */
/* quire: crypto — access tokens (signature, alg, iss, aud, exp), base64url, Argon2id,
 * generated passwords and ids, the master key file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/account_rules.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/token.h"

static const unsigned char key[32] = {7, 7, 7};
static const char ISS[] = "https://localhost:8443";

static char *sign(int64_t iat, int64_t exp, const char *aud) {
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", ISS, "aud", aud, "sub", "u", "iat",
                          (json_int_t)iat, "exp", (json_int_t)exp);
    char *t = qr_token_sign(key, sizeof(key), c);
    json_decref(c);
    return t;
}

static int valid(const char *t, int64_t now) {
    json_t *c = qr_token_verify(key, sizeof(key), t, strlen(t), ISS, "quire-api", now);
    json_decref(c);
    return c != NULL;
}

static void test_auth7_token_round_trip_and_expiry(void **state) {
    (void)state;
    char *t = sign(1000, 1900, "quire-api");
    assert_true(valid(t, 1000));
    assert_true(valid(t, 1899));
    assert_false(valid(t, 1900)); /* expired at exp */
    free(t);
}

static void test_auth12_token_tampering_refused(void **state) {
    (void)state;
    char *t = sign(1000, 1900, "quire-api");
    char *copy = strdup(t);
    /* Flip one character of the payload. */
    char *dot = strchr(copy, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    assert_false(valid(copy, 1000));
    free(copy);
    /* alg=none header with the same payload. */
    char *payload = strchr(t, '.') + 1;
    char *none = NULL;
    assert_true(asprintf(&none, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%s", payload) > 0);
    assert_false(valid(none, 1000));
    free(none);
    /* Another key. */
    unsigned char other[32] = {8};
    json_t *c = qr_token_verify(other, sizeof(other), t, strlen(t), ISS, "quire-api", 1000);
    assert_null(c);
    /* Wrong audience or issuer. */
    char *aud = sign(1000, 1900, "someone-else");
    assert_false(valid(aud, 1000));
    assert_null(qr_token_verify(key, sizeof(key), t, strlen(t), "https://evil", "quire-api", 1000));
    free(aud);
    free(t);
    assert_false(valid("", 1000));
    assert_false(valid("a.b.c", 1000));
}

static void test_b64url(void **state) {
    (void)state;
    unsigned char out[16];
    for (size_t n = 0; n < 10; n++) {
        unsigned char in[10];
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)(i * 37 + 200);
        char *e = qr_b64url_encode(in, n);
        assert_null(strchr(e, '='));
        assert_int_equal(qr_b64url_decode(e, strlen(e), out, sizeof(out)), (long)n);
        assert_memory_equal(in, out, n);
        free(e);
    }
    assert_int_equal(qr_b64url_decode("A", 1, out, sizeof(out)), -1);
    assert_int_equal(qr_b64url_decode("AB", 2, out, sizeof(out)), -1); /* non-canonical bits */
    assert_int_equal(qr_b64url_decode("A+==", 4, out, sizeof(out)), -1);
}

static void test_auth2_argon2id_hash_and_verify(void **state) {
    (void)state;
    qr_argon2_params_t p = {256, 1};
    char *h = qr_password_hash(&p, "Correct-horse-7");
    assert_non_null(h);
    assert_true(strncmp(h, "$argon2id$v=19$m=256,t=1,p=1$", 29) == 0);
    assert_null(strstr(h, "Correct"));
    assert_true(qr_password_verify(h, "Correct-horse-7"));
    assert_false(qr_password_verify(h, "Correct-horse-8"));
    assert_false(qr_password_verify("$argon2i$garbage", "Correct-horse-7"));
    assert_false(qr_password_verify(NULL, "x"));
    char *h2 = qr_password_hash(&p, "Correct-horse-7");
    assert_string_not_equal(h, h2); /* salted */
    free(h);
    free(h2);
}

static void test_auth2_generated_passwords_follow_the_rules(void **state) {
    (void)state;
    char msg[256];
    for (int i = 0; i < 200; i++) {
        char *pw = qr_random_password(16);
        assert_int_equal(strlen(pw), 16);
        if (qr_password_check(pw, NULL, NULL, msg, sizeof(msg)))
            fail_msg("generated password breaks AUTH-2: %s", msg);
        free(pw);
    }
}

static void test_ids(void **state) {
    (void)state;
    char a[QR_ID_LEN + 1], b[QR_ID_LEN + 1];
    qr_random_id(a);
    qr_random_id(b);
    assert_true(qr_id_is_valid(a));
    assert_string_not_equal(a, b);
    assert_false(qr_id_is_valid("0123456789abcdef0123456789abcdeF"));
    assert_false(qr_id_is_valid("0123456789abcdef0123456789abcde"));
    assert_false(qr_id_is_valid("0123456789abcdef0123456789abcdef0"));
    assert_false(qr_id_is_valid(NULL));
}

static void test_sec2_master_key_file(void **state) {
    (void)state;
    char dir[] = "/tmp/quire-key-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/master.key", dir);
    qr_keys_t k1, k2;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_keys_load(&k1, path, &err), QR_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(qr_keys_load(&k2, path, &err), QR_OK); /* same key on the next start */
    assert_memory_equal(k1.master, k2.master, QR_KEY_LEN);
    assert_memory_not_equal(k1.master, k1.token_mac, QR_KEY_LEN);
    chmod(path, 0644);
    assert_int_equal(qr_keys_load(&k2, path, &err), QR_E_IO);
    assert_non_null(strstr(err.msg, "chmod 600"));
    unlink(path);
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth7_token_round_trip_and_expiry),
        cmocka_unit_test(test_auth12_token_tampering_refused),
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_auth2_argon2id_hash_and_verify),
        cmocka_unit_test(test_auth2_generated_passwords_follow_the_rules),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_sec2_master_key_file),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
