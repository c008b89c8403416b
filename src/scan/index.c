/* SPDX-License-Identifier: Apache-2.0 */
/* quire: document class attributes, index values and indexing rules (CAP-3). */
#include "scan/index.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uregex.h>
#include <unicode/utext.h>

#include "core/mem.h"

static const char *const types[] = {"text", "number", "date", "list", NULL};

static int valid_attr_name(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

static const json_t *find_attr(const json_t *attrs, const char *name) {
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
            return a;
    }
    return NULL;
}

qr_status_t qr_index_check_attributes(json_t *attrs, json_t **out, qr_err_t *err) {
    *out = NULL;
    if (!json_is_array(attrs) || json_array_size(attrs) > QR_INDEX_MAX_ATTRS)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "attributes must be an array of at most %d attributes",
                          QR_INDEX_MAX_ATTRS);
    json_t *res = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(attrs, i, a) {
        const char *name = json_string_value(json_object_get(a, "name"));
        const char *type = json_string_value(json_object_get(a, "type"));
        json_t *req = json_object_get(a, "required"), *values = json_object_get(a, "values");
        const char *key;
        json_t *v;
        if (!json_is_object(a) || !name || !valid_attr_name(name)) {
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "attribute %zu: 'name' is required: 1 to 64 letters, digits or '_'",
                              i + 1);
        }
        json_object_foreach(a, key, v) {
            if (strcmp(key, "name") && strcmp(key, "type") && strcmp(key, "required") &&
                strcmp(key, "values")) {
                json_decref(res);
                return qr_err_set(err, QR_E_INVALID, NULL,
                                  "attribute '%s': unknown field '%s' (allowed: name, type, "
                                  "required, values)",
                                  name, key);
            }
        }
        int t = -1;
        for (int k = 0; type && types[k]; k++)
            if (strcmp(type, types[k]) == 0)
                t = k;
        if (t < 0 || (req && !json_is_boolean(req)) || find_attr(res, name)) {
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "attribute '%s': type must be text, number, date or list, required "
                              "true or false, and names unique",
                              name);
        }
        json_t *norm =
            json_pack("{s:s, s:s, s:b}", "name", name, "type", type, "required", json_is_true(req));
        if (t == 3) {
            if (!json_is_array(values) || json_array_size(values) < 1 ||
                json_array_size(values) > QR_INDEX_MAX_LIST) {
                json_decref(norm);
                json_decref(res);
                return qr_err_set(err, QR_E_INVALID, NULL,
                                  "attribute '%s': a list needs 'values', 1 to %d strings", name,
                                  QR_INDEX_MAX_LIST);
            }
            size_t j;
            json_array_foreach(values, j, v) {
                if (!json_is_string(v) || json_string_length(v) < 1 ||
                    json_string_length(v) > 200) {
                    json_decref(norm);
                    json_decref(res);
                    return qr_err_set(err, QR_E_INVALID, NULL,
                                      "attribute '%s': list values are strings of 1 to 200 bytes",
                                      name);
                }
            }
            json_object_set(norm, "values", values);
        } else if (values) {
            json_decref(norm);
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "attribute '%s': only a list attribute has 'values'", name);
        }
        json_array_append_new(res, norm);
    }
    *out = res;
    return QR_OK;
}

/* 1 if s is a calendar date YYYY-MM-DD. */
static int valid_date(const char *s) {
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

/* Parses a decimal number written by a person ("1,234.50", " 42 "); 0 if it is none. */
static int parse_number(const char *s, double *out) {
    char buf[64];
    size_t n = 0;
    for (; *s && n + 1 < sizeof(buf); s++)
        if (*s != ',' && *s != ' ')
            buf[n++] = *s;
    if (*s || n == 0)
        return 0;
    buf[n] = 0;
    char *end = NULL;
    errno = 0;
    double d = strtod(buf, &end);
    if (errno || *end || !isfinite(d) || !(isdigit((unsigned char)buf[0]) || buf[0] == '-'))
        return 0;
    *out = d;
    return 1;
}

/* The normalized value of v for attribute a, or NULL with err set. */
static json_t *check_value(const json_t *a, json_t *v, qr_err_t *err) {
    const char *name = json_string_value(json_object_get(a, "name"));
    const char *type = json_string_value(json_object_get(a, "type"));
    const char *s = json_string_value(v);
    if (strcmp(type, "number") == 0) {
        double d;
        if (json_is_number(v))
            return json_real(json_number_value(v));
        if (s && parse_number(s, &d))
            return json_real(d);
        qr_err_set(err, QR_E_INVALID, "invalid_index", "index '%s' must be a number", name);
        return NULL;
    }
    if (!s) {
        qr_err_set(err, QR_E_INVALID, "invalid_index", "index '%s' must be a string", name);
        return NULL;
    }
    if (strcmp(type, "date") == 0 && !valid_date(s)) {
        qr_err_set(err, QR_E_INVALID, "invalid_index",
                   "index '%s' must be a date written YYYY-MM-DD", name);
        return NULL;
    }
    if (strcmp(type, "text") == 0 &&
        (json_string_length(v) < 1 || json_string_length(v) > QR_INDEX_MAX_TEXT)) {
        qr_err_set(err, QR_E_INVALID, "invalid_index", "index '%s' must be 1 to %d bytes", name,
                   QR_INDEX_MAX_TEXT);
        return NULL;
    }
    if (strcmp(type, "list") == 0) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(a, "values"), i, x) {
            if (strcmp(json_string_value(x), s) == 0)
                return json_string(s);
        }
        qr_err_set(err, QR_E_INVALID, "invalid_index",
                   "index '%s' must be one of its list's values", name);
        return NULL;
    }
    return json_string(s);
}

qr_status_t qr_index_check_values(const json_t *attrs, json_t *values, const json_t *filled_later,
                                  json_t **out, qr_err_t *err) {
    *out = NULL;
    if (values && !json_is_object(values))
        return qr_err_set(err, QR_E_INVALID, "invalid_index",
                          "index must be an object of attribute name to value");
    json_t *res = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(values, key, v) {
        const json_t *a = attrs ? find_attr(attrs, key) : NULL;
        if (!a) {
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, "invalid_index",
                              "index '%s' is not an attribute of the workflow's document class",
                              key);
        }
        json_t *norm = check_value(a, v, err);
        if (!norm) {
            json_decref(res);
            return err ? err->status : QR_E_INVALID;
        }
        json_object_set_new(res, key, norm);
    }
    size_t i;
    json_array_foreach(attrs, i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));
        if (json_is_true(json_object_get(v, "required")) && !json_object_get(res, name) &&
            !(filled_later && json_object_get(filled_later, name))) {
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, "invalid_index", "index '%s' is required", name);
        }
    }
    *out = res;
    return QR_OK;
}

/* Compiles a UTF-8 pattern; NULL (with a message in msg) if it does not compile. */
static URegularExpression *compile(const char *pattern, char *msg, size_t msglen) {
    UErrorCode ec = U_ZERO_ERROR;
    UParseError pe;
    memset(&pe, 0, sizeof(pe));
    UText *ut = utext_openUTF8(NULL, pattern, -1, &ec);
    URegularExpression *re = U_SUCCESS(ec) ? uregex_openUText(ut, 0, &pe, &ec) : NULL;
    utext_close(ut);
    if (U_FAILURE(ec)) {
        uregex_close(re);
        if (msg)
            snprintf(msg, msglen, "%s at offset %d", u_errorName(ec), pe.offset);
        return NULL;
    }
    uregex_setTimeLimit(re, QR_INDEX_RULE_TIME_LIMIT, &ec);
    return re;
}

qr_status_t qr_index_check_rules(const json_t *attrs, json_t *rules, json_t **out, qr_err_t *err) {
    *out = NULL;
    if (!rules || json_is_null(rules)) {
        *out = json_array();
        return QR_OK;
    }
    if (!json_is_array(rules) || json_array_size(rules) > QR_INDEX_MAX_RULES)
        return qr_err_set(err, QR_E_INVALID, NULL, "rules must be an array of at most %d rules",
                          QR_INDEX_MAX_RULES);
    json_t *res = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) {
        const char *attr = json_string_value(json_object_get(r, "attribute"));
        const char *src = json_string_value(json_object_get(r, "source"));
        const char *pat = json_string_value(json_object_get(r, "pattern"));
        char msg[128] = "";
        URegularExpression *re = NULL;
        if (!json_is_object(r) || json_object_size(r) != 3 || !attr || !src || !pat ||
            (strcmp(src, "text") && strcmp(src, "barcode")) || !*pat ||
            strlen(pat) > QR_INDEX_MAX_PATTERN) {
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "rule %zu: needs exactly 'attribute', 'source' (text or barcode) and "
                              "'pattern' (1 to %d bytes)",
                              i + 1, QR_INDEX_MAX_PATTERN);
        }
        if (!attrs || !find_attr(attrs, attr)) {
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "rule %zu: '%s' is not an attribute of the document class", i + 1,
                              attr);
        }
        if (!(re = compile(pat, msg, sizeof(msg)))) {
            json_decref(res);
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "rule %zu: the pattern is not a valid regular expression (%s)", i + 1,
                              msg);
        }
        uregex_close(re);
        json_array_append_new(
            res, json_pack("{s:s, s:s, s:s}", "attribute", attr, "source", src, "pattern", pat));
    }
    *out = res;
    return QR_OK;
}

/* The first match of re in s: its first group if it has one, else the whole match. A new
 * string, or NULL. */
static char *first_match(URegularExpression *re, const char *s) {
    UErrorCode ec = U_ZERO_ERROR;
    UText *ut = utext_openUTF8(NULL, s, -1, &ec);
    char *res = NULL;
    if (U_SUCCESS(ec))
        uregex_setUText(re, ut, &ec);
    if (U_SUCCESS(ec) && uregex_findNext(re, &ec) && U_SUCCESS(ec)) {
        int g = uregex_groupCount(re, &ec) > 0 ? 1 : 0;
        int64_t b = uregex_start64(re, g, &ec), e = uregex_end64(re, g, &ec);
        if (U_SUCCESS(ec) && b >= 0 && e >= b) {
            /* Trim the white space a capture of recognized text tends to carry. */
            while (b < e && isspace((unsigned char)s[b]))
                b++;
            while (e > b && isspace((unsigned char)s[e - 1]))
                e--;
            if (e > b)
                res = qr_xstrndup(s + b, (size_t)(e - b));
        }
    }
    utext_close(ut);
    return res;
}

int qr_index_apply_rules(const json_t *attrs, const json_t *rules, const char *text,
                         const json_t *barcodes, json_t *values) {
    int set = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r) {
        const char *attr = json_string_value(json_object_get(r, "attribute"));
        const json_t *a = find_attr(attrs, attr);
        if (!a || json_object_get(values, attr))
            continue;
        URegularExpression *re = compile(json_string_value(json_object_get(r, "pattern")), NULL, 0);
        if (!re)
            continue;
        int barcode = strcmp(json_string_value(json_object_get(r, "source")), "barcode") == 0;
        size_t j, n = barcode ? json_array_size(barcodes) : 1;
        for (j = 0; j < n && !json_object_get(values, attr); j++) {
            const char *s =
                barcode ? json_string_value(json_object_get(json_array_get(barcodes, j), "data"))
                        : text;
            char *m = s ? first_match(re, s) : NULL;
            json_t *v = m ? json_string(m) : NULL;
            json_t *norm = v ? check_value(a, v, NULL) : NULL;
            if (norm) {
                json_object_set_new(values, attr, norm);
                set++;
            }
            json_decref(v);
            free(m);
        }
        uregex_close(re);
    }
    return set;
}
