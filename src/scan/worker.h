/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the scan workers (CAP-1, CAP-5, CAP-6, DESIGN rules 5 and 6). A pool of threads in
 * quired takes scans from the durable queue in the database (any server sharing the database
 * may take any scan), runs the pipeline with its own Tesseract engine (created once, reused),
 * stores the result encrypted, counts it, and delivers it to the workflow's destination with
 * retries and backoff. A scan whose worker died (kill -9) is taken again when its lease ends. */
#ifndef QR_WORKER_H
#define QR_WORKER_H

#include "core/ctx.h"

typedef struct qr_scan_workers qr_scan_workers_t;

/* Starts n worker threads (n = 0: none; the pool still exists). Aborts on OOM. */
qr_scan_workers_t *qr_scan_workers_start(qr_ctx_t *ctx, int n);
/* Tells idle workers there may be work (a scan was submitted). Accepts NULL. */
void qr_scan_workers_wake(qr_scan_workers_t *w);
/* Stops the workers after their current step and frees the pool. Accepts NULL. */
void qr_scan_workers_stop(qr_scan_workers_t *w);

#endif
