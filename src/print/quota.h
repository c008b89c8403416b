/* SPDX-License-Identifier: Apache-2.0 */
/* quire: monthly print quotas (PRN-4). A quota is a number of pages per calendar month, set
 * per user by a customer admin or print manager (TEN-3: the print manager sees and changes
 * quota settings and nothing else of the org's users). What a user has used is counted per
 * month in the org's time zone, so the count starts again at midnight on the first. */
#ifndef QR_QUOTA_H
#define QR_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* A user's quota and use in one month (of the org's time zone). */
typedef struct qr_quota {
    char user_id[QR_ID_LEN + 1];
    char *username; /* set in lists only (else NULL); owned */
    int has_quota;  /* 0: no quota, monthly_pages is 0 */
    long long monthly_pages;
    char month[8]; /* "YYYY-MM" */
    long long used;
} qr_quota_t;

/* Frees the members of q and zeroes it; accepts a zeroed struct. */
void qr_quota_clear(qr_quota_t *q);
/* Frees a list of n quotas from qr_quota_list; accepts NULL. */
void qr_quota_list_free(qr_quota_t *v, size_t n);
/* The pages left of q's quota this month (0 when used up); -1 when there is no quota. */
long long qr_quota_remaining(const qr_quota_t *q);

/* A user's quota and this month's use into out (clear it with qr_quota_clear). user_id NULL
 * means the principal itself. */
qr_status_t qr_quota_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                         qr_quota_t *out, qr_err_t *err);
/* Sets (monthly_pages >= 0) or removes (monthly_pages < 0) a user's quota; out as
 * qr_quota_get afterwards. */
qr_status_t qr_quota_set(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                         long long monthly_pages, qr_quota_t *out, qr_err_t *err);
/* Every user of org_id with quota and use in this month (written to month): *items is a new
 * array of *n, ordered by username (free with qr_quota_list_free). */
qr_status_t qr_quota_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, char month[8],
                          qr_quota_t **items, size_t *n, qr_err_t *err);

/* For release, on c inside the caller's transaction: adds pages to the user's use of month,
 * refusing with QR_E_CONFLICT "quota_exceeded" (and a message with the figures) if the user's
 * quota would be exceeded. */
qr_status_t qr__quota_charge(qr_dbc_t *c, const char *org_id, const char *user_id,
                             const char *month, long long pages, qr_err_t *err);
/* Corrects a month's use by delta pages (a refund is negative), never below zero. */
qr_status_t qr__quota_adjust(qr_dbc_t *c, const char *user_id, const char *month, long long delta);

#endif
