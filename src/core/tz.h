/* SPDX-License-Identifier: Apache-2.0 */
/* quire: time zones (ICU), for what follows an organization's calendar: monthly print quotas
 * (PRN-4) reset at midnight on the first of the month where the organization is. */
#ifndef QR_TZ_H
#define QR_TZ_H

#include <stdint.h>

/* 1 if name is a time zone ICU knows (an IANA name such as "Europe/Berlin", or "UTC"). */
int qr_tz_valid(const char *name);
/* The calendar month "YYYY-MM" at Unix time t in time zone name (UTC if unknown). */
void qr_tz_month(const char *name, int64_t t, char out[8]);
/* The calendar date "YYYY-MM-DD" at Unix time t in time zone name (UTC if unknown): the day
 * the usage ledger books an event to. */
void qr_tz_day(const char *name, int64_t t, char out[11]);

#endif
