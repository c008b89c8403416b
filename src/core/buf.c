/* SPDX-License-Identifier: Apache-2.0 */
/* quire: bounded growable buffer. */
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

void qr_buf_init(qr_buf_t *b, size_t max) {
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

qr_status_t qr_buf_append(qr_buf_t *b, const void *data, size_t n) {
    if (n > b->max - b->len)
        return QR_E_TOO_LARGE;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        char *p = realloc(b->ptr, cap);
        if (!p)
            return QR_E_TOO_LARGE;
        b->ptr = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->ptr + b->len, data, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return QR_OK;
}

qr_status_t qr_buf_puts(qr_buf_t *b, const char *s) {
    return qr_buf_append(b, s, strlen(s));
}

void qr_buf_free(qr_buf_t *b) {
    if (!b)
        return;
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

char *qr_buf_take(qr_buf_t *b) {
    char *p = b->ptr;
    if (!p)
        p = calloc(1, 1);
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}
