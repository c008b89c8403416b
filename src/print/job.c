/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the cloud spool. */
#include "print/job.h"

#include <stdint.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "crypto/keys.h"
#include "core/tz.h"
#include "crypto/random.h"
#include "print/pdf.h"
#include "print/quota.h"
#include "report/joblog.h"
#include "report/audit.h"
#include "store/blob.h"
#include "store/datakey.h"
#include "store/db.h"
#include "store/upload.h"
#include "tenancy/license.h"

/* The one column list of a job; job_from_row reads it. */
#define JOB_COLUMNS                                                                                \
    "j.id, j.name, j.size, j.status, j.copies, j.color, j.duplex, j.created_at, j.expires_at, "    \
    "j.number, j.pages, j.doc_color, j.device_id, j.released_at, j.reason, j.page_ranges"

struct qr_job_upload {
    qr_ctx_t *ctx;
    qr_principal_t p;
    qr_blob_upload_t up; /* the document; its blob id is the job's id */
    qr_convert_t *conv;  /* in front of up when the document is sent in another format */
    char *name;
    long long copies;
    int color, duplex;
    char *page_ranges;            /* NULL: all pages */
    char incoming[QR_ID_LEN + 1]; /* the created job the document completes; "" for a new one */
};

/* The converter's sink: the PDF into the upload (qr_pdfout_sink_fn). */
static qr_status_t upload_sink(void *cls, const void *data, size_t n, qr_err_t *err) {
    return qr_blob_upload_write(cls, data, n, err);
}

static char *blob_dir(qr_ctx_t *ctx, const char *org_id) {
    return qr_xasprintf("%s/blobs/%s", ctx->cfg->data_dir, org_id);
}

/* Row i of r (JOB_COLUMNS) into out. */
static void job_from_row(const qr_dbres_t *r, int i, qr_job_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    out->name = qr_xstrdup(qr_dbres_text(r, i, 1));
    out->size = qr_dbres_int(r, i, 2);
    out->status = qr_xstrdup(qr_dbres_text(r, i, 3));
    out->copies = qr_dbres_int(r, i, 4);
    out->color = (int)qr_dbres_int(r, i, 5);
    out->duplex = (int)qr_dbres_int(r, i, 6);
    out->created_at = qr_dbres_int(r, i, 7);
    out->expires_at = qr_dbres_int(r, i, 8);
    out->number = qr_dbres_int(r, i, 9);
    out->pages = qr_dbres_int(r, i, 10);
    out->document_color = (int)qr_dbres_int(r, i, 11);
    if (!qr_dbres_isnull(r, i, 12))
        snprintf(out->device_id, sizeof(out->device_id), "%s", qr_dbres_text(r, i, 12));
    out->has_released_at = !qr_dbres_isnull(r, i, 13);
    out->released_at = out->has_released_at ? qr_dbres_int(r, i, 13) : 0;
    out->reason = qr_dbres_isnull(r, i, 14) ? NULL : qr_xstrdup(qr_dbres_text(r, i, 14));
    out->page_ranges = qr_dbres_isnull(r, i, 15) ? NULL : qr_xstrdup(qr_dbres_text(r, i, 15));
}

void qr_job_clear(qr_job_t *j) {
    if (!j)
        return;
    free(j->name);
    free(j->status);
    free(j->reason);
    free(j->page_ranges);
    memset(j, 0, sizeof(*j));
}

void qr_job_list_free(qr_job_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_job_clear(&v[i]);
    free(v);
}

#define JOB_SELECT "SELECT " JOB_COLUMNS " FROM print_jobs j WHERE "

/* The jobs that sql (JOB_SELECT and a condition, a constant) finds with its np parameters:
 * *items is a new array of *n jobs. */
static qr_status_t select_jobs(qr_dbc_t *c, const char *sql, const qr_dbval_t *params, int np,
                               qr_job_t **items, size_t *n) {
    *items = NULL;
    *n = 0;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_dbc_exec(c, sql, params, np, &r, NULL);
    int rows = st ? 0 : qr_dbres_rows(r);
    if (rows > 0) {
        *items = qr_xcalloc((size_t)rows, sizeof(**items));
        for (int i = 0; i < rows; i++)
            job_from_row(r, i, &(*items)[i]);
        *n = (size_t)rows;
    }
    qr_dbres_free(r);
    return st;
}

/* The first job that sql finds, into out; QR_E_NOT_FOUND (no message) if there is none. */
static qr_status_t select_job(qr_dbc_t *c, const char *sql, const qr_dbval_t *params, int np,
                              qr_job_t *out) {
    qr_job_t *v = NULL;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    qr_status_t st = select_jobs(c, sql, params, np, &v, &n);
    if (!st && n == 0)
        st = QR_E_NOT_FOUND;
    if (!st) {
        *out = v[0];
        memset(&v[0], 0, sizeof(v[0]));
    }
    qr_job_list_free(v, n);
    return st;
}

/* Job id (whoever's it is) into out. */
static qr_status_t job_by_id(qr_dbc_t *c, const char *id, qr_job_t *out) {
    return select_job(c, JOB_SELECT "j.id = ?", (const qr_dbval_t[]){QR_TEXT(id)}, 1, out);
}

/* A job number for IPP (job-id: 1 to 2^31 - 1), random so that it says nothing about how many
 * jobs others print. */
static long long job_number(void) {
    uint32_t v = 0;
    while (v == 0) {
        qr_random_bytes(&v, sizeof(v));
        v &= 0x7fffffffu;
    }
    return (long long)v;
}

/* Checks page ranges as a job keeps them: "FIRST-LAST" pairs from 1, ascending and not
 * overlapping, separated by commas, at most QR_JOB_RANGES_MAX bytes (NULL: all pages). */
static qr_status_t check_ranges(const char *ranges, qr_err_t *err) {
    long long last = 0;
    const char *s = ranges;
    if (!ranges)
        return QR_OK;
    while (strlen(ranges) <= QR_JOB_RANGES_MAX && *s >= '0' && *s <= '9') {
        char *end = NULL;
        long long lo = strtoll(s, &end, 10);
        long long hi =
            *end == '-' && end[1] >= '0' && end[1] <= '9' ? strtoll(end + 1, &end, 10) : 0;
        if (lo <= last || hi < lo || hi > 0x7fffffffLL)
            break;
        last = hi;
        if (!*end)
            return QR_OK;
        if (*end != ',')
            break;
        s = end + 1;
    }
    return qr_err_set(err, QR_E_INVALID, NULL,
                      "page ranges are FIRST-LAST pairs from 1, ascending and not overlapping, "
                      "separated by commas (\"2-3,5-5\"), at most %d characters",
                      QR_JOB_RANGES_MAX);
}

qr_status_t qr_job_begin(qr_ctx_t *ctx, const qr_principal_t *p, const qr_job_options_t *o,
                         long long declared_size, qr_job_upload_t **out, qr_err_t *err) {
    *out = NULL;
    long long max = (long long)ctx->cfg->max_job_mb * 1024 * 1024;
    char too_large[64];
    snprintf(too_large, sizeof(too_large), "a print job may be at most %d MB",
             ctx->cfg->max_job_mb);
    if (declared_size > max)
        return qr_err_set(err, QR_E_TOO_LARGE, NULL, "%s", too_large);
    if (o->copies < 1 || o->copies > 999)
        return qr_err_set(err, QR_E_INVALID, NULL, "copies must be from 1 to 999");
    if (check_ranges(o->page_ranges, err))
        return err->status;
    /* TEN-5: the feature and the storage quota, before a byte is stored (the declared size
     * when known; the real one again at commit). */
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_license_require_feature(c, p->org_id, QR_FEAT_PRINT, err);
    if (!st)
        st = qr_license_check_storage(c, p->org_id, declared_size, err);
    qr_db_release(c);
    if (st)
        return st;
    char *dir = blob_dir(ctx, p->org_id);
    qr_job_upload_t *u = qr_xcalloc(1, sizeof(*u));
    u->ctx = ctx;
    u->p = *p;
    u->copies = o->copies;
    u->color = o->color;
    u->duplex = o->duplex;
    u->name = qr_xstrdup(o->name && *o->name ? o->name : "document.pdf");
    u->page_ranges = o->page_ranges ? qr_xstrdup(o->page_ranges) : NULL;
    st = qr_blob_upload_begin(&u->up, ctx, p->org_id, dir, max, too_large, err);
    free(dir);
    if (st) {
        qr_job_abort(u);
        return st;
    }
    if (o->format != QR_DOC_PDF || o->compression != QR_COMPRESSION_NONE) {
        qr_convert_limits_t lim = {QR_CONVERT_MAX_PAGES,  QR_CONVERT_MAX_PAGE_PIXELS,
                                   QR_CONVERT_MAX_MS,     QR_CONVERT_MAX_IMAGE_BYTES,
                                   QR_CONVERT_MAX_MEMORY, max};
        u->conv = qr_convert_create(&lim, o->format, o->compression, upload_sink, &u->up);
    }
    *out = u;
    return QR_OK;
}

qr_status_t qr_job_write(qr_job_upload_t *u, const void *data, size_t n, qr_err_t *err) {
    if (u->conv)
        return qr_convert_write(u->conv, data, n, err);
    return qr_blob_upload_write(&u->up, data, n, err);
}

/* PRN-2: pages and colour come from the published document, read back through the
 * decrypting reader so that the plaintext never touches disk (SEC-2). What MuPDF cannot read
 * (or reads only past its bounds) is refused, and its document deleted. */
static qr_status_t inspect(qr_job_upload_t *u, qr_pdf_info_t *info, qr_err_t *err) {
    qr_blob_reader_t *rd = NULL;
    qr_status_t st = qr_blob_upload_open(&u->up, u->ctx, u->p.org_id, &rd, err);
    if (!st)
        st = qr_pdf_inspect(rd, NULL, info, err);
    qr_blob_close(rd);
    if (st)
        qr_blob_upload_delete(&u->up);
    return st;
}

/* The pages of a document of pages pages that page ranges ("1-3,7-7", ascending, as
 * job_ipp.c writes them; NULL: all) select. */
static long long ranged_pages(const char *ranges, long long pages) {
    if (!ranges)
        return pages;
    long long n = 0;
    const char *s = ranges;
    while (*s) {
        char *end = NULL;
        long long lo = strtoll(s, &end, 10);
        long long hi = end && *end == '-' ? strtoll(end + 1, &end, 10) : lo;
        if (!end || end == s)
            break;
        if (hi > pages)
            hi = pages;
        if (lo >= 1 && hi >= lo)
            n += hi - lo + 1;
        s = *end == ',' ? end + 1 : end;
        if (*end != ',')
            break;
    }
    return n;
}

/* One new row of print_jobs. */
struct new_job {
    const char *id, *status, *name, *page_ranges;
    long long size, copies, pages;
    int color, duplex, doc_color;
};

/* Records job j of the principal on c with a new random number (a clash of numbers is
 * retried with another one); it expires after the org's print retention. */
static qr_status_t insert_job(qr_dbc_t *c, const qr_principal_t *p, const struct new_job *j,
                              int64_t now) {
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT ret_print_days FROM orgs WHERE id = ?", QR_TEXT(p->org_id));
    long long days = !st && qr_dbres_rows(r) == 1 ? qr_dbres_int(r, 0, 0) : 7;
    qr_dbres_free(r);
    for (int tries = 0; !st && tries < 8; tries++) {
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO print_jobs (id, org_id, user_id, name, size, status, copies, "
                     "color, duplex, created_at, expires_at, number, pages, doc_color, "
                     "page_ranges) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     QR_TEXT(j->id), QR_TEXT(p->org_id), QR_TEXT(p->user_id), QR_TEXT(j->name),
                     QR_INT(j->size), QR_TEXT(j->status), QR_INT(j->copies), QR_INT(j->color),
                     QR_INT(j->duplex), QR_INT(now), QR_INT(now + days * 86400),
                     QR_INT(job_number()), QR_INT(j->pages), QR_INT(j->doc_color),
                     j->page_ranges ? QR_TEXT(j->page_ranges) : QR_NULL);
        if (st != QR_E_CONFLICT)
            break;
        st = tries < 7 ? QR_OK : st;
    }
    return st;
}

/* Records the job of a published, inspected document on c: a new held job, or the created
 * job it completes (which then takes the document's id). */
static qr_status_t record(qr_dbc_t *c, qr_job_upload_t *u, const qr_pdf_info_t *info, int64_t now,
                          qr_err_t *err) {
    long long pages = ranged_pages(u->page_ranges, info->pages);
    if (!u->incoming[0]) {
        struct new_job j = {u->up.id,  "held", u->name,  u->page_ranges, u->up.size,
                            u->copies, pages,  u->color, u->duplex,      info->color};
        qr_status_t st = insert_job(c, &u->p, &j, now);
        return st ? qr_err_set(err, st, NULL, "the job could not be recorded") : QR_OK;
    }
    long long changed = 0;
    qr_status_t st =
        qr_db_q(c, NULL, &changed,
                "UPDATE print_jobs SET id = ?, size = ?, status = 'held', pages = ?, "
                "doc_color = ? WHERE id = ? AND org_id = ? AND user_id = ? AND status "
                "= 'incoming'",
                QR_TEXT(u->up.id), QR_INT(u->up.size), QR_INT(pages), QR_INT(info->color),
                QR_TEXT(u->incoming), QR_TEXT(u->p.org_id), QR_TEXT(u->p.user_id));
    if (st)
        return qr_err_set(err, st, NULL, "the job could not be recorded");
    if (changed != 1)
        return qr_err_set(err, QR_E_CONFLICT, "not_incoming",
                          "the job was canceled or timed out before its document arrived");
    return QR_OK;
}

qr_status_t qr_job_commit(qr_job_upload_t *u, qr_job_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_ctx_t *ctx = u->ctx;
    qr_pdf_info_t info = {0, 0};
    if (u->conv && qr_convert_finish(u->conv, err)) {
        qr_job_abort(u);
        return err->status;
    }
    if (!qr_blob_upload_starts_with(&u->up, "%PDF-", 5) ||
        !qr_blob_upload_tail_has(&u->up, "%%EOF", 5)) {
        qr_job_abort(u);
        return qr_err_set(err, QR_E_INVALID, "invalid_document",
                          "the document is not a complete PDF (it must start with %%PDF- and "
                          "end with %%%%EOF)");
    }
    qr_status_t st = qr_blob_upload_publish(&u->up, err);
    if (!st)
        st = inspect(u, &info, err);
    if (st) {
        qr_job_abort(u);
        return st;
    }
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    if ((st = qr_license_check_storage(c, u->p.org_id, u->up.size, err))) {
        qr_blob_upload_delete(&u->up);
        qr_db_release(c);
        qr_job_abort(u);
        return st;
    }
    st = record(c, u, &info, now, err);
    if (!st && (st = job_by_id(c, u->up.id, out)))
        qr_err_set(err, st, NULL, "the job could not be recorded");
    if (!st) {
        qr_audit_write(c, now, u->p.org_id, u->p.user_id, "job_submitted", u->up.id, "");
    } else {
        /* No row, no document: nothing accepted is left half-stored. */
        qr_blob_upload_delete(&u->up);
    }
    qr_db_release(c);
    qr_job_abort(u);
    return st;
}

void qr_job_abort(qr_job_upload_t *u) {
    if (!u)
        return;
    qr_convert_destroy(u->conv);
    qr_blob_upload_abort(&u->up);
    free(u->name);
    free(u->page_ranges);
    free(u);
}

/* Deletes the document of the principal's job id from the spool and audits action on c. */
static void drop_document(qr_ctx_t *ctx, qr_dbc_t *c, const qr_principal_t *p, const char *id,
                          const char *action, int64_t now) {
    char *dir = blob_dir(ctx, p->org_id);
    qr_blob_delete(dir, id, NULL);
    free(dir);
    qr_audit_write(c, now, p->org_id, p->user_id, action, id, "");
}

qr_status_t qr_job_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_job_options_t *o,
                          qr_job_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (o->copies < 1 || o->copies > 999)
        return qr_err_set(err, QR_E_INVALID, NULL, "copies must be from 1 to 999");
    if (check_ranges(o->page_ranges, err))
        return err->status;
    int64_t now = qr_clock_now(ctx->clock);
    char id[QR_ID_LEN + 1];
    qr_random_id(id);
    struct new_job j = {id,
                        "incoming",
                        o->name && *o->name ? o->name : "document.pdf",
                        o->page_ranges,
                        0,
                        o->copies,
                        0,
                        o->color,
                        o->duplex,
                        0};
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_license_require_feature(c, p->org_id, QR_FEAT_PRINT, err);
    if (!st && (st = insert_job(c, p, &j, now)))
        qr_err_set(err, st, NULL, "the job could not be recorded");
    if (!st && (st = job_by_id(c, id, out)))
        qr_err_set(err, st, NULL, "the job could not be read back");
    if (!st)
        qr_audit_write(c, now, p->org_id, p->user_id, "job_created", id, "");
    qr_db_release(c);
    return st;
}

qr_status_t qr_job_begin_document(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                  const qr_job_options_t *doc, long long declared_size,
                                  qr_job_upload_t **out, qr_err_t *err) {
    *out = NULL;
    qr_job_t job;
    qr_status_t st = qr_job_get(ctx, p, id, &job, err);
    if (st)
        return st;
    if (strcmp(job.status, "incoming") != 0) {
        st = qr_err_set(err, QR_E_CONFLICT, "not_incoming",
                        "the job is %s: it does not wait for a document", job.status);
        qr_job_clear(&job);
        return st;
    }
    qr_job_options_t o = {job.name,
                          job.copies,
                          job.color,
                          job.duplex,
                          job.page_ranges,
                          doc ? doc->format : QR_DOC_PDF,
                          doc ? doc->compression : QR_COMPRESSION_NONE};
    st = qr_job_begin(ctx, p, &o, declared_size, out, err);
    if (!st)
        snprintf((*out)->incoming, sizeof((*out)->incoming), "%s", job.id);
    qr_job_clear(&job);
    return st;
}

qr_status_t qr_job_cancel(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_job_t job;
    qr_status_t st = qr_job_get(ctx, p, id, &job, err);
    if (st)
        return st;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    long long changed = 0;
    st = qr_db_q(c, NULL, &changed,
                 "UPDATE print_jobs SET status = 'canceled', reason = 'canceled by its owner' "
                 "WHERE id = ? AND org_id = ? AND user_id = ? AND status IN ('incoming', 'held')",
                 QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st && changed != 1)
        st = qr_err_set(err, QR_E_CONFLICT, "not_cancelable",
                        "the job is %s: only a job waiting for its document or for release can "
                        "be canceled",
                        strcmp(job.status, "released") == 0 ? "being printed" : job.status);
    if (!st) /* the row stays for the owner's listings until its retention ends */
        drop_document(ctx, c, p, id, "job_canceled", now);
    qr_db_release(c);
    qr_job_clear(&job);
    return st;
}

qr_status_t qr_job_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_job_t **items, size_t *n,
                        qr_err_t *err) {
    (void)err;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st =
        select_jobs(c,
                    JOB_SELECT "j.org_id = ? AND j.user_id = ? "
                               "ORDER BY j.created_at DESC, j.id",
                    (const qr_dbval_t[]){QR_TEXT(p->org_id), QR_TEXT(p->user_id)}, 2, items, n);
    qr_db_release(c);
    return st;
}

qr_status_t qr_job_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_job_t *out,
                       qr_err_t *err) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = select_job(
        c, JOB_SELECT "j.id = ? AND j.org_id = ? AND j.user_id = ?",
        (const qr_dbval_t[]){QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id)}, 3, out);
    if (st == QR_E_NOT_FOUND)
        qr_err_set(err, st, NULL, "job not found");
    qr_db_release(c);
    return st;
}

qr_status_t qr_job_find_number(qr_ctx_t *ctx, const qr_principal_t *p, long long number,
                               qr_job_t *out, qr_err_t *err) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = select_job(
        c,
        JOB_SELECT "j.number = ? AND j.org_id = ? AND j.user_id = ? "
                   "ORDER BY j.created_at DESC, j.id",
        (const qr_dbval_t[]){QR_INT(number), QR_TEXT(p->org_id), QR_TEXT(p->user_id)}, 3, out);
    if (st == QR_E_NOT_FOUND)
        qr_err_set(err, st, NULL, "job not found");
    qr_db_release(c);
    return st;
}

qr_status_t qr_job_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    long long changed = 0;
    qr_status_t st = qr_db_q(c, NULL, &changed,
                             "DELETE FROM print_jobs WHERE id = ? AND org_id = ? AND user_id = ?",
                             QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st && changed != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "job not found");
    if (!st)
        drop_document(ctx, c, p, id, "job_deleted", now);
    qr_db_release(c);
    return st;
}

/* 1 if a job with this id exists. */
static int job_exists(qr_dbc_t *c, const char *id) {
    qr_dbres_t *r = NULL;
    int yes = qr_db_q(c, &r, NULL, "SELECT 1 FROM print_jobs WHERE id = ?", QR_TEXT(id)) != QR_OK ||
              qr_dbres_rows(r) > 0;
    qr_dbres_free(r);
    return yes;
}

/* Whether a file of the spool belongs to a job (qr_blob_known_fn over c): a finished
 * document does while its job exists; an unfinished one (.part) never does. */
static int blob_known(void *c, const char *name) {
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".part") == 0)
        return 0;
    char id[QR_ID_LEN + 1];
    snprintf(id, sizeof(id), "%.*s", (int)n, name);
    return job_exists(c, id);
}

/* Created jobs whose document did not come within QR_JOB_DOCUMENT_TIMEOUT become aborted
 * (IPP multiple-operation-time-out-action abort-job); they stay listed until their
 * retention ends. */
static void abort_incoming(qr_dbc_t *c, int64_t now) {
    qr_dbres_t *r = NULL;
    if (qr_db_q(c, &r, NULL,
                "UPDATE print_jobs SET status = 'aborted', reason = 'no document arrived within "
                "the time allowed after the job was created' WHERE status = 'incoming' AND "
                "created_at <= ? RETURNING id, org_id, user_id",
                QR_INT(now - QR_JOB_DOCUMENT_TIMEOUT)) == QR_OK)
        for (int i = 0; i < qr_dbres_rows(r); i++)
            qr_audit_write(c, now, qr_dbres_text(r, i, 1), qr_dbres_text(r, i, 2), "job_aborted",
                           qr_dbres_text(r, i, 0), "");
    qr_dbres_free(r);
}

int qr_job_sweep(qr_ctx_t *ctx) {
    qr_job_requeue_stale(ctx);
    int64_t now = qr_clock_now(ctx->clock);
    int removed = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    abort_incoming(c, now);
    qr_dbres_t *r = NULL;
    if (qr_db_q(c, &r, NULL, "DELETE FROM print_jobs WHERE expires_at <= ? RETURNING id, org_id",
                QR_INT(now)) == QR_OK) {
        for (int i = 0; i < qr_dbres_rows(r); i++) {
            char *dir = blob_dir(ctx, qr_dbres_text(r, i, 1));
            if (qr_blob_delete(dir, qr_dbres_text(r, i, 0), NULL) == QR_OK)
                removed++;
            free(dir);
            qr_audit_write(c, now, qr_dbres_text(r, i, 1), NULL, "job_expired",
                           qr_dbres_text(r, i, 0), "");
        }
    }
    qr_dbres_free(r);
    /* Files without a job: interrupted uploads (.part) and documents whose job was never
     * recorded. Only files older than a minute, so that uploads in progress are left alone. */
    char *root = qr_xasprintf("%s/blobs", ctx->cfg->data_dir);
    removed += qr_blob_upload_sweep(root, 60, blob_known, c);
    free(root);
    qr_db_release(c);
    return removed;
}

qr_status_t qr_job_document(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                            struct qr_blob_reader **reader, long long *size, qr_err_t *err) {
    *reader = NULL;
    qr_job_t job;
    qr_status_t st = qr_job_get(ctx, p, id, &job, err);
    if (st)
        return st;
    *size = job.size;
    qr_job_clear(&job);
    unsigned char key[32];
    if ((st = qr_datakey_get(ctx, p->org_id, key, err)))
        return st;
    char *dir = blob_dir(ctx, p->org_id);
    st = qr_blob_open(dir, id, key, reader, err);
    OPENSSL_cleanse(key, sizeof(key));
    free(dir);
    return st;
}

/* ---- release at a device (PRN-3, PRN-4) --------------------------------------------------- */

/* A job with its org's print policy, for release and result: the columns and their row. */
#define RELEASE_COLUMNS                                                                            \
    "j.status, j.pages, j.copies, j.color, j.duplex, o.print_force_mono, o.print_force_duplex, "   \
    "o.print_max_pages, o.time_zone, j.device_id, j.charged, j.charged_month, j.doc_color"

struct release_row {
    char status[16];
    long long pages, copies, max_pages, charged;
    int color, duplex, force_mono, force_duplex;
    int doc_color; /* the document holds colour (what pdf.c found) */
    char time_zone[65];
    char device_id[QR_ID_LEN + 1]; /* "" when none */
    char month[8];                 /* charged_month; "" when none */
    int has_month;
};

static void release_from_row(const qr_dbres_t *r, int i, struct release_row *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->status, sizeof(out->status), "%s", qr_dbres_text(r, i, 0));
    out->pages = qr_dbres_int(r, i, 1);
    out->copies = qr_dbres_int(r, i, 2);
    out->color = (int)qr_dbres_int(r, i, 3);
    out->duplex = (int)qr_dbres_int(r, i, 4);
    out->force_mono = (int)qr_dbres_int(r, i, 5);
    out->force_duplex = (int)qr_dbres_int(r, i, 6);
    out->max_pages = qr_dbres_int(r, i, 7);
    snprintf(out->time_zone, sizeof(out->time_zone), "%s", qr_dbres_text(r, i, 8));
    if (!qr_dbres_isnull(r, i, 9))
        snprintf(out->device_id, sizeof(out->device_id), "%s", qr_dbres_text(r, i, 9));
    out->charged = qr_dbres_int(r, i, 10);
    out->has_month = !qr_dbres_isnull(r, i, 11);
    if (out->has_month)
        snprintf(out->month, sizeof(out->month), "%s", qr_dbres_text(r, i, 11));
    out->doc_color = (int)qr_dbres_int(r, i, 12);
}

/* Opens the transaction of a release or report on c (*open says it did) and loads the
 * principal's own job with its org's policy in it; only at a device's panel. */
static qr_status_t release_row(qr_dbc_t *c, const qr_principal_t *p, const char *id,
                               struct release_row *out, int *open, qr_err_t *err) {
    *open = 0;
    if (!p->device_id[0])
        return qr_err_set(err, QR_E_FORBIDDEN, "panel_only",
                          "jobs are released at a printer: log in at its panel");
    qr_status_t st = qr_dbc_begin(c);
    if (st)
        return st;
    *open = 1;
    if (!qr_id_is_valid(id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "job not found");
    qr_dbres_t *r = NULL;
    st = qr_db_q(c, &r, NULL,
                 "SELECT " RELEASE_COLUMNS " FROM print_jobs j JOIN orgs o ON o.id = "
                 "j.org_id WHERE j.id = ? AND j.org_id = ? AND j.user_id = ?",
                 QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st && qr_dbres_rows(r) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "job not found");
    if (!st)
        release_from_row(r, 0, out);
    qr_dbres_free(r);
    return st;
}

/* Ends the transaction of a release or report: commits if st is QR_OK, else rolls back
 * (if open). Returns the outcome. */
static qr_status_t release_end(qr_dbc_t *c, qr_status_t st, int open) {
    if (!st)
        return qr_dbc_commit(c);
    if (open)
        qr_dbc_rollback(c);
    return st;
}

/* Checks a held job may be released under its org's policy and works out the settings to
 * print it with and what it costs (print->pages x print->copies). */
static qr_status_t release_check(const struct release_row *j, qr_print_settings_t *print,
                                 qr_err_t *err) {
    print->pages = j->pages;
    print->copies = j->copies;
    /* Colour is what the document holds: a black-only document prints (and counts) mono. */
    print->color = j->color && j->doc_color && !j->force_mono;
    print->duplex = j->duplex || j->force_duplex;
    long long charge = j->pages * j->copies;
    if (strcmp(j->status, "held") != 0)
        return qr_err_set(err, QR_E_CONFLICT, "not_held",
                          "this job is %s, not waiting to be released", j->status);
    if (j->max_pages > 0 && charge > j->max_pages)
        return qr_err_set(err, QR_E_CONFLICT, "policy_max_pages",
                          "this job has %lld pages (%lld x %lld copies); your organization "
                          "allows at most %lld pages per job",
                          charge, j->pages, j->copies, j->max_pages);
    return QR_OK;
}

qr_status_t qr_job_release(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_job_t *job,
                           qr_print_settings_t *print, qr_err_t *err) {
    memset(job, 0, sizeof(*job));
    memset(print, 0, sizeof(*print));
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    struct release_row j;
    int open;
    qr_status_t st = release_row(c, p, id, &j, &open, err);
    char month[8] = "";
    if (!st) {
        qr_tz_month(j.time_zone, now, month);
        st = release_check(&j, print, err);
    }
    long long charge = print->pages * print->copies;
    if (!st)
        st = qr__quota_charge(c, p->org_id, p->user_id, month, charge, err);
    long long changed = 0;
    if (!st)
        st = qr_db_q(c, NULL, &changed,
                     "UPDATE print_jobs SET status = 'released', device_id = ?, released_at = ?, "
                     "charged = ?, charged_month = ?, reason = NULL WHERE id = ? AND status = "
                     "'held'",
                     QR_TEXT(p->device_id), QR_INT(now), QR_INT(charge), QR_TEXT(month),
                     QR_TEXT(id));
    if (!st && changed != 1)
        st = qr_err_set(err, QR_E_CONFLICT, "not_held", "this job was released meanwhile");
    if (!st)
        qr_audit_write(c, now, p->org_id, p->user_id, "job_released", id, p->device_id);
    st = release_end(c, st, open);
    if (!st)
        job_by_id(c, id, job);
    qr_db_release(c);
    return st;
}

/* Puts a released job back on hold and refunds what it was charged. */
static qr_status_t requeue(qr_dbc_t *c, const char *id, const char *user_id, long long charged,
                           const char *month, const char *reason) {
    qr_status_t st = qr_db_q(c, NULL, NULL,
                             "UPDATE print_jobs SET status = 'held', device_id = NULL, released_at "
                             "= NULL, charged = 0, charged_month = NULL, reason = ? WHERE id = ?",
                             QR_TEXT(reason), QR_TEXT(id));
    if (!st && month && charged > 0)
        st = qr__quota_adjust(c, user_id, month, -charged);
    return st;
}

qr_status_t qr_job_report(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                          const qr_print_result_t *res, qr_job_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    int printed = strcmp(res->status, "printed") == 0;
    if (!printed && strcmp(res->status, "failed") != 0)
        return qr_err_set(err, QR_E_INVALID, NULL, "status must be 'printed' or 'failed'");
    if (res->pages < 0 || res->pages > 1000000 || res->copies < 1 || res->copies > 999)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "pages must be from 0 to 1000000 and copies from 1 to 999");
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    struct release_row j;
    int open;
    qr_status_t st = release_row(c, p, id, &j, &open, err);
    if (!st && (strcmp(j.status, "released") != 0 || !j.device_id[0] ||
                strcmp(j.device_id, p->device_id) != 0))
        st = qr_err_set(err, QR_E_CONFLICT, "not_released",
                        "this job is not being printed at this device");
    long long charged = st ? 0 : j.charged;
    const char *month = st || !j.has_month ? NULL : j.month;
    if (!st && printed) {
        /* Logged (and booked) colour only if the document holds colour and the org allows
         * it, whatever the device says it used. */
        qr_joblog_entry_t e = {p->user_id,
                               "print",
                               res->pages,
                               res->copies,
                               res->color && j.doc_color && !j.force_mono,
                               res->duplex,
                               0};
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE print_jobs SET status = 'printed', reason = NULL WHERE id = ?",
                     QR_TEXT(id));
        if (!st && month)
            st = qr__quota_adjust(c, p->user_id, month, res->pages * res->copies - charged);
        if (!st)
            st = qr__joblog_insert(c, p->org_id, p->device_id, now, &e, NULL);
    } else if (!st) {
        st = requeue(c, id, p->user_id, charged, month,
                     res->reason && *res->reason ? res->reason : "the printer reported a failure");
    }
    if (!st)
        qr_audit_write(c, now, p->org_id, p->user_id, printed ? "job_printed" : "job_failed", id,
                       p->device_id);
    st = release_end(c, st, open);
    if (!st && printed) {
        /* Printed: the document has done its work and leaves the spool now. */
        char *dir = blob_dir(ctx, p->org_id);
        qr_blob_delete(dir, id, NULL);
        free(dir);
    }
    if (!st)
        job_by_id(c, id, out);
    qr_db_release(c);
    return st;
}

int qr_job_requeue_stale(qr_ctx_t *ctx) {
    int64_t now = qr_clock_now(ctx->clock);
    int n = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    if (qr_db_q(c, &r, NULL,
                "SELECT id, user_id, charged, charged_month, org_id FROM print_jobs WHERE status = "
                "'released' AND released_at <= ?",
                QR_INT(now - QR_RELEASE_TIMEOUT)) == QR_OK) {
        for (int i = 0; i < qr_dbres_rows(r); i++) {
            if (qr_dbc_begin(c))
                break;
            const char *id = qr_dbres_text(r, i, 0);
            qr_status_t st = requeue(c, id, qr_dbres_text(r, i, 1), qr_dbres_int(r, i, 2),
                                     qr_dbres_text(r, i, 3),
                                     "the printer did not report the result; release it again");
            if (!st)
                qr_audit_write(c, now, qr_dbres_text(r, i, 4), NULL, "job_requeued", id, "");
            if (!st && !qr_dbc_commit(c))
                n++;
            else
                qr_dbc_rollback(c);
        }
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return n;
}
