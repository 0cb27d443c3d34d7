/*
 * oversight_dash.c - the leaders' dashboard (驾驶舱), GET /dashboard (+ /api/v1/dashboard):
 * the KPIs of a supervisor's division subtree for a period, each with its formula; SVG
 * charts drawn here on the server (no JavaScript; they scale to a phone's width): received
 * and completed per week, rankings of departments and divisions, the distribution of working
 * days used, and a schematic tile map of the prefectures and their counties coloured by a
 * chosen KPI. Every chart has a table twin and a CSV export (?format=csv&table=...).
 * Figures come from oversight's aggregates only (never the case tables).
 */
#include "oversight/oversight_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "divisions/divisions.h"
#include "store/store.h"

#define CHART_W 640
#define BAR_H 18

static const char *const kpi_keys[] = {"received",    "completed",        "on_time_rate",
                                       "online_rate", "return_rate",      "avg_days",
                                       "p90_days",    "satisfaction_rate"};
#define NKPI (sizeof(kpi_keys) / sizeof(kpi_keys[0]))

/* Colours of the map's five classes (light to dark) and of "no data": presentation
 * attributes, which the page's CSP allows (no style attributes). */
static const char *const shades[] = {"#e8f1fb", "#b9d3ee", "#7fb0dd", "#3f7fc0", "#1d4f8a"};
#define NODATA "#eeeeee"

/* The language of a name shown inside SVG <title>, where the page cannot mark it by itself:
 * "zh" for Chinese-only text (a Han ideograph and no Tibetan letter) on a bo or en page. */
static const char *text_lang(struct web_req *req, const char *s)
{
    int han = 0;
    for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p; p++) {
        if (p[0] == 0xE0 && p[1] >= 0xBC && p[1] <= 0xBF)
            return req->lang;
        if ((p[0] == 0xE3 && p[1] >= 0x90) || (p[0] >= 0xE4 && p[0] <= 0xE9))
            han = 1;
    }
    return han ? "zh" : req->lang;
}

static int is_rate(const char *k)
{
    return strstr(k, "_rate") != NULL;
}

static const char *fmt_value(struct web_req *req, const char *key, const json_t *v)
{
    if (v == NULL || json_is_null(v))
        return "—";
    if (is_rate(key))
        return arena_printf(req->arena, "%.1f%%", json_number_value(v));
    if (json_is_real(v))
        return arena_printf(req->arena, "%.1f", json_real_value(v));
    return arena_printf(req->arena, "%lld", (long long)json_integer_value(v));
}

/* Horizontal bars, one per row, value `key` of each, scaled to the largest. */
static json_t *hbars(struct web_req *req, json_t *rows, const char *key, int *height)
{
    double max = 0;
    size_t i;
    json_t *r, *bars = json_array();
    json_array_foreach(rows, i, r)
    {
        double v = json_number_value(json_object_get(r, key));
        if (v > max)
            max = v;
    }
    json_array_foreach(rows, i, r)
    {
        double v = json_number_value(json_object_get(r, key));
        int w = max > 0 ? (int)(v / max * (CHART_W - 160)) : 0;
        json_array_append_new(bars, json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s}", "x",
                                              40, "y", (int)i * (BAR_H + 6) + 4, "tx_y",
                                              (int)i * (BAR_H + 6) + 18, "w", w > 0 ? w : 1, "h",
                                              BAR_H, "tx", 40 + w + 6, "rank",
                                              arena_printf(req->arena, "%zu", i + 1), "value",
                                              fmt_value(req, key, json_object_get(r, key)), "label",
                                              json_string_value(json_object_get(r, "name"))
                                                  ? json_string_value(json_object_get(r, "name"))
                                                  : ""));
        json_t *last = json_array_get(bars, json_array_size(bars) - 1);
        json_object_set_new(
            last, "label_lang",
            json_string(text_lang(req, json_string_value(json_object_get(last, "label")))));
    }
    *height = (int)json_array_size(rows) * (BAR_H + 6) + 8;
    return bars;
}

/* Vertical bars of received (and completed beside it) per week, or n per day count. */
static json_t *vbars(json_t *rows, const char *a, const char *b, int *height)
{
    double max = 0;
    size_t i, n = json_array_size(rows);
    json_t *r, *bars = json_array();
    json_array_foreach(rows, i, r)
    {
        double v = json_number_value(json_object_get(r, a));
        double w = b ? json_number_value(json_object_get(r, b)) : 0;
        if (v > max)
            max = v;
        if (w > max)
            max = w;
    }
    int slot = n > 0 ? (CHART_W - 20) / (int)n : CHART_W;
    if (slot > 60)
        slot = 60;
    int ch = 160;
    json_array_foreach(rows, i, r)
    {
        for (int k = 0; k < (b ? 2 : 1); k++) {
            double v = json_number_value(json_object_get(r, k ? b : a));
            int h = max > 0 ? (int)(v / max * ch) : 0;
            int bw = b ? slot / 2 - 2 : slot - 4;
            json_array_append_new(bars,
                                  json_pack("{s:i, s:i, s:i, s:i, s:s, s:I}", "x",
                                            10 + (int)i * slot + k * (slot / 2), "y", ch + 10 - h,
                                            "w", bw > 1 ? bw : 1, "h", h > 0 ? h : 1, "fill",
                                            k ? "#e07b39" : "#3f7fc0", "v", (json_int_t)v));
        }
    }
    *height = ch + 20;
    return bars;
}

static void fill_names(struct web_req *req, struct oversight *o, json_t *rows, int division)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        int64_t key = strtoll(json_string_value(json_object_get(r, "key")), NULL, 10);
        json_object_set_new(
            r, "name",
            json_string(division ? ovh_division_name(req, o, key) : ovh_dept_name(req, o, key)));
        for (size_t k = 0; k < NKPI; k++)
            json_object_set_new(
                r, arena_printf(req->arena, "%s_text", kpi_keys[k]),
                json_string(fmt_value(req, kpi_keys[k], json_object_get(r, kpi_keys[k]))));
    }
}

/* Roll rows grouped by the cases' divisions up to `level` (county 3, prefecture 2) below
 * `division`: {code: sums}. */
static json_t *roll_up(json_t *rows, int level)
{
    static const int64_t span[] = {0, 10000000000LL, 100000000LL, 1000000LL};
    json_t *out = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        int64_t code = strtoll(json_string_value(json_object_get(r, "key")), NULL, 10);
        int64_t at = code / span[level] * span[level];
        char k[24];
        snprintf(k, sizeof(k), "%lld", (long long)at);
        json_t *acc = json_object_get(out, k);
        if (acc == NULL) {
            acc = json_pack("{s:s}", "key", k);
            json_object_set_new(out, k, acc);
        }
        const char *f;
        json_t *v;
        json_object_foreach(r, f, v)
        {
            if (!json_is_integer(v))
                continue;
            json_object_set_new(
                acc, f,
                json_integer(json_integer_value(json_object_get(acc, f)) + json_integer_value(v)));
        }
    }
    return out;
}

/* The schematic map: one row per prefecture (or the county itself) of tiles per county,
 * coloured by the chosen KPI in five equal classes between its smallest and largest value. */
static json_t *tile_map(struct web_req *req, struct oversight *o, int64_t division, json_t *by_div,
                        const char *kpi, int *height, json_t *table)
{
    struct err err;
    struct store_conn *c = store_conn(o->store, &err);
    json_t *tiles = json_array();
    *height = 0;
    if (c == NULL)
        return tiles;
    json_t *counties = roll_up(by_div, 3);
    const char *k;
    json_t *v;
    json_object_foreach(counties, k, v) oversight_add_rates(v);
    struct division *prefs = NULL;
    size_t np = 0;
    int level = divisions_level_of(division);
    if (level == 1) {
        if (divisions_children(c, req->arena, division, &prefs, &np, &err) < 0)
            np = 0;
    } else {
        prefs = arena_alloc(req->arena, sizeof(*prefs));
        if (prefs == NULL ||
            divisions_get(c, req->arena, level == 3 ? division / 100000000 * 100000000 : division,
                          prefs, &err) < 0)
            np = 0;
        else
            np = 1;
    }
    double lo = 1e300, hi = -1e300;
    json_object_foreach(counties, k, v)
    {
        json_t *x = json_object_get(v, kpi);
        if (json_is_number(x)) {
            lo = json_number_value(x) < lo ? json_number_value(x) : lo;
            hi = json_number_value(x) > hi ? json_number_value(x) : hi;
        }
    }
    int y = 0;
    for (size_t p = 0; p < np; p++) {
        struct division *cs = NULL;
        size_t nc = 0;
        if (divisions_children(c, req->arena, prefs[p].code, &cs, &nc, &err) < 0)
            continue;
        json_array_append_new(
            tiles, json_pack("{s:i, s:i, s:s, s:b}", "x", 0, "y", y + 14, "text",
                             arena_printf(req->arena, "%06lld", (long long)prefs[p].code / 1000000),
                             "is_label", 1));
        int col = 0;
        y += 20;
        for (size_t i = 0; i < nc; i++) {
            if (level == 3 && cs[i].code != division)
                continue;
            char key[24];
            snprintf(key, sizeof(key), "%lld", (long long)cs[i].code);
            json_t *x = json_object_get(json_object_get(counties, key), kpi);
            const char *fill = NODATA;
            if (json_is_number(x)) {
                int cls = hi > lo ? (int)((json_number_value(x) - lo) / (hi - lo) * 4.999) : 4;
                fill = shades[cls < 0 ? 0 : cls > 4 ? 4 : cls];
            }
            const char *name = divisions_name(&cs[i], req->lang);
            const char *val = fmt_value(req, kpi, x);
            json_array_append_new(
                tiles,
                json_pack("{s:i, s:i, s:s, s:s, s:s, s:s, s:b}", "x", col * 44, "y", y, "fill",
                          fill, "title_lang", text_lang(req, name), "title",
                          arena_printf(req->arena, "%s: %s", name, val), "code",
                          arena_printf(req->arena, "%06lld", (long long)cs[i].code / 1000000),
                          "is_label", 0));
            json_array_append_new(
                table, json_pack("{s:s, s:s, s:s, s:s}", "prefecture",
                                 divisions_name(&prefs[p], req->lang), "county", name, "code",
                                 arena_printf(req->arena, "%012lld", (long long)cs[i].code),
                                 "value", val));
            if (++col == 14) {
                col = 0;
                y += 44;
            }
        }
        y += col ? 44 : 0;
    }
    json_decref(counties);
    *height = y + 4;
    return tiles;
}

static int csv_out(struct web_req *req, struct web_resp *resp, const char *table, json_t *m)
{
    static const struct {
        const char *table, *rows, *cols[8];
    } specs[] = {
        {"departments",
         "departments",
         {"key", "name", "received", "completed", "on_time_rate", "online_rate", "return_rate",
          "avg_days"}},
        {"divisions",
         "divisions",
         {"key", "name", "received", "completed", "on_time_rate", "online_rate", "return_rate",
          "avg_days"}},
        {"weeks", "weeks", {"week", "received", "completed"}},
        {"days", "days", {"days", "n"}},
        {"map", "map_table", {"code", "prefecture", "county", "value"}},
        {"kpi", "kpis", {"key", "label", "value_text", "formula"}},
        {"queue", "queue", {"department", "division", "open", "due_soon", "overdue"}},
        {"hotline", "hotline_kpis", {"key", "label", "value_text", "formula"}},
    };
    for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
        if (strcmp(specs[s].table, table) != 0)
            continue;
        struct buf b;
        buf_init(&b, 4 << 20);
        for (int c = 0; c < 8 && specs[s].cols[c]; c++)
            buf_printf(&b, "%s%s", c ? "," : "", specs[s].cols[c]);
        buf_puts(&b, "\r\n");
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(m, specs[s].rows), i, r)
        {
            for (int c = 0; c < 8 && specs[s].cols[c]; c++) {
                json_t *v = json_object_get(r, specs[s].cols[c]);
                const char *t =
                    json_is_string(v) ? json_string_value(v) : fmt_value(req, specs[s].cols[c], v);
                if (json_is_null(v) || v == NULL)
                    t = "";
                /* RFC 4180 quoting; a leading = + - @ is prefixed so that a spreadsheet
                 * never reads a cell as a formula (CSV injection). */
                buf_puts(&b, c ? ",\"" : "\"");
                if (strchr("=+-@", t[0]) != NULL && t[0] != '\0' && !json_is_number(v))
                    buf_puts(&b, "'");
                for (const char *p = t; *p; p++) {
                    char one[3] = {*p, *p == '"' ? '"' : '\0', '\0'};
                    buf_puts(&b, one);
                }
                buf_puts(&b, "\"");
            }
            buf_puts(&b, "\r\n");
        }
        char *body = arena_alloc(req->arena, b.len + 1);
        if (body == NULL) {
            buf_free(&b);
            json_decref(m);
            return web_fail(resp, 500, "oversight.oom", "out of memory");
        }
        memcpy(body, b.data, b.len);
        body[b.len] = '\0';
        resp->body = body;
        resp->body_len = b.len;
        buf_free(&b);
        json_decref(m);
        resp->content_type = "text/csv; charset=utf-8";
        web_resp_header(
            resp, "Content-Disposition",
            arena_printf(req->arena, "attachment; filename=\"dashboard-%s.csv\"", table));
        return 0;
    }
    json_decref(m);
    return web_fail(resp, 400, "oversight.bad_table", "no such table");
}

/* The figure whose cases stand behind a KPI (drill-down), NULL for none (satisfaction:
 * ratings are counted per day, not per case). */
static const char *const kpi_figures[] = {"received", "completed", "on_time",   "online",
                                          "returned", "completed", "completed", NULL};

static json_t *kpi_cards(struct web_req *req, json_t *k, const char *base)
{
    json_t *cards = json_array();
    for (size_t i = 0; i < NKPI; i++) {
        json_t *card = json_pack(
            "{s:s, s:s, s:s, s:s}", "key", kpi_keys[i], "label",
            web_t(req, arena_printf(req->arena, "oversight.kpi.%s", kpi_keys[i])), "value_text",
            fmt_value(req, kpi_keys[i], json_object_get(k, kpi_keys[i])), "formula",
            web_t(req, arena_printf(req->arena, "oversight.formula.%s", kpi_keys[i])));
        if (kpi_figures[i] != NULL)
            json_object_set_new(
                card, "cases_url",
                json_string(arena_printf(req->arena, "%s%s", base, kpi_figures[i])));
        if (strcmp(kpi_keys[i], "on_time_rate") == 0)
            json_object_set_new(card, "late_url",
                                json_string(arena_printf(req->arena, "%slate", base)));
        json_array_append_new(cards, card);
    }
    return cards;
}

/* The 12345 figures of the subtree and period as rows {key, label, value_text, formula}
 * (the raw figures stay in the JSON twin's `hotline`); NULL when wiring set no source. */
static int hotline_cards(struct web_req *req, struct oversight *o, int64_t division, int from,
                         int to, json_t **raw, json_t **cards, struct err *err)
{
    static const char *const keys[] = {"received",         "dispatched",       "replied",
                                       "response_hours",   "resolution_hours", "reply_on_time_rate",
                                       "satisfaction_rate"};
    *raw = *cards = NULL;
    if (o->hotline == NULL)
        return 0;
    int64_t lo, hi;
    oversight_subtree(division, &lo, &hi);
    if (o->hotline(o->hotline_ctx, lo, hi, from, to, raw, err) < 0)
        return -1;
    *cards = json_array();
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        json_array_append_new(
            *cards,
            json_pack(
                "{s:s, s:s, s:s, s:s}", "key", keys[i], "label",
                web_t(req, arena_printf(req->arena, "oversight.hotline.%s", keys[i])), "value_text",
                fmt_value(req, keys[i], json_object_get(*raw, keys[i])), "formula",
                web_t(req, arena_printf(req->arena, "oversight.hotline_formula.%s", keys[i]))));
    return 0;
}

/* Drill-down links of a ranked row: its received and completed cases. */
static void row_links(struct web_req *req, json_t *rows, const char *period, int64_t division,
                      int by_dept)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *key = json_string_value(json_object_get(r, "key"));
        const char *b =
            by_dept
                ? arena_printf(req->arena,
                               "/oversight/figures?%s&division=%012lld&department=%s&figure=",
                               period, (long long)division, key)
                : arena_printf(req->arena, "/oversight/figures?%s&division=%012lld&figure=", period,
                               strtoll(key, NULL, 10));
        json_object_set_new(r, "received_url",
                            json_string(arena_printf(req->arena, "%sreceived", b)));
        json_object_set_new(r, "completed_url",
                            json_string(arena_printf(req->arena, "%scompleted", b)));
    }
}

/* The map's figure choices (the chosen one selected) and the base of the CSV links. */
static void add_choices(struct web_req *req, json_t *m, int64_t division, const char *kpi)
{
    json_t *choices = json_array();
    for (size_t i = 0; i < NKPI; i++)
        json_array_append_new(
            choices,
            json_pack("{s:s, s:s, s:b}", "key", kpi_keys[i], "label",
                      web_t(req, arena_printf(req->arena, "oversight.kpi.%s", kpi_keys[i])),
                      "selected", strcmp(kpi, kpi_keys[i]) == 0));
    json_object_set_new(m, "kpi_choices", choices);
    json_object_set_new(
        m, "csv_base",
        json_string(arena_printf(req->arena,
                                 "/dashboard?division=%012lld&from=%s&to=%s&kpi=%s"
                                 "&format=csv&table=",
                                 (long long)division, json_string_value(json_object_get(m, "from")),
                                 json_string_value(json_object_get(m, "to")), kpi)));
}

static int h_dashboard(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    int64_t division;
    if (ovh_supervisor(req, resp, o, &subj, &division) < 0)
        return -1;
    struct err err;
    err_clear(&err);
    int from, to;
    const char *kpi = web_query(req, "kpi");
    if (kpi == NULL || *kpi == '\0')
        kpi = "on_time_rate";
    int known = 0;
    for (size_t i = 0; i < NKPI; i++)
        known |= strcmp(kpi, kpi_keys[i]) == 0;
    if (!known)
        return web_fail(resp, 400, "oversight.bad_kpi", "no such figure");
    if (oversight_period(web_query(req, "from"), web_query(req, "to"), time_now_ms(), &from, &to,
                         &err) < 0)
        return web_fail_err(resp, &err);
    json_t *k = NULL, *depts = NULL, *divs = NULL, *weeks = NULL, *days = NULL;
    if (oversight_figures(o, division, 0, from, to, &k, &depts, &divs, &days, &err) < 0)
        return web_fail_err(resp, &err);
    if (oversight_trend(o, division, from, to, &weeks, &err) < 0) {
        json_decref(k);
        json_decref(depts);
        json_decref(divs);
        json_decref(days);
        return web_fail_err(resp, &err);
    }
    /* The ranking of divisions one level below the chosen one (counties of a prefecture,
     * prefectures of the region; a county's own townships roll up to it). */
    int level = divisions_level_of(division);
    json_t *rolled = roll_up(divs, level >= 2 ? 3 : 2);
    json_t *ranked = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(rolled, key, v)
    {
        oversight_add_rates(v);
        json_array_append(ranked, v);
    }
    json_decref(rolled);
    fill_names(req, o, depts, 0);
    fill_names(req, o, ranked, 1);
    const char *period =
        arena_printf(req->arena, "from=%04d-%02d-%02d&to=%04d-%02d-%02d", from / 10000,
                     from / 100 % 100, from % 100, to / 10000, to / 100 % 100, to % 100);
    row_links(req, depts, period, division, 1);
    row_links(req, ranked, period, division, 0);
    const char *cases_base = arena_printf(
        req->arena, "/oversight/figures?%s&division=%012lld&figure=", period, (long long)division);
    int h_dept = 0, h_div = 0, h_weeks = 0, h_days = 0, h_map = 0;
    json_t *map_table = json_array();
    json_t *m = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "title",
        web_t(req, "oversight.dash.title"), "division",
        arena_printf(req->arena, "%012lld", (long long)division), "division_name",
        ovh_division_name(req, o, division), "from",
        arena_printf(req->arena, "%04d-%02d-%02d", from / 10000, from / 100 % 100, from % 100),
        "to", arena_printf(req->arena, "%04d-%02d-%02d", to / 10000, to / 100 % 100, to % 100),
        "kpi", kpi, "kpi_label", web_t(req, arena_printf(req->arena, "oversight.kpi.%s", kpi)),
        "kpis", kpi_cards(req, k, cases_base), "figures", k, "departments", depts, "divisions",
        ranked, "weeks", weeks, "days", days);
    json_object_set_new(m, "dept_bars", hbars(req, depts, "received", &h_dept));
    json_object_set_new(m, "div_bars", hbars(req, ranked, "received", &h_div));
    json_object_set_new(m, "week_bars", vbars(weeks, "received", "completed", &h_weeks));
    json_object_set_new(m, "day_bars", vbars(days, "n", NULL, &h_days));
    json_object_set_new(m, "tiles", tile_map(req, o, division, divs, kpi, &h_map, map_table));
    json_decref(divs);
    json_object_set_new(m, "map_table", map_table);
    json_object_set_new(m, "h_dept", json_integer(h_dept));
    json_object_set_new(m, "h_div", json_integer(h_div));
    json_object_set_new(m, "h_weeks", json_integer(h_weeks));
    json_object_set_new(m, "h_days", json_integer(h_days));
    json_object_set_new(m, "h_map", json_integer(h_map));
    json_object_set_new(m, "chart_w", json_integer(CHART_W));
    json_object_set_new(m, "has_departments", json_boolean(json_array_size(depts) > 0));
    json_object_set_new(m, "has_divisions", json_boolean(json_array_size(ranked) > 0));
    json_object_set_new(m, "has_weeks", json_boolean(json_array_size(weeks) > 0));
    json_object_set_new(m, "has_days", json_boolean(json_array_size(days) > 0));
    add_choices(req, m, division, kpi);
    /* The open cases now (not the period): drill down from here to the cases. */
    json_t *queue = NULL;
    if (oversight_queue(o, division, time_now_ms(), &queue, &err) < 0) {
        json_decref(m);
        return web_fail_err(resp, &err);
    }
    ovh_queue_rows(req, o, queue);
    json_object_set_new(m, "queue", queue);
    json_object_set_new(m, "has_queue", json_boolean(json_array_size(queue) > 0));
    json_t *hl = NULL, *hl_cards = NULL;
    if (hotline_cards(req, o, division, from, to, &hl, &hl_cards, &err) < 0) {
        json_decref(m);
        return web_fail_err(resp, &err);
    }
    if (hl != NULL) {
        json_object_set_new(m, "hotline", hl);
        json_object_set_new(m, "hotline_kpis", hl_cards);
    }
    json_object_set_new(m, "has_hotline", json_boolean(hl != NULL));
    const char *format = web_query(req, "format");
    if (format != NULL && strcmp(format, "csv") == 0) {
        const char *table = web_query(req, "table");
        return csv_out(req, resp, table ? table : "kpi", m);
    }
    return web_page(resp, m, "oversight/dashboard", 200);
}

int oversight_dash_register(struct web_server *srv, struct oversight *o)
{
    if (web_route(srv, "GET", "/dashboard", h_dashboard, o) < 0 ||
        web_route(srv, "GET", "/api/v1/dashboard", h_dashboard, o) < 0)
        return -1;
    return 0;
}
