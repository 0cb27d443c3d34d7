/*
 * apply_bench.c - the targets of issue 4 for applications, run by `bench/run.sh apply`:
 *
 *   apply_bench DATA DB_URL submit THREADS SECONDS [group]
 *       submissions per second: each one the whole durable transaction of apply_submit
 *       (application row, sealed form data, three materials with their SM3, timeline row,
 *       inbox and outbox rows, audit record) by the demo citizen for XZ-MZ-001, THREADS
 *       at once; "group" opens the store with group commit (SQLite). Prints
 *       submits_per_s=N and cpu_us_per_submit=N (this process's user + system CPU time per
 *       submission: the steadier figure on a shared machine, issue 19).
 *   apply_bench DATA DB_URL generate N
 *       N applications spread over the demo departments, states, due dates and 100,000
 *       applicants (batches of 5,000 rows per transaction), for the query figures.
 *   apply_bench DATA DB_URL query RUNS
 *       the clerk queue of clerk.chengguan (apply_queue, 50 rows by due date) and a
 *       citizen's list (apply_list_mine) RUNS times each: p50/p99/max in ms.
 *
 * DATA is a directory `onewindow init` and `onewindow demo` prepared (its key file opens
 * the sealed data). Writes nothing outside the database.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "apply/apply_internal.h"
#include "base/arena.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store/store.h"

static struct store *st;
static struct apply *ap;
static struct authz_subject citizen;
static int64_t deadline_us;
static uint64_t total, failures;

static unsigned char pdf[300], jpeg[300], png[300];

static void *submitter(void *arg)
{
    (void)arg;
    struct err err;
    uint64_t n = 0;
    json_t *values =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "male_name", "扎西多吉", "male_id",
                  "540102199001011233", "female_name", "卓玛", "female_id", "540102199604051234",
                  "appointment_date", "2030-06-01", "phone", "13800000001", "declaration", "on");
    struct apply_upload files[3] = {{"id_card", "id.pdf", pdf, sizeof(pdf)},
                                    {"household_register", "hukou.jpg", jpeg, sizeof(jpeg)},
                                    {"photo", "photo.png", png, sizeof(png)}};
    while (time_mono_us() < deadline_us) {
        struct apply_request rq = {.subj = &citizen,
                                   .item_code = "XZ-MZ-001",
                                   .values = values,
                                   .division_code = 540102000000LL,
                                   .lang = "zh",
                                   .files = files,
                                   .nfiles = 3,
                                   .ip = "127.0.0.1"};
        char number[32];
        json_t *problems = json_array();
        int rc = apply_submit(ap, &rq, number, problems, &err);
        if (rc != 0) {
            if (failures++ == 0)
                fprintf(stderr, "apply_bench: submit failed: %s %s\n",
                        rc < 0 ? err.msg : "problems", rc > 0 ? json_dumps(problems, 0) : "");
        } else {
            n++;
        }
        json_decref(problems);
    }
    json_decref(values);
    __atomic_add_fetch(&total, n, __ATOMIC_RELAXED);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *name, int64_t *us, int n)
{
    qsort(us, (size_t)n, sizeof(*us), cmp_i64);
    printf("%s_p50_ms=%.3f\n%s_p99_ms=%.3f\n%s_max_ms=%.3f\n", name, us[n / 2] / 1000.0, name,
           us[(int)(n * 0.99)] / 1000.0, name, us[n - 1] / 1000.0);
}

static const char SQL_DEPTS[] = "SELECT id FROM departments ORDER BY id";
static const char SQL_ONE_APPLICANT[] =
    "SELECT applicant_account FROM applications WHERE applicant_account >= 9000000 "
    "ORDER BY applicant_account LIMIT 1";

static int generate(long n, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    int64_t depts[256];
    int nd = 0;
    struct store_stmt *s = store_prepare(c, SQL_DEPTS, err);
    if (s == NULL)
        return -1;
    while (store_step(s, err) == STORE_ROW && nd < 256)
        depts[nd++] = store_col_int64(s, 0);
    store_reset(s);
    if (nd == 0)
        return err_set(err, 1, "bench", "no departments: run `onewindow demo` first");
    static const char *const states[] = {"submitted", "accepted",  "under_review", "approved",
                                         "denied",    "delivered", "closed",       "closed",
                                         "closed",    "closed"};
    unsigned char blob[200];
    memset(blob, 0x5a, sizeof(blob));
    int64_t now = time_now_ms();
    long done = 0;
    unsigned seed = 12345;
    while (done < n) {
        if (store_begin(c, err) < 0)
            return -1;
        for (int k = 0; k < 5000 && done < n; k++, done++) {
            seed = seed * 1103515245u + 12345u;
            struct app_row r;
            memset(&r, 0, sizeof(r));
            char number[48];
            snprintf(number, sizeof(number), "2020%04ld%06d%06ld", 101 + done / 1000000, 540102,
                     done % 1000000);
            r.id = id_next();
            r.number = number;
            r.item_code = "XZ-MZ-001";
            r.item_version = 1;
            r.item_name = "内地居民婚姻登记";
            r.applicant_account = 9000000 + (int64_t)(seed % 100000); /* ~10 each */
            r.filed_by = r.applicant_account;
            r.applicant_name = "测试";
            r.department_id = depts[(seed >> 8) % (unsigned)nd];
            r.division_code = 540102000000LL;
            r.state = states[(seed >> 16) % 10];
            r.lang = "zh";
            r.form_enc = blob;
            r.form_len = sizeof(blob);
            r.limit_days = 20;
            r.created_at = r.submitted_at = r.updated_at = now - (int64_t)(seed % 86400000u) * 100;
            r.due_at =
                strcmp(r.state, "closed") == 0 ? 0 : now + (int64_t)((seed >> 4) % 2592000000u);
            r.deadline_at = r.due_at;
            if (apply_db_insert(c, &r, err) < 0) {
                store_rollback(c);
                return -1;
            }
        }
        if (store_commit(c, err) < 0)
            return -1;
    }
    printf("generated=%ld\n", done);
    return 0;
}

static int query(int runs, struct identity *id, struct err *err)
{
    int64_t clerk_id;
    struct authz_subject clerk;
    if (identity_account_find_username(id, "clerk.chengguan", &clerk_id, err) < 0 ||
        identity_subject_load(id, clerk_id, 2, &clerk, err) < 0)
        return -1;
    struct store_conn *c = store_conn(st, err);
    struct store_stmt *s = c ? store_prepare(c, SQL_ONE_APPLICANT, err) : NULL;
    if (s == NULL)
        return -1;
    struct authz_subject person = {0};
    person.kind = IDENTITY_CITIZEN;
    person.aal = 1;
    if (store_step(s, err) == STORE_ROW)
        person.account_id = store_col_int64(s, 0);
    store_reset(s);
    if (person.account_id == 0)
        return err_set(err, 1, "bench", "no generated applications: run generate first");
    int64_t *q = malloc(sizeof(int64_t) * (size_t)runs),
            *m = malloc(sizeof(int64_t) * (size_t)runs);
    size_t qrows = 0, mrows = 0;
    for (int i = 0; i < runs; i++) {
        json_t *out = NULL;
        int64_t t0 = time_mono_us();
        if (apply_queue(ap, &clerk, "zh", NULL, 50, &out, err) < 0)
            return -1;
        q[i] = time_mono_us() - t0;
        qrows = json_array_size(out);
        json_decref(out);
        t0 = time_mono_us();
        if (apply_list_mine(ap, &person, "zh", 50, &out, err) < 0)
            return -1;
        m[i] = time_mono_us() - t0;
        mrows = json_array_size(out);
        json_decref(out);
    }
    printf("queue_rows=%zu\nmine_rows=%zu\n", qrows, mrows);
    report("clerk_queue", q, runs);
    report("citizen_list", m, runs);
    free(q);
    free(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: apply_bench DATA DB_URL submit THREADS SECONDS [group] | "
                        "generate N | query RUNS\n");
        return 2;
    }
    struct err err;
    struct crypto_keyring *kr = NULL;
    struct identity *id = NULL;
    struct notify *nt = NULL;
    int group = argc > 6 && strcmp(argv[6], "group") == 0;
    struct store_options opt = {.busy_timeout_ms = 10000, .group_commit = group};
    id_init(1001);
    if (store_open(argv[2], &opt, &st, &err) < 0 || crypto_keyring_open(argv[1], &kr, &err) < 0 ||
        identity_open(st, kr, NULL, &id, &err) < 0 || notify_open(st, kr, &nt, &err) < 0 ||
        apply_open(st, kr, id, nt, &ap, &err) < 0) {
        fprintf(stderr, "apply_bench: %s\n", err.msg);
        return 1;
    }
    int rc = 0;
    if (strcmp(argv[3], "submit") == 0) {
        int threads = atoi(argv[4]), secs = argc > 5 ? atoi(argv[5]) : 5;
        int64_t cid;
        if (threads < 1 || threads > 64 ||
            identity_account_find_id_number(id, "540102199001011233", &cid, &err) < 0 ||
            identity_subject_load(id, cid, 1, &citizen, &err) < 0) {
            fprintf(stderr, "apply_bench: %s\n", threads < 1 ? "bad threads" : err.msg);
            return 1;
        }
        memcpy(pdf, "%PDF-1.4\n", 9);
        memcpy(jpeg, "\xff\xd8\xff\xe0", 4);
        memcpy(png, "\x89PNG\r\n\x1a\n", 8);
        /* Warm the caches (calendar, statements) outside the measurement. */
        deadline_us = time_mono_us() + 300000;
        submitter(NULL);
        total = 0;
        pthread_t t[64];
        struct rusage ru0, ru1;
        getrusage(RUSAGE_SELF, &ru0);
        int64_t start = time_mono_us();
        deadline_us = start + (int64_t)secs * 1000000;
        for (int i = 0; i < threads; i++)
            pthread_create(&t[i], NULL, submitter, NULL);
        for (int i = 0; i < threads; i++)
            pthread_join(t[i], NULL);
        double elapsed = (time_mono_us() - start) / 1e6;
        getrusage(RUSAGE_SELF, &ru1);
        double cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e6 +
                     (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                     (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
                     (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
        printf("submits_per_s=%.0f\nsubmit_failures=%llu\ncpu_us_per_submit=%.0f\n",
               total / elapsed, (unsigned long long)failures, total > 0 ? cpu / total : 0);
    } else if (strcmp(argv[3], "generate") == 0) {
        rc = generate(atol(argv[4]), &err);
    } else if (strcmp(argv[3], "query") == 0) {
        rc = query(atoi(argv[4]) > 0 ? atoi(argv[4]) : 200, id, &err);
    } else {
        rc = err_set(&err, 2, "usage", "unknown mode %s", argv[3]);
    }
    if (rc < 0)
        fprintf(stderr, "apply_bench: %s\n", err.msg);
    apply_close(ap);
    notify_close(nt);
    identity_close(id);
    crypto_keyring_close(kr);
    store_close(st);
    return rc < 0 ? 1 : 0;
}
