/* SPDX-License-Identifier: Apache-2.0 */
/* quire: sending email over SMTP with libcurl (AUTH-1, AUTH-5, AUTH-6): TLS is required
 * (STARTTLS for smtp://, implicit for smtps://), the message is multipart/alternative with a
 * plain-text and an HTML part. */
#ifndef QR_MAIL_H
#define QR_MAIL_H

#define QR_MAILER_QUEUE 1000

#include "core/config.h"
#include "core/error.h"

typedef struct qr_mailer qr_mailer_t;

/* 1 if an SMTP server is configured. */
int qr_mail_enabled(const qr_config_t *cfg);
/* Sends one message to one address, from the configured sender shown as from_name (e.g.
 * the organization's name; may be NULL). Refuses header injection (CR or LF in to,
 * from_name or subject). Blocks up to 30 seconds: call it from the slow pool. */
qr_status_t qr_mail_send(const qr_config_t *cfg, const char *from_name, const char *to,
                         const char *subject, const char *text, const char *html, qr_err_t *err);

/* Starts the background sender: one thread that sends posted messages in order. Used where
 * the answer must not wait for (or reveal, by its timing) the SMTP exchange. Aborts on OOM. */
qr_mailer_t *qr_mailer_create(const qr_config_t *cfg);
/* Copies the message and queues it for qr_mail_send; a failure is logged there, not
 * returned. QR_E_BUSY if QR_MAILER_QUEUE messages are already waiting. */
qr_status_t qr_mailer_post(qr_mailer_t *m, const char *from_name, const char *to,
                           const char *subject, const char *text, const char *html);
/* Sends what is still queued, stops the thread and frees the mailer. Accepts NULL. */
void qr_mailer_destroy(qr_mailer_t *m);

#endif
