/* SPDX-License-Identifier: Apache-2.0 */
/* quire: query strings. */
#include "http/query.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/mem.h"
#include "core/text.h"

static int name_allowed(const char *allowed, const char *name) {
    if (!allowed)
        return 0;
    size_t n = strlen(name);
    for (const char *p = allowed; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len;
        while (*p == ' ')
            p++;
    }
    return 0;
}

const char *qr_query_get(const qr_query_t *q, const char *name) {
    for (int i = 0; i < q->n; i++)
        if (strcmp(q->names[i], name) == 0)
            return q->values[i];
    return NULL;
}

void qr_query_free(qr_query_t *q) {
    for (int i = 0; i < q->n; i++) {
        free(q->names[i]);
        free(q->values[i]);
    }
    q->n = 0;
}

qr_status_t qr_query_parse(const char *q, const char *allowed, qr_query_t *out, qr_err_t *err) {
    if (strlen(q) > QR_QUERY_MAX_BYTES)
        return qr_err_set(err, QR_E_INVALID, NULL, "the query string is longer than %d bytes",
                          QR_QUERY_MAX_BYTES);
    const char *p = q;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char name[64], value[QR_QUERY_MAX_BYTES + 1];
        if (len == 0 || qr_percent_decode(p, klen, name, sizeof(name)) <= 0)
            return qr_err_set(err, QR_E_INVALID, NULL, "malformed query string");
        value[0] = '\0';
        if (eq && qr_percent_decode(eq + 1, len - klen - 1, value, sizeof(value)) < 0)
            return qr_err_set(err, QR_E_INVALID, NULL, "malformed value of query parameter '%s'",
                              name);
        if (!name_allowed(allowed, name))
            return qr_err_set(err, QR_E_INVALID, NULL, "unknown query parameter '%s'", name);
        if (qr_query_get(out, name))
            return qr_err_set(err, QR_E_INVALID, NULL, "query parameter '%s' is repeated", name);
        if (out->n >= QR_QUERY_MAX_PARAMS)
            return qr_err_set(err, QR_E_INVALID, NULL, "too many query parameters");
        out->names[out->n] = qr_xstrdup(name);
        out->values[out->n++] = qr_xstrdup(value);
        p += len;
        if (*p == '&')
            p++;
    }
    return QR_OK;
}

long qr_basic_decode(const char *header, char *out, size_t cap, size_t *colon) {
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    const char *b64 = header + 6;
    size_t n = strlen(b64);
    if (!n || n > QR_BASIC_MAX || n % 4 != 0 || n / 4 * 3 + 1 > cap)
        return -1;
    int len = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)b64, (int)n);
    if (len <= 0)
        return -1;
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    len -= (b64[n - 1] == '=') + (b64[n - 2] == '=');
    out[len > 0 ? len : 0] = '\0';
    const char *c = len > 0 ? memchr(out, ':', (size_t)len) : NULL;
    for (int i = 0; i < len && c; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            c = NULL;
    if (!c) {
        OPENSSL_cleanse(out, cap);
        return -1;
    }
    *colon = (size_t)(c - out);
    return len;
}
