/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the print intake's converter (PRN-1): document bytes as they arrive, in the formats
 * phones and computers send (JPEG, PNG, PWG raster, Apple raster, PDF; gzip or deflate
 * compressed), turned into the one format the spool keeps, PDF. Streamed and bounded: raster
 * pages go through libcups' raster reader one line at a time into a PDF written as it goes
 * (pdfout.h); a JPEG or PNG (one page) is held whole, up to a limit, and read with MuPDF. The
 * PDF's page count and colour are found afterwards by the job's PDF inspection (pdf.h). */
#ifndef QR_CONVERT_H
#define QR_CONVERT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "print/pdfout.h"

#define QR_CONVERT_MAX_PAGES 10000                    /* as QR_PDF_MAX_PAGES */
#define QR_CONVERT_MAX_PAGE_PIXELS 100000000LL        /* 100 megapixels: 600 dpi on 13 x 19 in */
#define QR_CONVERT_MAX_WIDTH 16384                    /* pixels per raster line */
#define QR_CONVERT_MAX_MS 120000                      /* time spent converting (not waiting) */
#define QR_CONVERT_MAX_IMAGE_BYTES ((size_t)64 << 20) /* a JPEG or PNG file, held whole */
#define QR_CONVERT_MAX_MEMORY ((size_t)512 << 20)     /* MuPDF's allocations decoding a PNG */
#define QR_CONVERT_MIN_DPI 50                         /* raster resolutions accepted */
#define QR_CONVERT_MAX_DPI 2400
/* Raster input is handed to libcups' reader only while this much of it is buffered (or the
 * document has ended): more than one line's compressed data (at most 2 bytes a pixel byte,
 * plus one) and a page header, twice over. The reader's own buffer is refilled one byte at a
 * time (its large reads go straight to the line), so it holds nothing between pages. */
#define QR_CONVERT_READ_AHEAD ((size_t)2 * (2 * 8 * QR_CONVERT_MAX_WIDTH + 2) + 4096)
#define QR_CONVERT_REFILL 65536 /* libcups asks this much or more only to fill its buffer */
/* The page an image (JPEG, PNG) is printed on, in points (A4), and its margin: an image
 * larger than the printable area is scaled down to fit, a smaller one printed at its size
 * (IPP print-scaling "auto"), centred. */
#define QR_CONVERT_IMAGE_PAGE_W 595.28
#define QR_CONVERT_IMAGE_PAGE_H 841.89
#define QR_CONVERT_IMAGE_MARGIN 12.0

typedef enum qr_doc_format {
    QR_DOC_PDF = 0,
    QR_DOC_AUTO, /* application/octet-stream: told by the first bytes */
    QR_DOC_JPEG,
    QR_DOC_PNG,
    QR_DOC_PWG, /* image/pwg-raster (PWG 5102.4) */
    QR_DOC_URF  /* image/urf, Apple raster */
} qr_doc_format_t;

typedef enum qr_compression {
    QR_COMPRESSION_NONE = 0,
    QR_COMPRESSION_GZIP,   /* RFC 1952 */
    QR_COMPRESSION_DEFLATE /* RFC 1951, or the zlib wrapper (RFC 1950) that libcups sends */
} qr_compression_t;

typedef struct qr_convert_limits {
    long long max_pages;
    long long max_page_pixels;
    long long max_ms; /* time spent in the converter's calls */
    size_t max_image_bytes;
    size_t max_memory;
    long long max_input; /* bytes received (compressed, if so); -1: no limit */
} qr_convert_limits_t;

typedef struct qr_convert qr_convert_t;

/* The format of a MIME type (IPP document-format, HTTP Content-Type; parameters ignored):
 * 0 and *out if it is one the converter takes, -1 if not. */
int qr_convert_format(const char *mime, qr_doc_format_t *out);
/* The IPP compression keyword ("none", "gzip", "deflate"): 0 and *out, or -1. */
int qr_convert_compression(const char *name, qr_compression_t *out);

/* A converter of a document of format fmt, compressed by comp, whose PDF goes to sink. lim
 * NULL means the QR_CONVERT_* defaults (and no input limit). Never NULL. */
qr_convert_t *qr_convert_create(const qr_convert_limits_t *lim, qr_doc_format_t fmt,
                                qr_compression_t comp, qr_pdfout_sink_fn sink, void *cls);
/* The next n bytes of the document. Input that is not what its format says, or that passes a
 * limit, fails with QR_E_INVALID "invalid_document" and a message that names the limit; a
 * sink's error is returned as it is. After a failure every call fails the same way. */
qr_status_t qr_convert_write(qr_convert_t *c, const void *data, size_t n, qr_err_t *err);
/* The document is complete: converts what is left and completes the PDF. */
qr_status_t qr_convert_finish(qr_convert_t *c, qr_err_t *err);
/* The pages converted (0 for PDF input, which goes through unchanged). */
long long qr_convert_pages(const qr_convert_t *c);
/* Frees the converter. Accepts NULL. */
void qr_convert_destroy(qr_convert_t *c);

/* The whole conversion over len bytes in memory, the PDF appended to out (tests, the fuzz
 * target and bench/rastertime.c). */
qr_status_t qr_convert_buffer(const void *data, size_t len, qr_doc_format_t fmt,
                              qr_compression_t comp, const qr_convert_limits_t *lim, qr_buf_t *out,
                              qr_err_t *err);

#endif
