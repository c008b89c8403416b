/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the scan pipeline's document work (CAP-1, CAP-3): reading the scanned pages (JPEG,
 * PNG, TIFF, PDF), cleaning them up with Leptonica, recognizing text with Tesseract, reading
 * barcodes with ZBar, and writing the output document. No database and no HTTP: a scan worker
 * hands it the uploaded files and gets the result back, all in memory (plaintext never touches
 * disk, SEC-2). Every step is bounded (pages, pixels, memory, time), so hostile input fails
 * with a clear error and the server keeps serving. */
#ifndef QR_PIPELINE_H
#define QR_PIPELINE_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

#define QR_SCAN_MAX_PAGES 1000                   /* pages per scan (all files together) */
#define QR_SCAN_MAX_PIXELS (100LL * 1000 * 1000) /* per page: A3 at 600 dpi is 70 Mpx */
#define QR_SCAN_MAX_MS 600000                    /* wall-clock time per scan */
#define QR_SCAN_PDF_DPI 300                      /* PDF pages are rendered at this resolution */

/* What the workflow asks for (CAP-1). */
typedef enum qr_scan_format {
    QR_SCAN_PDF = 0,  /* the page images in a PDF */
    QR_SCAN_PDF_TEXT, /* searchable PDF: image + invisible text layer */
    QR_SCAN_PDFA,     /* PDF/A-2b, searchable */
    QR_SCAN_TIFF,     /* one multi-page TIFF */
    QR_SCAN_JPEG,     /* one JPEG per page */
    QR_SCAN_FORMAT_COUNT
} qr_scan_format_t;

/* "pdf", "pdf_text", "pdfa", "tiff", "jpeg". */
const char *qr_scan_format_name(qr_scan_format_t f);
/* Parses a format name; -1 if unknown. */
int qr_scan_format_parse(const char *s);

typedef struct qr_scan_steps {
    int auto_rotate;  /* Tesseract OSD: turn pages upright */
    int deskew;       /* Leptonica */
    int despeckle;    /* Leptonica */
    int binarize;     /* Leptonica (the output images become 1 bit) */
    int remove_blank; /* Leptonica: drop pages with (almost) nothing on them */
    int ocr;          /* Tesseract: recognize text (needed for PDF_TEXT, PDFA and rules) */
    int barcodes;     /* ZBar: read barcodes of every page */
    qr_scan_format_t format;
    char language[64]; /* Tesseract language(s), "eng" or "eng+deu" */
} qr_scan_steps_t;

typedef struct qr_scan_limits {
    int max_pages;        /* QR_SCAN_MAX_PAGES */
    long long max_pixels; /* per page, QR_SCAN_MAX_PIXELS */
    long long max_ms;     /* QR_SCAN_MAX_MS; 0 refuses at once (tests) */
    /* NULL, or a flag another thread sets to stop the scan early (the server shutting down):
     * the scan then ends as at its time limit, within about a page's layout step. */
    const volatile int *cancel;
} qr_scan_limits_t;

/* Fills lim with the QR_SCAN_* defaults. */
void qr_scan_limits_init(qr_scan_limits_t *lim);

/* 1 if every language of langs ("eng" or "eng+deu") is installed for Tesseract, else 0 with
 * err saying which is missing and which are installed (QR_E_INVALID "invalid_language"). */
int qr_ocr_languages_valid(const char *langs, qr_err_t *err);

/* Looks at one uploaded file without decoding its pixels: *format gets "jpeg", "png", "tiff"
 * or "pdf" (static strings) and *pages its page count. What is not one of these formats, is
 * damaged, has no pages or more than lim->max_pages, or a page over lim->max_pixels is refused
 * with QR_E_INVALID "invalid_image" (or "too_many_pages", "image_too_large") and a message that
 * says which. Used at upload, before anything is accepted. */
qr_status_t qr_scan_probe(const void *data, size_t len, const qr_scan_limits_t *lim,
                          const char **format, int *pages, qr_err_t *err);

/* One Tesseract engine (and its OSD engine), created once per worker thread and reused for
 * every page it processes; never shared between threads. It runs single-threaded (DESIGN 5). */
typedef struct qr_ocr_engine qr_ocr_engine_t;

/* Creates an engine for languages ("eng"); it switches language itself when a scan asks for
 * another. */
qr_status_t qr_ocr_engine_create(const char *languages, qr_ocr_engine_t **out, qr_err_t *err);
/* Frees an engine; accepts NULL. */
void qr_ocr_engine_destroy(qr_ocr_engine_t *e);

/* One uploaded file (borrowed). */
typedef struct qr_scan_input {
    const void *data;
    size_t len;
} qr_scan_input_t;

/* One output file. */
typedef struct qr_scan_file {
    unsigned char *data; /* owned by the output */
    size_t len;
    char suffix[16];  /* what follows the document's name: ".pdf", ".tif", "-001.jpg" */
    const char *mime; /* "application/pdf", "image/tiff", "image/jpeg" */
} qr_scan_file_t;

typedef struct qr_scan_output {
    qr_scan_file_t *files; /* JPEG: one per page; every other format: exactly one */
    int nfiles;
    char *text; /* recognized text of the kept pages, pages separated by '\f' ("" if no OCR) */
    json_t *barcodes;  /* [{"page": 1, "type": "QR-Code", "data": "..."}], in page order */
    int pages_in;      /* pages read from the inputs */
    int pages_out;     /* pages in the output (after blank-page removal) */
    int ocr_pages;     /* pages recognized: what CAP-5 and TEN-5 count */
    size_t peak_bytes; /* the largest image memory held at once (bench) */
} qr_scan_output_t;

/* Runs the steps over the inputs' pages in order and fills out (free it with
 * qr_scan_output_free, also after an error). Errors as qr_scan_probe, plus "timeout" when
 * lim->max_ms passes, "no_pages" when blank-page removal left nothing. */
qr_status_t qr_scan_process(qr_ocr_engine_t *e, const qr_scan_input_t *in, int nin,
                            const qr_scan_steps_t *steps, const qr_scan_limits_t *lim,
                            qr_scan_output_t *out, qr_err_t *err);
/* Frees what out holds and zeroes it; accepts an zeroed output. */
void qr_scan_output_free(qr_scan_output_t *out);

#endif
