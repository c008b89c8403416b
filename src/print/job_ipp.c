/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the IPP job operations beside the job (as PAPPL keeps job-ipp.c beside job.c):
 * Print-Job, Validate-Job, Create-Job and Send-Document with their checks, Close-Job,
 * Get-Jobs, Get-Job-Attributes, Cancel-Job and Cancel-My-Jobs over the user's own jobs
 * (TEN-3), read from the typed jobs of job.c; Cancel-Jobs, which would reach other users'
 * jobs, is refused to everyone (PRN-5). A job's IPP life: created without a document it is
 * pending-held (job-incoming); with its document pending-held until released at an MFP
 * (job-hold-until-specified); processing while a device prints it; then completed, and
 * canceled or aborted jobs stay visible as such until their retention ends. */
#include <cups/cups.h>
#include <cups/ipp.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "print/ipp_private.h"
#include "print/quota.h"
#include "tenancy/user.h"

#define NAME_MAX_BYTES 255 /* job-name and the other name values (RFC 8011 5.1.3) */

/* The job template attributes a job may carry; the spool keeps copies, sides and
 * print-color-mode, the MFP at release decides the rest. */
static const char *const job_attrs[] = {"copies",           "sides",
                                        "print-color-mode", "media",
                                        "media-col",        "orientation-requested",
                                        "print-quality",    "finishings",
                                        "output-bin",       "printer-resolution",
                                        "job-priority",     "multiple-document-handling",
                                        "page-ranges",      "overrides"};

/* Operation attributes that ask for something a secure-print queue does not do; they are
 * ignored and reported in the unsupported group (RFC 8011 4.1.7). Every job is held until
 * its owner releases it, so job-hold-until "indefinite" is what happens anyway and is not
 * reported. */
static const char *const ignored_operation_attrs[] = {"job-password", "job-password-encryption",
                                                      "job-hold-until", "job-hold-until-time",
                                                      "job-release-action"};

/* The IPP state of a spool job: held until released at an MFP. */
static ipp_jstate_t job_state(const char *st, const char **reason) {
    static const struct {
        const char *status, *reason;
        ipp_jstate_t state;
    } map[] = {
        {"incoming", "job-incoming", IPP_JSTATE_HELD},
        {"held", "job-hold-until-specified", IPP_JSTATE_HELD},
        {"released", "job-printing", IPP_JSTATE_PROCESSING},
        {"printed", "job-completed-successfully", IPP_JSTATE_COMPLETED},
        {"canceled", "job-canceled-by-user", IPP_JSTATE_CANCELED},
        {"aborted", "aborted-by-system", IPP_JSTATE_ABORTED},
    };
    for (int i = 0; i < QR__IPP_N(map); i++)
        if (strcmp(st, map[i].status) == 0) {
            *reason = map[i].reason;
            return map[i].state;
        }
    *reason = "aborted-by-system";
    return IPP_JSTATE_ABORTED;
}

/* The job-state-message of a job in state (NULL: none). */
static const char *state_message(const qr_job_t *job, ipp_jstate_t state) {
    if (job->status && strcmp(job->status, "incoming") == 0)
        return "waiting for its document (Send-Document)";
    if (state == IPP_JSTATE_HELD)
        return "held in the cloud spool: release it at a printer of your organization";
    if (state == IPP_JSTATE_PROCESSING)
        return "being printed at a printer of your organization";
    return job->reason;
}

/* The page-ranges a job keeps ("1-3,7-7") as rangeOfInteger values into dst. */
static void add_page_ranges(ipp_t *dst, const char *ranges) {
    int lo[QR_JOB_RANGES_MAX / 4], hi[QR_JOB_RANGES_MAX / 4], n = 0;
    const char *s = ranges;
    while (*s && n < QR__IPP_N(lo)) {
        char *end = NULL;
        long a = strtol(s, &end, 10);
        long b = end && *end == '-' ? strtol(end + 1, &end, 10) : a;
        if (!end || end == s || a < 1 || b < a || b > 0x7fffffffL)
            break;
        lo[n] = (int)a;
        hi[n++] = (int)b;
        if (*end != ',')
            break;
        s = end + 1;
    }
    if (!n)
        return;
    ipp_attribute_t *a = ippAddRange(dst, IPP_TAG_JOB, "page-ranges", lo[0], hi[0]);
    for (int i = 1; i < n; i++)
        ippSetRange(dst, &a, i, lo[i], hi[i]);
}

/* The job attributes of job (RFC 8011 5.3) into dst. */
static void job_attributes(qr_ipp_t *x, ipp_t *dst, const qr_job_t *job, const char *owner) {
    ipp_tag_t g = IPP_TAG_JOB;
    int number = (int)job->number;
    char *puri = qr__ipp_printer_uri(x->ctx);
    char *juri = qr_xasprintf("%s/%d", puri, number);
    const char *reason;
    ipp_jstate_t state = job_state(job->status ? job->status : "", &reason);
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-id", number);
    ippAddString(dst, g, IPP_TAG_URI, "job-uri", NULL, juri);
    ippAddString(dst, g, IPP_TAG_URI, "job-printer-uri", NULL, puri);
    ippAddString(dst, g, IPP_TAG_NAME, "job-name", NULL, job->name);
    ippAddString(dst, g, IPP_TAG_NAME, "job-originating-user-name", NULL, owner);
    ippAddInteger(dst, g, IPP_TAG_ENUM, "job-state", (int)state);
    ippAddString(dst, g, IPP_TAG_KEYWORD, "job-state-reasons", NULL, reason);
    const char *msg = state_message(job, state);
    if (msg)
        ippAddString(dst, g, IPP_TAG_TEXT, "job-state-message", NULL, msg);
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-k-octets", (int)((job->size + 1023) / 1024));
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-impressions", (int)job->pages);
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-impressions-completed",
                  state == IPP_JSTATE_COMPLETED ? (int)(job->pages * job->copies) : 0);
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "number-of-documents",
                  job->status && strcmp(job->status, "incoming") == 0 ? 0 : 1);
    if (job->page_ranges)
        add_page_ranges(dst, job->page_ranges);
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "copies", (int)job->copies);
    ippAddString(dst, g, IPP_TAG_KEYWORD, "sides", NULL,
                 job->duplex ? qr__ipp_sides[1] : qr__ipp_sides[0]);
    ippAddString(dst, g, IPP_TAG_KEYWORD, "print-color-mode", NULL,
                 job->color ? "color" : "monochrome");
    ippAddString(dst, g, IPP_TAG_MIMETYPE, "document-format", NULL, qr__ipp_formats[0]);
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "job-printer-up-time", (int)qr_clock_now(x->ctx->clock));
    ippAddInteger(dst, g, IPP_TAG_INTEGER, "time-at-creation", (int)job->created_at);
    ippAddDate(dst, g, "date-time-at-creation", ippTimeToDate((time_t)job->created_at));
    if (job->has_released_at) {
        ippAddInteger(dst, g, IPP_TAG_INTEGER, "time-at-processing", (int)job->released_at);
        ippAddInteger(dst, g, IPP_TAG_INTEGER, "time-at-completed", (int)job->released_at);
    } else {
        ippAddOutOfBand(dst, g, IPP_TAG_NOVALUE, "time-at-processing");
        ippAddOutOfBand(dst, g, IPP_TAG_NOVALUE, "time-at-completed");
    }
    free(juri);
    free(puri);
}

/* The authenticated user's name for job-originating-user-name. Caller frees. */
static char *owner_name(qr_ipp_t *x) {
    qr_user_t u;
    qr_err_t err = {QR_OK, NULL, ""};
    char *name = NULL;
    if (qr_user_read(x->ctx, &x->p, x->p.user_id, &u, &err) == QR_OK) {
        name = qr_xstrdup(u.username);
        qr_user_clear(&u);
    }
    return name ? name : qr_xstrdup(x->p.user_id);
}

/* One of the user's own jobs by its IPP job-id into job; non-zero (and a status) if there is
 * none. */
static int own_job(qr_ipp_t *x, int number, qr_job_t *job) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_job_find_number(x->ctx, &x->p, number, job, &err);
    if (st == QR_E_NOT_FOUND)
        qr__ipp_status(x, IPP_STATUS_ERROR_NOT_FOUND, "no such job (or not yours)");
    else if (st)
        qr__ipp_status(x, IPP_STATUS_ERROR_INTERNAL, "the job list could not be read");
    return st != QR_OK;
}

/* The user's own jobs, newest first (free with qr_job_list_free); non-zero (and a status) if
 * they could not be read. */
static int own_jobs(qr_ipp_t *x, qr_job_t **jobs, size_t *n) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (!qr_job_list(x->ctx, &x->p, jobs, n, &err))
        return 0;
    qr__ipp_status(x, IPP_STATUS_ERROR_INTERNAL, "the job list could not be read");
    return 1;
}

/* The job-id of a job operation: job-id with printer-uri, or the number at the end of
 * job-uri. 0 (and a status) if neither is there or valid. */
static int target_job(qr_ipp_t *x) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "job-id", IPP_TAG_ZERO);
    if (a) {
        if (ippGetGroupTag(a) != IPP_TAG_OPERATION || ippGetValueTag(a) != IPP_TAG_INTEGER ||
            ippGetCount(a) != 1 || ippGetInteger(a, 0) < 1) {
            qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST, "job-id must be one integer from 1");
            qr__ipp_unsupported(x, a);
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
    qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST,
                   "a job operation needs job-id (with printer-uri) or job-uri");
    return 0;
}

/* 1 if a is job-hold-until "indefinite": what every job of the queue gets. */
static int hold_indefinite(ipp_attribute_t *a) {
    return strcmp(ippGetName(a), "job-hold-until") == 0 &&
           qr__ipp_one_of_type(a, IPP_TAG_KEYWORD, IPP_TAG_NAME) &&
           strcmp(ippGetString(a, 0, NULL), "indefinite") == 0;
}

/* The operation attributes a secure-print queue ignores, reported as unsupported with
 * successful-ok-ignored-or-substituted-attributes (job-hold-until "indefinite" is what every
 * job gets, so it is not). */
static void report_ignored_operation_attrs(qr_ipp_t *x) {
    for (ipp_attribute_t *a = ippFirstAttribute(x->req); a; a = ippNextAttribute(x->req)) {
        const char *n = ippGetName(a);
        if (ippGetGroupTag(a) != IPP_TAG_OPERATION || !n ||
            !qr__ipp_in_list(n, ignored_operation_attrs, QR__IPP_N(ignored_operation_attrs)))
            continue;
        if (hold_indefinite(a))
            continue;
        qr__ipp_unsupported(x, a);
        ippSetStatusCode(x->resp, IPP_STATUS_OK_IGNORED_OR_SUBSTITUTED);
    }
}

/* The operation attributes of a job creation request (Print-Job, Validate-Job): fills
 * name, and the document's format and compression into o. Returns 0 when they are fine,
 * else answers. */
static int check_job_operation(qr_ipp_t *x, const char **name, qr_job_options_t *o) {
    ipp_attribute_t *a;
    *name = NULL;
    o->format = QR_DOC_PDF;
    o->compression = QR_COMPRESSION_NONE;
    if ((a = ippFindAttribute(x->req, "compression", IPP_TAG_ZERO))) {
        if (!qr__ipp_one_of_type(a, IPP_TAG_KEYWORD, 0) ||
            qr_convert_compression(ippGetString(a, 0, NULL), &o->compression)) {
            qr__ipp_status(x, IPP_STATUS_ERROR_COMPRESSION_NOT_SUPPORTED,
                           "compression is none, gzip or deflate");
            qr__ipp_unsupported(x, a);
            return 1;
        }
    }
    if ((a = ippFindAttribute(x->req, "document-format", IPP_TAG_ZERO))) {
        if (!qr__ipp_one_of_type(a, IPP_TAG_MIMETYPE, 0) ||
            !qr__ipp_in_list(ippGetString(a, 0, NULL), qr__ipp_formats,
                             QR__IPP_N(qr__ipp_formats)) ||
            qr_convert_format(ippGetString(a, 0, NULL), &o->format)) {
            qr__ipp_status(x, IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED,
                           QR__IPP_FORMATS_MESSAGE);
            qr__ipp_unsupported(x, a);
            return 1;
        }
    }
    static const char *const names[] = {"job-name", "document-name", "requesting-user-name"};
    for (int i = 0; i < QR__IPP_N(names); i++) {
        a = ippFindAttribute(x->req, names[i], IPP_TAG_ZERO);
        if (!a)
            continue;
        const char *v = qr__ipp_one_of_type(a, IPP_TAG_NAME, IPP_TAG_NAMELANG)
                            ? ippGetString(a, 0, NULL)
                            : NULL;
        if (!v || strlen(v) > NAME_MAX_BYTES) {
            qr__ipp_status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                           "names are one value of at most 255 bytes");
            qr__ipp_unsupported(x, a);
            return 1;
        }
        if (i < 2 && !*name)
            *name = v;
    }
    report_ignored_operation_attrs(x);
    return 0;
}

/* The value of a job template attribute the spool keeps (copies, sides, print-color-mode),
 * noted in o: 1 if it is supported, 0 if not, -1 if n is none of them. s and v are the
 * attribute's one keyword or name and one integer or enum (NULL, -1 if it has none). */
static int kept_value(ipp_attribute_t *a, const char *n, const char *s, int v,
                      qr_job_options_t *o) {
    if (strcmp(n, "copies") == 0) {
        o->copies = v;
        return ippGetValueTag(a) == IPP_TAG_INTEGER && v >= 1 && v <= QR__IPP_COPIES_MAX;
    }
    if (strcmp(n, "sides") == 0) {
        o->duplex = s && strncmp(s, "two-sided", 9) == 0;
        return qr__ipp_in_list(s, qr__ipp_sides, QR__IPP_N(qr__ipp_sides));
    }
    if (strcmp(n, "print-color-mode") == 0) {
        o->color = !(s && strcmp(s, "monochrome") == 0);
        return qr__ipp_in_list(s, qr__ipp_color_modes, QR__IPP_N(qr__ipp_color_modes));
    }
    return -1;
}

/* 1 if the value of job template attribute n, one the MFP decides at release, is one the
 * printer supports (s and v as for kept_value). */
static int other_value_ok(ipp_attribute_t *a, const char *n, const char *s, int v) {
    if (strcmp(n, "media") == 0)
        return qr__ipp_media_index(s) >= 0;
    if (strcmp(n, "media-col") == 0)
        return qr__ipp_one_of_type(a, IPP_TAG_BEGIN_COLLECTION, 0);
    if (strcmp(n, "orientation-requested") == 0)
        return v >= IPP_ORIENT_PORTRAIT && v <= IPP_ORIENT_REVERSE_PORTRAIT;
    if (strcmp(n, "print-quality") == 0)
        return v >= IPP_QUALITY_DRAFT && v <= IPP_QUALITY_HIGH;
    if (strcmp(n, "finishings") == 0)
        return v == IPP_FINISHINGS_NONE;
    if (strcmp(n, "output-bin") == 0)
        return s && strcmp(s, "face-down") == 0;
    if (strcmp(n, "job-priority") == 0)
        return v >= 1 && v <= 100;
    if (strcmp(n, "multiple-document-handling") == 0)
        return s != NULL;
    if (strcmp(n, "overrides") == 0) /* applied by the MFP's driver at release */
        return ippGetValueTag(a) == IPP_TAG_BEGIN_COLLECTION;
    if (strcmp(n, "printer-resolution") == 0) {
        ipp_res_t units;
        int yres, xres = qr__ipp_one_of_type(a, IPP_TAG_RESOLUTION, 0)
                             ? ippGetResolution(a, 0, &yres, &units)
                             : 0;
        return xres == 600 && yres == 600 && units == IPP_RES_PER_INCH;
    }
    return 1;
}

/* page-ranges (PWG 5100.13: ascending, not overlapping, from 1) into x->ranges as the job
 * keeps them ("1-3,7-7"). Returns 1 if the value is one the printer supports. */
static int page_ranges_value(qr_ipp_t *x, ipp_attribute_t *a) {
    int count = ippGetCount(a), last = 0;
    size_t used = 0;
    x->ranges[0] = 0;
    if (ippGetValueTag(a) != IPP_TAG_RANGE)
        return 0;
    for (int i = 0; i < count; i++) {
        int hi, lo = ippGetRange(a, i, &hi);
        if (lo <= last || hi < lo)
            return 0;
        last = hi;
        int w =
            snprintf(x->ranges + used, sizeof(x->ranges) - used, "%s%d-%d", i ? "," : "", lo, hi);
        if (w < 0 || (size_t)w >= sizeof(x->ranges) - used)
            return 0;
        used += (size_t)w;
    }
    return count > 0;
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
    o->page_ranges = NULL;
    x->ranges[0] = 0;
    for (ipp_attribute_t *a = ippFirstAttribute(x->req); a; a = ippNextAttribute(x->req)) {
        if (ippGetGroupTag(a) != IPP_TAG_JOB || !ippGetName(a))
            continue;
        const char *n = ippGetName(a);
        const char *s =
            qr__ipp_one_of_type(a, IPP_TAG_KEYWORD, IPP_TAG_NAME) ? ippGetString(a, 0, NULL) : NULL;
        if (hold_indefinite(a))
            continue; /* every job is held until its owner releases it */
        if (!qr__ipp_in_list(n, job_attrs, QR__IPP_N(job_attrs))) {
            ignored = 1;
            continue;
        }
        int v = qr__ipp_one_of_type(a, IPP_TAG_INTEGER, IPP_TAG_ENUM) ? ippGetInteger(a, 0) : -1;
        int ok =
            strcmp(n, "page-ranges") == 0 ? page_ranges_value(x, a) : kept_value(a, n, s, v, o);
        if (ok && x->ranges[0])
            o->page_ranges = x->ranges;
        if (ok < 0)
            ok = other_value_ok(a, n, s, v);
        if (!ok) {
            qr__ipp_status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                           "a job attribute has a value this printer does not support; see the "
                           "unsupported attributes and the printer's *-supported values");
            qr__ipp_unsupported(x, a);
            return 1;
        }
    }
    if (!ignored)
        return 0;
    if (fidelity)
        qr__ipp_status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                       "ipp-attribute-fidelity is true and some attributes are not supported");
    else
        ippSetStatusCode(x->resp, IPP_STATUS_OK_IGNORED_OR_SUBSTITUTED);
    for (ipp_attribute_t *a = ippFirstAttribute(x->req); a; a = ippNextAttribute(x->req))
        if (ippGetGroupTag(a) == IPP_TAG_JOB && ippGetName(a) &&
            !qr__ipp_in_list(ippGetName(a), job_attrs, QR__IPP_N(job_attrs)) && !hold_indefinite(a))
            qr__ipp_unsupported(x, a);
    return fidelity;
}

static int compare_names(void *a, void *b, void *data) {
    (void)data;
    return strcmp(a, b);
}

void qr__ipp_op_get_jobs(qr_ipp_t *x) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "which-jobs", IPP_TAG_ZERO);
    const char *which = "not-completed";
    if (a) {
        which = qr__ipp_one_of_type(a, IPP_TAG_KEYWORD, 0) ? ippGetString(a, 0, NULL) : "";
        if (strcmp(which, "completed") != 0 && strcmp(which, "not-completed") != 0 &&
            strcmp(which, "all") != 0) {
            qr__ipp_status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                           "which-jobs is completed, not-completed or all");
            qr__ipp_unsupported(x, a);
            return;
        }
    }
    int limit = 0;
    if ((a = ippFindAttribute(x->req, "limit", IPP_TAG_ZERO))) {
        limit = qr__ipp_one_of_type(a, IPP_TAG_INTEGER, 0) ? ippGetInteger(a, 0) : 0;
        if (limit < 1) {
            qr__ipp_status(x, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES, "limit is an integer from 1");
            qr__ipp_unsupported(x, a);
            return;
        }
    }
    qr_job_t *jobs = NULL;
    size_t njobs = 0;
    if (own_jobs(x, &jobs, &njobs))
        return;
    cups_array_t *ra = NULL;
    if (ippFindAttribute(x->req, "requested-attributes", IPP_TAG_ZERO)) {
        ra = ippCreateRequestedArray(x->req);
    } else {
        ra = cupsArrayNew(compare_names, NULL);
        cupsArrayAdd(ra, "job-id");
        cupsArrayAdd(ra, "job-uri");
    }
    char *owner = owner_name(x);
    int n = 0;
    for (size_t i = 0; i < njobs; i++) {
        const char *reason;
        int done = job_state(jobs[i].status ? jobs[i].status : "", &reason) >= IPP_JSTATE_CANCELED;
        if ((strcmp(which, "completed") == 0 && !done) ||
            (strcmp(which, "not-completed") == 0 && done))
            continue;
        if (limit && n >= limit)
            break;
        ipp_t *attrs = ippNew();
        job_attributes(x, attrs, &jobs[i], owner);
        if (n++)
            ippAddSeparator(x->resp);
        qr__ipp_copy_requested(x->resp, attrs, ra);
        ippDelete(attrs);
    }
    free(owner);
    cupsArrayDelete(ra);
    qr_job_list_free(jobs, njobs);
}

void qr__ipp_op_get_job_attributes(qr_ipp_t *x) {
    int number = target_job(x);
    qr_job_t job;
    if (!number || own_job(x, number, &job))
        return;
    char *owner = owner_name(x);
    ipp_t *attrs = ippNew();
    job_attributes(x, attrs, &job, owner);
    cups_array_t *ra = ippCreateRequestedArray(x->req);
    qr__ipp_copy_requested(x->resp, attrs, ra);
    cupsArrayDelete(ra);
    ippDelete(attrs);
    free(owner);
    qr_job_clear(&job);
}

/* Answers a failed cancel of job number: not possible when the job is past waiting. */
static void cancel_failed(qr_ipp_t *x, const qr_err_t *err) {
    if (err->status == QR_E_CONFLICT)
        qr__ipp_status(x, IPP_STATUS_ERROR_NOT_POSSIBLE, err->msg);
    else
        qr__ipp_fail(x, err);
}

void qr__ipp_op_cancel_job(qr_ipp_t *x) {
    int number = target_job(x);
    qr_job_t job;
    if (!number || own_job(x, number, &job))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_job_cancel(x->ctx, &x->p, job.id, &err))
        cancel_failed(x, &err);
    qr_job_clear(&job);
}

/* 1 if a job in status may still be canceled (it waits for its document or for release). */
static int cancelable(const char *status) {
    return status && (strcmp(status, "incoming") == 0 || strcmp(status, "held") == 0);
}

/* The job-ids of Cancel-My-Jobs: 1 if every one is the user's own job that may be canceled
 * (else answers and returns 0). */
static int check_job_ids(qr_ipp_t *x, ipp_attribute_t *ids) {
    if (ippGetGroupTag(ids) != IPP_TAG_OPERATION || ippGetValueTag(ids) != IPP_TAG_INTEGER) {
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST, "job-ids is a list of integers");
        qr__ipp_unsupported(x, ids);
        return 0;
    }
    for (int i = 0; i < ippGetCount(ids); i++) {
        qr_job_t job;
        if (own_job(x, ippGetInteger(ids, i), &job))
            return 0;
        int ok = cancelable(job.status);
        qr_job_clear(&job);
        if (!ok) {
            char msg[128];
            snprintf(msg, sizeof(msg), "job %d is being printed or finished: nothing was canceled",
                     ippGetInteger(ids, i));
            qr__ipp_status(x, IPP_STATUS_ERROR_NOT_POSSIBLE, msg);
            return 0;
        }
    }
    return 1;
}

void qr__ipp_op_cancel_my_jobs(qr_ipp_t *x) {
    ipp_attribute_t *ids = ippFindAttribute(x->req, "job-ids", IPP_TAG_ZERO);
    if (ids && !check_job_ids(x, ids))
        return;
    qr_job_t *jobs = NULL;
    size_t njobs = 0;
    if (own_jobs(x, &jobs, &njobs))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    for (size_t i = 0; i < njobs; i++) {
        int listed = !ids;
        for (int k = 0; ids && k < ippGetCount(ids); k++)
            listed |= ippGetInteger(ids, k) == (int)jobs[i].number;
        if (!listed || !cancelable(jobs[i].status))
            continue;
        /* A job released meanwhile is left alone: it is being printed. */
        if (qr_job_cancel(x->ctx, &x->p, jobs[i].id, &err) && err.status != QR_E_CONFLICT) {
            qr__ipp_fail(x, &err);
            break;
        }
    }
    qr_job_list_free(jobs, njobs);
}

void qr__ipp_op_cancel_jobs(qr_ipp_t *x) {
    qr__ipp_status(x, IPP_STATUS_ERROR_FORBIDDEN,
                   "Cancel-Jobs cancels every user's jobs, and nobody, administrators included, "
                   "may touch another user's jobs here; cancel your own with Cancel-My-Jobs");
}

/* The answer to a job creation: the job's id, URI and state (RFC 8011 4.2.1.2). */
static void answer_job(qr_ipp_t *x, const qr_job_t *job) {
    static const char *const keep[] = {"job-id", "job-uri", "job-state", "job-state-reasons",
                                       "job-state-message"};
    ipp_t *attrs = ippNew();
    job_attributes(x, attrs, job, "");
    for (ipp_attribute_t *a = ippFirstAttribute(attrs); a; a = ippNextAttribute(attrs))
        if (qr__ipp_in_list(ippGetName(a), keep, QR__IPP_N(keep)))
            ippCopyAttribute(x->resp, a, 0);
    ippDelete(attrs);
}

/* PRN-4 as a print client shows it: a user whose monthly quota is used up is told so when
 * printing (as cupsd answers "Quota limit reached"), not only later at the MFP. Returns 0 when
 * pages are left (or there is no quota), else answers client-error-not-possible. */
static int check_quota(qr_ipp_t *x) {
    qr_quota_t q;
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_quota_get(x->ctx, &x->p, NULL, &q, &err))
        return 0; /* the release checks it again */
    int used_up = qr_quota_remaining(&q) == 0;
    if (used_up) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "your print quota for %s is used up (%lld of %lld pages): a job printed now "
                 "cannot be released this month; ask your print manager to raise the quota",
                 q.month, q.used, q.monthly_pages);
        qr__ipp_status(x, IPP_STATUS_ERROR_NOT_POSSIBLE, msg);
    }
    qr_quota_clear(&q);
    return used_up;
}

/* Print-Job, Validate-Job and Create-Job: checks the job; Print-Job then opens the spool
 * upload, Create-Job records the job without its document. */
void qr__ipp_op_create(qr_ipp_t *x, int kind) {
    const char *name;
    qr_job_options_t o;
    if (check_job_operation(x, &name, &o) || check_job_template(x, &o) || check_quota(x))
        return;
    if (kind == QR__IPP_VALIDATE)
        return;
    o.name = name;
    qr_err_t err = {QR_OK, NULL, ""};
    if (kind == QR__IPP_CREATE) {
        qr_job_t job;
        if (qr_job_create(x->ctx, &x->p, &o, &job, &err)) {
            qr__ipp_fail(x, &err);
            return;
        }
        answer_job(x, &job);
        qr_job_clear(&job);
        return;
    }
    if (qr_job_begin(x->ctx, &x->p, &o, x->declared, &x->upload, &err)) {
        qr__ipp_fail(x, &err);
        return;
    }
    x->state = QR__IPP_DOCUMENT;
}

/* last-document of Send-Document (RFC 8011 4.3.1.1, required) into *last. Returns 0 when it
 * is there and well formed, else answers. */
static int last_document(qr_ipp_t *x, int *last) {
    ipp_attribute_t *a = ippFindAttribute(x->req, "last-document", IPP_TAG_ZERO);
    *last = 0;
    if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION ||
        !qr__ipp_one_of_type(a, IPP_TAG_BOOLEAN, 0)) {
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST,
                       "Send-Document needs last-document, one boolean (true: the job's one "
                       "document is complete)");
        if (a)
            qr__ipp_unsupported(x, a);
        return 1;
    }
    *last = ippGetBoolean(a, 0);
    return 0;
}

void qr__ipp_op_send_document(qr_ipp_t *x) {
    const char *name;
    int last;
    int number = target_job(x);
    qr_job_t job;
    qr_job_options_t doc; /* the document's format and compression */
    if (!number || last_document(x, &last) || check_job_operation(x, &name, &doc) ||
        own_job(x, number, &job))
        return;
    qr_err_t err = {QR_OK, NULL, ""};
    x->job_number = number;
    if (strcmp(job.status, "held") == 0 && last) {
        /* The job has its document: only an empty Send-Document that closes it is fine. */
        x->close_only = 1;
        x->state = QR__IPP_DOCUMENT;
    } else if (strcmp(job.status, "held") == 0) {
        qr__ipp_status(x, IPP_STATUS_ERROR_MULTIPLE_JOBS_NOT_SUPPORTED,
                       "a job has one document here, and this job has it already: print the "
                       "next document as a job of its own");
    } else if (strcmp(job.status, "incoming") != 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "the job is %s: it takes no more documents",
                 strcmp(job.status, "released") == 0 ? "being printed" : job.status);
        qr__ipp_status(x, IPP_STATUS_ERROR_NOT_POSSIBLE, msg);
    } else if (qr_job_begin_document(x->ctx, &x->p, job.id, &doc, x->declared, &x->upload, &err)) {
        qr__ipp_fail(x, &err);
    } else {
        x->state = QR__IPP_DOCUMENT;
    }
    qr_job_clear(&job);
}

void qr__ipp_op_close_job(qr_ipp_t *x) {
    int number = target_job(x);
    qr_job_t job;
    if (!number || own_job(x, number, &job))
        return;
    if (strcmp(job.status, "incoming") == 0)
        qr__ipp_status(x, IPP_STATUS_ERROR_NOT_POSSIBLE,
                       "the job has no document yet: send it with Send-Document (or cancel the "
                       "job)");
    else if (!cancelable(job.status) && strcmp(job.status, "released") != 0)
        qr__ipp_status(x, IPP_STATUS_ERROR_NOT_POSSIBLE, "the job is finished already");
    else
        answer_job(x, &job);
    qr_job_clear(&job);
}

/* The document is complete: stores the job and answers with its attributes. */
void qr__ipp_commit(qr_ipp_t *x) {
    qr_job_t job;
    qr_err_t err = {QR_OK, NULL, ""};
    if (x->close_only) {
        /* An empty Send-Document with last-document true to a job that has its document. */
        if (!own_job(x, x->job_number, &job)) {
            answer_job(x, &job);
            qr_job_clear(&job);
        }
        return;
    }
    qr_job_upload_t *u = x->upload;
    x->upload = NULL;
    if (qr_job_commit(u, &job, &err)) {
        if (err.status == QR_E_CONFLICT && err.code && strcmp(err.code, "not_incoming") == 0)
            qr__ipp_status(x, IPP_STATUS_ERROR_NOT_POSSIBLE, err.msg);
        else
            qr__ipp_fail(x, &err);
        return;
    }
    answer_job(x, &job);
    qr_job_clear(&job);
}

/* Writes document bytes to the spool; on failure answers and drops the upload. */
void qr__ipp_document(qr_ipp_t *x, const void *data, size_t n) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (n && x->close_only) {
        x->state = QR__IPP_ANSWERED;
        qr__ipp_status(x, IPP_STATUS_ERROR_MULTIPLE_JOBS_NOT_SUPPORTED,
                       "a job has one document here, and this job has it already: print the "
                       "next document as a job of its own");
        return;
    }
    if (!n || qr_job_write(x->upload, data, n, &err) == QR_OK)
        return;
    qr_job_abort(x->upload);
    x->upload = NULL;
    x->state = QR__IPP_ANSWERED;
    qr__ipp_fail(x, &err);
}
