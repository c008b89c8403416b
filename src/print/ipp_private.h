/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what the three files of the IPP queue share (not for use outside src/print):
 * ipp.c (the request's life cycle, libcups codec glue, the request checks and the one IPP
 * error responder), printer_ipp.c (the printer and its attributes) and job_ipp.c (the job
 * operations, over the typed jobs of job.c). */
#ifndef QR_IPP_PRIVATE_H
#define QR_IPP_PRIVATE_H

#include <cups/cups.h>
#include <cups/ipp.h>

#include "core/buf.h"
#include "print/ipp.h"
#include "print/job.h"

#define QR__IPP_COPIES_MAX 999 /* as qr_job_begin allows */
#define QR__IPP_N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Where a request is. */
enum {
    QR__IPP_READING = 0,
    QR__IPP_DOCUMENT,
    QR__IPP_ANSWERED,
    QR__IPP_NEED_AUTH,
    QR__IPP_NOT_IPP
};

struct qr_ipp {
    qr_ctx_t *ctx;
    qr_principal_t p;
    int authed;
    long long declared;
    qr_buf_t head;   /* the attribute part as received (plus the document's first bytes) */
    size_t next_try; /* decode again once head holds this many bytes */
    int state;
    ipp_t *req, *resp;
    ipp_t *unsup;      /* the unsupported-attributes group, kept apart until the answer */
    char message[320]; /* status-message, if any */
    qr_job_upload_t *upload;
    int job_number;                     /* Send-Document: the job; 0 for Print-Job */
    int close_only;                     /* Send-Document to a job that has its document */
    char ranges[QR_JOB_RANGES_MAX + 1]; /* page-ranges as the job keeps them */
    qr_buf_t out;                       /* the encoded response */
    qr_err_t err;                       /* with QR__IPP_NOT_IPP: why */
};

/* The printer's supported values (printer_ipp.c). */
extern const char *const qr__ipp_formats[6]; /* document-format-supported */
#define QR__IPP_FORMATS_MESSAGE                                                                    \
    "document-format is application/pdf, image/jpeg, image/png, image/pwg-raster, image/urf "      \
    "or application/octet-stream (any of them)"
extern const char *const qr__ipp_sides[3];       /* sides-supported */
extern const char *const qr__ipp_color_modes[3]; /* print-color-mode-supported */
extern const int qr__ipp_operations[12];         /* operations-supported */

/* ---- ipp.c: the responder and checks ---- */

/* IPP messages in memory, for ippReadIO and ippWriteIO: a reader over p[0..len) from pos,
 * and a writer that appends to a qr_buf_t (cls). */
typedef struct qr__ipp_reader {
    const unsigned char *p;
    size_t len, pos;
} qr__ipp_reader_t;
ssize_t qr__ipp_read_mem(void *cls, ipp_uchar_t *buf, size_t n);
ssize_t qr__ipp_write_mem(void *cls, ipp_uchar_t *buf, size_t n);

/* Sets the answer's status and status-message (msg may be NULL). */
void qr__ipp_status(qr_ipp_t *x, ipp_status_t st, const char *msg);
/* The one IPP error responder: answers with the IPP status of a failed domain call (a PDF
 * that is not one: document-format-error; too large: request-entity-too-large; not found:
 * not-found; anything else: internal-error) and its message. */
void qr__ipp_fail(qr_ipp_t *x, const qr_err_t *err);
/* Adds attr to the unsupported-attributes group of the answer. */
void qr__ipp_unsupported(qr_ipp_t *x, ipp_attribute_t *attr);
/* Copies the attributes of src that the request asked for (ra; NULL: all) into resp. */
void qr__ipp_copy_requested(ipp_t *resp, ipp_t *src, cups_array_t *ra);
/* 1 if s is one of the n strings of list. */
int qr__ipp_in_list(const char *s, const char *const *list, int n);
/* 1 if attr is one value of tag (or of tag2, when not zero). */
int qr__ipp_one_of_type(ipp_attribute_t *attr, ipp_tag_t tag, ipp_tag_t tag2);

/* ---- printer_ipp.c ---- */

/* The queue's URI as clients reach it (ipps://host/ipp/print). Caller frees. */
char *qr__ipp_printer_uri(qr_ctx_t *ctx);
/* The index of a supported media name, or -1. */
int qr__ipp_media_index(const char *s);
/* Get-Printer-Attributes. */
void qr__ipp_op_get_printer_attributes(qr_ipp_t *x);
/* Identify-Printer: a cloud queue has nothing to flash or show; answered, changes nothing. */
void qr__ipp_op_identify_printer(qr_ipp_t *x);

/* ---- job_ipp.c ---- */

/* Get-Jobs: the user's own jobs. */
void qr__ipp_op_get_jobs(qr_ipp_t *x);
/* Get-Job-Attributes of an own job. */
void qr__ipp_op_get_job_attributes(qr_ipp_t *x);
/* Cancel-Job of an own held job. */
void qr__ipp_op_cancel_job(qr_ipp_t *x);
/* The job creation operations qr__ipp_op_create runs. */
enum { QR__IPP_VALIDATE = 0, QR__IPP_PRINT, QR__IPP_CREATE };
/* Print-Job, Validate-Job and Create-Job (kind): checks the job; Print-Job then opens the
 * spool upload and the request goes on to QR__IPP_DOCUMENT; Create-Job records the job,
 * which waits for its document. */
void qr__ipp_op_create(qr_ipp_t *x, int kind);
/* Send-Document: the document of a created job (one per job); goes on to QR__IPP_DOCUMENT. */
void qr__ipp_op_send_document(qr_ipp_t *x);
/* Close-Job: a job that has its document is complete already. */
void qr__ipp_op_close_job(qr_ipp_t *x);
/* Cancel-My-Jobs: the user's own jobs that wait (all, or those of job-ids). */
void qr__ipp_op_cancel_my_jobs(qr_ipp_t *x);
/* Cancel-Jobs: other users' jobs, which nobody may cancel (PRN-5): client-error-forbidden. */
void qr__ipp_op_cancel_jobs(qr_ipp_t *x);
/* Writes document bytes to the spool; on failure answers and drops the upload. */
void qr__ipp_document(qr_ipp_t *x, const void *data, size_t n);
/* Print-Job's or Send-Document's document is complete: stores the job and answers with its
 * attributes. */
void qr__ipp_commit(qr_ipp_t *x);

#endif
