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

void oversight_set_hotline(struct oversight *o, oversight_hotline_fn fn, void *ctx)
{
    o->hotline = fn;
    o->hotline_ctx = ctx;
}

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

int64_t oversight_day_number(int day)
{
    return days_of_civil(day / 10000, day / 100 % 100, day % 100);
}

int oversight_day_add(int day, int n)
{
    return civil_of(days_of_civil(day / 10000, day / 100 % 100, day % 100) + n);
}

int oversight_block_of(int day)
{
    int d = day % 100;
    return day / 100 * 10 + (d >= 29 ? 4 : (d - 1) / 7);
}

int oversight_week_of(int day)
{
    int64_t dn = days_of_civil(day / 10000, day / 100 % 100, day % 100);
    return civil_of(dn - ((dn + 3) % 7)); /* 1970-01-01 was a Thursday */
}

int oversight_demo_due(struct oversight *o, const char *number, int64_t due_at, struct err *err)
{
    struct store_conn *c = store_conn(o->store, err);
    return c == NULL ? -1 : oversight_db_open_due(c, number, due_at, err);
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
    int rc = 0, today = oversight_day_of(now_ms);
    struct store_conn *c = store_conn(o->store, err);
    const char *key;
    json_t *p;
    json_object_foreach(per, key, p)
    {
        if (json_integer_value(json_object_get(p, "overdue")) +
                json_integer_value(json_object_get(p, "due_soon")) ==
            0)
            continue;
        /* Once a day per department, across restarts and nodes: the "sent" row and the
         * message commit together, and a second sender finds the row. */
        int64_t dept = strtoll(key, NULL, 10);
        struct notify_msg m = {0, NULL, "zh", "oversight.notice.digest", p, "/workbench", dept};
        int fresh = 0;
        if (o->notify == NULL)
            continue;
        if (c == NULL || store_begin(c, err) < 0) {
            rc = -1;
            break;
        }
        if (oversight_db_digest_mark(c, dept, today, now_ms, &fresh, err) < 0 ||
            (fresh && notify_send(o->notify, &m, err) < 0) || store_commit(c, err) < 0) {
            store_rollback(c);
            rc = -1;
            break;
        }
        *n += fresh;
    }
    json_decref(per);
    json_decref(rows);
    return rc;
}
