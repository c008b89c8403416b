/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the Basic credential cache: a fixed array of entries, a chained hash table of their
 * indices (the key is already an HMAC, so its first bytes are the hash) and a doubly linked
 * list in order of use for eviction. Nothing is allocated after creation. */
#include "auth/credcache.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "crypto/random.h"

#define NIL (-1)

struct slot {
    unsigned char key[QR_CREDCACHE_KEY_LEN];
    qr_credcache_entry_t e;
    int64_t stored_at;
    long hnext;      /* next in the bucket's chain, or in the free list */
    long prev, next; /* order of use: head is the most recent */
};

struct qr_credcache {
    pthread_mutex_t mu;
    unsigned char secret[32];
    int ttl_s;
    size_t max, used, nbuckets; /* nbuckets: a power of two */
    long *buckets;
    struct slot *slots;
    long free, head, tail;
};

qr_credcache_t *qr_credcache_create(size_t max, int ttl_s) {
    qr_credcache_t *cc = qr_xcalloc(1, sizeof(*cc));
    pthread_mutex_init(&cc->mu, NULL);
    qr_random_bytes(cc->secret, sizeof(cc->secret));
    cc->ttl_s = ttl_s;
    cc->max = max ? max : 1;
    cc->nbuckets = 1;
    while (cc->nbuckets < 2 * cc->max)
        cc->nbuckets <<= 1;
    cc->buckets = qr_xmalloc(cc->nbuckets * sizeof(long));
    for (size_t i = 0; i < cc->nbuckets; i++)
        cc->buckets[i] = NIL;
    cc->slots = qr_xcalloc(cc->max, sizeof(struct slot));
    for (size_t i = 0; i < cc->max; i++)
        cc->slots[i].hnext = i + 1 < cc->max ? (long)i + 1 : NIL;
    cc->free = 0;
    cc->head = cc->tail = NIL;
    return cc;
}

void qr_credcache_destroy(qr_credcache_t *cc) {
    if (!cc)
        return;
    OPENSSL_cleanse(cc->secret, sizeof(cc->secret));
    OPENSSL_cleanse(cc->slots, cc->max * sizeof(struct slot));
    free(cc->slots);
    free(cc->buckets);
    pthread_mutex_destroy(&cc->mu);
    free(cc);
}

void qr_credcache_key(const qr_credcache_t *cc, const char *slug, const char *username,
                      const char *password, unsigned char key[QR_CREDCACHE_KEY_LEN]) {
    char *msg = qr_xasprintf("%zu:%s%zu:%s%zu:%s", strlen(slug), slug, strlen(username), username,
                             strlen(password), password);
    qr_hmac_sha256(cc->secret, sizeof(cc->secret), msg, strlen(msg), key);
    OPENSSL_cleanse(msg, strlen(msg));
    free(msg);
}

static size_t bucket_of(const qr_credcache_t *cc, const unsigned char *key) {
    size_t h;
    memcpy(&h, key, sizeof(h));
    return h & (cc->nbuckets - 1);
}

static long find(const qr_credcache_t *cc, const unsigned char *key) {
    for (long i = cc->buckets[bucket_of(cc, key)]; i != NIL; i = cc->slots[i].hnext)
        if (memcmp(cc->slots[i].key, key, QR_CREDCACHE_KEY_LEN) == 0)
            return i;
    return NIL;
}

static void lru_unlink(qr_credcache_t *cc, long i) {
    struct slot *s = &cc->slots[i];
    if (s->prev != NIL)
        cc->slots[s->prev].next = s->next;
    else
        cc->head = s->next;
    if (s->next != NIL)
        cc->slots[s->next].prev = s->prev;
    else
        cc->tail = s->prev;
}

static void lru_push(qr_credcache_t *cc, long i) {
    struct slot *s = &cc->slots[i];
    s->prev = NIL;
    s->next = cc->head;
    if (cc->head != NIL)
        cc->slots[cc->head].prev = i;
    cc->head = i;
    if (cc->tail == NIL)
        cc->tail = i;
}

/* Takes slot i out of its chain and the order of use, wipes it and frees it. */
static void remove_slot(qr_credcache_t *cc, long i) {
    long *link = &cc->buckets[bucket_of(cc, cc->slots[i].key)];
    while (*link != i)
        link = &cc->slots[*link].hnext;
    *link = cc->slots[i].hnext;
    lru_unlink(cc, i);
    OPENSSL_cleanse(&cc->slots[i], sizeof(struct slot));
    cc->slots[i].hnext = cc->free;
    cc->free = i;
    cc->used--;
}

int qr_credcache_get(qr_credcache_t *cc, const unsigned char key[QR_CREDCACHE_KEY_LEN], int64_t now,
                     qr_credcache_entry_t *out) {
    pthread_mutex_lock(&cc->mu);
    long i = find(cc, key);
    int hit = 0;
    if (i != NIL && now - cc->slots[i].stored_at >= cc->ttl_s) {
        remove_slot(cc, i);
    } else if (i != NIL) {
        *out = cc->slots[i].e;
        lru_unlink(cc, i);
        lru_push(cc, i);
        hit = 1;
    }
    pthread_mutex_unlock(&cc->mu);
    return hit;
}

void qr_credcache_put(qr_credcache_t *cc, const unsigned char key[QR_CREDCACHE_KEY_LEN],
                      int64_t now, const qr_credcache_entry_t *e) {
    pthread_mutex_lock(&cc->mu);
    long i = find(cc, key);
    if (i != NIL)
        remove_slot(cc, i);
    if (cc->free == NIL)
        remove_slot(cc, cc->tail); /* full: the least recently used entry gives way */
    i = cc->free;
    struct slot *s = &cc->slots[i];
    cc->free = s->hnext;
    memcpy(s->key, key, QR_CREDCACHE_KEY_LEN);
    s->e = *e;
    s->stored_at = now;
    size_t b = bucket_of(cc, key);
    s->hnext = cc->buckets[b];
    cc->buckets[b] = i;
    lru_push(cc, i);
    cc->used++;
    pthread_mutex_unlock(&cc->mu);
}

void qr_credcache_drop(qr_credcache_t *cc, const unsigned char key[QR_CREDCACHE_KEY_LEN]) {
    pthread_mutex_lock(&cc->mu);
    long i = find(cc, key);
    if (i != NIL)
        remove_slot(cc, i);
    pthread_mutex_unlock(&cc->mu);
}

size_t qr_credcache_size(qr_credcache_t *cc) {
    pthread_mutex_lock(&cc->mu);
    size_t n = cc->used;
    pthread_mutex_unlock(&cc->mu);
    return n;
}
