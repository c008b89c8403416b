/* SPDX-License-Identifier: Apache-2.0 */
/* quire: libFuzzer target for the scan pipeline's image intake: qr_scan_probe on whatever a
 * client uploads, then the decoding of every page the probe accepted (qr_scan_process into a TIFF,
 * with the Leptonica steps for every other input; no OCR engine), with small limits. */
#include <stdint.h>
#include <stdlib.h>

#include "scan/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Smaller bounds than the server's, so that each input stays quick; the refusals they
     * cause are the same code paths. */
    static const qr_scan_limits_t lim = {4, 1000 * 1000, 2000, NULL};
    qr_err_t err = {QR_OK, NULL, ""};
    const char *format = NULL;
    int pages = 0;
    qr_status_t st = qr_scan_probe(data, size, &lim, &format, &pages, &err);
    if (st != QR_OK) {
        if (st != QR_E_INVALID || !err.msg[0])
            abort(); /* a refusal must be a clear one */
        return 0;
    }
    if (!format || pages < 1 || pages > lim.max_pages)
        abort(); /* a success must describe a readable file */
    qr_scan_input_t in = {data, size};
    /* Every other input also goes through the Leptonica steps (cheap at 1 Mpx; OCR is not
     * fuzzed: it needs no more than a valid image). */
    qr_scan_steps_t steps = {0};
    steps.format = QR_SCAN_TIFF;
    steps.deskew = steps.despeckle = steps.binarize = steps.remove_blank = steps.barcodes =
        (int)(size & 1);
    qr_scan_output_t out;
    st = qr_scan_process(NULL, &in, 1, &steps, &lim, &out, &err);
    if (st == QR_OK &&
        (out.pages_in != pages || out.pages_out < 1 || out.nfiles != 1 || !out.files[0].len))
        abort(); /* every page the probe counted is decoded, and something written */
    if (st != QR_OK && st != QR_E_INVALID)
        abort();
    qr_scan_output_free(&out);
    return 0;
}
