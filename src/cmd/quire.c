/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the admin CLI. Exit status 0 on success, 1 on failure, 2 on bad usage (one line on
 * stderr). */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth/account.h"
#include "auth/keyring.h"
#include "cmd/app.h"
#include "core/log.h"
#include "core/mem.h"
#include "print/dnssd.h"
#include "store/audit.h"
#include "store/backup.h"
#include "tenancy/org.h"
#include "tenancy/user.h"

static int usage(FILE *f, int rc) {
    fprintf(f, "usage: quire [--config FILE] COMMAND\n"
               "commands:\n"
               "  bootstrap [--username NAME] [--json]\n"
               "      create the root provider and its first admin if the database is empty,\n"
               "      and print the one-time password (as JSON with --json)\n"
               "  keys rotate\n"
               "      create a new token signing key; the old one stays valid until the\n"
               "      tokens it signed expire (running servers switch within a minute)\n"
               "  backup [--dir DIR]\n"
               "      write an encrypted backup of the database and the documents into DIR\n"
               "      (default: backup_dir) and print its path; quired may keep running\n"
               "  restore FILE\n"
               "      replace the database and the documents with those of backup FILE;\n"
               "      stop every server first, and keep the installation's master.key in\n"
               "      the data directory (backups are encrypted with it)\n"
               "  audit verify [--org ID]\n"
               "      check the audit log's hash chain of every organization (or of one):\n"
               "      prints a line per organization and the first broken link; exit 1 if\n"
               "      a link is broken\n"
               "  user reset-password --org SLUG --user NAME [--json]\n"
               "      give a user a one-time password (printed once, replaced at the first\n"
               "      sign-in), unlock the account and end its sessions: for when the server\n"
               "      sends no mail\n"
               "  user duplicates\n"
               "      list the accounts whose usernames are the same but for case or Unicode\n"
               "      form (made before such names were refused): org, username, id, created\n"
               "  dnssd records ORG [--domain DOMAIN] [--name NAME]\n"
               "      print the DNS-SD records (zone file fragment) that make the IPP queue\n"
               "      discoverable in organization ORG's DNS zone (names relative to the zone,\n"
               "      or under DOMAIN); the SRV record points at public_url's host and port\n"
               "  dnssd mobileconfig ORG [--name NAME]\n"
               "      print an Apple configuration profile with an AirPrint payload for the\n"
               "      queue (iOS, iPadOS, macOS)\n");
    return rc;
}

static void json_string_out(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

/* Opens the context as quired would (without TLS); prints the reason on failure. */
static int open_app(qr_ctx_t *ctx, qr_config_t *cfg, const char *config_path, qr_err_t *err) {
    if (qr_app_open(ctx, cfg, config_path, 0, err) == QR_OK)
        return 0;
    fprintf(stderr, "quire: %s\n", err->msg);
    return -1;
}

/* Closes what open_app opened, also after it failed halfway. */
static void close_app(qr_ctx_t *ctx, qr_config_t *cfg) {
    if (ctx->cfg)
        qr_app_close(ctx, cfg);
    else
        qr_config_free(cfg);
}

static int cmd_bootstrap(const char *config_path, int argc, char **argv) {
    const char *username = "admin";
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--username") == 0 && i + 1 < argc)
            username = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "quire bootstrap: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    int rc = 1;
    char *org_id = NULL, *password = NULL;
    if (open_app(&ctx, &cfg, config_path, &err)) {
        rc = err.status == QR_E_INVALID ? 2 : 1;
        goto out;
    }
    if (qr_org_bootstrap(&ctx, username, &org_id, &password, &err)) {
        fprintf(stderr, "quire: %s\n", err.msg);
        rc = err.status == QR_E_INVALID ? 2 : 1;
        goto out;
    }
    if (!password) {
        fprintf(stderr, "quire: already bootstrapped: the database has a root organization\n");
        goto out;
    }
    if (json) {
        printf("{\"org_id\":\"%s\",\"org_slug\":\"root\",\"username\":", org_id);
        json_string_out(username);
        printf(",\"password\":");
        json_string_out(password);
        printf("}\n");
    } else {
        printf("organization: root\nusername: %s\npassword: %s\n", username, password);
    }
    rc = 0;
out:
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    free(org_id);
    close_app(&ctx, &cfg);
    return rc;
}

static int cmd_keys(const char *config_path, int argc, char **argv) {
    if (argc != 1 || strcmp(argv[0], "rotate") != 0) {
        fprintf(stderr, "quire keys: expected 'rotate'\n");
        return 2;
    }
    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    char kid[33] = "";
    int rc = 1;
    if (open_app(&ctx, &cfg, config_path, &err)) {
        rc = err.status == QR_E_INVALID ? 2 : 1;
    } else if (qr_keyring_rotate(&ctx, kid, &err)) {
        fprintf(stderr, "quire: %s\n", err.msg);
    } else {
        printf("new signing key %s\n", kid);
        rc = 0;
    }
    close_app(&ctx, &cfg);
    return rc;
}

static int cmd_backup(const char *config_path, int argc, char **argv) {
    const char *dir = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else {
            fprintf(stderr, "quire backup: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    char *path = NULL;
    int rc = 1;
    if (open_app(&ctx, &cfg, config_path, &err)) {
        rc = err.status == QR_E_INVALID ? 2 : 1;
    } else if (qr_backup_create(&ctx, dir ? dir : cfg.backup_dir, qr_clock_now(ctx.clock), &path,
                                &err)) {
        fprintf(stderr, "quire: %s\n", err.msg);
    } else {
        printf("%s\n", path);
        rc = 0;
    }
    free(path);
    close_app(&ctx, &cfg);
    return rc;
}

/* Restores without opening the database the usual way: it is about to be replaced. */
static int cmd_restore(const char *config_path, int argc, char **argv) {
    if (argc != 1 || argv[0][0] == '-') {
        fprintf(stderr, "quire restore: expected the path of one backup file\n");
        return 2;
    }
    qr_config_t cfg;
    qr_keys_t keys;
    qr_err_t err = {QR_OK, NULL, ""};
    int rc = 1;
    char *key_path = NULL;
    struct stat sb;
    if (qr_config_load(&cfg, config_path, err.msg, sizeof(err.msg)) != 0) {
        fprintf(stderr, "quire: %s\n", err.msg);
        qr_config_free(&cfg);
        return 2;
    }
    qr_log_set_level(QR_LOG_WARN);
    key_path = qr_xasprintf("%s/master.key", cfg.data_dir);
    if (stat(key_path, &sb) != 0) {
        fprintf(stderr,
                "quire: %s is missing: copy the master.key of the installation the backup "
                "came from there first (backups are encrypted with it)\n",
                key_path);
    } else if (qr_keys_load(&keys, key_path, &err) ||
               qr_backup_restore(&cfg, &keys, argv[0], &err)) {
        fprintf(stderr, "quire: %s\n", err.msg);
        rc = err.status == QR_E_INVALID || err.status == QR_E_NOT_FOUND ? 2 : 1;
    } else {
        printf("restored %s into %s; start quired\n", argv[0], cfg.data_dir);
        rc = 0;
    }
    OPENSSL_cleanse(&keys, sizeof(keys));
    free(key_path);
    qr_config_free(&cfg);
    return rc;
}

/* One line per org of `quire audit verify`. */
static void audit_line(const qr_audit_chain_t *ch, void *arg) {
    (void)arg;
    if (ch->broken) {
        char when[32] = "";
        time_t t = (time_t)ch->bad_time;
        struct tm tm;
        if (gmtime_r(&t, &tm))
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("org %s: BROKEN at entry %lld (time %lld = %s, action %s): %s; %lld entries "
               "before it hold\n",
               ch->org_id, ch->bad_id, ch->bad_time, when, ch->bad_action, ch->why, ch->checked);
    } else if (ch->unchained) {
        printf("org %s: %lld entries predate the hash chain (chained at the org's next audit "
               "event)\n",
               ch->org_id, ch->unchained);
    } else {
        printf("org %s: %lld entries checked, chain intact, head %s\n", ch->org_id, ch->checked,
               ch->head[0] ? ch->head : "-");
    }
}

static int cmd_audit(const char *config_path, int argc, char **argv) {
    const char *org_id = NULL;
    if (argc < 1 || strcmp(argv[0], "verify") != 0) {
        fprintf(stderr, "quire audit: expected 'verify [--org ID]'\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--org") == 0 && i + 1 < argc && !org_id) {
            org_id = argv[++i];
        } else {
            fprintf(stderr, "quire audit verify: unknown argument '%s' (expected --org ID)\n",
                    argv[i]);
            return 2;
        }
    }
    if (org_id && !qr_id_is_valid(org_id)) {
        fprintf(stderr, "quire audit verify: '%s' is not an organization id (32 hex digits)\n",
                org_id);
        return 2;
    }
    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    int rc = 1, broken = 0;
    if (open_app(&ctx, &cfg, config_path, &err)) {
        close_app(&ctx, &cfg);
        return err.status == QR_E_INVALID ? 2 : 1;
    }
    qr_status_t st = qr_audit_verify(ctx.db, org_id, audit_line, NULL, &broken);
    if (st == QR_E_NOT_FOUND) {
        fprintf(stderr, "quire audit verify: no organization with id %s\n", org_id);
        rc = 2;
    } else if (st) {
        fprintf(stderr, "quire: could not read the audit log (see the log)\n");
    } else {
        if (broken)
            printf("audit chain broken in %d organization%s\n", broken, broken == 1 ? "" : "s");
        else
            printf("audit chain intact\n");
        rc = broken ? 1 : 0;
    }
    close_app(&ctx, &cfg);
    return rc;
}

/* `quire user reset-password --org SLUG --user NAME [--json]` (issue 13). */
static int cmd_user_reset(const char *config_path, int argc, char **argv) {
    const char *slug = NULL, *name = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
            slug = argv[++i];
        else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else {
            fprintf(stderr, "quire user reset-password: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!slug || !name || !*slug || !*name) {
        fprintf(stderr, "quire user reset-password: --org SLUG and --user NAME are required\n");
        return 2;
    }
    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_t u = {0};
    char *password = NULL;
    int rc = 1;
    if (open_app(&ctx, &cfg, config_path, &err)) {
        rc = err.status == QR_E_INVALID ? 2 : 1;
    } else if (qr_account_reset_by_operator(&ctx, slug, name, &u, &password, &err)) {
        fprintf(stderr, "quire: %s\n", err.msg);
    } else {
        if (json) {
            printf("{\"user_id\":\"%s\",\"username\":", u.id);
            json_string_out(u.username);
            printf(",\"password\":");
            json_string_out(password);
            printf(",\"active\":%s}\n", u.active ? "true" : "false");
        } else {
            printf("organization: %s\nusername: %s\none-time password: %s\n", slug, u.username,
                   password);
            printf("the user replaces it at the first sign-in; their sessions have ended\n");
            if (!u.active)
                printf("note: the account is not active; an admin of the organization must "
                       "activate it\n");
        }
        rc = 0;
    }
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    qr_user_clear(&u);
    close_app(&ctx, &cfg);
    return rc;
}

/* `quire user duplicates`: the legacy accounts whose usernames collide (AUTH-3, issue 13). */
static int cmd_user_duplicates(const char *config_path, int argc, char **argv) {
    if (argc != 0) {
        fprintf(stderr, "quire user duplicates: unknown argument '%s'\n", argv[0]);
        return 2;
    }
    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_user_dup_t *v = NULL;
    size_t n = 0;
    int rc = 1;
    if (open_app(&ctx, &cfg, config_path, &err)) {
        rc = err.status == QR_E_INVALID ? 2 : 1;
    } else if (qr_user_list_duplicates(&ctx, &v, &n, &err)) {
        fprintf(stderr, "quire: %s\n", err.msg);
    } else {
        /* One line per account: org slug, username, id, created (epoch seconds); the
         * accounts of one colliding name follow each other, oldest first. */
        for (size_t i = 0; i < n; i++)
            printf("%s\t%s\t%s\t%lld\n", v[i].org_slug, v[i].user.username, v[i].user.id,
                   v[i].user.created_at);
        if (n == 0)
            fprintf(stderr, "quire: no usernames collide\n");
        rc = 0;
    }
    qr_user_dup_list_free(v, n);
    close_app(&ctx, &cfg);
    return rc;
}

static int cmd_user(const char *config_path, int argc, char **argv) {
    if (argc >= 1 && strcmp(argv[0], "reset-password") == 0)
        return cmd_user_reset(config_path, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "duplicates") == 0)
        return cmd_user_duplicates(config_path, argc - 1, argv + 1);
    fprintf(stderr, "quire user: expected 'reset-password' or 'duplicates'\n");
    return 2;
}

/* What `quire dnssd` was asked for. */
struct dnssd_args {
    int records; /* records (1) or mobileconfig (0) */
    const char *slug, *domain, *name;
};

/* Parses `records|mobileconfig ORG [--domain DOMAIN] [--name NAME]`; 0, or 2 after one line on
 * stderr. */
static int dnssd_parse(int argc, char **argv, struct dnssd_args *a) {
    memset(a, 0, sizeof(*a));
    a->records = argc >= 1 && strcmp(argv[0], "records") == 0;
    if (argc < 2 || (!a->records && strcmp(argv[0], "mobileconfig") != 0)) {
        fprintf(stderr, "quire dnssd: expected 'records ORG' or 'mobileconfig ORG'\n");
        return 2;
    }
    a->slug = argv[1];
    for (int i = 2; i < argc; i++) {
        if (a->records && strcmp(argv[i], "--domain") == 0 && i + 1 < argc && !a->domain)
            a->domain = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && !a->name)
            a->name = argv[++i];
        else {
            fprintf(stderr, "quire dnssd %s: unknown argument '%s'\n", argv[0], argv[i]);
            return 2;
        }
    }
    size_t dl = a->domain ? strlen(a->domain) : 0;
    if (a->domain && (dl == 0 || dl > 200 || a->domain[0] == '.' || a->domain[dl - 1] == '.' ||
                      strspn(a->domain, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-.") != dl)) {
        fprintf(stderr, "quire dnssd records: --domain must be a DNS name such as example.com "
                        "(letters, digits, '-' and '.', no trailing dot)\n");
        return 2;
    }
    if (a->name && (!*a->name || strlen(a->name) > QR_DNSSD_LABEL_MAX)) {
        fprintf(stderr, "quire dnssd: --name must have 1 to %d bytes\n", QR_DNSSD_LABEL_MAX);
        return 2;
    }
    return 0;
}

/* `quire dnssd records|mobileconfig ORG [--domain DOMAIN] [--name NAME]` (issue 15): what an
 * operator publishes so that a customer's computers and phones find the cloud queue. */
static int cmd_dnssd(const char *config_path, int argc, char **argv) {
    struct dnssd_args a;
    if (dnssd_parse(argc, argv, &a))
        return 2;
    qr_ctx_t ctx;
    qr_config_t cfg;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_dnssd_txt_t txt = {NULL, 0};
    char org_id[QR_ID_LEN + 1], *org_name = NULL, *instance = NULL, *out = NULL;
    int rc = 1;
    if (open_app(&ctx, &cfg, config_path, &err)) {
        rc = err.status == QR_E_INVALID ? 2 : 1;
        goto out;
    }
    if (qr_org_find_by_slug(&ctx, a.slug, org_id, &org_name, &err)) {
        fprintf(stderr, "quire dnssd: %s\n", err.msg);
        rc = err.status == QR_E_INVALID || err.status == QR_E_NOT_FOUND ? 2 : 1;
        goto out;
    }
    instance = a.name ? qr_xstrdup(a.name) : qr_xasprintf("%s Secure Print", org_name);
    if (a.records && !qr_dnssd_txt_build(&ctx, &txt, &err))
        out = qr_dnssd_zone(&ctx, instance, a.domain, &txt, &err);
    else if (!a.records)
        out = qr_dnssd_mobileconfig(&ctx, instance, org_id, &err);
    if (!out) {
        fprintf(stderr, "quire dnssd: %s\n", err.msg);
        goto out;
    }
    if (a.records)
        printf("; DNS-SD records of the quire print queue for '%s' (%s): add them to %s%s\n",
               org_name, a.slug, a.domain ? "the DNS zone " : "the organization's DNS zone",
               a.domain ? a.domain : " (names relative to its origin)");
    fputs(out, stdout);
    rc = 0;
out:
    free(out);
    free(instance);
    free(org_name);
    qr_dnssd_txt_clear(&txt);
    close_app(&ctx, &cfg);
    return rc;
}

int main(int argc, char **argv) {
    const char *config_path = NULL;
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
        config_path = argv[i + 1];
        i += 2;
    }
    if (i >= argc)
        return usage(stderr, 2);
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "help") == 0)
        return usage(stdout, 0);
    if (strcmp(argv[i], "bootstrap") == 0)
        return cmd_bootstrap(config_path, argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "keys") == 0)
        return cmd_keys(config_path, argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "backup") == 0)
        return cmd_backup(config_path, argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "restore") == 0)
        return cmd_restore(config_path, argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "audit") == 0)
        return cmd_audit(config_path, argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "user") == 0)
        return cmd_user(config_path, argc - i - 1, argv + i + 1);
    if (strcmp(argv[i], "dnssd") == 0)
        return cmd_dnssd(config_path, argc - i - 1, argv + i + 1);
    fprintf(stderr, "quire: unknown command '%s' (try --help)\n", argv[i]);
    return 2;
}
