/* SPDX-License-Identifier: Apache-2.0 */
/* quire: sending email over SMTP with libcurl (AUTH-1, AUTH-5, AUTH-6): TLS is required
 * (STARTTLS for smtp://, implicit for smtps://), the message is multipart/alternative with a
 * plain-text and an HTML part. */
#ifndef QR_MAIL_H
#define QR_MAIL_H

#include "core/config.h"
#include "core/error.h"

/* 1 if an SMTP server is configured. */
int qr_mail_enabled(const qr_config_t *cfg);
/* Sends one message to one address, from the configured sender shown as from_name (e.g.
 * the organization's name; may be NULL). Refuses header injection (CR or LF in to,
 * from_name or subject). Blocks up to 30 seconds: call it from the slow pool. */
qr_status_t qr_mail_send(const qr_config_t *cfg, const char *from_name, const char *to,
                         const char *subject, const char *text, const char *html, qr_err_t *err);

#endif
