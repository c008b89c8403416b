/* SPDX-License-Identifier: Apache-2.0 */
/* quire: regions (TEN-7): per-region settings that the root provider's admins manage (EULA
 * and privacy statement URLs, the desktop client's package URL and idle logout, a PIN length
 * rule); each org belongs to at most one region, set by its parent. */
#ifndef QR_REGION_H
#define QR_REGION_H

#include <jansson.h>

#include "core/ctx.h"
#include "core/error.h"
#include "crypto/random.h"
#include "store/db.h"
#include "tenancy/policy.h"

#define QR_REGION_IDLE_MAX 1440 /* desktop idle logout: at most a day, in minutes */

/* One region. Strings are owned ("" when not set); free with qr_region_clear. */
typedef struct qr_region {
    char id[QR_ID_LEN + 1];
    char *name, *eula_url, *privacy_url, *desktop_client_url;
    json_t *pin_lengths;            /* allowed PIN lengths, a subset of 4, 5, 6, 8; [] = no rule */
    long long desktop_idle_minutes; /* 0 = not set (the client's default) */
    long long created_at, updated_at;
} qr_region_t;

/* Input of create and update: NULL strings and arrays and -1 mean "not given". */
typedef struct qr_region_input {
    const char *name, *eula_url, *privacy_url, *desktop_client_url;
    json_t *pin_lengths; /* borrowed */
    long long desktop_idle_minutes;
} qr_region_input_t;

/* Sets every field of in to "not given". */
void qr_region_input_init(qr_region_input_t *in);
/* Frees the members of g and zeroes it; accepts a zeroed struct. */
void qr_region_clear(qr_region_t *g);
/* Frees n regions and the array; accepts NULL. */
void qr_region_list_free(qr_region_t *v, size_t n);

/* CRUD for the root provider's admins (others: 403). Create and update validate every given
 * field (400), a taken name is 409 conflict, deleting a region that orgs belong to is 409
 * in_use. Each change is audited in the root org. out is the caller's to clear. */
qr_status_t qr_region_create(qr_ctx_t *ctx, const qr_principal_t *p, const qr_region_input_t *in,
                             qr_region_t *out, qr_err_t *err);
qr_status_t qr_region_list(qr_ctx_t *ctx, const qr_principal_t *p, qr_region_t **items, size_t *n,
                           qr_err_t *err);
qr_status_t qr_region_get(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_region_t *out,
                          qr_err_t *err);
qr_status_t qr_region_update(qr_ctx_t *ctx, const qr_principal_t *p, const char *id,
                             const qr_region_input_t *in, qr_region_t *out, qr_err_t *err);
qr_status_t qr_region_delete(qr_ctx_t *ctx, const qr_principal_t *p, const char *id, qr_err_t *err);

/* Reads the region of org_id on c into *out and sets *found; *found = 0 (out zeroed) if the
 * org belongs to none. */
qr_status_t qr_region_of_org(qr_dbc_t *c, const char *org_id, qr_region_t *out, int *found);
/* The PIN lengths an org allows (bit n: length n): its own (org_lengths), intersected with
 * its region's rule; if they share none, the region's rule alone (a region may force 8). */
qr_status_t qr_region_pin_lengths(qr_dbc_t *c, const char *org_id, unsigned org_lengths,
                                  unsigned *out);
/* Writes the lengths of mask as "4, 6 or 8" into out. */
void qr_pin_lengths_text(unsigned mask, char *out, size_t size);
/* What the desktop client of a signed-in user needs (TEN-7, AUTH-7): its org's region (if
 * any), the PIN lengths the user may choose, and the idle logout. No secret. */
#define QR_DESKTOP_IDLE_DEFAULT 15 /* minutes, when the region sets none (AUTH-7) */
typedef struct qr_client_settings {
    int has_region;
    qr_region_t region; /* zeroed without a region; clear with qr_region_clear */
    unsigned pin_lengths;
    long long desktop_idle_minutes;
} qr_client_settings_t;
/* Fills *out for user principal p (403 for other kinds); clear out->region. */
qr_status_t qr_region_client_settings(qr_ctx_t *ctx, const qr_principal_t *p,
                                      qr_client_settings_t *out, qr_err_t *err);

/* Checks a region id given for an org (NULL: not given; "" clears): 400 if no such region. */
qr_status_t qr__region_check_id(qr_dbc_t *c, const char *id, qr_err_t *err);

#endif
