/* SPDX-License-Identifier: Apache-2.0 */
/* quire: real time plus an offset that tests can move. */
#include "core/clock.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/mem.h"

struct qr_clock {
    _Atomic int64_t offset;
    _Atomic int64_t frozen; /* 0: follows real time; else the real time it stopped at */
};

qr_clock_t *qr_clock_create(void) {
    qr_clock_t *c = qr_xcalloc(1, sizeof(*c));
    atomic_init(&c->offset, 0);
    atomic_init(&c->frozen, 0);
    return c;
}

void qr_clock_destroy(qr_clock_t *c) {
    free(c);
}

static int64_t real_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t qr_clock_now(const qr_clock_t *c) {
    int64_t frozen = atomic_load(&((qr_clock_t *)c)->frozen);
    return (frozen ? frozen : real_now()) + atomic_load(&((qr_clock_t *)c)->offset);
}

void qr_clock_freeze(qr_clock_t *c) {
    atomic_store(&c->frozen, real_now());
}

void qr_clock_advance(qr_clock_t *c, int64_t delta) {
    atomic_fetch_add(&c->offset, delta);
}
