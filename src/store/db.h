/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the database interface, one API over SQLite (OPS-1) and PostgreSQL (OPS-2).
 * SQL is written once with `?` placeholders and bound parameters only; the PostgreSQL
 * backend renumbers them. Results are materialized as text. A pool hands one connection
 * to one thread at a time. */
#ifndef QR_DB_H
#define QR_DB_H

#include <stddef.h>

#include "core/error.h"

typedef struct qr_db qr_db_t;
typedef struct qr_dbc qr_dbc_t;
typedef struct qr_dbres qr_dbres_t;

typedef enum qr_db_kind { QR_DB_SQLITE, QR_DB_PG } qr_db_kind_t;

typedef struct qr_dbval {
    int type; /* 0 NULL, 1 text, 2 integer */
    long long i;
    const char *s;
} qr_dbval_t;

/* A text parameter; NULL binds SQL NULL. */
static inline qr_dbval_t qr_dbval_text(const char *s) {
    qr_dbval_t v = {s ? 1 : 0, 0, s};
    return v;
}

/* The text a user search looks in: the username, names and email as one string. The schema's
 * trigram index (migrate.c) and the search (src/tenancy/user.c) spell it alike, so that
 * PostgreSQL uses the index. */
#define QR_USER_SEARCH_TEXT "username || ' ' || first_name || ' ' || last_name || ' ' || email"

#define QR_TEXT(x) qr_dbval_text(x)
#define QR_INT(x) ((qr_dbval_t){.type = 2, .i = (long long)(x), .s = NULL})
#define QR_NULL ((qr_dbval_t){.type = 0, .i = 0, .s = NULL})

/* Executes sql with parameters given inline: qr_db_q(c, &res, &changes, "...", QR_INT(1)). */
#define qr_db_q(c, res, changes, sql, ...)                                                         \
    qr_dbc_exec((c), (sql), (const qr_dbval_t[]){__VA_ARGS__},                                     \
                (int)(sizeof((qr_dbval_t[]){__VA_ARGS__}) / sizeof(qr_dbval_t)), (res), (changes))

/* Opens a pool of n connections to url: "sqlite:PATH" or "postgresql://...". */
qr_status_t qr_db_open(const char *url, int n, qr_db_t **out, qr_err_t *err);
/* Closes every connection and frees the pool; accepts NULL. */
void qr_db_close(qr_db_t *db);
/* The backend in use. */
qr_db_kind_t qr_db_kind(const qr_db_t *db);
/* Takes a connection from the pool, waiting for one if all are busy. */
qr_dbc_t *qr_db_acquire(qr_db_t *db);
/* Returns a connection to the pool (rolling back an open transaction); accepts NULL. */
void qr_db_release(qr_dbc_t *c);

/* Runs one statement. res (may be NULL) receives the rows; changes (may be NULL) the
 * number of rows changed. A unique-constraint violation returns QR_E_CONFLICT; any other
 * failure QR_E_DB (logged once here). */
qr_status_t qr_dbc_exec(qr_dbc_t *c, const char *sql, const qr_dbval_t *params, int n,
                        qr_dbres_t **res, long long *changes);
/* Runs several statements without parameters (migrations). */
qr_status_t qr_dbc_script(qr_dbc_t *c, const char *sql);
/* Starts a transaction that takes the write lock at once (SQLite: BEGIN IMMEDIATE). */
qr_status_t qr_dbc_begin(qr_dbc_t *c);
/* Commits the open transaction. */
qr_status_t qr_dbc_commit(qr_dbc_t *c);
/* Rolls back the open transaction, if any. */
void qr_dbc_rollback(qr_dbc_t *c);
/* The backend of a connection. */
qr_db_kind_t qr_dbc_kind(const qr_dbc_t *c);
/* 1 if the connection has a transaction open (qr_dbc_begin). */
int qr_dbc_in_tx(const qr_dbc_t *c);

/* Number of rows in a result (0 for NULL). */
int qr_dbres_rows(const qr_dbres_t *r);
/* Value at row, column as text; NULL for SQL NULL. Owned by the result. */
const char *qr_dbres_text(const qr_dbres_t *r, int row, int col);
/* Value at row, column as a new string (caller frees), or NULL for SQL NULL. */
char *qr_dbres_strdup(const qr_dbres_t *r, int row, int col);
/* Value as an integer (0 for NULL or non-numeric). */
long long qr_dbres_int(const qr_dbres_t *r, int row, int col);
/* 1 if the value is SQL NULL. */
int qr_dbres_isnull(const qr_dbres_t *r, int row, int col);
/* Frees a result; accepts NULL. */
void qr_dbres_free(qr_dbres_t *r);

/* Applies the schema migrations that are missing, under a lock so that several servers
 * starting together apply each one once. */
qr_status_t qr_db_migrate(qr_db_t *db, qr_err_t *err);

#endif
