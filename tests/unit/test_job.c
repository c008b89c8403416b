/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the typed print jobs and quotas (src/print/job.c, src/print/quota.c) and the shared
 * streamed upload (src/store/upload.c) on a real SQLite installation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "auth/login.h"
#include "cmd/app.h"
#include "print/job.h"
#include "print/quota.h"
#include "store/upload.h"
#include "tenancy/org.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-job-XXXXXX";
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
                          "BT /F1 24 Tf 72 720 Td (job unit 1) Tj ET\n"
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

/* Submits doc in pieces of piece bytes; returns the commit's status, out filled on success. */
static qr_status_t submit(const char *doc, size_t len, size_t piece, const qr_job_options_t *o,
                          qr_job_t *out, qr_err_t *err) {
    qr_job_upload_t *u = NULL;
    qr_status_t st = qr_job_begin(&ctx, &root, o, (long long)len, &u, err);
    if (st)
        return st;
    for (size_t off = 0; off < len; off += piece) {
        st = qr_job_write(u, doc + off, len - off < piece ? len - off : piece, err);
        if (st) {
            qr_job_abort(u);
            return st;
        }
    }
    return qr_job_commit(u, out, err);
}

static void test_prn1_job_is_a_typed_row(void **state) {
    (void)state;
    qr_job_options_t o = {"typed.pdf", 3, 1, 0, NULL, QR_DOC_PDF, QR_COMPRESSION_NONE};
    qr_job_t job, again;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(submit(PDF, sizeof(PDF) - 1, 1, &o, &job, &err), QR_OK);
    assert_int_equal(strlen(job.id), QR_ID_LEN);
    assert_string_equal(job.name, "typed.pdf");
    assert_string_equal(job.status, "held");
    assert_int_equal(job.size, sizeof(PDF) - 1);
    assert_int_equal(job.copies, 3);
    assert_true(job.color);
    assert_false(job.duplex);
    assert_int_equal(job.pages, 1); /* PRN-2: from the document */
    assert_true(job.number >= 1 && job.number <= 0x7fffffffLL);
    assert_true(job.expires_at > job.created_at);
    assert_string_equal(job.device_id, "");
    assert_false(job.has_released_at);
    assert_null(job.reason);
    /* The same row by id, by IPP number and in the list. */
    assert_int_equal(qr_job_get(&ctx, &root, job.id, &again, &err), QR_OK);
    assert_string_equal(again.id, job.id);
    assert_int_equal(again.number, job.number);
    qr_job_clear(&again);
    assert_int_equal(qr_job_find_number(&ctx, &root, job.number, &again, &err), QR_OK);
    assert_string_equal(again.id, job.id);
    assert_string_equal(again.name, "typed.pdf");
    qr_job_clear(&again);
    qr_job_t *items = NULL;
    size_t n = 0, seen = 0;
    assert_int_equal(qr_job_list(&ctx, &root, &items, &n, &err), QR_OK);
    for (size_t i = 0; i < n; i++)
        seen += strcmp(items[i].id, job.id) == 0;
    assert_int_equal(seen, 1);
    qr_job_list_free(items, n);
    qr_job_list_free(NULL, 0);
    /* TEN-3 and unknown ids: not found, with the API's message. */
    assert_int_equal(qr_job_get(&ctx, &root, "0123456789abcdef0123456789abcdef", &again, &err),
                     QR_E_NOT_FOUND);
    assert_string_equal(err.msg, "job not found");
    /* PRN-3: released only at a panel. */
    qr_print_settings_t print;
    assert_int_equal(qr_job_release(&ctx, &root, job.id, &again, &print, &err), QR_E_FORBIDDEN);
    assert_string_equal(qr_err_code(&err), "panel_only");
    qr_job_clear(&again);
    /* Deleted: gone by number too. */
    assert_int_equal(qr_job_delete(&ctx, &root, job.id, &err), QR_OK);
    assert_int_equal(qr_job_find_number(&ctx, &root, job.number, &again, &err), QR_E_NOT_FOUND);
    qr_job_clear(&job);
    qr_job_clear(&job); /* a cleared job clears again */
}

static void test_prn1_refused_uploads_leave_no_job(void **state) {
    (void)state;
    qr_job_options_t o = {NULL, 1, 0, 0, NULL, QR_DOC_PDF, QR_COMPRESSION_NONE};
    qr_job_t job;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_job_t *items = NULL;
    size_t before = 0, after = 0;
    assert_int_equal(qr_job_list(&ctx, &root, &items, &before, &err), QR_OK);
    qr_job_list_free(items, before);
    const char text[] = "plain text, not a PDF\n";
    assert_int_equal(submit(text, sizeof(text) - 1, 7, &o, &job, &err), QR_E_INVALID);
    assert_string_equal(qr_err_code(&err), "invalid_document");
    /* A PDF without its end marker. */
    assert_int_equal(submit(PDF, sizeof(PDF) - 8, 4096, &o, &job, &err), QR_E_INVALID);
    assert_string_equal(qr_err_code(&err), "invalid_document");
    /* Too large before anything is stored, and bad copies. */
    qr_job_upload_t *u = NULL;
    assert_int_equal(
        qr_job_begin(&ctx, &root, &o, (long long)cfg.max_job_mb * 1048576 + 1, &u, &err),
        QR_E_TOO_LARGE);
    assert_null(u);
    /* Page ranges: from 1, ascending, not overlapping, nothing else. */
    static const char *const bad[] = {"0-1", "3-2", "2-3,1-1", "1-2,2-3", "1-2,",
                                      "a",   "1",   "-1-2",    "1-2;3-4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o.page_ranges = bad[i];
        assert_int_equal(qr_job_begin(&ctx, &root, &o, -1, &u, &err), QR_E_INVALID);
        assert_non_null(strstr(err.msg, "ascending and not overlapping"));
        assert_null(u);
        assert_int_equal(qr_job_create(&ctx, &root, &o, &job, &err), QR_E_INVALID);
    }
    o.page_ranges = NULL;
    o.copies = 0;
    assert_int_equal(qr_job_begin(&ctx, &root, &o, -1, &u, &err), QR_E_INVALID);
    assert_string_equal(err.msg, "copies must be from 1 to 999");
    qr_job_abort(NULL);
    assert_int_equal(qr_job_list(&ctx, &root, &items, &after, &err), QR_OK);
    qr_job_list_free(items, after);
    assert_int_equal(after, before);
}

/* Writes doc into the created job id; returns the commit's status (out filled on success). */
static qr_status_t send_document(const char *id, const char *doc, size_t len, qr_job_t *out,
                                 qr_err_t *err) {
    qr_job_upload_t *u = NULL;
    qr_status_t st = qr_job_begin_document(&ctx, &root, id, NULL, (long long)len, &u, err);
    if (st)
        return st;
    if ((st = qr_job_write(u, doc, len, err))) {
        qr_job_abort(u);
        return st;
    }
    return qr_job_commit(u, out, err);
}

static void test_prn1_created_job_takes_its_one_document(void **state) {
    (void)state;
    qr_job_options_t o = {"created.pdf", 2, 0, 1, "1-1,3-4", QR_DOC_PDF, QR_COMPRESSION_NONE};
    qr_job_t job, done, again;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_job_create(&ctx, &root, &o, &job, &err), QR_OK);
    assert_string_equal(job.status, "incoming");
    assert_int_equal(job.size, 0);
    assert_int_equal(job.copies, 2);
    assert_string_equal(job.page_ranges, "1-1,3-4");
    /* The document completes the job: held, same IPP number, the document's id; the pages
     * are those of the ranges that exist (page 1 of 1). */
    assert_int_equal(send_document(job.id, PDF, sizeof(PDF) - 1, &done, &err), QR_OK);
    assert_string_equal(done.status, "held");
    assert_int_equal(done.number, job.number);
    assert_int_equal(done.size, sizeof(PDF) - 1);
    assert_int_equal(done.pages, 1);
    assert_string_equal(done.page_ranges, "1-1,3-4");
    assert_int_equal(qr_job_get(&ctx, &root, job.id, &again, &err), QR_E_NOT_FOUND);
    /* One document per job. */
    qr_job_upload_t *u = NULL;
    assert_int_equal(qr_job_begin_document(&ctx, &root, done.id, NULL, -1, &u, &err),
                     QR_E_CONFLICT);
    assert_string_equal(qr_err_code(&err), "not_incoming");
    assert_null(u);
    /* Canceled: the row stays, the document goes; not twice. */
    assert_int_equal(qr_job_cancel(&ctx, &root, done.id, &err), QR_OK);
    assert_int_equal(qr_job_get(&ctx, &root, done.id, &again, &err), QR_OK);
    assert_string_equal(again.status, "canceled");
    qr_job_clear(&again);
    qr_blob_reader_t *rd = NULL;
    long long size = 0;
    assert_int_not_equal(qr_job_document(&ctx, &root, done.id, &rd, &size, &err), QR_OK);
    assert_null(rd);
    assert_int_equal(qr_job_cancel(&ctx, &root, done.id, &err), QR_E_CONFLICT);
    assert_string_equal(qr_err_code(&err), "not_cancelable");
    qr_job_clear(&job);
    qr_job_clear(&done);
    /* A job canceled while its document comes in records nothing of it. */
    assert_int_equal(qr_job_create(&ctx, &root, &o, &job, &err), QR_OK);
    assert_int_equal(qr_job_begin_document(&ctx, &root, job.id, NULL, -1, &u, &err), QR_OK);
    assert_int_equal(qr_job_write(u, PDF, sizeof(PDF) - 1, &err), QR_OK);
    assert_int_equal(qr_job_cancel(&ctx, &root, job.id, &err), QR_OK);
    assert_int_equal(qr_job_commit(u, &done, &err), QR_E_CONFLICT);
    assert_string_equal(qr_err_code(&err), "not_incoming");
    assert_int_equal(qr_job_get(&ctx, &root, job.id, &again, &err), QR_OK);
    assert_string_equal(again.status, "canceled");
    assert_int_equal(again.size, 0);
    qr_job_clear(&again);
    qr_job_clear(&job);
}

/* Knows every file but the one named cls. */
static int all_but(void *cls, const char *name) {
    return strcmp(name, cls) != 0;
}

static void test_sec2_upload_keeps_head_tail_and_limit(void **state) {
    (void)state;
    qr_blob_upload_t up;
    qr_err_t err = {QR_OK, NULL, ""};
    char *folder = NULL;
    assert_true(asprintf(&folder, "%s/blobs/unit", dir) > 0);
    assert_int_equal(
        qr_blob_upload_begin(&up, &ctx, root.org_id, folder, 2000, "at most 2000 bytes", &err),
        QR_OK);
    for (int i = 0; i < 1500; i++)
        assert_int_equal(qr_blob_upload_write(&up, i < 5 ? &"%PDF-"[i] : "x", 1, &err), QR_OK);
    assert_int_equal(qr_blob_upload_write(&up, "%%EOF", 5, &err), QR_OK);
    assert_int_equal(up.size, 1505);
    assert_true(qr_blob_upload_starts_with(&up, "%PDF-", 5));
    assert_false(qr_blob_upload_starts_with(&up, "%PDX", 4));
    assert_true(qr_blob_upload_tail_has(&up, "%%EOF", 5));
    assert_int_equal(up.tail_len, QR_BLOB_UPLOAD_TAIL);
    char big[600] = {0};
    assert_int_equal(qr_blob_upload_write(&up, big, sizeof(big), &err), QR_E_TOO_LARGE);
    assert_string_equal(err.msg, "at most 2000 bytes");
    assert_int_equal(qr_blob_upload_publish(&up, &err), QR_OK);
    qr_blob_reader_t *rd = NULL;
    long long size = 0;
    assert_int_equal(qr_blob_upload_open(&up, &ctx, root.org_id, &rd, &err), QR_OK);
    assert_int_equal(qr_blob_size(rd, &size, &err), QR_OK);
    assert_int_equal(size, 1505);
    qr_blob_close(rd);
    /* Nothing refers to the blob: the sweep takes it (age 0: at once), and only it. */
    char *blobs = NULL;
    assert_true(asprintf(&blobs, "%s/blobs", dir) > 0);
    assert_int_equal(qr_blob_upload_sweep(blobs, 3600, all_but, up.id), 0); /* too young */
    assert_int_equal(qr_blob_upload_sweep(blobs, 0, all_but, up.id), 1);
    assert_int_equal(qr_blob_upload_open(&up, &ctx, root.org_id, &rd, &err), QR_E_NOT_FOUND);
    free(blobs);
    qr_blob_upload_abort(&up);
    qr_blob_upload_abort(NULL);
    free(folder);
}

static void test_prn4_quota_is_a_typed_row(void **state) {
    (void)state;
    qr_quota_t q;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_quota_get(&ctx, &root, NULL, &q, &err), QR_OK);
    assert_string_equal(q.user_id, root.user_id);
    assert_false(q.has_quota);
    assert_int_equal(qr_quota_remaining(&q), -1);
    assert_int_equal(strlen(q.month), 7);
    assert_null(q.username);
    qr_quota_clear(&q);
    assert_int_equal(qr_quota_set(&ctx, &root, root.user_id, 10, &q, &err), QR_OK);
    assert_true(q.has_quota);
    assert_int_equal(q.monthly_pages, 10);
    assert_int_equal(qr_quota_remaining(&q), 10 - q.used);
    qr_quota_clear(&q);
    qr_quota_t *items = NULL;
    size_t n = 0;
    char month[8];
    assert_int_equal(qr_quota_list(&ctx, &root, root.org_id, month, &items, &n, &err), QR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].username, "admin");
    assert_string_equal(items[0].month, month);
    assert_int_equal(items[0].monthly_pages, 10);
    qr_quota_list_free(items, n);
    assert_int_equal(qr_quota_set(&ctx, &root, root.user_id, -1, &q, &err), QR_OK);
    assert_false(q.has_quota);
    qr_quota_clear(&q);
    assert_int_equal(qr_quota_get(&ctx, &root, "0123456789abcdef0123456789abcdef", &q, &err),
                     QR_E_NOT_FOUND);
    assert_string_equal(err.msg, "user not found");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prn1_job_is_a_typed_row),
        cmocka_unit_test(test_prn1_refused_uploads_leave_no_job),
        cmocka_unit_test(test_prn1_created_job_takes_its_one_document),
        cmocka_unit_test(test_sec2_upload_keeps_head_tail_and_limit),
        cmocka_unit_test(test_prn4_quota_is_a_typed_row),
    };
    return cmocka_run_group_tests_name("job", tests, setup, teardown);
}
