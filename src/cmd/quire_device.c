/* SPDX-License-Identifier: Apache-2.0 */
/* quire: quire-device, the reference device client. It plays the MFP: signs in with the
 * device's client credentials, logs a person in at the "panel" (password, PIN or card),
 * lists and releases their held jobs and prints them to an IPP printer, registers cards,
 * and reports each print back; lists the person's scan workflows and scans through one
 * (uploads the scanned files, streamed, and follows the scan until it is done). Exit status 0 on
 * success, 1 when the server or the printer refused or failed, 2 on bad usage or input (one line on
 * stderr). See docs/device.md. This file: main and the command table; the command line is in
 * device_cli.c, the panel session in device_panel.c, release and scan in device_release.c and
 * device_scan.c (shared: device_private.h). */
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

#include "client/remote.h"
#include "cmd/device_private.h"

/* The commands: the checks of the options that belong to one of them, and what it does once
 * the person is logged in at the panel. */
const command_t dev_commands[] = {
    {"jobs", NULL, dev_cmd_jobs},
    {"release", dev_check_release, dev_cmd_release},
    {"register-card", NULL, dev_cmd_register_card},
    {"workflows", NULL, dev_cmd_workflows},
    {"scan", dev_check_scan, dev_cmd_scan},
};
const size_t dev_n_commands = sizeof(dev_commands) / sizeof(dev_commands[0]);

/* The command o names; NULL if none or unknown. */
const command_t *dev_find_command(const opts_t *o) {
    for (size_t i = 0; i < dev_n_commands; i++)
        if (dev_is_command(o, dev_commands[i].name))
            return &dev_commands[i];
    return NULL;
}

int main(int argc, char **argv) {
    opts_t o;
    int rc = dev_parse(argc, argv, &o);
    if (!rc && dev_is_command(&o, "scan"))
        rc = dev_scan_check_files(&o); /* before anything is sent */
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
        rc = dev_transport(&err);
    else if (!(rc = dev_panel_open(&p)))
        rc = dev_find_command(&o)->run(&p);
    dev_panel_close(&p);
    qr_remote_destroy(p.rm);
    curl_global_cleanup();
    json_decref(o.index);
    free(o.files);
    return rc;
}
