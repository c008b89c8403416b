/* SPDX-License-Identifier: Apache-2.0 */
/* quire: where scanned documents go (CAP-4, CAP-6). A destination kind is a connector: a small
 * set of functions that deliver one document as a stream of chunks (open, write chunk, close,
 * describe error), so the cloud drives of CAP-4 plug in beside WebDAV without touching the
 * delivery queue. A connector never retries by itself: the delivery queue does, with backoff. */
#ifndef QR_CONNECTOR_H
#define QR_CONNECTOR_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* Outcome classes for the delivery queue. */
typedef enum qr_deliver_fail {
    QR_DELIVER_RETRY = 0, /* worth trying again later (network, 5xx, 429, timeouts) */
    QR_DELIVER_FIX,       /* needs someone to fix the destination (401, 403, 404, bad URL);
                             still retried, but reported as such */
} qr_deliver_fail_t;

/* A connection to a destination for one document. */
typedef struct qr_conn qr_conn_t;

typedef struct qr_connector {
    const char *kind; /* "webdav" */
    /* Checks a destination's settings (JSON object given by an admin) and secret (may be NULL);
     * QR_E_INVALID with a message naming the field when they are unusable. Makes no connection. */
    qr_status_t (*check)(const json_t *settings, const char *secret, qr_err_t *err);
    /* Starts delivering a document called name (no '/') into folder ("" or "a/b", relative to
     * the destination's root; missing folders are created) of size bytes (-1 if unknown). */
    qr_status_t (*open)(const json_t *settings, const char *secret, const char *folder,
                        const char *name, const char *mime, long long size, qr_conn_t **out,
                        qr_err_t *err);
    /* Sends the next n bytes. */
    qr_status_t (*write)(qr_conn_t *c, const void *data, size_t n, qr_err_t *err);
    /* Finishes the document; *location (may be NULL) gets where it now is (a new string, caller
     * frees). Frees c in every case. */
    qr_status_t (*close)(qr_conn_t *c, char **location, qr_err_t *err);
    /* Gives up on a document: nothing half-written is left where the connector can remove it.
     * Frees c; accepts NULL. */
    void (*abort)(qr_conn_t *c);
    /* After a failed open/write/close: whether to retry, and the reason for the job's status
     * (err's message already says what happened, e.g. "WebDAV PUT https://h/a.pdf: 507
     * Insufficient Storage"). */
    qr_deliver_fail_t (*describe_error)(const qr_err_t *err);
} qr_connector_t;

/* The connector of a kind, or NULL if there is none. */
const qr_connector_t *qr_connector_find(const char *kind);

/* WebDAV (RFC 4918): PUT with MKCOL of missing folders, HTTP Basic auth over TLS. */
extern const qr_connector_t qr_connector_webdav;

#endif
