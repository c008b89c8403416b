/* SPDX-License-Identifier: Apache-2.0 */
/* quire: text checks for outside input: UTF-8 validity, strict percent-decoding, and the
 * canonical request path. */
#ifndef QR_TEXT_H
#define QR_TEXT_H

#include <stddef.h>

#include "core/error.h"

#define QR_PATH_MAX 1024

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
int qr_utf8_valid(const char *s, size_t n);
/* Decodes application/x-www-form-urlencoded text s[0..n) ('+' is a space, %XX a byte)
 * into out (capacity cap, NUL-terminated). Fails (-1) on a bad escape, a NUL or control
 * byte, invalid UTF-8, or lack of room; returns the length otherwise. */
long qr_percent_decode(const char *s, size_t n, char *out, size_t cap);
/* 1 if path is canonical: starts with '/', at most QR_PATH_MAX bytes, only
 * A-Z a-z 0-9 - . _ ~ and '/', no empty, "." or ".." segment. Anything else (escapes,
 * ';', '\\', dot segments, "//") is refused rather than normalized, so routing and the
 * authorization check see exactly one spelling of every path. */
int qr_path_is_canonical(const char *path, size_t n);

/* Checks a display name (of a group, a client...): 1 to max bytes, no control characters,
 * no leading or trailing space. Fails with invalid_request naming field. */
qr_status_t qr_text_check_label(const char *field, const char *s, size_t max, qr_err_t *err);

#endif
