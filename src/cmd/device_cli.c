/* SPDX-License-Identifier: Apache-2.0 */
/* quire: quire-device's command line: the usage text, the option table, parsing argv and the
 * environment, and the checks of the login and of each command's options. */
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/printer.h"
#include "client/scaninput.h"
#include "cmd/device_private.h"
#include "core/mem.h"

#define DEFAULT_SERVER "https://localhost:8443"
#define DEFAULT_TIMEOUT_S 300
#define SCAN_MAX_FILES 1000 /* files per scan (the server's QR_SCAN_MAX_FILES) */
#define SCAN_MAX_INDEX 50   /* --index values (the server's attributes per class) */

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
int dev_bad(const char *fmt, ...) {
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
int dev_is_id(const char *s) {
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

int dev_is_command(const opts_t *o, const char *name) {
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
        return dev_bad("a scan has at most %d files", SCAN_MAX_FILES);
    o->files[o->n_files++] = path;
    return 0;
}

/* An argument that is not an option: the command, then (scan) the files. */
static int add_positional(opts_t *o, const char *a) {
    if (dev_is_command(o, "scan"))
        return add_file(o, a);
    if (o->command)
        return dev_bad("unexpected argument '%s' (try --help)", a);
    o->command = a;
    return 0;
}

static int set_index(opts_t *o, const char *v) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (json_object_size(o->index) >= SCAN_MAX_INDEX)
        return dev_bad("at most %d --index values", SCAN_MAX_INDEX);
    if (qr_scaninput_add_index(o->index, v, &err))
        return dev_bad("%s", err.msg);
    return 0;
}

static int set_timeout(opts_t *o, const char *v) {
    o->timeout_s = 0;
    for (const char *c = v; all_digits(v) && strlen(v) <= 5 && *c; c++)
        o->timeout_s = o->timeout_s * 10 + (*c - '0');
    if (o->timeout_s < 1)
        return dev_bad("--timeout must be a number of seconds from 1 to 99999 (got '%s')", v);
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
    if (strcmp(a, "--") == 0 && dev_is_command(o, "scan")) {
        /* The rest are files, also names that begin with '-'. */
        int rc = 0;
        while (!rc && ++*i < argc)
            rc = add_file(o, argv[*i]);
        *i = argc;
        return rc;
    }
    if (is_secret_option(a))
        return dev_bad("%s: secrets are never taken from the command line (ps shows it); use "
                       "the environment or a 0600 file (see --help)",
                       a);
    if (a[0] != '-')
        return add_positional(o, a);
    const optdef_t *d = find_option(a);
    if (!d)
        return dev_bad("unknown option '%s' (try --help)", a);
    if (d->kind == OPT_FLAG) {
        *flag_field(o, d) = 1;
        return 0;
    }
    if (*i + 1 >= argc || !argv[*i + 1][0])
        return dev_bad("%s needs a value", a);
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

static int check_command(const opts_t *o) {
    if (!o->command)
        return dev_bad("no command: jobs, release, register-card, workflows or scan (try --help)");
    if (dev_find_command(o))
        return 0;
    return dev_bad("unknown command '%s': jobs, release, register-card, workflows or scan",
                   o->command);
}

/* The device, and exactly one way for the person to log in at the panel. */
static int check_login(const opts_t *o) {
    int reg = dev_is_command(o, "register-card");
    if (!o->client_id)
        return dev_bad("no device: give --client-id ID (or QUIRE_DEVICE_CLIENT_ID)");
    if (o->pin && !(all_digits(o->pin) && strlen(o->pin) >= 4 && strlen(o->pin) <= 8))
        return dev_bad("the PIN must be 4 to 8 digits");
    if (o->card && !is_card(o->card))
        return dev_bad("the card number must be 1 to 64 printable characters without spaces");
    if (reg && !o->card)
        return dev_bad("register-card needs --card NUMBER (the card at the reader)");
    int by_card = o->card && !reg;
    if (by_card + (o->pin != NULL) + (o->username && !o->pin) != 1)
        return dev_bad("log in with exactly one of --pin PIN, --card NUMBER or --username NAME "
                       "(register-card: --pin or --username)");
    return 0;
}

int dev_check_release(const opts_t *o) {
    qr_err_t err = {QR_OK, NULL, ""};
    if (!o->job == !o->all)
        return dev_bad("release needs --job ID or --all");
    if (o->job && !dev_is_id(o->job))
        return dev_bad("the job id '%s' is not valid (letters, digits, - and _)", o->job);
    if (!o->printer)
        return dev_bad("release needs --printer URI (or QUIRE_PRINTER)");
    if (qr_printer_check_uri(o->printer, &err))
        return dev_bad("%s", err.msg);
    return 0;
}

int dev_check_scan(const opts_t *o) {
    if (!o->workflow)
        return dev_bad("scan needs --workflow ID (see: quire-device workflows LOGIN)");
    if (!dev_is_id(o->workflow))
        return dev_bad("the workflow id '%s' is not valid (letters, digits, - and _)", o->workflow);
    if (o->n_files == 0)
        return dev_bad("scan needs at least one FILE (JPEG, PNG, TIFF or PDF)");
    for (int k = 0; k < 2; k++) {
        const char *v = k ? o->folder : o->name;
        json_t *j = v ? json_string(v) : NULL; /* NULL if not UTF-8 */
        if (v && !j)
            return dev_bad("%s must be UTF-8", k ? "--folder" : "--name");
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
    return given ? dev_bad("%s belong to %s, not %s", names, cmd, o->command) : 0;
}

/* Each command's own options: checked under it, refused under the others. */
static int check_command_options(const opts_t *o) {
    for (size_t i = 0; i < dev_n_commands; i++) {
        const command_t *c = &dev_commands[i];
        int rc =
            dev_is_command(o, c->name) ? (c->check ? c->check(o) : 0) : check_foreign(o, c->name);
        if (rc)
            return rc;
    }
    return 0;
}

/* Parses argv into o; returns 0, -1 after --help (stop with status 0), or an exit status
 * after printing one line. The caller frees o->index and o->files also on failure. */
int dev_parse(int argc, char **argv, opts_t *o) {
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
