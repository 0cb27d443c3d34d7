/*
 * pay_reconcile.c - reconciliation (对账) of a day: the gateway's statement against our
 * ledger, and the background work (sandbox delivery, closing orders whose time ran out).
 *
 * A day is a calendar day in China (UTC+8). Orders still paying are queried at the
 * gateway first (a payment whose notification was lost is taken then). Both sides are
 * sorted by transaction id and merged in one pass: the same id and amount is matched, the
 * same id with another amount a mismatch, an id on one side only "ours only" or "theirs
 * only". Integer fen throughout; 100,000 transactions take well under a second (bench).
 */
#include "pay/pay_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/csv.h"
#include "base/id.h"
#include "base/log.h"
#include "store/store.h"

#define MAX_DIFFS 1000

struct line {
    char *txn, *order;
    int64_t amount;
};

struct side {
    struct line *v;
    size_t n, cap;
    int failed;
};

static void side_add(struct side *s, const char *txn, const char *order, int64_t amount)
{
    if (s->failed)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        struct line *v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL) {
            s->failed = 1;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    struct line *l = &s->v[s->n];
    l->txn = strdup(txn ? txn : "");
    l->order = strdup(order ? order : "");
    l->amount = amount;
    if (l->txn == NULL || l->order == NULL) {
        free(l->txn);
        free(l->order);
        s->failed = 1;
        return;
    }
    s->n++;
}

static void ours_row(void *ctx, const char *txn, const char *order, int64_t amount)
{
    side_add(ctx, txn, order, amount);
}

static void side_free(struct side *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].txn);
        free(s->v[i].order);
    }
    free(s->v);
}

static int by_txn(const void *a, const void *b)
{
    return strcmp(((const struct line *)a)->txn, ((const struct line *)b)->txn);
}

/* Midnight of day (YYYY-MM-DD) in China, in ms. -1 when it is not a date. */
static int64_t day_start(const char *day)
{
    int y, m, d;
    char tail;
    if (day == NULL || strlen(day) != 10 || sscanf(day, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        m < 1 || m > 12 || d < 1 || d > 31 || y < 2000 || y > 2100)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    return (int64_t)t * 1000 - 8 * 3600 * 1000LL;
}

/* A difference for the report: the line it is about and the amounts on each side (NULL:
 * absent there). */
static void diff(json_t *diffs, const char *kind, const struct line *l, const int64_t *ours,
                 const int64_t *theirs)
{
    if (json_array_size(diffs) >= MAX_DIFFS)
        return;
    json_array_append_new(diffs, json_pack("{s:s, s:s, s:s, s:o, s:o}", "kind", kind, "txn", l->txn,
                                           "order", l->order, "ours_fen",
                                           ours ? json_integer(*ours) : json_null(), "theirs_fen",
                                           theirs ? json_integer(*theirs) : json_null()));
}

/* Query the orders left paying: a payment the gateway has is taken now. */
static int sweep_paying(struct pay *p, const struct pay_gateway *gw, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    json_t *codes = json_array();
    int rc = -1;
    if (c == NULL || codes == NULL || pay_db_orders_paying(c, codes, err) < 0)
        goto out;
    size_t i;
    json_t *v;
    json_array_foreach(codes, i, v)
    {
        struct pay_gw_status s;
        if (gw->query(p, json_string_value(v), &s, err) < 0)
            goto out;
        if (s.found && s.paid &&
            pay_take_gateway_payment(p, gw, json_string_value(v), s.txn, s.amount_fen, NULL, NULL,
                                     err) < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(codes);
    return rc;
}

static int read_statement(const char *csv, size_t len, struct side *theirs, struct err *err)
{
    struct csv *r = malloc(sizeof(*r));
    const char *f[CSV_MAX_FIELDS];
    int n, first = 1, rc = 0;
    if (r == NULL)
        return err_set(err, 500, "pay.oom", "out of memory");
    csv_init(r, csv, len);
    while ((n = csv_next(r, f)) > 0) {
        if (first) { /* the header */
            first = 0;
            continue;
        }
        char *end = NULL;
        long long amount = n >= 3 ? strtoll(f[2], &end, 10) : 0;
        if (n < 6 || end == NULL || *end != '\0') {
            rc = err_set(err, 502, "pay.bad_statement", "the statement has a bad line");
            break;
        }
        side_add(theirs, f[0], f[1], amount);
    }
    if (n < 0)
        rc = err_set(err, 502, "pay.bad_statement", "the statement is malformed");
    free(r);
    return rc;
}

int pay_reconcile(struct pay *p, const char *gateway, const char *day, json_t **out,
                  struct err *err)
{
    const struct pay_gateway *gw = pay_gateway_find(gateway ? gateway : "sandbox");
    int64_t from = day_start(day);
    struct side ours = {0}, theirs = {0};
    char *csv = NULL;
    size_t len = 0;
    json_t *diffs = NULL;
    int rc = -1;
    int64_t matched = 0, ours_only = 0, theirs_only = 0, mism = 0;
    if (gw == NULL)
        return err_set(err, 400, "pay.bad_gateway", "no gateway has this name");
    if (from < 0)
        return err_set(err, 400, "pay.bad_day", "the day is YYYY-MM-DD");
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL || sweep_paying(p, gw, err) < 0 || gw->statement(p, day, &csv, &len, err) < 0 ||
        read_statement(csv, len, &theirs, err) < 0 ||
        pay_db_ledger(c, gw->name, from, from + 86400000LL, ours_row, &ours, err) < 0)
        goto out;
    if (ours.failed || theirs.failed || (diffs = json_array()) == NULL) {
        err_set(err, 500, "pay.oom", "out of memory");
        goto out;
    }
    qsort(ours.v, ours.n, sizeof(*ours.v), by_txn);
    qsort(theirs.v, theirs.n, sizeof(*theirs.v), by_txn);
    size_t i = 0, j = 0;
    while (i < ours.n || j < theirs.n) {
        int cmp = i == ours.n ? 1 : j == theirs.n ? -1 : strcmp(ours.v[i].txn, theirs.v[j].txn);
        if (cmp == 0) {
            if (ours.v[i].amount == theirs.v[j].amount)
                matched++;
            else {
                mism++;
                diff(diffs, "amount_mismatch", &ours.v[i], &ours.v[i].amount, &theirs.v[j].amount);
            }
            i++, j++;
        } else if (cmp < 0) {
            ours_only++;
            diff(diffs, "ours_only", &ours.v[i], &ours.v[i].amount, NULL);
            i++;
        } else {
            theirs_only++;
            diff(diffs, "theirs_only", &theirs.v[j], NULL, &theirs.v[j].amount);
            j++;
        }
    }
    char *detail = json_dumps(diffs, JSON_COMPACT);
    if (detail == NULL || pay_db_recon_put(c, day, gw->name, matched, ours_only, theirs_only, mism,
                                           detail, time_now_ms(), err) < 0) {
        free(detail);
        goto out;
    }
    free(detail);
    *out =
        json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:O}", "day", day, "gateway", gw->name, "matched",
                  (json_int_t)matched, "ours_only", (json_int_t)ours_only, "theirs_only",
                  (json_int_t)theirs_only, "mismatched", (json_int_t)mism, "differences", diffs);
    rc = *out ? 0 : err_set(err, 500, "pay.oom", "out of memory");
out:
    json_decref(diffs);
    free(csv);
    side_free(&ours);
    side_free(&theirs);
    return rc;
}

int pay_reconciliations(struct pay *p, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    json_t *list = json_array();
    if (c == NULL || list == NULL || pay_db_recon_list(c, list, err) < 0) {
        json_decref(list);
        return -1;
    }
    *out = list;
    return 0;
}

/* ---- background work ------------------------------------------------------------------- */

int pay_work_pass(struct pay *p, int64_t now_ms, int *delivered, struct err *err)
{
    int d = 0, closed = 0;
    if (p->holder[0] == '\0')
        snprintf(p->holder, sizeof(p->holder), "pay-%ld-%lld", (long)getpid(),
                 (long long)id_next());
    if (pay_sandbox_deliver(p, p->holder, now_ms, &d, err) < 0 ||
        pay_close_expired(p, now_ms, &closed, err) < 0)
        return -1;
    if (delivered != NULL)
        *delivered = d;
    return 0;
}

static void *job(void *arg)
{
    struct pay *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        pthread_mutex_unlock(&p->lock);
        struct err err;
        err_clear(&err);
        if (pay_work_pass(p, time_now_ms(), NULL, &err) < 0)
            log_kv(LOG_ERROR, "pay: work pass failed", "code", err.code, LOG_END);
        pthread_mutex_lock(&p->lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += p->interval_ms / 1000;
        ts.tv_nsec += (long)(p->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!p->stop && pthread_cond_timedwait(&p->wake, &p->lock, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int pay_start(struct pay *p, int interval_ms, struct err *err)
{
    if (p->running)
        return 0;
    p->interval_ms = interval_ms < 10 ? 10 : interval_ms;
    p->stop = 0;
    if (pthread_create(&p->thread, NULL, job, p) != 0)
        return err_set(err, 500, "pay.thread", "the payment job cannot start");
    p->running = 1;
    return 0;
}

void pay_stop(struct pay *p)
{
    if (p == NULL || !p->running)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    p->running = 0;
}
