/* SPDX-License-Identifier: Apache-2.0 */
/* quire: PDF inspection with MuPDF. One fz_context per call (no shared store, so no locks),
 * with an allocator that refuses anything past the memory budget and checks the deadline; the
 * document comes through a custom fz_stream over the decrypting blob reader (or a buffer). */
#include "print/pdf.h"

#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALIGN 16 /* header in front of every allocation: its size, keeping max alignment */
#define READ_BUF 16384

typedef enum {
    WHY_NONE,
    WHY_UNREADABLE, /* MuPDF could not open or repair it */
    WHY_PASSWORD,
    WHY_NO_PRINT,
    WHY_NO_PAGES,
    WHY_TOO_MANY,
    WHY_PAGE,   /* one page cannot be loaded */
    WHY_MEMORY, /* the budget was exceeded */
    WHY_TIME,
    WHY_SOURCE /* the blob reader failed (damage): its error is kept in src_err */
} why_t;

/* Everything one inspection touches. Heap-allocated, so that what fz_try changes survives the
 * longjmp of fz_catch (automatic variables would need volatile). */
typedef struct run {
    qr_pdf_budget_t budget; /* budget.refused: an allocation past the budget was refused */
    int src_failed;         /* the blob reader failed; MuPDF may have swallowed the error */
    struct timespec deadline;
    fz_cookie cookie;
    /* source */
    qr_blob_reader_t *blob;
    const unsigned char *mem;
    long long size, pos;
    qr_err_t src_err;
    /* MuPDF objects and results */
    fz_stream *stm;
    pdf_document *doc;
    fz_page *page;
    fz_device *dev;
    int color;
    long long pages, page_no;
    why_t why;
    char msg[200];
    unsigned char buf[READ_BUF];
} run_t;

/* The coarse clock (a few ms of resolution, a few ns to read) is checked on every allocation. */
static int past_deadline(run_t *r) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    if (now.tv_sec > r->deadline.tv_sec ||
        (now.tv_sec == r->deadline.tv_sec && now.tv_nsec >= r->deadline.tv_nsec)) {
        r->cookie.abort = 1; /* the interpreter stops at its next operator */
        return 1;
    }
    return 0;
}

/* The budget's deadline check (qr_pdf_budget_t.past). */
static int budget_past(void *arg) {
    return past_deadline(arg);
}

void *qr_pdf_budget_malloc(void *user, size_t n) {
    qr_pdf_budget_t *b = user;
    if (n > b->cap - b->used || b->past(b->arg)) {
        b->refused |= !*b->abort;
        return NULL;
    }
    unsigned char *p = malloc(n + ALIGN);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof(n));
    b->used += n;
    return p + ALIGN;
}

void *qr_pdf_budget_realloc(void *user, void *old, size_t n) {
    qr_pdf_budget_t *b = user;
    if (!old)
        return qr_pdf_budget_malloc(user, n);
    unsigned char *p = (unsigned char *)old - ALIGN;
    size_t was;
    memcpy(&was, p, sizeof(was));
    if (n > was && (n - was > b->cap - b->used || b->past(b->arg))) {
        b->refused |= !*b->abort;
        return NULL;
    }
    unsigned char *q = realloc(p, n + ALIGN);
    if (!q)
        return NULL;
    memcpy(q, &n, sizeof(n));
    b->used = b->used - was + n;
    return q + ALIGN;
}

void qr_pdf_budget_free(void *user, void *ptr) {
    qr_pdf_budget_t *b = user;
    if (!ptr)
        return;
    unsigned char *p = (unsigned char *)ptr - ALIGN;
    size_t was;
    memcpy(&was, p, sizeof(was));
    b->used -= was;
    free(p);
}

static void quiet(void *user, const char *message) {
    (void)user;
    (void)message; /* MuPDF's warnings (repairs, font substitutions) are not ours to log */
}

/* The fz_stream over the source: next fills the buffer from the current position, seek moves
 * it (MuPDF reads the xref at the end first, then objects anywhere). */
static int src_next(fz_context *ctx, fz_stream *stm, size_t max) {
    run_t *r = stm->state;
    (void)max;
    if (past_deadline(r))
        fz_throw(ctx, FZ_ERROR_ABORT, "time limit");
    long n;
    if (r->blob) {
        n = qr_blob_read(r->blob, r->buf, sizeof(r->buf), &r->src_err);
        if (n < 0) {
            r->src_failed = 1;
            fz_throw(ctx, FZ_ERROR_GENERIC, "%s", r->src_err.msg);
        }
    } else {
        long long left = r->size - r->pos;
        n = (long)(left < (long long)sizeof(r->buf) ? left : (long long)sizeof(r->buf));
        if (n > 0)
            memcpy(r->buf, r->mem + r->pos, (size_t)n);
    }
    r->pos += n;
    stm->rp = r->buf;
    stm->wp = r->buf + n;
    stm->pos += n;
    if (n == 0)
        return EOF;
    return *stm->rp++;
}

static void src_seek(fz_context *ctx, fz_stream *stm, int64_t offset, int whence) {
    run_t *r = stm->state;
    int64_t to = whence == SEEK_END   ? r->size + offset
                 : whence == SEEK_CUR ? stm->pos + offset
                                      : offset;
    if (to < 0)
        fz_throw(ctx, FZ_ERROR_GENERIC, "cannot seek to %lld", (long long)to);
    if (to > r->size)
        to = r->size; /* like a file: reading there gives EOF */
    if (r->blob && qr_blob_seek(r->blob, to, &r->src_err) != QR_OK) {
        r->src_failed = 1;
        fz_throw(ctx, FZ_ERROR_GENERIC, "%s", r->src_err.msg);
    }
    r->pos = to;
    stm->pos = to;
    stm->rp = stm->wp = r->buf;
}

static void src_drop(fz_context *ctx, void *state) {
    (void)ctx;
    (void)state; /* the run owns the source */
}

/* Colour testing at a bounded cost. Fills, strokes, text, masks and function shadings (256
 * samples) go to MuPDF's test device with every colour, image pixel and shading sample checked.
 * Images of more than max_test_pixels and mesh shadings, whose cost grows with data that may
 * be a decompression bomb (and that MuPDF walks without allocating, so no deadline check would
 * stop it), go to a second test device that judges them by their colour space alone. */
typedef struct gate {
    fz_device super;
    fz_device *exact, *cheap;
    int exact_color, cheap_color; /* the test devices' verdicts */
    long long max_test_pixels;
} gate_t;

static void gate_fill_path(fz_context *ctx, fz_device *d, const fz_path *path, int even_odd,
                           fz_matrix ctm, fz_colorspace *cs, const float *color, float alpha,
                           fz_color_params cp) {
    fz_fill_path(ctx, ((gate_t *)d)->exact, path, even_odd, ctm, cs, color, alpha, cp);
}

static void gate_stroke_path(fz_context *ctx, fz_device *d, const fz_path *path,
                             const fz_stroke_state *stroke, fz_matrix ctm, fz_colorspace *cs,
                             const float *color, float alpha, fz_color_params cp) {
    fz_stroke_path(ctx, ((gate_t *)d)->exact, path, stroke, ctm, cs, color, alpha, cp);
}

static void gate_fill_text(fz_context *ctx, fz_device *d, const fz_text *text, fz_matrix ctm,
                           fz_colorspace *cs, const float *color, float alpha, fz_color_params cp) {
    fz_fill_text(ctx, ((gate_t *)d)->exact, text, ctm, cs, color, alpha, cp);
}

static void gate_stroke_text(fz_context *ctx, fz_device *d, const fz_text *text,
                             const fz_stroke_state *stroke, fz_matrix ctm, fz_colorspace *cs,
                             const float *color, float alpha, fz_color_params cp) {
    fz_stroke_text(ctx, ((gate_t *)d)->exact, text, stroke, ctm, cs, color, alpha, cp);
}

static void gate_fill_image_mask(fz_context *ctx, fz_device *d, fz_image *img, fz_matrix ctm,
                                 fz_colorspace *cs, const float *color, float alpha,
                                 fz_color_params cp) {
    fz_fill_image_mask(ctx, ((gate_t *)d)->exact, img, ctm, cs, color, alpha, cp);
}

static void gate_fill_shade(fz_context *ctx, fz_device *d, fz_shade *shd, fz_matrix ctm,
                            float alpha, fz_color_params cp) {
    gate_t *g = (gate_t *)d;
    fz_fill_shade(ctx, shd->type <= FZ_RADIAL ? g->exact : g->cheap, shd, ctm, alpha, cp);
}

/* A CMYK image for the exact test device, as RGB: MuPDF 1.21's test device converts the
 * samples of a compressed 8-bit CMYK image through an uninitialised stack buffer (valgrind:
 * fz_test_fill_compressed_8bpc_image), so the same page came out colour or not at random.
 * Its pixmap path is sound; the image is decoded once here. */
static void fill_cmyk_as_rgb(fz_context *ctx, gate_t *g, fz_image *img, fz_matrix ctm, float alpha,
                             fz_color_params cp) {
    fz_pixmap *pix = NULL, *rgb = NULL;
    fz_image *im = NULL;
    fz_var(pix);
    fz_var(rgb);
    fz_var(im);
    fz_try(ctx) {
        pix = fz_get_pixmap_from_image(ctx, img, NULL, NULL, NULL, NULL);
        rgb = fz_convert_pixmap(ctx, pix, fz_device_rgb(ctx), NULL, NULL, cp, 1);
        im = fz_new_image_from_pixmap(ctx, rgb, NULL);
        fz_fill_image(ctx, g->exact, im, ctm, alpha, cp);
    }
    fz_always(ctx) {
        fz_drop_image(ctx, im);
        fz_drop_pixmap(ctx, rgb);
        fz_drop_pixmap(ctx, pix);
    }
    fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}

static void gate_fill_image(fz_context *ctx, fz_device *d, fz_image *img, fz_matrix ctm,
                            float alpha, fz_color_params cp) {
    gate_t *g = (gate_t *)d;
    int big = (long long)img->w * (long long)img->h > g->max_test_pixels;
    if (!big && img->colorspace && fz_colorspace_is_cmyk(ctx, img->colorspace))
        fill_cmyk_as_rgb(ctx, g, img, ctm, alpha, cp);
    else
        fz_fill_image(ctx, big ? g->cheap : g->exact, img, ctm, alpha, cp);
}

static void gate_drop(fz_context *ctx, fz_device *d) {
    gate_t *g = (gate_t *)d;
    fz_drop_device(ctx, g->exact);
    fz_drop_device(ctx, g->cheap);
}

/* A new gate device (MuPDF's exceptions on failure). */
static fz_device *new_gate(fz_context *ctx, long long max_test_pixels) {
    gate_t *g = fz_new_derived_device(ctx, gate_t);
    g->super.fill_path = gate_fill_path;
    g->super.stroke_path = gate_stroke_path;
    g->super.fill_text = gate_fill_text;
    g->super.stroke_text = gate_stroke_text;
    g->super.fill_image_mask = gate_fill_image_mask;
    g->super.fill_shade = gate_fill_shade;
    g->super.fill_image = gate_fill_image;
    g->super.drop_device = gate_drop;
    g->max_test_pixels = max_test_pixels;
    fz_try(ctx) {
        g->exact = fz_new_test_device(ctx, &g->exact_color, QR_PDF_COLOR_THRESHOLD,
                                      FZ_TEST_OPT_IMAGES | FZ_TEST_OPT_SHADINGS, NULL);
        g->cheap = fz_new_test_device(ctx, &g->cheap_color, QR_PDF_COLOR_THRESHOLD, 0, NULL);
    }
    fz_catch(ctx) {
        fz_drop_device(ctx, &g->super);
        fz_rethrow(ctx);
    }
    return &g->super;
}

/* Runs MuPDF over the source in r; sets r->why (and r->msg) on failure. */
static void inspect(fz_context *ctx, run_t *r, const qr_pdf_limits_t *lim) {
    fz_try(ctx) {
        r->stm = fz_new_stream(ctx, r, src_next, src_drop);
        r->stm->seek = src_seek;
        r->doc = pdf_open_document_with_stream(ctx, r->stm);
        if (pdf_needs_password(ctx, r->doc)) {
            r->why = WHY_PASSWORD;
            fz_throw(ctx, FZ_ERROR_GENERIC, "password");
        }
        if (!fz_has_permission(ctx, (fz_document *)r->doc, FZ_PERMISSION_PRINT)) {
            r->why = WHY_NO_PRINT;
            fz_throw(ctx, FZ_ERROR_GENERIC, "no print permission");
        }
        r->pages = pdf_count_pages(ctx, r->doc);
        if (r->pages <= 0 || r->pages > lim->max_pages) {
            r->why = r->pages <= 0 ? WHY_NO_PAGES : WHY_TOO_MANY;
            fz_throw(ctx, FZ_ERROR_GENERIC, "page count");
        }
        /* Every page is loaded (so the count is true, not just what /Count claims); pages
         * are drawn on the test device until one shows colour. */
        for (r->page_no = 0; r->page_no < r->pages; r->page_no++) {
            if (past_deadline(r)) {
                r->why = WHY_TIME;
                fz_throw(ctx, FZ_ERROR_GENERIC, "time");
            }
            r->why = WHY_PAGE;
            r->page = fz_load_page(ctx, (fz_document *)r->doc, (int)r->page_no);
            r->why = WHY_NONE;
            if (!r->color) {
                r->cookie.errors = 0;
                r->dev = new_gate(ctx, lim->max_test_pixels);
                gate_t *g = (gate_t *)r->dev;
                fz_try(ctx) {
                    fz_run_page(ctx, r->page, r->dev, fz_identity, &r->cookie);
                    fz_close_device(ctx, r->dev);
                }
                fz_catch(ctx) {
                    /* A test device stops a page by throwing once it has seen colour. */
                    if (fz_caught(ctx) != FZ_ERROR_ABORT || !(g->exact_color || g->cheap_color))
                        fz_rethrow(ctx);
                }
                /* Any verdict but 0 is colour: 2 from fills, strokes and text, 1 from image
                 * pixels, or (cheap device) a non-grey colour space of a large image or a
                 * mesh shading. */
                r->color = g->exact_color || g->cheap_color;
                fz_drop_device(ctx, r->dev);
                r->dev = NULL;
                /* MuPDF goes on after some errors (a refused allocation, a broken read)
                 * with what it has: stop as soon as either happened. */
                if (r->budget.refused || r->src_failed)
                    fz_throw(ctx, FZ_ERROR_GENERIC, "memory or source");
            }
            fz_drop_page(ctx, r->page);
            r->page = NULL;
        }
    }
    fz_always(ctx) {
        fz_drop_device(ctx, r->dev);
        fz_drop_page(ctx, r->page);
        pdf_drop_document(ctx, r->doc);
        fz_drop_stream(ctx, r->stm);
        r->dev = NULL;
        r->page = NULL;
        r->doc = NULL;
        r->stm = NULL;
    }
    fz_catch(ctx) {
        if (r->why == WHY_NONE || r->why == WHY_PAGE) {
            if (r->cookie.abort)
                r->why = WHY_TIME;
            else if (r->budget.refused || fz_caught(ctx) == FZ_ERROR_MEMORY)
                r->why = WHY_MEMORY;
            else if (r->why == WHY_NONE)
                r->why = r->pages ? WHY_PAGE : WHY_UNREADABLE;
        }
        snprintf(r->msg, sizeof(r->msg), "%s", fz_caught_message(ctx));
    }
    /* These win over whatever MuPDF made of them: a document read with a refused allocation
     * or a failed read may be missing pages, so it is not trusted. */
    if (r->src_failed)
        r->why = WHY_SOURCE;
    else if (r->budget.refused && r->why != WHY_TIME)
        r->why = WHY_MEMORY;
}

static qr_status_t run(run_t *r, const qr_pdf_limits_t *lim, qr_pdf_info_t *out, qr_err_t *err) {
    static const qr_pdf_limits_t defaults = {QR_PDF_MAX_PAGES, QR_PDF_MAX_MEMORY, QR_PDF_MAX_MS,
                                             QR_PDF_MAX_TEST_PIXELS};
    if (!lim)
        lim = &defaults;
    out->pages = 0;
    out->color = 0;
    r->budget.cap = lim->max_memory;
    r->budget.abort = &r->cookie.abort;
    r->budget.past = budget_past;
    r->budget.arg = r;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &r->deadline);
    r->deadline.tv_sec += (time_t)(lim->max_ms / 1000);
    r->deadline.tv_nsec += (long)(lim->max_ms % 1000) * 1000000L;
    if (r->deadline.tv_nsec >= 1000000000L) {
        r->deadline.tv_sec++;
        r->deadline.tv_nsec -= 1000000000L;
    }
    fz_alloc_context alloc = {&r->budget, qr_pdf_budget_malloc, qr_pdf_budget_realloc,
                              qr_pdf_budget_free};
    /* The store (MuPDF's cache of decoded resources) gets a quarter, so it is emptied long
     * before the budget is reached. */
    fz_context *ctx = lim->max_ms > 0 ? fz_new_context(&alloc, NULL, lim->max_memory / 4) : NULL;
    if (!ctx) {
        if (lim->max_ms <= 0)
            return qr_err_set(err, QR_E_INVALID, "invalid_document",
                              "the document takes longer than %lld ms to read", lim->max_ms);
        return qr_err_set(err, QR_E_INTERNAL, NULL,
                          "the PDF reader cannot start within %zu KiB of memory",
                          lim->max_memory >> 10);
    }
    fz_set_warning_callback(ctx, quiet, NULL);
    fz_set_error_callback(ctx, quiet, NULL);
    inspect(ctx, r, lim);
    fz_drop_context(ctx);

    const char *code = "invalid_document";
    switch (r->why) {
    case WHY_NONE:
        out->pages = r->pages;
        out->color = r->color;
        return QR_OK;
    case WHY_SOURCE:
        *err = r->src_err;
        return r->src_err.status ? r->src_err.status : QR_E_IO;
    case WHY_UNREADABLE:
        return qr_err_set(err, QR_E_INVALID, code, "the document is not a readable PDF: %s",
                          r->msg);
    case WHY_PASSWORD:
        return qr_err_set(err, QR_E_INVALID, code,
                          "the document is protected by a password; print it without one");
    case WHY_NO_PRINT:
        return qr_err_set(err, QR_E_INVALID, code,
                          "the document's permissions do not allow printing it");
    case WHY_NO_PAGES:
        return qr_err_set(err, QR_E_INVALID, code, "the document has no pages");
    case WHY_TOO_MANY:
        return qr_err_set(err, QR_E_INVALID, code,
                          "the document has %lld pages; a print job may have at most %lld",
                          r->pages, lim->max_pages);
    case WHY_PAGE:
        return qr_err_set(err, QR_E_INVALID, code,
                          "the document is not a readable PDF: page %lld cannot be read: %s",
                          r->page_no + 1, r->msg);
    case WHY_MEMORY:
        return qr_err_set(err, QR_E_INVALID, code,
                          "the document needs more than %zu KiB of memory to read",
                          lim->max_memory >> 10);
    case WHY_TIME:
        return qr_err_set(err, QR_E_INVALID, code, "the document takes longer than %lld ms to read",
                          lim->max_ms);
    }
    return qr_err_set(err, QR_E_INTERNAL, NULL, "PDF inspection failed");
}

qr_status_t qr_pdf_inspect(qr_blob_reader_t *blob, const qr_pdf_limits_t *lim, qr_pdf_info_t *out,
                           qr_err_t *err) {
    run_t *r = calloc(1, sizeof(*r));
    if (!r)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
    r->blob = blob;
    qr_status_t st = qr_blob_size(blob, &r->size, err);
    if (!st)
        st = qr_blob_seek(blob, 0, err);
    if (!st)
        st = run(r, lim, out, err);
    free(r);
    return st;
}

qr_status_t qr_pdf_inspect_buffer(const void *data, size_t len, const qr_pdf_limits_t *lim,
                                  qr_pdf_info_t *out, qr_err_t *err) {
    run_t *r = calloc(1, sizeof(*r));
    if (!r)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
    r->mem = data;
    r->size = (long long)len;
    qr_status_t st = run(r, lim, out, err);
    free(r);
    return st;
}
