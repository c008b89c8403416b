/* SPDX-License-Identifier: Apache-2.0 */
/* quire bench: speed of the intake converter (PRN-1) on one raster (or JPEG) file: the file
 * is read into memory, then converted N times from memory to a PDF in memory, fed in 64 KiB
 * pieces as the network would deliver it.
 *
 *   rastertime FILE FORMAT [N] [OUT.pdf]
 *
 * FORMAT is a MIME type (image/pwg-raster, image/urf, image/jpeg). Prints one RASTERSTAT line:
 * pages, PDF bytes, median wall-clock and CPU seconds per conversion; OUT.pdf keeps the last
 * PDF. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "print/convert.h"

#define PIECE 65536

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static qr_status_t to_buf(void *cls, const void *data, size_t n, qr_err_t *err) {
    (void)err;
    return qr_buf_append(cls, data, n);
}

int main(int argc, char **argv) {
    qr_doc_format_t fmt;
    if (argc < 3 || qr_convert_format(argv[2], &fmt)) {
        fprintf(stderr, "usage: rastertime FILE FORMAT [N] [OUT.pdf]\n");
        return 2;
    }
    int runs = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 3;
    if (runs < 1 || runs > 100)
        runs = 3;
    FILE *f = fopen(argv[1], "rb");
    qr_buf_t in;
    qr_buf_init(&in, (size_t)2 << 30);
    char chunk[PIECE];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        qr_buf_append(&in, chunk, n);
    if (!f || in.len == 0) {
        fprintf(stderr, "rastertime: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    double *t = calloc((size_t)runs, sizeof(double));
    double *cpu = calloc((size_t)runs, sizeof(double));
    qr_buf_t out = {0};
    long long pages = 0;
    for (int i = 0; i < runs; i++) {
        qr_buf_free(&out);
        qr_buf_init(&out, (size_t)2 << 30);
        qr_err_t err = {QR_OK, NULL, ""};
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        qr_convert_t *c = qr_convert_create(NULL, fmt, QR_COMPRESSION_NONE, to_buf, &out);
        qr_status_t st = QR_OK;
        for (size_t off = 0; !st && off < in.len; off += PIECE)
            st = qr_convert_write(c, in.ptr + off, in.len - off < PIECE ? in.len - off : PIECE,
                                  &err);
        if (!st)
            st = qr_convert_finish(c, &err);
        pages = qr_convert_pages(c);
        qr_convert_destroy(c);
        t[i] = clock_s(CLOCK_MONOTONIC) - t0;
        cpu[i] = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (st) {
            fprintf(stderr, "rastertime: %s\n", err.msg);
            return 1;
        }
    }
    qsort(t, (size_t)runs, sizeof(double), cmp);
    qsort(cpu, (size_t)runs, sizeof(double), cmp);
    if (argc > 4) {
        FILE *o = fopen(argv[4], "wb");
        if (!o || fwrite(out.ptr, 1, out.len, o) != out.len || fclose(o) != 0)
            return 1;
    }
    printf("RASTERSTAT pages=%lld pdf_bytes=%zu s=%.6f cpu_s=%.6f\n", pages, out.len, t[runs / 2],
           cpu[runs / 2]);
    qr_buf_free(&out);
    qr_buf_free(&in);
    free(t);
    free(cpu);
    return 0;
}
