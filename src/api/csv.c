/* SPDX-License-Identifier: Apache-2.0 */
/* quire: CSV answers (REP-1, REP-2, REP-4): RFC 4180 text in UTF-8 with CRLF line ends, a
 * header row, fields quoted when they hold , " CR or LF (quotes doubled), and text cells
 * that a spreadsheet would run as a formula (= + - @ TAB CR first) prefixed with '. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/json.h"
#include "core/log.h"
#include "core/mem.h"

/* The Content-Type of every CSV answer. */
#define QR_CSV_CONTENT_TYPE "text/csv; charset=utf-8"
/* The ceiling of one CSV piece: a whole list answer (at most 1,000 items), or one batch of a
 * streamed export. */
#define QR_CSV_MAX (64u * 1024 * 1024)

/* Appends one cell of n bytes at s: a comma before it unless it is the row's first; quoted
 * if it holds a separator, a quote or a line end; with a leading ' if text is set and it
 * begins with a formula character (OWASP CSV injection). */
static qr_status_t cell(qr_buf_t *b, int first, const char *s, size_t n, int text) {
    qr_status_t st = QR_OK;
    if (!first && (st = qr_buf_append(b, ",", 1)))
        return st;
    int guard = text && n > 0 && strchr("=+-@\t\r", s[0]) != NULL;
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote && (st = qr_buf_append(b, "\"", 1)))
        return st;
    if (guard && (st = qr_buf_append(b, "'", 1)))
        return st;
    size_t from = 0;
    for (size_t i = 0; i < n && quote; i++) {
        if (s[i] != '"')
            continue;
        /* the quote itself, and once more */
        if ((st = qr_buf_append(b, s + from, i + 1 - from)) || (st = qr_buf_append(b, "\"", 1)))
            return st;
        from = i + 1;
    }
    if ((st = qr_buf_append(b, s + from, n - from)))
        return st;
    return quote ? qr_buf_append(b, "\"", 1) : QR_OK;
}

qr_status_t qr_csv_text(qr_buf_t *b, int first, const char *s) {
    return cell(b, first, s ? s : "", s ? strlen(s) : 0, 1);
}

qr_status_t qr_csv_number(qr_buf_t *b, int first, long long v) {
    char num[32];
    int len = snprintf(num, sizeof(num), "%lld", v);
    return cell(b, first, num, (size_t)len, 0);
}

qr_status_t qr_csv_end_row(qr_buf_t *b) {
    return qr_buf_append(b, "\r\n", 2);
}

/* One cell of a JSON value: a string as text (guarded), a number as we wrote it (numbers
 * come from quire, not from users, so -5 stays a number), true/false, null as empty, an
 * array or object as its JSON text (guarded like any text). */
static qr_status_t json_cell(qr_buf_t *b, int first, const json_t *v) {
    char num[64];
    if (!v)
        return cell(b, first, "", 0, 0);
    switch (json_typeof(v)) {
    case JSON_STRING:
        return cell(b, first, json_string_value(v), json_string_length(v), 1);
    case JSON_INTEGER:
        return qr_csv_number(b, first, (long long)json_integer_value(v));
    case JSON_REAL: {
        int len = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return cell(b, first, num, (size_t)len, 0);
    }
    case JSON_TRUE:
        return cell(b, first, "true", 4, 0);
    case JSON_FALSE:
        return cell(b, first, "false", 5, 0);
    case JSON_ARRAY:
    case JSON_OBJECT: {
        char *text = qr_json_dump(v);
        qr_status_t st = cell(b, first, text, strlen(text), 1);
        free(text);
        return st;
    }
    default:
        return cell(b, first, "", 0, 0);
    }
}

/* Appends to cols the key paths of obj under prefix (an array of keys): a nested non-empty
 * object's keys in turn, every other value as one column. */
static void add_columns(json_t *cols, const json_t *prefix, const json_t *obj) {
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        json_t *path = json_copy((json_t *)prefix);
        json_array_append_new(path, json_string(key));
        if (json_is_object(v) && json_object_size(v) > 0) {
            add_columns(cols, path, v);
            json_decref(path);
        } else {
            json_array_append_new(cols, path);
        }
    }
}

json_t *qr_csv_columns(const json_t *item) {
    json_t *cols = json_array(), *root = json_array();
    if (json_is_object(item))
        add_columns(cols, root, item);
    json_decref(root);
    return cols;
}

json_t *qr_csv_columns_of(const char *const *names) {
    json_t *cols = json_array();
    for (; *names; names++)
        json_array_append_new(cols, json_pack("[s]", *names));
    return cols;
}

qr_status_t qr_csv_header(qr_buf_t *b, const json_t *cols) {
    qr_status_t st = QR_OK;
    size_t i, k;
    const json_t *path, *key;
    json_array_foreach(cols, i, path) {
        qr_buf_t name;
        qr_buf_init(&name, 4096);
        json_array_foreach(path, k, key) {
            if (k)
                qr_buf_append(&name, "_", 1);
            qr_buf_puts(&name, json_string_value(key));
        }
        st = cell(b, i == 0, name.ptr ? name.ptr : "", name.len, 1);
        qr_buf_free(&name);
        if (st)
            return st;
    }
    return qr_csv_end_row(b);
}

/* The value at path in obj, or NULL. */
static const json_t *at_path(const json_t *obj, const json_t *path) {
    size_t k;
    const json_t *key;
    json_array_foreach(path, k, key) {
        obj = json_object_get(obj, json_string_value(key));
        if (!obj)
            return NULL;
    }
    return obj;
}

qr_status_t qr_csv_row(qr_buf_t *b, const json_t *cols, const json_t *item, const char *first) {
    qr_status_t st = QR_OK;
    size_t i;
    const json_t *path;
    json_array_foreach(cols, i, path) {
        if (i == 0 && first)
            st = qr_csv_text(b, 1, first);
        else
            st = json_cell(b, i == 0, at_path(item, path));
        if (st)
            return st;
    }
    return qr_csv_end_row(b);
}

qr_status_t qr_csv_list(qr_buf_t *b, const json_t *items, const json_t *totals) {
    json_t *cols;
    if (json_array_size(items)) {
        cols = qr_csv_columns(json_array_get(items, 0));
    } else {
        /* No rows: the totals' own columns after an unnamed first one for "Total". */
        cols = json_pack("[[s]]", "");
        json_t *more = qr_csv_columns(totals);
        json_array_extend(cols, more);
        json_decref(more);
    }
    if (!totals && !json_array_size(items))
        json_array_clear(cols);
    qr_status_t st = json_array_size(cols) ? qr_csv_header(b, cols) : QR_OK;
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item) {
        if (!st)
            st = qr_csv_row(b, cols, item, NULL);
    }
    if (!st && totals && json_array_size(cols))
        st = qr_csv_row(b, cols, totals, "Total");
    json_decref(cols);
    return st;
}

int qr_api_format(qr_req_t *r, int *csv) {
    const char *f = qr_req_query(r, "format");
    *csv = 0;
    if (f) {
        if (strcmp(f, "csv") == 0 || strcmp(f, "json") == 0) {
            *csv = f[0] == 'c';
            return 0;
        }
        qr_err_t err = {QR_OK, NULL, ""};
        qr_err_set(&err, QR_E_INVALID, NULL, "format must be json or csv");
        qr_req_reply_error(r, &err);
        return 1;
    }
    /* Accept: the first of the two media types named wins (no q-values: a client asks for
     * one of them). */
    const char *a = qr_req_header(r, "Accept");
    const char *c = a ? strstr(a, "text/csv") : NULL;
    const char *j = a ? strstr(a, "application/json") : NULL;
    *csv = c && (!j || c < j);
    return 0;
}

void qr_api_reply_csv(qr_req_t *r, const char *body, size_t len) {
    /* The file name: the path's last segment ("log", "users", "audit"), letters, digits, -
     * and _ only. */
    const char *path = qr_req_target_path(r);
    size_t plen = strcspn(path, "?");
    const char *seg = path + plen;
    while (seg > path && seg[-1] != '/')
        seg--;
    char name[64];
    size_t k = 0;
    for (; seg < path + plen && k < 40; seg++)
        if ((*seg >= 'a' && *seg <= 'z') || (*seg >= '0' && *seg <= '9') || *seg == '-' ||
            *seg == '_')
            name[k++] = *seg;
    name[k] = '\0';
    char disp[96];
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.csv\"", k ? name : "export");
    qr_req_add_header(r, "Content-Disposition", disp);
    if (body)
        qr_req_reply_bytes(r, 200, QR_CSV_CONTENT_TYPE, body, len);
}

/* The state of a streamed export: x, the bytes of CSV made but not yet sent (buf from off),
 * and where it is: 0 header to write, 1 rows, 2 done. */
struct export {
    qr_api_export_t x;
    json_t *cols;
    qr_buf_t buf;
    size_t off;
    int phase;
};

/* Fills e->buf with the next piece of CSV: the header, or the rows of the next batch. */
static qr_status_t export_fill(struct export *e) {
    qr_buf_free(&e->buf);
    qr_buf_init(&e->buf, QR_CSV_MAX);
    e->off = 0;
    if (e->phase == 0) {
        e->phase = 1;
        return qr_csv_header(&e->buf, e->cols);
    }
    const void *rows = NULL;
    size_t n = 0;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = e->x.next(e->x.cursor, &rows, &n, &err);
    if (st) {
        qr_log_error("export_failed", "%s", err.msg[0] ? err.msg : qr_err_code(&err));
        return st;
    }
    if (n == 0)
        e->phase = 2;
    for (size_t i = 0; i < n && !st; i++) {
        const void *row = (const char *)rows + i * e->x.size;
        if (e->x.csv) {
            st = e->x.csv(&e->buf, row);
            continue;
        }
        json_t *item = e->x.fn(row);
        st = qr_csv_row(&e->buf, e->cols, item, NULL);
        json_decref(item);
    }
    return st;
}

static long export_read(void *cls, char *out, size_t max) {
    struct export *e = cls;
    while (e->off == e->buf.len && e->phase != 2)
        if (export_fill(e))
            return -1;
    size_t n = e->buf.len - e->off;
    if (n > max)
        n = max;
    if (n)
        memcpy(out, e->buf.ptr + e->off, n);
    e->off += n;
    return (long)n;
}

static void export_free(void *cls) {
    struct export *e = cls;
    e->x.close(e->x.cursor);
    json_decref(e->cols);
    qr_buf_free(&e->buf);
    free(e);
}

void qr_api_reply_export(qr_req_t *r, const qr_api_export_t *x) {
    struct export *e = qr_xcalloc(1, sizeof(*e));
    e->x = *x;
    e->cols = qr_csv_columns_of(x->columns);
    qr_buf_init(&e->buf, QR_CSV_MAX);
    qr_api_reply_csv(r, NULL, 0);
    qr_req_reply_stream(r, 200, QR_CSV_CONTENT_TYPE, QR_STREAM_SIZE_UNKNOWN, export_read, e,
                        export_free);
}
