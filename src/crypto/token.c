/* SPDX-License-Identifier: Apache-2.0 */
/* quire: compact JWS with ES256. The header is parsed strictly: alg must be ES256 and
 * nothing but alg, kid and typ may appear, so "alg":"none" or HMAC confusion cannot happen. */
#include "crypto/token.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "crypto/random.h"

#define SIG_LEN 64 /* r || s, 32 bytes each */

/* ECDSA over SHA-256 of msg; writes the raw 64-byte signature. */
static int es256_sign(EVP_PKEY *key, const char *msg, size_t n, unsigned char out[SIG_LEN]) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t derlen = sizeof(der);
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(md, der, &derlen, (const unsigned char *)msg, n) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return 0;
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!sig)
        return 0;
    const BIGNUM *r, *s;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok;
}

static int es256_verify(EVP_PKEY *key, const char *msg, size_t n,
                        const unsigned char sigraw[SIG_LEN]) {
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sigraw, 32, NULL), *s = BN_bin2bn(sigraw + 32, 32, NULL);
    if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(sig);
        return 0;
    }
    unsigned char *der = NULL;
    int derlen = i2d_ECDSA_SIG(sig, &der);
    ECDSA_SIG_free(sig);
    if (derlen <= 0)
        return 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(md, der, (size_t)derlen, (const unsigned char *)msg, n) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok;
}

char *qr_token_sign(EVP_PKEY *key, const char *kid, const char *typ, const json_t *claims) {
    char *p = qr_json_dump(claims);
    char *tok = qr_token_sign_payload(key, kid, typ, p, strlen(p));
    free(p);
    return tok;
}

char *qr_token_sign_payload(EVP_PKEY *key, const char *kid, const char *typ, const void *payload,
                            size_t n) {
    json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "kid", kid, "typ", typ);
    char *h = qr_json_dump(hdr);
    json_decref(hdr);
    char *h64 = qr_b64url_encode(h, strlen(h)), *p64 = qr_b64url_encode(payload, n);
    free(h);
    char *signing = qr_xasprintf("%s.%s", h64, p64);
    free(h64);
    free(p64);
    unsigned char sig[SIG_LEN];
    char *tok = NULL;
    if (es256_sign(key, signing, strlen(signing), sig)) {
        char *s64 = qr_b64url_encode(sig, sizeof(sig));
        tok = qr_xasprintf("%s.%s", signing, s64);
        free(s64);
    }
    free(signing);
    return tok;
}

/* Decodes a base64url segment holding a JSON object; NULL if it is not one. */
static json_t *segment_json(const char *s, size_t n) {
    if (n == 0 || n > QR_TOKEN_MAX)
        return NULL;
    unsigned char *buf = qr_xmalloc(n + 1);
    long len = qr_b64url_decode(s, n, buf, n);
    json_t *v =
        len > 0 ? json_loadb((const char *)buf, (size_t)len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    free(buf);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

int qr_token_kid(const char *token, size_t len, char kid[QR_KID_MAX + 1]) {
    if (len > QR_TOKEN_MAX)
        return -1;
    const char *dot = memchr(token, '.', len);
    if (!dot)
        return -1;
    json_t *h = segment_json(token, (size_t)(dot - token));
    int rc = -1;
    const char *key;
    json_t *v;
    if (!h)
        return -1;
    json_object_foreach(h, key, v) {
        if (strcmp(key, "alg") != 0 && strcmp(key, "kid") != 0 && strcmp(key, "typ") != 0)
            goto out;
    }
    const char *alg = json_string_value(json_object_get(h, "alg"));
    const char *k = json_string_value(json_object_get(h, "kid"));
    if (!alg || strcmp(alg, "ES256") != 0 || !k || !*k || strlen(k) > QR_KID_MAX)
        goto out;
    memcpy(kid, k, strlen(k) + 1);
    rc = 0;
out:
    json_decref(h);
    return rc;
}

struct sigslot {
    unsigned char digest[32];
    int64_t exp; /* 0: empty */
};

struct qr_sigcache {
    pthread_mutex_t mu;
    struct sigslot slots[QR_SIGCACHE_SLOTS];
};

qr_sigcache_t *qr_sigcache_create(void) {
    qr_sigcache_t *c = qr_xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    return c;
}

void qr_sigcache_destroy(qr_sigcache_t *c) {
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The slot of a digest: SHA-256 output is uniform, so its first bytes pick the slot. */
static struct sigslot *sigslot_of(qr_sigcache_t *c, const unsigned char d[32]) {
    uint32_t i = ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]);
    return &c->slots[i % QR_SIGCACHE_SLOTS];
}

static int sigcache_has(qr_sigcache_t *c, const unsigned char d[32], int64_t now) {
    pthread_mutex_lock(&c->mu);
    struct sigslot *s = sigslot_of(c, d);
    int hit = s->exp > now && memcmp(s->digest, d, 32) == 0;
    pthread_mutex_unlock(&c->mu);
    return hit;
}

static void sigcache_put(qr_sigcache_t *c, const unsigned char d[32], int64_t exp) {
    pthread_mutex_lock(&c->mu);
    struct sigslot *s = sigslot_of(c, d);
    memcpy(s->digest, d, 32);
    s->exp = exp;
    pthread_mutex_unlock(&c->mu);
}

json_t *qr_token_verify(EVP_PKEY *key, qr_sigcache_t *cache, const char *token, size_t len,
                        const char *iss, const char *aud, int64_t now) {
    if (len > QR_TOKEN_MAX)
        return NULL;
    const char *d1 = memchr(token, '.', len);
    if (!d1)
        return NULL;
    const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token));
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return NULL;
    unsigned char sig[SIG_LEN + 4];
    if (qr_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), sig, sizeof(sig)) != SIG_LEN)
        return NULL;
    unsigned char digest[32];
    int known = 0;
    if (cache) {
        unsigned int dn = 0;
        known = EVP_Digest(token, len, digest, &dn, EVP_sha256(), NULL) == 1 && dn == 32 &&
                sigcache_has(cache, digest, now);
        if (dn != 32)
            cache = NULL;
    }
    if (!known && !es256_verify(key, token, (size_t)(d2 - token), sig))
        return NULL;
    json_t *claims = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!claims)
        return NULL;
    json_t *jiss = json_object_get(claims, "iss"), *jaud = json_object_get(claims, "aud");
    json_t *jexp = json_object_get(claims, "exp"), *jiat = json_object_get(claims, "iat");
    if (!json_is_string(jiss) || strcmp(json_string_value(jiss), iss) != 0 ||
        !json_is_string(jaud) || strcmp(json_string_value(jaud), aud) != 0 ||
        !json_is_integer(jexp) || json_integer_value(jexp) <= now || !json_is_integer(jiat) ||
        json_integer_value(jiat) > now + 60) {
        json_decref(claims);
        return NULL;
    }
    if (cache && !known)
        sigcache_put(cache, digest, json_integer_value(jexp));
    return claims;
}

json_t *qr_token_jwk(EVP_PKEY *key, const char *kid) {
    BIGNUM *x = NULL, *y = NULL;
    json_t *jwk = NULL;
    unsigned char xb[32], yb[32];
    if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
        BN_bn2binpad(x, xb, 32) == 32 && BN_bn2binpad(y, yb, 32) == 32) {
        char *x64 = qr_b64url_encode(xb, 32), *y64 = qr_b64url_encode(yb, 32);
        jwk = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x",
                        x64, "y", y64, "kid", kid, "alg", "ES256", "use", "sig");
        free(x64);
        free(y64);
    }
    BN_free(x);
    BN_free(y);
    return jwk;
}
