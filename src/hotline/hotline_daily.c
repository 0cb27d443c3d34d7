/*
 * hotline_daily.c - the 12345 figures per day and county (migration 0026, hotline_daily),
 * kept in the transactions that create and change orders, so that the leaders' dashboard
 * reads a year of a region's orders without scanning them (issue 15). An order's
 * contribution to the row of the day it was created and its county: received; dispatched
 * with created -> dispatched; replied with created -> replied, and late when replied after
 * its deadline; rated and satisfied (4 or 5). A merged order contributes nothing (as in
 * hotline_stats). A change adds (after - before), so any transition, a merge or a rating
 * is counted once. Design: docs/internals/hotline.md, "Figures for the dashboard".
 */
#include "hotline/hotline_internal.h"

#include <string.h>

#include "calendar/calendar.h"
#include "store/store.h"

static void contribution(const struct hotline_order *o, int64_t k[HOTLINE_DAILY_N])
{
    memset(k, 0, sizeof(int64_t) * HOTLINE_DAILY_N);
    if (o == NULL || (o->status != NULL && strcmp(o->status, HOTLINE_MERGED) == 0))
        return;
    k[HD_RECEIVED] = 1;
    if (o->dispatched_at > 0) {
        k[HD_DISPATCHED] = 1;
        k[HD_RESPONSE_MS] = o->dispatched_at - o->created_at;
    }
    if (o->replied_at > 0) {
        k[HD_REPLIED] = 1;
        k[HD_RESOLUTION_MS] = o->replied_at - o->created_at;
        k[HD_REPLIED_LATE] = o->deadline_at > 0 && o->replied_at > o->deadline_at;
    }
    if (o->rating >= 1 && o->rating <= 5) {
        k[HD_RATED] = 1;
        k[HD_SATISFIED] = o->rating >= 4;
    }
}

static int add(struct store_conn *c, const struct hotline_order *o,
               const int64_t d[HOTLINE_DAILY_N], struct err *err)
{
    int any = 0;
    for (int i = 0; i < HOTLINE_DAILY_N; i++)
        any |= d[i] != 0;
    if (!any)
        return 0;
    return hotline_db_daily_add(c, calendar_day_of_ms(o->created_at),
                                o->division_code / 1000000 * 1000000, d, err);
}

int hotline_daily_change(struct store_conn *c, const struct hotline_order *before,
                         const struct hotline_order *after, struct err *err)
{
    int64_t b[HOTLINE_DAILY_N], a[HOTLINE_DAILY_N], d[HOTLINE_DAILY_N];
    contribution(before, b);
    contribution(after, a);
    if (before != NULL && after != NULL &&
        calendar_day_of_ms(before->created_at) == calendar_day_of_ms(after->created_at) &&
        before->division_code / 1000000 == after->division_code / 1000000) {
        for (int i = 0; i < HOTLINE_DAILY_N; i++)
            d[i] = a[i] - b[i];
        return add(c, after, d, err);
    }
    for (int i = 0; i < HOTLINE_DAILY_N; i++)
        d[i] = -b[i];
    if (before != NULL && add(c, before, d, err) < 0)
        return -1;
    return after != NULL ? add(c, after, a, err) : 0;
}

static json_t *ratio(int64_t num, int64_t den, double scale)
{
    return den > 0 ? json_real((double)num * scale / (double)den) : json_null();
}

int hotline_kpi(struct hotline *h, int64_t lo, int64_t hi, int from, int to, json_t **out,
                struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    int64_t s[HOTLINE_DAILY_N];
    int32_t d0 = calendar_day_from_ymd(from / 10000, from / 100 % 100, from % 100),
            d1 = calendar_day_from_ymd(to / 10000, to / 100 % 100, to % 100);
    if (hotline_db_daily_sum(c, lo, hi, d0, d1, s, err) < 0)
        return -1;
    *out =
        json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "received",
                  (json_int_t)s[HD_RECEIVED], "dispatched", (json_int_t)s[HD_DISPATCHED], "replied",
                  (json_int_t)s[HD_REPLIED], "rated", (json_int_t)s[HD_RATED], "response_hours",
                  ratio(s[HD_RESPONSE_MS], s[HD_DISPATCHED], 1 / 3.6e6), "resolution_hours",
                  ratio(s[HD_RESOLUTION_MS], s[HD_REPLIED], 1 / 3.6e6), "reply_on_time_rate",
                  ratio(s[HD_REPLIED] - s[HD_REPLIED_LATE], s[HD_REPLIED], 100),
                  "satisfaction_rate", ratio(s[HD_SATISFIED], s[HD_RATED], 100));
    return *out ? 0 : err_set(err, 500, "hotline.oom", "out of memory");
}
