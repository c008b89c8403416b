/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the SQLite backend (WAL mode, foreign keys on, busy timeout). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/db_private.h"

#define BUSY_TIMEOUT_MS 15000
#define STMT_CACHE 64

/* A connection with its cache of prepared statements: parsing and planning every query on
 * every request was the largest cost of a simple authenticated GET (bench/README.md). */
struct sq_conn {
    sqlite3 *h;
    struct {
        char *sql;
        sqlite3_stmt *stmt;
        unsigned long long used;
    } cache[STMT_CACHE];
    unsigned long long tick;
};

/* SQLite's allocation statistics take a global lock on every malloc; quire never reads
 * them, and under load that lock was the largest single cost (bench/README.md). */
static void configure_once(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void *sq_connect(const char *path, qr_err_t *err) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_once);
    sqlite3 *h = NULL;
    struct sq_conn *conn = NULL;
    int rc = sqlite3_open_v2(
        path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        qr_err_set(err, QR_E_DB, NULL, "cannot open SQLite database %s: %s", path,
                   h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h, BUSY_TIMEOUT_MS);
    char *msg = NULL;
    rc = sqlite3_exec(h,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                      "PRAGMA foreign_keys=ON;",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        qr_err_set(err, QR_E_DB, NULL, "cannot configure SQLite database %s: %s", path,
                   msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        sqlite3_close(h);
        return NULL;
    }
    conn = qr_xcalloc(1, sizeof(*conn));
    conn->h = h;
    return conn;
}

static void sq_disconnect(void *hv) {
    struct sq_conn *conn = hv;
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(conn->cache[i].stmt);
        free(conn->cache[i].sql);
    }
    sqlite3_close_v2(conn->h);
    free(conn);
}

/* A prepared statement for sql, from the cache or new (then cached, evicting the least
 * recently used). Returns its slot or -1 with *rc set. */
static int statement(struct sq_conn *conn, const char *sql, int *rc) {
    int victim = 0;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (conn->cache[i].sql && strcmp(conn->cache[i].sql, sql) == 0) {
            conn->cache[i].used = ++conn->tick;
            return i;
        }
        if (conn->cache[i].used < conn->cache[victim].used)
            victim = i;
    }
    sqlite3_stmt *stmt = NULL;
    *rc = sqlite3_prepare_v3(conn->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (*rc != SQLITE_OK)
        return -1;
    sqlite3_finalize(conn->cache[victim].stmt);
    free(conn->cache[victim].sql);
    conn->cache[victim].sql = qr_xstrdup(sql);
    conn->cache[victim].stmt = stmt;
    conn->cache[victim].used = ++conn->tick;
    return victim;
}

/* Makes a cached statement ready for its next use (or drops it after an error). */
static void done(struct sq_conn *conn, int slot, int failed) {
    sqlite3_stmt *stmt = conn->cache[slot].stmt;
    if (failed) {
        sqlite3_finalize(stmt);
        free(conn->cache[slot].sql);
        conn->cache[slot].sql = NULL;
        conn->cache[slot].stmt = NULL;
        conn->cache[slot].used = 0;
        return;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
}

static qr_status_t map_error(sqlite3 *h, int rc, const char *sql) {
    int ext = sqlite3_extended_errcode(h);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return QR_E_CONFLICT;
    qr_log_error("db_error", "sqlite: %s (%d) in: %.120s", sqlite3_errmsg(h), rc, sql);
    return QR_E_DB;
}

static qr_status_t sq_exec(void *hv, const char *sql, const qr_dbval_t *params, int n,
                           qr_dbres_t **res, long long *changes) {
    struct sq_conn *conn = hv;
    sqlite3 *h = conn->h;
    int rc = SQLITE_OK;
    int slot = statement(conn, sql, &rc);
    if (slot < 0)
        return map_error(h, rc, sql);
    sqlite3_stmt *stmt = conn->cache[slot].stmt;
    for (int i = 0; i < n; i++) {
        if (params[i].type == 1)
            rc = sqlite3_bind_text(stmt, i + 1, params[i].s, -1, SQLITE_STATIC);
        else if (params[i].type == 2)
            rc = sqlite3_bind_int64(stmt, i + 1, params[i].i);
        else
            rc = sqlite3_bind_null(stmt, i + 1);
        if (rc != SQLITE_OK) {
            qr_status_t st = map_error(h, rc, sql);
            done(conn, slot, 1);
            return st;
        }
    }
    qr_dbres_t *r = res ? qr_xcalloc(1, sizeof(*r)) : NULL;
    int cols = sqlite3_column_count(stmt);
    const char **cells = cols ? qr_xcalloc((size_t)cols, sizeof(char *)) : NULL;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (!r)
            continue;
        for (int i = 0; i < cols; i++)
            cells[i] = (const char *)sqlite3_column_text(stmt, i);
        qr__dbres_add_row(r, cols, cells);
    }
    free(cells);
    if (r)
        r->cols = cols;
    if (rc != SQLITE_DONE) {
        qr_status_t st = map_error(h, rc, sql);
        done(conn, slot, 1);
        qr_dbres_free(r);
        return st;
    }
    if (changes)
        *changes = sqlite3_changes64(h);
    done(conn, slot, 0);
    if (res)
        *res = r;
    return QR_OK;
}

static qr_status_t sq_script(void *hv, const char *sql) {
    sqlite3 *h = ((struct sq_conn *)hv)->h;
    char *msg = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        qr_log_error("db_error", "sqlite: %s in: %.120s", msg ? msg : sqlite3_errstr(rc), sql);
        sqlite3_free(msg);
        return QR_E_DB;
    }
    return QR_OK;
}

const struct qr_db_backend qr__db_sqlite = {
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .exec = sq_exec,
    .script = sq_script,
    .begin_sql = "BEGIN IMMEDIATE",
};
