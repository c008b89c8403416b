/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the IPP queue's printer: its URI, UUID and every printer attribute
 * (Get-Printer-Attributes). Nothing here belongs to a tenant: every user sees the same
 * printer. */
#include <cups/cups.h>
#include <cups/ipp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "crypto/keys.h"
#include "print/ipp_private.h"

#define MEDIA_MARGIN 423 /* hundredths of mm: 1/6 inch, what office printers manage */

/* The queue's URI as clients reach it: the public URL with the ipps scheme. Caller frees. */
char *qr__ipp_printer_uri(qr_ctx_t *ctx) {
    const char *u = ctx->cfg->public_url;
    const char *host = strstr(u, "://");
    host = host ? host + 3 : u;
    size_t n = strcspn(host, "/");
    return qr_xasprintf("ipps://%.*s%s", (int)n, host, QR_IPP_PATH);
}

/* A UUID that stays the same for this server (derived from its master key). */
static void printer_uuid(qr_ctx_t *ctx, char out[46]) {
    unsigned char u[16] = {0};
    if (ctx->keys)
        qr_keys_derive(ctx->keys, "quire ipp printer-uuid", u, sizeof(u));
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x50); /* a name-based UUID (version 5 layout) */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    snprintf(out, 46,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

const char *const qr__ipp_formats[6] = {"application/pdf", "application/octet-stream", "image/jpeg",
                                        "image/png",       "image/pwg-raster",         "image/urf"};
const char *const qr__ipp_sides[3] = {"one-sided", "two-sided-long-edge", "two-sided-short-edge"};
const char *const qr__ipp_color_modes[3] = {"auto", "color", "monochrome"};
const int qr__ipp_operations[12] = {
    IPP_OP_PRINT_JOB,   IPP_OP_VALIDATE_JOB,       IPP_OP_CREATE_JOB, IPP_OP_SEND_DOCUMENT,
    IPP_OP_CANCEL_JOB,  IPP_OP_GET_JOB_ATTRIBUTES, IPP_OP_GET_JOBS,   IPP_OP_GET_PRINTER_ATTRIBUTES,
    IPP_OP_CANCEL_JOBS, IPP_OP_CANCEL_MY_JOBS,     IPP_OP_CLOSE_JOB,  IPP_OP_IDENTIFY_PRINTER};
static const struct {
    const char *name;
    int x, y; /* hundredths of mm */
} media[] = {
    {"iso_a4_210x297mm", 21000, 29700},  {"na_letter_8.5x11in", 21590, 27940},
    {"iso_a3_297x420mm", 29700, 42000},  {"iso_a5_148x210mm", 14800, 21000},
    {"na_legal_8.5x14in", 21590, 35560},
};
#define NMEDIA ((int)(sizeof(media) / sizeof(media[0])))
static const int orientations[] = {IPP_ORIENT_PORTRAIT, IPP_ORIENT_LANDSCAPE,
                                   IPP_ORIENT_REVERSE_LANDSCAPE, IPP_ORIENT_REVERSE_PORTRAIT};
static const int qualities[] = {IPP_QUALITY_DRAFT, IPP_QUALITY_NORMAL, IPP_QUALITY_HIGH};

int qr__ipp_media_index(const char *s) {
    for (int i = 0; s && i < NMEDIA; i++)
        if (strcmp(s, media[i].name) == 0)
            return i;
    return -1;
}

static ipp_t *media_col(int i) {
    ipp_t *size = ippNew();
    ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "x-dimension", media[i].x);
    ippAddInteger(size, IPP_TAG_ZERO, IPP_TAG_INTEGER, "y-dimension", media[i].y);
    ipp_t *col = ippNew();
    ippAddCollection(col, IPP_TAG_ZERO, "media-size", size);
    ippDelete(size);
    ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-size-name", NULL, media[i].name);
    static const char *const margins[] = {"media-bottom-margin", "media-left-margin",
                                          "media-right-margin", "media-top-margin"};
    for (int m = 0; m < QR__IPP_N(margins); m++)
        ippAddInteger(col, IPP_TAG_ZERO, IPP_TAG_INTEGER, margins[m], MEDIA_MARGIN);
    ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-source", NULL, "auto");
    ippAddString(col, IPP_TAG_ZERO, IPP_TAG_KEYWORD, "media-type", NULL, "stationery");
    return col;
}

static void add_media_cols(ipp_t *a, const char *name, int only_default) {
    ipp_t *cols[NMEDIA];
    int n = only_default ? 1 : NMEDIA;
    for (int i = 0; i < n; i++)
        cols[i] = media_col(i);
    ippAddCollections(a, IPP_TAG_PRINTER, name, n, (const ipp_t **)cols);
    for (int i = 0; i < n; i++)
        ippDelete(cols[i]);
}

/* The media attributes of the printer (media-*), in their place in the printer's list. */
static void add_media_attributes(ipp_t *a) {
    ipp_tag_t g = IPP_TAG_PRINTER;
    const char *media_names[NMEDIA];
    for (int i = 0; i < NMEDIA; i++)
        media_names[i] = media[i].name;
    static const char *const media_col_names[] = {
        "media-bottom-margin", "media-left-margin", "media-right-margin", "media-size",
        "media-size-name",     "media-source",      "media-top-margin",   "media-type"};
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-default", NULL, media[0].name);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-supported", NMEDIA, NULL,
                  media_names);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-ready", NMEDIA, NULL, media_names);
    add_media_cols(a, "media-col-default", 1);
    add_media_cols(a, "media-col-ready", 0);
    add_media_cols(a, "media-col-database", 0);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-col-supported",
                  QR__IPP_N(media_col_names), NULL, media_col_names);
    ipp_t *sizes[NMEDIA];
    for (int i = 0; i < NMEDIA; i++) {
        sizes[i] = ippNew();
        ippAddInteger(sizes[i], IPP_TAG_ZERO, IPP_TAG_INTEGER, "x-dimension", media[i].x);
        ippAddInteger(sizes[i], IPP_TAG_ZERO, IPP_TAG_INTEGER, "y-dimension", media[i].y);
    }
    ippAddCollections(a, g, "media-size-supported", NMEDIA, (const ipp_t **)sizes);
    for (int i = 0; i < NMEDIA; i++)
        ippDelete(sizes[i]);
    static const char *const margins[] = {
        "media-bottom-margin-supported", "media-left-margin-supported",
        "media-right-margin-supported", "media-top-margin-supported"};
    for (int m = 0; m < QR__IPP_N(margins); m++)
        ippAddInteger(a, g, IPP_TAG_INTEGER, margins[m], MEDIA_MARGIN);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-source-supported", NULL, "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-type-supported", NULL, "stationery");
}

/* The public URL of path on this server (path starts with '/'). Caller frees. */
static char *public_url(qr_ctx_t *ctx, const char *path) {
    const char *u = ctx->cfg->public_url;
    size_t n = strlen(u);
    while (n && u[n - 1] == '/')
        n--;
    return qr_xasprintf("%.*s%s", (int)n, u, path);
}

/* printer-icons (PWG 5100.13: 48, 128 and 512 px PNG), printer-more-info (the page that says
 * how to release a job) and the supplies (PWG 5100.13 printer-supply: a cloud queue has none,
 * so one entry of class and type "other" whose level is unknown, -2 as RFC 3805 has it). */
static void add_help_and_icons(ipp_t *a, qr_ctx_t *ctx) {
    ipp_tag_t g = IPP_TAG_PRINTER;
    char *icons[3] = {public_url(ctx, QR_IPP_ICON_PATH "48.png"),
                      public_url(ctx, QR_IPP_ICON_PATH "128.png"),
                      public_url(ctx, QR_IPP_ICON_PATH "512.png")};
    ippAddStrings(a, g, IPP_TAG_URI, "printer-icons", 3, NULL, (const char *const *)icons);
    for (int i = 0; i < 3; i++)
        free(icons[i]);
    char *help = public_url(ctx, QR_IPP_HELP_PATH);
    ippAddString(a, g, IPP_TAG_URI, "printer-more-info", NULL, help);
    static const char supply[] =
        "index=1;class=other;type=other;unit=percent;maxcapacity=-2;level=-2;colorantname=unknown;";
    ippAddOctetString(a, g, "printer-supply", supply, (int)strlen(supply));
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-supply-description", NULL,
                 "no supplies: jobs print at your organization's printers");
    ippAddString(a, g, IPP_TAG_URI, "printer-supply-info-uri", NULL, help);
    free(help);
}

/* The printer description and status attributes (printer-*), in their place in the printer's
 * list. */
static void add_printer_description(ipp_t *a, qr_ctx_t *ctx, int64_t now) {
    ipp_tag_t g = IPP_TAG_PRINTER;
    char *uri = qr__ipp_printer_uri(ctx);
    char uuid[46];
    printer_uuid(ctx, uuid);
    ippAddDate(a, g, "printer-config-change-date-time", ippTimeToDate(0));
    ippAddInteger(a, g, IPP_TAG_INTEGER, "printer-config-change-time", 0);
    ippAddDate(a, g, "printer-current-time", ippTimeToDate((time_t)now));
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-device-id", NULL,
                 "MFG:quire;MDL:Secure Print;CMD:PDF;CLS:PRINTER;");
    ippAddOutOfBand(a, g, IPP_TAG_UNKNOWN, "printer-geo-location");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "printer-get-attributes-supported", NULL,
                 "document-format");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-info", NULL,
                 "quire secure print: release your jobs at any printer of your organization");
    ippAddBoolean(a, g, "printer-is-accepting-jobs", 1);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-location", NULL, "cloud spool");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-make-and-model", NULL,
                 "quire Secure Print");
    add_help_and_icons(a, ctx);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_NAME), "printer-name", NULL, "quire");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-organization", NULL, "");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-organizational-unit", NULL, "");
    ippAddResolution(a, g, "printer-resolution-default", IPP_RES_PER_INCH, 600, 600);
    ippAddResolution(a, g, "printer-resolution-supported", IPP_RES_PER_INCH, 600, 600);
    ippAddInteger(a, g, IPP_TAG_ENUM, "printer-state", IPP_PSTATE_IDLE);
    ippAddDate(a, g, "printer-state-change-date-time", ippTimeToDate(0));
    ippAddInteger(a, g, IPP_TAG_INTEGER, "printer-state-change-time", 0);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_TEXT), "printer-state-message", NULL,
                 "ready: jobs wait in the cloud spool until released");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "printer-state-reasons", NULL, "none");
    ippAddInteger(a, g, IPP_TAG_INTEGER, "printer-up-time", (int)(now > 1 ? now : 1));
    ippAddString(a, g, IPP_TAG_URI, "printer-uri-supported", NULL, uri);
    ippAddString(a, g, IPP_TAG_URI, "printer-uuid", NULL, uuid);
    free(uri);
}

/* What the intake converter (convert.c) takes as PWG and Apple raster (pwg-raster-document-*,
 * urf-supported): the back of a duplex sheet as it is ("normal", URF DM1), which the spool's
 * PDF keeps. */
static void add_raster_attributes(ipp_t *a) {
    ipp_tag_t g = IPP_TAG_PRINTER;
    static const int dpi[] = {150, 300, 600};
    int xres[3], yres[3];
    for (int i = 0; i < 3; i++)
        xres[i] = yres[i] = dpi[i];
    ippAddResolutions(a, g, "pwg-raster-document-resolution-supported", 3, IPP_RES_PER_INCH, xres,
                      yres);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "pwg-raster-document-sheet-back", NULL,
                 "normal");
    static const char *const types[] = {"black_1", "cmyk_8", "sgray_8", "srgb_8", "srgb_16"};
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "pwg-raster-document-type-supported",
                  QR__IPP_N(types), NULL, types);
    static const char *const urf[] = {"V1.4",    "CP1",           "DM1",    "IS1",        "MT1",
                                      "PQ3-4-5", "RS150-300-600", "SRGB24", "ADOBERGB24", "W8"};
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "urf-supported", QR__IPP_N(urf), NULL, urf);
}

/* Every printer attribute of the queue. They are the same for everyone: nothing in them
 * belongs to a tenant. */
static ipp_t *printer_attributes(qr_ctx_t *ctx) {
    ipp_t *a = ippNew();
    ipp_tag_t g = IPP_TAG_PRINTER;
    int64_t now = qr_clock_now(ctx->clock);
    static const char *const charsets[] = {"us-ascii", "utf-8"};
    static const char *const ipp_versions[] = {"1.1", "2.0"};
    static const char *const which_jobs[] = {"completed", "not-completed", "all"};
    static const char *const job_creation[] = {"copies",
                                               "finishings",
                                               "media",
                                               "media-col",
                                               "orientation-requested",
                                               "output-bin",
                                               "overrides",
                                               "page-ranges",
                                               "print-color-mode",
                                               "print-quality",
                                               "printer-resolution",
                                               "sides"};

    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_CHARSET), "charset-supported", QR__IPP_N(charsets),
                  NULL, charsets);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_CHARSET), "charset-configured", NULL, "utf-8");
    ippAddBoolean(a, g, "color-supported", 1);
    static const char *const compressions[] = {"none", "gzip", "deflate"};
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "compression-supported",
                  QR__IPP_N(compressions), NULL, compressions);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "copies-default", 1);
    ippAddRange(a, g, "copies-supported", 1, QR__IPP_COPIES_MAX);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_MIMETYPE), "document-format-default", NULL,
                 qr__ipp_formats[0]);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_MIMETYPE), "document-format-supported",
                  QR__IPP_N(qr__ipp_formats), NULL, qr__ipp_formats);
    ippAddInteger(a, g, IPP_TAG_ENUM, "finishings-default", IPP_FINISHINGS_NONE);
    ippAddInteger(a, g, IPP_TAG_ENUM, "finishings-supported", IPP_FINISHINGS_NONE);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_LANGUAGE), "generated-natural-language-supported",
                 NULL, "en");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "identify-actions-default", NULL, "display");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "identify-actions-supported", NULL,
                 "display");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "ipp-features-supported", NULL,
                 "ipp-everywhere");
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "ipp-versions-supported",
                  QR__IPP_N(ipp_versions), NULL, ipp_versions);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "job-creation-attributes-supported",
                  QR__IPP_N(job_creation), NULL, job_creation);
    ippAddBoolean(a, g, "job-ids-supported", 1);
    ippAddRange(a, g, "job-k-octets-supported", 0,
                ctx->cfg->max_job_mb > 2000000 ? 2000000000 : ctx->cfg->max_job_mb * 1024);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "job-priority-default", 50);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "job-priority-supported", 1);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_NAME), "job-sheets-default", NULL, "none");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_NAME), "job-sheets-supported", NULL, "none");
    add_media_attributes(a);
    ippAddBoolean(a, g, "multiple-document-jobs-supported", 0);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "multiple-operation-time-out", QR_JOB_DOCUMENT_TIMEOUT);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "multiple-operation-time-out-action", NULL,
                 "abort-job");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_LANGUAGE), "natural-language-configured", NULL, "en");
    ippAddIntegers(a, g, IPP_TAG_ENUM, "operations-supported", QR__IPP_N(qr__ipp_operations),
                   qr__ipp_operations);
    ippAddOutOfBand(a, g, IPP_TAG_NOVALUE, "orientation-requested-default");
    ippAddIntegers(a, g, IPP_TAG_ENUM, "orientation-requested-supported", QR__IPP_N(orientations),
                   orientations);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "output-bin-default", NULL, "face-down");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "output-bin-supported", NULL, "face-down");
    static const char *const overrides[] = {"document-number", "pages"};
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "overrides-supported", QR__IPP_N(overrides),
                  NULL, overrides);
    ippAddBoolean(a, g, "page-ranges-supported", 1);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "pages-per-minute", 30);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "pages-per-minute-color", 30);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "pdl-override-supported", NULL, "attempted");
    ippAddBoolean(a, g, "preferred-attributes-supported", 0);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-color-mode-default", NULL, "auto");
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-color-mode-supported",
                  QR__IPP_N(qr__ipp_color_modes), NULL, qr__ipp_color_modes);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-content-optimize-default", NULL,
                 "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-content-optimize-supported", NULL,
                 "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-rendering-intent-default", NULL,
                 "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-rendering-intent-supported", NULL,
                 "auto");
    ippAddInteger(a, g, IPP_TAG_ENUM, "print-quality-default", IPP_QUALITY_NORMAL);
    ippAddIntegers(a, g, IPP_TAG_ENUM, "print-quality-supported", QR__IPP_N(qualities), qualities);
    add_printer_description(a, ctx, now);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "queued-job-count", 0);
    add_raster_attributes(a);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "sides-default", NULL, qr__ipp_sides[0]);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "sides-supported", QR__IPP_N(qr__ipp_sides),
                  NULL, qr__ipp_sides);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "uri-authentication-supported", NULL,
                 "basic");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "uri-security-supported", NULL, "tls");
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "which-jobs-supported",
                  QR__IPP_N(which_jobs), NULL, which_jobs);
    return a;
}

void qr__ipp_op_get_printer_attributes(qr_ipp_t *x) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "document-format", IPP_TAG_ZERO);
    if (a &&
        (!qr__ipp_one_of_type(a, IPP_TAG_MIMETYPE, 0) ||
         !qr__ipp_in_list(ippGetString(a, 0, NULL), qr__ipp_formats, QR__IPP_N(qr__ipp_formats)))) {
        qr__ipp_status(x, IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED, QR__IPP_FORMATS_MESSAGE);
        qr__ipp_unsupported(x, a);
        return;
    }
    ipp_t *attrs = printer_attributes(x->ctx);
    cups_array_t *ra = ippCreateRequestedArray(x->req);
    qr__ipp_copy_requested(x->resp, attrs, ra);
    cupsArrayDelete(ra);
    ippDelete(attrs);
}

void qr__ipp_op_identify_printer(qr_ipp_t *x) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "identify-actions", IPP_TAG_ZERO);
    for (int i = 0; a && i < ippGetCount(a); i++) {
        const char *v = ippGetValueTag(a) == IPP_TAG_KEYWORD ? ippGetString(a, i, NULL) : NULL;
        if (!v || strcmp(v, "display") != 0) {
            /* Only "display" is supported; the rest is ignored and reported (RFC 8011 4.1.7). */
            qr__ipp_unsupported(x, a);
            ippSetStatusCode(x->resp, IPP_STATUS_OK_IGNORED_OR_SUBSTITUTED);
            break;
        }
    }
    qr__ipp_status(x, ippGetStatusCode(x->resp),
                   "this is a cloud queue: your jobs wait in it until you release them at a "
                   "printer of your organization, which is the one to look for");
}
