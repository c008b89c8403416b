/* SPDX-License-Identifier: Apache-2.0 */
/* quire: print jobs in the cloud spool (PRN-1, PRN-2, PRN-5, SEC-2). A job's document is
 * streamed straight into an encrypted blob under the org's key; the job exists only once the
 * whole document is stored. A job is its owner's alone: nobody else, admins included, lists,
 * reads or deletes it. */
#ifndef QR_JOB_H
#define QR_JOB_H

#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "print/convert.h"
#include "tenancy/policy.h"

typedef struct qr_job_upload qr_job_upload_t;

/* A print job as stored (one row of print_jobs). Free the owned strings with qr_job_clear. */
typedef struct qr_job {
    char id[QR_ID_LEN + 1];
    char *name; /* owned */
    long long size;
    char *status; /* "incoming" (created, no document yet), "held", "released", "printed",
                   * "canceled" or "aborted" (no document came in time); owned */
    long long copies;
    int color, duplex; /* as asked for */
    long long created_at, expires_at;
    long long number; /* the IPP job-id, 1 to 2^31 - 1 */
    long long pages;
    int document_color;            /* the document has colour on it (PRN-2) */
    char device_id[QR_ID_LEN + 1]; /* the device it was released at; "" when none */
    int has_released_at;
    long long released_at; /* when has_released_at */
    char *reason;          /* why it is back on hold; NULL when none; owned */
    char *page_ranges;     /* the pages to print ("1-3,7-7"); NULL: all; owned */
} qr_job_t;

/* The settings a released job is printed with: the job's, with the org's force-mono and
 * force-duplex applied. */
typedef struct qr_print_settings {
    long long pages, copies;
    int color, duplex;
} qr_print_settings_t;

/* Frees the members of j and zeroes it; accepts a zeroed struct. */
void qr_job_clear(qr_job_t *j);
/* Frees a list of n jobs from qr_job_list; accepts NULL. */
void qr_job_list_free(qr_job_t *v, size_t n);

typedef struct qr_job_options {
    const char *name;
    long long copies;
    int color, duplex;
    const char *page_ranges;      /* "1-3,7-7": from 1, ascending, not overlapping, at most
                                   * QR_JOB_RANGES_MAX bytes (else QR_E_INVALID); NULL: all */
    qr_doc_format_t format;       /* the document as sent; anything but PDF is converted */
    qr_compression_t compression; /* gzip, deflate: inflated as it arrives */
} qr_job_options_t;

/* The longest page_ranges text a job keeps. */
#define QR_JOB_RANGES_MAX 512
/* A job created without its document (IPP Create-Job) that receives none within this many
 * seconds is aborted by the sweeper (IPP multiple-operation-time-out). */
#define QR_JOB_DOCUMENT_TIMEOUT 300

/* IPP Create-Job: records an own job that waits for its document ("incoming"), after the
 * same checks as qr_job_begin (the feature, the options). Fills out (clear it). */
qr_status_t qr_job_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_job_options_t *o,
                          qr_job_t *out, qr_err_t *err);
/* IPP Send-Document: starts receiving the document of the principal's own incoming job id,
 * as qr_job_begin, in the format and compression of doc (its other fields are the job's;
 * NULL: a PDF as it is); qr_job_commit then completes that job (held) instead of recording a
 * new one. QR_E_CONFLICT ("not_incoming") if the job is no longer waiting for its document. */
qr_status_t qr_job_begin_document(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                  const qr_job_options_t *doc, long long declared_size,
                                  qr_job_upload_t **out, qr_err_t *err);
/* IPP Cancel-Job: cancels an own job that is incoming or held. Its document is deleted at
 * once; the job stays, "canceled", until its retention ends. QR_E_CONFLICT ("not_cancelable")
 * if it is being printed or already finished. */
qr_status_t qr_job_cancel(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);

/* Starts receiving a document for the principal (a PDF, or another format or compression
 * that the converter turns into one as it arrives, convert.h); declared_size (-1 if unknown)
 * is checked against the size limit before anything is stored. */
qr_status_t qr_job_begin(qr_ctx_t *ctx, const qr_principal_t *p, const qr_job_options_t *o,
                         long long declared_size, qr_job_upload_t **out, qr_err_t *err);
/* Stores the next piece of the document. */
qr_status_t qr_job_write(qr_job_upload_t *u, const void *data, size_t n, qr_err_t *err);
/* Checks the document is a complete PDF, publishes it and records the job, filled into out
 * (clear it with qr_job_clear); frees u in every case. */
qr_status_t qr_job_commit(qr_job_upload_t *u, qr_job_t *out, qr_err_t *err);
/* Discards an upload; frees u. Accepts NULL. */
void qr_job_abort(qr_job_upload_t *u);
/* The principal's own jobs, newest first: *items is a new array of *n jobs (free with
 * qr_job_list_free). */
qr_status_t qr_job_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_job_t **items, size_t *n,
                        qr_err_t *err);
/* One own job by id (clear out with qr_job_clear); QR_E_NOT_FOUND if it is not the
 * principal's. */
qr_status_t qr_job_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_job_t *out,
                       qr_err_t *err);
/* One own job by its IPP job number, as qr_job_get; QR_E_NOT_FOUND if the principal has no
 * job of that number. */
qr_status_t qr_job_find_number(qr_ctx_t *ctx, const qr_principal_t *p, long long number,
                               qr_job_t *out, qr_err_t *err);
/* Deletes an own job and its document from disk. */
qr_status_t qr_job_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);

struct qr_blob_reader;

/* Opens an own job's document for reading (decrypted as it is read); *size is its length.
 * Close with qr_blob_close. */
qr_status_t qr_job_document(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                            struct qr_blob_reader **reader, long long *size, qr_err_t *err);

/* What a device reports after printing a released job. */
typedef struct qr_print_result {
    const char *status; /* "printed" or "failed" */
    long long pages, copies;
    int color, duplex;
    const char *reason; /* why it failed (optional) */
} qr_print_result_t;

/* A released job that no device reported on within this many seconds goes back on hold. */
#define QR_RELEASE_TIMEOUT 3600

/* PRN-3, PRN-4: releases an own held job at the device of the principal's panel session.
 * Refused (409) when the org's policy forbids it (policy_max_pages) or the monthly quota would
 * be exceeded (quota_exceeded); the pages are charged to the quota at once, so two devices
 * cannot both spend the last pages. Fills job (clear it with qr_job_clear) with the job as
 * released and print with the settings to print it with. */
qr_status_t qr_job_release(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_job_t *job,
                           qr_print_settings_t *print, qr_err_t *err);
/* The device's report on a job it released: printed (job log entry, quota corrected to what
 * was printed, document deleted) or failed (back on hold, quota refunded). Fills out with
 * the job afterwards (clear it with qr_job_clear). */
qr_status_t qr_job_report(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                          const qr_print_result_t *res, qr_job_t *out, qr_err_t *err);
/* Puts released jobs without a report for QR_RELEASE_TIMEOUT back on hold; returns how many. */
int qr_job_requeue_stale(qr_ctx_t *ctx);

/* PRN-6 and crash safety: aborts created jobs whose document did not come within
 * QR_JOB_DOCUMENT_TIMEOUT, deletes jobs past their retention with their documents, and
 * removes unfinished uploads and documents that no job refers to (what a kill -9 between
 * storing a document and recording its job leaves). Returns how many files it removed. */
int qr_job_sweep(qr_ctx_t *ctx);

#endif
