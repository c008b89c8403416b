/* SPDX-License-Identifier: Apache-2.0 */
/* quire: error values. */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

qr_status_t qr_err_set(qr_err_t *e, qr_status_t st, const char *code, const char *fmt, ...) {
    if (!e)
        return st;
    e->status = st;
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return st;
}

const char *qr_err_code(const qr_err_t *e) {
    return e->code ? e->code : qr_status_name(e->status);
}
