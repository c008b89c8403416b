/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit log's hash chain (REP-4) on a real SQLite database: each entry carries the
 * hash of its org's entry before it, and qr_audit_verify names the first entry where the
 * chain breaks after a row was changed or removed in the database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "cmd/app.h"
#include "store/audit.h"
#include "store/db.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-audit-XXXXXX";

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    qr_err_t err = {QR_OK, NULL, ""};
    return qr_app_open(&ctx, &cfg, NULL, 0, &err) == QR_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    qr_app_close(&ctx, &cfg);
    return fixture_remove(dir);
}

/* What verify said about one org (copied out of the callback). */
struct seen {
    char org[64];
    long long checked, unchained, bad_id, bad_time;
    int broken;
    char action[64], why[200], head[65];
};
static struct seen seen[32];
static int nseen;

static void collect(const qr_audit_chain_t *ch, void *arg) {
    (void)arg;
    assert_true(nseen < 32);
    struct seen *s = &seen[nseen++];
    memset(s, 0, sizeof(*s));
    snprintf(s->org, sizeof(s->org), "%s", ch->org_id);
    s->checked = ch->checked;
    s->unchained = ch->unchained;
    s->broken = ch->broken;
    s->bad_id = ch->bad_id;
    s->bad_time = ch->bad_time;
    snprintf(s->action, sizeof(s->action), "%s", ch->bad_action ? ch->bad_action : "");
    snprintf(s->why, sizeof(s->why), "%s", ch->why ? ch->why : "");
    snprintf(s->head, sizeof(s->head), "%s", ch->head);
}

/* Verifies every org; returns what was said of org (fails if it was not named). */
static const struct seen *verify(const char *org, int *broken) {
    nseen = 0;
    assert_int_equal(qr_audit_verify(ctx.db, NULL, collect, NULL, broken), QR_OK);
    for (int i = 0; i < nseen; i++)
        if (strcmp(seen[i].org, org) == 0)
            return &seen[i];
    fail_msg("verify did not report org %s", org);
    return NULL;
}

static void sql(const char *q, qr_dbval_t a, qr_dbval_t b) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    long long changed = 0;
    assert_int_equal(qr_db_q(c, NULL, &changed, q, a, b), QR_OK);
    assert_true(changed >= 1);
    qr_db_release(c);
}

/* Writes n events of org at times 1000, 1001, ... (one transaction each) and returns their
 * ids into ids. */
static void write_events(const char *org, int n, long long *ids) {
    for (int i = 0; i < n; i++) {
        qr_dbc_t *c = qr_db_acquire(ctx.db);
        char detail[32];
        snprintf(detail, sizeof(detail), "event %d", i);
        assert_int_equal(qr_dbc_begin(c), QR_OK);
        qr_audit_write(c, 1000 + i, org, i % 2 ? "actor-1" : NULL, "test_event",
                       i % 3 ? "target-1" : NULL, detail);
        assert_int_equal(qr_dbc_commit(c), QR_OK);
        qr_dbres_t *r = NULL;
        assert_int_equal(
            qr_db_q(c, &r, NULL, "SELECT MAX(id) FROM audit WHERE org_id = ?", QR_TEXT(org)),
            QR_OK);
        ids[i] = qr_dbres_int(r, 0, 0);
        qr_dbres_free(r);
        qr_db_release(c);
    }
}

/* The SHA-256 hex of s, by OpenSSL directly (not through quire's helpers). */
static void sha256_hex(const char *s, char out[65]) {
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)s, strlen(s), d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* REP-4: the first entry's hash is SHA-256 over the documented length-prefixed encoding with
 * prev_hash "", the second links to it, and another org's entries form a chain of their own. */
static void test_rep4_entries_are_chained_per_org(void **state) {
    (void)state;
    long long a[3], b[2];
    write_events("org-chain-a", 1, a);
    write_events("org-chain-b", 2, b);
    write_events("org-chain-a", 2, a + 1);
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(qr_db_q(c, &r, NULL,
                             "SELECT prev_hash, hash FROM audit WHERE org_id = ? ORDER BY id",
                             QR_TEXT("org-chain-a")),
                     QR_OK);
    assert_int_equal(qr_dbres_rows(r), 3);
    char first[65], second[65], enc[512];
    sha256_hex("quire-audit-v1,11:org-chain-a,4:1000,-,10:test_event,-,7:event 0,0:,", first);
    assert_string_equal(qr_dbres_text(r, 0, 0), "");
    assert_string_equal(qr_dbres_text(r, 0, 1), first);
    /* The second of org a is its second write (time 1000 again: write_events restarts). */
    snprintf(enc, sizeof(enc),
             "quire-audit-v1,11:org-chain-a,4:1000,-,10:test_event,-,7:event 0,64:%s,", first);
    sha256_hex(enc, second);
    assert_string_equal(qr_dbres_text(r, 1, 0), first);
    assert_string_equal(qr_dbres_text(r, 1, 1), second);
    assert_string_equal(qr_dbres_text(r, 2, 0), second);
    qr_dbres_free(r);
    qr_db_release(c);
    int broken = -1;
    const struct seen *s = verify("org-chain-a", &broken);
    assert_int_equal(broken, 0);
    assert_int_equal(s->broken, 0);
    assert_int_equal(s->checked, 3);
    s = verify("org-chain-b", &broken);
    assert_int_equal(s->checked, 2);
    assert_int_equal(s->broken, 0);
}

/* REP-4: a changed detail breaks the chain at that entry. */
static void test_rep4_changed_detail_breaks_at_that_entry(void **state) {
    (void)state;
    long long ids[5];
    write_events("org-detail", 5, ids);
    sql("UPDATE audit SET detail = ? WHERE id = ?", QR_TEXT("nothing happened"), QR_INT(ids[2]));
    int broken = 0;
    const struct seen *s = verify("org-detail", &broken);
    assert_int_equal(broken, 1);
    assert_int_equal(s->broken, 1);
    assert_int_equal(s->bad_id, ids[2]);
    assert_int_equal(s->bad_time, 1002);
    assert_string_equal(s->action, "test_event");
    assert_int_equal(s->checked, 2);
    assert_non_null(strstr(s->why, "changed"));
    /* Other orgs' chains are not affected. */
    assert_int_equal(verify("org-chain-a", &broken)->broken, 0);
}

/* REP-4: a changed time breaks the chain at that entry. */
static void test_rep4_changed_time_breaks_at_that_entry(void **state) {
    (void)state;
    long long ids[4];
    write_events("org-time", 4, ids);
    sql("UPDATE audit SET time = ? WHERE id = ?", QR_INT(5), QR_INT(ids[1]));
    int broken = 0;
    const struct seen *s = verify("org-time", &broken);
    assert_int_equal(s->broken, 1);
    assert_int_equal(s->bad_id, ids[1]);
    assert_int_equal(s->bad_time, 5);
    assert_int_equal(s->checked, 1);
}

/* REP-4: a removed middle entry breaks the chain at the entry after it; an entry whose hash
 * was recomputed after a change breaks it at the next one. */
static void test_rep4_removed_entry_breaks_at_the_next(void **state) {
    (void)state;
    long long ids[5];
    write_events("org-delete", 5, ids);
    sql("DELETE FROM audit WHERE id = ? AND org_id = ?", QR_INT(ids[2]), QR_TEXT("org-delete"));
    int broken = 0;
    const struct seen *s = verify("org-delete", &broken);
    assert_int_equal(s->broken, 1);
    assert_int_equal(s->bad_id, ids[3]);
    assert_int_equal(s->checked, 2);
    assert_non_null(strstr(s->why, "removed"));

    long long more[3];
    write_events("org-rehash", 3, more);
    char h[65];
    qr_audit_hash("org-rehash", 1000, NULL, "test_event", NULL, "forged", "", h);
    sql("UPDATE audit SET detail = 'forged', hash = ? WHERE id = ?", QR_TEXT(h), QR_INT(more[0]));
    s = verify("org-rehash", &broken);
    assert_int_equal(s->broken, 1);
    assert_int_equal(s->bad_id, more[1]);
}

/* Retention deletes an org's oldest entries: the oldest remaining one's prev_hash is taken as
 * given, so the rest still verifies. */
static void test_rep4_retention_keeps_the_chain_valid(void **state) {
    (void)state;
    long long ids[4];
    write_events("org-retention", 4, ids);
    sql("DELETE FROM audit WHERE org_id = ? AND id <= ?", QR_TEXT("org-retention"), QR_INT(ids[1]));
    int broken = 0;
    const struct seen *s = verify("org-retention", &broken);
    assert_int_equal(s->broken, 0);
    assert_int_equal(s->checked, 2);
}

/* Entries that predate the chain (hash NULL) are reported as such, and the org's next write
 * chains them oldest first; a hash removed later is a break. */
static void test_rep4_entries_before_the_chain_are_chained_on_next_write(void **state) {
    (void)state;
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    for (int i = 0; i < 3; i++)
        assert_int_equal(qr_db_q(c, NULL, NULL,
                                 "INSERT INTO audit (org_id, time, actor_id, action, target_id, "
                                 "detail) VALUES (?, ?, NULL, 'old_event', NULL, '')",
                                 QR_TEXT("org-legacy"), QR_INT(500 + i)),
                         QR_OK);
    qr_db_release(c);
    int broken = 0;
    const struct seen *s = verify("org-legacy", &broken);
    assert_int_equal(s->broken, 0);
    assert_int_equal(s->unchained, 3);
    assert_int_equal(s->checked, 0);
    long long ids[1];
    write_events("org-legacy", 1, ids); /* without the caller's transaction too: below */
    c = qr_db_acquire(ctx.db);
    qr_audit_write(c, 2000, "org-legacy", NULL, "autocommit_event", NULL, NULL);
    qr_db_release(c);
    s = verify("org-legacy", &broken);
    assert_int_equal(s->broken, 0);
    assert_int_equal(s->unchained, 0);
    assert_int_equal(s->checked, 5);

    c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(qr_db_q(c, &r, NULL,
                             "SELECT id FROM audit WHERE org_id = ? ORDER BY id LIMIT 1 OFFSET 1",
                             QR_TEXT("org-legacy")),
                     QR_OK);
    long long second = qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    qr_db_release(c);
    sql("UPDATE audit SET hash = NULL WHERE id = ? AND org_id = ?", QR_INT(second),
        QR_TEXT("org-legacy"));
    s = verify("org-legacy", &broken);
    assert_int_equal(s->broken, 1);
    assert_int_equal(s->bad_id, second);
}

/* verify of one org: an unknown org is QR_E_NOT_FOUND. */
static void test_rep4_verify_unknown_org(void **state) {
    (void)state;
    int broken = 0;
    assert_int_equal(
        qr_audit_verify(ctx.db, "0123456789abcdef0123456789abcdef", collect, NULL, &broken),
        QR_E_NOT_FOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rep4_entries_are_chained_per_org),
        cmocka_unit_test(test_rep4_changed_detail_breaks_at_that_entry),
        cmocka_unit_test(test_rep4_changed_time_breaks_at_that_entry),
        cmocka_unit_test(test_rep4_removed_entry_breaks_at_the_next),
        cmocka_unit_test(test_rep4_retention_keeps_the_chain_valid),
        cmocka_unit_test(test_rep4_entries_before_the_chain_are_chained_on_next_write),
        cmocka_unit_test(test_rep4_verify_unknown_org),
    };
    return cmocka_run_group_tests_name("audit", tests, setup, teardown);
}
