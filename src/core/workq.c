/* SPDX-License-Identifier: Apache-2.0 */
/* quire: bounded worker pool. */
#include "core/workq.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/mem.h"

struct item {
    qr_work_fn fn;
    void *arg;
};

struct qr_workq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *ring;
    int cap, head, count, stopping, nthreads;
    pthread_t *threads;
};

static void *worker(void *p) {
    qr_workq_t *q = p;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->count && !q->stopping)
            pthread_cond_wait(&q->cv, &q->mu);
        if (!q->count && q->stopping)
            break;
        struct item it = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
        pthread_mutex_unlock(&q->mu);
        it.fn(it.arg);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

qr_workq_t *qr_workq_create(int nthreads, int maxqueue) {
    qr_workq_t *q = qr_xcalloc(1, sizeof(*q));
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->cap = maxqueue > 0 ? maxqueue : 1;
    q->ring = qr_xcalloc((size_t)q->cap, sizeof(*q->ring));
    q->nthreads = nthreads > 0 ? nthreads : 1;
    q->threads = qr_xcalloc((size_t)q->nthreads, sizeof(pthread_t));
    for (int i = 0; i < q->nthreads; i++)
        if (pthread_create(&q->threads[i], NULL, worker, q) != 0)
            abort();
    return q;
}

qr_status_t qr_workq_submit(qr_workq_t *q, qr_work_fn fn, void *arg) {
    pthread_mutex_lock(&q->mu);
    if (q->count >= q->cap || q->stopping) {
        pthread_mutex_unlock(&q->mu);
        return QR_E_BUSY;
    }
    q->ring[(q->head + q->count) % q->cap] = (struct item){fn, arg};
    q->count++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return QR_OK;
}

void qr_workq_destroy(qr_workq_t *q) {
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->nthreads; i++)
        pthread_join(q->threads[i], NULL);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q->threads);
    free(q->ring);
    free(q);
}

int qr_workq_pending(qr_workq_t *q) {
    if (!q)
        return 0;
    pthread_mutex_lock(&q->mu);
    int n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}
