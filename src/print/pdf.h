/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what a print job's document says about itself (PRN-2, PRN-4, DEV-2): its page count
 * and whether any page uses colour, read with MuPDF straight from the decrypting blob reader,
 * so the plaintext never touches disk (SEC-2). The work is bounded (pages, memory, time) so
 * that a hostile PDF cannot take the server down. */
#ifndef QR_PDF_H
#define QR_PDF_H

#include <stddef.h>

#include "core/error.h"
#include "store/blob.h"

#define QR_PDF_MAX_PAGES 10000                /* a longer document is refused */
#define QR_PDF_MAX_MEMORY ((size_t)256 << 20) /* MuPDF's allocations per inspection */
#define QR_PDF_MAX_MS 60000                   /* wall-clock time per inspection */
#define QR_PDF_COLOR_THRESHOLD 0.02f          /* grey tolerance of MuPDF's test device */
#define QR_PDF_MAX_TEST_PIXELS (64LL << 20)   /* larger images: colour by colour space alone */

typedef struct qr_pdf_limits {
    long long max_pages;
    size_t max_memory;
    long long max_ms;          /* 0 refuses at once (for tests) */
    long long max_test_pixels; /* images up to this size are tested pixel by pixel */
} qr_pdf_limits_t;

typedef struct qr_pdf_info {
    long long pages;
    int color; /* 1 if any page draws a non-grey colour (text, vector, image or shading) */
} qr_pdf_info_t;

/* Inspects the PDF the reader holds (seeking as MuPDF needs). lim NULL means the QR_PDF_*
 * defaults. A document that is not a readable PDF, is password-protected, forbids printing,
 * has no pages, too many pages, or needs more memory or time than allowed is refused with
 * QR_E_INVALID "invalid_document" and a message that says which; a damaged blob gives the
 * reader's error (QR_E_CRYPTO "document_damaged"). The reader's position is left anywhere. */
qr_status_t qr_pdf_inspect(qr_blob_reader_t *r, const qr_pdf_limits_t *lim, qr_pdf_info_t *out,
                           qr_err_t *err);

/* The same over len bytes in memory (tests and the fuzz target); data is not copied. */
qr_status_t qr_pdf_inspect_buffer(const void *data, size_t len, const qr_pdf_limits_t *lim,
                                  qr_pdf_info_t *out, qr_err_t *err);

/* MuPDF's bounded allocator, the one for every fz_context of quire (this file's inspection and
 * the scan intake): give MuPDF {budget, qr_pdf_budget_malloc, qr_pdf_budget_realloc,
 * qr_pdf_budget_free} as its fz_alloc_context. Every block carries its size, so the budget
 * knows what is freed. An allocation (or growth) past cap, or once past() says the deadline
 * has passed, is refused; after the deadline nothing more is allocated, which unwinds MuPDF
 * quickly. past(arg) returns 1 once the deadline has passed and then sets *abort (the
 * fz_cookie's abort flag, so that the interpreter stops at its next operator). */
typedef struct qr_pdf_budget {
    size_t used, cap;
    int refused;      /* an allocation past cap was refused (before the deadline) */
    const int *abort; /* the fz_cookie's abort flag, set by past */
    int (*past)(void *arg);
    void *arg;
} qr_pdf_budget_t;

/* fz_alloc_context.malloc over a qr_pdf_budget_t (user); NULL when refused. */
void *qr_pdf_budget_malloc(void *user, size_t n);
/* fz_alloc_context.realloc over a qr_pdf_budget_t (user); NULL when refused. */
void *qr_pdf_budget_realloc(void *user, void *old, size_t n);
/* fz_alloc_context.free over a qr_pdf_budget_t (user); accepts NULL. */
void qr_pdf_budget_free(void *user, void *ptr);

#endif
