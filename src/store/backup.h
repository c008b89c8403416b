/* SPDX-License-Identifier: Apache-2.0 */
/* quire: backups (SEC-3). A backup is one file: a tar archive (libarchive) of a consistent
 * database snapshot (SQLite VACUUM INTO, or pg_dump's custom format) and the encrypted
 * document files (blobs/, scans/), written as an encrypted blob (AES-256-GCM chunks under a
 * key derived from the master key), so it is authenticated end to end and never plaintext
 * on disk. The master key itself is not in it: keep a copy of master.key elsewhere. */
#ifndef QR_BACKUP_H
#define QR_BACKUP_H

#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/keys.h"

#define QR_BACKUP_PREFIX "quire-backup-"

/* Writes a backup of everything ctx serves into dir (created 0700 if missing), named
 * quire-backup-YYYYMMDDTHHMMSSZ after now (UTC). Fills path (caller frees) on success. */
qr_status_t qr_backup_create(qr_ctx_t *ctx, const char *dir, int64_t now, char **path,
                             qr_err_t *err);
/* The automatic backup (call it about once a minute): if backups are on
 * (backup_interval_hours > 0) and the last one started by any server of the database is at
 * least an interval old, this server claims the turn and writes one into backup_dir; then
 * deletes backups older than backup_keep_days. Returns 1 if it wrote a backup. */
int qr_backup_tick(qr_ctx_t *ctx);
/* Restores the backup at path into the data directory and database of cfg: the database
 * is replaced (SQLite file, or every object of PostgreSQL's public schema) and so are
 * blobs/ and scans/. Every byte is authenticated before anything is replaced; a backup
 * made under another master key, altered or truncated is refused and changes nothing.
 * quired must be stopped (refused while one runs on this data directory). */
qr_status_t qr_backup_restore(const qr_config_t *cfg, const qr_keys_t *keys, const char *path,
                              qr_err_t *err);
/* Holds the data directory's lock in shared mode for as long as the process lives, so
 * that a restore can tell a running server is using it. Returns the descriptor or -1. */
int qr_backup_hold_lock(const char *data_dir);

#endif
