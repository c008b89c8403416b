/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit sink, one INSERT into the audit table on the caller's connection, chained
 * per org by SHA-256 (REP-4), and the check of that chain. */
#include "store/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "crypto/random.h"

#define AUDIT_HASH_TAG "quire-audit-v1,"
#define AUDIT_HASH_MAX (4 * 1024 * 1024) /* the encoding of one entry, far above any detail */
#define AUDIT_LOCK_SPACE 7331013         /* first key of the per-org advisory lock */
#define AUDIT_BATCH 1000                 /* entries read at a time by chaining and verify */

/* The columns the hash covers, in the order of qr_audit_hash, then prev_hash and hash. */
#define CHAIN_COLUMNS "id, org_id, time, actor_id, action, target_id, detail, prev_hash, hash"

static void put_field(qr_buf_t *b, const char *s) {
    if (!s) {
        qr_buf_puts(b, "-,");
        return;
    }
    char len[24];
    snprintf(len, sizeof(len), "%zu:", strlen(s));
    qr_buf_puts(b, len);
    qr_buf_append(b, s, strlen(s));
    qr_buf_puts(b, ",");
}

void qr_audit_hash(const char *org_id, int64_t time, const char *actor_id, const char *action,
                   const char *target_id, const char *detail, const char *prev_hash, char out[65]) {
    qr_buf_t b;
    char t[24];
    qr_buf_init(&b, AUDIT_HASH_MAX);
    snprintf(t, sizeof(t), "%lld", (long long)time);
    qr_buf_puts(&b, AUDIT_HASH_TAG);
    put_field(&b, org_id);
    put_field(&b, t);
    put_field(&b, actor_id);
    put_field(&b, action);
    put_field(&b, target_id);
    put_field(&b, detail);
    put_field(&b, prev_hash);
    qr_sha256_hex(b.ptr ? b.ptr : "", b.len, out);
    qr_buf_free(&b);
}

/* The hash row i of a CHAIN_COLUMNS result should carry, given its stored prev_hash. */
static void row_hash(const qr_dbres_t *r, int i, const char *prev, char out[65]) {
    qr_audit_hash(qr_dbres_text(r, i, 1), qr_dbres_int(r, i, 2), qr_dbres_text(r, i, 3),
                  qr_dbres_text(r, i, 4), qr_dbres_text(r, i, 5), qr_dbres_text(r, i, 6), prev,
                  out);
}

/* Serializes the audit writers of one org until the transaction ends. On SQLite the open
 * transaction already holds the database's write lock (BEGIN IMMEDIATE). */
static qr_status_t chain_lock(qr_dbc_t *c, const char *org_id) {
    if (qr_dbc_kind(c) != QR_DB_PG)
        return QR_OK;
    char h[65];
    qr_sha256_hex(org_id, strlen(org_id), h);
    uint32_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 4 | (uint32_t)(h[i] <= '9' ? h[i] - '0' : h[i] - 'a' + 10);
    long long key = (int32_t)k;
    return qr_db_q(c, NULL, NULL, "SELECT pg_advisory_xact_lock(?, CAST(? AS INTEGER))",
                   QR_INT(AUDIT_LOCK_SPACE), QR_INT(key));
}

/* Chains the entries of org_id written before the schema had the chain (hash NULL), oldest
 * first, from prev_hash "". They all precede the first chained entry. */
static qr_status_t chain_legacy(qr_dbc_t *c, const char *org_id) {
    char prev[65] = "";
    long long after = 0;
    qr_status_t st = QR_OK;
    for (;;) {
        qr_dbres_t *r = NULL;
        st = qr_db_q(c, &r, NULL,
                     "SELECT " CHAIN_COLUMNS " FROM audit WHERE org_id = ? AND hash IS NULL AND "
                     "id > ? ORDER BY id LIMIT ?",
                     QR_TEXT(org_id), QR_INT(after), QR_INT(AUDIT_BATCH));
        int n = qr_dbres_rows(r);
        for (int i = 0; !st && i < n; i++) {
            char h[65];
            row_hash(r, i, prev, h);
            after = qr_dbres_int(r, i, 0);
            st = qr_db_q(c, NULL, NULL,
                         "UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ? AND org_id = ?",
                         QR_TEXT(prev), QR_TEXT(h), QR_INT(after), QR_TEXT(org_id));
            memcpy(prev, h, sizeof(prev));
        }
        qr_dbres_free(r);
        if (st || n < AUDIT_BATCH)
            return st;
    }
}

/* The hash of org_id's newest entry into prev ("" if it has none), chaining the entries that
 * predate the chain first. Under chain_lock. */
static qr_status_t chain_head(qr_dbc_t *c, const char *org_id, char prev[65]) {
    qr_dbres_t *r = NULL;
    prev[0] = '\0';
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT hash FROM audit WHERE org_id = ? ORDER BY id DESC LIMIT 1",
                QR_TEXT(org_id));
    int legacy = !st && qr_dbres_rows(r) == 1 && qr_dbres_isnull(r, 0, 0);
    if (!st && qr_dbres_rows(r) == 1 && !legacy)
        snprintf(prev, 65, "%s", qr_dbres_text(r, 0, 0));
    qr_dbres_free(r);
    if (legacy) {
        st = chain_legacy(c, org_id);
        if (!st)
            return chain_head(c, org_id, prev);
    }
    return st;
}

void qr_audit_write(qr_dbc_t *c, int64_t now, const char *org_id, const char *actor_id,
                    const char *action, const char *target_id, const char *detail) {
    if (!org_id || !action) {
        qr_log_error("audit_failed", "an audit event without org or action was not recorded");
        return;
    }
    int own = !qr_dbc_in_tx(c);
    qr_status_t st = own ? qr_dbc_begin(c) : QR_OK;
    char prev[65] = "", hash[65];
    if (!st)
        st = chain_lock(c, org_id);
    if (!st)
        st = chain_head(c, org_id, prev);
    if (!st) {
        qr_audit_hash(org_id, now, actor_id, action, target_id, detail ? detail : "", prev, hash);
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO audit (org_id, time, actor_id, action, target_id, detail, "
                     "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     QR_TEXT(org_id), QR_INT(now), QR_TEXT(actor_id), QR_TEXT(action),
                     QR_TEXT(target_id), QR_TEXT(detail ? detail : ""), QR_TEXT(prev),
                     QR_TEXT(hash));
    }
    if (own && !st)
        st = qr_dbc_commit(c);
    else if (own)
        qr_dbc_rollback(c);
    if (st)
        qr_log_error("audit_failed", "could not record %s in org %s", action, org_id);
}

/* The walk through one org's chain. */
typedef struct walk {
    qr_audit_chain_t out;
    long long null_id, null_time; /* the first entry without a hash */
    char *null_action;
    char *bad_action;
} walk_t;

static void walk_break(walk_t *w, long long id, long long time, const char *action,
                       const char *why) {
    w->out.broken = 1;
    w->out.bad_id = id;
    w->out.bad_time = time;
    w->bad_action = qr_xstrdup(action ? action : "");
    w->out.bad_action = w->bad_action;
    w->out.why = why;
}

/* Checks row i (CHAIN_COLUMNS) against the walk so far. */
static void walk_row(walk_t *w, const qr_dbres_t *r, int i) {
    long long id = qr_dbres_int(r, i, 0), time = qr_dbres_int(r, i, 2);
    const char *action = qr_dbres_text(r, i, 4);
    if (qr_dbres_isnull(r, i, 8)) {
        if (w->out.checked > 0) {
            walk_break(w, id, time, action, "the entry has no hash (its hash was removed)");
        } else if (w->out.unchained++ == 0) {
            w->null_id = id;
            w->null_time = time;
            w->null_action = qr_xstrdup(action ? action : "");
        }
        return;
    }
    if (w->out.unchained > 0) {
        walk_break(w, w->null_id, w->null_time, w->null_action,
                   "the entry has no hash but later entries are chained (its hash was removed)");
        return;
    }
    const char *prev = qr_dbres_isnull(r, i, 7) ? "" : qr_dbres_text(r, i, 7);
    char h[65];
    row_hash(r, i, prev, h);
    if (strcmp(h, qr_dbres_text(r, i, 8)) != 0)
        walk_break(w, id, time, action,
                   "the entry's content does not match its hash (the entry was changed)");
    else if (w->out.checked > 0 && strcmp(prev, w->out.head) != 0)
        walk_break(w, id, time, action,
                   "the entry does not follow the entry before it (an entry before it was "
                   "removed, inserted or changed)");
    else {
        w->out.checked++;
        memcpy(w->out.head, h, sizeof(h));
    }
}

static qr_status_t verify_org(qr_dbc_t *c, const char *org_id, qr_audit_chain_fn fn, void *arg,
                              int *broken) {
    walk_t w;
    memset(&w, 0, sizeof(w));
    w.out.org_id = org_id;
    long long after = 0;
    qr_status_t st = QR_OK;
    int n = AUDIT_BATCH;
    while (!st && !w.out.broken && n == AUDIT_BATCH) {
        qr_dbres_t *r = NULL;
        st = qr_db_q(c, &r, NULL,
                     "SELECT " CHAIN_COLUMNS " FROM audit WHERE org_id = ? AND id > ? "
                     "ORDER BY id LIMIT ?",
                     QR_TEXT(org_id), QR_INT(after), QR_INT(AUDIT_BATCH));
        n = qr_dbres_rows(r);
        for (int i = 0; !st && i < n && !w.out.broken; i++) {
            walk_row(&w, r, i);
            after = qr_dbres_int(r, i, 0);
        }
        qr_dbres_free(r);
    }
    if (!st) {
        *broken += w.out.broken;
        fn(&w.out, arg);
    }
    free(w.null_action);
    free(w.bad_action);
    return st;
}

/* Every org with audit entries, by id, one id at a time: the list is not held either. */
static qr_status_t verify_all(qr_dbc_t *c, qr_audit_chain_fn fn, void *arg, int *broken) {
    char *last = qr_xstrdup("");
    qr_status_t st = QR_OK;
    for (;;) {
        qr_dbres_t *r = NULL;
        st = qr_db_q(c, &r, NULL, "SELECT MIN(org_id) FROM audit WHERE org_id > ?", QR_TEXT(last));
        char *next = !st && qr_dbres_rows(r) == 1 ? qr_dbres_strdup(r, 0, 0) : NULL;
        qr_dbres_free(r);
        if (!next)
            break;
        free(last);
        last = next;
        if ((st = verify_org(c, last, fn, arg, broken)))
            break;
    }
    free(last);
    return st;
}

qr_status_t qr_audit_verify(qr_db_t *db, const char *org_id, qr_audit_chain_fn fn, void *arg,
                            int *broken) {
    *broken = 0;
    qr_dbc_t *c = qr_db_acquire(db);
    qr_status_t st;
    if (org_id) {
        qr_dbres_t *r = NULL;
        st = qr_db_q(c, &r, NULL, "SELECT 1 FROM orgs WHERE id = ?", QR_TEXT(org_id));
        if (!st && qr_dbres_rows(r) != 1)
            st = QR_E_NOT_FOUND;
        qr_dbres_free(r);
        if (!st)
            st = verify_org(c, org_id, fn, arg, broken);
    } else {
        st = verify_all(c, fn, arg, broken);
    }
    qr_db_release(c);
    return st;
}
