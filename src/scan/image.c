/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the Leptonica steps of the scan pipeline (gray, binarize, despeckle, deskew, blank-page
 * test) and the barcode reader (ZBar). Sizes are for 300 dpi and scale with the resolution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#include "scan/scan_private.h"

#define BIN_THRESHOLD 130       /* on the background-normalized gray (background at 200) */
#define SPECK_PX 4              /* components smaller than this in both sides are specks */
#define SKEW_MIN_CONF 2.5f      /* Leptonica's skew confidence below which no deskew */
#define SKEW_MIN_DEG 0.1f       /* smaller skews are left alone */
#define BLANK_MARGIN 0.05       /* fraction of each side ignored (scanner edges, punch holes) */
#define BLANK_INK_FRACTION 2e-4 /* ink below this fraction of the inner page: blank */

/* The speck size at the page's resolution. */
static int speck_px(PIX *pix) {
    int res = pixGetXRes(pix) > 0 ? pixGetXRes(pix) : QR_SCAN_DEFAULT_DPI;
    int s = (SPECK_PX * res + QR_SCAN_DEFAULT_DPI / 2) / QR_SCAN_DEFAULT_DPI;
    return s < 2 ? 2 : s;
}

PIX *qr__image_gray(PIX *pix) {
    if (pixGetDepth(pix) == 32)
        return pixConvertRGBToLuminance(pix);
    return pixConvertTo8(pix, 0);
}

PIX *qr__image_binarize(PIX *gray) {
    if (pixGetDepth(gray) == 1)
        return pixClone(gray);
    /* Background normalization takes uneven lighting and paper tone out; then one threshold
     * suits the whole page (a blank area stays white instead of turning to noise, as Otsu
     * per tile would make it). */
    PIX *norm = pixBackgroundNormSimple(gray, NULL, NULL);
    PIX *bin = pixThresholdToBinary(norm ? norm : gray, BIN_THRESHOLD);
    pixDestroy(&norm);
    if (bin)
        pixCopyResolution(bin, gray);
    return bin;
}

PIX *qr__image_despeckle_bin(PIX *bin) {
    int s = speck_px(bin);
    l_int32 changed = 0;
    PIX *d = pixSelectBySize(bin, s, s, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GTE, &changed);
    if (d)
        pixCopyResolution(d, bin);
    return d;
}

PIX *qr__image_despeckle_gray(PIX *pix) {
    PIX *d = pixMedianFilter(pix, 3, 3);
    if (d)
        pixCopyResolution(d, pix);
    return d;
}

float qr__image_skew(PIX *bin) {
    l_float32 angle = 0, conf = 0;
    if (pixFindSkew(bin, &angle, &conf) != 0 || conf < SKEW_MIN_CONF || fabsf(angle) < SKEW_MIN_DEG)
        return 0;
    return angle;
}

PIX *qr__image_rotate(PIX *pix, float deg) {
    PIX *d = pixRotate(pix, deg * (float)M_PI / 180.0f, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
    if (d)
        pixCopyResolution(d, pix);
    return d;
}

int qr__image_is_blank(PIX *bin) {
    int w = pixGetWidth(bin), h = pixGetHeight(bin);
    int mx = (int)(w * BLANK_MARGIN), my = (int)(h * BLANK_MARGIN);
    BOX *box = boxCreate(mx, my, w - 2 * mx, h - 2 * my);
    PIX *inner = box ? pixClipRectangle(bin, box, NULL) : NULL;
    PIX *clean = inner ? qr__image_despeckle_bin(inner) : NULL;
    l_int32 ink = 0;
    int blank = 0;
    if (clean && pixCountPixels(clean, &ink, NULL) == 0)
        blank = (double)ink <
                BLANK_INK_FRACTION * (double)pixGetWidth(clean) * (double)pixGetHeight(clean);
    pixDestroy(&clean);
    pixDestroy(&inner);
    boxDestroy(&box);
    return blank;
}

size_t qr__image_bytes(PIX *pix) {
    if (!pix)
        return 0;
    return (size_t)pixGetWpl(pix) * 4 * (size_t)pixGetHeight(pix);
}

/* A JSON string of data: as is when it is UTF-8, else its bytes read as Latin-1. */
static json_t *symbol_string(const char *data, size_t len) {
    json_t *s = json_stringn(data, len);
    if (s)
        return s;
    char *u = malloc(len * 2 + 1);
    if (!u)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c < 0x80) {
            u[n++] = c ? (char)c : '?';
        } else {
            u[n++] = (char)(0xc0 | (c >> 6));
            u[n++] = (char)(0x80 | (c & 0x3f));
        }
    }
    s = json_stringn(u, n);
    free(u);
    return s;
}

qr_status_t qr__image_barcodes(PIX *gray, int page, json_t *arr, qr_err_t *err) {
    int w = pixGetWidth(gray), h = pixGetHeight(gray);
    qr_status_t st = QR_OK;
    zbar_image_scanner_t *scanner = NULL;
    zbar_image_t *img = NULL;
    unsigned char *y800 = malloc((size_t)w * (size_t)h);
    if (!y800) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory reading barcodes");
        goto out;
    }
    l_uint32 *data = pixGetData(gray);
    int wpl = pixGetWpl(gray);
    for (int y = 0; y < h; y++) {
        l_uint32 *line = data + (size_t)y * (size_t)wpl;
        unsigned char *o = y800 + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            o[x] = (unsigned char)GET_DATA_BYTE(line, x);
    }
    scanner = zbar_image_scanner_create();
    img = zbar_image_create();
    if (!scanner || !img) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "the barcode reader cannot start");
        goto out;
    }
    zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, (unsigned)w, (unsigned)h);
    zbar_image_set_data(img, y800, (unsigned long)w * (unsigned long)h, NULL);
    if (zbar_scan_image(scanner, img) < 0) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "the barcode reader failed on page %d", page);
        goto out;
    }
    for (const zbar_symbol_t *sym = zbar_image_first_symbol(img); sym;
         sym = zbar_symbol_next(sym)) {
        json_t *o =
            json_pack("{s:i, s:s, s:o*}", "page", page, "type",
                      zbar_get_symbol_name(zbar_symbol_get_type(sym)), "data",
                      symbol_string(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym)));
        if (!o || json_array_append_new(arr, o) != 0) {
            st = qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory reading barcodes");
            goto out;
        }
    }
out:
    zbar_image_destroy(img);
    zbar_image_scanner_destroy(scanner);
    free(y800);
    return st;
}
