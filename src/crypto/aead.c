/* SPDX-License-Identifier: Apache-2.0 */
/* quire: AES-256-GCM via OpenSSL EVP. */
#include "crypto/aead.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "crypto/random.h"

#define NONCE 12
#define TAG 16
#define MAX_SEALED (1 << 20)

char *qr_aead_seal(const unsigned char key[32], const char *aad, const void *data, size_t n) {
    if (n > MAX_SEALED)
        return NULL;
    unsigned char *buf = qr_xmalloc(NONCE + n + TAG);
    qr_random_bytes(buf, NONCE);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) == 1;
    if (ok && aad)
        ok = EVP_EncryptUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1;
    ok = ok && EVP_EncryptUpdate(c, buf + NONCE, &len, data, (int)n) == 1 &&
         EVP_EncryptFinal_ex(c, buf + NONCE + len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, buf + NONCE + n) == 1;
    EVP_CIPHER_CTX_free(c);
    char *out = ok ? qr_b64url_encode(buf, NONCE + n + TAG) : NULL;
    OPENSSL_cleanse(buf, NONCE + n + TAG);
    free(buf);
    return out;
}

unsigned char *qr_aead_open(const unsigned char key[32], const char *aad, const char *sealed,
                            size_t *n) {
    size_t slen = strlen(sealed);
    if (slen > (size_t)MAX_SEALED * 2)
        return NULL;
    unsigned char *raw = qr_xmalloc(slen);
    long rl = qr_b64url_decode(sealed, slen, raw, slen);
    if (rl < NONCE + TAG) {
        free(raw);
        return NULL;
    }
    size_t clen = (size_t)rl - NONCE - TAG;
    unsigned char *out = qr_xmalloc(clen + 1);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, raw) == 1;
    if (ok && aad)
        ok = EVP_DecryptUpdate(c, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1;
    ok = ok && EVP_DecryptUpdate(c, out, &len, raw + NONCE, (int)clen) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, raw + NONCE + clen) == 1 &&
         EVP_DecryptFinal_ex(c, out + len, &len) == 1;
    EVP_CIPHER_CTX_free(c);
    free(raw);
    if (!ok) {
        OPENSSL_cleanse(out, clen + 1);
        free(out);
        return NULL;
    }
    out[clen] = '\0';
    *n = clen;
    return out;
}
