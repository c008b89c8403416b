/* SPDX-License-Identifier: Apache-2.0 */
/* quire: compact JWS with HS256. The header is fixed, so "alg" confusion cannot happen: a
 * token whose header differs byte for byte from ours is refused. */
#include "crypto/token.h"

#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "crypto/random.h"

/* base64url of {"alg":"HS256","typ":"JWT"} */
static const char HEADER_B64[] = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

char *qr_token_sign(const unsigned char *key, size_t keylen, const json_t *claims) {
    char *payload = qr_json_dump(claims);
    char *p64 = qr_b64url_encode(payload, strlen(payload));
    free(payload);
    char *signing = qr_xasprintf("%s.%s", HEADER_B64, p64);
    free(p64);
    unsigned char mac[32];
    qr_hmac_sha256(key, keylen, signing, strlen(signing), mac);
    char *s64 = qr_b64url_encode(mac, sizeof(mac));
    char *tok = qr_xasprintf("%s.%s", signing, s64);
    free(signing);
    free(s64);
    return tok;
}

json_t *qr_token_verify(const unsigned char *key, size_t keylen, const char *token, size_t len,
                        const char *iss, const char *aud, int64_t now) {
    if (len > QR_TOKEN_MAX)
        return NULL;
    size_t hlen = sizeof(HEADER_B64) - 1;
    if (len < hlen + 2 || memcmp(token, HEADER_B64, hlen) != 0 || token[hlen] != '.')
        return NULL;
    const char *p = token + hlen + 1;
    const char *dot = memchr(p, '.', len - hlen - 1);
    if (!dot)
        return NULL;
    size_t plen = (size_t)(dot - p);
    const char *s = dot + 1;
    size_t slen = len - (size_t)(s - token);

    unsigned char sig[40];
    if (qr_b64url_decode(s, slen, sig, sizeof(sig)) != 32)
        return NULL;
    unsigned char mac[32];
    qr_hmac_sha256(key, keylen, token, (size_t)(dot - token), mac);
    if (!qr_ct_equal(mac, sig, 32))
        return NULL;

    unsigned char *payload = qr_xmalloc(plen + 1);
    long n = qr_b64url_decode(p, plen, payload, plen);
    json_t *claims = NULL;
    if (n > 0)
        claims = json_loadb((const char *)payload, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    free(payload);
    if (!claims || !json_is_object(claims))
        goto bad;
    json_t *jiss = json_object_get(claims, "iss"), *jaud = json_object_get(claims, "aud");
    json_t *jexp = json_object_get(claims, "exp"), *jiat = json_object_get(claims, "iat");
    if (!json_is_string(jiss) || strcmp(json_string_value(jiss), iss) != 0)
        goto bad;
    if (!json_is_string(jaud) || strcmp(json_string_value(jaud), aud) != 0)
        goto bad;
    if (!json_is_integer(jexp) || json_integer_value(jexp) <= now)
        goto bad;
    if (!json_is_integer(jiat) || json_integer_value(jiat) > now + 60)
        goto bad;
    return claims;
bad:
    json_decref(claims);
    return NULL;
}
