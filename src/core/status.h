/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the one status type for everything that can fail (like curl's CURLcode). */
#ifndef QR_STATUS_H
#define QR_STATUS_H

typedef enum qr_status {
    QR_OK = 0,
    QR_E_INVALID,      /* malformed or invalid input: 400 */
    QR_E_UNAUTHORIZED, /* no or bad credentials: 401 */
    QR_E_FORBIDDEN,    /* visible but not permitted: 403 */
    QR_E_READ_ONLY,    /* attempt to change a read-only attribute: 403 */
    QR_E_NOT_FOUND,    /* absent or not visible: 404 */
    QR_E_CONFLICT,     /* uniqueness or state conflict: 409 */
    QR_E_TOO_LARGE,    /* a limit was exceeded: 413 */
    QR_E_THROTTLED,    /* too many attempts: 429 */
    QR_E_BUSY,         /* queue full, try later: 503 */
    QR_E_DB,           /* database failure: 500 */
    QR_E_IO,           /* file system failure: 500 */
    QR_E_CRYPTO,       /* crypto library failure: 500 */
    QR_E_INTERNAL      /* anything else: 500 */
} qr_status_t;

/* Returns a short constant name for a status ("invalid", "not_found"...). */
const char *qr_status_name(qr_status_t st);

#endif
