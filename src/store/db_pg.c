/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the PostgreSQL backend (libpq). `?` placeholders become $1..$n; a lost
 * connection is re-established once before the statement is retried. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/db_private.h"

#define MAX_PARAMS 64

/* Whether libpq would reach the server over TCP (not a Unix socket) with no sslmode chosen
 * by the operator, in the URL or in PGSSLMODE: then quire asks for TLS itself (SEC-1), where
 * libpq's own default ("prefer") would quietly fall back to plain text. */
int qr__pg_needs_default_tls(const char *url) {
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    if (!opts)
        return 0; /* a bad URL: PQconnectdbParams reports it */
    const char *host = NULL, *hostaddr = NULL, *sslmode = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp(o->keyword, "sslmode") == 0)
            sslmode = o->val;
    }
    if (!host)
        host = getenv("PGHOST");
    if (!hostaddr)
        hostaddr = getenv("PGHOSTADDR");
    if (!sslmode)
        sslmode = getenv("PGSSLMODE");
    int tcp = hostaddr && *hostaddr;
    /* host may list several servers; a name starting with / or @ is a socket directory */
    for (const char *h = host; h && *h && !tcp;) {
        size_t n = strcspn(h, ",");
        if (n > 0 && h[0] != '/' && h[0] != '@')
            tcp = 1;
        h += n + (h[n] == ',');
    }
    int need = tcp && !(sslmode && *sslmode);
    PQconninfoFree(opts);
    return need;
}

static void *pg_connect(const char *url, qr_err_t *err) {
    const char *keys[] = {"dbname", "fallback_application_name", "sslmode", NULL};
    const char *vals[] = {url, "quired", "require", NULL};
    if (!qr__pg_needs_default_tls(url))
        keys[2] = NULL;
    PGconn *h = PQconnectdbParams(keys, vals, 1);
    if (!h || PQstatus(h) != CONNECTION_OK) {
        qr_err_set(err, QR_E_DB, NULL, "cannot connect to PostgreSQL: %s",
                   h ? PQerrorMessage(h) : "out of memory");
        PQfinish(h);
        return NULL;
    }
    const char *host = PQhost(h);
    if (!PQsslInUse(h) && host && host[0] != '/' && host[0] != '@')
        qr_log_warn("db_plaintext",
                    "the PostgreSQL connection to %s is not encrypted (sslmode chosen in the "
                    "database URL or PGSSLMODE); SEC-1 asks for TLS on every connection",
                    host);
    PGresult *r = PQexec(h, "SET client_min_messages = warning");
    PQclear(r);
    return h;
}

static void pg_disconnect(void *h) {
    PQfinish(h);
}

/* Rewrites `?` placeholders outside string literals as $n. Returns a new string. */
static char *renumber(const char *sql) {
    qr_buf_t b;
    qr_buf_init(&b, strlen(sql) * 4 + 16);
    int n = 0, in_str = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'')
            in_str = !in_str;
        if (*p == '?' && !in_str) {
            char num[16];
            snprintf(num, sizeof(num), "$%d", ++n);
            qr_buf_puts(&b, num);
        } else {
            qr_buf_append(&b, p, 1);
        }
    }
    return qr_buf_take(&b);
}

static qr_status_t map_error(PGconn *h, PGresult *r, const char *sql) {
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "23505") == 0)
        return QR_E_CONFLICT;
    qr_log_error("db_error", "postgresql: %s [%s] in: %.120s", PQerrorMessage(h),
                 state ? state : "-", sql);
    return QR_E_DB;
}

static qr_status_t pg_exec(void *hv, const char *sql, const qr_dbval_t *params, int n,
                           qr_dbres_t **res, long long *changes) {
    PGconn *h = hv;
    if (n > MAX_PARAMS)
        return QR_E_INTERNAL;
    char *text = renumber(sql);
    const char *values[MAX_PARAMS];
    char ints[MAX_PARAMS][24];
    for (int i = 0; i < n; i++) {
        if (params[i].type == 1) {
            values[i] = params[i].s;
        } else if (params[i].type == 2) {
            snprintf(ints[i], sizeof(ints[i]), "%lld", params[i].i);
            values[i] = ints[i];
        } else {
            values[i] = NULL;
        }
    }
    PGresult *r = PQexecParams(h, text, n, NULL, values, NULL, NULL, 0);
    if (PQstatus(h) != CONNECTION_OK) {
        PQclear(r);
        PQreset(h);
        r = PQexecParams(h, text, n, NULL, values, NULL, NULL, 0);
    }
    ExecStatusType es = PQresultStatus(r);
    qr_status_t st = QR_OK;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK) {
        st = map_error(h, r, sql);
        goto out;
    }
    if (changes) {
        const char *ct = PQcmdTuples(r);
        *changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
    }
    if (res) {
        qr_dbres_t *out = qr_xcalloc(1, sizeof(*out));
        int rows = PQntuples(r), cols = PQnfields(r);
        const char **cells = cols ? qr_xcalloc((size_t)cols, sizeof(char *)) : NULL;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++)
                cells[j] = PQgetisnull(r, i, j) ? NULL : PQgetvalue(r, i, j);
            qr__dbres_add_row(out, cols, cells);
        }
        free(cells);
        out->cols = cols;
        *res = out;
    }
out:
    PQclear(r);
    free(text);
    return st;
}

static qr_status_t pg_script(void *hv, const char *sql) {
    PGconn *h = hv;
    PGresult *r = PQexec(h, sql);
    if (PQstatus(h) != CONNECTION_OK && strncmp(sql, "COMMIT", 6) != 0) {
        PQclear(r);
        PQreset(h);
        r = PQexec(h, sql);
    }
    ExecStatusType es = PQresultStatus(r);
    qr_status_t st = QR_OK;
    if (es != PGRES_COMMAND_OK && es != PGRES_TUPLES_OK)
        st = map_error(h, r, sql);
    PQclear(r);
    return st;
}

const struct qr_db_backend qr__db_pg = {
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .script = pg_script,
    .begin_sql = "BEGIN",
};
