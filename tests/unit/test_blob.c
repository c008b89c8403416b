/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the encrypted blob store (SEC-2): round trips at chunk boundaries, and tampering,
 * truncation, extension, reordering, a wrong key or a renamed file all detected on read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/blob.h"

static char dir[] = "/tmp/quire-blob-XXXXXX";
static const unsigned char key[32] = {42, 1, 2, 3};

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static unsigned char *pattern(size_t n) {
    unsigned char *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 131 + (i >> 8));
    return p;
}

static void put(const char *id, const unsigned char *data, size_t n, size_t step) {
    qr_blob_writer_t *w = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_blob_create(dir, id, key, &w, &err), QR_OK);
    for (size_t off = 0; off < n; off += step)
        assert_int_equal(qr_blob_write(w, data + off, n - off < step ? n - off : step, &err),
                         QR_OK);
    assert_int_equal(qr_blob_commit(w, &err), QR_OK);
}

/* Reads a blob whole; returns its length or -1. */
static long get(const char *id, const unsigned char *k, unsigned char *out, size_t cap,
                size_t step) {
    qr_blob_reader_t *r = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_blob_open(dir, id, k, &r, &err) != QR_OK)
        return -1;
    size_t total = 0;
    for (;;) {
        long n = qr_blob_read(r, out + total, cap - total < step ? cap - total : step, &err);
        if (n < 0) {
            qr_blob_close(r);
            return -1;
        }
        if (n == 0)
            break;
        total += (size_t)n;
    }
    qr_blob_close(r);
    return (long)total;
}

static void test_sec2_round_trip_at_chunk_boundaries(void **state) {
    (void)state;
    const size_t sizes[] = {
        0, 1, QR_BLOB_CHUNK - 1, QR_BLOB_CHUNK, QR_BLOB_CHUNK + 1, 3 * QR_BLOB_CHUNK + 5};
    const size_t steps[] = {1000, 7, QR_BLOB_CHUNK, 3 * QR_BLOB_CHUNK + 5};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            if (sizes[i] > 100000 && steps[s] == 7)
                continue;
            unsigned char *data = pattern(sizes[i]);
            put("doc", data, sizes[i], steps[s]);
            unsigned char *back = malloc(sizes[i] + 1);
            long n = get("doc", key, back, sizes[i] + 1, steps[(s + 1) % 4]);
            assert_int_equal(n, (long)sizes[i]);
            assert_memory_equal(back, data, sizes[i]);
            free(data);
            free(back);
        }
}

static void test_sec2_nothing_in_the_clear(void **state) {
    (void)state;
    const char secret[] = "CONFIDENTIAL-PAYROLL-2026";
    put("clear", (const unsigned char *)secret, sizeof(secret), sizeof(secret));
    char path[128], buf[4096];
    snprintf(path, sizeof(path), "%s/clear", dir);
    FILE *f = fopen(path, "rb");
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    assert_null(memmem(buf, n, "CONFIDENTIAL", 12));
}

static size_t file_size(const char *path) {
    struct stat st;
    stat(path, &st);
    return (size_t)st.st_size;
}

static void corrupt_at(const char *id, size_t off) {
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, id);
    int fd = open(path, O_RDWR);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b ^= 0x01;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    close(fd);
}

static void test_sec2_tampering_is_detected(void **state) {
    (void)state;
    size_t n = 2 * QR_BLOB_CHUNK + 100;
    unsigned char *data = pattern(n), *back = malloc(n + 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/t", dir);
    /* Header, first length, first ciphertext, a tag, the last chunk. */
    size_t offsets[] = {0, 5, 12, 20, 16 + QR_BLOB_CHUNK + 10, 0};
    put("t", data, n, n);
    offsets[5] = file_size(path) - 3;
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        put("t", data, n, n);
        corrupt_at("t", offsets[i]);
        if (get("t", key, back, n + 1, 4096) != -1)
            fail_msg("a flipped bit at offset %zu went unnoticed", offsets[i]);
    }
    free(data);
    free(back);
}

static void test_sec2_truncation_extension_and_reordering_are_detected(void **state) {
    (void)state;
    size_t n = 2 * QR_BLOB_CHUNK + 100;
    unsigned char *data = pattern(n), *back = malloc(n + 1);
    char path[128];
    snprintf(path, sizeof(path), "%s/x", dir);
    size_t rec = 4 + QR_BLOB_CHUNK + 16;

    put("x", data, n, n);
    assert_int_equal(truncate(path, (off_t)(12 + 2 * rec)), 0); /* drop the final chunk */
    assert_int_equal(get("x", key, back, n + 1, 4096), -1);

    put("x", data, n, n);
    FILE *f = fopen(path, "ab");
    fputc('x', f);
    fclose(f);
    assert_int_equal(get("x", key, back, n + 1, 4096), -1);

    /* Swap the first two full chunks. */
    put("x", data, n, n);
    unsigned char *a = malloc(rec), *b = malloc(rec);
    int fd = open(path, O_RDWR);
    assert_int_equal(pread(fd, a, rec, 12), (ssize_t)rec);
    assert_int_equal(pread(fd, b, rec, (off_t)(12 + rec)), (ssize_t)rec);
    assert_int_equal(pwrite(fd, b, rec, 12), (ssize_t)rec);
    assert_int_equal(pwrite(fd, a, rec, (off_t)(12 + rec)), (ssize_t)rec);
    close(fd);
    assert_int_equal(get("x", key, back, n + 1, 4096), -1);
    free(a);
    free(b);
    free(data);
    free(back);
}

static void test_sec2_wrong_key_or_renamed_file_fails(void **state) {
    (void)state;
    unsigned char *data = pattern(1000), back[2000];
    put("k", data, 1000, 1000);
    unsigned char other[32] = {43};
    assert_int_equal(get("k", other, back, sizeof(back), 4096), -1);
    char a[128], b[128];
    snprintf(a, sizeof(a), "%s/k", dir);
    snprintf(b, sizeof(b), "%s/k2", dir);
    assert_int_equal(rename(a, b), 0);
    assert_int_equal(get("k2", key, back, sizeof(back), 4096), -1); /* id is authenticated */
    free(data);
}

static void test_aborted_and_unfinished_blobs_are_invisible(void **state) {
    (void)state;
    qr_blob_writer_t *w = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    unsigned char back[16];
    assert_int_equal(qr_blob_create(dir, "half", key, &w, &err), QR_OK);
    assert_int_equal(qr_blob_write(w, "abc", 3, &err), QR_OK);
    assert_int_equal(get("half", key, back, sizeof(back), 16), -1); /* not published yet */
    qr_blob_abort(w);
    char part[128];
    snprintf(part, sizeof(part), "%s/half.part", dir);
    assert_int_equal(access(part, F_OK), -1);
    assert_int_equal(qr_blob_create(dir, "../escape", key, &w, &err), QR_E_INVALID);
    put("gone", (const unsigned char *)"x", 1, 1);
    assert_int_equal(qr_blob_delete(dir, "gone", &err), QR_OK);
    assert_int_equal(get("gone", key, back, sizeof(back), 16), -1);
    assert_int_equal(qr_blob_delete(dir, "gone", &err), QR_OK);
}

/* Reads up to n bytes at offset after a seek; returns the count or -1. */
static long read_at(qr_blob_reader_t *r, long long off, unsigned char *out, size_t n) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_blob_seek(r, off, &err) != QR_OK)
        return -1;
    size_t got = 0;
    while (got < n) {
        long k = qr_blob_read(r, out + got, n - got, &err);
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (long)got;
}

static void test_sec2_seek_to_every_offset_class(void **state) {
    (void)state;
    const size_t sizes[] = {0, 1, QR_BLOB_CHUNK, 3 * QR_BLOB_CHUNK + 5};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        unsigned char *data = pattern(n), back[300];
        put("s", data, n, n ? n : 1);
        qr_blob_reader_t *r = NULL;
        qr_err_t err = {QR_OK, NULL, ""};
        assert_int_equal(qr_blob_open(dir, "s", key, &r, &err), QR_OK);
        long long size = -1;
        assert_int_equal(qr_blob_size(r, &size, &err), QR_OK);
        assert_int_equal(size, (long long)n);
        /* Start, around every chunk boundary, the last byte, the end; backwards too. */
        long long offs[] = {0,
                            1,
                            QR_BLOB_CHUNK - 1,
                            QR_BLOB_CHUNK,
                            QR_BLOB_CHUNK + 1,
                            2 * QR_BLOB_CHUNK - 100,
                            3 * QR_BLOB_CHUNK,
                            (long long)n - 1,
                            (long long)n,
                            0};
        for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++) {
            long long off = offs[k];
            if (off < 0 || off > (long long)n)
                continue;
            size_t want = n - (size_t)off < sizeof(back) ? n - (size_t)off : sizeof(back);
            long got = read_at(r, off, back, sizeof(back));
            if (got != (long)want)
                fail_msg("size %zu, offset %lld: read %ld, expected %zu", n, off, got, want);
            assert_memory_equal(back, data + off, want);
        }
        /* Past the end: refused, not damage; the reader still works afterwards. */
        assert_int_equal(qr_blob_seek(r, (long long)n + 1, &err), QR_E_INVALID);
        assert_int_equal(qr_blob_seek(r, -1, &err), QR_E_INVALID);
        assert_int_equal(read_at(r, 0, back, 1), n ? 1 : 0);
        /* Sequential reading after a seek goes on to the authenticated end. */
        if (n > QR_BLOB_CHUNK) {
            unsigned char *rest = malloc(n);
            long got = read_at(r, QR_BLOB_CHUNK - 3, rest, n);
            assert_int_equal(got, (long)(n - QR_BLOB_CHUNK + 3));
            assert_memory_equal(rest, data + QR_BLOB_CHUNK - 3, (size_t)got);
            free(rest);
        }
        qr_blob_close(r);
        free(data);
    }
}

static void test_sec2_seek_detects_tampering_and_truncation(void **state) {
    (void)state;
    size_t n = 3 * QR_BLOB_CHUNK + 5, rec = 4 + QR_BLOB_CHUNK + 16;
    unsigned char *data = pattern(n), back[64];
    char path[128];
    snprintf(path, sizeof(path), "%s/st", dir);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_blob_reader_t *r = NULL;

    /* A flipped bit in chunk 1: chunks 0 and 2 still read, a seek into chunk 1 fails. */
    put("st", data, n, n);
    corrupt_at("st", 12 + rec + 100);
    assert_int_equal(qr_blob_open(dir, "st", key, &r, &err), QR_OK);
    assert_int_equal(read_at(r, 10, back, sizeof(back)), (long)sizeof(back));
    assert_int_equal(read_at(r, 2 * QR_BLOB_CHUNK + 1, back, sizeof(back)), (long)sizeof(back));
    assert_int_equal(qr_blob_seek(r, QR_BLOB_CHUNK + 5, &err), QR_E_CRYPTO);
    assert_string_equal(qr_err_code(&err), "document_damaged");
    /* Reading across into the damaged chunk fails too. */
    assert_int_equal(read_at(r, QR_BLOB_CHUNK - 10, back, sizeof(back)), -1);
    qr_blob_close(r);

    /* The final chunk dropped, or cut mid-record, or one byte appended: any seek fails. */
    const off_t cuts[] = {(off_t)(12 + 3 * rec), (off_t)(12 + 3 * rec + 10), -1};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        put("st", data, n, n);
        if (cuts[i] >= 0) {
            assert_int_equal(truncate(path, cuts[i]), 0);
        } else {
            FILE *f = fopen(path, "ab");
            fputc('x', f);
            fclose(f);
        }
        assert_int_equal(qr_blob_open(dir, "st", key, &r, &err), QR_OK);
        long long size;
        assert_int_equal(qr_blob_size(r, &size, &err), QR_E_CRYPTO);
        assert_int_equal(qr_blob_seek(r, 0, &err), QR_E_CRYPTO);
        qr_blob_close(r);
    }
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sec2_round_trip_at_chunk_boundaries),
        cmocka_unit_test(test_sec2_nothing_in_the_clear),
        cmocka_unit_test(test_sec2_tampering_is_detected),
        cmocka_unit_test(test_sec2_truncation_extension_and_reordering_are_detected),
        cmocka_unit_test(test_sec2_wrong_key_or_renamed_file_fails),
        cmocka_unit_test(test_aborted_and_unfinished_blobs_are_invisible),
        cmocka_unit_test(test_sec2_seek_to_every_offset_class),
        cmocka_unit_test(test_sec2_seek_detects_tampering_and_truncation),
    };
    return cmocka_run_group_tests_name("blob", tests, setup, teardown);
}
