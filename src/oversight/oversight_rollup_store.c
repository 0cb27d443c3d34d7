/*
 * oversight_rollup_store.c - the SQL of oversight's figures (0020_oversight.sql,
 * 0023_oversight_rollup.sql): the daily rows, their roll-ups per month and per 7-day block
 * (oversight_rollup, oversight_rollup_days), the weekly trend, the per-case facts behind
 * each figure, and the digest's "sent" record. Reads are by a key range of one grain and a
 * division subtree; the caller (oversight_rollup.c) adds the runs of a period together.
 */
#include "oversight/oversight_internal.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

#define SUM_COLS                                                                                   \
    "received, online, accepted, returned, rejected, completed, on_time, days_sum, ratings, "      \
    "satisfied, bad, rectified"
#define ADD_SET(t)                                                                                 \
    "received = " t ".received + excluded.received, online = " t ".online + excluded.online, "     \
    "accepted = " t ".accepted + excluded.accepted, returned = " t ".returned + "                  \
    "excluded.returned, rejected = " t ".rejected + excluded.rejected, completed = " t             \
    ".completed + excluded.completed, on_time = " t ".on_time + excluded.on_time, days_sum = " t   \
    ".days_sum + excluded.days_sum, ratings = " t ".ratings + excluded.ratings, satisfied = " t    \
    ".satisfied + excluded.satisfied, bad = " t ".bad + excluded.bad, rectified = " t              \
    ".rectified + excluded.rectified"
#define VALS12 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"

static const char SQL_DAILY_ADD[] =
    "INSERT INTO oversight_daily (day, department_id, division_code, item_code, " SUM_COLS
    ") VALUES (?, ?, ?, ?, " VALS12 ") ON CONFLICT (day, department_id, division_code, "
    "item_code) DO UPDATE SET " ADD_SET("oversight_daily");
static const char SQL_ROLLUP_ADD[] =
    "INSERT INTO oversight_rollup (period, department_id, division_code, item_code, " SUM_COLS
    ") VALUES (?, ?, ?, ?, " VALS12 ") ON CONFLICT (period, department_id, division_code, "
    "item_code) DO UPDATE SET " ADD_SET("oversight_rollup");
static const char SQL_DAYS_ADD[] =
    "INSERT INTO oversight_days (day, department_id, division_code, item_code, days, n) "
    "VALUES (?, ?, ?, ?, ?, 1) "
    "ON CONFLICT (day, department_id, division_code, item_code, days) DO UPDATE SET "
    "n = oversight_days.n + 1";
static const char SQL_ROLLUP_DAYS_ADD[] =
    "INSERT INTO oversight_rollup_days (period, department_id, division_code, days, n) "
    "VALUES (?, ?, ?, ?, 1) ON CONFLICT (period, department_id, division_code, days) "
    "DO UPDATE SET n = oversight_rollup_days.n + 1";
static const char SQL_WEEKLY_ADD[] =
    "INSERT INTO oversight_weekly (week, division_code, received, completed) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (week, division_code) DO UPDATE SET "
    "received = oversight_weekly.received + excluded.received, "
    "completed = oversight_weekly.completed + excluded.completed";

#define GSUMS                                                                                      \
    "SUM(received), SUM(online), SUM(accepted), SUM(returned), SUM(rejected), SUM(completed), "    \
    "SUM(on_time), SUM(days_sum), SUM(ratings), SUM(satisfied), SUM(bad), SUM(rectified)"
/* The daily tables are read for a few days only (the edges of a period): "+division_code"
 * keeps SQLite on the day's key rather than the division index (a region's every day). */
#define GWHERE(k)                                                                                  \
    " WHERE " k " BETWEEN ? AND ? AND +division_code BETWEEN ? AND ? AND department_id "           \
    "BETWEEN ? AND ? GROUP BY department_id, division_code"
static const char SQL_GROUPS_DAILY[] =
    "SELECT department_id, division_code, " GSUMS " FROM oversight_daily" GWHERE("day");
static const char SQL_GROUPS_ROLLUP[] =
    "SELECT department_id, division_code, " GSUMS " FROM oversight_rollup" GWHERE("period");
#define HWHERE(k)                                                                                  \
    " WHERE " k " BETWEEN ? AND ? AND +division_code BETWEEN ? AND ? AND department_id "           \
    "BETWEEN ? AND ? GROUP BY days"
static const char SQL_HIST_DAILY[] = "SELECT days, SUM(n) FROM oversight_days" HWHERE("day");
static const char SQL_HIST_ROLLUP[] =
    "SELECT days, SUM(n) FROM oversight_rollup_days" HWHERE("period");
static const char SQL_WEEKS[] =
    "SELECT week, SUM(received), SUM(completed) FROM oversight_weekly WHERE week BETWEEN ? AND ? "
    "AND division_code BETWEEN ? AND ? GROUP BY week";
static const char SQL_PER_DAY[] =
    "SELECT day, SUM(received), SUM(completed) FROM oversight_daily WHERE day BETWEEN ? AND ? "
    "AND +division_code BETWEEN ? AND ? GROUP BY day";

static const char SQL_FACT_RECEIVED[] =
    "INSERT INTO oversight_facts (application_id, number, item_code, department_id, "
    "division_code, received_day, online) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (application_id) DO UPDATE SET received_day = excluded.received_day, "
    "online = excluded.online";
static const char SQL_FACT_RETURNED[] =
    "UPDATE oversight_facts SET returned_day = ? WHERE application_id = ?";
static const char SQL_FACT_COMPLETED[] = "UPDATE oversight_facts SET completed_day = ?, "
                                         "on_time = ?, used_days = ? WHERE application_id = ?";
/* The cases behind a figure: the figure's day column and its condition, in the order of
 * that column's index (division, day; number within a day), so LIMIT stops early. */
#define FACTS_SEL                                                                                  \
    "SELECT number, item_code, department_id, division_code, received_day, online, "               \
    "returned_day, completed_day, on_time, used_days FROM oversight_facts WHERE division_code "    \
    "BETWEEN ? AND ? AND department_id BETWEEN ? AND ? AND "
#define FACTS_BY(col) " ORDER BY division_code, " col ", number LIMIT ?"
static const char *const SQL_FACTS[] = {
    FACTS_SEL "received_day BETWEEN ? AND ?" FACTS_BY("received_day"),
    FACTS_SEL "received_day BETWEEN ? AND ? AND online = 1" FACTS_BY("received_day"),
    FACTS_SEL "returned_day BETWEEN ? AND ?" FACTS_BY("returned_day"),
    FACTS_SEL "completed_day BETWEEN ? AND ?" FACTS_BY("completed_day"),
    FACTS_SEL "completed_day BETWEEN ? AND ? AND on_time = 1" FACTS_BY("completed_day"),
    FACTS_SEL "completed_day BETWEEN ? AND ? AND on_time = 0" FACTS_BY("completed_day"),
};

static const char SQL_DIGEST_SENT[] =
    "INSERT INTO oversight_digest_sent (department_id, day, sent_at) VALUES (?, ?, ?) "
    "ON CONFLICT (department_id, day) DO NOTHING";

static int step_done(struct store_stmt *st, struct err *err)
{
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static void bind_sums(struct store_stmt *st, int first, const struct oversight_db_sums *d)
{
    const int64_t v[OVERSIGHT_NSUMS] = {d->received, d->online,    d->accepted, d->returned,
                                        d->rejected, d->completed, d->on_time,  d->days_sum,
                                        d->ratings,  d->satisfied, d->bad,      d->rectified};
    for (int i = 0; i < OVERSIGHT_NSUMS; i++)
        store_bind_int64(st, first + i, v[i]);
}

static int add_row(struct store_conn *c, const char *sql, int key, const struct oversight_key *k,
                   const struct oversight_db_sums *d, struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, key);
    store_bind_int64(st, 2, k->department_id);
    store_bind_int64(st, 3, k->division_code);
    store_bind_text(st, 4, k->item_code, -1);
    bind_sums(st, 5, d);
    return step_done(st, err);
}

int oversight_db_fold(struct store_conn *c, int day, const struct oversight_key *k,
                      const struct oversight_db_sums *d, struct err *err)
{
    int month = day / 100, block = oversight_block_of(day);
    if (add_row(c, SQL_DAILY_ADD, day, k, d, err) < 0 ||
        add_row(c, SQL_ROLLUP_ADD, month, k, d, err) < 0 ||
        add_row(c, SQL_ROLLUP_ADD, block, k, d, err) < 0)
        return -1;
    if (d->received == 0 && d->completed == 0)
        return 0;
    struct store_stmt *st = store_prepare(c, SQL_WEEKLY_ADD, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, oversight_week_of(day));
    store_bind_int64(st, 2, k->division_code);
    store_bind_int64(st, 3, d->received);
    store_bind_int64(st, 4, d->completed);
    return step_done(st, err);
}

int oversight_db_fold_days(struct store_conn *c, int day, const struct oversight_key *k, int days,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DAYS_ADD, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, day);
    store_bind_int64(st, 2, k->department_id);
    store_bind_int64(st, 3, k->division_code);
    store_bind_text(st, 4, k->item_code, -1);
    store_bind_int64(st, 5, days);
    if (step_done(st, err) < 0)
        return -1;
    const int periods[2] = {day / 100, oversight_block_of(day)};
    for (int i = 0; i < 2; i++) {
        if ((st = store_prepare(c, SQL_ROLLUP_DAYS_ADD, err)) == NULL)
            return -1;
        store_bind_int64(st, 1, periods[i]);
        store_bind_int64(st, 2, k->department_id);
        store_bind_int64(st, 3, k->division_code);
        store_bind_int64(st, 4, days);
        if (step_done(st, err) < 0)
            return -1;
    }
    return 0;
}

static void bind_range(struct store_stmt *st, const struct oversight_run *r,
                       const struct oversight_sel *s)
{
    store_bind_int64(st, 1, r->lo);
    store_bind_int64(st, 2, r->hi);
    store_bind_int64(st, 3, s->lo);
    store_bind_int64(st, 4, s->hi);
    store_bind_int64(st, 5, s->dlo);
    store_bind_int64(st, 6, s->dhi);
}

int oversight_db_groups(struct store_conn *c, const struct oversight_run *r,
                        const struct oversight_sel *s, oversight_group_fn fn, void *ctx,
                        struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, r->grain == OVERSIGHT_DAY ? SQL_GROUPS_DAILY : SQL_GROUPS_ROLLUP, err);
    if (st == NULL)
        return -1;
    bind_range(st, r, s);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        int64_t v[OVERSIGHT_NSUMS];
        for (int i = 0; i < OVERSIGHT_NSUMS; i++)
            v[i] = store_col_int64(st, 2 + i);
        struct oversight_db_sums d = {v[0], v[1], v[2], v[3], v[4],  v[5],
                                      v[6], v[7], v[8], v[9], v[10], v[11]};
        fn(ctx, store_col_int64(st, 0), store_col_int64(st, 1), &d);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_hist(struct store_conn *c, const struct oversight_run *r,
                      const struct oversight_sel *s, int64_t *n, int max, struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, r->grain == OVERSIGHT_DAY ? SQL_HIST_DAILY : SQL_HIST_ROLLUP, err);
    if (st == NULL)
        return -1;
    bind_range(st, r, s);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        int64_t d = store_col_int64(st, 0);
        n[d < 0 ? 0 : d >= max ? max - 1 : d] += store_col_int64(st, 1);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_weeks(struct store_conn *c, int weekly, int from, int to,
                       const struct oversight_sel *s, json_t *rows, struct err *err)
{
    struct store_stmt *st = store_prepare(c, weekly ? SQL_WEEKS : SQL_PER_DAY, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    store_bind_int64(st, 3, s->lo);
    store_bind_int64(st, 4, s->hi);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(rows, json_pack("{s:I, s:I, s:I}", "day",
                                              (json_int_t)store_col_int64(st, 0), "received",
                                              (json_int_t)store_col_int64(st, 1), "completed",
                                              (json_int_t)store_col_int64(st, 2)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_fact(struct store_conn *c, const struct oversight_event *e, int what, int day,
                      int flag, struct err *err)
{
    const char *sql = what == 0   ? SQL_FACT_RECEIVED
                      : what == 1 ? SQL_FACT_RETURNED
                                  : SQL_FACT_COMPLETED;
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    if (what == 0) {
        store_bind_int64(st, 1, e->application_id);
        store_bind_text(st, 2, e->number ? e->number : "", -1);
        store_bind_text(st, 3, e->item_code, -1);
        store_bind_int64(st, 4, e->department_id);
        store_bind_int64(st, 5, e->division_code);
        store_bind_int64(st, 6, day);
        store_bind_int64(st, 7, flag);
    } else if (what == 1) {
        store_bind_int64(st, 1, day);
        store_bind_int64(st, 2, e->application_id);
    } else {
        store_bind_int64(st, 1, day);
        store_bind_int64(st, 2, flag);
        store_bind_int64(st, 3, e->used_days);
        store_bind_int64(st, 4, e->application_id);
    }
    return step_done(st, err);
}

int oversight_db_facts(struct store_conn *c, int figure, const struct oversight_sel *s, int from,
                       int to, int limit, json_t *rows, struct err *err)
{
    if (figure < 0 || figure >= (int)(sizeof(SQL_FACTS) / sizeof(SQL_FACTS[0])))
        return err_set(err, 400, "oversight.bad_figure", "no such figure");
    struct store_stmt *st = store_prepare(c, SQL_FACTS[figure], err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, s->lo);
    store_bind_int64(st, 2, s->hi);
    store_bind_int64(st, 3, s->dlo);
    store_bind_int64(st, 4, s->dhi);
    store_bind_int64(st, 5, from);
    store_bind_int64(st, 6, to);
    store_bind_int64(st, 7, limit);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            rows,
            json_pack("{s:s, s:s, s:o, s:I, s:i, s:b, s:i, s:i, s:b, s:i}", "number",
                      store_col_text(st, 0), "item_code", store_col_text(st, 1), "department_id",
                      json_sprintf("%lld", (long long)store_col_int64(st, 2)), "division_code",
                      (json_int_t)store_col_int64(st, 3), "received_day",
                      (int)store_col_int64(st, 4), "online", (int)store_col_int64(st, 5),
                      "returned_day", (int)store_col_int64(st, 6), "completed_day",
                      (int)store_col_int64(st, 7), "on_time", (int)store_col_int64(st, 8),
                      "used_days", (int)store_col_int64(st, 9)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_digest_mark(struct store_conn *c, int64_t dept, int day, int64_t now, int *fresh,
                             struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DIGEST_SENT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dept);
    store_bind_int64(st, 2, day);
    store_bind_int64(st, 3, now);
    int rc = store_step(st, err);
    *fresh = rc >= 0 && store_changes(st) > 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
