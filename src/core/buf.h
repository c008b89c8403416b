/* SPDX-License-Identifier: Apache-2.0 */
/* quire: a growable byte buffer with a required ceiling (curl's dynbuf idea). */
#ifndef QR_BUF_H
#define QR_BUF_H

#include <stddef.h>

#include "core/status.h"

typedef struct qr_buf {
    char *ptr;
    size_t len;
    size_t cap;
    size_t max; /* the ceiling: appends beyond it fail with QR_E_TOO_LARGE */
} qr_buf_t;

/* Initializes an empty buffer that may grow to max bytes (plus a terminating NUL). */
void qr_buf_init(qr_buf_t *b, size_t max);
/* Appends n bytes; QR_E_TOO_LARGE past the ceiling (the buffer is left unchanged). The
 * content stays NUL-terminated. */
qr_status_t qr_buf_append(qr_buf_t *b, const void *data, size_t n);
/* Appends a NUL-terminated string. */
qr_status_t qr_buf_puts(qr_buf_t *b, const char *s);
/* Frees the content; the buffer may be reused after qr_buf_init. Accepts NULL. */
void qr_buf_free(qr_buf_t *b);
/* Hands the content to the caller (caller frees) and empties the buffer. */
char *qr_buf_take(qr_buf_t *b);

#endif
