/* SPDX-License-Identifier: Apache-2.0 */
/* quire: licenses that bind (TEN-5). A provider's children hold, summed per numeric limit, at
 * most what the provider holds; features pass down as subsets; limits are checked where they
 * are spent. Storage counts the bytes of print jobs still in the spool and of stored scan
 * files (a read of print's and scan's tables, as the org's own counter). */
#include "tenancy/license.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define NLIMITS 4
#define MIB (1024LL * 1024LL)

static const char *const feature_names[] = {"print", "scan", "federation", "connectors",
                                            "api_keys"};
/* The numeric limits in the order of the sums below, by their API names. */
static const char *const limit_names[NLIMITS] = {"devices", "ocr_pages_per_month", "storage_mb",
                                                 "users"};

unsigned qr_feature_bit(const char *name) {
    for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
        if (strcmp(name, feature_names[i]) == 0)
            return 1u << i;
    return 0;
}

const char *qr_feature_name(unsigned bit) {
    for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
        if (bit == 1u << i)
            return feature_names[i];
    return "?";
}

void qr_feature_names(unsigned mask, char *out, size_t size) {
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
        if (!(mask & (1u << i)) || n >= size)
            continue;
        int w = snprintf(out + n, size - n, "%s%s", n ? ", " : "", feature_names[i]);
        n += w > 0 ? (size_t)w : 0;
    }
    if (!out[0])
        snprintf(out, size, "none");
}

/* The bits of a stored JSON array of feature names; unknown names are ignored. */
static unsigned features_from_text(const char *s) {
    json_t *a = s ? json_loads(s, 0, NULL) : NULL;
    unsigned mask = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (json_is_string(v))
            mask |= qr_feature_bit(json_string_value(v));
    }
    json_decref(a);
    return mask;
}

static long long limit_at(const qr_license_t *l, int k) {
    const long long v[NLIMITS] = {l->devices, l->ocr_pages, l->storage_mb, l->users};
    return v[k];
}

/* Reads the license and name of org_id (name into name, may be NULL). */
static qr_status_t read_org(qr_dbc_t *c, const char *org_id, qr_license_t *out, char *name,
                            size_t size) {
    qr_dbres_t *r = NULL;
    memset(out, 0, sizeof(*out));
    qr_status_t st = qr_db_q(c, &r, NULL,
                             "SELECT depth, lic_devices, lic_ocr_pages, lic_storage_mb, lic_users, "
                             "lic_features, name FROM orgs WHERE id = ?",
                             QR_TEXT(org_id));
    if (!st && qr_dbres_rows(r) != 1)
        st = QR_E_NOT_FOUND;
    if (st)
        goto out;
    if (name)
        snprintf(name, size, "%s", qr_dbres_text(r, 0, 6));
    if (qr_dbres_int(r, 0, 0) == 0) {
        out->devices = out->ocr_pages = out->storage_mb = out->users = QR_LIC_UNLIMITED;
        out->features = QR_FEAT_ALL;
        goto out;
    }
    out->devices = qr_dbres_int(r, 0, 1);
    out->ocr_pages = qr_dbres_int(r, 0, 2);
    out->storage_mb = qr_dbres_int(r, 0, 3);
    out->users = qr_dbres_int(r, 0, 4);
    out->features = features_from_text(qr_dbres_text(r, 0, 5));
out:
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_license_read(qr_dbc_t *c, const char *org_id, qr_license_t *out) {
    return read_org(c, org_id, out, NULL, 0);
}

int qr_license_has_feature(qr_dbc_t *c, const char *org_id, const char *feature) {
    qr_license_t l;
    unsigned bit = qr_feature_bit(feature);
    return bit && qr_license_read(c, org_id, &l) == QR_OK && (l.features & bit) != 0;
}

qr_status_t qr_license_require_feature(qr_dbc_t *c, const char *org_id, qr_feature_t feature,
                                       qr_err_t *err) {
    qr_license_t l;
    qr_status_t st = qr_license_read(c, org_id, &l);
    if (st == QR_E_NOT_FOUND)
        return qr_err_set(err, st, NULL, "organization not found");
    if (st)
        return qr_err_set(err, st, NULL, "the license could not be read");
    if (!(l.features & feature))
        return qr_err_set(err, QR_E_FORBIDDEN, "feature_disabled",
                          "the organization's license does not include the feature '%s'; ask "
                          "your provider to enable it",
                          qr_feature_name(feature));
    return QR_OK;
}

/* Sums the limits of parent_id's children other than except: sum[k] over the bounded values,
 * unl[k] the number of unlimited ones. */
static qr_status_t children_sums(qr_dbc_t *c, const char *parent_id, const char *except,
                                 long long sum[NLIMITS], long long unl[NLIMITS]) {
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT COALESCE(SUM(CASE WHEN lic_devices >= 0 THEN lic_devices ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN lic_ocr_pages >= 0 THEN lic_ocr_pages ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN lic_storage_mb >= 0 THEN lic_storage_mb ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN lic_users >= 0 THEN lic_users ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN lic_devices < 0 THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN lic_ocr_pages < 0 THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN lic_storage_mb < 0 THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN lic_users < 0 THEN 1 ELSE 0 END), 0) "
                "FROM orgs WHERE parent_id = ? AND id <> ?",
                QR_TEXT(parent_id), QR_TEXT(except ? except : ""));
    for (int k = 0; !st && k < NLIMITS; k++) {
        sum[k] = qr_dbres_int(r, 0, k);
        unl[k] = qr_dbres_int(r, 0, NLIMITS + k);
    }
    qr_dbres_free(r);
    return st;
}

/* 1 if want is no more than cur (unlimited is more than any number). */
static int not_more(long long want, long long cur) {
    return cur == QR_LIC_UNLIMITED || (want != QR_LIC_UNLIMITED && want <= cur);
}

/* The parent's side: per limit, the siblings plus what is asked fit the parent's license. A
 * limit that is not raised (cur, the child's, NULL for a new child) and the features the child
 * has already pass, so that a grant made before licenses bound can always be lowered. */
static qr_status_t check_within_parent(qr_dbc_t *c, const char *parent_id, const char *pname,
                                       const qr_license_t *own, const char *child_id,
                                       const qr_license_t *cur, const qr_license_t *asked,
                                       qr_err_t *err) {
    long long sum[NLIMITS], unl[NLIMITS];
    qr_status_t st = children_sums(c, parent_id, child_id, sum, unl);
    for (int k = 0; !st && k < NLIMITS; k++) {
        long long cap = limit_at(own, k), want = limit_at(asked, k);
        if (cap == QR_LIC_UNLIMITED || (cur && not_more(want, limit_at(cur, k))))
            continue;
        if (want == QR_LIC_UNLIMITED)
            return qr_err_set(err, QR_E_CONFLICT, "license_exceeded",
                              "%s: the license of %s allows %lld, so a child's cannot be "
                              "unlimited",
                              limit_names[k], pname, cap);
        if (unl[k] > 0 || sum[k] + want > cap)
            return qr_err_set(err, QR_E_CONFLICT, "license_exceeded",
                              "%s: the %schildren of %s hold %s%lld of %lld; asked %lld",
                              limit_names[k], child_id ? "other " : "", pname,
                              unl[k] > 0 ? "unlimited + " : "", sum[k], cap, want);
    }
    unsigned added = asked->features & ~own->features & ~(cur ? cur->features : 0);
    if (!st && added) {
        char extra[96], allowed[96];
        qr_feature_names(added, extra, sizeof(extra));
        qr_feature_names(own->features, allowed, sizeof(allowed));
        return qr_err_set(err, QR_E_CONFLICT, "license_exceeded",
                          "features: the license of %s does not include %s; it may grant %s", pname,
                          extra, allowed);
    }
    return st;
}

/* One count of a table's rows of an org. */
static qr_status_t count_rows(qr_dbc_t *c, const char *sql, const char *org_id, long long *n) {
    qr_dbres_t *r = NULL;
    qr_status_t st = qr_db_q(c, &r, NULL, sql, QR_TEXT(org_id));
    *n = st ? 0 : qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    return st;
}

/* The child's side: no limit below what the child uses (OCR pages are a monthly allowance
 * and may be lowered at any time). */
static qr_status_t check_above_use(qr_dbc_t *c, const char *child_id, const char *cname,
                                   const qr_license_t *asked, qr_err_t *err) {
    long long sum[NLIMITS], unl[NLIMITS], used[NLIMITS] = {0, 0, 0, 0};
    qr_status_t st = children_sums(c, child_id, NULL, sum, unl);
    if (!st)
        st = count_rows(c, "SELECT COUNT(*) FROM devices WHERE org_id = ?", child_id, &used[0]);
    if (!st)
        st = count_rows(c, "SELECT COUNT(*) FROM users WHERE org_id = ?", child_id, &used[3]);
    if (!st)
        st = qr_license_storage_used(c, child_id, &used[2]);
    for (int k = 0; !st && k < NLIMITS; k++) {
        long long want = limit_at(asked, k);
        if (want == QR_LIC_UNLIMITED)
            continue;
        if (unl[k] > 0 || sum[k] > want)
            return qr_err_set(err, QR_E_CONFLICT, "license_below_use",
                              "%s: the children of %s hold %s%lld; asked %lld: lower theirs first",
                              limit_names[k], cname, unl[k] > 0 ? "unlimited + " : "", sum[k],
                              want);
        if (k == 2 && used[2] > want * MIB)
            return qr_err_set(err, QR_E_CONFLICT, "license_below_use",
                              "storage_mb: %s stores %lld bytes (%lld MiB rounded up); asked %lld",
                              cname, used[2], (used[2] + MIB - 1) / MIB, want);
        if (k != 2 && used[k] > want)
            return qr_err_set(err, QR_E_CONFLICT, "license_below_use",
                              "%s: %s has %lld; asked %lld: remove some first", limit_names[k],
                              cname, used[k], want);
    }
    return st;
}

qr_status_t qr_license_check_grant(qr_dbc_t *c, const char *parent_id, const char *child_id,
                                   const qr_license_t *asked, qr_err_t *err) {
    qr_license_t own, cur;
    char pname[256], cname[256];
    /* Grants to one parent's children are serialized by the parent's row (SQLite's write
     * transaction is exclusive already). */
    qr_status_t st = qr_dbc_kind(c) == QR_DB_PG
                         ? qr_db_q(c, NULL, NULL, "SELECT id FROM orgs WHERE id = ? FOR UPDATE",
                                   QR_TEXT(parent_id))
                         : QR_OK;
    if (!st)
        st = read_org(c, parent_id, &own, pname, sizeof(pname));
    if (st)
        return qr_err_set(err, st, NULL, "the parent organization could not be read");
    if (child_id && (st = read_org(c, child_id, &cur, cname, sizeof(cname))))
        return qr_err_set(err, st, NULL, "the organization could not be read");
    if ((st = check_within_parent(c, parent_id, pname, &own, child_id, child_id ? &cur : NULL,
                                  asked, err)) ||
        !child_id)
        return st;
    return check_above_use(c, child_id, cname, asked, err);
}

qr_status_t qr_license_storage_used(qr_dbc_t *c, const char *org_id, long long *bytes) {
    qr_dbres_t *r = NULL;
    qr_status_t st =
        qr_db_q(c, &r, NULL,
                "SELECT (SELECT COALESCE(SUM(size), 0) FROM print_jobs WHERE org_id "
                "= ? AND status IN ('held', 'released')) + (SELECT COALESCE(SUM(size), 0) FROM "
                "scan_files WHERE org_id = ?)",
                QR_TEXT(org_id), QR_TEXT(org_id));
    *bytes = st ? 0 : qr_dbres_int(r, 0, 0);
    qr_dbres_free(r);
    return st;
}

qr_status_t qr_license_check_storage(qr_dbc_t *c, const char *org_id, long long more,
                                     qr_err_t *err) {
    qr_license_t l;
    long long used = 0;
    qr_status_t st = qr_license_read(c, org_id, &l);
    if (!st && l.storage_mb != QR_LIC_UNLIMITED)
        st = qr_license_storage_used(c, org_id, &used);
    if (st)
        return qr_err_set(err, st, NULL, "the storage in use could not be read");
    if (l.storage_mb == QR_LIC_UNLIMITED)
        return QR_OK;
    long long cap = l.storage_mb * MIB;
    if (used >= cap || (more > 0 && more > cap - used))
        return qr_err_set(err, QR_E_CONFLICT, "storage_exceeded",
                          "storage: the license allows %lld MiB (%lld bytes) and %lld bytes are "
                          "stored; this document needs %lld more; delete jobs or scans, or ask "
                          "your provider to raise it",
                          l.storage_mb, cap, used, more > 0 ? more : 0);
    return QR_OK;
}

qr_status_t qr_license_check_users(qr_dbc_t *c, const char *org_id, qr_err_t *err) {
    qr_license_t l;
    long long used = 0;
    qr_status_t st = qr_license_read(c, org_id, &l);
    if (!st && l.users != QR_LIC_UNLIMITED)
        st = count_rows(c, "SELECT COUNT(*) FROM users WHERE org_id = ?", org_id, &used);
    if (st)
        return qr_err_set(err, st, NULL, "the license could not be read");
    if (l.users != QR_LIC_UNLIMITED && used >= l.users)
        return qr_err_set(err, QR_E_CONFLICT, "license_exceeded",
                          "users: the license allows %lld user%s and the organization has %lld; "
                          "delete one or ask your provider to raise it",
                          l.users, l.users == 1 ? "" : "s", used);
    return QR_OK;
}
