/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the IPP Everywhere print queue on top of the cloud spool.
 *
 * libcups decodes and encodes every IPP message (ippReadIO/ippWriteIO over memory); nothing
 * here parses IPP by hand. The body of a request is collected until its attribute part
 * decodes (a retry each time the collected bytes have doubled, so the work stays linear);
 * the bytes after the end-of-attributes tag are the document and go straight to the spool.
 * Checks run in the order of RFC 8011 4.1: version, operation attributes, operation, then
 * the authenticated user, then the operation's own attributes; nothing is stored unless
 * every check passed and the document is a complete PDF. */
#include "print/ipp.h"

#include <cups/cups.h>
#include <cups/ipp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/mem.h"
#include "crypto/keys.h"
#include "print/job.h"
#include "tenancy/user.h"

#define FIRST_TRY 64       /* first attempt to decode once this many bytes are in */
#define COPIES_MAX 999     /* as qr_job_begin allows */
#define NAME_MAX_BYTES 255 /* job-name and the other name values (RFC 8011 5.1.3) */
#define MEDIA_MARGIN 423   /* hundredths of mm: 1/6 inch, what office printers manage */
#define OPERATION_TIMEOUT_S 60

enum { READING = 0, DOCUMENT, ANSWERED, NEED_AUTH, NOT_IPP };

struct qr_ipp {
    qr_ctx_t *ctx;
    qr_principal_t p;
    int authed;
    long long declared;
    qr_buf_t head;   /* the attribute part as received (plus the document's first bytes) */
    size_t next_try; /* decode again once head holds this many bytes */
    int state;
    ipp_t *req, *resp;
    ipp_t *unsup;      /* the unsupported-attributes group, kept apart until the answer */
    char message[320]; /* status-message, if any */
    qr_job_upload_t *upload;
    qr_buf_t out; /* the encoded response */
    qr_err_t err; /* with NOT_IPP: why */
};

struct reader {
    const unsigned char *p;
    size_t len, pos;
};

static ssize_t read_mem(void *cls, ipp_uchar_t *buf, size_t n) {
    struct reader *rd = cls;
    size_t left = rd->len - rd->pos;
    if (left == 0)
        return -1;
    if (n > left)
        n = left;
    memcpy(buf, rd->p + rd->pos, n);
    rd->pos += n;
    return (ssize_t)n;
}

static ssize_t write_mem(void *cls, ipp_uchar_t *buf, size_t n) {
    return qr_buf_append(cls, buf, n) == QR_OK ? (ssize_t)n : -1;
}

qr_ipp_t *qr_ipp_create(qr_ctx_t *ctx, const qr_principal_t *p, long long declared_size) {
    qr_ipp_t *x = qr_xcalloc(1, sizeof(*x));
    x->ctx = ctx;
    if (p) {
        x->p = *p;
        x->authed = 1;
    }
    x->declared = declared_size;
    qr_buf_init(&x->head, QR_IPP_ATTR_MAX);
    qr_buf_init(&x->out, (size_t)4 << 20);
    x->next_try = FIRST_TRY;
    return x;
}

void qr_ipp_destroy(qr_ipp_t *x) {
    if (!x)
        return;
    qr_job_abort(x->upload);
    ippDelete(x->req);
    ippDelete(x->resp);
    ippDelete(x->unsup);
    qr_buf_free(&x->head);
    qr_buf_free(&x->out);
    free(x);
}

/* ---- the printer ---- */

/* The queue's URI as clients reach it: the public URL with the ipps scheme. Caller frees. */
static char *printer_uri(qr_ctx_t *ctx) {
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

static const char *const formats[] = {"application/pdf", "application/octet-stream"};
static const char *const sides[] = {"one-sided", "two-sided-long-edge", "two-sided-short-edge"};
static const char *const color_modes[] = {"auto", "color", "monochrome"};
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
static const int operations[] = {IPP_OP_PRINT_JOB,  IPP_OP_VALIDATE_JOB,
                                 IPP_OP_CANCEL_JOB, IPP_OP_GET_JOB_ATTRIBUTES,
                                 IPP_OP_GET_JOBS,   IPP_OP_GET_PRINTER_ATTRIBUTES};
/* The job template attributes a job may carry; the spool keeps copies, sides and
 * print-color-mode, the MFP at release decides the rest. */
static const char *const job_attrs[] = {"copies",           "sides",
                                        "print-color-mode", "media",
                                        "media-col",        "orientation-requested",
                                        "print-quality",    "finishings",
                                        "output-bin",       "printer-resolution",
                                        "job-priority",     "multiple-document-handling"};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int in_list(const char *s, const char *const *list, int n) {
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

static int media_index(const char *s) {
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
    for (int m = 0; m < N(margins); m++)
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

/* Every printer attribute of the queue. They are the same for everyone: nothing in them
 * belongs to a tenant. */
static ipp_t *printer_attributes(qr_ctx_t *ctx) {
    ipp_t *a = ippNew();
    ipp_tag_t g = IPP_TAG_PRINTER;
    int64_t now = qr_clock_now(ctx->clock);
    char *uri = printer_uri(ctx);
    char uuid[46];
    printer_uuid(ctx, uuid);
    const char *media_names[NMEDIA];
    for (int i = 0; i < NMEDIA; i++)
        media_names[i] = media[i].name;
    static const char *const charsets[] = {"us-ascii", "utf-8"};
    static const char *const ipp_versions[] = {"1.1", "2.0"};
    static const char *const which_jobs[] = {"completed", "not-completed", "all"};
    static const char *const media_col_names[] = {
        "media-bottom-margin", "media-left-margin", "media-right-margin", "media-size",
        "media-size-name",     "media-source",      "media-top-margin",   "media-type"};
    static const char *const job_creation[] = {"copies",
                                               "finishings",
                                               "media",
                                               "media-col",
                                               "orientation-requested",
                                               "output-bin",
                                               "print-color-mode",
                                               "print-quality",
                                               "printer-resolution",
                                               "sides"};

    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_CHARSET), "charset-supported", N(charsets), NULL,
                  charsets);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_CHARSET), "charset-configured", NULL, "utf-8");
    ippAddBoolean(a, g, "color-supported", 1);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "compression-supported", NULL, "none");
    ippAddInteger(a, g, IPP_TAG_INTEGER, "copies-default", 1);
    ippAddRange(a, g, "copies-supported", 1, COPIES_MAX);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_MIMETYPE), "document-format-default", NULL,
                 formats[0]);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_MIMETYPE), "document-format-supported", N(formats),
                  NULL, formats);
    ippAddInteger(a, g, IPP_TAG_ENUM, "finishings-default", IPP_FINISHINGS_NONE);
    ippAddInteger(a, g, IPP_TAG_ENUM, "finishings-supported", IPP_FINISHINGS_NONE);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_LANGUAGE), "generated-natural-language-supported",
                 NULL, "en");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "ipp-features-supported", NULL,
                 "ipp-everywhere");
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "ipp-versions-supported", N(ipp_versions),
                  NULL, ipp_versions);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "job-creation-attributes-supported",
                  N(job_creation), NULL, job_creation);
    ippAddBoolean(a, g, "job-ids-supported", 1);
    ippAddRange(a, g, "job-k-octets-supported", 0,
                ctx->cfg->max_job_mb > 2000000 ? 2000000000 : ctx->cfg->max_job_mb * 1024);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "job-priority-default", 50);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "job-priority-supported", 1);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_NAME), "job-sheets-default", NULL, "none");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_NAME), "job-sheets-supported", NULL, "none");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-default", NULL, media[0].name);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-supported", NMEDIA, NULL,
                  media_names);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-ready", NMEDIA, NULL, media_names);
    add_media_cols(a, "media-col-default", 1);
    add_media_cols(a, "media-col-ready", 0);
    add_media_cols(a, "media-col-database", 0);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-col-supported", N(media_col_names),
                  NULL, media_col_names);
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
    for (int m = 0; m < N(margins); m++)
        ippAddInteger(a, g, IPP_TAG_INTEGER, margins[m], MEDIA_MARGIN);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-source-supported", NULL, "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "media-type-supported", NULL, "stationery");
    ippAddBoolean(a, g, "multiple-document-jobs-supported", 0);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "multiple-operation-time-out", OPERATION_TIMEOUT_S);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "multiple-operation-time-out-action", NULL,
                 "abort-job");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_LANGUAGE), "natural-language-configured", NULL, "en");
    ippAddIntegers(a, g, IPP_TAG_ENUM, "operations-supported", N(operations), operations);
    ippAddOutOfBand(a, g, IPP_TAG_NOVALUE, "orientation-requested-default");
    ippAddIntegers(a, g, IPP_TAG_ENUM, "orientation-requested-supported", N(orientations),
                   orientations);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "output-bin-default", NULL, "face-down");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "output-bin-supported", NULL, "face-down");
    ippAddBoolean(a, g, "page-ranges-supported", 0);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "pages-per-minute", 30);
    ippAddInteger(a, g, IPP_TAG_INTEGER, "pages-per-minute-color", 30);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "pdl-override-supported", NULL, "attempted");
    ippAddBoolean(a, g, "preferred-attributes-supported", 0);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-color-mode-default", NULL, "auto");
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-color-mode-supported",
                  N(color_modes), NULL, color_modes);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-content-optimize-default", NULL,
                 "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-content-optimize-supported", NULL,
                 "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-rendering-intent-default", NULL,
                 "auto");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "print-rendering-intent-supported", NULL,
                 "auto");
    ippAddInteger(a, g, IPP_TAG_ENUM, "print-quality-default", IPP_QUALITY_NORMAL);
    ippAddIntegers(a, g, IPP_TAG_ENUM, "print-quality-supported", N(qualities), qualities);
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
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_URI), "printer-more-info", NULL, ctx->cfg->public_url);
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
    ippAddInteger(a, g, IPP_TAG_INTEGER, "queued-job-count", 0);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "sides-default", NULL, sides[0]);
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "sides-supported", N(sides), NULL, sides);
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "uri-authentication-supported", NULL,
                 "basic");
    ippAddString(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "uri-security-supported", NULL, "tls");
    ippAddStrings(a, g, IPP_CONST_TAG(IPP_TAG_KEYWORD), "which-jobs-supported", N(which_jobs), NULL,
                  which_jobs);
    free(uri);
    return a;
}

/* ---- responses ---- */

static void status(qr_ipp_t *x, ipp_status_t st, const char *msg) {
    ippSetStatusCode(x->resp, st);
    if (msg)
        snprintf(x->message, sizeof(x->message), "%s", msg);
}

/* Adds attr to the unsupported-attributes group of the answer (kept apart, so that the
 * operation group may still grow). */
static void unsupported(qr_ipp_t *x, ipp_attribute_t *attr) {
    const char *name = ippGetName(attr);
    if (!name || !*name)
        return; /* cannot be encoded back (an empty name means "another value") */
    if (!x->unsup)
        x->unsup = ippNew();
    ipp_attribute_t *c = ippCopyAttribute(x->unsup, attr, 0);
    if (c)
        ippSetGroupTag(x->unsup, &c, IPP_TAG_UNSUPPORTED_GROUP);
}

static int in_operation_group(void *cls, ipp_t *dst, ipp_attribute_t *a) {
    (void)cls;
    (void)dst;
    return ippGetGroupTag(a) == IPP_TAG_OPERATION;
}

static int after_operation_group(void *cls, ipp_t *dst, ipp_attribute_t *a) {
    (void)cls;
    (void)dst;
    return ippGetGroupTag(a) != IPP_TAG_OPERATION;
}

/* The answer in the order RFC 8011 4.1.1 requires: operation attributes (ending with
 * status-message), unsupported attributes, then the job or printer groups. New message. */
static ipp_t *assemble(qr_ipp_t *x) {
    ipp_t *a = ippNew();
    int minor;
    int major = ippGetVersion(x->resp, &minor);
    ippSetVersion(a, major, minor);
    ippSetStatusCode(a, ippGetStatusCode(x->resp));
    ippSetRequestId(a, ippGetRequestId(x->resp));
    ippCopyAttributes(a, x->resp, 0, in_operation_group, NULL);
    if (x->message[0])
        ippAddString(a, IPP_TAG_OPERATION, IPP_TAG_TEXT, "status-message", NULL, x->message);
    if (x->unsup)
        ippCopyAttributes(a, x->unsup, 0, NULL, NULL);
    ippCopyAttributes(a, x->resp, 0, after_operation_group, NULL);
    return a;
}

/* Copies the attributes of src that the request asked for (ra; NULL: all) into resp. */
static void copy_requested(ipp_t *resp, ipp_t *src, cups_array_t *ra) {
    for (ipp_attribute_t *a = ippFirstAttribute(src); a; a = ippNextAttribute(src)) {
        const char *name = ippGetName(a);
        if (name && (!ra || cupsArrayFind(ra, (void *)name)))
            ippCopyAttribute(resp, a, 0);
    }
}

/* ---- jobs ---- */

/* The IPP state of a spool job: held until released at an MFP. */
static ipp_jstate_t job_state(const char *st, const char **reason) {
    if (strcmp(st, "held") == 0) {
        *reason = "job-hold-until-specified";
        return IPP_JSTATE_HELD;
    }
    if (strcmp(st, "released") == 0 || strcmp(st, "printed") == 0 || strcmp(st, "completed") == 0) {
        *reason = "job-completed-successfully";
        return IPP_JSTATE_COMPLETED;
    }
    if (strcmp(st, "canceled") == 0 || strcmp(st, "cancelled") == 0) {
        *reason = "job-canceled-by-user";
        return IPP_JSTATE_CANCELED;
    }
    if (strcmp(st, "refused") == 0 || strcmp(st, "failed") == 0) {
        *reason = "aborted-by-system";
        return IPP_JSTATE_ABORTED;
    }
    *reason = "job-printing";
    return IPP_JSTATE_PROCESSING;
}

static void job_attributes(qr_ipp_t *x, ipp_t *dst, json_t *job, const char *owner) {
    ipp_tag_t g = IPP_TAG_JOB;
    int number = (int)json_integer_value(json_object_get(job, "number"));
    char *puri = printer_uri(x->ctx);
    char *juri = qr_xasprintf("%s/%d", puri, number);
    const char *reason;
    const char *st = json_string_value(json_object_get(job, "status"));
    ipp_jstate_t state = job_state(st ? st : "", &reason);
    long long size = json_integer_value(json_object_get(job, "size"));
    json_int_t created = json_integer_value(json_object_get(job, "created_at"));
    json_t *released = json_object_get(job, "released_at");
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-id", number);
    ippAddString(dst, g, IPP_TAG_URI, "job-uri", NULL, juri);
    ippAddString(dst, g, IPP_TAG_URI, "job-printer-uri", NULL, puri);
    ippAddString(dst, g, IPP_TAG_NAME, "job-name", NULL,
                 json_string_value(json_object_get(job, "name")));
    ippAddString(dst, g, IPP_TAG_NAME, "job-originating-user-name", NULL, owner);
    ippAddInteger(dst, g, IPP_TAG_ENUM, "job-state", (int)state);
    ippAddString(dst, g, IPP_TAG_KEYWORD, "job-state-reasons", NULL, reason);
    if (state == IPP_JSTATE_HELD)
        ippAddString(dst, g, IPP_TAG_TEXT, "job-state-message", NULL,
                     "held in the cloud spool: release it at a printer of your organization");
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-k-octets", (int)((size + 1023) / 1024));
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-impressions",
                  (int)json_integer_value(json_object_get(job, "pages")));
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "copies",
                  (int)json_integer_value(json_object_get(job, "copies")));
    ippAddString(dst, g, IPP_TAG_KEYWORD, "sides", NULL,
                 json_is_true(json_object_get(job, "duplex")) ? sides[1] : sides[0]);
    ippAddString(dst, g, IPP_TAG_KEYWORD, "print-color-mode", NULL,
                 json_is_true(json_object_get(job, "color")) ? "color" : "monochrome");
    ippAddString(dst, g, IPP_TAG_MIMETYPE, "document-format", NULL, formats[0]);
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-printer-up-time", (int)qr_clock_now(x->ctx->clock));
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "time-at-creation", (int)created);
    ippAddDate(dst, g, "date-time-at-creation", ippTimeToDate((time_t)created));
    if (json_is_integer(released)) {
        ippAddInteger(dst, g, IPP_TAG_INTEGER, "time-at-processing",
                      (int)json_integer_value(released));
        ippAddInteger(dst, g, IPP_TAG_INTEGER, "time-at-completed",
                      (int)json_integer_value(released));
    } else {
        ippAddOutOfBand(dst, g, IPP_TAG_NOVALUE, "time-at-processing");
        ippAddOutOfBand(dst, g, IPP_TAG_NOVALUE, "time-at-completed");
    }
    free(juri);
    free(puri);
}

/* The authenticated user's name for job-originating-user-name. Caller frees. */
static char *owner_name(qr_ipp_t *x) {
    json_t *u = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    char *name = NULL;
    if (qr_user_get(x->ctx, &x->p, x->p.user_id, &u, &err) == QR_OK)
        name = qr_xstrdup(json_string_value(json_object_get(u, "username")));
    json_decref(u);
    return name ? name : qr_xstrdup(x->p.user_id);
}

/* One of the user's own jobs by its IPP job-id; NULL (and a status) if there is none.
 * Returns a new reference. */
static json_t *own_job(qr_ipp_t *x, int number) {
    json_t *list = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_job_list(x->ctx, &x->p, &list, &err)) {
        status(x, IPP_STATUS_ERROR_INTERNAL, "the job list could not be read");
        return NULL;
    }
    json_t *found = NULL, *j;
    size_t i;
    json_array_foreach(json_object_get(list, "items"), i, j) {
        if (json_integer_value(json_object_get(j, "number")) == number) {
            found = json_incref(j);
            break;
        }
    }
    json_decref(list);
    if (!found)
        status(x, IPP_STATUS_ERROR_NOT_FOUND, "no such job (or not yours)");
    return found;
}

/* The job-id of a job operation: job-id with printer-uri, or the number at the end of
 * job-uri. 0 (and a status) if neither is there or valid. */
static int target_job(qr_ipp_t *x) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "job-id", IPP_TAG_ZERO);
    if (a) {
        if (ippGetGroupTag(a) != IPP_TAG_OPERATION || ippGetValueTag(a) != IPP_TAG_INTEGER ||
            ippGetCount(a) != 1 || ippGetInteger(a, 0) < 1) {
            status(x, IPP_STATUS_ERROR_BAD_REQUEST, "job-id must be one integer from 1");
            unsupported(x, a);
            return 0;
        }
        return ippGetInteger(a, 0);
    }
    a = ippFindAttribute(x->req, "job-uri", IPP_TAG_URI);
    const char *s = a && ippGetCount(a) == 1 ? ippGetString(a, 0, NULL) : NULL;
    const char *path = s ? strstr(s, QR_IPP_PATH "/") : NULL;
    if (path) {
        char *end = NULL;
        long n = strtol(path + strlen(QR_IPP_PATH) + 1, &end, 10);
        if (end && !*end && n >= 1 && n <= 0x7fffffffL)
            return (int)n;
    }
    status(x, IPP_STATUS_ERROR_BAD_REQUEST,
           "a job operation needs job-id (with printer-uri) or job-uri");
    return 0;
}

/* ---- checks ---- */

/* Checks attr is one value of tag (or of tag2, when not zero). */
static int one_of_type(ipp_attribute_t *attr, ipp_tag_t tag, ipp_tag_t tag2) {
    ipp_tag_t t = ippGetValueTag(attr);
    return ippGetCount(attr) == 1 && (t == tag || (tag2 && t == tag2));
}

/* The operation attributes of a job creation request (Print-Job, Validate-Job): fills
 * name. Returns 0 when they are fine, else answers. */
static int check_job_operation(qr_ipp_t *x, const char **name) {
    ipp_attribute_t *a;
    *name = NULL;
    if ((a = ippFindAttribute(x->req, "compression", IPP_TAG_ZERO))) {
        if (!one_of_type(a, IPP_TAG_KEYWORD, 0) || strcmp(ippGetString(a, 0, NULL), "none") != 0) {
            status(x, IPP_STATUS_ERROR_COMPRESSION_NOT_SUPPORTED,
                   "compression is not supported: send the document as it is");
            unsupported(x, a);
            return 1;
        }
    }
    if ((a = ippFindAttribute(x->req, "document-format", IPP_TAG_ZERO))) {
        if (!one_of_type(a, IPP_TAG_MIMETYPE, 0) ||
            !in_list(ippGetString(a, 0, NULL), formats, N(formats))) {
            status(x, IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED,
                   "only application/pdf documents are accepted");
            unsupported(x, a);
            return 1;
        }
    }
    static const char *const names[] = {"job-name", "document-name", "requesting-user-name"};
    for (int i = 0; i < N(names); i++) {
        a = ippFindAttribute(x->req, names[i], IPP_TAG_ZERO);
        if (!a)
            continue;
        const char *v =
            one_of_type(a, IPP_TAG_NAME, IPP_TAG_NAMELANG) ? ippGetString(a, 0, NULL) : NULL;
        if (!v || strlen(v) > NAME_MAX_BYTES) {
            status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                   "names are one value of at most 255 bytes");
            unsupported(x, a);
            return 1;
        }
        if (i < 2 && !*name)
            *name = v;
    }
    return 0;
}

/* The job template attributes: fills o. Unknown attributes are ignored and reported;
 * a bad value of a known one is refused. Returns 0 when the job may be created. */
static int check_job_template(qr_ipp_t *x, qr_job_options_t *o) {
    int ignored = 0;
    int fidelity = 0;
    ipp_attribute_t *f = ippFindAttribute(x->req, "ipp-attribute-fidelity", IPP_TAG_BOOLEAN);
    if (f)
        fidelity = ippGetBoolean(f, 0);
    o->copies = 1;
    o->color = 1;
    o->duplex = 0;
    for (ipp_attribute_t *a = ippFirstAttribute(x->req); a; a = ippNextAttribute(x->req)) {
        if (ippGetGroupTag(a) != IPP_TAG_JOB || !ippGetName(a))
            continue;
        const char *n = ippGetName(a);
        int ok = 1;
        if (!in_list(n, job_attrs, N(job_attrs))) {
            ignored = 1;
            continue;
        }
        const char *s =
            one_of_type(a, IPP_TAG_KEYWORD, IPP_TAG_NAME) ? ippGetString(a, 0, NULL) : NULL;
        int v = one_of_type(a, IPP_TAG_INTEGER, IPP_TAG_ENUM) ? ippGetInteger(a, 0) : -1;
        if (strcmp(n, "copies") == 0) {
            ok = ippGetValueTag(a) == IPP_TAG_INTEGER && v >= 1 && v <= COPIES_MAX;
            o->copies = v;
        } else if (strcmp(n, "sides") == 0) {
            ok = in_list(s, sides, N(sides));
            o->duplex = s && strncmp(s, "two-sided", 9) == 0;
        } else if (strcmp(n, "print-color-mode") == 0) {
            ok = in_list(s, color_modes, N(color_modes));
            o->color = !(s && strcmp(s, "monochrome") == 0);
        } else if (strcmp(n, "media") == 0) {
            ok = media_index(s) >= 0;
        } else if (strcmp(n, "media-col") == 0) {
            ok = one_of_type(a, IPP_TAG_BEGIN_COLLECTION, 0);
        } else if (strcmp(n, "orientation-requested") == 0) {
            ok = v >= IPP_ORIENT_PORTRAIT && v <= IPP_ORIENT_REVERSE_PORTRAIT;
        } else if (strcmp(n, "print-quality") == 0) {
            ok = v >= IPP_QUALITY_DRAFT && v <= IPP_QUALITY_HIGH;
        } else if (strcmp(n, "finishings") == 0) {
            ok = v == IPP_FINISHINGS_NONE;
        } else if (strcmp(n, "output-bin") == 0) {
            ok = s && strcmp(s, "face-down") == 0;
        } else if (strcmp(n, "job-priority") == 0) {
            ok = v >= 1 && v <= 100;
        } else if (strcmp(n, "multiple-document-handling") == 0) {
            ok = s != NULL;
        } else if (strcmp(n, "printer-resolution") == 0) {
            ipp_res_t units;
            int yres, xres = one_of_type(a, IPP_TAG_RESOLUTION, 0)
                                 ? ippGetResolution(a, 0, &yres, &units)
                                 : 0;
            ok = xres == 600 && yres == 600 && units == IPP_RES_PER_INCH;
        }
        if (!ok) {
            status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                   "a job attribute has a value this printer does not support; see the "
                   "unsupported attributes and the printer's *-supported values");
            unsupported(x, a);
            return 1;
        }
    }
    if (!ignored)
        return 0;
    if (fidelity)
        status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
               "ipp-attribute-fidelity is true and some attributes are not supported");
    else
        ippSetStatusCode(x->resp, IPP_STATUS_OK_IGNORED_OR_SUBSTITUTED);
    for (ipp_attribute_t *a = ippFirstAttribute(x->req); a; a = ippNextAttribute(x->req))
        if (ippGetGroupTag(a) == IPP_TAG_JOB && ippGetName(a) &&
            !in_list(ippGetName(a), job_attrs, N(job_attrs)))
            unsupported(x, a);
    return fidelity;
}

/* The checks every request passes (RFC 8011 4.1.4, 4.1.5): version, request id, the
 * operation attributes group starting with charset and language, the target URI, then the
 * operation. Returns 0 when the request may proceed, else answers. */
static int check_request(qr_ipp_t *x) {
    int minor;
    int major = ippGetVersion(x->req, &minor);
    if (major < 1 || major > 2) {
        ippSetVersion(x->resp, 1, 1);
        status(x, IPP_STATUS_ERROR_VERSION_NOT_SUPPORTED, "IPP versions 1.1 and 2.0 are supported");
        return 1;
    }
    if (ippGetRequestId(x->req) < 1) {
        status(x, IPP_STATUS_ERROR_BAD_REQUEST, "request-id must be from 1");
        return 1;
    }
    /* Names and values in the syntax RFC 8011 5.1 defines (libcups checks them). */
    if (!ippValidateAttributes(x->req)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "an attribute is malformed: %s", cupsLastErrorString());
        status(x, IPP_STATUS_ERROR_BAD_REQUEST, msg);
        return 1;
    }
    ipp_attribute_t *a = ippFirstAttribute(x->req);
    const char *n = a ? ippGetName(a) : NULL;
    if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION || !n ||
        strcmp(n, "attributes-charset") != 0 || !one_of_type(a, IPP_TAG_CHARSET, 0)) {
        status(x, IPP_STATUS_ERROR_BAD_REQUEST,
               "the first operation attribute must be attributes-charset");
        return 1;
    }
    const char *cs = ippGetString(a, 0, NULL);
    if (strcasecmp(cs, "utf-8") != 0 && strcasecmp(cs, "us-ascii") != 0) {
        status(x, IPP_STATUS_ERROR_CHARSET, "attributes-charset must be utf-8 or us-ascii");
        unsupported(x, a);
        return 1;
    }
    a = ippNextAttribute(x->req);
    n = a ? ippGetName(a) : NULL;
    if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION || !n ||
        strcmp(n, "attributes-natural-language") != 0 || !one_of_type(a, IPP_TAG_LANGUAGE, 0)) {
        status(x, IPP_STATUS_ERROR_BAD_REQUEST,
               "the second operation attribute must be attributes-natural-language");
        return 1;
    }
    ipp_attribute_t *pu = ippFindAttribute(x->req, "printer-uri", IPP_TAG_ZERO);
    ipp_attribute_t *ju = ippFindAttribute(x->req, "job-uri", IPP_TAG_ZERO);
    ipp_attribute_t *uri = pu ? pu : ju;
    if (!uri || ippGetGroupTag(uri) != IPP_TAG_OPERATION || !one_of_type(uri, IPP_TAG_URI, 0)) {
        status(x, IPP_STATUS_ERROR_BAD_REQUEST, "printer-uri (or job-uri) is required");
        return 1;
    }
    const char *u = ippGetString(uri, 0, NULL);
    const char *path = strstr(u, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    size_t plen = strlen(QR_IPP_PATH);
    if (!path || strncmp(path, QR_IPP_PATH, plen) != 0 ||
        (path[plen] && !(uri == ju && path[plen] == '/'))) {
        status(x, IPP_STATUS_ERROR_NOT_FOUND, "this server has one queue: " QR_IPP_PATH);
        return 1;
    }
    int op = (int)ippGetOperation(x->req);
    int known = 0;
    for (int i = 0; i < N(operations); i++)
        known |= operations[i] == op;
    if (!known) {
        status(x, IPP_STATUS_ERROR_OPERATION_NOT_SUPPORTED,
               "supported: Print-Job, Validate-Job, Cancel-Job, Get-Job-Attributes, Get-Jobs, "
               "Get-Printer-Attributes");
        return 1;
    }
    return 0;
}

/* ---- operations ---- */

static void op_get_printer_attributes(qr_ipp_t *x) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "document-format", IPP_TAG_ZERO);
    if (a && (!one_of_type(a, IPP_TAG_MIMETYPE, 0) ||
              !in_list(ippGetString(a, 0, NULL), formats, N(formats)))) {
        status(x, IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED,
               "only application/pdf documents are accepted");
        unsupported(x, a);
        return;
    }
    ipp_t *attrs = printer_attributes(x->ctx);
    cups_array_t *ra = ippCreateRequestedArray(x->req);
    copy_requested(x->resp, attrs, ra);
    cupsArrayDelete(ra);
    ippDelete(attrs);
}

static int compare_names(void *a, void *b, void *data) {
    (void)data;
    return strcmp(a, b);
}

static void op_get_jobs(qr_ipp_t *x) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "which-jobs", IPP_TAG_ZERO);
    const char *which = "not-completed";
    if (a) {
        which = one_of_type(a, IPP_TAG_KEYWORD, 0) ? ippGetString(a, 0, NULL) : "";
        if (strcmp(which, "completed") != 0 && strcmp(which, "not-completed") != 0 &&
            strcmp(which, "all") != 0) {
            status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                   "which-jobs is completed, not-completed or all");
            unsupported(x, a);
            return;
        }
    }
    int limit = 0;
    if ((a = ippFindAttribute(x->req, "limit", IPP_TAG_ZERO))) {
        limit = one_of_type(a, IPP_TAG_INTEGER, 0) ? ippGetInteger(a, 0) : 0;
        if (limit < 1) {
            status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES, "limit is an integer from 1");
            unsupported(x, a);
            return;
        }
    }
    json_t *list = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_job_list(x->ctx, &x->p, &list, &err)) {
        status(x, IPP_STATUS_ERROR_INTERNAL, "the job list could not be read");
        return;
    }
    cups_array_t *ra = NULL;
    if (ippFindAttribute(x->req, "requested-attributes", IPP_TAG_ZERO)) {
        ra = ippCreateRequestedArray(x->req);
    } else {
        ra = cupsArrayNew(compare_names, NULL);
        cupsArrayAdd(ra, "job-id");
        cupsArrayAdd(ra, "job-uri");
    }
    char *owner = owner_name(x);
    json_t *j;
    size_t i;
    int n = 0;
    json_array_foreach(json_object_get(list, "items"), i, j) {
        const char *reason;
        const char *st = json_string_value(json_object_get(j, "status"));
        int done = job_state(st ? st : "", &reason) >= IPP_JSTATE_CANCELED;
        if ((strcmp(which, "completed") == 0 && !done) ||
            (strcmp(which, "not-completed") == 0 && done))
            continue;
        if (limit && n >= limit)
            break;
        ipp_t *attrs = ippNew();
        job_attributes(x, attrs, j, owner);
        if (n++)
            ippAddSeparator(x->resp);
        copy_requested(x->resp, attrs, ra);
        ippDelete(attrs);
    }
    free(owner);
    cupsArrayDelete(ra);
    json_decref(list);
}

static void op_get_job_attributes(qr_ipp_t *x) {
    int number = target_job(x);
    json_t *job = number ? own_job(x, number) : NULL;
    if (!job)
        return;
    char *owner = owner_name(x);
    ipp_t *attrs = ippNew();
    job_attributes(x, attrs, job, owner);
    cups_array_t *ra = ippCreateRequestedArray(x->req);
    copy_requested(x->resp, attrs, ra);
    cupsArrayDelete(ra);
    ippDelete(attrs);
    free(owner);
    json_decref(job);
}

static void op_cancel_job(qr_ipp_t *x) {
    int number = target_job(x);
    json_t *job = number ? own_job(x, number) : NULL;
    if (!job)
        return;
    const char *st = json_string_value(json_object_get(job, "status"));
    qr_err_t err = {QR_OK, NULL, ""};
    if (!st || strcmp(st, "held") != 0)
        status(x, IPP_STATUS_ERROR_NOT_POSSIBLE, "the job was released already");
    else if (qr_job_delete(x->ctx, &x->p, json_string_value(json_object_get(job, "id")), &err))
        status(x,
               err.status == QR_E_NOT_FOUND ? IPP_STATUS_ERROR_NOT_FOUND
                                            : IPP_STATUS_ERROR_INTERNAL,
               err.msg);
    json_decref(job);
}

/* Print-Job and Validate-Job: checks the job; Print-Job then opens the spool upload. */
static void op_create(qr_ipp_t *x, int print) {
    const char *name;
    qr_job_options_t o;
    if (check_job_operation(x, &name) || check_job_template(x, &o))
        return;
    if (!print)
        return;
    o.name = name;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_job_begin(x->ctx, &x->p, &o, x->declared, &x->upload, &err)) {
        status(x,
               err.status == QR_E_TOO_LARGE ? IPP_STATUS_ERROR_REQUEST_ENTITY
                                            : IPP_STATUS_ERROR_INTERNAL,
               err.msg);
        return;
    }
    x->state = DOCUMENT;
}

/* Print-Job's document is complete: stores the job and answers with its attributes. */
static void commit(qr_ipp_t *x) {
    json_t *job = NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_job_upload_t *u = x->upload;
    x->upload = NULL;
    if (qr_job_commit(u, &job, &err)) {
        ipp_status_t st = IPP_STATUS_ERROR_INTERNAL;
        if (err.code && strcmp(err.code, "invalid_document") == 0)
            st = IPP_STATUS_ERROR_DOCUMENT_FORMAT_ERROR;
        else if (err.status == QR_E_TOO_LARGE)
            st = IPP_STATUS_ERROR_REQUEST_ENTITY;
        status(x, st, err.msg);
        return;
    }
    static const char *const keep[] = {"job-id", "job-uri", "job-state", "job-state-reasons",
                                       "job-state-message"};
    ipp_t *attrs = ippNew();
    job_attributes(x, attrs, job, "");
    for (ipp_attribute_t *a = ippFirstAttribute(attrs); a; a = ippNextAttribute(attrs))
        if (in_list(ippGetName(a), keep, N(keep)))
            ippCopyAttribute(x->resp, a, 0);
    ippDelete(attrs);
    json_decref(job);
}

/* The attribute part is complete: checks it and runs the operation (Print-Job continues
 * with its document). */
static void start(qr_ipp_t *x) {
    x->resp = ippNewResponse(x->req);
    x->state = ANSWERED;
    if (check_request(x))
        return;
    ipp_op_t op = ippGetOperation(x->req);
    if (!x->authed && op != IPP_OP_GET_PRINTER_ATTRIBUTES) {
        x->state = NEED_AUTH;
        return;
    }
    switch (op) {
    case IPP_OP_GET_PRINTER_ATTRIBUTES:
        op_get_printer_attributes(x);
        break;
    case IPP_OP_PRINT_JOB:
        op_create(x, 1);
        break;
    case IPP_OP_VALIDATE_JOB:
        op_create(x, 0);
        break;
    case IPP_OP_GET_JOBS:
        op_get_jobs(x);
        break;
    case IPP_OP_GET_JOB_ATTRIBUTES:
        op_get_job_attributes(x);
        break;
    case IPP_OP_CANCEL_JOB:
        op_cancel_job(x);
        break;
    default:
        break;
    }
}

/* The body could not be decoded as IPP: answer with the request's own header if it has
 * one (libcups fills it before it fails), else at the HTTP level. */
static void undecodable(qr_ipp_t *x, int too_large) {
    if (x->head.len < 8) {
        x->state = NOT_IPP;
        qr_err_set(&x->err, QR_E_INVALID, NULL, "the body is not an IPP request");
        return;
    }
    x->resp = ippNewResponse(x->req);
    x->state = ANSWERED;
    int minor;
    int major = ippGetVersion(x->req, &minor);
    if (major < 1 || major > 2) {
        ippSetVersion(x->resp, 1, 1);
        status(x, IPP_STATUS_ERROR_VERSION_NOT_SUPPORTED, "IPP versions 1.1 and 2.0 are supported");
    } else if (too_large) {
        status(x, IPP_STATUS_ERROR_REQUEST_ENTITY,
               "the IPP attributes take more than 65536 bytes; send fewer or shorter values");
    } else {
        status(x, IPP_STATUS_ERROR_BAD_REQUEST,
               "the IPP request could not be decoded (a truncated or malformed attribute)");
    }
}

/* Tries to decode the attribute part from what has arrived. Returns the number of bytes
 * it took, or 0 if it is not complete (or not valid) yet. */
static size_t try_decode(qr_ipp_t *x) {
    ippDelete(x->req);
    x->req = ippNew();
    struct reader rd = {(const unsigned char *)x->head.ptr, x->head.len, 0};
    if (ippReadIO(&rd, read_mem, 1, NULL, x->req) != IPP_STATE_DATA)
        return 0;
    return rd.pos;
}

static qr_ipp_next_t next_of(qr_ipp_t *x) {
    switch (x->state) {
    case READING:
    case DOCUMENT:
        return QR_IPP_MORE;
    case NEED_AUTH:
        return QR_IPP_NEED_AUTH;
    default:
        return QR_IPP_ANSWER;
    }
}

/* Writes document bytes to the spool; on failure answers and drops the upload. */
static void document(qr_ipp_t *x, const void *data, size_t n) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (!n || qr_job_write(x->upload, data, n, &err) == QR_OK)
        return;
    qr_job_abort(x->upload);
    x->upload = NULL;
    x->state = ANSWERED;
    status(x,
           err.status == QR_E_TOO_LARGE ? IPP_STATUS_ERROR_REQUEST_ENTITY
                                        : IPP_STATUS_ERROR_INTERNAL,
           err.msg);
}

qr_ipp_next_t qr_ipp_feed(qr_ipp_t *x, const void *data, size_t n) {
    const char *d = data;
    while (n && x->state == READING) {
        size_t room = QR_IPP_ATTR_MAX - x->head.len;
        size_t take = n < room ? n : room;
        qr_buf_append(&x->head, d, take);
        d += take;
        n -= take;
        if (x->head.len < x->next_try && x->head.len < QR_IPP_ATTR_MAX)
            continue;
        x->next_try = x->head.len * 2;
        size_t used = try_decode(x);
        if (!used) {
            if (x->head.len >= QR_IPP_ATTR_MAX)
                undecodable(x, 1);
            continue;
        }
        start(x);
        if (x->state == DOCUMENT)
            document(x, x->head.ptr + used, x->head.len - used);
    }
    if (n && x->state == DOCUMENT)
        document(x, d, n);
    return next_of(x);
}

qr_ipp_next_t qr_ipp_finish(qr_ipp_t *x) {
    if (x->state == READING) {
        size_t used = try_decode(x);
        if (!used) {
            undecodable(x, 0);
        } else {
            start(x);
            if (x->state == DOCUMENT)
                document(x, x->head.ptr + used, x->head.len - used);
        }
    }
    if (x->state == DOCUMENT) {
        x->state = ANSWERED;
        commit(x);
    }
    return next_of(x);
}

const void *qr_ipp_answer(qr_ipp_t *x, size_t *len, qr_err_t *err) {
    *len = 0;
    if (x->state != ANSWERED || !x->resp) {
        if (err)
            *err = x->err.status ? x->err
                                 : (qr_err_t){QR_E_INVALID, NULL, "the body is not an IPP request"};
        return NULL;
    }
    if (!x->out.len) {
        ipp_t *a = assemble(x);
        ipp_state_t st = ippWriteIO(&x->out, write_mem, 1, NULL, a);
        ippDelete(a);
        if (st != IPP_STATE_DATA) {
            if (err)
                qr_err_set(err, QR_E_INTERNAL, NULL, "the IPP response could not be encoded");
            return NULL;
        }
    }
    *len = x->out.len;
    return x->out.ptr;
}
