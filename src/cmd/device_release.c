/* SPDX-License-Identifier: Apache-2.0 */
/* quire: quire-device's release command: releases held jobs, downloads each document into a
 * private unnamed file, prints it to the IPP printer and reports the outcome. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/printer.h"
#include "client/remote.h"
#include "cmd/device_private.h"
#include "core/mem.h"

#define REASON_MAX 500

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
    const char *page_ranges; /* the pages to print ("1-3,7-7"); NULL: all */
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
    int rc = dev_panel_call(p, "POST", path, body, &r);
    free(path);
    if (rc)
        return rc;
    if (r.status != 200) {
        char what[128];
        snprintf(what, sizeof(what), "job %s: reporting the result failed", id);
        rc = dev_refused(what, &r);
    }
    qr_reply_free(&r);
    return rc;
}

/* Releases job id at the server (POST /api/v1/jobs/{id}/release): 0 with *r its answer
 * (caller frees) and *rel read from it, or an exit status after one line. */
static int release_request(panel_t *p, const char *id, qr_reply_t *r, release_t *rel) {
    int rc = dev_panel_ensure(p);
    if (rc)
        return rc;
    char *path = qr_xasprintf("/api/v1/jobs/%s/release", id);
    rc = dev_panel_call(p, "POST", path, NULL, r);
    free(path);
    if (rc)
        return rc;
    json_t *pr = json_object_get(r->json, "print");
    if (r->status != 200 || !json_is_object(pr)) {
        char what[128];
        snprintf(what, sizeof(what), "job %s: release refused%s%s%s", id,
                 *qr_reply_code(r) ? " (" : "", qr_reply_code(r), *qr_reply_code(r) ? ")" : "");
        rc = dev_refused(what, r);
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
    rel->page_ranges = json_string_value(json_object_get(r->json, "page_ranges"));
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
        qr_print_settings_t s = {rel->name,  p->username, rel->copies,
                                 rel->color, rel->duplex, rel->page_ranges};
        if (qr_printer_print(p->o->printer, fd, *size, &s, p->o->timeout_s, job_id, &err))
            reason = qr_xstrdup(err.msg);
    }
    close(fd); /* the document is gone from disk with its last descriptor */
    return reason;
}

/* Releases one job, prints it and reports the result. */
static int release_one(panel_t *p, const char *id) {
    qr_reply_t r = {0, NULL};
    release_t rel = {0};
    int rc = release_request(p, id, &r, &rel);
    if (rc)
        return rc;
    long long size = 0;
    int job_id = 0;
    char *reason = print_document(p, id, &rel, &size, &job_id);
    rc = dev_panel_ensure(p);
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

int dev_cmd_release(panel_t *p) {
    if (p->o->job)
        return release_one(p, p->o->job);
    qr_reply_t r = {0, NULL};
    int rc = dev_panel_call(p, "GET", "/api/v1/jobs", NULL, &r), n = 0;
    if (rc)
        return rc;
    if (r.status != 200) {
        rc = dev_refused("listing the jobs failed", &r);
        qr_reply_free(&r);
        return rc;
    }
    size_t i;
    json_t *j;
    json_array_foreach(json_object_get(r.json, "items"), i, j) {
        const char *id = json_string_value(json_object_get(j, "id"));
        const char *status = json_string_value(json_object_get(j, "status"));
        if (!id || !status || strcmp(status, "held") != 0 || !dev_is_id(id))
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
