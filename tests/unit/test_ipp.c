/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the IPP queue module (src/print/ipp.c) on a real SQLite installation: requests built
 * and answers read with libcups, fed in pieces of every size down to one byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cups/ipp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "auth/login.h"
#include "cmd/app.h"
#include "core/buf.h"
#include "print/ipp.h"
#include "print/job.h"
#include "tenancy/org.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-ipp-XXXXXX";
static char *root_password;
static qr_principal_t root;

/* One A4 page with text, with an exact xref table (tests/e2e/lib/pdf.js makePdf). */
static const char PDF[] = "%PDF-1.4\n"
                          "1 0 obj\n"
                          "<< /Type /Catalog /Pages 2 0 R >>\n"
                          "endobj\n"
                          "2 0 obj\n"
                          "<< /Type /Pages /Kids [4 0 R] /Count 1 >>\n"
                          "endobj\n"
                          "3 0 obj\n"
                          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\n"
                          "endobj\n"
                          "4 0 obj\n"
                          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << "
                          "/Font << /F1 3 0 R >> >> /Contents 5 0 R >>\n"
                          "endobj\n"
                          "5 0 obj\n"
                          "<< /Length 41 >>\n"
                          "stream\n"
                          "BT /F1 24 Tf 72 720 Td (ipp unit 1) Tj ET\n"
                          "endstream\n"
                          "endobj\n"
                          "xref\n"
                          "0 6\n"
                          "0000000000 65535 f \n"
                          "0000000009 00000 n \n"
                          "0000000058 00000 n \n"
                          "0000000115 00000 n \n"
                          "0000000185 00000 n \n"
                          "0000000311 00000 n \n"
                          "trailer\n"
                          "<< /Size 6 /Root 1 0 R >>\n"
                          "startxref\n"
                          "402\n"
                          "%%EOF\n";

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    setenv("QUIRE_LOGIN_THROTTLE_PER_MIN", "1000000", 1);
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_app_open(&ctx, &cfg, NULL, 0, &err))
        return -1;
    char *org = NULL;
    if (qr_org_bootstrap(&ctx, "admin", &org, &root_password, &err))
        return -1;
    free(org);
    return qr_login_basic(&ctx, "root", "admin", root_password, "192.0.2.1", &root, &err) ? -1 : 0;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    free(root_password);
    return fixture_remove(dir);
}

static ssize_t write_buf(void *cls, ipp_uchar_t *b, size_t n) {
    return qr_buf_append(cls, b, n) == QR_OK ? (ssize_t)n : -1;
}

struct rd {
    const unsigned char *p;
    size_t len, pos;
};

static ssize_t read_buf(void *cls, ipp_uchar_t *b, size_t n) {
    struct rd *r = cls;
    if (r->pos >= r->len)
        return -1;
    if (n > r->len - r->pos)
        n = r->len - r->pos;
    memcpy(b, r->p + r->pos, n);
    r->pos += n;
    return (ssize_t)n;
}

/* A request for op with the required operation attributes; caller deletes. */
static ipp_t *request(ipp_op_t op) {
    ipp_t *req = ippNewRequest(op);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL,
                 "ipps://localhost/ipp/print");
    return req;
}

/* Encodes req followed by doc (may be NULL). Caller frees b. */
static void encode(ipp_t *req, const char *doc, size_t doclen, qr_buf_t *b) {
    qr_buf_init(b, (size_t)16 << 20);
    assert_int_equal(ippWriteIO(b, write_buf, 1, NULL, req), IPP_STATE_DATA);
    if (doc)
        assert_int_equal(qr_buf_append(b, doc, doclen), QR_OK);
}

/* Feeds body in pieces of piece bytes; returns the decoded answer (caller deletes) or NULL
 * with *next telling why. */
static ipp_t *exchange(const qr_principal_t *p, const qr_buf_t *body, size_t piece,
                       qr_ipp_next_t *next) {
    qr_ipp_t *x = qr_ipp_create(&ctx, p, (long long)body->len);
    qr_ipp_next_t n = QR_IPP_MORE;
    for (size_t off = 0; n == QR_IPP_MORE && off < body->len; off += piece)
        n = qr_ipp_feed(x, body->ptr + off, body->len - off < piece ? body->len - off : piece);
    if (n == QR_IPP_MORE)
        n = qr_ipp_finish(x);
    *next = n;
    ipp_t *resp = NULL;
    if (n == QR_IPP_ANSWER) {
        size_t len;
        const void *out = qr_ipp_answer(x, &len, NULL);
        assert_non_null(out);
        struct rd r = {out, len, 0};
        resp = ippNew();
        assert_int_equal(ippReadIO(&r, read_buf, 1, NULL, resp), IPP_STATE_DATA);
        assert_int_equal(r.pos, len);
    }
    qr_ipp_destroy(x);
    return resp;
}

static size_t njobs(void) {
    qr_job_t *list = NULL;
    size_t n = 0;
    assert_int_equal(qr_job_list(&ctx, &root, &list, &n, NULL), QR_OK);
    qr_job_list_free(list, n);
    return n;
}

static void test_prn1_printer_attributes_in_any_pieces(void **state) {
    (void)state;
    ipp_t *req = request(IPP_OP_GET_PRINTER_ATTRIBUTES);
    qr_buf_t b;
    encode(req, NULL, 0, &b);
    char uuid[64] = "";
    for (size_t piece = 1; piece <= b.len; piece = piece * 3 + 1) {
        qr_ipp_next_t next;
        ipp_t *resp = exchange(NULL, &b, piece, &next);
        assert_int_equal(next, QR_IPP_ANSWER);
        assert_int_equal(ippGetStatusCode(resp), IPP_STATUS_OK);
        ipp_attribute_t *a = ippFindAttribute(resp, "printer-uri-supported", IPP_TAG_URI);
        assert_non_null(a);
        assert_string_equal(ippGetString(a, 0, NULL), "ipps://localhost:8443/ipp/print");
        a = ippFindAttribute(resp, "printer-uuid", IPP_TAG_URI);
        if (!uuid[0])
            snprintf(uuid, sizeof(uuid), "%s", ippGetString(a, 0, NULL));
        assert_string_equal(ippGetString(a, 0, NULL), uuid); /* stable */
        assert_non_null(ippFindAttribute(resp, "document-format-supported", IPP_TAG_MIMETYPE));
        ippDelete(resp);
    }
    qr_buf_free(&b);
    ippDelete(req);
}

static void test_prn1_print_job_streams_and_maps_options(void **state) {
    (void)state;
    ipp_t *req = request(IPP_OP_PRINT_JOB);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, "unit.pdf");
    ippAddInteger(req, IPP_TAG_JOB, IPP_TAG_INTEGER, "copies", 4);
    ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "sides", NULL, "two-sided-short-edge");
    ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-color-mode", NULL, "monochrome");
    ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "x-unknown", NULL, "ignored");
    qr_buf_t b;
    encode(req, PDF, sizeof(PDF) - 1, &b);
    qr_ipp_next_t next;
    /* Without a user: 401 at the HTTP level, nothing stored. */
    size_t before = njobs();
    assert_null(exchange(NULL, &b, 7, &next));
    assert_int_equal(next, QR_IPP_NEED_AUTH);
    assert_int_equal(njobs(), before);
    /* As a user, one byte at a time: the job is stored with its options. */
    ipp_t *resp = exchange(&root, &b, 1, &next);
    assert_int_equal(ippGetStatusCode(resp), IPP_STATUS_OK_IGNORED_OR_SUBSTITUTED);
    ipp_attribute_t *unknown = ippFindAttribute(resp, "x-unknown", IPP_TAG_ZERO);
    assert_non_null(unknown);
    assert_int_equal(ippGetGroupTag(unknown), IPP_TAG_UNSUPPORTED_GROUP);
    int number = ippGetInteger(ippFindAttribute(resp, "job-id", IPP_TAG_INTEGER), 0);
    assert_int_equal(ippGetInteger(ippFindAttribute(resp, "job-state", IPP_TAG_ENUM), 0),
                     IPP_JSTATE_HELD);
    ippDelete(resp);
    qr_job_t found;
    assert_int_equal(qr_job_find_number(&ctx, &root, number, &found, NULL), QR_OK);
    assert_string_equal(found.name, "unit.pdf");
    assert_string_equal(found.status, "held");
    assert_int_equal(found.copies, 4);
    assert_true(found.duplex);
    assert_false(found.color);
    assert_int_equal(found.size, sizeof(PDF) - 1);
    qr_job_clear(&found);
    /* A number that is not the user's is not found. */
    assert_int_equal(qr_job_find_number(&ctx, &root, number == 1 ? 2 : number - 1, &found, NULL),
                     QR_E_NOT_FOUND);
    qr_buf_free(&b);
    ippDelete(req);
}

static void test_prn1_refusals_store_nothing(void **state) {
    (void)state;
    size_t before = njobs();
    struct {
        const char *what;
        ipp_status_t want;
    } cases[] = {
        {"big", IPP_STATUS_ERROR_REQUEST_ENTITY},
        {"format", IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED},
        {"notpdf", IPP_STATUS_ERROR_DOCUMENT_FORMAT_ERROR},
        {"notraster", IPP_STATUS_ERROR_DOCUMENT_FORMAT_ERROR},
        {"compression", IPP_STATUS_ERROR_COMPRESSION_NOT_SUPPORTED},
        {"version", IPP_STATUS_ERROR_VERSION_NOT_SUPPORTED},
        {"op", IPP_STATUS_ERROR_OPERATION_NOT_SUPPORTED},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        ipp_t *req =
            request(strcmp(cases[c].what, "op") == 0 ? (ipp_op_t)0x4321 : IPP_OP_PRINT_JOB);
        const char *doc = PDF;
        if (strcmp(cases[c].what, "big") == 0) {
            char filler[30000];
            memset(filler, 'f', sizeof(filler) - 1);
            filler[sizeof(filler) - 1] = '\0';
            for (int k = 0; k < 3; k++)
                ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "x-filler", NULL, filler);
        } else if (strcmp(cases[c].what, "format") == 0) {
            ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
                         "image/gif");
        } else if (strcmp(cases[c].what, "notraster") == 0) {
            /* PRN-1: a PDF sent as PWG raster is refused by the converter */
            ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
                         "image/pwg-raster");
        } else if (strcmp(cases[c].what, "compression") == 0) {
            ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "compression", NULL, "compress");
        } else if (strcmp(cases[c].what, "notpdf") == 0) {
            /* An ignored attribute first: the answer's groups must still be in order. */
            ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "x-unknown", NULL, "ignored");
            doc = "plain text, not a PDF\n";
        } else if (strcmp(cases[c].what, "version") == 0) {
            ippSetVersion(req, 3, 0);
        }
        qr_buf_t b;
        encode(req, doc, strlen(doc), &b);
        qr_ipp_next_t next;
        ipp_t *resp = exchange(&root, &b, 4096, &next);
        assert_non_null(resp);
        if (ippGetStatusCode(resp) != cases[c].want)
            fail_msg("%s: got %s", cases[c].what, ippErrorString(ippGetStatusCode(resp)));
        ippDelete(resp);
        qr_buf_free(&b);
        ippDelete(req);
    }
    assert_int_equal(njobs(), before);
}

static void test_auth5_basic_counts_like_a_login(void **state) {
    (void)state;
    qr_principal_t p;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_login_basic(&ctx, "root", "admin", "wrong", "192.0.2.9", &p, &err),
                     QR_E_UNAUTHORIZED);
    assert_int_equal(qr_login_basic(&ctx, "nope", "admin", root_password, "192.0.2.9", &p, &err),
                     QR_E_UNAUTHORIZED);
    assert_int_equal(qr_login_basic(&ctx, "root", "admin", root_password, "192.0.2.9", &p, &err),
                     QR_OK);
    assert_string_equal(p.user_id, root.user_id);
    assert_string_equal(p.org_id, root.org_id);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prn1_printer_attributes_in_any_pieces),
        cmocka_unit_test(test_prn1_print_job_streams_and_maps_options),
        cmocka_unit_test(test_prn1_refusals_store_nothing),
        cmocka_unit_test(test_auth5_basic_counts_like_a_login),
    };
    return cmocka_run_group_tests_name("ipp", tests, setup, teardown);
}
