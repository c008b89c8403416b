/* SPDX-License-Identifier: Apache-2.0 */
/* quire: scans (CAP-2, CAP-5, CAP-6, TEN-5, SEC-2). A user at the panel starts a scan with a
 * workflow, a folder and index values (validated before anything is accepted), the device
 * uploads the pages (streamed into encrypted blobs), and the scan is submitted to the durable
 * queue that the scan workers (scan/worker.h) take it from. A scan is its owner's alone: the
 * owner lists it, reads its status, downloads its documents and deletes it; nobody else can. */
#ifndef QR_SCAN_H
#define QR_SCAN_H

#include <jansson.h>
#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "tenancy/policy.h"

#define QR_SCAN_MAX_FILES 1000     /* files per scan */
#define QR_SCAN_UPLOAD_TTL 3600    /* a scan not submitted within this is removed */
#define QR_SCAN_LEASE 1800         /* a claimed scan not finished within this is retaken */
#define QR_SCAN_MAX_ATTEMPTS 3     /* processing attempts before the scan fails */
#define QR_DELIVERY_MAX_ATTEMPTS 8 /* delivery attempts before the document stays put */
#define QR_DELIVERY_FIRST_RETRY 30 /* seconds before the second attempt; doubles each time */
#define QR_DELIVERY_MAX_RETRY 3600 /* the longest wait between attempts */

typedef struct qr_scan_upload qr_scan_upload_t;

struct qr_blob_reader;

/* A document of a scan in its download area (a scan_files row of kind 'out'). */
typedef struct qr_scan_doc {
    long long n;    /* its number, from 1 */
    long long size; /* bytes */
    long long pages;
    char *name;    /* the download name: the scan's name with the format's suffix */
    char *format;  /* the suffix (".pdf", ".tif", "-1.jpg", ...) */
    char *blob_id; /* the encrypted blob that holds it */
} qr_scan_doc_t;

/* A scan (one row of the scans table), as its owner sees it. Strings are owned by the struct;
 * free with qr_scan_clear. */
typedef struct qr_scan {
    char id[QR_ID_LEN + 1];
    char *workflow_id;
    char *workflow_name; /* the workflow's name when the scan started; NULL if it had none */
    char *name, *folder, *status;
    /* The index values {attribute: value}: a document the database keeps as JSON text, with
     * values typed by the class's attributes (CAP-3); json null if unreadable. Owned. */
    json_t *index;
    /* CAP-3: required attributes that neither the user nor a rule filled (none while the scan
     * is uploading, queued or processing). */
    char **index_missing;
    size_t n_index_missing;
    int ocr; /* 1 if the workflow recognizes text (its pages count against TEN-5) */
    long long files, pages_in, pages_out, ocr_pages, bytes_out;
    /* The barcodes read: [{page, type, data}], kept as JSON text; an empty array if none yet,
     * json null if unreadable. Owned. */
    json_t *barcodes;
    char *device_id;                  /* NULL if not started at a device */
    char *error_code, *error_message; /* NULL unless the scan failed */
    char *delivery_status;            /* NULL: the workflow delivers nowhere */
    long long delivery_attempts;
    int has_delivery_next_at;
    long long delivery_next_at;
    char *delivery_error, *location; /* NULL if none */
    long long created_at, updated_at, expires_at;
    int has_documents; /* docs were read (qr_scan_get) */
    qr_scan_doc_t *documents;
    size_t n_documents;
} qr_scan_t;

/* What a scan starts with (CAP-2). Strings are borrowed. */
typedef struct qr_scan_start_input {
    const char *workflow_id;
    const char *name;   /* NULL: "scan-YYYYMMDD-HHMMSS" */
    const char *folder; /* NULL: "" */
    /* The index values as the user gave them: checked against the workflow's class here (the
     * attributes decide the types), so they stay a JSON object. NULL: none. Borrowed. */
    json_t *index;
} qr_scan_start_input_t;

/* Frees what s holds and zeroes it; accepts a zeroed struct. */
void qr_scan_clear(qr_scan_t *s);
/* Frees a list of n scans; accepts NULL. */
void qr_scan_list_free(qr_scan_t *v, size_t n);

/* CAP-2: only a principal at a panel starts scans (403 panel_only otherwise). */
qr_status_t qr_scan_check_panel(const qr_principal_t *p, qr_err_t *err);
/* CAP-2: starts a scan at the principal's panel (403 panel_only otherwise) from in (name and
 * folder checked, index values checked against the workflow's class); *out is the new scan
 * (clear it with qr_scan_clear). */
qr_status_t qr_scan_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_scan_start_input_t *in,
                           qr_scan_t *out, qr_err_t *err);
/* Starts receiving one scanned file (JPEG, PNG, TIFF or PDF) of an own scan that is still
 * being uploaded; declared_size (-1 if unknown) is checked against max_scan_mb first. */
qr_status_t qr_scan_file_begin(qr_ctx_t *ctx, const qr_principal_t *p, const char *scan_id,
                               long long declared_size, qr_scan_upload_t **out, qr_err_t *err);
/* Stores the next piece of the file. */
qr_status_t qr_scan_file_write(qr_scan_upload_t *u, const void *data, size_t n, qr_err_t *err);
/* Checks the file can be read (format, pages, size of each page) and records it; frees u. What
 * cannot be read is refused and nothing of it kept. */
qr_status_t qr_scan_file_commit(qr_scan_upload_t *u, json_t **out, qr_err_t *err);
/* Discards an upload; frees u. Accepts NULL. */
void qr_scan_file_abort(qr_scan_upload_t *u);
/* Queues an own scan with at least one file. TEN-5: refused (409 ocr_limit_exceeded) when its
 * OCR pages would pass the org's monthly limit; the pages are reserved at once. */
qr_status_t qr_scan_submit(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_scan_t *out,
                           qr_err_t *err);
/* The principal's own scans, newest first: *items is a new array of *n (qr_scan_list_free). */
qr_status_t qr_scan_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_scan_t **items, size_t *n,
                         qr_err_t *err);
/* One own scan with its status, index values, documents and delivery state (clear *out). */
qr_status_t qr_scan_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_scan_t *out,
                        qr_err_t *err);
/* Deletes an own scan and its files from disk (a scan being processed: 409 busy). */
qr_status_t qr_scan_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);
/* Opens document n (from 1) of an own scan in the download area; *size, *mime and *name (a new
 * string, caller frees) describe it. Close with qr_blob_close. */
qr_status_t qr_scan_document(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, int n,
                             struct qr_blob_reader **reader, long long *size, const char **mime,
                             char **name, qr_err_t *err);
/* Removes scans past their retention or never submitted, with their files, and files that no
 * scan refers to. Returns how many files it removed. */
int qr_scan_sweep(qr_ctx_t *ctx);

/* The directory of an org's scan blobs; a new string. */
char *qr__scan_blob_dir(qr_ctx_t *ctx, const char *org_id);

#endif
