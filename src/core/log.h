/* SPDX-License-Identifier: Apache-2.0 */
/* quire: structured logging, one JSON object per line on stderr (OPS-3). Never pass a
 * password, token or other secret to these functions. */
#ifndef QR_LOG_H
#define QR_LOG_H

typedef enum qr_log_level {
    QR_LOG_DEBUG = 0,
    QR_LOG_INFO,
    QR_LOG_WARN,
    QR_LOG_ERROR
} qr_log_level_t;

/* Sets the minimum level written (default info). */
void qr_log_set_level(qr_log_level_t level);
/* Parses "debug", "info", "warn" or "error"; returns -1 if unknown. */
int qr_log_parse_level(const char *s);
/* Writes one line {"ts":..., "level":..., "event": event, "msg": formatted}. */
void qr_log(qr_log_level_t level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define qr_log_info(ev, ...) qr_log(QR_LOG_INFO, ev, __VA_ARGS__)
#define qr_log_warn(ev, ...) qr_log(QR_LOG_WARN, ev, __VA_ARGS__)
#define qr_log_error(ev, ...) qr_log(QR_LOG_ERROR, ev, __VA_ARGS__)
#define qr_log_debug(ev, ...) qr_log(QR_LOG_DEBUG, ev, __VA_ARGS__)

#endif
