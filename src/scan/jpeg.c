/* SPDX-License-Identifier: Apache-2.0 */
/* quire: JPEG intake with libjpeg(-turbo) directly: its messages are kept off stderr (Leptonica
 * and Debian's MuPDF leave libjpeg's warnings printing there), a warning (a truncated or
 * corrupt file) is a refusal, and the decoder is bounded: the deadline and the number of
 * progressive scans are checked by a progress monitor while it works. */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <jpeglib.h> /* after stdio.h and stddef.h, which it needs */

#include "scan/scan_private.h"

/* Progressive scans: a normal file has about 10; thousands are a decoding-time bomb. */
#define MAX_SCANS 256

typedef struct jerr {
    struct jpeg_error_mgr mgr;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    int warnings;
    int timeout;
    const qr__deadline_t *deadline;
} jerr_t;

static void error_exit(j_common_ptr c) {
    longjmp(((jerr_t *)c->err)->jump, 1);
}

static void emit_message(j_common_ptr c, int level) {
    if (level < 0)
        ((jerr_t *)c->err)->warnings++;
}

static void output_message(j_common_ptr c) {
    (void)c; /* never printed */
}

static void progress(j_common_ptr c) {
    jerr_t *e = (jerr_t *)c->err;
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (qr__deadline_passed(e->deadline)) {
        e->timeout = 1;
        longjmp(e->jump, 1);
    }
    if (c->is_decompressor && d->input_scan_number > MAX_SCANS)
        longjmp(e->jump, 1);
}

static void init(struct jpeg_decompress_struct *cinfo, jerr_t *e, const qr__deadline_t *dl) {
    cinfo->err = jpeg_std_error(&e->mgr);
    e->mgr.error_exit = error_exit;
    e->mgr.emit_message = emit_message;
    e->mgr.output_message = output_message;
    e->warnings = 0;
    e->timeout = 0;
    e->deadline = dl;
    e->progress.progress_monitor = progress;
}

int qr__jpeg_header(const void *data, size_t len, int *w, int *h) {
    struct jpeg_decompress_struct cinfo;
    jerr_t e;
    init(&cinfo, &e, NULL);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    *w = (int)cinfo.image_width;
    *h = (int)cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

/* One row of samples into the PIX's line. */
static void put_row(l_uint32 *line, const JSAMPLE *row, int w, int comps, int inverted) {
    if (comps == 1) {
        for (int x = 0; x < w; x++)
            SET_DATA_BYTE(line, x, row[x]);
        return;
    }
    for (int x = 0; x < w; x++, row += comps) {
        unsigned r = row[0], g = row[1], b = row[2];
        if (comps == 4) { /* CMYK (Adobe's files store it inverted) */
            unsigned c = row[0], m = row[1], y = row[2], k = row[3];
            if (!inverted) {
                c = 255 - c;
                m = 255 - m;
                y = 255 - y;
                k = 255 - k;
            }
            r = c * k / 255;
            g = m * k / 255;
            b = y * k / 255;
        }
        line[x] = (l_uint32)r << 24 | (l_uint32)g << 16 | (l_uint32)b << 8;
    }
}

qr_status_t qr__jpeg_decode(const void *data, size_t len, const qr__deadline_t *dl,
                            long long max_ms, PIX **out, qr_err_t *err) {
    struct jpeg_decompress_struct cinfo;
    jerr_t e;
    PIX *volatile pix = NULL;
    JSAMPLE *volatile row = NULL;
    *out = NULL;
    init(&cinfo, &e, dl);
    if (setjmp(e.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(row);
        pixDestroy((PIX **)&pix);
        if (e.timeout)
            return qr__scan_timeout(err, max_ms);
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the JPEG image is damaged or truncated; it cannot be decoded");
    }
    jpeg_create_decompress(&cinfo);
    cinfo.progress = &e.progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    int comps = cinfo.num_components == 1 ? 1 : cinfo.num_components == 4 ? 4 : 3;
    cinfo.out_color_space = comps == 1 ? JCS_GRAYSCALE : comps == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    if ((int)cinfo.output_components != comps)
        error_exit((j_common_ptr)&cinfo);
    pix = pixCreate(w, h, comps == 1 ? 8 : 32);
    row = malloc((size_t)w * (size_t)comps);
    if (!pix || !row)
        error_exit((j_common_ptr)&cinfo);
    l_uint32 *pixels = pixGetData(pix);
    size_t wpl = (size_t)pixGetWpl(pix);
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW rows[1] = {row};
        unsigned y = cinfo.output_scanline;
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1)
            error_exit((j_common_ptr)&cinfo);
        put_row(pixels + (size_t)y * wpl, row, w, comps, cinfo.saw_Adobe_marker);
    }
    jpeg_finish_decompress(&cinfo);
    int res = 0;
    if (cinfo.density_unit == 1)
        res = cinfo.X_density;
    else if (cinfo.density_unit == 2)
        res = (int)(cinfo.X_density * 254 / 100);
    jpeg_destroy_decompress(&cinfo);
    free(row);
    if (e.warnings) {
        pixDestroy((PIX **)&pix);
        return qr_err_set(err, QR_E_INVALID, "invalid_image",
                          "the JPEG image is damaged or truncated (%d decoder warnings)",
                          e.warnings);
    }
    pixSetResolution(pix, res, res);
    *out = pix;
    return QR_OK;
}
