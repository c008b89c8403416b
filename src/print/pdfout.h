/* SPDX-License-Identifier: Apache-2.0 */
/* quire: a PDF of image pages written as it goes (PRN-1): each page is one image, sent to a
 * sink while it is made, so converting a raster job holds one line of pixels and a small
 * table of object offsets, never the document (DESIGN rule 5). Used by the intake
 * converter (convert.c). */
#ifndef QR_PDFOUT_H
#define QR_PDFOUT_H

#include <stddef.h>

#include "core/error.h"

/* zlib level of the pixel data: the fastest. On 150 dpi text-like pages level 6 made PDFs 3.5x
 * smaller in 3x the time; the client waits for the conversion, the spool holds the job briefly. */
#define QR_PDFOUT_DEFLATE_LEVEL 1

/* Where the PDF goes, piece by piece. */
typedef qr_status_t (*qr_pdfout_sink_fn)(void *cls, const void *data, size_t n, qr_err_t *err);

typedef struct qr_pdfout qr_pdfout_t;

/* One page's image. */
typedef struct qr_pdfout_image {
    int width, height;     /* pixels */
    int components;        /* 1 (gray), 3 (RGB) or 4 (CMYK) */
    int bpc;               /* bits per component: 1 or 8 */
    int invert;            /* 1: 0 is white (black_1, black_8): a /Decode [1 0] */
    int dct;               /* 1: the rows given are a JPEG file, stored as it is (DCTDecode) */
    double page_w, page_h; /* the page in points */
    double m[6];           /* the image's unit square to the page (PDF's cm operator) */
} qr_pdfout_image_t;

/* A new writer into sink; nothing is written before the first page. Never NULL. */
qr_pdfout_t *qr_pdfout_create(qr_pdfout_sink_fn sink, void *cls);
/* Starts a page with its image. */
qr_status_t qr_pdfout_page_begin(qr_pdfout_t *o, const qr_pdfout_image_t *img, qr_err_t *err);
/* The next n bytes of the page's image: whole rows of pixels (compressed here), or the JPEG
 * file's bytes (with dct). */
qr_status_t qr_pdfout_page_data(qr_pdfout_t *o, const void *data, size_t n, qr_err_t *err);
/* Ends the page. */
qr_status_t qr_pdfout_page_end(qr_pdfout_t *o, qr_err_t *err);
/* Writes the page tree, catalog and cross-reference table: the PDF is complete. */
qr_status_t qr_pdfout_finish(qr_pdfout_t *o, qr_err_t *err);
/* The number of pages ended so far. */
long long qr_pdfout_pages(const qr_pdfout_t *o);
/* Frees the writer (whatever was written stays written). Accepts NULL. */
void qr_pdfout_destroy(qr_pdfout_t *o);

#endif
