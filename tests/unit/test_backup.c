/* SPDX-License-Identifier: Apache-2.0 */
/* quire: SEC-3 backups through the store module on a real SQLite database and data
 * directory: round trip, refusal of an altered file, the automatic turn and retention on
 * the injected clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"
#include "cmd/app.h"
#include "core/mem.h"
#include "store/backup.h"
#include "store/db.h"
#include "tenancy/org.h"

static qr_ctx_t ctx;
static qr_config_t cfg;
static char dir[] = "/tmp/quire-backup-XXXXXX";
static int opened;

static int open_app(void) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (qr_app_open(&ctx, &cfg, NULL, 0, &err)) {
        fprintf(stderr, "open: %s\n", err.msg);
        return -1;
    }
    qr_clock_freeze(ctx.clock);
    opened = 1;
    return 0;
}

static void close_app(void) {
    if (opened)
        qr_app_close(&ctx, &cfg);
    opened = 0;
}

static int setup(void **state) {
    (void)state;
    if (fixture_env(dir))
        return -1;
    setenv("QUIRE_BACKUP_INTERVAL_HOURS", "24", 1);
    setenv("QUIRE_BACKUP_KEEP_DAYS", "7", 1);
    if (open_app())
        return -1;
    qr_err_t err = {QR_OK, NULL, ""};
    char *org = NULL, *pw = NULL;
    if (qr_org_bootstrap(&ctx, "admin", &org, &pw, &err))
        return -1;
    free(org);
    free(pw);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    close_app();
    return fixture_remove(dir);
}

static void write_file(const char *rel, const char *content) {
    char *p = qr_xasprintf("%s/%s", dir, rel);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    char *cmd = qr_xasprintf("mkdir -p %s", p);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    *slash = '/';
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    free(p);
}

/* The file's content, or "" if it does not exist (caller frees). */
static char *read_file(const char *rel) {
    char *p = qr_xasprintf("%s/%s", dir, rel);
    char *s = qr_read_file(p, 1 << 20, NULL);
    free(p);
    return s ? s : qr_xstrdup("");
}

static char *admin_name(void) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    qr_dbres_t *r = NULL;
    assert_int_equal(
        qr_db_q(c, &r, NULL, "SELECT first_name FROM users WHERE username = ?", QR_TEXT("admin")),
        QR_OK);
    char *name = qr_xstrdup(qr_dbres_rows(r) == 1 ? qr_dbres_text(r, 0, 0) : "?");
    qr_dbres_free(r);
    qr_db_release(c);
    return name;
}

static void set_admin_name(const char *name) {
    qr_dbc_t *c = qr_db_acquire(ctx.db);
    assert_int_equal(qr_db_q(c, NULL, NULL, "UPDATE users SET first_name = ? WHERE username = ?",
                             QR_TEXT(name), QR_TEXT("admin")),
                     QR_OK);
    qr_db_release(c);
}

/* Closes the server side, restores path with the configuration and master key a fresh
 * `quire restore` would load, and opens again. Returns the restore's status. */
static qr_status_t restore(const char *path, qr_err_t *err) {
    close_app();
    qr_config_t c;
    char msg[256];
    assert_int_equal(qr_config_load(&c, NULL, msg, sizeof(msg)), 0);
    qr_keys_t keys;
    char *kp = qr_xasprintf("%s/master.key", dir);
    assert_int_equal(qr_keys_load(&keys, kp, err), QR_OK);
    free(kp);
    qr_status_t st = qr_backup_restore(&c, &keys, path, err);
    qr_config_free(&c);
    assert_int_equal(open_app(), 0);
    return st;
}

static void test_sec3_round_trip(void **state) {
    (void)state;
    set_admin_name("Before");
    write_file("blobs/org1/doc1", "document one");
    qr_err_t err = {QR_OK, NULL, ""};
    char *path = NULL;
    assert_int_equal(qr_backup_create(&ctx, cfg.backup_dir, qr_clock_now(ctx.clock), &path, &err),
                     QR_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* A second one in the same second does not replace it. */
    char *again = NULL;
    assert_int_equal(qr_backup_create(&ctx, cfg.backup_dir, qr_clock_now(ctx.clock), &again, &err),
                     QR_E_CONFLICT);
    assert_null(again);
    assert_non_null(strstr(err.msg, "try again in a second"));
    /* Changes after the backup: all undone by the restore. */
    set_admin_name("After");
    write_file("blobs/org1/doc1", "overwritten");
    write_file("scans/s1/page1", "a scan made later");
    assert_int_equal(restore(path, &err), QR_OK);
    char *name = admin_name(), *doc = read_file("blobs/org1/doc1"),
         *scan = read_file("scans/s1/page1");
    assert_string_equal(name, "Before");
    assert_string_equal(doc, "document one");
    assert_string_equal(scan, "");
    free(name);
    free(doc);
    free(scan);
    free(path);
}

static void test_sec3_altered_backup_changes_nothing(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    char *path = NULL;
    qr_clock_advance(ctx.clock, 1);
    assert_int_equal(qr_backup_create(&ctx, cfg.backup_dir, qr_clock_now(ctx.clock), &path, &err),
                     QR_OK);
    set_admin_name("Live");
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 100, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 100, SEEK_SET);
    fputc(ch ^ 1, f);
    fclose(f);
    assert_int_equal(restore(path, &err), QR_E_CRYPTO);
    assert_non_null(strstr(err.msg, "nothing was changed"));
    char *name = admin_name();
    assert_string_equal(name, "Live");
    free(name);
    unlink(path);
    free(path);
}

static int count_backups(void) {
    DIR *d = opendir(cfg.backup_dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += strncmp(de->d_name, QR_BACKUP_PREFIX, strlen(QR_BACKUP_PREFIX)) == 0;
    if (d)
        closedir(d);
    return n;
}

static void test_sec3_automatic_turn_and_retention(void **state) {
    (void)state;
    int before = count_backups();
    qr_clock_advance(ctx.clock, 60); /* names are per second: none of the earlier tests' */
    /* The turn was never taken: the first tick makes one, the next does not. */
    assert_int_equal(qr_backup_tick(&ctx), 1);
    assert_int_equal(qr_backup_tick(&ctx), 0);
    qr_clock_advance(ctx.clock, 24 * 3600 - 1);
    assert_int_equal(qr_backup_tick(&ctx), 0);
    qr_clock_advance(ctx.clock, 1);
    assert_int_equal(qr_backup_tick(&ctx), 1);
    assert_int_equal(count_backups(), before + 2);
    /* Eight days on, everything older than seven days is gone: only today's is left. */
    qr_clock_advance(ctx.clock, 8 * 86400);
    assert_int_equal(qr_backup_tick(&ctx), 1);
    assert_int_equal(count_backups(), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sec3_round_trip),
        cmocka_unit_test(test_sec3_altered_backup_changes_nothing),
        cmocka_unit_test(test_sec3_automatic_turn_and_retention),
    };
    return cmocka_run_group_tests_name("backup", tests, setup, teardown);
}
