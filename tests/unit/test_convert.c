/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the intake converter (PRN-1): PWG and Apple raster written here with libcups' own
 * raster writer, JPEG with libjpeg, PNG with MuPDF, gzip and deflate with zlib; every
 * converted PDF is checked by the job's PDF inspection (pages, colour), as a job would be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cups/raster.h>
#include <stdio.h>
/* after stdio.h, which it needs */
#include <jpeglib.h>
#include <mupdf/fitz.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "print/convert.h"
#include "print/pdf.h"

#define OUT_MAX ((size_t)256 << 20)

static ssize_t buf_write(void *ctx, unsigned char *data, size_t n) {
    return qr_buf_append(ctx, data, n) == QR_OK ? (ssize_t)n : -1;
}

/* A raster document (mode: CUPS_RASTER_WRITE_PWG or _APPLE) of pages pages of w x h pixels
 * at dpi of PWG type type (sgray_8, srgb_8, black_1, srgb_16, cmyk_8); page color_page (from
 * 1; 0 none) has a red square, the others grey stripes. noise fills lines with random bytes
 * (so that they do not compress). */
static qr_buf_t raster(cups_mode_t mode, const char *type, int pages, unsigned w, unsigned h,
                       unsigned dpi, int color_page, int noise) {
    qr_buf_t b;
    qr_buf_init(&b, OUT_MAX);
    cups_raster_t *r = cupsRasterOpenIO(buf_write, &b, mode);
    assert_non_null(r);
    pwg_media_t *media = pwgMediaForSize((int)(w * 2540 / dpi), (int)(h * 2540 / dpi));
    assert_non_null(media);
    cups_page_header2_t hd;
    assert_true(cupsRasterInitPWGHeader(&hd, media, type, (int)dpi, (int)dpi, "one-sided", NULL));
    hd.cupsWidth = w;
    hd.cupsHeight = h;
    hd.cupsBytesPerLine = (w * hd.cupsBitsPerPixel + 7) / 8;
    unsigned bpp = hd.cupsBitsPerPixel;
    unsigned char *line = malloc(hd.cupsBytesPerLine);
    unsigned seed = 1;
    for (int p = 1; p <= pages; p++) {
        assert_true(cupsRasterWriteHeader2(r, &hd));
        for (unsigned y = 0; y < h; y++) {
            int white = hd.cupsColorSpace == CUPS_CSPACE_K ? 0 : 0xff;
            memset(line, white, hd.cupsBytesPerLine);
            if (noise) {
                for (unsigned i = 0; i < hd.cupsBytesPerLine; i++)
                    line[i] = (unsigned char)(rand_r(&seed) >> 7);
                if (bpp == 24) /* keep it grey */
                    for (unsigned i = 0; i + 2 < hd.cupsBytesPerLine; i += 3)
                        line[i + 1] = line[i + 2] = line[i];
            } else if (y % 8 == 0) {
                memset(line, white ^ 0x80, hd.cupsBytesPerLine / 2);
            }
            if (p == color_page && y > h / 4 && y < h / 2)
                for (unsigned x = w / 4; x < w / 2; x++) {
                    if (bpp == 24) {
                        line[3 * x] = 0xff;
                        line[3 * x + 1] = line[3 * x + 2] = 0;
                    } else if (bpp == 48) {
                        memset(line + 6 * x, 0xff, 2);
                        memset(line + 6 * x + 2, 0, 4);
                    } else if (bpp == 32) {
                        line[4 * x] = 0;
                        line[4 * x + 1] = line[4 * x + 2] = 0xff;
                        line[4 * x + 3] = 0;
                    }
                }
            assert_int_equal(cupsRasterWritePixels(r, line, hd.cupsBytesPerLine),
                             hd.cupsBytesPerLine);
        }
    }
    cupsRasterClose(r);
    free(line);
    return b;
}

static qr_status_t test_sink(void *cls, const void *data, size_t n, qr_err_t *err) {
    (void)err;
    return qr_buf_append(cls, data, n);
}

/* Converts in into out (in pieces of chunk bytes, 0: at once). */
static qr_status_t convert(const qr_buf_t *in, qr_doc_format_t fmt, qr_compression_t comp,
                           const qr_convert_limits_t *lim, size_t chunk, qr_buf_t *out,
                           qr_err_t *err) {
    qr_buf_init(out, OUT_MAX);
    if (!chunk)
        return qr_convert_buffer(in->ptr, in->len, fmt, comp, lim, out, err);
    qr_convert_t *c = qr_convert_create(lim, fmt, comp, test_sink, out);
    qr_status_t st = QR_OK;
    for (size_t off = 0; !st && off < in->len; off += chunk)
        st = qr_convert_write(c, in->ptr + off, in->len - off < chunk ? in->len - off : chunk, err);
    if (!st)
        st = qr_convert_finish(c, err);
    qr_convert_destroy(c);
    return st;
}

/* The pages and colour of a converted PDF, as the job's inspection finds them. */
static qr_pdf_info_t inspect(const qr_buf_t *pdf) {
    qr_pdf_info_t info = {0, 0};
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_pdf_inspect_buffer(pdf->ptr, pdf->len, NULL, &info, &err);
    if (st)
        fail_msg("inspection: %s", err.msg);
    return info;
}

/* Converts in (format fmt) and checks the PDF has pages pages and colour color. */
static void expect(qr_buf_t *in, qr_doc_format_t fmt, qr_compression_t comp, long long pages,
                   int color) {
    qr_buf_t out;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = convert(in, fmt, comp, NULL, 0, &out, &err);
    if (st)
        fail_msg("conversion: %s", err.msg);
    qr_pdf_info_t info = inspect(&out);
    assert_int_equal(info.pages, pages);
    assert_int_equal(info.color, color);
    qr_buf_free(&out);
}

/* Converts in and checks it is refused (status st) with a message containing what. */
static void expect_refused(qr_buf_t *in, qr_doc_format_t fmt, qr_compression_t comp,
                           const qr_convert_limits_t *lim, qr_status_t want, const char *what) {
    qr_buf_t out;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = convert(in, fmt, comp, lim, 0, &out, &err);
    assert_int_equal(st, want);
    if (!strstr(err.msg, what))
        fail_msg("message \"%s\" does not say \"%s\"", err.msg, what);
    if (want == QR_E_INVALID)
        assert_string_equal(qr_err_code(&err), "invalid_document");
    qr_buf_free(&out);
}

static void pwg_gray_pages(void **state) {
    (void)state;
    qr_buf_t in = raster(CUPS_RASTER_WRITE_PWG, "sgray_8", 3, 200, 300, 100, 0, 0);
    expect(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, 3, 0);
    expect(&in, QR_DOC_AUTO, QR_COMPRESSION_NONE, 3, 0); /* application/octet-stream */
    qr_buf_free(&in);
}

static void pwg_colour_page(void **state) {
    (void)state;
    qr_buf_t in = raster(CUPS_RASTER_WRITE_PWG, "srgb_8", 4, 200, 300, 100, 3, 0);
    expect(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, 4, 1);
    qr_buf_free(&in);
    /* sRGB pages that are grey are monochrome */
    in = raster(CUPS_RASTER_WRITE_PWG, "srgb_8", 2, 200, 300, 100, 0, 0);
    expect(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, 2, 0);
    qr_buf_free(&in);
}

static void pwg_other_types(void **state) {
    (void)state;
    qr_buf_t in = raster(CUPS_RASTER_WRITE_PWG, "black_1", 2, 200, 300, 100, 0, 0);
    expect(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, 2, 0);
    qr_buf_free(&in);
    in = raster(CUPS_RASTER_WRITE_PWG, "srgb_16", 2, 100, 100, 100, 2, 0);
    expect(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, 2, 1);
    qr_buf_free(&in);
    in = raster(CUPS_RASTER_WRITE_PWG, "cmyk_8", 1, 100, 100, 100, 1, 0);
    expect(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, 1, 1);
    qr_buf_free(&in);
}

static void urf_pages(void **state) {
    (void)state;
    qr_buf_t in = raster(CUPS_RASTER_WRITE_APPLE, "srgb_8", 2, 150, 200, 100, 2, 0);
    expect(&in, QR_DOC_URF, QR_COMPRESSION_NONE, 2, 1);
    expect(&in, QR_DOC_AUTO, QR_COMPRESSION_NONE, 2, 1);
    qr_buf_free(&in);
    in = raster(CUPS_RASTER_WRITE_APPLE, "sgray_8", 3, 150, 200, 100, 0, 0);
    expect(&in, QR_DOC_URF, QR_COMPRESSION_NONE, 3, 0);
    /* the wrong format named: refused, with what was expected */
    expect_refused(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "\"RaS2\"");
    qr_buf_free(&in);
}

/* Raster arriving in pieces, larger than the read-ahead, gives the same PDF as at once. */
static void raster_in_pieces(void **state) {
    (void)state;
    qr_buf_t in = raster(CUPS_RASTER_WRITE_PWG, "srgb_8", 2, 1000, 700, 100, 0, 1);
    assert_true(in.len > 2 * QR_CONVERT_READ_AHEAD);
    qr_buf_t whole, pieces;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(convert(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, 0, &whole, &err), QR_OK);
    static const size_t sizes[] = {97, 4093, 65536, (size_t)3 << 20};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        qr_status_t st =
            convert(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, sizes[s], &pieces, &err);
        if (st)
            fail_msg("in pieces of %zu: %s", sizes[s], err.msg);
        assert_int_equal(pieces.len, whole.len);
        assert_memory_equal(pieces.ptr, whole.ptr, whole.len);
        qr_buf_free(&pieces);
    }
    qr_pdf_info_t info = inspect(&whole);
    assert_int_equal(info.pages, 2);
    assert_int_equal(info.color, 0);
    qr_buf_free(&whole);
    qr_buf_free(&in);
}

/* in compressed: gzip (RFC 1952), zlib (RFC 1950, what libcups sends as "deflate") or raw
 * deflate (RFC 1951). */
static qr_buf_t squeeze(const qr_buf_t *in, int window_bits) {
    qr_buf_t b;
    qr_buf_init(&b, OUT_MAX);
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    unsigned char out[16384];
    z.next_in = (unsigned char *)in->ptr;
    z.avail_in = (uInt)in->len;
    int rc;
    do {
        z.next_out = out;
        z.avail_out = sizeof(out);
        rc = deflate(&z, Z_FINISH);
        qr_buf_append(&b, out, sizeof(out) - z.avail_out);
    } while (rc != Z_STREAM_END);
    deflateEnd(&z);
    return b;
}

/* A one-page PDF with a red square. */
static qr_buf_t small_pdf(void) {
    static const char *const objs[] = {
        "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        "<< /Length 24 >>\nstream\n1 0 0 rg 10 10 50 50 re f\nendstream"};
    qr_buf_t b;
    qr_buf_init(&b, OUT_MAX);
    long off[4];
    char s[256];
    qr_buf_puts(&b, "%PDF-1.4\n");
    for (int i = 0; i < 4; i++) {
        off[i] = (long)b.len;
        snprintf(s, sizeof(s), "%d 0 obj\n", i + 1);
        qr_buf_puts(&b, s);
        qr_buf_puts(&b, objs[i]);
        qr_buf_puts(&b, "\nendobj\n");
    }
    long xref = (long)b.len;
    qr_buf_puts(&b, "xref\n0 5\n0000000000 65535 f \n");
    for (int i = 0; i < 4; i++) {
        snprintf(s, sizeof(s), "%010ld 00000 n \n", off[i]);
        qr_buf_puts(&b, s);
    }
    snprintf(s, sizeof(s), "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", xref);
    qr_buf_puts(&b, s);
    return b;
}

static void compressed_pdf_and_raster(void **state) {
    (void)state;
    qr_buf_t pdf = small_pdf();
    static const struct {
        int bits;
        qr_compression_t comp;
    } kinds[] = {{16 + 15, QR_COMPRESSION_GZIP},
                 {15, QR_COMPRESSION_DEFLATE},
                 {-15, QR_COMPRESSION_DEFLATE}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        qr_buf_t z = squeeze(&pdf, kinds[k].bits), out;
        qr_err_t err = {QR_OK, NULL, ""};
        /* a PDF comes out as it went in, whole or in pieces */
        for (size_t chunk = 0; chunk <= 7; chunk += 7) {
            assert_int_equal(convert(&z, QR_DOC_PDF, kinds[k].comp, NULL, chunk, &out, &err),
                             QR_OK);
            assert_int_equal(out.len, pdf.len);
            assert_memory_equal(out.ptr, pdf.ptr, pdf.len);
            qr_buf_free(&out);
        }
        expect(&z, QR_DOC_AUTO, kinds[k].comp, 1, 1);
        /* cut short, or damaged */
        z.len -= 3;
        expect_refused(&z, QR_DOC_PDF, kinds[k].comp, NULL, QR_E_INVALID, "cut short");
        memset(z.ptr + 2, 0xff, 6);
        expect_refused(&z, QR_DOC_PDF, kinds[k].comp, NULL, QR_E_INVALID, "damaged");
        qr_buf_free(&z);
    }
    qr_buf_free(&pdf);
    qr_buf_t in = raster(CUPS_RASTER_WRITE_PWG, "srgb_8", 3, 200, 300, 100, 2, 0);
    qr_buf_t z = squeeze(&in, 16 + 15);
    expect(&z, QR_DOC_PWG, QR_COMPRESSION_GZIP, 3, 1);
    qr_buf_free(&z);
    qr_buf_free(&in);
}

/* A JPEG of w x h pixels (3 components; red square when color, else grey) by libjpeg. */
static qr_buf_t jpeg(int w, int h, int color) {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long size = 0;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &mem, &size);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    unsigned char *row = malloc((size_t)w * 3);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int red = color && x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2;
            row[3 * x] = red ? 255 : (unsigned char)(x * 255 / w);
            row[3 * x + 1] = row[3 * x + 2] = red ? 0 : row[3 * x];
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&cinfo, &r, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    free(row);
    qr_buf_t b;
    qr_buf_init(&b, OUT_MAX);
    qr_buf_append(&b, mem, size);
    free(mem);
    return b;
}

/* A PNG of w x h pixels (RGB with alpha; red square when color, else grey) by MuPDF. */
static qr_buf_t png(int w, int h, int color) {
    fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    fz_pixmap *pix = fz_new_pixmap(ctx, fz_device_rgb(ctx), w, h, NULL, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            unsigned char *p = pix->samples + (size_t)y * pix->stride + (size_t)x * 4;
            int red = color && x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2;
            p[0] = red ? 255 : 128;
            p[1] = p[2] = red ? 0 : 128;
            p[3] = 255;
        }
    fz_buffer *buf = fz_new_buffer_from_pixmap_as_png(ctx, pix, fz_default_color_params);
    unsigned char *data;
    size_t len = fz_buffer_storage(ctx, buf, &data);
    qr_buf_t b;
    qr_buf_init(&b, OUT_MAX);
    qr_buf_append(&b, data, len);
    fz_drop_buffer(ctx, buf);
    fz_drop_pixmap(ctx, pix);
    fz_drop_context(ctx);
    return b;
}

static void images(void **state) {
    (void)state;
    qr_buf_t j = jpeg(640, 480, 1);
    expect(&j, QR_DOC_JPEG, QR_COMPRESSION_NONE, 1, 1);
    expect(&j, QR_DOC_AUTO, QR_COMPRESSION_NONE, 1, 1);
    expect_refused(&j, QR_DOC_PNG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "not a readable PNG");
    qr_buf_t z = squeeze(&j, 16 + 15);
    expect(&z, QR_DOC_JPEG, QR_COMPRESSION_GZIP, 1, 1);
    qr_buf_free(&z);
    qr_buf_free(&j);
    j = jpeg(300, 500, 0);
    expect(&j, QR_DOC_JPEG, QR_COMPRESSION_NONE, 1, 0);
    memset(j.ptr, 'x', 4);
    expect_refused(&j, QR_DOC_JPEG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "not a readable JPEG");
    qr_buf_free(&j);
    qr_buf_t p = png(200, 100, 1);
    expect(&p, QR_DOC_PNG, QR_COMPRESSION_NONE, 1, 1);
    qr_buf_free(&p);
    p = png(200, 100, 0);
    expect(&p, QR_DOC_AUTO, QR_COMPRESSION_NONE, 1, 0);
    qr_buf_free(&p);
}

/* Each limit refuses with its figure in the message. */
static void limits(void **state) {
    (void)state;
    qr_convert_limits_t lim = {QR_CONVERT_MAX_PAGES,  QR_CONVERT_MAX_PAGE_PIXELS,
                               QR_CONVERT_MAX_MS,     QR_CONVERT_MAX_IMAGE_BYTES,
                               QR_CONVERT_MAX_MEMORY, -1};
    qr_buf_t in = raster(CUPS_RASTER_WRITE_PWG, "sgray_8", 3, 200, 300, 100, 0, 0);
    qr_convert_limits_t l = lim;
    l.max_pages = 2;
    expect_refused(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, &l, QR_E_INVALID, "at most 2");
    l = lim;
    l.max_page_pixels = 200 * 300 - 1;
    expect_refused(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, &l, QR_E_INVALID, "at most 59999 pixels");
    l = lim;
    l.max_ms = 0;
    expect_refused(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, &l, QR_E_INVALID, "longer than 0 ms");
    l = lim;
    l.max_input = 1000;
    expect_refused(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, &l, QR_E_TOO_LARGE, "as sent");
    qr_buf_t j = jpeg(64, 64, 0);
    l = lim;
    l.max_image_bytes = 100;
    expect_refused(&j, QR_DOC_JPEG, QR_COMPRESSION_NONE, &l, QR_E_INVALID, "larger than");
    l = lim;
    l.max_page_pixels = 64 * 64 - 1;
    expect_refused(&j, QR_DOC_JPEG, QR_COMPRESSION_NONE, &l, QR_E_INVALID, "at most 4095");
    qr_buf_free(&j);
    qr_buf_t p = png(1000, 1000, 0);
    l = lim;
    l.max_memory = (size_t)2 << 20;
    expect_refused(&p, QR_DOC_PNG, QR_COMPRESSION_NONE, &l, QR_E_INVALID, "more than 2 MiB");
    qr_buf_free(&p);
    qr_buf_free(&in);
    /* a resolution out of range, a page too wide */
    in = raster(CUPS_RASTER_WRITE_PWG, "sgray_8", 1, 100, 100, 30, 0, 0);
    expect_refused(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "30 dpi");
    qr_buf_free(&in);
    in = raster(CUPS_RASTER_WRITE_PWG, "sgray_8", 1, QR_CONVERT_MAX_WIDTH + 1, 2, 600, 0, 0);
    expect_refused(&in, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "16384 per line");
    qr_buf_free(&in);
}

/* Damaged raster: cut short, a bad header, not raster at all, nothing. */
static void corrupt(void **state) {
    (void)state;
    qr_buf_t in = raster(CUPS_RASTER_WRITE_PWG, "sgray_8", 2, 200, 300, 100, 0, 1);
    qr_buf_t cut = in;
    cut.len = in.len * 3 / 4;
    expect_refused(&cut, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "ends at line");
    cut.len = 4 + 1796 / 2;
    expect_refused(&cut, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID,
                   "page 1 of the raster document cannot be read");
    cut.len = 0;
    expect_refused(&cut, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "\"RaS2\"");
    expect_refused(&cut, QR_DOC_AUTO, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "none of PDF");
    qr_buf_t junk;
    qr_buf_init(&junk, 1024);
    qr_buf_puts(&junk, "hello, this is not a document");
    expect_refused(&junk, QR_DOC_AUTO, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "none of PDF");
    expect_refused(&junk, QR_DOC_URF, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "\"UNIRAST\"");
    qr_buf_free(&junk);
    /* page 2's header claims a line of 2 GiB: refused before libcups reads it (libcups 2.4
     * would allocate the line) */
    qr_buf_t two = raster(CUPS_RASTER_WRITE_PWG, "sgray_8", 2, 300, 400, 100, 0, 0);
    unsigned char *h2 = memmem(two.ptr + 4 + 1796, two.len - 4 - 1796, two.ptr + 4, 1796);
    assert_non_null(h2);
    h2[offsetof(cups_page_header2_t, cupsWidth)] = 0x7f;
    h2[offsetof(cups_page_header2_t, cupsBytesPerLine)] = 0x7f;
    expect_refused(&two, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID,
                   "page 2 has 2130706732x400 pixels");
    qr_buf_free(&two);
    /* a header with 3 bits per colour */
    qr_buf_t bad;
    qr_buf_init(&bad, OUT_MAX);
    qr_buf_append(&bad, in.ptr, in.len);
    unsigned char *bpc = (unsigned char *)bad.ptr + 4 + 384; /* cupsBitsPerColor */
    bpc[3] = 3;
    expect_refused(&bad, QR_DOC_PWG, QR_COMPRESSION_NONE, NULL, QR_E_INVALID, "3 bits per colour");
    qr_buf_free(&bad);
    qr_buf_free(&in);
}

static void formats(void **state) {
    (void)state;
    qr_doc_format_t f;
    qr_compression_t c;
    assert_int_equal(qr_convert_format("image/pwg-raster", &f), 0);
    assert_int_equal(f, QR_DOC_PWG);
    assert_int_equal(qr_convert_format("Image/URF", &f), 0);
    assert_int_equal(f, QR_DOC_URF);
    assert_int_equal(qr_convert_format("image/jpeg; q=1", &f), 0);
    assert_int_equal(f, QR_DOC_JPEG);
    assert_int_equal(qr_convert_format("application/octet-stream", &f), 0);
    assert_int_equal(f, QR_DOC_AUTO);
    assert_int_equal(qr_convert_format("image/gif", &f), -1);
    assert_int_equal(qr_convert_format("image/pwg-raster-x", &f), -1);
    assert_int_equal(qr_convert_compression("gzip", &c), 0);
    assert_int_equal(c, QR_COMPRESSION_GZIP);
    assert_int_equal(qr_convert_compression("compress", &c), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pwg_gray_pages),   cmocka_unit_test(pwg_colour_page),
        cmocka_unit_test(pwg_other_types),  cmocka_unit_test(urf_pages),
        cmocka_unit_test(raster_in_pieces), cmocka_unit_test(compressed_pdf_and_raster),
        cmocka_unit_test(images),           cmocka_unit_test(limits),
        cmocka_unit_test(corrupt),          cmocka_unit_test(formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
