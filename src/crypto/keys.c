/* SPDX-License-Identifier: Apache-2.0 */
/* quire: master key file, HKDF subkeys and the first-start self-signed certificate. */
#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "crypto/random.h"

qr_status_t qr_mkdirs(const char *path, int mode, qr_err_t *err) {
    char *p = qr_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
            qr_err_set(err, QR_E_IO, NULL, "cannot create directory %s: %s", p, strerror(errno));
            free(p);
            return QR_E_IO;
        }
        *s = '/';
    }
    if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
        qr_err_set(err, QR_E_IO, NULL, "cannot create directory %s: %s", p, strerror(errno));
        free(p);
        return QR_E_IO;
    }
    free(p);
    return QR_OK;
}

char *qr_read_file(const char *path, size_t max, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = qr_xmalloc(max + 1);
    size_t n = fread(buf, 1, max + 1, f);
    int bad = ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

qr_status_t qr_keys_derive(const qr_keys_t *k, const char *label, unsigned char *out, size_t len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    int ok =
        ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
        EVP_PKEY_CTX_set1_hkdf_key(ctx, k->master, QR_KEY_LEN) > 0 &&
        EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)label, (int)strlen(label)) > 0 &&
        EVP_PKEY_derive(ctx, out, &len) > 0;
    EVP_PKEY_CTX_free(ctx);
    return ok ? QR_OK : QR_E_CRYPTO;
}

qr_status_t qr_keys_load(qr_keys_t *k, const char *path, qr_err_t *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char key[QR_KEY_LEN];
        qr_random_bytes(key, sizeof(key));
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return qr_err_set(err, QR_E_IO, NULL, "cannot create master key %s: %s", path,
                              strerror(errno));
        ssize_t w = write(fd, key, sizeof(key));
        int sync_rc = fsync(fd);
        close(fd);
        if (w != (ssize_t)sizeof(key) || sync_rc != 0)
            return qr_err_set(err, QR_E_IO, NULL, "cannot write master key %s", path);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return qr_err_set(err, QR_E_IO, NULL, "cannot open master key %s: %s", path,
                          strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
        close(fd);
        return qr_err_set(err, QR_E_IO, NULL,
                          "master key %s must be readable by its owner only (chmod 600)", path);
    }
    ssize_t r = read(fd, k->master, QR_KEY_LEN);
    close(fd);
    if (r != QR_KEY_LEN)
        return qr_err_set(err, QR_E_IO, NULL, "master key %s must hold exactly %d bytes", path,
                          QR_KEY_LEN);
    if (qr_keys_derive(k, "quire signing keys v1", k->signing_kek, QR_KEY_LEN) != QR_OK ||
        qr_keys_derive(k, "quire secret lookup v1", k->secret_lookup, QR_KEY_LEN) != QR_OK ||
        qr_keys_derive(k, "quire secret seal v1", k->secret_seal, QR_KEY_LEN) != QR_OK ||
        qr_keys_derive(k, "quire org data keys v1", k->data_kek, QR_KEY_LEN) != QR_OK)
        return qr_err_set(err, QR_E_CRYPTO, NULL, "key derivation failed");
    return QR_OK;
}

static int add_san(X509 *x) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1");
    if (!ext)
        return 0;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* Writes a new self-signed certificate and key: to temporary names first, then renamed over
 * the old ones (the key first), so a reader never sees half a file. */
static qr_status_t make_self_signed(const char *cert_path, const char *key_path, qr_err_t *err) {
    qr_status_t st = QR_E_CRYPTO;
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *f = NULL;
    char *key_tmp = NULL, *cert_tmp = NULL;
    if (!pkey || !x)
        goto out;
    unsigned char serial[16];
    qr_random_bytes(serial, sizeof(serial));
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    BN_free(bn);
    X509_set_version(x, 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"quire", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    if (!add_san(x) || !X509_sign(x, pkey, EVP_sha256()))
        goto out;

    key_tmp = qr_xasprintf("%s.new", key_path);
    cert_tmp = qr_xasprintf("%s.new", cert_path);
    int fd = open(key_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        st = qr_err_set(err, QR_E_IO, NULL, "cannot write %s: %s", key_tmp, strerror(errno));
        goto out;
    }
    if (!PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL))
        goto out;
    fclose(f);
    f = fopen(cert_tmp, "w");
    if (!f) {
        st = qr_err_set(err, QR_E_IO, NULL, "cannot write %s: %s", cert_tmp, strerror(errno));
        goto out;
    }
    if (!PEM_write_X509(f, x))
        goto out;
    if (fclose(f) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    if (rename(key_tmp, key_path) != 0 || rename(cert_tmp, cert_path) != 0) {
        st = qr_err_set(err, QR_E_IO, NULL, "cannot replace %s: %s", cert_path, strerror(errno));
        goto out;
    }
    st = QR_OK;
out:
    if (f)
        fclose(f);
    if (st) {
        if (key_tmp)
            unlink(key_tmp);
        if (cert_tmp)
            unlink(cert_tmp);
    }
    free(key_tmp);
    free(cert_tmp);
    if (st == QR_E_CRYPTO)
        qr_err_set(err, st, NULL, "cannot create the self-signed TLS certificate");
    X509_free(x);
    EVP_PKEY_free(pkey);
    return st;
}

qr_status_t qr_tls_ensure_cert(const char *cert_path, const char *key_path, qr_err_t *err) {
    if (access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0)
        return QR_OK;
    return make_self_signed(cert_path, key_path, err);
}

qr_status_t qr_tls_renew_self_signed(const char *cert_path, const char *key_path, qr_err_t *err) {
    return make_self_signed(cert_path, key_path, err);
}

qr_status_t qr_tls_cert_info(const char *cert_path, int64_t *not_after, int *self_made) {
    *not_after = 0;
    *self_made = 0;
    FILE *f = fopen(cert_path, "r");
    if (!f)
        return QR_E_IO;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        return QR_E_CRYPTO;
    struct tm tm;
    qr_status_t st = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1 ? QR_OK : QR_E_CRYPTO;
    if (!st)
        *not_after = (int64_t)timegm(&tm);
    /* quire's own: self-issued with the subject quire writes (O=quire, CN=localhost). */
    char subject[128] = "";
    X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
    *self_made = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0 &&
                 strcmp(subject, "/O=quire/CN=localhost") == 0;
    X509_free(x);
    return st;
}
