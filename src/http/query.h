/* SPDX-License-Identifier: Apache-2.0 */
/* quire: strict parsing of a request's query string and of HTTP Basic credentials. */
#ifndef QR_HTTP_QUERY_H
#define QR_HTTP_QUERY_H

#include <stddef.h>

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

#define QR_BASIC_MAX 1024 /* longest encoded Basic credentials accepted */

/* Decodes an Authorization header value "Basic <base64 of user:password>" (RFC 7617) into
 * out (capacity cap, NUL-terminated): out holds "user:password" and *colon the offset of
 * the first ':'. Refuses (-1) another scheme, bad or over-long base64, no colon, or a NUL
 * or control character in the credentials. Returns the decoded length. The caller wipes
 * out after use. */
long qr_basic_decode(const char *header, char *out, size_t cap, size_t *colon);

#endif
