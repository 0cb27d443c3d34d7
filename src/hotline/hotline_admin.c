/*
 * hotline_admin.c - what administrators keep and supervisors read: categories and routing
 * rules, the dashboard statistics and the knowledge base. No HTTP here (hotline_board.c).
 */
#include "hotline/hotline_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "base/phone.h"
#include "base/utf8.h"
#include "calendar/calendar.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"

/* ---- categories and routing --------------------------------------------------------- */

static int code_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 2 || n > 40)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_' ||
              s[i] == '-'))
            return 0;
    return 1;
}

int hotline_category_put(struct hotline *h, int64_t actor, const char *code, const char *zh,
                         const char *bo, const char *en, struct err *err)
{
    if (!code_ok(code))
        return err_set(err, 400, "hotline.bad_category_code",
                       "a category code is 2-40 lower-case letters, digits, _ or -");
    if (zh == NULL || *zh == '\0' || hotline_chars(zh) > 60)
        return err_set(err, 400, "hotline.bad_category_name", "a Chinese name is required");
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    char object[64];
    snprintf(object, sizeof(object), "hotline_category:%s", code);
    struct audit_event ev = {actor, "hotline.category_put", object, "ok", NULL, NULL};
    if (hotline_db_category_put(c, code, zh, bo, en, err) < 0 || audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err);
}

int hotline_categories(struct hotline *h, const char *lang, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    *out = json_array();
    if (c == NULL || hotline_db_categories(c, lang, *out, err) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int hotline_route_put(struct hotline *h, int64_t actor, const char *category,
                      int64_t division_prefix, int64_t department_id, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    int found = 0;
    if (c == NULL)
        return -1;
    if (hotline_db_category_exists(c, category ? category : "", &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 400, "hotline.bad_category", "no such category");
    if (identity_department_exists(h->id, department_id, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 400, "hotline.bad_department", "no such department");
    if (!divisions_contains(DIVISIONS_ROOT, division_prefix))
        return err_set(err, 400, "hotline.bad_division", "the prefix is not a division here");
    if (store_begin(c, err) < 0)
        return -1;
    char object[96];
    snprintf(object, sizeof(object), "hotline_route:%s:%012lld", category,
             (long long)division_prefix);
    struct audit_event ev = {actor, "hotline.route_put", object, "ok", NULL, NULL};
    if (hotline_db_route_put(c, category, division_prefix, department_id, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err);
}

int hotline_route(struct hotline *h, const char *category, int64_t division_code,
                  int64_t *department_id, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    *department_id = 0;
    if (category == NULL || *category == '\0')
        return 0;
    return c == NULL ? -1 : hotline_db_route_find(c, category, division_code, department_id, err);
}

/* ---- statistics ----------------------------------------------------------------------- */

struct stats {
    json_t *by_cat, *by_div, *by_week, *cur, *prev;
    int64_t now, week_start;
    long total, dispatched, replied, rated, satisfied, with_deadline, overdue;
    double response_h, resolution_h;
    long ratings[6];
};

static void bump(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    json_object_set_new(obj, key, json_integer(v ? json_integer_value(v) + 1 : 1));
}

static void stat_row(void *ctx, int64_t created, const char *cat, int64_t division,
                     const char *status, int64_t dispatched, int64_t replied, int64_t closed,
                     int64_t deadline, int rating)
{
    (void)closed;
    struct stats *s = ctx;
    char county[16], week[11], key[64];
    snprintf(county, sizeof(county), "%06lld", (long long)(division / 1000000));
    int32_t day = calendar_day_of_ms(created);
    calendar_format_date(day - (calendar_weekday(day) - 1), week);
    s->total++;
    bump(s->by_cat, cat[0] ? cat : "-");
    bump(s->by_div, county);
    bump(s->by_week, week);
    snprintf(key, sizeof(key), "%s|%s", county, cat[0] ? cat : "-");
    if (created >= s->week_start)
        bump(s->cur, key);
    else if (created >= s->week_start - 7 * CALENDAR_DAY_MS)
        bump(s->prev, key);
    if (dispatched > 0) {
        s->dispatched++;
        s->response_h += (double)(dispatched - created) / 3.6e6;
    }
    if (replied > 0) {
        s->replied++;
        s->resolution_h += (double)(replied - created) / 3.6e6;
    }
    if (rating >= 1 && rating <= 5) {
        s->rated++;
        s->ratings[rating]++;
        s->satisfied += rating >= 4;
    }
    if (deadline > 0) {
        s->with_deadline++;
        int open = strcmp(status, "dispatched") == 0 || strcmp(status, "accepted") == 0;
        if ((replied > deadline) || (open && s->now > deadline))
            s->overdue++;
    }
}

static json_t *sorted_pairs(json_t *obj, const char *kname)
{
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        json_array_append_new(
            arr, json_pack("{s:s, s:I}", kname, k, "count", (json_int_t)json_integer_value(v)));
    }
    return arr;
}

int hotline_stats(struct hotline *h, const char *lang, int64_t from_ms, int64_t to_ms, json_t **out,
                  struct err *err)
{
    (void)lang;
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    struct stats s;
    memset(&s, 0, sizeof(s));
    s.by_cat = json_object();
    s.by_div = json_object();
    s.by_week = json_object();
    s.cur = json_object();
    s.prev = json_object();
    s.now = time_now_ms();
    s.week_start = to_ms - 7 * CALENDAR_DAY_MS;
    if (hotline_db_stats(c, from_ms, to_ms, stat_row, &s, err) < 0) {
        json_decref(s.by_cat);
        json_decref(s.by_div);
        json_decref(s.by_week);
        json_decref(s.cur);
        json_decref(s.prev);
        return -1;
    }
    /* Hot spots: a category in a county with more orders in the last 7 days than in the 7
     * before, and at least 3 now. */
    json_t *hot = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(s.cur, k, v)
    {
        json_int_t now = json_integer_value(v);
        json_t *p = json_object_get(s.prev, k);
        json_int_t before = p ? json_integer_value(p) : 0;
        if (now >= 3 && now > before) {
            char county[16] = "", *bar = strchr(k, '|');
            snprintf(county, sizeof(county), "%.*s", bar ? (int)(bar - k) : 0, k);
            json_array_append_new(hot, json_pack("{s:s, s:s, s:I, s:I, s:I}", "division", county,
                                                 "category", bar ? bar + 1 : "", "this_week", now,
                                                 "last_week", before, "rise", now - before));
        }
    }
    json_t *levels = json_array();
    for (int r = 5; r >= 1; r--)
        json_array_append_new(
            levels, json_pack("{s:i, s:I}", "level", r, "count", (json_int_t)s.ratings[r]));
    *out = json_pack(
        "{s:I, s:o, s:o, s:o, s:o, s:f, s:f, s:I, s:f, s:o, s:f, s:I, s:I}", "total",
        (json_int_t)s.total, "by_category", sorted_pairs(s.by_cat, "category"), "by_division",
        sorted_pairs(s.by_div, "division"), "by_week", sorted_pairs(s.by_week, "week"), "hot_spots",
        hot, "response_hours", s.dispatched ? s.response_h / s.dispatched : 0.0, "resolution_hours",
        s.replied ? s.resolution_h / s.replied : 0.0, "rated", (json_int_t)s.rated, "satisfaction",
        s.rated ? (double)s.satisfied / s.rated : 0.0, "ratings", levels, "overdue_rate",
        s.with_deadline ? (double)s.overdue / s.with_deadline : 0.0, "overdue",
        (json_int_t)s.overdue, "with_deadline", (json_int_t)s.with_deadline);
    json_decref(s.by_cat);
    json_decref(s.by_div);
    json_decref(s.by_week);
    json_decref(s.cur);
    json_decref(s.prev);
    return *out ? 0 : err_set(err, 500, "hotline.oom", "out of memory");
}

/* ---- knowledge base ------------------------------------------------------------------- */

int hotline_kb_put(struct hotline *h, int64_t actor, int64_t id, const char *lang,
                   const char *title, const char *body, const char *category, int64_t source_order,
                   int64_t *out_id, struct err *err)
{
    if (lang == NULL ||
        (strcmp(lang, "zh") != 0 && strcmp(lang, "bo") != 0 && strcmp(lang, "en") != 0))
        return err_set(err, 400, "hotline.kb_bad_lang", "the language is zh, bo or en");
    if (hotline_check_text(title, 2, 120, "hotline.kb_bad_title", err) < 0 ||
        hotline_check_text(body, 2, 20000, "hotline.kb_bad_body", err) < 0)
        return -1;
    if (category != NULL && *category && hotline_check_category(h, category, err) < 0)
        return -1;
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    if (id != 0) {
        json_t *old = NULL;
        if (hotline_db_kb_get(c, id, &old, err) < 0)
            return -1;
        if (old == NULL)
            return err_set(err, 404, "hotline.kb_not_found", "no such article");
        json_decref(old);
    } else {
        id = id_next();
    }
    int64_t now = time_now_ms();
    char object[48];
    snprintf(object, sizeof(object), "hotline_kb:%lld", (long long)id);
    struct audit_event ev = {actor, "hotline.kb_put", object, "ok", NULL, NULL};
    struct hotline_doc d = {"kb", id, lang, title, body, category && *category ? category : NULL,
                            0,    0,  now,  0};
    if (store_begin(c, err) < 0)
        return -1;
    if (hotline_db_kb_upsert(c, id, lang, title, body, category && *category ? category : NULL,
                             source_order, actor, now, err) < 0 ||
        (h->hooks.index && h->hooks.index(h->hooks.ctx, &d, err) < 0) ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (store_commit(c, err) < 0)
        return -1;
    if (out_id)
        *out_id = id;
    return 0;
}

int hotline_kb_get(struct hotline *h, int64_t id, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL || hotline_db_kb_get(c, id, out, err) < 0)
        return -1;
    return *out ? 0 : err_set(err, 404, "hotline.kb_not_found", "no such article");
}

int hotline_kb_list(struct hotline *h, int limit, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    *out = json_array();
    if (c == NULL || hotline_db_kb_list(c, limit > 0 && limit <= 200 ? limit : 50, *out, err) < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int hotline_kb_from_order(struct hotline *h, int64_t actor, const char *number, int64_t *out_id,
                          struct err *err)
{
    struct arena *a = arena_new(0);
    struct hotline_order o;
    if (a == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory");
    int rc = hotline_order_get(h, a, number, &o, 0, err);
    if (rc == 0 && (o.reply == NULL || !hotline_one_of(o.status, "answered replied closed"))) {
        err_set(err, 409, "hotline.kb_no_answer", "only an answered order can become an article");
        rc = -1;
    }
    if (rc == 0) {
        /* The title: the question's first 60 characters. */
        size_t n = 0, bytes = 0;
        for (const unsigned char *p = (const unsigned char *)o.description; *p && n < 60; p++) {
            bytes++;
            if ((p[1] & 0xC0) != 0x80)
                n++;
        }
        const char *title = arena_printf(a, "%.*s", (int)bytes, o.description);
        const char *body = arena_printf(a, "%s\n\n%s", o.description, o.reply);
        rc = hotline_kb_put(h, actor, 0, o.lang, title, body, o.category, o.id, out_id, err);
    }
    arena_free(a);
    return rc;
}
