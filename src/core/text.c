/* SPDX-License-Identifier: Apache-2.0 */
/* quire: UTF-8 validation, percent-decoding and canonical paths. */
#include "core/text.h"

#include <string.h>

int qr_utf8_valid(const char *str, size_t n) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long qr_percent_decode(const char *s, size_t n, char *out, size_t cap) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (c < 0x20 || c == 0x7f)
            return -1;
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (!qr_utf8_valid(out, o))
        return -1;
    return (long)o;
}

int qr_path_is_canonical(const char *path, size_t n) {
    if (n == 0 || n > QR_PATH_MAX || path[0] != '/')
        return 0;
    if (n == 1)
        return 1;
    size_t seg_start = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || path[i] == '/') {
            size_t len = i - seg_start;
            const char *seg = path + seg_start;
            if (len == 0 && i != n)
                return 0; /* "//" */
            if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
                return 0;
            seg_start = i + 1;
            continue;
        }
        char c = path[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == '~'))
            return 0;
    }
    return 1;
}

qr_status_t qr_text_check_label(const char *field, const char *s, size_t max, qr_err_t *err) {
    size_t n = strlen(s);
    int bad = n == 0 || n > max || s[0] == ' ' || s[n - 1] == ' ';
    for (const char *p = s; *p && !bad; p++)
        bad = (unsigned char)*p < 0x20 || *p == 0x7f;
    if (bad)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "%s must be 1 to %zu characters without control characters or leading "
                          "or trailing spaces",
                          field, max);
    return QR_OK;
}
