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
#include <openssl/ec.h>

#include "crypto/aead.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/token.h"

static const char ISS[] = "https://localhost:8443";
static EVP_PKEY *key, *other;

static int setup(void **state) {
    (void)state;
    key = EVP_EC_gen("P-256");
    other = EVP_EC_gen("P-256");
    return key && other ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    return 0;
}

static char *sign(int64_t iat, int64_t exp, const char *aud) {
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", ISS, "aud", aud, "sub", "u", "iat",
                          (json_int_t)iat, "exp", (json_int_t)exp);
    char *t = qr_token_sign(key, "k1", "at+jwt", c);
    json_decref(c);
    return t;
}

static int valid_with(EVP_PKEY *k, const char *t, int64_t now) {
    json_t *c = qr_token_verify(k, NULL, t, strlen(t), ISS, "quire-api", now);
    json_decref(c);
    return c != NULL;
}

static int valid(const char *t, int64_t now) {
    return valid_with(key, t, now);
}

static void test_auth7_token_round_trip_and_expiry(void **state) {
    (void)state;
    char *t = sign(1000, 1900, "quire-api");
    char kid[QR_KID_MAX + 1];
    assert_int_equal(qr_token_kid(t, strlen(t), kid), 0);
    assert_string_equal(kid, "k1");
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
    /* alg=none and HS256 headers with the same payload and signature. */
    const char *rest = strchr(t, '.');
    char *none = NULL, *hs = NULL, kid[QR_KID_MAX + 1];
    assert_true(asprintf(&none, "eyJhbGciOiJub25lIiwia2lkIjoiazEifQ%s", rest) > 0);
    assert_true(asprintf(&hs, "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0%s", rest) > 0);
    assert_int_equal(qr_token_kid(none, strlen(none), kid), -1);
    assert_int_equal(qr_token_kid(hs, strlen(hs), kid), -1);
    assert_false(valid(none, 1000));
    assert_false(valid(hs, 1000));
    free(none);
    free(hs);
    /* Another key, another audience, another issuer. */
    assert_false(valid_with(other, t, 1000));
    char *aud = sign(1000, 1900, "someone-else");
    assert_false(valid(aud, 1000));
    assert_null(qr_token_verify(key, NULL, t, strlen(t), "https://evil", "quire-api", 1000));
    free(aud);
    free(t);
    assert_false(valid("", 1000));
    assert_false(valid("a.b.c", 1000));
    assert_int_equal(qr_token_kid("a.b.c", 5, kid), -1);
}

static int cached_valid(EVP_PKEY *k, qr_sigcache_t *cache, const char *t, const char *aud,
                        int64_t now) {
    json_t *c = qr_token_verify(k, cache, t, strlen(t), ISS, aud, now);
    json_decref(c);
    return c != NULL;
}

static void test_auth7_verified_token_cache(void **state) {
    (void)state;
    qr_sigcache_t *cache = qr_sigcache_create();
    char *t = sign(1000, 1900, "quire-api");
    /* Nothing is remembered from a failed check: another key's verdict stays "no". */
    assert_false(cached_valid(other, cache, t, "quire-api", 1000));
    assert_false(cached_valid(other, cache, t, "quire-api", 1000));
    assert_true(cached_valid(key, cache, t, "quire-api", 1000));
    /* These exact bytes were verified: the signature is not checked again (which is why the
     * keyring passes the key the token's kid names, one cache per keyring)... */
    assert_true(cached_valid(other, cache, t, "quire-api", 1001));
    /* ...but every claim still is, and the memory ends with the token. */
    assert_false(cached_valid(key, cache, t, "someone-else", 1001));
    assert_false(cached_valid(key, cache, t, "quire-api", 1900));
    assert_false(cached_valid(other, cache, t, "quire-api", 1900));
    /* One changed byte is another token: its signature is checked (and fails). */
    char *copy = strdup(t);
    char *last = copy + strlen(copy) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    assert_false(cached_valid(key, cache, copy, "quire-api", 1000));
    free(copy);
    /* A fresh cache knows nothing. */
    qr_sigcache_t *fresh = qr_sigcache_create();
    assert_false(cached_valid(other, fresh, t, "quire-api", 1000));
    qr_sigcache_destroy(fresh);
    qr_sigcache_destroy(cache);
    qr_sigcache_destroy(NULL);
    free(t);
}

static void test_auth7_jwk_of_key(void **state) {
    (void)state;
    json_t *jwk = qr_token_jwk(key, "k1");
    assert_non_null(jwk);
    assert_string_equal(json_string_value(json_object_get(jwk, "kty")), "EC");
    assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
    assert_string_equal(json_string_value(json_object_get(jwk, "alg")), "ES256");
    assert_int_equal(strlen(json_string_value(json_object_get(jwk, "x"))), 43);
    assert_null(json_object_get(jwk, "d")); /* never the private part */
    json_decref(jwk);
}

static void test_sec2_aead_seal_open(void **state) {
    (void)state;
    unsigned char k[32] = {1}, k2[32] = {2};
    char *s = qr_aead_seal(k, "aad", "secret", 6);
    assert_non_null(s);
    assert_null(strstr(s, "secret"));
    size_t n = 0;
    unsigned char *p = qr_aead_open(k, "aad", s, &n);
    assert_non_null(p);
    assert_int_equal(n, 6);
    assert_memory_equal(p, "secret", 6);
    free(p);
    assert_null(qr_aead_open(k2, "aad", s, &n));
    assert_null(qr_aead_open(k, "other", s, &n));
    s[10] = s[10] == 'A' ? 'B' : 'A';
    assert_null(qr_aead_open(k, "aad", s, &n));
    assert_null(qr_aead_open(k, "aad", "short", &n));
    free(s);
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
    assert_memory_not_equal(k1.master, k1.signing_kek, QR_KEY_LEN);
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
        cmocka_unit_test(test_auth7_verified_token_cache),
        cmocka_unit_test(test_auth7_jwk_of_key),
        cmocka_unit_test(test_sec2_aead_seal_open),
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_auth2_argon2id_hash_and_verify),
        cmocka_unit_test(test_auth2_generated_passwords_follow_the_rules),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_sec2_master_key_file),
    };
    return cmocka_run_group_tests_name("crypto", tests, setup, teardown);
}
