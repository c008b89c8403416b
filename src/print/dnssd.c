/* SPDX-License-Identifier: Apache-2.0 */
/* quire: DNS-SD for the IPP queue: the TXT record read from the queue's printer attributes,
 * the zone file fragment and the configuration profile for the cloud, and the Avahi
 * advertisement for an on-premises install (Avahi's threaded poll). */
#include "print/dnssd.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>
#include <cups/cups.h>
#include <cups/ipp.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "crypto/random.h"
#include "print/ipp.h"
#include "print/ipp_private.h"

#define TXT_MAX 32             /* keys in the record */
#define TXT_VALUE_MAX 250      /* a TXT string is at most 255 bytes, key and '=' included */
#define TLS_VERSION "1.2"      /* the lowest TLS version quired accepts (http/tls.c) */
#define GPA_ANSWER_MAX 1048576 /* the printer's attributes, encoded */
#define OUT_MAX 65536          /* a zone fragment or a profile */

/* ---- the printer's attributes, asked as a client would ---- */

/* The queue's printer attributes: an anonymous Get-Printer-Attributes (all) through print/ipp.c.
 * Returns a new ipp_t (ippDelete), or NULL. */
static ipp_t *printer_attributes(qr_ctx_t *ctx) {
    ipp_t *req = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL,
                 "ipps://localhost" QR_IPP_PATH);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", NULL, "all");
    qr_buf_t enc;
    qr_buf_init(&enc, QR_IPP_ATTR_MAX);
    ipp_t *attrs = NULL;
    qr_ipp_t *x = NULL;
    if (ippWriteIO(&enc, qr__ipp_write_mem, 1, NULL, req) != IPP_STATE_DATA)
        goto out;
    x = qr_ipp_create(ctx, NULL, (long long)enc.len);
    if (qr_ipp_feed(x, enc.ptr, enc.len) == QR_IPP_MORE && qr_ipp_finish(x) != QR_IPP_ANSWER)
        goto out;
    size_t len = 0;
    const void *ans = qr_ipp_answer(x, &len, NULL);
    if (!ans || len > GPA_ANSWER_MAX)
        goto out;
    attrs = ippNew();
    qr__ipp_reader_t rd = {ans, len, 0};
    if (ippReadIO(&rd, qr__ipp_read_mem, 1, NULL, attrs) != IPP_STATE_DATA ||
        ippGetStatusCode(attrs) != IPP_STATUS_OK) {
        ippDelete(attrs);
        attrs = NULL;
    }
out:
    qr_ipp_destroy(x);
    qr_buf_free(&enc);
    ippDelete(req);
    return attrs;
}

static const char *attr_string(ipp_t *a, const char *name) {
    ipp_attribute_t *at = ippFindAttribute(a, name, IPP_TAG_ZERO);
    const char *s = at ? ippGetString(at, 0, NULL) : NULL;
    return s ? s : "";
}

/* The values of a multi-valued string attribute joined with ',', leaving out skip (may be
 * NULL); "" when it is absent. Writes into out. */
static void attr_join(ipp_t *a, const char *name, const char *skip, char *out, size_t outlen) {
    ipp_attribute_t *at = ippFindAttribute(a, name, IPP_TAG_ZERO);
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; at && i < ippGetCount(at); i++) {
        const char *v = ippGetString(at, i, NULL);
        if (!v || (skip && strcmp(v, skip) == 0))
            continue;
        int w = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", v);
        if (w < 0 || (size_t)w >= outlen - used) {
            out[used] = '\0'; /* a value that does not fit is left out whole */
            break;
        }
        used += (size_t)w;
    }
}

static int attr_has(ipp_t *a, const char *name, const char *prefix) {
    ipp_attribute_t *at = ippFindAttribute(a, name, IPP_TAG_ZERO);
    for (int i = 0; at && i < ippGetCount(at); i++) {
        const char *v = ippGetString(at, i, NULL);
        if (v && strncmp(v, prefix, strlen(prefix)) == 0)
            return 1;
    }
    return 0;
}

/* PaperMax (IPP Everywhere, PWG 5100.14 section 4.2.2) from the largest media-size-supported
 * length, in hundredths of mm. */
static const char *paper_max(ipp_t *a) {
    ipp_attribute_t *at = ippFindAttribute(a, "media-size-supported", IPP_TAG_BEGIN_COLLECTION);
    int longest = 0;
    for (int i = 0; at && i < ippGetCount(at); i++) {
        ipp_t *col = ippGetCollection(at, i);
        for (const char *dim = "x-dimension"; dim; dim = dim[0] == 'x' ? "y-dimension" : NULL) {
            ipp_attribute_t *d = ippFindAttribute(col, dim, IPP_TAG_INTEGER);
            if (d && ippGetInteger(d, 0) > longest)
                longest = ippGetInteger(d, 0);
        }
    }
    if (longest > 64800) /* ISO C2's long side */
        return ">isoC-A2";
    if (longest > 43180) /* tabloid's */
        return "isoC-A2";
    if (longest > 35560) /* legal's */
        return "tabloid-A3";
    return longest >= 29700 ? "legal-A4" : "<legal-A4";
}

static void txt_add(qr_dnssd_txt_t *t, const char *key, const char *value) {
    if (t->n >= TXT_MAX)
        return;
    t->items[t->n++] = qr_xasprintf("%s=%.*s", key, TXT_VALUE_MAX - (int)strlen(key), value);
}

static void txt_from_attributes(qr_dnssd_txt_t *t, ipp_t *a) {
    char buf[TXT_VALUE_MAX + 1];
    txt_add(t, "txtvers", "1");
    txt_add(t, "qtotal", "1");
    txt_add(t, "rp", QR_IPP_PATH + 1);
    txt_add(t, "ty", attr_string(a, "printer-make-and-model"));
    txt_add(t, "adminurl", attr_string(a, "printer-more-info"));
    txt_add(t, "note", attr_string(a, "printer-location"));
    attr_join(a, "document-format-supported", "application/octet-stream", buf, sizeof(buf));
    txt_add(t, "pdl", buf);
    if (ippFindAttribute(a, "urf-supported", IPP_TAG_ZERO)) {
        attr_join(a, "urf-supported", NULL, buf, sizeof(buf));
        txt_add(t, "URF", buf);
    }
    ipp_attribute_t *color = ippFindAttribute(a, "color-supported", IPP_TAG_BOOLEAN);
    txt_add(t, "Color", color && ippGetBoolean(color, 0) ? "T" : "F");
    txt_add(t, "Duplex", attr_has(a, "sides-supported", "two-sided") ? "T" : "F");
    txt_add(t, "PaperMax", paper_max(a));
    txt_add(t, "kind", "document");
    txt_add(t, "TLS", TLS_VERSION);
    txt_add(t, "air",
            attr_has(a, "uri-authentication-supported", "basic") ? "username,password" : "none");
    const char *uuid = attr_string(a, "printer-uuid");
    txt_add(t, "UUID", strncasecmp(uuid, "urn:uuid:", 9) == 0 ? uuid + 9 : uuid);
}

qr_status_t qr_dnssd_txt_build(qr_ctx_t *ctx, qr_dnssd_txt_t *out, qr_err_t *err) {
    out->items = qr_xcalloc(TXT_MAX, sizeof(char *));
    out->n = 0;
    ipp_t *a = printer_attributes(ctx);
    if (!a) {
        qr_dnssd_txt_clear(out);
        return qr_err_set(err, QR_E_INTERNAL, NULL,
                          "the IPP queue did not answer Get-Printer-Attributes");
    }
    txt_from_attributes(out, a);
    ippDelete(a);
    return QR_OK;
}

void qr_dnssd_txt_clear(qr_dnssd_txt_t *t) {
    for (size_t i = 0; t->items && i < t->n; i++)
        free(t->items[i]);
    free(t->items);
    t->items = NULL;
    t->n = 0;
}

const char *qr_dnssd_txt_get(const qr_dnssd_txt_t *t, const char *key) {
    size_t kl = strlen(key);
    for (size_t i = 0; i < t->n; i++)
        if (strncasecmp(t->items[i], key, kl) == 0 && t->items[i][kl] == '=')
            return t->items[i] + kl + 1;
    return NULL;
}

/* ---- the cloud: zone file fragment and configuration profile ---- */

/* The host and port of public_url (https://host[:port][/...]); 0 with err if it names no DNS
 * host name (an IP address cannot be an SRV target). */
static int public_host(qr_ctx_t *ctx, char *host, size_t hostlen, int *port, qr_err_t *err) {
    const char *u = ctx->cfg->public_url;
    const char *h = strstr(u, "://");
    h = h ? h + 3 : u;
    size_t n = strcspn(h, ":/?#");
    int numeric = n > 0;
    for (size_t i = 0; i < n; i++)
        numeric &= isdigit((unsigned char)h[i]) || h[i] == '.';
    if (n == 0 || n >= hostlen || h[0] == '[' || numeric) {
        qr_err_set(err, QR_E_INVALID, NULL,
                   "public_url (%s) must name the server by a DNS host name: the SRV record "
                   "points at a name, not an address",
                   u);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        host[i] = (char)tolower((unsigned char)h[i]);
    host[n] = '\0';
    *port = strncmp(u, "http://", 7) == 0 ? 80 : 443;
    if (h[n] == ':') {
        char *end = NULL;
        long p = strtol(h + n + 1, &end, 10);
        if (end != h + n + 1 && p > 0 && p < 65536)
            *port = (int)p;
    }
    return 1;
}

/* The bytes of s that fit in one DNS label: at most QR_DNSSD_LABEL_MAX, not ending inside a
 * UTF-8 sequence. */
static size_t label_len(const char *s) {
    size_t n = strlen(s);
    if (n > QR_DNSSD_LABEL_MAX) {
        n = QR_DNSSD_LABEL_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    return n;
}

/* Appends a DNS label in zone file syntax (RFC 1035 5.1): the characters with a meaning there
 * escaped with '\', others outside printable ASCII as \DDD; cut at QR_DNSSD_LABEL_MAX bytes,
 * not inside a UTF-8 sequence. */
static void zone_label(qr_buf_t *b, const char *s) {
    size_t n = label_len(s);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        if (c <= ' ' || c >= 0x7f)
            snprintf(e, sizeof(e), c == ' ' ? "\\ " : "\\%03u", c);
        else if (strchr(".\\\"();@$", c))
            snprintf(e, sizeof(e), "\\%c", c);
        else
            snprintf(e, sizeof(e), "%c", c);
        qr_buf_puts(b, e);
    }
}

/* Appends a TXT character string in quotes ('"' and '\' escaped, bytes outside printable
 * ASCII as \DDD). */
static void zone_string(qr_buf_t *b, const char *s) {
    qr_buf_puts(b, " \"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[8];
        if (c < ' ' || c >= 0x7f)
            snprintf(e, sizeof(e), "\\%03u", c);
        else if (c == '"' || c == '\\')
            snprintf(e, sizeof(e), "\\%c", c);
        else
            snprintf(e, sizeof(e), "%c", c);
        qr_buf_puts(b, e);
    }
    qr_buf_puts(b, "\"");
}

/* Appends a name below the zone: relative, or absolute under domain. */
static void zone_name(qr_buf_t *b, const char *instance, const char *rest, const char *domain) {
    if (instance) {
        zone_label(b, instance);
        qr_buf_puts(b, ".");
    }
    qr_buf_puts(b, rest);
    if (domain) {
        qr_buf_puts(b, ".");
        qr_buf_puts(b, domain);
        qr_buf_puts(b, ".");
    }
}

char *qr_dnssd_zone(qr_ctx_t *ctx, const char *instance, const char *domain,
                    const qr_dnssd_txt_t *txt, qr_err_t *err) {
    char host[256];
    int port = 0;
    if (!public_host(ctx, host, sizeof(host), &port, err))
        return NULL;
    qr_buf_t b;
    qr_buf_init(&b, OUT_MAX);
    static const char *const browse[] = {"b._dns-sd._udp", "lb._dns-sd._udp"};
    static const char *const ptrs[] = {QR_DNSSD_TYPE, QR_DNSSD_SUBTYPE_PRINT "._sub." QR_DNSSD_TYPE,
                                       QR_DNSSD_SUBTYPE_UNIVERSAL "._sub." QR_DNSSD_TYPE};
    for (size_t i = 0; i < sizeof(browse) / sizeof(browse[0]); i++) {
        zone_name(&b, NULL, browse[i], domain);
        qr_buf_puts(&b, " IN PTR ");
        qr_buf_puts(&b, domain ? domain : "@");
        qr_buf_puts(&b, domain ? ".\n" : "\n");
    }
    for (size_t i = 0; i < sizeof(ptrs) / sizeof(ptrs[0]); i++) {
        zone_name(&b, NULL, ptrs[i], domain);
        qr_buf_puts(&b, " IN PTR ");
        zone_name(&b, instance, QR_DNSSD_TYPE, domain);
        qr_buf_puts(&b, "\n");
    }
    char srv[320];
    snprintf(srv, sizeof(srv), " IN SRV 0 0 %d %s.\n", port, host);
    zone_name(&b, instance, QR_DNSSD_TYPE, domain);
    qr_buf_puts(&b, srv);
    zone_name(&b, instance, QR_DNSSD_TYPE, domain);
    qr_buf_puts(&b, " IN TXT");
    for (size_t i = 0; i < txt->n; i++)
        zone_string(&b, txt->items[i]);
    qr_buf_puts(&b, "\n");
    return qr_buf_take(&b);
}

/* Appends s with the XML special characters escaped. */
static void xml_text(qr_buf_t *b, const char *s) {
    for (; *s; s++) {
        const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (e)
            qr_buf_puts(b, e);
        else
            qr_buf_append(b, s, 1);
    }
}

/* A UUID (8-4-4-4-12 hex) derived from seed and what: stable for one org. */
static void stable_uuid(const char *seed, const char *what, char out[37]) {
    char hex[65];
    char *in = qr_xasprintf("quire dnssd %s %s", what, seed);
    qr_sha256_hex(in, strlen(in), hex);
    free(in);
    hex[12] = '5';                 /* version 5 layout (name-based) */
    hex[16] = "89ab"[hex[16] % 4]; /* RFC 4122 variant */
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    for (char *q = out; *q; q++)
        *q = (char)toupper((unsigned char)*q);
}

char *qr_dnssd_mobileconfig(qr_ctx_t *ctx, const char *instance, const char *uuid_seed,
                            qr_err_t *err) {
    char host[256], outer[37], inner[37], num[16];
    int port = 0;
    if (!public_host(ctx, host, sizeof(host), &port, err))
        return NULL;
    stable_uuid(uuid_seed, "profile", outer);
    stable_uuid(uuid_seed, "airprint", inner);
    snprintf(num, sizeof(num), "%d", port);
    qr_buf_t b;
    qr_buf_init(&b, OUT_MAX);
    qr_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
                    "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
                    "<plist version=\"1.0\">\n<dict>\n"
                    "  <key>PayloadContent</key>\n  <array>\n    <dict>\n"
                    "      <key>AirPrint</key>\n      <array>\n        <dict>\n"
                    "          <key>ForceTLS</key>\n          <true/>\n"
                    "          <key>IPAddress</key>\n          <string>");
    xml_text(&b, host);
    qr_buf_puts(&b, "</string>\n          <key>Port</key>\n          <integer>");
    qr_buf_puts(&b, num);
    qr_buf_puts(&b, "</integer>\n          <key>ResourcePath</key>\n          <string>");
    qr_buf_puts(&b, QR_IPP_PATH + 1);
    qr_buf_puts(&b, "</string>\n        </dict>\n      </array>\n"
                    "      <key>PayloadDisplayName</key>\n      <string>");
    xml_text(&b, instance);
    qr_buf_puts(&b, "</string>\n      <key>PayloadIdentifier</key>\n      <string>quire.airprint.");
    qr_buf_puts(&b, inner);
    qr_buf_puts(&b, "</string>\n      <key>PayloadType</key>\n      <string>com.apple.airprint"
                    "</string>\n      <key>PayloadUUID</key>\n      <string>");
    qr_buf_puts(&b, inner);
    qr_buf_puts(&b, "</string>\n      <key>PayloadVersion</key>\n      <integer>1</integer>\n"
                    "    </dict>\n  </array>\n  <key>PayloadDisplayName</key>\n  <string>");
    xml_text(&b, instance);
    qr_buf_puts(&b, "</string>\n  <key>PayloadIdentifier</key>\n  <string>quire.profile.");
    qr_buf_puts(&b, outer);
    qr_buf_puts(&b, "</string>\n  <key>PayloadType</key>\n  <string>Configuration</string>\n"
                    "  <key>PayloadUUID</key>\n  <string>");
    qr_buf_puts(&b, outer);
    qr_buf_puts(&b, "</string>\n  <key>PayloadVersion</key>\n  <integer>1</integer>\n"
                    "</dict>\n</plist>\n");
    return qr_buf_take(&b);
}

/* ---- the local network: Avahi ---- */

struct qr_dnssd {
    AvahiThreadedPoll *poll;
    AvahiClient *client;
    AvahiEntryGroup *group;
    char *name; /* the instance name; Avahi's alternative after a collision */
    AvahiStringList *txt;
    uint16_t port;
    int said_waiting; /* "Avahi is not running" was logged */
    int said_up;      /* "advertised" was logged since the records were last made */
};

static void client_cb(AvahiClient *c, AvahiClientState state, void *arg);

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg);

/* Adds the service and its subtypes to the entry group and commits it (on Avahi's thread). */
static void publish(qr_dnssd_t *d) {
    AvahiClient *c = d->client;
    if (!d->group && !(d->group = avahi_entry_group_new(c, group_cb, d))) {
        qr_log_warn("dnssd_failed", "Avahi refused the advertisement: %s",
                    avahi_strerror(avahi_client_errno(c)));
        return;
    }
    if (!avahi_entry_group_is_empty(d->group))
        return;
    d->said_up = 0;
    for (;;) {
        int e = avahi_entry_group_add_service_strlst(d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                     0, d->name, QR_DNSSD_TYPE, NULL, NULL, d->port,
                                                     d->txt);
        if (e == AVAHI_ERR_COLLISION) {
            char *alt = avahi_alternative_service_name(d->name);
            avahi_free(d->name);
            d->name = alt;
            avahi_entry_group_reset(d->group);
            continue;
        }
        static const char *const subs[] = {QR_DNSSD_SUBTYPE_PRINT "._sub." QR_DNSSD_TYPE,
                                           QR_DNSSD_SUBTYPE_UNIVERSAL "._sub." QR_DNSSD_TYPE};
        for (size_t i = 0; !e && i < sizeof(subs) / sizeof(subs[0]); i++)
            e = avahi_entry_group_add_service_subtype(d->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                                      0, d->name, QR_DNSSD_TYPE, NULL, subs[i]);
        if (!e)
            e = avahi_entry_group_commit(d->group);
        if (e)
            qr_log_warn("dnssd_failed", "Avahi refused the advertisement: %s", avahi_strerror(e));
        return;
    }
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *arg) {
    qr_dnssd_t *d = arg;
    if (state == AVAHI_ENTRY_GROUP_ESTABLISHED && !d->said_up) {
        d->said_up = 1;
        qr_log_info("dnssd_advertised", "the IPP queue is advertised as '%s' (%s, port %u)",
                    d->name, QR_DNSSD_TYPE, d->port);
    } else if (state == AVAHI_ENTRY_GROUP_COLLISION) {
        /* Another service on the network has the name: take Avahi's next one ("name #2"). */
        char *alt = avahi_alternative_service_name(d->name);
        avahi_free(d->name);
        d->name = alt;
        avahi_entry_group_reset(g);
        publish(d);
    } else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
        qr_log_warn("dnssd_failed", "the advertisement failed: %s",
                    avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))));
    }
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *arg) {
    qr_dnssd_t *d = arg;
    d->client = c; /* the callback may run before avahi_client_new returns */
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        d->said_waiting = 0;
        publish(d);
        break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
        /* The host name changes: the records are made again once it runs. */
        if (d->group)
            avahi_entry_group_reset(d->group);
        break;
    case AVAHI_CLIENT_CONNECTING:
        if (!d->said_waiting)
            qr_log_warn("dnssd_waiting", "the Avahi daemon is not running: the IPP queue is "
                                         "advertised once it starts");
        d->said_waiting = 1;
        break;
    case AVAHI_CLIENT_FAILURE:
        if (avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED) {
            /* The daemon went away: a new client waits for it to come back. */
            avahi_client_free(c);
            d->client = NULL;
            d->group = NULL;
            int e = 0;
            d->client = avahi_client_new(avahi_threaded_poll_get(d->poll), AVAHI_CLIENT_NO_FAIL,
                                         client_cb, d, &e);
            if (!d->client)
                qr_log_warn("dnssd_failed", "Avahi: %s: the IPP queue is not advertised",
                            avahi_strerror(e));
        } else {
            qr_log_warn("dnssd_failed", "Avahi: %s: the IPP queue is not advertised",
                        avahi_strerror(avahi_client_errno(c)));
        }
        break;
    default:
        break;
    }
}

qr_dnssd_t *qr_dnssd_start(qr_ctx_t *ctx, int port) {
    if (!ctx->cfg->dnssd)
        return NULL;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_dnssd_txt_t txt = {NULL, 0};
    if (qr_dnssd_txt_build(ctx, &txt, &err)) {
        qr_log_warn("dnssd_failed", "%s: the IPP queue is not advertised", err.msg);
        return NULL;
    }
    qr_dnssd_t *d = qr_xcalloc(1, sizeof(*d));
    d->txt = avahi_string_list_new_from_array((const char **)txt.items, (int)txt.n);
    qr_dnssd_txt_clear(&txt);
    const char *name = *ctx->cfg->dnssd_name ? ctx->cfg->dnssd_name : QR_DNSSD_DEFAULT_NAME;
    d->name = avahi_strndup(name, label_len(name));
    d->port = (uint16_t)port;
    int e = 0;
    d->poll = avahi_threaded_poll_new();
    if (d->poll)
        d->client = avahi_client_new(avahi_threaded_poll_get(d->poll), AVAHI_CLIENT_NO_FAIL,
                                     client_cb, d, &e);
    if (!d->poll || !d->client || avahi_threaded_poll_start(d->poll) < 0) {
        qr_log_warn("dnssd_failed", "Avahi cannot be used (%s): the IPP queue is not advertised",
                    avahi_strerror(e ? e : AVAHI_ERR_FAILURE));
        qr_dnssd_stop(d);
        return NULL;
    }
    return d;
}

void qr_dnssd_stop(qr_dnssd_t *d) {
    if (!d)
        return;
    if (d->poll)
        avahi_threaded_poll_stop(d->poll);
    if (d->client)
        avahi_client_free(d->client); /* withdraws the records with their entry group */
    if (d->poll)
        avahi_threaded_poll_free(d->poll);
    avahi_string_list_free(d->txt);
    avahi_free(d->name);
    free(d);
}
