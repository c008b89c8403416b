/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the scan command's input checks: file types by magic bytes, --index NAME=VALUE (see
 * scaninput.h). */
#include "client/scaninput.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *magic;
    size_t len;
    const char *type;
} magics[] = {
    {"\xff\xd8\xff", 3, "image/jpeg"}, {"\x89PNG\r\n\x1a\n", 8, "image/png"},
    {"II*\0", 4, "image/tiff"},        {"MM\0*", 4, "image/tiff"},
    {"%PDF-", 5, "application/pdf"},
};

const char *qr_scaninput_sniff(const void *head, size_t n) {
    if (!head)
        return NULL;
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        if (n >= magics[i].len && memcmp(head, magics[i].magic, magics[i].len) == 0)
            return magics[i].type;
    return NULL;
}

qr_status_t qr_scaninput_open(const char *path, int *fd, const char **type, qr_err_t *err) {
    *fd = -1;
    *type = NULL;
    unsigned char head[QR_SCANINPUT_MAGIC];
    struct stat sb;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (f < 0)
        return qr_err_set(err, QR_E_INVALID, NULL, "cannot read %s: %s", path, strerror(errno));
    qr_status_t st = QR_OK;
    ssize_t n = 0;
    if (fstat(f, &sb) != 0)
        st = qr_err_set(err, QR_E_INVALID, NULL, "cannot read %s: %s", path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = qr_err_set(err, QR_E_INVALID, NULL, "%s is not a regular file", path);
    else if (sb.st_size == 0)
        st = qr_err_set(err, QR_E_INVALID, NULL, "%s is empty", path);
    else if ((n = pread(f, head, sizeof(head), 0)) < 0)
        st = qr_err_set(err, QR_E_INVALID, NULL, "cannot read %s: %s", path, strerror(errno));
    else if (!(*type = qr_scaninput_sniff(head, (size_t)n)))
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "%s is not a JPEG, PNG, TIFF or PDF file (by its first bytes)", path);
    /* O_NONBLOCK kept a FIFO from blocking the open; a regular file reads the same without. */
    if (!st && fcntl(f, F_SETFL, 0) != 0)
        st = qr_err_set(err, QR_E_INVALID, NULL, "cannot read %s: %s", path, strerror(errno));
    if (st) {
        *type = NULL;
        close(f);
        return st;
    }
    *fd = f;
    return QR_OK;
}

static int valid_name(const char *s, size_t n) {
    if (n < 1 || n > QR_SCANINPUT_MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '_'))
            return 0;
    }
    return 1;
}

qr_status_t qr_scaninput_add_index(json_t *index, const char *arg, qr_err_t *err) {
    const char *eq = strchr(arg, '=');
    if (!eq)
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "--index '%.64s' has no '=': write --index NAME=VALUE", arg);
    size_t nlen = (size_t)(eq - arg);
    if (!valid_name(arg, nlen))
        return qr_err_set(err, QR_E_INVALID, NULL,
                          "--index '%.64s': the name must be 1 to %d letters, digits or '_'", arg,
                          QR_SCANINPUT_MAX_NAME);
    char name[QR_SCANINPUT_MAX_NAME + 1];
    memcpy(name, arg, nlen);
    name[nlen] = '\0';
    if (json_object_get(index, name))
        return qr_err_set(err, QR_E_INVALID, NULL, "--index %s is given twice", name);
    const char *value = eq + 1;
    if (strlen(value) > QR_SCANINPUT_MAX_VALUE)
        return qr_err_set(err, QR_E_INVALID, NULL, "--index %s: the value is longer than %d bytes",
                          name, QR_SCANINPUT_MAX_VALUE);
    json_t *v = json_string(value); /* NULL if not UTF-8 */
    if (!v)
        return qr_err_set(err, QR_E_INVALID, NULL, "--index %s: the value is not UTF-8", name);
    if (json_object_set_new(index, name, v) != 0)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "--index %s could not be stored", name);
    return QR_OK;
}
