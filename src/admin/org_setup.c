/* SPDX-License-Identifier: Apache-2.0 */
/* quire: org creation and the first start's root provider, across tenancy, auth and scan. */
#include "admin/org_setup.h"

#include <stdlib.h>
#include <string.h>

#include "auth/account.h"
#include "core/mem.h"
#include "scan/capture.h"
#include "store/audit.h"

/* Wipes and frees a generated password; accepts NULL. */
static void password_free(char *pw) {
    if (pw) {
        memset(pw, 0, strlen(pw));
        free(pw);
    }
}

/* Inserts the first admin of the new org id (of type org_type) on c into admin_id. */
static qr_status_t insert_admin(qr_ctx_t *ctx, qr_dbc_t *c, const qr_principal_t *p, const char *id,
                                const char *org_type, const qr_admin_input_t *admin, int64_t now,
                                char admin_id[QR_ID_LEN + 1], char **password, qr_err_t *err) {
    qr_user_input_t u;
    qr_user_input_init(&u);
    u.username = admin->username;
    u.email = admin->email;
    u.first_name = admin->first_name;
    u.last_name = admin->last_name;
    u.role = strcmp(org_type, "provider") == 0 ? "provider_admin" : "customer_admin";
    qr_status_t st = qr__account_insert(ctx, c, id, org_type, &u, now, admin_id, password, err);
    if (!st)
        qr_audit_write(c, now, id, p->user_id, "user_created", admin_id, u.role);
    return st;
}

qr_status_t qr_org_setup_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_org_input_t *in,
                                const qr_admin_input_t *admin, qr_org_t *org, qr_user_t *admin_user,
                                char **password, qr_err_t *err) {
    memset(org, 0, sizeof(*org));
    memset(admin_user, 0, sizeof(*admin_user));
    *password = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t parent;
    char id[QR_ID_LEN + 1], admin_id[QR_ID_LEN + 1] = "";
    qr_status_t st = qr__org_check_new(c, p, in, &parent, err);
    if (st || (st = qr_dbc_begin(c)))
        goto out;
    if ((st = qr__org_insert_row(c, in, &parent, now, id, err)))
        goto out;
    /* TEN-6: the new org starts with a copy of its parent's document classes. */
    if ((st = qr__capture_inherit(c, parent.id, id, now)))
        goto out;
    if (admin && (st = insert_admin(ctx, c, p, id, in->type, admin, now, admin_id, password, err)))
        goto out;
    qr_audit_write(c, now, parent.id, p->user_id, "org_created", id, in->slug);
    if ((st = qr_dbc_commit(c)))
        goto out;
    if ((st = qr__org_read(c, p, id, org)))
        goto out;
    if (admin)
        st = qr__user_read(c, admin_id, now, admin_user);
out:
    qr_db_release(c);
    if (st) {
        password_free(*password);
        *password = NULL;
    }
    return st;
}

qr_status_t qr_org_bootstrap(qr_ctx_t *ctx, const char *username, char **org_id, char **password,
                             qr_err_t *err) {
    *password = NULL;
    *org_id = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    char id[QR_ID_LEN + 1], uid[QR_ID_LEN + 1];
    int created = 0;
    qr_status_t st = qr_dbc_begin(c);
    if (st || (st = qr__org_ensure_root(c, now, id, &created)))
        goto out;
    if (!created) {
        *org_id = qr_xstrdup(id);
        goto out;
    }
    qr_user_input_t u;
    qr_user_input_init(&u);
    u.username = username;
    u.role = "provider_admin";
    u.first_name = "Root";
    u.last_name = "Administrator";
    /* The password is generated, so one-time: the admin must choose their own first. */
    if ((st = qr__account_insert(ctx, c, id, "provider", &u, now, uid, password, err)))
        goto out;
    qr_audit_write(c, now, id, NULL, "bootstrap", uid, "root provider and first admin created");
    if ((st = qr_dbc_commit(c)))
        goto out;
    *org_id = qr_xstrdup(id);
out:
    if (st && *password) {
        free(*password);
        *password = NULL;
    }
    qr_db_release(c);
    if (st && !err->msg[0])
        qr_err_set(err, st, NULL, "bootstrap failed (see the log)");
    return st;
}
