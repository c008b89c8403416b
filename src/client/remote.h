/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the client side of quire's HTTPS JSON API (libcurl), used by quire-device. Verified
 * TLS only; every reply body is read within a ceiling, except a document download, which is
 * streamed to a file descriptor; an upload is streamed from one. */
#ifndef QR_REMOTE_H
#define QR_REMOTE_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* The largest JSON reply read into memory. */
#define QR_REMOTE_MAX_REPLY (4 * 1024 * 1024)
/* The largest document downloaded or uploaded (quired's own ceilings are far below). */
#define QR_REMOTE_MAX_DOCUMENT (8LL * 1024 * 1024 * 1024)

typedef struct qr_remote qr_remote_t;

/* An HTTP answer: status and the parsed JSON body (NULL when empty or not JSON). */
typedef struct qr_reply {
    long status;
    json_t *json;
} qr_reply_t;

/* Creates a client for the server at base_url (https://HOST[:PORT], no trailing path);
 * ca_file (may be NULL: the system's CAs) is the PEM bundle that verifies the server.
 * Returns QR_E_INVALID for a URL that is not https://. Caller destroys *out. */
qr_status_t qr_remote_create(const char *base_url, const char *ca_file, qr_remote_t **out,
                             qr_err_t *err);
/* Destroys a client; accepts NULL. */
void qr_remote_destroy(qr_remote_t *rm);

/* Sends method path with an optional bearer token and an optional JSON body (NULL: no
 * body). Any HTTP answer is QR_OK with reply filled (caller frees it with
 * qr_reply_free); a transport failure (connection, TLS, timeout, reply too large) is
 * QR_E_IO with err set. */
qr_status_t qr_remote_call(qr_remote_t *rm, const char *method, const char *path, const char *token,
                           json_t *body, qr_reply_t *reply, qr_err_t *err);

/* The OAuth 2.0 client-credentials grant (POST /oauth/token, RFC 6749 4.4) with HTTP Basic
 * client authentication. On 200 sets *token (caller frees); otherwise reply holds the
 * refusal (caller frees). Transport failures as qr_remote_call. */
qr_status_t qr_remote_client_token(qr_remote_t *rm, const char *client_id, const char *secret,
                                   char **token, qr_reply_t *reply, qr_err_t *err);

/* GETs path with a bearer token and writes a 200 answer's body to fd as it arrives, never
 * more than QR_REMOTE_MAX_DOCUMENT bytes; *size is the number of bytes written. Any other
 * answer is read into reply instead. A body cut short (connection lost, fewer bytes than
 * Content-Length, a chunked body without its end) is QR_E_IO: the caller must not use what
 * was written. */
qr_status_t qr_remote_download(qr_remote_t *rm, const char *path, const char *token, int fd,
                               long long *size, qr_reply_t *reply, qr_err_t *err);

/* POSTs the file open on fd, from its current offset to its end, to path with a bearer token
 * and the given Content-Type, streamed: libcurl's read callback reads it in the blocks it
 * asks for, so the file is never held in memory. A regular file is sent with its
 * Content-Length, anything else (a pipe) chunked. The answer is read into reply (caller frees
 * it). A file that cannot be read, or ends before the size it had when the upload began, is
 * QR_E_IO, as are transport failures (qr_remote_call); a file larger than
 * QR_REMOTE_MAX_DOCUMENT is QR_E_INVALID and nothing is sent. */
qr_status_t qr_remote_upload(qr_remote_t *rm, const char *path, const char *token, int fd,
                             const char *content_type, qr_reply_t *reply, qr_err_t *err);

/* Frees the JSON of a reply; accepts a zeroed reply. */
void qr_reply_free(qr_reply_t *reply);
/* The human message of an error reply: "message", else "error_description", else
 * "error", else "HTTP <status>". The string lives as long as the reply (or buf). */
const char *qr_reply_message(const qr_reply_t *reply, char *buf, size_t len);
/* The "error" code of an error reply, or "". */
const char *qr_reply_code(const qr_reply_t *reply);

#endif
