/* SPDX-License-Identifier: Apache-2.0 */
/* quire: printing a document to an IPP printer with libcups (see printer.h). */
#include "client/printer.h"

#include <cups/cups.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IO_BLOCK (64 * 1024)
#define CONNECT_TIMEOUT_MS 15000
#define POLL_INTERVAL_NS (100 * 1000 * 1000L)

struct target {
    char scheme[32], userpass[256], host[256], resource[1024];
    int port;
};

static qr_status_t parse_uri(const char *uri, struct target *t, qr_err_t *err) {
    memset(t, 0, sizeof(*t));
    http_uri_status_t us = httpSeparateURI(
        HTTP_URI_CODING_ALL, uri, t->scheme, sizeof(t->scheme), t->userpass, sizeof(t->userpass),
        t->host, sizeof(t->host), &t->port, t->resource, sizeof(t->resource));
    if (us < HTTP_URI_STATUS_OK || (strcmp(t->scheme, "ipp") != 0 && strcmp(t->scheme, "ipps")) ||
        !t->host[0])
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "the printer must be an ipp:// or ipps:// URI such as "
                          "ipp://printer.example:631/ipp/print (got '%s')",
                          uri);
    return QR_OK;
}

qr_status_t qr_printer_check_uri(const char *uri, qr_err_t *err) {
    struct target t;
    return parse_uri(uri, &t, err);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* page-ranges from the server's "1-3,7-7" (NULL or malformed: none, all pages print). */
static void add_page_ranges(ipp_t *req, const char *ranges) {
    ipp_attribute_t *a = NULL;
    for (const char *s = ranges; s && *s;) {
        char *end = NULL;
        long lo = strtol(s, &end, 10);
        long hi = end && *end == '-' ? strtol(end + 1, &end, 10) : lo;
        if (!end || end == s || lo < 1 || hi < lo || hi > 0x7fffffffL)
            break;
        if (!a)
            a = ippAddRange(req, IPP_TAG_JOB, "page-ranges", (int)lo, (int)hi);
        else
            ippSetRange(req, &a, ippGetCount(a), (int)lo, (int)hi);
        if (*end != ',')
            break;
        s = end + 1;
    }
}

/* The Print-Job request with the job template settings s (caller deletes it). */
static ipp_t *print_request(const char *uri, const qr_print_settings_t *s) {
    ipp_t *req = ippNewRequest(IPP_OP_PRINT_JOB);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
    if (s->user_name)
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
                     s->user_name);
    if (s->job_name)
        ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, s->job_name);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
                 "application/pdf");
    ippAddInteger(req, IPP_TAG_JOB, IPP_TAG_INTEGER, "copies", s->copies);
    ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "sides", NULL,
                 s->duplex ? "two-sided-long-edge" : "one-sided");
    ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-color-mode", NULL,
                 s->color ? "color" : "monochrome");
    add_page_ranges(req, s->page_ranges);
    return req;
}

/* Sends the request req followed by the size bytes of fd (from offset 0) in IO_BLOCK
 * pieces. */
static qr_status_t send_document(http_t *http, const char *uri, const struct target *t, ipp_t *req,
                                 int fd, long long size, qr_err_t *err) {
    char buf[IO_BLOCK];
    http_status_t hs = cupsSendRequest(http, req, t->resource, ippLength(req) + (size_t)size);
    long long left = size;
    off_t off = 0;
    while (hs == HTTP_STATUS_CONTINUE && left > 0) {
        size_t want = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);
        ssize_t n = pread(fd, buf, want, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return qr_err_set(err, QR_E_IO, NULL, "reading the downloaded document failed: %s",
                              n < 0 ? strerror(errno) : "it is shorter than expected");
        hs = cupsWriteRequestData(http, buf, (size_t)n);
        off += n;
        left -= n;
    }
    if (hs != HTTP_STATUS_CONTINUE)
        return qr_err_set(err, QR_E_IO, NULL, "the printer %s did not take the job: %s", uri,
                          cupsLastErrorString());
    return QR_OK;
}

/* Sends the Print-Job request with the document; sets *job_id. */
static qr_status_t send_job(http_t *http, const char *uri, const struct target *t, int fd,
                            long long size, const qr_print_settings_t *s, int *job_id,
                            qr_err_t *err) {
    ipp_t *req = print_request(uri, s), *resp = NULL;
    qr_status_t st = send_document(http, uri, t, req, fd, size, err);
    if (st)
        goto out;
    resp = cupsGetResponse(http, t->resource);
    if (cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
        st = qr_err_set(err, QR_E_IO, NULL, "the printer %s refused the job: %s (%s)", uri,
                        cupsLastErrorString(), ippErrorString(cupsLastError()));
        goto out;
    }
    ipp_attribute_t *a = ippFindAttribute(resp, "job-id", IPP_TAG_INTEGER);
    if (!a) {
        st = qr_err_set(err, QR_E_IO, NULL, "the printer %s answered without a job-id", uri);
        goto out;
    }
    *job_id = ippGetInteger(a, 0);
out:
    ippDelete(req);
    ippDelete(resp);
    return st;
}

/* Asks the printer to cancel a job (best effort): a job given up on must not come out later,
 * after the person was told it failed and it went back on hold. */
static void cancel_job(http_t *http, const char *uri, const struct target *t, int job_id) {
    ipp_t *req = ippNewRequest(IPP_OP_CANCEL_JOB);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
    ippAddInteger(req, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", job_id);
    ippDelete(cupsDoRequest(http, req, t->resource)); /* frees req */
}

/* The job's state (Get-Job-Attributes); the answer (caller deletes) or NULL with err set. */
static ipp_t *job_state(http_t *http, const char *uri, const struct target *t, int job_id,
                        qr_err_t *err) {
    static const char *const want[] = {"job-state", "job-state-message", "job-state-reasons"};
    ipp_t *req = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
    ippAddInteger(req, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", job_id);
    ippAddStrings(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes",
                  (int)(sizeof(want) / sizeof(want[0])), NULL, want);
    ipp_t *resp = cupsDoRequest(http, req, t->resource); /* frees req */
    if (!resp || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
        ippDelete(resp);
        qr_err_set(err, QR_E_IO, NULL, "could not read the state of job %d from the printer %s: %s",
                   job_id, uri, cupsLastErrorString());
        return NULL;
    }
    return resp;
}

/* Polls Get-Job-Attributes until the job ends or the deadline passes. */
static qr_status_t wait_job(http_t *http, const char *uri, const struct target *t, int job_id,
                            int timeout_s, qr_err_t *err) {
    double deadline = now_s() + timeout_s;
    for (;;) {
        ipp_t *resp = job_state(http, uri, t, job_id, err);
        if (!resp)
            return QR_E_IO;
        ipp_attribute_t *a = ippFindAttribute(resp, "job-state", IPP_TAG_ENUM);
        ipp_jstate_t js = a ? (ipp_jstate_t)ippGetInteger(a, 0) : IPP_JSTATE_PENDING;
        const char *msg =
            ippGetString(ippFindAttribute(resp, "job-state-message", IPP_TAG_TEXT), 0, NULL);
        const char *why =
            ippGetString(ippFindAttribute(resp, "job-state-reasons", IPP_TAG_KEYWORD), 0, NULL);
        qr_status_t st = QR_OK;
        int done = 1;
        if (js == IPP_JSTATE_COMPLETED)
            st = QR_OK;
        else if (js == IPP_JSTATE_ABORTED || js == IPP_JSTATE_CANCELED)
            st = qr_err_set(err, QR_E_IO, NULL, "the printer %s: job %d %s (%s%s%s)", uri, job_id,
                            js == IPP_JSTATE_ABORTED ? "aborted" : "canceled",
                            why ? why : "no reason", msg ? ": " : "", msg ? msg : "");
        else if (now_s() >= deadline) {
            cancel_job(http, uri, t, job_id);
            st = qr_err_set(err, QR_E_IO, NULL,
                            "the printer %s did not finish job %d within %d seconds (canceled)",
                            uri, job_id, timeout_s);
        } else
            done = 0;
        ippDelete(resp);
        if (done)
            return st;
        struct timespec ts = {0, POLL_INTERVAL_NS};
        nanosleep(&ts, NULL);
    }
}

qr_status_t qr_printer_print(const char *uri, int fd, long long size, const qr_print_settings_t *s,
                             int timeout_s, int *job_id, qr_err_t *err) {
    struct target t;
    *job_id = 0;
    qr_status_t st = parse_uri(uri, &t, err);
    if (st)
        return st;
    if (t.port <= 0)
        t.port = 631;
    http_encryption_t enc =
        strcmp(t.scheme, "ipps") == 0 ? HTTP_ENCRYPTION_ALWAYS : HTTP_ENCRYPTION_IF_REQUESTED;
    http_t *http = httpConnect2(t.host, t.port, NULL, AF_UNSPEC, enc, 1, CONNECT_TIMEOUT_MS, NULL);
    /* libcups keeps no reliable reason (its last error and errno are those of later calls). */
    if (!http)
        return qr_err_set(err, QR_E_IO, NULL,
                          "cannot connect to the printer %s: nothing answers on %s port %d", uri,
                          t.host, t.port);
    if (!(st = send_job(http, uri, &t, fd, size, s, job_id, err)))
        st = wait_job(http, uri, &t, *job_id, timeout_s, err);
    httpClose(http);
    return st;
}
