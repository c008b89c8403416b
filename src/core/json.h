/* SPDX-License-Identifier: Apache-2.0 */
/* quire: strict JSON intake on top of jansson: size and depth limits, no duplicate keys,
 * valid UTF-8 only, no unknown fields, typed getters with clear messages. */
#ifndef QR_JSON_H
#define QR_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

#define QR_JSON_MAX_DEPTH 32

/* Parses a request body that must be one JSON object of at most QR_JSON_MAX_DEPTH levels.
 * An empty body (zero bytes) counts as {}. On success *out is a new reference (caller decrefs). */
qr_status_t qr_json_parse_object(const char *data, size_t len, json_t **out, qr_err_t *err);
/* Fails with invalid_request naming the first key of obj not in allowed (NULL-terminated). */
qr_status_t qr_json_check_keys(json_t *obj, const char *const *allowed, qr_err_t *err);
/* Reads a string field of 1..maxlen bytes. Absent: *out = NULL and, if required, an error.
 * The returned pointer is owned by obj. */
qr_status_t qr_json_get_str(json_t *obj, const char *key, int required, size_t maxlen,
                            const char **out, qr_err_t *err);
/* Reads an integer field in [min, max]. *present tells whether it was there. */
qr_status_t qr_json_get_int(json_t *obj, const char *key, int required, long long min,
                            long long max, long long *out, int *present, qr_err_t *err);
/* Reads a boolean field. */
qr_status_t qr_json_get_bool(json_t *obj, const char *key, int required, int *out, int *present,
                             qr_err_t *err);
/* Serializes v compactly into a new string (caller frees); aborts on out-of-memory. */
char *qr_json_dump(const json_t *v);

#endif
