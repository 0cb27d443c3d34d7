/*
 * oversight.c - the figures (events folded into aggregates, KPIs from them), the
 * supervisors' subtree queues and supervision notes (督办) with escalation and the daily
 * digest. SQL is in oversight_store.c; pages in oversight_http.c.
 */
#include "oversight/oversight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "base/utf8.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store/store.h"

int oversight_open(struct store *s, struct identity *id, struct notify *n,
                   struct crypto_keyring *kr, struct oversight **out, struct err *err)
{
    struct oversight *o = calloc(1, sizeof(*o));
    if (o == NULL)
        return err_set(err, 500, "oversight.oom", "out of memory");
    o->store = s;
    o->id = id;
    o->notify = n;
    o->kr = kr;
    pthread_mutex_init(&o->job_lock, NULL);
    pthread_cond_init(&o->job_wake, NULL);
    *out = o;
    return 0;
}

void oversight_close(struct oversight *o)
{
    if (o == NULL)
        return;
    if (o->job_started) {
        pthread_mutex_lock(&o->job_lock);
        o->job_stop = 1;
        pthread_cond_signal(&o->job_wake);
        pthread_mutex_unlock(&o->job_lock);
        pthread_join(o->job, NULL);
    }
    pthread_cond_destroy(&o->job_wake);
    pthread_mutex_destroy(&o->job_lock);
    free(o);
}

static void *job_loop(void *p)
{
    struct oversight *o = p;
    pthread_mutex_lock(&o->job_lock);
    while (!o->job_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += o->tick_s;
        pthread_cond_timedwait(&o->job_wake, &o->job_lock, &until);
        if (o->job_stop)
            break;
        pthread_mutex_unlock(&o->job_lock);
        struct err err;
        err_clear(&err);
        int n = 0;
        int64_t now = time_now_ms();
        if (oversight_escalate(o, now, &n, &err) < 0)
            log_kv(LOG_ERROR, "oversight: escalation failed", "detail", err.msg, LOG_END);
        int today = oversight_day_of(now);
        int hour = (int)(((now + 8LL * 3600 * 1000) / 3600000) % 24);
        if (hour >= 8 && today != o->digest_day) {
            if (oversight_digest(o, now, &n, &err) < 0)
                log_kv(LOG_ERROR, "oversight: digest failed", "detail", err.msg, LOG_END);
            else
                o->digest_day = today;
        }
        pthread_mutex_lock(&o->job_lock);
    }
    pthread_mutex_unlock(&o->job_lock);
    return NULL;
}

int oversight_jobs_start(struct oversight *o, int tick_s, struct err *err)
{
    o->tick_s = tick_s > 0 ? tick_s : 3600;
    if (pthread_create(&o->job, NULL, job_loop, o) != 0)
        return err_set(err, 500, "oversight.thread", "the oversight job thread could not start");
    o->job_started = 1;
    return 0;
}

void oversight_set_ratings(struct oversight *o, oversight_ratings_fn fn, void *ctx)
{
    o->ratings = fn;
    o->ratings_ctx = ctx;
}

/* ---- days and divisions ----------------------------------------------------------------- */

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static int civil_of(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return (int)((y + (m <= 2)) * 10000 + m * 100 + d);
}

static int64_t days_of_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int oversight_day_of(int64_t ms)
{
    int64_t local = ms + 8LL * 3600 * 1000; /* Asia/Shanghai, no daylight saving */
    int64_t days = local >= 0 ? local / 86400000 : (local - 86399999) / 86400000;
    return civil_of(days);
}

int64_t oversight_day_start_ms(int day)
{
    return days_of_civil(day / 10000, day / 100 % 100, day % 100) * 86400000LL - 8LL * 3600 * 1000;
}

int oversight_parse_day(const char *s)
{
    int y, m, d;
    char tail;
    if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        s[4] != '-' || s[7] != '-' || y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int day = y * 10000 + m * 100 + d;
    return civil_of(days_of_civil(y, m, d)) == day ? day : -1; /* 2026-02-30 is no date */
}

void oversight_subtree(int64_t division, int64_t *lo, int64_t *hi)
{
    static const int64_t span[] = {0, 10000000000LL, 100000000LL, 1000000LL, 1000LL, 1LL};
    int level = divisions_level_of(division);
    int64_t w = level >= 1 && level <= 5 ? span[level] : 1;
    *lo = division;
    *hi = division + w - 1;
}

/* ---- events -------------------------------------------------------------------------------- */

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
    int completed = 0;
    if (strcmp(a, "submitted") == 0 || strcmp(a, "filed_for") == 0) {
        d.received = 1;
        d.online = !e->on_behalf; /* 全程网办: no counter step */
    } else if (strcmp(a, "accept") == 0) {
        d.accepted = 1;
    } else if (strcmp(a, "return") == 0) {
        d.returned = 1;
    } else if (strcmp(a, "reject") == 0) {
        d.rejected = 1;
    } else if (strcmp(a, "approve") == 0 || strcmp(a, "deny") == 0) {
        completed = 1;
        d.completed = 1;
        d.on_time = e->used_days <= e->limit_days;
        d.days_sum = e->used_days;
    }
    int day = oversight_day_of(e->at);
    int changed = d.received || d.accepted || d.returned || d.rejected || d.completed;
    if (changed && oversight_db_daily_add(c, day, e, &d, err) < 0)
        return -1;
    if (completed && oversight_db_days_add(c, day, e, e->used_days, err) < 0)
        return -1;
    return is_open_state(e->to_state) ? oversight_db_open_put(c, e, err)
                                      : oversight_db_open_delete(c, e->application_id, err);
}

/* ---- KPIs ---------------------------------------------------------------------------------- */

static json_t *rate(int64_t num, int64_t den)
{
    if (den <= 0)
        return json_null();
    return json_real((double)(num * 1000 / den) / 10.0 +
                     ((num * 1000 % den) * 2 >= den ? 0.1 : 0.0));
}

/* The smallest d with at least 90% of the cases at d days or fewer ("nearest rank"). */
static int p90_of(const json_t *hist)
{
    int64_t total = 0, seen = 0;
    size_t i;
    json_t *h;
    json_array_foreach(hist, i, h) total += json_integer_value(json_object_get(h, "n"));
    if (total == 0)
        return -1;
    int64_t rank = (total * 9 + 9) / 10;
    json_array_foreach(hist, i, h)
    {
        seen += json_integer_value(json_object_get(h, "n"));
        if (seen >= rank)
            return (int)json_integer_value(json_object_get(h, "days"));
    }
    return -1;
}

void oversight_add_rates(json_t *k)
{
    int64_t rec = json_integer_value(json_object_get(k, "received"));
    int64_t comp = json_integer_value(json_object_get(k, "completed"));
    int64_t acc = json_integer_value(json_object_get(k, "accepted"));
    json_object_set_new(k, "on_time_rate",
                        rate(json_integer_value(json_object_get(k, "on_time")), comp));
    json_object_set_new(k, "online_rate",
                        rate(json_integer_value(json_object_get(k, "online")), rec));
    json_object_set_new(k, "return_rate",
                        rate(json_integer_value(json_object_get(k, "returned")), acc + comp));
    int64_t ds = json_integer_value(json_object_get(k, "days_sum"));
    json_object_set_new(k, "avg_days",
                        comp > 0 ? json_real((double)(ds * 10 / comp) / 10.0) : json_null());
}

/* Satisfaction (好差评) of the departments whose division lies in the subtree: ratings
 * 5+4+3 over all, from review's running totals (all ratings to date: review keeps no
 * per-day figures). */
static void add_satisfaction(struct oversight *o, json_t *k, int64_t division, int64_t dept)
{
    json_t *stats = NULL;
    struct err e;
    int64_t good = 0, total = 0, bad = 0, rectified = 0;
    struct identity_department *ds = NULL;
    size_t nd = 0;
    struct arena *a = arena_new(0);
    if (o->ratings != NULL && a != NULL && o->ratings(o->ratings_ctx, &stats, &e) == 0 &&
        identity_department_list(o->id, a, &ds, &nd, &e) == 0) {
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(stats, "departments"), i, row)
        {
            int64_t id = strtoll(json_string_value(json_object_get(row, "department_id"))
                                     ? json_string_value(json_object_get(row, "department_id"))
                                     : "0",
                                 NULL, 10);
            int in = 0;
            for (size_t j = 0; j < nd && !in; j++)
                in = ds[j].id == id && (dept == 0 || dept == id) &&
                     divisions_contains(division, ds[j].division_code);
            if (!in)
                continue;
            good += json_integer_value(json_object_get(row, "satisfied"));
            total += json_integer_value(json_object_get(row, "total"));
            bad += json_integer_value(json_object_get(row, "bad"));
            rectified += json_integer_value(json_object_get(row, "rectified"));
        }
    }
    json_decref(stats);
    arena_free(a);
    json_object_set_new(k, "ratings", json_integer(total));
    json_object_set_new(k, "satisfaction_rate", rate(good, total));
    json_object_set_new(k, "bad_ratings", json_integer(bad));
    json_object_set_new(k, "bad_rectified", json_integer(rectified));
}

int oversight_kpi(struct oversight *o, int64_t division, int64_t dept, int from, int to,
                  json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    int64_t lo, hi;
    oversight_subtree(division, &lo, &hi);
    struct oversight_db_sums s;
    json_t *hist = json_array();
    if (oversight_db_sums(c, lo, hi, dept ? dept : 0, dept ? dept : INT64_MAX, from, to, &s, err) <
            0 ||
        oversight_db_days_hist(c, lo, hi, dept ? dept : 0, dept ? dept : INT64_MAX, from, to, hist,
                               err) < 0) {
        json_decref(hist);
        return -1;
    }
    json_t *k = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "received",
                          (json_int_t)s.received, "online", (json_int_t)s.online, "accepted",
                          (json_int_t)s.accepted, "returned", (json_int_t)s.returned, "rejected",
                          (json_int_t)s.rejected, "completed", (json_int_t)s.completed, "on_time",
                          (json_int_t)s.on_time, "days_sum", (json_int_t)s.days_sum);
    oversight_add_rates(k);
    int p90 = p90_of(hist);
    json_object_set_new(k, "p90_days", p90 >= 0 ? json_integer(p90) : json_null());
    json_decref(hist);
    add_satisfaction(o, k, division, dept);
    *out = k;
    return 0;
}

int oversight_kpi_by(struct oversight *o, int64_t division, int from, int to, const char *by,
                     json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    int64_t lo, hi;
    oversight_subtree(division, &lo, &hi);
    int b = strcmp(by, "department") == 0 ? 0 : strcmp(by, "division") == 0 ? 1 : 2;
    json_t *rows = json_array();
    if (oversight_db_sums_by(c, lo, hi, from, to, b, rows, err) < 0) {
        json_decref(rows);
        return -1;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) oversight_add_rates(r);
    *out = rows;
    return 0;
}

int oversight_trend(struct oversight *o, int64_t division, int from, int to, json_t **weeks,
                    json_t **days, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    int64_t lo, hi;
    oversight_subtree(division, &lo, &hi);
    json_t *per = json_array(), *w = json_array(), *h = json_array();
    if (oversight_db_per_day(c, lo, hi, from, to, per, err) < 0 ||
        oversight_db_days_hist(c, lo, hi, 0, INT64_MAX, from, to, h, err) < 0) {
        json_decref(per);
        json_decref(w);
        json_decref(h);
        return -1;
    }
    size_t i;
    json_t *r;
    json_array_foreach(per, i, r)
    {
        int day = (int)json_integer_value(json_object_get(r, "day"));
        int64_t dn = days_of_civil(day / 10000, day / 100 % 100, day % 100);
        int64_t monday = dn - ((dn + 3) % 7); /* 1970-01-01 was a Thursday */
        int key = civil_of(monday);
        json_t *last = json_array_get(w, json_array_size(w) - 1);
        if (last == NULL || json_integer_value(json_object_get(last, "week")) != key) {
            last = json_pack("{s:i, s:i, s:i}", "week", key, "received", 0, "completed", 0);
            json_array_append_new(w, last);
        }
        json_object_set_new(last, "received",
                            json_integer(json_integer_value(json_object_get(last, "received")) +
                                         json_integer_value(json_object_get(r, "received"))));
        json_object_set_new(last, "completed",
                            json_integer(json_integer_value(json_object_get(last, "completed")) +
                                         json_integer_value(json_object_get(r, "completed"))));
    }
    json_decref(per);
    *weeks = w;
    *days = h;
    return 0;
}

/* ---- queues ---------------------------------------------------------------------------- */

int oversight_queue(struct oversight *o, int64_t division, int64_t now_ms, json_t **out,
                    struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    int64_t lo, hi;
    oversight_subtree(division, &lo, &hi);
    json_t *rows = json_array();
    if (oversight_db_queue(c, lo, hi, now_ms, OVERSIGHT_SOON_MS, rows, err) < 0) {
        json_decref(rows);
        return -1;
    }
    *out = rows;
    return 0;
}

static const char *mark_of(int64_t due_at, int64_t now)
{
    if (due_at > 0 && due_at < now)
        return "overdue";
    if (due_at >= now && due_at < now + OVERSIGHT_SOON_MS)
        return "soon";
    return "none";
}

int oversight_cases(struct oversight *o, int64_t division, int64_t dept, const char *mark,
                    int64_t now_ms, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    int64_t lo, hi;
    oversight_subtree(division, &lo, &hi);
    int m = mark == NULL ? 0 : strcmp(mark, "soon") == 0 ? 1 : strcmp(mark, "overdue") == 0 ? 2 : 0;
    json_t *rows = json_array();
    if (oversight_db_cases(c, lo, hi, dept ? dept : 0, dept ? dept : INT64_MAX, m, now_ms,
                           OVERSIGHT_SOON_MS, rows, err) < 0) {
        json_decref(rows);
        return -1;
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) json_object_set_new(
        r, "mark", json_string(mark_of(json_integer_value(json_object_get(r, "due_at")), now_ms)));
    *out = rows;
    return 0;
}

/* May `subj` see the case (a supervisor over its division, or its department)? */
static int may_see(const struct authz_subject *subj, const struct oversight_db_case *k,
                   int *supervisor)
{
    struct authz_object obj = {0, k->department_id, k->division_code};
    *supervisor = authz_allowed(subj, "oversight.view", &obj);
    return *supervisor || authz_allowed(subj, "oversight.answer", &obj);
}

int oversight_case(struct oversight *o, const struct authz_subject *subj, const char *number,
                   int64_t now_ms, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    struct oversight_db_case k;
    int found = 0, sup = 0;
    if (c == NULL || oversight_db_case_get(c, number ? number : "", &k, &found, err) < 0)
        return -1;
    if (!found || !may_see(subj, &k, &sup))
        return err_set(err, 404, "oversight.not_found", "no open case with this number here");
    json_t *notes = json_array();
    if (oversight_db_notes_of_app(c, k.application_id, notes, err) < 0) {
        json_decref(notes);
        return -1;
    }
    *out = json_pack("{s:s, s:s, s:o, s:I, s:s, s:I, s:I, s:s, s:o, s:b}", "number", k.number,
                     "item_code", k.item_code, "department_id",
                     json_sprintf("%lld", (long long)k.department_id), "division_code",
                     (json_int_t)k.division_code, "state", k.state, "due_at", (json_int_t)k.due_at,
                     "submitted_at", (json_int_t)k.submitted_at, "mark", mark_of(k.due_at, now_ms),
                     "notes", notes, "can_note", sup);
    return 0;
}

/* ---- notes ------------------------------------------------------------------------------ */

static void problem(json_t *problems, const char *field, const char *code)
{
    json_array_append_new(problems, json_pack("{s:s, s:s}", "field", field, "code", code));
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void check_text(json_t *problems, const char *field, const char *s)
{
    if (s == NULL || *s == '\0')
        problem(problems, field, "oversight.err.required");
    else if (!utf8_valid(s, strlen(s)) || chars(s) > OVERSIGHT_NOTE_MAX)
        problem(problems, field, "oversight.err.too_long");
}

static int tell(struct oversight *o, int64_t dept, const char *kind, const char *number,
                struct err *err)
{
    if (o->notify == NULL)
        return 0;
    json_t *p = json_pack("{s:s}", "number", number);
    char link[64];
    snprintf(link, sizeof(link), "/workbench/supervision");
    struct notify_msg m = {0, NULL, "zh", kind, p, link, dept};
    int rc = notify_send(o->notify, &m, err);
    json_decref(p);
    return rc;
}

int oversight_note_add(struct oversight *o, const struct authz_subject *subj, const char *number,
                       const char *body, const char *days, const char *ip, json_t *problems,
                       int64_t *note_id, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    struct oversight_db_case k;
    int found = 0, sup = 0;
    if (c == NULL || oversight_db_case_get(c, number ? number : "", &k, &found, err) < 0)
        return -1;
    if (!found || !may_see(subj, &k, &sup))
        return err_set(err, 404, "oversight.not_found", "no open case with this number here");
    struct authz_object obj = {0, k.department_id, k.division_code};
    if (!authz_allowed(subj, "oversight.note", &obj))
        return err_set(err, 403, "oversight.forbidden", "only a supervisor adds a note");
    check_text(problems, "body", body);
    char *end = NULL;
    long nd = days != NULL ? strtol(days, &end, 10) : 0;
    if (days == NULL || *days == '\0' || end == NULL || *end != '\0' || nd < 1 ||
        nd > OVERSIGHT_NOTE_DAYS)
        problem(problems, "days", "oversight.err.days");
    if (json_array_size(problems) > 0)
        return 1;
    int64_t now = time_now_ms();
    struct oversight_db_note n = {.id = id_next(),
                                  .application_id = k.application_id,
                                  .department_id = k.department_id,
                                  .division_code = k.division_code,
                                  .author_id = subj->account_id,
                                  .deadline_at = now + nd * 86400000LL,
                                  .created_at = now};
    snprintf(n.number, sizeof(n.number), "%s", k.number);
    char detail[64];
    snprintf(detail, sizeof(detail), "days=%ld", nd);
    char object[64];
    snprintf(object, sizeof(object), "application:%s", k.number);
    struct audit_event ev = {subj->account_id, "oversight.note", object, "ok", ip, detail};
    if (store_begin(c, err) < 0)
        return -1;
    if (oversight_db_note_insert(c, &n, body, err) < 0 || audit_record(c, &ev, err) < 0 ||
        tell(o, k.department_id, "oversight.notice.note", k.number, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (store_commit(c, err) < 0)
        return -1;
    if (note_id != NULL)
        *note_id = n.id;
    return 0;
}

int oversight_note_answer(struct oversight *o, const struct authz_subject *subj, int64_t note_id,
                          const char *answer, const char *ip, json_t *problems, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    struct oversight_db_note n;
    int found = 0, answered = 0, changed = 0;
    if (c == NULL || oversight_db_note_get(c, note_id, &n, &answered, &found, err) < 0)
        return -1;
    struct authz_object obj = {0, n.department_id, n.division_code};
    if (!found || !authz_allowed(subj, "oversight.answer", &obj))
        return err_set(err, 404, "oversight.not_found", "no such supervision note here");
    if (answered)
        return err_set(err, 409, "oversight.answered", "this note has been answered");
    check_text(problems, "answer", answer);
    if (json_array_size(problems) > 0)
        return 1;
    char object[64];
    snprintf(object, sizeof(object), "application:%s", n.number);
    struct audit_event ev = {subj->account_id, "oversight.answer", object, "ok", ip, NULL};
    if (store_begin(c, err) < 0)
        return -1;
    if (oversight_db_note_answer(c, note_id, answer, subj->account_id, time_now_ms(), &changed,
                                 err) < 0 ||
        (changed && audit_record(c, &ev, err) < 0)) {
        store_rollback(c);
        return -1;
    }
    if (!changed) {
        store_rollback(c);
        return err_set(err, 409, "oversight.answered", "this note has been answered");
    }
    return store_commit(c, err);
}

int oversight_notes_mine(struct oversight *o, const struct authz_subject *subj, int64_t now_ms,
                         json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    json_t *rows = json_array();
    for (size_t g = 0; g < subj->ngrants; g++) {
        int dup = 0;
        for (size_t h = 0; h < g; h++)
            dup |= subj->grants[h].department_id == subj->grants[g].department_id;
        struct authz_object obj = {0, subj->grants[g].department_id, 0};
        if (dup || !authz_allowed(subj, "oversight.answer", &obj))
            continue;
        if (oversight_db_notes_of_dept(c, subj->grants[g].department_id, rows, err) < 0) {
            json_decref(rows);
            return -1;
        }
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        int open = !json_is_string(json_object_get(r, "answer"));
        json_object_set_new(r, "open", json_boolean(open));
        json_object_set_new(
            r, "overdue",
            json_boolean(open && json_integer_value(json_object_get(r, "deadline_at")) < now_ms));
    }
    *out = rows;
    return 0;
}

/* The division one level above `code` (region stays region). */
static int64_t parent_of(int64_t code)
{
    static const int64_t span[] = {0, 0, 10000000000LL, 100000000LL, 1000000LL, 1000LL};
    int level = divisions_level_of(code);
    if (level <= 1 || level > 5)
        return DIVISIONS_ROOT;
    return code / span[level] * span[level];
}

int oversight_escalate(struct oversight *o, int64_t now_ms, int *n, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    if (c == NULL)
        return -1;
    struct oversight_db_note *due = malloc(500 * sizeof(*due));
    size_t nd = 0;
    int rc = -1;
    *n = 0;
    if (due == NULL)
        return err_set(err, 500, "oversight.oom", "out of memory");
    if (oversight_db_notes_due(c, now_ms, due, 500, &nd, err) < 0)
        goto out;
    for (size_t i = 0; i < nd; i++) {
        int64_t from = due[i].escalated_to ? due[i].escalated_to : due[i].division_code;
        int64_t to = parent_of(from);
        /* The same time again to answer, at least a day. */
        int64_t length =
            due[i].deadline_at - (due[i].escalated_at ? due[i].escalated_at : due[i].created_at);
        if (length < 86400000LL)
            length = 86400000LL;
        char object[64], detail[64];
        snprintf(object, sizeof(object), "application:%s", due[i].number);
        snprintf(detail, sizeof(detail), "level=%d to=%012lld", due[i].level + 1, (long long)to);
        struct audit_event ev = {0, "oversight.escalate", object, "ok", NULL, detail};
        if (store_begin(c, err) < 0)
            goto out;
        if (oversight_db_note_escalate(c, due[i].id, due[i].level + 1, to, now_ms + length, now_ms,
                                       err) < 0 ||
            audit_record(c, &ev, err) < 0 ||
            tell(o, due[i].department_id, "oversight.notice.escalated", due[i].number, err) < 0) {
            store_rollback(c);
            goto out;
        }
        if (store_commit(c, err) < 0)
            goto out;
        (*n)++;
    }
    rc = 0;
out:
    free(due);
    return rc;
}

int oversight_digest(struct oversight *o, int64_t now_ms, int *n, struct err *err)
{
    json_t *rows = NULL;
    *n = 0;
    if (oversight_queue(o, DIVISIONS_ROOT, now_ms, &rows, err) < 0)
        return -1;
    /* One message per department: its rows over every division summed. */
    json_t *per = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        char key[24];
        snprintf(key, sizeof(key), "%lld",
                 (long long)oversight_db_json_id(json_object_get(r, "department_id")));
        json_t *p = json_object_get(per, key);
        if (p == NULL) {
            p = json_pack("{s:i, s:i}", "overdue", 0, "due_soon", 0);
            json_object_set_new(per, key, p);
        }
        json_object_set_new(p, "overdue",
                            json_integer(json_integer_value(json_object_get(p, "overdue")) +
                                         json_integer_value(json_object_get(r, "overdue"))));
        json_object_set_new(p, "due_soon",
                            json_integer(json_integer_value(json_object_get(p, "due_soon")) +
                                         json_integer_value(json_object_get(r, "due_soon"))));
    }
    int rc = 0;
    const char *key;
    json_t *p;
    json_object_foreach(per, key, p)
    {
        if (json_integer_value(json_object_get(p, "overdue")) +
                json_integer_value(json_object_get(p, "due_soon")) ==
            0)
            continue;
        struct notify_msg m = {
            0, NULL, "zh", "oversight.notice.digest", p, "/workbench", strtoll(key, NULL, 10)};
        if (o->notify != NULL && notify_send(o->notify, &m, err) < 0) {
            rc = -1;
            break;
        }
        (*n)++;
    }
    json_decref(per);
    json_decref(rows);
    return rc;
}
