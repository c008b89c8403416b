/* SPDX-License-Identifier: Apache-2.0 */
/* quire: the scan pipeline's orchestration (qr_scan_process): every page of every input is
 * decoded, cleaned, read and written before the next one is decoded, so memory is that of one
 * page plus the compressed output. */
#include <stdlib.h>
#include <string.h>

#include "scan/scan_private.h"

static const char *const format_names[QR_SCAN_FORMAT_COUNT] = {"pdf", "pdf_text", "pdfa", "tiff",
                                                               "jpeg"};

const char *qr_scan_format_name(qr_scan_format_t f) {
    if ((int)f < 0 || f >= QR_SCAN_FORMAT_COUNT)
        return "unknown";
    return format_names[f];
}

int qr_scan_format_parse(const char *s) {
    for (int i = 0; s && i < QR_SCAN_FORMAT_COUNT; i++)
        if (strcmp(s, format_names[i]) == 0)
            return i;
    return -1;
}

void qr_scan_limits_init(qr_scan_limits_t *lim) {
    lim->max_pages = QR_SCAN_MAX_PAGES;
    lim->max_pixels = QR_SCAN_MAX_PIXELS;
    lim->max_ms = QR_SCAN_MAX_MS;
    lim->cancel = NULL;
}

void qr__deadline_set(qr__deadline_t *d, long long ms, const volatile int *cancel) {
    clock_gettime(CLOCK_MONOTONIC, &d->at);
    d->cancel = cancel;
    if (ms < 0)
        ms = 0;
    d->at.tv_sec += (time_t)(ms / 1000);
    d->at.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (d->at.tv_nsec >= 1000000000L) {
        d->at.tv_sec++;
        d->at.tv_nsec -= 1000000000L;
    }
}

long long qr__deadline_left_ms(const qr__deadline_t *d) {
    if (d->cancel && *d->cancel)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = (long long)(d->at.tv_sec - now.tv_sec) * 1000 +
                     (long long)(d->at.tv_nsec - now.tv_nsec) / 1000000;
    return left > 0 ? left : 0;
}

int qr__deadline_passed(const qr__deadline_t *d) {
    if (d->cancel && *d->cancel)
        return 1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->at.tv_sec ||
           (now.tv_sec == d->at.tv_sec && now.tv_nsec >= d->at.tv_nsec);
}

qr_status_t qr__scan_timeout(qr_err_t *err, long long max_ms) {
    return qr_err_set(err, QR_E_INVALID, "timeout",
                      "the scan takes longer than its limit of %lld ms; send fewer or smaller "
                      "pages",
                      max_ms);
}

/* One scan's state. */
typedef struct scan {
    qr_ocr_engine_t *engine;
    const qr_scan_steps_t *steps;
    const qr_scan_limits_t *lim;
    qr__deadline_t deadline;
    qr__writer_t *writer;
    qr_scan_output_t *out;
    int need_ocr;
    size_t text_len;
} scan_t;

/* Replaces *pix by next (consumed); 0, or -1 if next is NULL (then *pix is kept). */
static int replace(PIX **pix, PIX *next) {
    if (!next)
        return -1;
    pixDestroy(pix);
    *pix = next;
    return 0;
}

static void note_peak(scan_t *s, PIX *a, PIX *b, PIX *c) {
    /* A PIX shared between names (clones) is counted once. */
    size_t n = qr__image_bytes(a);
    if (b && b != a)
        n += qr__image_bytes(b);
    if (c && c != a && c != b)
        n += qr__image_bytes(c);
    if (n > s->out->peak_bytes)
        s->out->peak_bytes = n;
}

/* Prefixes err's message with the file's number when the scan has several. */
static void name_file(qr_err_t *err, int i, int nin) {
    if (nin < 2 || !err || strcmp(qr_err_code(err), "timeout") == 0)
        return;
    char msg[sizeof(err->msg)];
    snprintf(msg, sizeof(msg), "file %d: %.300s", i + 1, err->msg);
    memcpy(err->msg, msg, sizeof(msg));
}

static qr_status_t out_of_memory(qr_err_t *err, int page) {
    return qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory processing page %d", page);
}

/* Recognizes the 1-bit page bin and appends its text to the scan's (pages apart by a form
 * feed). */
static qr_status_t recognize_page(scan_t *s, PIX *bin, int dpi, int page_no, qr_err_t *err) {
    if (s->out->ocr_pages > 0) {
        size_t n = strlen(s->out->text);
        char *t = realloc(s->out->text, n + 2);
        if (!t)
            return out_of_memory(err, page_no);
        s->out->text = t;
        memcpy(t + n, "\f", 2);
    }
    qr_status_t rc =
        qr__ocr_recognize(s->engine, bin, dpi, &s->deadline, s->lim->max_ms, &s->out->text, err);
    if (!rc)
        s->out->ocr_pages++;
    return rc;
}

/* Runs the steps over one page (pix is consumed). Kept whole: its branches are the steps in
 * their order, each a guarded pixel operation that can fail only for memory, so the order of
 * the steps reads top to bottom (about 30 decision points). */
static qr_status_t process_page(scan_t *s, PIX *pix, int page_no, qr_err_t *err) {
    const qr_scan_steps_t *st = s->steps;
    qr_status_t rc = QR_OK;
    PIX *gray = NULL, *bin = NULL;
    int dpi = pixGetXRes(pix);

    gray = qr__image_gray(pix);
    if (!gray) {
        rc = out_of_memory(err, page_no);
        goto out;
    }
    if (st->auto_rotate && s->engine) {
        int quads = qr__ocr_orientation(s->engine, gray, dpi);
        if (quads && (replace(&pix, pixRotateOrth(pix, quads)) ||
                      replace(&gray, pixRotateOrth(gray, quads)))) {
            rc = out_of_memory(err, page_no);
            goto out;
        }
    }
    if (st->barcodes) {
        rc = qr__image_barcodes(gray, page_no, s->out->barcodes, err);
        if (rc)
            goto out;
    }
    if (qr__deadline_passed(&s->deadline)) {
        rc = qr__scan_timeout(err, s->lim->max_ms);
        goto out;
    }
    int need_bin = st->binarize || st->deskew || st->despeckle || st->remove_blank || s->need_ocr;
    if (need_bin) {
        bin = qr__image_binarize(gray);
        if (!bin) {
            rc = out_of_memory(err, page_no);
            goto out;
        }
        note_peak(s, pix, gray, bin);
        pixDestroy(&gray); /* from here on: the page (pix) and its 1-bit copy (bin) */
    }
    /* Specks go before the deskew turns them into bigger ones. */
    if (st->despeckle) {
        if (replace(&bin, qr__image_despeckle_bin(bin)) ||
            (!st->binarize && pixGetDepth(pix) > 1 &&
             replace(&pix, qr__image_despeckle_gray(pix)))) {
            rc = out_of_memory(err, page_no);
            goto out;
        }
    }
    if (st->deskew) {
        float deg = qr__image_skew(bin);
        if (deg != 0 && (replace(&pix, qr__image_rotate(pix, deg)) ||
                         replace(&bin, qr__image_rotate(bin, deg)))) {
            rc = out_of_memory(err, page_no);
            goto out;
        }
    }
    note_peak(s, pix, gray, bin);
    if (st->remove_blank && qr__image_is_blank(bin))
        goto out; /* dropped */
    if (st->binarize && replace(&pix, pixClone(bin))) {
        rc = out_of_memory(err, page_no);
        goto out;
    }
    if (s->need_ocr && (rc = recognize_page(s, bin, dpi, page_no, err)))
        goto out;
    rc = qr__writer_add(s->writer, pix, s->need_ocr ? qr__ocr_api(s->engine) : NULL, err);
    if (!rc)
        s->out->pages_out++;
out:
    pixDestroy(&bin);
    pixDestroy(&gray);
    pixDestroy(&pix);
    return rc;
}

/* Checks what a scan asks before any file is read: time, format, files, the OCR engine and
 * its languages; sets s->need_ocr. */
static qr_status_t check_request(scan_t *s, qr_ocr_engine_t *e, const qr_scan_input_t *in, int nin,
                                 qr_err_t *err) {
    const qr_scan_steps_t *steps = s->steps;
    if (s->lim->max_ms <= 0)
        return qr__scan_timeout(err, s->lim->max_ms);
    if ((int)steps->format < 0 || steps->format >= QR_SCAN_FORMAT_COUNT)
        return qr_err_set(err, QR_E_INVALID, "invalid_format",
                          "unknown output format %d; allowed are pdf, pdf_text, pdfa, tiff, jpeg",
                          (int)steps->format);
    if (nin <= 0 || !in)
        return qr_err_set(err, QR_E_INVALID, "no_pages", "the scan has no files");
    s->need_ocr = steps->ocr || steps->format == QR_SCAN_PDF_TEXT || steps->format == QR_SCAN_PDFA;
    if ((s->need_ocr || steps->auto_rotate) && !e)
        return qr_err_set(err, QR_E_INTERNAL, NULL, "OCR and auto-rotation need an OCR engine");
    if (s->need_ocr) {
        char lang[sizeof(steps->language) + 1];
        memcpy(lang, steps->language, sizeof(steps->language));
        lang[sizeof(steps->language)] = '\0';
        return qr__ocr_use(e, lang[0] ? lang : "eng", err);
    }
    return QR_OK;
}

/* Every file is checked (format, page count, page sizes) before any page is decoded; counts[i]
 * gets file i's pages. */
static qr_status_t check_files(scan_t *s, const qr_scan_input_t *in, int nin, int *counts,
                               qr_err_t *err) {
    long long total = 0;
    for (int i = 0; i < nin; i++) {
        qr__intake_t *cur = NULL;
        qr_status_t rc =
            qr__intake_open(in[i].data, in[i].len, s->lim, &s->deadline, &cur, &counts[i], err);
        qr__intake_close(cur);
        if (rc) {
            name_file(err, i, nin);
            return rc;
        }
        total += counts[i];
        if (total > s->lim->max_pages)
            return qr_err_set(err, QR_E_INVALID, "too_many_pages",
                              "the scan's files have more than %d pages together; a scan may "
                              "have at most %d",
                              s->lim->max_pages, s->lim->max_pages);
    }
    return QR_OK;
}

/* Then the files are opened again one at a time, so only one is held open, and each page goes
 * through the steps into the writer. */
static qr_status_t run_files(scan_t *s, const qr_scan_input_t *in, int nin, const int *counts,
                             qr_err_t *err) {
    qr_scan_output_t *out = s->out;
    qr__intake_t *cur = NULL;
    qr_status_t rc = QR_OK;
    for (int i = 0; !rc && i < nin; i++) {
        int pages = 0;
        rc = qr__intake_open(in[i].data, in[i].len, s->lim, &s->deadline, &cur, &pages, err);
        if (rc) {
            name_file(err, i, nin);
            break;
        }
        for (int p = 0; !rc && p < pages && p < counts[i]; p++) {
            PIX *pix = NULL;
            rc = qr__intake_next(cur, &pix, err);
            if (rc) {
                name_file(err, i, nin);
                break;
            }
            out->pages_in++;
            rc = process_page(s, pix, out->pages_in, err);
            if (!rc && qr__deadline_passed(&s->deadline))
                rc = qr__scan_timeout(err, s->lim->max_ms);
        }
        qr__intake_close(cur);
        cur = NULL;
    }
    return rc;
}

qr_status_t qr_scan_process(qr_ocr_engine_t *e, const qr_scan_input_t *in, int nin,
                            const qr_scan_steps_t *steps, const qr_scan_limits_t *lim,
                            qr_scan_output_t *out, qr_err_t *err) {
    qr_scan_limits_t defaults;
    if (!lim) {
        qr_scan_limits_init(&defaults);
        lim = &defaults;
    }
    memset(out, 0, sizeof(*out));
    qr__scan_quiet();
    scan_t s = {.engine = e, .steps = steps, .lim = lim, .out = out};
    qr__deadline_set(&s.deadline, lim->max_ms, lim->cancel);
    int *counts = NULL;
    qr_status_t rc = QR_OK;
    out->barcodes = json_array();
    out->text = calloc(1, 1);
    if (!out->barcodes || !out->text) {
        rc = qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if ((rc = check_request(&s, e, in, nin, err)))
        goto out;
    counts = calloc((size_t)nin, sizeof(*counts));
    if (!counts) {
        rc = qr_err_set(err, QR_E_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if ((rc = check_files(&s, in, nin, counts, err)) ||
        (rc = qr__writer_create(steps->format, &s.writer, err)) ||
        (rc = run_files(&s, in, nin, counts, err)))
        goto out;
    if (out->pages_out == 0) {
        rc = qr_err_set(err, QR_E_INVALID, "no_pages",
                        "every page of the scan is blank (%d pages read); nothing to deliver",
                        out->pages_in);
        goto out;
    }
    rc = qr__writer_finish(s.writer, out, err);
out:
    qr__writer_destroy(s.writer);
    free(counts);
    return rc;
}

void qr_scan_output_free(qr_scan_output_t *out) {
    if (!out)
        return;
    for (int i = 0; i < out->nfiles; i++)
        free(out->files[i].data);
    free(out->files);
    free(out->text);
    json_decref(out->barcodes);
    memset(out, 0, sizeof(*out));
}
