/* SPDX-License-Identifier: Apache-2.0 */
/* quire: quire-device's scan commands: lists the person's workflows; checks the files, creates
 * the scan, uploads the files, submits it and (--wait) polls it until it is done. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/remote.h"
#include "client/scaninput.h"
#include "cmd/device_private.h"
#include "core/mem.h"

#define SCAN_POLL_US 1000000 /* --wait asks for the scan's status this often */

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

int dev_cmd_workflows(panel_t *p) {
    qr_reply_t r = {0, NULL};
    int rc = dev_panel_call(p, "GET", "/api/v1/me/workflows", NULL, &r);
    if (rc)
        return rc;
    json_t *items = json_object_get(r.json, "items");
    if (r.status != 200 || !json_is_array(items)) {
        rc = dev_refused("listing the workflows failed", &r);
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
int dev_scan_check_files(const opts_t *o) {
    for (int i = 0; i < o->n_files; i++) {
        qr_err_t err = {QR_OK, NULL, ""};
        int fd;
        const char *type;
        if (qr_scaninput_open(o->files[i], &fd, &type, &err))
            return dev_bad("%s", err.msg);
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
    if (!dev_panel_ensure(p) && !qr_remote_call(p->rm, "DELETE", path, p->token, NULL, &r, &err) &&
        r.status != 204 && r.status != 404)
        dev_refused("removing the unfinished scan", &r);
    qr_reply_free(&r);
    free(path);
}

/* Uploads one file to the scan id (opened and its type found again: it is read now). */
static int scan_upload(panel_t *p, const char *id, const char *file) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reply_t r = {0, NULL};
    int fd, rc = dev_panel_ensure(p);
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
    int rc = dev_panel_ensure(p);
    if (!rc)
        rc = dev_panel_call(p, "GET", path, NULL, &r);
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
    double end = dev_mono_now() + p->o->timeout_s;
    char *path = qr_xasprintf("/api/v1/scans/%s", id);
    char status[32] = "queued";
    int rc;
    while ((rc = scan_poll(p, id, path, status, sizeof(status))) < 0) {
        if (dev_mono_now() + SCAN_POLL_US / 1e6 > end) {
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
    int rc = dev_panel_call(p, "POST", "/api/v1/scans", body, &r);
    if (rc)
        return rc;
    const char *sid = json_string_value(json_object_get(r.json, "id"));
    if (r.status != 201 || !sid || !dev_is_id(sid))
        rc = scan_refused("scan refused", &r);
    else
        *id = qr_xstrdup(sid);
    qr_reply_free(&r);
    return rc;
}

/* Submits the scan (POST /api/v1/scans/{id}/submit): 0 with *r the answer (caller frees),
 * or an exit status after one line. */
static int scan_submit(panel_t *p, const char *id, qr_reply_t *r) {
    int rc = dev_panel_ensure(p);
    if (rc)
        return rc;
    char *path = qr_xasprintf("/api/v1/scans/%s/submit", id);
    rc = dev_panel_call(p, "POST", path, NULL, r);
    if (!rc && r->status != 202)
        rc = scan_refused("submitting the scan refused", r);
    free(path);
    return rc;
}

/* Starts the scan, uploads every file, submits it and, with --wait, follows it. A scan that
 * could not be submitted is removed again. */
int dev_cmd_scan(panel_t *p) {
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
