/* SPDX-License-Identifier: Apache-2.0 */
/* quire: test documents for the intake converter, written by the reference writers: PWG
 * raster and Apple raster (URF) with libcups' raster writer, JPEG with libjpeg. Used by
 * bench/raster.sh and tests/e2e/raster.test.js.
 *
 *   rastergen pwg|urf OUT TYPE PAGES WIDTH HEIGHT DPI [COLOR_PAGE]
 *   rastergen jpeg OUT WIDTH HEIGHT [COLOR]
 *
 * TYPE is a PWG raster type (sgray_8, srgb_8, black_1, srgb_16, cmyk_8). Pages are white
 * with grey text-like bars; page COLOR_PAGE (from 1) also has a red square. */
#include <cups/raster.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* after stdio.h, which it needs */
#include <jpeglib.h>

static ssize_t file_write(void *ctx, unsigned char *data, size_t n) {
    return (ssize_t)fwrite(data, 1, n, ctx);
}

/* One line of page p (from 1) at row y: white, grey bars, a red square on the colour page. */
static void fill_line(unsigned char *line, const cups_page_header2_t *h, unsigned y, int color) {
    unsigned w = h->cupsWidth, bpp = h->cupsBitsPerPixel;
    int white = h->cupsColorSpace == CUPS_CSPACE_K ? 0x00 : 0xff;
    memset(line, white, h->cupsBytesPerLine);
    if (y % 40 < 12 && y > h->cupsHeight / 10 && y < h->cupsHeight * 9 / 10) {
        size_t from = h->cupsBytesPerLine / 10, to = h->cupsBytesPerLine * (7 + y % 3) / 10;
        for (size_t i = from; i < to; i++)
            line[i] = (unsigned char)(white ^ ((i / 7) % 5 ? 0xa0 : 0x00));
    }
    if (!color || y < h->cupsHeight / 4 || y > h->cupsHeight / 2)
        return;
    for (unsigned x = w / 4; x < w / 2; x++) {
        if (bpp == 24) {
            line[3 * x] = 0xff;
            line[3 * x + 1] = line[3 * x + 2] = 0;
        } else if (bpp == 48) {
            memset(line + 6 * x, 0xff, 2);
            memset(line + 6 * x + 2, 0, 4);
        } else if (bpp == 32) {
            line[4 * x] = line[4 * x + 3] = 0;
            line[4 * x + 1] = line[4 * x + 2] = 0xff;
        }
    }
}

static int raster(int apple, const char *out, const char *type, int pages, unsigned w, unsigned h,
                  unsigned dpi, int color_page) {
    FILE *f = fopen(out, "wb");
    if (!f)
        return 1;
    cups_raster_t *r =
        cupsRasterOpenIO(file_write, f, apple ? CUPS_RASTER_WRITE_APPLE : CUPS_RASTER_WRITE_PWG);
    pwg_media_t *media = pwgMediaForSize((int)(w * 2540 / dpi), (int)(h * 2540 / dpi));
    cups_page_header2_t hd;
    if (!r || !media ||
        !cupsRasterInitPWGHeader(&hd, media, type, (int)dpi, (int)dpi, "one-sided", NULL)) {
        fprintf(stderr, "rastergen: %s\n", cupsRasterErrorString());
        return 1;
    }
    hd.cupsWidth = w;
    hd.cupsHeight = h;
    hd.cupsBytesPerLine = (w * hd.cupsBitsPerPixel + 7) / 8;
    if (apple)
        hd.cupsInteger[CUPS_RASTER_PWG_TotalPageCount] = (unsigned)pages;
    unsigned char *line = malloc(hd.cupsBytesPerLine);
    for (int p = 1; p <= pages; p++) {
        if (!cupsRasterWriteHeader2(r, &hd))
            return 1;
        for (unsigned y = 0; y < h; y++) {
            fill_line(line, &hd, y, p == color_page);
            if (cupsRasterWritePixels(r, line, hd.cupsBytesPerLine) != hd.cupsBytesPerLine)
                return 1;
        }
    }
    cupsRasterClose(r);
    free(line);
    return fclose(f) != 0;
}

static int jpeg(const char *out, int w, int h, int color) {
    FILE *f = fopen(out, "wb");
    if (!f)
        return 1;
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
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
    return fclose(f) != 0;
}

/* A whole decimal argument from 0 to 100000; exits on anything else. */
static int num(const char *s) {
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 100000) {
        fprintf(stderr, "rastergen: %s is not a number from 0 to 100000\n", s);
        exit(2);
    }
    return (int)v;
}

int main(int argc, char **argv) {
    if (argc >= 9 && (strcmp(argv[1], "pwg") == 0 || strcmp(argv[1], "urf") == 0))
        return raster(strcmp(argv[1], "urf") == 0, argv[2], argv[3], num(argv[4]),
                      (unsigned)num(argv[5]), (unsigned)num(argv[6]), (unsigned)num(argv[7]),
                      num(argv[8]));
    if (argc >= 5 && strcmp(argv[1], "jpeg") == 0)
        return jpeg(argv[2], num(argv[3]), num(argv[4]), argc > 5 && num(argv[5]));
    fprintf(stderr, "usage: rastergen pwg|urf OUT TYPE PAGES WIDTH HEIGHT DPI COLOR_PAGE\n"
                    "       rastergen jpeg OUT WIDTH HEIGHT [COLOR]\n");
    return 2;
}
