/* SPDX-License-Identifier: Apache-2.0 */
/* quire bench: time of one Argon2id hash with quired's default parameters (m=19456 KiB, t=2,
 * p=1), measured with libargon2 -- the same library and call quired's login makes
 * (argon2id_verify computes exactly one such hash).
 *
 *   hashtime [N] [THREADS]
 *
 * First N hashes one after another on one thread (mean, median, min), then THREADS threads
 * each doing N hashes at once (aggregate hashes/s: what the hash workers can reach when all
 * cores hash together and share memory bandwidth). Prints one HASHSTAT line at the end. */
#include <argon2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define M_KIB 19456u
#define T_COST 2u
#define PAR 1u

static int g_n = 20;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one_hash(unsigned i) {
    static const char pwd[] = "Quire-Bench-Password-7x!";
    uint8_t salt[16], out[32];
    memset(salt, 0x5a, sizeof(salt));
    memcpy(salt, &i, sizeof(i));
    int rc = argon2id_hash_raw(T_COST, M_KIB, PAR, pwd, sizeof(pwd) - 1, salt, sizeof(salt), out,
                               sizeof(out));
    if (rc != ARGON2_OK) {
        fprintf(stderr, "argon2id_hash_raw: %s\n", argon2_error_message(rc));
        return -1;
    }
    return 0;
}

static void *worker(void *arg) {
    unsigned base = (unsigned)(uintptr_t)arg * 1000u;
    for (int i = 0; i < g_n; i++)
        if (one_hash(base + (unsigned)i) != 0)
            return (void *)1;
    return NULL;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int threads = 2;
    if (argc > 1)
        g_n = (int)strtol(argv[1], NULL, 10);
    if (argc > 2)
        threads = (int)strtol(argv[2], NULL, 10);
    if (g_n < 1 || g_n > 10000 || threads < 1 || threads > 256) {
        fprintf(stderr, "usage: hashtime [N 1..10000] [THREADS 1..256]\n");
        return 2;
    }
    if (one_hash(999999u) != 0) /* warm-up: page in the 19 MiB once */
        return 1;

    double *t = calloc((size_t)g_n, sizeof(*t));
    if (!t)
        return 1;
    double sum = 0;
    for (int i = 0; i < g_n; i++) {
        double t0 = now_s();
        if (one_hash((unsigned)i) != 0)
            return 1;
        t[i] = now_s() - t0;
        sum += t[i];
    }
    qsort(t, (size_t)g_n, sizeof(*t), cmp_d);
    double mean = sum / g_n, median = t[g_n / 2], min = t[0];

    pthread_t *tid = calloc((size_t)threads, sizeof(*tid));
    if (!tid)
        return 1;
    double t0 = now_s();
    for (int i = 0; i < threads; i++)
        if (pthread_create(&tid[i], NULL, worker, (void *)(uintptr_t)(i + 1)) != 0)
            return 1;
    int bad = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(tid[i], &r);
        bad |= r != NULL;
    }
    if (bad)
        return 1;
    double par_s = now_s() - t0;
    double par_rate = (double)threads * g_n / par_s;

    printf("argon2id m=%u KiB t=%u p=%u, %d hashes: mean %.2f ms, median %.2f ms, min %.2f ms\n",
           M_KIB, T_COST, PAR, g_n, mean * 1e3, median * 1e3, min * 1e3);
    printf("%d threads x %d hashes at once: %.1f hashes/s (%.2f ms per hash per thread)\n", threads,
           g_n, par_rate, par_s / g_n * 1e3);
    printf("HASHSTAT n=%d mean_ms=%.3f median_ms=%.3f min_ms=%.3f threads=%d par_rate=%.2f\n", g_n,
           mean * 1e3, median * 1e3, min * 1e3, threads, par_rate);
    free(t);
    free(tid);
    return 0;
}
