/* SPDX-License-Identifier: Apache-2.0 */
/* quire: strict parsing of a request's query string. */
#ifndef QR_HTTP_QUERY_H
#define QR_HTTP_QUERY_H

#include "core/error.h"

#define QR_QUERY_MAX_PARAMS 16
#define QR_QUERY_MAX_BYTES 8192

typedef struct qr_query {
    char *names[QR_QUERY_MAX_PARAMS];
    char *values[QR_QUERY_MAX_PARAMS];
    int n;
} qr_query_t;

/* Parses q (without the '?') into out. Only names listed in allowed (space-separated, may
 * be NULL for none) are accepted; a repeated name, a bad escape, invalid UTF-8 or control
 * characters are refused with invalid_request. out must be zeroed; free with
 * qr_query_free (also after an error). */
qr_status_t qr_query_parse(const char *q, const char *allowed, qr_query_t *out, qr_err_t *err);
/* The decoded value of name, or NULL. */
const char *qr_query_get(const qr_query_t *q, const char *name);
/* Frees the strings of q. */
void qr_query_free(qr_query_t *q);

#endif
