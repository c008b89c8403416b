/* SPDX-License-Identifier: Apache-2.0 */
/* quire: a bounded pool of worker threads with a bounded queue. Used for work that must not
 * run on the HTTP threads (Argon2id), so a flood cannot exhaust memory or starve requests. */
#ifndef QR_WORKQ_H
#define QR_WORKQ_H

#include <stddef.h>

#include "core/status.h"

typedef struct qr_workq qr_workq_t;
typedef void (*qr_work_fn)(void *arg);

/* Starts nthreads workers accepting at most maxqueue waiting items. Aborts on OOM. */
qr_workq_t *qr_workq_create(int nthreads, int maxqueue);
/* Queues fn(arg); QR_E_BUSY if the queue is full (fn is then not called). */
qr_status_t qr_workq_submit(qr_workq_t *q, qr_work_fn fn, void *arg);
/* Runs every queued item, stops the workers and frees the pool. Accepts NULL. */
void qr_workq_destroy(qr_workq_t *q);
/* Work items waiting for a thread now (not those running). */
int qr_workq_pending(qr_workq_t *q);

#endif
