/* SPDX-License-Identifier: Apache-2.0 */
/* quire: opening and closing everything a process needs (data directory, master key,
 * database with migrations, worker pool), shared by quired and the quire CLI. */
#ifndef QR_APP_H
#define QR_APP_H

#include "admin/org_setup.h" /* qr_org_bootstrap, which both call after qr_app_open */
#include "core/ctx.h"
#include "core/error.h"

/* Loads the configuration (path may be NULL) and opens the context. with_tls also makes
 * sure a certificate exists. On failure returns non-zero with err set. */
qr_status_t qr_app_open(qr_ctx_t *ctx, qr_config_t *cfg, const char *config_path, int with_tls,
                        qr_err_t *err);
/* Closes what qr_app_open opened. */
void qr_app_close(qr_ctx_t *ctx, qr_config_t *cfg);

#endif
