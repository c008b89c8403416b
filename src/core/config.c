/* SPDX-License-Identifier: Apache-2.0 */
/* quire: configuration file and environment overrides. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/mem.h"

enum kind { K_STR, K_INT, K_BOOL };

struct key {
    const char *name;
    enum kind kind;
    size_t offset;
    int min, max;
};

#define S(n)                                                                                       \
    { #n, K_STR, offsetof(qr_config_t, n), 0, 0 }
#define I(n, lo, hi)                                                                               \
    { #n, K_INT, offsetof(qr_config_t, n), lo, hi }
/* A switch: on/off (also 1/0, yes/no, true/false), stored as 1 or 0. */
#define B(n)                                                                                       \
    { #n, K_BOOL, offsetof(qr_config_t, n), 0, 1 }

static const struct key keys[] = {
    S(listen),
    I(port, 0, 65535),
    S(data_dir),
    S(database),
    S(tls_cert),
    S(tls_key),
    S(public_url),
    S(log_level),
    I(threads, 1, 256),
    I(hash_workers, 1, 256),
    I(hash_queue, 1, 100000),
    I(db_pool, 1, 1024),
    I(argon2_memory_kib, 8, 4194304),
    I(argon2_iterations, 1, 100),
    I(login_throttle_per_min, 1, 1000000),
    I(test_clock, 0, 1),
    S(smtp_url),
    S(smtp_user),
    S(smtp_password),
    S(smtp_from),
    S(smtp_ca_file),
    S(trusted_proxies),
    S(backup_dir),
    I(backup_interval_hours, 0, 8760),
    I(backup_keep_days, 1, 3650),
    S(metrics_token),
    I(max_job_mb, 1, 1048576),
    I(scan_workers, 0, 64),
    I(max_scan_mb, 1, 65536),
    I(scan_poll_ms, 10, 60000),
    B(dnssd),
    S(dnssd_name),
};

static int set_switch(int *field, const char *name, const char *value, char *err, size_t errlen) {
    static const char *const on[] = {"on", "1", "yes", "true"}, *const off[] = {"off", "0", "no",
                                                                                "false"};
    for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
        if (strcasecmp(value, on[i]) == 0 || strcasecmp(value, off[i]) == 0) {
            *field = strcasecmp(value, on[i]) == 0;
            return 0;
        }
    }
    snprintf(err, errlen, "%s must be on or off, not '%s'", name, value);
    return -1;
}

static int set_key(qr_config_t *cfg, const char *name, const char *value, char *err,
                   size_t errlen) {
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].name, name) != 0)
            continue;
        char *field = (char *)cfg + keys[i].offset;
        if (keys[i].kind == K_STR) {
            char **sp = (char **)field;
            free(*sp);
            *sp = qr_xstrdup(value);
            return 0;
        }
        if (keys[i].kind == K_BOOL)
            return set_switch((int *)field, name, value, err, errlen);
        char *end = NULL;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < keys[i].min || v > keys[i].max) {
            snprintf(err, errlen, "%s must be an integer from %d to %d, not '%s'", name,
                     keys[i].min, keys[i].max, value);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%s'", name);
    return -1;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int read_file(qr_config_t *cfg, const char *path, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open configuration file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';' || *s == '[')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *k = trim(s), *v = trim(eq + 1);
        char sub[512];
        if (set_key(cfg, k, v, sub, sizeof(sub)) != 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, sub);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int qr_config_load(qr_config_t *cfg, const char *path, char *err, size_t errlen) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->listen = qr_xstrdup("0.0.0.0");
    cfg->port = 8443;
    cfg->data_dir = qr_xstrdup("quire-data");
    cfg->log_level = qr_xstrdup("info");
    cfg->threads = 2;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfg->hash_workers = ncpu > 0 && ncpu < 256 ? (int)ncpu : 2;
    cfg->hash_queue = 64;
    cfg->db_pool = 8;
    cfg->argon2_memory_kib = 19456;
    cfg->argon2_iterations = 2;
    cfg->login_throttle_per_min = 20;
    cfg->test_clock = 0;
    cfg->smtp_url = qr_xstrdup("");
    cfg->smtp_user = qr_xstrdup("");
    cfg->smtp_password = qr_xstrdup("");
    cfg->smtp_from = qr_xstrdup("quire@localhost");
    cfg->smtp_ca_file = qr_xstrdup("");
    cfg->trusted_proxies = qr_xstrdup("");
    cfg->backup_interval_hours = 24;
    cfg->backup_keep_days = 7;
    cfg->metrics_token = qr_xstrdup("");
    cfg->max_job_mb = 1024;
    cfg->scan_workers = ncpu > 0 && ncpu < 64 ? (int)ncpu : 2;
    cfg->max_scan_mb = 256;
    cfg->scan_poll_ms = 1000;
    cfg->dnssd = 0;
    cfg->dnssd_name = qr_xstrdup("");

    if (!path)
        path = getenv("QUIRE_CONFIG");
    if (path && *path && read_file(cfg, path, err, errlen) != 0)
        return -1;

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        char env[64] = "QUIRE_";
        size_t n = strlen(env);
        for (const char *p = keys[i].name; *p && n < sizeof(env) - 1; p++)
            env[n++] = (char)toupper((unsigned char)*p);
        env[n] = '\0';
        const char *v = getenv(env);
        if (v && set_key(cfg, keys[i].name, v, err, errlen) != 0)
            return -1;
    }

    if (!cfg->database)
        cfg->database = qr_xasprintf("sqlite:%s/quire.db", cfg->data_dir);
    if (!cfg->tls_cert)
        cfg->tls_cert = qr_xasprintf("%s/tls/cert.pem", cfg->data_dir);
    if (!cfg->tls_key)
        cfg->tls_key = qr_xasprintf("%s/tls/key.pem", cfg->data_dir);
    if (!cfg->backup_dir)
        cfg->backup_dir = qr_xasprintf("%s/backups", cfg->data_dir);
    if (!cfg->public_url)
        cfg->public_url = qr_xasprintf("https://localhost:%d", cfg->port);
    return 0;
}

void qr_config_free(qr_config_t *cfg) {
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (keys[i].kind == K_STR) {
            char **sp = (char **)((char *)cfg + keys[i].offset);
            free(*sp);
            *sp = NULL;
        }
}
