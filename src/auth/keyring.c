/* SPDX-License-Identifier: Apache-2.0 */
/* quire: signing keys in the database, cached in memory under a read-write lock. */
#include "auth/keyring.h"

#include <openssl/pem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/session.h"
#include "core/log.h"
#include "core/mem.h"
#include "crypto/aead.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "crypto/token.h"
#include "store/db.h"

#define MAX_KEYS 16
/* A retired key stays published this long: the longest token lifetime plus clock skew. */
#define RETIRED_GRACE_S (QR_ACCESS_TTL_S + 60)
#define AAD "quire signing key"

struct key {
    char kid[QR_ID_LEN + 1];
    EVP_PKEY *pkey;
    int64_t created_at, retired_at; /* retired_at 0: active */
};

struct qr_keyring {
    pthread_rwlock_t lock;
    struct key keys[MAX_KEYS];
    int n;
    int64_t loaded_at;
    pthread_mutex_t reload_mu;
    qr_sigcache_t *verified; /* tokens whose signature one of these keys verified */
};

static void free_keys(struct key *k, int n) {
    for (int i = 0; i < n; i++)
        EVP_PKEY_free(k[i].pkey);
}

static EVP_PKEY *unseal(const qr_ctx_t *ctx, const char *sealed) {
    size_t n = 0;
    unsigned char *pem = qr_aead_open(ctx->keys->signing_kek, AAD, sealed, &n);
    if (!pem)
        return NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    OPENSSL_cleanse(pem, n);
    free(pem);
    return k;
}

/* Creates a key and stores it sealed. */
static qr_status_t insert_key(qr_ctx_t *ctx, qr_dbc_t *c, int64_t now, char kid[QR_ID_LEN + 1]) {
    EVP_PKEY *k = EVP_EC_gen("P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    qr_status_t st = QR_E_CRYPTO;
    char *sealed = NULL;
    if (k && bio && PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)) {
        char *pem = NULL;
        long n = BIO_get_mem_data(bio, &pem);
        sealed = qr_aead_seal(ctx->keys->signing_kek, AAD, pem, (size_t)n);
    }
    if (sealed) {
        qr_random_id(kid);
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO signing_keys (kid, private_sealed, created_at) VALUES (?, ?, ?)",
                     QR_TEXT(kid), QR_TEXT(sealed), QR_INT(now));
    }
    free(sealed);
    BIO_free(bio);
    EVP_PKEY_free(k);
    return st;
}

/* Reads the published keys from the database into the keyring. */
static qr_status_t reload(qr_ctx_t *ctx, qr_keyring_t *kr, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    struct key fresh[MAX_KEYS];
    int n = 0;
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT kid, private_sealed, created_at, retired_at FROM signing_keys "
                "WHERE retired_at IS NULL OR retired_at > ? "
                "ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, "
                "kid LIMIT ?",
                QR_INT(now - RETIRED_GRACE_S), QR_INT(MAX_KEYS));
    if (!st && qr_dbres_rows(r) == 0) {
        char kid[QR_ID_LEN + 1];
        qr_dbres_free(r);
        r = NULL;
        st = insert_key(ctx, c, now, kid);
        if (!st)
            st = qr_db_q(c, &r, NULL,
                         "SELECT kid, private_sealed, created_at, retired_at FROM signing_keys "
                         "WHERE kid = ?",
                         QR_TEXT(kid));
        if (!st)
            qr_log_info("signing_key_created", "created token signing key %s", kid);
    }
    qr_db_release(c);
    for (int i = 0; !st && i < qr_dbres_rows(r) && n < MAX_KEYS; i++) {
        EVP_PKEY *k = unseal(ctx, qr_dbres_text(r, i, 1));
        if (!k) {
            qr_log_error("signing_key_unreadable",
                         "signing key %s cannot be opened: wrong master key?",
                         qr_dbres_text(r, i, 0));
            continue;
        }
        memset(&fresh[n], 0, sizeof(fresh[n]));
        memcpy(fresh[n].kid, qr_dbres_text(r, i, 0), QR_ID_LEN);
        fresh[n].pkey = k;
        fresh[n].created_at = qr_dbres_int(r, i, 2);
        fresh[n].retired_at = qr_dbres_int(r, i, 3);
        n++;
    }
    qr_dbres_free(r);
    if (!st && n == 0)
        st = qr_err_set(err, QR_E_CRYPTO, NULL,
                        "no usable token signing key: the master key does not match the "
                        "database");
    if (st) {
        free_keys(fresh, n);
        if (!err->msg[0])
            qr_err_set(err, st, NULL, "cannot load the token signing keys");
        return st;
    }
    pthread_rwlock_wrlock(&kr->lock);
    free_keys(kr->keys, kr->n);
    memcpy(kr->keys, fresh, sizeof(struct key) * (size_t)n);
    kr->n = n;
    kr->loaded_at = now;
    pthread_rwlock_unlock(&kr->lock);
    return QR_OK;
}

qr_status_t qr_keyring_open(qr_ctx_t *ctx, qr_keyring_t **out, qr_err_t *err) {
    qr_keyring_t *kr = qr_xcalloc(1, sizeof(*kr));
    kr->verified = qr_sigcache_create();
    pthread_rwlock_init(&kr->lock, NULL);
    pthread_mutex_init(&kr->reload_mu, NULL);
    qr_status_t st = reload(ctx, kr, err);
    if (st) {
        qr_keyring_destroy(kr);
        return st;
    }
    *out = kr;
    return QR_OK;
}

void qr_keyring_destroy(qr_keyring_t *kr) {
    if (!kr)
        return;
    free_keys(kr->keys, kr->n);
    qr_sigcache_destroy(kr->verified);
    pthread_rwlock_destroy(&kr->lock);
    pthread_mutex_destroy(&kr->reload_mu);
    free(kr);
}

/* Reloads when the cache is older than QR_KEY_RELOAD_S (or force), one thread at a time. */
static void refresh(qr_ctx_t *ctx, int force) {
    qr_keyring_t *kr = ctx->keyring;
    int64_t now = qr_clock_now(ctx->clock);
    pthread_rwlock_rdlock(&kr->lock);
    int64_t age = now - kr->loaded_at;
    pthread_rwlock_unlock(&kr->lock);
    if (age < QR_KEY_RELOAD_S && !(force && age >= 1))
        return;
    if (pthread_mutex_trylock(&kr->reload_mu) != 0)
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    if (reload(ctx, kr, &err))
        qr_log_error("signing_key_reload", "%s", err.msg);
    pthread_mutex_unlock(&kr->reload_mu);
}

char *qr_keyring_sign(qr_ctx_t *ctx, const char *typ, const json_t *claims) {
    refresh(ctx, 0);
    qr_keyring_t *kr = ctx->keyring;
    pthread_rwlock_rdlock(&kr->lock);
    char *tok = kr->n ? qr_token_sign(kr->keys[0].pkey, kr->keys[0].kid, typ, claims) : NULL;
    pthread_rwlock_unlock(&kr->lock);
    return tok;
}

/* Verifies with the key named kid if the keyring has it; *known tells whether it did. */
static json_t *verify_with(qr_ctx_t *ctx, const char *kid, const char *token, size_t len,
                           const char *aud, int *known) {
    qr_keyring_t *kr = ctx->keyring;
    int64_t now = qr_clock_now(ctx->clock);
    json_t *claims = NULL;
    *known = 0;
    pthread_rwlock_rdlock(&kr->lock);
    for (int i = 0; i < kr->n; i++) {
        if (strcmp(kr->keys[i].kid, kid) != 0)
            continue;
        *known = !kr->keys[i].retired_at || kr->keys[i].retired_at > now - RETIRED_GRACE_S;
        if (*known)
            claims = qr_token_verify(kr->keys[i].pkey, kr->verified, token, len,
                                     ctx->cfg->public_url, aud, now);
        break;
    }
    pthread_rwlock_unlock(&kr->lock);
    return claims;
}

json_t *qr_keyring_verify(qr_ctx_t *ctx, const char *token, size_t len, const char *aud) {
    char kid[QR_KID_MAX + 1];
    if (qr_token_kid(token, len, kid) != 0)
        return NULL;
    int known = 0;
    json_t *claims = verify_with(ctx, kid, token, len, aud, &known);
    if (!known) {
        /* Perhaps another server rotated: look again (at most once a second). */
        refresh(ctx, 1);
        claims = verify_with(ctx, kid, token, len, aud, &known);
    }
    return claims;
}

json_t *qr_keyring_jwks(qr_ctx_t *ctx) {
    refresh(ctx, 0);
    qr_keyring_t *kr = ctx->keyring;
    json_t *keys = json_array();
    pthread_rwlock_rdlock(&kr->lock);
    for (int i = 0; i < kr->n; i++)
        json_array_append_new(keys, qr_token_jwk(kr->keys[i].pkey, kr->keys[i].kid));
    pthread_rwlock_unlock(&kr->lock);
    return json_pack("{s:o}", "keys", keys);
}

qr_status_t qr_keyring_rotate(qr_ctx_t *ctx, char kid[33], qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_dbc_begin(c);
    if (!st)
        st =
            qr_db_q(c, NULL, NULL,
                    "UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL", QR_INT(now));
    if (!st)
        st = insert_key(ctx, c, now, kid);
    /* Keys retired long ago (a day past their grace) are no longer needed. */
    if (!st)
        st = qr_db_q(c, NULL, NULL, "DELETE FROM signing_keys WHERE retired_at < ?",
                     QR_INT(now - RETIRED_GRACE_S - 86400));
    if (!st)
        st = qr_dbc_commit(c);
    qr_db_release(c);
    if (st)
        return qr_err_set(err, st, NULL, "key rotation failed (see the log)");
    if (ctx->keyring)
        st = reload(ctx, ctx->keyring, err);
    qr_log_info("signing_key_rotated", "new token signing key %s", kid);
    return st;
}
