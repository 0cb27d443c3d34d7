/* search_job.c - indexing after commit (docs/internals/search.md, "Indexing after commit"):
 * the queue of objects written since they were last indexed (search_pending, migration
 * 0025), drained in batches by one job thread per node, at start and after each kick. */
#include "search/search_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "store/store.h"

/* Rows per transaction: one fsync indexes a burst of writes. */
#define BATCH 128

int search_set_loader(struct search *s, const char *kind, search_loader_fn fn, void *ctx,
                      struct err *err)
{
    if (kind == NULL || strlen(kind) > SEARCH_MAX_KIND || fn == NULL ||
        s->nloaders == SEARCH_MAX_LOADERS)
        return err_set(err, 500, "search.bad_kind", "no room for the loader of this kind");
    snprintf(s->loaders[s->nloaders].kind, sizeof(s->loaders[0].kind), "%s", kind);
    s->loaders[s->nloaders].fn = fn;
    s->loaders[s->nloaders].ctx = ctx;
    s->nloaders++;
    return 0;
}

int search_enqueue(struct search *s, const char *kind, int64_t id, struct err *err)
{
    struct store_conn *c = store_conn(s->st, err);
    if (c == NULL)
        return -1;
    return search_db_pending_add(c, id_next(), kind, id, err);
}

void search_kick(struct search *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    s->kicked = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
}

/* Index one queued object from its current state. A document the search module refuses
 * (4xx: too long, bad kind) is logged and dropped, so that it cannot block the queue. */
static int index_one(struct search *s, struct arena *a, const struct search_pending_row *r,
                     struct err *err)
{
    for (int i = 0; i < s->nloaders; i++) {
        if (strcmp(s->loaders[i].kind, r->kind) != 0)
            continue;
        struct search_doc d;
        memset(&d, 0, sizeof(d));
        int found = s->loaders[i].fn(s->loaders[i].ctx, a, r->kind, r->id, &d, err);
        if (found < 0)
            return -1;
        int rc = found ? search_put(s, &d, err) : search_delete(s, r->kind, r->id, err);
        if (rc < 0 && err->status >= 400 && err->status < 500) {
            log_kv(LOG_WARN, "search: a queued document was refused", "kind", r->kind, "code",
                   err->code, LOG_END);
            return 0;
        }
        return rc;
    }
    log_kv(LOG_WARN, "search: no loader for a queued kind", "kind", r->kind, LOG_END);
    return 0;
}

int search_drain(struct search *s, int max, int *done, struct err *err)
{
    *done = 0;
    struct store_conn *c = store_conn(s->st, err);
    struct arena *a = arena_new(0);
    if (c == NULL || a == NULL) {
        arena_free(a);
        return c == NULL ? -1 : err_set(err, 500, "search.error", "out of memory");
    }
    struct search_pending_row *rows = NULL;
    int n = 0;
    if (store_begin(c, err) < 0)
        goto out;
    if (search_db_drain_lock(c, err) < 0 ||
        search_db_pending_batch(c, a, max > 0 ? max : BATCH, &rows, &n, err) < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        /* An object written several times since the last pass is indexed once. */
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = rows[j].id == rows[i].id && strcmp(rows[j].kind, rows[i].kind) == 0;
        if ((!seen && index_one(s, a, &rows[i], err) < 0) ||
            search_db_pending_del(c, rows[i].seq, err) < 0)
            goto fail;
    }
    if (n == 0) {
        store_rollback(c);
        arena_free(a);
        return 0;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *done = n;
    arena_free(a);
    return 0;
fail:
    store_rollback(c);
out:
    arena_free(a);
    return -1;
}

int search_pending(struct search *s, int64_t *n, struct err *err)
{
    struct store_conn *c = store_conn(s->st, err);
    return c == NULL ? -1 : search_db_pending_count(c, n, err);
}

static void deadline_after(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Drain until the queue is empty (a pass that fails is logged and retried next time). */
static void drain_all(struct search *s)
{
    for (;;) {
        struct err err;
        err_clear(&err);
        int done = 0;
        if (search_drain(s, BATCH, &done, &err) < 0) {
            log_kv(LOG_ERROR, "search: indexing pass failed", "code", err.code, "detail", err.msg,
                   LOG_END);
            return;
        }
        if (done < BATCH)
            return;
    }
}

static void *job(void *p)
{
    struct search *s = p;
    drain_all(s); /* what a crash or kill left queued */
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec ts;
        deadline_after(&ts, s->interval_ms);
        while (!s->stop && !s->kicked &&
               pthread_cond_timedwait(&s->wake, &s->lock, &ts) != ETIMEDOUT)
            ;
        if (s->stop)
            break;
        if (s->kicked && s->delay_ms > 0) {
            deadline_after(&ts, s->delay_ms);
            while (!s->stop && pthread_cond_timedwait(&s->wake, &s->lock, &ts) != ETIMEDOUT)
                ;
            if (s->stop)
                break;
        }
        s->kicked = 0;
        pthread_mutex_unlock(&s->lock);
        drain_all(s);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int search_job_start(struct search *s, int interval_ms, int delay_ms, struct err *err)
{
    if (s->running)
        return 0;
    s->interval_ms = interval_ms < 10 ? 10 : interval_ms;
    s->delay_ms = delay_ms < 0 ? 0 : delay_ms;
    s->stop = 0;
    if (pthread_create(&s->job, NULL, job, s) != 0)
        return err_set(err, 500, "search.thread", "the indexing job cannot start");
    s->running = 1;
    return 0;
}

void search_job_stop(struct search *s)
{
    if (s == NULL || !s->running)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_broadcast(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->job, NULL);
    s->running = 0;
}
