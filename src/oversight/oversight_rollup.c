/*
 * oversight_rollup.c - the figures: transitions and ratings folded into the day's row and
 * its roll-ups (month, 7-day block, week), and the KPIs of a period read back from whole
 * months, whole blocks and the few days at its edges (never from the case tables). The
 * distribution of working days is a histogram per bucket, so the 90th percentile is exact
 * for whole working days. SQL: oversight_rollup_store.c; rules: docs/internals/oversight.md.
 */
#include "oversight/oversight_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/store.h"

/* ---- periods as runs ------------------------------------------------------------------ */

static int month_end(int day)
{
    int first = day / 100 * 100 + 1;
    int next = oversight_day_add(first, 31);
    return oversight_day_add(next / 100 * 100 + 1, -1);
}

static int push(struct oversight_run *out, int n, int grain, int key)
{
    if (n > 0 && out[n - 1].grain == grain) {
        out[n - 1].hi = key;
        return n;
    }
    if (n == OVERSIGHT_MAX_RUNS) /* cannot happen: days, blocks, months, blocks, days */
        return n;
    out[n].grain = grain;
    out[n].lo = out[n].hi = key;
    return n + 1;
}

int oversight_runs(int from, int to, struct oversight_run *out)
{
    int n = 0;
    for (int d = from; d <= to;) {
        int dd = d % 100, mend = month_end(d), end;
        int bend = dd == 29 ? mend : d + 6; /* blocks start on 1, 8, 15, 22, 29 */
        if (dd == 1 && mend <= to) {
            n = push(out, n, OVERSIGHT_MONTH, d / 100);
            end = mend;
        } else if (dd % 7 == 1 && dd <= 29 && bend <= mend && bend <= to) {
            n = push(out, n, OVERSIGHT_BLOCK, oversight_block_of(d));
            end = bend;
        } else {
            n = push(out, n, OVERSIGHT_DAY, d);
            end = d;
        }
        d = oversight_day_add(end, 1);
    }
    return n;
}

/* ---- folding -------------------------------------------------------------------------- */

static int is_open_state(const char *s)
{
    return strcmp(s, "submitted") == 0 || strcmp(s, "accepted") == 0 ||
           strcmp(s, "under_review") == 0;
}

int oversight_record(struct store_conn *c, const struct oversight_event *e, struct err *err)
{
    struct oversight_db_sums d;
    memset(&d, 0, sizeof(d));
    const char *a = e->action;
    int fact = -1, flag = 0;
    if (strcmp(a, "submitted") == 0 || strcmp(a, "filed_for") == 0) {
        d.received = 1;
        d.online = !e->on_behalf; /* 全程网办: no counter step */
        fact = 0;
        flag = (int)d.online;
    } else if (strcmp(a, "accept") == 0) {
        d.accepted = 1;
    } else if (strcmp(a, "return") == 0) {
        d.returned = 1;
        fact = 1;
    } else if (strcmp(a, "reject") == 0) {
        d.rejected = 1;
    } else if (strcmp(a, "approve") == 0 || strcmp(a, "deny") == 0) {
        d.completed = 1;
        d.on_time = e->used_days <= e->limit_days;
        d.days_sum = e->used_days;
        fact = 2;
        flag = (int)d.on_time;
    }
    int day = oversight_day_of(e->at);
    struct oversight_key k = {e->department_id, e->division_code, e->item_code};
    int changed = d.received || d.accepted || d.returned || d.rejected || d.completed;
    if (changed && oversight_db_fold(c, day, &k, &d, err) < 0)
        return -1;
    if (d.completed && oversight_db_fold_days(c, day, &k, e->used_days, err) < 0)
        return -1;
    if (fact >= 0 && oversight_db_fact(c, e, fact, day, flag, err) < 0)
        return -1;
    return is_open_state(e->to_state) ? oversight_db_open_put(c, e, err)
                                      : oversight_db_open_delete(c, e->application_id, err);
}

int oversight_record_rating(struct store_conn *c, const struct oversight_rating *r, struct err *err)
{
    struct oversight_db_sums d;
    memset(&d, 0, sizeof(d));
    if (r->level == 0) {
        d.rectified = 1;
    } else {
        d.ratings = 1;
        d.satisfied = r->level >= 3;
        d.bad = r->level <= 2;
    }
    struct oversight_key k = {r->department_id, r->division_code, r->item_code};
    return oversight_db_fold(c, oversight_day_of(r->at), &k, &d, err);
}

/* ---- reading: groups of (department, division) added over the runs -------------------- */

struct group {
    int64_t dept, div;
    struct oversight_db_sums s;
    int used;
};

struct groups {
    struct group *g;
    size_t cap, n;
    int oom;
};

static void sums_add(struct oversight_db_sums *a, const struct oversight_db_sums *b)
{
    a->received += b->received;
    a->online += b->online;
    a->accepted += b->accepted;
    a->returned += b->returned;
    a->rejected += b->rejected;
    a->completed += b->completed;
    a->on_time += b->on_time;
    a->days_sum += b->days_sum;
    a->ratings += b->ratings;
    a->satisfied += b->satisfied;
    a->bad += b->bad;
    a->rectified += b->rectified;
}

static size_t slot_of(const struct groups *gs, int64_t dept, int64_t div)
{
    uint64_t h = (uint64_t)dept * 0x9E3779B97F4A7C15ULL ^ (uint64_t)div * 0xC2B2AE3D27D4EB4FULL;
    size_t i = (size_t)(h >> 17) & (gs->cap - 1);
    while (gs->g[i].used && (gs->g[i].dept != dept || gs->g[i].div != div))
        i = (i + 1) & (gs->cap - 1);
    return i;
}

static void group_add(void *ctx, int64_t dept, int64_t div, const struct oversight_db_sums *d)
{
    struct groups *gs = ctx;
    if (gs->oom)
        return;
    if ((gs->n + 1) * 2 > gs->cap) { /* keep the table at most half full */
        struct groups bigger = {calloc(gs->cap * 2, sizeof(struct group)), gs->cap * 2, 0, 0};
        if (bigger.g == NULL) {
            gs->oom = 1;
            return;
        }
        for (size_t i = 0; i < gs->cap; i++)
            if (gs->g[i].used)
                bigger.g[slot_of(&bigger, gs->g[i].dept, gs->g[i].div)] = gs->g[i];
        bigger.n = gs->n;
        free(gs->g);
        *gs = bigger;
    }
    size_t i = slot_of(gs, dept, div);
    if (!gs->g[i].used) {
        gs->g[i].used = 1;
        gs->g[i].dept = dept;
        gs->g[i].div = div;
        gs->n++;
    }
    sums_add(&gs->g[i].s, d);
}

static int read_groups(struct store_conn *c, const struct oversight_sel *sel, int from, int to,
                       struct groups *gs, struct err *err)
{
    struct oversight_run runs[OVERSIGHT_MAX_RUNS];
    int nr = oversight_runs(from, to, runs);
    gs->cap = 256;
    gs->n = 0;
    gs->oom = 0;
    gs->g = calloc(gs->cap, sizeof(struct group));
    if (gs->g == NULL)
        return err_set(err, 500, "oversight.oom", "out of memory");
    for (int i = 0; i < nr; i++)
        if (oversight_db_groups(c, &runs[i], sel, group_add, gs, err) < 0)
            goto fail;
    if (!gs->oom)
        return 0;
    err_set(err, 500, "oversight.oom", "out of memory");
fail:
    free(gs->g);
    gs->g = NULL;
    return -1;
}

#define HIST_MAX 1000 /* working days; larger values count in the last bucket */

static int read_hist(struct store_conn *c, const struct oversight_sel *sel, int from, int to,
                     int64_t *n, struct err *err)
{
    struct oversight_run runs[OVERSIGHT_MAX_RUNS];
    int nr = oversight_runs(from, to, runs);
    memset(n, 0, HIST_MAX * sizeof(*n));
    for (int i = 0; i < nr; i++)
        if (oversight_db_hist(c, &runs[i], sel, n, HIST_MAX, err) < 0)
            return -1;
    return 0;
}

static json_t *rate(int64_t num, int64_t den)
{
    if (den <= 0)
        return json_null();
    return json_real((double)(num * 1000 / den) / 10.0 +
                     ((num * 1000 % den) * 2 >= den ? 0.1 : 0.0));
}

void oversight_add_rates(json_t *k)
{
#define V(key) json_integer_value(json_object_get(k, key))
    int64_t rec = V("received"), comp = V("completed"), acc = V("accepted");
    json_object_set_new(k, "on_time_rate", rate(V("on_time"), comp));
    json_object_set_new(k, "online_rate", rate(V("online"), rec));
    json_object_set_new(k, "return_rate", rate(V("returned"), acc + comp));
    json_object_set_new(k, "satisfaction_rate", rate(V("satisfied"), V("ratings")));
    int64_t ds = V("days_sum");
#undef V
    json_object_set_new(k, "avg_days",
                        comp > 0 ? json_real((double)(ds * 10 / comp) / 10.0) : json_null());
}

static json_t *sums_json(const struct oversight_db_sums *s)
{
    json_t *k =
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received",
                  (json_int_t)s->received, "online", (json_int_t)s->online, "accepted",
                  (json_int_t)s->accepted, "returned", (json_int_t)s->returned, "rejected",
                  (json_int_t)s->rejected, "completed", (json_int_t)s->completed, "on_time",
                  (json_int_t)s->on_time, "days_sum", (json_int_t)s->days_sum, "ratings",
                  (json_int_t)s->ratings, "satisfied", (json_int_t)s->satisfied, "bad_ratings",
                  (json_int_t)s->bad, "bad_rectified", (json_int_t)s->rectified);
    oversight_add_rates(k);
    return k;
}

/* The smallest d with at least 90% of the cases at d days or fewer ("nearest rank"). */
static int p90_of(const int64_t *n)
{
    int64_t total = 0, seen = 0;
    for (int d = 0; d < HIST_MAX; d++)
        total += n[d];
    if (total == 0)
        return -1;
    int64_t rank = (total * 9 + 9) / 10;
    for (int d = 0; d < HIST_MAX; d++)
        if ((seen += n[d]) >= rank)
            return d;
    return -1;
}

static void selection(int64_t division, int64_t dept, struct oversight_sel *sel)
{
    oversight_subtree(division, &sel->lo, &sel->hi);
    sel->dlo = dept ? dept : 0;
    sel->dhi = dept ? dept : INT64_MAX;
}

static json_t *total_of(const struct groups *gs)
{
    struct oversight_db_sums total;
    memset(&total, 0, sizeof(total));
    for (size_t i = 0; i < gs->cap; i++)
        if (gs->g[i].used)
            sums_add(&total, &gs->g[i].s);
    return sums_json(&total);
}

/* The groups folded on the department (by_dept) or the division: [{key, ...figures}],
 * largest received first, then by key. NULL when out of memory. */
static json_t *rows_by(const struct groups *gs, int by_dept)
{
    struct groups keyed = {calloc(gs->cap, sizeof(struct group)), gs->cap, 0, 0};
    for (size_t i = 0; keyed.g != NULL && i < gs->cap; i++)
        if (gs->g[i].used)
            group_add(&keyed, by_dept ? gs->g[i].dept : 0, by_dept ? 0 : gs->g[i].div, &gs->g[i].s);
    if (keyed.g == NULL || keyed.oom) {
        free(keyed.g);
        return NULL;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < keyed.cap; i++) {
        if (!keyed.g[i].used)
            continue;
        json_t *r = sums_json(&keyed.g[i].s);
        int64_t key = by_dept ? keyed.g[i].dept : keyed.g[i].div;
        json_object_set_new(r, "key", json_sprintf("%lld", (long long)key));
        json_array_append_new(rows, r);
    }
    free(keyed.g);
    size_t n = json_array_size(rows);
    for (size_t i = 1; i < n; i++) /* insertion sort: hundreds of rows at most */
        for (size_t j = i; j > 0; j--) {
            json_t *x = json_array_get(rows, j - 1), *y = json_array_get(rows, j);
            int64_t rx = json_integer_value(json_object_get(x, "received"));
            int64_t ry = json_integer_value(json_object_get(y, "received"));
            if (rx > ry || (rx == ry && strcmp(json_string_value(json_object_get(x, "key")),
                                               json_string_value(json_object_get(y, "key"))) <= 0))
                break;
            json_incref(x);
            json_array_set(rows, j - 1, y);
            json_array_set_new(rows, j, x);
        }
    return rows;
}

static json_t *hist_rows(const int64_t *n)
{
    json_t *h = json_array();
    for (int d = 0; d < HIST_MAX; d++)
        if (n[d] > 0)
            json_array_append_new(h, json_pack("{s:i, s:I}", "days", d, "n", (json_int_t)n[d]));
    return h;
}

int oversight_figures(struct oversight *o, int64_t division, int64_t dept, int from, int to,
                      json_t **kpi, json_t **depts, json_t **divs, json_t **days, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    struct oversight_sel sel;
    selection(division, dept, &sel);
    struct groups gs;
    int64_t *hist = malloc(HIST_MAX * sizeof(*hist));
    if (hist == NULL)
        return err_set(err, 500, "oversight.oom", "out of memory");
    if (read_groups(c, &sel, from, to, &gs, err) < 0 ||
        read_hist(c, &sel, from, to, hist, err) < 0) {
        free(gs.g);
        free(hist);
        return -1;
    }
    json_t *k = total_of(&gs);
    json_t *a = depts ? rows_by(&gs, 1) : NULL, *b = divs ? rows_by(&gs, 0) : NULL;
    free(gs.g);
    if ((depts && a == NULL) || (divs && b == NULL)) {
        json_decref(k);
        json_decref(a);
        json_decref(b);
        free(hist);
        return err_set(err, 500, "oversight.oom", "out of memory");
    }
    int p90 = p90_of(hist);
    json_object_set_new(k, "p90_days", p90 >= 0 ? json_integer(p90) : json_null());
    if (days != NULL)
        *days = hist_rows(hist);
    free(hist);
    *kpi = k;
    if (depts)
        *depts = a;
    if (divs)
        *divs = b;
    return 0;
}

int oversight_kpi(struct oversight *o, int64_t division, int64_t dept, int from, int to,
                  json_t **out, struct err *err)
{
    return oversight_figures(o, division, dept, from, to, out, NULL, NULL, NULL, err);
}

int oversight_kpi_by(struct oversight *o, int64_t division, int from, int to, const char *by,
                     json_t **out, struct err *err)
{
    json_t *k = NULL, *a = NULL, *b = NULL;
    int by_dept = strcmp(by, "department") == 0;
    if (oversight_figures(o, division, 0, from, to, &k, by_dept ? &a : NULL, by_dept ? NULL : &b,
                          NULL, err) < 0)
        return -1;
    json_decref(k);
    *out = by_dept ? a : b;
    return 0;
}

/* Add per-day or per-week rows into the week slots starting at Monday w0. */
static void into_weeks(json_t *rows, int w0, int64_t (*w)[3], int nw)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        int wk = oversight_week_of((int)json_integer_value(json_object_get(r, "day")));
        int64_t diff = (oversight_day_number(wk) - oversight_day_number(w0)) / 7;
        if (diff < 0 || diff >= nw)
            continue;
        w[diff][0] += json_integer_value(json_object_get(r, "received"));
        w[diff][1] += json_integer_value(json_object_get(r, "completed"));
        w[diff][2] = 1;
    }
}

int oversight_trend(struct oversight *o, int64_t division, int from, int to, json_t **weeks,
                    struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    struct oversight_sel sel;
    selection(division, 0, &sel);
    /* Whole weeks from oversight_weekly, the days of a partial week at either edge. */
    int w0 = oversight_week_of(from), wl = oversight_week_of(to);
    int first = w0 == from ? from : oversight_day_add(w0, 7);
    int last = oversight_day_add(wl, 6) <= to ? wl : oversight_day_add(wl, -7);
    json_t *rows = json_array();
    int rc = 0;
    if (first <= last)
        rc = oversight_db_weeks(c, 1, first, last, &sel, rows, err) < 0 ||
             (from < first &&
              oversight_db_weeks(c, 0, from, oversight_day_add(first, -1), &sel, rows, err) < 0) ||
             (oversight_day_add(last, 6) < to &&
              oversight_db_weeks(c, 0, oversight_day_add(last, 7), to, &sel, rows, err) < 0);
    else
        rc = oversight_db_weeks(c, 0, from, to, &sel, rows, err) < 0;
    int nw = (int)((oversight_day_number(wl) - oversight_day_number(w0)) / 7 + 1);
    int64_t(*w)[3] = rc ? NULL : calloc((size_t)nw, sizeof(*w));
    if (rc || w == NULL) {
        if (!rc)
            err_set(err, 500, "oversight.oom", "out of memory");
        json_decref(rows);
        return -1;
    }
    into_weeks(rows, w0, w, nw);
    json_decref(rows);
    json_t *wk = json_array();
    for (int i = 0, d = w0; i < nw; i++, d = oversight_day_add(d, 7))
        if (w[i][2])
            json_array_append_new(wk,
                                  json_pack("{s:i, s:I, s:I}", "week", d, "received",
                                            (json_int_t)w[i][0], "completed", (json_int_t)w[i][1]));
    free(w);
    *weeks = wk;
    return 0;
}

/* ---- the cases behind a figure --------------------------------------------------------- */

static const char *const FIGURES[] = {"received",  "online",  "returned",
                                      "completed", "on_time", "late"};

int oversight_figure_index(const char *figure)
{
    for (size_t i = 0; figure != NULL && i < sizeof(FIGURES) / sizeof(FIGURES[0]); i++)
        if (strcmp(figure, FIGURES[i]) == 0)
            return (int)i;
    return -1;
}

int oversight_figure_cases(struct oversight *o, int64_t division, int64_t dept, const char *figure,
                           int from, int to, json_t **out, struct err *err)
{
    int f = oversight_figure_index(figure);
    if (f < 0)
        return err_set(err, 400, "oversight.bad_figure", "no such figure");
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    struct oversight_sel sel;
    selection(division, dept, &sel);
    json_t *rows = json_array();
    if (oversight_db_facts(c, f, &sel, from, to, OVERSIGHT_FIGURE_MAX, rows, err) < 0) {
        json_decref(rows);
        return -1;
    }
    *out = rows;
    return 0;
}
