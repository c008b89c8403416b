/* SPDX-License-Identifier: Apache-2.0 */
/* quire: trusted-proxy prefixes and the X-Forwarded-For walk. Addresses are compared as
 * 16-byte IPv6 values, IPv4 as IPv4-mapped (::ffff:a.b.c.d), so one code path serves both. */
#include "http/forwarded.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct prefix {
    unsigned char addr[16];
    int bits; /* 0..128, counted on the mapped form */
};

struct qr_netset {
    int n;
    struct prefix p[QR_NETSET_MAX];
};

static const unsigned char MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parses one address (no prefix length) into its 16-byte form; 1 if IPv4. -1 if not an
 * address. */
static int parse_addr(const char *s, unsigned char out[16]) {
    struct in_addr a4;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memcpy(out, MAPPED, 12);
        memcpy(out + 12, &a4, 4);
        return 1;
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        memcpy(out, a6.s6_addr, 16);
        return 0;
    }
    return -1;
}

static int in_prefix(const struct prefix *p, const unsigned char a[16]) {
    int full = p->bits / 8, rest = p->bits % 8;
    if (memcmp(p->addr, a, (size_t)full) != 0)
        return 0;
    if (!rest)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (p->addr[full] & mask) == (a[full] & mask);
}

qr_netset_t *qr_netset_create(const char *spec, char *err, size_t errlen) {
    qr_netset_t *s = qr_xcalloc(1, sizeof(*s));
    const char *p = spec ? spec : "";
    while (*p) {
        p += strspn(p, ", \t");
        size_t n = strcspn(p, ", \t");
        if (!n)
            break;
        char item[QR_ADDR_TEXT_MAX];
        if (n >= sizeof(item) || s->n == QR_NETSET_MAX) {
            snprintf(err, errlen,
                     n >= sizeof(item) ? "trusted_proxies: entry '%.40s...' is too long"
                                       : "trusted_proxies: more than 64 entries (at '%.40s')",
                     p);
            goto bad;
        }
        memcpy(item, p, n);
        item[n] = '\0';
        p += n;
        char *slash = strchr(item, '/');
        long bits = -1;
        if (slash) {
            *slash = '\0';
            char *end;
            bits = strtol(slash + 1, &end, 10);
            if (slash[1] < '0' || slash[1] > '9' || *end)
                bits = -2;
        }
        struct prefix *pr = &s->p[s->n];
        int v4 = parse_addr(item, pr->addr);
        long max = v4 == 1 ? 32 : 128;
        if (v4 < 0 || bits < -1 || bits > max) {
            if (slash)
                *slash = '/';
            snprintf(err, errlen,
                     "trusted_proxies: '%s' is not an IPv4 or IPv6 address or prefix "
                     "(like 10.0.0.5, 10.0.0.0/8 or 2001:db8::/32)",
                     item);
            goto bad;
        }
        pr->bits = (int)(bits < 0 ? 128 : (v4 == 1 ? bits + 96 : bits));
        s->n++;
    }
    return s;
bad:
    free(s);
    return NULL;
}

void qr_netset_destroy(qr_netset_t *s) {
    free(s);
}

int qr_netset_is_empty(const qr_netset_t *s) {
    return !s || s->n == 0;
}

static int contains(const qr_netset_t *s, const unsigned char a[16]) {
    for (int i = 0; s && i < s->n; i++)
        if (in_prefix(&s->p[i], a))
            return 1;
    return 0;
}

int qr_netset_contains(const qr_netset_t *s, const char *addr) {
    unsigned char a[16];
    return parse_addr(addr, a) >= 0 && contains(s, a);
}

/* Canonical text of a 16-byte address: IPv4 for the mapped range. */
static void addr_text(const unsigned char a[16], char *out, size_t outlen) {
    char buf[INET6_ADDRSTRLEN];
    const char *t = memcmp(a, MAPPED, 12) == 0 ? inet_ntop(AF_INET, a + 12, buf, sizeof(buf))
                                               : inet_ntop(AF_INET6, a, buf, sizeof(buf));
    snprintf(out, outlen, "%s", t ? t : "unknown");
}

/* One X-Forwarded-For entry, trimmed; brackets and a port are allowed around IPv6
 * ("[2001:db8::1]:443") and a port after IPv4 ("192.0.2.1:5000"), as some proxies write
 * them. Returns -1 if it is not an address. */
static int parse_entry(const char *p, size_t n, unsigned char out[16]) {
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    char item[QR_ADDR_TEXT_MAX];
    if (!n || n >= sizeof(item))
        return -1;
    memcpy(item, p, n);
    item[n] = '\0';
    char *s = item;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (!close || (close[1] && close[1] != ':'))
            return -1;
        *close = '\0';
        s++;
    } else {
        char *colon = strchr(s, ':');
        if (colon && !strchr(colon + 1, ':'))
            *colon = '\0'; /* IPv4 with a port */
    }
    return parse_addr(s, out) < 0 ? -1 : 0;
}

void qr_forwarded_client(const qr_netset_t *trusted, const char *peer, const char *xff, char *out,
                         size_t outlen) {
    unsigned char cur[16];
    if (parse_addr(peer, cur) < 0) {
        snprintf(out, outlen, "%s", peer);
        return;
    }
    if (xff && contains(trusted, cur)) {
        /* Walk from the right: each hop was written by the one after it, which we trust. */
        size_t end = strlen(xff);
        for (int hops = 0; end > 0 && hops < QR_FORWARDED_MAX_HOPS && contains(trusted, cur);
             hops++) {
            size_t start = end;
            while (start > 0 && xff[start - 1] != ',')
                start--;
            unsigned char a[16];
            if (parse_entry(xff + start, end - start, a) < 0)
                break;
            memcpy(cur, a, 16);
            end = start ? start - 1 : 0;
        }
    }
    addr_text(cur, out, outlen);
}
