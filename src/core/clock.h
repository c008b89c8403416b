/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the injected clock (DESIGN rule 9). Everything that depends on time asks a clock,
 * so tests move time instead of sleeping. */
#ifndef QR_CLOCK_H
#define QR_CLOCK_H

#include <stdint.h>

typedef struct qr_clock qr_clock_t;

/* Creates a clock that follows the system's real time. Aborts on out-of-memory. */
qr_clock_t *qr_clock_create(void);
/* Destroys a clock; accepts NULL. */
void qr_clock_destroy(qr_clock_t *c);
/* Seconds since the Unix epoch, real time plus the clock's offset. Thread-safe. */
int64_t qr_clock_now(const qr_clock_t *c);
/* Stops the clock from following real time: from now on only qr_clock_advance moves it, so a
 * boundary such as "locked at 29:59" holds however slow the machine is (tests only). */
void qr_clock_freeze(qr_clock_t *c);
/* Moves the clock by delta seconds (tests only). Thread-safe. */
void qr_clock_advance(qr_clock_t *c, int64_t delta);

#endif
