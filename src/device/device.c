/* SPDX-License-Identifier: Apache-2.0 */
/* quire: device registration, license cap, credentials. */
#include "device/device.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keyring.h"
#include "auth/session.h"
#include "core/mem.h"
#include "report/audit.h"
#include "store/db.h"
#include "tenancy/license.h"
#include "tenancy/org.h"

/* The one column list of a device row; device_from_row reads it. */
#define DEVICE_COLUMNS                                                                             \
    "d.id, d.org_id, d.serial, d.model, d.hostname, d.ip, d.enabled, d.client_id, d.created_at"

void qr_device_input_init(qr_device_input_t *in) {
    memset(in, 0, sizeof(*in));
    in->enabled = -1;
}

static void copy_id(char *dst, const char *src) {
    snprintf(dst, QR_ID_LEN + 1, "%s", src ? src : "");
}

/* Row i of a result holding DEVICE_COLUMNS (first) into *d. */
static void device_from_row(const qr_dbres_t *r, int i, qr_device_t *d) {
    memset(d, 0, sizeof(*d));
    copy_id(d->id, qr_dbres_text(r, i, 0));
    copy_id(d->org_id, qr_dbres_text(r, i, 1));
    d->serial = qr_dbres_strdup(r, i, 2);
    d->model = qr_dbres_strdup(r, i, 3);
    d->hostname = qr_dbres_strdup(r, i, 4);
    d->ip = qr_dbres_strdup(r, i, 5);
    d->enabled = (int)qr_dbres_int(r, i, 6);
    copy_id(d->client_id, qr_dbres_text(r, i, 7));
    d->created_at = qr_dbres_int(r, i, 8);
}

void qr_device_clear(qr_device_t *d) {
    if (!d)
        return;
    free(d->serial);
    free(d->model);
    free(d->hostname);
    free(d->ip);
    free(d->org_name);
    memset(d, 0, sizeof(*d));
}

void qr_device_list_free(qr_device_t *v, size_t n) {
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        qr_device_clear(&v[i]);
    free(v);
}

static int only(const char *s, const char *set) {
    return strspn(s, set) == strlen(s);
}

static qr_status_t validate(const qr_device_input_t *in, int creating, qr_err_t *err) {
    if (creating && !in->serial)
        return qr_err_set(err, QR_E_INVALID, NULL, "field 'serial' is required");
    if (in->serial && (strlen(in->serial) == 0 || strlen(in->serial) > 64 ||
                       !only(in->serial, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789-._")))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "serial must be 1 to 64 of letters, digits, '-', '.' and '_'");
    if (in->model) {
        int bad = strlen(in->model) > 128;
        for (const char *s = in->model; *s && !bad; s++)
            bad = (unsigned char)*s < 0x20 || *s == 0x7f;
        if (bad)
            return qr_err_set(err, QR_E_INVALID, NULL,
                              "model must be at most 128 characters without control characters");
    }
    if (in->hostname && (strlen(in->hostname) > 253 ||
                         !only(in->hostname, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                             "0123456789-.")))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "hostname must be a DNS name of at most 253 characters");
    if (in->ip && *in->ip) {
        unsigned char buf[16];
        if (inet_pton(AF_INET, in->ip, buf) != 1 && inet_pton(AF_INET6, in->ip, buf) != 1)
            return qr_err_set(err, QR_E_INVALID, NULL, "ip must be an IPv4 or IPv6 address");
    }
    return QR_OK;
}

/* Inserts the OAuth client cid of device device_id (serial) in org_id with a new secret, which
 * is returned in *secret (a new string; the caller wipes and frees it). Only its SHA-256 is
 * stored. */
static qr_status_t add_client(qr_dbc_t *c, const char *cid, const char *org_id, const char *serial,
                              const char *device_id, const char *user_id, int64_t now,
                              char **secret) {
    unsigned char raw[32];
    char hash[65];
    qr_random_bytes(raw, sizeof(raw));
    *secret = qr_b64url_encode(raw, sizeof(raw));
    OPENSSL_cleanse(raw, sizeof(raw));
    qr_sha256_hex(*secret, strlen(*secret), hash);
    char *name = qr_xasprintf("device %s", serial);
    qr_status_t st =
        qr_db_q(c, NULL, NULL,
                "INSERT INTO oauth_clients (id, org_id, name, secret_hash, created_by, "
                "created_at, device_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                QR_TEXT(cid), QR_TEXT(org_id), QR_TEXT(name), QR_TEXT(hash), QR_TEXT(user_id),
                QR_INT(now), QR_TEXT(device_id));
    free(name);
    return st;
}

qr_status_t qr_device_register(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                               const qr_device_input_t *in, qr_device_t *out, char **client_secret,
                               qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    *client_secret = NULL;
    if (validate(in, 1, err))
        return QR_E_INVALID;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL, *lic = NULL;
    char id[QR_ID_LEN + 1], cid[QR_ID_LEN + 1];
    char *secret = NULL;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_DEVICES, QR_ACCESS_WRITE, &ref, err);
    if (st || (st = qr_dbc_begin(c)))
        goto out;
    /* The license check and the insert are one transaction; on PostgreSQL the org row is
     * locked so that two registrations cannot both take the last place. */
    st = qr_db_q(c, &lic, NULL,
                 qr_dbc_kind(c) == QR_DB_PG ? "SELECT lic_devices FROM orgs WHERE id = ? FOR UPDATE"
                                            : "SELECT lic_devices FROM orgs WHERE id = ?",
                 QR_TEXT(ref.id));
    if (!st)
        st = qr_db_q(c, &r, NULL, "SELECT COUNT(*) FROM devices WHERE org_id = ?", QR_TEXT(ref.id));
    if (st)
        goto out;
    long long allowed = qr_dbres_int(lic, 0, 0), used = qr_dbres_int(r, 0, 0);
    if (allowed != QR_LIC_UNLIMITED && used >= allowed) {
        st = qr_err_set(err, QR_E_CONFLICT, "license_exceeded",
                        "the license allows %lld device%s and %lld %s registered; ask your "
                        "provider to raise it",
                        allowed, allowed == 1 ? "" : "s", used, used == 1 ? "is" : "are");
        goto out;
    }
    qr_random_id(id);
    qr_random_id(cid);
    st = qr_db_q(c, NULL, NULL,
                 "INSERT INTO devices (id, org_id, serial, model, hostname, ip, enabled, "
                 "client_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
                 QR_TEXT(id), QR_TEXT(ref.id), QR_TEXT(in->serial),
                 QR_TEXT(in->model ? in->model : ""), QR_TEXT(in->hostname ? in->hostname : ""),
                 QR_TEXT(in->ip ? in->ip : ""), QR_TEXT(cid), QR_INT(now), QR_INT(now));
    if (st == QR_E_CONFLICT) {
        qr_err_set(err, st, NULL, "a device with serial '%s' is already registered", in->serial);
        goto out;
    }
    if (!st)
        st = add_client(c, cid, ref.id, in->serial, id, p->user_id, now, &secret);
    if (!st)
        qr_audit_write(c, now, ref.id, p->user_id, "device_registered", id, in->serial);
    if (!st)
        st = qr_dbc_commit(c);
    if (st)
        goto out;
    qr_dbres_free(r);
    r = NULL;
    if (!(st = qr_db_q(c, &r, NULL, "SELECT " DEVICE_COLUMNS " FROM devices d WHERE d.id = ?",
                       QR_TEXT(id)))) {
        device_from_row(r, 0, out);
        *client_secret = secret;
        secret = NULL;
    }
out:
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    qr_dbres_free(r);
    qr_dbres_free(lic);
    qr_db_release(c);
    return st;
}

/* Finds a device in an org where p has want on devices; r holds DEVICE_COLUMNS. */
static qr_status_t resolve(qr_dbc_t *c, const qr_principal_t *p, const char *id, qr_access_t want,
                           qr_dbres_t **r, qr_org_ref_t *ref, qr_err_t *err) {
    *r = NULL;
    if (!qr_id_is_valid(id))
        return qr_err_set(err, QR_E_NOT_FOUND, NULL, "device not found");
    qr_status_t st =
        qr_policy_find(c, p, QR_RES_DEVICES,
                       "SELECT " DEVICE_COLUMNS " FROM devices d JOIN orgs o ON o.id = "
                       "d.org_id WHERE d.id = ? AND ",
                       id, r);
    if (st == QR_E_NOT_FOUND)
        qr_err_set(err, st, NULL, "device not found");
    if (!st)
        st = qr_org_resolve(c, p, qr_dbres_text(*r, 0, 1), QR_RES_DEVICES, want, ref, err);
    return st;
}

qr_status_t qr_device_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id,
                           qr_device_t **items, size_t *n, qr_err_t *err) {
    *items = NULL;
    *n = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_org_resolve(c, p, org_id, QR_RES_DEVICES, QR_ACCESS_READ, &ref, err);
    if (!st)
        st =
            qr_db_q(c, &r, NULL,
                    "SELECT " DEVICE_COLUMNS " FROM devices d WHERE d.org_id = ? ORDER BY d.serial",
                    QR_TEXT(ref.id));
    if (!st && qr_dbres_rows(r) > 0) {
        *n = (size_t)qr_dbres_rows(r);
        *items = qr_xcalloc(*n, sizeof(**items));
        for (size_t i = 0; i < *n; i++)
            device_from_row(r, (int)i, &(*items)[i]);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_device_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_device_t *out,
                          qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = resolve(c, p, id, QR_ACCESS_READ, &r, &ref, err);
    if (!st)
        device_from_row(r, 0, out);
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_device_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             const qr_device_input_t *in, qr_device_t *out, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    if (validate(in, 0, err))
        return QR_E_INVALID;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = resolve(c, p, id, QR_ACCESS_WRITE, &r, &ref, err);
    if (!st)
        st =
            qr_db_q(c, NULL, NULL,
                    "UPDATE devices SET model = COALESCE(?, model), hostname = COALESCE(?, "
                    "hostname), ip = COALESCE(?, ip), enabled = CASE WHEN ? >= 0 THEN ? ELSE "
                    "enabled END, updated_at = ? WHERE id = ? AND org_id = ?",
                    QR_TEXT(in->model), QR_TEXT(in->hostname), QR_TEXT(in->ip), QR_INT(in->enabled),
                    QR_INT(in->enabled), QR_INT(now), QR_TEXT(id), QR_TEXT(ref.id));
    if (!st) {
        qr_audit_write(c, now, ref.id, p->user_id,
                       in->enabled == 0   ? "device_disabled"
                       : in->enabled == 1 ? "device_enabled"
                                          : "device_updated",
                       id, "");
        qr_dbres_free(r);
        r = NULL;
        st = qr_db_q(c, &r, NULL, "SELECT " DEVICE_COLUMNS " FROM devices d WHERE d.id = ?",
                     QR_TEXT(id));
        if (!st)
            device_from_row(r, 0, out);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_device_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             qr_err_t *err) {
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    qr_status_t st = resolve(c, p, id, QR_ACCESS_WRITE, &r, &ref, err);
    if (!st && !(st = qr_dbc_begin(c))) {
        st = qr_db_q(c, NULL, NULL, "DELETE FROM oauth_clients WHERE device_id = ? AND org_id = ?",
                     QR_TEXT(id), QR_TEXT(ref.id));
        if (!st)
            st = qr_db_q(c, NULL, NULL, "DELETE FROM devices WHERE id = ? AND org_id = ?",
                         QR_TEXT(id), QR_TEXT(ref.id));
        if (!st)
            qr_audit_write(c, now, ref.id, p->user_id, "device_deleted", id, "");
        if (!st)
            st = qr_dbc_commit(c);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_device_rotate_secret(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                                    qr_device_t *out, char **client_secret, qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    *client_secret = NULL;
    int64_t now = qr_clock_now(ctx->clock);
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_org_ref_t ref;
    qr_dbres_t *r = NULL;
    char cid[QR_ID_LEN + 1], *secret = NULL;
    qr_status_t st = resolve(c, p, id, QR_ACCESS_WRITE, &r, &ref, err);
    if (st || (st = qr_dbc_begin(c)))
        goto out;
    /* A new client replaces the old one: every token names its client, and a token of a
     * client that is gone is refused (qr_device_authenticate), so the old secret and all it
     * issued stop at the commit. */
    qr_device_t old;
    device_from_row(r, 0, &old);
    qr_random_id(cid);
    st = add_client(c, cid, ref.id, old.serial, id, p->user_id, now, &secret);
    if (!st)
        st = qr_db_q(c, NULL, NULL,
                     "UPDATE devices SET client_id = ?, updated_at = ? WHERE id = ? AND org_id = ?",
                     QR_TEXT(cid), QR_INT(now), QR_TEXT(id), QR_TEXT(ref.id));
    if (!st)
        st = qr_db_q(c, NULL, NULL, "DELETE FROM oauth_clients WHERE id = ? AND org_id = ?",
                     QR_TEXT(old.client_id), QR_TEXT(ref.id));
    if (!st)
        st = qr_db_q(c, NULL, NULL, "UPDATE sessions SET revoked = 1 WHERE client_id = ?",
                     QR_TEXT(old.client_id));
    if (!st)
        qr_audit_write(c, now, ref.id, p->user_id, "device_secret_rotated", id, old.serial);
    qr_device_clear(&old);
    if (!st)
        st = qr_dbc_commit(c);
    qr_dbres_free(r);
    r = NULL;
    if (!st &&
        !(st = qr_db_q(c, &r, NULL, "SELECT " DEVICE_COLUMNS " FROM devices d WHERE d.id = ?",
                       QR_TEXT(id)))) {
        device_from_row(r, 0, out);
        *client_secret = secret;
        secret = NULL;
    }
out:
    if (secret) {
        OPENSSL_cleanse(secret, strlen(secret));
        free(secret);
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}

qr_status_t qr_device_authenticate(qr_ctx_t *ctx, const char *token, size_t len,
                                   qr_principal_t *out, qr_err_t *err) {
    json_t *claims = qr_keyring_verify(ctx, token, len, QR_TOKEN_AUDIENCE);
    const char *dev = json_string_value(json_object_get(claims, "device_id"));
    const char *cid = json_string_value(json_object_get(claims, "client_id"));
    const char *org = json_string_value(json_object_get(claims, "org"));
    qr_status_t st = QR_E_UNAUTHORIZED;
    if (qr_id_is_valid(dev) && qr_id_is_valid(cid) && qr_id_is_valid(org)) {
        qr_dbc_t *c = qr_db_acquire(ctx->db);
        qr_dbres_t *r = NULL;
        if (qr_db_q(c, &r, NULL,
                    "SELECT d.id FROM devices d JOIN oauth_clients k ON k.device_id = d.id "
                    "WHERE d.id = ? AND k.id = ? AND d.org_id = ? AND d.enabled = 1",
                    QR_TEXT(dev), QR_TEXT(cid), QR_TEXT(org)) == QR_OK &&
            qr_dbres_rows(r) == 1) {
            memset(out, 0, sizeof(*out));
            out->kind = QR_PRINCIPAL_DEVICE;
            out->role = QR_ROLE_GUEST_USER; /* no role: the least one, never consulted */
            memcpy(out->device_id, dev, QR_ID_LEN);
            memcpy(out->org_id, org, QR_ID_LEN);
            memcpy(out->client_id, cid, QR_ID_LEN);
            st = QR_OK;
        }
        qr_dbres_free(r);
        qr_db_release(c);
    }
    json_decref(claims);
    if (st)
        qr_err_set(err, st, NULL,
                   "a valid device token is required (the device may be disabled or deleted)");
    return st;
}

qr_status_t qr_device_self(qr_ctx_t *ctx, const qr_principal_t *d, qr_device_t *out,
                           qr_err_t *err) {
    memset(out, 0, sizeof(*out));
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT " DEVICE_COLUMNS ", o.name FROM devices d JOIN orgs o ON o.id = "
                "d.org_id WHERE d.id = ? AND d.org_id = ?",
                QR_TEXT(d->device_id), QR_TEXT(d->org_id));
    if (!st && qr_dbres_rows(r) == 1) {
        device_from_row(r, 0, out);
        out->org_name = qr_dbres_strdup(r, 0, 9);
    } else if (!st) {
        st = qr_err_set(err, QR_E_UNAUTHORIZED, NULL, "the device no longer exists");
    }
    qr_dbres_free(r);
    qr_db_release(c);
    return st;
}
