/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the connection pool and result sets shared by both backends. */
#include "store/db.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/db_private.h"

struct qr_db {
    qr_db_kind_t kind;
    const struct qr_db_backend *be;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
    qr_dbc_t *conns;
};

qr_status_t qr_db_open(const char *url, int n, qr_db_t **out, qr_err_t *err) {
    *out = NULL;
    const struct qr_db_backend *be;
    const char *target;
    qr_db_kind_t kind;
    if (strncmp(url, "sqlite:", 7) == 0) {
        be = &qr__db_sqlite;
        target = url + 7;
        kind = QR_DB_SQLITE;
    } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        be = &qr__db_pg;
        target = url;
        kind = QR_DB_PG;
    } else {
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "database must be sqlite:PATH or postgresql://..., not '%.40s'", url);
    }
    qr_db_t *db = qr_xcalloc(1, sizeof(*db));
    db->kind = kind;
    db->be = be;
    db->n = n > 0 ? n : 1;
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->cv, NULL);
    db->conns = qr_xcalloc((size_t)db->n, sizeof(qr_dbc_t));
    for (int i = 0; i < db->n; i++) {
        db->conns[i].db = db;
        db->conns[i].h = be->connect(target, err);
        if (!db->conns[i].h) {
            qr_db_close(db);
            return QR_E_DB;
        }
    }
    *out = db;
    return QR_OK;
}

void qr_db_close(qr_db_t *db) {
    if (!db)
        return;
    for (int i = 0; i < db->n; i++)
        if (db->conns[i].h)
            db->be->disconnect(db->conns[i].h);
    pthread_mutex_destroy(&db->mu);
    pthread_cond_destroy(&db->cv);
    free(db->conns);
    free(db);
}

qr_db_kind_t qr_db_kind(const qr_db_t *db) {
    return db->kind;
}

qr_db_kind_t qr_dbc_kind(const qr_dbc_t *c) {
    return c->db->kind;
}

int qr_dbc_in_tx(const qr_dbc_t *c) {
    return c->in_tx;
}

qr_dbc_t *qr_db_acquire(qr_db_t *db) {
    pthread_mutex_lock(&db->mu);
    for (;;) {
        for (int i = 0; i < db->n; i++)
            if (!db->conns[i].busy) {
                db->conns[i].busy = 1;
                pthread_mutex_unlock(&db->mu);
                return &db->conns[i];
            }
        pthread_cond_wait(&db->cv, &db->mu);
    }
}

void qr_db_release(qr_dbc_t *c) {
    if (!c)
        return;
    if (c->in_tx)
        qr_dbc_rollback(c);
    qr_db_t *db = c->db;
    pthread_mutex_lock(&db->mu);
    c->busy = 0;
    pthread_cond_signal(&db->cv);
    pthread_mutex_unlock(&db->mu);
}

qr_status_t qr_dbc_exec(qr_dbc_t *c, const char *sql, const qr_dbval_t *params, int n,
                        qr_dbres_t **res, long long *changes) {
    if (res)
        *res = NULL;
    if (changes)
        *changes = 0;
    return c->db->be->exec(c->h, sql, params, n, res, changes);
}

qr_status_t qr_dbc_script(qr_dbc_t *c, const char *sql) {
    return c->db->be->script(c->h, sql);
}

qr_status_t qr_dbc_begin(qr_dbc_t *c) {
    qr_status_t st = c->db->be->script(c->h, c->db->be->begin_sql);
    if (st == QR_OK)
        c->in_tx = 1;
    return st;
}

qr_status_t qr_dbc_commit(qr_dbc_t *c) {
    qr_status_t st = c->db->be->script(c->h, "COMMIT");
    if (st != QR_OK)
        c->db->be->script(c->h, "ROLLBACK");
    c->in_tx = 0;
    return st;
}

void qr_dbc_rollback(qr_dbc_t *c) {
    if (!c->in_tx)
        return;
    c->db->be->script(c->h, "ROLLBACK");
    c->in_tx = 0;
}

void qr__dbres_add_row(qr_dbres_t *r, int n, const char *const *cells) {
    r->cols = n;
    r->cells = qr_xrealloc(r->cells, (size_t)(r->rows + 1) * (size_t)n * sizeof(char *));
    for (int i = 0; i < n; i++)
        r->cells[r->rows * n + i] = cells[i] ? qr_xstrdup(cells[i]) : NULL;
    r->rows++;
}

int qr_dbres_rows(const qr_dbres_t *r) {
    return r ? r->rows : 0;
}

const char *qr_dbres_text(const qr_dbres_t *r, int row, int col) {
    if (!r || row < 0 || row >= r->rows || col < 0 || col >= r->cols)
        return NULL;
    return r->cells[row * r->cols + col];
}

char *qr_dbres_strdup(const qr_dbres_t *r, int row, int col) {
    const char *s = qr_dbres_text(r, row, col);
    return qr_xstrdup(s);
}

long long qr_dbres_int(const qr_dbres_t *r, int row, int col) {
    const char *s = qr_dbres_text(r, row, col);
    if (!s)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return end == s ? 0 : v;
}

int qr_dbres_isnull(const qr_dbres_t *r, int row, int col) {
    return qr_dbres_text(r, row, col) == NULL;
}

void qr_dbres_free(qr_dbres_t *r) {
    if (!r)
        return;
    for (int i = 0; i < r->rows * r->cols; i++)
        free(r->cells[i]);
    free(r->cells);
    free(r);
}
