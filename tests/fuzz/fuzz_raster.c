/* SPDX-License-Identifier: Apache-2.0 */
/* quire: libFuzzer target for the print intake's converter (qr_convert_*): PWG raster, Apple
 * raster (URF), JPEG, PNG and sniffed input, plain or gzip/deflate compressed, fed in pieces
 * as a network delivers it. The first byte picks the format, the second the compression and
 * the piece size; the rest is the document. What the job's inspection reads of the PDF must
 * have the page count the converter wrote. */
#include <stdint.h>
#include <stdlib.h>

#include "print/convert.h"
#include "print/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static qr_status_t to_buf(void *cls, const void *d, size_t n, qr_err_t *err) {
    (void)err;
    return qr_buf_append(cls, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Smaller bounds than the server's, so that each input stays quick; the refusals they
     * cause are the same code paths. */
    static const qr_convert_limits_t lim = {
        20, 1 << 20, 2000, (size_t)4 << 20, (size_t)64 << 20, (long long)16 << 20};
    static const qr_doc_format_t formats[] = {QR_DOC_PWG, QR_DOC_URF, QR_DOC_JPEG, QR_DOC_PNG,
                                              QR_DOC_AUTO};
    if (size < 2)
        return 0;
    qr_doc_format_t fmt = formats[data[0] % 5];
    qr_compression_t comp = (qr_compression_t)(data[1] % 3);
    size_t piece = (size_t)1 << (data[1] / 3 % 17); /* 1 byte to 64 KiB */
    data += 2;
    size -= 2;
    qr_buf_t out;
    qr_buf_init(&out, (size_t)64 << 20);
    qr_err_t err = {QR_OK, NULL, ""};
    qr_convert_t *c = qr_convert_create(&lim, fmt, comp, to_buf, &out);
    qr_status_t st = QR_OK;
    for (size_t off = 0; !st && off < size; off += piece)
        st = qr_convert_write(c, data + off, size - off < piece ? size - off : piece, &err);
    if (!st)
        st = qr_convert_finish(c, &err);
    long long pages = qr_convert_pages(c);
    qr_convert_destroy(c);
    if (st == QR_E_INTERNAL)
        abort(); /* the read-ahead must never leave libcups short of input */
    if (st == QR_OK && pages > 0) {
        /* JPEG data goes into the PDF as it is, so MuPDF may still refuse the PDF; what it
         * reads must have the pages that were written. */
        static const qr_pdf_limits_t plim = {100, (size_t)128 << 20, 5000, 1 << 20};
        qr_pdf_info_t info;
        qr_err_t perr = {QR_OK, NULL, ""};
        if (qr_pdf_inspect_buffer(out.ptr, out.len, &plim, &info, &perr) == QR_OK &&
            info.pages != pages)
            abort();
    }
    qr_buf_free(&out);
    return 0;
}
