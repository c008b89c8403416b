/* SPDX-License-Identifier: Apache-2.0 */
/* quire: licenses that bind (TEN-5): an org's limits and features, what a provider may grant
 * its children, and the checks where a limit is spent (storage, users, features). */
#ifndef QR_LICENSE_H
#define QR_LICENSE_H

#include "core/error.h"
#include "store/db.h"

/* A numeric limit without bound (stored as -1; null in the API). The root provider's license
 * is unlimited with every feature, whatever its row holds. */
#define QR_LIC_UNLIMITED (-1LL)
/* A license field not given in an input (create or update). */
#define QR_LIC_UNSET (-2LL)

/* The features a license may enable, as bits. */
typedef enum qr_feature {
    QR_FEAT_PRINT = 1,      /* "print": print jobs by API and IPP */
    QR_FEAT_SCAN = 2,       /* "scan": capture at the MFP */
    QR_FEAT_FEDERATION = 4, /* "federation": reserved for sign-in federation */
    QR_FEAT_CONNECTORS = 8, /* "connectors": reserved for scan destinations beyond WebDAV */
    QR_FEAT_API_KEYS = 16,  /* "api_keys": the external admin API (REP-5) */
} qr_feature_t;
#define QR_FEAT_ALL 31
/* What a new child gets when its creator names no features: print and scan, as far as the
 * parent has them. */
#define QR_FEAT_DEFAULT (QR_FEAT_PRINT | QR_FEAT_SCAN)

/* An org's license. Numeric limits are >= 0 or QR_LIC_UNLIMITED. */
typedef struct qr_license {
    long long devices, ocr_pages, storage_mb, users;
    unsigned features; /* qr_feature_t bits */
} qr_license_t;

/* The bit of a feature name, 0 if the name is unknown. */
unsigned qr_feature_bit(const char *name);
/* The name of one feature bit ("print", ...). */
const char *qr_feature_name(unsigned bit);
/* Writes the names of the bits of mask, comma separated ("none" if empty), into out. */
void qr_feature_names(unsigned mask, char *out, size_t size);

/* Reads the license of org_id on c into *out (the root's: unlimited, all features). 404 if
 * the org does not exist. */
qr_status_t qr_license_read(qr_dbc_t *c, const char *org_id, qr_license_t *out);

/* 1 if the license of org_id includes feature (a name as above), else 0 (also on errors). */
int qr_license_has_feature(qr_dbc_t *c, const char *org_id, const char *feature);
/* QR_OK if the license of org_id includes feature, else QR_E_FORBIDDEN with code
 * feature_disabled and a message naming the feature. */
qr_status_t qr_license_require_feature(qr_dbc_t *c, const char *org_id, qr_feature_t feature,
                                       qr_err_t *err);

/* TEN-5 binding. Checks that the parent parent_id may grant *asked to its child child_id
 * (NULL for a new child): per numeric limit, the children's limits summed (with *asked in
 * place of the child's) stay within the parent's, a limited parent grants no unlimited value,
 * and the features are a subset of the parent's. For an existing child, a limit below what it
 * uses (devices registered, users, bytes stored, or its own children's limits summed) is
 * refused too. 409 license_exceeded / license_below_use with the figures. */
qr_status_t qr_license_check_grant(qr_dbc_t *c, const char *parent_id, const char *child_id,
                                   const qr_license_t *asked, qr_err_t *err);

/* Bytes org_id holds: print jobs still in the spool plus stored scan files. */
qr_status_t qr_license_storage_used(qr_dbc_t *c, const char *org_id, long long *bytes);
/* Checks that org_id may store more bytes on top of what it holds; 409 storage_exceeded with
 * the figures. more < 0 (unknown) checks only that the quota is not already full. */
qr_status_t qr_license_check_storage(qr_dbc_t *c, const char *org_id, long long more,
                                     qr_err_t *err);
/* Checks that org_id may have one more user; 409 license_exceeded naming the figures. Call in
 * the transaction that inserts the user. */
qr_status_t qr_license_check_users(qr_dbc_t *c, const char *org_id, qr_err_t *err);

#endif
