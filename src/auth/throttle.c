/* SPDX-License-Identifier: Apache-2.0 */
/* quire: per-source failure counters. Slots are chosen by a keyed hash (random key per
 * process) so that sources cannot aim collisions at each other. */
#include "auth/throttle.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "crypto/random.h"

#define SLOTS 8192
#define KEY_MAX 64

struct slot {
    char key[KEY_MAX];
    int64_t window_start;
    int count;
};

struct qr_throttle {
    pthread_mutex_t mu;
    int window_s;
    unsigned char hkey[32];
    struct slot slots[SLOTS];
};

qr_throttle_t *qr_throttle_create(int window_s) {
    qr_throttle_t *t = qr_xcalloc(1, sizeof(*t));
    pthread_mutex_init(&t->mu, NULL);
    t->window_s = window_s;
    qr_random_bytes(t->hkey, sizeof(t->hkey));
    return t;
}

void qr_throttle_destroy(qr_throttle_t *t) {
    if (!t)
        return;
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* The counter a source address falls under: one IPv6 host owns a whole /64 (SLAAC and
 * privacy addresses hand out any number of them), so an IPv6 address counts as its /64;
 * an IPv4-mapped IPv6 address counts as the IPv4 address it carries. Other keys (device
 * ids) are used as they are. Writes into out (at least KEY_MAX bytes). */
static const char *source_key(const char *key, char *out) {
    struct in6_addr a;
    if (inet_pton(AF_INET6, key, &a) != 1)
        return key;
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

static struct slot *find(qr_throttle_t *t, const char *key, int64_t now, int create) {
    char norm[KEY_MAX];
    key = source_key(key, norm);
    unsigned char h[32];
    qr_hmac_sha256(t->hkey, sizeof(t->hkey), key, strlen(key), h);
    uint32_t idx =
        ((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3]) % SLOTS;
    struct slot *s = &t->slots[idx];
    int same = strncmp(s->key, key, KEY_MAX - 1) == 0;
    int expired = now - s->window_start >= t->window_s;
    if (same && !expired)
        return s;
    if (!create)
        return NULL;
    /* Take the slot over when it is free, stale, or holds the same key's old window. */
    snprintf(s->key, KEY_MAX, "%s", key);
    s->window_start = now;
    s->count = 0;
    return s;
}

int qr_throttle_is_blocked(qr_throttle_t *t, const char *key, int64_t now, int limit) {
    pthread_mutex_lock(&t->mu);
    struct slot *s = find(t, key, now, 0);
    int blocked = s && s->count >= limit;
    pthread_mutex_unlock(&t->mu);
    return blocked;
}

void qr_throttle_add(qr_throttle_t *t, const char *key, int64_t now) {
    pthread_mutex_lock(&t->mu);
    struct slot *s = find(t, key, now, 1);
    s->count++;
    pthread_mutex_unlock(&t->mu);
}
