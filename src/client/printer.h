/* SPDX-License-Identifier: Apache-2.0 */
/* quire: printing a document to an IPP printer with libcups (Print-Job, then
 * Get-Job-Attributes until the printer says the job is done), used by quire-device. */
#ifndef QR_PRINTER_H
#define QR_PRINTER_H

#include "core/error.h"

/* Job template settings of one print. */
typedef struct qr_print_settings {
    const char *job_name;  /* job-name; may be NULL */
    const char *user_name; /* requesting-user-name; may be NULL */
    int copies;
    int color;               /* print-color-mode color, else monochrome */
    int duplex;              /* sides two-sided-long-edge, else one-sided */
    const char *page_ranges; /* "1-3,7-7" (ascending) as page-ranges; NULL: all pages */
} qr_print_settings_t;

/* Sends the size bytes readable from fd (a PDF, read from offset 0) to the printer at uri
 * (ipp://HOST[:PORT]/PATH or ipps://...) as one IPP Print-Job with the settings s, then
 * waits up to timeout_s seconds for the printer to finish it. On success *job_id is the
 * printer's job id. A refusal, an aborted or canceled job or a timeout is QR_E_IO with a
 * message that names the printer's reason; a malformed uri is QR_E_INVALID. */
qr_status_t qr_printer_print(const char *uri, int fd, long long size, const qr_print_settings_t *s,
                             int timeout_s, int *job_id, qr_err_t *err);

/* Checks that uri is an ipp:// or ipps:// URI with a host; QR_E_INVALID otherwise. */
qr_status_t qr_printer_check_uri(const char *uri, qr_err_t *err);

#endif
