/* SPDX-License-Identifier: Apache-2.0 */
/* quire: allocation helpers that abort on out-of-memory. */
#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die_oom(size_t n) {
    fprintf(stderr, "quire: out of memory allocating %zu bytes\n", n);
    abort();
}

void *qr_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p)
        die_oom(n);
    return p;
}

void *qr_xcalloc(size_t count, size_t n) {
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p)
        die_oom(count * n);
    return p;
}

void *qr_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die_oom(n);
    return q;
}

char *qr_xstrdup(const char *s) {
    if (!s)
        return NULL;
    return qr_xstrndup(s, strlen(s));
}

char *qr_xstrndup(const char *s, size_t n) {
    char *p = qr_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *qr_xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die_oom(0);
    char *p = qr_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
