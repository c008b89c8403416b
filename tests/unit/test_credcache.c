/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the Basic credential cache (issue 15) on its own: keys, expiry, eviction of the least
 * recently used entry, removal, and that a key depends on every part of the credential. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "auth/credcache.h"

static qr_credcache_entry_t entry(const char *uid, int64_t gen) {
    qr_credcache_entry_t e;
    memset(&e, 0, sizeof(e));
    snprintf(e.user_id, sizeof(e.user_id), "%s", uid);
    snprintf(e.org_id, sizeof(e.org_id), "org-%s", uid);
    e.gen = gen;
    return e;
}

static void test_key_depends_on_every_part_and_never_holds_the_password(void **state) {
    (void)state;
    qr_credcache_t *cc = qr_credcache_create(8, 300);
    unsigned char a[32], b[32], c[32], d[32], e[32];
    qr_credcache_key(cc, "acme", "alice", "Secret-pass-1", a);
    qr_credcache_key(cc, "acme", "alice", "Secret-pass-1", b);
    qr_credcache_key(cc, "acme", "alice", "Secret-pass-2", c);
    qr_credcache_key(cc, "acmea", "lice", "Secret-pass-1", d); /* same bytes, other split */
    qr_credcache_key(cc, "other", "alice", "Secret-pass-1", e);
    assert_memory_equal(a, b, 32);
    assert_memory_not_equal(a, c, 32);
    assert_memory_not_equal(a, d, 32);
    assert_memory_not_equal(a, e, 32);
    /* Another process (another random key) derives another key for the same credential. */
    qr_credcache_t *other = qr_credcache_create(8, 300);
    qr_credcache_key(other, "acme", "alice", "Secret-pass-1", b);
    assert_memory_not_equal(a, b, 32);
    qr_credcache_destroy(other);
    qr_credcache_destroy(cc);
}

static void test_hit_until_ttl_then_gone(void **state) {
    (void)state;
    qr_credcache_t *cc = qr_credcache_create(8, QR_CREDCACHE_TTL_S);
    unsigned char k[32];
    qr_credcache_key(cc, "acme", "alice", "Secret-pass-1", k);
    qr_credcache_entry_t e = entry("u1", 7), got;
    assert_int_equal(qr_credcache_get(cc, k, 1000, &got), 0);
    qr_credcache_put(cc, k, 1000, &e);
    assert_int_equal(qr_credcache_get(cc, k, 1000 + QR_CREDCACHE_TTL_S - 1, &got), 1);
    assert_string_equal(got.user_id, "u1");
    assert_string_equal(got.org_id, "org-u1");
    assert_int_equal(got.gen, 7);
    /* A hit does not extend the life of the entry: 5 minutes after the check, it is gone. */
    assert_int_equal(qr_credcache_get(cc, k, 1000 + QR_CREDCACHE_TTL_S, &got), 0);
    assert_int_equal(qr_credcache_size(cc), 0);
    qr_credcache_destroy(cc);
}

static void test_full_cache_evicts_least_recently_used(void **state) {
    (void)state;
    enum { MAX = 4 };
    qr_credcache_t *cc = qr_credcache_create(MAX, 300);
    unsigned char k[MAX + 1][32];
    char pw[32];
    for (int i = 0; i <= MAX; i++) {
        snprintf(pw, sizeof(pw), "Secret-pass-%d", i);
        qr_credcache_key(cc, "acme", "alice", pw, k[i]);
    }
    qr_credcache_entry_t e = entry("u", 0), got;
    for (int i = 0; i < MAX; i++)
        qr_credcache_put(cc, k[i], 10, &e);
    assert_int_equal(qr_credcache_get(cc, k[0], 11, &got), 1); /* 0 is now the most recent */
    qr_credcache_put(cc, k[MAX], 12, &e);                      /* full: 1 gives way */
    assert_int_equal(qr_credcache_size(cc), MAX);
    assert_int_equal(qr_credcache_get(cc, k[1], 13, &got), 0);
    assert_int_equal(qr_credcache_get(cc, k[0], 13, &got), 1);
    assert_int_equal(qr_credcache_get(cc, k[2], 13, &got), 1);
    assert_int_equal(qr_credcache_get(cc, k[MAX], 13, &got), 1);
    qr_credcache_destroy(cc);
}

static void test_put_replaces_and_drop_removes(void **state) {
    (void)state;
    qr_credcache_t *cc = qr_credcache_create(2, 300);
    unsigned char k[32];
    qr_credcache_key(cc, "acme", "bob", "Secret-pass-1", k);
    qr_credcache_entry_t e1 = entry("u1", 1), e2 = entry("u1", 2), got;
    qr_credcache_put(cc, k, 10, &e1);
    qr_credcache_put(cc, k, 20, &e2);
    assert_int_equal(qr_credcache_size(cc), 1);
    assert_int_equal(qr_credcache_get(cc, k, 21, &got), 1);
    assert_int_equal(got.gen, 2);
    qr_credcache_drop(cc, k);
    assert_int_equal(qr_credcache_get(cc, k, 21, &got), 0);
    qr_credcache_drop(cc, k); /* absent: nothing happens */
    assert_int_equal(qr_credcache_size(cc), 0);
    qr_credcache_destroy(NULL);
    qr_credcache_destroy(cc);
}

/* Many keys through a small cache: chains, the order of use and the free list stay whole. */
static void test_churn_keeps_the_structure_whole(void **state) {
    (void)state;
    enum { MAX = 16, N = 2000 };
    qr_credcache_t *cc = qr_credcache_create(MAX, 300);
    char pw[32];
    unsigned char k[32];
    qr_credcache_entry_t e = entry("u", 0), got;
    for (int i = 0; i < N; i++) {
        snprintf(pw, sizeof(pw), "Secret-pass-%d", i);
        qr_credcache_key(cc, "acme", "carol", pw, k);
        qr_credcache_put(cc, k, 100, &e);
        if (i % 3 == 0)
            qr_credcache_drop(cc, k);
        assert_true(qr_credcache_size(cc) <= MAX);
    }
    int hits = 0;
    for (int i = N - 3 * MAX; i < N; i++) { /* 2 of 3 kept: the last MAX kept are here */
        snprintf(pw, sizeof(pw), "Secret-pass-%d", i);
        qr_credcache_key(cc, "acme", "carol", pw, k);
        hits += qr_credcache_get(cc, k, 101, &got);
    }
    assert_int_equal(hits, (int)qr_credcache_size(cc));
    qr_credcache_destroy(cc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_depends_on_every_part_and_never_holds_the_password),
        cmocka_unit_test(test_hit_until_ttl_then_gone),
        cmocka_unit_test(test_full_cache_evicts_least_recently_used),
        cmocka_unit_test(test_put_replaces_and_drop_removes),
        cmocka_unit_test(test_churn_keeps_the_structure_whole),
    };
    return cmocka_run_group_tests_name("credcache", tests, NULL, NULL);
}
