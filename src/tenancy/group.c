/* SPDX-License-Identifier: Apache-2.0 */
/* quire: user groups. Every query carries the org condition of the resolved org. */
#include "tenancy/group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/text.h"
#include "store/audit.h"
#include "store/db.h"
#include "tenancy/org.h"

#define GROUP_NAME_MAX 100

void qr_group_clear(qr_group_t *g) {
    free(g->name);
    free(g->members);
    memset(g, 0, sizeof(*g));
}

void qr_group_list_free(qr_group_t *v, size_t n) {
    for (size_t i = 0; v && i < n; i++)
        qr_group_clear(&v[i]);
    free(v);
}

/* Fills out with group id of org_id named name and reads its members on c. */
static void group_load(qr_dbc_t *c, const char *id, const char *org_id, const char *name,
                       qr_group_t *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->org_id, sizeof(out->org_id), "%s", org_id);
    out->name = qr_xstrdup(name);
    qr_dbres_t *r = NULL;
    if (qr_db_q(c, &r, NULL,
                "SELECT user_id FROM group_members WHERE group_id = ? AND org_id = ? "
                "ORDER BY user_id",
                QR_TEXT(id), QR_TEXT(org_id)) == QR_OK) {
        out->n_members = (size_t)qr_dbres_rows(r);
        out->members = qr_xcalloc(out->n_members ? out->n_members : 1, sizeof(*out->members));
        for (size_t i = 0; i < out->n_members; i++)
            snprintf(out->members[i], sizeof(out->members[i]), "%s", qr_dbres_text(r, (int)i, 0));
    }
    qr_dbres_free(r);
}

/* Finds a group in an org where the principal has want on groups. */
static qr_status_t resolve_group(qr_dbc_t *c, const qr_principal_t *p, const char *id,
                                 qr_access_t want, qr_org_ref_t *ref, char *name, size_t namelen,
                                 qr_err_t *err) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_org_find_row(c, p, QR_RES_GROUPS,
                                     "SELECT g.org_id, g.name FROM user_groups g JOIN orgs o ON "
                                     "o.id = g.org_id WHERE g.id = ? AND ",
                                     id, want, "group", &r, ref, err);
    if (r && qr_dbres_rows(r) == 1)
        snprintf(name, namelen, "%s", qr_dbres_text(r, 0, 1));
    qr_dbres_free(r);
    return st;
}

/* The answer to a write of a group's name: a taken name's message, else the audit row
 * (action) and the group as it now is. */
static qr_status_t named(qr_dbc_t *c, const qr_principal_t *p, qr_status_t st, int64_t now,
                         const char *action, const char *id, const char *org_id, const char *name,
                         qr_group_t *out, qr_err_t *err) {
    if (st == QR_E_CONFLICT)
        qr_err_set(err, st, NULL, "a group named '%.100s' already exists", name);
    if (st)
        return st;
    qr_audit_write(c, now, org_id, p->user_id, action, id, name);
    group_load(c, id, org_id, name, out);
    return QR_OK;
}

qr_status_t qr_group_create(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                            const char *name, qr_group_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (qr_text_check_label("name", name, GROUP_NAME_MAX, err))
        return QR_E_INVALID;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    char id[QR_ID_LEN + 1];
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_GROUPS, QR_ACCESS_WRITE, &ref, err);
    if (!st) {
        qr_random_id(id);
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO user_groups (id, org_id, name, created_at) VALUES (?, ?, ?, ?)",
                     QR_TEXT(id), QR_TEXT(ref.id), QR_TEXT(name), QR_INT(now));
        st = named(c, p, st, now, "group_created", id, ref.id, name, out, err);
    }
    qr_db_release(c);
    return st;
}

static void group_row(qr_dbc_t *c, const qr_dbres_t *r, int i, void *out, void *arg) {
    (void)arg;
    group_load(c, qr_dbres_text(r, i, 0), qr_dbres_text(r, i, 1), qr_dbres_text(r, i, 2), out);
}

qr_status_t qr_group_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                          qr_group_t **items, size_t *n, qr_err_t *err) {
    void *v = NULL;
    qr_status_t st =
        qr_org_list_rows(ctx, p, org_id, QR_RES_GROUPS,
                         "SELECT id, org_id, name FROM user_groups WHERE org_id = ? ORDER BY name",
                         NULL, 0, sizeof(**items), group_row, NULL, &v, n, err);
    *items = v;
    return st;
}

qr_status_t qr_group_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_group_t *out,
                         qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    char name[128];
    qr_status_t st = resolve_group(c, p, id, QR_ACCESS_READ, &ref, name, sizeof(name), err);
    if (!st)
        group_load(c, id, ref.id, name, out);
    qr_db_release(c);
    return st;
}

qr_status_t qr_group_rename(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                            const char *name, qr_group_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (qr_text_check_label("name", name, GROUP_NAME_MAX, err))
        return QR_E_INVALID;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    char old[128];
    qr_status_t st = resolve_group(c, p, id, QR_ACCESS_WRITE, &ref, old, sizeof(old), err);
    if (!st) {
        st = qr_db_q(c, NULL, NULL, "UPDATE user_groups SET name = ? WHERE id = ? AND org_id = ?",
                     QR_TEXT(name), QR_TEXT(id), QR_TEXT(ref.id));
        st = named(c, p, st, now, "group_renamed", id, ref.id, name, out, err);
    }
    qr_db_release(c);
    return st;
}

qr_status_t qr_group_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    char name[128];
    qr_status_t st = resolve_group(c, p, id, QR_ACCESS_WRITE, &ref, name, sizeof(name), err);
    if (!st)
        st = qr_db_q(c, NULL, NULL, "DELETE FROM user_groups WHERE id = ? AND org_id = ?",
                     QR_TEXT(id), QR_TEXT(ref.id));
    if (!st)
        qr_audit_write(c, now, ref.id, p->user_id, "group_deleted", id, name);
    qr_db_release(c);
    return st;
}

qr_status_t qr_group_set_member(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                const char *user_id, int add, qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    char name[128];
    qr_status_t st = resolve_group(c, p, id, QR_ACCESS_WRITE, &ref, name, sizeof(name), err);
    if (st)
        goto out;
    if (!qr_id_is_valid(user_id)) {
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found");
        goto out;
    }
    if ((st = qr_db_q(c, &r, NULL, "SELECT id FROM users WHERE id = ? AND org_id = ?",
                      QR_TEXT(user_id), QR_TEXT(ref.id))))
        goto out;
    if (qr_dbres_rows(r) != 1) {
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "user not found in this organization");
        goto out;
    }
    if (add) {
        st = qr_db_q(c, NULL, NULL,
                     "INSERT INTO group_members (group_id, user_id, org_id) VALUES (?, ?, ?)",
                     QR_TEXT(id), QR_TEXT(user_id), QR_TEXT(ref.id));
        if (st == QR_E_CONFLICT)
            st = QR_OK; /* already a member: PUT is idempotent */
    } else {
        st = qr_db_q(c, NULL, NULL,
                     "DELETE FROM group_members WHERE group_id = ? AND user_id = ? AND org_id = ?",
                     QR_TEXT(id), QR_TEXT(user_id), QR_TEXT(ref.id));
    }
    if (!st)
        qr_audit_write(c, now, ref.id, p->user_id,
                       add ? "group_member_added" : "group_member_removed", id, user_id);
out:
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
