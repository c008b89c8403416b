/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the streamed upload into an encrypted blob (print jobs, scanned files). */
#include "store/upload.h"

#include <dirent.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "crypto/keys.h"
#include "store/datakey.h"

qr_status_t qr_blob_upload_begin(qr_blob_upload_t *u, qr_ctx_t *ctx, const char *org_id,
                                 const char *dir, long long max, const char *too_large,
                                 qr_err_t *err) {
    memset(u, 0, sizeof(*u));
    unsigned char key[32];
    qr_status_t st = qr_datakey_get(ctx, org_id, key, err);
    if (st)
        return st;
    u->max = max;
    snprintf(u->too_large, sizeof(u->too_large), "%s", too_large);
    u->dir = qr_xstrdup(dir);
    qr_random_id(u->id);
    st = qr_mkdirs(dir, 0700, err);
    if (!st)
        st = qr_blob_create(dir, u->id, key, &u->w, err);
    OPENSSL_cleanse(key, sizeof(key));
    if (st)
        qr_blob_upload_abort(u);
    return st;
}

qr_status_t qr_blob_upload_write(qr_blob_upload_t *u, const void *data, size_t n, qr_err_t *err) {
    if (u->size + (long long)n > u->max)
        return qr_err_set(err, QR_E_TOO_LARGE, NULL, "%s", u->too_large);
    const unsigned char *d = data;
    for (size_t i = 0; i < n && u->head_len < QR_BLOB_UPLOAD_HEAD; i++)
        u->head[u->head_len++] = d[i];
    /* Keep the last QR_BLOB_UPLOAD_TAIL bytes, to find an end marker. */
    if (n >= QR_BLOB_UPLOAD_TAIL) {
        memcpy(u->tail, d + n - QR_BLOB_UPLOAD_TAIL, QR_BLOB_UPLOAD_TAIL);
        u->tail_len = QR_BLOB_UPLOAD_TAIL;
    } else {
        size_t keep = u->tail_len + n > QR_BLOB_UPLOAD_TAIL ? QR_BLOB_UPLOAD_TAIL - n : u->tail_len;
        memmove(u->tail, u->tail + u->tail_len - keep, keep);
        memcpy(u->tail + keep, d, n);
        u->tail_len = keep + n;
    }
    u->size += (long long)n;
    return qr_blob_write(u->w, data, n, err);
}

int qr_blob_upload_starts_with(const qr_blob_upload_t *u, const void *magic, size_t n) {
    return n <= u->head_len && memcmp(u->head, magic, n) == 0;
}

int qr_blob_upload_tail_has(const qr_blob_upload_t *u, const void *marker, size_t n) {
    return memmem(u->tail, u->tail_len, marker, n) != NULL;
}

qr_status_t qr_blob_upload_publish(qr_blob_upload_t *u, qr_err_t *err) {
    qr_status_t st = qr_blob_commit(u->w, err);
    u->w = NULL; /* qr_blob_commit frees the writer in every case */
    return st;
}

qr_status_t qr_blob_upload_open(const qr_blob_upload_t *u, qr_ctx_t *ctx, const char *org_id,
                                qr_blob_reader_t **out, qr_err_t *err) {
    *out = NULL;
    unsigned char key[32];
    qr_status_t st = qr_datakey_get(ctx, org_id, key, err);
    if (!st)
        st = qr_blob_open(u->dir, u->id, key, out, err);
    OPENSSL_cleanse(key, sizeof(key));
    return st;
}

void qr_blob_upload_delete(const qr_blob_upload_t *u) {
    qr_blob_delete(u->dir, u->id, NULL);
}

void qr_blob_upload_abort(qr_blob_upload_t *u) {
    if (!u)
        return;
    qr_blob_abort(u->w);
    u->w = NULL;
    free(u->dir);
    u->dir = NULL;
}

int qr_blob_upload_sweep(const char *root, long long min_age, qr_blob_known_fn known, void *cls) {
    int removed = 0;
    DIR *orgs = opendir(root);
    struct dirent *o;
    while (orgs && (o = readdir(orgs))) {
        if (o->d_name[0] == '.')
            continue;
        char *dir = qr_xasprintf("%s/%s", root, o->d_name);
        DIR *d = opendir(dir);
        struct dirent *f;
        while (d && (f = readdir(d))) {
            if (f->d_name[0] == '.')
                continue;
            char *path = qr_xasprintf("%s/%s", dir, f->d_name);
            struct stat sb;
            if (stat(path, &sb) == 0 && (long long)(time(NULL) - sb.st_mtime) >= min_age &&
                !known(cls, f->d_name) && unlink(path) == 0)
                removed++;
            free(path);
        }
        if (d)
            closedir(d);
        free(dir);
    }
    if (orgs)
        closedir(orgs);
    return removed;
}
