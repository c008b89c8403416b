/* SPDX-License-Identifier: Apache-2.0 */
/* quire: JSON-lines logger. */
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static _Atomic int min_level = QR_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void qr_log_set_level(qr_log_level_t level) {
    atomic_store(&min_level, (int)level);
}

int qr_log_parse_level(const char *s) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

/* Appends s to out as JSON string content (without quotes), truncating at cap. */
static size_t json_escape(char *out, size_t pos, size_t cap, const char *s) {
    for (; *s && pos + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[pos++] = '\\';
            out[pos++] = (char)c;
        } else if (c < 0x20) {
            pos += (size_t)snprintf(out + pos, cap - pos, "\\u%04x", c);
        } else {
            out[pos++] = (char)c;
        }
    }
    return pos;
}

void qr_log(qr_log_level_t level, const char *event, const char *fmt, ...) {
    if ((int)level < atomic_load(&min_level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char line[2600];
    size_t pos = strftime(line, sizeof(line), "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
    pos +=
        (size_t)snprintf(line + pos, sizeof(line) - pos, ".%03ldZ\",\"level\":\"%s\",\"event\":\"",
                         ts.tv_nsec / 1000000, level_names[level]);
    pos = json_escape(line, pos, sizeof(line) - 40, event);
    pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "\",\"msg\":\"");
    pos = json_escape(line, pos, sizeof(line) - 8, msg);
    pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "\"}\n");
    fwrite(line, 1, pos, stderr);
}
