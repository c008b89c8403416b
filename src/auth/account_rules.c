/* SPDX-License-Identifier: Apache-2.0 */
/* Account input rules: AUTH-2 passwords, AUTH-3 usernames, AUTH-4 first/last names, and the
   10,000 common passwords of data/common-passwords.txt, compiled into the binary
   (common_passwords.S). */

#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "account_rules.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#define QR_PASSWORD_MIN_LEN 8  /* AUTH-2, characters */
#define QR_PASSWORD_MAX_LEN 64 /* AUTH-2, characters */
#define QR_COMMON_CORE_MIN 4   /* shortest core of a decorated common password */
#define QR_USERNAME_MIN_LEN 4  /* AUTH-3, code points */
#define QR_USERNAME_MAX_LEN 64 /* AUTH-3, code points */
#define QR_NAME_MIN_LEN 1      /* AUTH-4, code points */
#define QR_NAME_MAX_LEN 64     /* AUTH-4, code points */

#define QR_COMMON_PASSWORDS_MAX_BYTES (16u * 1024u * 1024u) /* list file size ceiling */
#define QR_COMMON_PASSWORDS_READ_CHUNK (64u * 1024u)        /* first read buffer size */

/* AUTH-2 symbol class and the AUTH-3 / AUTH-4 character sets. */
#define PASSWORD_SYMBOLS "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
#define USERNAME_FORBIDDEN "\\/:;,*?\"<>[]{}$%`&()+=!#'~^ "
#define USERNAME_FORBIDDEN_TEXT "\\ / : ; , * ? \" < > [ ] { } $ % ` & ( ) + = ! # ' ~ ^ and space"
#define NAME_SYMBOLS "-@.'\"+;"
#define NAME_SYMBOLS_TEXT "- @ . ' \" + ;"

struct qr_common_passwords {
    char *blob;     /* the file contents, entries NUL-terminated and lowercased in place */
    char **entries; /* pointers into blob, sorted by strcmp() */
    size_t count;
};

/* Unicode tables, generated from the Unicode Character Database 14.0.0 (Python 3.11
   unicodedata), the Unicode version of glibc 2.36's C.UTF-8 locale. Inclusive ranges, sorted. */
struct cp_range {
    uint32_t lo;
    uint32_t hi;
};

/* Combining marks: general categories Mn, Mc and Me. */
static const struct cp_range mark_ranges[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x05BF, 0x05BF},
    {0x05C1, 0x05C2},   {0x05C4, 0x05C5},   {0x05C7, 0x05C7},   {0x0610, 0x061A},
    {0x064B, 0x065F},   {0x0670, 0x0670},   {0x06D6, 0x06DC},   {0x06DF, 0x06E4},
    {0x06E7, 0x06E8},   {0x06EA, 0x06ED},   {0x0711, 0x0711},   {0x0730, 0x074A},
    {0x07A6, 0x07B0},   {0x07EB, 0x07F3},   {0x07FD, 0x07FD},   {0x0816, 0x0819},
    {0x081B, 0x0823},   {0x0825, 0x0827},   {0x0829, 0x082D},   {0x0859, 0x085B},
    {0x0898, 0x089F},   {0x08CA, 0x08E1},   {0x08E3, 0x0903},   {0x093A, 0x093C},
    {0x093E, 0x094F},   {0x0951, 0x0957},   {0x0962, 0x0963},   {0x0981, 0x0983},
    {0x09BC, 0x09BC},   {0x09BE, 0x09C4},   {0x09C7, 0x09C8},   {0x09CB, 0x09CD},
    {0x09D7, 0x09D7},   {0x09E2, 0x09E3},   {0x09FE, 0x09FE},   {0x0A01, 0x0A03},
    {0x0A3C, 0x0A3C},   {0x0A3E, 0x0A42},   {0x0A47, 0x0A48},   {0x0A4B, 0x0A4D},
    {0x0A51, 0x0A51},   {0x0A70, 0x0A71},   {0x0A75, 0x0A75},   {0x0A81, 0x0A83},
    {0x0ABC, 0x0ABC},   {0x0ABE, 0x0AC5},   {0x0AC7, 0x0AC9},   {0x0ACB, 0x0ACD},
    {0x0AE2, 0x0AE3},   {0x0AFA, 0x0AFF},   {0x0B01, 0x0B03},   {0x0B3C, 0x0B3C},
    {0x0B3E, 0x0B44},   {0x0B47, 0x0B48},   {0x0B4B, 0x0B4D},   {0x0B55, 0x0B57},
    {0x0B62, 0x0B63},   {0x0B82, 0x0B82},   {0x0BBE, 0x0BC2},   {0x0BC6, 0x0BC8},
    {0x0BCA, 0x0BCD},   {0x0BD7, 0x0BD7},   {0x0C00, 0x0C04},   {0x0C3C, 0x0C3C},
    {0x0C3E, 0x0C44},   {0x0C46, 0x0C48},   {0x0C4A, 0x0C4D},   {0x0C55, 0x0C56},
    {0x0C62, 0x0C63},   {0x0C81, 0x0C83},   {0x0CBC, 0x0CBC},   {0x0CBE, 0x0CC4},
    {0x0CC6, 0x0CC8},   {0x0CCA, 0x0CCD},   {0x0CD5, 0x0CD6},   {0x0CE2, 0x0CE3},
    {0x0D00, 0x0D03},   {0x0D3B, 0x0D3C},   {0x0D3E, 0x0D44},   {0x0D46, 0x0D48},
    {0x0D4A, 0x0D4D},   {0x0D57, 0x0D57},   {0x0D62, 0x0D63},   {0x0D81, 0x0D83},
    {0x0DCA, 0x0DCA},   {0x0DCF, 0x0DD4},   {0x0DD6, 0x0DD6},   {0x0DD8, 0x0DDF},
    {0x0DF2, 0x0DF3},   {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},   {0x0E47, 0x0E4E},
    {0x0EB1, 0x0EB1},   {0x0EB4, 0x0EBC},   {0x0EC8, 0x0ECD},   {0x0F18, 0x0F19},
    {0x0F35, 0x0F35},   {0x0F37, 0x0F37},   {0x0F39, 0x0F39},   {0x0F3E, 0x0F3F},
    {0x0F71, 0x0F84},   {0x0F86, 0x0F87},   {0x0F8D, 0x0F97},   {0x0F99, 0x0FBC},
    {0x0FC6, 0x0FC6},   {0x102B, 0x103E},   {0x1056, 0x1059},   {0x105E, 0x1060},
    {0x1062, 0x1064},   {0x1067, 0x106D},   {0x1071, 0x1074},   {0x1082, 0x108D},
    {0x108F, 0x108F},   {0x109A, 0x109D},   {0x135D, 0x135F},   {0x1712, 0x1715},
    {0x1732, 0x1734},   {0x1752, 0x1753},   {0x1772, 0x1773},   {0x17B4, 0x17D3},
    {0x17DD, 0x17DD},   {0x180B, 0x180D},   {0x180F, 0x180F},   {0x1885, 0x1886},
    {0x18A9, 0x18A9},   {0x1920, 0x192B},   {0x1930, 0x193B},   {0x1A17, 0x1A1B},
    {0x1A55, 0x1A5E},   {0x1A60, 0x1A7C},   {0x1A7F, 0x1A7F},   {0x1AB0, 0x1ACE},
    {0x1B00, 0x1B04},   {0x1B34, 0x1B44},   {0x1B6B, 0x1B73},   {0x1B80, 0x1B82},
    {0x1BA1, 0x1BAD},   {0x1BE6, 0x1BF3},   {0x1C24, 0x1C37},   {0x1CD0, 0x1CD2},
    {0x1CD4, 0x1CE8},   {0x1CED, 0x1CED},   {0x1CF4, 0x1CF4},   {0x1CF7, 0x1CF9},
    {0x1DC0, 0x1DFF},   {0x20D0, 0x20F0},   {0x2CEF, 0x2CF1},   {0x2D7F, 0x2D7F},
    {0x2DE0, 0x2DFF},   {0x302A, 0x302F},   {0x3099, 0x309A},   {0xA66F, 0xA672},
    {0xA674, 0xA67D},   {0xA69E, 0xA69F},   {0xA6F0, 0xA6F1},   {0xA802, 0xA802},
    {0xA806, 0xA806},   {0xA80B, 0xA80B},   {0xA823, 0xA827},   {0xA82C, 0xA82C},
    {0xA880, 0xA881},   {0xA8B4, 0xA8C5},   {0xA8E0, 0xA8F1},   {0xA8FF, 0xA8FF},
    {0xA926, 0xA92D},   {0xA947, 0xA953},   {0xA980, 0xA983},   {0xA9B3, 0xA9C0},
    {0xA9E5, 0xA9E5},   {0xAA29, 0xAA36},   {0xAA43, 0xAA43},   {0xAA4C, 0xAA4D},
    {0xAA7B, 0xAA7D},   {0xAAB0, 0xAAB0},   {0xAAB2, 0xAAB4},   {0xAAB7, 0xAAB8},
    {0xAABE, 0xAABF},   {0xAAC1, 0xAAC1},   {0xAAEB, 0xAAEF},   {0xAAF5, 0xAAF6},
    {0xABE3, 0xABEA},   {0xABEC, 0xABED},   {0xFB1E, 0xFB1E},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F},   {0x101FD, 0x101FD}, {0x102E0, 0x102E0}, {0x10376, 0x1037A},
    {0x10A01, 0x10A03}, {0x10A05, 0x10A06}, {0x10A0C, 0x10A0F}, {0x10A38, 0x10A3A},
    {0x10A3F, 0x10A3F}, {0x10AE5, 0x10AE6}, {0x10D24, 0x10D27}, {0x10EAB, 0x10EAC},
    {0x10F46, 0x10F50}, {0x10F82, 0x10F85}, {0x11000, 0x11002}, {0x11038, 0x11046},
    {0x11070, 0x11070}, {0x11073, 0x11074}, {0x1107F, 0x11082}, {0x110B0, 0x110BA},
    {0x110C2, 0x110C2}, {0x11100, 0x11102}, {0x11127, 0x11134}, {0x11145, 0x11146},
    {0x11173, 0x11173}, {0x11180, 0x11182}, {0x111B3, 0x111C0}, {0x111C9, 0x111CC},
    {0x111CE, 0x111CF}, {0x1122C, 0x11237}, {0x1123E, 0x1123E}, {0x112DF, 0x112EA},
    {0x11300, 0x11303}, {0x1133B, 0x1133C}, {0x1133E, 0x11344}, {0x11347, 0x11348},
    {0x1134B, 0x1134D}, {0x11357, 0x11357}, {0x11362, 0x11363}, {0x11366, 0x1136C},
    {0x11370, 0x11374}, {0x11435, 0x11446}, {0x1145E, 0x1145E}, {0x114B0, 0x114C3},
    {0x115AF, 0x115B5}, {0x115B8, 0x115C0}, {0x115DC, 0x115DD}, {0x11630, 0x11640},
    {0x116AB, 0x116B7}, {0x1171D, 0x1172B}, {0x1182C, 0x1183A}, {0x11930, 0x11935},
    {0x11937, 0x11938}, {0x1193B, 0x1193E}, {0x11940, 0x11940}, {0x11942, 0x11943},
    {0x119D1, 0x119D7}, {0x119DA, 0x119E0}, {0x119E4, 0x119E4}, {0x11A01, 0x11A0A},
    {0x11A33, 0x11A39}, {0x11A3B, 0x11A3E}, {0x11A47, 0x11A47}, {0x11A51, 0x11A5B},
    {0x11A8A, 0x11A99}, {0x11C2F, 0x11C36}, {0x11C38, 0x11C3F}, {0x11C92, 0x11CA7},
    {0x11CA9, 0x11CB6}, {0x11D31, 0x11D36}, {0x11D3A, 0x11D3A}, {0x11D3C, 0x11D3D},
    {0x11D3F, 0x11D45}, {0x11D47, 0x11D47}, {0x11D8A, 0x11D8E}, {0x11D90, 0x11D91},
    {0x11D93, 0x11D97}, {0x11EF3, 0x11EF6}, {0x16AF0, 0x16AF4}, {0x16B30, 0x16B36},
    {0x16F4F, 0x16F4F}, {0x16F51, 0x16F87}, {0x16F8F, 0x16F92}, {0x16FE4, 0x16FE4},
    {0x16FF0, 0x16FF1}, {0x1BC9D, 0x1BC9E}, {0x1CF00, 0x1CF2D}, {0x1CF30, 0x1CF46},
    {0x1D165, 0x1D169}, {0x1D16D, 0x1D172}, {0x1D17B, 0x1D182}, {0x1D185, 0x1D18B},
    {0x1D1AA, 0x1D1AD}, {0x1D242, 0x1D244}, {0x1DA00, 0x1DA36}, {0x1DA3B, 0x1DA6C},
    {0x1DA75, 0x1DA75}, {0x1DA84, 0x1DA84}, {0x1DA9B, 0x1DA9F}, {0x1DAA1, 0x1DAAF},
    {0x1E000, 0x1E006}, {0x1E008, 0x1E018}, {0x1E01B, 0x1E021}, {0x1E023, 0x1E024},
    {0x1E026, 0x1E02A}, {0x1E130, 0x1E136}, {0x1E2AE, 0x1E2AE}, {0x1E2EC, 0x1E2EF},
    {0x1E8D0, 0x1E8D6}, {0x1E944, 0x1E94A}, {0xE0100, 0xE01EF},
};

/* Non-ASCII digits and letter-like numbers (Nd, Nl), which glibc counts as alphabetic. */
static const struct cp_range number_ranges[] = {
    {0x0660, 0x0669},   {0x06F0, 0x06F9},   {0x07C0, 0x07C9},   {0x0966, 0x096F},
    {0x09E6, 0x09EF},   {0x0A66, 0x0A6F},   {0x0AE6, 0x0AEF},   {0x0B66, 0x0B6F},
    {0x0BE6, 0x0BEF},   {0x0C66, 0x0C6F},   {0x0CE6, 0x0CEF},   {0x0D66, 0x0D6F},
    {0x0DE6, 0x0DEF},   {0x0E50, 0x0E59},   {0x0ED0, 0x0ED9},   {0x0F20, 0x0F29},
    {0x1040, 0x1049},   {0x1090, 0x1099},   {0x16EE, 0x16F0},   {0x17E0, 0x17E9},
    {0x1810, 0x1819},   {0x1946, 0x194F},   {0x19D0, 0x19D9},   {0x1A80, 0x1A89},
    {0x1A90, 0x1A99},   {0x1B50, 0x1B59},   {0x1BB0, 0x1BB9},   {0x1C40, 0x1C49},
    {0x1C50, 0x1C59},   {0x2160, 0x2182},   {0x2185, 0x2188},   {0x3007, 0x3007},
    {0x3021, 0x3029},   {0x3038, 0x303A},   {0xA620, 0xA629},   {0xA6E6, 0xA6EF},
    {0xA8D0, 0xA8D9},   {0xA900, 0xA909},   {0xA9D0, 0xA9D9},   {0xA9F0, 0xA9F9},
    {0xAA50, 0xAA59},   {0xABF0, 0xABF9},   {0xFF10, 0xFF19},   {0x10140, 0x10174},
    {0x10341, 0x10341}, {0x1034A, 0x1034A}, {0x103D1, 0x103D5}, {0x104A0, 0x104A9},
    {0x10D30, 0x10D39}, {0x11066, 0x1106F}, {0x110F0, 0x110F9}, {0x11136, 0x1113F},
    {0x111D0, 0x111D9}, {0x112F0, 0x112F9}, {0x11450, 0x11459}, {0x114D0, 0x114D9},
    {0x11650, 0x11659}, {0x116C0, 0x116C9}, {0x11730, 0x11739}, {0x118E0, 0x118E9},
    {0x11950, 0x11959}, {0x11C50, 0x11C59}, {0x11D50, 0x11D59}, {0x11DA0, 0x11DA9},
    {0x12400, 0x1246E}, {0x16A60, 0x16A69}, {0x16AC0, 0x16AC9}, {0x16B50, 0x16B59},
    {0x1D7CE, 0x1D7FF}, {0x1E140, 0x1E149}, {0x1E2F0, 0x1E2F9}, {0x1E950, 0x1E959},
    {0x1FBF0, 0x1FBF9},
};

/* Invisible format characters (Cf): bidi controls, zero-width characters, BOM, tags. */
static const struct cp_range format_ranges[] = {
    {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},
    {0x070F, 0x070F},   {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},
    {0x200B, 0x200F},   {0x202A, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
    {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
    {0x13430, 0x13438}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
    {0xE0020, 0xE007F},
};

/* Space separators (Zs, Zl, Zp). */
static const struct cp_range space_ranges[] = {
    {0x0020, 0x0020}, {0x00A0, 0x00A0}, {0x1680, 0x1680}, {0x2000, 0x200A},
    {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
};

/* Punctuation, symbols, private use and emoji: what the no-locale fallback refuses as letters. */
static const struct cp_range fallback_nonletter_ranges[] = {
    {0x00A1, 0x00A9}, {0x00AB, 0x00B4},   {0x00B6, 0x00B9},    {0x00BB, 0x00BF}, {0x00D7, 0x00D7},
    {0x00F7, 0x00F7}, {0x2000, 0x2BFF},   {0x3000, 0x3004},    {0x3008, 0x3020}, {0xE000, 0xF8FF},
    {0xFE10, 0xFE1F}, {0xFE30, 0xFE6F},   {0xFF01, 0xFF20},    {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65},
    {0xFFF0, 0xFFFF}, {0x1F000, 0x1FBFF}, {0xF0000, 0x10FFFF},
};

#define IN_TABLE(table, cp) in_ranges((table), sizeof(table) / sizeof((table)[0]), (cp))

static pthread_once_t ctype_once = PTHREAD_ONCE_INIT;
static locale_t ctype_locale = (locale_t)0; /* written once under ctype_once, then read-only */

static int in_ranges(const struct cp_range *r, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo) {
            hi = mid;
        } else if (cp > r[mid].hi) {
            lo = mid + 1;
        } else {
            return 1;
        }
    }
    return 0;
}

static void ctype_init(void) {
    ctype_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The C.UTF-8 LC_CTYPE locale, or (locale_t)0 if glibc cannot provide it. */
static locale_t ctype_get(void) {
    pthread_once(&ctype_once, ctype_init);
    return ctype_locale;
}

/* Writes the formatted message into msg (if any room) and returns -1. */
static int fail(char *msg, size_t msglen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(char *msg, size_t msglen, const char *fmt, ...) {
    va_list ap;

    if (msg != NULL && msglen > 0) {
        va_start(ap, fmt);
        vsnprintf(msg, msglen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int ok(char *msg, size_t msglen) {
    if (msg != NULL && msglen > 0) {
        msg[0] = '\0';
    }
    return 0;
}

static unsigned char ascii_lower(unsigned char c) {
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Decodes one strict UTF-8 sequence (no overlongs, surrogates or values above U+10FFFF) from
   the n bytes at s. Returns its length in bytes, or 0 if the bytes are not valid UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len, i;
    uint32_t c;

    if (n == 0) {
        return 0;
    }
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        c = s[0] & 0x1Fu;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        c = s[0] & 0x0Fu;
        if (s[0] == 0xE0) {
            lo = 0xA0; /* overlong below U+0800 */
        } else if (s[0] == 0xED) {
            hi = 0x9F; /* surrogates U+D800..U+DFFF */
        }
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        c = s[0] & 0x07u;
        if (s[0] == 0xF0) {
            lo = 0x90; /* overlong below U+10000 */
        } else if (s[0] == 0xF4) {
            hi = 0x8F; /* above U+10FFFF */
        }
    } else {
        return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    c = (c << 6) | (s[1] & 0x3Fu);
    for (i = 2; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    *cp = c;
    return len;
}

/* Counts the code points of the len bytes at s; returns -1 if they are not valid UTF-8. */
static int utf8_count(const char *s, size_t len, size_t *count) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n = 0, step;
    uint32_t cp;

    while (i < len) {
        step = utf8_decode(p + i, len - i, &cp);
        if (step == 0) {
            return -1;
        }
        i += step;
        n++;
    }
    *count = n;
    return 0;
}

static int is_control(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Control, space and invisible format characters. */
static int is_invisible(uint32_t cp) {
    return is_control(cp) || IN_TABLE(space_ranges, cp) || IN_TABLE(format_ranges, cp);
}

static int is_mark(uint32_t cp) {
    return IN_TABLE(mark_ranges, cp);
}

/* A letter of any script (combining marks are handled by the caller). */
static int is_letter(uint32_t cp) {
    locale_t loc;

    if (cp < 0x80) {
        return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
    }
    if (is_invisible(cp) || IN_TABLE(number_ranges, cp)) {
        return 0;
    }
    loc = ctype_get();
    if (loc != (locale_t)0) {
        return iswalpha_l((wint_t)cp, loc) != 0;
    }
    return !IN_TABLE(fallback_nonletter_ranges, cp);
}

/* Writes a printable description of one character for a message: the character in single
   quotes, or U+XXXX when it would not show (controls, spaces other than U+0020, marks). */
static void describe_char(uint32_t cp, const char *bytes, size_t nbytes, char *out, size_t outlen) {
    locale_t loc;
    int quote;

    if (cp < 0x80) {
        quote = cp >= 0x20 && cp < 0x7F;
    } else {
        loc = ctype_get();
        quote = !is_invisible(cp) && !is_mark(cp) &&
                (loc == (locale_t)0 || iswprint_l((wint_t)cp, loc));
    }
    if (quote) {
        snprintf(out, outlen, "'%.*s'", (int)nbytes, bytes);
    } else {
        snprintf(out, outlen, "U+%04" PRIX32, cp);
    }
}

static int compare_entries(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* bsearch() comparator: the key is the raw password, folded to lowercase on the fly. */
static int compare_key(const void *key, const void *elem) {
    const unsigned char *k = key;
    const unsigned char *e = *(const unsigned char *const *)elem;
    size_t i;

    for (i = 0;; i++) {
        unsigned char kc = ascii_lower(k[i]);
        if (kc != e[i]) {
            return kc < e[i] ? -1 : 1;
        }
        if (kc == '\0') {
            return 0;
        }
    }
}

/* Reads the whole file into a new NUL-terminated buffer of at most
   QR_COMMON_PASSWORDS_MAX_BYTES bytes (plus the NUL). Returns 0 or an errno value. */
static int read_file(FILE *fp, char **out, size_t *outlen) {
    char *buf = NULL, *grown;
    size_t len = 0, cap = 0, n;
    int err = 0;

    for (;;) {
        if (len == cap) {
            size_t want = cap == 0 ? QR_COMMON_PASSWORDS_READ_CHUNK : cap * 2;
            if (cap > QR_COMMON_PASSWORDS_MAX_BYTES) {
                err = EFBIG;
                goto out;
            }
            if (want > QR_COMMON_PASSWORDS_MAX_BYTES + 1) {
                want = QR_COMMON_PASSWORDS_MAX_BYTES + 1;
            }
            grown = realloc(buf, want + 1);
            if (grown == NULL) {
                err = ENOMEM;
                goto out;
            }
            buf = grown;
            cap = want;
        }
        n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0) {
            if (ferror(fp)) {
                err = errno != 0 ? errno : EIO;
                goto out;
            }
            break;
        }
    }
    if (len > QR_COMMON_PASSWORDS_MAX_BYTES) {
        err = EFBIG;
        goto out;
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    buf = NULL;
out:
    free(buf);
    return err;
}

/* Splits buf (len bytes, NUL-terminated) into lowercased entries; fills list or returns an
   errno value. */
static int parse_entries(char *buf, size_t len, qr_common_passwords_t *list) {
    size_t lines = 1, i, n = 0;
    char *line, *end, *p;

    if (memchr(buf, '\0', len) != NULL) {
        return EINVAL;
    }
    for (i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            lines++;
        }
    }
    list->entries = calloc(lines, sizeof(*list->entries));
    if (list->entries == NULL) {
        return ENOMEM;
    }
    for (line = buf; line != NULL; line = end) {
        end = strchr(line, '\n');
        if (end != NULL) {
            *end++ = '\0';
        }
        p = line + strlen(line);
        if (p > line && p[-1] == '\r') {
            *--p = '\0';
        }
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        for (p = line; *p != '\0'; p++) {
            *p = (char)ascii_lower((unsigned char)*p);
        }
        list->entries[n++] = line;
    }
    if (n == 0) {
        return EINVAL;
    }
    list->count = n;
    qsort(list->entries, n, sizeof(*list->entries), compare_entries);
    return 0;
}

/* Loads the list file at path; returns a new list (free with qr_common_passwords_destroy()) or
   NULL with errno set. See account_rules.h. */
qr_common_passwords_t *qr_common_passwords_load(const char *path) {
    qr_common_passwords_t *list = NULL;
    FILE *fp = NULL;
    size_t len = 0;
    int err = 0;

    if (path == NULL) {
        err = EINVAL;
        goto out;
    }
    list = calloc(1, sizeof(*list));
    if (list == NULL) {
        err = ENOMEM;
        goto out;
    }
    fp = fopen(path, "rb");
    if (fp == NULL) {
        err = errno;
        goto out;
    }
    err = read_file(fp, &list->blob, &len);
    if (err != 0) {
        goto out;
    }
    err = parse_entries(list->blob, len, list);
out:
    if (fp != NULL) {
        fclose(fp);
    }
    if (err != 0) {
        qr_common_passwords_destroy(list);
        errno = err;
        return NULL;
    }
    return list;
}

qr_common_passwords_t *qr_common_passwords_load_mem(const char *data, size_t len) {
    qr_common_passwords_t *list = calloc(1, sizeof(*list));
    int err = ENOMEM;
    if (list != NULL && (list->blob = malloc(len + 1)) != NULL) {
        memcpy(list->blob, data, len);
        list->blob[len] = '\0';
        err = parse_entries(list->blob, len, list);
    }
    if (err != 0) {
        qr_common_passwords_destroy(list);
        errno = err;
        return NULL;
    }
    return list;
}

/* Frees a list; accepts NULL. */
void qr_common_passwords_destroy(qr_common_passwords_t *list) {
    if (list == NULL) {
        return;
    }
    free(list->entries);
    free(list->blob);
    free(list);
}

/* 1 if password is on the list (ASCII case-insensitive), else 0; NULL list or password gives 0. */
int qr_common_passwords_contains(const qr_common_passwords_t *list, const char *password) {
    if (list == NULL || password == NULL) {
        return 0;
    }
    return bsearch(password, list->entries, list->count, sizeof(*list->entries), compare_key) !=
           NULL;
}

/* 1 if needle occurs in haystack, ignoring ASCII case. */
static int contains_ascii_nocase(const char *haystack, const char *needle) {
    size_t hlen = strlen(haystack), nlen = strlen(needle), i, j;

    for (i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
        for (j = 0; j < nlen; j++) {
            if (ascii_lower((unsigned char)haystack[i + j]) !=
                ascii_lower((unsigned char)needle[j])) {
                break;
            }
        }
        if (j == nlen) {
            return 1;
        }
    }
    return 0;
}

/* 1 if password, without the digits and symbols it begins or ends with, is a common password
   of at least QR_COMMON_CORE_MIN characters ("Password1!", "!Qwerty123"): the usual way to
   meet the composition rules with a common password, so the list alone would rarely match. */
static int ascii_alpha(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int common_core(const qr_common_passwords_t *list, const char *password) {
    char core[QR_PASSWORD_MAX_LEN + 1];
    size_t n = strlen(password), a = 0, b = n;
    if (list == NULL || n > QR_PASSWORD_MAX_LEN) {
        return 0;
    }
    while (a < b && !ascii_alpha((unsigned char)password[a])) {
        a++;
    }
    while (b > a && !ascii_alpha((unsigned char)password[b - 1])) {
        b--;
    }
    if ((a == 0 && b == n) || b - a < QR_COMMON_CORE_MIN) {
        return 0;
    }
    memcpy(core, password + a, b - a);
    core[b - a] = '\0';
    return qr_common_passwords_contains(list, core);
}

/* AUTH-2: returns 0 if password is acceptable, else -1 with the first broken rule in msg. */
int qr_password_check(const char *password, const char *username, const qr_common_passwords_t *list,
                      char *msg, size_t msglen) {
    const unsigned char *p;
    int printable = 1, upper = 0, lower = 0, digit = 0, symbol = 0;
    size_t chars = 0;

    if (password == NULL) {
        password = "";
    }
    for (p = (const unsigned char *)password; *p != '\0'; p++) {
        if ((*p & 0xC0) != 0x80) {
            chars++; /* count characters, not bytes, so that non-ASCII is reported as such */
        }
        if (*p < 0x20 || *p > 0x7E) {
            printable = 0;
        } else if (*p >= 'A' && *p <= 'Z') {
            upper = 1;
        } else if (*p >= 'a' && *p <= 'z') {
            lower = 1;
        } else if (*p >= '0' && *p <= '9') {
            digit = 1;
        } else if (*p != ' ') {
            symbol = 1; /* every other printable ASCII character is in PASSWORD_SYMBOLS */
        }
    }
    if (chars < QR_PASSWORD_MIN_LEN) {
        return fail(msg, msglen, "password must be at least %d characters long",
                    QR_PASSWORD_MIN_LEN);
    }
    if (chars > QR_PASSWORD_MAX_LEN) {
        return fail(msg, msglen, "password must be at most %d characters long",
                    QR_PASSWORD_MAX_LEN);
    }
    if (!printable) {
        return fail(msg, msglen,
                    "password must contain only ASCII letters, digits, symbols and spaces");
    }
    if (!upper) {
        return fail(msg, msglen, "password must contain at least one upper-case letter");
    }
    if (!lower) {
        return fail(msg, msglen, "password must contain at least one lower-case letter");
    }
    if (!digit) {
        return fail(msg, msglen, "password must contain at least one digit");
    }
    if (!symbol) {
        return fail(msg, msglen, "password must contain at least one symbol from %s",
                    PASSWORD_SYMBOLS);
    }
    if (username != NULL && username[0] != '\0' && contains_ascii_nocase(password, username)) {
        return fail(msg, msglen, "password must not contain the username");
    }
    if (qr_common_passwords_contains(list, password)) {
        return fail(msg, msglen,
                    "password is too common: it is on the list of the most common "
                    "passwords");
    }
    if (common_core(list, password)) {
        return fail(msg, msglen,
                    "password is too common: it is a common password with digits or symbols "
                    "added before or after it");
    }
    return ok(msg, msglen);
}

/* AUTH-3: returns 0 if username is acceptable, else -1 with the first broken rule in msg. */
int qr_username_check(const char *username, char *msg, size_t msglen) {
    const char *s = username != NULL ? username : "";
    size_t len = strlen(s), count = 0, i = 0, step;
    char what[16];
    uint32_t cp;

    if (utf8_count(s, len, &count) != 0) {
        return fail(msg, msglen, "username is not valid UTF-8");
    }
    if (count < QR_USERNAME_MIN_LEN || count > QR_USERNAME_MAX_LEN) {
        return fail(msg, msglen, "username must be %d to %d characters long", QR_USERNAME_MIN_LEN,
                    QR_USERNAME_MAX_LEN);
    }
    while (i < len) {
        step = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (cp < 0x80 && strchr(USERNAME_FORBIDDEN, (int)cp) != NULL) {
            describe_char(cp, s + i, step, what, sizeof(what));
            return fail(msg, msglen, "username contains %s: the characters %s are not allowed",
                        what, USERNAME_FORBIDDEN_TEXT);
        }
        if (is_invisible(cp)) {
            describe_char(cp, s + i, step, what, sizeof(what));
            return fail(msg, msglen,
                        "username contains %s: control characters, spaces and invisible "
                        "characters are not allowed",
                        what);
        }
        i += step;
    }
    return ok(msg, msglen);
}

/* AUTH-4: returns 0 if the first or last name is acceptable, else -1 with the first broken rule
   in msg, which begins with field. */
int qr_name_check(const char *field, const char *name, char *msg, size_t msglen) {
    const char *s = name != NULL ? name : "";
    size_t len = strlen(s), count = 0, i = 0, step;
    int prev_space = 0, prev_base = 0; /* prev_base: last char was a letter or its mark */
    char what[16];
    uint32_t cp;

    if (field == NULL) {
        field = "name";
    }
    if (utf8_count(s, len, &count) != 0) {
        return fail(msg, msglen, "%s is not valid UTF-8", field);
    }
    if (count < QR_NAME_MIN_LEN) {
        return fail(msg, msglen, "%s must not be empty", field);
    }
    if (count > QR_NAME_MAX_LEN) {
        return fail(msg, msglen, "%s must be at most %d characters long", field, QR_NAME_MAX_LEN);
    }
    while (i < len) {
        step = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (cp == ' ') {
            if (i == 0) {
                return fail(msg, msglen, "%s must not begin with a space", field);
            }
            if (prev_space) {
                return fail(msg, msglen, "%s must not contain two spaces in a row", field);
            }
            prev_space = 1;
            prev_base = 0;
        } else if (cp < 0x80 && strchr(NAME_SYMBOLS, (int)cp) != NULL) {
            prev_space = 0;
            prev_base = 0;
        } else if (is_mark(cp)) {
            if (!prev_base) {
                describe_char(cp, s + i, step, what, sizeof(what));
                return fail(msg, msglen, "%s contains %s: a combining mark must follow a letter",
                            field, what);
            }
            prev_space = 0;
        } else if (is_letter(cp)) {
            prev_space = 0;
            prev_base = 1;
        } else {
            describe_char(cp, s + i, step, what, sizeof(what));
            return fail(msg, msglen,
                        "%s contains %s: only letters, inner spaces and %s are allowed", field,
                        what, NAME_SYMBOLS_TEXT);
        }
        i += step;
    }
    if (prev_space) {
        return fail(msg, msglen, "%s must not end with a space", field);
    }
    return ok(msg, msglen);
}
