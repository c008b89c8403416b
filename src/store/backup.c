/* SPDX-License-Identifier: Apache-2.0 */
/* quire: backup and restore (SEC-3). libarchive writes and reads the tar stream; the blob
 * store encrypts and authenticates it; pg_dump/pg_restore (PostgreSQL's own tools, given
 * the connection through their environment, never on a command line) or SQLite's VACUUM
 * INTO take the database snapshot. A restore first unpacks and authenticates everything
 * into a staging directory, and only then replaces the live data. */
#include "store/backup.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "crypto/random.h"
#include "store/blob.h"
#include "store/db.h"
#include "store/db_private.h"

extern char **environ;

#define BACKUP_FORMAT 1
#define COPY_BUF (64 * 1024)
#define STAMP_LEN 16 /* YYYYMMDDTHHMMSSZ */
#define MANIFEST_MAX 4096

/* The key of backup files: derived from the master key, used for nothing else. */
static qr_status_t backup_key(const qr_keys_t *keys, unsigned char key[32], qr_err_t *err) {
    if (qr_keys_derive(keys, "quire backup v1", key, 32))
        return qr_err_set(err, QR_E_CRYPTO, NULL, "cannot derive the backup key");
    return QR_OK;
}

static const char *sqlite_path(const qr_config_t *cfg) {
    return strncmp(cfg->database, "sqlite:", 7) == 0 ? cfg->database + 7 : NULL;
}

/* ---- PostgreSQL tools ---- */

/* The environment for pg_dump / pg_restore: ours, plus every parameter of the database URL
 * as its PG* variable (so no password appears in a process list), plus sslmode=require
 * where quired itself would ask for TLS. Returns a NULL-terminated array; free with
 * free_env. *dbname receives the database name (caller frees). */
static char **pg_env(const char *url, char **dbname, qr_err_t *err) {
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &why);
    if (!opts) {
        qr_err_set(err, QR_E_INVALID, NULL, "the database URL cannot be parsed: %s",
                   why ? why : "?");
        PQfreemem(why);
        return NULL;
    }
    size_t n = 0;
    while (environ[n])
        n++;
    size_t nopts = 0;
    while (opts[nopts].keyword)
        nopts++;
    char **env = qr_xcalloc(n + nopts + 2, sizeof(char *));
    size_t k = 0;
    const char *user = NULL;
    *dbname = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val || !o->envvar)
            continue;
        env[k++] = qr_xasprintf("%s=%s", o->envvar, o->val);
        if (strcmp(o->keyword, "dbname") == 0)
            *dbname = qr_xstrdup(o->val);
        if (strcmp(o->keyword, "user") == 0)
            user = o->val;
    }
    /* libpq's own default database is the user's name: pg_restore must name the same one */
    if (!*dbname && getenv("PGDATABASE"))
        *dbname = qr_xstrdup(getenv("PGDATABASE"));
    if (!*dbname && (user || getenv("PGUSER")))
        *dbname = qr_xstrdup(user ? user : getenv("PGUSER"));
    if (!*dbname) {
        struct passwd *pw = getpwuid(geteuid());
        *dbname = qr_xstrdup(pw ? pw->pw_name : "postgres");
    }
    PQconninfoFree(opts);
    if (qr__pg_needs_default_tls(url))
        env[k++] =
            qr_xstrdup("PGSSLMODE=require"); /* SEC-1: the rule quired's connections follow */
    for (size_t i = 0; i < n; i++) {
        /* ours win: a PG* variable of the caller could point the tool elsewhere */
        const char *eq = strchr(environ[i], '=');
        int dup = 0;
        for (size_t j = 0; eq && j < k && !dup; j++)
            dup = strncmp(env[j], environ[i], (size_t)(eq - environ[i]) + 1) == 0;
        if (!dup)
            env[k++] = qr_xstrdup(environ[i]);
    }
    return env;
}

static void free_env(char **env) {
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* Runs argv with env, stdin from in_fd (or /dev/null with -1), stdout to out_fd (or
 * inherited with -1), stderr into a small buffer for the error message. */
static qr_status_t run_tool(char *const argv[], char **env, int in_fd, int out_fd, qr_err_t *err) {
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0)
        return qr_err_set(err, QR_E_IO, NULL, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, errpipe[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(errpipe[1]);
    if (rc != 0) {
        close(errpipe[0]);
        return qr_err_set(err, QR_E_IO, NULL, "cannot run %s: %s (install PostgreSQL's client)",
                          argv[0], strerror(rc));
    }
    char msg[512];
    size_t got = 0;
    ssize_t r;
    char sink[512];
    while ((r = read(errpipe[0], got < sizeof(msg) - 1 ? msg + got : sink,
                     got < sizeof(msg) - 1 ? sizeof(msg) - 1 - got : sizeof(sink))) > 0)
        if (got < sizeof(msg) - 1)
            got += (size_t)r;
    msg[got] = '\0';
    close(errpipe[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *nl = strchr(msg, '\n');
        if (nl)
            *nl = '\0';
        return qr_err_set(err, QR_E_DB, NULL, "%s failed: %s", argv[0], got ? msg : "no message");
    }
    return QR_OK;
}

/* An unnamed file in dir (O_TMPFILE), gone when closed: plaintext snapshots never get a
 * name another process could open later. */
static int temp_fd(const char *dir, qr_err_t *err) {
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        qr_err_set(err, QR_E_IO, NULL, "cannot create a temporary file in %s: %s", dir,
                   strerror(errno));
    return fd;
}

/* ---- writing ---- */

struct sink {
    qr_blob_writer_t *w;
    qr_err_t *err;
    int failed;
};

static la_ssize_t sink_write(struct archive *a, void *cd, const void *buf, size_t n) {
    struct sink *s = cd;
    if (qr_blob_write(s->w, buf, n, s->err)) {
        s->failed = 1;
        archive_set_error(a, EIO, "%s", s->err->msg);
        return -1;
    }
    return (la_ssize_t)n;
}

static qr_status_t archive_fail(struct archive *a, qr_err_t *err) {
    if (err->status)
        return err->status;
    return qr_err_set(err, QR_E_IO, NULL, "writing the backup failed: %s",
                      archive_error_string(a) ? archive_error_string(a) : "?");
}

/* Adds the content of fd (from its start, size bytes) as entry name. */
static qr_status_t add_fd(struct archive *a, const char *name, int fd, off_t size, time_t mtime,
                          qr_err_t *err) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, mtime, 0);
    qr_status_t st = QR_OK;
    if (archive_write_header(a, e) != ARCHIVE_OK)
        st = archive_fail(a, err);
    archive_entry_free(e);
    char *buf = st ? NULL : qr_xmalloc(COPY_BUF);
    off_t left = size;
    while (!st && left > 0) {
        ssize_t r = pread(fd, buf, (size_t)(left < COPY_BUF ? left : COPY_BUF), size - left);
        if (r <= 0) {
            st = qr_err_set(err, QR_E_IO, NULL, "%s changed while it was backed up", name);
            break;
        }
        if (archive_write_data(a, buf, (size_t)r) != r)
            st = archive_fail(a, err);
        left -= r;
    }
    free(buf);
    return st;
}

/* Adds every published file under root/rel (recursively) as rel/...; leftovers of
 * unfinished writes (*.part) are skipped, and so is a file deleted meanwhile. */
static qr_status_t add_tree(struct archive *a, const char *root, const char *rel, int depth,
                            qr_err_t *err) {
    char *path = qr_xasprintf("%s/%s", root, rel);
    DIR *d = opendir(path);
    qr_status_t st = QR_OK;
    if (!d) {
        st = errno == ENOENT
                 ? QR_OK
                 : qr_err_set(err, QR_E_IO, NULL, "cannot read %s: %s", path, strerror(errno));
        free(path);
        return st;
    }
    struct dirent *de;
    while (!st && (de = readdir(d))) {
        const char *n = de->d_name;
        size_t len = strlen(n);
        if (n[0] == '.' || (len > 5 && strcmp(n + len - 5, ".part") == 0))
            continue;
        char *sub = qr_xasprintf("%s/%s", rel, n);
        char *full = qr_xasprintf("%s/%s", root, sub);
        struct stat sb;
        if (lstat(full, &sb) == 0 && S_ISDIR(sb.st_mode) && depth < 8) {
            st = add_tree(a, root, sub, depth + 1, err);
        } else if (lstat(full, &sb) == 0 && S_ISREG(sb.st_mode)) {
            int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd >= 0) {
                struct stat fs;
                st = fstat(fd, &fs) == 0 ? add_fd(a, sub, fd, fs.st_size, fs.st_mtime, err)
                                         : qr_err_set(err, QR_E_IO, NULL, "cannot read %s", full);
                close(fd);
            }
        }
        free(sub);
        free(full);
    }
    closedir(d);
    free(path);
    return st;
}

/* The database snapshot into fd: SQLite's VACUUM INTO (a consistent copy taken while
 * the server runs) or pg_dump's custom format. */
static qr_status_t snapshot(qr_ctx_t *ctx, int fd, qr_err_t *err) {
    const qr_config_t *cfg = ctx->cfg;
    if (sqlite_path(cfg)) {
        char rnd[QR_ID_LEN + 1];
        qr_random_id(rnd);
        char *tmp = qr_xasprintf("%s/.backup-%s.db", cfg->data_dir, rnd);
        qr_dbc_t *c = qr_db_acquire(ctx->db);
        qr_status_t st = qr_db_q(c, NULL, NULL, "VACUUM INTO ?", QR_TEXT(tmp));
        qr_db_release(c);
        int src = st ? -1 : open(tmp, O_RDONLY | O_CLOEXEC);
        unlink(tmp);
        if (src < 0) {
            free(tmp);
            return qr_err_set(err, QR_E_DB, NULL, "the SQLite snapshot failed (see the log)");
        }
        free(tmp);
        char *buf = qr_xmalloc(COPY_BUF);
        ssize_t r;
        while (!st && (r = read(src, buf, COPY_BUF)) > 0)
            if (write(fd, buf, (size_t)r) != r)
                st = qr_err_set(err, QR_E_IO, NULL, "writing the snapshot: %s", strerror(errno));
        free(buf);
        close(src);
        return st;
    }
    char *dbname = NULL;
    char **env = pg_env(cfg->database, &dbname, err);
    if (!env)
        return err->status;
    char *argv[] = {"pg_dump", "--format=custom", "--no-owner", "--no-privileges", NULL};
    qr_status_t st = run_tool(argv, env, -1, fd, err);
    free_env(env);
    free(dbname);
    return st;
}

static void stamp_of(int64_t now, char out[STAMP_LEN + 1]) {
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, STAMP_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

qr_status_t qr_backup_create(qr_ctx_t *ctx, const char *dir, int64_t now, char **path,
                             qr_err_t *err) {
    *path = NULL;
    unsigned char key[32];
    qr_status_t st;
    if ((st = backup_key(ctx->keys, key, err)) || (st = qr_mkdirs(dir, 0700, err)))
        return st;
    char stamp[STAMP_LEN + 1];
    stamp_of(now, stamp);
    char *id = qr_xasprintf(QR_BACKUP_PREFIX "%s", stamp);
    char *exists = qr_xasprintf("%s/%s", dir, id);
    int taken = access(exists, F_OK) == 0;
    free(exists);
    if (taken) {
        qr_err_set(err, QR_E_CONFLICT, NULL,
                   "%s/%s exists already (one backup per second): try again in a second", dir, id);
        free(id);
        OPENSSL_cleanse(key, sizeof(key));
        return QR_E_CONFLICT;
    }
    int snap = temp_fd(ctx->cfg->data_dir, err);
    struct archive *a = NULL;
    struct sink s = {NULL, err, 0};
    if (snap < 0) {
        st = err->status;
        goto out;
    }
    if ((st = snapshot(ctx, snap, err)))
        goto out;
    if ((st = qr_blob_create(dir, id, key, &s.w, err)))
        goto out;
    a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    if (archive_write_open(a, &s, NULL, sink_write, NULL) != ARCHIVE_OK) {
        st = archive_fail(a, err);
        goto out;
    }
    /* The manifest first: a restore knows what it holds before reading on. */
    json_t *m = json_pack("{s:s, s:i, s:I, s:s}", "format", "quire-backup", "version",
                          BACKUP_FORMAT, "created_at", (json_int_t)now, "database",
                          sqlite_path(ctx->cfg) ? "sqlite" : "postgresql");
    char *mtext = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    int mfd = temp_fd(ctx->cfg->data_dir, err);
    if (mfd < 0 || write(mfd, mtext, strlen(mtext)) != (ssize_t)strlen(mtext))
        st = mfd < 0 ? err->status : qr_err_set(err, QR_E_IO, NULL, "writing the manifest");
    if (!st)
        st = add_fd(a, "manifest.json", mfd, (off_t)strlen(mtext), (time_t)now, err);
    if (mfd >= 0)
        close(mfd);
    free(mtext);
    struct stat sb;
    if (!st)
        st = fstat(snap, &sb) == 0
                 ? add_fd(a, sqlite_path(ctx->cfg) ? "database.sqlite" : "database.pgdump", snap,
                          sb.st_size, (time_t)now, err)
                 : qr_err_set(err, QR_E_IO, NULL, "cannot read the snapshot");
    if (!st)
        st = add_tree(a, ctx->cfg->data_dir, "blobs", 0, err);
    if (!st)
        st = add_tree(a, ctx->cfg->data_dir, "scans", 0, err);
    if (!st && archive_write_close(a) != ARCHIVE_OK)
        st = archive_fail(a, err);
    if (!st) {
        st = qr_blob_commit(s.w, err);
        s.w = NULL;
    }
    if (!st)
        *path = qr_xasprintf("%s/%s", dir, id);
out:
    if (a)
        archive_write_free(a);
    qr_blob_abort(s.w);
    if (snap >= 0)
        close(snap);
    free(id);
    OPENSSL_cleanse(key, sizeof(key));
    return st;
}

/* ---- automatic backups ---- */

/* Deletes backups in dir whose name says they are older than cutoff. */
static int prune(const char *dir, int64_t cutoff) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char keep[STAMP_LEN + 1];
    stamp_of(cutoff, keep);
    int n = 0;
    struct dirent *de;
    size_t plen = strlen(QR_BACKUP_PREFIX);
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        if (strncmp(name, QR_BACKUP_PREFIX, plen) != 0 || strlen(name) != plen + STAMP_LEN)
            continue;
        /* The stamps sort as text in time order. */
        if (strcmp(name + plen, keep) < 0) {
            qr_err_t err = {QR_OK, NULL, ""};
            if (qr_blob_delete(dir, name, &err) == QR_OK)
                n++;
        }
    }
    closedir(d);
    return n;
}

int qr_backup_tick(qr_ctx_t *ctx) {
    const qr_config_t *cfg = ctx->cfg;
    if (cfg->backup_interval_hours <= 0)
        return 0;
    int64_t now = qr_clock_now(ctx->clock);
    int64_t interval = (int64_t)cfg->backup_interval_hours * 3600;
    /* One server of the database takes each turn: the first whose conditional update wins. */
    long long won = 0;
    qr_dbc_t *c = qr_db_acquire(ctx->db);
    qr_db_q(c, NULL, &won, "UPDATE backup_turn SET started_at = ? WHERE id = 1 AND started_at <= ?",
            QR_INT(now), QR_INT(now - interval));
    qr_db_release(c);
    int made = 0;
    if (won == 1) {
        qr_err_t err = {QR_OK, NULL, ""};
        char *path = NULL;
        if (qr_backup_create(ctx, cfg->backup_dir, now, &path, &err) == QR_OK) {
            qr_log_info("backup", "wrote %s", path);
            made = 1;
            qr_metrics_inc(ctx->metrics, backups_ok);
            if (ctx->metrics)
                atomic_store(&ctx->metrics->backup_last_success, (long long)now);
        } else {
            qr_log_error("backup_failed", "%s", err.msg);
            qr_metrics_inc(ctx->metrics, backups_failed);
        }
        free(path);
    }
    int gone = prune(cfg->backup_dir, now - (int64_t)cfg->backup_keep_days * 86400);
    if (gone)
        qr_log_info("backup", "deleted %d backups older than %d days", gone, cfg->backup_keep_days);
    return made;
}

/* ---- restoring ---- */

struct source {
    qr_blob_reader_t *r;
    qr_err_t *err;
    char *buf;
};

static la_ssize_t source_read(struct archive *a, void *cd, const void **out) {
    struct source *s = cd;
    long n = qr_blob_read(s->r, s->buf, COPY_BUF, s->err);
    if (n < 0) {
        archive_set_error(a, EIO, "%s", s->err->msg);
        return -1;
    }
    *out = s->buf;
    return n;
}

/* Only names a backup writes: manifest.json, database.*, and relative paths of plain
 * components under blobs/ or scans/. */
static int safe_name(const char *n) {
    if (strcmp(n, "manifest.json") == 0 || strcmp(n, "database.sqlite") == 0 ||
        strcmp(n, "database.pgdump") == 0)
        return 1;
    if (strncmp(n, "blobs/", 6) != 0 && strncmp(n, "scans/", 6) != 0)
        return 0;
    for (const char *p = n; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return 0;
        p += len + (p[len] == '/');
    }
    return n[strlen(n) - 1] != '/';
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

static void rm_tree(const char *path) {
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The message for a backup that does not authenticate as a whole. */
static qr_status_t not_ours(qr_err_t *err, const char *path) {
    return qr_err_set(err, QR_E_CRYPTO, NULL,
                      "%s is not a quire backup made with this master key, or it was renamed, "
                      "altered or damaged (refused; nothing was changed)",
                      path);
}

/* Opens the backup at path (a blob named by its file name) for decrypting reads. */
static qr_status_t open_backup(const char *path, const unsigned char key[32], qr_blob_reader_t **r,
                               qr_err_t *err) {
    char *dir = qr_xstrdup(path), *slash = strrchr(dir, '/');
    const char *id = slash ? slash + 1 : dir;
    const char *where = slash ? dir : ".";
    if (slash)
        *slash = '\0';
    qr_status_t st = qr_blob_open(where, id, key, r, err);
    if (st == QR_E_NOT_FOUND)
        st = qr_err_set(err, QR_E_NOT_FOUND, NULL, "no backup at %s", path);
    else if (st == QR_E_INVALID)
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "'%s' is not the name of a backup: restore the file under the name "
                        "quire gave it (quire-backup-YYYYMMDDTHHMMSSZ), which it authenticates",
                        id);
    else if (st)
        st = qr_err_set(err, st, NULL,
                        "%s is not a quire backup made with this master key, or it was renamed, "
                        "altered or damaged (refused; nothing was changed)",
                        path);
    free(dir);
    return st;
}

/* Reads the manifest entry: a quire backup of this format, of a dbkind database. */
static qr_status_t check_manifest(struct archive *a, const char *path, const char *dbkind,
                                  qr_err_t *err) {
    char m[MANIFEST_MAX];
    qr_status_t st = QR_OK;
    la_ssize_t n = archive_read_data(a, m, sizeof(m) - 1);
    json_t *j = n > 0 ? json_loadb(m, (size_t)n, 0, NULL) : NULL;
    const char *fmt = json_string_value(json_object_get(j, "format"));
    const char *db = json_string_value(json_object_get(j, "database"));
    if (!fmt || strcmp(fmt, "quire-backup") != 0 ||
        json_integer_value(json_object_get(j, "version")) != BACKUP_FORMAT)
        st = qr_err_set(err, QR_E_INVALID, NULL, "%s is not a quire backup of format %d", path,
                        BACKUP_FORMAT);
    else if (!db || strcmp(db, dbkind) != 0)
        st = qr_err_set(err, QR_E_INVALID, NULL,
                        "this backup is of a %s database, but the configured database "
                        "is %s: restore it into a server configured like the one it "
                        "came from",
                        db ? db : "?", dbkind);
    json_decref(j);
    return st;
}

/* Writes the current entry, name (checked by safe_name), under stage, creating its folders;
 * buf holds COPY_BUF bytes. */
static qr_status_t extract_entry(struct archive *a, const char *stage, const char *name, char *buf,
                                 const char *path, qr_err_t *err) {
    qr_status_t st = QR_OK;
    char *out = qr_xasprintf("%s/%s", stage, name);
    for (char *p = strchr(out + strlen(stage) + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        mkdir(out, 0700);
        *p = '/';
    }
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        st = qr_err_set(err, QR_E_IO, NULL, "cannot write %s: %s", out, strerror(errno));
    la_ssize_t n = 0;
    while (!st && (n = archive_read_data(a, buf, COPY_BUF)) > 0)
        if (write(fd, buf, (size_t)n) != n)
            st = qr_err_set(err, QR_E_IO, NULL, "cannot write %s: %s", out, strerror(errno));
    if (!st && n < 0)
        st = qr_err_set(err, QR_E_CRYPTO, NULL,
                        "%s is damaged or was altered (refused; nothing was changed)", path);
    if (fd >= 0 && (fsync(fd) != 0 || close(fd) != 0) && !st)
        st = qr_err_set(err, QR_E_IO, NULL, "cannot write %s", out);
    free(out);
    return st;
}

/* Unpacks and authenticates the whole backup into stage: the manifest first, then the
 * database and the document trees, then an authenticated end. */
static qr_status_t unpack(const char *path, const unsigned char key[32], const char *stage,
                          const char *dbkind, qr_err_t *err) {
    struct source s = {NULL, err, NULL};
    struct archive *a = NULL;
    char *buf = NULL;
    int manifest = 0, database = 0;
    qr_status_t st = open_backup(path, key, &s.r, err);
    if (st)
        goto out;
    s.buf = qr_xmalloc(COPY_BUF);
    a = archive_read_new();
    archive_read_support_format_tar(a);
    if (archive_read_open(a, &s, NULL, source_read, NULL) != ARCHIVE_OK) {
        st = not_ours(err, path);
        goto out;
    }
    struct archive_entry *e;
    int r;
    buf = qr_xmalloc(COPY_BUF);
    while (!st && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (!name || !safe_name(name) || archive_entry_filetype(e) != AE_IFREG)
            st = qr_err_set(err, QR_E_INVALID, NULL, "the backup holds an unexpected entry '%.80s'",
                            name ? name : "");
        else if (strcmp(name, "manifest.json") == 0)
            manifest = !(st = check_manifest(a, path, dbkind, err));
        else if (!manifest)
            st = qr_err_set(err, QR_E_INVALID, NULL, "%s has no manifest first", path);
        else {
            database |= strncmp(name, "database.", 9) == 0;
            st = extract_entry(a, stage, name, buf, path, err);
        }
    }
    if (!st && r != ARCHIVE_EOF)
        st = not_ours(err, path);
    /* The archive's end is not the blob's: only an authenticated end counts. */
    if (!st) {
        char extra[16];
        if (qr_blob_read(s.r, extra, sizeof(extra), err) != 0)
            st = qr_err_set(err, QR_E_CRYPTO, NULL, "%s is damaged (data after the archive)", path);
    }
    if (!st && (!manifest || !database))
        st = qr_err_set(err, QR_E_INVALID, NULL, "%s lacks its %s", path,
                        manifest ? "database" : "manifest");
out:
    if (a)
        archive_read_free(a);
    qr_blob_close(s.r);
    free(s.buf);
    free(buf);
    return st;
}

/* Replaces the PostgreSQL database with the staged dump: every object of the public
 * schema is dropped first, so tables of a newer schema cannot linger. */
static qr_status_t restore_pg(const qr_config_t *cfg, const char *dump, qr_err_t *err) {
    char *dbname = NULL;
    char **env = pg_env(cfg->database, &dbname, err);
    if (!env)
        return err->status;
    qr_db_t *db = NULL;
    qr_status_t st = qr_db_open(cfg->database, 1, &db, err);
    if (!st) {
        qr_dbc_t *c = qr_db_acquire(db);
        st = qr_dbc_script(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        qr_db_release(c);
        qr_db_close(db);
        if (st)
            qr_err_set(err, st, NULL, "cannot empty the database (see the log)");
    }
    int in = st ? -1 : open(dump, O_RDONLY | O_CLOEXEC);
    if (!st && in < 0)
        st = qr_err_set(err, QR_E_IO, NULL, "cannot read %s", dump);
    char *argv[] = {"pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--dbname",
                    dbname,
                    NULL};
    if (!st)
        st = run_tool(argv, env, in, -1, err);
    if (in >= 0)
        close(in);
    free_env(env);
    free(dbname);
    return st;
}

/* Puts the staged blobs/ or scans/ in place of the live one (an absent one is emptied). */
static qr_status_t swap_tree(const char *data_dir, const char *stage, const char *name,
                             qr_err_t *err) {
    char *live = qr_xasprintf("%s/%s", data_dir, name);
    char *staged = qr_xasprintf("%s/%s", stage, name);
    char *old = qr_xasprintf("%s/old-%s", stage, name);
    qr_status_t st = QR_OK;
    if (rename(live, old) != 0 && errno != ENOENT)
        st = qr_err_set(err, QR_E_IO, NULL, "cannot move %s aside: %s", live, strerror(errno));
    if (!st && rename(staged, live) != 0 && errno != ENOENT)
        st = qr_err_set(err, QR_E_IO, NULL, "cannot put %s in place: %s", live, strerror(errno));
    free(live);
    free(staged);
    free(old);
    return st;
}

int qr_backup_hold_lock(const char *data_dir) {
    char *p = qr_xasprintf("%s/.lock", data_dir);
    int fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    free(p);
    if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

qr_status_t qr_backup_restore(const qr_config_t *cfg, const qr_keys_t *keys, const char *path,
                              qr_err_t *err) {
    unsigned char key[32];
    qr_status_t st = backup_key(keys, key, err);
    if (st)
        return st;
    char *lockp = qr_xasprintf("%s/.lock", cfg->data_dir);
    int lock = open(lockp, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
    free(lockp);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
        if (lock >= 0)
            close(lock);
        OPENSSL_cleanse(key, sizeof(key));
        return qr_err_set(err, QR_E_CONFLICT, NULL,
                          "quired is running on %s: stop every server first", cfg->data_dir);
    }
    char rnd[QR_ID_LEN + 1];
    qr_random_id(rnd);
    char *stage = qr_xasprintf("%s/.restore-%s", cfg->data_dir, rnd);
    const char *kind = sqlite_path(cfg) ? "sqlite" : "postgresql";
    if (mkdir(stage, 0700) != 0)
        st = qr_err_set(err, QR_E_IO, NULL, "cannot create %s: %s", stage, strerror(errno));
    if (!st)
        st = unpack(path, key, stage, kind, err);
    OPENSSL_cleanse(key, sizeof(key));
    /* Everything is authenticated and on disk: now replace the live data. */
    if (!st && sqlite_path(cfg)) {
        const char *db = sqlite_path(cfg);
        char *staged = qr_xasprintf("%s/database.sqlite", stage);
        char *wal = qr_xasprintf("%s-wal", db), *shm = qr_xasprintf("%s-shm", db);
        /* The old write-ahead log must never be replayed onto the restored file. */
        unlink(wal);
        unlink(shm);
        if (rename(staged, db) != 0)
            st = qr_err_set(err, QR_E_IO, NULL, "cannot put the database in place at %s: %s", db,
                            strerror(errno));
        free(staged);
        free(wal);
        free(shm);
    } else if (!st) {
        char *dump = qr_xasprintf("%s/database.pgdump", stage);
        st = restore_pg(cfg, dump, err);
        free(dump);
    }
    if (!st)
        st = swap_tree(cfg->data_dir, stage, "blobs", err);
    if (!st)
        st = swap_tree(cfg->data_dir, stage, "scans", err);
    rm_tree(stage);
    free(stage);
    close(lock);
    return st;
}
