/* SPDX-License-Identifier: Apache-2.0 */
/* quire bench: speed of PDF inspection (qr_pdf_inspect, PRN-2) on one file, the way the spool
 * does it: the file is stored as an encrypted blob, then inspected N times through the
 * decrypting reader; also N times from memory (the cost of decryption and seeks is the
 * difference).
 *
 *   pdftime FILE [N]
 *
 * Prints one PDFSTAT line: pages, colour, median seconds per inspection (blob, memory). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "print/pdf.h"
#include "store/blob.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pdftime FILE [N]\n");
        return 2;
    }
    int n = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    if (n < 1 || n > 1000)
        n = 5;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)len);
    if (!data || fread(data, 1, (size_t)len, f) != (size_t)len)
        return 1;
    fclose(f);

    char dir[] = "/tmp/quire-pdftime-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    static const unsigned char key[32] = {1, 2, 3};
    qr_err_t err = {QR_OK, NULL, ""};
    qr_blob_writer_t *w = NULL;
    if (qr_blob_create(dir, "doc", key, &w, &err) || qr_blob_write(w, data, (size_t)len, &err) ||
        qr_blob_commit(w, &err)) {
        fprintf(stderr, "pdftime: %s\n", err.msg);
        return 1;
    }
    double *blob_s = calloc((size_t)n, sizeof(double)), *mem_s = calloc((size_t)n, sizeof(double));
    qr_pdf_info_t info = {0, 0};
    for (int i = 0; i < n; i++) {
        qr_blob_reader_t *r = NULL;
        double t0 = now_s();
        qr_status_t st = qr_blob_open(dir, "doc", key, &r, &err);
        if (!st)
            st = qr_pdf_inspect(r, NULL, &info, &err);
        qr_blob_close(r);
        blob_s[i] = now_s() - t0;
        if (st) {
            fprintf(stderr, "pdftime: %s\n", err.msg);
            return 1;
        }
        t0 = now_s();
        if (qr_pdf_inspect_buffer(data, (size_t)len, NULL, &info, &err)) {
            fprintf(stderr, "pdftime: %s\n", err.msg);
            return 1;
        }
        mem_s[i] = now_s() - t0;
    }
    qr_blob_delete(dir, "doc", NULL);
    rmdir(dir);
    qsort(blob_s, (size_t)n, sizeof(double), cmp);
    qsort(mem_s, (size_t)n, sizeof(double), cmp);
    printf("PDFSTAT pages=%lld color=%d blob_s=%.6f mem_s=%.6f\n", info.pages, info.color,
           blob_s[n / 2], mem_s[n / 2]);
    free(blob_s);
    free(mem_s);
    free(data);
    return 0;
}
