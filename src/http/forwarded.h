/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the client's address behind trusted reverse proxies (X-Forwarded-For), for the
 * per-source login throttle and the audit log. A header is believed only as far as the
 * proxies that wrote it are trusted (configuration `trusted_proxies`). */
#ifndef QR_HTTP_FORWARDED_H
#define QR_HTTP_FORWARDED_H

#include <stddef.h>

#define QR_NETSET_MAX 64         /* prefixes in trusted_proxies */
#define QR_FORWARDED_MAX_HOPS 32 /* X-Forwarded-For entries looked at, from the right */
#define QR_ADDR_TEXT_MAX 64

typedef struct qr_netset qr_netset_t;

/* Parses a list of IPv4/IPv6 addresses and prefixes ("10.0.0.0/8, 2001:db8::/32 127.0.0.1"),
 * separated by commas and/or spaces; "" gives an empty set. Returns a new set (free with
 * qr_netset_destroy), or NULL with a one-line reason in err naming the bad entry. */
qr_netset_t *qr_netset_create(const char *spec, char *err, size_t errlen);
/* Frees s; accepts NULL. */
void qr_netset_destroy(qr_netset_t *s);
/* 1 if s holds no prefix. */
int qr_netset_is_empty(const qr_netset_t *s);
/* 1 if the textual address addr (IPv4, IPv6 or IPv4-mapped IPv6) lies in s. */
int qr_netset_contains(const qr_netset_t *s, const char *addr);

/* The client address of a request that reached us from peer (the socket's address), given
 * the X-Forwarded-For values (comma-separated, several headers joined by commas; NULL if
 * none). If peer is trusted, the list is walked from the right past trusted proxies; the
 * first untrusted address is the client (all trusted: the leftmost). An entry that is not
 * an address ends the walk at the last trusted hop. Writes a canonical text form to out. */
void qr_forwarded_client(const qr_netset_t *trusted, const char *peer, const char *xff, char *out,
                         size_t outlen);

#endif
