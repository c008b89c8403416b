/* SPDX-License-Identifier: Apache-2.0 */
/* quire: strict JSON intake. */
#include "core/json.h"

#include <stdlib.h>
#include <string.h>

/* Measures the nesting depth of JSON text without parsing it, so that a deeply nested
 * document is refused before jansson recurses into it. Strings are skipped. */
static int nesting_too_deep(const char *s, size_t n, int max) {
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return 1;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

qr_status_t qr_json_parse_object(const char *data, size_t len, json_t **out, qr_err_t *err) {
    *out = NULL;
    if (len == 0) {
        *out = json_object();
        return QR_OK;
    }
    if (nesting_too_deep(data, len, QR_JSON_MAX_DEPTH))
        return qr_err_set(err, QR_E_INVALID, "invalid_json",
                          "JSON nesting is deeper than %d levels", QR_JSON_MAX_DEPTH);
    json_error_t je;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return qr_err_set(err, QR_E_INVALID, "invalid_json",
                          "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return qr_err_set(err, QR_E_INVALID, "invalid_json", "the body must be a JSON object");
    }
    *out = v;
    return QR_OK;
}

qr_status_t qr_json_check_keys(json_t *obj, const char *const *allowed, qr_err_t *err) {
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key) == 0) {
                ok = 1;
                break;
            }
        if (!ok) {
            char shown[65];
            size_t n = strlen(key);
            if (n > 64)
                n = 64;
            memcpy(shown, key, n);
            shown[n] = '\0';
            return qr_err_set(err, QR_E_INVALID, NULL, "unknown field '%s'", shown);
        }
    }
    return QR_OK;
}

qr_status_t qr_json_get_str(json_t *obj, const char *key, int required, size_t maxlen,
                            const char **out, qr_err_t *err) {
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required)
            return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' is required", key);
        return QR_OK;
    }
    if (!json_is_string(v))
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' must be a string", key);
    size_t n = json_string_length(v);
    if (n == 0 && required)
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' must not be empty", key);
    if (n > maxlen)
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' is longer than %zu bytes", key,
                          maxlen);
    *out = json_string_value(v);
    return QR_OK;
}

qr_status_t qr_json_get_int(json_t *obj, const char *key, int required, long long min,
                            long long max, long long *out, int *present, qr_err_t *err) {
    if (present)
        *present = 0;
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' is required", key);
        return QR_OK;
    }
    if (!json_is_integer(v))
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' must be an integer", key);
    long long x = json_integer_value(v);
    if (x < min || x > max)
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' must be from %lld to %lld", key, min,
                          max);
    *out = x;
    if (present)
        *present = 1;
    return QR_OK;
}

qr_status_t qr_json_get_bool(json_t *obj, const char *key, int required, int *out, int *present,
                             qr_err_t *err) {
    if (present)
        *present = 0;
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' is required", key);
        return QR_OK;
    }
    if (!json_is_boolean(v))
        return qr_err_set(err, QR_E_INVALID, NULL, "field '%s' must be true or false", key);
    *out = json_is_true(v);
    if (present)
        *present = 1;
    return QR_OK;
}

char *qr_json_dump(const json_t *v) {
    char *s = json_dumps(v, JSON_COMPACT);
    if (!s)
        abort();
    return s;
}
