/* SPDX-License-Identifier: Apache-2.0 */
/* quire: time zones through ICU's calendar, which is thread-safe (unlike TZ + localtime_r)
 * and carries the IANA database with its daylight-saving rules. */
#include "core/tz.h"

#include <stdio.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define NAME_MAX_LEN 64

/* Converts an ASCII zone name to UTF-16; 0 if it is not a plausible zone name. */
static int to_uchar(const char *name, UChar out[NAME_MAX_LEN + 1]) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > NAME_MAX_LEN ||
        strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n)
        return 0;
    u_uastrncpy(out, name, NAME_MAX_LEN + 1);
    return 1;
}

int qr_tz_valid(const char *name) {
    UChar id[NAME_MAX_LEN + 1], canon[NAME_MAX_LEN * 2];
    UBool system = 0;
    UErrorCode e = U_ZERO_ERROR;
    if (!to_uchar(name, id))
        return 0;
    ucal_getCanonicalTimeZoneID(id, -1, canon, (int32_t)(sizeof(canon) / sizeof(canon[0])), &system,
                                &e);
    return U_SUCCESS(e) && system;
}

/* The calendar date at Unix time t in time zone name (UTC if unknown), 1970-01-01 if ICU
 * fails. */
static void date_at(const char *name, int64_t t, int *year, int *month, int *day) {
    UChar id[NAME_MAX_LEN + 1];
    UErrorCode e = U_ZERO_ERROR;
    if (!qr_tz_valid(name))
        name = "UTC";
    to_uchar(name, id);
    UCalendar *cal = ucal_open(id, -1, "en_US@calendar=gregorian", UCAL_GREGORIAN, &e);
    *year = 1970, *month = 1, *day = 1;
    if (U_SUCCESS(e)) {
        ucal_setMillis(cal, (UDate)t * 1000.0, &e);
        int y = ucal_get(cal, UCAL_EXTENDED_YEAR, &e), m = ucal_get(cal, UCAL_MONTH, &e),
            d = ucal_get(cal, UCAL_DATE, &e);
        if (U_SUCCESS(e)) {
            *year = y;
            *month = m + 1;
            *day = d;
        }
    }
    if (cal)
        ucal_close(cal);
    if (*year < 0 || *year > 9999 || *month < 1 || *month > 12 || *day < 1 || *day > 31)
        *year = 1970, *month = 1, *day = 1;
}

void qr_tz_month(const char *name, int64_t t, char out[8]) {
    int year, month, day;
    date_at(name, t, &year, &month, &day);
    snprintf(out, 8, "%04u-%02u", (unsigned)year % 10000u, (unsigned)month % 100u);
}

void qr_tz_day(const char *name, int64_t t, char out[11]) {
    int year, month, day;
    date_at(name, t, &year, &month, &day);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)year % 10000u, (unsigned)month % 100u,
             (unsigned)day % 100u);
}
