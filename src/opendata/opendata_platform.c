/*
 * opendata_platform.c - the datasets the platform publishes itself, rebuilt by a job from
 * other modules' public functions: the service catalog, the divisions, the working-day
 * calendar, 好差评 statistics, 12345 orders by category, county and week, and monthly service
 * statistics per department and item (from apply_facts).
 *
 * What goes out is reference data and counts. No export reads a person: hotline orders are
 * reduced to (week, category, county, count) before anything is written, so a caller's
 * name, phone or address never reaches a CSV (tests/api/opendata.test.mjs checks every
 * export for the demo's names, phones and ID numbers).
 */
#include "opendata/opendata_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/id.h"
#include "base/log.h"
#include "apply/apply.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "divisions/divisions.h"
#include "hotline/hotline.h"
#include "identity/identity.h"
#include "review/review.h"
#include "store/store.h"

/* Append one CSV field (RFC 4180: quoted when it holds a comma, quote or line break). */
static void field(struct buf *b, const char *s, int last)
{
    if (s == NULL)
        s = "";
    if (strpbrk(s, ",\"\r\n") != NULL) {
        buf_putc(b, '"');
        for (; *s; s++) {
            if (*s == '"')
                buf_putc(b, '"');
            buf_putc(b, *s);
        }
        buf_putc(b, '"');
    } else {
        buf_puts(b, s);
    }
    buf_puts(b, last ? "\r\n" : ",");
}

static void field_int(struct buf *b, int64_t v, int last)
{
    char s[24];
    snprintf(s, sizeof(s), "%lld", (long long)v);
    field(b, s, last);
}

/* The metadata of a platform dataset: texts in zh, bo, en. */
struct platform_meta {
    const char *slug;
    const char *title[3], *description[3], *keywords[3];
    const char *theme, *frequency;
};

static json_t *meta_json(const struct platform_meta *m, const char *t0, const char *t1)
{
    json_t *j = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:[s], s:s, s:s}",
        "slug", m->slug, "title", "zh", m->title[0], "bo", m->title[1], "en", m->title[2],
        "description", "zh", m->description[0], "bo", m->description[1], "en", m->description[2],
        "keywords", "zh", m->keywords[0], "bo", m->keywords[1], "en", m->keywords[2], "licence",
        "CC-BY-4.0", "themes", m->theme, "frequency", m->frequency, "spatial", "540000000000");
    if (j != NULL && t0 != NULL)
        json_object_set_new(j, "temporal_start", json_string(t0));
    if (j != NULL && t1 != NULL)
        json_object_set_new(j, "temporal_end", json_string(t1));
    return j;
}

static int publish(struct opendata *od, const struct platform_meta *m, const char *t0,
                   const char *t1, struct buf *b, struct err *err)
{
    json_t *meta = meta_json(m, t0, t1);
    if (meta == NULL || b->len == 0 || b->data == NULL) {
        json_decref(meta);
        return err_set(err, 500, "opendata.oom", "out of memory building %s", m->slug);
    }
    int rc = od_put_platform(od, meta, b->data, b->len, err);
    json_decref(meta);
    return rc;
}

/* ---- the service catalog ---------------------------------------------------------------- */

static const struct platform_meta CATALOG = {
    "service-catalog",
    {"政务服务事项目录", "གཞུང་དོན་ཞབས་ཞུའི་རྣམ་གྲངས་དཀར་ཆག", "Government service catalog"},
    {"本平台公布的政务服务事项：编码、名称、主管部门、办理时限和收费。",
     "སྟེགས་བུ་འདིས་ཁྱབ་བསྒྲགས་བྱས་པའི་གཞུང་དོན་ཞབས་ཞུའི་རྣམ་གྲངས། ཨང་རྟགས་དང་མིང་། འགན་འཛིན་སྡེ་ཚན། "
     "སྒྲུབ་དུས། འགྲོ་སོང་བཅས།",
     "The government services published on this platform: code, name, competent department, "
     "time limit and fee."},
    {"政务服务, 事项目录", "གཞུང་དོན་ཞབས་ཞུ།, དཀར་ཆག", "government services, catalog"},
    "GOVE",
    "WEEKLY",
};

static int build_catalog(struct opendata *od, struct buf *b, struct err *err)
{
    json_t *items = NULL;
    if (catalog_list(od->store, NULL, &items, err) < 0)
        return -1;
    buf_puts(b, "code,name_zh,name_bo,name_en,type,department,online_depth,promised_days,"
                "legal_days,fee_fen\r\n");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_t *name = json_object_get(it, "name");
        field(b, json_string_value(json_object_get(it, "code")), 0);
        field(b, json_string_value(json_object_get(name, "zh")), 0);
        field(b, json_string_value(json_object_get(name, "bo")), 0);
        field(b, json_string_value(json_object_get(name, "en")), 0);
        field(b, json_string_value(json_object_get(it, "type")), 0);
        field(b, json_string_value(json_object_get(it, "department")), 0);
        field_int(b, json_integer_value(json_object_get(it, "online_depth")), 0);
        field_int(b, json_integer_value(json_object_get(it, "promised_days")), 0);
        field_int(b, json_integer_value(json_object_get(it, "legal_days")), 0);
        field_int(b, json_integer_value(json_object_get(it, "fee_fen")), 1);
    }
    json_decref(items);
    return publish(od, &CATALOG, NULL, NULL, b, err);
}

/* ---- the divisions ---------------------------------------------------------------------- */

static const struct platform_meta DIVISIONS = {
    "divisions",
    {"行政区划", "སྲིད་འཛིན་ས་ཁོངས་དབྱེ་ཁག", "Administrative divisions"},
    {"西藏自治区的行政区划代码（GB/T 2260）和名称，至乡镇一级。",
     "བོད་རང་སྐྱོང་ལྗོངས་ཀྱི་སྲིད་འཛིན་ས་ཁོངས་ཀྱི་ཨང་རྟགས་(GB/T 2260)དང་མིང་། ཤང་དང་གྲོང་རྡལ་གྱི་རིམ་པ་བར།",
     "Division codes (GB/T 2260) and names of the Xizang Autonomous Region, down to townships."},
    {"行政区划, 区划代码", "སྲིད་འཛིན་ས་ཁོངས།, ཨང་རྟགས", "divisions, codes"},
    "REGI",
    "ANNUAL",
};

static int divisions_walk(struct store_conn *c, struct arena *a, int64_t code, struct buf *b,
                          int depth, struct err *err)
{
    struct division *kids = NULL;
    size_t n = 0;
    if (depth > 4 || divisions_children(c, a, code, &kids, &n, err) < 0)
        return depth > 4 ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        if (kids[i].level > DIVISION_TOWNSHIP)
            continue;
        field_int(b, kids[i].code, 0);
        field_int(b, kids[i].parent_code, 0);
        field_int(b, kids[i].level, 0);
        field(b, kids[i].name_zh, 0);
        field(b, kids[i].name_bo, 0);
        field(b, kids[i].name_en, 1);
        if (kids[i].level < DIVISION_TOWNSHIP &&
            divisions_walk(c, a, kids[i].code, b, depth + 1, err) < 0)
            return -1;
    }
    return 0;
}

static int build_divisions(struct opendata *od, struct buf *b, struct err *err)
{
    struct store_conn *c = store_conn(od->store, err);
    struct arena *a = arena_new(0);
    struct division root;
    int rc = -1;
    if (c == NULL || a == NULL)
        goto out;
    buf_puts(b, "code,parent_code,level,name_zh,name_bo,name_en\r\n");
    if (divisions_get(c, a, DIVISIONS_ROOT, &root, err) == 0) {
        field_int(b, root.code, 0);
        field_int(b, root.parent_code, 0);
        field_int(b, root.level, 0);
        field(b, root.name_zh, 0);
        field(b, root.name_bo, 0);
        field(b, root.name_en, 1);
    }
    if (divisions_walk(c, a, DIVISIONS_ROOT, b, 1, err) < 0)
        goto out;
    rc = publish(od, &DIVISIONS, NULL, NULL, b, err);
out:
    arena_free(a);
    return rc;
}

/* ---- the working-day calendar ----------------------------------------------------------- */

static const struct platform_meta CALENDAR = {
    "working-day-calendar",
    {"工作日历", "ལས་ཀའི་ཉིན་ཐོ།", "Working-day calendar"},
    {"西藏自治区的工作日与节假日（含藏历新年等地方假日和调休），用于计算办理时限。",
     "བོད་རང་སྐྱོང་ལྗོངས་ཀྱི་ལས་ཉིན་དང་གསེང་ཉིན། (བོད་ལོ་གསར་པ་སོགས་ས་གནས་ཀྱི་དུས་ཆེན་དང་ལས་ཉིན་བརྗེ་བ་ཚུད།) "
     "སྒྲུབ་དུས་རྩིས་པར་སྤྱོད།",
     "Working days and holidays of the Xizang Autonomous Region (with Losar and other local "
     "holidays and swapped days), used to compute time limits."},
    {"工作日, 节假日", "ལས་ཉིན།, གསེང་ཉིན།", "working days, holidays"},
    "GOVE",
    "ANNUAL",
};

static int build_calendar(struct opendata *od, struct buf *b, struct err *err)
{
    struct calendar *cal = NULL;
    if (calendar_load(od->store, CALENDAR_SCOPES_XIZANG, &cal, err) < 0)
        return -1;
    int first = 0, last = 0;
    buf_puts(b, "date,weekday,working,kind,name_zh\r\n");
    for (int y = 2020; y <= 2040; y++) {
        if (!calendar_has_year(cal, y))
            continue;
        if (first == 0)
            first = y;
        last = y;
        int32_t d0 = calendar_day_from_ymd(y, 1, 1), d1 = calendar_day_from_ymd(y + 1, 1, 1);
        for (int32_t d = d0; d < d1; d++) {
            int yy, mm, dd;
            char date[16];
            calendar_day_to_ymd(d, &yy, &mm, &dd);
            snprintf(date, sizeof(date), "%04d-%02d-%02d", yy, mm, dd);
            const struct calendar_day *sp = calendar_special(cal, d);
            field(b, date, 0);
            field_int(b, calendar_weekday(d), 0);
            field_int(b, calendar_is_working(cal, d), 0);
            field(b, sp != NULL ? calendar_kind_name(sp->kind) : "", 0);
            field(b, sp != NULL ? sp->name_zh : "", 1);
        }
    }
    calendar_free(cal);
    if (first == 0)
        return 0; /* no year loaded yet: nothing to publish */
    char t0[24], t1[24];
    snprintf(t0, sizeof(t0), "%04d-01-01", first);
    snprintf(t1, sizeof(t1), "%04d-12-31", last);
    return publish(od, &CALENDAR, t0, t1, b, err);
}

/* ---- 好差评 statistics ------------------------------------------------------------------ */

static const struct platform_meta RATINGS = {
    "service-ratings",
    {"好差评统计", "ཞབས་ཞུར་དཔྱད་བརྗོད་ཀྱི་བསྡོམས་རྩིས།", "Service rating statistics"},
    {"按部门和事项统计的政务服务评价（五级）、满意率和差评整改情况。",
     "སྡེ་ཚན་དང་རྣམ་གྲངས་ལྟར་བསྡོམས་པའི་གཞུང་དོན་ཞབས་ཞུའི་དཔྱད་བརྗོད། (རིམ་པ་ལྔ།) ཚིམ་ཚད། "
     "དཔྱད་བརྗོད་ངན་པ་ལེགས་བཅོས་བྱས་པའི་གནས་ཚུལ།",
     "Ratings of government services on the five levels, satisfaction rate and rectification of "
     "bad ratings, by department and by service."},
    {"好差评, 满意率", "དཔྱད་བརྗོད།, ཚིམ་ཚད།", "ratings, satisfaction"},
    "GOVE",
    "DAILY",
};

static void rating_rows(struct buf *b, const char *scope, const json_t *rows, const char *key,
                        struct identity_department *depts, size_t nd)
{
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        const char *k = json_string_value(json_object_get(r, key));
        /* A department is named by its code, not by the database id. */
        for (size_t d = 0; strcmp(scope, "department") == 0 && k != NULL && d < nd; d++) {
            char id[24];
            snprintf(id, sizeof(id), "%lld", (long long)depts[d].id);
            if (strcmp(id, k) == 0)
                k = depts[d].code;
        }
        field(b, scope, 0);
        field(b, k, 0);
        json_t *c = json_object_get(r, "counts");
        for (int l = 1; l <= 5; l++) {
            char lk[2] = {(char)('0' + l), 0};
            field_int(b, json_integer_value(json_object_get(c, lk)), 0);
        }
        field_int(b, json_integer_value(json_object_get(r, "total")), 0);
        json_t *rate = json_object_get(r, "satisfaction_rate");
        char rs[16] = "";
        if (json_is_number(rate))
            snprintf(rs, sizeof(rs), "%.1f", json_number_value(rate));
        field(b, rs, 0);
        field_int(b, json_integer_value(json_object_get(r, "bad")), 0);
        field_int(b, json_integer_value(json_object_get(r, "rectified")), 1);
    }
}

static int build_ratings(struct opendata *od, struct buf *b, struct err *err)
{
    json_t *s = NULL;
    struct arena *a = arena_new(0);
    struct identity_department *depts = NULL;
    size_t nd = 0;
    int rc = -1;
    if (a == NULL || review_stats(od->review, &s, err) < 0 ||
        (od->id != NULL && identity_department_list(od->id, a, &depts, &nd, err) < 0))
        goto out;
    buf_puts(b, "scope,code,very_unsatisfied,unsatisfied,basic,satisfied,very_satisfied,total,"
                "satisfaction_rate,bad,rectified\r\n");
    rating_rows(b, "department", json_object_get(s, "departments"), "department_id", depts, nd);
    rating_rows(b, "item", json_object_get(s, "items"), "item_code", depts, nd);
    rc = publish(od, &RATINGS, NULL, NULL, b, err);
out:
    json_decref(s);
    arena_free(a);
    return rc;
}

/* ---- 12345 orders by category, county and week ------------------------------------------ */

static const struct platform_meta HOTLINE = {
    "hotline-orders-weekly",
    {"12345热线工单统计（按类别、区县、周）", "༡༢༣༤༥ ཁ་པར་ལས་ཐོའི་བསྡོམས་རྩིས། (རིགས་དང་རྫོང་། གཟའ་འཁོར་ལྟར།)",
     "12345 hotline orders by category, county and week"},
    {"12345 热线每周受理的工单数，按诉求类别和区县统计；不含任何个人信息。",
     "༡༢༣༤༥ ཁ་པར་གྱིས་གཟའ་འཁོར་རེར་ལེན་པའི་ལས་ཐོའི་གྲངས། འབོད་སྐུལ་གྱི་རིགས་དང་རྫོང་ལྟར་བསྡོམས་ཡོད། "
     "མི་སྒེར་གྱི་ཆ་འཕྲིན་གང་ཡང་མེད།",
     "Orders taken by the 12345 hotline each week, counted by category and county; no personal "
     "information."},
    {"12345, 热线, 工单", "༡༢༣༤༥, ཁ་པར།, ལས་ཐོ།", "12345, hotline, orders"},
    "GOVE",
    "WEEKLY",
};

/* The Monday of the week of `ms` (UTC+8, the region's civil time) as YYYY-MM-DD. */
static void week_of(int64_t ms, char out[16])
{
    int32_t day = calendar_day_of_ms(ms);
    day -= calendar_weekday(day) - 1;
    int y, m, d;
    calendar_day_to_ymd(day, &y, &m, &d);
    snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
}

static int strcmp_ptr(const void *a, const void *b);

/* The keys of a JSON object in byte order (malloc'd array of nk borrowed strings), or NULL
 * when out of memory. */
static const char **sorted_keys(json_t *obj, size_t nk)
{
    const char **keys = calloc(nk ? nk : 1, sizeof(*keys));
    const char *key;
    json_t *v;
    size_t k = 0;
    if (keys == NULL)
        return NULL;
    json_object_foreach(obj, key, v)
    {
        if (k < nk)
            keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), strcmp_ptr);
    return keys;
}

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int build_hotline(struct opendata *od, struct buf *b, struct err *err)
{
    json_t *counts = json_object(); /* "week|category|county" -> n */
    struct arena *a = arena_new(0);
    int rc = -1;
    if (a == NULL)
        goto out;
    for (int off = 0; off < 200000; off += 1000) {
        struct hotline_filter f = {0};
        struct hotline_order *o = NULL;
        size_t n = 0;
        f.limit = 1000;
        f.offset = off;
        arena_reset(a);
        if (hotline_order_list(od->hotline, a, &f, &o, &n, err) < 0)
            goto out;
        for (size_t i = 0; i < n; i++) {
            char week[16], key[128];
            week_of(o[i].created_at, week);
            int64_t county = o[i].division_code - o[i].division_code % 1000000;
            snprintf(key, sizeof(key), "%s|%s|%lld", week, o[i].category ? o[i].category : "",
                     (long long)county);
            json_t *v = json_object_get(counts, key);
            json_object_set_new(counts, key, json_integer(json_integer_value(v) + 1));
        }
        if (n < 1000)
            break;
    }
    buf_puts(b, "week,category,county_code,orders\r\n");
    /* In key order: weeks ascending, then category and county. */
    size_t nk = json_object_size(counts), k = 0;
    const char **keys = sorted_keys(counts, nk);
    if (keys == NULL)
        goto out;
    char first[16] = "", last[16] = "";
    for (k = 0; k < nk; k++) {
        char w[16], cat[64], county[24];
        if (sscanf(keys[k], "%15[^|]|%63[^|]|%23s", w, cat, county) != 3)
            continue;
        if (!first[0])
            memcpy(first, w, sizeof(w));
        memcpy(last, w, sizeof(w));
        field(b, w, 0);
        field(b, cat, 0);
        field(b, county, 0);
        field_int(b, json_integer_value(json_object_get(counts, keys[k])), 1);
    }
    free(keys);
    rc = publish(od, &HOTLINE, first[0] ? first : NULL, last[0] ? last : NULL, b, err);
out:
    json_decref(counts);
    arena_free(a);
    return rc;
}

/* ---- monthly service statistics ---------------------------------------------------------- */

static const struct platform_meta SERVICE_STATS = {
    "service-statistics-monthly",
    {"政务服务办件统计（按月、部门、事项）",
     "གཞུང་དོན་ཞབས་ཞུའི་ཡིག་ཆ་སྒྲུབ་པའི་བསྡོམས་རྩིས། (ཟླ་བ་དང་སྡེ་ཚན། རྣམ་གྲངས་ལྟར།)",
     "Service statistics by month, department and service"},
    {"每月每个部门、每个事项的收件数、办结数、按时办结数和网上申请占比（％）。",
     "ཟླ་རེར་སྡེ་ཚན་རེ་དང་རྣམ་གྲངས་རེའི་ཡིག་ཆ་ལེན་གྲངས་དང་སྒྲུབ་ཚར་གྲངས། དུས་ཐོག་ཏུ་སྒྲུབ་ཚར་གྲངས། དྲ་ཐོག་ནས་ཞུ་བའི་བསྡུར་ཚད། "
     "(％)",
     "Applications received, completed and completed on time, and the share filed online (%), "
     "by month, department and service."},
    {"办件统计, 按时办结, 网上办理", "ཡིག་ཆ་སྒྲུབ་པའི་བསྡོམས་རྩིས།, དུས་ཐོག་ཏུ་སྒྲུབ་པ།, དྲ་ཐོག་ནས་སྒྲུབ་པ།",
     "service statistics, on time, online"},
    "GOVE",
    "MONTHLY",
};

/* Counts per "YYYY-MM|department|item": [received, completed, on time, online]. */
static void count_fact(void *ctx, const struct apply_fact *f)
{
    json_t *counts = ctx;
    int y, m, d;
    char key[160];
    calendar_day_to_ymd(calendar_day_of_ms(f->submitted_at), &y, &m, &d);
    snprintf(key, sizeof(key), "%04d-%02d|%lld|%s", y, m, (long long)f->department_id,
             f->item_code ? f->item_code : "");
    json_t *row = json_object_get(counts, key);
    if (row == NULL) {
        row = json_pack("[i, i, i, i]", 0, 0, 0, 0);
        json_object_set_new(counts, key, row);
    }
    int completed = f->decided_at > 0 && !f->withdrawn;
    int on_time = completed && (f->deadline_at == 0 || f->decided_at <= f->deadline_at);
    const int add[4] = {1, completed, on_time, !f->on_behalf};
    for (size_t i = 0; i < 4; i++)
        json_array_set_new(row, i,
                           json_integer(json_integer_value(json_array_get(row, i)) + add[i]));
}

static int build_service_stats(struct opendata *od, struct buf *b, struct err *err)
{
    json_t *counts = json_object();
    struct arena *a = arena_new(0);
    struct identity_department *depts = NULL;
    size_t nd = 0;
    int rc = -1;
    int64_t now = time_now_ms();
    /* The last two years, by the month an application was submitted (UTC+8). */
    if (a == NULL ||
        apply_facts(od->apply, now - 731LL * 86400000, now + 86400000, count_fact, counts, err) <
            0 ||
        (od->id != NULL && identity_department_list(od->id, a, &depts, &nd, err) < 0))
        goto out;
    buf_puts(b, "month,department,item_code,received,completed,on_time,online_share\r\n");
    size_t nk = json_object_size(counts), k = 0;
    const char **keys = sorted_keys(counts, nk);
    if (keys == NULL)
        goto out;
    char first[16] = "", last[16] = "";
    for (k = 0; k < nk; k++) {
        char month[16], item[64];
        long long dep = 0;
        if (sscanf(keys[k], "%15[^|]|%lld|%63s", month, &dep, item) != 3)
            continue;
        const char *code = "";
        for (size_t i = 0; i < nd; i++)
            if (depts[i].id == dep)
                code = depts[i].code;
        json_t *row = json_object_get(counts, keys[k]);
        int64_t n[4];
        for (size_t i = 0; i < 4; i++)
            n[i] = json_integer_value(json_array_get(row, i));
        char share[16];
        snprintf(share, sizeof(share), "%.1f", n[0] ? 100.0 * (double)n[3] / (double)n[0] : 0.0);
        if (!first[0])
            memcpy(first, month, sizeof(month));
        memcpy(last, month, sizeof(month));
        field(b, month, 0);
        field(b, code, 0);
        field(b, item, 0);
        field_int(b, n[0], 0);
        field_int(b, n[1], 0);
        field_int(b, n[2], 0);
        field(b, share, 1);
    }
    free(keys);
    char t0[24], t1[24] = "";
    int ly = 0, lm = 0;
    snprintf(t0, sizeof(t0), "%s-01", first);
    if (sscanf(last, "%d-%d", &ly, &lm) == 2) /* the last day of the last month */
        calendar_format_date(calendar_day_from_ymd(ly + lm / 12, lm % 12 + 1, 1) - 1, t1);
    rc = publish(od, &SERVICE_STATS, first[0] ? t0 : NULL, t1[0] ? t1 : NULL, b, err);
out:
    json_decref(counts);
    arena_free(a);
    return rc;
}

/* ---- the refresh ------------------------------------------------------------------------ */

/* platform_meta: when the platform datasets were last rebuilt (ms). */
static const char META_REFRESHED[] = "opendata_refreshed_at";

typedef int (*builder)(struct opendata *od, struct buf *b, struct err *err);

int opendata_refresh(struct opendata *od, int *n, struct err *err)
{
    struct {
        builder fn;
        int needs; /* 1: review, 2: hotline, 3: apply */
    } builders[] = {
        {build_catalog, 0}, {build_divisions, 0}, {build_calendar, 0},
        {build_ratings, 1}, {build_hotline, 2},   {build_service_stats, 3},
    };
    *n = 0;
    for (size_t i = 0; i < sizeof(builders) / sizeof(builders[0]); i++) {
        if ((builders[i].needs == 1 && od->review == NULL) ||
            (builders[i].needs == 2 && od->hotline == NULL) ||
            (builders[i].needs == 3 && od->apply == NULL))
            continue;
        struct buf b;
        buf_init(&b, OPENDATA_CSV_MAX);
        int rc = builders[i].fn(od, &b, err);
        buf_free(&b);
        if (rc < 0)
            return -1;
        (*n)++;
    }
    struct store_conn *c = store_conn(od->store, err);
    return c == NULL || store_meta_set_int64(c, META_REFRESHED, time_now_ms(), err) < 0 ? -1 : 0;
}

/* Seconds until the next refresh is due: 0 when the last one (on any node, or by `onewindow
 * demo` or `opendata refresh`) is older than the interval, so a restart does not rebuild
 * what is fresh. */
static int64_t due_in(struct opendata *od, int interval_s)
{
    struct err err;
    struct store_conn *c = store_conn(od->store, &err);
    int64_t last = 0;
    int found = 0;
    if (c == NULL || store_meta_get_int64(c, META_REFRESHED, &last, &found, &err) < 0 || !found)
        return 0;
    int64_t left = (last + (int64_t)interval_s * 1000 - time_now_ms()) / 1000;
    return left > 0 ? (left < interval_s ? left : interval_s) : 0;
}

static void *job_main(void *arg)
{
    struct opendata *od = arg;
    pthread_mutex_lock(&od->lock);
    while (!od->job_stop) {
        int interval = od->job_interval_s;
        pthread_mutex_unlock(&od->lock);
        int64_t wait_s = due_in(od, interval);
        if (wait_s == 0) {
            int n = 0;
            struct err err;
            err_clear(&err);
            if (opendata_refresh(od, &n, &err) < 0)
                log_kv(LOG_WARN, "the platform datasets could not be refreshed", "code", err.code,
                       "detail", err.msg, LOG_END);
            wait_s = interval;
        }
        pthread_mutex_lock(&od->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)wait_s;
        while (!od->job_stop && pthread_cond_timedwait(&od->wake, &od->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&od->lock);
    return NULL;
}

int opendata_jobs_start(struct opendata *od, int interval_s, struct err *err)
{
    od->job_interval_s = interval_s > 0 ? interval_s : 3600;
    if (pthread_create(&od->job, NULL, job_main, od) != 0)
        return err_set(err, 500, "opendata.thread", "cannot start the refresh job");
    od->job_running = 1;
    return 0;
}
