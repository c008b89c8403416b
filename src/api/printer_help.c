/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what the IPP queue's printer description points at (PRN-1): the printer-icons
 * (GET /ipp/icons/printer-{48,128,512}.png, built into the binary by printer_icons.S) and the
 * printer-more-info page (GET /help/print), which tells a person who printed to the queue
 * where the job went and how to release it. Both are public: an operating system shows them
 * before anyone signs in. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/portal.h"
#include "core/mem.h"
#include "print/ipp.h"

extern const unsigned char qr_printer_icon_48[];
extern const unsigned char qr_printer_icon_128[];
extern const unsigned char qr_printer_icon_512[];
extern const uint64_t qr_printer_icon_sizes[3];

#define HELP_CSP "default-src 'none'; style-src 'self'; frame-ancestors 'none'"

void qr_api_printer_icon(qr_req_t *r) {
    static const char *const paths[] = {QR_IPP_ICON_PATH "48.png", QR_IPP_ICON_PATH "128.png",
                                        QR_IPP_ICON_PATH "512.png"};
    const unsigned char *const data[] = {qr_printer_icon_48, qr_printer_icon_128,
                                         qr_printer_icon_512};
    const char *path = qr_req_target_path(r);
    for (int i = 0; path && i < 3; i++) {
        if (strcmp(path, paths[i]) != 0)
            continue;
        qr_req_add_header(r, "Cache-Control", "public, max-age=86400");
        qr_req_reply_bytes(r, 200, "image/png", data[i], (size_t)qr_printer_icon_sizes[i]);
        return;
    }
    qr_err_t err = {QR_E_NOT_FOUND, NULL,
                    "the printer's icons are printer-48.png, printer-128.png and printer-512.png"};
    qr_req_reply_error(r, &err);
}

/* The page, in the portal's style (its stylesheet; it reads well without it). */
static const char help_head[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>Printing with quire</title><link rel=\"stylesheet\" href=\"/assets/";
static const char help_body[] =
    "\"></head><body class=\"signin\"><main class=\"signin-card\">"
    "<p class=\"brand\"><span class=\"logo\" aria-hidden=\"true\"></span>quire</p>"
    "<h1>Printing with quire</h1>"
    "<p>This printer is your organization's secure print queue. A job you print to it does "
    "not come out anywhere yet: it waits, encrypted, in the cloud spool, held for you.</p>"
    "<h2>To release a job</h2><ol>"
    "<li>Go to any printer of your organization.</li>"
    "<li>Sign in at its panel: with your username and password, your PIN, or your ID card.</li>"
    "<li>Choose the job in the list of your held jobs and release it. It prints there, and "
    "the pages count toward your monthly quota, if your organization set one.</li></ol>"
    "<h2>Good to know</h2><ul>"
    "<li>Only you see and release your jobs; nobody else, administrators included.</li>"
    "<li>A held job that you do not release is deleted after your organization's retention "
    "period. You can cancel it from your computer's print queue or in the "
    "<a href=\"/\">quire portal</a>, where you also see the jobs you printed.</li>"
    "<li>Your computer shows a held job as &ldquo;held&rdquo; or &ldquo;pending&rdquo;: that "
    "is expected until you release it.</li></ul>"
    "</main></body></html>\n";

void qr_api_printer_help(qr_req_t *r) {
    size_t n = sizeof(help_head) + strlen(qr_web_stylesheet) + sizeof(help_body);
    char *page = qr_xmalloc(n);
    snprintf(page, n, "%s%s%s", help_head, qr_web_stylesheet, help_body);
    qr_req_add_header(r, "Content-Security-Policy", HELP_CSP);
    qr_req_reply_html(r, 200, page);
    free(page);
}
