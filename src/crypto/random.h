/* SPDX-License-Identifier: Apache-2.0 */
/* quire: random values, encodings and digests (OpenSSL). */
#ifndef QR_RANDOM_H
#define QR_RANDOM_H

#include <stddef.h>
#include <stdint.h>

#define QR_ID_LEN 32 /* hex characters of a random 128-bit id */

/* Fills buf with n cryptographically random bytes; aborts if the RNG fails. */
void qr_random_bytes(void *buf, size_t n);
/* Writes a new random id (32 lowercase hex chars + NUL) into out[QR_ID_LEN + 1]. */
void qr_random_id(char out[QR_ID_LEN + 1]);
/* Returns 1 if s is a well-formed id (32 lowercase hex characters). */
int qr_id_is_valid(const char *s);
/* Generates a random password of n characters that satisfies AUTH-2's character classes.
 * Returns a new string; caller frees. */
char *qr_random_password(size_t n);
/* Base64url without padding of n bytes; returns a new string, caller frees. */
char *qr_b64url_encode(const void *data, size_t n);
/* Decodes base64url without padding into out (capacity cap); returns the length or -1. */
long qr_b64url_decode(const char *s, size_t slen, unsigned char *out, size_t cap);
/* SHA-256 of data as 64 lowercase hex chars + NUL. */
void qr_sha256_hex(const void *data, size_t n, char out[65]);
/* HMAC-SHA-256 of data under key into out[32]. */
void qr_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                    unsigned char out[32]);
/* Constant-time comparison of n bytes; 1 if equal. */
int qr_ct_equal(const void *a, const void *b, size_t n);

#endif
