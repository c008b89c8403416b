/* SPDX-License-Identifier: Apache-2.0 */
/* quire: libFuzzer target for the IPP queue's request path (src/print/ipp.c): the input is an
 * HTTP body, fed in pieces whose sizes come from the input, once without a user and once as
 * a user of a real (SQLite, temporary) installation, so that the decoding, every check and
 * every operation up to the spool run. The first input byte chooses the piece size. */
#include <cups/ipp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/app.h"
#include "crypto/random.h"
#include "print/ipp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static qr_ctx_t ctx;
static qr_config_t cfg;
static int opened;

static void open_once(void) {
    if (opened)
        return;
    opened = 1;
    char dir[] = "/tmp/quire-fuzz-ipp-XXXXXX";
    if (!mkdtemp(dir))
        abort();
    setenv("QUIRE_DATA_DIR", dir, 1);
    unsetenv("QUIRE_DATABASE");
    unsetenv("QUIRE_CONFIG");
    setenv("QUIRE_LOG_LEVEL", "error", 1);
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_app_open(&ctx, &cfg, NULL, 0, &err)) {
        fprintf(stderr, "fuzz_ipp: %s\n", err.msg);
        abort();
    }
}

struct reader {
    const unsigned char *p;
    size_t len, pos;
};

static ssize_t read_mem(void *cls, ipp_uchar_t *buf, size_t n) {
    struct reader *rd = cls;
    if (rd->pos >= rd->len)
        return -1;
    if (n > rd->len - rd->pos)
        n = rd->len - rd->pos;
    memcpy(buf, rd->p + rd->pos, n);
    rd->pos += n;
    return (ssize_t)n;
}

static void run(const qr_principal_t *p, const uint8_t *data, size_t size, size_t piece) {
    qr_ipp_t *x = qr_ipp_create(&ctx, p, (long long)size);
    qr_ipp_next_t next = QR_IPP_MORE;
    size_t off = 0;
    while (next == QR_IPP_MORE && off < size) {
        size_t n = size - off < piece ? size - off : piece;
        next = qr_ipp_feed(x, data + off, n);
        off += n;
    }
    if (next == QR_IPP_MORE)
        next = qr_ipp_finish(x);
    size_t len;
    qr_err_t err = {QR_OK, NULL, ""};
    if (next == QR_IPP_ANSWER) {
        const void *out = qr_ipp_answer(x, &len, &err);
        if (out) {
            /* Every answer is an IPP message libcups reads back whole (groups in order). */
            struct reader rd = {out, len, 0};
            ipp_t *resp = ippNew();
            if (ippReadIO(&rd, read_mem, 1, NULL, resp) != IPP_STATE_DATA || rd.pos != len)
                abort();
            ippDelete(resp);
        }
    }
    qr_ipp_destroy(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    open_once();
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] * 97 + 1;
    data++;
    size--;
    static qr_principal_t p;
    if (!p.user_id[0]) {
        /* A user that the database does not know: every lookup finds nothing of theirs. */
        qr_random_id(p.user_id);
        qr_random_id(p.org_id);
        snprintf(p.org_path, sizeof(p.org_path), "/%s/", p.org_id);
        p.role = QR_ROLE_CUSTOMER_USER;
    }
    run(NULL, data, size, piece);
    run(&p, data, size, piece);
    return 0;
}
