/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what quire-device's scan command checks before it starts a scan at the server: the
 * files to upload (readable, and JPEG, PNG, TIFF or PDF by their magic bytes) and the index
 * values given as NAME=VALUE. Bad input is found here, so that it changes nothing there. */
#ifndef QR_SCANINPUT_H
#define QR_SCANINPUT_H

#include <jansson.h>
#include <stddef.h>

#include "core/error.h"

/* The bytes of a file's beginning that qr_scaninput_sniff looks at. */
#define QR_SCANINPUT_MAGIC 8
/* The longest attribute name taken from --index (the server's own rule is stricter). */
#define QR_SCANINPUT_MAX_NAME 64
/* The longest index value taken from --index. */
#define QR_SCANINPUT_MAX_VALUE 1000

/* The Content-Type of a scanned file from its first n bytes, with the server's magic numbers
 * (src/scan/intake.c): "image/jpeg", "image/png", "image/tiff" (classic TIFF, not BigTIFF) or
 * "application/pdf"; NULL for anything else. The name of the file plays no part. */
const char *qr_scaninput_sniff(const void *head, size_t n);

/* Opens path for reading (a regular file, not empty) and finds its type from its magic bytes;
 * the offset is left at 0. Sets *fd (caller closes) and *type (a static string). A file that
 * cannot be opened, is not a regular file, is empty or of another type is QR_E_INVALID with a
 * message naming the file. */
qr_status_t qr_scaninput_open(const char *path, int *fd, const char **type, qr_err_t *err);

/* Adds one --index argument NAME=VALUE (split at the first '=') to the object index as the
 * string VALUE; the server converts it to the attribute's type (a number may be written
 * "1,234.50"). QR_E_INVALID, index unchanged, for an argument without '=', an empty or too
 * long name, a name with characters other than ASCII letters, digits and '_' (the server's rule
 * for attribute names), a value that is too long or not UTF-8, or a name given twice. */
qr_status_t qr_scaninput_add_index(json_t *index, const char *arg, qr_err_t *err);

#endif
