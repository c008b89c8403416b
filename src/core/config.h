/* SPDX-License-Identifier: Apache-2.0 */
/* quire: configuration. One file of `key = value` lines (# comments) plus environment
 * overrides QUIRE_<KEY>; every setting has a safe default (DESIGN rule 8). The keys are
 * documented in docs/configuration.md. */
#ifndef QR_CONFIG_H
#define QR_CONFIG_H

#include <stddef.h>

typedef struct qr_config {
    char *listen;          /* bind address, default 0.0.0.0 */
    int port;              /* default 8443 */
    char *data_dir;        /* default quire-data */
    char *database;        /* sqlite:PATH or postgresql://...; default sqlite:<data_dir>/quire.db */
    char *tls_cert;        /* PEM; default <data_dir>/tls/cert.pem (created if absent) */
    char *tls_key;         /* PEM; default <data_dir>/tls/key.pem (created if absent) */
    char *public_url;      /* token issuer; default https://localhost:<port> */
    char *log_level;       /* debug|info|warn|error */
    int threads;           /* HTTP worker threads, default 2 */
    int hash_workers;      /* Argon2id worker threads, default = number of CPUs */
    int hash_queue;        /* pending password checks before 503, default 64 */
    int db_pool;           /* database connections, default 8 */
    int argon2_memory_kib; /* default 19456 (OWASP) */
    int argon2_iterations; /* default 2 (OWASP) */
    int login_throttle_per_min; /* failed logins per source address per minute, default 20 */
    int test_clock;             /* 1 enables POST /_test/clock (tests only), default 0 */
    char *smtp_url;             /* smtp://host:port (STARTTLS required) or smtps://; "" = no mail */
    char *smtp_user;            /* SMTP login, "" = none */
    char *smtp_password;        /* SMTP password */
    char *smtp_from;            /* sender address, default quire@localhost */
    int max_job_mb;             /* largest print job accepted, default 1024 */
    char *smtp_ca_file;         /* CA bundle to verify the SMTP server, "" = system store */
    int scan_workers;           /* scan pipeline threads (one OCR engine each), default = CPUs */
    int max_scan_mb;            /* largest scanned file accepted, default 256 */
    int scan_poll_ms;           /* how often idle scan workers look for due work, default 1000 */
    char *trusted_proxies;      /* reverse proxies whose X-Forwarded-For is believed, "" = none */
    char *backup_dir;           /* where backups go; default <data_dir>/backups */
    int backup_interval_hours;  /* automatic backups, default 24; 0 = off */
    int backup_keep_days;       /* backups older than this are deleted, default 7 */
    char *metrics_token;        /* bearer token for GET /metrics; "" = loopback clients only */
    int dnssd;                  /* 1: advertise the IPP queue through Avahi (issue 15), default 0 */
    char *dnssd_name;           /* its DNS-SD instance name; "" = "quire Secure Print" */
} qr_config_t;

/* Fills cfg with defaults, then reads the file at path (NULL: $QUIRE_CONFIG if set, else no
 * file), then applies environment overrides. On error returns -1 and writes one line to
 * err. Free with qr_config_free. */
int qr_config_load(qr_config_t *cfg, const char *path, char *err, size_t errlen);
/* Frees the strings of a configuration. */
void qr_config_free(qr_config_t *cfg);

#endif
