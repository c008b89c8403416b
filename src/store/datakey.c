/* SPDX-License-Identifier: Apache-2.0 */
/* quire: per-org document keys. */
#include "store/datakey.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/aead.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "store/db.h"

static qr_status_t unwrap(qr_ctx_t *ctx, const char *org_id, const char *wrapped,
                          unsigned char key[32], qr_err_t *err) {
    size_t n = 0;
    unsigned char *k = qr_aead_open(ctx->keys->data_kek, org_id, wrapped, &n);
    if (!k || n != 32) {
        free(k);
        return qr_err_set(err, QR_E_CRYPTO, NULL,
                          "the organization's document key cannot be opened: wrong master key?");
    }
    memcpy(key, k, 32);
    OPENSSL_cleanse(k, n);
    free(k);
    return QR_OK;
}

qr_status_t qr_datakey_get(qr_ctx_t *ctx, const char *org_id, unsigned char key[32],
                           qr_err_t *err) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT wrapped FROM org_keys WHERE org_id = ?", QR_TEXT(org_id));
    if (!st && qr_dbres_rows(r) == 0) {
        unsigned char fresh[32];
        qr_random_bytes(fresh, sizeof(fresh));
        char *wrapped = qr_aead_seal(ctx->keys->data_kek, org_id, fresh, sizeof(fresh));
        OPENSSL_cleanse(fresh, sizeof(fresh));
        st = wrapped
                 ? qr_db_q(c, NULL, NULL,
                           "INSERT INTO org_keys (org_id, wrapped, created_at) VALUES (?, ?, ?) "
                           "ON CONFLICT (org_id) DO NOTHING",
                           QR_TEXT(org_id), QR_TEXT(wrapped), QR_INT(qr_clock_now(ctx->clock)))
                 : QR_E_CRYPTO;
        free(wrapped);
        qr_dbres_free(r);
        r = NULL;
        if (!st)
            st = qr_db_q(c, &r, NULL, "SELECT wrapped FROM org_keys WHERE org_id = ?",
                         QR_TEXT(org_id));
    }
    if (!st && qr_dbres_rows(r) == 1)
        st = unwrap(ctx, org_id, qr_dbres_text(r, 0, 0), key, err);
    else if (!st)
        st = qr_err_set(err, QR_E_DB, NULL, "the organization's document key is missing");
    else
        qr_err_set(err, st, NULL, "cannot read the organization's document key");
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
