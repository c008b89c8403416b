/* SPDX-License-Identifier: Apache-2.0 */
/* quire: scans — start at the panel, upload, submit, status, download area, counters. */
#include "scan/scan.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "core/mem.h"
#include "core/tz.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "report/audit.h"
#include "scan/capture.h"
#include "scan/index.h"
#include "scan/pipeline.h"
#include "scan/scan_private.h"
#include "scan/worker.h"
#include "store/blob.h"
#include "store/datakey.h"
#include "store/db.h"
#include "store/upload.h"
#include "tenancy/license.h"
#include "tenancy/org.h"

#define MAX_SCAN_NAME 100

#define SCAN_COLS                                                                                  \
    "id, workflow_id, workflow, name, folder, index_values, status, files_in, pages_in, "          \
    "pages_out, ocr_pages, bytes_out, barcodes, error_code, error, delivery_status, "              \
    "delivery_attempts, delivery_next_at, delivery_error, location, created_at, updated_at, "      \
    "expires_at, device_id"

struct qr_scan_upload {
    qr_ctx_t *ctx;
    qr_principal_t p;
    qr_blob_upload_t up; /* the file, under a random blob id */
    char scan_id[QR_ID_LEN + 1];
    int seq;
};

char *qr__scan_blob_dir(qr_ctx_t *ctx, const char *org_id) {
    return qr_xasprintf("%s/scans/%s", ctx->cfg->data_dir, org_id);
}

static json_t *parse(const char *s) {
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    return j ? j : json_null();
}

/* CAP-3: the required attributes of the workflow snapshot wf that index does not fill, into
 * out (none while the scan is still uploading, queued or processing). */
static void index_missing(const json_t *wf, const json_t *index, qr_scan_t *out) {
    const char *status = out->status;
    if (!strcmp(status, "uploading") || !strcmp(status, "queued") || !strcmp(status, "processing"))
        return;
    const json_t *attrs = json_object_get(wf, "attributes");
    out->index_missing = qr_xcalloc(json_array_size(attrs) + 1, sizeof(char *));
    size_t k;
    json_t *a;
    json_array_foreach(attrs, k, a) {
        const char *name = json_string_value(json_object_get(a, "name"));
        if (json_is_true(json_object_get(a, "required")) && !json_object_get(index, name))
            out->index_missing[out->n_index_missing++] = qr_xstrdup(name);
    }
}

/* The one reader of a scan row (SCAN_COLS). */
static void scan_from_row(const qr_dbres_t *r, int i, qr_scan_t *out) {
    memset(out, 0, sizeof(*out));
    json_t *wf = parse(qr_dbres_text(r, i, 2));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    out->workflow_id = qr_dbres_strdup(r, i, 1);
    out->workflow_name = qr_xstrdup(json_string_value(json_object_get(wf, "name")));
    out->ocr = json_is_true(json_object_get(json_object_get(wf, "steps"), "ocr"));
    out->name = qr_dbres_strdup(r, i, 3);
    out->folder = qr_dbres_strdup(r, i, 4);
    out->index = parse(qr_dbres_text(r, i, 5));
    out->status = qr_dbres_strdup(r, i, 6);
    out->files = qr_dbres_int(r, i, 7);
    out->pages_in = qr_dbres_int(r, i, 8);
    out->pages_out = qr_dbres_int(r, i, 9);
    out->ocr_pages = qr_dbres_int(r, i, 10);
    out->bytes_out = qr_dbres_int(r, i, 11);
    out->barcodes = qr_dbres_isnull(r, i, 12) ? json_array() : parse(qr_dbres_text(r, i, 12));
    out->error_code = qr_dbres_strdup(r, i, 13);
    out->error_message = out->error_code ? qr_dbres_strdup(r, i, 14) : NULL;
    out->delivery_status = qr_dbres_strdup(r, i, 15);
    out->delivery_attempts = qr_dbres_int(r, i, 16);
    out->has_delivery_next_at = !qr_dbres_isnull(r, i, 17);
    out->delivery_next_at = qr_dbres_int(r, i, 17);
    out->delivery_error = qr_dbres_strdup(r, i, 18);
    out->location = qr_dbres_strdup(r, i, 19);
    out->created_at = qr_dbres_int(r, i, 20);
    out->updated_at = qr_dbres_int(r, i, 21);
    out->expires_at = qr_dbres_int(r, i, 22);
    out->device_id = qr_dbres_strdup(r, i, 23);
    index_missing(wf, out->index, out);
    json_decref(wf);
}

void qr_scan_clear(qr_scan_t *s) {
    if (!s)
        return;
    free(s->workflow_id);
    free(s->workflow_name);
    free(s->name);
    free(s->folder);
    free(s->status);
    json_decref(s->index);
    for (size_t i = 0; i < s->n_index_missing; i++)
        free(s->index_missing[i]);
    free(s->index_missing);
    json_decref(s->barcodes);
    free(s->device_id);
    free(s->error_code);
    free(s->error_message);
    free(s->delivery_status);
    free(s->delivery_error);
    free(s->location);
    for (size_t i = 0; i < s->n_documents; i++) {
        free(s->documents[i].name);
        free(s->documents[i].format);
        free(s->documents[i].blob_id);
    }
    free(s->documents);
    memset(s, 0, sizeof(*s));
}

void qr_scan_list_free(qr_scan_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_scan_clear(&v[i]);
    free(v);
}

/* A document name: 1 to 100 bytes, no '/', '\' or control characters, not "." or "..". */
static int valid_name(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > MAX_SCAN_NAME || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == '/' || s[i] == '\\')
            return 0;
    return 1;
}

qr_status_t qr_scan_check_panel(const qr_principal_t *p, qr_err_t *err) {
    if (!p->device_id[0])
        return qr_err_set(err, QR_E_FORBIDDEN, "panel_only",
                          "scans start at a printer's panel: log in there first");
    return QR_OK;
}

qr_status_t qr_scan_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_scan_start_input_t *in,
                           qr_scan_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    const char *wid = in->workflow_id, *name = in->name, *folder = in->folder;
    json_t *wf = NULL, *values = NULL, *filled = json_object();
    char *wf_text = NULL, *values_text = NULL, *defname = NULL;
    qr_dbc_t *c = NULL;
    qr_dbres_t *r = NULL;
    qr_status_t st;
    if ((st = qr_scan_check_panel(p, err)))
        goto out;
    /* TEN-5: capture is a feature of the license. */
    c = qr_db_acquire(ctx->db);
    st = qr_license_require_feature(c, p->org_id, QR_FEAT_SCAN, err);
    qr_db_release(c);
    c = NULL;
    if (st)
        goto out;
    if (!folder)
        folder = "";
    if (name && !valid_name(name)) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "name: 1 to %d bytes without '/', '\\' or control characters",
                        MAX_SCAN_NAME);
        goto out;
    }
    if (!qr_capture_folder_valid(folder)) {
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "folder: '/'-separated names, none empty, '.' or '..', without control "
                        "characters or '\\', at most 255 bytes");
        goto out;
    }
    if ((st = qr_capture_snapshot(ctx, p, wid, &wf, err)))
        goto out;
    /* CAP-3: the values must fit the class; required ones a rule fills may come later. */
    size_t i;
    json_t *rule;
    json_array_foreach(json_object_get(wf, "rules"), i, rule) {
        json_object_set_new(filled, json_string_value(json_object_get(rule, "attribute")),
                            json_true());
    }
    if ((st = qr_index_check_values(json_object_get(wf, "attributes"), in->index, filled, &values,
                                    err)))
        goto out;
    long long now = qr_clock_now(ctx->clock);
    if (!name) {
        time_t t = (time_t)now;
        struct tm tm;
        gmtime_r(&t, &tm);
        char buf[32];
        strftime(buf, sizeof(buf), "scan-%Y%m%d-%H%M%S", &tm);
        name = defname = qr_xstrdup(buf);
    }
    char id[QR_ID_LEN + 1];
    qr_random_id(id);
    wf_text = qr_json_dump(wf);
    values_text = qr_json_dump(values);
    c = qr_db_acquire(ctx->db);
    st = qr_db_q(c, &r, NULL, "SELECT ret_scan_days FROM orgs WHERE id = ?", QR_TEXT(p->org_id));
    long long days = !st && qr_dbres_rows(r) == 1 ? qr_dbres_int(r, 0, 0) : 30;
    qr_dbres_free(r);
    r = NULL;
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO scans (id, org_id, user_id, device_id, workflow_id, workflow, "
                     "name, folder, index_values, status, created_at, updated_at, expires_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'uploading', ?, ?, ?)",
                     QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id), QR_TEXT(p->device_id),
                     QR_TEXT(wid), QR_TEXT(wf_text), QR_TEXT(name), QR_TEXT(folder),
                     QR_TEXT(values_text), QR_INT(now), QR_INT(now), QR_INT(now + days * 86400));
    if (!st)
        st = qr_db_q(c, &r, NULL, "SELECT " SCAN_COLS " FROM scans WHERE id = ?", QR_TEXT(id));
    if (!st)
        scan_from_row(r, 0, out);
    else
        qr_err_set(err, st, NULL, "the scan could not be recorded");
out:
    qr_dbres_free(r);
    qr_db_release(c);
    json_decref(wf);
    json_decref(values);
    json_decref(filled);
    free(wf_text);
    free(values_text);
    free(defname);
    return st;
}

/* Reads an own scan's row (SCAN_COLS); 404 if it is not the principal's. */
static qr_status_t own_scan(qr_dbc_t *c, const qr_principal_t *p, const char *id, qr_dbres_t **r,
                            qr_err_t *err) {
    *r = NULL;
    qr_status_t st = qr_db_q(c, r, NULL,
                             "SELECT " SCAN_COLS " FROM scans WHERE id = ? AND org_id = ? AND "
                             "user_id = ?",
                             QR_TEXT(id), QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st && qr_dbres_rows(*r) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "scan not found");
    return st;
}

qr_status_t qr_scan_file_begin(qr_ctx_t *ctx, const qr_principal_t *p, const char *scan_id,
                               long long declared_size, qr_scan_upload_t **out, qr_err_t *err) {
    *out = NULL;
    long long max = (long long)ctx->cfg->max_scan_mb * 1024 * 1024;
    if (declared_size > max)
        return qr_err_set(err, QR_E_TOO_LARGE, NULL, "a scan may hold at most %d MiB in all",
                          ctx->cfg->max_scan_mb);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL, *n = NULL;
    qr_status_t st = own_scan(c, p, scan_id, &r, err);
    if (!st && strcmp(qr_dbres_text(r, 0, 6), "uploading") != 0)
        st = qr_err_set(err, QR_E_CONFLICT, "not_uploading",
                        "the scan was submitted already: start a new scan");
    if (!st)
        st = qr_db_q(c, &n, NULL,
                     "SELECT COUNT(*), COALESCE(MAX(seq), 0), COALESCE(SUM(size), 0) FROM "
                     "scan_files WHERE scan_id = ? AND kind = 'in'",
                     QR_TEXT(scan_id));
    /* TEN-5: the storage quota, with the declared size when known (again at commit). */
    if (!st)
        st = qr_license_check_storage(c, p->org_id, declared_size, err);
    if (!st && qr_dbres_int(n, 0, 0) >= QR_SCAN_MAX_FILES)
        st = qr_err_set(err, QR_E_TOO_LARGE, "too_many_files", "a scan has at most %d files",
                        QR_SCAN_MAX_FILES);
    int seq = st ? 0 : (int)qr_dbres_int(n, 0, 1) + 1;
    /* The limit holds for the scan's files together: a worker holds them all at once. */
    long long held = st ? 0 : qr_dbres_int(n, 0, 2);
    if (!st && (held >= max || declared_size > max - held))
        st = qr_err_set(err, QR_E_TOO_LARGE, NULL,
                        "a scan may hold at most %d MiB in all; its files already take %lld MiB",
                        ctx->cfg->max_scan_mb, held >> 20);
    qr_dbres_free(r);
    qr_dbres_free(n);
    qr_db_release(c);
    if (st)
        return st;
    qr_scan_upload_t *u = qr_xcalloc(1, sizeof(*u));
    u->ctx = ctx;
    u->p = *p;
    u->seq = seq;
    snprintf(u->scan_id, sizeof(u->scan_id), "%s", scan_id);
    /* A random blob id: two uploads racing for one seq never share a file. */
    char *dir = qr__scan_blob_dir(ctx, p->org_id);
    char too_large[64];
    snprintf(too_large, sizeof(too_large), "a scan may hold at most %d MiB in all",
             ctx->cfg->max_scan_mb);
    st = qr_blob_upload_begin(&u->up, ctx, p->org_id, dir, max - held, too_large, err);
    free(dir);
    if (st) {
        qr_scan_file_abort(u);
        return st;
    }
    *out = u;
    return QR_OK;
}

qr_status_t qr_scan_file_write(qr_scan_upload_t *u, const void *data, size_t n, qr_err_t *err) {
    return qr_blob_upload_write(&u->up, data, n, err);
}

/* Reads a whole blob into memory (at most max bytes); *data is new (caller frees). */
qr_status_t qr__scan_read_blob(qr_ctx_t *ctx, const char *org_id, const char *blob_id,
                               long long max, unsigned char **data, size_t *len, qr_err_t *err) {
    *data = NULL;
    *len = 0;
    unsigned char key[32];
    qr_blob_reader_t *rd = NULL;
    char *dir = qr__scan_blob_dir(ctx, org_id);
    long long size = 0;
    qr_status_t st = qr_datakey_get(ctx, org_id, key, err);
    if (!st)
        st = qr_blob_open(dir, blob_id, key, &rd, err);
    OPENSSL_cleanse(key, sizeof(key));
    free(dir);
    if (!st)
        st = qr_blob_size(rd, &size, err);
    if (!st && size > max)
        st = qr_err_set(err, QR_E_TOO_LARGE, NULL, "the file is larger than %lld bytes", max);
    if (!st)
        st = qr_blob_seek(rd, 0, err);
    unsigned char *buf = st ? NULL : malloc((size_t)size + 1);
    if (!st && !buf)
        st = qr_err_set(err, QR_E_TOO_LARGE, NULL, "out of memory reading a scanned file");
    size_t got = 0;
    while (!st && got < (size_t)size) {
        long n = qr_blob_read(rd, buf + got, (size_t)size - got, err);
        if (n < 0)
            st = err && err->status ? err->status : QR_E_CRYPTO;
        else if (n == 0)
            st = qr_err_set(err, QR_E_CRYPTO, "document_damaged", "the file ended early");
        else
            got += (size_t)n;
    }
    qr_blob_close(rd);
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = got;
    return QR_OK;
}

qr_status_t qr_scan_file_commit(qr_scan_upload_t *u, json_t **out, qr_err_t *err) {
    *out = NULL;
    qr_ctx_t *ctx = u->ctx;
    unsigned char *data = NULL;
    size_t len = 0;
    const char *format = NULL;
    int pages = 0;
    qr_dbc_t *c = NULL;
    qr_dbres_t *r = NULL;
    qr_scan_limits_t lim;
    qr_scan_limits_init(&lim);
    qr_status_t st = u->up.size == 0
                         ? qr_err_set(err, QR_E_INVALID, "invalid_image",
                                      "the file is empty: send a JPEG, PNG, TIFF or PDF")
                         : qr_blob_upload_publish(&u->up, err);
    int stored = !st;
    /* What cannot be read is refused now, not discovered by a worker later; read back through
     * the decrypting reader so the plaintext never touches disk. */
    if (!st)
        st = qr__scan_read_blob(ctx, u->p.org_id, u->up.id, u->up.max, &data, &len, err);
    if (!st)
        st = qr_scan_probe(data, len, &lim, &format, &pages, err);
    free(data);
    if (st)
        goto out;
    c = qr_db_acquire(ctx->db);
    if ((st = qr_dbc_begin(c)))
        goto out;
    st = qr_db_q(c, &r, NULL,
                 "SELECT status, pages_in FROM scans WHERE id = ? AND org_id = ? AND user_id = ?",
                 QR_TEXT(u->scan_id), QR_TEXT(u->p.org_id), QR_TEXT(u->p.user_id));
    if (!st && (qr_dbres_rows(r) != 1 || strcmp(qr_dbres_text(r, 0, 0), "uploading") != 0))
        st = qr_err_set(err, QR_E_CONFLICT, "not_uploading",
                        "the scan was submitted or deleted meanwhile");
    if (!st && qr_dbres_int(r, 0, 1) + pages > QR_SCAN_MAX_PAGES)
        st = qr_err_set(err, QR_E_INVALID, "too_many_pages",
                        "a scan has at most %d pages; this file would make it %lld",
                        QR_SCAN_MAX_PAGES, qr_dbres_int(r, 0, 1) + pages);
    if (!st)
        st = qr_license_check_storage(c, u->p.org_id, u->up.size, err);
    for (int tries = 0; !st && tries < 8; tries++) {
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO scan_files (scan_id, kind, seq, org_id, blob_id, size, format, "
                     "pages) VALUES (?, 'in', ?, ?, ?, ?, ?, ?)",
                     QR_TEXT(u->scan_id), QR_INT(u->seq + tries), QR_TEXT(u->p.org_id),
                     QR_TEXT(u->up.id), QR_INT(u->up.size), QR_TEXT(format), QR_INT(pages));
        if (st != QR_E_CONFLICT)
            break;
        st = tries < 7 ? QR_OK : st;
        if (!st)
            continue;
    }
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE scans SET files_in = files_in + 1, pages_in = pages_in + ?, bytes_in "
                     "= bytes_in + ?, updated_at = ? WHERE id = ?",
                     QR_INT(pages), QR_INT(u->up.size), QR_INT(qr_clock_now(ctx->clock)),
                     QR_TEXT(u->scan_id));
    if (!st)
        st = qr_dbc_commit(c);
    if (!st)
        *out = json_pack("{s:s, s:i, s:I}", "format", format, "pages", pages, "size",
                         (json_int_t)u->up.size);
    else if (err && !err->status)
        qr_err_set(err, st, NULL, "the file could not be recorded");
out:
    if (st && stored)
        qr_blob_upload_delete(&u->up);
    qr_dbres_free(r);
    qr_db_release(c);
    qr_scan_file_abort(u);
    return st;
}

void qr_scan_file_abort(qr_scan_upload_t *u) {
    if (!u)
        return;
    qr_blob_upload_abort(&u->up);
    free(u);
}

/* TEN-5: checks that need more OCR pages fit the org's monthly limit; month gets the org's
 * current month (in its time zone). The org row is locked on PostgreSQL (SQLite's write
 * transaction is already exclusive). */
static qr_status_t ocr_fits(qr_dbc_t *c, const char *org_id, long long now, long long need,
                            char month[8], qr_err_t *err) {
    qr_dbres_t *o = NULL, *u = NULL;
    qr_status_t st = qr_db_q(c, &o, NULL,
                             qr_dbc_kind(c) == QR_DB_PG
                                 ? "SELECT lic_ocr_pages, time_zone FROM orgs WHERE id = ? FOR "
                                   "UPDATE"
                                 : "SELECT lic_ocr_pages, time_zone FROM orgs WHERE id = ?",
                             QR_TEXT(org_id));
    if (!st && qr_dbres_rows(o) != 1)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "the organization was deleted");
    if (st)
        goto out;
    qr_tz_month(qr_dbres_text(o, 0, 1), now, month);
    long long limit = qr_dbres_int(o, 0, 0);
    st = qr_db_q(c, &u, NULL,
                 "SELECT ocr_pages + reserved_pages FROM scan_usage WHERE org_id = ? AND month = ?",
                 QR_TEXT(org_id), QR_TEXT(month));
    if (st)
        goto out;
    long long used = qr_dbres_rows(u) ? qr_dbres_int(u, 0, 0) : 0;
    if (need > 0 && limit != QR_LIC_UNLIMITED && used + need > limit)
        st = qr_err_set(err, QR_E_CONFLICT, "ocr_limit_exceeded",
                        "this scan needs %lld OCR page%s, but the organization's license allows "
                        "%lld per month and %lld %s used or reserved in %s; ask your provider to "
                        "raise it, or use a workflow without OCR",
                        need, need == 1 ? "" : "s", limit, used, used == 1 ? "is" : "are", month);
out:
    qr_dbres_free(o);
    qr_dbres_free(u);
    return st;
}

qr_status_t qr_scan_submit(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_scan_t *out,
                           qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_scan_t cur;
    memset(&cur, 0, sizeof(cur));
    qr_status_t st = qr_dbc_begin(c);
    if (!st)
        st = own_scan(c, p, id, &r, err);
    if (st)
        goto out;
    scan_from_row(r, 0, &cur);
    if (strcmp(cur.status, "uploading") != 0) {
        st = qr_err_set(err, QR_E_CONFLICT, "not_uploading", "the scan was submitted already");
        goto out;
    }
    if (cur.files == 0) {
        st = qr_err_set(err, QR_E_INVALID, "no_pages",
                        "the scan has no pages: upload at least one file first");
        goto out;
    }
    long long need = cur.ocr ? cur.pages_in : 0;
    char month[8];
    if ((st = ocr_fits(c, p->org_id, now, need, month, err)))
        goto out;
    /* The state change first: of two submits racing, only one changes the row. */
    long long changed = 0;
    st = qr_db_q(c, NULL, &changed,
                 "UPDATE scans SET status = 'queued', reserved_month = ?, reserved_pages = ?, "
                 "updated_at = ? WHERE id = ? AND status = 'uploading'",
                 QR_TEXT(month), QR_INT(need), QR_INT(now), QR_TEXT(id));
    if (!st && changed != 1) {
        st = qr_err_set(err, QR_E_CONFLICT, "not_uploading", "the scan was submitted already");
        goto out;
    }
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO scan_usage (org_id, month, reserved_pages) VALUES (?, ?, ?) ON "
                     "CONFLICT (org_id, month) DO UPDATE SET reserved_pages = "
                     "scan_usage.reserved_pages + excluded.reserved_pages",
                     QR_TEXT(p->org_id), QR_TEXT(month), QR_INT(need));
    /* The answer is the scan as queued: read before the commit, after which a worker may
     * already hold it. */
    qr_dbres_free(r);
    r = NULL;
    if (!st)
        st = qr_db_q(c, &r, NULL, "SELECT " SCAN_COLS " FROM scans WHERE id = ?", QR_TEXT(id));
    if (!st)
        st = qr_dbc_commit(c);
    if (st)
        goto out;
    scan_from_row(r, 0, out);
    qr_audit_write(c, now, p->org_id, p->user_id, "scan_submitted", id, "");
    qr_scan_workers_wake(ctx->scanq);
out:
    if (st && err && !err->status)
        qr_err_set(err, st, NULL, "the scan could not be queued");
    qr_scan_clear(&cur);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_scan_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_scan_t **items, size_t *n,
                         qr_err_t *err) {
    (void)err;
    *items = NULL;
    *n = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT " SCAN_COLS " FROM scans WHERE org_id = ? AND user_id = ? "
                             "ORDER BY created_at DESC, id",
                             QR_TEXT(p->org_id), QR_TEXT(p->user_id));
    if (!st) {
        int rows = qr_dbres_rows(r);
        *items = qr_xcalloc((size_t)rows + 1, sizeof(**items));
        for (int i = 0; i < rows; i++)
            scan_from_row(r, i, &(*items)[i]);
        *n = (size_t)rows;
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

/* Reads the documents of scan s (scan_files 'out', by number) into s. */
static qr_status_t documents(qr_dbc_t *c, qr_scan_t *s) {
    qr_dbres_t *d = NULL;
    qr_status_t st = qr_db_q(c, &d, NULL,
                             "SELECT seq, size, format, blob_id, pages FROM scan_files WHERE "
                             "scan_id = ? AND kind = 'out' ORDER BY seq",
                             QR_TEXT(s->id));
    if (!st) {
        int rows = qr_dbres_rows(d);
        s->has_documents = 1;
        s->documents = qr_xcalloc((size_t)rows + 1, sizeof(*s->documents));
        for (int k = 0; k < rows; k++) {
            qr_scan_doc_t *doc = &s->documents[k];
            doc->n = qr_dbres_int(d, k, 0);
            doc->size = qr_dbres_int(d, k, 1);
            doc->format = qr_dbres_strdup(d, k, 2);
            doc->blob_id = qr_dbres_strdup(d, k, 3);
            doc->pages = qr_dbres_int(d, k, 4);
            doc->name = qr_xasprintf("%s%s", s->name, doc->format);
        }
        s->n_documents = (size_t)rows;
    }
    qr_dbres_free(d);
    return st;
}

/* Reads an own scan with its documents into *out (404 if it is not the principal's). */
static qr_status_t own_scan_documents(qr_dbc_t *c, const qr_principal_t *p, const char *id,
                                      qr_scan_t *out, qr_err_t *err) {
    qr_dbres_t *r = NULL;
    qr_status_t st = own_scan(c, p, id, &r, err);
    if (!st) {
        scan_from_row(r, 0, out);
        st = documents(c, out);
    }
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_scan_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_scan_t *out,
                        qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = own_scan_documents(c, p, id, out, err);
    if (st)
        qr_scan_clear(out);
    qr_db_release(c);
    return st;
}

/* Deletes the files of a scan (kind NULL: all) from disk. */
static void delete_files(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *id,
                         const char *kind) {
    qr_dbres_t *f = NULL;
    if (qr_db_q(c, &f, NULL,
                "SELECT blob_id FROM scan_files WHERE scan_id = ? AND (CAST(? AS TEXT) IS NULL OR "
                "kind = ?)",
                QR_TEXT(id), QR_TEXT(kind), QR_TEXT(kind)) == QR_OK) {
        char *dir = qr__scan_blob_dir(ctx, org_id);
        for (int i = 0; i < qr_dbres_rows(f); i++)
            qr_blob_delete(dir, qr_dbres_text(f, i, 0), NULL);
        free(dir);
    }
    qr_dbres_free(f);
}

void qr__scan_delete_files(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *id,
                           const char *kind) {
    delete_files(ctx, c, org_id, id, kind);
}

/* Gives back the OCR pages a scan reserved (it failed or was removed before processing). */
static void refund(qr_dbc_t *c, const char *org_id, const char *month, long long pages) {
    if (month && pages > 0)
        qr_db_q(c, NULL, NULL,
                "UPDATE scan_usage SET reserved_pages = CASE WHEN reserved_pages > ? THEN "
                "reserved_pages - ? ELSE 0 END WHERE org_id = ? AND month = ?",
                QR_INT(pages), QR_INT(pages), QR_TEXT(org_id), QR_TEXT(month));
}

qr_status_t qr_scan_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL, *f = NULL, *gone = NULL;
    qr_status_t st = own_scan(c, p, id, &r, err);
    if (!st)
        st = qr_db_q(c, &f, NULL, "SELECT blob_id FROM scan_files WHERE scan_id = ?", QR_TEXT(id));
    if (!st)
        st = qr_dbc_begin(c);
    /* Never a scan a worker holds: the condition is part of the delete itself. */
    if (!st)
        st =
            qr_db_q(c, &gone, NULL,
                    "DELETE FROM scans WHERE id = ? AND user_id = ? AND status <> 'processing' AND "
                    "COALESCE(delivery_status, '') <> 'sending' RETURNING status, "
                    "reserved_month, reserved_pages",
                    QR_TEXT(id), QR_TEXT(p->user_id));
    if (!st && qr_dbres_rows(gone) != 1)
        st = qr_err_set(err, QR_E_CONFLICT, "in_progress",
                        "the scan is being processed or delivered right now; try again when it "
                        "is done");
    if (!st && strcmp(qr_dbres_text(gone, 0, 0), "queued") == 0)
        refund(c, p->org_id, qr_dbres_text(gone, 0, 1), qr_dbres_int(gone, 0, 2));
    if (!st)
        st = qr_dbc_commit(c);
    if (!st) {
        char *dir = qr__scan_blob_dir(ctx, p->org_id);
        for (int i = 0; i < qr_dbres_rows(f); i++)
            qr_blob_delete(dir, qr_dbres_text(f, i, 0), NULL);
        free(dir);
        qr_audit_write(c, now, p->org_id, p->user_id, "scan_deleted", id, "");
    }
    qr_dbres_free(r);
    qr_dbres_free(f);
    qr_dbres_free(gone);
    qr_db_release(c);
    return st;
}

static const char *mime_of(const char *suffix) {
    size_t n = strlen(suffix);
    if (n >= 4 && strcmp(suffix + n - 4, ".pdf") == 0)
        return "application/pdf";
    if (n >= 4 && strcmp(suffix + n - 4, ".tif") == 0)
        return "image/tiff";
    return "image/jpeg";
}

const char *qr__scan_mime(const char *suffix) {
    return mime_of(suffix);
}

qr_status_t qr_scan_document(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, int n,
                             struct qr_blob_reader **reader, long long *size, const char **mime,
                             char **name, qr_err_t *err) {
    *reader = NULL;
    *name = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_scan_t s;
    memset(&s, 0, sizeof(s));
    unsigned char key[32];
    qr_status_t st = own_scan_documents(c, p, id, &s, err);
    const qr_scan_doc_t *doc = NULL;
    for (size_t i = 0; !st && i < s.n_documents; i++)
        if (s.documents[i].n == n)
            doc = &s.documents[i];
    if (!st && !doc)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL,
                        "the scan has no document %d in the download area", n);
    if (!st)
        st = qr_datakey_get(ctx, p->org_id, key, err);
    if (!st) {
        char *dir = qr__scan_blob_dir(ctx, p->org_id);
        st = qr_blob_open(dir, doc->blob_id, key, reader, err);
        OPENSSL_cleanse(key, sizeof(key));
        free(dir);
    }
    if (!st) {
        *size = doc->size;
        *mime = mime_of(doc->format);
        *name = qr_xstrdup(doc->name);
    }
    qr_scan_clear(&s);
    qr_db_release(c);
    return st;
}

void qr__scan_refund(qr_dbc_t *c, const char *org_id, const char *month, long long pages) {
    refund(c, org_id, month, pages);
}

/* 1 if a scan file row refers to blob id. */
/* A stored file still belongs to a scan (its name is the blob id, before any suffix); on a
 * database error it is kept. */
static int blob_known(void *cls, const char *name) {
    char id[QR_ID_LEN + 16];
    snprintf(id, sizeof(id), "%.*s", (int)sizeof(id) - 1, name);
    char *dot = strchr(id, '.');
    if (dot)
        *dot = 0;
    qr_dbres_t *r = NULL;
    int yes = qr_db_q(cls, &r, NULL, "SELECT 1 FROM scan_files WHERE blob_id = ?", QR_TEXT(id)) !=
                  QR_OK ||
              qr_dbres_rows(r) > 0;
    qr_dbres_free(r);
    return yes;
}

int qr_scan_sweep(qr_ctx_t *ctx) {
    long long now = qr_clock_now(ctx->clock);
    int removed = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    /* Past retention, or never submitted; never a scan a worker holds. */
    if (qr_db_q(c, &r, NULL,
                "SELECT id, org_id, reserved_month, reserved_pages, status FROM scans WHERE "
                "(expires_at <= ? OR (status = 'uploading' AND created_at <= ?)) AND status <> "
                "'processing' AND COALESCE(delivery_status, '') <> 'sending'",
                QR_INT(now), QR_INT(now - QR_SCAN_UPLOAD_TTL)) == QR_OK) {
        for (int i = 0; i < qr_dbres_rows(r); i++) {
            const char *id = qr_dbres_text(r, i, 0), *org = qr_dbres_text(r, i, 1);
            delete_files(ctx, c, org, id, NULL);
            if (strcmp(qr_dbres_text(r, i, 4), "queued") == 0)
                refund(c, org, qr_dbres_text(r, i, 2), qr_dbres_int(r, i, 3));
            qr_db_q(c, NULL, NULL, "DELETE FROM scans WHERE id = ?", QR_TEXT(id));
            qr_audit_write(c, now, org, NULL, "scan_expired", id, "");
            removed++;
        }
    }
    qr_dbres_free(r);
    /* Files no scan refers to: interrupted uploads and what a kill -9 between storing and
     * recording left. Only files older than a minute, so work in progress is left alone. */
    char *root = qr_xasprintf("%s/scans", ctx->cfg->data_dir);
    removed += qr_blob_upload_sweep(root, 61, blob_known, c);
    free(root);
    qr_db_release(c);
    return removed;
}
