/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what the database backends share with the pool. */
#ifndef QR_DB_PRIVATE_H
#define QR_DB_PRIVATE_H

#include "store/db.h"

struct qr_dbres {
    int rows, cols;
    char **cells; /* rows * cols, NULL for SQL NULL */
};

struct qr_db_backend {
    void *(*connect)(const char *target, qr_err_t *err);
    void (*disconnect)(void *h);
    qr_status_t (*exec)(void *h, const char *sql, const qr_dbval_t *params, int n, qr_dbres_t **res,
                        long long *changes);
    qr_status_t (*script)(void *h, const char *sql);
    const char *begin_sql;
};

struct qr_dbc {
    qr_db_t *db;
    void *h;
    int in_tx;
    int busy;
};

extern const struct qr_db_backend qr__db_sqlite;
extern const struct qr_db_backend qr__db_pg;

/* 1 if a PostgreSQL connection to url would go over TCP with no sslmode chosen (in the URL
 * or PGSSLMODE): then quire asks for sslmode=require itself (SEC-1). Used for quired's own
 * connections and for the pg_dump/pg_restore it runs. */
int qr__pg_needs_default_tls(const char *url);

/* Appends a row of n cells (copied) to a result being built. */
void qr__dbres_add_row(qr_dbres_t *r, int n, const char *const *cells);

#endif
