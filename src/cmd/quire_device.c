/* SPDX-License-Identifier: Apache-2.0 */
/* quire: quire-device, the reference device client. It plays the MFP: signs in with the
 * device's client credentials, logs a person in at the "panel" (password, PIN or card),
 * lists and releases their held jobs and prints them to an IPP printer, registers cards,
 * and reports each print back; lists the person's scan workflows and scans through one
 * (uploads the scanned files, streamed, and follows the scan until it is done). Exit status 0 on
 * success, 1 when the server or the printer refused or failed, 2 on bad usage or input (one line on
 * stderr). See docs/device.md. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/printer.h"
#include "client/remote.h"
#include "client/scaninput.h"
#include "core/mem.h"

#define SECRET_MAX 512
#define REASON_MAX 500
#define DEFAULT_SERVER "https://localhost:8443"
#define DEFAULT_TIMEOUT_S 300
#define PANEL_TTL_DEFAULT_S 300 /* if the login answer has no expires_in */
#define PANEL_MARGIN_S 30       /* a token with less left than this is renewed */
#define SCAN_MAX_FILES 1000     /* files per scan (the server's QR_SCAN_MAX_FILES) */
#define SCAN_MAX_INDEX 50       /* --index values (the server's attributes per class) */
#define SCAN_POLL_US 1000000    /* --wait asks for the scan's status this often */

typedef struct opts {
    const char *server, *ca_file, *client_id, *secret_file, *printer, *tmp_dir;
    int timeout_s;
    const char *command;
    const char *pin, *username, *card, *password_file; /* the person at the panel */
    const char *job;
    int all;
    const char *workflow, *name, *folder; /* scan */
    json_t *index;                        /* scan: --index NAME=VALUE as {NAME: VALUE} */
    const char **files;                   /* scan: the files, n_files of them */
    int n_files, wait;
} opts_t;

/* One session at the panel. */
typedef struct panel {
    qr_remote_t *rm;
    const opts_t *o;
    char *device_token;
    char *token; /* the person's panel token */
    char *username;
    double fresh_until; /* monotonic seconds: log in again after this (token about to expire) */
} panel_t;

static int usage(FILE *f, int rc) {
    fprintf(f, "usage: quire-device [OPTIONS] COMMAND [LOGIN] [ARGS]\n"
               "options (environment variable in brackets):\n"
               "  --server URL         quired's base URL [QUIRE_SERVER] (" DEFAULT_SERVER ")\n"
               "  --ca-file PEM        CA bundle that verifies the server [QUIRE_CA_FILE]\n"
               "  --client-id ID       the device's client id [QUIRE_DEVICE_CLIENT_ID]\n"
               "  --secret-file FILE   file (mode 0600) holding the device's client secret;\n"
               "                       else [QUIRE_DEVICE_SECRET]; never on the command line\n"
               "  --printer URI        ipp://HOST[:PORT]/PATH or ipps://... [QUIRE_PRINTER]\n"
               "  --timeout SECONDS    how long to wait for the printer to finish a job, or\n"
               "                       (scan --wait) for the scan to be done (300)\n"
               "  --tmp-dir DIR        where the private download directory is made [TMPDIR]\n"
               "commands:\n"
               "  jobs LOGIN                       list the person's jobs (JSON)\n"
               "  release LOGIN (--job ID | --all) release held jobs and print them\n"
               "  register-card LOGIN --card NUMBER  register the card at the reader\n"
               "  workflows LOGIN                  list the scan workflows the person may use\n"
               "  scan LOGIN --workflow ID [--name NAME] [--folder FOLDER]\n"
               "       [--index NAME=VALUE]... [--wait] FILE...\n"
               "                                   scan FILEs (JPEG, PNG, TIFF, PDF) through the\n"
               "                                   workflow; --wait: until it is done\n"
               "login at the panel (one of):\n"
               "  --pin PIN [--username NAME]      PIN (with the username in user+PIN mode)\n"
               "  --card NUMBER                    ID card (all but register-card)\n"
               "  --username NAME                  password from --password-file FILE (0600)\n"
               "                                   or [QUIRE_PANEL_PASSWORD]\n"
               "exit status: 0 done, 1 refused or failed (the reason on stderr), 2 bad usage\n");
    return rc;
}

/* Prints one line about bad usage or input and returns exit status 2. */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("quire-device: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* Whether s has 1 to max characters, each one that ok accepts. */
static int chars_are(const char *s, size_t max, int (*ok)(unsigned char c)) {
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (; *s; s++)
        if (!ok((unsigned char)*s))
            return 0;
    return 1;
}

static int digit_char(unsigned char c) {
    return c >= '0' && c <= '9';
}

static int id_char(unsigned char c) {
    return digit_char(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_';
}

static int card_char(unsigned char c) {
    return c > ' ' && c < 0x7f;
}

static int all_digits(const char *s) {
    return chars_are(s, SIZE_MAX, digit_char);
}

/* A job or workflow id: 1 to 64 letters, digits, '-' and '_'. */
static int is_id(const char *s) {
    return chars_are(s, 64, id_char);
}

/* A card number: 1 to 64 printable ASCII characters without spaces. */
static int is_card(const char *s) {
    return chars_are(s, 64, card_char);
}

static const char *env_or(const char *v, const char *name, const char *dflt) {
    if (v)
        return v;
    const char *e = getenv(name);
    return e && *e ? e : dflt;
}

/* --- the command line --- */

/* What an option does. */
typedef enum opt_kind {
    OPT_FLAG,   /* no value: sets an int to 1 */
    OPT_TEXT,   /* a value kept as given (the last one given wins) */
    OPT_INDEX,  /* --index NAME=VALUE, repeatable */
    OPT_TIMEOUT /* --timeout SECONDS */
} opt_kind_t;

/* One option: its spelling, what it does, where it goes and the one command it belongs to. */
typedef struct optdef {
    const char *name;
    opt_kind_t kind;
    size_t field;        /* offsetof(opts_t, ...): an int (OPT_FLAG) or a const char * (OPT_TEXT) */
    const char *command; /* NULL: any command */
} optdef_t;

#define TEXT(n, f, c)                                                                              \
    { n, OPT_TEXT, offsetof(opts_t, f), c }
static const optdef_t options[] = {
    TEXT("--server", server, NULL),
    TEXT("--ca-file", ca_file, NULL),
    TEXT("--client-id", client_id, NULL),
    TEXT("--secret-file", secret_file, NULL),
    TEXT("--printer", printer, NULL),
    {"--timeout", OPT_TIMEOUT, 0, NULL},
    TEXT("--tmp-dir", tmp_dir, NULL),
    TEXT("--pin", pin, NULL),
    TEXT("--username", username, NULL),
    TEXT("--card", card, NULL),
    TEXT("--password-file", password_file, NULL),
    /* release (in the order its refusal names them) */
    TEXT("--job", job, "release"),
    {"--all", OPT_FLAG, offsetof(opts_t, all), "release"},
    /* scan (likewise) */
    TEXT("--workflow", workflow, "scan"),
    TEXT("--name", name, "scan"),
    TEXT("--folder", folder, "scan"),
    {"--index", OPT_INDEX, 0, "scan"},
    {"--wait", OPT_FLAG, offsetof(opts_t, wait), "scan"},
};
#undef TEXT
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* Options refused with a reason: a secret on the command line is visible in ps. */
static const char *const secret_options[] = {"--secret", "--client-secret", "--password"};

static int check_release(const opts_t *o);
static int check_scan(const opts_t *o);
static int cmd_jobs(panel_t *p);
static int cmd_release(panel_t *p);
static int cmd_register_card(panel_t *p);
static int cmd_workflows(panel_t *p);
static int cmd_scan(panel_t *p);

/* The commands: the checks of the options that belong to one of them, and what it does once
 * the person is logged in at the panel. */
typedef struct command {
    const char *name;
    int (*check)(const opts_t *o); /* NULL: no options of its own */
    int (*run)(panel_t *p);
} command_t;

static const command_t commands[] = {
    {"jobs", NULL, cmd_jobs},
    {"release", check_release, cmd_release},
    {"register-card", NULL, cmd_register_card},
    {"workflows", NULL, cmd_workflows},
    {"scan", check_scan, cmd_scan},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static int is_command(const opts_t *o, const char *name) {
    return o->command && strcmp(o->command, name) == 0;
}

static const optdef_t *find_option(const char *a) {
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(a, options[i].name) == 0)
            return &options[i];
    return NULL;
}

static int is_secret_option(const char *a) {
    for (size_t i = 0; i < sizeof(secret_options) / sizeof(secret_options[0]); i++)
        if (strcmp(a, secret_options[i]) == 0)
            return 1;
    return 0;
}

/* Where the value of an OPT_TEXT or OPT_FLAG option d goes in o. */
static const char **text_field(opts_t *o, const optdef_t *d) {
    return (const char **)(void *)((char *)o + d->field);
}

static int *flag_field(opts_t *o, const optdef_t *d) {
    return (int *)(void *)((char *)o + d->field);
}

/* Whether the option d was given (an --index only counts once it was taken). */
static int option_is_set(const opts_t *o, const optdef_t *d) {
    const void *at = (const char *)o + d->field;
    switch (d->kind) {
    case OPT_FLAG:
        return *(const int *)at != 0;
    case OPT_TEXT:
        return *(const char *const *)at != NULL;
    case OPT_INDEX:
        return json_object_size(o->index) > 0;
    case OPT_TIMEOUT:
        break;
    }
    return 0;
}

static int add_file(opts_t *o, const char *path) {
    if (o->n_files >= SCAN_MAX_FILES)
        return bad("a scan has at most %d files", SCAN_MAX_FILES);
    o->files[o->n_files++] = path;
    return 0;
}

/* An argument that is not an option: the command, then (scan) the files. */
static int add_positional(opts_t *o, const char *a) {
    if (is_command(o, "scan"))
        return add_file(o, a);
    if (o->command)
        return bad("unexpected argument '%s' (try --help)", a);
    o->command = a;
    return 0;
}

static int set_index(opts_t *o, const char *v) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (json_object_size(o->index) >= SCAN_MAX_INDEX)
        return bad("at most %d --index values", SCAN_MAX_INDEX);
    if (qr_scaninput_add_index(o->index, v, &err))
        return bad("%s", err.msg);
    return 0;
}

static int set_timeout(opts_t *o, const char *v) {
    o->timeout_s = 0;
    for (const char *c = v; all_digits(v) && strlen(v) <= 5 && *c; c++)
        o->timeout_s = o->timeout_s * 10 + (*c - '0');
    if (o->timeout_s < 1)
        return bad("--timeout must be a number of seconds from 1 to 99999 (got '%s')", v);
    return 0;
}

/* Takes the value v of the option d. */
static int set_option(opts_t *o, const optdef_t *d, const char *v) {
    switch (d->kind) {
    case OPT_TEXT:
        *text_field(o, d) = v;
        return 0;
    case OPT_INDEX:
        return set_index(o, v);
    case OPT_TIMEOUT:
        return set_timeout(o, v);
    case OPT_FLAG:
        break;
    }
    return 0;
}

/* Takes argv[*i] (and its value, moving *i past it); returns 0, -1 after --help (stop with
 * status 0), or an exit status after printing one line. */
static int parse_arg(int argc, char **argv, int *i, opts_t *o) {
    const char *a = argv[*i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
        return usage(stdout, 0) - 1;
    if (strcmp(a, "--") == 0 && is_command(o, "scan")) {
        /* The rest are files, also names that begin with '-'. */
        int rc = 0;
        while (!rc && ++*i < argc)
            rc = add_file(o, argv[*i]);
        *i = argc;
        return rc;
    }
    if (is_secret_option(a))
        return bad("%s: secrets are never taken from the command line (ps shows it); use "
                   "the environment or a 0600 file (see --help)",
                   a);
    if (a[0] != '-')
        return add_positional(o, a);
    const optdef_t *d = find_option(a);
    if (!d)
        return bad("unknown option '%s' (try --help)", a);
    if (d->kind == OPT_FLAG) {
        *flag_field(o, d) = 1;
        return 0;
    }
    if (*i + 1 >= argc || !argv[*i + 1][0])
        return bad("%s needs a value", a);
    return set_option(o, d, argv[++*i]);
}

/* The environment's values for what the command line did not give. */
static void opts_from_env(opts_t *o) {
    o->server = env_or(o->server, "QUIRE_SERVER", DEFAULT_SERVER);
    o->ca_file = env_or(o->ca_file, "QUIRE_CA_FILE", NULL);
    o->client_id = env_or(o->client_id, "QUIRE_DEVICE_CLIENT_ID", NULL);
    o->printer = env_or(o->printer, "QUIRE_PRINTER", NULL);
    o->tmp_dir = env_or(o->tmp_dir, "TMPDIR", "/tmp");
}

/* The command o names; NULL if none or unknown. */
static const command_t *find_command(const opts_t *o) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (is_command(o, commands[i].name))
            return &commands[i];
    return NULL;
}

static int check_command(const opts_t *o) {
    if (!o->command)
        return bad("no command: jobs, release, register-card, workflows or scan (try --help)");
    if (find_command(o))
        return 0;
    return bad("unknown command '%s': jobs, release, register-card, workflows or scan", o->command);
}

/* The device, and exactly one way for the person to log in at the panel. */
static int check_login(const opts_t *o) {
    int reg = is_command(o, "register-card");
    if (!o->client_id)
        return bad("no device: give --client-id ID (or QUIRE_DEVICE_CLIENT_ID)");
    if (o->pin && !(all_digits(o->pin) && strlen(o->pin) >= 4 && strlen(o->pin) <= 8))
        return bad("the PIN must be 4 to 8 digits");
    if (o->card && !is_card(o->card))
        return bad("the card number must be 1 to 64 printable characters without spaces");
    if (reg && !o->card)
        return bad("register-card needs --card NUMBER (the card at the reader)");
    int by_card = o->card && !reg;
    if (by_card + (o->pin != NULL) + (o->username && !o->pin) != 1)
        return bad("log in with exactly one of --pin PIN, --card NUMBER or --username NAME "
                   "(register-card: --pin or --username)");
    return 0;
}

static int check_release(const opts_t *o) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (!o->job == !o->all)
        return bad("release needs --job ID or --all");
    if (o->job && !is_id(o->job))
        return bad("the job id '%s' is not valid (letters, digits, - and _)", o->job);
    if (!o->printer)
        return bad("release needs --printer URI (or QUIRE_PRINTER)");
    if (qr_printer_check_uri(o->printer, &err))
        return bad("%s", err.msg);
    return 0;
}

static int check_scan(const opts_t *o) {
    if (!o->workflow)
        return bad("scan needs --workflow ID (see: quire-device workflows LOGIN)");
    if (!is_id(o->workflow))
        return bad("the workflow id '%s' is not valid (letters, digits, - and _)", o->workflow);
    if (o->n_files == 0)
        return bad("scan needs at least one FILE (JPEG, PNG, TIFF or PDF)");
    for (int k = 0; k < 2; k++) {
        const char *v = k ? o->folder : o->name;
        json_t *j = v ? json_string(v) : NULL; /* NULL if not UTF-8 */
        if (v && !j)
            return bad("%s must be UTF-8", k ? "--folder" : "--name");
        json_decref(j);
    }
    return 0;
}

/* Refuses the options of the command cmd under another command: "--job and --all belong to
 * release, not jobs" (their names from the table, in its order). */
static int check_foreign(const opts_t *o, const char *cmd) {
    char names[256] = "";
    size_t n = 0, k = 0;
    int given = 0;
    for (size_t i = 0; i < N_OPTIONS; i++)
        n += options[i].command && strcmp(options[i].command, cmd) == 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (!options[i].command || strcmp(options[i].command, cmd) != 0)
            continue;
        size_t len = strlen(names);
        snprintf(names + len, sizeof(names) - len, "%s%s",
                 k == 0       ? ""
                 : k + 1 == n ? " and "
                              : ", ",
                 options[i].name);
        k++;
        given |= option_is_set(o, &options[i]);
    }
    return given ? bad("%s belong to %s, not %s", names, cmd, o->command) : 0;
}

/* Each command's own options: checked under it, refused under the others. */
static int check_command_options(const opts_t *o) {
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const command_t *c = &commands[i];
        int rc = is_command(o, c->name) ? (c->check ? c->check(o) : 0) : check_foreign(o, c->name);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parses argv into o; returns 0, -1 after --help (stop with status 0), or an exit status
 * after printing one line. The caller frees o->index and o->files also on failure. */
static int parse(int argc, char **argv, opts_t *o) {
    memset(o, 0, sizeof(*o));
    o->timeout_s = DEFAULT_TIMEOUT_S;
    o->index = json_object();
    o->files = qr_xcalloc((size_t)argc + 1, sizeof(*o->files));
    for (int i = 1; i < argc; i++) {
        int rc = parse_arg(argc, argv, &i, o);
        if (rc)
            return rc;
    }
    opts_from_env(o);
    int rc = check_command(o);
    if (!rc)
        rc = check_login(o);
    if (!rc)
        rc = check_command_options(o);
    return rc;
}

/* Reads a secret from a file that only its owner may read; returns a new string (caller
 * cleanses and frees) or NULL after printing why. */
static char *read_secret_file(const char *path, const char *what) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        fprintf(stderr, "quire-device: cannot read the %s file %s: %s\n", what, path,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) || sb.st_uid != geteuid()) {
        fprintf(stderr,
                "quire-device: the %s file %s must be a regular file of yours with mode 0600 "
                "(it is %04o)\n",
                what, path, (unsigned)(sb.st_mode & 07777));
        close(fd);
        return NULL;
    }
    char *buf = qr_xcalloc(1, SECRET_MAX + 2);
    ssize_t n = read(fd, buf, SECRET_MAX + 1);
    close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n <= 0 || n > SECRET_MAX) {
        fprintf(stderr, "quire-device: the %s file %s must hold 1 to %d bytes\n", what, path,
                SECRET_MAX);
        OPENSSL_cleanse(buf, SECRET_MAX + 2);
        free(buf);
        return NULL;
    }
    return buf;
}

static char *secret_from(const char *file, const char *env, const char *what) {
    if (file)
        return read_secret_file(file, what);
    const char *e = getenv(env);
    if (e && *e && strlen(e) <= SECRET_MAX)
        return qr_xstrdup(e);
    fprintf(stderr, "quire-device: no %s: set %s or give the %s file (mode 0600)\n", what, env,
            what);
    return NULL;
}

static void free_secret(char *s) {
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

/* The exit status for a refusal by the server: 2 for a 400 (bad input), else 1. */
static int refused(const char *what, const qr_reply_t *r) {
    char buf[32];
    fprintf(stderr, "quire-device: %s: %s\n", what, qr_reply_message(r, buf, sizeof(buf)));
    return r->status == 400 ? 2 : 1;
}

static int transport(const qr_err_t *err) {
    fprintf(stderr, "quire-device: %s\n", err->msg);
    return err->status == QR_E_INVALID ? 2 : 1;
}

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The device's token from its client credentials (p->device_token). */
static int device_sign_in(panel_t *p) {
    const opts_t *o = p->o;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reply_t r = {0, NULL};
    char *secret = secret_from(o->secret_file, "QUIRE_DEVICE_SECRET", "device secret");
    if (!secret)
        return 2;
    qr_status_t st =
        qr_remote_client_token(p->rm, o->client_id, secret, &p->device_token, &r, &err);
    free_secret(secret);
    if (st)
        return transport(&err);
    int rc = 0;
    if (!p->device_token)
        rc = refused("the server refused the device credentials", &r);
    qr_reply_free(&r);
    return rc;
}

/* The panel login's body for the way the person logs in (PIN, card or password); the
 * password is read here (*password: caller cleanses and frees). Returns 0, or 2 after one
 * line when there is no password. */
static int login_body(const opts_t *o, json_t **body, char **password) {
    *password = NULL;
    if (o->pin)
        *body = o->username ? json_pack("{s:s, s:s, s:s}", "method", "pin", "username", o->username,
                                        "pin", o->pin)
                            : json_pack("{s:s, s:s}", "method", "pin", "pin", o->pin);
    else if (o->card && !is_command(o, "register-card"))
        *body = json_pack("{s:s, s:s}", "method", "card", "card", o->card);
    else {
        if (!(*password = secret_from(o->password_file, "QUIRE_PANEL_PASSWORD", "password")))
            return 2;
        *body = json_pack("{s:s, s:s, s:s}", "method", "password", "username", o->username,
                          "password", *password);
    }
    return 0;
}

/* Takes the panel token, the person's username and the token's lifetime from the login's
 * answer r (asked at the monotonic time started). */
static void panel_take(panel_t *p, const qr_reply_t *r, double started) {
    const char *t = json_string_value(json_object_get(r->json, "access_token"));
    p->token = qr_xstrdup(t);
    const char *u =
        json_string_value(json_object_get(json_object_get(r->json, "user"), "username"));
    free(p->username);
    p->username = qr_xstrdup(u ? u : "");
    json_t *ttl = json_object_get(r->json, "expires_in");
    p->fresh_until =
        started - PANEL_MARGIN_S +
        (json_is_integer(ttl) ? (double)json_integer_value(ttl) : (double)PANEL_TTL_DEFAULT_S);
}

/* Device token, then the person's panel login. */
static int panel_open(panel_t *p) {
    double started = mono_now();
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reply_t r = {0, NULL};
    json_t *body;
    char *password;
    int rc = device_sign_in(p);
    if (!rc)
        rc = login_body(p->o, &body, &password);
    if (rc)
        return rc;
    qr_status_t st =
        qr_remote_call(p->rm, "POST", "/api/v1/device/login", p->device_token, body, &r, &err);
    json_decref(body); /* the encoded copy was cleansed by qr_remote_call */
    free_secret(password);
    if (st)
        return transport(&err);
    if (r.status != 200 || !json_string_value(json_object_get(r.json, "access_token")))
        rc = refused("panel login refused", &r);
    else
        panel_take(p, &r, started);
    qr_reply_free(&r);
    return rc;
}

/* Ends the person's session at the server and forgets both tokens. */
static void panel_logout(panel_t *p) {
    if (p->token) {
        qr_err_t err = {QR_OK, NULL, ""};
        qr_reply_t r = {0, NULL};
        if (qr_remote_call(p->rm, "POST", "/api/v1/auth/logout", p->token, NULL, &r, &err))
            fprintf(stderr, "quire-device: logout: %s\n", err.msg);
        else if (r.status != 204 && r.status != 200)
            refused("logout", &r);
        qr_reply_free(&r);
    }
    free_secret(p->token);
    free_secret(p->device_token);
    p->token = p->device_token = NULL;
}

static void panel_close(panel_t *p) {
    panel_logout(p);
    free(p->username);
}

/* Panel tokens live 5 minutes, and a print may take longer (--timeout): before each step
 * that needs the token, a token about to expire is replaced by a new login of the same
 * person at the same device (the server takes results only from the releasing device). */
static int panel_ensure(panel_t *p) {
    if (p->token && mono_now() < p->fresh_until)
        return 0;
    panel_logout(p);
    return panel_open(p);
}

/* Sends method path with the person's panel token and the JSON body (may be NULL; freed
 * here). Returns 0 with *r the answer (caller frees), or the exit status of a transport
 * failure after one line. */
static int panel_call(panel_t *p, const char *method, const char *path, json_t *body,
                      qr_reply_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_remote_call(p->rm, method, path, p->token, body, r, &err);
    json_decref(body);
    return st ? transport(&err) : 0;
}

static int cmd_jobs(panel_t *p) {
    qr_reply_t r = {0, NULL};
    int rc = panel_call(p, "GET", "/api/v1/jobs", NULL, &r);
    if (rc)
        return rc;
    if (r.status != 200 || !r.json) {
        rc = refused("listing the jobs failed", &r);
    } else {
        char *s = json_dumps(r.json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
    }
    qr_reply_free(&r);
    return rc;
}

static int cmd_register_card(panel_t *p) {
    qr_reply_t r = {0, NULL};
    json_t *body = json_pack("{s:s}", "number", p->o->card);
    int rc = panel_call(p, "POST", "/api/v1/me/cards", body, &r);
    if (rc)
        return rc;
    if (r.status != 201) {
        rc = refused("registering the card failed", &r);
    } else {
        const char *shown = json_string_value(json_object_get(r.json, "number"));
        printf("card %s registered for %s\n", shown ? shown : "", p->username);
    }
    qr_reply_free(&r);
    return rc;
}

/* Opens an unnamed file for the document in a new private (0700) directory, which is
 * removed again at once: the plaintext has no name on disk and vanishes when the fd is
 * closed, also if the process is killed. Returns the fd or -1 with err set. */
static int open_spool(const char *tmp_dir, qr_err_t *err) {
    char *dir = qr_xasprintf("%s/quire-device.XXXXXX", tmp_dir);
    if (!mkdtemp(dir)) {
        qr_err_set(err, QR_E_IO, NULL, "cannot make a private directory in %s: %s", tmp_dir,
                   strerror(errno));
        free(dir);
        return -1;
    }
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        /* A file system without O_TMPFILE: a named file, unlinked at once. */
        char *path = qr_xasprintf("%s/doc.XXXXXX", dir);
        fd = mkstemp(path);
        if (fd >= 0)
            unlink(path);
        free(path);
    }
    if (fd < 0)
        qr_err_set(err, QR_E_IO, NULL, "cannot make a private file in %s: %s", dir,
                   strerror(errno));
    rmdir(dir);
    free(dir);
    return fd;
}

static int json_int(json_t *o, const char *k, int dflt) {
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

/* One released job: the settings the server allows (its "print" answer, after the org's
 * policy), and the document's size and name. name lives as long as the release's reply. */
typedef struct release {
    int copies, pages, color, duplex;
    int has_size;   /* the answer gave the document's size */
    long long size; /* then: its bytes */
    const char *name;
} release_t;

/* Reports the outcome of one print (POST /api/v1/jobs/{id}/result): printed, or failed for
 * reason (not NULL). */
static int report(panel_t *p, const char *id, const release_t *rel, const char *reason) {
    qr_reply_t r = {0, NULL};
    json_t *body = json_pack("{s:s, s:i, s:i, s:b, s:b}", "status", reason ? "failed" : "printed",
                             "pages", reason ? 0 : rel->pages, "copies", rel->copies, "color",
                             rel->color, "duplex", rel->duplex);
    if (reason) {
        char cut[REASON_MAX + 1];
        snprintf(cut, sizeof(cut), "%s", reason);
        json_object_set_new(body, "reason", json_string(cut));
    }
    char *path = qr_xasprintf("/api/v1/jobs/%s/result", id);
    int rc = panel_call(p, "POST", path, body, &r);
    free(path);
    if (rc)
        return rc;
    if (r.status != 200) {
        char what[128];
        snprintf(what, sizeof(what), "job %s: reporting the result failed", id);
        rc = refused(what, &r);
    }
    qr_reply_free(&r);
    return rc;
}

/* Releases job id at the server (POST /api/v1/jobs/{id}/release): 0 with *r its answer
 * (caller frees) and *rel read from it, or an exit status after one line. */
static int release_request(panel_t *p, const char *id, qr_reply_t *r, release_t *rel) {
    int rc = panel_ensure(p);
    if (rc)
        return rc;
    char *path = qr_xasprintf("/api/v1/jobs/%s/release", id);
    rc = panel_call(p, "POST", path, NULL, r);
    free(path);
    if (rc)
        return rc;
    json_t *pr = json_object_get(r->json, "print");
    if (r->status != 200 || !json_is_object(pr)) {
        char what[128];
        snprintf(what, sizeof(what), "job %s: release refused%s%s%s", id,
                 *qr_reply_code(r) ? " (" : "", qr_reply_code(r), *qr_reply_code(r) ? ")" : "");
        rc = refused(what, r);
        qr_reply_free(r);
        return rc;
    }
    json_t *size = json_object_get(r->json, "size");
    rel->copies = json_int(pr, "copies", 1);
    rel->pages = json_int(pr, "pages", 0);
    rel->color = json_is_true(json_object_get(pr, "color"));
    rel->duplex = json_is_true(json_object_get(pr, "duplex"));
    rel->has_size = json_is_integer(size);
    rel->size = rel->has_size ? (long long)json_integer_value(size) : 0;
    rel->name = json_string_value(json_object_get(r->json, "name"));
    return 0;
}

/* Downloads job id's document into fd, checked to be complete (*size: its bytes). Returns
 * NULL, or why not (a new string; caller frees). */
static char *download_document(panel_t *p, const char *id, const release_t *rel, int fd,
                               long long *size) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reply_t d = {0, NULL};
    char buf[32], *reason = NULL;
    char *path = qr_xasprintf("/api/v1/jobs/%s/document", id);
    qr_status_t st = qr_remote_download(p->rm, path, p->token, fd, size, &d, &err);
    free(path);
    if (st)
        reason = qr_xasprintf("download failed: %s", err.msg);
    else if (d.status != 200)
        reason = qr_xasprintf("download refused: %s", qr_reply_message(&d, buf, sizeof(buf)));
    else if (rel->has_size && rel->size != *size)
        reason = qr_xasprintf("download incomplete: %lld of %lld bytes", *size, rel->size);
    qr_reply_free(&d);
    return reason;
}

/* Downloads the document completely first, then prints it (see docs/device.md, "Why a
 * private file"). *size is the document's bytes, *job_id the printer's job. Returns NULL, or
 * why it was not printed (a new string; caller frees). */
static char *print_document(panel_t *p, const char *id, const release_t *rel, long long *size,
                            int *job_id) {
    qr_err_t err = {QR_OK, NULL, ""};
    int fd = open_spool(p->o->tmp_dir, &err);
    if (fd < 0)
        return qr_xstrdup(err.msg);
    char *reason = download_document(p, id, rel, fd, size);
    if (!reason) {
        qr_print_settings_t s = {rel->name, p->username, rel->copies, rel->color, rel->duplex};
        if (qr_printer_print(p->o->printer, fd, *size, &s, p->o->timeout_s, job_id, &err))
            reason = qr_xstrdup(err.msg);
    }
    close(fd); /* the document is gone from disk with its last descriptor */
    return reason;
}

/* Releases one job, prints it and reports the result. */
static int release_one(panel_t *p, const char *id) {
    qr_reply_t r = {0, NULL};
    release_t rel;
    int rc = release_request(p, id, &r, &rel);
    if (rc)
        return rc;
    long long size = 0;
    int job_id = 0;
    char *reason = print_document(p, id, &rel, &size, &job_id);
    rc = panel_ensure(p);
    if (!rc)
        rc = report(p, id, &rel, reason);
    if (reason) {
        fprintf(stderr, "quire-device: job %s: not printed: %s\n", id, reason);
        rc = rc ? rc : 1;
    } else if (!rc) {
        printf("job %s printed: %d page%s x %d cop%s, %s, %s, %lld bytes -> printer job %d\n", id,
               rel.pages, rel.pages == 1 ? "" : "s", rel.copies, rel.copies == 1 ? "y" : "ies",
               rel.color ? "color" : "monochrome", rel.duplex ? "duplex" : "simplex", size, job_id);
    }
    free(reason);
    qr_reply_free(&r);
    return rc;
}

static int cmd_release(panel_t *p) {
    if (p->o->job)
        return release_one(p, p->o->job);
    qr_reply_t r = {0, NULL};
    int rc = panel_call(p, "GET", "/api/v1/jobs", NULL, &r), n = 0;
    if (rc)
        return rc;
    if (r.status != 200) {
        rc = refused("listing the jobs failed", &r);
        qr_reply_free(&r);
        return rc;
    }
    size_t i;
    json_t *j;
    json_array_foreach(json_object_get(r.json, "items"), i, j) {
        const char *id = json_string_value(json_object_get(j, "id"));
        const char *status = json_string_value(json_object_get(j, "status"));
        if (!id || !status || strcmp(status, "held") != 0 || !is_id(id))
            continue;
        n++;
        int one = release_one(p, id);
        rc = one > rc ? one : rc;
    }
    if (n == 0)
        printf("no held jobs for %s\n", p->username);
    qr_reply_free(&r);
    return rc;
}

/* --- scanning --- */

/* A refusal of a scan step by the server: "WHAT (code): message" on stderr; exit status 1
 * (the input was well-formed, the server's rules refused it: an index value the class does
 * not take, a workflow the person may not use, a file it cannot read, the OCR limit). */
static int scan_refused(const char *what, const qr_reply_t *r) {
    char buf[32];
    const char *code = qr_reply_code(r);
    fprintf(stderr, "quire-device: %s%s%s%s: %s\n", what, *code ? " (" : "", code, *code ? ")" : "",
            qr_reply_message(r, buf, sizeof(buf)));
    return 1;
}

/* One indented line per field of a workflow's class, as a panel would ask it: name, type,
 * list values, required or optional, filled by a rule. */
static void print_field(json_t *f) {
    const char *fname = json_string_value(json_object_get(f, "name"));
    const char *type = json_string_value(json_object_get(f, "type"));
    printf("  field %s: %s", fname ? fname : "?", type ? type : "?");
    json_t *values = json_object_get(f, "values"), *v;
    size_t k;
    if (json_array_size(values) > 0) {
        fputs(" (", stdout);
        json_array_foreach(values, k, v) {
            printf("%s%s", k ? ", " : "", json_string_value(v) ? json_string_value(v) : "");
        }
        putchar(')');
    }
    printf(", %s", json_is_true(json_object_get(f, "required")) ? "required" : "optional");
    if (json_is_true(json_object_get(f, "filled_by_rule")))
        fputs(", filled by rule", stdout);
    putchar('\n');
}

/* One line per workflow (id, name, format, class), then one line per field. */
static void print_workflow(json_t *w) {
    const char *id = json_string_value(json_object_get(w, "id"));
    const char *name = json_string_value(json_object_get(w, "name"));
    const char *format = json_string_value(json_object_get(w, "format"));
    const char *cls = json_string_value(json_object_get(w, "class_name"));
    const char *folder = json_string_value(json_object_get(w, "folder"));
    printf("workflow %s \"%s\" format %s", id ? id : "?", name ? name : "", format ? format : "?");
    if (cls)
        printf(" class \"%s\"", cls);
    if (folder && *folder)
        printf(" folder %s", folder);
    putchar('\n');
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(w, "fields"), i, f) {
        print_field(f);
    }
}

static int cmd_workflows(panel_t *p) {
    qr_reply_t r = {0, NULL};
    int rc = panel_call(p, "GET", "/api/v1/me/workflows", NULL, &r);
    if (rc)
        return rc;
    json_t *items = json_object_get(r.json, "items");
    if (r.status != 200 || !json_is_array(items)) {
        rc = refused("listing the workflows failed", &r);
    } else if (json_array_size(items) == 0) {
        printf("no scan workflows for %s\n", p->username);
    } else {
        size_t i;
        json_t *w;
        json_array_foreach(items, i, w) {
            print_workflow(w);
        }
    }
    qr_reply_free(&r);
    return rc;
}

/* Checks every file before anything is sent: readable, a regular file, JPEG/PNG/TIFF/PDF by
 * its magic bytes. Returns 0 or exit status 2 after one line. */
static int scan_check_files(const opts_t *o) {
    for (int i = 0; i < o->n_files; i++) {
        qr_err_t err = {QR_OK, NULL, ""};
        int fd;
        const char *type;
        if (qr_scaninput_open(o->files[i], &fd, &type, &err))
            return bad("%s", err.msg);
        close(fd);
    }
    return 0;
}

/* Removes a scan that could not be completed (best effort: the server also removes scans
 * never submitted after an hour). */
static void scan_discard(panel_t *p, const char *id) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reply_t r = {0, NULL};
    char *path = qr_xasprintf("/api/v1/scans/%s", id);
    if (!panel_ensure(p) && !qr_remote_call(p->rm, "DELETE", path, p->token, NULL, &r, &err) &&
        r.status != 204 && r.status != 404)
        refused("removing the unfinished scan", &r);
    qr_reply_free(&r);
    free(path);
}

/* Uploads one file to the scan id (opened and its type found again: it is read now). */
static int scan_upload(panel_t *p, const char *id, const char *file) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reply_t r = {0, NULL};
    int fd, rc = panel_ensure(p);
    const char *type;
    if (rc)
        return rc;
    if (qr_scaninput_open(file, &fd, &type, &err)) {
        fprintf(stderr, "quire-device: %s\n", err.msg); /* changed since it was checked */
        return 1;
    }
    char *path = qr_xasprintf("/api/v1/scans/%s/files", id);
    qr_status_t st = qr_remote_upload(p->rm, path, p->token, fd, type, &r, &err);
    free(path);
    close(fd);
    if (st) {
        fprintf(stderr, "quire-device: %s: %s\n", file, err.msg);
        return 1;
    }
    if (r.status != 201) {
        char what[300];
        snprintf(what, sizeof(what), "%s: upload refused", file);
        rc = scan_refused(what, &r);
    }
    qr_reply_free(&r);
    return rc;
}

static long long json_ll(json_t *o, const char *k) {
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* A done scan's delivery: none (the documents wait in the download area), or its status,
 * where to, the attempts and the error. */
static void print_delivery(json_t *d) {
    if (!json_is_object(d)) {
        puts("  delivery: none (the documents are in the download area)");
        return;
    }
    const char *status = json_string_value(json_object_get(d, "status"));
    const char *where = json_string_value(json_object_get(d, "location"));
    const char *error = json_string_value(json_object_get(d, "error"));
    printf("  delivery: %s", status ? status : "?");
    if (where)
        printf(" to %s", where);
    printf(" after %lld attempt%s", json_ll(d, "attempts"), json_ll(d, "attempts") == 1 ? "" : "s");
    if (error)
        printf(" (%s)", error);
    putchar('\n');
}

/* What a done scan holds: its pages, index values, documents and delivery. */
static void print_done(json_t *s) {
    const char *id = json_string_value(json_object_get(s, "id"));
    long long in = json_ll(s, "pages_in"), out = json_ll(s, "pages_out");
    printf("scan %s: done, %lld page%s scanned, %lld page%s out, %lld OCR page%s\n", id, in,
           in == 1 ? "" : "s", out, out == 1 ? "" : "s", json_ll(s, "ocr_pages"),
           json_ll(s, "ocr_pages") == 1 ? "" : "s");
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(s, "index"), key, v) {
        if (json_is_string(v))
            printf("  index %s = %s\n", key, json_string_value(v));
        else if (json_is_number(v))
            printf("  index %s = %.15g\n", key, json_number_value(v));
        else if (json_is_null(v))
            printf("  index %s = (none)\n", key);
    }
    size_t i;
    json_array_foreach(json_object_get(s, "documents"), i, v) {
        const char *name = json_string_value(json_object_get(v, "name"));
        printf("  document %lld: %s, %lld bytes\n", json_ll(v, "n"), name ? name : "",
               json_ll(v, "size"));
    }
    print_delivery(json_object_get(s, "delivery"));
}

/* A scan that failed at the server: "scan ID failed (code): message" on stderr; exit 1. */
static int scan_failed(const char *id, json_t *scan) {
    json_t *e = json_object_get(scan, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    fprintf(stderr, "quire-device: scan %s failed (%s): %s\n", id, code ? code : "error",
            msg ? msg : "no reason given");
    return 1;
}

/* One look at the scan's status (GET path): 0 when it is done (printed), -1 when not yet
 * (status: what it is now), or an exit status after one line. */
static int scan_poll(panel_t *p, const char *id, const char *path, char *status, size_t len) {
    qr_reply_t r = {0, NULL};
    int rc = panel_ensure(p);
    if (!rc)
        rc = panel_call(p, "GET", path, NULL, &r);
    if (rc)
        return rc;
    const char *last = json_string_value(json_object_get(r.json, "status"));
    rc = -1;
    if (r.status != 200 || !last) {
        rc = scan_refused("reading the scan's status failed", &r);
    } else if (strcmp(last, "done") == 0) {
        print_done(r.json);
        rc = 0;
    } else if (strcmp(last, "failed") == 0) {
        rc = scan_failed(id, r.json);
    } else {
        snprintf(status, len, "%s", last);
    }
    qr_reply_free(&r);
    return rc;
}

/* --wait: asks for the scan's status every SCAN_POLL_US until it is done or failed, or
 * --timeout passes. */
static int scan_wait(panel_t *p, const char *id) {
    double end = mono_now() + p->o->timeout_s;
    char *path = qr_xasprintf("/api/v1/scans/%s", id);
    char status[32] = "queued";
    int rc;
    while ((rc = scan_poll(p, id, path, status, sizeof(status))) < 0) {
        if (mono_now() + SCAN_POLL_US / 1e6 > end) {
            fprintf(stderr, "quire-device: scan %s is still %s after %d s (--timeout)\n", id,
                    status, p->o->timeout_s);
            rc = 1;
            break;
        }
        usleep(SCAN_POLL_US);
    }
    free(path);
    return rc;
}

/* Starts the scan (POST /api/v1/scans with the workflow, name, folder and index values):
 * 0 with *id the new scan's id (caller frees), or an exit status after one line. */
static int scan_create(panel_t *p, char **id) {
    const opts_t *o = p->o;
    qr_reply_t r = {0, NULL};
    json_t *body = json_pack("{s:s}", "workflow_id", o->workflow);
    if (o->name)
        json_object_set_new(body, "name", json_string(o->name));
    if (o->folder)
        json_object_set_new(body, "folder", json_string(o->folder));
    if (json_object_size(o->index))
        json_object_set(body, "index", o->index);
    int rc = panel_call(p, "POST", "/api/v1/scans", body, &r);
    if (rc)
        return rc;
    const char *sid = json_string_value(json_object_get(r.json, "id"));
    if (r.status != 201 || !sid || !is_id(sid))
        rc = scan_refused("scan refused", &r);
    else
        *id = qr_xstrdup(sid);
    qr_reply_free(&r);
    return rc;
}

/* Submits the scan (POST /api/v1/scans/{id}/submit): 0 with *r the answer (caller frees),
 * or an exit status after one line. */
static int scan_submit(panel_t *p, const char *id, qr_reply_t *r) {
    int rc = panel_ensure(p);
    if (rc)
        return rc;
    char *path = qr_xasprintf("/api/v1/scans/%s/submit", id);
    rc = panel_call(p, "POST", path, NULL, r);
    if (!rc && r->status != 202)
        rc = scan_refused("submitting the scan refused", r);
    free(path);
    return rc;
}

/* Starts the scan, uploads every file, submits it and, with --wait, follows it. A scan that
 * could not be submitted is removed again. */
static int cmd_scan(panel_t *p) {
    const opts_t *o = p->o;
    qr_reply_t r = {0, NULL};
    char *id = NULL;
    int rc = scan_create(p, &id);
    if (rc)
        return rc;
    for (int i = 0; i < o->n_files && !rc; i++)
        rc = scan_upload(p, id, o->files[i]);
    if (!rc)
        rc = scan_submit(p, id, &r);
    if (rc) {
        qr_reply_free(&r);
        scan_discard(p, id);
        free(id);
        return rc;
    }
    const char *status = json_string_value(json_object_get(r.json, "status"));
    long long pages = json_ll(r.json, "pages_in");
    printf("scan %s: %s, %d file%s, %lld page%s\n", id, status ? status : "submitted", o->n_files,
           o->n_files == 1 ? "" : "s", pages, pages == 1 ? "" : "s");
    fflush(stdout);
    qr_reply_free(&r);
    if (o->wait)
        rc = scan_wait(p, id);
    free(id);
    return rc;
}

int main(int argc, char **argv) {
    opts_t o;
    int rc = parse(argc, argv, &o);
    if (!rc && is_command(&o, "scan"))
        rc = scan_check_files(&o); /* before anything is sent */
    if (rc) {
        json_decref(o.index);
        free(o.files);
        return rc < 0 ? 0 : rc;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    qr_err_t err = {QR_OK, NULL, ""};
    panel_t p = {NULL, &o, NULL, NULL, NULL, 0};
    if (qr_remote_create(o.server, o.ca_file, &p.rm, &err))
        rc = transport(&err);
    else if (!(rc = panel_open(&p)))
        rc = find_command(&o)->run(&p);
    panel_close(&p);
    qr_remote_destroy(p.rm);
    curl_global_cleanup();
    json_decref(o.index);
    free(o.files);
    return rc;
}
