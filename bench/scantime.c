/* SPDX-License-Identifier: Apache-2.0 */
/* quire bench: scan pipeline throughput and accuracy (bench/scan.sh). Three subcommands:
 *
 *   scantime degrade IN.png OUT.png SKEW_DEG SPECKS ROT180
 *       turns a clean 300-dpi page into a "scanned" one with Leptonica: rotated by SKEW_DEG
 *       (area map, white brought in), SPECKS random dark specks of 1-3 px, turned 180 degrees
 *       if ROT180 is 1; written as PNG at 300 dpi.
 *   scantime cer TRUTH GOT
 *       prints the character error rate of file GOT against file TRUTH: Levenshtein distance
 *       / length of the truth, whitespace runs collapsed to one space (as tests/unit/test_pipeline.c).
 *   scantime run STEPS WORKERS OUTDIR TRUTHDIR PAGE.png...
 *       STEPS is a comma list of auto_rotate, deskew, despeckle, binarize, ocr, and the output
 *       format (pdf, pdf_text, pdfa, tiff, jpeg). WORKERS threads each create their own OCR
 *       engine (timed apart, before the clock starts), then pull page numbers from a shared
 *       counter and run qr_scan_process on each page as a separate one-page scan. The pages are
 *       read into memory first and the outputs are written to OUTDIR/page-NNN.pdf after the
 *       clock stops, with the recognized text (qr_scan_output_t.text) as OUTDIR/page-NNN.ocr.txt.
 *       Prints one SCANPAGE line per page (wall and thread CPU seconds) and one SCANSTAT line. */
#include <leptonica/allheaders.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "scan/pipeline.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    if (!d || fread(d, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(d);
        return NULL;
    }
    fclose(f);
    d[n] = '\0';
    if (len)
        *len = (size_t)n;
    return d;
}

/* s with whitespace runs collapsed to one space, no leading/trailing space. New string. */
static char *collapse(const char *s) {
    char *o = malloc(strlen(s) + 1);
    size_t n = 0;
    int space = 1;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\f' || *s == '\r' || *s == '\v') {
            if (!space)
                o[n++] = ' ';
            space = 1;
        } else {
            o[n++] = *s;
            space = 0;
        }
    }
    while (n && o[n - 1] == ' ')
        n--;
    o[n] = '\0';
    return o;
}

static double cer(const char *truth, const char *got) {
    char *a = collapse(truth), *b = collapse(got);
    size_t la = strlen(a), lb = strlen(b);
    size_t *prev = calloc(lb + 1, sizeof(size_t)), *cur = calloc(lb + 1, sizeof(size_t));
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    double r = la ? (double)prev[lb] / (double)la : (lb ? 1.0 : 0.0);
    free(prev);
    free(cur);
    free(a);
    free(b);
    return r;
}

static int cmd_degrade(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: scantime degrade IN.png OUT.png SKEW_DEG SPECKS ROT180\n");
        return 2;
    }
    setMsgSeverity(L_SEVERITY_ERROR);
    PIX *pix = pixRead(argv[2]);
    if (!pix)
        return 1;
    PIX *g = pixGetDepth(pix) == 8 ? pixClone(pix) : pixConvertTo8(pix, 0);
    pixDestroy(&pix);
    float deg = strtof(argv[4], NULL);
    int specks = atoi(argv[5]), rot = atoi(argv[6]);
    if (deg != 0.0f) {
        PIX *r = pixRotate(g, deg * 3.14159265f / 180.0f, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0,
                           0);
        pixDestroy(&g);
        g = r;
    }
    srand((unsigned)(specks * 7 + (int)(deg * 10) + 1));
    int w = pixGetWidth(g), h = pixGetHeight(g);
    for (int i = 0; i < specks; i++) {
        int x = rand() % (w - 4), y = rand() % (h - 4), s = 1 + rand() % 3;
        for (int dy = 0; dy < s; dy++)
            for (int dx = 0; dx < s; dx++)
                pixSetPixel(g, x + dx, y + dy, 40);
    }
    if (rot) {
        PIX *r = pixRotateOrth(g, 2);
        pixDestroy(&g);
        g = r;
    }
    pixSetResolution(g, 300, 300);
    int rc = pixWrite(argv[3], g, IFF_PNG);
    pixDestroy(&g);
    return rc ? 1 : 0;
}

static int cmd_cer(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: scantime cer TRUTH GOT\n");
        return 2;
    }
    char *t = slurp(argv[2], NULL), *g = slurp(argv[3], NULL);
    if (!t || !g)
        return 1;
    printf("%.4f\n", cer(t, g));
    free(t);
    free(g);
    return 0;
}

typedef struct page {
    char *png;
    size_t len;
    char *truth;
    double secs, cpu, cer;
    char *text; /* out.text, written after the clock stops */
    size_t peak;
    int ocr_pages;
    qr_scan_file_t file; /* the output, written after the clock stops */
    char err[300];
} page_t;

static page_t *pages;
static int npages;
static atomic_int next_page;
static qr_scan_steps_t steps;
static pthread_barrier_t ready;
static double *engine_s;
static int *failed;

static void *worker(void *arg) {
    int id = (int)(long)arg;
    qr_err_t err = {QR_OK, NULL, ""};
    qr_ocr_engine_t *e = NULL;
    double t0 = now_s();
    if (qr_ocr_engine_create(steps.language, &e, &err) != QR_OK) {
        fprintf(stderr, "scantime: engine: %s\n", err.msg);
        failed[id] = 1;
    }
    engine_s[id] = now_s() - t0;
    pthread_barrier_wait(&ready);
    if (!e)
        return NULL;
    qr_scan_limits_t lim;
    qr_scan_limits_init(&lim);
    for (;;) {
        int i = atomic_fetch_add(&next_page, 1);
        if (i >= npages)
            break;
        page_t *p = &pages[i];
        qr_scan_input_t in = {p->png, p->len};
        qr_scan_output_t out;
        memset(&out, 0, sizeof(out));
        struct timespec c0, c1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        double s0 = now_s();
        qr_status_t st = qr_scan_process(e, &in, 1, &steps, &lim, &out, &err);
        p->secs = now_s() - s0;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        p->cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
        if (st != QR_OK || out.nfiles != 1) {
            snprintf(p->err, sizeof(p->err), "%s: %s", qr_err_code(&err), err.msg);
            failed[id] = 1;
        } else {
            p->cer = cer(p->truth, out.text ? out.text : "");
            p->text = strdup(out.text ? out.text : "");
            p->peak = out.peak_bytes;
            p->ocr_pages = out.ocr_pages;
            p->file = out.files[0];
            out.files[0].data = NULL; /* kept: written after the clock stops */
            out.files[0].len = 0;
        }
        qr_scan_output_free(&out);
    }
    qr_ocr_engine_destroy(e);
    return NULL;
}

static int cmd_run(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: scantime run STEPS WORKERS OUTDIR TRUTHDIR PAGE.png...\n");
        return 2;
    }
    memset(&steps, 0, sizeof(steps));
    snprintf(steps.language, sizeof(steps.language), "eng");
    steps.format = QR_SCAN_PDF_TEXT;
    char *list = strdup(argv[2]);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int f = qr_scan_format_parse(tok);
        if (f >= 0)
            steps.format = (qr_scan_format_t)f;
        else if (!strcmp(tok, "auto_rotate"))
            steps.auto_rotate = 1;
        else if (!strcmp(tok, "deskew"))
            steps.deskew = 1;
        else if (!strcmp(tok, "despeckle"))
            steps.despeckle = 1;
        else if (!strcmp(tok, "binarize"))
            steps.binarize = 1;
        else if (!strcmp(tok, "ocr"))
            steps.ocr = 1;
        else if (strcmp(tok, "none")) {
            fprintf(stderr, "scantime: unknown step %s\n", tok);
            return 2;
        }
    }
    free(list);
    int workers = atoi(argv[3]);
    if (workers < 1 || workers > 64)
        workers = 1;
    const char *outdir = argv[4], *truthdir = argv[5];
    npages = argc - 6;
    pages = calloc((size_t)npages, sizeof(page_t));
    for (int i = 0; i < npages; i++) {
        pages[i].png = slurp(argv[6 + i], &pages[i].len);
        char path[4096];
        snprintf(path, sizeof(path), "%s/page-%03d.txt", truthdir, i + 1);
        pages[i].truth = slurp(path, NULL);
        if (!pages[i].png || !pages[i].truth) {
            fprintf(stderr, "scantime: cannot read page %d (%s) or %s\n", i + 1, argv[6 + i], path);
            return 1;
        }
    }
    engine_s = calloc((size_t)workers, sizeof(double));
    failed = calloc((size_t)workers, sizeof(int));
    pthread_t *th = calloc((size_t)workers, sizeof(pthread_t));
    pthread_barrier_init(&ready, NULL, (unsigned)workers + 1);
    struct rusage ru0, ru1;
    for (int w = 0; w < workers; w++)
        pthread_create(&th[w], NULL, worker, (void *)(long)w);
    pthread_barrier_wait(&ready); /* every engine exists: the clock starts */
    getrusage(RUSAGE_SELF, &ru0);
    double t0 = now_s();
    for (int w = 0; w < workers; w++)
        pthread_join(th[w], NULL);
    double wall = now_s() - t0;
    getrusage(RUSAGE_SELF, &ru1);
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                 (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    int bad = 0;
    for (int w = 0; w < workers; w++)
        bad |= failed[w];
    double sum = 0, max = 0, emax = 0, psum = 0;
    size_t peak = 0;
    for (int w = 0; w < workers; w++)
        emax = engine_s[w] > emax ? engine_s[w] : emax;
    for (int i = 0; i < npages; i++) {
        page_t *p = &pages[i];
        if (p->err[0]) {
            fprintf(stderr, "scantime: page %d: %s\n", i + 1, p->err);
            continue;
        }
        char path[4096];
        snprintf(path, sizeof(path), "%s/page-%03d.pdf", outdir, i + 1);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(p->file.data, 1, p->file.len, f) != p->file.len) {
            fprintf(stderr, "scantime: cannot write %s\n", path);
            bad = 1;
        }
        if (f)
            fclose(f);
        free(p->file.data);
        snprintf(path, sizeof(path), "%s/page-%03d.ocr.txt", outdir, i + 1);
        f = fopen(path, "w");
        if (!f || fputs(p->text, f) < 0) {
            fprintf(stderr, "scantime: cannot write %s\n", path);
            bad = 1;
        }
        if (f)
            fclose(f);
        free(p->text);
        printf("SCANPAGE page=%d s=%.3f cpu=%.3f cer=%.4f peak_bytes=%zu ocr_pages=%d bytes=%zu\n", i + 1,
               p->secs, p->cpu, p->cer, p->peak, p->ocr_pages, p->file.len);
        sum += p->cer;
        psum += p->secs;
        max = p->cer > max ? p->cer : max;
        peak = p->peak > peak ? p->peak : peak;
    }
    printf("SCANSTAT pages=%d workers=%d wall_s=%.3f cpu_s=%.3f page_s_sum=%.3f engine_s=%.3f "
           "cer_mean=%.4f cer_max=%.4f peak_bytes=%zu maxrss_kb=%ld failed=%d\n",
           npages, workers, wall, cpu, psum, emax, npages ? sum / npages : 0, max, peak,
           ru1.ru_maxrss, bad);
    return bad ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "degrade"))
        return cmd_degrade(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "cer"))
        return cmd_cer(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "run"))
        return cmd_run(argc, argv);
    fprintf(stderr, "usage: scantime degrade|cer|run ...\n");
    return 2;
}
