/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the IPP Everywhere print queue (PRN-1): one IPP request at a time, fed with the
 * bytes of an HTTP body as they arrive. The request's attributes are decoded by libcups once
 * they are complete (at most QR_IPP_ATTR_MAX bytes); a Print-Job document that follows them
 * streams into the spool (qr_job_begin/write/commit) and is never held in memory. Jobs are
 * the authenticated user's own: Get-Jobs, Get-Job-Attributes and Cancel-Job see nobody
 * else's (TEN-3). */
#ifndef QR_IPP_H
#define QR_IPP_H

#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"
#include "tenancy/policy.h"

/* The most bytes the IPP header and attributes of one request may take. */
#define QR_IPP_ATTR_MAX (64 * 1024)
/* The path of the queue on the HTTPS listener. */
#define QR_IPP_PATH "/ipp/print"
/* The printer's icons: this prefix plus 48.png, 128.png, 512.png (printer-icons). */
#define QR_IPP_ICON_PATH "/ipp/icons/printer-"
/* The page that explains how to release a job (printer-more-info). */
#define QR_IPP_HELP_PATH "/help/print"

typedef struct qr_ipp qr_ipp_t;

/* What the caller does next after feeding bytes. */
typedef enum qr_ipp_next {
    QR_IPP_MORE = 0,  /* keep feeding the body */
    QR_IPP_ANSWER,    /* the answer is ready (qr_ipp_answer); drop the rest of the body */
    QR_IPP_NEED_AUTH, /* the operation needs an authenticated user and there is none */
} qr_ipp_next_t;

/* Starts one request for principal p (NULL: not authenticated; then only
 * Get-Printer-Attributes is served). declared_size is the HTTP body length, -1 if unknown.
 * Returns a new request; free with qr_ipp_destroy. */
qr_ipp_t *qr_ipp_create(qr_ctx_t *ctx, const qr_principal_t *p, long long declared_size);
/* Feeds the next n bytes of the body. */
qr_ipp_next_t qr_ipp_feed(qr_ipp_t *x, const void *data, size_t n);
/* The body has ended: completes the request (commits a Print-Job's document). Never returns
 * QR_IPP_MORE. */
qr_ipp_next_t qr_ipp_finish(qr_ipp_t *x);
/* The encoded IPP response (owned by x), or NULL when the body was not IPP at all; then err
 * says why (an HTTP-level error). */
const void *qr_ipp_answer(qr_ipp_t *x, size_t *len, qr_err_t *err);
/* Answers a request that qr_ipp_feed or qr_ipp_finish left at QR_IPP_NEED_AUTH with why
 * instead (issue 15: credentials that were right but cannot print, which other credentials
 * would not change): a one-time password to replace is client-error-not-authorized (a CUPS
 * queue holds the job for new credentials), a required emailed code client-error-forbidden,
 * a throttled address server-error-busy (retry later), anything else
 * server-error-internal-error; why->msg is the status-message. qr_ipp_answer then returns
 * the answer. */
void qr_ipp_refuse(qr_ipp_t *x, const qr_err_t *why);
/* Ends the request; an unfinished Print-Job leaves nothing stored. Accepts NULL. */
void qr_ipp_destroy(qr_ipp_t *x);

#endif
