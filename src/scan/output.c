/* SPDX-License-Identifier: Apache-2.0 */
/* quire: writing the scan's output, page by page, all in memory (SEC-2: plaintext never touches
 * disk; no library call here makes a temporary file, which strace confirms). PDF (all three
 * kinds): MuPDF builds the document: each page one image XObject, G4 (MuPDF's CCITT encoder) for
 * 1 bit, JPEG (Leptonica, in memory) otherwise. Searchable: Tesseract's PDF renderer makes the
 * invisible text layer (text-only mode) into a memfd; at the end each of its pages' text is
 * grafted over the image. PDF/A-2b: that, plus XMP metadata, an sRGB OutputIntent and an /ID.
 * TIFF: Leptonica's TIFF writer appending directories to a memfd. JPEG: one Leptonica JPEG per
 * page. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
    fz_context *ctx;         /* the PDFs */
    pdf_document *doc;       /* the PDFs: built page by page */
    int fd;                  /* memfd: QR_SCAN_TIFF and the text layer */
    FILE *fp;                /* QR_SCAN_TIFF: stdio over fd */
    TessResultRenderer *tpr; /* QR_SCAN_PDF_TEXT, QR_SCAN_PDFA: the text layer */
    qr_scan_file_t *jpegs;   /* QR_SCAN_JPEG */
    int njpegs, cap;
};

static qr_status_t oom(qr_err_t *err) {
    return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory writing the scan's output");
}

static int is_pdf(qr_scan_format_t f) {
    return f == QR_SCAN_PDF || f == QR_SCAN_PDF_TEXT || f == QR_SCAN_PDFA;
}

/* Tesseract's renderer in text-only mode (its image path goes through Leptonica, which writes a
 * temporary JPEG file). A private 0700 directory holds a symlink base.pdf -> /proc/self/fd/N, so
 * that the renderer (which opens "<outputbase>.pdf") writes into the memfd. The link and the
 * directory are removed as soon as the renderer has opened its file; no byte of the document is on
 * disk. */
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
        w->tpr = TessPDFRendererCreate(base, qr__ocr_tessdata(), 1); /* text only */
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
    if (is_pdf(f)) {
        w->ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
        if (!w->ctx) {
            st = oom(err);
        } else {
            fz_set_warning_callback(w->ctx, NULL, NULL);
            fz_set_error_callback(w->ctx, NULL, NULL);
            fz_try(w->ctx) {
                w->doc = pdf_create_document(w->ctx);
            }
            fz_catch(w->ctx) {
                st = oom(err);
            }
        }
    }
    if (!st && (f == QR_SCAN_TIFF || f == QR_SCAN_PDF_TEXT || f == QR_SCAN_PDFA)) {
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

/* 1-bit pixels packed MSB first, 1 = white (PDF's CCITT default): Leptonica keeps 1 = black in
 * native-endian 32-bit words. Returns a new buffer of (w + 7) / 8 bytes per row, or NULL. */
static unsigned char *packed_white_is_1(PIX *pix) {
    int w = pixGetWidth(pix), h = pixGetHeight(pix), wpl = pixGetWpl(pix);
    size_t stride = ((size_t)w + 7) / 8;
    unsigned char *out = malloc(stride * (size_t)h);
    if (!out)
        return NULL;
    const l_uint32 *data = pixGetData(pix);
    for (int y = 0; y < h; y++) {
        const l_uint32 *line = data + (size_t)y * (size_t)wpl;
        unsigned char *o = out + (size_t)y * stride;
        for (size_t i = 0; i < stride; i++) {
            l_uint32 word = line[i / 4];
            o[i] = (unsigned char)~(word >> (24 - 8 * (i % 4)));
        }
    }
    return out;
}

/* Adds pix as a page of the PDF: one image filling a page of its size at its resolution. */
static qr_status_t pdf_add_pix(qr__writer_t *w, PIX *pix, qr_err_t *err) {
    fz_context *ctx = w->ctx;
    int pw = pixGetWidth(pix), ph = pixGetHeight(pix), d = pixGetDepth(pix);
    int res = pixGetXRes(pix) > 0 ? pixGetXRes(pix) : QR_SCAN_DEFAULT_DPI;
    float wpt = (float)pw * 72.0f / (float)res, hpt = (float)ph * 72.0f / (float)res;
    unsigned char *bits = NULL;
    l_uint8 *jpeg = NULL;
    size_t jlen = 0;
    if (d == 1 ? !(bits = packed_white_is_1(pix))
               : pixWriteMemJpeg(&jpeg, &jlen, pix, JPEG_QUALITY, 0) != 0)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "encoding page %d failed", w->pages + 1);
    qr_status_t st = QR_OK;
    fz_buffer *data = NULL, *contents = NULL;
    pdf_obj *dict = NULL, *res_dict = NULL, *image = NULL, *page = NULL;
    fz_var(data);
    fz_var(contents);
    fz_var(dict);
    fz_var(res_dict);
    fz_var(image);
    fz_var(page);
    fz_try(ctx) {
        pdf_document *doc = w->doc;
        dict = pdf_new_dict(ctx, doc, 8);
        pdf_dict_put(ctx, dict, PDF_NAME(Type), PDF_NAME(XObject));
        pdf_dict_put(ctx, dict, PDF_NAME(Subtype), PDF_NAME(Image));
        pdf_dict_put_int(ctx, dict, PDF_NAME(Width), pw);
        pdf_dict_put_int(ctx, dict, PDF_NAME(Height), ph);
        if (d == 1) {
            data = fz_compress_ccitt_fax_g4(ctx, bits, pw, ph);
            pdf_dict_put(ctx, dict, PDF_NAME(ColorSpace), PDF_NAME(DeviceGray));
            pdf_dict_put_int(ctx, dict, PDF_NAME(BitsPerComponent), 1);
            pdf_dict_put(ctx, dict, PDF_NAME(Filter), PDF_NAME(CCITTFaxDecode));
            pdf_obj *parms = pdf_dict_put_dict(ctx, dict, PDF_NAME(DecodeParms), 3);
            pdf_dict_put_int(ctx, parms, PDF_NAME(K), -1);
            pdf_dict_put_int(ctx, parms, PDF_NAME(Columns), pw);
            pdf_dict_put_int(ctx, parms, PDF_NAME(Rows), ph);
        } else {
            data = fz_new_buffer_from_copied_data(ctx, jpeg, jlen);
            pdf_dict_put(ctx, dict, PDF_NAME(ColorSpace),
                         d == 8 ? PDF_NAME(DeviceGray) : PDF_NAME(DeviceRGB));
            pdf_dict_put_int(ctx, dict, PDF_NAME(BitsPerComponent), 8);
            pdf_dict_put(ctx, dict, PDF_NAME(Filter), PDF_NAME(DCTDecode));
        }
        image = pdf_add_stream(ctx, doc, data, dict, 1);
        res_dict = pdf_new_dict(ctx, doc, 1);
        pdf_obj *xobjects = pdf_dict_put_dict(ctx, res_dict, PDF_NAME(XObject), 1);
        pdf_dict_puts(ctx, xobjects, "Im0", image);
        contents = fz_new_buffer(ctx, 64);
        fz_append_printf(ctx, contents, "q %g 0 0 %g 0 0 cm /Im0 Do Q\n", wpt, hpt);
        page = pdf_add_page(ctx, doc, fz_make_rect(0, 0, wpt, hpt), 0, res_dict, contents);
        pdf_insert_page(ctx, doc, INT_MAX, page);
    }
    fz_always(ctx) {
        pdf_drop_obj(ctx, page);
        pdf_drop_obj(ctx, image);
        pdf_drop_obj(ctx, res_dict);
        pdf_drop_obj(ctx, dict);
        fz_drop_buffer(ctx, contents);
        fz_drop_buffer(ctx, data);
    }
    fz_catch(ctx) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "adding page %d to the PDF failed: %s",
                        w->pages + 1, fz_caught_message(ctx));
    }
    free(bits);
    lept_free(jpeg);
    return st;
}

qr_status_t qr__writer_add(qr__writer_t *w, PIX *pix, TessBaseAPI *api, qr_err_t *err) {
    l_uint8 *data = NULL;
    size_t len = 0;
    int bit = pixGetDepth(pix) == 1;
    switch (w->fmt) {
    case QR_SCAN_PDF_TEXT:
    case QR_SCAN_PDFA:
        /* The text layer of the page recognition just read: its size is that of the binarized
         * copy recognition ran on, which is pix's. */
        if (!TessResultRendererAddImage(w->tpr, api))
            return qr_err_set(err, QR_E_INTERNAL, NULL,
                              "adding page %d to the searchable PDF failed", w->pages + 1);
        /* fall through */
    case QR_SCAN_PDF: {
        qr_status_t st = pdf_add_pix(w, pix, err);
        if (st)
            return st;
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

/* Grafts the text layer (Tesseract's text-only PDF in data) over the document's pages: each
 * text page's content stream is appended to the image page's, its fonts join the resources. */
static void add_text_layer(fz_context *ctx, pdf_document *doc, const unsigned char *data,
                           size_t len) {
    fz_buffer *buf = NULL;
    fz_stream *stm = NULL;
    pdf_document *text = NULL;
    pdf_graft_map *map = NULL;
    fz_var(buf);
    fz_var(stm);
    fz_var(text);
    fz_var(map);
    fz_try(ctx) {
        buf = fz_new_buffer_from_shared_data(ctx, data, len);
        stm = fz_open_buffer(ctx, buf);
        text = pdf_open_document_with_stream(ctx, stm);
        int n = pdf_count_pages(ctx, text);
        if (n != pdf_count_pages(ctx, doc))
            fz_throw(ctx, FZ_ERROR_GENERIC, "the text layer has %d pages, the document %d", n,
                     pdf_count_pages(ctx, doc));
        map = pdf_new_graft_map(ctx, doc);
        for (int i = 0; i < n; i++) {
            pdf_obj *tpage = pdf_lookup_page_obj(ctx, text, i);
            pdf_obj *page = pdf_lookup_page_obj(ctx, doc, i);
            pdf_obj *tcontents = pdf_dict_get(ctx, tpage, PDF_NAME(Contents));
            pdf_obj *tfonts = pdf_dict_getp(ctx, tpage, "Resources/Font");
            if (!tcontents)
                continue;
            pdf_obj *contents = pdf_new_array(ctx, doc, 2);
            pdf_array_push(ctx, contents, pdf_dict_get(ctx, page, PDF_NAME(Contents)));
            pdf_array_push_drop(ctx, contents, pdf_graft_mapped_object(ctx, map, tcontents));
            pdf_dict_put_drop(ctx, page, PDF_NAME(Contents), contents);
            if (tfonts)
                pdf_dict_put_drop(ctx, pdf_dict_get(ctx, page, PDF_NAME(Resources)), PDF_NAME(Font),
                                  pdf_graft_mapped_object(ctx, map, tfonts));
        }
    }
    fz_always(ctx) {
        pdf_drop_graft_map(ctx, map);
        pdf_drop_document(ctx, text);
        fz_drop_stream(ctx, stm);
        fz_drop_buffer(ctx, buf);
    }
    fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}

/* A new /Info: title, producer, creator and (if date) the dates. The trailer is fetched here:
 * a change to a document can make MuPDF start a new xref section with a trailer of its own. */
static void set_info(fz_context *ctx, pdf_document *doc, const char *date) {
    pdf_obj *trailer = pdf_trailer(ctx, doc);
    pdf_dict_put_drop(ctx, trailer, PDF_NAME(Info),
                      pdf_add_object_drop(ctx, doc, pdf_new_dict(ctx, doc, 5)));
    pdf_obj *info = pdf_dict_get(ctx, trailer, PDF_NAME(Info));
    pdf_dict_put_text_string(ctx, info, PDF_NAME(Title), PDF_TITLE);
    pdf_dict_put_text_string(ctx, info, PDF_NAME(Producer), "quire");
    pdf_dict_put_text_string(ctx, info, PDF_NAME(Creator), "quire");
    if (date) {
        pdf_dict_put_text_string(ctx, info, PDF_NAME(CreationDate), date);
        pdf_dict_put_text_string(ctx, info, PDF_NAME(ModDate), date);
    }
}

/* Makes doc PDF/A-2b: XMP metadata (pdfaid part 2, conformance B) matching /Info, an
 * OutputIntent with an sRGB profile, a trailer /ID, no encryption. */
static void make_pdfa(fz_context *ctx, pdf_document *doc) {
    fz_buffer *xmp = NULL, *profile = NULL;
    pdf_obj *dict = NULL;
    char *packet = NULL;
    fz_var(xmp);
    fz_var(profile);
    fz_var(dict);
    fz_var(packet);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char when[32], pdfdate[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(pdfdate, sizeof(pdfdate), "D:%Y%m%d%H%M%SZ", &tm);
    fz_try(ctx) {
        packet = xmp_packet(when);
        if (!packet)
            fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory");
        pdf_obj *root = pdf_dict_get(ctx, pdf_trailer(ctx, doc), PDF_NAME(Root));

        /* XMP metadata, unfiltered as PDF/A asks. */
        xmp = fz_new_buffer_from_copied_data(ctx, (const unsigned char *)packet, strlen(packet));
        dict = pdf_new_dict(ctx, doc, 2);
        pdf_dict_put(ctx, dict, PDF_NAME(Type), PDF_NAME(Metadata));
        pdf_dict_put(ctx, dict, PDF_NAME(Subtype), PDF_NAME(XML));
        pdf_dict_put_drop(ctx, root, PDF_NAME(Metadata), pdf_add_stream(ctx, doc, xmp, dict, 0));
        pdf_drop_obj(ctx, dict);
        dict = NULL;

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
        pdf_obj *intents = pdf_dict_put_array(ctx, root, PDF_NAME(OutputIntents), 1);
        pdf_obj *oi = pdf_array_push_dict(ctx, intents, 5);
        pdf_dict_put(ctx, oi, PDF_NAME(Type), PDF_NAME(OutputIntent));
        pdf_dict_put_drop(ctx, oi, PDF_NAME(S), pdf_new_name(ctx, "GTS_PDFA1"));
        pdf_dict_put_text_string(ctx, oi, PDF_NAME(OutputConditionIdentifier), "sRGB IEC61966-2.1");
        pdf_dict_put_text_string(ctx, oi, PDF_NAME(Info), "sRGB IEC61966-2.1");
        pdf_dict_put_drop(ctx, oi, PDF_NAME(DestOutputProfile), icc);

        /* /Info says what the XMP says. */
        set_info(ctx, doc, pdfdate);
        pdf_obj *trailer = pdf_trailer(ctx, doc);

        /* A file identifier (both halves the same: this is the original). */
        unsigned char id[16];
        fz_md5 md5;
        fz_md5_init(&md5);
        fz_md5_update(&md5, (const unsigned char *)packet, strlen(packet));
        fz_md5_update(&md5, (const unsigned char *)&now, sizeof(now));
        fz_md5_update(&md5, (const unsigned char *)&doc, sizeof(doc));
        fz_md5_final(&md5, id);
        pdf_obj *ids = pdf_dict_put_array(ctx, trailer, PDF_NAME(ID), 2);
        pdf_array_push_drop(ctx, ids, pdf_new_string(ctx, (const char *)id, sizeof(id)));
        pdf_array_push_drop(ctx, ids, pdf_new_string(ctx, (const char *)id, sizeof(id)));
        pdf_dict_del(ctx, trailer, PDF_NAME(Encrypt));
    }
    fz_always(ctx) {
        pdf_drop_obj(ctx, dict);
        fz_drop_buffer(ctx, xmp);
        fz_drop_buffer(ctx, profile);
        free(packet);
    }
    fz_catch(ctx) {
        fz_rethrow(ctx);
    }
}

/* Finishes the PDF into f: the text layer (if any) grafted in, PDF/A additions, written to a
 * buffer. */
static qr_status_t pdf_finish(qr__writer_t *w, qr_scan_file_t *f, qr_err_t *err) {
    fz_context *ctx = w->ctx;
    unsigned char *text = NULL;
    size_t tlen = 0;
    volatile qr_status_t st = QR_OK;
    if (w->tpr) {
        if (!TessResultRendererEndDocument(w->tpr))
            return qr_err_set(err, QR_E_INTERNAL, NULL, "finishing the text layer failed");
        TessDeleteResultRenderer(w->tpr); /* closes (flushes) its file */
        w->tpr = NULL;
        st = read_memfd(w->fd, &text, &tlen, err);
        if (st)
            return st;
    }
    fz_buffer *buf = NULL;
    fz_output *out = NULL;
    fz_var(buf);
    fz_var(out);
    fz_try(ctx) {
        if (text)
            add_text_layer(ctx, w->doc, text, tlen);
        if (w->fmt == QR_SCAN_PDFA)
            make_pdfa(ctx, w->doc);
        else
            set_info(ctx, w->doc, NULL);
        buf = fz_new_buffer(ctx, 65536);
        out = fz_new_output_with_buffer(ctx, buf);
        pdf_write_options opts = pdf_default_write_options;
        opts.do_garbage = 1; /* streams stay as they are: images and text are compressed */
        pdf_write_document(ctx, w->doc, out, &opts);
        fz_close_output(ctx, out);
        unsigned char *p = NULL;
        size_t n = fz_buffer_storage(ctx, buf, &p);
        if (n > MAX_OUTPUT)
            fz_throw(ctx, FZ_ERROR_GENERIC, "the PDF is larger than %zu MiB", MAX_OUTPUT >> 20);
        f->data = malloc(n ? n : 1);
        if (!f->data)
            fz_throw(ctx, FZ_ERROR_MEMORY, "out of memory");
        memcpy(f->data, p, n);
        f->len = n;
    }
    fz_always(ctx) {
        fz_drop_output(ctx, out);
        fz_drop_buffer(ctx, buf);
    }
    fz_catch(ctx) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "writing the PDF failed: %s",
                        fz_caught_message(ctx));
    }
    free(text);
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
    snprintf(f->suffix, sizeof(f->suffix), "%s", w->fmt == QR_SCAN_TIFF ? ".tif" : ".pdf");
    f->mime = w->fmt == QR_SCAN_TIFF ? "image/tiff" : "application/pdf";
    if (is_pdf(w->fmt))
        return pdf_finish(w, f, err);
    if (fflush(w->fp) != 0)
        return qr_err_set(err, QR_E_IO, NULL, "writing the TIFF failed");
    return read_memfd(w->fd, &f->data, &f->len, err);
}

void qr__writer_destroy(qr__writer_t *w) {
    if (!w)
        return;
    if (w->tpr)
        TessDeleteResultRenderer(w->tpr);
    if (w->ctx) {
        pdf_drop_document(w->ctx, w->doc);
        fz_drop_context(w->ctx);
    }
    if (w->fp)
        fclose(w->fp);
    if (w->fd >= 0)
        close(w->fd);
    for (int i = 0; i < w->njpegs; i++)
        free(w->jpegs[i].data);
    free(w->jpegs);
    free(w);
}
