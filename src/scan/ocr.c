/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the OCR engine: one Tesseract API for recognition and one for orientation detection
 * (OSD), created once per worker thread and reused for every page. Tesseract runs
 * single-threaded (DESIGN 5): its OpenMP regions are kept to one thread in the calling thread. */
#include <dirent.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "scan/scan_private.h"

#define TESSDATA_DEFAULT "/usr/share/tesseract-ocr/5/tessdata"
#define MAX_LANGS 8                 /* languages in one "eng+deu+..." */
#define OSD_MIN_CONF 2.0f           /* OSD orientation confidence below which nothing is turned */
#define OSD_SCALE 0.5f              /* OSD looks at a half-size copy: as sure, four times cheaper */
#define MONITOR_MAX_MS 2000000000LL /* what Tesseract's int deadline can hold */

/* Tesseract keeps some parameters (debug_file among them) process-wide, and its
 * initialization reads and writes them: engines are created, switched and ended one at a
 * time. Recognition, the costly part, runs in parallel on separate engines. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

struct qr_ocr_engine {
    TessBaseAPI *api; /* recognition */
    TessBaseAPI *osd; /* orientation; NULL until first needed */
    int osd_failed;   /* osd.traineddata missing: auto-rotate does nothing */
    char lang[64];
    ETEXT_DESC *monitor;
};

/* One thread for OpenMP in this thread: Tesseract's parallel regions then run serially. */
static void single_thread(void) {
    omp_set_dynamic(0);
    omp_set_num_threads(1);
    omp_set_max_active_levels(0);
}

static char tessdata[600];
static pthread_once_t tessdata_once = PTHREAD_ONCE_INIT;

/* TESSDATA_PREFIX (the tessdata directory or its parent, as Tesseract accepts), else Debian's. */
static void tessdata_init(void) {
    const char *env = getenv("TESSDATA_PREFIX");
    char probe[sizeof(tessdata)];
    if (env && *env) {
        snprintf(probe, sizeof(probe), "%.500s/tessdata", env);
        if (access(probe, R_OK | X_OK) == 0)
            memcpy(tessdata, probe, sizeof(tessdata));
        else
            snprintf(tessdata, sizeof(tessdata), "%.500s", env);
    } else {
        snprintf(tessdata, sizeof(tessdata), "%s", TESSDATA_DEFAULT);
    }
}

const char *qr__ocr_tessdata(void) {
    pthread_once(&tessdata_once, tessdata_init);
    return tessdata;
}

/* The installed languages, "deu, eng, osd", into buf. */
static void installed(char *buf, size_t size) {
    buf[0] = '\0';
    size_t n = 0;
    DIR *d = opendir(qr__ocr_tessdata());
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        const char *ext = ".traineddata";
        size_t el = strlen(ext);
        if (len <= el || strcmp(e->d_name + len - el, ext) != 0)
            continue;
        int w = snprintf(buf + n, size - n, "%s%.*s", n ? ", " : "", (int)(len - el), e->d_name);
        if (w < 0 || (size_t)w >= size - n)
            break;
        n += (size_t)w;
    }
    closedir(d);
}

int qr_ocr_languages_valid(const char *langs, qr_err_t *err) {
    char have[256];
    const char *p = langs ? langs : "";
    int count = 0;
    if (!*p)
        goto bad_syntax;
    while (*p) {
        size_t n = strcspn(p, "+");
        if (n == 0 || n > 32 || ++count > MAX_LANGS)
            goto bad_syntax;
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_'))
                goto bad_syntax;
        }
        char path[700];
        snprintf(path, sizeof(path), "%s/%.*s.traineddata", qr__ocr_tessdata(), (int)n, p);
        if (access(path, R_OK) != 0) {
            installed(have, sizeof(have));
            qr_err_set(err, QR_E_INVALID, "invalid_language",
                       "the OCR language \"%.*s\" is not installed; installed are: %s", (int)n, p,
                       have[0] ? have : "none");
            return 0;
        }
        p += n;
        if (*p == '+') {
            p++;
            if (!*p)
                goto bad_syntax;
        }
    }
    return 1;
bad_syntax:
    installed(have, sizeof(have));
    qr_err_set(err, QR_E_INVALID, "invalid_language",
               "the OCR language must be one to %d names of letters, digits and '_' joined by "
               "'+' (\"eng\" or \"eng+deu\"); installed are: %s",
               MAX_LANGS, have[0] ? have : "none");
    return 0;
}

/* Settings every API gets: no messages on stderr. */
static void api_quiet(TessBaseAPI *api) {
    TessBaseAPISetVariable(api, "debug_file", "/dev/null");
}

qr_status_t qr__ocr_use(qr_ocr_engine_t *e, const char *langs, qr_err_t *err) {
    single_thread();
    if (e->api && strcmp(e->lang, langs) == 0)
        return QR_OK;
    if (!qr_ocr_languages_valid(langs, err))
        return err ? err->status : QR_E_INVALID;
    if (strlen(langs) >= sizeof(e->lang))
        return qr_err_set(err, QR_E_INVALID, "invalid_language",
                          "the OCR languages are longer than %zu characters", sizeof(e->lang) - 1);
    qr_status_t st = QR_OK;
    pthread_mutex_lock(&init_lock);
    if (e->api)
        TessBaseAPIEnd(e->api);
    else
        e->api = TessBaseAPICreate();
    e->lang[0] = '\0';
    if (!e->api) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL, "the OCR engine cannot be created");
        goto out;
    }
    api_quiet(e->api);
    if (TessBaseAPIInit3(e->api, qr__ocr_tessdata(), langs) != 0) {
        st = qr_err_set(err, QR_E_INTERNAL, NULL,
                        "the OCR engine cannot load the language(s) %s from %s", langs,
                        qr__ocr_tessdata());
        goto out;
    }
    api_quiet(e->api);
    TessBaseAPISetPageSegMode(e->api, PSM_AUTO);
    snprintf(e->lang, sizeof(e->lang), "%s", langs);
out:
    pthread_mutex_unlock(&init_lock);
    return st;
}

qr_status_t qr_ocr_engine_create(const char *languages, qr_ocr_engine_t **out, qr_err_t *err) {
    *out = NULL;
    qr__scan_quiet();
    qr_ocr_engine_t *e = calloc(1, sizeof(*e));
    if (!e)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
    e->monitor = TessMonitorCreate();
    qr_status_t st = e->monitor ? QR_OK : qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
    if (!st)
        st = qr__ocr_use(e, languages ? languages : "eng", err);
    if (st) {
        qr_ocr_engine_destroy(e);
        return st;
    }
    *out = e;
    return QR_OK;
}

void qr_ocr_engine_destroy(qr_ocr_engine_t *e) {
    if (!e)
        return;
    pthread_mutex_lock(&init_lock);
    if (e->api) {
        TessBaseAPIEnd(e->api);
        TessBaseAPIDelete(e->api);
    }
    if (e->osd) {
        TessBaseAPIEnd(e->osd);
        TessBaseAPIDelete(e->osd);
    }
    pthread_mutex_unlock(&init_lock);
    if (e->monitor)
        TessMonitorDelete(e->monitor);
    free(e);
}

TessBaseAPI *qr__ocr_api(qr_ocr_engine_t *e) {
    return e->api;
}

int qr__ocr_orientation(qr_ocr_engine_t *e, PIX *gray, int dpi) {
    single_thread();
    if (!e->osd && !e->osd_failed) {
        pthread_mutex_lock(&init_lock);
        e->osd = TessBaseAPICreate();
        if (e->osd) {
            api_quiet(e->osd);
            if (TessBaseAPIInit3(e->osd, qr__ocr_tessdata(), "osd") != 0) {
                TessBaseAPIDelete(e->osd);
                e->osd = NULL;
            } else {
                api_quiet(e->osd);
                TessBaseAPISetPageSegMode(e->osd, PSM_OSD_ONLY);
            }
        }
        e->osd_failed = !e->osd;
        pthread_mutex_unlock(&init_lock);
    }
    if (!e->osd)
        return 0;
    PIX *small = pixScale(gray, OSD_SCALE, OSD_SCALE);
    if (!small)
        return 0;
    int deg = 0, quads = 0;
    float conf = 0, script_conf = 0;
    const char *script = NULL;
    TessBaseAPISetImage2(e->osd, small);
    TessBaseAPISetSourceResolution(e->osd, (int)((float)dpi * OSD_SCALE));
    if (TessBaseAPIDetectOrientationScript(e->osd, &deg, &conf, &script, &script_conf) &&
        conf >= OSD_MIN_CONF && deg % 90 == 0)
        quads = ((360 - deg) / 90) % 4; /* deg is how far the text is turned counterclockwise */
    TessBaseAPIClear(e->osd);
    pixDestroy(&small);
    return quads;
}

/* Tesseract's cancel hook, asked between words: the scan's cancel flag. */
static bool cancelled(void *cancel_this, int words) {
    (void)words;
    const qr__deadline_t *dl = cancel_this;
    return dl->cancel && *dl->cancel;
}

qr_status_t qr__ocr_recognize(qr_ocr_engine_t *e, PIX *bin, int dpi, const qr__deadline_t *dl,
                              long long max_ms, char **text, qr_err_t *err) {
    single_thread();
    long long left = qr__deadline_left_ms(dl);
    if (left <= 0)
        return qr__scan_timeout(err, max_ms);
    TessBaseAPISetImage2(e->api, bin);
    TessBaseAPISetSourceResolution(e->api, dpi);
    TessMonitorSetDeadlineMSecs(e->monitor, (int)(left < MONITOR_MAX_MS ? left : MONITOR_MAX_MS));
    TessMonitorSetCancelFunc(e->monitor, cancelled);
    TessMonitorSetCancelThis(e->monitor, (void *)dl);
    int rc = TessBaseAPIRecognize(e->api, e->monitor);
    TessMonitorSetCancelThis(e->monitor, NULL);
    TessMonitorSetCancelFunc(e->monitor, NULL);
    if (qr__deadline_passed(dl))
        return qr__scan_timeout(err, max_ms);
    if (rc != 0)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "text recognition failed");
    char *t = TessBaseAPIGetUTF8Text(e->api);
    if (!t)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "text recognition failed");
    size_t have = *text ? strlen(*text) : 0, add = strlen(t);
    char *n = realloc(*text, have + add + 1);
    if (!n) {
        TessDeleteText(t);
        return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
    }
    memcpy(n + have, t, add + 1);
    *text = n;
    TessDeleteText(t);
    return QR_OK;
}
