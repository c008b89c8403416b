/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the encrypted blob store (SEC-2, DESIGN rule 5): documents are written and read as
 * a stream of AES-256-GCM chunks of 64 KiB under a data key, so a 1 GB document takes the
 * same memory as a 1 MB one. Every chunk authenticates the blob id, its index and whether it
 * is the last, so tampering, reordering, truncation and extension are all detected on read.
 * A blob appears under its final name only when it is complete (write to .part, fsync,
 * rename), so a crash never leaves a half-written document that looks whole. */
#ifndef QR_BLOB_H
#define QR_BLOB_H

#include <stddef.h>

#include "core/error.h"

#define QR_BLOB_CHUNK (64 * 1024)

typedef struct qr_blob_writer qr_blob_writer_t;
typedef struct qr_blob_reader qr_blob_reader_t;

/* Starts writing blob id (letters, digits, '-' and '_') in dir under the 32-byte key. */
qr_status_t qr_blob_create(const char *dir, const char *id, const unsigned char key[32],
                           qr_blob_writer_t **out, qr_err_t *err);
/* Appends n bytes (buffered into chunks). */
qr_status_t qr_blob_write(qr_blob_writer_t *w, const void *data, size_t n, qr_err_t *err);
/* Seals the last chunk, syncs and publishes the blob; frees w in every case. */
qr_status_t qr_blob_commit(qr_blob_writer_t *w, qr_err_t *err);
/* Discards an unfinished blob; frees w. Accepts NULL. */
void qr_blob_abort(qr_blob_writer_t *w);
/* Opens a published blob for reading. */
qr_status_t qr_blob_open(const char *dir, const char *id, const unsigned char key[32],
                         qr_blob_reader_t **out, qr_err_t *err);
/* Reads up to cap bytes; returns the count, 0 at the authenticated end, or -1 (err set) if
 * the blob was altered, truncated or cannot be read. */
long qr_blob_read(qr_blob_reader_t *r, void *buf, size_t cap, qr_err_t *err);
/* The plaintext length of the blob. Authenticates the last record first (so a truncated or
 * extended file is an error here, QR_E_CRYPTO "document_damaged"); the result is cached. The
 * first call leaves the read position at the end: seek before reading on. */
qr_status_t qr_blob_size(qr_blob_reader_t *r, long long *size, qr_err_t *err);
/* Moves the read position to plaintext offset (0 to the size; the size itself means the end,
 * where qr_blob_read returns 0). Decrypts and authenticates the chunk holding offset, as
 * qr_blob_read does; QR_E_INVALID past the end, QR_E_CRYPTO if the file was altered. */
qr_status_t qr_blob_seek(qr_blob_reader_t *r, long long offset, qr_err_t *err);
/* Closes a reader; accepts NULL. */
void qr_blob_close(qr_blob_reader_t *r);
/* Deletes a blob (and a leftover .part); QR_OK if it did not exist. */
qr_status_t qr_blob_delete(const char *dir, const char *id, qr_err_t *err);

#endif
