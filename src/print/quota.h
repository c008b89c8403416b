/* SPDX-License-Identifier: Apache-2.0 */
/* quire: monthly print quotas (PRN-4). A quota is a number of pages per calendar month, set
 * per user by a customer admin or print manager (TEN-3: the print manager sees and changes
 * quota settings and nothing else of the org's users). What a user has used is counted per
 * month in the org's time zone, so the count starts again at midnight on the first. */
#ifndef QR_QUOTA_H
#define QR_QUOTA_H

#include <jansson.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/error.h"
#include "store/db.h"
#include "tenancy/policy.h"

/* A user's quota and this month's use: {user_id, monthly_pages (null = none), month, used,
 * remaining (null = no limit)}. user_id NULL means the principal itself. */
qr_status_t qr_quota_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id, json_t **out,
                         qr_err_t *err);
/* Sets (monthly_pages >= 0) or removes (monthly_pages < 0) a user's quota. */
qr_status_t qr_quota_set(qr_ctx_t *ctx, const qr_principal_t *p, const char *user_id,
                         long long monthly_pages, json_t **out, qr_err_t *err);
/* Every user of org_id with quota and use: {"items": [...]}, ordered by username. */
qr_status_t qr_quota_list(qr_ctx_t *ctx, const qr_principal_t *p, const char *org_id, json_t **out,
                          qr_err_t *err);

/* For release, on c inside the caller's transaction: adds pages to the user's use of month,
 * refusing with QR_E_CONFLICT "quota_exceeded" (and a message with the figures) if the user's
 * quota would be exceeded. */
qr_status_t qr__quota_charge(qr_dbc_t *c, const char *org_id, const char *user_id,
                             const char *month, long long pages, qr_err_t *err);
/* Corrects a month's use by delta pages (a refund is negative), never below zero. */
qr_status_t qr__quota_adjust(qr_dbc_t *c, const char *user_id, const char *month, long long delta);

#endif
