/*
 * calendar.c - civil dates, the in-memory calendar and its working-day arithmetic, the
 * loading of the reference data and the administrators' edits. The SQL lives in
 * calendar_store.c, the pages in calendar_http.c, the command line in calendar_cli.c.
 *
 * The calendar is a sorted array of the special days in force (one per day, after the
 * scope precedence is applied); a lookup is a binary search. Arithmetic walks day by day:
 * limits are at most CALENDAR_MAX_DAYS working days, so a walk is bounded and cheap.
 */
#include "calendar/calendar_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/csv.h"
#include "base/embed.h"
#include "base/id.h"
#include "store/store.h"

#define MAX_SCOPES 8
#define SCOPE_MAX_LEN 32
#define NAME_MAX_BYTES 200
#define SOURCE_MAX_BYTES 1000

struct calendar {
    struct calendar_day *days; /* sorted by day, unique; strings owned */
    int n;
    int64_t version;
};

/* ---- dates ------------------------------------------------------------------------------ */

/* Days from civil, after H. Hinnant's "chrono-compatible low-level date algorithms":
 * a proleptic Gregorian calendar with March-based years so that the leap day is last. */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : len[m - 1];
}

int32_t calendar_day_from_ymd(int y, int m, int d)
{
    if (y < CALENDAR_MIN_YEAR || y > CALENDAR_MAX_YEAR || m < 1 || m > 12 || d < 1 ||
        d > days_in_month(y, m))
        return -1;
    return days_from_civil(y, m, d);
}

void calendar_day_to_ymd(int32_t day, int *y, int *m, int *d)
{
    int32_t z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int calendar_weekday(int32_t day)
{
    /* 1970-01-01 was a Thursday (4). */
    int w = (int)((day % 7 + 7 + 3) % 7);
    return w + 1;
}

int calendar_parse_date(const char *s, int32_t *day, struct err *err)
{
    static const char shape[] = "dddd-dd-dd";
    int v[3] = {0, 0, 0}, part = 0;
    if (s == NULL || strlen(s) != sizeof(shape) - 1)
        goto bad;
    for (size_t i = 0; i < sizeof(shape) - 1; i++) {
        if (shape[i] == '-') {
            if (s[i] != '-')
                goto bad;
            part++;
        } else if (s[i] < '0' || s[i] > '9') {
            goto bad;
        } else {
            v[part] = v[part] * 10 + (s[i] - '0');
        }
    }
    int32_t n = calendar_day_from_ymd(v[0], v[1], v[2]);
    if (n < 0)
        goto bad;
    *day = n;
    return 0;
bad:
    return err_set(err, 400, "calendar.bad_date",
                   "a date is written YYYY-MM-DD, a real day between %d and %d", CALENDAR_MIN_YEAR,
                   CALENDAR_MAX_YEAR);
}

char *calendar_format_date(int32_t day, char out[11])
{
    int y, m, d;
    calendar_day_to_ymd(day, &y, &m, &d);
    /* Digits by hand: y is within 0..9999 for any day number we produce. */
    unsigned v[3] = {(unsigned)y % 10000, (unsigned)m % 100, (unsigned)d % 100};
    static const int width[3] = {4, 2, 2};
    char *p = out;
    for (int i = 0; i < 3; i++) {
        for (int k = width[i] - 1; k >= 0; k--) {
            p[k] = (char)('0' + v[i] % 10);
            v[i] /= 10;
        }
        p += width[i];
        *p++ = i < 2 ? '-' : '\0';
    }
    return out;
}

int32_t calendar_day_of_ms(int64_t ms)
{
    int64_t local = ms + CALENDAR_TZ_OFFSET_MS;
    int64_t day = local / CALENDAR_DAY_MS;
    if (local % CALENDAR_DAY_MS < 0)
        day--;
    return (int32_t)day;
}

int64_t calendar_day_start_ms(int32_t day)
{
    return (int64_t)day * CALENDAR_DAY_MS - CALENDAR_TZ_OFFSET_MS;
}

const char *calendar_kind_name(int kind)
{
    return kind == CALENDAR_HOLIDAY ? "holiday" : kind == CALENDAR_WORKDAY ? "workday" : NULL;
}

int calendar_kind_parse(const char *s)
{
    if (s != NULL && strcmp(s, "holiday") == 0)
        return CALENDAR_HOLIDAY;
    if (s != NULL && strcmp(s, "workday") == 0)
        return CALENDAR_WORKDAY;
    return -1;
}

int calendar_scope_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > SCOPE_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* ---- building a calendar ---------------------------------------------------------------- */

struct scope_list {
    char names[MAX_SCOPES][SCOPE_MAX_LEN + 1];
    int n;
};

static int scopes_parse(const char *text, struct scope_list *out, struct err *err)
{
    out->n = 0;
    const char *p = text ? text : "";
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (out->n == MAX_SCOPES || len == 0 || len > SCOPE_MAX_LEN)
            goto bad;
        memcpy(out->names[out->n], p, len);
        out->names[out->n][len] = '\0';
        if (!calendar_scope_valid(out->names[out->n++]))
            goto bad;
        if (comma != NULL && comma[1] == '\0')
            goto bad; /* "national," names an empty scope */
        p += len + (comma != NULL);
    }
    if (out->n == 0)
        goto bad;
    return 0;
bad:
    return err_set(err, 400, "calendar.bad_scope",
                   "scopes are a comma-separated list of up to %d names like national,xizang",
                   MAX_SCOPES);
}

/* Precedence of a scope in the list (higher wins), or -1 when it is not in the list. */
static int scope_rank(const struct scope_list *l, const char *scope)
{
    for (int i = l->n - 1; i >= 0; i--)
        if (strcmp(l->names[i], scope) == 0)
            return i;
    return -1;
}

struct builder {
    struct calendar *cal;
    int cap;
    int last_rank; /* rank of cal->days[n-1] */
    const struct scope_list *scopes;
};

static void day_release(struct calendar_day *d)
{
    free((char *)d->name_zh);
    free((char *)d->scope);
    free((char *)d->source);
}

/* Add a day; input comes in day order. Returns 0, or -1 when out of memory. */
static int builder_add(struct builder *b, const struct calendar_day *d)
{
    int rank = scope_rank(b->scopes, d->scope);
    if (rank < 0)
        return 0;
    struct calendar *cal = b->cal;
    struct calendar_day *slot;
    if (cal->n > 0 && cal->days[cal->n - 1].day == d->day) {
        if (rank < b->last_rank)
            return 0;
        slot = &cal->days[cal->n - 1];
        day_release(slot);
    } else {
        if (cal->n == b->cap) {
            int cap = b->cap ? 2 * b->cap : 64;
            struct calendar_day *bigger = realloc(cal->days, (size_t)cap * sizeof(*bigger));
            if (bigger == NULL)
                return -1;
            cal->days = bigger;
            b->cap = cap;
        }
        slot = &cal->days[cal->n++];
    }
    *slot = (struct calendar_day){d->day, d->kind, strdup(d->name_zh), strdup(d->scope),
                                  strdup(d->source ? d->source : "")};
    b->last_rank = rank;
    if (slot->name_zh == NULL || slot->scope == NULL || slot->source == NULL) {
        day_release(slot);
        cal->n--;
        return -1;
    }
    return 0;
}

void calendar_free(struct calendar *cal)
{
    if (cal == NULL)
        return;
    for (int i = 0; i < cal->n; i++)
        day_release(&cal->days[i]);
    free(cal->days);
    free(cal);
}

static int cmp_day(const void *a, const void *b)
{
    const struct calendar_day *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

int calendar_from_days(const struct calendar_day *days, int n, const char *scopes,
                       struct calendar **out, struct err *err)
{
    struct scope_list l;
    struct calendar_day *sorted = NULL;
    struct builder b = {0};
    if (scopes_parse(scopes, &l, err) < 0)
        return -1;
    b.scopes = &l;
    if ((b.cal = calloc(1, sizeof(*b.cal))) == NULL ||
        (n > 0 && (sorted = malloc((size_t)n * sizeof(*sorted))) == NULL))
        goto oom;
    if (n > 0)
        memcpy(sorted, days, (size_t)n * sizeof(*sorted));
    /* Sort by day only; qsort is not stable, so resolve equal days by rank explicitly:
     * builder_add keeps the higher-ranked scope whatever the order. */
    qsort(sorted, (size_t)n, sizeof(*sorted), cmp_day);
    for (int i = 0; i < n; i++)
        if (builder_add(&b, &sorted[i]) < 0)
            goto oom;
    free(sorted);
    *out = b.cal;
    return 0;
oom:
    free(sorted);
    calendar_free(b.cal);
    return err_set(err, 500, "calendar.oom", "out of memory");
}

struct load_ctx {
    struct builder *b;
    int oom;
};

static int load_row(const struct calendar_row *r, void *ctx)
{
    struct load_ctx *lc = ctx;
    struct err e;
    struct calendar_day d = {0, calendar_kind_parse(r->kind), r->name_zh, r->scope, r->source};
    if (r->day == NULL || calendar_parse_date(r->day, &d.day, &e) < 0 || d.kind < 0 ||
        r->name_zh == NULL || r->scope == NULL)
        return 1;
    if (builder_add(lc->b, &d) < 0) {
        lc->oom = 1;
        return 1;
    }
    return 0;
}

int calendar_load(struct store *s, const char *scopes, struct calendar **out, struct err *err)
{
    struct scope_list l;
    struct builder b = {0};
    struct load_ctx lc = {&b, 0};
    struct store_conn *c;
    if (scopes_parse(scopes, &l, err) < 0 || (c = store_conn(s, err)) == NULL)
        return -1;
    b.scopes = &l;
    if ((b.cal = calloc(1, sizeof(*b.cal))) == NULL)
        return err_set(err, 500, "calendar.oom", "out of memory");
    /* Read the version first: a change racing with the load makes the next check reload. */
    if (calendar_store_version(c, &b.cal->version, err) < 0 ||
        calendar_store_each(c, load_row, &lc, err) < 0)
        goto fail;
    *out = b.cal;
    return 0;
fail:
    if (lc.oom)
        err_set(err, 500, "calendar.oom", "out of memory");
    calendar_free(b.cal);
    return -1;
}

int64_t calendar_loaded_version(const struct calendar *cal)
{
    return cal->version;
}

/* ---- working days ------------------------------------------------------------------------ */

const struct calendar_day *calendar_special(const struct calendar *cal, int32_t day)
{
    int lo = 0, hi = cal->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cal->days[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < cal->n && cal->days[lo].day == day ? &cal->days[lo] : NULL;
}

int calendar_is_working(const struct calendar *cal, int32_t day)
{
    const struct calendar_day *sp = calendar_special(cal, day);
    if (sp != NULL)
        return sp->kind == CALENDAR_WORKDAY;
    return calendar_weekday(day) <= 5;
}

int calendar_is_working_day(const struct calendar *cal, int y, int m, int d)
{
    int32_t day = calendar_day_from_ymd(y, m, d);
    return day >= 0 && calendar_is_working(cal, day);
}

int calendar_has_year(const struct calendar *cal, int year)
{
    int32_t first = calendar_day_from_ymd(year, 1, 1);
    if (first < 0)
        return 0;
    const struct calendar_day *sp = NULL;
    for (int32_t d = first; d < first + 366 && sp == NULL; d++)
        sp = calendar_special(cal, d);
    int y, m, dd;
    if (sp == NULL)
        return 0;
    calendar_day_to_ymd(sp->day, &y, &m, &dd);
    return y == year;
}

int calendar_add_working_days(const struct calendar *cal, int32_t start, int n, int32_t *end,
                              struct err *err)
{
    int32_t last = calendar_day_from_ymd(CALENDAR_MAX_YEAR, 12, 31);
    if (n < 0 || n > CALENDAR_MAX_DAYS)
        return err_set(err, 400, "calendar.bad_days", "a time limit is 0 to %d working days",
                       CALENDAR_MAX_DAYS);
    int32_t d = start;
    /* Invariant: `left` working days after `d` remain to be counted. */
    for (int left = n; left > 0;) {
        if (++d > last)
            return err_set(err, 400, "calendar.bad_days", "the end date is after %d",
                           CALENDAR_MAX_YEAR);
        if (calendar_is_working(cal, d))
            left--;
    }
    *end = d;
    return 0;
}

int calendar_working_days_between(const struct calendar *cal, int32_t a, int32_t b)
{
    if (b < a)
        return -calendar_working_days_between(cal, b, a);
    int count = 0;
    for (int32_t d = a + 1; d <= b; d++)
        count += calendar_is_working(cal, d);
    return count;
}

int calendar_deadline_ms(const struct calendar *cal, int64_t start_ms, int n, int64_t *deadline,
                         struct err *err)
{
    int32_t end;
    if (calendar_add_working_days(cal, calendar_day_of_ms(start_ms), n, &end, err) < 0)
        return -1;
    *deadline = calendar_day_start_ms(end + 1) - 1;
    return 0;
}

double calendar_fraction_used(const struct calendar *cal, int64_t start_ms, int n, int64_t now_ms)
{
    if (now_ms <= start_ms)
        return 0.0;
    int32_t start = calendar_day_of_ms(start_ms), today = calendar_day_of_ms(now_ms);
    if (n <= 0) {
        int64_t span = calendar_day_start_ms(start + 1) - start_ms;
        return (double)(now_ms - start_ms) / (double)span;
    }
    if (today <= start)
        return 0.0;
    /* Whole working days strictly between the start day and today, then today's share. */
    double used = calendar_working_days_between(cal, start, today - 1);
    if (calendar_is_working(cal, today))
        used += (double)(now_ms - calendar_day_start_ms(today)) / (double)CALENDAR_DAY_MS;
    return used / n;
}

/* ---- the store ---------------------------------------------------------------------------- */

int64_t calendar_version(struct store_conn *c)
{
    int64_t v;
    struct err err;
    return calendar_store_version(c, &v, &err) < 0 ? -1 : v;
}

/* Make the version change: now, or one more than before if the clock has not moved. */
static int bump_version(struct store_conn *c, struct err *err)
{
    int64_t old, now = time_now_ms();
    if (calendar_store_version(c, &old, err) < 0)
        return -1;
    return calendar_store_bump_version(c, now > old ? now : old + 1, err);
}

/* Validate a row; on error say which and where (`where` is "file line N" or "input"). */
static int row_check(const struct calendar_row *r, const char *where, struct err *err)
{
    int32_t day;
    struct err e;
    if (calendar_parse_date(r->day, &day, &e) < 0)
        return err_set(err, 400, "calendar.bad_date", "%s: '%.20s' is not a date (YYYY-MM-DD)",
                       where, r->day ? r->day : "");
    if (calendar_kind_parse(r->kind) < 0)
        return err_set(err, 400, "calendar.bad_kind", "%s: kind '%.20s' is not holiday or workday",
                       where, r->kind ? r->kind : "");
    if (!calendar_scope_valid(r->scope))
        return err_set(err, 400, "calendar.bad_scope",
                       "%s: scope '%.40s' should be national or a region name like xizang", where,
                       r->scope ? r->scope : "");
    if (r->name_zh == NULL || !*r->name_zh || strlen(r->name_zh) > NAME_MAX_BYTES)
        return err_set(err, 400, "calendar.bad_name", "%s: a name of 1 to %d bytes is needed",
                       where, NAME_MAX_BYTES);
    if (r->source != NULL && strlen(r->source) > SOURCE_MAX_BYTES)
        return err_set(err, 400, "calendar.bad_source", "%s: the source is too long", where);
    return 0;
}

/* Parse every record of a CSV; with c == NULL only validate, else insert. */
static int csv_pass(struct store_conn *c, const char *path, const char *text, size_t len,
                    int *inserted, struct err *err)
{
    static const char *const cols[] = {"date", "kind", "name_zh", "scope", "source"};
    const char *f[CSV_MAX_FIELDS];
    char where[160];
    int rc = 0, n;
    int64_t now = time_now_ms();
    struct csv *csv = malloc(sizeof(*csv));
    if (csv == NULL)
        return err_set(err, 500, "calendar.oom", "out of memory");
    csv_init(csv, text, len);
    n = csv_next(csv, f);
    for (int i = 0; rc == 0 && i < 5; i++)
        if (n != 5 || strcmp(f[i], cols[i]) != 0)
            rc = err_set(err, 500, "calendar.bad_data",
                         "%s line 1: the header should be date,kind,name_zh,scope,source", path);
    while (rc == 0 && (n = csv_next(csv, f)) != 0) {
        snprintf(where, sizeof(where), "%s line %zu", path, csv->line);
        if (n != 5) {
            rc = err_set(err, 500, "calendar.bad_data", "%s: expected 5 fields", where);
            break;
        }
        struct calendar_row r = {f[0], f[1], f[2], f[3], f[4]};
        if (row_check(&r, where, err) < 0) {
            err->status = 500; /* bad reference data is our fault, not the caller's */
            rc = -1;
        } else if (c != NULL) {
            rc = calendar_store_insert(c, &r, now, inserted, err);
        }
    }
    free(csv);
    return rc;
}

int calendar_load_csv(struct store *s, const char *path, const char *text, size_t len,
                      int *inserted, struct err *err)
{
    struct store_conn *c;
    *inserted = 0;
    /* Validate everything before writing anything, so an error leaves the table alone. */
    if (csv_pass(NULL, path, text, len, inserted, err) < 0 || (c = store_conn(s, err)) == NULL ||
        store_begin(c, err) < 0)
        return -1;
    if (csv_pass(c, path, text, len, inserted, err) < 0 ||
        (*inserted > 0 && bump_version(c, err) < 0))
        goto fail;
    return store_commit(c, err);
fail:
    store_rollback(c);
    *inserted = 0;
    return -1;
}

int calendar_load_reference(struct store *s, int *inserted, struct err *err)
{
    static const char path[] = "data/calendar-xizang.csv";
    const struct embed_file *file = embed_find(path);
    if (file == NULL)
        return err_set(err, 500, "calendar.bad_data", "%s is not in the binary", path);
    return calendar_load_csv(s, path, (const char *)file->data, file->len, inserted, err);
}

int calendar_set_day(struct store *s, int64_t actor_id, const char *ip, const char *date,
                     const char *kind, const char *name_zh, const char *scope, struct err *err)
{
    struct calendar_row r = {date, kind, name_zh, scope ? scope : "national", "administrator"};
    struct store_conn *c;
    if (row_check(&r, "calendar set", err) < 0 || (c = store_conn(s, err)) == NULL ||
        store_begin(c, err) < 0)
        return -1;
    char object[64], detail[300];
    snprintf(object, sizeof(object), "calendar:%s:%s", r.day, r.scope);
    snprintf(detail, sizeof(detail), "%s %s", r.kind, r.name_zh);
    struct audit_event ev = {actor_id, "calendar.set_day", object, "ok", ip, detail};
    if (calendar_store_upsert(c, &r, time_now_ms(), err) < 0 || bump_version(c, err) < 0 ||
        audit_record(c, &ev, err) < 0)
        goto fail;
    return store_commit(c, err);
fail:
    store_rollback(c);
    return -1;
}

int calendar_remove_day(struct store *s, int64_t actor_id, const char *ip, const char *date,
                        const char *scope, struct err *err)
{
    int32_t day;
    int removed = 0;
    struct store_conn *c;
    if (scope == NULL)
        scope = "national";
    if (calendar_parse_date(date, &day, err) < 0)
        return -1;
    if (!calendar_scope_valid(scope))
        return err_set(err, 400, "calendar.bad_scope", "scope '%.40s' is not a scope name", scope);
    if ((c = store_conn(s, err)) == NULL || store_begin(c, err) < 0)
        return -1;
    char object[64];
    snprintf(object, sizeof(object), "calendar:%s:%s", date, scope);
    struct audit_event ev = {actor_id, "calendar.remove_day", object, "ok", ip, NULL};
    if (calendar_store_delete(c, date, scope, &removed, err) < 0)
        goto fail;
    if (!removed) {
        err_set(err, 404, "calendar.not_found", "%s is not listed in scope %s", date, scope);
        goto fail;
    }
    if (bump_version(c, err) < 0 || audit_record(c, &ev, err) < 0)
        goto fail;
    return store_commit(c, err);
fail:
    store_rollback(c);
    return -1;
}
