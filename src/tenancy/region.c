/* SPDX-License-Identifier: Apache-2.0 */
/* quire: regions (TEN-7), managed by the root provider's admins; an org's region (orgs.
 * region_id) is set by its parent (tenancy/org.c) and read here for the PIN rule and the
 * desktop client's settings. */
#include "tenancy/region.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/mem.h"
#include "core/text.h"
#include "store/audit.h"
#include "tenancy/org.h"

#define REGION_COLUMNS                                                                             \
    "id, name, eula_url, privacy_url, desktop_client_url, pin_lengths, desktop_idle_minutes, "     \
    "created_at, updated_at"

void qr_region_input_init(qr_region_input_t *in) {
    memset(in, 0, sizeof(*in));
    in->desktop_idle_minutes = -1;
}

void qr_region_clear(qr_region_t *g) {
    free(g->name);
    free(g->eula_url);
    free(g->privacy_url);
    free(g->desktop_client_url);
    json_decref(g->pin_lengths);
    memset(g, 0, sizeof(*g));
}

void qr_region_list_free(qr_region_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_region_clear(&v[i]);
    free(v);
}

static void region_from_row(const qr_dbres_t *r, int i, qr_region_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", qr_dbres_text(r, i, 0));
    out->name = qr_xstrdup(qr_dbres_text(r, i, 1));
    out->eula_url = qr_xstrdup(qr_dbres_text(r, i, 2));
    out->privacy_url = qr_xstrdup(qr_dbres_text(r, i, 3));
    out->desktop_client_url = qr_xstrdup(qr_dbres_text(r, i, 4));
    out->pin_lengths = json_loads(qr_dbres_text(r, i, 5), 0, NULL);
    if (!json_is_array(out->pin_lengths)) {
        json_decref(out->pin_lengths);
        out->pin_lengths = json_array();
    }
    out->desktop_idle_minutes = qr_dbres_int(r, i, 6);
    out->created_at = qr_dbres_int(r, i, 7);
    out->updated_at = qr_dbres_int(r, i, 8);
}

/* The bits of an array of PIN lengths (bit n: length n). */
static unsigned lengths_mask(const json_t *a) {
    unsigned mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 16)
            mask |= 1u << json_integer_value(v);
    }
    return mask;
}

void qr_pin_lengths_text(unsigned mask, char *out, size_t size) {
    size_t n = 0, left = 0;
    out[0] = '\0';
    for (int k = 1; k < 16; k++)
        left += (mask >> k) & 1u;
    for (int k = 1; k < 16 && n < size; k++) {
        if (!(mask & (1u << k)))
            continue;
        const char *sep = n == 0 ? "" : left == 1 ? " or " : ", ";
        int w = snprintf(out + n, size - n, "%s%d", sep, k);
        n += w > 0 ? (size_t)w : 0;
        left--;
    }
}

/* Regions are the root provider's admins' (TEN-7). */
static qr_status_t check_root_admin(const qr_principal_t *p, qr_err_t *err) {
    if (p->kind != QR_PRINCIPAL_USER || p->org_depth != 0 || p->role != QR_ROLE_PROVIDER_ADMIN)
        return qr_err_set(err, QR_E_FORBIDDEN, NULL,
                          "regions are managed by the root provider's admins");
    return QR_OK;
}

/* Checks the fields that are given; on create, name is required. */
static qr_status_t validate(const qr_region_input_t *in, int creating, qr_err_t *err) {
    if (in->name ? qr_text_check_label("name", in->name, 100, err) != QR_OK
                 : creating && qr_err_set(err, QR_E_INVALID, NULL, "field 'name' is required"))
        return QR_E_INVALID;
    if (qr_org_check_url("eula_url", in->eula_url, err) ||
        qr_org_check_url("privacy_url", in->privacy_url, err) ||
        qr_org_check_url("desktop_client_url", in->desktop_client_url, err))
        return QR_E_INVALID;
    if (in->pin_lengths) {
        size_t i;
        json_t *v;
        int ok = json_is_array(in->pin_lengths) && json_array_size(in->pin_lengths) <= 4;
        json_array_foreach(in->pin_lengths, i, v) {
            json_int_t k = json_is_integer(v) ? json_integer_value(v) : 0;
            ok = ok && (k == 4 || k == 5 || k == 6 || k == 8);
        }
        if (!ok)
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "pin_lengths must list none (no rule) or some of 4, 5, 6 and 8");
    }
    if (in->desktop_idle_minutes != -1 &&
        (in->desktop_idle_minutes < 0 || in->desktop_idle_minutes > QR_REGION_IDLE_MAX))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "desktop_idle_minutes must be from 0 (not set) to %d",
                          QR_REGION_IDLE_MAX);
    return QR_OK;
}

static qr_status_t read_region(qr_dbc_t *c, const char *id, qr_region_t *out, qr_err_t *err) {
    qr_dbres_t *r = NULL;
    memset(out, 0, sizeof(*out));
    qr_status_t st =
        qr_id_is_valid(id)
            ? qr_db_q(c, &r, NULL, "SELECT " REGION_COLUMNS " FROM regions WHERE id = ?",
                      QR_TEXT(id))
            : QR_OK;
    if (!st && (!r || qr_dbres_rows(r) != 1))
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "region not found");
    else if (!st)
        region_from_row(r, 0, out);
    qr_dbres_free(r);
    return st;
}

/* The audit row of a region change, in the root org (the principal's). */
static void audit(qr_dbc_t *c, const qr_principal_t *p, int64_t now, const char *action,
                  const char *id, const char *name) {
    qr_audit_write(c, now, p->org_id, p->user_id, action, id, name);
}

qr_status_t qr_region_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_region_input_t *in,
                             qr_region_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (check_root_admin(p, err) || validate(in, 1, err))
        return err->status;
    int64_t now = qr_clock_now(ctx->clock);
    char id[QR_ID_LEN + 1];
    qr_random_id(id);
    char *lengths = in->pin_lengths ? qr_json_dump(in->pin_lengths) : qr_xstrdup("[]");
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = qr_dbc_begin(c);
    if (!st)
        st =
            qr_db_q(c, NULL, NULL,
                    "INSERT INTO regions (id, name, eula_url, privacy_url, desktop_client_url, "
                    "pin_lengths, desktop_idle_minutes, created_at, updated_at) VALUES (?, ?, "
                    "?, ?, ?, ?, ?, ?, ?)",
                    QR_TEXT(id), QR_TEXT(in->name), QR_TEXT(in->eula_url ? in->eula_url : ""),
                    QR_TEXT(in->privacy_url ? in->privacy_url : ""),
                    QR_TEXT(in->desktop_client_url ? in->desktop_client_url : ""), QR_TEXT(lengths),
                    QR_INT(in->desktop_idle_minutes >= 0 ? in->desktop_idle_minutes : 0),
                    QR_INT(now), QR_INT(now));
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, NULL, "a region named '%s' exists already", in->name);
    if (!st) {
        audit(c, p, now, "region_created", id, in->name);
        st = qr_dbc_commit(c);
    }
    if (!st)
        st = read_region(c, id, out, err);
    qr_db_release(c);
    free(lengths);
    return st;
}

qr_status_t qr_region_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_region_t **items, size_t *n,
                           qr_err_t *err) {
    *items = NULL;
    *n = 0;
    if (check_root_admin(p, err))
        return err->status;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT " REGION_COLUMNS " FROM regions WHERE id <> ? ORDER BY name",
                QR_TEXT(""));
    if (!st) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n ? *n : 1, sizeof(**items));
        for (size_t i = 0; i < *n; i++)
            region_from_row(r, (int)i, &(*items)[i]);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_region_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_region_t *out,
                          qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (check_root_admin(p, err))
        return err->status;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_status_t st = read_region(c, id, out, err);
    qr_db_release(c);
    return st;
}

qr_status_t qr_region_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             const qr_region_input_t *in, qr_region_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (check_root_admin(p, err) || validate(in, 0, err))
        return err->status;
    int64_t now = qr_clock_now(ctx->clock);
    char *lengths = in->pin_lengths ? qr_json_dump(in->pin_lengths) : NULL;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_region_t old;
    qr_status_t st = read_region(c, id, &old, err);
    if (!st)
        st = qr_dbc_begin(c);
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE regions SET name = COALESCE(?, name), eula_url = COALESCE(?, "
                     "eula_url), privacy_url = COALESCE(?, privacy_url), desktop_client_url = "
                     "COALESCE(?, desktop_client_url), pin_lengths = COALESCE(?, pin_lengths), "
                     "desktop_idle_minutes = CASE WHEN ? >= 0 THEN ? ELSE desktop_idle_minutes "
                     "END, updated_at = ? WHERE id = ?",
                     QR_TEXT(in->name), QR_TEXT(in->eula_url), QR_TEXT(in->privacy_url),
                     QR_TEXT(in->desktop_client_url), QR_TEXT(lengths),
                     QR_INT(in->desktop_idle_minutes), QR_INT(in->desktop_idle_minutes),
                     QR_INT(now), QR_TEXT(old.id));
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, NULL, "a region named '%s' exists already", in->name);
    if (!st) {
        audit(c, p, now, "region_updated", old.id, in->name ? in->name : old.name);
        st = qr_dbc_commit(c);
    }
    if (!st)
        st = read_region(c, old.id, out, err);
    qr_region_clear(&old);
    qr_db_release(c);
    free(lengths);
    return st;
}

qr_status_t qr_region_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             qr_err_t *err) {
    if (check_root_admin(p, err))
        return err->status;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_region_t old;
    qr_status_t st = read_region(c, id, &old, err);
    if (!st)
        st = qr_dbc_begin(c);
    if (!st)
        st = qr_db_q(c, &r, NULL, "SELECT COUNT(*) FROM orgs WHERE region_id = ?", QR_TEXT(old.id));
    if (!st && qr_dbres_int(r, 0, 0) > 0)
        st = qr_err_set(err, QR_E_CONFLICT, "in_use",
                        "%lld organization%s belong%s to the region '%s': move them to another "
                        "region first",
                        qr_dbres_int(r, 0, 0), qr_dbres_int(r, 0, 0) == 1 ? "" : "s",
                        qr_dbres_int(r, 0, 0) == 1 ? "s" : "", old.name);
    if (!st)
        st = qr_db_q(c, NULL, NULL, "DELETE FROM regions WHERE id = ?", QR_TEXT(old.id));
    if (!st) {
        audit(c, p, now, "region_deleted", old.id, old.name);
        st = qr_dbc_commit(c);
    }
    qr_dbres_free(r);
    qr_region_clear(&old);
    qr_db_release(c);
    return st;
}

qr_status_t qr_region_of_org(qr_dbc_t *c, const char *org_id, qr_region_t *out, int *found) {
    qr_dbres_t *r = NULL;
    memset(out, 0, sizeof(*out));
    *found = 0;
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT g.id, g.name, g.eula_url, g.privacy_url, "
                             "g.desktop_client_url, g.pin_lengths, g.desktop_idle_minutes, "
                             "g.created_at, g.updated_at FROM orgs o JOIN regions g ON g.id = "
                             "o.region_id WHERE o.id = ?",
                             QR_TEXT(org_id));
    if (!st && qr_dbres_rows(r) == 1) {
        region_from_row(r, 0, out);
        *found = 1;
    }
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_region_pin_lengths(qr_dbc_t *c, const char *org_id, unsigned org_lengths,
                                  unsigned *out) {
    qr_region_t g;
    int found = 0;
    *out = org_lengths;
    qr_status_t st = qr_region_of_org(c, org_id, &g, &found);
    unsigned rule = found ? lengths_mask(g.pin_lengths) : 0;
    if (!st && rule)
        *out = (org_lengths & rule) ? (org_lengths & rule) : rule;
    qr_region_clear(&g);
    return st;
}

qr_status_t qr__region_check_id(qr_dbc_t *c, const char *id, qr_err_t *err) {
    if (!id || !id[0])
        return QR_OK;
    qr_region_t g;
    qr_status_t st = read_region(c, id, &g, err);
    qr_region_clear(&g);
    if (st == QR_E_NOT_FOUND)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "region_id is not a region (GET /api/v1/regions)");
    return st;
}

qr_status_t qr_region_client_settings(qr_ctx_t *ctx, const qr_principal_t *p,
                                      qr_client_settings_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (p->kind != QR_PRINCIPAL_USER)
        return qr_err_set(err, QR_E_FORBIDDEN, NULL, "these settings are a signed-in user's");
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL, "SELECT pin_lengths FROM orgs WHERE id = ?", QR_TEXT(p->org_id));
    unsigned own = 0;
    if (!st && qr_dbres_rows(r) == 1) {
        json_t *a = json_loads(qr_dbres_text(r, 0, 0), 0, NULL);
        own = lengths_mask(a);
        json_decref(a);
    }
    if (!st)
        st = qr_region_pin_lengths(c, p->org_id, own, &out->pin_lengths);
    if (!st)
        st = qr_region_of_org(c, p->org_id, &out->region, &out->has_region);
    out->desktop_idle_minutes = out->has_region && out->region.desktop_idle_minutes > 0
                                    ? out->region.desktop_idle_minutes
                                    : QR_DESKTOP_IDLE_DEFAULT;
    qr_dbres_free(r);
    qr_db_release(c);
    if (st)
        qr_err_set(err, st, NULL, "the settings could not be read");
    return st;
}
