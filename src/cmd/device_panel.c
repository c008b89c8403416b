/* SPDX-License-Identifier: Apache-2.0 */
/* quire: quire-device's session at the panel: the device's sign-in with its client
 * credentials, the person's login (kept fresh), the calls made with the panel token, and the
 * jobs and register-card commands. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/remote.h"
#include "cmd/device_private.h"
#include "core/mem.h"

#define SECRET_MAX 512
#define PANEL_TTL_DEFAULT_S 300 /* if the login answer has no expires_in */
#define PANEL_MARGIN_S 30       /* a token with less left than this is renewed */

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
int dev_refused(const char *what, const qr_reply_t *r) {
    char buf[32];
    fprintf(stderr, "quire-device: %s: %s\n", what, qr_reply_message(r, buf, sizeof(buf)));
    return r->status == 400 ? 2 : 1;
}

int dev_transport(const qr_err_t *err) {
    fprintf(stderr, "quire-device: %s\n", err->msg);
    return err->status == QR_E_INVALID ? 2 : 1;
}

double dev_mono_now(void) {
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
        return dev_transport(&err);
    int rc = 0;
    if (!p->device_token)
        rc = dev_refused("the server refused the device credentials", &r);
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
    else if (o->card && !dev_is_command(o, "register-card"))
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
int dev_panel_open(panel_t *p) {
    double started = dev_mono_now();
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
        return dev_transport(&err);
    if (r.status != 200 || !json_string_value(json_object_get(r.json, "access_token")))
        rc = dev_refused("panel login refused", &r);
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
            dev_refused("logout", &r);
        qr_reply_free(&r);
    }
    free_secret(p->token);
    free_secret(p->device_token);
    p->token = p->device_token = NULL;
}

void dev_panel_close(panel_t *p) {
    panel_logout(p);
    free(p->username);
}

/* Panel tokens live 5 minutes, and a print may take longer (--timeout): before each step
 * that needs the token, a token about to expire is replaced by a new login of the same
 * person at the same device (the server takes results only from the releasing device). */
int dev_panel_ensure(panel_t *p) {
    if (p->token && dev_mono_now() < p->fresh_until)
        return 0;
    panel_logout(p);
    return dev_panel_open(p);
}

/* Sends method path with the person's panel token and the JSON body (may be NULL; freed
 * here). Returns 0 with *r the answer (caller frees), or the exit status of a transport
 * failure after one line. */
int dev_panel_call(panel_t *p, const char *method, const char *path, json_t *body, qr_reply_t *r) {
    qr_err_t err = {QR_OK, NULL, ""};
    qr_status_t st = qr_remote_call(p->rm, method, path, p->token, body, r, &err);
    json_decref(body);
    return st ? dev_transport(&err) : 0;
}

int dev_cmd_jobs(panel_t *p) {
    qr_reply_t r = {0, NULL};
    int rc = dev_panel_call(p, "GET", "/api/v1/jobs", NULL, &r);
    if (rc)
        return rc;
    if (r.status != 200 || !r.json) {
        rc = dev_refused("listing the jobs failed", &r);
    } else {
        char *s = json_dumps(r.json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            puts(s);
        free(s);
    }
    qr_reply_free(&r);
    return rc;
}

int dev_cmd_register_card(panel_t *p) {
    qr_reply_t r = {0, NULL};
    json_t *body = json_pack("{s:s}", "number", p->o->card);
    int rc = dev_panel_call(p, "POST", "/api/v1/me/cards", body, &r);
    if (rc)
        return rc;
    if (r.status != 201) {
        rc = dev_refused("registering the card failed", &r);
    } else {
        const char *shown = json_string_value(json_object_get(r.json, "number"));
        printf("card %s registered for %s\n", shown ? shown : "", p->username);
    }
    qr_reply_free(&r);
    return rc;
}
