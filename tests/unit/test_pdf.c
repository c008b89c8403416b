/* SPDX-License-Identifier: Apache-2.0 */
/* quire: PDF inspection (PRN-2, PRN-4, DEV-2): page count and colour from the document, and a
 * clear refusal of what is not a printable PDF, with PDFs built here byte by byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "print/pdf.h"
#include "store/blob.h"

static char dir[] = "/tmp/quire-pdf-XXXXXX";
static const unsigned char key[32] = {7, 7, 7};

static int setup(void **state) {
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

typedef struct doc {
    char *data;
    size_t len;
} doc_t;

/* A PDF of objects 1..n (bodies without "N 0 obj") with a correct xref table; pad bytes of
 * comments go before the xref so that the document spans several blob chunks. */
static doc_t build(const char *const *objs, size_t n, const char *trailer_extra, size_t pad) {
    doc_t d = {NULL, 0};
    FILE *f = open_memstream(&d.data, &d.len);
    long *off = calloc(n + 1, sizeof(long));
    fputs("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", f);
    for (size_t i = 0; i < n; i++) {
        off[i] = ftell(f);
        fprintf(f, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]);
    }
    for (size_t i = 0; i < pad / 64; i++)
        fprintf(f, "%%%062zu\n", i);
    long xref = ftell(f);
    fprintf(f, "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%010ld 00000 n \n", off[i]);
    fprintf(f, "trailer\n<< /Size %zu /Root 1 0 R %s >>\nstartxref\n%ld\n%%%%EOF\n", n + 1,
            trailer_extra ? trailer_extra : "", xref);
    fclose(f);
    free(off);
    return d;
}

/* A content stream object. Returns a new string. */
static char *stream(const char *content) {
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    fprintf(f, "<< /Length %zu >>\nstream\n%s\nendstream", strlen(content), content);
    fclose(f);
    return s;
}

#define FONT "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
#define TEXT "BT /F1 24 Tf 72 720 Td (quire test page) Tj ET"

/* A document whose page i draws contents[i]; objects: 1 catalog, 2 pages, 3 font, 4 image,
 * then page and content pairs. */
static doc_t pages_doc(const char *const *contents, size_t n, const char *image, size_t pad) {
    const char **objs = calloc(4 + 2 * n, sizeof(char *));
    char **owned = calloc(2 * n + 1, sizeof(char *)), *pages = NULL;
    size_t k = 0, plen = 0;
    FILE *f = open_memstream(&pages, &plen);
    fputs("<< /Type /Pages /Kids [", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%zu 0 R ", 5 + 2 * i);
    fprintf(f, "] /Count %zu >>", n);
    fclose(f);
    owned[k++] = pages;
    objs[0] = "<< /Type /Catalog /Pages 2 0 R >>";
    objs[1] = pages;
    objs[2] = FONT;
    objs[3] = image ? image : "<< >>";
    for (size_t i = 0; i < n; i++) {
        char *pg = NULL;
        size_t pl = 0;
        f = open_memstream(&pg, &pl);
        fprintf(f,
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
                "/F1 3 0 R >> /XObject << /Im1 4 0 R >> >> /Contents %zu 0 R >>",
                6 + 2 * i);
        fclose(f);
        objs[4 + 2 * i] = owned[k++] = pg;
        objs[5 + 2 * i] = owned[k++] = stream(contents[i]);
    }
    doc_t d = build(objs, 4 + 2 * n, NULL, pad);
    for (size_t i = 0; i < k; i++)
        free(owned[i]);
    free(owned);
    free(objs);
    return d;
}

static qr_status_t inspect(doc_t d, const qr_pdf_limits_t *lim, qr_pdf_info_t *info,
                           qr_err_t *err) {
    return qr_pdf_inspect_buffer(d.data, d.len, lim, info, err);
}

static void expect(doc_t d, long long pages, int color) {
    qr_pdf_info_t info = {-1, -1};
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = inspect(d, NULL, &info, &err);
    if (st != QR_OK)
        fail_msg("PRN-2 inspection failed: %s", err.msg);
    assert_int_equal(info.pages, pages);
    assert_int_equal(info.color, color);
    free(d.data);
}

/* Expects a refusal whose message contains what. */
static void refused(doc_t d, const qr_pdf_limits_t *lim, const char *what) {
    qr_pdf_info_t info;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = inspect(d, lim, &info, &err);
    if (st != QR_E_INVALID || !strstr(err.msg, what))
        fail_msg("expected a refusal saying \"%s\", got status %d: %s", what, st, err.msg);
    assert_string_equal(qr_err_code(&err), "invalid_document");
    free(d.data);
}

static void test_prn2_one_page_black_text_is_mono(void **state) {
    (void)state;
    const char *c[] = {TEXT};
    expect(pages_doc(c, 1, NULL, 0), 1, 0);
}

static void test_prn2_three_pages_colour_on_page_two(void **state) {
    (void)state;
    const char *c[] = {TEXT, "1 0 0 rg 10 10 100 100 re f", TEXT};
    expect(pages_doc(c, 3, NULL, 0), 3, 1);
    /* Colour on the last page only, and colour text. */
    const char *last[] = {TEXT, TEXT, "0 0 1 rg " TEXT};
    expect(pages_doc(last, 3, NULL, 0), 3, 1);
    const char *cmyk[] = {"0 1 0 0 k 10 10 100 100 re f"};
    expect(pages_doc(cmyk, 1, NULL, 0), 1, 1);
}

static void test_prn2_grey_only_is_mono(void **state) {
    (void)state;
    /* Grey in every colour space: DeviceGray, equal RGB components, black-only CMYK, a grey
     * stroke, and a near-grey within the threshold. */
    const char *c[] = {"0.5 g 10 10 100 100 re f 0.3 0.3 0.3 rg 10 200 50 50 re f",
                       "0 0 0 0.6 k 10 10 100 100 re f 0.2 G 0 0 m 100 100 l S",
                       "0.5 0.505 0.5 rg 10 10 100 100 re f " TEXT};
    expect(pages_doc(c, 3, NULL, 0), 3, 0);
}

static void test_prn2_images_are_looked_at_pixel_by_pixel(void **state) {
    (void)state;
    const char *c[] = {"q 100 0 0 100 0 0 cm /Im1 Do Q"};
    const char *img = "<< /Type /XObject /Subtype /Image /Width 2 /Height 1 /ColorSpace "
                      "/DeviceRGB /BitsPerComponent 8 /Filter /ASCIIHexDecode /Length %d >>\n"
                      "stream\n%s\nendstream";
    char colour[512], grey[512];
    snprintf(colour, sizeof(colour), img, 13, "808080FF0000>");
    snprintf(grey, sizeof(grey), img, 13, "808080404040>");
    expect(pages_doc(c, 1, colour, 0), 1, 1);
    expect(pages_doc(c, 1, grey, 0), 1, 0); /* an RGB image of grey pixels prints mono */
    /* Past max_test_pixels an image is judged by its colour space alone (bounded work). */
    qr_pdf_limits_t lim = {QR_PDF_MAX_PAGES, QR_PDF_MAX_MEMORY, QR_PDF_MAX_MS, 1};
    qr_pdf_info_t info = {0, 0};
    qr_err_t err = {QR_OK, NULL, ""};
    doc_t d = pages_doc(c, 1, grey, 0);
    assert_int_equal(inspect(d, &lim, &info, &err), QR_OK);
    assert_int_equal(info.color, 1);
    free(d.data);
}

static void test_prn1_not_a_pdf_is_refused(void **state) {
    (void)state;
    doc_t d = {strdup("hello, not a pdf"), 16};
    refused(d, NULL, "not a readable PDF");
    doc_t empty = {strdup(""), 0};
    refused(empty, NULL, "not a readable PDF");
    /* A PDF header on garbage: nothing to repair. */
    const char *garbage = "%PDF-1.7\nxyzzy\x01\x02 garbage\n%%EOF\n";
    doc_t junk = {strdup(garbage), strlen(garbage)};
    refused(junk, NULL, "");
}

static void test_prn1_truncated_pdf_is_refused(void **state) {
    (void)state;
    const char *c[] = {TEXT, "1 0 0 rg 10 10 100 100 re f"};
    doc_t d = pages_doc(c, 2, NULL, 0);
    d.len = 150; /* catalog and part of the page tree: the pages are gone */
    refused(d, NULL, "");
}

static void test_prn1_no_pages_and_too_many_pages(void **state) {
    (void)state;
    const char *objs[] = {"<< /Type /Catalog /Pages 2 0 R >>",
                          "<< /Type /Pages /Kids [] /Count 0 >>"};
    refused(build(objs, 2, NULL, 0), NULL, "no pages");
    const char *c[] = {TEXT, TEXT, TEXT};
    qr_pdf_limits_t lim = {2, QR_PDF_MAX_MEMORY, QR_PDF_MAX_MS, QR_PDF_MAX_TEST_PIXELS};
    refused(pages_doc(c, 3, NULL, 0), &lim, "has 3 pages; a print job may have at most 2");
    /* /Count claiming more pages than there are: the missing page is named. */
    const char *lie[] = {"<< /Type /Catalog /Pages 2 0 R >>",
                         "<< /Type /Pages /Kids [3 0 R] /Count 4 >>",
                         "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"};
    qr_pdf_info_t info = {0, 0};
    qr_err_t err = {QR_OK, NULL, ""};
    doc_t d = build(lie, 3, NULL, 0);
    qr_status_t st = inspect(d, NULL, &info, &err);
    if (st == QR_OK)
        assert_int_equal(info.pages, 1); /* MuPDF may count the real kids */
    else
        assert_non_null(strstr(err.msg, "page"));
    free(d.data);
}

/* RC4, for the standard security handler of the encrypted test documents. */
static void rc4(const unsigned char *k, size_t kl, unsigned char *buf, size_t n) {
    unsigned char s[256], t;
    for (int i = 0; i < 256; i++)
        s[i] = (unsigned char)i;
    for (int i = 0, j = 0; i < 256; i++) {
        j = (j + s[i] + k[i % kl]) & 255;
        t = s[i];
        s[i] = s[j];
        s[j] = t;
    }
    for (size_t m = 0, i = 0, j = 0; m < n; m++) {
        i = (i + 1) & 255;
        j = (j + s[i]) & 255;
        t = s[i];
        s[i] = s[j];
        s[j] = t;
        buf[m] ^= s[(s[i] + s[j]) & 255];
    }
}

static void hex(const unsigned char *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02X", b[i]);
}

/* An encrypted one-page document (revision 2, 40-bit RC4). With user_ok the empty user
 * password opens it (a correct /U for permissions p); otherwise /U matches no empty password,
 * so it needs one. */
static doc_t encrypted(int user_ok, int32_t p) {
    static const unsigned char pad[32] = {0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41,
                                          0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
                                          0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80,
                                          0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A};
    unsigned char o[32], u[32], id[16], md[16], pb[4];
    for (int i = 0; i < 32; i++)
        o[i] = (unsigned char)(i * 7 + 1);
    for (int i = 0; i < 16; i++)
        id[i] = (unsigned char)(i + 100);
    for (int i = 0; i < 4; i++)
        pb[i] = (unsigned char)((uint32_t)p >> (8 * i));
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned int mdl = 0;
    EVP_DigestInit_ex(m, EVP_md5(), NULL);
    EVP_DigestUpdate(m, pad, 32);
    EVP_DigestUpdate(m, o, 32);
    EVP_DigestUpdate(m, pb, 4);
    EVP_DigestUpdate(m, id, 16);
    EVP_DigestFinal_ex(m, md, &mdl);
    EVP_MD_CTX_free(m);
    memcpy(u, pad, 32);
    rc4(md, 5, u, 32);
    if (!user_ok)
        u[0] ^= 0x55;
    char oh[65], uh[65], idh[33], enc[256], trailer[128];
    hex(o, 32, oh);
    hex(u, 32, uh);
    hex(id, 16, idh);
    snprintf(enc, sizeof(enc), "<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>", oh, uh,
             (int)p);
    snprintf(trailer, sizeof(trailer), "/Encrypt 4 0 R /ID [<%s> <%s>]", idh, idh);
    const char *objs[] = {"<< /Type /Catalog /Pages 2 0 R >>",
                          "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>", enc};
    return build(objs, 4, trailer, 0);
}

static void test_prn1_password_protected_is_refused(void **state) {
    (void)state;
    refused(encrypted(0, -4), NULL, "protected by a password");
    /* Opens without a password but forbids printing (bit 3 of /P clear). */
    refused(encrypted(1, -4 & ~4), NULL, "do not allow printing");
    /* Opens without a password and allows printing: fine. */
    expect(encrypted(1, -4), 1, 0);
}

/* A page with a 2000 x 2000 RGB image at 4 bits per component: MuPDF decodes it to a 12 MB
 * pixmap, from 6 KB of Flate data. */
static doc_t image_bomb(void) {
    size_t raw = 2000 * 2000 * 3 / 2;
    unsigned char *plain = calloc(1, raw);
    uLongf zlen = compressBound(raw);
    unsigned char *z = malloc(zlen);
    assert_int_equal(compress2(z, &zlen, plain, raw, 9), Z_OK);
    char head[256];
    int hl =
        snprintf(head, sizeof(head),
                 "<< /Type /XObject /Subtype /Image /Width 2000 /Height 2000 /ColorSpace "
                 "/DeviceRGB /BitsPerComponent 4 /Filter /FlateDecode /Length %lu >>\nstream\n",
                 (unsigned long)zlen);
    char *img = malloc((size_t)hl + zlen + 32);
    memcpy(img, head, (size_t)hl);
    memcpy(img + hl, z, zlen);
    memcpy(img + hl + zlen, "\nendstream", 11);
    const char *c[] = {"q 500 0 0 500 0 0 cm /Im1 Do Q"};
    doc_t d = pages_doc(c, 1, "IMAGE", 0);
    /* Splice the image in place of the placeholder object 4 ("IMAGE"). */
    char *at = memmem(d.data, d.len, "4 0 obj\nIMAGE\n", 14);
    assert_non_null(at);
    size_t before = (size_t)(at - d.data) + 8, after = before + 5;
    doc_t out = {malloc(d.len + (size_t)hl + zlen + 32), 0};
    memcpy(out.data, d.data, before);
    memcpy(out.data + before, img, (size_t)hl + zlen + 10);
    out.len = before + (size_t)hl + zlen + 10;
    memcpy(out.data + out.len, d.data + after, d.len - after);
    out.len += d.len - after;
    free(d.data);
    free(img);
    free(z);
    free(plain);
    return out; /* the xref is now off: MuPDF repairs it */
}

static void test_prn2_bounds_memory_and_time(void **state) {
    (void)state;
    /* Fine with the default budget, refused with 4 MiB. */
    doc_t bomb = image_bomb();
    qr_pdf_info_t info = {0, 0};
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_pdf_inspect_buffer(bomb.data, bomb.len, NULL, &info, &err) != QR_OK)
        fail_msg("the image page failed with 256 MiB: %s", err.msg);
    assert_int_equal(info.pages, 1);
    qr_pdf_limits_t small = {QR_PDF_MAX_PAGES, (size_t)4 << 20, QR_PDF_MAX_MS,
                             QR_PDF_MAX_TEST_PIXELS};
    refused(bomb, &small, "needs more than 4096 KiB of memory");
    /* Too little for MuPDF itself: a server error, not the document's fault. */
    const char *c[] = {TEXT};
    doc_t d = pages_doc(c, 1, NULL, 0);
    qr_pdf_limits_t tiny = {QR_PDF_MAX_PAGES, (size_t)64 << 10, QR_PDF_MAX_MS,
                            QR_PDF_MAX_TEST_PIXELS};
    assert_int_equal(inspect(d, &tiny, &info, &err), QR_E_INTERNAL);
    assert_non_null(strstr(err.msg, "64 KiB"));
    free(d.data);
    /* A time budget already spent refuses at once (no sleeping: 0 ms). */
    qr_pdf_limits_t now = {QR_PDF_MAX_PAGES, QR_PDF_MAX_MEMORY, 0, QR_PDF_MAX_TEST_PIXELS};
    refused(pages_doc(c, 1, NULL, 0), &now, "longer than 0 ms");
}

static void put_blob(const char *id, doc_t d) {
    qr_blob_writer_t *w = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_blob_create(dir, id, key, &w, &err), QR_OK);
    assert_int_equal(qr_blob_write(w, d.data, d.len, &err), QR_OK);
    assert_int_equal(qr_blob_commit(w, &err), QR_OK);
}

static void test_sec2_inspects_the_encrypted_blob_across_chunks(void **state) {
    (void)state;
    const char *c[] = {TEXT, "1 0 0 rg 10 10 100 100 re f", TEXT};
    doc_t d = pages_doc(c, 3, NULL, 5 * QR_BLOB_CHUNK / 2); /* objects in chunk 0, xref in 2 */
    assert_true(d.len > 2 * QR_BLOB_CHUNK);
    put_blob("p", d);
    qr_blob_reader_t *r = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_pdf_info_t info = {0, 0};
    assert_int_equal(qr_blob_open(dir, "p", key, &r, &err), QR_OK);
    assert_int_equal(qr_pdf_inspect(r, NULL, &info, &err), QR_OK);
    assert_int_equal(info.pages, 3);
    assert_int_equal(info.color, 1);
    qr_blob_close(r);

    /* A flipped bit in chunk 0, where the objects are: the reader's error, not a verdict on
     * the PDF. (Damage in the padding chunk is never read by MuPDF; the release path, which
     * reads the whole document, finds it.) */
    char path[128];
    snprintf(path, sizeof(path), "%s/p", dir);
    int fd = open(path, O_RDWR);
    unsigned char b;
    off_t at = 12 + 4 + 300;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 1;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    assert_int_equal(qr_blob_open(dir, "p", key, &r, &err), QR_OK);
    qr_status_t st = qr_pdf_inspect(r, NULL, &info, &err);
    if (st == QR_OK)
        fail_msg("a damaged blob was inspected as fine");
    assert_int_equal(st, QR_E_CRYPTO);
    qr_blob_close(r);

    /* A truncated blob fails before MuPDF sees anything. */
    put_blob("p", d);
    assert_int_equal(truncate(path, 12 + 4 + QR_BLOB_CHUNK + 16), 0);
    assert_int_equal(qr_blob_open(dir, "p", key, &r, &err), QR_OK);
    assert_int_equal(qr_pdf_inspect(r, NULL, &info, &err), QR_E_CRYPTO);
    qr_blob_close(r);
    free(d.data);
}

static doc_t shared_mono, shared_colour;

static void *inspect_many(void *arg) {
    long bad = 0;
    for (int i = 0; i < 25; i++) {
        doc_t d = (i + (int)(intptr_t)arg) % 2 ? shared_colour : shared_mono;
        qr_pdf_info_t info = {0, 0};
        qr_err_t err = {QR_OK, NULL, ""};
        if (qr_pdf_inspect_buffer(d.data, d.len, NULL, &info, &err) != QR_OK || info.pages != 3 ||
            info.color != (d.data == shared_colour.data))
            bad++;
    }
    return (void *)bad;
}

static void test_prn2_inspections_run_in_parallel(void **state) {
    (void)state;
    /* One fz_context per call, nothing shared: request threads inspect at the same time. */
    const char *mono[] = {TEXT, TEXT, TEXT}, *colour[] = {TEXT, "0 1 0 rg 1 1 5 5 re f", TEXT};
    shared_mono = pages_doc(mono, 3, NULL, 0);
    shared_colour = pages_doc(colour, 3, NULL, 0);
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, inspect_many, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *bad = NULL;
        pthread_join(t[i], &bad);
        assert_int_equal((long)(intptr_t)bad, 0);
    }
    free(shared_mono.data);
    free(shared_colour.data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prn2_one_page_black_text_is_mono),
        cmocka_unit_test(test_prn2_three_pages_colour_on_page_two),
        cmocka_unit_test(test_prn2_grey_only_is_mono),
        cmocka_unit_test(test_prn2_images_are_looked_at_pixel_by_pixel),
        cmocka_unit_test(test_prn1_not_a_pdf_is_refused),
        cmocka_unit_test(test_prn1_truncated_pdf_is_refused),
        cmocka_unit_test(test_prn1_no_pages_and_too_many_pages),
        cmocka_unit_test(test_prn1_password_protected_is_refused),
        cmocka_unit_test(test_prn2_bounds_memory_and_time),
        cmocka_unit_test(test_sec2_inspects_the_encrypted_blob_across_chunks),
        cmocka_unit_test(test_prn2_inspections_run_in_parallel),
    };
    return cmocka_run_group_tests_name("pdf", tests, setup, teardown);
}
