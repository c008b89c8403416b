/* SPDX-License-Identifier: Apache-2.0 */
/* quire: what the files of quire-device share (quire_device.c, device_cli.c, device_panel.c,
 * device_release.c, device_scan.c): the options, the panel session, the command table and
 * the helpers more than one of them calls. Private to the program; its names begin dev_. */
#ifndef QR_DEVICE_PRIVATE_H
#define QR_DEVICE_PRIVATE_H

#include <jansson.h>
#include <stddef.h>

#include "client/remote.h"
#include "core/error.h"

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

/* The commands: the checks of the options that belong to one of them, and what it does once
 * the person is logged in at the panel. */
typedef struct command {
    const char *name;
    int (*check)(const opts_t *o); /* NULL: no options of its own */
    int (*run)(panel_t *p);
} command_t;

/* quire_device.c: the command table (dev_n_commands entries), in the order of --help. */
extern const command_t dev_commands[];
extern const size_t dev_n_commands;

/* The command o names; NULL if none or unknown. */
const command_t *dev_find_command(const opts_t *o);

/* device_cli.c */

/* Parses argv into o; returns 0, -1 after --help (stop with status 0), or an exit status
 * after printing one line. The caller frees o->index and o->files also on failure. */
int dev_parse(int argc, char **argv, opts_t *o);

/* Prints one line about bad usage or input and returns exit status 2. */
int dev_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A job or workflow id: 1 to 64 letters, digits, '-' and '_'. */
int dev_is_id(const char *s);

/* Whether o's command is name. */
int dev_is_command(const opts_t *o, const char *name);

/* The checks of the release and the scan command's options: 0, or 2 after one line. */
int dev_check_release(const opts_t *o);
int dev_check_scan(const opts_t *o);

/* device_panel.c */

/* The exit status for a refusal by the server (one line on stderr): 2 for a 400 (bad
 * input), else 1. */
int dev_refused(const char *what, const qr_reply_t *r);

/* The exit status for a transport failure (one line on stderr): 2 for QR_E_INVALID, else 1. */
int dev_transport(const qr_err_t *err);

/* The monotonic clock in seconds. */
double dev_mono_now(void);

/* Device token, then the person's panel login. Returns 0 or an exit status after one line. */
int dev_panel_open(panel_t *p);

/* Logs the person out, forgets both tokens and frees the username. */
void dev_panel_close(panel_t *p);

/* Before a step that needs the panel token: a token about to expire is replaced by a new
 * login of the same person. Returns 0 or an exit status after one line. */
int dev_panel_ensure(panel_t *p);

/* Sends method path with the person's panel token and the JSON body (may be NULL; freed
 * here). Returns 0 with *r the answer (caller frees), or the exit status of a transport
 * failure after one line. */
int dev_panel_call(panel_t *p, const char *method, const char *path, json_t *body, qr_reply_t *r);

/* The commands (the run entries of the table): each returns the exit status. */
int dev_cmd_jobs(panel_t *p);          /* device_panel.c */
int dev_cmd_register_card(panel_t *p); /* device_panel.c */
int dev_cmd_release(panel_t *p);       /* device_release.c */
int dev_cmd_workflows(panel_t *p);     /* device_scan.c */
int dev_cmd_scan(panel_t *p);          /* device_scan.c */

/* device_scan.c: checks every scan file before anything is sent (readable, a regular file,
 * JPEG/PNG/TIFF/PDF by its magic bytes). Returns 0 or exit status 2 after one line. */
int dev_scan_check_files(const opts_t *o);

#endif
