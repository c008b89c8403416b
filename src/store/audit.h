/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the audit sink (REP-4): the writer of the audit table, below every domain module
 * that records an event, and the check of its hash chain. Reading the log is report/audit.h's
 * (it needs policy). */
#ifndef QR_STORE_AUDIT_H
#define QR_STORE_AUDIT_H

#include <stdint.h>

#include "store/db.h"

/* Records an event of org_id. actor_id and target_id may be NULL. detail is free text that
 * must never hold a secret. Failures are logged, not returned: an audit write never turns
 * a successful action into a failed one, but it is written in the caller's transaction
 * (or in one of its own when the caller has none).
 *
 * Each entry carries prev_hash, the hash of the org's entry before it ("" for the first),
 * and hash = qr_audit_hash of its fields: a hash chain per org. Writers of one org are
 * serialized (PostgreSQL: a transaction-scoped advisory lock on the org; SQLite: the write
 * lock) so that the chain never forks. Entries that predate the chain (written before the
 * schema had it) are chained, oldest first, by the org's first write after the upgrade. */
void qr_audit_write(qr_dbc_t *c, int64_t now, const char *org_id, const char *actor_id,
                    const char *action, const char *target_id, const char *detail);

/* The hash of an entry: SHA-256 (64 lowercase hex digits into out) over an unambiguous
 * encoding of its fields, each length-prefixed ("<len>:<bytes>,"; "-," for NULL), after a
 * version tag. detail and prev_hash are never NULL. */
void qr_audit_hash(const char *org_id, int64_t time, const char *actor_id, const char *action,
                   const char *target_id, const char *detail, const char *prev_hash, char out[65]);

/* What qr_audit_verify found in one org's chain. Strings are borrowed for the callback. */
typedef struct qr_audit_chain {
    const char *org_id;
    long long checked;   /* entries whose hash and link held */
    long long unchained; /* entries of an org not chained yet (all predate the chain) */
    char head[65];       /* the hash of the newest entry checked ("" if none) */
    int broken;          /* 1: a link is broken; the first broken entry follows */
    long long bad_id, bad_time;
    const char *bad_action;
    const char *why; /* what does not hold there */
} qr_audit_chain_t;

typedef void (*qr_audit_chain_fn)(const qr_audit_chain_t *chain, void *arg);

/* Walks the hash chain of org_id (NULL: of every org with audit entries, by org id) from its
 * oldest remaining entry, whose prev_hash is taken as given (retention deletes the oldest
 * entries), and calls fn once per org. Reads in batches: memory does not grow with the log.
 * *broken is the number of orgs whose chain is broken. QR_E_NOT_FOUND if org_id names no
 * organization; QR_OK unless the database fails. An operator's check: no principal. */
qr_status_t qr_audit_verify(qr_db_t *db, const char *org_id, qr_audit_chain_fn fn, void *arg,
                            int *broken);

#endif
