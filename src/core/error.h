/* SPDX-License-Identifier: Apache-2.0 */
/* quire: an error with its status, a stable code for clients and a human message that
 * says what was wrong and what is allowed. Filled by the domain, rendered by exactly one
 * responder per protocol. */
#ifndef QR_ERROR_H
#define QR_ERROR_H

#include "core/status.h"

typedef struct qr_err {
    qr_status_t status;
    const char *code; /* static string; NULL means qr_status_name(status) */
    char msg[320];
} qr_err_t;

/* Sets e (if not NULL) and returns st. code may be NULL. */
qr_status_t qr_err_set(qr_err_t *e, qr_status_t st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The client-facing code of e. */
const char *qr_err_code(const qr_err_t *e);

#endif
