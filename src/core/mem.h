/* SPDX-License-Identifier: Apache-2.0 */
/* quire: allocation helpers. The out-of-memory policy is written once here: the qr_x*
 * functions abort on failure and are only for fixed-size internal objects; anything sized
 * by outside input uses a checked allocation and returns an error. */
#ifndef QR_MEM_H
#define QR_MEM_H

#include <stddef.h>

/* malloc that aborts on failure. */
void *qr_xmalloc(size_t n);
/* calloc that aborts on failure. */
void *qr_xcalloc(size_t count, size_t n);
/* realloc that aborts on failure. */
void *qr_xrealloc(void *p, size_t n);
/* strdup that aborts on failure; NULL in, NULL out. Caller frees. */
char *qr_xstrdup(const char *s);
/* Copies n bytes of s into a new NUL-terminated string; aborts on failure. Caller frees. */
char *qr_xstrndup(const char *s, size_t n);
/* printf into a new string; aborts on failure. Caller frees. */
char *qr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
