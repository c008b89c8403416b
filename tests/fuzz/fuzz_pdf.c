/* SPDX-License-Identifier: Apache-2.0 */
/* quire: libFuzzer target for PDF inspection (qr_pdf_inspect over a buffer source): whatever a
 * client uploads as a print job reaches MuPDF through the same stream callbacks and bounds. */
#include <stdint.h>
#include <stdlib.h>

#include "print/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Smaller bounds than the server's, so that each input stays quick; the refusals they
     * cause are the same code paths. */
    static const qr_pdf_limits_t lim = {100, (size_t)64 << 20, 2000, 1 << 20};
    qr_pdf_info_t info;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_pdf_inspect_buffer(data, size, &lim, &info, &err);
    if (st == QR_OK &&
        (info.pages < 1 || info.pages > lim.max_pages || info.color < 0 || info.color > 1))
        abort(); /* a success must describe a printable document */
    return 0;
}
