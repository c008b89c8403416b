/* SPDX-License-Identifier: Apache-2.0 */
/* quire: random values, base64url, SHA-256 and HMAC via OpenSSL. */
#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

void qr_random_bytes(void *buf, size_t n) {
    if (RAND_bytes(buf, (int)n) != 1) {
        fprintf(stderr, "quire: the random number generator failed\n");
        abort();
    }
}

void qr_random_id(char out[QR_ID_LEN + 1]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char b[QR_ID_LEN / 2];
    qr_random_bytes(b, sizeof(b));
    for (size_t i = 0; i < sizeof(b); i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[QR_ID_LEN] = '\0';
}

int qr_id_is_valid(const char *s) {
    if (!s)
        return 0;
    size_t i = 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (i >= QR_ID_LEN || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return i == QR_ID_LEN;
}

static char pick(const char *set) {
    size_t n = strlen(set);
    uint32_t r;
    uint32_t limit = UINT32_MAX - UINT32_MAX % (uint32_t)n;
    do {
        qr_random_bytes(&r, sizeof(r));
    } while (r >= limit);
    return set[r % n];
}

char *qr_random_password(size_t n) {
    static const char upper[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    static const char lower[] = "abcdefghijkmnopqrstuvwxyz";
    static const char digit[] = "23456789";
    static const char symbol[] = "!#%+-.:=?@^_~";
    static const char all[] =
        "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!#%+-.:=?@^_~";
    if (n < 8)
        n = 8;
    char *p = qr_xmalloc(n + 1);
    p[0] = pick(upper);
    p[1] = pick(lower);
    p[2] = pick(digit);
    p[3] = pick(symbol);
    for (size_t i = 4; i < n; i++)
        p[i] = pick(all);
    /* Fisher-Yates shuffle so the classes are not in fixed places. */
    for (size_t i = n - 1; i > 0; i--) {
        uint32_t r;
        qr_random_bytes(&r, sizeof(r));
        size_t j = r % (i + 1);
        char t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    p[n] = '\0';
    return p;
}

char *qr_b64url_encode(const void *data, size_t n) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *s = data;
    char *out = qr_xmalloc(n / 3 * 4 + 5);
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        out[o++] = tbl[v >> 18];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = tbl[(v >> 6) & 63];
        out[o++] = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        out[o++] = tbl[v >> 18];
        out[o++] = tbl[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        out[o++] = tbl[v >> 18];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = tbl[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long qr_b64url_decode(const char *s, size_t slen, unsigned char *out, size_t cap) {
    if (slen % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < slen; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits must be zero (canonical encoding only). */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

void qr_sha256_hex(const void *data, size_t n, char out[65]) {
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void qr_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                    unsigned char out[32]) {
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len);
}

int qr_ct_equal(const void *a, const void *b, size_t n) {
    return CRYPTO_memcmp(a, b, n) == 0;
}
