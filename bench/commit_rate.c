/*
 * commit_rate.c - the baseline for durable writes in `make bench`: how many single-row
 * transactions per second the database commits through the same store layer the server
 * uses (SQLite with synchronous=FULL, or PostgreSQL), with THREADS writers at once.
 * Endpoints that write (the OIDC token endpoint, application submission) are reported
 * as a fraction of this rate, measured in the same run.
 *   commit_rate DB_URL THREADS SECONDS
 * Prints "commits_per_s=N". Uses its own table, dropped at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "store/store.h"

static struct store *st;
static int64_t deadline_us;
static uint64_t total;

static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS bench_commit (id BIGINT PRIMARY KEY, at BIGINT NOT NULL, "
    "payload TEXT NOT NULL)";
static const char SQL_INSERT[] = "INSERT INTO bench_commit (id, at, payload) VALUES (?, ?, ?)";
static const char SQL_DROP[] = "DROP TABLE bench_commit";

static void *writer(void *arg)
{
    (void)arg;
    struct err err;
    struct store_conn *c = store_conn(st, &err);
    uint64_t n = 0;
    static const char payload[] = "a row of about the size of an authorization code record";
    while (c != NULL && time_mono_us() < deadline_us) {
        struct store_stmt *s;
        if (store_begin(c, &err) < 0 || (s = store_prepare(c, SQL_INSERT, &err)) == NULL)
            break;
        store_bind_int64(s, 1, id_next());
        store_bind_int64(s, 2, time_now_ms());
        store_bind_text(s, 3, payload, -1);
        int rc = store_step(s, &err);
        store_reset(s);
        if (rc < 0) {
            store_rollback(c);
            break;
        }
        if (store_commit(c, &err) < 0)
            break;
        n++;
    }
    __atomic_add_fetch(&total, n, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: commit_rate DB_URL THREADS SECONDS\n");
        return 2;
    }
    int threads = atoi(argv[2]), secs = atoi(argv[3]);
    struct err err;
    if (threads < 1 || threads > 64 || secs < 1 || store_open(argv[1], NULL, &st, &err) < 0) {
        fprintf(stderr, "commit_rate: %s\n", threads < 1 || secs < 1 ? "bad arguments" : err.msg);
        return 1;
    }
    id_init(1000);
    struct store_conn *c = store_conn(st, &err);
    if (c == NULL || store_exec(c, SQL_CREATE, &err) < 0) {
        fprintf(stderr, "commit_rate: %s\n", err.msg);
        return 1;
    }
    pthread_t t[64];
    int64_t start = time_mono_us();
    deadline_us = start + (int64_t)secs * 1000000;
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, writer, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double elapsed = (time_mono_us() - start) / 1e6;
    store_exec(c, SQL_DROP, &err);
    printf("commits_per_s=%.0f\n", total / elapsed);
    store_close(st);
    return 0;
}
