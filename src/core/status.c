/* SPDX-License-Identifier: Apache-2.0 */
/* quire: names of status codes. */
#include "core/status.h"

const char *qr_status_name(qr_status_t st) {
    switch (st) {
    case QR_OK:
        return "ok";
    case QR_E_INVALID:
        return "invalid_request";
    case QR_E_UNAUTHORIZED:
        return "unauthorized";
    case QR_E_FORBIDDEN:
        return "forbidden";
    case QR_E_READ_ONLY:
        return "read_only_field";
    case QR_E_NOT_FOUND:
        return "not_found";
    case QR_E_CONFLICT:
        return "conflict";
    case QR_E_TOO_LARGE:
        return "body_too_large";
    case QR_E_THROTTLED:
        return "too_many_requests";
    case QR_E_BUSY:
        return "busy";
    case QR_E_DB:
    case QR_E_IO:
    case QR_E_CRYPTO:
    case QR_E_INTERNAL:
        return "internal_error";
    }
    return "internal_error";
}
