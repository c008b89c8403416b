/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the device client's modules (src/client/) — the API client's input checks and
 * error replies, its streamed upload against a small local HTTPS server (a forked child with
 * OpenSSL and a certificate made by the openssl command), the scan command's input checks
 * (file types by magic bytes, --index), and the printer's URI checks and connection
 * failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/printer.h"
#include "client/remote.h"
#include "client/scaninput.h"
#include "core/mem.h"

#define BIG_UPLOAD (3u * 1024 * 1024 + 17) /* past libcurl's 1 MiB "Expect: 100-continue" */
#define HEAD_MAX 8192

/* The local HTTPS server: answers every request with 201 and what it received, as JSON
 * {"method", "path", "type", "auth", "chunked", "size", "sha256"}, one request per connection. */
static struct {
    char dir[256];
    pid_t pid;
    int port;
    char url[64], ca[300];
} https;

static int ssl_read_all(SSL *ssl, char *p, size_t n) {
    while (n > 0) {
        int r = SSL_read(ssl, p, n > 65536 ? 65536 : (int)n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads a line (CRLF-terminated) of at most len - 1 bytes into buf, one byte at a time. */
static int ssl_read_line(SSL *ssl, char *buf, size_t len) {
    size_t n = 0;
    while (n + 1 < len) {
        if (SSL_read(ssl, buf + n, 1) != 1)
            return -1;
        if (n > 0 && buf[n - 1] == '\r' && buf[n] == '\n') {
            buf[n - 1] = '\0';
            return 0;
        }
        n++;
    }
    return -1;
}

static const char *header(char *head, const char *name) {
    size_t n = strlen(name);
    for (char *l = head; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
            char *v = l + n + 1;
            while (*v == ' ')
                v++;
            return v;
        }
    return NULL;
}

static void copy_value(char *dst, size_t len, const char *v) {
    size_t n = 0;
    while (v && v[n] && v[n] != '\r' && v[n] != '\n' && n + 1 < len) {
        dst[n] = v[n];
        n++;
    }
    dst[n] = '\0';
}

/* Serves one connection: one request, its body hashed as it arrives. */
static void serve(SSL *ssl) {
    char head[HEAD_MAX], line[512], method[16] = "", target[256] = "", type[128], auth[256];
    size_t h = 0;
    if (ssl_read_line(ssl, line, sizeof(line)) || sscanf(line, "%15s %255s", method, target) != 2)
        return;
    for (;;) { /* the header lines, kept one after another with '\n' */
        if (ssl_read_line(ssl, line, sizeof(line)))
            return;
        if (!line[0])
            break;
        int w = snprintf(head + h, sizeof(head) - h, "%s\n", line);
        if (w < 0 || (size_t)w >= sizeof(head) - h)
            return;
        h += (size_t)w;
    }
    head[h] = '\0';
    copy_value(type, sizeof(type), header(head, "Content-Type"));
    copy_value(auth, sizeof(auth), header(head, "Authorization"));
    const char *expect = header(head, "Expect");
    if (expect && strncasecmp(expect, "100-continue", 12) == 0)
        SSL_write(ssl, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    const char *te = header(head, "Transfer-Encoding");
    int chunked = te && strncasecmp(te, "chunked", 7) == 0;
    const char *cl = header(head, "Content-Length");
    long long size = 0, left = cl ? strtoll(cl, NULL, 10) : 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    static char buf[65536];
    for (;;) {
        if (chunked) { /* a chunk's size line; size 0 ends the body (then an empty line) */
            if (ssl_read_line(ssl, line, sizeof(line)))
                goto out;
            left = strtoll(line, NULL, 16);
            if (left == 0) {
                if (ssl_read_line(ssl, line, sizeof(line)))
                    goto out;
                break;
            }
        }
        while (left > 0) {
            size_t n = left > (long long)sizeof(buf) ? sizeof(buf) : (size_t)left;
            if (ssl_read_all(ssl, buf, n))
                goto out;
            EVP_DigestUpdate(md, buf, n);
            size += (long long)n;
            left -= (long long)n;
        }
        if (!chunked)
            break;
        if (ssl_read_line(ssl, line, sizeof(line))) /* the CRLF after the chunk's data */
            goto out;
    }
    unsigned char d[32];
    char hex[65];
    EVP_DigestFinal_ex(md, d, NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:I, s:s}", "method", method, "path", target, "type",
                  type, "auth", auth, "chunked", chunked, "size", (json_int_t)size, "sha256", hex);
    char *body = json_dumps(j, JSON_COMPACT);
    char resp[1024];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     strlen(body), body);
    SSL_write(ssl, resp, n);
    free(body);
    json_decref(j);
out:
    EVP_MD_CTX_free(md);
}

/* The child: accepts connections on lfd until it is killed. */
static void serve_forever(int lfd) {
    char cert[300], key[300];
    snprintf(cert, sizeof(cert), "%s/cert.pem", https.dir);
    snprintf(key, sizeof(key), "%s/key.pem", https.dir);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        _exit(1);
    for (;;) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, c);
        if (SSL_accept(ssl) == 1) {
            serve(ssl);
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        close(c);
    }
}

static int start_https(void **state) {
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(https.dir, sizeof(https.dir), "%s/quire-client-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(https.dir))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "timeout 20 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
             "-keyout '%s/key.pem' -out '%s/cert.pem' -days 2 -subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
             https.dir, https.dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "test_client: '%s' failed\n", cmd);
        return -1;
    }
    snprintf(https.ca, sizeof(https.ca), "%s/cert.pem", https.dir);
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 16) != 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    https.port = ntohs(a.sin_port);
    snprintf(https.url, sizeof(https.url), "https://localhost:%d", https.port);
    fflush(NULL);
    https.pid = fork();
    if (https.pid < 0)
        return -1;
    if (https.pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        serve_forever(lfd);
    }
    close(lfd);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return 0;
}

static int stop_https(void **state) {
    (void)state;
    if (https.pid > 0) {
        kill(https.pid, SIGTERM);
        waitpid(https.pid, NULL, 0);
    }
    char path[300];
    static const char *const files[] = {"cert.pem", "key.pem", NULL};
    for (const char *const *f = files; *f; f++) {
        snprintf(path, sizeof(path), "%s/%s", https.dir, *f);
        unlink(path);
    }
    rmdir(https.dir);
    curl_global_cleanup();
    return 0;
}

/* A temporary file of n bytes of a fixed pattern (unlinked at once); returns its fd. */
static int pattern_file(size_t n, unsigned char *sha) {
    char path[300];
    snprintf(path, sizeof(path), "%s/upload.XXXXXX", https.dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    unsigned char block[4096];
    uint32_t x = 2463534242u;
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof(block) ? n - done : sizeof(block);
        for (size_t i = 0; i < k; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            block[i] = (unsigned char)x;
        }
        assert_int_equal(write(fd, block, k), (ssize_t)k);
        EVP_DigestUpdate(md, block, k);
        done += k;
    }
    EVP_DigestFinal_ex(md, sha, NULL);
    EVP_MD_CTX_free(md);
    return fd;
}

static void assert_sha(const char *hex, const unsigned char *sha) {
    char want[65];
    for (int i = 0; i < 32; i++)
        snprintf(want + 2 * i, 3, "%02x", sha[i]);
    assert_string_equal(hex, want);
}

static const char *str(const qr_reply_t *r, const char *k) {
    const char *v = json_string_value(json_object_get(r->json, k));
    return v ? v : "";
}

static void test_upload_file(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_remote_t *rm = NULL;
    qr_reply_t r = {0, NULL};
    unsigned char sha[32];
    assert_int_equal(qr_remote_create(https.url, https.ca, &rm, &err), QR_OK);
    int fd = pattern_file(BIG_UPLOAD, sha);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(
        qr_remote_upload(rm, "/api/v1/scans/s1/files", "tok-1", fd, "image/tiff", &r, &err), QR_OK);
    assert_int_equal(r.status, 201);
    assert_string_equal(str(&r, "method"), "POST");
    assert_string_equal(str(&r, "path"), "/api/v1/scans/s1/files");
    assert_string_equal(str(&r, "type"), "image/tiff");
    assert_string_equal(str(&r, "auth"), "Bearer tok-1");
    assert_false(json_is_true(json_object_get(r.json, "chunked"))); /* a Content-Length */
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), BIG_UPLOAD);
    assert_sha(str(&r, "sha256"), sha);
    qr_reply_free(&r);

    /* From the current offset to the end. */
    unsigned char tail[32];
    static unsigned char rest[BIG_UPLOAD];
    assert_int_equal(pread(fd, rest, BIG_UPLOAD - 1000, 1000), BIG_UPLOAD - 1000);
    EVP_Digest(rest, BIG_UPLOAD - 1000, tail, NULL, EVP_sha256(), NULL);
    assert_int_equal(lseek(fd, 1000, SEEK_SET), 1000);
    assert_int_equal(qr_remote_upload(rm, "/x", "t", fd, "application/pdf", &r, &err), QR_OK);
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), BIG_UPLOAD - 1000);
    assert_sha(str(&r, "sha256"), tail);
    qr_reply_free(&r);
    close(fd);
    qr_remote_destroy(rm);
}

/* qr_remote_call and qr_remote_client_token: the method, the headers and the body as the
 * server sees them (the test server answers 201 with what it received). */
static void test_remote_call_and_token(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_reply_t r = {0, NULL};
    qr_remote_t *rm = NULL;
    assert_int_equal(qr_remote_create(https.url, https.ca, &rm, &err), QR_OK);

    json_t *body = json_pack("{s:s}", "a", "b");
    assert_int_equal(qr_remote_call(rm, "POST", "/api/v1/x", "tok-2", body, &r, &err), QR_OK);
    json_decref(body);
    assert_int_equal(r.status, 201);
    assert_string_equal(str(&r, "method"), "POST");
    assert_string_equal(str(&r, "path"), "/api/v1/x");
    assert_string_equal(str(&r, "type"), "application/json");
    assert_string_equal(str(&r, "auth"), "Bearer tok-2");
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), 9);
    assert_string_equal(str(&r, "sha256"),
                        "db4a7ecb114bc66c623a06c4ff6fe8daa2f49cc270ebbf7a1f81e22ab061c837");
    qr_reply_free(&r);

    /* No body: no Content-Type at all; another method than POST; no token: no Authorization. */
    assert_int_equal(qr_remote_call(rm, "DELETE", "/api/v1/scans/s1", NULL, NULL, &r, &err), QR_OK);
    assert_string_equal(str(&r, "method"), "DELETE");
    assert_string_equal(str(&r, "type"), "");
    assert_string_equal(str(&r, "auth"), "");
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), 0);
    qr_reply_free(&r);

    /* RFC 6749 2.3.1: form-encoded, then joined and base64-encoded. The answer has no token. */
    char *token = NULL;
    assert_int_equal(qr_remote_client_token(rm, "dev 1", "s:e/cret", &token, &r, &err), QR_OK);
    assert_null(token);
    assert_int_equal(r.status, 201);
    assert_string_equal(str(&r, "path"), "/oauth/token");
    assert_string_equal(str(&r, "type"), "application/x-www-form-urlencoded");
    assert_string_equal(str(&r, "auth"), "Basic ZGV2JTIwMTpzJTNBZSUyRmNyZXQ=");
    assert_string_equal(str(&r, "sha256"),
                        "c349b29ae2fc682adb26699a6ecd69cad661a27f2542e713b89314b6e2abfaec");
    qr_reply_free(&r);

    /* A download answered with anything but 200 is read into the reply, nothing into fd. */
    int fds[2];
    long long size = -1;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(
        qr_remote_download(rm, "/api/v1/jobs/j1/document", "tok-3", fds[1], &size, &r, &err),
        QR_OK);
    assert_int_equal(size, 0);
    assert_int_equal(r.status, 201);
    assert_string_equal(str(&r, "method"), "GET");
    assert_string_equal(str(&r, "auth"), "Bearer tok-3");
    qr_reply_free(&r);
    close(fds[0]);
    close(fds[1]);
    qr_remote_destroy(rm);
}

static void test_upload_pipe_and_errors(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_remote_t *rm = NULL;
    qr_reply_t r = {0, NULL};
    assert_int_equal(qr_remote_create(https.url, https.ca, &rm, &err), QR_OK);

    /* A pipe has no size: sent chunked. */
    int fds[2];
    static const char data[] = "%PDF-1.4 not really a PDF, but bytes through a pipe";
    unsigned char sha[32];
    EVP_Digest(data, sizeof(data) - 1, sha, NULL, EVP_sha256(), NULL);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], data, sizeof(data) - 1), (ssize_t)(sizeof(data) - 1));
    close(fds[1]);
    assert_int_equal(qr_remote_upload(rm, "/p", "t", fds[0], "application/pdf", &r, &err), QR_OK);
    assert_int_equal(r.status, 201);
    assert_true(json_is_true(json_object_get(r.json, "chunked")));
    assert_int_equal(json_integer_value(json_object_get(r.json, "size")), sizeof(data) - 1);
    assert_sha(str(&r, "sha256"), sha);
    qr_reply_free(&r);
    close(fds[0]);

    /* A descriptor that cannot be read (a directory): QR_E_IO naming the read. */
    int dfd = open(https.dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    assert_int_equal(qr_remote_upload(rm, "/d", "t", dfd, "image/png", &r, &err), QR_E_IO);
    assert_non_null(strstr(err.msg, "reading the file failed"));
    qr_reply_free(&r);
    close(dfd);
    assert_int_equal(qr_remote_upload(rm, "/d", "t", -1, "image/png", &r, &err), QR_E_IO);
    qr_remote_destroy(rm);

    /* A server that does not answer: a transport error, no reply. */
    assert_int_equal(qr_remote_create("https://127.0.0.1:1", https.ca, &rm, &err), QR_OK);
    int fd = pattern_file(100, sha);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(qr_remote_upload(rm, "/x", "t", fd, "image/png", &r, &err), QR_E_IO);
    assert_null(r.json);
    close(fd);
    qr_remote_destroy(rm);
}

static void test_scaninput_sniff(void **state) {
    (void)state;
    assert_string_equal(qr_scaninput_sniff("\xff\xd8\xff\xe0", 4), "image/jpeg");
    assert_string_equal(qr_scaninput_sniff("\x89PNG\r\n\x1a\n", 8), "image/png");
    assert_string_equal(qr_scaninput_sniff("II*\0\x08\0\0\0", 8), "image/tiff");
    assert_string_equal(qr_scaninput_sniff("MM\0*\0\0\0\x08", 8), "image/tiff");
    assert_string_equal(qr_scaninput_sniff("%PDF-1.7\n", 9), "application/pdf");
    assert_null(qr_scaninput_sniff("\x89PNG\r\n\x1a", 7)); /* too short */
    assert_null(qr_scaninput_sniff("II+\0\x08\0\0\0", 8)); /* BigTIFF: not read by quired */
    assert_null(qr_scaninput_sniff("GIF89a", 6));
    assert_null(qr_scaninput_sniff(" %PDF-1.4", 9));
    assert_null(qr_scaninput_sniff("", 0));
    assert_null(qr_scaninput_sniff(NULL, 8));
}

static void write_file(const char *path, const void *data, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static void test_scaninput_open(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    char path[300];
    int fd = 123;
    const char *type = "x";
    snprintf(path, sizeof(path), "%s/page.txt", https.dir); /* the name plays no part */
    write_file(path, "\x89PNG\r\n\x1a\n....", 12);
    assert_int_equal(qr_scaninput_open(path, &fd, &type, &err), QR_OK);
    assert_string_equal(type, "image/png");
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
    close(fd);

    write_file(path, "hello, world", 12);
    assert_int_equal(qr_scaninput_open(path, &fd, &type, &err), QR_E_INVALID);
    assert_int_equal(fd, -1);
    assert_null(type);
    assert_non_null(strstr(err.msg, "not a JPEG, PNG, TIFF or PDF"));
    write_file(path, "", 0);
    assert_int_equal(qr_scaninput_open(path, &fd, &type, &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "empty"));
    unlink(path);
    assert_int_equal(qr_scaninput_open(path, &fd, &type, &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "cannot read"));
    assert_non_null(strstr(err.msg, "page.txt"));
    assert_int_equal(qr_scaninput_open(https.dir, &fd, &type, &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_scaninput_index(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    json_t *ix = json_object();
    assert_int_equal(qr_scaninput_add_index(ix, "department=Finance", &err), QR_OK);
    assert_int_equal(qr_scaninput_add_index(ix, "total=1,234.50", &err), QR_OK);
    assert_int_equal(qr_scaninput_add_index(ix, "note=a=b", &err), QR_OK); /* first '=' splits */
    assert_int_equal(qr_scaninput_add_index(ix, "po_2=", &err), QR_OK);    /* the server judges */
    assert_string_equal(json_string_value(json_object_get(ix, "department")), "Finance");
    assert_string_equal(json_string_value(json_object_get(ix, "total")), "1,234.50");
    assert_string_equal(json_string_value(json_object_get(ix, "note")), "a=b");
    assert_string_equal(json_string_value(json_object_get(ix, "po_2")), "");
    static const char *const bad[] = {"department", "=x",           "dep art=x", "dép=x",
                                      "a-b=x",      "department=y", NULL};
    static const char *const why[] = {"no '='", "name", "name", "name", "name", "twice"};
    for (int i = 0; bad[i]; i++) {
        err.msg[0] = '\0';
        assert_int_equal(qr_scaninput_add_index(ix, bad[i], &err), QR_E_INVALID);
        assert_non_null(strstr(err.msg, why[i]));
    }
    char name[QR_SCANINPUT_MAX_NAME + 8];
    memset(name, 'n', QR_SCANINPUT_MAX_NAME + 1);
    memcpy(name + QR_SCANINPUT_MAX_NAME + 1, "=x", 3);
    assert_int_equal(qr_scaninput_add_index(ix, name, &err), QR_E_INVALID);
    char *big = qr_xmalloc(QR_SCANINPUT_MAX_VALUE + 8);
    memcpy(big, "v=", 2);
    memset(big + 2, 'x', QR_SCANINPUT_MAX_VALUE + 1);
    big[QR_SCANINPUT_MAX_VALUE + 3] = '\0';
    assert_int_equal(qr_scaninput_add_index(ix, big, &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "longer than"));
    free(big);
    assert_int_equal(qr_scaninput_add_index(ix, "v=\xff\xfe", &err), QR_E_INVALID);
    assert_non_null(strstr(err.msg, "UTF-8"));
    assert_int_equal(json_object_size(ix), 4); /* nothing refused was added */
    json_decref(ix);
}

static void test_remote_only_https(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_remote_t *rm = NULL;
    assert_int_equal(qr_remote_create("http://localhost:8443", NULL, &rm, &err), QR_E_INVALID);
    assert_null(rm);
    assert_non_null(strstr(err.msg, "https://"));
    assert_int_equal(qr_remote_create("https://", NULL, &rm, &err), QR_E_INVALID);
    assert_int_equal(qr_remote_create("localhost:8443", NULL, &rm, &err), QR_E_INVALID);
    assert_int_equal(qr_remote_create("https://localhost:8443/", "/tmp/ca.pem", &rm, &err), QR_OK);
    assert_non_null(rm);
    qr_remote_destroy(rm);
    qr_remote_destroy(NULL);
}

static void test_reply_message(void **state) {
    (void)state;
    char buf[32];
    qr_reply_t r = {409, json_pack("{s:s, s:s}", "error", "quota_exceeded", "message",
                                   "this job needs 4 pages, 1 left this month")};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)),
                        "this job needs 4 pages, 1 left this month");
    assert_string_equal(qr_reply_code(&r), "quota_exceeded");
    qr_reply_free(&r);
    assert_null(r.json);
    r = (qr_reply_t){401, json_pack("{s:s, s:s}", "error", "invalid_client", "error_description",
                                    "unknown client")};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)), "unknown client");
    qr_reply_free(&r);
    r = (qr_reply_t){400, json_pack("{s:s}", "error", "invalid_request")};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)), "invalid_request");
    qr_reply_free(&r);
    r = (qr_reply_t){502, NULL};
    assert_string_equal(qr_reply_message(&r, buf, sizeof(buf)), "HTTP 502");
    assert_string_equal(qr_reply_code(&r), "");
    qr_reply_free(&r);
    qr_reply_free(NULL);
}

static void test_printer_uri(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    assert_int_equal(qr_printer_check_uri("ipp://printer.example/ipp/print", &err), QR_OK);
    assert_int_equal(qr_printer_check_uri("ipps://10.0.0.5:8631/ipp/print", &err), QR_OK);
    assert_int_equal(qr_printer_check_uri("ipp://[::1]:631/ipp/print", &err), QR_OK);
    static const char *const bad[] = {"http://printer/ipp/print", "ipp://", "printer",
                                      "socket://printer:9100",    "",       NULL};
    for (const char *const *u = bad; *u; u++) {
        err.msg[0] = '\0';
        assert_int_equal(qr_printer_check_uri(*u, &err), QR_E_INVALID);
        assert_non_null(strstr(err.msg, "ipp://"));
    }
}

static void test_printer_unreachable(void **state) {
    (void)state;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_print_settings_t s = {"doc.pdf", "alice", 1, 0, 0, NULL};
    int job_id = -1, fds[2];
    assert_int_equal(pipe(fds), 0);
    /* Port 1 on loopback: nothing listens, the connection is refused at once. */
    assert_int_equal(
        qr_printer_print("ipp://127.0.0.1:1/ipp/print", fds[0], 10, &s, 5, &job_id, &err), QR_E_IO);
    assert_int_equal(job_id, 0);
    assert_non_null(strstr(err.msg, "cannot connect"));
    assert_int_equal(qr_printer_print("lpd://x/q", fds[0], 10, &s, 5, &job_id, &err), QR_E_INVALID);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_only_https),
        cmocka_unit_test(test_reply_message),
        cmocka_unit_test(test_printer_uri),
        cmocka_unit_test(test_printer_unreachable),
        cmocka_unit_test(test_upload_file),
        cmocka_unit_test(test_remote_call_and_token),
        cmocka_unit_test(test_upload_pipe_and_errors),
        cmocka_unit_test(test_scaninput_sniff),
        cmocka_unit_test(test_scaninput_open),
        cmocka_unit_test(test_scaninput_index),
    };
    return cmocka_run_group_tests_name("client", tests, start_https, stop_https);
}
