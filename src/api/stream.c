/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the HTTP side of streamed documents (DESIGN rule 5). An upload (a print job's PDF,
 * a scanned file): the Content-Type check, then the body piece by piece into the domain's
 * upload, committed at the end and answered 201 with what it became. A download: an
 * encrypted blob decrypted as it is sent. */
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "core/log.h"
#include "store/blob.h"

/* 1 if the Content-Type ct is one of types (parameters after ';' allowed). */
static int type_accepted(const char *ct, const char *const *types) {
    for (int i = 0; ct && types[i]; i++) {
        size_t n = strlen(types[i]);
        if (strncasecmp(ct, types[i], n) == 0 && (ct[n] == 0 || ct[n] == ';'))
            return 1;
    }
    return 0;
}

void qr_api_upload(qr_req_t *r, const qr_api_upload_t *u) {
    qr_err_t err = {QR_OK, NULL, ""};
    switch (qr_req_phase(r)) {
    case QR_PHASE_BEGIN: {
        if (!type_accepted(qr_req_header(r, "Content-Type"), u->types)) {
            qr_req_reply_json(r, 415,
                              json_pack("{s:s, s:s}", "error", "unsupported_media_type", "message",
                                        u->types_message));
            return;
        }
        void *state = NULL;
        if (u->begin(r, qr_req_content_length(r), &state, &err))
            qr_req_reply_error(r, &err);
        else
            qr_req_set_state(r, state, u->abort);
        return;
    }
    case QR_PHASE_DATA: {
        size_t n;
        const void *data = qr_req_chunk(r, &n);
        if (u->write(qr_req_state(r), data, n, &err))
            qr_req_reply_error(r, &err);
        return;
    }
    default: {
        json_t *out = NULL;
        void *state = qr_req_state(r);
        qr_req_set_state(r, NULL, NULL); /* commit frees the upload in every case */
        qr_status_t st = u->commit(state, &out, &err);
        qr_api_finish(r, st, &err, out, 201);
    }
    }
}

static long read_blob(void *cls, char *buf, size_t max) {
    qr_err_t err = {QR_OK, NULL, ""};
    long n = qr_blob_read(cls, buf, max, &err);
    if (n < 0)
        qr_log_error("document_damaged", "%s", err.msg);
    return n;
}

static void close_blob(void *cls) {
    qr_blob_close(cls);
}

void qr_api_reply_blob(qr_req_t *r, struct qr_blob_reader *reader, long long size,
                       const char *content_type) {
    qr_req_reply_stream(r, 200, content_type, (unsigned long long)size, read_blob, reader,
                        close_blob);
}
