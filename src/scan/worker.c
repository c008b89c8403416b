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
#include "store/blob.h"
#include "store/datakey.h"
#include "store/db.h"

/* Shared with scan.c (one module, two files). */
qr_status_t qr__scan_read_blob(qr_ctx_t *ctx, const char *org_id, const char *blob_id,
                               long long max, unsigned char **data, size_t *len, qr_err_t *err);
void qr__scan_delete_files(qr_ctx_t *ctx, qr_dbc_t *c, const char *org_id, const char *id,
                           const char *kind);
void qr__scan_refund(qr_dbc_t *c, const char *org_id, const char *month, long long pages);

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

/* Claims the oldest row that meets cond (with its parameters a[0..n-1]) by applying set (whose
 * one parameter is now); NULL if there is none. On PostgreSQL, SKIP LOCKED lets several servers
 * claim side by side; the condition is checked again on the row itself, so two claimers never
 * both win (SQLite serializes writers). */
static qr_dbres_t *claim(qr_dbc_t *c, const char *set, const char *cond, long long now,
                         const long long *a, int n) {
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
    if (st || qr_dbres_rows(r) != 1) {
        qr_dbres_free(r);
        return NULL;
    }
    return r;
}

/* Marks a scan failed with err and gives back its reserved OCR pages. */
static void fail_scan(qr_ctx_t *ctx, const qr_dbres_t *s, const qr_err_t *err) {
    long long now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    const char *id = qr_dbres_text(s, 0, 0), *org = qr_dbres_text(s, 0, 1);
    if (qr_dbc_begin(c) == QR_OK) {
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'failed', error_code = ?, error = ?, claimed_at = NULL, "
                "updated_at = ? WHERE id = ?",
                QR_TEXT(qr_err_code(err)), QR_TEXT(err->msg), QR_INT(now), QR_TEXT(id));
        qr__scan_refund(c, org, qr_dbres_text(s, 0, 9), qr_dbres_int(s, 0, 10));
        if (qr_dbc_commit(c) == QR_OK) {
            qr__scan_delete_files(ctx, c, org, id, "in");
            qr_db_q(c, NULL, NULL, "DELETE FROM scan_files WHERE scan_id = ? AND kind = 'in'",
                    QR_TEXT(id));
        }
    }
    qr_db_release(c);
    qr_log_info("scan_failed", "scan %s: %s", id, err->msg);
}

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

/* Runs the pipeline over a claimed scan and records the outcome. */
static void process(qr_ctx_t *ctx, qr_ocr_engine_t **engine, qr_dbres_t *s, long long claimed_at,
                    const volatile int *stop) {
    const char *id = qr_dbres_text(s, 0, 0), *org = qr_dbres_text(s, 0, 1);
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *wf = json_loads(qr_dbres_text(s, 0, 4), 0, NULL);
    json_t *index = json_loads(qr_dbres_text(s, 0, 7), 0, NULL);
    qr_scan_output_t o;
    memset(&o, 0, sizeof(o));
    qr_dbres_t *files = NULL;
    qr_scan_input_t *in = NULL;
    unsigned char **bufs = NULL;
    char(*ids)[QR_ID_LEN + 1] = NULL;
    int nin = 0, stored = 0, lost = 0;
    char *barcodes = NULL, *index_text = NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st =
        qr_db_q(c, &files, NULL,
                "SELECT blob_id FROM scan_files WHERE scan_id = ? AND kind = 'in' ORDER BY seq",
                QR_TEXT(id));
    qr_db_release(c);
    c = NULL;
    if (st) {
        qr_err_set(&err, st, NULL, "the scan's files could not be listed");
        goto out;
    }
    if (qr_dbres_int(s, 0, 8) > QR_SCAN_MAX_ATTEMPTS) {
        st = qr_err_set(&err, QR_E_INTERNAL, "processing_failed",
                        "processing stopped %d times without finishing; the scan is given up",
                        QR_SCAN_MAX_ATTEMPTS);
        goto out;
    }
    nin = qr_dbres_rows(files);
    in = qr_xcalloc((size_t)nin + 1, sizeof(*in));
    bufs = qr_xcalloc((size_t)nin + 1, sizeof(*bufs));
    long long max = (long long)ctx->cfg->max_scan_mb * 1024 * 1024;
    for (int i = 0; !st && i < nin; i++) {
        size_t len = 0;
        st = qr__scan_read_blob(ctx, org, qr_dbres_text(files, i, 0), max, &bufs[i], &len, &err);
        in[i].data = bufs[i];
        in[i].len = len;
    }
    if (st)
        goto out;
    qr_scan_steps_t steps;
    steps_of(wf, &steps);
    if (!*engine && (st = qr_ocr_engine_create(steps.language, engine, &err)))
        goto out;
    qr_scan_limits_t lim;
    qr_scan_limits_init(&lim);
    lim.cancel = stop;
    if ((st = qr_scan_process(*engine, in, nin, &steps, &lim, &o, &err)))
        goto out;
    /* CAP-3: rules and barcodes fill what the user left empty. */
    if (!json_is_object(index)) {
        json_decref(index);
        index = json_object();
    }
    qr_index_apply_rules(json_object_get(wf, "attributes"), json_object_get(wf, "rules"), o.text,
                         o.barcodes, index);
    ids = qr_xcalloc((size_t)o.nfiles + 1, sizeof(*ids));
    if ((st = store_outputs(ctx, org, &o, ids, &err)))
        goto out;
    stored = 1;
    long long bytes = 0;
    for (int i = 0; i < o.nfiles; i++)
        bytes += (long long)o.files[i].len;
    long long now = qr_clock_now(ctx->clock);
    int deliver = json_is_object(json_object_get(wf, "destination"));
    barcodes = qr_json_dump(o.barcodes ? o.barcodes : json_array());
    index_text = qr_json_dump(index);
    c = qr_db_acquire(ctx->db);
    st = qr_dbc_begin(c);
    /* Only while this worker still holds the scan: if its lease ran out and another worker
     * took the scan, that one records it (and this result is dropped). */
    long long changed = 0;
    if (!st)
        st = qr_db_q(c, NULL, &changed,
                     "UPDATE scans SET status = ?, pages_out = ?, ocr_pages = ?, bytes_out = ?, "
                     "barcodes = ?, index_values = ?, claimed_at = NULL, delivery_status = ?, "
                     "delivery_next_at = ?, updated_at = ? WHERE id = ? AND status = "
                     "'processing' AND claimed_at = ?",
                     QR_TEXT(deliver ? "delivering" : "done"), QR_INT(o.pages_out),
                     QR_INT(o.ocr_pages), QR_INT(bytes), QR_TEXT(barcodes), QR_TEXT(index_text),
                     deliver ? QR_TEXT("pending") : QR_NULL, deliver ? QR_INT(now) : QR_NULL,
                     QR_INT(now), QR_TEXT(id), QR_INT(claimed_at));
    if (!st && changed != 1) {
        lost = 1;
        st = qr_err_set(&err, QR_E_CONFLICT, NULL, "the scan was taken over by another worker");
    }
    for (int i = 0; !st && i < o.nfiles; i++)
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO scan_files (scan_id, kind, seq, org_id, blob_id, size, format, "
                     "pages) VALUES (?, 'out', ?, ?, ?, ?, ?, ?)",
                     QR_TEXT(id), QR_INT(i + 1), QR_TEXT(org), QR_TEXT(ids[i]),
                     QR_INT(o.files[i].len), QR_TEXT(o.files[i].suffix),
                     QR_INT(o.nfiles == 1 ? o.pages_out : 1));
    /* CAP-5: what the reservation said becomes what was done. */
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE scan_usage SET reserved_pages = CASE WHEN reserved_pages > ? THEN "
                     "reserved_pages - ? ELSE 0 END, ocr_pages = ocr_pages + ?, documents = "
                     "documents + 1, bytes = bytes + ? WHERE org_id = ? AND month = ?",
                     QR_INT(qr_dbres_int(s, 0, 10)), QR_INT(qr_dbres_int(s, 0, 10)),
                     QR_INT(o.ocr_pages), QR_INT(bytes), QR_TEXT(org),
                     QR_TEXT(qr_dbres_text(s, 0, 9)));
    if (!st) {
        qr_joblog_entry_t e = {qr_dbres_text(s, 0, 2), "scan", o.pages_in, 1, 0, 0};
        if (!qr_dbres_isnull(s, 0, 3))
            st = qr__joblog_insert(c, org, qr_dbres_text(s, 0, 3), now, &e, NULL);
    }
    if (!st)
        st = qr_dbc_commit(c);
    if (st) {
        if (!lost)
            qr_err_set(&err, st, NULL, "the result could not be recorded");
        goto out;
    }
    qr__scan_delete_files(ctx, c, org, id, "in");
    qr_db_q(c, NULL, NULL, "DELETE FROM scan_files WHERE scan_id = ? AND kind = 'in'", QR_TEXT(id));
    qr_log_info("scan_done", "scan %s: %d pages in, %d out, %d recognized, %lld bytes", id,
                o.pages_in, o.pages_out, o.ocr_pages, bytes);
    if (deliver)
        qr_scan_workers_wake(ctx->scanq);
out:
    if (st && stored) {
        char *dir = qr__scan_blob_dir(ctx, org);
        for (int i = 0; i < o.nfiles; i++)
            qr_blob_delete(dir, ids[i], NULL);
        free(dir);
    }
    qr_db_release(c);
    if (st && !lost && stop && *stop) {
        /* The server is stopping: the scan goes back to the queue for the next start (or
         * another server) at once, not after its lease; this attempt does not count. */
        c = qr_db_acquire(ctx->db);
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'queued', claimed_at = NULL, attempts = attempts - 1, "
                "updated_at = ? WHERE id = ? AND status = 'processing' AND claimed_at = ?",
                QR_INT(qr_clock_now(ctx->clock)), QR_TEXT(id), QR_INT(claimed_at));
        qr_db_release(c);
        c = NULL;
        qr_log_info("scan_requeued", "scan %s: the server is stopping; back in the queue", id);
    } else if (st && lost) {
        qr_log_info("scan_taken_over", "scan %s: %s", id, err.msg);
    } else if (st) {
        if (st == QR_E_DB || st == QR_E_IO)
            qr_log_error("scan_retry", "scan %s: %s (taken again after the lease)", id, err.msg);
        else
            fail_scan(ctx, s, &err);
    }
    for (int i = 0; bufs && i < nin; i++)
        free(bufs[i]);
    free(bufs);
    free(in);
    free(ids);
    free(barcodes);
    free(index_text);
    qr_scan_output_free(&o);
    qr_dbres_free(files);
    json_decref(wf);
    json_decref(index);
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

/* Delivers a claimed scan's documents; on failure schedules the next attempt with backoff or,
 * after the last, leaves the documents in the download area with the reason (CAP-6). */
static void deliver(qr_ctx_t *ctx, qr_dbres_t *s) {
    const char *id = qr_dbres_text(s, 0, 0), *org = qr_dbres_text(s, 0, 1);
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *wf = json_loads(qr_dbres_text(s, 0, 4), 0, NULL), *settings = NULL;
    char *secret = NULL, *folder = NULL, *location = NULL;
    qr_dbres_t *docs = NULL;
    const qr_connector_t *k = NULL;
    qr_deliver_fail_t how = QR_DELIVER_RETRY;
    const char *dest_id = json_string_value(json_object_get(wf, "destination_id"));
    qr_status_t st =
        dest_id ? qr_capture_destination_secret(ctx, org, dest_id, &settings, &secret, &err)
                : qr_err_set(&err, QR_E_NOT_FOUND, NULL, "no destination");
    if (!st) {
        json_t *dest = json_object_get(wf, "destination");
        k = qr_connector_find(json_string_value(json_object_get(dest, "kind")));
        if (!k)
            st = qr_err_set(&err, QR_E_INVALID, NULL, "the destination's kind is unknown");
    }
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    if (!st)
        st = qr_db_q(c, &docs, NULL,
                     "SELECT blob_id, size, format FROM scan_files WHERE scan_id = ? AND kind = "
                     "'out' ORDER BY seq",
                     QR_TEXT(id));
    qr_db_release(c);
    c = NULL;
    const char *base = json_string_value(json_object_get(wf, "folder"));
    folder = join_folder(base ? base : "", qr_dbres_text(s, 0, 6));
    for (int i = 0; !st && i < qr_dbres_rows(docs); i++) {
        char *name = qr_xasprintf("%s%s", qr_dbres_text(s, 0, 5), qr_dbres_text(docs, i, 2));
        size_t n = strlen(name);
        const char *mime = n >= 4 && strcmp(name + n - 4, ".pdf") == 0   ? "application/pdf"
                           : n >= 4 && strcmp(name + n - 4, ".tif") == 0 ? "image/tiff"
                                                                         : "image/jpeg";
        qr_conn_t *conn = NULL;
        st = k->open(settings, secret, folder, name, mime, qr_dbres_int(docs, i, 1), &conn, &err);
        if (!st)
            st = send_blob(ctx, k, conn, org, qr_dbres_text(docs, i, 0), &err);
        if (!st) {
            free(location);
            location = NULL;
            st = k->close(conn, &location, &err);
        } else {
            k->abort(conn);
        }
        free(name);
    }
    if (st && k)
        how = k->describe_error(&err);
    long long now = qr_clock_now(ctx->clock);
    long long attempts = qr_dbres_int(s, 0, 11) + 1;
    c = qr_db_acquire(ctx->db);
    if (!st) {
        /* Delivered: the documents leave the download area. */
        qr__scan_delete_files(ctx, c, org, id, "out");
        qr_db_q(c, NULL, NULL, "DELETE FROM scan_files WHERE scan_id = ? AND kind = 'out'",
                QR_TEXT(id));
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'done', delivery_status = 'delivered', "
                "delivery_attempts = ?, delivery_error = NULL, delivery_next_at = NULL, location "
                "= ?, claimed_at = NULL, updated_at = ? WHERE id = ?",
                QR_INT(attempts), QR_TEXT(location), QR_INT(now), QR_TEXT(id));
        qr_log_info("scan_delivered", "scan %s delivered to %s", id, location ? location : "");
    } else if (attempts >= QR_DELIVERY_MAX_ATTEMPTS) {
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET status = 'done', delivery_status = 'failed', delivery_attempts "
                "= ?, delivery_error = ?, delivery_next_at = NULL, claimed_at = NULL, updated_at "
                "= ? WHERE id = ?",
                QR_INT(attempts), QR_TEXT(err.msg), QR_INT(now), QR_TEXT(id));
        qr_log_error("delivery_failed", "scan %s: %s; last attempt, kept in the download area", id,
                     err.msg);
    } else {
        long long wait = QR_DELIVERY_FIRST_RETRY;
        for (long long i = 1; i < attempts && wait < QR_DELIVERY_MAX_RETRY; i++)
            wait *= 2;
        if (wait > QR_DELIVERY_MAX_RETRY)
            wait = QR_DELIVERY_MAX_RETRY;
        char *msg = qr_xasprintf("%s%s", err.msg,
                                 how == QR_DELIVER_FIX ? " (the destination needs fixing)" : "");
        qr_db_q(c, NULL, NULL,
                "UPDATE scans SET delivery_status = 'pending', delivery_attempts = ?, "
                "delivery_error = ?, delivery_next_at = ?, claimed_at = NULL, updated_at = ? "
                "WHERE id = ?",
                QR_INT(attempts), QR_TEXT(msg), QR_INT(now + wait), QR_INT(now), QR_TEXT(id));
        qr_log_info("delivery_retry", "scan %s: %s; attempt %lld of %d in %lld s", id, msg,
                    attempts + 1, QR_DELIVERY_MAX_ATTEMPTS, wait);
        free(msg);
    }
    qr_db_release(c);
    if (secret)
        OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
    free(folder);
    free(location);
    qr_dbres_free(docs);
    json_decref(settings);
    json_decref(wf);
}

/* One unit of work, if there is one due: 1 if something was done. */
static int work_once(qr_ctx_t *ctx, qr_ocr_engine_t **engine, const volatile int *stop) {
    long long now = qr_clock_now(ctx->clock), stale = now - QR_SCAN_LEASE;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *s = claim(c, "status = 'processing', claimed_at = ?, attempts = attempts + 1",
                          "status = 'queued' OR (status = 'processing' AND claimed_at <= ?)", now,
                          (long long[]){stale}, 1);
    qr_db_release(c);
    if (s) {
        process(ctx, engine, s, now, stop);
        qr_dbres_free(s);
        return 1;
    }
    c = qr_db_acquire(ctx->db);
    s = claim(c, "delivery_status = 'sending', claimed_at = ?",
              "status = 'delivering' AND ((delivery_status = 'pending' AND delivery_next_at <= ?) "
              "OR (delivery_status = 'sending' AND claimed_at <= ?))",
              now, (long long[]){now, stale}, 2);
    qr_db_release(c);
    if (s) {
        deliver(ctx, s);
        qr_dbres_free(s);
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
