/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the web portal's files, built from web/ by make (scripts/web-build.mjs) into a
 * generated table that is linked into quired. */
#ifndef QR_API_PORTAL_H
#define QR_API_PORTAL_H

#include <stddef.h>

typedef struct qr_web_asset {
    const char *name; /* "index.html", or an asset's content-hashed file name */
    const char *content_type;
    const unsigned char *data;
    size_t len;
    const unsigned char *gzip; /* the same bytes gzip-compressed, or NULL (not smaller) */
    size_t gzip_len;
    const char *download; /* the file name it downloads as (a guide's PDF), or NULL */
} qr_web_asset_t;

extern const qr_web_asset_t qr_web_assets[];
extern const size_t qr_web_nassets;
/* The stylesheet's asset name (for the server-rendered sign-in pages). */
extern const char qr_web_stylesheet[];

#endif
