/* SPDX-License-Identifier: Apache-2.0 */
/* quire: DNS-SD for the IPP queue (issue 15): the `_ipps._tcp` service with its `_print` and
 * `_universal` subtypes and the IPP Everywhere / AirPrint TXT keys, read from the queue's own
 * Get-Printer-Attributes answer so that the two never disagree. Advertised on the local
 * network through Avahi when `dnssd` is on (an on-premises install), or written as a zone
 * file fragment that an operator publishes in a customer's DNS zone (the cloud). */
#ifndef QR_DNSSD_H
#define QR_DNSSD_H

#include <stddef.h>

#include "core/ctx.h"
#include "core/error.h"

/* The service type and the subtypes that IPP Everywhere and AirPrint clients browse. */
#define QR_DNSSD_TYPE "_ipps._tcp"
#define QR_DNSSD_SUBTYPE_PRINT "_print"
#define QR_DNSSD_SUBTYPE_UNIVERSAL "_universal"
/* A DNS label (the service instance name) is at most this many bytes. */
#define QR_DNSSD_LABEL_MAX 63
/* The instance name when dnssd_name is empty. */
#define QR_DNSSD_DEFAULT_NAME "quire Secure Print"

/* The TXT record: n strings "key=value" in a stable order (txtvers first). */
typedef struct qr_dnssd_txt {
    char **items;
    size_t n;
} qr_dnssd_txt_t;

/* Builds the TXT record from the queue's printer attributes (asked of print/ipp.c as an
 * anonymous Get-Printer-Attributes, as a client would): rp, ty, adminurl, note, pdl, URF (only
 * when urf-supported is there), Color, Duplex, PaperMax, kind, TLS, air, UUID, txtvers, qtotal.
 * Fills *out (free with qr_dnssd_txt_clear); QR_E_INTERNAL if the queue did not answer. */
qr_status_t qr_dnssd_txt_build(qr_ctx_t *ctx, qr_dnssd_txt_t *out, qr_err_t *err);
/* Frees the strings of a TXT record and zeroes it; accepts a zeroed one. */
void qr_dnssd_txt_clear(qr_dnssd_txt_t *t);
/* The value of key in t (case-insensitive key, as DNS-SD compares them), or NULL. */
const char *qr_dnssd_txt_get(const qr_dnssd_txt_t *t, const char *key);

/* The zone file fragment that makes the queue discoverable in a customer's DNS zone (RFC
 * 6763 wide-area DNS-SD): the browse-domain PTRs (b, lb), the service and subtype PTRs, SRV and
 * TXT for the instance named instance, whose SRV points at the host and port of the server's
 * public_url. Names are relative to the zone's origin, or absolute under domain if it is not
 * NULL. Returns a new string (caller frees), or NULL with err when public_url has no host name
 * usable as an SRV target (QR_E_INVALID). */
char *qr_dnssd_zone(qr_ctx_t *ctx, const char *instance, const char *domain,
                    const qr_dnssd_txt_t *txt, qr_err_t *err);

/* An Apple configuration profile (.mobileconfig, XML property list) with one AirPrint payload
 * for the queue at public_url's host and port (TLS forced, resource path ipp/print), named
 * after instance. uuid_seed makes the payload UUIDs stable for one org. Returns a new string
 * (caller frees), or NULL with err as qr_dnssd_zone. */
char *qr_dnssd_mobileconfig(qr_ctx_t *ctx, const char *instance, const char *uuid_seed,
                            qr_err_t *err);

typedef struct qr_dnssd qr_dnssd_t;

/* Starts advertising the queue on the local network through Avahi, on port (the port quired
 * listens on), if the dnssd setting is on; else returns NULL. Runs Avahi's threaded poll; when
 * the Avahi daemon is not running it logs one line and keeps waiting for it (quired goes on).
 * Free with qr_dnssd_stop. */
qr_dnssd_t *qr_dnssd_start(qr_ctx_t *ctx, int port);
/* Withdraws the advertisement and stops the thread. Accepts NULL. */
void qr_dnssd_stop(qr_dnssd_t *d);

#endif
