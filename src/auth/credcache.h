/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the Basic credential cache (issue 15). A CUPS, macOS or Windows queue sends HTTP
 * Basic with every IPP request; once Argon2id has verified a credential, this cache remembers
 * it for a few minutes so that the next requests of the job cost an HMAC and one indexed read
 * instead of an Argon2id each.
 *
 * An entry is found by an HMAC of org slug, username and password under a key drawn at
 * random when the process starts: the password is never kept, and a memory dump reveals
 * nothing that a guess could be checked against offline without that key. Every quired keeps
 * its own cache. An entry also holds the user's auth generation (users.auth_gen) at the time
 * of the check; the caller compares it with the database on every hit, so a password change,
 * lock, deactivation or deletion made on any server ends the entry at its next use. Thread
 * safe (one mutex; every operation is O(1)). */
#ifndef QR_CREDCACHE_H
#define QR_CREDCACHE_H

#include <stddef.h>
#include <stdint.h>

#define QR_CREDCACHE_TTL_S (5 * 60) /* a verified credential is remembered this long */
#define QR_CREDCACHE_MAX 4096       /* entries; the least recently used one gives way */
#define QR_CREDCACHE_KEY_LEN 32

typedef struct qr_credcache qr_credcache_t;

/* What a hit tells: who the credential proved, and the auth generation it was proved at. */
typedef struct qr_credcache_entry {
    char user_id[33];
    char org_id[33];
    int64_t gen;
} qr_credcache_entry_t;

/* Creates an empty cache of at most max entries (at least 1), each valid ttl_s seconds,
 * with a new random HMAC key. Aborts on OOM. */
qr_credcache_t *qr_credcache_create(size_t max, int ttl_s);
/* Frees the cache and wipes its key; accepts NULL. */
void qr_credcache_destroy(qr_credcache_t *cc);
/* The lookup key of a credential: HMAC-SHA-256 of slug, username and password (each
 * length-prefixed) under the cache's key. */
void qr_credcache_key(const qr_credcache_t *cc, const char *slug, const char *username,
                      const char *password, unsigned char key[QR_CREDCACHE_KEY_LEN]);
/* 1 and *out filled if key was stored less than ttl_s seconds before now (the entry becomes
 * the most recently used); 0 otherwise (an expired entry is removed). */
int qr_credcache_get(qr_credcache_t *cc, const unsigned char key[QR_CREDCACHE_KEY_LEN], int64_t now,
                     qr_credcache_entry_t *out);
/* Stores (or replaces) key as verified at now; evicts the least recently used entry when
 * the cache is full. */
void qr_credcache_put(qr_credcache_t *cc, const unsigned char key[QR_CREDCACHE_KEY_LEN],
                      int64_t now, const qr_credcache_entry_t *e);
/* Removes key if present. */
void qr_credcache_drop(qr_credcache_t *cc, const unsigned char key[QR_CREDCACHE_KEY_LEN]);
/* The number of entries (expired ones not yet removed included). */
size_t qr_credcache_size(qr_credcache_t *cc);

#endif
