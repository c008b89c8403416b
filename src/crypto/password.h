/* SPDX-License-Identifier: Apache-2.0 */
/* quire: password hashing with Argon2id (AUTH-2). Hashes are PHC strings
 * ($argon2id$v=19$m=...,t=...,p=1$salt$hash). These calls are slow on purpose: run them on
 * the password worker pool, never on an HTTP thread. */
#ifndef QR_PASSWORD_H
#define QR_PASSWORD_H

#include "core/status.h"

typedef struct qr_argon2_params {
    unsigned memory_kib;
    unsigned iterations;
} qr_argon2_params_t;

/* Hashes password with a fresh 16-byte salt. Returns a new PHC string (caller frees) or
 * NULL if the library failed. */
char *qr_password_hash(const qr_argon2_params_t *p, const char *password);
/* Verifies password against a PHC string; 1 if it matches, 0 otherwise (also for a
 * malformed hash). Takes the same time whether or not it matches. */
int qr_password_verify(const char *encoded, const char *password);

#endif
