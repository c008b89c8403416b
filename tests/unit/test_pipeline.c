/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the scan pipeline (CAP-1, CAP-3, SEC-2): pages rendered here from known text at 300
 * dpi (MuPDF, Base-14 Helvetica), then skewed, speckled and turned with Leptonica; the text read
 * back is compared by character error rate; outputs are checked with pdftotext, MuPDF and
 * Leptonica; hostile inputs get clear errors. Nothing large is committed: all is made here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <leptonica/allheaders.h>
#include <mupdf/fitz.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "print/pdf.h"
#include "scan/pipeline.h"

/* Measured on this machine (see docs/design-notes.md, "Scan pipeline"): the clean page reads
 * with a CER of 0 and the skewed, speckled one below 1%; the bounds leave room for engine
 * updates but not for a broken step. */
#define CER_CLEAN 0.02
#define CER_DIRTY 0.05
#define CER_GARBAGE 0.5 /* a page read sideways is worse than this */
#define DPI 300
#define PAGE_W 420 /* points: a small page keeps each OCR under a second */
#define PAGE_H 300

static char dir[] = "/tmp/quire-pipeline-XXXXXX";
static qr_ocr_engine_t *engine;

static const char *const lines[] = {
    "The quick brown fox jumps over the lazy dog.",
    "Invoice number 2026-0042 is due on 15 March.",
    "Scanning turns paper into searchable text.",
    "Please keep this page for your records.",
};
#define NLINES 4

static int setup(void **state) {
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_ocr_engine_create("eng", &engine, &err) != QR_OK) {
        fprintf(stderr, "engine: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    qr_ocr_engine_destroy(engine);
    if (getenv("QUIRE_TEST_KEEP")) { /* for looking at the outputs */
        printf("# outputs kept in %s\n", dir);
        return 0;
    }
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

typedef struct bytes {
    char *data;
    size_t len;
} bytes_t;

/* A PDF of objects 1..n with a correct xref table. */
static bytes_t build(const char *const *objs, size_t n) {
    bytes_t d = {NULL, 0};
    FILE *f = open_memstream(&d.data, &d.len);
    long *off = calloc(n + 1, sizeof(long));
    fputs("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", f);
    for (size_t i = 0; i < n; i++) {
        off[i] = ftell(f);
        fprintf(f, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    long xref = ftell(f);
    fprintf(f, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%010ld 00000 n \n", off[i]);
    fprintf(f, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", n + 1, xref);
    fclose(f);
    free(off);
    return d;
}

/* A stream object of content. Returns a new string. */
static char *stream(const char *dict_extra, const char *content, size_t len) {
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    fprintf(f, "<< /Length %zu %s >>\nstream\n", len, dict_extra);
    fwrite(content, 1, len, f);
    fputs("\nendstream", f);
    fclose(f);
    return s;
}

/* A PDF with one page per entry of texts (each: lines separated by '\n'), Helvetica 12 pt. */
static bytes_t text_pdf(const char *const *texts, int npages) {
    size_t n = 3 + 2 * (size_t)npages;
    char **objs = calloc(n, sizeof(char *));
    objs[0] = strdup("<< /Type /Catalog /Pages 2 0 R >>");
    char *kids = NULL;
    size_t klen = 0;
    FILE *k = open_memstream(&kids, &klen);
    for (int i = 0; i < npages; i++)
        fprintf(k, "%d 0 R ", 4 + 2 * i);
    fclose(k);
    objs[1] = NULL;
    size_t pl = 0;
    FILE *p = open_memstream(&objs[1], &pl);
    fprintf(p, "<< /Type /Pages /Kids [%s] /Count %d >>", kids, npages);
    fclose(p);
    free(kids);
    objs[2] = strdup("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    for (int i = 0; i < npages; i++) {
        char *page = NULL;
        size_t plen = 0;
        FILE *f = open_memstream(&page, &plen);
        fprintf(f,
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 "
                "3 0 R >> >> /Contents %d 0 R >>",
                PAGE_W, PAGE_H, 5 + 2 * i);
        fclose(f);
        objs[3 + 2 * i] = page;
        char *content = NULL;
        size_t clen = 0;
        f = open_memstream(&content, &clen);
        fprintf(f, "BT /F1 12 Tf 16 TL 30 %d Td (", PAGE_H - 50);
        for (const char *c = texts[i]; *c; c++) {
            if (*c == '\n')
                fputs(") Tj T* (", f);
            else
                fputc(*c, f);
        }
        fputs(") Tj ET", f);
        fclose(f);
        objs[4 + 2 * i] = stream("", content, clen);
        free(content);
    }
    bytes_t d = build((const char *const *)objs, n);
    for (size_t i = 0; i < n; i++)
        free(objs[i]);
    free(objs);
    return d;
}

/* The page lines joined by '\n'. Returns a new string. */
static char *page_text(int nl) {
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    for (int i = 0; i < nl; i++)
        fprintf(f, "%s%s", i ? "\n" : "", lines[i]);
    fclose(f);
    return s;
}

/* Page 1 of pdf rendered in gray at 300 dpi, as a Leptonica image. */
static PIX *render(bytes_t pdf) {
    fz_context *ctx = fz_new_context(NULL, NULL, FZ_STORE_DEFAULT);
    fz_register_document_handlers(ctx);
    fz_stream *stm = fz_open_memory(ctx, (unsigned char *)pdf.data, pdf.len);
    fz_document *doc = fz_open_document_with_stream(ctx, "application/pdf", stm);
    fz_pixmap *pm = fz_new_pixmap_from_page_number(ctx, doc, 0, fz_scale(DPI / 72.0f, DPI / 72.0f),
                                                   fz_device_gray(ctx), 0);
    int w = fz_pixmap_width(ctx, pm), h = fz_pixmap_height(ctx, pm);
    PIX *pix = pixCreate(w, h, 8);
    for (int y = 0; y < h; y++) {
        l_uint32 *line = pixGetData(pix) + y * pixGetWpl(pix);
        const unsigned char *s = fz_pixmap_samples(ctx, pm) + (size_t)y * fz_pixmap_stride(ctx, pm);
        for (int x = 0; x < w; x++)
            SET_DATA_BYTE(line, x, s[x]);
    }
    pixSetResolution(pix, DPI, DPI);
    fz_drop_pixmap(ctx, pm);
    fz_drop_document(ctx, doc);
    fz_drop_stream(ctx, stm);
    fz_drop_context(ctx);
    return pix;
}

/* A page with the first nl lines, as a gray image. */
static PIX *text_page(int nl) {
    char *t = page_text(nl);
    const char *texts[1] = {t};
    bytes_t pdf = text_pdf(texts, 1);
    PIX *pix = render(pdf);
    free(pdf.data);
    free(t);
    return pix;
}

/* n random dark specks of 1 to 3 pixels. */
static void speckle(PIX *pix, int n, unsigned seed) {
    srand(seed);
    int w = pixGetWidth(pix), h = pixGetHeight(pix);
    for (int i = 0; i < n; i++) {
        int x = rand() % (w - 4), y = rand() % (h - 4), s = 1 + rand() % 3;
        for (int dy = 0; dy < s; dy++)
            for (int dx = 0; dx < s; dx++)
                pixSetPixel(pix, x + dx, y + dy, 40);
    }
}

static bytes_t png_of(PIX *pix) {
    bytes_t b = {NULL, 0};
    l_uint8 *d = NULL;
    assert_int_equal(pixWriteMemPng(&d, &b.len, pix, 0), 0);
    b.data = (char *)d;
    return b;
}

/* s with whitespace runs collapsed to one space (exact characters otherwise). Returns a new
 * string. */
static char *collapse(const char *s) {
    char *o = malloc(strlen(s) + 1);
    size_t n = 0;
    int space = 1;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\f' || *s == '\r') {
            if (!space)
                o[n++] = ' ';
            space = 1;
        } else {
            o[n++] = *s;
            space = 0;
        }
    }
    while (n && o[n - 1] == ' ')
        n--;
    o[n] = '\0';
    return o;
}

/* Levenshtein distance / length of the truth, after collapsing whitespace. */
static double cer(const char *truth, const char *got) {
    char *a = collapse(truth), *b = collapse(got);
    size_t la = strlen(a), lb = strlen(b);
    size_t *prev = calloc(lb + 1, sizeof(size_t)), *cur = calloc(lb + 1, sizeof(size_t));
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    double r = la ? (double)prev[lb] / (double)la : 0;
    free(prev);
    free(cur);
    free(a);
    free(b);
    return r;
}

static qr_scan_steps_t steps_of(qr_scan_format_t f) {
    qr_scan_steps_t s;
    memset(&s, 0, sizeof(s));
    s.format = f;
    snprintf(s.language, sizeof(s.language), "eng");
    return s;
}

/* Runs the pipeline over one input with default limits; asserts success. */
static void run_one(bytes_t in, const qr_scan_steps_t *steps, qr_scan_output_t *out) {
    qr_scan_input_t input = {in.data, in.len};
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_scan_process(engine, &input, 1, steps, NULL, out, &err);
    if (st != QR_OK)
        fail_msg("qr_scan_process: %s: %s", qr_err_code(&err), err.msg);
}

static double read_cer(PIX *page, const qr_scan_steps_t *steps, const char *label) {
    bytes_t png = png_of(page);
    qr_scan_output_t out;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    run_one(png, steps, &out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    char *truth = page_text(NLINES);
    double r = cer(truth, out.text);
    if (getenv("QUIRE_TEST_KEEP"))
        printf("# read: %s\n", out.text);
    printf("# %s: CER %.4f in %.2f s, peak %zu KiB\n", label, r,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           out.peak_bytes >> 10);
    assert_int_equal(out.ocr_pages, 1);
    free(truth);
    qr_scan_output_free(&out);
    free(png.data);
    return r;
}

static void test_cap1_format_names(void **state) {
    (void)state;
    for (int i = 0; i < QR_SCAN_FORMAT_COUNT; i++)
        assert_int_equal(qr_scan_format_parse(qr_scan_format_name((qr_scan_format_t)i)), i);
    assert_int_equal(qr_scan_format_parse("docx"), -1);
    assert_int_equal(qr_scan_format_parse(NULL), -1);
}

static void test_cap3_languages_are_checked(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_true(qr_ocr_languages_valid("eng", &err));
    assert_true(qr_ocr_languages_valid("eng+osd", &err));
    assert_false(qr_ocr_languages_valid("klingon", &err));
    assert_string_equal(qr_err_code(&err), "invalid_language");
    assert_non_null(strstr(err.msg, "klingon"));
    assert_non_null(strstr(err.msg, "eng")); /* names what is installed */
    assert_false(qr_ocr_languages_valid("../../etc/passwd", &err));
    assert_false(qr_ocr_languages_valid("eng+", &err));
    assert_false(qr_ocr_languages_valid("", &err));

    /* A scan asking for a language that is not installed is refused before any work; the
     * engine keeps working for the next scan. */
    PIX *page = text_page(1);
    bytes_t png = png_of(page);
    qr_scan_input_t in = {png.data, png.len};
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF);
    steps.ocr = 1;
    snprintf(steps.language, sizeof(steps.language), "eng+klingon");
    qr_scan_output_t out;
    assert_int_equal(qr_scan_process(engine, &in, 1, &steps, NULL, &out, &err), QR_E_INVALID);
    assert_string_equal(qr_err_code(&err), "invalid_language");
    qr_scan_output_free(&out);
    snprintf(steps.language, sizeof(steps.language), "eng");
    assert_int_equal(qr_scan_process(engine, &in, 1, &steps, NULL, &out, &err), QR_OK);
    assert_non_null(strstr(out.text, "quick brown fox"));
    qr_scan_output_free(&out);
    free(png.data);
    pixDestroy(&page);
}

static void test_cap3_clean_page_is_read(void **state) {
    (void)state;
    PIX *page = text_page(NLINES);
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF);
    steps.ocr = 1;
    assert_true(read_cer(page, &steps, "clean") < CER_CLEAN);
    pixDestroy(&page);
}

static void test_cap3_skewed_noisy_page_is_cleaned_and_read(void **state) {
    (void)state;
    PIX *page = text_page(NLINES);
    PIX *skewed =
        pixRotate(page, 3.0f * 3.14159265f / 180.0f, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
    pixSetResolution(skewed, DPI, DPI);
    speckle(skewed, 3000, 1);
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF);
    steps.ocr = steps.deskew = steps.despeckle = steps.binarize = 1;
    assert_true(read_cer(skewed, &steps, "skewed 3 deg + 3000 specks") < CER_DIRTY);
    pixDestroy(&skewed);
    pixDestroy(&page);
}

static void test_cap3_turned_pages_are_turned_upright(void **state) {
    (void)state;
    PIX *page = text_page(NLINES);
    qr_scan_steps_t steps = steps_of(QR_SCAN_TIFF);
    steps.ocr = 1;
    /* Upside down, Tesseract alone reads garbage. */
    PIX *upside = pixRotateOrth(page, 2);
    pixSetResolution(upside, DPI, DPI);
    assert_true(read_cer(upside, &steps, "turned 180 deg, no auto_rotate") > CER_GARBAGE);
    pixDestroy(&upside);
    steps.auto_rotate = 1;
    for (int quads = 1; quads <= 3; quads++) {
        PIX *turned = pixRotateOrth(page, quads);
        pixSetResolution(turned, DPI, DPI);
        char label[64];
        snprintf(label, sizeof(label), "turned %d deg, auto_rotate", quads * 90);
        assert_true(read_cer(turned, &steps, label) < CER_CLEAN);
        /* The output page is upright too (landscape, as rendered). */
        bytes_t png = png_of(turned);
        qr_scan_output_t out;
        run_one(png, &steps, &out);
        PIXA *pixa = pixaReadMemMultipageTiff(out.files[0].data, out.files[0].len);
        PIX *p0 = pixaGetPix(pixa, 0, L_CLONE);
        assert_int_equal(pixGetWidth(p0), pixGetWidth(page));
        pixDestroy(&p0);
        pixaDestroy(&pixa);
        qr_scan_output_free(&out);
        free(png.data);
        pixDestroy(&turned);
    }
    pixDestroy(&page);
}

/* One engine per worker thread: two threads, each with its own engine, read pages at once. */
static void *worker(void *arg) {
    bytes_t *png = arg;
    qr_ocr_engine_t *e = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_ocr_engine_create("eng", &e, &err) != QR_OK)
        return (void *)1;
    qr_scan_input_t in = {png->data, png->len};
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF_TEXT);
    steps.auto_rotate = steps.deskew = steps.binarize = 1;
    intptr_t bad = 0;
    for (int i = 0; i < 2 && !bad; i++) {
        qr_scan_output_t out;
        bad = qr_scan_process(e, &in, 1, &steps, NULL, &out, &err) != QR_OK ||
              !strstr(out.text, "Invoice number 2026-0042");
        qr_scan_output_free(&out);
    }
    qr_ocr_engine_destroy(e);
    return (void *)bad;
}

static void test_cap3_engines_work_in_parallel(void **state) {
    (void)state;
    PIX *page = text_page(NLINES);
    bytes_t png = png_of(page);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, &png), 0);
    for (int i = 0; i < 2; i++) {
        void *bad = NULL;
        pthread_join(t[i], &bad);
        assert_null(bad);
    }
    free(png.data);
    pixDestroy(&page);
}

/* Runs a command; returns its stdout (new string). */
static char *command(const char *cmd) {
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *s = NULL;
    size_t n = 0;
    FILE *o = open_memstream(&s, &n);
    char buf[4096];
    size_t r;
    while ((r = fread(buf, 1, sizeof(buf), p)) > 0)
        fwrite(buf, 1, r, o);
    pclose(p);
    fclose(o);
    return s;
}

static char *write_temp(const char *name, const void *data, size_t len) {
    char *path = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&path, &n);
    fprintf(f, "%s/%s", dir, name);
    fclose(f);
    FILE *o = fopen(path, "wb");
    assert_non_null(o);
    assert_int_equal(fwrite(data, 1, len, o), len);
    fclose(o);
    return path;
}

static void test_cap1_pdf_input_to_searchable_pdf(void **state) {
    (void)state;
    char *t1 = page_text(2), *t2 = page_text(NLINES);
    const char *texts[2] = {t1, t2};
    bytes_t pdf = text_pdf(texts, 2);
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF_TEXT);
    steps.binarize = 1;
    qr_scan_output_t out;
    run_one(pdf, &steps, &out);
    assert_int_equal(out.pages_in, 2);
    assert_int_equal(out.pages_out, 2);
    assert_int_equal(out.ocr_pages, 2);
    assert_int_equal(out.nfiles, 1);
    assert_string_equal(out.files[0].suffix, ".pdf");
    assert_string_equal(out.files[0].mime, "application/pdf");
    assert_non_null(strchr(out.text, '\f'));
    char *path = write_temp("searchable.pdf", out.files[0].data, out.files[0].len);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "pdftotext -layout %s - 2>/dev/null", path);
    char *text = command(cmd);
    /* Every line of both pages, in reading order. */
    char *all = collapse(text);
    const char *at = all;
    const char *want[] = {lines[0], lines[1], lines[0], lines[1], lines[2], lines[3]};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            fail_msg("\"%s\" not found in order in pdftotext's output:\n%s", want[i], text);
        at = hit + strlen(want[i]);
    }
    free(all);
    /* 300 dpi kept: a 420 x 300 pt page. */
    snprintf(cmd, sizeof(cmd), "pdfinfo %s 2>/dev/null | grep 'Page size'", path);
    char *info = command(cmd);
    assert_non_null(strstr(info, "420 x 300"));
    free(info);
    free(text);
    free(path);
    qr_scan_output_free(&out);
    free(pdf.data);
    free(t1);
    free(t2);
}

static void test_cap1_pdfa(void **state) {
    (void)state;
    PIX *page = text_page(2);
    bytes_t png = png_of(page);
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDFA);
    qr_scan_output_t out;
    run_one(png, &steps, &out);
    assert_int_equal(out.nfiles, 1);
    const char *d = (const char *)out.files[0].data;
    size_t n = out.files[0].len;
    assert_non_null(memmem(d, n, "<pdfaid:part>2</pdfaid:part>", 28));
    assert_non_null(memmem(d, n, "<pdfaid:conformance>B</pdfaid:conformance>", 42));
    assert_non_null(memmem(d, n, "/OutputIntents", 14));
    assert_non_null(memmem(d, n, "/GTS_PDFA1", 10));
    char *path = write_temp("pdfa.pdf", d, n);
    assert_non_null(memmem(d, n, "/ID", 3));
    assert_null(memmem(d, n, "/Encrypt", 8));
    qr_pdf_info_t info;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_pdf_inspect_buffer(d, n, NULL, &info, &err), QR_OK);
    assert_int_equal(info.pages, 1);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "pdftotext %s - 2>/dev/null", path);
    char *text = command(cmd);
    assert_non_null(strstr(text, "quick brown fox"));
    free(text);
    free(path);
    qr_scan_output_free(&out);
    free(png.data);
    pixDestroy(&page);
}

static void test_cap1_image_pdf_tiff_and_jpeg(void **state) {
    (void)state;
    PIX *page = text_page(2);
    bytes_t png = png_of(page);
    qr_scan_input_t in[3] = {{png.data, png.len}, {png.data, png.len}, {png.data, png.len}};
    qr_err_t err = {QR_OK, NULL, ""};

    /* Image-only PDF: 3 pages, 420 x 300 pt (300 dpi kept). */
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF);
    qr_scan_output_t out;
    assert_int_equal(qr_scan_process(engine, in, 3, &steps, NULL, &out, &err), QR_OK);
    assert_int_equal(out.nfiles, 1);
    assert_string_equal(out.text, "");
    assert_int_equal(out.ocr_pages, 0);
    qr_pdf_info_t info;
    assert_int_equal(qr_pdf_inspect_buffer(out.files[0].data, out.files[0].len, NULL, &info, &err),
                     QR_OK);
    assert_int_equal(info.pages, 3);
    char *path = write_temp("image.pdf", out.files[0].data, out.files[0].len);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "pdfinfo %s 2>/dev/null | grep 'Page size'", path);
    char *pinfo = command(cmd);
    assert_non_null(strstr(pinfo, "420 x 300"));
    free(pinfo);
    free(path);
    qr_scan_output_free(&out);

    /* TIFF: one file of 3 pages (1 bit after binarize), 300 dpi. */
    steps = steps_of(QR_SCAN_TIFF);
    steps.binarize = 1;
    assert_int_equal(qr_scan_process(engine, in, 3, &steps, NULL, &out, &err), QR_OK);
    assert_int_equal(out.nfiles, 1);
    assert_string_equal(out.files[0].suffix, ".tif");
    assert_string_equal(out.files[0].mime, "image/tiff");
    PIXA *pixa = pixaReadMemMultipageTiff(out.files[0].data, out.files[0].len);
    assert_non_null(pixa);
    assert_int_equal(pixaGetCount(pixa), 3);
    PIX *p0 = pixaGetPix(pixa, 0, L_CLONE);
    assert_int_equal(pixGetDepth(p0), 1);
    assert_int_equal(pixGetXRes(p0), DPI);
    assert_int_equal(pixGetWidth(p0), pixGetWidth(page));
    pixDestroy(&p0);
    pixaDestroy(&pixa);
    qr_scan_output_free(&out);

    /* Gray TIFF too. */
    steps.binarize = 0;
    assert_int_equal(qr_scan_process(engine, in, 2, &steps, NULL, &out, &err), QR_OK);
    pixa = pixaReadMemMultipageTiff(out.files[0].data, out.files[0].len);
    assert_int_equal(pixaGetCount(pixa), 2);
    p0 = pixaGetPix(pixa, 1, L_CLONE);
    assert_int_equal(pixGetDepth(p0), 8);
    pixDestroy(&p0);
    pixaDestroy(&pixa);
    qr_scan_output_free(&out);

    /* JPEG: one file per page. */
    steps = steps_of(QR_SCAN_JPEG);
    assert_int_equal(qr_scan_process(engine, in, 3, &steps, NULL, &out, &err), QR_OK);
    assert_int_equal(out.nfiles, 3);
    assert_string_equal(out.files[0].suffix, "-001.jpg");
    assert_string_equal(out.files[2].suffix, "-003.jpg");
    assert_string_equal(out.files[1].mime, "image/jpeg");
    PIX *j = pixReadMem(out.files[2].data, out.files[2].len);
    assert_non_null(j);
    assert_int_equal(pixGetXRes(j), DPI);
    pixDestroy(&j);
    qr_scan_output_free(&out);

    free(png.data);
    pixDestroy(&page);
}

static void test_cap1_jpeg_and_multipage_tiff_inputs(void **state) {
    (void)state;
    PIX *page = text_page(2);
    l_uint8 *jpg = NULL;
    size_t jlen = 0;
    assert_int_equal(pixWriteMemJpeg(&jpg, &jlen, page, 90, 0), 0);
    /* A colour page too: it stays in colour unless binarized. */
    PIX *colour = pixConvertTo32(page);
    pixSetResolution(colour, DPI, DPI);
    pixSetRGBPixel(colour, 10, 10, 255, 0, 0);
    PIXA *pixa = pixaCreate(3);
    pixaAddPix(pixa, page, L_COPY);
    pixaAddPix(pixa, colour, L_COPY);
    PIX *bin = pixThresholdToBinary(page, 128);
    pixaAddPix(pixa, bin, L_COPY);
    l_uint8 *tif = NULL;
    size_t tlen = 0;
    assert_int_equal(pixaWriteMemMultipageTiff(&tif, &tlen, pixa), 0);
    const char *fmt = NULL;
    int pages = 0;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_scan_probe(tif, tlen, NULL, &fmt, &pages, &err), QR_OK);
    assert_string_equal(fmt, "tiff");
    assert_int_equal(pages, 3);
    assert_int_equal(qr_scan_probe(jpg, jlen, NULL, &fmt, &pages, &err), QR_OK);
    assert_string_equal(fmt, "jpeg");
    assert_int_equal(pages, 1);

    qr_scan_input_t in[2] = {{jpg, jlen}, {tif, tlen}};
    qr_scan_steps_t steps = steps_of(QR_SCAN_JPEG);
    steps.ocr = 1;
    qr_scan_output_t out;
    assert_int_equal(qr_scan_process(engine, in, 2, &steps, NULL, &out, &err), QR_OK);
    assert_int_equal(out.pages_in, 4);
    assert_int_equal(out.pages_out, 4);
    assert_int_equal(out.ocr_pages, 4);
    assert_int_equal(out.nfiles, 4);
    /* Four pages of text, separated by form feeds. */
    int ff = 0;
    for (const char *c = out.text; *c; c++)
        ff += *c == '\f';
    assert_int_equal(ff, 3);
    assert_non_null(strstr(out.text, "quick brown fox"));
    PIX *j = pixReadMem(out.files[2].data, out.files[2].len);
    assert_int_equal(pixGetDepth(j), 32); /* the colour page */
    assert_int_equal(pixGetXRes(j), DPI);
    pixDestroy(&j);
    j = pixReadMem(out.files[0].data, out.files[0].len);
    assert_int_equal(pixGetDepth(j), 8);
    pixDestroy(&j);
    qr_scan_output_free(&out);

    lept_free(tif);
    lept_free(jpg);
    pixDestroy(&bin);
    pixaDestroy(&pixa);
    pixDestroy(&colour);
    pixDestroy(&page);
}

static void test_cap1_blank_pages_are_removed(void **state) {
    (void)state;
    PIX *text = text_page(NLINES);
    PIX *blank = pixCreate(pixGetWidth(text), pixGetHeight(text), 8);
    pixSetAllArbitrary(blank, 250);
    pixSetResolution(blank, DPI, DPI);
    PIX *specks = pixCopy(NULL, blank);
    speckle(specks, 1500, 7);
    /* A dark scanner edge along one side is not content either. */
    for (int y = 0; y < pixGetHeight(specks); y++)
        for (int x = 0; x < 12; x++)
            pixSetPixel(specks, x, y, 30);
    /* One short line is content. */
    const char *one[1] = {"Total: 42 EUR"};
    bytes_t short_pdf = text_pdf(one, 1);
    PIX *line = render(short_pdf);
    bytes_t b[4] = {png_of(text), png_of(blank), png_of(specks), png_of(line)};
    qr_scan_input_t in[4];
    for (int i = 0; i < 4; i++)
        in[i] = (qr_scan_input_t){b[i].data, b[i].len};
    qr_scan_steps_t steps = steps_of(QR_SCAN_TIFF);
    steps.remove_blank = 1;
    qr_scan_output_t out;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_scan_process(engine, in, 4, &steps, NULL, &out, &err), QR_OK);
    assert_int_equal(out.pages_in, 4);
    assert_int_equal(out.pages_out, 2);
    PIXA *pixa = pixaReadMemMultipageTiff(out.files[0].data, out.files[0].len);
    assert_int_equal(pixaGetCount(pixa), 2);
    pixaDestroy(&pixa);
    qr_scan_output_free(&out);

    /* Nothing but blank pages: no_pages. */
    assert_int_equal(qr_scan_process(engine, in + 1, 2, &steps, NULL, &out, &err), QR_E_INVALID);
    assert_string_equal(qr_err_code(&err), "no_pages");
    qr_scan_output_free(&out);

    for (int i = 0; i < 4; i++)
        free(b[i].data);
    free(short_pdf.data);
    pixDestroy(&line);
    pixDestroy(&specks);
    pixDestroy(&blank);
    pixDestroy(&text);
}

static void test_cap1_barcodes_are_read(void **state) {
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "qrencode -o %s/qr.png -s 8 'INV-2026-0042'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s/qr.png", dir);
    PIX *qr = pixRead(cmd);
    assert_non_null(qr);
    PIX *qr8 = pixConvertTo8(qr, 0);
    PIX *page = text_page(2);
    pixRasterop(page, pixGetWidth(page) - pixGetWidth(qr8) - 60,
                pixGetHeight(page) - pixGetHeight(qr8) - 60, pixGetWidth(qr8), pixGetHeight(qr8),
                PIX_SRC, qr8, 0, 0);
    bytes_t png = png_of(page);
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF);
    steps.barcodes = 1;
    qr_scan_output_t out;
    run_one(png, &steps, &out);
    assert_int_equal(json_array_size(out.barcodes), 1);
    json_t *b = json_array_get(out.barcodes, 0);
    assert_int_equal(json_integer_value(json_object_get(b, "page")), 1);
    assert_string_equal(json_string_value(json_object_get(b, "type")), "QR-Code");
    assert_string_equal(json_string_value(json_object_get(b, "data")), "INV-2026-0042");
    qr_scan_output_free(&out);
    free(png.data);
    pixDestroy(&page);
    pixDestroy(&qr8);
    pixDestroy(&qr);
}

/* Expects the probe and the pipeline to refuse data with code, fast. */
static void expect_refused(const void *data, size_t len, const qr_scan_limits_t *lim,
                           const char *code, const char *label) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    qr_err_t err = {QR_OK, NULL, ""};
    const char *fmt = NULL;
    int pages = 0;
    qr_status_t st = qr_scan_probe(data, len, lim, &fmt, &pages, &err);
    if (st == QR_OK) {
        /* Some damage only shows when the pixels are decoded. */
        qr_scan_input_t in = {data, len};
        qr_scan_steps_t steps = steps_of(QR_SCAN_TIFF);
        qr_scan_output_t out;
        st = qr_scan_process(engine, &in, 1, &steps, lim, &out, &err);
        qr_scan_output_free(&out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# %s: %s (%s) in %.3f s\n", label, qr_err_code(&err), err.msg, s);
    if (st != QR_E_INVALID)
        fail_msg("%s: accepted", label);
    if (strcmp(qr_err_code(&err), code) != 0)
        fail_msg("%s: %s instead of %s: %s", label, qr_err_code(&err), code, err.msg);
    assert_true(s < 10.0);
}

/* A PNG signature, an IHDR chunk of w x h (8-bit gray) with a correct CRC, and IEND: no pixels. */
static bytes_t png_header(unsigned w, unsigned h) {
    static unsigned char p[45];
    memcpy(p, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
    unsigned char *q = p + 16;
    unsigned v[2] = {w, h};
    for (int i = 0; i < 2; i++) {
        q[4 * i] = (unsigned char)(v[i] >> 24);
        q[4 * i + 1] = (unsigned char)(v[i] >> 16);
        q[4 * i + 2] = (unsigned char)(v[i] >> 8);
        q[4 * i + 3] = (unsigned char)v[i];
    }
    q[8] = 8;  /* bit depth */
    q[9] = 0;  /* gray */
    q[10] = 0; /* compression, filter, interlace */
    q[11] = 0;
    q[12] = 0;
    uLong crc = crc32(0, p + 12, 17);
    p[29] = (unsigned char)(crc >> 24);
    p[30] = (unsigned char)(crc >> 16);
    p[31] = (unsigned char)(crc >> 8);
    p[32] = (unsigned char)crc;
    memcpy(p + 33, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    return (bytes_t){(char *)p, sizeof(p)};
}

/* A PDF of n pages all sharing one content stream. */
static bytes_t many_pages_pdf(int n) {
    char *kids = NULL;
    size_t klen = 0;
    FILE *k = open_memstream(&kids, &klen);
    fprintf(k, "<< /Type /Pages /Count %d /Kids [", n);
    for (int i = 0; i < n; i++)
        fprintf(k, "%d 0 R ", 4 + i);
    fputs("] >>", k);
    fclose(k);
    const char **objs = calloc((size_t)n + 3, sizeof(char *));
    objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
    objs[1] = kids;
    objs[2] = "<< /Length 0 >>\nstream\n\nendstream";
    const char *page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 3 0 R >>";
    for (int i = 0; i < n; i++)
        objs[3 + i] = page;
    bytes_t d = build(objs, (size_t)n + 3);
    free(objs);
    free(kids);
    return d;
}

/* A one-page PDF whose content stream inflates to size bytes of drawing operators (hex-encoded
 * on top, so that the object text has no NUL). */
static bytes_t bomb_pdf(size_t size) {
    const char *op = "0 0 m 1 1 l S\n";
    size_t oplen = strlen(op);
    size_t chunk = 1 << 20;
    char *plain = malloc(chunk);
    for (size_t i = 0; i + oplen <= chunk; i += oplen)
        memcpy(plain + i, op, oplen);
    size_t used = chunk / oplen * oplen;
    z_stream z;
    memset(&z, 0, sizeof(z));
    deflateInit(&z, 1);
    size_t cap = size / 100 + (1 << 16), outlen = 0;
    unsigned char *comp = malloc(cap);
    for (size_t done = 0; done < size; done += used) {
        z.next_in = (unsigned char *)plain;
        z.avail_in = (uInt)used;
        do {
            z.next_out = comp + outlen;
            z.avail_out = (uInt)(cap - outlen);
            deflate(&z, done + used >= size ? Z_FINISH : Z_NO_FLUSH);
            outlen = cap - z.avail_out;
        } while (z.avail_in > 0);
    }
    deflateEnd(&z);
    free(plain);
    char *hex = malloc(2 * outlen + 2);
    for (size_t i = 0; i < outlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", comp[i]);
    hex[2 * outlen] = '>';
    hex[2 * outlen + 1] = '\0';
    char *content = stream("/Filter [/ASCIIHexDecode /FlateDecode]", hex, 2 * outlen + 1);
    free(hex);
    free(comp);
    const char *objs[4] = {
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Count 1 /Kids [3 0 R] >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>",
        content,
    };
    bytes_t d = build(objs, 4);
    free(content);
    return d;
}

/* A little-endian TIFF of n 8 x 8 bilevel pages sharing one strip, directories chained. */
static bytes_t many_pages_tiff(int n) {
    enum { NTAGS = 8, IFD = 2 + NTAGS * 12 + 4 };
    size_t len = 8 + 8 + (size_t)n * IFD;
    unsigned char *t = calloc(1, len);
    memcpy(t, "II*\0", 4);
    t[4] = 16; /* first directory at 16; the strip (8 bytes) at 8 */
    const uint16_t tags[NTAGS][2] = {{256, 8}, {257, 8}, {258, 1}, {259, 1},
                                     {262, 0}, {273, 8}, {278, 8}, {279, 8}};
    for (int i = 0; i < n; i++) {
        unsigned char *d = t + 16 + (size_t)i * IFD;
        d[0] = NTAGS;
        for (int j = 0; j < NTAGS; j++) {
            unsigned char *e = d + 2 + 12 * j;
            e[0] = (unsigned char)tags[j][0];
            e[1] = (unsigned char)(tags[j][0] >> 8);
            e[2] = 3; /* SHORT */
            e[4] = 1; /* count */
            e[8] = (unsigned char)tags[j][1];
        }
        uint32_t next = i + 1 < n ? (uint32_t)(16 + (size_t)(i + 1) * IFD) : 0;
        unsigned char *nx = d + 2 + NTAGS * 12;
        for (int b = 0; b < 4; b++)
            nx[b] = (unsigned char)(next >> (8 * b));
    }
    return (bytes_t){(char *)t, len};
}

static void test_cap1_bad_input_is_refused(void **state) {
    (void)state;
    qr_scan_limits_t lim;
    qr_scan_limits_init(&lim);

    const char garbage[] = "GIF89a this is not an image we read";
    expect_refused(garbage, sizeof(garbage), &lim, "invalid_image", "garbage");
    expect_refused("", 0, &lim, "invalid_image", "empty");

    PIX *page = text_page(1);
    l_uint8 *jpg = NULL;
    size_t jlen = 0;
    pixWriteMemJpeg(&jpg, &jlen, page, 85, 0);
    expect_refused(jpg, jlen / 2, &lim, "invalid_image", "truncated JPEG");
    bytes_t png = png_of(page);
    expect_refused(png.data, png.len / 2, &lim, "invalid_image", "truncated PNG");
    expect_refused(png.data, 20, &lim, "invalid_image", "PNG cut in its header");

    /* A TIFF whose first directory offset points past the end. */
    l_uint8 *tif = NULL;
    size_t tlen = 0;
    PIX *bin = pixThresholdToBinary(page, 128);
    pixWriteMemTiff(&tif, &tlen, bin, IFF_TIFF_G4);
    unsigned char *bad = malloc(tlen);
    memcpy(bad, tif, tlen);
    bad[4] = bad[5] = bad[6] = 0x7f; /* little-endian "II*": offset 0x?7f7f7f */
    expect_refused(bad, tlen, &lim, "invalid_image", "TIFF with a corrupt IFD offset");
    /* ...and one whose directory is garbage. */
    memcpy(bad, tif, tlen);
    uint32_t ifd =
        (uint32_t)bad[4] | (uint32_t)bad[5] << 8 | (uint32_t)bad[6] << 16 | (uint32_t)bad[7] << 24;
    if (ifd + 14 < tlen)
        memset(bad + ifd + 2, 0xff, 12);
    expect_refused(bad, tlen, &lim, "invalid_image", "TIFF with a garbage directory");
    free(bad);

    bytes_t huge = png_header(20000, 20000);
    expect_refused(huge.data, huge.len, &lim, "image_too_large", "20000 x 20000 PNG header");

    bytes_t many = many_pages_pdf(10000);
    expect_refused(many.data, many.len, &lim, "too_many_pages", "10000-page PDF");
    free(many.data);

    bytes_t tiffs = many_pages_tiff(10000);
    expect_refused(tiffs.data, tiffs.len, &lim, "too_many_pages", "10000-page TIFF");
    free(tiffs.data);
    bytes_t few = many_pages_tiff(3);
    const char *f3 = NULL;
    int p3 = 0;
    qr_err_t e3 = {QR_OK, NULL, ""};
    assert_int_equal(qr_scan_probe(few.data, few.len, &lim, &f3, &p3, &e3), QR_OK);
    assert_string_equal(f3, "tiff");
    assert_int_equal(p3, 3);
    free(few.data);

    /* A PDF page over the pixel limit at 300 dpi. */
    qr_scan_limits_t small = lim;
    small.max_pixels = 1000000;
    char *t1 = page_text(1);
    const char *texts[1] = {t1};
    bytes_t one = text_pdf(texts, 1);
    expect_refused(one.data, one.len, &small, "image_too_large", "PDF page over 1 Mpx");
    free(one.data);
    free(t1);

    bytes_t none = many_pages_pdf(0);
    expect_refused(none.data, none.len, &lim, "invalid_image", "zero-page PDF");
    free(none.data);

    qr_scan_limits_t quick = lim;
    quick.max_ms = 3000;
    bytes_t bomb = bomb_pdf((size_t)512 << 20);
    printf("# bomb: %zu bytes inflating to 512 MiB of drawing\n", bomb.len);
    qr_scan_input_t in = {bomb.data, bomb.len};
    qr_scan_steps_t steps = steps_of(QR_SCAN_PDF);
    qr_scan_output_t out;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_scan_process(engine, &in, 1, &steps, &quick, &out, &err), QR_E_INVALID);
    printf("# bomb: %s (%s)\n", qr_err_code(&err), err.msg);
    assert_true(strcmp(qr_err_code(&err), "timeout") == 0 ||
                strcmp(qr_err_code(&err), "invalid_image") == 0);
    qr_scan_output_free(&out);
    free(bomb.data);

    /* max_ms = 0 refuses at once. */
    qr_scan_limits_t zero = lim;
    zero.max_ms = 0;
    in = (qr_scan_input_t){png.data, png.len};
    assert_int_equal(qr_scan_process(engine, &in, 1, &steps, &zero, &out, &err), QR_E_INVALID);
    assert_string_equal(qr_err_code(&err), "timeout");
    qr_scan_output_free(&out);

    /* With several files, the message says which one is bad. */
    qr_scan_input_t mixed[2] = {in, {garbage, sizeof(garbage)}};
    assert_int_equal(qr_scan_process(engine, mixed, 2, &steps, NULL, &out, &err), QR_E_INVALID);
    assert_string_equal(qr_err_code(&err), "invalid_image");
    assert_memory_equal(err.msg, "file 2: ", 8);
    qr_scan_output_free(&out);

    /* Page limits across files. */
    qr_scan_limits_t two = lim;
    two.max_pages = 2;
    qr_scan_input_t three[3] = {in, in, in};
    assert_int_equal(qr_scan_process(engine, three, 3, &steps, &two, &out, &err), QR_E_INVALID);
    assert_string_equal(qr_err_code(&err), "too_many_pages");
    qr_scan_output_free(&out);

    const char *fmt = NULL;
    int pages = 0;
    assert_int_equal(qr_scan_probe(png.data, png.len, &lim, &fmt, &pages, &err), QR_OK);
    assert_string_equal(fmt, "png");
    assert_int_equal(pages, 1);

    lept_free(tif);
    lept_free(jpg);
    free(png.data);
    pixDestroy(&bin);
    pixDestroy(&page);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap1_format_names),
        cmocka_unit_test(test_cap3_languages_are_checked),
        cmocka_unit_test(test_cap3_clean_page_is_read),
        cmocka_unit_test(test_cap3_skewed_noisy_page_is_cleaned_and_read),
        cmocka_unit_test(test_cap3_turned_pages_are_turned_upright),
        cmocka_unit_test(test_cap3_engines_work_in_parallel),
        cmocka_unit_test(test_cap1_pdf_input_to_searchable_pdf),
        cmocka_unit_test(test_cap1_pdfa),
        cmocka_unit_test(test_cap1_image_pdf_tiff_and_jpeg),
        cmocka_unit_test(test_cap1_jpeg_and_multipage_tiff_inputs),
        cmocka_unit_test(test_cap1_blank_pages_are_removed),
        cmocka_unit_test(test_cap1_barcodes_are_read),
        cmocka_unit_test(test_cap1_bad_input_is_refused),
    };
    return cmocka_run_group_tests_name("pipeline", tests, setup, teardown);
}
