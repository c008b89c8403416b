/* SPDX-License-Identifier: Apache-2.0 */
/* Account input rules: password (AUTH-2), username (AUTH-3) and first/last name (AUTH-4)
   checks, and the list of common passwords that AUTH-2 refuses. */

#ifndef QR_AUTH_ACCOUNT_RULES_H
#define QR_AUTH_ACCOUNT_RULES_H

#include <stddef.h>

/* The check functions return 0 when the input is acceptable. Otherwise they return -1 and
   fill msg (always NUL-terminated, at most msglen bytes including the NUL, truncated if
   needed) with a human message naming the broken rule, e.g. "password must contain at least
   one digit". msg may be NULL when msglen is 0. On success msg is set to "". Messages about
   a password never quote the password. The legacy rule (accounts created before a rule may
   still log in, updates must satisfy it) is the callers' business. */

/* A loaded, immutable list of common passwords; safe to share between threads. */
typedef struct qr_common_passwords qr_common_passwords_t;

/* Loads the common-password list at path: one password per line, most common first; blank
   lines and lines starting with '#' are ignored, a trailing CR is stripped. Entries are kept
   lowercased (ASCII) in a sorted array. Returns a new list that the caller frees with
   qr_common_passwords_destroy(), or NULL with errno set: the fopen()/read errno, ENOMEM,
   EFBIG if the file exceeds the size limit (16 MiB), EINVAL if path is NULL or the file holds
   a NUL byte or no entry at all. */
qr_common_passwords_t *qr_common_passwords_load(const char *path);

/* Like qr_common_passwords_load, from len bytes at data (copied), such as the list built
   into the binary. */
qr_common_passwords_t *qr_common_passwords_load_mem(const char *data, size_t len);

/* Frees a list returned by qr_common_passwords_load(). Accepts NULL. */
void qr_common_passwords_destroy(qr_common_passwords_t *list);

/* Returns 1 if password is on the list, compared case-insensitively (ASCII case folding),
   else 0. Returns 0 when list or password is NULL. O(log n), no allocation. */
int qr_common_passwords_contains(const qr_common_passwords_t *list, const char *password);

/* AUTH-2: checks a new password. Rules, reported in this order (first failure wins):
   8 to 64 characters; printable ASCII only (0x20..0x7e, space allowed); at least one
   upper-case letter, one lower-case letter, one digit and one symbol from
   !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ ; must not contain username case-insensitively (skipped
   when username is NULL or empty); must not be on list (skipped when list is NULL). A NULL
   password is treated as empty. Returns 0 or -1 with msg (see above). */
int qr_password_check(const char *password, const char *username, const qr_common_passwords_t *list,
                      char *msg, size_t msglen);

/* AUTH-3: checks a new username: valid UTF-8 ("username is not valid UTF-8"); 4 to 64 code
   points; none of \ / : ; , * ? " < > [ ] { } $ % ` & ( ) + = ! # ' ~ ^ or space; no control
   characters, no other Unicode space characters and no invisible format characters (bidi
   controls, zero-width characters, BOM). The message names the first offending character.
   A NULL username is treated as empty. Returns 0 or -1 with msg (see above). */
int qr_username_check(const char *username, char *msg, size_t msglen);

/* AUTH-4: checks a first or last name: valid UTF-8; 1 to 64 code points; only letters of any
   script (combining marks allowed right after a letter or another such mark; digits of any
   script are not letters), the symbols - @ . ' " + ; and single spaces between other
   characters (no leading, trailing or double space). field ("first_name" or "last_name";
   "name" if NULL) starts the message, e.g. "first_name contains '7': only letters, inner
   spaces and - @ . ' \" + ; are allowed". A NULL name is treated as empty. Returns 0 or -1
   with msg (see above). */
int qr_name_check(const char *field, const char *name, char *msg, size_t msglen);

#endif
