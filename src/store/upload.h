/* SPDX-License-Identifier: Apache-2.0 */
/* quire: one streamed upload into an encrypted blob (DESIGN rule 5, SEC-2), shared by print
 * jobs and scanned files: the size limit checked on every piece, the first and last bytes
 * kept for a format check, the org's data key, and the blob created, published or discarded.
 * What the upload becomes (a job, a scan's file) is the caller's business. */
#ifndef QR_UPLOAD_H
#define QR_UPLOAD_H

#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "store/blob.h"

#define QR_BLOB_UPLOAD_HEAD 8    /* first bytes kept (a magic number) */
#define QR_BLOB_UPLOAD_TAIL 1024 /* last bytes kept (an end marker, e.g. PDF's %%EOF) */

/* One upload in progress. Plain fields, read by the caller; changed only through the
 * functions below. Zeroed it is a valid, empty upload (abort accepts it). */
typedef struct qr_blob_upload {
    qr_blob_writer_t *w;    /* NULL once published or discarded */
    char *dir;              /* the org's blob folder (owned) */
    char id[QR_ID_LEN + 1]; /* the blob's random id */
    long long size, max;    /* bytes received; the most that may be */
    char too_large[160];    /* the error message when max is passed */
    unsigned char head[QR_BLOB_UPLOAD_HEAD];
    size_t head_len;
    unsigned char tail[QR_BLOB_UPLOAD_TAIL];
    size_t tail_len;
} qr_blob_upload_t;

/* Starts writing a new blob with a random id in dir (created if missing) under org_id's data
 * key; at most max bytes, beyond which writes fail with QR_E_TOO_LARGE and too_large as the
 * message. On error u is left empty (nothing to abort, though abort is harmless). */
qr_status_t qr_blob_upload_begin(qr_blob_upload_t *u, qr_ctx_t *ctx, const char *org_id,
                                 const char *dir, long long max, const char *too_large,
                                 qr_err_t *err);
/* Appends the next n bytes, keeping the head and tail; QR_E_TOO_LARGE past the limit. */
qr_status_t qr_blob_upload_write(qr_blob_upload_t *u, const void *data, size_t n, qr_err_t *err);
/* 1 if the upload starts with the n bytes of magic. */
int qr_blob_upload_starts_with(const qr_blob_upload_t *u, const void *magic, size_t n);
/* 1 if the last QR_BLOB_UPLOAD_TAIL bytes contain the n bytes of marker. */
int qr_blob_upload_tail_has(const qr_blob_upload_t *u, const void *marker, size_t n);
/* Seals and publishes the blob under its id (qr_blob_commit). */
qr_status_t qr_blob_upload_publish(qr_blob_upload_t *u, qr_err_t *err);
/* Opens the published blob for reading it back (decrypted); close with qr_blob_close. */
qr_status_t qr_blob_upload_open(const qr_blob_upload_t *u, qr_ctx_t *ctx, const char *org_id,
                                qr_blob_reader_t **out, qr_err_t *err);
/* Deletes the published blob (when what it belongs to could not be recorded). */
void qr_blob_upload_delete(const qr_blob_upload_t *u);
/* Discards an unpublished blob and frees u's members (not u). Accepts a zeroed u and NULL. */
void qr_blob_upload_abort(qr_blob_upload_t *u);

/* Decides whether a stored file (its name in an org's folder) still belongs to something:
 * non-zero keeps it. */
typedef int (*qr_blob_known_fn)(void *cls, const char *name);
/* Crash safety (DESIGN rule 6): removes the files in the org folders under root (root/ORG/
 * FILE) that are older than min_age seconds (now - mtime >= min_age, so that uploads in
 * progress are left alone) and that known says nothing refers to: interrupted uploads (.part)
 * and what a kill -9 between storing a blob and recording it left. Returns how many files it
 * removed. */
int qr_blob_upload_sweep(const char *root, long long min_age, qr_blob_known_fn known, void *cls);

#endif
