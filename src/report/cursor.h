/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the batch loop shared by the export cursors of report/ (the job log's, the audit
 * log's): keyset batches, each read on a pooled connection taken and released for it, so an
 * export of any length holds one batch at a time. */
#ifndef QR_REPORT_CURSOR_H
#define QR_REPORT_CURSOR_H

#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"

typedef struct qr_batch_cursor qr_batch_cursor_t;
struct qr_batch_cursor {
    qr_ctx_t *ctx;
    long long left; /* rows still to read; -1 unlimited */
    int batch;      /* rows per batch */
    int done;
    void *rows; /* the current batch, n rows; owned */
    size_t n;
    /* Reads at most want rows after the owner's keyset on c into a new array *rows of *n and
     * moves the keyset past the last of them. */
    qr_status_t (*read)(qr_batch_cursor_t *b, qr_dbc_t *c, int want, void **rows, size_t *n);
    void (*free_rows)(void *rows, size_t n); /* frees a batch; accepts NULL */
    const char *what;                        /* for the error message: "the job log" */
};

/* Starts b: at most max rows (0: all), batches of batch rows, read with read and freed with
 * free_rows. */
void qr__batch_init(qr_batch_cursor_t *b, qr_ctx_t *ctx, long long max, int batch,
                    qr_status_t (*read)(qr_batch_cursor_t *, qr_dbc_t *, int, void **, size_t *),
                    void (*free_rows)(void *, size_t), const char *what);
/* Frees the previous batch and reads the next: *rows (owned by b until the next call) and
 * *n, 0 at the end. */
qr_status_t qr__batch_next(qr_batch_cursor_t *b, const void **rows, size_t *n, qr_err_t *err);
/* Frees the current batch. */
void qr__batch_clear(qr_batch_cursor_t *b);

#endif
