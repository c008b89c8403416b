/* SPDX-License-Identifier: Apache-2.0 */
/* quire: libFuzzer target for everything a request brings from outside before a handler
 * runs: the path check, the query string, the JSON body with its typed getters, and the
 * bearer token parser (header, and claims behind a valid signature), HTTP Basic credentials,
 * X-Forwarded-For behind trusted proxies (and the trusted_proxies setting's parser). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>

#include "core/json.h"
#include "core/text.h"
#include "crypto/token.h"
#include "http/forwarded.h"
#include "http/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    qr_err_t err = {QR_OK, NULL, ""};

    (void)qr_path_is_canonical(s, size);

    qr_query_t q;
    memset(&q, 0, sizeof(q));
    (void)qr_query_parse(s, "limit offset name", &q, &err);
    qr_query_free(&q);

    char basic[QR_BASIC_MAX];
    size_t colon;
    char *header = malloc(size + 7);
    if (header) {
        memcpy(header, "Basic ", 6);
        memcpy(header + 6, data, size);
        header[size + 6] = '\0';
        if (qr_basic_decode(header, basic, sizeof(basic), &colon) >= 0 && basic[colon] != ':')
            abort();
        free(header);
    }

    static qr_netset_t *proxies;
    if (!proxies)
        proxies = qr_netset_create("10.0.0.0/8 fd00::/8 192.0.2.1", NULL, 0);
    char client[QR_ADDR_TEXT_MAX], why[160];
    qr_forwarded_client(proxies, "10.0.0.1", s, client, sizeof(client));
    if (!client[0] || strlen(client) >= sizeof(client))
        abort();
    qr_netset_destroy(qr_netset_create(s, why, sizeof(why)));

    json_t *obj = NULL;
    if (qr_json_parse_object(s, size, &obj, &err) == QR_OK) {
        static const char *const keys[] = {"name", "limit", "active", NULL};
        const char *str;
        long long n;
        int b, present;
        (void)qr_json_check_keys(obj, keys, &err);
        (void)qr_json_get_str(obj, "name", 0, 200, &str, &err);
        (void)qr_json_get_int(obj, "limit", 0, 0, 1000, &n, &present, &err);
        (void)qr_json_get_bool(obj, "active", 0, &b, &present, &err);
        json_decref(obj);
    }

    static EVP_PKEY *key;
    static qr_sigcache_t *cache;
    if (!key) {
        key = EVP_EC_gen("P-256");
        cache = qr_sigcache_create();
    }
    char kid[QR_KID_MAX + 1];
    (void)qr_token_kid(s, size, kid);
    json_t *claims =
        qr_token_verify(key, cache, s, size, "https://localhost:8443", "quire-api", 1700000000);
    json_decref(claims);
    /* The same input as the claims of a correctly signed token: the parsing and claim
     * checks behind the signature, which a forged token never reaches. */
    char *signed_tok = qr_token_sign_payload(key, "k1", "at+jwt", data, size);
    if (signed_tok) {
        /* Twice through the cache: verified, then remembered; the claims are checked both
         * times and must give the same verdict. */
        claims = qr_token_verify(key, cache, signed_tok, strlen(signed_tok),
                                 "https://localhost:8443", "quire-api", 1700000000);
        json_t *again = qr_token_verify(key, cache, signed_tok, strlen(signed_tok),
                                        "https://localhost:8443", "quire-api", 1700000000);
        if (!claims != !again)
            abort();
        json_decref(again);
        if (claims && !json_is_object(claims))
            abort();
        json_decref(claims);
        free(signed_tok);
    }
    free(s);
    return 0;
}
