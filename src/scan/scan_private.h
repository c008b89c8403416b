/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what the scan module's files share (the pipeline's intake.c, image.c, ocr.c, output.c,
 * pipeline.c; scan.c with worker.c); nothing here is for other modules. */
#ifndef QR_SCAN_PRIVATE_H
#define QR_SCAN_PRIVATE_H

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>
#include <time.h>

#include "core/ctx.h"
#include "core/error.h"
#include "scan/pipeline.h"
#include "store/db.h"

#define QR_SCAN_DEFAULT_DPI 300 /* when an image does not say its resolution */
#define QR_SCAN_MIN_DPI 50      /* resolutions below (or above MAX) are treated as unknown */
#define QR_SCAN_MAX_DPI 2400

/* The scan's deadline: a point in time on the monotonic clock, and an optional flag that ends
 * the scan early (qr_scan_limits_t.cancel). */
typedef struct qr__deadline {
    struct timespec at;
    const volatile int *cancel;
} qr__deadline_t;

/* Sets *d to now + ms, cancelled early once *cancel (may be NULL) is set. */
void qr__deadline_set(qr__deadline_t *d, long long ms, const volatile int *cancel);
/* 1 once the deadline has passed or the scan was cancelled. */
int qr__deadline_passed(const qr__deadline_t *d);
/* Milliseconds left (0 when passed). */
long long qr__deadline_left_ms(const qr__deadline_t *d);
/* Sets err to the "timeout" error of a scan limited to max_ms. */
qr_status_t qr__scan_timeout(qr_err_t *err, long long max_ms);

/* Silences Leptonica's and libtiff's messages to stderr (once per process). */
void qr__scan_quiet(void);

/* The pages of one uploaded file, decoded one at a time. */
typedef struct qr__intake qr__intake_t;

/* Checks data (format by magic bytes, page count, every page's size from the headers, without
 * decoding pixels) and returns a reader for its pages. *pages gets the page count. Errors:
 * QR_E_INVALID "invalid_image", "too_many_pages", "image_too_large", "timeout". */
qr_status_t qr__intake_open(const void *data, size_t len, const qr_scan_limits_t *lim,
                            const qr__deadline_t *deadline, qr__intake_t **out, int *pages,
                            qr_err_t *err);
/* The format name ("jpeg", "png", "tiff", "pdf"; static). */
const char *qr__intake_format(const qr__intake_t *in);
/* Decodes the next page into *pix (1, 8 or 32 bpp, no colormap, resolution set); caller
 * destroys it. Errors as qr__intake_open. */
qr_status_t qr__intake_next(qr__intake_t *in, PIX **pix, qr_err_t *err);
/* Frees a reader; accepts NULL. */
void qr__intake_close(qr__intake_t *in);

/* JPEG (jpeg.c). */

/* The image's size from its header; -1 if it cannot be read. */
int qr__jpeg_header(const void *data, size_t len, int *w, int *h);
/* Decodes a JPEG into *out (8-bit gray or 32-bit RGB, resolution from the file or 0); a warning
 * of the decoder (truncation, corruption) is QR_E_INVALID "invalid_image"; "timeout". */
qr_status_t qr__jpeg_decode(const void *data, size_t len, const qr__deadline_t *dl,
                            long long max_ms, PIX **out, qr_err_t *err);

/* The Leptonica steps (image.c). Each returns a new PIX (or NULL on failure). */

/* 8-bit gray of any page. */
PIX *qr__image_gray(PIX *pix);
/* 1-bit: background normalization, then a fixed threshold (dark = 1). */
PIX *qr__image_binarize(PIX *gray);
/* The 1-bit image without connected components smaller than a speck. */
PIX *qr__image_despeckle_bin(PIX *bin);
/* A 3x3 median filter of a gray or colour page. */
PIX *qr__image_despeckle_gray(PIX *pix);
/* Skew of a 1-bit page in degrees; 0 when not found confidently. */
float qr__image_skew(PIX *bin);
/* pix turned by deg degrees (white brought in). */
PIX *qr__image_rotate(PIX *pix, float deg);
/* 1 if the 1-bit page has (almost) no ink: a blank page. */
int qr__image_is_blank(PIX *bin);
/* Bytes of pixel data pix holds (0 for NULL). */
size_t qr__image_bytes(PIX *pix);
/* Reads the barcodes of a gray page and appends {"page", "type", "data"} objects to arr. */
qr_status_t qr__image_barcodes(PIX *gray, int page, json_t *arr, qr_err_t *err);

/* The OCR engine (ocr.c). */

/* Makes e ready for langs (re-initializing only if they differ from the current ones). */
qr_status_t qr__ocr_use(qr_ocr_engine_t *e, const char *langs, qr_err_t *err);
/* Quarter turns clockwise that make the page upright per OSD (0 if unsure). */
int qr__ocr_orientation(qr_ocr_engine_t *e, PIX *gray, int dpi);
/* Recognizes bin (1-bit) and appends its text to *text. Until the next call, the engine's
 * recognition API holds the results (for the searchable-PDF renderer). Deadline: timeout. */
qr_status_t qr__ocr_recognize(qr_ocr_engine_t *e, PIX *bin, int dpi, const qr__deadline_t *dl,
                              long long max_ms, char **text, qr_err_t *err);
/* The recognition API (for the renderer). */
TessBaseAPI *qr__ocr_api(qr_ocr_engine_t *e);
/* The tessdata directory. */
const char *qr__ocr_tessdata(void);

/* The output writers (output.c). */
typedef struct qr__writer qr__writer_t;

/* A writer of format f. */
qr_status_t qr__writer_create(qr_scan_format_t f, qr__writer_t **out, qr_err_t *err);
/* Adds one page: pix is the output image; api, for the searchable formats, holds the page's
 * recognition results. */
qr_status_t qr__writer_add(qr__writer_t *w, PIX *pix, TessBaseAPI *api, qr_err_t *err);
/* Finishes the document(s) into out->files. */
qr_status_t qr__writer_finish(qr__writer_t *w, qr_scan_output_t *out, qr_err_t *err);
/* Frees a writer; accepts NULL. */
void qr__writer_destroy(qr__writer_t *w);

/* What scan.c shares with the workers (worker.c). */

/* Reads and decrypts blob_id of org_id into *data (a new buffer, caller frees; *len its size);
 * a blob past max bytes is refused. */
qr_status_t qr__scan_read_blob(qr_ctx_t *ctx, const char *org_id, const char *blob_id,
                               long long max, unsigned char **data, size_t *len, qr_err_t *err);
/* Removes the blobs of scan id's files of kind ("in", "out"; NULL: all) from disk (rows stay). */
void qr__scan_delete_files(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *id,
                           const char *kind);
/* CAP-5: gives back pages reserved in month (YYYY-MM) of org_id's OCR limit. */
void qr__scan_refund(qr_dbc_t *c, const char *org_id, const char *month, long long pages);
/* The MIME type of a document by its name's suffix (".pdf", ".tif", else JPEG; static). */
const char *qr__scan_mime(const char *suffix);

#endif
