/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the cloud spool. */
#include "print/job.h"

#include <dirent.h>
#include <stdint.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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

#define TAIL 1024
#define JOB_COLS                                                                                   \
    "id, name, size, status, copies, color, duplex, created_at, expires_at, number, pages, "       \
    "doc_color, device_id, released_at, reason"

struct qr_job_upload {
    qr_ctx_t *ctx;
    qr_principal_t p;
    qr_blob_writer_t *w;
    char id[QR_ID_LEN + 1];
    char *name;
    long long copies, size, max;
    int color, duplex;
    long long pages; /* from the document (qr_pdf_inspect) */
    int doc_color;
    unsigned char head[5];
    unsigned char tail[TAIL];
    size_t tail_len;
};

static char *blob_dir(qr_ctx_t *ctx, const char *org_id) {
    return qr_xasprintf("%s/blobs/%s", ctx->cfg->data_dir, org_id);
}

static json_t *job_json(const qr_dbres_t *r, int i) {
    json_t *j = json_pack(
        "{s:s, s:s, s:I, s:s, s:I, s:b, s:b, s:I, s:I, s:I, s:I, s:b}", "id",
        qr_dbres_text(r, i, 0), "name", qr_dbres_text(r, i, 1), "size",
        (json_int_t)qr_dbres_int(r, i, 2), "status", qr_dbres_text(r, i, 3), "copies",
        (json_int_t)qr_dbres_int(r, i, 4), "color", (int)qr_dbres_int(r, i, 5), "duplex",
        (int)qr_dbres_int(r, i, 6), "created_at", (json_int_t)qr_dbres_int(r, i, 7), "expires_at",
        (json_int_t)qr_dbres_int(r, i, 8), "number", (json_int_t)qr_dbres_int(r, i, 9), "pages",
        (json_int_t)qr_dbres_int(r, i, 10), "document_color", (int)qr_dbres_int(r, i, 11));
    json_object_set_new(j, "device_id",
                        qr_dbres_isnull(r, i, 12) ? json_null()
                                                  : json_string(qr_dbres_text(r, i, 12)));
    json_object_set_new(j, "released_at",
                        qr_dbres_isnull(r, i, 13) ? json_null()
                                                  : json_integer(qr_dbres_int(r, i, 13)));
    json_object_set_new(j, "reason",
                        qr_dbres_isnull(r, i, 14) ? json_null()
                                                  : json_string(qr_dbres_text(r, i, 14)));
    return j;
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

qr_status_t qr_job_begin(qr_ctx_t *ctx, const qr_principal_t *p, const qr_job_options_t *o,
                         long long declared_size, qr_job_upload_t **out, qr_err_t *err) {
    *out = NULL;
    long long max = (long long)ctx->cfg->max_job_mb * 1024 * 1024;
    if (declared_size > max)
        return qr_err_set(err, QR_E_TOO_LARGE, NULL, "a print job may be at most %d MB",
                          ctx->cfg->max_job_mb);
    if (o->copies < 1 || o->copies > 999)
        return qr_err_set(err, QR_E_INVALID, NULL, "copies must be from 1 to 999");
    unsigned char key[32];
    qr_status_t st = qr_datakey_get(ctx, p->org_id, key, err);
    if (st)
        return st;
    char *dir = blob_dir(ctx, p->org_id);
    qr_job_upload_t *u = qr_xcalloc(1, sizeof(*u));
    u->ctx = ctx;
    u->p = *p;
    u->max = max;
    u->copies = o->copies;
    u->color = o->color;
    u->duplex = o->duplex;
    u->name = qr_xstrdup(o->name && *o->name ? o->name : "document.pdf");
    qr_random_id(u->id);
    st = qr_mkdirs(dir, 0700, err);
    if (!st)
        st = qr_blob_create(dir, u->id, key, &u->w, err);
    OPENSSL_cleanse(key, sizeof(key));
    free(dir);
    if (st) {
        qr_job_abort(u);
        return st;
    }
    *out = u;
    return QR_OK;
}

qr_status_t qr_job_write(qr_job_upload_t *u, const void *data, size_t n, qr_err_t *err) {
    if (u->size + (long long)n > u->max)
        return qr_err_set(err, QR_E_TOO_LARGE, NULL, "a print job may be at most %d MB",
                          u->ctx->cfg->max_job_mb);
    const unsigned char *d = data;
    for (size_t i = 0; i < n && u->size + (long long)i < 5; i++)
        u->head[u->size + i] = d[i];
    /* Keep the last TAIL bytes to find the end-of-file marker. */
    if (n >= TAIL) {
        memcpy(u->tail, d + n - TAIL, TAIL);
        u->tail_len = TAIL;
    } else {
        size_t keep = u->tail_len + n > TAIL ? TAIL - n : u->tail_len;
        memmove(u->tail, u->tail + u->tail_len - keep, keep);
        memcpy(u->tail + keep, d, n);
        u->tail_len = keep + n;
    }
    u->size += (long long)n;
    return qr_blob_write(u->w, data, n, err);
}

qr_status_t qr_job_commit(qr_job_upload_t *u, json_t **out, qr_err_t *err) {
    *out = NULL;
    qr_ctx_t *ctx = u->ctx;
    if (u->size < 5 || memcmp(u->head, "%PDF-", 5) != 0 ||
        !memmem(u->tail, u->tail_len, "%%EOF", 5)) {
        qr_job_abort(u);
        return qr_err_set(err, QR_E_INVALID, "invalid_document",
                          "the document is not a complete PDF (it must start with %%PDF- and "
                          "end with %%%%EOF)");
    }
    qr_status_t st = qr_blob_commit(u->w, err);
    u->w = NULL;
    if (st) {
        qr_job_abort(u);
        return st;
    }
    {
        /* PRN-2: pages and colour come from the document, read back through the decrypting
         * reader so that the plaintext never touches disk (SEC-2). What MuPDF cannot read
         * (or reads only past its bounds) is refused, and its document deleted. */
        char *dir = blob_dir(ctx, u->p.org_id);
        unsigned char key[32];
        qr_blob_reader_t *rd = NULL;
        qr_pdf_info_t info = {0, 0};
        st = qr_datakey_get(ctx, u->p.org_id, key, err);
        if (!st)
            st = qr_blob_open(dir, u->id, key, &rd, err);
        OPENSSL_cleanse(key, sizeof(key));
        if (!st)
            st = qr_pdf_inspect(rd, NULL, &info, err);
        qr_blob_close(rd);
        if (st)
            qr_blob_delete(dir, u->id, NULL);
        free(dir);
        if (st) {
            qr_job_abort(u);
            return st;
        }
        u->pages = info.pages;
        u->doc_color = info.color;
    }
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    st = qr_db_q(c, &r, NULL, "SELECT ret_print_days FROM orgs WHERE id = ?", QR_TEXT(u->p.org_id));
    long long days = !st && qr_dbres_rows(r) == 1 ? qr_dbres_int(r, 0, 0) : 7;
    qr_dbres_free(r);
    r = NULL;
    /* A clash of random job numbers is retried with another one. */
    for (int tries = 0; !st && tries < 8; tries++) {
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO print_jobs (id, org_id, user_id, name, size, status, copies, "
                     "color, duplex, created_at, expires_at, number, pages, doc_color) VALUES (?, "
                     "?, ?, ?, ?, 'held', ?, ?, ?, ?, ?, ?, ?, ?)",
                     QR_TEXT(u->id), QR_TEXT(u->p.org_id), QR_TEXT(u->p.user_id), QR_TEXT(u->name),
                     QR_INT(u->size), QR_INT(u->copies), QR_INT(u->color), QR_INT(u->duplex),
                     QR_INT(now), QR_INT(now + days * 86400), QR_INT(job_number()),
                     QR_INT(u->pages), QR_INT(u->doc_color));
        if (st != QR_E_CONFLICT)
            break;
        st = tries < 7 ? QR_OK : st;
    }
    if (!st)
        st = qr_db_q(c, &r, NULL, "SELECT " JOB_COLS " FROM print_jobs WHERE id = ?",
                     QR_TEXT(u->id));
    if (!st) {
        *out = job_json(r, 0);
        qr_audit_write(c, now, u->p.org_id, u->p.user_id, "job_submitted", u->id, "");
    } else {
        /* No row, no document: nothing accepted is left half-stored. */
        char *dir = blob_dir(ctx, u->p.org_id);
        qr_blob_delete(dir, u->id, NULL);
        free(dir);
        qr_err_set(err, st, NULL, "the job could not be recorded");
    }
    qr_dbres_free(r);
    qr_db_release(c);
    qr_job_abort(u);
    return st;
}

void qr_job_abort(qr_job_upload_t *u) {
    if (!u)
        return;
    qr_blob_abort(u->w);
    free(u->name);
    free(u);
}

qr_status_t qr_job_list(qr_ctx_t *ctx, const qr_principal_t *p, json_t **out, qr_err_t *err) {
    (void)err;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT " JOB_COLS " FROM print_jobs WHERE org_id = ? AND user_id = ? "
                             "ORDER BY created_at DESC, id",
                             QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st) {
        json_t *items = json_array();
        for (int i = 0; i < qr_dbres_rows(r); i++)
            json_array_append_new(items, job_json(r, i));
        *out = json_pack("{s:o}", "items", items);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_job_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, json_t **out,
                       qr_err_t *err) {
    *out = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT " JOB_COLS " FROM print_jobs WHERE id = ? AND org_id = ? AND "
                             "user_id = ?",
                             QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st && qr_dbres_rows(r) == 1)
        *out = job_json(r, 0);
    else if (!st)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "job not found");
    qr_dbres_free(r);
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
    if (!st) {
        char *dir = blob_dir(ctx, p->org_id);
        qr_blob_delete(dir, id, NULL);
        free(dir);
        qr_audit_write(c, now, p->org_id, p->user_id, "job_deleted", id, "");
    }
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

int qr_job_sweep(qr_ctx_t *ctx) {
    qr_job_requeue_stale(ctx);
    int64_t now = qr_clock_now(ctx->clock);
    int removed = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
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
    DIR *orgs = opendir(root);
    struct dirent *o;
    while (orgs && (o = readdir(orgs))) {
        if (o->d_name[0] == '.')
            continue;
        char *dir = qr_xasprintf("%s/%s", root, o->d_name);
        DIR *d = opendir(dir);
        struct dirent *f;
        while (d && (f = readdir(d))) {
            if (f->d_name[0] == '.')
                continue;
            char *path = qr_xasprintf("%s/%s", dir, f->d_name);
            struct stat st;
            size_t n = strlen(f->d_name);
            int part = n > 5 && strcmp(f->d_name + n - 5, ".part") == 0;
            char id[QR_ID_LEN + 1];
            snprintf(id, sizeof(id), "%.*s", (int)(part ? n - 5 : n), f->d_name);
            if (stat(path, &st) == 0 && time(NULL) - st.st_mtime >= 60 &&
                (part || !job_exists(c, id)) && unlink(path) == 0)
                removed++;
            free(path);
        }
        if (d)
            closedir(d);
        free(dir);
    }
    if (orgs)
        closedir(orgs);
    free(root);
    qr_db_release(c);
    return removed;
}

qr_status_t qr_job_document(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                            struct qr_blob_reader **reader, long long *size, qr_err_t *err) {
    *reader = NULL;
    json_t *job = NULL;
    qr_status_t st = qr_job_get(ctx, p, id, &job, err);
    if (st)
        return st;
    *size = json_integer_value(json_object_get(job, "size"));
    json_decref(job);
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

/* Columns of a job with its org's print policy, for release and result. */
#define RELEASE_COLS                                                                               \
    "j.status, j.pages, j.copies, j.color, j.duplex, o.print_force_mono, o.print_force_duplex, "   \
    "o.print_max_pages, o.time_zone, j.device_id, j.charged, j.charged_month"

static qr_status_t select_job(qr_dbc_t *c, const char *id, json_t **out) {
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT " JOB_COLS " FROM print_jobs WHERE id = ?", QR_TEXT(id));
    if (!st && qr_dbres_rows(r) == 1)
        *out = job_json(r, 0);
    else if (!st)
        st = QR_E_NOT_FOUND;
    qr_dbres_free(r);
    return st;
}

/* Loads the principal's own job with its org's policy, inside a transaction on c. */
static qr_status_t release_row(qr_dbc_t *c, const qr_principal_t *p, const char *id, qr_dbres_t **r,
                               qr_err_t *err) {
    *r = NULL;
    if (!p->device_id[0])
        return qr_err_set(err, QR_E_FORBIDDEN, "panel_only",
                          "jobs are released at a printer: log in at its panel");
    if (!qr_id_is_valid(id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "job not found");
    qr_status_t st = qr_db_q(c, r, NULL,
                             "SELECT " RELEASE_COLS " FROM print_jobs j JOIN orgs o ON o.id = "
                             "j.org_id WHERE j.id = ? AND j.org_id = ? AND j.user_id = ?",
                             QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st && qr_dbres_rows(*r) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "job not found");
    return st;
}

qr_status_t qr_job_release(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, json_t **out,
                           qr_err_t *err) {
    *out = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = p->device_id[0] ? qr_dbc_begin(c) : QR_OK;
    int open = !st && p->device_id[0];
    if (!st)
        st = release_row(c, p, id, &r, err);
    long long pages = 0, copies = 0, charge = 0, max = 0;
    int color = 0, duplex = 0;
    char month[8] = "";
    if (!st) {
        if (strcmp(qr_dbres_text(r, 0, 0), "held") != 0)
            st = qr_err_set(err, QR_E_CONFLICT, "not_held",
                            "this job is %s, not waiting to be released", qr_dbres_text(r, 0, 0));
        pages = qr_dbres_int(r, 0, 1);
        copies = qr_dbres_int(r, 0, 2);
        color = qr_dbres_int(r, 0, 3) && !qr_dbres_int(r, 0, 5);
        duplex = qr_dbres_int(r, 0, 4) || qr_dbres_int(r, 0, 6);
        max = qr_dbres_int(r, 0, 7);
        charge = pages * copies;
        qr_tz_month(qr_dbres_text(r, 0, 8), now, month);
    }
    if (!st && max > 0 && charge > max)
        st = qr_err_set(err, QR_E_CONFLICT, "policy_max_pages",
                        "this job has %lld pages (%lld x %lld copies); your organization allows "
                        "at most %lld pages per job",
                        charge, pages, copies, max);
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
    if (!st)
        st = qr_dbc_commit(c);
    else if (open)
        qr_dbc_rollback(c);
    if (!st && select_job(c, id, out) == QR_OK)
        json_object_set_new(*out, "print",
                            json_pack("{s:I, s:I, s:b, s:b}", "pages", (json_int_t)pages, "copies",
                                      (json_int_t)copies, "color", color, "duplex", duplex));
    qr_dbres_free(r);
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
                          const qr_print_result_t *res, json_t **out, qr_err_t *err) {
    *out = NULL;
    int printed = strcmp(res->status, "printed") == 0;
    if (!printed && strcmp(res->status, "failed") != 0)
        return qr_err_set(err, QR_E_INVALID, NULL, "status must be 'printed' or 'failed'");
    if (res->pages < 0 || res->pages > 1000000 || res->copies < 1 || res->copies > 999)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "pages must be from 0 to 1000000 and copies from 1 to 999");
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = p->device_id[0] ? qr_dbc_begin(c) : QR_OK;
    int open = !st && p->device_id[0];
    if (!st)
        st = release_row(c, p, id, &r, err);
    if (!st && (strcmp(qr_dbres_text(r, 0, 0), "released") != 0 || qr_dbres_isnull(r, 0, 9) ||
                strcmp(qr_dbres_text(r, 0, 9), p->device_id) != 0))
        st = qr_err_set(err, QR_E_CONFLICT, "not_released",
                        "this job is not being printed at this device");
    long long charged = st ? 0 : qr_dbres_int(r, 0, 10);
    const char *month = st ? NULL : qr_dbres_text(r, 0, 11);
    if (!st && printed) {
        qr_joblog_entry_t e = {p->user_id,  "print",    res->pages,
                               res->copies, res->color, res->duplex};
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
    if (!st)
        st = qr_dbc_commit(c);
    else if (open)
        qr_dbc_rollback(c);
    if (!st && printed) {
        /* Printed: the document has done its work and leaves the spool now. */
        char *dir = blob_dir(ctx, p->org_id);
        qr_blob_delete(dir, id, NULL);
        free(dir);
    }
    if (!st)
        select_job(c, id, out);
    qr_dbres_free(r);
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
