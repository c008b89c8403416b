/* SPDX-License-Identifier: Apache-2.0 */
/* quire: per-source failure counters in the table login_throttle (source, bucket, failures): a
 * failure is one upsert; a check is one primary-key read. Rows are created only by failed
 * logins, which each cost an Argon2id on the bounded hash pool, and the sweeper deletes
 * past windows, so the table stays small. */
#include "auth/throttle.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define KEY_MAX 64

struct qr_throttle {
    int window_s;
};

qr_throttle_t *qr_throttle_create(int window_s) {
    qr_throttle_t *t = qr_xcalloc(1, sizeof(*t));
    t->window_s = window_s > 0 ? window_s : 60;
    return t;
}

void qr_throttle_destroy(qr_throttle_t *t) {
    free(t);
}

/* The counter a source address falls under: one IPv6 host owns a whole /64 (SLAAC and
 * privacy addresses hand out any number of them), so an IPv6 address counts as its /64;
 * an IPv4-mapped IPv6 address counts as the IPv4 address it carries. Other keys (device
 * ids) are used as they are, cut to KEY_MAX - 1 bytes. Writes into out (KEY_MAX bytes). */
static const char *source_key(const char *key, char *out) {
    struct in6_addr a;
    if (inet_pton(AF_INET6, key, &a) != 1) {
        snprintf(out, KEY_MAX, "%s", key);
        return out;
    }
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(a.s6_addr, mapped, sizeof(mapped)) == 0)
        return inet_ntop(AF_INET, a.s6_addr + 12, out, KEY_MAX) ? out : key;
    memset(a.s6_addr + 8, 0, 8);
    char prefix[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, &a, prefix, sizeof(prefix)))
        return key;
    snprintf(out, KEY_MAX, "%s/64", prefix);
    return out;
}

int qr_throttle_is_blocked(qr_throttle_t *t, qr_dbc_t *c, const char *key, int64_t now, int limit) {
    char norm[KEY_MAX];
    qr_dbres_t *r = NULL;
    int blocked = 0;
    if (qr_db_q(c, &r, NULL, "SELECT failures FROM login_throttle WHERE source = ? AND bucket = ?",
                QR_TEXT(source_key(key, norm)), QR_INT(now / t->window_s)) == QR_OK &&
        qr_dbres_rows(r) == 1)
        blocked = qr_dbres_int(r, 0, 0) >= limit;
    qr_dbres_free(r);
    return blocked;
}

void qr_throttle_add(qr_throttle_t *t, qr_dbc_t *c, const char *key, int64_t now) {
    char norm[KEY_MAX];
    qr_db_q(c, NULL, NULL,
            "INSERT INTO login_throttle (source, bucket, failures) VALUES (?, ?, 1) ON CONFLICT "
            "(source, bucket) DO UPDATE SET failures = login_throttle.failures + 1",
            QR_TEXT(source_key(key, norm)), QR_INT(now / t->window_s));
}

int qr_throttle_sweep(qr_throttle_t *t, qr_dbc_t *c, int64_t now) {
    long long n = 0;
    qr_db_q(c, NULL, &n, "DELETE FROM login_throttle WHERE bucket < ?", QR_INT(now / t->window_s));
    return (int)n;
}
