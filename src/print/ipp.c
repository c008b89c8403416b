/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the IPP Everywhere print queue on top of the cloud spool.
 *
 * libcups decodes and encodes every IPP message (ippReadIO/ippWriteIO over memory); nothing
 * here parses IPP by hand. The body of a request is collected until its attribute part
 * decodes (a retry each time the collected bytes have doubled, so the work stays linear);
 * the bytes after the end-of-attributes tag are the document and go straight to the spool.
 * Checks run in the order of RFC 8011 4.1: version, operation attributes, operation, then
 * the authenticated user, then the operation's own attributes; nothing is stored unless
 * every check passed and the document is a complete PDF.
 *
 * This file is the request's life cycle and the codec glue, the request checks and the one
 * IPP responder (status, status-message, unsupported attributes); the printer's attributes
 * are in printer_ipp.c, the job operations beside the job in job_ipp.c. */
#include "print/ipp.h"

#include <cups/cups.h>
#include <cups/ipp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/mem.h"
#include "print/ipp_private.h"

#define FIRST_TRY 64 /* first attempt to decode once this many bytes are in */

ssize_t qr__ipp_read_mem(void *cls, ipp_uchar_t *buf, size_t n) {
    qr__ipp_reader_t *rd = cls;
    size_t left = rd->len - rd->pos;
    if (left == 0)
        return -1;
    if (n > left)
        n = left;
    memcpy(buf, rd->p + rd->pos, n);
    rd->pos += n;
    return (ssize_t)n;
}

ssize_t qr__ipp_write_mem(void *cls, ipp_uchar_t *buf, size_t n) {
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

/* ---- the responder ---- */

void qr__ipp_status(qr_ipp_t *x, ipp_status_t st, const char *msg) {
    ippSetStatusCode(x->resp, st);
    if (msg)
        snprintf(x->message, sizeof(x->message), "%s", msg);
}

void qr__ipp_fail(qr_ipp_t *x, const qr_err_t *err) {
    ipp_status_t st = IPP_STATUS_ERROR_INTERNAL;
    if (err->code && strcmp(err->code, "invalid_document") == 0)
        st = IPP_STATUS_ERROR_DOCUMENT_FORMAT_ERROR;
    else if (err->status == QR_E_TOO_LARGE)
        st = IPP_STATUS_ERROR_REQUEST_ENTITY;
    else if (err->status == QR_E_NOT_FOUND)
        st = IPP_STATUS_ERROR_NOT_FOUND;
    else if (err->status == QR_E_FORBIDDEN) /* TEN-5: the feature "print" is off */
        st = IPP_STATUS_ERROR_NOT_AUTHORIZED;
    else if (err->status == QR_E_CONFLICT) /* TEN-5: the storage quota is full */
        st = IPP_STATUS_ERROR_NOT_POSSIBLE;
    qr__ipp_status(x, st, err->msg);
}

/* The unsupported attributes are kept apart, so that the operation group may still grow. */
void qr__ipp_unsupported(qr_ipp_t *x, ipp_attribute_t *attr) {
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

void qr__ipp_copy_requested(ipp_t *resp, ipp_t *src, cups_array_t *ra) {
    for (ipp_attribute_t *a = ippFirstAttribute(src); a; a = ippNextAttribute(src)) {
        const char *name = ippGetName(a);
        if (name && (!ra || cupsArrayFind(ra, (void *)name)))
            ippCopyAttribute(resp, a, 0);
    }
}

/* ---- checks ---- */

int qr__ipp_in_list(const char *s, const char *const *list, int n) {
    for (int i = 0; s && i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

int qr__ipp_one_of_type(ipp_attribute_t *attr, ipp_tag_t tag, ipp_tag_t tag2) {
    ipp_tag_t t = ippGetValueTag(attr);
    return ippGetCount(attr) == 1 && (t == tag || (tag2 && t == tag2));
}

/* The version (RFC 8011 4.1.8): 1.x or 2.x. Returns 0 when it is one, else answers. */
static int check_version(qr_ipp_t *x) {
    int minor;
    int major = ippGetVersion(x->req, &minor);
    if (major < 1 || major > 2) {
        ippSetVersion(x->resp, 1, 1);
        qr__ipp_status(x, IPP_STATUS_ERROR_VERSION_NOT_SUPPORTED,
                       "IPP versions 1.1 and 2.0 are supported");
        return 1;
    }
    return 0;
}

/* The request id, the attributes' syntax, and the operation attributes group starting with
 * charset and language (RFC 8011 4.1.4). Returns 0 when they are fine, else answers. */
static int check_header(qr_ipp_t *x) {
    if (ippGetRequestId(x->req) < 1) {
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST, "request-id must be from 1");
        return 1;
    }
    /* Names and values in the syntax RFC 8011 5.1 defines (libcups checks them). */
    if (!ippValidateAttributes(x->req)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "an attribute is malformed: %s", cupsLastErrorString());
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST, msg);
        return 1;
    }
    ipp_attribute_t *a = ippFirstAttribute(x->req);
    const char *n = a ? ippGetName(a) : NULL;
    if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION || !n ||
        strcmp(n, "attributes-charset") != 0 || !qr__ipp_one_of_type(a, IPP_TAG_CHARSET, 0)) {
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST,
                       "the first operation attribute must be attributes-charset");
        return 1;
    }
    const char *cs = ippGetString(a, 0, NULL);
    if (strcasecmp(cs, "utf-8") != 0 && strcasecmp(cs, "us-ascii") != 0) {
        qr__ipp_status(x, IPP_STATUS_ERROR_CHARSET, "attributes-charset must be utf-8 or us-ascii");
        qr__ipp_unsupported(x, a);
        return 1;
    }
    a = ippNextAttribute(x->req);
    n = a ? ippGetName(a) : NULL;
    if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION || !n ||
        strcmp(n, "attributes-natural-language") != 0 ||
        !qr__ipp_one_of_type(a, IPP_TAG_LANGUAGE, 0)) {
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST,
                       "the second operation attribute must be attributes-natural-language");
        return 1;
    }
    return 0;
}

/* The target (RFC 8011 4.1.5): printer-uri or job-uri, on this server's one queue. Returns 0
 * when it is this queue, else answers. */
static int check_target(qr_ipp_t *x) {
    ipp_attribute_t *pu = ippFindAttribute(x->req, "printer-uri", IPP_TAG_ZERO);
    ipp_attribute_t *ju = ippFindAttribute(x->req, "job-uri", IPP_TAG_ZERO);
    ipp_attribute_t *uri = pu ? pu : ju;
    if (!uri || ippGetGroupTag(uri) != IPP_TAG_OPERATION ||
        !qr__ipp_one_of_type(uri, IPP_TAG_URI, 0)) {
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST, "printer-uri (or job-uri) is required");
        return 1;
    }
    const char *u = ippGetString(uri, 0, NULL);
    const char *path = strstr(u, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    size_t plen = strlen(QR_IPP_PATH);
    if (!path || strncmp(path, QR_IPP_PATH, plen) != 0 ||
        (path[plen] && !(uri == ju && path[plen] == '/'))) {
        qr__ipp_status(x, IPP_STATUS_ERROR_NOT_FOUND, "this server has one queue: " QR_IPP_PATH);
        return 1;
    }
    return 0;
}

/* The checks every request passes (RFC 8011 4.1.4, 4.1.5): version, request id, the
 * operation attributes group starting with charset and language, the target URI, then the
 * operation. Returns 0 when the request may proceed, else answers. */
static int check_request(qr_ipp_t *x) {
    if (check_version(x) || check_header(x) || check_target(x))
        return 1;
    int op = (int)ippGetOperation(x->req);
    int known = 0;
    for (int i = 0; i < QR__IPP_N(qr__ipp_operations); i++)
        known |= qr__ipp_operations[i] == op;
    if (!known) {
        qr__ipp_status(x, IPP_STATUS_ERROR_OPERATION_NOT_SUPPORTED,
                       "supported: Print-Job, Validate-Job, Create-Job, Send-Document, "
                       "Close-Job, Cancel-Job, Cancel-My-Jobs, Cancel-Jobs, Get-Job-Attributes, "
                       "Get-Jobs, Get-Printer-Attributes, Identify-Printer");
        return 1;
    }
    return 0;
}

/* ---- the operations ---- */

/* The attribute part is complete: checks it and runs the operation (Print-Job continues
 * with its document). */
static void start(qr_ipp_t *x) {
    x->resp = ippNewResponse(x->req);
    x->state = QR__IPP_ANSWERED;
    if (check_request(x))
        return;
    ipp_op_t op = ippGetOperation(x->req);
    if (!x->authed && op != IPP_OP_GET_PRINTER_ATTRIBUTES) {
        x->state = QR__IPP_NEED_AUTH;
        return;
    }
    switch (op) {
    case IPP_OP_GET_PRINTER_ATTRIBUTES:
        qr__ipp_op_get_printer_attributes(x);
        break;
    case IPP_OP_PRINT_JOB:
        qr__ipp_op_create(x, QR__IPP_PRINT);
        break;
    case IPP_OP_VALIDATE_JOB:
        qr__ipp_op_create(x, QR__IPP_VALIDATE);
        break;
    case IPP_OP_CREATE_JOB:
        qr__ipp_op_create(x, QR__IPP_CREATE);
        break;
    case IPP_OP_SEND_DOCUMENT:
        qr__ipp_op_send_document(x);
        break;
    case IPP_OP_CLOSE_JOB:
        qr__ipp_op_close_job(x);
        break;
    case IPP_OP_CANCEL_MY_JOBS:
        qr__ipp_op_cancel_my_jobs(x);
        break;
    case IPP_OP_CANCEL_JOBS:
        qr__ipp_op_cancel_jobs(x);
        break;
    case IPP_OP_IDENTIFY_PRINTER:
        qr__ipp_op_identify_printer(x);
        break;
    case IPP_OP_GET_JOBS:
        qr__ipp_op_get_jobs(x);
        break;
    case IPP_OP_GET_JOB_ATTRIBUTES:
        qr__ipp_op_get_job_attributes(x);
        break;
    case IPP_OP_CANCEL_JOB:
        qr__ipp_op_cancel_job(x);
        break;
    default:
        break;
    }
}

/* The body could not be decoded as IPP: answer with the request's own header if it has
 * one (libcups fills it before it fails), else at the HTTP level. */
static void undecodable(qr_ipp_t *x, int too_large) {
    if (x->head.len < 8) {
        x->state = QR__IPP_NOT_IPP;
        qr_err_set(&x->err, QR_E_INVALID, NULL, "the body is not an IPP request");
        return;
    }
    x->resp = ippNewResponse(x->req);
    x->state = QR__IPP_ANSWERED;
    if (check_version(x))
        return;
    if (too_large)
        qr__ipp_status(
            x, IPP_STATUS_ERROR_REQUEST_ENTITY,
            "the IPP attributes take more than 65536 bytes; send fewer or shorter values");
    else
        qr__ipp_status(x, IPP_STATUS_ERROR_BAD_REQUEST,
                       "the IPP request could not be decoded (a truncated or malformed attribute)");
}

/* Tries to decode the attribute part from what has arrived. Returns the number of bytes
 * it took, or 0 if it is not complete (or not valid) yet. */
static size_t try_decode(qr_ipp_t *x) {
    ippDelete(x->req);
    x->req = ippNew();
    qr__ipp_reader_t rd = {(const unsigned char *)x->head.ptr, x->head.len, 0};
    if (ippReadIO(&rd, qr__ipp_read_mem, 1, NULL, x->req) != IPP_STATE_DATA)
        return 0;
    return rd.pos;
}

static qr_ipp_next_t next_of(qr_ipp_t *x) {
    switch (x->state) {
    case QR__IPP_READING:
    case QR__IPP_DOCUMENT:
        return QR_IPP_MORE;
    case QR__IPP_NEED_AUTH:
        return QR_IPP_NEED_AUTH;
    default:
        return QR_IPP_ANSWER;
    }
}

qr_ipp_next_t qr_ipp_feed(qr_ipp_t *x, const void *data, size_t n) {
    const char *d = data;
    while (n && x->state == QR__IPP_READING) {
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
        if (x->state == QR__IPP_DOCUMENT)
            qr__ipp_document(x, x->head.ptr + used, x->head.len - used);
    }
    if (n && x->state == QR__IPP_DOCUMENT)
        qr__ipp_document(x, d, n);
    return next_of(x);
}

qr_ipp_next_t qr_ipp_finish(qr_ipp_t *x) {
    if (x->state == QR__IPP_READING) {
        size_t used = try_decode(x);
        if (!used) {
            undecodable(x, 0);
        } else {
            start(x);
            if (x->state == QR__IPP_DOCUMENT)
                qr__ipp_document(x, x->head.ptr + used, x->head.len - used);
        }
    }
    if (x->state == QR__IPP_DOCUMENT) {
        x->state = QR__IPP_ANSWERED;
        qr__ipp_commit(x);
    }
    return next_of(x);
}

const void *qr_ipp_answer(qr_ipp_t *x, size_t *len, qr_err_t *err) {
    *len = 0;
    if (x->state != QR__IPP_ANSWERED || !x->resp) {
        if (err)
            *err = x->err.status ? x->err
                                 : (qr_err_t){QR_E_INVALID, NULL, "the body is not an IPP request"};
        return NULL;
    }
    if (!x->out.len) {
        ipp_t *a = assemble(x);
        ipp_state_t st = ippWriteIO(&x->out, qr__ipp_write_mem, 1, NULL, a);
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

void qr_ipp_refuse(qr_ipp_t *x, const qr_err_t *why) {
    if (x->state != QR__IPP_NEED_AUTH)
        return;
    ipp_status_t st = IPP_STATUS_ERROR_INTERNAL;
    if (why->status == QR_E_THROTTLED)
        st = IPP_STATUS_ERROR_BUSY;
    else if (why->status == QR_E_FORBIDDEN && why->code && strcmp(why->code, "mfa_required") == 0)
        st = IPP_STATUS_ERROR_FORBIDDEN;
    else if (why->status == QR_E_FORBIDDEN)
        st = IPP_STATUS_ERROR_NOT_AUTHORIZED;
    qr__ipp_status(x, st, why->msg);
    x->state = QR__IPP_ANSWERED;
}
