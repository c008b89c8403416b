/* SPDX-License-Identifier: Apache-2.0 */
/* quire: AES-256-GCM sealing of small secrets (SEC-2): a random 96-bit nonce, the
 * ciphertext and the 128-bit tag, base64url-encoded as one string. */
#ifndef QR_AEAD_H
#define QR_AEAD_H

#include <stddef.h>

/* Seals n bytes under a 32-byte key, binding aad (may be NULL) as associated data.
 * Returns a new string (caller frees) or NULL if the library failed. */
char *qr_aead_seal(const unsigned char key[32], const char *aad, const void *data, size_t n);
/* Opens a sealed string. Returns the plaintext as a new NUL-terminated buffer (caller
 * frees, *n its length) or NULL if it was tampered with, sealed under another key or aad,
 * or malformed. */
unsigned char *qr_aead_open(const unsigned char key[32], const char *aad, const char *sealed,
                            size_t *n);

#endif
