/* SPDX-License-Identifier: Apache-2.0 */
/* quire: Argon2id via libargon2. */
#include "crypto/password.h"

#include <argon2.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/random.h"

#define SALT_LEN 16
#define HASH_LEN 32

char *qr_password_hash(const qr_argon2_params_t *p, const char *password) {
    unsigned char salt[SALT_LEN];
    qr_random_bytes(salt, sizeof(salt));
    size_t enclen =
        argon2_encodedlen(p->iterations, p->memory_kib, 1, SALT_LEN, HASH_LEN, Argon2_id);
    char *enc = malloc(enclen);
    if (!enc)
        return NULL;
    int rc = argon2id_hash_encoded(p->iterations, p->memory_kib, 1, password, strlen(password),
                                   salt, SALT_LEN, HASH_LEN, enc, enclen);
    if (rc != ARGON2_OK) {
        free(enc);
        return NULL;
    }
    return enc;
}

int qr_password_verify(const char *encoded, const char *password) {
    if (!encoded || strncmp(encoded, "$argon2id$", 10) != 0)
        return 0;
    return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}
