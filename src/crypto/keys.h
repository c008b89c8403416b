/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the master key (32 random bytes in a 0600 file, created on first start) and the
 * keys derived from it with HKDF-SHA-256, plus the self-signed TLS certificate. */
#ifndef QR_KEYS_H
#define QR_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define QR_KEY_LEN 32

typedef struct qr_keys {
    unsigned char master[QR_KEY_LEN];
    unsigned char signing_kek[QR_KEY_LEN];   /* seals the token signing keys */
    unsigned char secret_lookup[QR_KEY_LEN]; /* HMAC key of PIN and card lookups (SEC-2) */
    unsigned char secret_seal[QR_KEY_LEN];   /* AES-256-GCM key of PINs and cards (SEC-2) */
    unsigned char data_kek[QR_KEY_LEN];      /* wraps the per-org document keys (SEC-2) */
} qr_keys_t;

/* Loads the master key from path, creating it (mode 0600) if absent, and derives the
 * subkeys. Refuses a key file readable by group or others. */
qr_status_t qr_keys_load(qr_keys_t *k, const char *path, qr_err_t *err);
/* Derives len bytes for purpose label from the master key (HKDF-SHA-256). */
qr_status_t qr_keys_derive(const qr_keys_t *k, const char *label, unsigned char *out, size_t len);
/* Creates a self-signed ECDSA P-256 certificate for localhost, 127.0.0.1 and ::1 at
 * cert_path/key_path (key 0600) unless both files exist. */
qr_status_t qr_tls_ensure_cert(const char *cert_path, const char *key_path, qr_err_t *err);
/* Replaces them with a new self-signed certificate and key (valid one year), written under
 * temporary names and renamed into place. */
qr_status_t qr_tls_renew_self_signed(const char *cert_path, const char *key_path, qr_err_t *err);
/* Reads the certificate at cert_path: its expiry (Unix time) and whether it is one quire made
 * itself (self-issued, O=quire, CN=localhost). QR_E_IO/QR_E_CRYPTO if it cannot be read. */
qr_status_t qr_tls_cert_info(const char *cert_path, int64_t *not_after, int *self_made);
/* Creates directory path and its parents with the given mode if they do not exist. */
qr_status_t qr_mkdirs(const char *path, int mode, qr_err_t *err);
/* Reads a whole (small) file into a new NUL-terminated string; caller frees. */
char *qr_read_file(const char *path, size_t max, size_t *len);

#endif
