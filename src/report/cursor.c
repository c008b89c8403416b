/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the batch loop of the export cursors. */
#include "report/cursor.h"

void qr__batch_init(qr_batch_cursor_t *b, qr_ctx_t *ctx, long long max, int batch,
                    qr_status_t (*read)(qr_batch_cursor_t *, qr_dbc_t *, int, void **, size_t *),
                    void (*free_rows)(void *, size_t), const char *what) {
    *b = (qr_batch_cursor_t){ctx, max > 0 ? max : -1, batch, 0, NULL, 0, read, free_rows, what};
}

void qr__batch_clear(qr_batch_cursor_t *b) {
    b->free_rows(b->rows, b->n);
    b->rows = NULL;
    b->n = 0;
}

qr_status_t qr__batch_next(qr_batch_cursor_t *b, const void **rows, size_t *n, qr_err_t *err) {
    qr__batch_clear(b);
    *rows = NULL;
    *n = 0;
    if (b->done || b->left == 0)
        return QR_OK;
    int want = b->left < 0 || b->left > b->batch ? b->batch : (int)b->left;
    qr_dbc_t *c = qr_db_acquire(b->ctx->db);
    qr_status_t st = b->read(b, c, want, &b->rows, &b->n);
    qr_db_release(c);
    if (st)
        return qr_err_set(err, st, NULL, "reading %s failed", b->what);
    b->done = b->n < (size_t)want;
    if (b->left > 0)
        b->left -= (long long)b->n;
    *rows = b->rows;
    *n = b->n;
    return QR_OK;
}
