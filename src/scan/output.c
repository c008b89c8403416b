/* SPDX-License-Identifier: Apache-2.0 */
/* quire: writing the scan's output, page by page, all in memory (SEC-2: plaintext never touches
 * disk). Image PDF: one Leptonica PDF per page (G4 for 1 bit, JPEG otherwise) joined at the end
 * by ptraConcatenatePdfToData. Searchable PDF: Tesseract's PDF renderer, writing into a memfd.
 * PDF/A-2b: that PDF, with XMP metadata, an sRGB OutputIntent and an /ID added by MuPDF. TIFF:
 * Leptonica's TIFF writer appending directories to a memfd. JPEG: one Leptonica JPEG per page. */
#include <errno.h>
#include <fcntl.h>
#include <mupdf/fitz.h>
#include <mupdf/pdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scan/scan_private.h"

#define JPEG_QUALITY 85
#define MAX_OUTPUT ((size_t)4 << 30) /* an output file larger than this is refused */
#define PDF_TITLE "quire scan"
#define MAX_ICC ((size_t)1 << 20)

/* sRGB profiles on Debian (icc-profiles-free, libgs-common, colord-data); Debian's MuPDF does
 * not expose one of its own. */
static const char *const srgb_paths[] = {
    "/usr/share/color/icc/sRGB.icc",
    "/usr/share/color/icc/ghostscript/srgb.icc",
    "/usr/share/color/icc/colord/sRGB.icc",
};

struct qr__writer {
    qr_scan_format_t fmt;
    int pages;
    L_PTRA *pdfs;            /* QR_SCAN_PDF: L_BYTEA of each page's PDF */
    int fd;                  /* memfd: QR_SCAN_TIFF and the searchable PDFs */
    FILE *fp;                /* QR_SCAN_TIFF: stdio over fd */
    TessResultRenderer *tpr; /* QR_SCAN_PDF_TEXT, QR_SCAN_PDFA */
    qr_scan_file_t *jpegs;   /* QR_SCAN_JPEG */
    int njpegs, cap;
};

static qr_status_t oom(qr_err_t *err) {
    return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory writing the scan's output");
}

/* A private 0700 directory holding a symlink base.pdf -> /proc/self/fd/N, so that Tesseract's
 * renderer (which opens "<outputbase>.pdf") writes into the memfd. The link and the directory
 * are removed as soon as the renderer has opened its file; no byte of the document is on disk. */
static qr_status_t renderer_create(qr__writer_t *w, qr_err_t *err) {
    const char *tmp = getenv("TMPDIR");
    char dir[256], base[300], link[310], target[64];
    snprintf(dir, sizeof(dir), "%s/quire-scan-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return qr_err_set(err, QR_E_IO, NULL, "cannot create a private directory in %s: %s",
                          tmp && *tmp ? tmp : "/tmp", strerror(errno));
    snprintf(base, sizeof(base), "%s/out", dir);
    snprintf(link, sizeof(link), "%s.pdf", base);
    snprintf(target, sizeof(target), "/proc/self/fd/%d", w->fd);
    qr_status_t st = QR_OK;
    if (symlink(target, link) != 0) {
        st = qr_err_set(err, QR_E_IO, NULL, "cannot link the PDF renderer to memory: %s",
                        strerror(errno));
    } else {
        w->tpr = TessPDFRendererCreate(base, qr__ocr_tessdata(), 0);
        unlink(link);
    }
    rmdir(dir);
    if (st)
        return st;
    if (!w->tpr || !TessResultRendererBeginDocument(w->tpr, PDF_TITLE))
        return qr_err_set(err, QR_E_INTERNAL, NULL,
                          "the searchable-PDF renderer cannot start (is %s/pdf.ttf installed?)",
                          qr__ocr_tessdata());
    return QR_OK;
}

qr_status_t qr__writer_create(qr_scan_format_t f, qr__writer_t **out, qr_err_t *err) {
    *out = NULL;
    qr__writer_t *w = calloc(1, sizeof(*w));
    if (!w)
        return oom(err);
    w->fmt = f;
    w->fd = -1;
    qr_status_t st = QR_OK;
    if (f == QR_SCAN_PDF) {
        if (!(w->pdfs = ptraCreate(8)))
            st = oom(err);
    } else if (f == QR_SCAN_TIFF || f == QR_SCAN_PDF_TEXT || f == QR_SCAN_PDFA) {
        w->fd = memfd_create("quire-scan", MFD_CLOEXEC);
        if (w->fd < 0)
            st = qr_err_set(err, QR_E_IO, NULL, "memfd_create: %s", strerror(errno));
        else if (f == QR_SCAN_TIFF && !(w->fp = fdopen(dup(w->fd), "w+b")))
            st = qr_err_set(err, QR_E_IO, NULL, "fdopen: %s", strerror(errno));
        else if (f != QR_SCAN_TIFF)
            st = renderer_create(w, err);
    }
    if (st) {
        qr__writer_destroy(w);
        return st;
    }
    *out = w;
    return QR_OK;
}

qr_status_t qr__writer_add(qr__writer_t *w, PIX *pix, TessBaseAPI *api, qr_err_t *err) {
    l_uint8 *data = NULL;
    size_t len = 0;
    int bit = pixGetDepth(pix) == 1;
    switch (w->fmt) {
    case QR_SCAN_PDF: {
        if (pixConvertToPdfData(pix, bit ? L_G4_ENCODE : L_JPEG_ENCODE, JPEG_QUALITY, &data, &len,
                                0, 0, pixGetXRes(pix), PDF_TITLE, NULL, 0) != 0)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "writing page %d as PDF failed",
                              w->pages + 1);
        L_BYTEA *ba = l_byteaInitFromMem(data, len);
        lept_free(data);
        if (!ba || ptraAdd(w->pdfs, ba) != 0) {
            l_byteaDestroy(&ba);
            return oom(err);
        }
        break;
    }
    case QR_SCAN_TIFF:
        if (pixWriteStreamTiffWA(w->fp, pix, bit ? IFF_TIFF_G4 : IFF_TIFF_LZW,
                                 w->pages ? "a" : "w") != 0)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "writing page %d of the TIFF failed",
                              w->pages + 1);
        break;
    case QR_SCAN_JPEG: {
        if (w->njpegs == w->cap) {
            int cap = w->cap ? w->cap * 2 : 8;
            qr_scan_file_t *n = realloc(w->jpegs, (size_t)cap * sizeof(*n));
            if (!n)
                return oom(err);
            w->jpegs = n;
            w->cap = cap;
        }
        if (pixWriteMemJpeg(&data, &len, pix, JPEG_QUALITY, 0) != 0)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "writing page %d as JPEG failed",
                              w->pages + 1);
        qr_scan_file_t *f = &w->jpegs[w->njpegs++];
        memset(f, 0, sizeof(*f));
        f->data = data; /* Leptonica allocates with malloc */
        f->len = len;
        f->mime = "image/jpeg";
        snprintf(f->suffix, sizeof(f->suffix), "-%03d.jpg", w->njpegs);
        break;
    }
    case QR_SCAN_PDF_TEXT:
    case QR_SCAN_PDFA:
        /* The renderer embeds the API's input image: the output page, not the binarized copy
         * recognition ran on (same size, so the text lies where it was read). */
        TessBaseAPISetInputImage(api, pixClone(pix));
        if (!TessResultRendererAddImage(w->tpr, api))
            return qr_err_set(err, QR_E_INTERNAL, NULL,
                              "adding page %d to the searchable PDF failed", w->pages + 1);
        break;
    default:
        return qr_err_set(err, QR_E_INTERNAL, NULL, "unknown output format");
    }
    w->pages++;
    return QR_OK;
}

/* The memfd's bytes into a new buffer. */
static qr_status_t read_memfd(int fd, unsigned char **data, size_t *len, qr_err_t *err) {
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return qr_err_set(err, QR_E_IO, NULL, "fstat: %s", strerror(errno));
    if ((size_t)sb.st_size > MAX_OUTPUT)
        return qr_err_set(err, QR_E_TOO_LARGE, "output_too_large",
                          "the output is larger than %zu MiB", MAX_OUTPUT >> 20);
    size_t n = (size_t)sb.st_size;
    unsigned char *p = malloc(n ? n : 1);
    if (!p)
        return oom(err);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, p + got, n - got, (off_t)got);
        if (r <= 0) {
            free(p);
            return qr_err_set(err, QR_E_IO, NULL, "reading the output back failed");
        }
        got += (size_t)r;
    }
    *data = p;
    *len = n;
    return QR_OK;
}

/* XMP for PDF/A-2b. Returns a new string. */
static char *xmp_packet(const char *when) {
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    if (!f)
        return NULL;
    fprintf(
        f,
        "<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
        " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
        "  <rdf:Description rdf:about=\"\"\n"
        "    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n"
        "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
        "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
        "    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n"
        "   <pdfaid:part>2</pdfaid:part>\n"
        "   <pdfaid:conformance>B</pdfaid:conformance>\n"
        "   <dc:format>application/pdf</dc:format>\n"
        "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n"
        "   <xmp:CreateDate>%s</xmp:CreateDate>\n"
        "   <xmp:ModifyDate>%s</xmp:ModifyDate>\n"
        "   <xmp:CreatorTool>quire</xmp:CreatorTool>\n"
        "   <pdf:Producer>quire</pdf:Producer>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        "<?xpacket end=\"w\"?>\n",
        PDF_TITLE, when, when);
    fclose(f);
    return s;
}

/* Turns the searchable PDF in *data into PDF/A-2b: XMP metadata (pdfaid part 2, conformance
 * B) matching a new /Info, an OutputIntent with an sRGB profile, a trailer /ID, no
 * encryption. Replaces *data. */
static qr_status_t make_pdfa(unsigned char **data, size_t *len, qr_err_t *err) {
    fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    if (!ctx)
        return oom(err);
    fz_set_warning_callback(ctx, NULL, NULL);
    fz_set_error_callback(ctx, NULL, NULL);
    qr_status_t st = QR_OK;
    fz_buffer *in = NULL, *xmp = NULL, *outbuf = NULL, *profile = NULL;
    fz_stream *stm = NULL;
    pdf_document *doc = NULL;
    fz_output *out = NULL;
    pdf_obj *dict = NULL;
    char *packet = NULL;
    fz_var(in);
    fz_var(xmp);
    fz_var(outbuf);
    fz_var(profile);
    fz_var(stm);
    fz_var(doc);
    fz_var(out);
    fz_var(dict);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char when[32], pdfdate[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(pdfdate, sizeof(pdfdate), "D:%Y%m%d%H%M%SZ", &tm);
    packet = xmp_packet(when);
    if (!packet) {
        fz_drop_context(ctx);
        return oom(err);
    }
    fz_try(ctx) {
        in = fz_new_buffer_from_shared_data(ctx, *data, *len);
        stm = fz_open_buffer(ctx, in);
        doc = pdf_open_document_with_stream(ctx, stm);
        pdf_obj *root = pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root));

        /* XMP metadata, unfiltered as PDF/A asks. */
        xmp = fz_new_buffer_from_copied_data(ctx, (const unsigned char *)packet, strlen(packet));
        dict = pdf_new_dict(ctx, doc, 2);
        pdf_dict_put(ctx, dict, PDF_NAME(Type), PDF_NAME(Metadata));
        pdf_dict_put(ctx, dict, PDF_NAME(Subtype), PDF_NAME(XML));
        pdf_obj *meta = pdf_add_stream(ctx, doc, xmp, dict, 0);
        pdf_drop_obj(ctx, dict);
        dict = NULL;
        pdf_dict_put_drop(ctx, root, PDF_NAME(Metadata), meta);

        /* The output intent: sRGB. */
        for (size_t i = 0; !profile && i < sizeof(srgb_paths) / sizeof(srgb_paths[0]); i++)
            if (access(srgb_paths[i], R_OK) == 0)
                profile = fz_read_file(ctx, srgb_paths[i]);
        if (!profile || fz_buffer_storage(ctx, profile, NULL) > MAX_ICC)
            fz_throw(ctx, FZ_ERROR_GENERIC, "no sRGB ICC profile (install icc-profiles-free)");
        dict = pdf_new_dict(ctx, doc, 1);
        pdf_dict_put_int(ctx, dict, PDF_NAME(N), 3);
        pdf_obj *icc = pdf_add_stream(ctx, doc, profile, dict, 0);
        pdf_drop_obj(ctx, dict);
        dict = NULL;
        pdf_obj *oi = pdf_new_dict(ctx, doc, 5);
        pdf_obj *intents = pdf_new_array(ctx, doc, 1);
        pdf_array_push_drop(ctx, intents, oi);
        pdf_dict_put_drop(ctx, root, PDF_NAME(OutputIntents), intents);
        pdf_dict_put(ctx, oi, PDF_NAME(Type), PDF_NAME(OutputIntent));
        pdf_dict_put_drop(ctx, oi, PDF_NAME(S), pdf_new_name(ctx, "GTS_PDFA1"));
        pdf_dict_put_text_string(ctx, oi, PDF_NAME(OutputConditionIdentifier), "sRGB IEC61966-2.1");
        pdf_dict_put_text_string(ctx, oi, PDF_NAME(Info), "sRGB IEC61966-2.1");
        pdf_dict_put_drop(ctx, oi, PDF_NAME(DestOutputProfile), icc);

        /* /Info says what the XMP says. The trailer is fetched again: the first change made
         * MuPDF start a new xref section with a trailer of its own. */
        pdf_obj *trailer = pdf_trailer(ctx, doc);
        pdf_obj *info = pdf_new_dict(ctx, doc, 4);
        pdf_dict_put_drop(ctx, trailer, PDF_NAME(Info), pdf_add_object_drop(ctx, doc, info));
        info = pdf_dict_get(ctx, trailer, PDF_NAME(Info));
        pdf_dict_put_text_string(ctx, info, PDF_NAME(Title), PDF_TITLE);
        pdf_dict_put_text_string(ctx, info, PDF_NAME(Producer), "quire");
        pdf_dict_put_text_string(ctx, info, PDF_NAME(Creator), "quire");
        pdf_dict_put_text_string(ctx, info, PDF_NAME(CreationDate), pdfdate);
        pdf_dict_put_text_string(ctx, info, PDF_NAME(ModDate), pdfdate);

        /* A file identifier: two copies of the digest of the input document. */
        unsigned char id[16];
        fz_md5 md5;
        fz_md5_init(&md5);
        fz_md5_update(&md5, *data, *len);
        fz_md5_update(&md5, (const unsigned char *)when, strlen(when));
        fz_md5_final(&md5, id);
        pdf_obj *ids = pdf_new_array(ctx, doc, 2);
        pdf_dict_put_drop(ctx, trailer, PDF_NAME(ID), ids);
        pdf_array_push_drop(ctx, ids, pdf_new_string(ctx, (const char *)id, sizeof(id)));
        pdf_array_push_drop(ctx, ids, pdf_new_string(ctx, (const char *)id, sizeof(id)));
        pdf_dict_del(ctx, trailer, PDF_NAME(Encrypt));

        outbuf = fz_new_buffer(ctx, *len + 16384);
        out = fz_new_output_with_buffer(ctx, outbuf);
        pdf_write_options opts = pdf_default_write_options;
        opts.do_garbage = 1;
        opts.do_encrypt = PDF_ENCRYPT_NONE;
        pdf_write_document(ctx, doc, out, &opts);
        fz_close_output(ctx, out);
    }
    fz_always(ctx) {
        pdf_drop_obj(ctx, dict);
        fz_drop_output(ctx, out);
        pdf_drop_document(ctx, doc);
        fz_drop_stream(ctx, stm);
        fz_drop_buffer(ctx, in);
        fz_drop_buffer(ctx, xmp);
        fz_drop_buffer(ctx, profile);
    }
    fz_catch(ctx) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "making the PDF/A failed: %s",
                        fz_caught_message(ctx));
    }
    if (!st) {
        unsigned char *p = NULL;
        size_t n = fz_buffer_storage(ctx, outbuf, &p);
        unsigned char *copy = malloc(n ? n : 1);
        if (!copy) {
            st = oom(err);
        } else {
            memcpy(copy, p, n);
            free(*data);
            *data = copy;
            *len = n;
        }
    }
    fz_drop_buffer(ctx, outbuf);
    fz_drop_context(ctx);
    free(packet);
    return st;
}

qr_status_t qr__writer_finish(qr__writer_t *w, qr_scan_output_t *out, qr_err_t *err) {
    if (w->fmt == QR_SCAN_JPEG) {
        out->files = w->jpegs;
        out->nfiles = w->njpegs;
        w->jpegs = NULL;
        w->njpegs = w->cap = 0;
        return QR_OK;
    }
    qr_scan_file_t *f = calloc(1, sizeof(*f));
    if (!f)
        return oom(err);
    out->files = f;
    out->nfiles = 1;
    qr_status_t st = QR_OK;
    snprintf(f->suffix, sizeof(f->suffix), "%s", w->fmt == QR_SCAN_TIFF ? ".tif" : ".pdf");
    f->mime = w->fmt == QR_SCAN_TIFF ? "image/tiff" : "application/pdf";
    switch (w->fmt) {
    case QR_SCAN_PDF: {
        l_uint8 *data = NULL;
        size_t len = 0;
        if (ptraConcatenatePdfToData(w->pdfs, NULL, &data, &len) != 0)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "writing the PDF failed");
        f->data = data;
        f->len = len;
        break;
    }
    case QR_SCAN_TIFF:
        if (fflush(w->fp) != 0)
            return qr_err_set(err, QR_E_IO, NULL, "writing the TIFF failed");
        st = read_memfd(w->fd, &f->data, &f->len, err);
        break;
    case QR_SCAN_PDF_TEXT:
    case QR_SCAN_PDFA:
        if (!TessResultRendererEndDocument(w->tpr))
            return qr_err_set(err, QR_E_INTERNAL, NULL, "finishing the searchable PDF failed");
        TessDeleteResultRenderer(w->tpr); /* closes (flushes) its file */
        w->tpr = NULL;
        st = read_memfd(w->fd, &f->data, &f->len, err);
        if (!st && w->fmt == QR_SCAN_PDFA)
            st = make_pdfa(&f->data, &f->len, err);
        break;
    default:
        break;
    }
    return st;
}

void qr__writer_destroy(qr__writer_t *w) {
    if (!w)
        return;
    if (w->pdfs) {
        l_int32 n = 0;
        ptraGetActualCount(w->pdfs, &n);
        for (l_int32 i = 0; i < n; i++) {
            L_BYTEA *ba = ptraRemove(w->pdfs, i, L_NO_COMPACTION);
            l_byteaDestroy(&ba);
        }
        ptraDestroy(&w->pdfs, FALSE, FALSE);
    }
    if (w->tpr)
        TessDeleteResultRenderer(w->tpr);
    if (w->fp)
        fclose(w->fp);
    if (w->fd >= 0)
        close(w->fd);
    for (int i = 0; i < w->njpegs; i++)
        free(w->jpegs[i].data);
    free(w->jpegs);
    free(w);
}
