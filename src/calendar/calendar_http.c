/*
 * calendar_http.c - the working-day calendar pages and their JSON twins:
 *   GET /calendar                        303 to this year's page (the year in Asia/Shanghai)
 *   GET /calendar/{year}                 the year month by month, holidays and make-up
 *                                        working days marked, and the list of special days
 *   GET /api/v1/calendar/{year}          the same view model as JSON
 *   GET /api/v1/calendar/deadline?from=YYYY-MM-DD&days=N
 *                                        the day N working days after `from`
 * The public calendar is the reference deployment's: national days overridden by Xizang's
 * (CALENDAR_SCOPES_XIZANG). Years without data are computed from weekends alone and the
 * page says so. Holiday names are stored in Chinese; pages show the catalog's translation
 * (calendar.holiday_names.<Chinese name>) where it has one. The calendar is reference data: year
 * pages come from the response cache until calendar_version() changes; the deadline answer uses the
 * shared in-memory calendar of the module's handle (calendar_cache.c), replaced on the same signal.
 */
#include "calendar/calendar_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "l10n/l10n.h"
#include "store/store.h"
#include "web/web.h"

/* Years a page can show: the range of dates the module accepts. */
#define PAGE_MIN_YEAR CALENDAR_MIN_YEAR
#define PAGE_MAX_YEAR (CALENDAR_MAX_YEAR - 1)

/* The shared calendar (calendar_cache.c) as new as the database's, and its version. */
static int acquire_current(struct web_req *req, struct calendar_held *h, int64_t *version,
                           struct err *err)
{
    return calendar_cache_get(req->ctx, h, version, err);
}

/* ---- the year page ---------------------------------------------------------------------- */

/* The message for the key prefix + n + suffix ("calendar.months." 3 ""). */
static const char *tk(struct web_req *req, const char *prefix, int n, const char *suffix)
{
    return web_t(req, arena_printf(req->arena, "%s%d%s", prefix, n, suffix));
}

/* A holiday's name in the reader's language (the catalog's calendar.holiday_names) and that
 * language; the stored Chinese name, marked zh, when the catalogs have none. */
static const char *holiday_name(struct web_req *req, const char *name_zh, const char **lang)
{
    const char *key = arena_printf(req->arena, "calendar.holiday_names.%s", name_zh);
    const char *s = web_t(req, key);
    *lang = req->lang;
    if (s == NULL || strcmp(s, key) == 0) {
        *lang = "zh";
        return name_zh;
    }
    return s;
}

static json_t *day_cell(struct web_req *req, const struct calendar *cal, int32_t day, int mday)
{
    char date[11];
    const struct calendar_day *sp = calendar_special(cal, day);
    int working = calendar_is_working(cal, day);
    const char *cls = sp ? (sp->kind == CALENDAR_HOLIDAY ? "holiday" : "workday")
                         : (working ? "working" : "weekend");
    json_t *j = json_pack("{s:i, s:s, s:b, s:s}", "d", mday, "date",
                          calendar_format_date(day, date), "working", working, "class", cls);
    if (j != NULL && sp != NULL) {
        const char *kind = calendar_kind_name(sp->kind);
        const char *kind_name = web_t(req, arena_printf(req->arena, "calendar.kinds.%s", kind));
        json_object_set_new(
            j, "mark", json_string(web_t(req, arena_printf(req->arena, "calendar.mark.%s", kind))));
        const char *lang, *name = holiday_name(req, sp->name_zh, &lang);
        json_object_set_new(j, "label",
                            json_string(arena_printf(req->arena, "%s · %s", name, kind_name)));
        json_object_set_new(j, "name_zh", json_string(sp->name_zh));
    }
    return j;
}

static json_t *month_json(struct web_req *req, const struct calendar *cal, int year, int month)
{
    int32_t first = calendar_day_from_ymd(year, month, 1);
    int lead = calendar_weekday(first) - 1; /* empty cells before the 1st, weeks from Monday */
    json_t *weeks = json_array(), *week = NULL;
    for (int cell = 0;; cell++) {
        int mday = cell - lead + 1;
        int32_t day = first + (mday - 1);
        int y, m, d;
        calendar_day_to_ymd(day, &y, &m, &d);
        int inside = mday >= 1 && m == month;
        if (!inside && mday >= 1 && cell % 7 == 0)
            break;
        if (cell % 7 == 0) {
            week = json_array();
            json_array_append_new(weeks, json_pack("{s:o}", "days", week));
        }
        json_array_append_new(week, inside ? day_cell(req, cal, day, mday)
                                           : json_pack("{s:b}", "empty", 1));
    }
    return json_pack("{s:i, s:s, s:o}", "month", month, "name",
                     tk(req, "calendar.months.", month, ""), "weeks", weeks);
}

static int year_model(struct web_req *req, struct web_resp *resp, int year,
                      const struct calendar *cal)
{
    json_t *model = json_object(), *months = json_array(), *weekdays = json_array(),
           *specials = json_array();
    for (int w = 1; w <= 7; w++)
        json_array_append_new(
            weekdays, json_pack("{s:s, s:s}", "short", tk(req, "calendar.weekdays.", w, ".short"),
                                "long", tk(req, "calendar.weekdays.", w, ".long")));
    for (int m = 1; m <= 12; m++)
        json_array_append_new(months, month_json(req, cal, year, m));
    int32_t first = calendar_day_from_ymd(year, 1, 1), next = calendar_day_from_ymd(year + 1, 1, 1);
    int working = 0;
    for (int32_t d = first; d < next; d++) {
        const struct calendar_day *sp = calendar_special(cal, d);
        working += calendar_is_working(cal, d);
        if (sp == NULL)
            continue;
        char date[11];
        const char *kind = calendar_kind_name(sp->kind);
        const char *lang, *name = holiday_name(req, sp->name_zh, &lang);
        json_array_append_new(
            specials,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "date",
                      calendar_format_date(d, date), "date_text",
                      l10n_day(req->arena, req->lang, d), "kind", kind, "kind_name",
                      web_t(req, arena_printf(req->arena, "calendar.kinds.%s", kind)), "name_zh",
                      sp->name_zh, "name", name, "name_lang", lang, "scope", sp->scope,
                      "scope_name",
                      web_t(req, arena_printf(req->arena, "calendar.scopes.%s", sp->scope)),
                      "source", sp->source));
    }
    int has_data = calendar_has_year(cal, year);
    json_object_set_new(model, "year", json_integer(year));
    json_object_set_new(
        model, "title",
        json_string(arena_printf(req->arena, "%s · %d", web_t(req, "calendar.title"), year)));
    json_object_set_new(model, "has_data", json_boolean(has_data));
    json_object_set_new(model, "working_days", json_integer(working));
    json_object_set_new(model, "weekdays", weekdays);
    json_object_set_new(model, "months", months);
    json_object_set_new(model, "specials", specials);
    json_object_set_new(model, "has_specials", json_boolean(json_array_size(specials) > 0));
    json_object_set_new(model, "scopes", json_string(CALENDAR_SCOPES_XIZANG));
    if (year > PAGE_MIN_YEAR)
        json_object_set_new(model, "prev_url",
                            json_string(arena_printf(req->arena, "/calendar/%d", year - 1)));
    if (year < PAGE_MAX_YEAR)
        json_object_set_new(model, "next_url",
                            json_string(arena_printf(req->arena, "/calendar/%d", year + 1)));
    json_object_set_new(model, "api_url",
                        json_string(arena_printf(req->arena, "/api/v1/calendar/%d", year)));
    resp->max_age = 60;
    return web_page(resp, model, "calendar/year", 200);
}

static int h_year(struct web_req *req, struct web_resp *resp)
{
    struct err err;
    struct calendar_held h = {NULL, NULL};
    int64_t version;
    int64_t year = web_param_int(req, "year");
    err_clear(&err);
    if (year < PAGE_MIN_YEAR || year > PAGE_MAX_YEAR)
        return web_fail(resp, 404, "calendar.no_year", "the calendar covers the years %d to %d",
                        PAGE_MIN_YEAR, PAGE_MAX_YEAR);
    if (acquire_current(req, &h, &version, &err) < 0)
        return web_fail_err(resp, &err);
    char key[32];
    snprintf(key, sizeof(key), "calendar:%d", (int)year);
    int rc = web_cache_hit(req, resp, key, version) ? 0 : year_model(req, resp, (int)year, h.cal);
    calendar_cache_put(req->ctx, &h);
    return rc;
}

/* ---- the deadline ----------------------------------------------------------------------- */

/* GET /calendar: this year's page, the year of today in Asia/Shanghai (a page a person can
 * bookmark; the README's link). */
static int h_current(struct web_req *req, struct web_resp *resp)
{
    int y, m, d;
    calendar_day_to_ymd(calendar_day_of_ms(time_now_ms()), &y, &m, &d);
    return web_redirect(req, resp, arena_printf(req->arena, "/calendar/%d", y));
}

static int h_deadline(struct web_req *req, struct web_resp *resp)
{
    struct err err;
    struct calendar_held h = {NULL, NULL};
    int64_t version, n;
    int32_t from, end;
    err_clear(&err);
    if (calendar_parse_date(web_query(req, "from"), &from, &err) < 0)
        return web_fail_err(resp, &err);
    /* The kit parses (junk is never 0); the calendar's own code names the problem. */
    if (web_query_int(req, resp, "days", 0, CALENDAR_MAX_DAYS, -1, &n) < 0 || n < 0)
        return web_fail(resp, 400, "calendar.bad_days", "days is a whole number from 0 to %d",
                        CALENDAR_MAX_DAYS);
    if (acquire_current(req, &h, &version, &err) < 0)
        return web_fail_err(resp, &err);
    int rc = calendar_add_working_days(h.cal, from, (int)n, &end, &err);
    json_t *model = NULL;
    if (rc == 0) {
        char a[11], b[11];
        int64_t deadline_ms = calendar_day_start_ms(end + 1) - 1;
        model = json_pack("{s:s, s:i, s:s, s:I, s:s, s:b}", "from", calendar_format_date(from, a),
                          "days", (int)n, "end", calendar_format_date(end, b), "deadline_ms",
                          (json_int_t)deadline_ms, "scopes", CALENDAR_SCOPES_XIZANG,
                          "from_is_working", calendar_is_working(h.cal, from));
    }
    calendar_cache_put(req->ctx, &h);
    if (rc < 0)
        return web_fail_err(resp, &err);
    return web_page(resp, model, NULL, 200);
}

int calendar_http_register(struct web_server *srv, struct calendar_cache *s)
{
    if (web_route(srv, "GET", "/calendar", h_current, s) < 0 ||
        web_route(srv, "GET", "/calendar/{year:int}", h_year, s) < 0 ||
        web_route(srv, "GET", "/api/v1/calendar/deadline", h_deadline, s) < 0 ||
        web_route(srv, "GET", "/api/v1/calendar/{year:int}", h_year, s) < 0)
        return -1;
    return 0;
}
