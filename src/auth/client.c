/* SPDX-License-Identifier: Apache-2.0 */
/* quire: OAuth API clients. */
#include "auth/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/portal.h"
#include "core/json.h"
#include "core/text.h"
#include "core/mem.h"
#include "report/audit.h"
#include "store/db.h"
#include "tenancy/license.h"
#include "tenancy/org.h"

/* A redirect URI: https, or http on the loopback interface for native apps (RFC 8252 7.3);
 * absolute, no fragment, no wildcard, no user info, no whitespace. */
static int redirect_ok(const char *u) {
    size_t n = strlen(u);
    if (n > 2000 || strpbrk(u, "#*\\<>\"") || strchr(u, '@'))
        return 0;
    for (const char *s = u; *s; s++)
        if ((unsigned char)*s < 0x21 || *s == 0x7f)
            return 0;
    if (strncmp(u, "https://", 8) == 0)
        return n > 8 && u[8] != '/';
    return strncmp(u, "http://127.0.0.1:", 17) == 0 || strncmp(u, "http://127.0.0.1/", 17) == 0 ||
           strncmp(u, "http://[::1]:", 13) == 0 || strncmp(u, "http://localhost:", 17) == 0 ||
           strncmp(u, "http://localhost/", 17) == 0;
}

static qr_status_t check_redirects(json_t *uris, int is_public, qr_err_t *err) {
    if (!uris)
        return is_public ? qr_err_set(err, QR_E_INVALID, NULL,
                                      "a public client needs at least one redirect URI")
                         : QR_OK;
    if (!json_is_array(uris) || json_array_size(uris) > 10)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "redirect_uris must be an array of at most 10 URIs");
    size_t i;
    json_t *v;
    json_array_foreach(uris, i, v) {
        if (!json_is_string(v) || !redirect_ok(json_string_value(v)))
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "each redirect URI must be an absolute https:// URL (or http:// on "
                              "127.0.0.1, [::1] or localhost) without fragment, wildcard or user "
                              "info");
    }
    if (is_public && json_array_size(uris) == 0)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "a public client needs at least one redirect URI");
    return QR_OK;
}

void qr_client_clear(qr_client_t *cl) {
    json_decref(cl->redirect_uris);
    cl->redirect_uris = NULL;
    free(cl->name);
    cl->name = NULL;
}

void qr_client_list_free(qr_client_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_client_clear(&v[i]);
    free(v);
}

#define CLIENT_COLUMNS                                                                             \
    "id, org_id, name, created_at, public, redirect_uris, scopes, created_by, last_used_at"

/* Row i of a result selected with CLIENT_COLUMNS (an API client: no device). */
static void client_from_row(const qr_dbres_t *r, int i, qr_client_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    snprintf(out->org_id, sizeof(out->org_id), "%s", qr_dbres_text(r, i, 1));
    out->name = qr_xstrdup(qr_dbres_text(r, i, 2));
    out->created_at = qr_dbres_int(r, i, 3);
    out->is_public = (int)qr_dbres_int(r, i, 4);
    out->redirect_uris = json_loads(qr_dbres_text(r, i, 5), 0, NULL);
    snprintf(out->scopes, sizeof(out->scopes), "%s", qr_dbres_text(r, i, 6));
    if (!qr_dbres_isnull(r, i, 7))
        snprintf(out->created_by, sizeof(out->created_by), "%s", qr_dbres_text(r, i, 7));
    out->last_used_at = qr_dbres_int(r, i, 8);
}

void qr_client_scopes_meet(const char *words, const char *allowed, char out[QR_SCOPES_MAX]) {
    size_t n = 0;
    out[0] = '\0';
    const char *a = allowed;
    while (*a) {
        size_t len = strcspn(a, " ");
        for (const char *w = words; *w;) {
            size_t wl = strcspn(w, " ");
            if (wl == len && memcmp(w, a, len) == 0 && n + len + 2 <= QR_SCOPES_MAX) {
                if (n)
                    out[n++] = ' ';
                memcpy(out + n, a, len);
                out[n += len] = '\0';
                break;
            }
            w += wl;
            w += strspn(w, " ");
        }
        a += len;
        a += strspn(a, " ");
    }
}

/* An API key's scopes (a JSON array) into out in canonical order (QR_CLIENT_SCOPES). */
static qr_status_t check_scopes(json_t *scopes, int is_public, json_t *uris, char *out,
                                qr_err_t *err) {
    out[0] = '\0';
    if (!scopes)
        return QR_OK;
    if (!json_is_array(scopes) || json_array_size(scopes) == 0)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "scopes must be an array of at least one of: " QR_CLIENT_SCOPES);
    char words[QR_SCOPES_MAX] = "";
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(scopes, i, v) {
        const char *sc = json_string_value(v);
        if (!sc || !qr_policy_client_scope_known(sc))
            return qr_err_set(
                err, QR_E_INVALID, NULL,
                "unknown scope %s%.40s%s: an API key's scopes are among: " QR_CLIENT_SCOPES,
                sc ? "'" : "", sc ? sc : "(not a string)", sc ? "'" : "");
        char one[QR_SCOPES_MAX];
        qr_client_scopes_meet(sc, words, one);
        if (one[0])
            return qr_err_set(err, QR_E_INVALID, NULL, "scope '%s' is listed twice", sc);
        n += (size_t)snprintf(words + n, sizeof(words) - n, "%s%s", n ? " " : "", sc);
    }
    if (is_public)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "an API key (scopes) is a confidential client: public must be false");
    if (uris && json_array_size(uris) > 0)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "an API key (scopes) uses the client credentials grant only: it takes "
                          "no redirect_uris");
    qr_client_scopes_meet(words, QR_CLIENT_SCOPES, out);
    return QR_OK;
}

qr_status_t qr_client_lookup(qr_ctx_t *ctx, const char *id, qr_client_t *out) {
    memset(out, 0, sizeof(*out));
    if (!qr_id_is_valid(id))
        return QR_E_NOT_FOUND;
    qr_status_t st;
    if (qr_portal_client_get(ctx, id, out, &st))
        return st;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    st =
        qr_db_q(c, &r, NULL, "SELECT org_id, public, redirect_uris FROM oauth_clients WHERE id = ?",
                QR_TEXT(id));
    if (!st && qr_dbres_rows(r) == 1) {
        memcpy(out->id, id, QR_ID_LEN);
        memcpy(out->org_id, qr_dbres_text(r, 0, 0), QR_ID_LEN);
        out->is_public = (int)qr_dbres_int(r, 0, 1);
        out->redirect_uris = json_loads(qr_dbres_text(r, 0, 2), 0, NULL);
    } else if (!st) {
        st = QR_E_NOT_FOUND;
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

int qr_client_has_redirect(const qr_client_t *cl, const char *uri) {
    size_t i;
    json_t *v;
    json_array_foreach(cl->redirect_uris, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), uri) == 0)
            return 1;
    }
    return 0;
}

qr_status_t qr_client_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                             const char *name, json_t *redirect_uris, int is_public, json_t *scopes,
                             qr_client_t *out, char **secret, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    *secret = NULL;
    char granted[QR_SCOPES_MAX];
    if (qr_text_check_label("name", name, 100, err) ||
        check_redirects(redirect_uris, is_public, err) ||
        check_scopes(scopes, is_public, redirect_uris, granted, err))
        return QR_E_INVALID;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_CLIENTS, QR_ACCESS_WRITE, &ref, err);
    if (!st && granted[0] && !qr_license_has_feature(c, ref.id, "api_keys"))
        st = qr_err_set(err, QR_E_FORBIDDEN, "feature_disabled",
                        "API keys are not enabled for this organization: its provider must add "
                        "the feature \"api_keys\" to its license");
    if (!st)
        st = qr_dbc_begin(c);
    if (!st) {
        char id[QR_ID_LEN + 1], hash[65];
        unsigned char raw[32];
        qr_random_id(id);
        qr_random_bytes(raw, sizeof(raw));
        char *made = qr_b64url_encode(raw, sizeof(raw));
        qr_sha256_hex(made, strlen(made), hash);
        char *uris = redirect_uris ? qr_json_dump(redirect_uris) : qr_xstrdup("[]");
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO oauth_clients (id, org_id, name, secret_hash, created_by, "
                     "created_at, redirect_uris, public, scopes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                     "?)",
                     QR_TEXT(id), QR_TEXT(ref.id), QR_TEXT(name), QR_TEXT(is_public ? "-" : hash),
                     QR_TEXT(p->user_id), QR_INT(now), QR_TEXT(uris), QR_INT(is_public ? 1 : 0),
                     QR_TEXT(granted));
        if (!st) {
            char *detail = granted[0] ? qr_xasprintf("%s (scopes: %s)", name, granted) : NULL;
            qr_audit_write(c, now, ref.id, p->user_id,
                           granted[0] ? "api_key_created" : "client_created", id,
                           detail ? detail : name);
            free(detail);
            st = qr_dbc_commit(c);
        }
        if (!st) {
            memcpy(out->id, id, sizeof(id));
            memcpy(out->scopes, granted, sizeof(granted));
            snprintf(out->created_by, sizeof(out->created_by), "%s", p->user_id);
            memcpy(out->org_id, ref.id, sizeof(ref.id));
            out->name = qr_xstrdup(name);
            out->created_at = now;
            out->is_public = is_public;
            out->redirect_uris = json_loads(uris, 0, NULL);
        }
        free(uris);
        if (!st && !is_public) {
            *secret = made;
        } else {
            memset(made, 0, strlen(made));
            free(made);
        }
    }
    qr_db_release(c);
    return st;
}

static void client_row(qr_dbc_t *c, const qr_dbres_t *r, int i, void *out, void *arg) {
    (void)c;
    (void)arg;
    client_from_row(r, i, out);
}

qr_status_t qr_client_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           qr_client_t **items, size_t *n, qr_err_t *err) {
    void *v = NULL;
    qr_status_t st = qr_org_list_rows(ctx, p, org_id, QR_RES_CLIENTS,
                                      "SELECT " CLIENT_COLUMNS " FROM oauth_clients "
                                      "WHERE org_id = ? AND device_id IS NULL "
                                      "ORDER BY created_at, id",
                                      NULL, 0, sizeof(**items), client_row, NULL, &v, n, err);
    *items = v;
    return st;
}

qr_status_t qr_client_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             qr_err_t *err) {
    if (!qr_id_is_valid(id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "client not found");
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_org_ref_t ref;
    qr_status_t st = qr_org_find_row(c, p, QR_RES_CLIENTS,
                                     "SELECT k.org_id, k.scopes FROM oauth_clients k JOIN orgs o "
                                     "ON o.id = k.org_id WHERE k.id = ? AND k.device_id IS NULL "
                                     "AND ",
                                     id, QR_ACCESS_WRITE, "client", &r, &ref, err);
    int key = !st && qr_dbres_text(r, 0, 1)[0] != '\0';
    if (!st)
        st = qr_dbc_begin(c);
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "DELETE FROM oauth_clients WHERE id = ? AND org_id = ? AND device_id IS NULL",
                     QR_TEXT(id), QR_TEXT(ref.id));
    /* The people's sessions of that client end with it (their tokens were bound to it). */
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE sessions SET revoked = 1 WHERE client_id = ? AND org_id = ? AND "
                     "revoked = 0",
                     QR_TEXT(id), QR_TEXT(ref.id));
    if (!st) {
        qr_audit_write(c, now, ref.id, p->user_id, key ? "api_key_revoked" : "client_deleted", id,
                       "");
        st = qr_dbc_commit(c);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_client_authenticate(qr_ctx_t *ctx, const char *id, const char *secret,
                                   qr_client_t *out, qr_err_t *err) {
    char hash[65];
    qr_sha256_hex(secret ? secret : "", secret ? strlen(secret) : 0, hash);
    qr_status_t st = QR_E_UNAUTHORIZED;
    if (id && secret && qr_id_is_valid(id)) {
        qr_dbc_t *c = qr_db_acquire(ctx->db);
        qr_dbres_t *r = NULL;
        /* A device's client works only while its device is enabled (DEV-3). */
        if (qr_db_q(c, &r, NULL,
                    "SELECT k.org_id, k.secret_hash, k.device_id, k.scopes FROM oauth_clients "
                    "k LEFT JOIN "
                    "devices d ON d.id = k.device_id WHERE k.id = ? AND k.public = 0 AND "
                    "(k.device_id IS NULL OR d.enabled = 1)",
                    QR_TEXT(id)) == QR_OK &&
            qr_dbres_rows(r) == 1 && strlen(qr_dbres_text(r, 0, 1)) == 64 &&
            qr_ct_equal(qr_dbres_text(r, 0, 1), hash, 64)) {
            memset(out, 0, sizeof(*out));
            memcpy(out->id, id, QR_ID_LEN);
            memcpy(out->org_id, qr_dbres_text(r, 0, 0), QR_ID_LEN);
            if (!qr_dbres_isnull(r, 0, 2))
                memcpy(out->device_id, qr_dbres_text(r, 0, 2), QR_ID_LEN);
            snprintf(out->scopes, sizeof(out->scopes), "%s", qr_dbres_text(r, 0, 3));
            st = QR_OK;
        }
        qr_dbres_free(r);
        qr_db_release(c);
    }
    if (st)
        qr_err_set(err, st, "invalid_client", "client authentication failed");
    return st;
}

int qr_client_exists(qr_ctx_t *ctx, const char *id, const char *org_id) {
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    int ok = qr_db_q(c, &r, NULL,
                     "SELECT 1 FROM oauth_clients k LEFT JOIN devices d ON d.id = k.device_id "
                     "WHERE k.id = ? AND k.org_id = ? AND (k.device_id IS NULL OR d.enabled = 1)",
                     QR_TEXT(id), QR_TEXT(org_id)) == QR_OK &&
             qr_dbres_rows(r) == 1;
    qr_dbres_free(r);
    qr_db_release(c);
    return ok;
}

qr_status_t qr_client_grant(qr_ctx_t *ctx, qr_client_t *cl, const char *requested, qr_err_t *err) {
    char granted[QR_SCOPES_MAX];
    /* Other clients (devices, code-flow apps) get a token without scope, whatever they ask
     * (RFC 6749 3.3 lets the server ignore it), as before API keys. */
    if (!cl->scopes[0] || cl->device_id[0])
        return QR_OK;
    if (requested && requested[strspn(requested, " ")]) {
        /* Every requested scope must be one of the client's (RFC 6749 5.2 invalid_scope). */
        for (const char *w = requested + strspn(requested, " "); *w;) {
            size_t n = strcspn(w, " ");
            char one[QR_SCOPES_MAX];
            snprintf(one, sizeof(one), "%.*s", (int)(n < 64 ? n : 64), w);
            qr_client_scopes_meet(one, cl->scopes, granted);
            if (n >= 64 || !granted[0])
                return qr_err_set(err, QR_E_INVALID, "invalid_scope",
                                  "scope '%s' is not granted to this API key; it may ask for: %s",
                                  one, cl->scopes);
            w += n;
            w += strspn(w, " ");
        }
        qr_client_scopes_meet(requested, cl->scopes, granted);
    } else {
        snprintf(granted, sizeof(granted), "%s", cl->scopes);
    }
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = QR_OK;
    if (!qr_license_has_feature(c, cl->org_id, "api_keys"))
        st = qr_err_set(err, QR_E_INVALID, "unauthorized_client",
                        "API keys are not enabled for this organization: its provider must add "
                        "the feature \"api_keys\" to its license");
    else
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE oauth_clients SET last_used_at = ? WHERE id = ? AND org_id = ?",
                     QR_INT(now), QR_TEXT(cl->id), QR_TEXT(cl->org_id));
    qr_db_release(c);
    if (!st)
        memcpy(cl->scopes, granted, sizeof(granted));
    return st;
}
