/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the streamed PDF of image pages. Objects are written in order and their offsets
 * kept; a stream's length is an indirect object written after it, so nothing waits for a
 * page to end. Object 1 is the catalog and 2 the page tree, both written last. */
#include "print/pdfout.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/mem.h"

#define FLUSH_AT 65536 /* bytes gathered before they go to the sink */
#define ZOUT 65536     /* deflate's output buffer */

struct qr_pdfout {
    qr_pdfout_sink_fn sink;
    void *cls;
    unsigned char *buf; /* what is not yet sent */
    size_t len;
    long long offset; /* bytes written so far (sent or in buf) */
    long long *objs;  /* offset of each object by number (0 unused) */
    long long nobjs, cap;
    long long *pages; /* the page objects' numbers */
    long long npages, pages_cap;
    /* the page in progress */
    int open, dct;
    long long image_obj, stream_start;
    qr_pdfout_image_t img;
    z_stream z;
    int z_on;
    unsigned char zout[ZOUT];
};

static qr_status_t flush(qr_pdfout_t *o, qr_err_t *err) {
    qr_status_t st = o->len ? o->sink(o->cls, o->buf, o->len, err) : QR_OK;
    o->len = 0;
    return st;
}

static qr_status_t put(qr_pdfout_t *o, const void *data, size_t n, qr_err_t *err) {
    o->offset += (long long)n;
    if (o->len + n > FLUSH_AT) {
        qr_status_t st = flush(o, err);
        if (st)
            return st;
        if (n > FLUSH_AT)
            return o->sink(o->cls, data, n, err);
    }
    if (n)
        memcpy(o->buf + o->len, data, n);
    o->len += n;
    return QR_OK;
}

/* printf into the output (short texts: object headers, dictionaries). */
__attribute__((format(printf, 3, 4))) static qr_status_t putf(qr_pdfout_t *o, qr_err_t *err,
                                                              const char *fmt, ...) {
    char s[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s, sizeof(s), fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof(s))
        return qr_err_set(err, QR_E_INTERNAL, NULL, "PDF writer: object text too long");
    return put(o, s, (size_t)n, err);
}

/* Begins object number n at the current offset. */
static qr_status_t begin_obj(qr_pdfout_t *o, long long n, qr_err_t *err) {
    if (n >= o->cap) {
        long long cap = o->cap ? o->cap * 2 : 64;
        while (cap <= n)
            cap *= 2;
        o->objs = qr_xrealloc(o->objs, (size_t)cap * sizeof(*o->objs));
        memset(o->objs + o->cap, 0, (size_t)(cap - o->cap) * sizeof(*o->objs));
        o->cap = cap;
    }
    o->objs[n] = o->offset;
    if (n >= o->nobjs)
        o->nobjs = n + 1;
    return putf(o, err, "%lld 0 obj\n", n);
}

qr_pdfout_t *qr_pdfout_create(qr_pdfout_sink_fn sink, void *cls) {
    qr_pdfout_t *o = qr_xcalloc(1, sizeof(*o));
    o->sink = sink;
    o->cls = cls;
    o->buf = qr_xmalloc(FLUSH_AT);
    o->nobjs = 3; /* 1 and 2 are written at the end */
    return o;
}

static const char *color_space(int components) {
    return components == 1 ? "/DeviceGray" : components == 3 ? "/DeviceRGB" : "/DeviceCMYK";
}

qr_status_t qr_pdfout_page_begin(qr_pdfout_t *o, const qr_pdfout_image_t *img, qr_err_t *err) {
    qr_status_t st = QR_OK;
    if (o->offset == 0)
        st = put(o, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", 15, err);
    o->img = *img;
    o->dct = img->dct;
    o->image_obj = o->nobjs;
    if (!st)
        st = begin_obj(o, o->image_obj, err);
    if (!st)
        st = putf(o, err,
                  "<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
                  "/BitsPerComponent %d%s /Filter /%s /Length %lld 0 R >>\nstream\n",
                  img->width, img->height, color_space(img->components), img->bpc,
                  !img->invert           ? ""
                  : img->components == 1 ? " /Decode [1 0]"
                                         : " /Decode [1 0 1 0 1 0 1 0]",
                  img->dct ? "DCTDecode" : "FlateDecode", o->image_obj + 1);
    if (st)
        return st;
    o->stream_start = o->offset;
    if (!img->dct) {
        memset(&o->z, 0, sizeof(o->z));
        if (deflateInit(&o->z, QR_PDFOUT_DEFLATE_LEVEL) != Z_OK)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "PDF writer: zlib cannot start");
        o->z_on = 1;
    }
    o->open = 1;
    return QR_OK;
}

/* Runs deflate over the input set in o->z with flush mode mode, writing what it makes. */
static qr_status_t deflate_out(qr_pdfout_t *o, int mode, qr_err_t *err) {
    for (;;) {
        o->z.next_out = o->zout;
        o->z.avail_out = ZOUT;
        int rc = deflate(&o->z, mode);
        if (rc == Z_STREAM_ERROR)
            return qr_err_set(err, QR_E_INTERNAL, NULL, "PDF writer: zlib failed");
        size_t made = ZOUT - o->z.avail_out;
        qr_status_t st = made ? put(o, o->zout, made, err) : QR_OK;
        if (st)
            return st;
        if (mode == Z_FINISH ? rc == Z_STREAM_END : o->z.avail_out != 0)
            return QR_OK;
    }
}

qr_status_t qr_pdfout_page_data(qr_pdfout_t *o, const void *data, size_t n, qr_err_t *err) {
    if (o->dct)
        return put(o, data, n, err);
    o->z.next_in = (unsigned char *)(uintptr_t)data;
    o->z.avail_in = (uInt)n;
    return deflate_out(o, Z_NO_FLUSH, err);
}

qr_status_t qr_pdfout_page_end(qr_pdfout_t *o, qr_err_t *err) {
    qr_status_t st = QR_OK;
    if (o->z_on) {
        o->z.avail_in = 0;
        st = deflate_out(o, Z_FINISH, err);
        deflateEnd(&o->z);
        o->z_on = 0;
    }
    o->open = 0;
    long long length = o->offset - o->stream_start;
    long long im = o->image_obj;
    const double *m = o->img.m;
    char content[256];
    int clen = snprintf(content, sizeof(content), "q %.3f %.3f %.3f %.3f %.3f %.3f cm /Im0 Do Q\n",
                        m[0], m[1], m[2], m[3], m[4], m[5]);
    if (!st)
        st = putf(o, err, "\nendstream\nendobj\n");
    if (!st)
        st = begin_obj(o, im + 1, err);
    if (!st)
        st = putf(o, err, "%lld\nendobj\n", length);
    if (!st)
        st = begin_obj(o, im + 2, err);
    if (!st)
        st = putf(o, err, "<< /Length %d >>\nstream\n%sendstream\nendobj\n", clen, content);
    if (!st)
        st = begin_obj(o, im + 3, err);
    if (!st)
        st = putf(o, err,
                  "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << "
                  "/XObject << /Im0 %lld 0 R >> >> /Contents %lld 0 R >>\nendobj\n",
                  o->img.page_w, o->img.page_h, im, im + 2);
    if (st)
        return st;
    if (o->npages == o->pages_cap) {
        o->pages_cap = o->pages_cap ? o->pages_cap * 2 : 16;
        o->pages = qr_xrealloc(o->pages, (size_t)o->pages_cap * sizeof(*o->pages));
    }
    o->pages[o->npages++] = im + 3;
    return QR_OK;
}

qr_status_t qr_pdfout_finish(qr_pdfout_t *o, qr_err_t *err) {
    if (o->open || o->npages == 0)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "PDF writer: no complete page");
    qr_status_t st = begin_obj(o, 1, err);
    if (!st)
        st = putf(o, err, "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    if (!st)
        st = begin_obj(o, 2, err);
    if (!st)
        st = putf(o, err, "<< /Type /Pages /Count %lld /Kids [", o->npages);
    for (long long i = 0; !st && i < o->npages; i++)
        st = putf(o, err, "%s%lld 0 R", i ? " " : "", o->pages[i]);
    if (!st)
        st = putf(o, err, "] >>\nendobj\n");
    long long xref = o->offset;
    if (!st)
        st = putf(o, err, "xref\n0 %lld\n0000000000 65535 f \n", o->nobjs);
    for (long long i = 1; !st && i < o->nobjs; i++)
        st = putf(o, err, "%010lld 00000 n \n", o->objs[i]);
    if (!st)
        st = putf(o, err, "trailer\n<< /Size %lld /Root 1 0 R >>\nstartxref\n%lld\n%%%%EOF\n",
                  o->nobjs, xref);
    if (!st)
        st = flush(o, err);
    return st;
}

long long qr_pdfout_pages(const qr_pdfout_t *o) {
    return o->npages;
}

void qr_pdfout_destroy(qr_pdfout_t *o) {
    if (!o)
        return;
    if (o->z_on)
        deflateEnd(&o->z);
    free(o->buf);
    free(o->objs);
    free(o->pages);
    free(o);
}
