/* SPDX-License-Identifier: Apache-2.0 */
/* quire: reading scanned pages. The format comes from the magic bytes; every page's size comes
 * from the headers (libjpeg for JPEG, Leptonica's parser and MuPDF for PNG, libtiff for every
 * TIFF directory, MuPDF for every PDF page at QR_SCAN_PDF_DPI) and is checked before a pixel is
 * decoded. Pixels are decoded one page at a time: libjpeg for JPEG (jpeg.c), MuPDF for PNG and
 * PDF pages (with the bounded allocator of src/print/pdf.c, which also checks the deadline; its
 * PNG decoder is silent, where libpng under Leptonica prints to stderr), Leptonica for TIFF. */
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "print/pdf.h"
#include "scan/scan_private.h"

#define PDF_MEMORY_BASE ((size_t)256 << 20) /* MuPDF's budget beyond the page's pixmap */
#define PDF_STORE ((size_t)32 << 20)        /* MuPDF's cache of decoded resources */
#define MAX_SIDE 1000000.0                  /* a PDF page side in pixels past which it is absurd */
#define COLOR_FRACTION 0.001 /* a rendered PDF page with fewer colour pixels than this is gray */

typedef enum { FMT_JPEG, FMT_PNG, FMT_TIFF, FMT_PDF } fmt_t;

static const char *const fmt_names[] = {"jpeg", "png", "tiff", "pdf"};

/* MuPDF's state for one PDF, JPEG or PNG. Heap-allocated, so that what fz_try changes survives
 * fz_catch. */
typedef struct pdfsrc {
    qr_pdf_budget_t budget; /* budget.refused: an allocation past the budget was refused */
    int warnings;           /* MuPDF's warnings: for JPEG and PNG, damage (a truncated file) */
    const qr__deadline_t *deadline;
    fz_cookie cookie;
    fz_context *ctx;
    fz_stream *stm;
    pdf_document *doc;
    fz_buffer *buf; /* JPEG, PNG: the file, shared */
    fz_image *image;
    char msg[160];
} pdfsrc_t;

struct qr__intake {
    fmt_t fmt;
    const unsigned char *data;
    size_t len;
    int pages, next;
    size_t tiff_offset; /* where the next TIFF directory is (Leptonica's multipage reader) */
    long long max_pixels, max_ms;
    const qr__deadline_t *deadline;
    pdfsrc_t *pdf;
};

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void lept_nothing(const char *msg) {
    (void)msg;
}

static void quiet_init(void) {
    setMsgSeverity(L_SEVERITY_NONE);
    leptSetStderrHandler(lept_nothing);
    TIFFSetWarningHandler(NULL);
    TIFFSetErrorHandler(NULL);
}

void qr__scan_quiet(void) {
    pthread_once(&quiet_once, quiet_init);
}

/* --- MuPDF with a budget (the allocator of src/print/pdf.c) --- */

static int pdf_past(pdfsrc_t *s) {
    if (qr__deadline_passed(s->deadline)) {
        s->cookie.abort = 1;
        return 1;
    }
    return 0;
}

/* The budget's deadline check (qr_pdf_budget_t.past). */
static int budget_past(void *arg) {
    return pdf_past(arg);
}

static void mupdf_quiet(void *user, const char *message) {
    (void)message; /* MuPDF's warnings (repairs) are not ours to log, but they are counted */
    ((pdfsrc_t *)user)->warnings++;
}

static void pdf_close(pdfsrc_t *s) {
    if (!s)
        return;
    if (s->ctx) {
        fz_drop_image(s->ctx, s->image);
        fz_drop_buffer(s->ctx, s->buf);
        pdf_drop_document(s->ctx, s->doc);
        fz_drop_stream(s->ctx, s->stm);
        fz_drop_context(s->ctx);
    }
    free(s);
}

/* The error for a MuPDF failure: time, memory, or damage (what). */
static qr_status_t pdf_error(pdfsrc_t *s, long long max_ms, const char *what, qr_err_t *err) {
    if (s->cookie.abort)
        return qr__scan_timeout(err, max_ms);
    if (s->budget.refused)
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the PDF needs more than %zu MiB of memory to read; it may be damaged "
                          "or a decompression bomb",
                          s->budget.cap >> 20);
    return qr_err_set(err, QR_E_INVALID, "invalid_image", "the PDF is not readable: %s: %s", what,
                      s->msg);
}

static qr_status_t too_large(qr_err_t *err, int page, double w, double h, long long max) {
    return qr_err_set(err, QR_E_INVALID, "image_too_large",
                      "page %d is %.0f x %.0f pixels (%.1f Mpx); a page may have at most %lld "
                      "pixels (%.0f Mpx)",
                      page, w, h, w * h / 1e6, max, (double)max / 1e6);
}

static qr_status_t page_count_error(qr_err_t *err, long long pages, int max) {
    if (pages <= 0)
        return qr_err_set(err, QR_E_INVALID, "invalid_image", "the file has no pages");
    return qr_err_set(err, QR_E_INVALID, "too_many_pages",
                      "the file has %s%lld pages; a scan may have at most %d",
                      pages > max ? "" : "more than ", pages > max ? pages : (long long)max, max);
}

/* Starts MuPDF for in, with a budget for a page of lim->max_pixels. */
static qr_status_t mu_start(qr__intake_t *in, const qr_scan_limits_t *lim, qr_err_t *err) {
    pdfsrc_t *s = calloc(1, sizeof(*s));
    if (!s)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
    in->pdf = s;
    s->deadline = in->deadline;
    long long px = lim->max_pixels > 0 ? lim->max_pixels : 0;
    s->budget.cap = PDF_MEMORY_BASE + (size_t)px * 4;
    s->budget.abort = &s->cookie.abort;
    s->budget.past = budget_past;
    s->budget.arg = s;
    if (qr__deadline_passed(s->deadline))
        return qr__scan_timeout(err, lim->max_ms);
    fz_alloc_context alloc = {&s->budget, qr_pdf_budget_malloc, qr_pdf_budget_realloc,
                              qr_pdf_budget_free};
    s->ctx = fz_new_context(&alloc, NULL, PDF_STORE);
    if (!s->ctx) {
        if (s->cookie.abort)
            return qr__scan_timeout(err, lim->max_ms);
        return qr_err_set(err, QR_E_INTERNAL, NULL, "the image reader cannot start");
    }
    fz_set_warning_callback(s->ctx, mupdf_quiet, s);
    fz_set_error_callback(s->ctx, mupdf_quiet, s);
    return QR_OK;
}

/* Opens the PDF, counts its pages and checks every page's size at QR_SCAN_PDF_DPI. */
static qr_status_t pdf_open(qr__intake_t *in, const qr_scan_limits_t *lim, qr_err_t *err) {
    qr_status_t st = mu_start(in, lim, err);
    if (st)
        return st;
    pdfsrc_t *s = in->pdf;
    fz_context *ctx = s->ctx;
    long long pages = 0;
    int bad_page = 0;
    double bw = 0, bh = 0;
    fz_page *page = NULL;
    fz_var(page);
    fz_try(ctx) {
        s->stm = fz_open_memory(ctx, in->data, in->len);
        s->doc = pdf_open_document_with_stream(ctx, s->stm);
        if (pdf_needs_password(ctx, s->doc))
            fz_throw(ctx, FZ_ERROR_GENERIC, "it is protected by a password");
        pages = pdf_count_pages(ctx, s->doc);
        if (pages > 0 && pages <= lim->max_pages) {
            for (int i = 0; i < pages && !bad_page; i++) {
                if (pdf_past(s))
                    fz_throw(ctx, FZ_ERROR_ABORT, "time limit");
                page = fz_load_page(ctx, (fz_document *)s->doc, i);
                fz_rect r = fz_bound_page(ctx, page);
                fz_drop_page(ctx, page);
                page = NULL;
                double w = (double)(r.x1 - r.x0) * QR_SCAN_PDF_DPI / 72.0;
                double h = (double)(r.y1 - r.y0) * QR_SCAN_PDF_DPI / 72.0;
                if (!(w >= 1 && h >= 1 && w < MAX_SIDE && h < MAX_SIDE) ||
                    w * h > (double)lim->max_pixels) {
                    bad_page = i + 1;
                    bw = w;
                    bh = h;
                }
            }
        }
    }
    fz_always(ctx) {
        fz_drop_page(ctx, page);
    }
    fz_catch(ctx) {
        snprintf(s->msg, sizeof(s->msg), "%s", fz_caught_message(ctx));
        st = pdf_error(s, lim->max_ms, "opening it", err);
    }
    if (st)
        return st;
    if (pages <= 0 || pages > lim->max_pages)
        return page_count_error(err, pages, lim->max_pages);
    if (bad_page) {
        if (!(bw >= 1 && bh >= 1))
            return qr_err_set(err, QR_E_INVALID, "invalid_image", "page %d of the PDF is empty",
                              bad_page);
        return too_large(err, bad_page, bw, bh, lim->max_pixels);
    }
    in->pages = (int)pages;
    return QR_OK;
}

/* A Leptonica image of a rendered RGB pixmap: 8-bit gray unless the page shows colour. */
static PIX *pix_of_pixmap(fz_context *ctx, fz_pixmap *pm) {
    int w = fz_pixmap_width(ctx, pm), h = fz_pixmap_height(ctx, pm);
    int stride = (int)fz_pixmap_stride(ctx, pm);
    const unsigned char *s = fz_pixmap_samples(ctx, pm);
    PIX *rgb = pixCreate(w, h, 32);
    if (!rgb)
        return NULL;
    l_uint32 *data = pixGetData(rgb);
    int wpl = pixGetWpl(rgb);
    for (int y = 0; y < h; y++) {
        const unsigned char *p = s + (size_t)y * (size_t)stride;
        l_uint32 *line = data + (size_t)y * (size_t)wpl;
        for (int x = 0; x < w; x++, p += 3)
            line[x] = ((l_uint32)p[0] << 24) | ((l_uint32)p[1] << 16) | ((l_uint32)p[2] << 8);
    }
    pixSetResolution(rgb, QR_SCAN_PDF_DPI, QR_SCAN_PDF_DPI);
    l_float32 pixfract = 0, colorfract = 0;
    if (pixColorFraction(rgb, 20, 244, 40, 4, &pixfract, &colorfract) == 0 &&
        pixfract * colorfract >= COLOR_FRACTION)
        return rgb;
    PIX *gray = pixConvertRGBToLuminance(rgb);
    pixDestroy(&rgb);
    if (gray)
        pixSetResolution(gray, QR_SCAN_PDF_DPI, QR_SCAN_PDF_DPI);
    return gray;
}

/* Renders page i at QR_SCAN_PDF_DPI. */
static qr_status_t pdf_render(qr__intake_t *in, int i, PIX **out, qr_err_t *err) {
    pdfsrc_t *s = in->pdf;
    fz_context *ctx = s->ctx;
    fz_page *page = NULL;
    fz_pixmap *pm = NULL;
    fz_device *dev = NULL;
    PIX *pix = NULL;
    volatile qr_status_t st = QR_OK;
    fz_var(page);
    fz_var(pm);
    fz_var(dev);
    fz_var(pix);
    s->cookie.errors = 0;
    fz_try(ctx) {
        page = fz_load_page(ctx, (fz_document *)s->doc, i);
        fz_matrix ctm = fz_scale(QR_SCAN_PDF_DPI / 72.0f, QR_SCAN_PDF_DPI / 72.0f);
        fz_irect box = fz_round_rect(fz_transform_rect(fz_bound_page(ctx, page), ctm));
        pm = fz_new_pixmap_with_bbox(ctx, fz_device_rgb(ctx), box, NULL, 0);
        fz_clear_pixmap_with_value(ctx, pm, 255);
        dev = fz_new_draw_device(ctx, fz_identity, pm);
        fz_run_page(ctx, page, dev, ctm, &s->cookie);
        fz_close_device(ctx, dev);
        /* MuPDF goes on after a refused allocation with what it has: not trusted. */
        if (s->budget.refused || s->cookie.abort)
            fz_throw(ctx, FZ_ERROR_GENERIC, "memory or time");
        pix = pix_of_pixmap(ctx, pm);
        if (!pix)
            fz_throw(ctx, FZ_ERROR_GENERIC, "out of memory");
    }
    fz_always(ctx) {
        fz_drop_device(ctx, dev);
        fz_drop_pixmap(ctx, pm);
        fz_drop_page(ctx, page);
    }
    fz_catch(ctx) {
        snprintf(s->msg, sizeof(s->msg), "%s", fz_caught_message(ctx));
        char what[32];
        snprintf(what, sizeof(what), "page %d", i + 1);
        st = pdf_error(s, in->max_ms, what, err);
    }
    if (st) {
        pixDestroy(&pix);
        return st;
    }
    *out = pix;
    return QR_OK;
}

/* --- TIFF directories through libtiff over the buffer --- */

typedef struct memtif {
    const unsigned char *p;
    toff_t size, pos;
} memtif_t;

static tmsize_t mt_read(thandle_t h, void *buf, tmsize_t n) {
    memtif_t *m = (memtif_t *)h;
    if (n < 0 || m->pos >= m->size)
        return 0;
    toff_t left = m->size - m->pos;
    if ((toff_t)n > left)
        n = (tmsize_t)left;
    memcpy(buf, m->p + m->pos, (size_t)n);
    m->pos += (toff_t)n;
    return n;
}

static tmsize_t mt_write(thandle_t h, void *buf, tmsize_t n) {
    (void)h;
    (void)buf;
    (void)n;
    return -1;
}

static toff_t mt_seek(thandle_t h, toff_t off, int whence) {
    memtif_t *m = (memtif_t *)h;
    toff_t base = whence == SEEK_END ? m->size : whence == SEEK_CUR ? m->pos : 0;
    m->pos = base + off;
    return m->pos;
}

static int mt_close(thandle_t h) {
    (void)h;
    return 0;
}

static toff_t mt_size(thandle_t h) {
    return ((memtif_t *)h)->size;
}

static int mt_map(thandle_t h, void **base, toff_t *size) {
    (void)h;
    (void)base;
    (void)size;
    return 0;
}

static void mt_unmap(thandle_t h, void *base, toff_t size) {
    (void)h;
    (void)base;
    (void)size;
}

/* Walks the TIFF's directories (at most max_pages + 1) checking every page's size. */
static qr_status_t tiff_open(qr__intake_t *in, const qr_scan_limits_t *lim, qr_err_t *err) {
    memtif_t m = {in->data, in->len, 0};
    TIFF *tif = TIFFClientOpen("upload", "rm", (thandle_t)&m, mt_read, mt_write, mt_seek, mt_close,
                               mt_size, mt_map, mt_unmap);
    if (!tif)
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the TIFF is damaged: its first directory cannot be read");
    qr_status_t st = QR_OK;
    long long n = 0;
    do {
        if (qr__deadline_passed(in->deadline)) {
            st = qr__scan_timeout(err, lim->max_ms);
            goto out;
        }
        if (++n > lim->max_pages)
            break;
        uint32_t w = 0, h = 0;
        if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) ||
            !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) || w == 0 || h == 0) {
            st = qr_err_set(err, QR_E_INVALID, "invalid_image",
                            "the TIFF is damaged: page %lld has no size", n);
            goto out;
        }
        if ((long long)w * h > lim->max_pixels) {
            st = too_large(err, (int)n, w, h, lim->max_pixels);
            goto out;
        }
    } while (TIFFReadDirectory(tif));
    if (n <= 0 || n > lim->max_pages) {
        /* Past the limit the rest of the chain is not walked: "more than max". */
        st = page_count_error(err, n > lim->max_pages ? lim->max_pages : n, lim->max_pages);
        goto out;
    }
    in->pages = (int)n;
out:
    TIFFClose(tif);
    return st;
}

/* --- PNG through MuPDF (silent and bounded: libpng under Leptonica prints to stderr); JPEG
 * through libjpeg itself (jpeg.c) --- */

/* Reads the image's header: its size, checked before anything is decoded. */
static qr_status_t image_open(qr__intake_t *in, const qr_scan_limits_t *lim, qr_err_t *err) {
    const char *name = in->fmt == FMT_JPEG ? "JPEG" : "PNG";
    if (in->fmt == FMT_JPEG) {
        int w = 0, h = 0;
        if (qr__jpeg_header(in->data, in->len, &w, &h) != 0 || w <= 0 || h <= 0)
            return qr_err_set(err, QR_E_INVALID, "invalid_image",
                              "the JPEG image is damaged: its header cannot be read");
        if ((long long)w * h > lim->max_pixels)
            return too_large(err, 1, w, h, lim->max_pixels);
        if (lim->max_pages < 1)
            return page_count_error(err, 1, lim->max_pages);
        in->pages = 1;
        return QR_OK;
    } else {
        /* The IHDR chunk is read by Leptonica's plain parser first: an absurd size is refused
         * even when nothing follows the header. */
        l_int32 w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
        if (readHeaderMemPng(in->data, in->len, &w, &h, &bps, &spp, &cmap) != 0 || w <= 0 || h <= 0)
            return qr_err_set(err, QR_E_INVALID, "invalid_image",
                              "the PNG image is damaged: its header cannot be read");
        if ((long long)w * h > lim->max_pixels)
            return too_large(err, 1, w, h, lim->max_pixels);
    }
    qr_status_t st = mu_start(in, lim, err);
    if (st)
        return st;
    pdfsrc_t *s = in->pdf;
    fz_context *ctx = s->ctx;
    int w = 0, h = 0;
    fz_try(ctx) {
        s->buf = fz_new_buffer_from_shared_data(ctx, in->data, in->len);
        s->image = fz_new_image_from_buffer(ctx, s->buf);
        w = s->image->w;
        h = s->image->h;
    }
    fz_catch(ctx) {
        snprintf(s->msg, sizeof(s->msg), "%s", fz_caught_message(ctx));
    }
    if (!s->image) {
        if (s->cookie.abort)
            return qr__scan_timeout(err, lim->max_ms);
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the %s image is damaged: its header cannot be read", name);
    }
    if (w <= 0 || h <= 0)
        return qr_err_set(err, QR_E_INVALID, "invalid_image", "the %s image is empty", name);
    if ((long long)w * h > lim->max_pixels)
        return too_large(err, 1, w, h, lim->max_pixels);
    if (lim->max_pages < 1)
        return page_count_error(err, 1, lim->max_pages);
    in->pages = 1;
    return QR_OK;
}

/* The resolution the PNG's pHYs chunk declares (0 if none). MuPDF says 96 dpi when the file
 * says nothing, and libpng (through Leptonica) prints to stderr on a bad checksum, so the
 * chunk list (length, type, data, CRC: a fixed layout) is walked here up to the first IDAT. */
static int image_resolution(const qr__intake_t *in) {
    const unsigned char *p = in->data;
    size_t at = 8;
    while (at + 12 <= in->len) {
        size_t n = (size_t)p[at] << 24 | (size_t)p[at + 1] << 16 | (size_t)p[at + 2] << 8 |
                   (size_t)p[at + 3];
        const unsigned char *type = p + at + 4;
        if (n > in->len - at - 12 || memcmp(type, "IDAT", 4) == 0)
            break;
        if (memcmp(type, "pHYs", 4) == 0 && n == 9) {
            const unsigned char *d = type + 4;
            unsigned long ppm = (unsigned long)d[0] << 24 | (unsigned long)d[1] << 16 |
                                (unsigned long)d[2] << 8 | d[3];
            if (d[8] != 1 || ppm > 1000000) /* unit 1: per metre */
                return 0;
            return (int)((double)ppm * 0.0254 + 0.5);
        }
        at += n + 12;
    }
    return 0;
}

/* Decodes the PNG: 8-bit gray or 32-bit RGB. */
static qr_status_t image_decode(qr__intake_t *in, PIX **out, qr_err_t *err) {
    pdfsrc_t *s = in->pdf;
    fz_context *ctx = s->ctx;
    fz_pixmap *pm = NULL, *conv = NULL;
    PIX *pix = NULL;
    fz_var(pm);
    fz_var(conv);
    fz_var(pix);
    s->warnings = 0;
    fz_try(ctx) {
        pm = fz_get_pixmap_from_image(ctx, s->image, NULL, NULL, NULL, NULL);
        fz_colorspace *cs = fz_pixmap_colorspace(ctx, pm);
        int gray = cs && fz_colorspace_n(ctx, cs) == 1;
        if (!cs || (!gray && fz_colorspace_type(ctx, cs) != FZ_COLORSPACE_RGB)) {
            /* MuPDF cannot drop alpha while converting: keep it, it is composed below. */
            conv = fz_convert_pixmap(ctx, pm, fz_device_rgb(ctx), NULL, NULL,
                                     fz_default_color_params, pm->alpha);
            fz_drop_pixmap(ctx, pm);
            pm = conv;
            conv = NULL;
        }
        int w = fz_pixmap_width(ctx, pm), h = fz_pixmap_height(ctx, pm);
        int n = fz_pixmap_components(ctx, pm), a = fz_pixmap_alpha(ctx, pm) ? 1 : 0;
        int colorants = n - a;
        size_t stride = (size_t)fz_pixmap_stride(ctx, pm);
        const unsigned char *smp = fz_pixmap_samples(ctx, pm);
        pix = pixCreate(w, h, colorants == 1 ? 8 : 32);
        if (!pix)
            fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory");
        l_uint32 *data = pixGetData(pix);
        size_t wpl = (size_t)pixGetWpl(pix);
        for (int y = 0; y < h; y++) {
            const unsigned char *p = smp + (size_t)y * stride;
            l_uint32 *line = data + (size_t)y * wpl;
            for (int x = 0; x < w; x++, p += n) {
                /* A transparent pixel is paper: MuPDF's samples are premultiplied, so
                 * composing over white adds what the alpha leaves uncovered. */
                unsigned white = a ? 255u - p[n - 1] : 0u;
                if (colorants == 1) {
                    SET_DATA_BYTE(line, x, p[0] + white);
                } else {
                    line[x] = ((l_uint32)(p[0] + white) << 24) | ((l_uint32)(p[1] + white) << 16) |
                              ((l_uint32)(p[2] + white) << 8);
                }
            }
        }
    }
    fz_always(ctx) {
        fz_drop_pixmap(ctx, conv);
        fz_drop_pixmap(ctx, pm);
    }
    fz_catch(ctx) {
        snprintf(s->msg, sizeof(s->msg), "%s", fz_caught_message(ctx));
        pixDestroy(&pix);
    }
    const char *name = "PNG";
    if (pix && s->warnings == 0 && !s->budget.refused) {
        int res = image_resolution(in);
        pixSetResolution(pix, res, res);
        *out = pix;
        return QR_OK;
    }
    pixDestroy(&pix);
    if (s->cookie.abort)
        return qr__scan_timeout(err, in->max_ms);
    if (s->budget.refused)
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the %s image needs more than %zu MiB of memory to decode", name,
                          s->budget.cap >> 20);
    return qr_err_set(err, QR_E_INVALID, "invalid_image",
                      "the %s image is damaged or truncated; it cannot be decoded", name);
}

/* --- the reader --- */

static int has_magic(const unsigned char *d, size_t len, const char *magic, size_t n) {
    return len >= n && memcmp(d, magic, n) == 0;
}

qr_status_t qr__intake_open(const void *data, size_t len, const qr_scan_limits_t *lim,
                            const qr__deadline_t *deadline, qr__intake_t **out, int *pages,
                            qr_err_t *err) {
    qr__scan_quiet();
    *out = NULL;
    if (pages)
        *pages = 0;
    const unsigned char *d = data;
    fmt_t fmt;
    if (!d || len == 0)
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the file is empty; accepted are JPEG, PNG, TIFF and PDF");
    if (has_magic(d, len, "\xff\xd8\xff", 3))
        fmt = FMT_JPEG;
    else if (has_magic(d, len, "\x89PNG\r\n\x1a\n", 8))
        fmt = FMT_PNG;
    else if (has_magic(d, len, "II*\0", 4) || has_magic(d, len, "MM\0*", 4))
        fmt = FMT_TIFF;
    else if (has_magic(d, len, "%PDF-", 5))
        fmt = FMT_PDF;
    else
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the file is not an image this server reads; accepted are JPEG, PNG, "
                          "TIFF (classic, not BigTIFF) and PDF");
    if (qr__deadline_passed(deadline))
        return qr__scan_timeout(err, lim->max_ms);
    qr__intake_t *in = calloc(1, sizeof(*in));
    if (!in)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
    in->fmt = fmt;
    in->data = d;
    in->len = len;
    in->max_pixels = lim->max_pixels;
    in->max_ms = lim->max_ms;
    in->deadline = deadline;
    qr_status_t st = QR_OK;
    if (fmt == FMT_PDF) {
        st = pdf_open(in, lim, err);
    } else if (fmt == FMT_TIFF) {
        st = tiff_open(in, lim, err);
    } else {
        st = image_open(in, lim, err);
    }
    if (st) {
        qr__intake_close(in);
        return st;
    }
    if (pages)
        *pages = in->pages;
    *out = in;
    return QR_OK;
}

const char *qr__intake_format(const qr__intake_t *in) {
    return fmt_names[in->fmt];
}

/* pix as 1, 8 or 32 bpp (RGB) without colormap or alpha, with a usable resolution. Consumes
 * pix; returns the new one or NULL. */
static PIX *normalize(PIX *pix) {
    PIX *t;
    if (pixGetColormap(pix)) {
        t = pixRemoveColormap(pix, REMOVE_CMAP_BASED_ON_SRC);
        pixDestroy(&pix);
        if (!(pix = t))
            return NULL;
    }
    int d = pixGetDepth(pix);
    if (d == 32 && pixGetSpp(pix) == 4) {
        t = pixAlphaBlendUniform(pix, 0xffffff00);
        pixDestroy(&pix);
        if (!(pix = t))
            return NULL;
        pixSetSpp(pix, 3);
    } else if (d != 1 && d != 8 && d != 32) {
        t = pixConvertTo8(pix, 0);
        pixDestroy(&pix);
        if (!(pix = t))
            return NULL;
    }
    int xres = pixGetXRes(pix), yres = pixGetYRes(pix);
    if (xres < QR_SCAN_MIN_DPI || xres > QR_SCAN_MAX_DPI || yres < QR_SCAN_MIN_DPI ||
        yres > QR_SCAN_MAX_DPI)
        pixSetResolution(pix, QR_SCAN_DEFAULT_DPI, QR_SCAN_DEFAULT_DPI);
    return pix;
}

qr_status_t qr__intake_next(qr__intake_t *in, PIX **out, qr_err_t *err) {
    *out = NULL;
    if (in->next >= in->pages)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "no page %d in the file", in->next + 1);
    if (qr__deadline_passed(in->deadline))
        return qr__scan_timeout(err, in->max_ms);
    int i = in->next++;
    PIX *pix = NULL;
    switch (in->fmt) {
    case FMT_PDF: {
        qr_status_t st = pdf_render(in, i, &pix, err);
        if (st)
            return st;
        break;
    }
    case FMT_JPEG: {
        qr_status_t st = qr__jpeg_decode(in->data, in->len, in->deadline, in->max_ms, &pix, err);
        if (st)
            return st;
        break;
    }
    case FMT_PNG: {
        qr_status_t st = image_decode(in, &pix, err);
        if (st)
            return st;
        break;
    }
    case FMT_TIFF:
        if (i > 0 && in->tiff_offset == 0)
            break; /* the directory chain ended early */
        pix = pixReadMemFromMultipageTiff(in->data, in->len, &in->tiff_offset);
        break;
    }
    if (!pix)
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the %s file is damaged or truncated: page %d cannot be decoded",
                          fmt_names[in->fmt], i + 1);
    if ((long long)pixGetWidth(pix) * pixGetHeight(pix) > in->max_pixels) {
        qr_status_t st = too_large(err, i + 1, pixGetWidth(pix), pixGetHeight(pix), in->max_pixels);
        pixDestroy(&pix);
        return st;
    }
    if (!(pix = normalize(pix)))
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "page %d has a pixel format that cannot be converted", i + 1);
    *out = pix;
    return QR_OK;
}

void qr__intake_close(qr__intake_t *in) {
    if (!in)
        return;
    pdf_close(in->pdf);
    free(in);
}

qr_status_t qr_scan_probe(const void *data, size_t len, const qr_scan_limits_t *lim,
                          const char **format, int *pages, qr_err_t *err) {
    qr_scan_limits_t defaults;
    if (!lim) {
        qr_scan_limits_init(&defaults);
        lim = &defaults;
    }
    qr__deadline_t dl;
    qr__deadline_set(&dl, lim->max_ms, lim->cancel);
    qr__intake_t *in = NULL;
    int n = 0;
    qr_status_t st = qr__intake_open(data, len, lim, &dl, &in, &n, err);
    if (st)
        return st;
    if (format)
        *format = qr__intake_format(in);
    if (pages)
        *pages = n;
    qr__intake_close(in);
    return QR_OK;
}
