/* SPDX-License-Identifier: Apache-2.0 */
/* quire: process set-up shared by the commands. */
#include "cmd/app.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth/account_rules.h"
#include "auth/keyring.h"
#include "auth/credcache.h"
#include "auth/throttle.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/mail.h"
#include "core/metrics.h"
#include "core/workq.h"
#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "store/db.h"
#include "tenancy/user.h"

extern const char qr_common_passwords_data[];
extern const unsigned long long qr_common_passwords_size;

qr_status_t qr_app_open(qr_ctx_t *ctx, qr_config_t *cfg, const char *config_path, int with_tls,
                        qr_err_t *err) {
    memset(ctx, 0, sizeof(*ctx));
    /* libcurl's global set-up is not thread-safe: do it here, before any thread starts. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (qr_config_load(cfg, config_path, err->msg, sizeof(err->msg)) != 0)
        return err->status = QR_E_INVALID;
    int level = qr_log_parse_level(cfg->log_level);
    if (level < 0)
        return qr_err_set(err, QR_E_INVALID, NULL, "log_level must be debug, info, warn or error");
    qr_log_set_level((qr_log_level_t)level);
    ctx->cfg = cfg;
    ctx->clock = qr_clock_create();
    ctx->metrics = qr_xcalloc(1, sizeof(*ctx->metrics));
    ctx->metrics->started_at = (int64_t)time(NULL);
    if (qr_mkdirs(cfg->data_dir, 0700, err))
        return err->status;
    char *tls_dir = qr_xasprintf("%s/tls", cfg->data_dir);
    qr_status_t st = qr_mkdirs(tls_dir, 0700, err);
    free(tls_dir);
    if (st)
        return st;
    qr_keys_t *keys = qr_xcalloc(1, sizeof(*keys));
    ctx->keys = keys;
    char *key_path = qr_xasprintf("%s/master.key", cfg->data_dir);
    st = qr_keys_load(keys, key_path, err);
    free(key_path);
    if (st)
        return st;
    if (with_tls && (st = qr_tls_ensure_cert(cfg->tls_cert, cfg->tls_key, err)))
        return st;
    ctx->common =
        qr_common_passwords_load_mem(qr_common_passwords_data, (size_t)qr_common_passwords_size);
    if (!ctx->common)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "the built-in common-password list is broken");
    if ((st = qr_db_open(cfg->database, cfg->db_pool, &ctx->db, err)))
        return st;
    if ((st = qr_db_migrate(ctx->db, err)))
        return st;
    /* Issue 13: the usernames' comparison keys that SQL cannot compute (AUTH-3). */
    if ((st = qr_user_backfill_keys(ctx->db, err)))
        return st;
    if ((st = qr_keyring_open(ctx, &ctx->keyring, err)))
        return st;
    ctx->throttle = qr_throttle_create(60);
    ctx->credcache = qr_credcache_create(QR_CREDCACHE_MAX, QR_CREDCACHE_TTL_S);
    ctx->slowq = qr_workq_create(cfg->hash_workers, cfg->hash_queue);
    ctx->mailer = qr_mailer_create(cfg);
    qr_argon2_params_t ap = {(unsigned)cfg->argon2_memory_kib, (unsigned)cfg->argon2_iterations};
    char dummy[24];
    qr_random_bytes(dummy, sizeof(dummy) - 1);
    dummy[sizeof(dummy) - 1] = '\0';
    ctx->dummy_hash = qr_password_hash(&ap, dummy);
    if (!ctx->dummy_hash)
        return qr_err_set(err, QR_E_CRYPTO, NULL, "Argon2id failed: check argon2_memory_kib");
    return QR_OK;
}

void qr_app_close(qr_ctx_t *ctx, qr_config_t *cfg) {
    qr_workq_destroy(ctx->slowq);
    qr_mailer_destroy(ctx->mailer);
    qr_throttle_destroy(ctx->throttle);
    qr_credcache_destroy(ctx->credcache);
    qr_keyring_destroy(ctx->keyring);
    qr_db_close(ctx->db);
    qr_common_passwords_destroy((qr_common_passwords_t *)ctx->common);
    if (ctx->keys) {
        OPENSSL_cleanse((void *)ctx->keys, sizeof(qr_keys_t));
        free((void *)ctx->keys);
    }
    free(ctx->dummy_hash);
    free(ctx->metrics);
    qr_clock_destroy(ctx->clock);
    qr_config_free(cfg);
    memset(ctx, 0, sizeof(*ctx));
    curl_global_cleanup();
}
