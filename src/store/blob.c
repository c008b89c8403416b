/* SPDX-License-Identifier: Apache-2.0 */
/* quire: chunked AES-256-GCM blobs.
 *
 * File: "QRB1" | 8-byte random nonce prefix | records. A record is a 4-byte big-endian
 * ciphertext length, then ciphertext and 16-byte tag. Chunk i uses nonce prefix || i (32-bit
 * big-endian) and authenticates "quire blob v1" | id | i | final flag. The last record has
 * the final flag set (it may be empty), so a cut-off file is an error, not a short read.
 *
 * Every record but the last holds exactly QR_BLOB_CHUNK bytes of plaintext (the writer only
 * flushes full chunks before commit), so record i starts at HDR + i * REC: that is what makes
 * random access (qr_blob_seek) possible without an index. */
#include "store/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "crypto/random.h"

#define MAGIC "QRB1"
#define PREFIX 8
#define TAG 16
#define ID_MAX 64
#define HDR (4 + PREFIX)
#define REC (4 + QR_BLOB_CHUNK + TAG) /* one full record on disk */

struct qr_blob_writer {
    int fd;
    char *path, *part;
    char id[ID_MAX + 1];
    unsigned char key[32], prefix[PREFIX];
    uint32_t index;
    unsigned char *buf; /* plaintext of the chunk being filled */
    size_t len;
};

struct qr_blob_reader {
    int fd;
    char id[ID_MAX + 1];
    unsigned char key[32], prefix[PREFIX];
    uint32_t index; /* of the next record to read */
    int done;
    unsigned char *plain;
    size_t plen, ppos;
    long long size; /* plaintext length once authenticated by qr_blob_size, else -1 */
};

static int id_ok(const char *id) {
    size_t n = strlen(id);
    return n > 0 && n <= ID_MAX &&
           strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static void aad_of(const char *id, uint32_t index, int final, unsigned char *aad, size_t *len) {
    size_t n = 0, il = strlen(id);
    memcpy(aad, "quire blob v1", 13);
    n += 13;
    memcpy(aad + n, id, il);
    n += il;
    for (int i = 3; i >= 0; i--)
        aad[n++] = (unsigned char)(index >> (8 * i));
    aad[n++] = (unsigned char) final;
    *len = n;
}

static void nonce_of(const unsigned char prefix[PREFIX], uint32_t index, unsigned char n[12]) {
    memcpy(n, prefix, PREFIX);
    for (int i = 0; i < 4; i++)
        n[PREFIX + i] = (unsigned char)(index >> (8 * (3 - i)));
}

/* AES-256-GCM one chunk; enc 1 seals (out = ct || tag), 0 opens (in = ct || tag). */
static int gcm(int enc, const unsigned char key[32], const unsigned char nonce[12],
               const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t inlen,
               unsigned char *out) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c != NULL;
    size_t body = enc ? inlen : inlen - TAG;
    if (ok)
        ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
             EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) == 1 &&
             (body == 0 || EVP_CipherUpdate(c, out, &len, in, (int)body) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, (void *)(in + body)) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(c, out + body, &len) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, out + body) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

static int write_all(int fd, const void *p, size_t n) {
    const unsigned char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        s += w;
        n -= (size_t)w;
    }
    return 1;
}

/* Seals and writes the buffered chunk. */
static qr_status_t flush_chunk(qr_blob_writer_t *w, int final, qr_err_t *err) {
    unsigned char nonce[12], aad[13 + ID_MAX + 5], hdr[4];
    size_t aadlen;
    nonce_of(w->prefix, w->index, nonce);
    aad_of(w->id, w->index, final, aad, &aadlen);
    unsigned char *ct = qr_xmalloc(w->len + TAG);
    int ok = gcm(1, w->key, nonce, aad, aadlen, w->buf, w->len, ct);
    uint32_t n = (uint32_t)(w->len + TAG);
    hdr[0] = (unsigned char)(n >> 24);
    hdr[1] = (unsigned char)(n >> 16);
    hdr[2] = (unsigned char)(n >> 8);
    hdr[3] = (unsigned char)n;
    ok = ok && write_all(w->fd, hdr, 4) && write_all(w->fd, ct, n);
    free(ct);
    if (!ok)
        return qr_err_set(err, QR_E_IO, NULL, "cannot write the encrypted document: %s",
                          strerror(errno));
    w->index++;
    w->len = 0;
    if (w->index == UINT32_MAX)
        return qr_err_set(err, QR_E_TOO_LARGE, NULL, "the document is too large");
    return QR_OK;
}

qr_status_t qr_blob_create(const char *dir, const char *id, const unsigned char key[32],
                           qr_blob_writer_t **out, qr_err_t *err) {
    *out = NULL;
    if (!id_ok(id))
        return qr_err_set(err, QR_E_INVALID, NULL, "bad blob id");
    qr_blob_writer_t *w = qr_xcalloc(1, sizeof(*w));
    snprintf(w->id, sizeof(w->id), "%s", id);
    memcpy(w->key, key, 32);
    qr_random_bytes(w->prefix, PREFIX);
    w->path = qr_xasprintf("%s/%s", dir, id);
    w->part = qr_xasprintf("%s/%s.part", dir, id);
    w->buf = qr_xmalloc(QR_BLOB_CHUNK);
    w->fd = open(w->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (w->fd < 0 || !write_all(w->fd, MAGIC, 4) || !write_all(w->fd, w->prefix, PREFIX)) {
        qr_err_set(err, QR_E_IO, NULL, "cannot create %s: %s", w->part, strerror(errno));
        qr_blob_abort(w);
        return QR_E_IO;
    }
    *out = w;
    return QR_OK;
}

qr_status_t qr_blob_write(qr_blob_writer_t *w, const void *data, size_t n, qr_err_t *err) {
    const unsigned char *p = data;
    while (n) {
        size_t take = QR_BLOB_CHUNK - w->len;
        if (take > n)
            take = n;
        memcpy(w->buf + w->len, p, take);
        w->len += take;
        p += take;
        n -= take;
        /* A full chunk is written only once more data comes, so that the last chunk (which
         * must carry the final flag) is always the one commit writes. */
        if (w->len == QR_BLOB_CHUNK && n) {
            qr_status_t st = flush_chunk(w, 0, err);
            if (st)
                return st;
        }
    }
    return QR_OK;
}

static void free_writer(qr_blob_writer_t *w) {
    OPENSSL_cleanse(w->key, sizeof(w->key));
    if (w->buf)
        OPENSSL_cleanse(w->buf, QR_BLOB_CHUNK);
    free(w->buf);
    free(w->path);
    free(w->part);
    free(w);
}

qr_status_t qr_blob_commit(qr_blob_writer_t *w, qr_err_t *err) {
    qr_status_t st = flush_chunk(w, 1, err);
    if (!st && (fsync(w->fd) != 0 || close(w->fd) != 0)) {
        w->fd = -1;
        st = qr_err_set(err, QR_E_IO, NULL, "cannot sync the encrypted document");
    }
    if (st) {
        qr_blob_abort(w);
        return st;
    }
    w->fd = -1;
    if (rename(w->part, w->path) != 0) {
        st = qr_err_set(err, QR_E_IO, NULL, "cannot publish the document: %s", strerror(errno));
        unlink(w->part);
    }
    free_writer(w);
    return st;
}

void qr_blob_abort(qr_blob_writer_t *w) {
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    unlink(w->part);
    free_writer(w);
}

static int read_all(int fd, void *p, size_t n) {
    unsigned char *d = p;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, d + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return (int)got == 0 && r == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

qr_status_t qr_blob_open(const char *dir, const char *id, const unsigned char key[32],
                         qr_blob_reader_t **out, qr_err_t *err) {
    *out = NULL;
    if (!id_ok(id))
        return qr_err_set(err, QR_E_INVALID, NULL, "bad blob id");
    char *path = qr_xasprintf("%s/%s", dir, id);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0)
        return qr_err_set(err, errno == ENOENT ? QR_E_NOT_FOUND : QR_E_IO, NULL,
                          "the document cannot be opened: %s", strerror(errno));
    qr_blob_reader_t *r = qr_xcalloc(1, sizeof(*r));
    r->fd = fd;
    r->size = -1;
    snprintf(r->id, sizeof(r->id), "%s", id);
    memcpy(r->key, key, 32);
    unsigned char magic[4];
    if (read_all(fd, magic, 4) != 1 || memcmp(magic, MAGIC, 4) != 0 ||
        read_all(fd, r->prefix, PREFIX) != 1) {
        qr_blob_close(r);
        return qr_err_set(err, QR_E_CRYPTO, "document_damaged",
                          "the stored document is damaged or was altered");
    }
    r->plain = qr_xmalloc(QR_BLOB_CHUNK);
    *out = r;
    return QR_OK;
}

/* Reads, authenticates and decrypts the next record into r->plain. */
static int next_chunk(qr_blob_reader_t *r) {
    unsigned char hdr[4];
    if (read_all(r->fd, hdr, 4) != 1)
        return 0; /* EOF before the final chunk: truncated */
    uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
    if (n < TAG || n > QR_BLOB_CHUNK + TAG)
        return 0;
    unsigned char *ct = qr_xmalloc(n);
    int ok = read_all(r->fd, ct, n) == 1;
    unsigned char nonce[12], aad[13 + ID_MAX + 5];
    size_t aadlen;
    nonce_of(r->prefix, r->index, nonce);
    int final = 0;
    if (ok) {
        aad_of(r->id, r->index, 0, aad, &aadlen);
        ok = gcm(0, r->key, nonce, aad, aadlen, ct, n, r->plain);
        if (!ok) {
            aad_of(r->id, r->index, 1, aad, &aadlen);
            ok = final = gcm(0, r->key, nonce, aad, aadlen, ct, n, r->plain);
        }
    }
    free(ct);
    /* Only the last record may be short: random access relies on it. */
    if (!ok || (!final && n != QR_BLOB_CHUNK + TAG))
        return 0;
    r->plen = n - TAG;
    r->ppos = 0;
    r->index++;
    if (final) {
        /* Nothing may follow the final chunk. */
        unsigned char extra;
        if (read(r->fd, &extra, 1) != 0)
            return 0;
        r->done = 1;
    }
    return 1;
}

long qr_blob_read(qr_blob_reader_t *r, void *buf, size_t cap, qr_err_t *err) {
    size_t got = 0;
    unsigned char *out = buf;
    while (got < cap) {
        if (r->ppos == r->plen) {
            if (r->done)
                break;
            if (!next_chunk(r)) {
                qr_err_set(err, QR_E_CRYPTO, "document_damaged",
                           "the stored document is damaged or was altered");
                return -1;
            }
            continue;
        }
        size_t take = r->plen - r->ppos;
        if (take > cap - got)
            take = cap - got;
        memcpy(out + got, r->plain + r->ppos, take);
        r->ppos += take;
        got += take;
    }
    return (long)got;
}

static qr_status_t damaged(qr_err_t *err) {
    return qr_err_set(err, QR_E_CRYPTO, "document_damaged",
                      "the stored document is damaged or was altered");
}

/* Positions the file at record index and decrypts it into r->plain. */
static int load_chunk(qr_blob_reader_t *r, uint32_t index) {
    if (lseek(r->fd, (off_t)HDR + (off_t)index * REC, SEEK_SET) < 0)
        return 0;
    r->index = index;
    r->done = 0;
    r->plen = r->ppos = 0;
    return next_chunk(r);
}

qr_status_t qr_blob_size(qr_blob_reader_t *r, long long *size, qr_err_t *err) {
    if (r->size >= 0) {
        *size = r->size;
        return QR_OK;
    }
    /* The file length says where the last record must start; decrypting it with the final
     * flag proves it is the last one, so a cut-off or extended file fails here. */
    struct stat st;
    if (fstat(r->fd, &st) != 0 || st.st_size < HDR + 4 + TAG)
        return damaged(err);
    long long body = (long long)st.st_size - HDR;
    long long records = (body + REC - 1) / REC;
    if (records > UINT32_MAX)
        return damaged(err);
    uint32_t last = (uint32_t)(records - 1);
    if (!load_chunk(r, last) || !r->done)
        return damaged(err);
    r->size = (long long)last * QR_BLOB_CHUNK + (long long)r->plen;
    *size = r->size;
    return QR_OK;
}

qr_status_t qr_blob_seek(qr_blob_reader_t *r, long long offset, qr_err_t *err) {
    long long size;
    qr_status_t st = qr_blob_size(r, &size, err);
    if (st)
        return st;
    if (offset < 0 || offset > size)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "cannot seek to %lld: the document has %lld bytes", offset, size);
    uint32_t index = (uint32_t)(offset / QR_BLOB_CHUNK);
    size_t within = (size_t)(offset % QR_BLOB_CHUNK);
    if (offset == size && within == 0 && index > 0) {
        index--; /* the end of a full last chunk */
        within = QR_BLOB_CHUNK;
    }
    /* The chunk in memory (the one read last) is reused: PDF readers seek back and forth
     * within a few KiB. */
    int loaded = r->plen > 0 && r->index == index + 1;
    if (!loaded && !load_chunk(r, index))
        return damaged(err);
    if (within > r->plen)
        return damaged(err);
    r->ppos = within;
    return QR_OK;
}

void qr_blob_close(qr_blob_reader_t *r) {
    if (!r)
        return;
    close(r->fd);
    OPENSSL_cleanse(r->key, sizeof(r->key));
    if (r->plain)
        OPENSSL_cleanse(r->plain, QR_BLOB_CHUNK);
    free(r->plain);
    free(r);
}

qr_status_t qr_blob_delete(const char *dir, const char *id, qr_err_t *err) {
    if (!id_ok(id))
        return qr_err_set(err, QR_E_INVALID, NULL, "bad blob id");
    char *path = qr_xasprintf("%s/%s", dir, id), *part = qr_xasprintf("%s/%s.part", dir, id);
    /* Both files are removed whatever happens to the first. */
    int bad = unlink(path) != 0 && errno != ENOENT;
    if (unlink(part) != 0 && errno != ENOENT)
        bad = 1;
    free(path);
    free(part);
    return bad ? qr_err_set(err, QR_E_IO, NULL, "cannot delete the document") : QR_OK;
}
