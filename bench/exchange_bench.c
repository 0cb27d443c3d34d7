/*
 * exchange_bench.c - the in-process figures of issue 13's targets (run by bench/exchange.sh):
 *   exchange_bench DATA DB read THREADS SECONDS [group]
 *       exchange_read (purpose and case checks, grant lookup, rate limit, the sandbox
 *       provider's sealed record, field filtering, the read's log row and audit record in one
 *       durable transaction) by THREADS callers: reads_per_s
 *   exchange_bench DATA DB fill ROWS ID_NUMBER
 *       ROWS rows in exchange_reads, one in 2000 about ID_NUMBER, the rest about others
 *   exchange_bench DATA DB query ID_NUMBER RUNS
 *       exchange_data_use(ID_NUMBER, one page: the newest 50): p50/p99/max in ms
 * DATA is an initialised data directory (its key file), DB its database, with the demo loaded.
 * Prints key=value lines.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/id.h"
#include "crypto/crypto.h"
#include "exchange/exchange_internal.h"
#include "store/store.h"

static struct exchange *x;
static int64_t deadline_us;
static uint64_t total, failures;
static const char *const ZX = "540102199001011233";

static void *reader(void *arg)
{
    (void)arg;
    struct err err;
    uint64_t n = 0, bad = 0;
    struct exchange_call call = {"bench-client", "压测系统", "marriage", ZX,
                                 NULL,           "bench",    "BENCH-1",  NULL};
    while (time_mono_us() < deadline_us) {
        json_t *out = NULL;
        if (exchange_read(x, &call, &out, &err) == 0)
            n++;
        else
            bad++;
        json_decref(out);
    }
    __atomic_add_fetch(&total, n, __ATOMIC_RELAXED);
    __atomic_add_fetch(&failures, bad, __ATOMIC_RELAXED);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double p = *(const double *)a, q = *(const double *)b;
    return p < q ? -1 : p > q;
}

static int fill(struct store *s, long rows, const char *idn)
{
    struct err err;
    char mine[65], other[65];
    struct store_conn *c = store_conn(s, &err);
    if (c == NULL || exchange_subject_hash(x, idn, mine, &err) < 0)
        return 1;
    int64_t now = time_now_ms();
    for (long i = 0; i < rows;) {
        if (store_begin(c, &err) < 0)
            return 1;
        for (long k = 0; k < 10000 && i < rows; k++, i++) {
            snprintf(other, sizeof(other), "%064lx", (unsigned long)i * 2654435761u);
            struct exchange_read_row r = {id_next(),
                                          now - (rows - i) * 1000,
                                          i % 2000 == 0 ? mine : other,
                                          "bench-client",
                                          "压测系统",
                                          "population",
                                          "name,household_address",
                                          "bench",
                                          "BENCH-1",
                                          "《中华人民共和国居民身份证法》",
                                          "ok"};
            if (exchange_db_read_insert(c, &r, &err) < 0) {
                store_rollback(c);
                fprintf(stderr, "fill: %s\n", err.msg);
                return 1;
            }
        }
        if (store_commit(c, &err) < 0)
            return 1;
    }
    /* Fold the write-ahead log into the database now, or the server's first checkpoint would
     * land in the measured runs. */
    if (store_kind(s) == STORE_SQLITE)
        store_exec(c, "PRAGMA wal_checkpoint(TRUNCATE)", &err);
    printf("filled_rows=%ld\n", rows);
    return 0;
}

static int query(const char *idn, int runs)
{
    struct err err;
    double *ms = calloc((size_t)runs, sizeof(double));
    size_t got = 0;
    for (int i = 0; i < runs; i++) {
        json_t *out = NULL;
        int64_t t0 = time_mono_us();
        if (exchange_data_use(x, idn, 0, EXCHANGE_DATA_USE_PAGE, &out, &err) < 0)
            return 1;
        ms[i] = (double)(time_mono_us() - t0) / 1000.0;
        got = json_array_size(out);
        json_decref(out);
    }
    qsort(ms, (size_t)runs, sizeof(double), cmp);
    printf("data_use_rows=%zu\ndata_use_p50_ms=%.2f\ndata_use_p99_ms=%.2f\ndata_use_max_ms=%.2f\n",
           got, ms[runs / 2], ms[(runs * 99) / 100], ms[runs - 1]);
    free(ms);
    return 0;
}

int main(int argc, char **argv)
{
    struct err err;
    struct store *s = NULL;
    struct crypto_keyring *kr = NULL;
    if (argc < 4) {
        fprintf(stderr, "usage: exchange_bench DATA DB read|fill|query ...\n");
        return 2;
    }
    int group = argc > 6 && strcmp(argv[6], "group") == 0;
    struct store_options opt = {.busy_timeout_ms = 5000, .group_commit = group};
    id_init(1001);
    if (store_open(argv[2], &opt, &s, &err) < 0 || crypto_keyring_open(argv[1], &kr, &err) < 0 ||
        exchange_open(s, kr, &x, &err) < 0) {
        fprintf(stderr, "exchange_bench: %s\n", err.msg);
        return 1;
    }
    int rc = 2;
    if (strcmp(argv[3], "read") == 0 && argc >= 6) {
        int threads = atoi(argv[4]), secs = atoi(argv[5]);
        int64_t g = 0;
        struct exchange_request r = {"bench-client", "压测系统", "marriage",
                                     "name status",  "bench",    "婚姻登记条例"};
        if (threads < 1 || threads > 64 || exchange_request(x, &r, &g, &err) < 0 ||
            exchange_grant_decide(x, 0, g, 1, NULL, 30, 1000000, &err) < 0) {
            fprintf(stderr, "exchange_bench: %s\n", err.msg);
            return 1;
        }
        pthread_t t[64];
        int64_t start = time_mono_us();
        deadline_us = start + (int64_t)secs * 1000000;
        for (int i = 0; i < threads; i++)
            pthread_create(&t[i], NULL, reader, NULL);
        for (int i = 0; i < threads; i++)
            pthread_join(t[i], NULL);
        double elapsed = (double)(time_mono_us() - start) / 1e6;
        printf("reads_per_s=%.0f\nread_failures=%llu\n", (double)total / elapsed,
               (unsigned long long)failures);
        rc = 0;
    } else if (strcmp(argv[3], "fill") == 0 && argc == 6) {
        rc = fill(s, atol(argv[4]), argv[5]);
    } else if (strcmp(argv[3], "query") == 0 && argc == 6) {
        rc = query(argv[4], atoi(argv[5]));
    }
    exchange_close(x);
    crypto_keyring_close(kr);
    store_close(s);
    return rc;
}
