/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the intake converter. The document's bytes are inflated (gzip, deflate) as they
 * arrive, then either passed on (PDF), gathered (JPEG, PNG: one page, read whole by MuPDF at
 * the end) or fed to libcups' raster reader (PWG, Apple raster), which pulls them through a
 * callback. The reader pulls; the network pushes: so raster input is buffered and the reader
 * is run only while QR_CONVERT_READ_AHEAD bytes are waiting (or the document has ended),
 * more than one line and one refill of its buffer can take, and it never finds the input
 * short before the end. Each line goes to the PDF writer as it is read. */
#include "print/convert.h"

#include <cups/raster.h>
#include <mupdf/fitz.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "core/mem.h"
#include "print/pdf.h"

#define ZOUT 65536 /* inflate's output buffer */

enum { R_OPEN, R_HEADER, R_LINES, R_DONE };

struct qr_convert {
    qr_convert_limits_t lim;
    qr_doc_format_t fmt;
    qr_compression_t comp;
    qr_pdfout_sink_fn sink;
    void *cls;
    qr_err_t err; /* err.status: the first failure, returned by every later call */
    long long input;
    long long used_ns;       /* time spent in the calls so far */
    struct timespec started; /* the current call's start */
    /* decompression */
    z_stream z;
    int z_on, z_end;
    unsigned char zhead[2]; /* deflate: the first bytes tell zlib-wrapped from raw */
    size_t zhead_len;
    unsigned char zout[ZOUT];
    /* application/octet-stream: the first bytes tell the format */
    unsigned char sniff[8];
    size_t sniff_len;
    /* raster */
    unsigned char *pend; /* input not yet read by libcups: pend[ppos..plen) */
    size_t plen, ppos, pcap;
    int eof, starved, rstate;
    cups_raster_t *ras;
    cups_page_header2_t h;
    unsigned line;
    unsigned char *row, *out;
    size_t out_len;
    qr_pdfout_t *pdf;
    /* JPEG, PNG */
    qr_buf_t img;
    int abort; /* MuPDF's allocator: past the deadline */
};

int qr_convert_format(const char *mime, qr_doc_format_t *out) {
    static const struct {
        const char *mime;
        qr_doc_format_t fmt;
    } known[] = {{"application/pdf", QR_DOC_PDF},  {"application/octet-stream", QR_DOC_AUTO},
                 {"image/jpeg", QR_DOC_JPEG},      {"image/png", QR_DOC_PNG},
                 {"image/pwg-raster", QR_DOC_PWG}, {"image/urf", QR_DOC_URF}};
    size_t n = mime ? strcspn(mime, "; \t") : 0;
    for (size_t i = 0; n && i < sizeof(known) / sizeof(known[0]); i++)
        if (strlen(known[i].mime) == n && strncasecmp(mime, known[i].mime, n) == 0) {
            *out = known[i].fmt;
            return 0;
        }
    return -1;
}

int qr_convert_compression(const char *name, qr_compression_t *out) {
    if (!name)
        return -1;
    if (strcmp(name, "none") == 0)
        *out = QR_COMPRESSION_NONE;
    else if (strcmp(name, "gzip") == 0)
        *out = QR_COMPRESSION_GZIP;
    else if (strcmp(name, "deflate") == 0)
        *out = QR_COMPRESSION_DEFLATE;
    else
        return -1;
    return 0;
}

/* ---- failures and time ---- */

/* Records a refusal of the document (invalid_document) and returns it. */
__attribute__((format(printf, 3, 4))) static qr_status_t refuse(qr_convert_t *c, qr_err_t *err,
                                                                const char *fmt, ...) {
    if (!c->err.status) {
        va_list ap;
        va_start(ap, fmt);
        c->err.status = QR_E_INVALID;
        c->err.code = "invalid_document";
        vsnprintf(c->err.msg, sizeof(c->err.msg), fmt, ap);
        va_end(ap);
    }
    if (err)
        *err = c->err;
    return c->err.status;
}

/* Records another failure st (the sink's, an internal one) as err describes it (a sink that
 * left err empty gets a message of its own). */
static qr_status_t failed(qr_convert_t *c, qr_status_t st, qr_err_t *err) {
    if (!c->err.status) {
        c->err = *err;
        if (!c->err.status)
            qr_err_set(&c->err, st, NULL, "the converted document could not be stored");
    }
    *err = c->err;
    return c->err.status;
}

static long long ns_since(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - t->tv_sec) * 1000000000LL + (now.tv_nsec - t->tv_nsec);
}

/* 1 once the time spent converting passes the limit. */
static int over_time(qr_convert_t *c) {
    return c->used_ns + ns_since(&c->started) > c->lim.max_ms * 1000000LL;
}

static qr_status_t refuse_time(qr_convert_t *c, qr_err_t *err) {
    return refuse(c, err, "the document takes longer than %lld ms to convert to PDF",
                  c->lim.max_ms);
}

/* ---- raster (PWG, Apple) ---- */

/* libcups' read callback: what is buffered. Short of input before the end (which the read
 * ahead rules out) it fails rather than wait. A request to fill libcups' own buffer (64 KiB
 * or more: its other reads are a header or a run of at most 128 pixels) gets one byte, so
 * that libcups holds no input of ours: a page header is then where c->ppos is, and is
 * checked before libcups reads it (raster_precheck). */
static ssize_t raster_read(void *ctx, unsigned char *buf, size_t n) {
    qr_convert_t *c = ctx;
    size_t avail = c->plen - c->ppos;
    if (!avail) {
        c->starved = !c->eof;
        return c->eof ? 0 : -1;
    }
    if (n >= QR_CONVERT_REFILL)
        n = 1;
    if (n > avail)
        n = avail;
    memcpy(buf, c->pend + c->ppos, n);
    c->ppos += n;
    return (ssize_t)n;
}

static qr_status_t sink_write(void *cls, const void *data, size_t n, qr_err_t *err) {
    qr_convert_t *c = cls;
    return c->sink(c->cls, data, n, err);
}

/* The PDF image of the page whose header is c->h, or a refusal. */
static qr_status_t raster_image(qr_convert_t *c, qr_pdfout_image_t *img, qr_err_t *err) {
    const cups_page_header2_t *h = &c->h;
    int comps = 0, invert = 0;
    switch (h->cupsColorSpace) {
    case CUPS_CSPACE_SW:
    case CUPS_CSPACE_W:
        comps = 1;
        break;
    case CUPS_CSPACE_K:
        comps = 1;
        invert = 1;
        break;
    case CUPS_CSPACE_SRGB:
    case CUPS_CSPACE_RGB:
    case CUPS_CSPACE_ADOBERGB:
        comps = 3;
        break;
    case CUPS_CSPACE_CMYK:
        comps = 4;
        break;
    default:
        return refuse(c, err,
                      "page %lld: raster colour space %d is not supported (sgray, srgb, "
                      "adobe-rgb, rgb, black and cmyk are)",
                      qr_pdfout_pages(c->pdf) + 1, (int)h->cupsColorSpace);
    }
    unsigned bits = h->cupsBitsPerColor;
    if (h->cupsColorOrder != CUPS_ORDER_CHUNKED || h->cupsNumColors != (unsigned)comps ||
        !(bits == 8 || bits == 16 || (bits == 1 && comps == 1)))
        return refuse(c, err,
                      "page %lld: %u bits per colour in %u colours is not supported (1 bit "
                      "gray or black, 8 or 16 bits, chunked)",
                      qr_pdfout_pages(c->pdf) + 1, bits, h->cupsNumColors);
    long long pixels = (long long)h->cupsWidth * h->cupsHeight;
    if (h->cupsWidth > QR_CONVERT_MAX_WIDTH || pixels > c->lim.max_page_pixels)
        return refuse(c, err,
                      "page %lld has %ux%u pixels; a page may have at most %lld pixels and %d "
                      "per line",
                      qr_pdfout_pages(c->pdf) + 1, h->cupsWidth, h->cupsHeight,
                      c->lim.max_page_pixels, QR_CONVERT_MAX_WIDTH);
    for (int i = 0; i < 2; i++)
        if (h->HWResolution[i] < QR_CONVERT_MIN_DPI || h->HWResolution[i] > QR_CONVERT_MAX_DPI)
            return refuse(c, err, "page %lld: resolution %u dpi is outside %d to %d dpi",
                          qr_pdfout_pages(c->pdf) + 1, h->HWResolution[i], QR_CONVERT_MIN_DPI,
                          QR_CONVERT_MAX_DPI);
    memset(img, 0, sizeof(*img));
    img->width = (int)h->cupsWidth;
    img->height = (int)h->cupsHeight;
    img->components = comps;
    img->bpc = bits == 1 ? 1 : 8;
    img->invert = invert;
    img->page_w = h->cupsWidth * 72.0 / h->HWResolution[0];
    img->page_h = h->cupsHeight * 72.0 / h->HWResolution[1];
    img->m[0] = img->page_w;
    img->m[3] = img->page_h;
    c->out_len = bits == 16 ? h->cupsBytesPerLine / 2 : h->cupsBytesPerLine;
    return QR_OK;
}

/* A line as read into the PDF's samples: 16-bit samples (host order once libcups has read
 * them) keep their high byte; other lines go as they are. */
static const unsigned char *raster_line(qr_convert_t *c) {
    if (c->h.cupsBitsPerColor != 16)
        return c->row;
    for (size_t i = 0; i < c->out_len; i++) {
        uint16_t v;
        memcpy(&v, c->row + 2 * i, 2);
        c->out[i] = (unsigned char)(v >> 8);
    }
    return c->out;
}

/* libcups' raster error text ("" when none). */
static const char *raster_error(void) {
    const char *s = cupsRasterErrorString();
    return s ? s : "";
}

static unsigned be32(const unsigned char *p) {
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* The size of the next page, read from its header where it waits in c->pend, before libcups
 * reads it: libcups 2.4 allocates a line of whatever width a header claims (up to 4 GiB). */
static qr_status_t raster_precheck(qr_convert_t *c, qr_err_t *err) {
    const unsigned char *h = c->pend + c->ppos;
    size_t avail = c->plen - c->ppos;
    unsigned long long w, rows, bpl;
    if (c->fmt == QR_DOC_PWG) {
        if (avail < sizeof(cups_page_header2_t))
            return QR_OK; /* the end, or a header cut short: libcups says which */
        w = be32(h + offsetof(cups_page_header2_t, cupsWidth));
        rows = be32(h + offsetof(cups_page_header2_t, cupsHeight));
        bpl = be32(h + offsetof(cups_page_header2_t, cupsBytesPerLine));
    } else {
        if (avail < 32)
            return QR_OK;
        w = be32(h + 12); /* Apple raster's page header: bits per pixel first, width at 12 */
        rows = be32(h + 16);
        bpl = w * h[0] / 8;
    }
    if (w > QR_CONVERT_MAX_WIDTH || w * rows > (unsigned long long)c->lim.max_page_pixels ||
        bpl > 8 * QR_CONVERT_MAX_WIDTH)
        return refuse(c, err,
                      "page %lld has %llux%llu pixels; a page may have at most %lld pixels and %d "
                      "per line",
                      qr_pdfout_pages(c->pdf) + 1, w, rows, c->lim.max_page_pixels,
                      QR_CONVERT_MAX_WIDTH);
    return QR_OK;
}

/* The next page's header: the page begins, or the document ends. */
static qr_status_t raster_header(qr_convert_t *c, qr_err_t *err) {
    long long page = qr_pdfout_pages(c->pdf) + 1;
    qr_status_t st = raster_precheck(c, err);
    if (st)
        return st;
    size_t errs = strlen(raster_error());
    memset(&c->h, 0, sizeof(c->h));
    if (!cupsRasterReadHeader2(c->ras, &c->h)) {
        const char *why = raster_error();
        if (c->starved)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "the raster reader ran out of input");
        if (page == 1 || strlen(why) > errs)
            return refuse(c, err, "page %lld of the raster document cannot be read%s%s", page,
                          *why ? ": " : "", why);
        c->rstate = R_DONE;
        return QR_OK;
    }
    if (page > c->lim.max_pages)
        return refuse(c, err,
                      "the document has more than %lld pages; a print job may have at "
                      "most %lld",
                      c->lim.max_pages, c->lim.max_pages);
    qr_pdfout_image_t img;
    st = raster_image(c, &img, err);
    if (st)
        return st;
    free(c->row);
    free(c->out);
    c->row = malloc(c->h.cupsBytesPerLine);
    c->out = malloc(c->out_len ? c->out_len : 1);
    if (!c->row || !c->out)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory for a raster line");
    c->line = 0;
    c->rstate = R_LINES;
    return qr_pdfout_page_begin(c->pdf, &img, err);
}

/* One step of the raster reader: open, a page header, or one line. */
static qr_status_t raster_step(qr_convert_t *c, qr_err_t *err) {
    if (c->rstate == R_OPEN) {
        const char *magic = c->fmt == QR_DOC_PWG ? "RaS2" : "UNIRAST";
        size_t mlen = c->fmt == QR_DOC_PWG ? 4 : 8;
        if (c->plen - c->ppos < mlen || memcmp(c->pend + c->ppos, magic, mlen) != 0)
            return refuse(c, err, "the document is not %s (it must begin with \"%s\")",
                          c->fmt == QR_DOC_PWG ? "PWG raster" : "Apple raster (URF)", magic);
        c->ras = cupsRasterOpenIO(raster_read, c, CUPS_RASTER_READ);
        if (!c->ras)
            return refuse(c, err, "the raster document cannot be read: %s", raster_error());
        c->rstate = R_HEADER;
        return QR_OK;
    }
    if (c->rstate == R_HEADER)
        return raster_header(c, err);
    if (!cupsRasterReadPixels(c->ras, c->row, c->h.cupsBytesPerLine)) {
        if (c->starved)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "the raster reader ran out of input");
        return refuse(c, err, "page %lld of the raster document ends at line %u of %u",
                      qr_pdfout_pages(c->pdf) + 1, c->line, c->h.cupsHeight);
    }
    qr_status_t st = qr_pdfout_page_data(c->pdf, raster_line(c), c->out_len, err);
    if (!st && ++c->line == c->h.cupsHeight) {
        st = qr_pdfout_page_end(c->pdf, err);
        c->rstate = R_HEADER;
    }
    return st;
}

/* Runs the reader as far as the buffered input allows, then keeps what is left. */
static qr_status_t raster_run(qr_convert_t *c, qr_err_t *err) {
    qr_status_t st = QR_OK;
    while (!st && c->rstate != R_DONE && (c->eof || c->plen - c->ppos >= QR_CONVERT_READ_AHEAD)) {
        st = raster_step(c, err);
        if (!st && over_time(c))
            st = refuse_time(c, err);
    }
    if (c->ppos) {
        memmove(c->pend, c->pend + c->ppos, c->plen - c->ppos);
        c->plen -= c->ppos;
        c->ppos = 0;
    }
    return st;
}

/* Raster input: buffered up to twice the read-ahead whatever the size of the pieces, the
 * reader run after each fill. */
static qr_status_t raster_input(qr_convert_t *c, const void *data, size_t n, qr_err_t *err) {
    if (!c->pend) {
        c->pcap = 2 * QR_CONVERT_READ_AHEAD;
        c->pend = malloc(c->pcap);
        if (!c->pend)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory for raster input");
    }
    const unsigned char *d = data;
    qr_status_t st = QR_OK;
    do {
        if (c->rstate == R_DONE)
            return QR_OK; /* bytes after the last page */
        size_t take = c->pcap - c->plen < n ? c->pcap - c->plen : n;
        if (take) { /* at the end, data may be NULL */
            memcpy(c->pend + c->plen, d, take);
            d += take;
        }
        c->plen += take;
        n -= take;
        st = raster_run(c, err);
    } while (!st && n);
    return st;
}

/* ---- JPEG, PNG ---- */

static int image_past(void *arg) {
    qr_convert_t *c = arg;
    if (over_time(c))
        c->abort = 1;
    return c->abort;
}

/* Where an image of w x h pixels at xres x yres dpi, turned by EXIF orientation o, goes on
 * the image page: the page's size into img and the matrix from the image's unit square. */
static void image_place(qr_pdfout_image_t *img, int w, int h, int xres, int yres, int o) {
    static const double turn[9][6] = {
        {1, 0, 0, 1, 0, 0},   {1, 0, 0, 1, 0, 0},  {-1, 0, 0, 1, 1, 0},
        {-1, 0, 0, -1, 1, 1}, {1, 0, 0, -1, 0, 1}, {0, -1, -1, 0, 1, 1},
        {0, -1, 1, 0, 0, 1},  {0, 1, 1, 0, 0, 0},  {0, 1, -1, 0, 1, 0}};
    if (o < 1 || o > 8)
        o = 1;
    double dw = w * 72.0 / (xres > 0 ? xres : 72), dh = h * 72.0 / (yres > 0 ? yres : 72);
    if (o >= 5) { /* a quarter turn: the displayed image is the stored one on its side */
        double t = dw;
        dw = dh;
        dh = t;
    }
    int landscape = dw > dh;
    img->page_w = landscape ? QR_CONVERT_IMAGE_PAGE_H : QR_CONVERT_IMAGE_PAGE_W;
    img->page_h = landscape ? QR_CONVERT_IMAGE_PAGE_W : QR_CONVERT_IMAGE_PAGE_H;
    double aw = img->page_w - 2 * QR_CONVERT_IMAGE_MARGIN;
    double ah = img->page_h - 2 * QR_CONVERT_IMAGE_MARGIN;
    double s = aw / dw < ah / dh ? aw / dw : ah / dh;
    if (s > 1)
        s = 1;
    dw *= s;
    dh *= s;
    double x = (img->page_w - dw) / 2, y = (img->page_h - dh) / 2;
    const double *t = turn[o];
    img->m[0] = dw * t[0];
    img->m[1] = dh * t[1];
    img->m[2] = dw * t[2];
    img->m[3] = dh * t[3];
    img->m[4] = dw * t[4] + x;
    img->m[5] = dh * t[5] + y;
}

/* A PNG's pixels as 8-bit gray or RGB rows, alpha composed over white, into the page. */
static void png_rows(fz_context *ctx, qr_convert_t *c, fz_pixmap *pix, qr_err_t *err) {
    int comps = pix->n - pix->alpha;
    size_t w = (size_t)pix->w;
    unsigned char *line = fz_malloc(ctx, w * (size_t)comps);
    fz_try(ctx) {
        for (int y = 0; y < pix->h; y++) {
            const unsigned char *s = pix->samples + (size_t)y * pix->stride;
            for (size_t x = 0; x < w; x++, s += pix->n)
                for (int k = 0; k < comps; k++) /* samples are premultiplied */
                    line[x * comps + k] =
                        (unsigned char)(pix->alpha ? s[k] + 255 - s[comps] : s[k]);
            if (qr_pdfout_page_data(c->pdf, line, w * (size_t)comps, err))
                fz_throw(ctx, FZ_ERROR_GENERIC, "sink");
            if (image_past(c))
                fz_throw(ctx, FZ_ERROR_ABORT, "time");
        }
    }
    fz_always(ctx) fz_free(ctx, line);
    fz_catch(ctx) fz_rethrow(ctx);
}

/* Reads the gathered image with MuPDF and writes its page: a JPEG as it is (DCTDecode), a PNG
 * decoded and recompressed. Sets c->err on failure. */
static void image_convert(fz_context *ctx, qr_convert_t *c, qr_err_t *err) {
    fz_buffer *buf = NULL;
    fz_image *im = NULL;
    fz_pixmap *pix = NULL, *rgb = NULL;
    fz_var(buf);
    fz_var(im);
    fz_var(pix);
    fz_var(rgb);
    fz_try(ctx) {
        buf = fz_new_buffer_from_shared_data(ctx, (const unsigned char *)c->img.ptr, c->img.len);
        im = fz_new_image_from_buffer(ctx, buf);
        fz_compressed_buffer *cb = fz_compressed_image_buffer(ctx, im);
        int type = cb ? cb->params.type : FZ_IMAGE_UNKNOWN;
        int want = c->fmt == QR_DOC_JPEG ? FZ_IMAGE_JPEG : FZ_IMAGE_PNG;
        if (type != want || (im->n != 1 && im->n != 3 && im->n != 4))
            fz_throw(ctx, FZ_ERROR_GENERIC, "not a %s", want == FZ_IMAGE_JPEG ? "JPEG" : "PNG");
        if ((long long)im->w * im->h > c->lim.max_page_pixels) {
            refuse(c, err, "the image has %dx%d pixels; at most %lld are allowed", im->w, im->h,
                   c->lim.max_page_pixels);
            fz_throw(ctx, FZ_ERROR_GENERIC, "pixels");
        }
        qr_pdfout_image_t img = {0};
        int xres, yres;
        fz_image_resolution(im, &xres, &yres);
        image_place(&img, im->w, im->h, xres, yres, fz_image_orientation(ctx, im));
        img.width = im->w;
        img.height = im->h;
        img.bpc = 8;
        if (type == FZ_IMAGE_JPEG) {
            img.components = im->n;
            img.invert = im->n == 4 && im->invert_cmyk_jpeg;
            img.dct = 1;
            if (qr_pdfout_page_begin(c->pdf, &img, err) ||
                qr_pdfout_page_data(c->pdf, c->img.ptr, c->img.len, err))
                fz_throw(ctx, FZ_ERROR_GENERIC, "sink");
        } else {
            pix = fz_get_pixmap_from_image(ctx, im, NULL, NULL, NULL, NULL);
            fz_colorspace *cs = pix->colorspace;
            if (!cs || (cs != fz_device_gray(ctx) && cs != fz_device_rgb(ctx))) {
                rgb = fz_convert_pixmap(ctx, pix, fz_device_rgb(ctx), NULL, NULL,
                                        fz_default_color_params, 1);
                fz_drop_pixmap(ctx, pix);
                pix = rgb;
                rgb = NULL;
            }
            img.components = pix->n - pix->alpha;
            if (qr_pdfout_page_begin(c->pdf, &img, err))
                fz_throw(ctx, FZ_ERROR_GENERIC, "sink");
            png_rows(ctx, c, pix, err);
        }
        if (qr_pdfout_page_end(c->pdf, err))
            fz_throw(ctx, FZ_ERROR_GENERIC, "sink");
    }
    fz_always(ctx) {
        fz_drop_pixmap(ctx, rgb);
        fz_drop_pixmap(ctx, pix);
        fz_drop_image(ctx, im);
        fz_drop_buffer(ctx, buf);
    }
    fz_catch(ctx) {
        if (c->err.status) /* refused above */
            *err = c->err;
        else if (err->status)
            failed(c, err->status, err);
        else if (c->abort)
            refuse_time(c, err);
        else if (fz_caught(ctx) == FZ_ERROR_MEMORY)
            refuse(c, err, "the image needs more than %zu MiB of memory to convert",
                   c->lim.max_memory >> 20);
        else
            refuse(c, err, "the document is not a readable %s image: %s",
                   c->fmt == QR_DOC_JPEG ? "JPEG" : "PNG", fz_caught_message(ctx));
    }
}

static void quiet(void *user, const char *message) {
    (void)user;
    (void)message;
}

static qr_status_t image_finish(qr_convert_t *c, qr_err_t *err) {
    qr_pdf_budget_t budget = {0, c->lim.max_memory, 0, &c->abort, image_past, c};
    fz_alloc_context alloc = {&budget, qr_pdf_budget_malloc, qr_pdf_budget_realloc,
                              qr_pdf_budget_free};
    fz_context *ctx = fz_new_context(&alloc, NULL, c->lim.max_memory / 4);
    if (!ctx)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "the image reader cannot start");
    fz_set_warning_callback(ctx, quiet, NULL);
    fz_set_error_callback(ctx, quiet, NULL);
    err->status = QR_OK;
    image_convert(ctx, c, err);
    fz_drop_context(ctx);
    if (c->err.status)
        *err = c->err;
    return c->err.status;
}

/* ---- the document's bytes ---- */

/* Decompressed (or plain) bytes of the document, by format. */
static qr_status_t plain(qr_convert_t *c, const void *data, size_t n, qr_err_t *err) {
    if (!n)
        return QR_OK;
    switch (c->fmt) {
    case QR_DOC_PDF:
        return c->sink(c->cls, data, n, err);
    case QR_DOC_JPEG:
    case QR_DOC_PNG:
        if (qr_buf_append(&c->img, data, n) != QR_OK)
            return refuse(c, err, "the image is larger than %zu MiB; an image may be at most that",
                          c->lim.max_image_bytes >> 20);
        return QR_OK;
    default:
        return raster_input(c, data, n, err);
    }
}

/* application/octet-stream: the format from the first 8 bytes (fewer at the end). */
static qr_status_t sniff(qr_convert_t *c, const void *data, size_t n, qr_err_t *err) {
    size_t take = sizeof(c->sniff) - c->sniff_len;
    if (take > n)
        take = n;
    if (take) /* at the end, data may be NULL */
        memcpy(c->sniff + c->sniff_len, data, take);
    c->sniff_len += take;
    if (c->sniff_len < sizeof(c->sniff) && !c->eof)
        return QR_OK;
    static const struct {
        const char *magic;
        size_t len;
        qr_doc_format_t fmt;
    } magics[] = {{"%PDF-", 5, QR_DOC_PDF},
                  {"RaS2", 4, QR_DOC_PWG},
                  {"UNIRAST", 8, QR_DOC_URF},
                  {"\xff\xd8\xff", 3, QR_DOC_JPEG},
                  {"\x89PNG\r\n\x1a\n", 8, QR_DOC_PNG}};
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if (c->sniff_len >= magics[i].len && memcmp(c->sniff, magics[i].magic, magics[i].len) == 0)
            c->fmt = magics[i].fmt;
    if (c->fmt == QR_DOC_AUTO)
        return refuse(c, err,
                      "the document is none of PDF, JPEG, PNG, PWG raster and Apple "
                      "raster; send it as one of them");
    qr_status_t st = plain(c, c->sniff, c->sniff_len, err);
    return st ? st : plain(c, (const char *)data + take, n - take, err);
}

static qr_status_t route(qr_convert_t *c, const void *data, size_t n, qr_err_t *err) {
    return c->fmt == QR_DOC_AUTO ? sniff(c, data, n, err) : plain(c, data, n, err);
}

/* Starts inflate once the first two bytes are known (deflate: zlib-wrapped or raw). */
static qr_status_t inflate_start(qr_convert_t *c, qr_err_t *err) {
    int bits = 16 + 15;
    if (c->comp == QR_COMPRESSION_DEFLATE) {
        unsigned cmf = c->zhead[0], flg = c->zhead[1];
        int zlib = c->zhead_len == 2 && (cmf & 0x0f) == 8 && (cmf * 256 + flg) % 31 == 0;
        bits = zlib ? 15 : -15;
    }
    memset(&c->z, 0, sizeof(c->z));
    if (inflateInit2(&c->z, bits) != Z_OK)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "zlib cannot start");
    c->z_on = 1;
    return QR_OK;
}

/* Inflates n bytes of input and routes what comes out. */
static qr_status_t inflate_bytes(qr_convert_t *c, const unsigned char *data, size_t n,
                                 qr_err_t *err) {
    c->z.next_in = (unsigned char *)(uintptr_t)data;
    c->z.avail_in = (uInt)n;
    while (c->z.avail_in && !c->z_end) {
        c->z.next_out = c->zout;
        c->z.avail_out = ZOUT;
        int rc = inflate(&c->z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && c->z.avail_out == 0))
            return refuse(c, err, "the %s-compressed document is damaged: %s",
                          c->comp == QR_COMPRESSION_GZIP ? "gzip" : "deflate",
                          c->z.msg ? c->z.msg : "bad data");
        c->z_end = rc == Z_STREAM_END;
        qr_status_t st = route(c, c->zout, ZOUT - c->z.avail_out, err);
        if (st)
            return st;
        if (over_time(c))
            return refuse_time(c, err);
    }
    return QR_OK;
}

static qr_status_t compressed(qr_convert_t *c, const unsigned char *data, size_t n, qr_err_t *err) {
    if (!c->z_on) {
        while (n && c->zhead_len < 2) {
            c->zhead[c->zhead_len++] = *data++;
            n--;
        }
        if (c->zhead_len < 2 && !c->eof)
            return QR_OK;
        qr_status_t st = inflate_start(c, err);
        if (!st)
            st = inflate_bytes(c, c->zhead, c->zhead_len, err);
        if (st)
            return st;
    }
    return inflate_bytes(c, data, n, err);
}

qr_convert_t *qr_convert_create(const qr_convert_limits_t *lim, qr_doc_format_t fmt,
                                qr_compression_t comp, qr_pdfout_sink_fn sink, void *cls) {
    static const qr_convert_limits_t defaults = {QR_CONVERT_MAX_PAGES,  QR_CONVERT_MAX_PAGE_PIXELS,
                                                 QR_CONVERT_MAX_MS,     QR_CONVERT_MAX_IMAGE_BYTES,
                                                 QR_CONVERT_MAX_MEMORY, -1};
    qr_convert_t *c = qr_xcalloc(1, sizeof(*c));
    c->lim = lim ? *lim : defaults;
    c->fmt = fmt;
    c->comp = comp;
    c->sink = sink;
    c->cls = cls;
    c->pdf = qr_pdfout_create(sink_write, c);
    qr_buf_init(&c->img, c->lim.max_image_bytes);
    return c;
}

/* Starts timing a call; returns the stored failure, if any. */
static qr_status_t enter(qr_convert_t *c, qr_err_t *err) {
    clock_gettime(CLOCK_MONOTONIC, &c->started);
    if (c->err.status)
        *err = c->err;
    return c->err.status;
}

static qr_status_t leave(qr_convert_t *c, qr_status_t st, qr_err_t *err) {
    c->used_ns += ns_since(&c->started);
    return st ? failed(c, st, err) : QR_OK;
}

qr_status_t qr_convert_write(qr_convert_t *c, const void *data, size_t n, qr_err_t *err) {
    qr_status_t st = enter(c, err);
    if (st)
        return st;
    c->input += (long long)n;
    if (c->lim.max_input >= 0 && c->input > c->lim.max_input)
        return leave(c,
                     qr_err_set(err, QR_E_TOO_LARGE, NULL,
                                "a print job may be at most %lld MB as sent",
                                c->lim.max_input >> 20),
                     err);
    st = c->comp ? compressed(c, data, n, err) : route(c, data, n, err);
    return leave(c, st, err);
}

qr_status_t qr_convert_finish(qr_convert_t *c, qr_err_t *err) {
    qr_status_t st = enter(c, err);
    if (st)
        return st;
    c->eof = 1;
    if (c->comp) {
        st = compressed(c, NULL, 0, err);
        if (!st && !c->z_end)
            st = refuse(c, err, "the %s-compressed document is cut short",
                        c->comp == QR_COMPRESSION_GZIP ? "gzip" : "deflate");
    }
    if (!st && c->fmt == QR_DOC_AUTO)
        st = sniff(c, NULL, 0, err);
    if (!st && (c->fmt == QR_DOC_PWG || c->fmt == QR_DOC_URF)) {
        st = raster_run(c, err);
        if (!st)
            st = qr_pdfout_finish(c->pdf, err);
    } else if (!st && (c->fmt == QR_DOC_JPEG || c->fmt == QR_DOC_PNG)) {
        st = image_finish(c, err);
        if (!st)
            st = qr_pdfout_finish(c->pdf, err);
    }
    return leave(c, st, err);
}

long long qr_convert_pages(const qr_convert_t *c) {
    return qr_pdfout_pages(c->pdf);
}

void qr_convert_destroy(qr_convert_t *c) {
    if (!c)
        return;
    if (c->z_on)
        inflateEnd(&c->z);
    if (c->ras)
        cupsRasterClose(c->ras);
    qr_pdfout_destroy(c->pdf);
    qr_buf_free(&c->img);
    free(c->pend);
    free(c->row);
    free(c->out);
    free(c);
}

static qr_status_t buf_sink(void *cls, const void *data, size_t n, qr_err_t *err) {
    if (qr_buf_append(cls, data, n) == QR_OK)
        return QR_OK;
    return qr_err_set(err, QR_E_TOO_LARGE, NULL, "the PDF is larger than the output buffer");
}

qr_status_t qr_convert_buffer(const void *data, size_t len, qr_doc_format_t fmt,
                              qr_compression_t comp, const qr_convert_limits_t *lim, qr_buf_t *out,
                              qr_err_t *err) {
    qr_convert_t *c = qr_convert_create(lim, fmt, comp, buf_sink, out);
    qr_status_t st = qr_convert_write(c, data, len, err);
    if (!st)
        st = qr_convert_finish(c, err);
    qr_convert_destroy(c);
    return st;
}
