/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for src/auth/account_rules.c: AUTH-2 passwords and the common-password list,
   AUTH-3 usernames, AUTH-4 first/last names. Run from the repository root. */

#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/account_rules.h"
#include "tenancy/user.h"

#define DEFAULT_LIST_PATH "data/common-passwords.txt"
#define MSG_LEN 512
#define BIG_LEN 1024

static qr_common_passwords_t *common;

static const char *list_path(void) {
    const char *path = getenv("QUIRE_COMMON_PASSWORDS");

    return (path != NULL && path[0] != '\0') ? path : DEFAULT_LIST_PATH;
}

static int group_setup(void **state) {
    (void)state;
    common = qr_common_passwords_load(list_path());
    if (common == NULL) {
        print_error("AUTH-2: cannot load common-password list %s: %s\n", list_path(),
                    strerror(errno));
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    qr_common_passwords_destroy(common);
    common = NULL;
    return 0;
}

/* Writes s (n copies of the UTF-8 string unit) into buf and returns buf. */
static char *repeat(char *buf, size_t buflen, const char *unit, size_t n) {
    size_t ulen = strlen(unit), i;

    assert_true(ulen * n < buflen);
    for (i = 0; i < n; i++) {
        memcpy(buf + i * ulen, unit, ulen);
    }
    buf[ulen * n] = '\0';
    return buf;
}

/* Appends s to the NUL-terminated string in buf. */
static void append(char *buf, size_t buflen, const char *s) {
    size_t len = strlen(buf);

    assert_true(len + strlen(s) < buflen);
    snprintf(buf + len, buflen - len, "%s", s);
}

/* Writes content to a new temporary file; returns its path in a static buffer. */
static const char *temp_file(const char *content, size_t len) {
    static char path[256];
    const char *dir = getenv("TMPDIR");
    int fd;

    snprintf(path, sizeof(path), "%s/quire-test-XXXXXX", dir != NULL ? dir : "/tmp");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    return path;
}

static void password_refused(const char *pw, const char *user, const char *needle) {
    char msg[MSG_LEN];

    memset(msg, 'X', sizeof(msg));
    if (qr_password_check(pw, user, common, msg, sizeof(msg)) != -1) {
        fail_msg("AUTH-2: password \"%s\" (username \"%s\") accepted, expected \"%s\"", pw,
                 user != NULL ? user : "(null)", needle);
    }
    if (strstr(msg, needle) == NULL) {
        fail_msg("AUTH-2: password \"%s\": message \"%s\" lacks \"%s\"", pw, msg, needle);
    }
}

static void password_accepted(const char *pw, const char *user) {
    char msg[MSG_LEN];

    if (qr_password_check(pw, user, common, msg, sizeof(msg)) != 0) {
        fail_msg("AUTH-2: password \"%s\" refused: %s", pw, msg);
    }
    assert_string_equal(msg, "");
}

static void username_refused(const char *user, const char *needle) {
    char msg[MSG_LEN];

    if (qr_username_check(user, msg, sizeof(msg)) != -1) {
        fail_msg("AUTH-3: username \"%s\" accepted, expected \"%s\"", user, needle);
    }
    if (strstr(msg, needle) == NULL) {
        fail_msg("AUTH-3: username \"%s\": message \"%s\" lacks \"%s\"", user, msg, needle);
    }
}

static void username_accepted(const char *user) {
    char msg[MSG_LEN];

    if (qr_username_check(user, msg, sizeof(msg)) != 0) {
        fail_msg("AUTH-3: username \"%s\" refused: %s", user, msg);
    }
}

static void name_refused(const char *field, const char *name, const char *needle) {
    char msg[MSG_LEN];

    if (qr_name_check(field, name, msg, sizeof(msg)) != -1) {
        fail_msg("AUTH-4: %s \"%s\" accepted, expected \"%s\"", field, name, needle);
    }
    if (strstr(msg, needle) == NULL) {
        fail_msg("AUTH-4: %s \"%s\": message \"%s\" lacks \"%s\"", field, name, msg, needle);
    }
}

static void name_accepted(const char *name) {
    char msg[MSG_LEN];

    if (qr_name_check("first_name", name, msg, sizeof(msg)) != 0) {
        fail_msg("AUTH-4: first_name \"%s\" refused: %s", name, msg);
    }
    if (qr_name_check("last_name", name, msg, sizeof(msg)) != 0) {
        fail_msg("AUTH-4: last_name \"%s\" refused: %s", name, msg);
    }
}

/* ---- AUTH-2 passwords ---- */

static void test_auth2_password_7_chars_too_short(void **state) {
    (void)state;
    password_refused("Abcde1!", NULL, "password must be at least 8 characters long");
}

static void test_auth2_password_8_chars_accepted(void **state) {
    (void)state;
    password_accepted("Abcde1!x", NULL);
}

static void test_auth2_password_64_chars_accepted(void **state) {
    char pw[BIG_LEN];

    (void)state;
    repeat(pw, sizeof(pw), "Ab1!", 16);
    assert_int_equal(strlen(pw), 64);
    password_accepted(pw, NULL);
}

static void test_auth2_password_65_chars_too_long(void **state) {
    char pw[BIG_LEN];

    (void)state;
    repeat(pw, sizeof(pw), "Ab1!", 16);
    append(pw, sizeof(pw), "x");
    assert_int_equal(strlen(pw), 65);
    password_refused(pw, NULL, "password must be at most 64 characters long");
}

static void test_auth2_password_empty_or_null_refused(void **state) {
    (void)state;
    password_refused("", NULL, "at least 8 characters");
    password_refused(NULL, NULL, "at least 8 characters");
}

static void test_auth2_password_length_reported_first(void **state) {
    char msg[MSG_LEN];

    (void)state;
    assert_int_equal(qr_password_check("abc", "abc", common, msg, sizeof(msg)), -1);
    assert_string_equal(msg, "password must be at least 8 characters long");
}

static void test_auth2_password_non_ascii_refused(void **state) {
    const char *expect = "password must contain only ASCII letters, digits, symbols and spaces";
    char pw[BIG_LEN];

    (void)state;
    password_refused("Pässw0rd!x", NULL, expect);
    password_refused("Abcdef1!€", NULL, expect);
    password_refused("Abcdef1!李", NULL, expect);
    password_refused("Abcdef1!\xff", NULL, expect);
    password_refused("Abcdef1!\t", NULL, expect);
    password_refused("Abcdef1!\x7f", NULL, expect);
    /* 63 ASCII characters plus one 2-byte character: 64 characters, so not "too long" */
    repeat(pw, sizeof(pw), "Ab1!", 15);
    append(pw, sizeof(pw), "Ab1é");
    assert_int_equal(strlen(pw), 65);
    password_refused(pw, NULL, expect);
}

static void test_auth2_password_space_allowed(void **state) {
    (void)state;
    password_accepted("Correct Horse 9!", NULL);
    password_accepted(" Ab1!efgh ", NULL);
}

static void test_auth2_password_missing_upper(void **state) {
    (void)state;
    password_refused("abcdef1!", NULL, "password must contain at least one upper-case letter");
}

static void test_auth2_password_missing_lower(void **state) {
    (void)state;
    password_refused("ABCDEF1!", NULL, "password must contain at least one lower-case letter");
}

static void test_auth2_password_missing_digit(void **state) {
    (void)state;
    password_refused("Abcdefg!", NULL, "password must contain at least one digit");
}

static void test_auth2_password_missing_symbol(void **state) {
    (void)state;
    password_refused("Abcdefg1", NULL,
                     "password must contain at least one symbol from "
                     "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
    password_refused("Abcdefg1 x", NULL, "at least one symbol"); /* space is not a symbol */
}

static void test_auth2_password_each_symbol_counts(void **state) {
    const char *symbols = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    char pw[32];
    size_t i;

    (void)state;
    assert_int_equal(strlen(symbols), 32);
    for (i = 0; symbols[i] != '\0'; i++) {
        snprintf(pw, sizeof(pw), "Qwxz7kLm%c", symbols[i]);
        password_accepted(pw, NULL);
    }
}

static void test_auth2_password_contains_username_any_case(void **state) {
    (void)state;
    password_refused("xjohndoe1!A", "JohnDoe", "password must not contain the username");
    password_refused("JOHNDOE#1a", "JohnDoe", "password must not contain the username");
    password_refused("1!aJoHnDoE", "johndoe", "password must not contain the username");
    password_refused("Ab1!johndoe", "JOHNDOE", "password must not contain the username");
}

static void test_auth2_password_username_check_skipped(void **state) {
    (void)state;
    password_accepted("John-Do3!x", "johndoe");     /* only part of the username */
    password_accepted("Xk9!vQ2#mZ", NULL);          /* no username */
    password_accepted("Xk9!vQ2#mZ", "");            /* empty username */
    password_accepted("Xk9!vQ2#mZ", "Müller");      /* non-ASCII username */
    password_accepted("Xk9!vQ2#mZ", "Xk9!vQ2#mZz"); /* longer than the password */
}

static void test_auth2_password_username_reported_before_common(void **state) {
    (void)state;
    password_refused("P@ssw0rd", "SSW0", "password must not contain the username");
}

static void test_auth2_password_common_refused(void **state) {
    (void)state;
    /* entries of the list (stored lowercase) that meet every class once capitalised */
    password_refused("P@ssw0rd", NULL, "common");
    password_refused("!QAZ2wsx", NULL, "common");
    password_refused("1QAZ!qaz", NULL, "common");
    password_refused("Sasha_007", "bob", "common");
}

/* A common password decorated to meet the composition rules: the list holds "password",
   "qwerty", "dragon" and "iloveyou", so their capitalised forms with digits and symbols
   around them are refused too; a strong password that merely contains a word is not. */
static void test_auth2_password_common_with_digits_and_symbols_refused(void **state) {
    (void)state;
    password_refused("Password1!", NULL, "common password with digits or symbols");
    password_refused("Qwerty123!", NULL, "common password with digits or symbols");
    password_refused("!1Dragon2024", NULL, "common password with digits or symbols");
    password_refused("#ILoveYou99", NULL, "common password with digits or symbols");
    password_accepted("Dragon-Fly-Kite-7", NULL);
    password_accepted("Passwordless7!x", NULL);
    password_accepted("7!Xk9vQ2mZ", NULL);
}

static void test_auth2_password_common_skipped_without_list(void **state) {
    char msg[MSG_LEN];

    (void)state;
    assert_int_equal(qr_password_check("P@ssw0rd", NULL, NULL, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
}

static void test_auth2_common_list_lookup_case_insensitive(void **state) {
    (void)state;
    assert_int_equal(qr_common_passwords_contains(common, "password"), 1);
    assert_int_equal(qr_common_passwords_contains(common, "PASSWORD"), 1);
    assert_int_equal(qr_common_passwords_contains(common, "PassWord"), 1);
    assert_int_equal(qr_common_passwords_contains(common, "123456"), 1);
    assert_int_equal(qr_common_passwords_contains(common, "P@SSW0RD"), 1);
    assert_int_equal(qr_common_passwords_contains(common, "Xk9!vQ2#mZ"), 0);
    assert_int_equal(qr_common_passwords_contains(common, "passwordqz"), 0);
    assert_int_equal(qr_common_passwords_contains(common, "password "), 0);
    assert_int_equal(qr_common_passwords_contains(common, ""), 0);
    assert_int_equal(qr_common_passwords_contains(common, NULL), 0);
    assert_int_equal(qr_common_passwords_contains(NULL, "password"), 0);
}

static void test_auth2_common_list_ships_10000_entries(void **state) {
    char line[256];
    size_t n = 0, len;
    FILE *fp;

    (void)state;
    fp = fopen(list_path(), "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (len == 0 || line[0] == '#') {
            continue;
        }
        if (!qr_common_passwords_contains(common, line)) {
            fail_msg("AUTH-2: list entry \"%s\" not found by lookup", line);
        }
        n++;
    }
    fclose(fp);
    assert_true(n >= 10000);
}

static void test_auth2_common_list_load_format(void **state) {
    static const char text[] = "# a comment\r\n\r\nHunter2\r\nfoo bar\n\n#notpw\nlast";
    qr_common_passwords_t *list;
    const char *path;

    (void)state;
    path = temp_file(text, sizeof(text) - 1);
    list = qr_common_passwords_load(path);
    unlink(path);
    assert_non_null(list);
    assert_int_equal(qr_common_passwords_contains(list, "hunter2"), 1);
    assert_int_equal(qr_common_passwords_contains(list, "HUNTER2"), 1);
    assert_int_equal(qr_common_passwords_contains(list, "foo bar"), 1);
    assert_int_equal(qr_common_passwords_contains(list, "last"), 1);
    assert_int_equal(qr_common_passwords_contains(list, "# a comment"), 0);
    assert_int_equal(qr_common_passwords_contains(list, "#notpw"), 0);
    assert_int_equal(qr_common_passwords_contains(list, "hunter2\r"), 0);
    assert_int_equal(qr_common_passwords_contains(list, ""), 0);
    qr_common_passwords_destroy(list);
}

static void test_auth2_common_list_load_errors(void **state) {
    static const char nul[] = "abc\0def\n";
    const char *path;

    (void)state;
    errno = 0;
    assert_null(qr_common_passwords_load("/nonexistent/quire/common-passwords.txt"));
    assert_int_equal(errno, ENOENT);

    errno = 0;
    assert_null(qr_common_passwords_load(NULL));
    assert_int_equal(errno, EINVAL);

    errno = 0;
    assert_null(qr_common_passwords_load("/"));
    assert_int_equal(errno, EISDIR);

    path = temp_file("", 0);
    errno = 0;
    assert_null(qr_common_passwords_load(path));
    assert_int_equal(errno, EINVAL);
    unlink(path);

    path = temp_file("# only\n\n#comments\n", strlen("# only\n\n#comments\n"));
    errno = 0;
    assert_null(qr_common_passwords_load(path));
    assert_int_equal(errno, EINVAL);
    unlink(path);

    path = temp_file(nul, sizeof(nul) - 1);
    errno = 0;
    assert_null(qr_common_passwords_load(path));
    assert_int_equal(errno, EINVAL);
    unlink(path);

    qr_common_passwords_destroy(NULL);
}

static void test_auth2_message_buffer_bounded(void **state) {
    char msg[10];

    (void)state;
    memset(msg, 'X', sizeof(msg));
    assert_int_equal(qr_password_check("short", NULL, common, msg, sizeof(msg)), -1);
    assert_int_equal(strlen(msg), sizeof(msg) - 1);
    assert_string_equal(msg, "password ");
    assert_int_equal(qr_password_check("short", NULL, common, NULL, 0), -1);
    assert_int_equal(qr_username_check("a/b", NULL, 0), -1);
    assert_int_equal(qr_name_check("first_name", "7", NULL, 0), -1);
    assert_int_equal(qr_password_check("Xk9!vQ2#mZ", NULL, common, NULL, 0), 0);
}

/* ---- AUTH-3 usernames ---- */

static void test_auth3_username_each_forbidden_char_refused(void **state) {
    const char *forbidden = "\\/:;,*?\"<>[]{}$%`&()+=!#'~^ ";
    char user[16], expect[64];
    size_t i;

    (void)state;
    assert_int_equal(strlen(forbidden), 28);
    for (i = 0; forbidden[i] != '\0'; i++) {
        snprintf(user, sizeof(user), "ab%ccd", forbidden[i]);
        snprintf(expect, sizeof(expect), "username contains '%c': the characters ", forbidden[i]);
        username_refused(user, expect);
        username_refused(user, "and space are not allowed");
        snprintf(user, sizeof(user), "%cabcd", forbidden[i]);
        username_refused(user, expect);
        snprintf(user, sizeof(user), "abcd%c", forbidden[i]);
        username_refused(user, expect);
    }
}

static void test_auth3_username_forbidden_message_exact(void **state) {
    char msg[MSG_LEN];

    (void)state;
    assert_int_equal(qr_username_check("john/doe", msg, sizeof(msg)), -1);
    assert_string_equal(msg, "username contains '/': the characters \\ / : ; , * ? \" < > [ ] "
                             "{ } $ % ` & ( ) + = ! # ' ~ ^ and space are not allowed");
}

static void test_auth3_username_first_offending_char_named(void **state) {
    (void)state;
    username_refused("ab:c/d", "username contains ':'");
    username_refused("john doe/x", "username contains ' '");
}

static void test_auth3_username_allowed_chars_accepted(void **state) {
    (void)state;
    username_accepted("john.doe");
    username_accepted("john_doe-42");
    username_accepted("jo@example.com");
    username_accepted("user|name");
    username_accepted("Müller");
    username_accepted("李小龍x");
    username_accepted("Ωμέγα");
    username_accepted("देवनागरी");
}

static void test_auth3_username_3_code_points_too_short(void **state) {
    const char *expect = "username must be 4 to 64 characters long";

    (void)state;
    username_refused("abc", expect);
    username_refused("äöü", expect);    /* 6 bytes */
    username_refused("李小龍", expect); /* 9 bytes */
    username_refused("𝒜𝒜𝒜", expect);    /* 12 bytes */
    username_refused("", expect);
    username_refused(NULL, expect);
}

static void test_auth3_username_4_code_points_accepted(void **state) {
    (void)state;
    username_accepted("abcd");
    username_accepted("äöüß");
    username_accepted("李小龍子");
    username_accepted("𝒜𝒜𝒜𝒜");
}

static void test_auth3_username_64_code_points_accepted(void **state) {
    char user[BIG_LEN];

    (void)state;
    username_accepted(repeat(user, sizeof(user), "a", 64));
    username_accepted(repeat(user, sizeof(user), "é", 64));
    username_accepted(repeat(user, sizeof(user), "李", 64));
    username_accepted(repeat(user, sizeof(user), "𝒜", 64));
}

static void test_auth3_username_65_code_points_too_long(void **state) {
    const char *expect = "username must be 4 to 64 characters long";
    char user[BIG_LEN];

    (void)state;
    username_refused(repeat(user, sizeof(user), "a", 65), expect);
    username_refused(repeat(user, sizeof(user), "é", 65), expect);
    username_refused(repeat(user, sizeof(user), "李", 65), expect);
    username_refused(repeat(user, sizeof(user), "𝒜", 65), expect);
}

static void test_auth3_username_invalid_utf8_refused(void **state) {
    static const char *const bad[] = {
        "abc\xc0\xaf",         /* overlong '/' (2 bytes) */
        "abc\xe0\x80\xaf",     /* overlong '/' (3 bytes) */
        "abc\xf0\x80\x80\xaf", /* overlong '/' (4 bytes) */
        "abc\xe0\x9f\xbf",     /* overlong U+07FF */
        "abc\x80\x61",         /* lone continuation byte */
        "\xbf\x61\x62\x63",    /* continuation byte first */
        "abc\xed\xa0\x80",     /* surrogate U+D800 */
        "abc\xed\xbf\xbf",     /* surrogate U+DFFF */
        "abc\xf4\x90\x80\x80", /* U+110000 */
        "abc\xf5\x80\x80\x80", /* lead byte F5 */
        "abcd\xe6\x9d",        /* truncated sequence at the end */
        "ab\xe6\x9dxyz",       /* truncated sequence in the middle */
        "abcd\xff",            /* never valid */
        "abcd\xfe",            /* never valid */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        username_refused(bad[i], "username is not valid UTF-8");
    }
    /* the largest valid values of each length are accepted */
    username_accepted("ab\xdf\xbf\xef\xbf\xbd");
    username_accepted("abc\xf4\x8f\xbf\xbd");
}

static void test_auth3_username_control_chars_refused(void **state) {
    (void)state;
    username_refused("ab\x01xy", "username contains U+0001: control characters");
    username_refused("ab\tcd", "username contains U+0009");
    username_refused("ab\ncd", "username contains U+000A");
    username_refused("ab\x1fxy", "username contains U+001F");
    username_refused("ab\x7fxy", "username contains U+007F");
    username_refused("ab\xc2\x85xy", "username contains U+0085");
    username_refused("ab\xc2\x9fxy", "username contains U+009F");
}

static void test_auth3_username_unicode_spaces_and_invisible_refused(void **state) {
    (void)state;
    username_refused("ab\xc2\xa0xy", "username contains U+00A0");     /* no-break space */
    username_refused("ab\xe3\x80\x80xy", "username contains U+3000"); /* ideographic */
    username_refused("ab\xe2\x80\xa8xy", "username contains U+2028"); /* line sep. */
    username_refused("ab\xe2\x80\x8bxy", "username contains U+200B"); /* zero width */
    username_refused("ab\xe2\x80\xaexy", "username contains U+202E"); /* RTL override */
    username_refused("\xef\xbb\xbfwxyz", "username contains U+FEFF"); /* BOM */
    username_refused("ab\xc2\xadxy", "username contains U+00AD");     /* soft hyphen */
}

/* ---- AUTH-4 first and last names ---- */

static void test_auth4_names_in_many_scripts_accepted(void **state) {
    /* "लक्ष्मी" has a virama (U+094D), which glibc does not call alphabetic; the last
       entry is "Dvořák" with r + U+030C COMBINING CARON */
    static const char *const names[] = {"Dvořák",
                                        "Ñúñez",
                                        "O'Brien",
                                        "Jean-Luc",
                                        "李",
                                        "Ωμέγα",
                                        "Анна",
                                        "देवनागरी",
                                        "लक्ष्मी",
                                        "Nguyễn",
                                        "Müller-Lüdenscheidt",
                                        "محمد",
                                        "שָׁלוֹם",
                                        "김민준",
                                        "さくら",
                                        "ნინო",
                                        "Արամ",
                                        "Þórunn",
                                        "Łukasz",
                                        "Zoë",
                                        "ศักดิ์",
                                        "Ἀθηνᾶ",
                                        "Mary Ann",
                                        "Anna Maria de la Cruz",
                                        "'t Hooft",
                                        "Smith-Jones",
                                        "Dvor\xcc\x8c\xc3\xa1k"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        name_accepted(names[i]);
    }
}

static void test_auth4_name_allowed_symbols_accepted(void **state) {
    const char *symbols = "-@.'\"+;";
    char name[16];
    size_t i;

    (void)state;
    for (i = 0; symbols[i] != '\0'; i++) {
        snprintf(name, sizeof(name), "Ann%ce", symbols[i]);
        name_accepted(name);
        snprintf(name, sizeof(name), "%c", symbols[i]);
        name_accepted(name);
    }
    name_accepted("a-b@c.d'e\"f+g;h");
    name_accepted("J. R. R.");
}

static void test_auth4_name_digit_refused_exact_message(void **state) {
    char msg[MSG_LEN];

    (void)state;
    assert_int_equal(qr_name_check("first_name", "Anna7", msg, sizeof(msg)), -1);
    assert_string_equal(
        msg, "first_name contains '7': only letters, inner spaces and - @ . ' \" + ; are allowed");
}

static void test_auth4_name_digits_any_script_refused(void **state) {
    (void)state;
    name_refused("first_name", "R2D2", "first_name contains '2'");
    name_refused("last_name", "0Brien", "last_name contains '0'");
    name_refused("first_name", "Anna١", "first_name contains '١'");   /* Arabic-Indic 1 */
    name_refused("first_name", "Anna१", "first_name contains '१'");   /* Devanagari 1 */
    name_refused("first_name", "Anna１", "first_name contains '１'"); /* fullwidth 1 */
    name_refused("last_name", "Henry Ⅷ", "last_name contains 'Ⅷ'");   /* Roman numeral */
}

static void test_auth4_name_other_symbols_refused(void **state) {
    const char *refused = "!#$%&()*,/:<=>?[\\]^_`{|}~";
    char name[16], expect[32];
    size_t i;

    (void)state;
    for (i = 0; refused[i] != '\0'; i++) {
        snprintf(name, sizeof(name), "Ann%ce", refused[i]);
        snprintf(expect, sizeof(expect), "first_name contains '%c'", refused[i]);
        name_refused("first_name", name, expect);
    }
    name_refused("first_name", "Anna😀", "first_name contains '😀'");
    name_refused("first_name", "O’Brien", "first_name contains '’'"); /* U+2019 */
    name_refused("first_name", "Anna\xe2\x80\x8dz", "first_name contains U+200D");
}

static void test_auth4_name_leading_space_refused(void **state) {
    (void)state;
    name_refused("first_name", " Anna", "first_name must not begin with a space");
    name_refused("first_name", " ", "first_name must not begin with a space");
}

static void test_auth4_name_trailing_space_refused(void **state) {
    (void)state;
    name_refused("last_name", "Anna ", "last_name must not end with a space");
    name_refused("last_name", "O'Brien- ", "last_name must not end with a space");
}

static void test_auth4_name_double_space_refused(void **state) {
    (void)state;
    name_refused("first_name", "Anna  Lee", "first_name must not contain two spaces in a row");
    name_refused("first_name", "Anna   ", "first_name must not contain two spaces in a row");
}

static void test_auth4_name_other_spaces_refused(void **state) {
    (void)state;
    name_refused("first_name", "Anna\tLee", "first_name contains U+0009");
    name_refused("first_name", "Anna\xc2\xa0Lee", "first_name contains U+00A0");
    name_refused("first_name", "Anna\xe3\x80\x80Lee", "first_name contains U+3000");
    name_refused("first_name", "Anna\nLee", "first_name contains U+000A");
}

static void test_auth4_name_combining_marks(void **state) {
    (void)state;
    name_accepted("e\xcc\x81\xcc\x82"); /* two marks after a letter */
    name_accepted("Zoe\xcc\x88");       /* Zoë decomposed */
    name_accepted("Jose\xcc\x81 Mari\xcc\x81n");
    name_refused("first_name", "\xcc\x81Zoe",
                 "first_name contains U+0301: a combining mark must follow a letter");
    name_refused("first_name", "Anna \xcc\x81x", "a combining mark must follow a letter");
    name_refused("first_name", "Anna-\xcc\x81x", "a combining mark must follow a letter");
    name_refused("first_name", "\xe0\xa4\xbe", "first_name contains U+093E"); /* bare vowel sign */
}

static void test_auth4_name_length_boundaries(void **state) {
    char name[BIG_LEN];

    (void)state;
    name_refused("first_name", "", "first_name must not be empty");
    name_refused("last_name", NULL, "last_name must not be empty");
    name_accepted("A");
    name_accepted("李");
    name_accepted(repeat(name, sizeof(name), "a", 64));
    name_refused("first_name", repeat(name, sizeof(name), "a", 65),
                 "first_name must be at most 64 characters long");
    name_accepted(repeat(name, sizeof(name), "Ж", 64));
    name_refused("first_name", repeat(name, sizeof(name), "Ж", 65), "at most 64 characters");
    name_accepted(repeat(name, sizeof(name), "𝒜", 64));
    name_refused("first_name", repeat(name, sizeof(name), "𝒜", 65), "at most 64 characters");
    /* combining marks count as code points */
    repeat(name, sizeof(name), "a", 63);
    append(name, sizeof(name), "\xcc\x81");
    name_accepted(name);
    repeat(name, sizeof(name), "a", 64);
    append(name, sizeof(name), "\xcc\x81");
    name_refused("first_name", name, "at most 64 characters");
}

static void test_auth4_name_invalid_utf8_refused(void **state) {
    char msg[MSG_LEN];

    (void)state;
    assert_int_equal(qr_name_check("first_name", "Ann\xc3", msg, sizeof(msg)), -1);
    assert_string_equal(msg, "first_name is not valid UTF-8");
    name_refused("last_name", "\xc1\x81nna", "last_name is not valid UTF-8");     /* overlong */
    name_refused("last_name", "Ann\x80n", "last_name is not valid UTF-8");        /* lone cont. */
    name_refused("last_name", "Ann\xed\xb2\x80", "last_name is not valid UTF-8"); /* surrogate */
    name_refused("last_name", "\xf4\x90\x80\x80", "last_name is not valid UTF-8");
}

static void test_auth4_name_field_in_message(void **state) {
    char msg[MSG_LEN];

    (void)state;
    assert_int_equal(qr_name_check("last_name", "Sm1th", msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "last_name contains '1'"));
    assert_int_equal(qr_name_check(NULL, "Sm1th", msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "name contains '1'"));
    assert_int_equal(qr_name_check("first_name", "Anna", msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
}

/* AUTH-3, issue 13: usernames compare after case folding and Unicode NFC. */
static void assert_same_key(const char *a, const char *b) {
    char *ka = qr_user_name_key(a), *kb = qr_user_name_key(b);
    assert_non_null(ka);
    assert_non_null(kb);
    if (strcmp(ka, kb) != 0)
        fail_msg("AUTH-3 '%s' and '%s' must collide: keys '%s' and '%s'", a, b, ka, kb);
    free(ka);
    free(kb);
}

static void test_auth3_username_key_case_and_nfc(void **state) {
    (void)state;
    assert_same_key("alice", "Alice");
    assert_same_key("alice", "ALICE");
    assert_same_key("j\xc3\xb6hn", "jo\xcc\x88hn"); /* precomposed / combining */
    assert_same_key("J\xc3\x96HN", "jo\xcc\x88hn"); /* and in upper case */
    assert_same_key("stra\xc3\x9f"
                    "e",
                    "STRASSE");                                              /* full case folding */
    assert_same_key("\xce\xa3\xce\xb9\xcf\x83", "\xcf\x83\xce\xb9\xcf\x82"); /* final sigma */
    char *k = qr_user_name_key("JO\xcc\x88HN");
    assert_string_equal(k, "j\xc3\xb6hn"); /* the key itself is NFC */
    free(k);
    char *a = qr_user_name_key("alice"), *b = qr_user_name_key("alicf");
    assert_string_not_equal(a, b);
    free(a);
    free(b);
    assert_null(qr_user_name_key("al\xffice")); /* not UTF-8: no key */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auth2_password_7_chars_too_short),
        cmocka_unit_test(test_auth2_password_8_chars_accepted),
        cmocka_unit_test(test_auth2_password_64_chars_accepted),
        cmocka_unit_test(test_auth2_password_65_chars_too_long),
        cmocka_unit_test(test_auth2_password_empty_or_null_refused),
        cmocka_unit_test(test_auth2_password_length_reported_first),
        cmocka_unit_test(test_auth2_password_non_ascii_refused),
        cmocka_unit_test(test_auth2_password_space_allowed),
        cmocka_unit_test(test_auth2_password_missing_upper),
        cmocka_unit_test(test_auth2_password_missing_lower),
        cmocka_unit_test(test_auth2_password_missing_digit),
        cmocka_unit_test(test_auth2_password_missing_symbol),
        cmocka_unit_test(test_auth2_password_each_symbol_counts),
        cmocka_unit_test(test_auth2_password_contains_username_any_case),
        cmocka_unit_test(test_auth2_password_username_check_skipped),
        cmocka_unit_test(test_auth2_password_username_reported_before_common),
        cmocka_unit_test(test_auth2_password_common_refused),
        cmocka_unit_test(test_auth2_password_common_with_digits_and_symbols_refused),
        cmocka_unit_test(test_auth2_password_common_skipped_without_list),
        cmocka_unit_test(test_auth2_common_list_lookup_case_insensitive),
        cmocka_unit_test(test_auth2_common_list_ships_10000_entries),
        cmocka_unit_test(test_auth2_common_list_load_format),
        cmocka_unit_test(test_auth2_common_list_load_errors),
        cmocka_unit_test(test_auth2_message_buffer_bounded),
        cmocka_unit_test(test_auth3_username_each_forbidden_char_refused),
        cmocka_unit_test(test_auth3_username_forbidden_message_exact),
        cmocka_unit_test(test_auth3_username_first_offending_char_named),
        cmocka_unit_test(test_auth3_username_allowed_chars_accepted),
        cmocka_unit_test(test_auth3_username_3_code_points_too_short),
        cmocka_unit_test(test_auth3_username_4_code_points_accepted),
        cmocka_unit_test(test_auth3_username_64_code_points_accepted),
        cmocka_unit_test(test_auth3_username_65_code_points_too_long),
        cmocka_unit_test(test_auth3_username_invalid_utf8_refused),
        cmocka_unit_test(test_auth3_username_control_chars_refused),
        cmocka_unit_test(test_auth3_username_unicode_spaces_and_invisible_refused),
        cmocka_unit_test(test_auth4_names_in_many_scripts_accepted),
        cmocka_unit_test(test_auth4_name_allowed_symbols_accepted),
        cmocka_unit_test(test_auth4_name_digit_refused_exact_message),
        cmocka_unit_test(test_auth4_name_digits_any_script_refused),
        cmocka_unit_test(test_auth4_name_other_symbols_refused),
        cmocka_unit_test(test_auth4_name_leading_space_refused),
        cmocka_unit_test(test_auth4_name_trailing_space_refused),
        cmocka_unit_test(test_auth4_name_double_space_refused),
        cmocka_unit_test(test_auth4_name_other_spaces_refused),
        cmocka_unit_test(test_auth4_name_combining_marks),
        cmocka_unit_test(test_auth4_name_length_boundaries),
        cmocka_unit_test(test_auth4_name_invalid_utf8_refused),
        cmocka_unit_test(test_auth4_name_field_in_message),
        cmocka_unit_test(test_auth3_username_key_case_and_nfc),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
