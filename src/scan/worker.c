/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the scan workers: claim, process, store, count, deliver. */
#include "scan/worker.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "report/joblog.h"
#include "scan/capture.h"
#include "scan/connector.h"
#include "scan/index.h"
#include "scan/pipeline.h"
#include "scan/scan.h"
#include "scan/scan_private.h"
#include "store/blob.h"
#include "store/datakey.h"
#include "store/db.h"

#define CLAIM_COLS                                                                                 \
    "id, org_id, user_id, device_id, workflow, name, folder, index_values, attempts, "             \
    "reserved_month, reserved_pages, delivery_attempts"

struct qr_scan_workers {
    qr_ctx_t *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    volatile int stop; /* written under mu; read without it by running scans (cancel) */
    int wakeups, n;
    pthread_t *threads;
};

/* The workflow a scan took when it started (scans.workflow, qr_capture_snapshot's form), as the
 * worker uses it. */
typedef struct job_workflow {
    qr_scan_steps_t steps;
    char *folder;           /* the destination folder's base; NULL if none */
    char *destination_id;   /* NULL: no destination */
    char *destination_kind; /* the destination's connector kind; NULL if unknown */
    int deliver;            /* 1 if the workflow has a destination to deliver to */
    /* The class's attributes and the workflow's rules are nested documents that the database
     * keeps as JSON text inside the snapshot; qr_index_apply_rules reads them as they are.
     * Borrowed from doc (either may be NULL). */
    const json_t *attributes, *rules;
    json_t *doc; /* the whole snapshot (owned; json_null() if it could not be parsed) */
} job_workflow_t;

/* A claimed scan (one row of CLAIM_COLS) with its workflow: what process and deliver work on. */
typedef struct job {
    char id[QR_ID_LEN + 1], org_id[QR_ID_LEN + 1], user_id[QR_ID_LEN + 1];
    char *device_id; /* NULL if the scan was not started at a device */
    char *name, *folder;
    json_t *index; /* the index values (NULL if they could not be parsed) */
    long long attempts, reserved_pages, delivery_attempts;
    char *reserved_month; /* the month the OCR pages were reserved in */
    long long claimed_at; /* when this worker claimed it */
    job_workflow_t wf;
} job_t;

static void steps_of(const json_t *wf, qr_scan_steps_t *s) {
    json_t *st = json_object_get(wf, "steps");
    memset(s, 0, sizeof(*s));
    s->auto_rotate = json_is_true(json_object_get(st, "auto_rotate"));
    s->deskew = json_is_true(json_object_get(st, "deskew"));
    s->despeckle = json_is_true(json_object_get(st, "despeckle"));
    s->binarize = json_is_true(json_object_get(st, "binarize"));
    s->remove_blank = json_is_true(json_object_get(st, "remove_blank"));
    s->ocr = json_is_true(json_object_get(st, "ocr"));
    s->barcodes = json_is_true(json_object_get(st, "barcodes"));
    int f = qr_scan_format_parse(json_string_value(json_object_get(wf, "format")));
    s->format = f < 0 ? QR_SCAN_PDF : (qr_scan_format_t)f;
    const char *lang = json_string_value(json_object_get(wf, "language"));
    snprintf(s->language, sizeof(s->language), "%s", lang ? lang : "eng");
}

/* Reads the workflow snapshot text into w. */
static void workflow_from_text(const char *text, job_workflow_t *w) {
    memset(w, 0, sizeof(*w));
    w->doc = text ? json_loads(text, 0, NULL) : NULL;
    if (!w->doc)
        w->doc = json_null();
    steps_of(w->doc, &w->steps);
    w->folder = qr_xstrdup(json_string_value(json_object_get(w->doc, "folder")));
    w->destination_id = qr_xstrdup(json_string_value(json_object_get(w->doc, "destination_id")));
    json_t *dest = json_object_get(w->doc, "destination");
    w->deliver = json_is_object(dest);
    w->destination_kind = qr_xstrdup(json_string_value(json_object_get(dest, "kind")));
    w->attributes = json_object_get(w->doc, "attributes");
    w->rules = json_object_get(w->doc, "rules");
}

/* The one reader of a claimed row (CLAIM_COLS). */
static void job_from_row(const qr_dbres_t *r, int i, long long claimed_at, job_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    snprintf(out->org_id, sizeof(out->org_id), "%s", qr_dbres_text(r, i, 1));
    snprintf(out->user_id, sizeof(out->user_id), "%s", qr_dbres_text(r, i, 2));
    out->device_id = qr_dbres_strdup(r, i, 3);
    workflow_from_text(qr_dbres_text(r, i, 4), &out->wf);
    out->name = qr_dbres_strdup(r, i, 5);
    out->folder = qr_dbres_strdup(r, i, 6);
    const char *index = qr_dbres_text(r, i, 7);
    out->index = index ? json_loads(index, 0, NULL) : NULL;
    out->attempts = qr_dbres_int(r, i, 8);
    out->reserved_month = qr_dbres_strdup(r, i, 9);
    out->reserved_pages = qr_dbres_int(r, i, 10);
    out->delivery_attempts = qr_dbres_int(r, i, 11);
    out->claimed_at = claimed_at;
}

/* Frees what j holds; accepts a zeroed job. */
static void job_clear(job_t *j) {
    free(j->device_id);
    free(j->name);
    free(j->folder);
    json_decref(j->index);
    free(j->reserved_month);
    free(j->wf.folder);
    free(j->wf.destination_id);
    free(j->wf.destination_kind);
    json_decref(j->wf.doc);
    memset(j, 0, sizeof(*j));
}

/* Claims the oldest row that meets cond (with its parameters a[0..n-1]) by applying set (whose
 * one parameter is now) and reads it into *out; 0 if there is none. On PostgreSQL, SKIP LOCKED
 * lets several servers claim side by side; the condition is checked again on the row itself,
 * so two claimers never both win (SQLite serializes writers). */
static int claim(qr_dbc_t *c, const char *set, const char *cond, long long now, const long long *a,
                 int n, job_t *out) {
    int pg = qr_dbc_kind(c) == QR_DB_PG;
    char *sql = qr_xasprintf("UPDATE scans SET %s WHERE id = (SELECT id FROM scans WHERE %s ORDER "
                             "BY created_at, id LIMIT 1%s) AND (%s) RETURNING " CLAIM_COLS,
                             set, cond, pg ? " FOR UPDATE SKIP LOCKED" : "", cond);
    qr_dbval_t params[8];
    int k = 0;
    params[k++] = QR_INT(now);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < n; i++)
            params[k++] = QR_INT(a[i]);
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_dbc_exec(c, sql, params, k, &r, NULL);
    free(sql);
    int found = !st && qr_dbres_rows(r) == 1;
    if (found)
        job_from_row(r, 0, now, out);
    qr_dbres_free(r);
    return found;
}

/* Marks a scan failed with err and gives back its reserved OCR pages. */
static void fail_scan(qr_ctx_t *ctx, const job_t *j, const qr_err_t *err) {
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    if (qr_dbc_begin(c) == QR_OK) {
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'failed', error_code = ?, error = ?, claimed_at = NULL, "
                "updated_at = ? WHERE id = ?",
                QR_TEXT(qr_err_code(err)), QR_TEXT(err->msg), QR_INT(now), QR_TEXT(j->id));
        qr__scan_refund(c, j->org_id, j->reserved_month, j->reserved_pages);
        if (qr_dbc_commit(c) == QR_OK) {
            qr__scan_delete_files(ctx, c, j->org_id, j->id, "in");
            qr_db_q(c, NULL, NULL, "DELETE FROM scan_files WHERE scan_id = ? AND kind = 'in'",
                    QR_TEXT(j->id));
        }
    }
    qr_db_release(c);
    qr_log_info("scan_failed", "scan %s: %s", j->id, err->msg);
}

/* Stores the output files as encrypted blobs; ids[] get their blob ids. */
static qr_status_t store_outputs(qr_ctx_t *ctx, const char *org, const qr_scan_output_t *o,
                                 char (*ids)[QR_ID_LEN + 1], qr_err_t *err) {
    unsigned char key[32];
    qr_status_t st = qr_datakey_get(ctx, org, key, err);
    char *dir = qr__scan_blob_dir(ctx, org);
    if (!st)
        st = qr_mkdirs(dir, 0700, err);
    for (int i = 0; !st && i < o->nfiles; i++) {
        qr_blob_writer_t *w = NULL;
        qr_random_id(ids[i]);
        st = qr_blob_create(dir, ids[i], key, &w, err);
        if (!st && (st = qr_blob_write(w, o->files[i].data, o->files[i].len, err)))
            qr_blob_abort(w);
        else if (!st)
            st = qr_blob_commit(w, err);
    }
    if (st)
        for (int i = 0; i < o->nfiles; i++)
            qr_blob_delete(dir, ids[i], NULL);
    OPENSSL_cleanse(key, sizeof(key));
    free(dir);
    return st;
}

/* The uploaded files of a scan, read into memory for the pipeline. */
typedef struct job_inputs {
    qr_scan_input_t *in;
    unsigned char **bufs;
    int n;
} job_inputs_t;

static void inputs_clear(job_inputs_t *x) {
    for (int i = 0; x->bufs && i < x->n; i++)
        free(x->bufs[i]);
    free(x->bufs);
    free(x->in);
    memset(x, 0, sizeof(*x));
}

/* Step 1, load: lists the scan's uploaded files and decrypts them into *x. A scan whose
 * processing stopped too often without finishing is given up here. */
static qr_status_t job_load(qr_ctx_t *ctx, const job_t *j, job_inputs_t *x, qr_err_t *err) {
    qr_dbres_t *files = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st =
        qr_db_q(c, &files, NULL,
                "SELECT blob_id FROM scan_files WHERE scan_id = ? AND kind = 'in' ORDER BY seq",
                QR_TEXT(j->id));
    qr_db_release(c);
    if (st) {
        qr_err_set(err, st, NULL, "the scan's files could not be listed");
        goto out;
    }
    if (j->attempts > QR_SCAN_MAX_ATTEMPTS) {
        st = qr_err_set(err, QR_E_INTERNAL, "processing_failed",
                        "processing stopped %d times without finishing; the scan is given up",
                        QR_SCAN_MAX_ATTEMPTS);
        goto out;
    }
    x->n = qr_dbres_rows(files);
    x->in = qr_xcalloc((size_t)x->n + 1, sizeof(*x->in));
    x->bufs = qr_xcalloc((size_t)x->n + 1, sizeof(*x->bufs));
    long long max = (long long)ctx->cfg->max_scan_mb * 1024 * 1024;
    for (int i = 0; !st && i < x->n; i++) {
        size_t len = 0;
        st = qr__scan_read_blob(ctx, j->org_id, qr_dbres_text(files, i, 0), max, &x->bufs[i], &len,
                                err);
        x->in[i].data = x->bufs[i];
        x->in[i].len = len;
    }
out:
    qr_dbres_free(files);
    return st;
}

/* Step 2, run the pipeline: the workflow's steps over the files into *o (the engine is created
 * on first use and kept); then CAP-3: rules and barcodes fill the index values the user left
 * empty (j->index becomes an object). */
static qr_status_t job_run(qr_ocr_engine_t **engine, job_t *j, const job_inputs_t *x,
                           const volatile int *stop, qr_scan_output_t *o, qr_err_t *err) {
    qr_status_t st;
    if (!*engine && (st = qr_ocr_engine_create(j->wf.steps.language, engine, err)))
        return st;
    qr_scan_limits_t lim;
    qr_scan_limits_init(&lim);
    lim.cancel = stop;
    if ((st = qr_scan_process(*engine, x->in, x->n, &j->wf.steps, &lim, o, err)))
        return st;
    if (!json_is_object(j->index)) {
        json_decref(j->index);
        j->index = json_object();
    }
    qr_index_apply_rules(j->wf.attributes, j->wf.rules, o->text, o->barcodes, j->index);
    return QR_OK;
}

/* CAP-5: what the reservation said becomes what was done; a scan started at a device goes into
 * its job log. */
static qr_status_t job_count(qr_dbc_t *c, const job_t *j, const qr_scan_output_t *o,
                             long long bytes, long long now) {
    qr_status_t st =
        qr_db_q(c, NULL, NULL,
                "UPDATE scan_usage SET reserved_pages = CASE WHEN reserved_pages > ? THEN "
                "reserved_pages - ? ELSE 0 END, ocr_pages = ocr_pages + ?, documents = "
                "documents + 1, bytes = bytes + ? WHERE org_id = ? AND month = ?",
                QR_INT(j->reserved_pages), QR_INT(j->reserved_pages), QR_INT(o->ocr_pages),
                QR_INT(bytes), QR_TEXT(j->org_id), QR_TEXT(j->reserved_month));
    if (!st && j->device_id) {
        qr_joblog_entry_t e = {j->user_id, "scan", o->pages_in, 1, 0, 0, 0};
        st = qr__joblog_insert(c, j->org_id, j->device_id, now, &e, NULL);
    }
    return st;
}

/* Step 4, record (inside the caller's transaction on c): the scan's result, its documents
 * (blob ids[]), the month's counters and the job log. Only while this worker still holds the
 * scan: if its lease ran out and another worker took the scan, that one records it (and this
 * result is dropped: *lost is set). */
static qr_status_t job_record(qr_dbc_t *c, const job_t *j, const qr_scan_output_t *o,
                              char (*ids)[QR_ID_LEN + 1], long long bytes, long long now, int *lost,
                              qr_err_t *err) {
    char *barcodes = qr_json_dump(o->barcodes ? o->barcodes : json_array());
    char *index_text = qr_json_dump(j->index);
    int deliver = j->wf.deliver;
    long long changed = 0;
    qr_status_t st =
        qr_db_q(c, NULL, &changed,
                "UPDATE scans SET status = ?, pages_out = ?, ocr_pages = ?, bytes_out = ?, "
                "barcodes = ?, index_values = ?, claimed_at = NULL, delivery_status = ?, "
                "delivery_next_at = ?, updated_at = ? WHERE id = ? AND status = "
                "'processing' AND claimed_at = ?",
                QR_TEXT(deliver ? "delivering" : "done"), QR_INT(o->pages_out),
                QR_INT(o->ocr_pages), QR_INT(bytes), QR_TEXT(barcodes), QR_TEXT(index_text),
                deliver ? QR_TEXT("pending") : QR_NULL, deliver ? QR_INT(now) : QR_NULL,
                QR_INT(now), QR_TEXT(j->id), QR_INT(j->claimed_at));
    if (!st && changed != 1) {
        *lost = 1;
        st = qr_err_set(err, QR_E_CONFLICT, NULL, "the scan was taken over by another worker");
    }
    for (int i = 0; !st && i < o->nfiles; i++)
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO scan_files (scan_id, kind, seq, org_id, blob_id, size, format, "
                     "pages) VALUES (?, 'out', ?, ?, ?, ?, ?, ?)",
                     QR_TEXT(j->id), QR_INT(i + 1), QR_TEXT(j->org_id), QR_TEXT(ids[i]),
                     QR_INT(o->files[i].len), QR_TEXT(o->files[i].suffix),
                     QR_INT(o->nfiles == 1 ? o->pages_out : 1));
    if (!st)
        st = job_count(c, j, o, bytes, now);
    free(barcodes);
    free(index_text);
    return st;
}

/* Steps 3 to 5: stores the documents, records them (job_record) and, once recorded, removes the
 * uploaded files and wakes a worker for the delivery. On failure nothing stored is kept. */
static qr_status_t job_finish(qr_ctx_t *ctx, const job_t *j, const qr_scan_output_t *o, int *lost,
                              qr_err_t *err) {
    char(*ids)[QR_ID_LEN + 1] = qr_xcalloc((size_t)o->nfiles + 1, sizeof(*ids));
    qr_status_t st = store_outputs(ctx, j->org_id, o, ids, err);
    if (st) {
        free(ids);
        return st;
    }
    long long bytes = 0;
    for (int i = 0; i < o->nfiles; i++)
        bytes += (long long)o->files[i].len;
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    st = qr_dbc_begin(c);
    if (!st)
        st = job_record(c, j, o, ids, bytes, now, lost, err);
    if (!st)
        st = qr_dbc_commit(c);
    if (st) {
        if (!*lost)
            qr_err_set(err, st, NULL, "the result could not be recorded");
        char *dir = qr__scan_blob_dir(ctx, j->org_id);
        for (int i = 0; i < o->nfiles; i++)
            qr_blob_delete(dir, ids[i], NULL);
        free(dir);
        goto out;
    }
    qr__scan_delete_files(ctx, c, j->org_id, j->id, "in");
    qr_db_q(c, NULL, NULL, "DELETE FROM scan_files WHERE scan_id = ? AND kind = 'in'",
            QR_TEXT(j->id));
    qr_log_info("scan_done", "scan %s: %d pages in, %d out, %d recognized, %lld bytes", j->id,
                o->pages_in, o->pages_out, o->ocr_pages, bytes);
    if (j->wf.deliver)
        qr_scan_workers_wake(ctx->scanq);
out:
    qr_db_release(c);
    free(ids);
    return st;
}

/* After a failed attempt (st): a stopping server puts the scan back in the queue, a lost lease
 * leaves it to its new worker, a database or disk failure lets the lease run out (the scan is
 * taken again), anything else fails the scan. */
static void job_failed(qr_ctx_t *ctx, const job_t *j, qr_status_t st, int lost,
                       const volatile int *stop, const qr_err_t *err) {
    if (!lost && stop && *stop) {
        /* The server is stopping: the scan goes back to the queue for the next start (or
         * another server) at once, not after its lease; this attempt does not count. */
        qr_dbc_t *c = qr_db_acquire(ctx->db);
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'queued', claimed_at = NULL, attempts = attempts - 1, "
                "updated_at = ? WHERE id = ? AND status = 'processing' AND claimed_at = ?",
                QR_INT(qr_clock_now(ctx->clock)), QR_TEXT(j->id), QR_INT(j->claimed_at));
        qr_db_release(c);
        qr_log_info("scan_requeued", "scan %s: the server is stopping; back in the queue", j->id);
    } else if (lost) {
        qr_log_info("scan_taken_over", "scan %s: %s", j->id, err->msg);
    } else if (st == QR_E_DB || st == QR_E_IO) {
        qr_log_error("scan_retry", "scan %s: %s (taken again after the lease)", j->id, err->msg);
    } else {
        fail_scan(ctx, j, err);
    }
}

/* Runs the pipeline over a claimed scan and records the outcome: load, run, store and record,
 * or handle the failure. */
static void process(qr_ctx_t *ctx, qr_ocr_engine_t **engine, job_t *j, const volatile int *stop) {
    qr_err_t err = {QR_OK, NULL, ""};
    job_inputs_t x;
    memset(&x, 0, sizeof(x));
    qr_scan_output_t o;
    memset(&o, 0, sizeof(o));
    int lost = 0;
    qr_status_t st = job_load(ctx, j, &x, &err);
    if (!st)
        st = job_run(engine, j, &x, stop, &o, &err);
    if (!st)
        st = job_finish(ctx, j, &o, &lost, &err);
    if (st)
        job_failed(ctx, j, st, lost, stop, &err);
    inputs_clear(&x);
    qr_scan_output_free(&o);
}

/* Streams blob id of org into connection conn. */
static qr_status_t send_blob(qr_ctx_t *ctx, const qr_connector_t *k, qr_conn_t *conn,
                             const char *org, const char *blob_id, qr_err_t *err) {
    unsigned char key[32];
    qr_blob_reader_t *rd = NULL;
    char *dir = qr__scan_blob_dir(ctx, org);
    qr_status_t st = qr_datakey_get(ctx, org, key, err);
    if (!st)
        st = qr_blob_open(dir, blob_id, key, &rd, err);
    OPENSSL_cleanse(key, sizeof(key));
    free(dir);
    unsigned char *buf = st ? NULL : qr_xmalloc(QR_BLOB_CHUNK);
    while (!st) {
        long n = qr_blob_read(rd, buf, QR_BLOB_CHUNK, err);
        if (n < 0)
            st = err->status ? err->status : QR_E_CRYPTO;
        if (n <= 0)
            break;
        st = k->write(conn, buf, (size_t)n, err);
    }
    free(buf);
    qr_blob_close(rd);
    return st;
}

/* Joins the workflow's folder and the user's folder. A new string. */
static char *join_folder(const char *a, const char *b) {
    if (!*a)
        return qr_xstrdup(b);
    if (!*b)
        return qr_xstrdup(a);
    return qr_xasprintf("%s/%s", a, b);
}

/* Sends a scan's documents to its workflow's destination; *location (a new string) gets where
 * the last one went. On failure, *how says whether a retry may help. */
static qr_status_t deliver_send(qr_ctx_t *ctx, const job_t *j, char **location,
                                qr_deliver_fail_t *how, qr_err_t *err) {
    json_t *settings = NULL;
    char *secret = NULL, *folder = NULL;
    qr_dbres_t *docs = NULL;
    const qr_connector_t *k = NULL;
    const char *org = j->org_id, *dest_id = j->wf.destination_id;
    qr_status_t st = dest_id
                         ? qr_capture_destination_secret(ctx, org, dest_id, &settings, &secret, err)
                         : qr_err_set(err, QR_E_NOT_FOUND, NULL, "no destination");
    if (!st) {
        k = qr_connector_find(j->wf.destination_kind);
        if (!k)
            st = qr_err_set(err, QR_E_INVALID, NULL, "the destination's kind is unknown");
    }
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    if (!st)
        st = qr_db_q(c, &docs, NULL,
                     "SELECT blob_id, size, format FROM scan_files WHERE scan_id = ? AND kind = "
                     "'out' ORDER BY seq",
                     QR_TEXT(j->id));
    qr_db_release(c);
    folder = join_folder(j->wf.folder ? j->wf.folder : "", j->folder);
    for (int i = 0; !st && i < qr_dbres_rows(docs); i++) {
        char *name = qr_xasprintf("%s%s", j->name, qr_dbres_text(docs, i, 2));
        qr_conn_t *conn = NULL;
        st = k->open(settings, secret, folder, name, qr__scan_mime(name), qr_dbres_int(docs, i, 1),
                     &conn, err);
        if (!st)
            st = send_blob(ctx, k, conn, org, qr_dbres_text(docs, i, 0), err);
        if (!st) {
            free(*location);
            *location = NULL;
            st = k->close(conn, location, err);
        } else {
            k->abort(conn);
        }
        free(name);
    }
    if (st && k)
        *how = k->describe_error(err);
    if (secret)
        OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    free(folder);
    qr_dbres_free(docs);
    json_decref(settings);
    return st;
}

/* Records a delivery attempt's outcome (st, err): delivered (the documents leave the download
 * area), failed for good after the last attempt, or the next attempt with backoff. */
static void deliver_record(qr_ctx_t *ctx, const job_t *j, qr_status_t st, const char *location,
                           qr_deliver_fail_t how, const qr_err_t *err) {
    long long now = qr_clock_now(ctx->clock);
    long long attempts = j->delivery_attempts + 1;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    if (!st) {
        qr__scan_delete_files(ctx, c, j->org_id, j->id, "out");
        qr_db_q(c, NULL, NULL, "DELETE FROM scan_files WHERE scan_id = ? AND kind = 'out'",
                QR_TEXT(j->id));
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'done', delivery_status = 'delivered', "
                "delivery_attempts = ?, delivery_error = NULL, delivery_next_at = NULL, location "
                "= ?, claimed_at = NULL, updated_at = ? WHERE id = ?",
                QR_INT(attempts), QR_TEXT(location), QR_INT(now), QR_TEXT(j->id));
        qr_log_info("scan_delivered", "scan %s delivered to %s", j->id, location ? location : "");
    } else if (attempts >= QR_DELIVERY_MAX_ATTEMPTS) {
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'done', delivery_status = 'failed', delivery_attempts "
                "= ?, delivery_error = ?, delivery_next_at = NULL, claimed_at = NULL, updated_at "
                "= ? WHERE id = ?",
                QR_INT(attempts), QR_TEXT(err->msg), QR_INT(now), QR_TEXT(j->id));
        qr_log_error("delivery_failed", "scan %s: %s; last attempt, kept in the download area",
                     j->id, err->msg);
    } else {
        long long wait = QR_DELIVERY_FIRST_RETRY;
        for (long long i = 1; i < attempts && wait < QR_DELIVERY_MAX_RETRY; i++)
            wait *= 2;
        if (wait > QR_DELIVERY_MAX_RETRY)
            wait = QR_DELIVERY_MAX_RETRY;
        char *msg = qr_xasprintf("%s%s", err->msg,
                                 how == QR_DELIVER_FIX ? " (the destination needs fixing)" : "");
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET delivery_status = 'pending', delivery_attempts = ?, "
                "delivery_error = ?, delivery_next_at = ?, claimed_at = NULL, updated_at = ? "
                "WHERE id = ?",
                QR_INT(attempts), QR_TEXT(msg), QR_INT(now + wait), QR_INT(now), QR_TEXT(j->id));
        qr_log_info("delivery_retry", "scan %s: %s; attempt %lld of %d in %lld s", j->id, msg,
                    attempts + 1, QR_DELIVERY_MAX_ATTEMPTS, wait);
        free(msg);
    }
    qr_db_release(c);
}

/* Delivers a claimed scan's documents; on failure schedules the next attempt with backoff or,
 * after the last, leaves the documents in the download area with the reason (CAP-6). */
static void deliver(qr_ctx_t *ctx, const job_t *j) {
    qr_err_t err = {QR_OK, NULL, ""};
    char *location = NULL;
    qr_deliver_fail_t how = QR_DELIVER_RETRY;
    qr_status_t st = deliver_send(ctx, j, &location, &how, &err);
    deliver_record(ctx, j, st, location, how, &err);
    free(location);
}

/* One unit of work, if there is one due: 1 if something was done. */
static int work_once(qr_ctx_t *ctx, qr_ocr_engine_t **engine, const volatile int *stop) {
    long long now = qr_clock_now(ctx->clock), stale = now - QR_SCAN_LEASE;
    job_t j;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    int found = claim(c, "status = 'processing', claimed_at = ?, attempts = attempts + 1",
                      "status = 'queued' OR (status = 'processing' AND claimed_at <= ?)", now,
                      (long long[]){stale}, 1, &j);
    qr_db_release(c);
    if (found) {
        process(ctx, engine, &j, stop);
        job_clear(&j);
        return 1;
    }
    c = qr_db_acquire(ctx->db);
    found = claim(c, "delivery_status = 'sending', claimed_at = ?",
                  "status = 'delivering' AND ((delivery_status = 'pending' AND delivery_next_at "
                  "<= ?) OR (delivery_status = 'sending' AND claimed_at <= ?))",
                  now, (long long[]){now, stale}, 2, &j);
    qr_db_release(c);
    if (found) {
        deliver(ctx, &j);
        job_clear(&j);
        return 1;
    }
    return 0;
}

static void *worker_main(void *arg) {
    qr_scan_workers_t *w = arg;
    qr_ocr_engine_t *engine = NULL;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        pthread_mutex_unlock(&w->mu);
        int did = work_once(w->ctx, &engine, &w->stop);
        pthread_mutex_lock(&w->mu);
        if (did || w->stop)
            continue;
        if (w->wakeups > 0) {
            w->wakeups--;
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long long ns = until.tv_nsec + (long long)w->ctx->cfg->scan_poll_ms * 1000000LL;
        until.tv_sec += (time_t)(ns / 1000000000LL);
        until.tv_nsec = (long)(ns % 1000000000LL);
        pthread_cond_timedwait(&w->cv, &w->mu, &until);
    }
    pthread_mutex_unlock(&w->mu);
    qr_ocr_engine_destroy(engine);
    return NULL;
}

qr_scan_workers_t *qr_scan_workers_start(qr_ctx_t *ctx, int n) {
    qr_scan_workers_t *w = qr_xcalloc(1, sizeof(*w));
    w->ctx = ctx;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->threads = qr_xcalloc((size_t)n + 1, sizeof(pthread_t));
    for (int i = 0; i < n; i++) {
        if (pthread_create(&w->threads[w->n], NULL, worker_main, w) == 0)
            w->n++;
        else
            qr_log_error("scan_workers", "could not start scan worker %d", i + 1);
    }
    return w;
}

void qr_scan_workers_wake(qr_scan_workers_t *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->wakeups = w->n;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void qr_scan_workers_stop(qr_scan_workers_t *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->threads);
    free(w);
}
