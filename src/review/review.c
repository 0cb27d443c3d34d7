/*
 * review.c - 好差评: ratings, rounds, rectification tasks, responses and statistics.
 * No HTTP here. Eligibility comes from the target callback (apply_rating_target).
 */
#include "review/review_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/id.h"
#include "base/log.h"
#include "base/utf8.h"
#include "calendar/calendar.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store/store.h"

#define VERSION_KEY "review_version"

static const char *const level_names[6] = {NULL,    "very_unsatisfied", "unsatisfied",
                                           "basic", "satisfied",        "very_satisfied"};

const char *review_level_name(int level)
{
    return level >= 1 && level <= 5 ? level_names[level] : NULL;
}

int review_level_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (s[0] >= '1' && s[0] <= '5' && s[1] == '\0')
        return s[0] - '0';
    for (int i = 1; i <= 5; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

int review_channel_valid(const char *s)
{
    return s != NULL && (strcmp(s, "online") == 0 || strcmp(s, "counter") == 0 ||
                         strcmp(s, "hotline") == 0 || strcmp(s, "sms") == 0);
}

int review_open(struct store *st, struct notify *n, struct identity *id, struct review **out,
                struct err *err)
{
    struct review *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return err_set(err, 500, "review.oom", "out of memory");
    r->store = st;
    r->notify = n;
    r->id = id;
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

void review_close(struct review *r)
{
    if (r == NULL)
        return;
    calendar_free(r->cal);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void review_set_target(struct review *r, const struct review_target_fn *t)
{
    if (t != NULL)
        r->target = *t;
    else
        memset(&r->target, 0, sizeof(r->target));
}

/* ---- helpers ---------------------------------------------------------------------------- */

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void problem(json_t *problems, const char *field, const char *code)
{
    if (problems != NULL)
        json_array_append_new(problems, json_pack("{s:s, s:s}", "field", field, "code", code));
}

struct target {
    int64_t applicant, department;
    char item[48];
    int decided;
};

/* A message's "item": the service's names (notify renders the reader's), or the code. */
static json_t *item_param(struct review *r, const char *code)
{
    json_t *names = r->target.item_names != NULL ? r->target.item_names(r->target.ctx, code) : NULL;
    return names != NULL ? names : json_string(code);
}

static int lookup(struct review *r, int64_t application_id, struct target *t, struct err *err)
{
    memset(t, 0, sizeof(*t));
    if (r->target.lookup == NULL)
        return err_set(err, 503, "review.no_target", "ratings are not connected to applications");
    struct err e;
    err_clear(&e);
    if (application_id <= 0 || r->target.lookup(r->target.ctx, application_id, &t->applicant,
                                                &t->department, t->item, &t->decided, &e) < 0) {
        if (e.status >= 500) {
            *err = e;
            return -1;
        }
        return err_set(err, 404, "review.not_found", "no application with this id can be rated");
    }
    t->item[sizeof(t->item) - 1] = '\0';
    return 0;
}

/* Staff who deal with an application's ratings: the department's clerks, reviewers and
 * heads (counter, tasks), 12345 agents (hotline). */
static int staff_sees(const struct authz_subject *subj, const struct target *t)
{
    struct authz_object o = {t->applicant, t->department, 0};
    return authz_allowed(subj, "review.respond", &o) || authz_allowed(subj, "review.record", &o) ||
           authz_allowed(subj, "review.record_hotline", &o);
}

static int bump_version(struct store_conn *c, struct err *err)
{
    return store_meta_set_int64(c, VERSION_KEY, id_next(), err);
}

int64_t review_version(struct review *r)
{
    struct err err;
    int64_t v = 0;
    int found = 0;
    struct store_conn *c = store_conn(r->store, &err);
    if (c == NULL || store_meta_get_int64(c, VERSION_KEY, &v, &found, &err) < 0)
        return -1;
    return v;
}

/* The deadline of a task opened now: REVIEW_RECTIFY_DAYS working days. */
static int task_deadline(struct review *r, struct store_conn *c, int64_t now, int64_t *deadline,
                         struct err *err)
{
    int64_t version = calendar_version(c);
    pthread_mutex_lock(&r->lock);
    if (r->cal == NULL || calendar_loaded_version(r->cal) < version) {
        struct calendar *cal = NULL;
        if (calendar_load(r->store, CALENDAR_SCOPES_XIZANG, &cal, err) < 0) {
            pthread_mutex_unlock(&r->lock);
            return -1;
        }
        calendar_free(r->cal);
        r->cal = cal;
    }
    int rc = calendar_deadline_ms(r->cal, now, REVIEW_RECTIFY_DAYS, deadline, err);
    pthread_mutex_unlock(&r->lock);
    return rc;
}

static void audit_in(struct store_conn *c, int64_t actor, const char *action, const char *object,
                     const char *ip, const char *detail, struct err *err, int *failed)
{
    struct audit_event ev = {actor, action, object, "ok", ip, detail};
    if (!*failed && audit_record(c, &ev, err) < 0)
        *failed = 1;
}

void review_on_count(struct review *r, review_count_fn fn, void *ctx)
{
    r->on_count = fn;
    r->on_count_ctx = ctx;
}

/* The running totals, and the hook (oversight's figures per day) in the same transaction. */
static int count_add(struct review *r, struct store_conn *c, int64_t dept, const char *item,
                     int level, int64_t now, struct err *err)
{
    if (review_db_count_add(c, dept, item, level, err) < 0)
        return -1;
    return r->on_count != NULL ? r->on_count(r->on_count_ctx, c, dept, item, level, now, err) : 0;
}

/* ---- rating ----------------------------------------------------------------------------- */

int review_rate(struct review *r, const struct authz_subject *subj,
                const struct review_rating_in *in, json_t *problems, int64_t *rating_id, int *round,
                struct err *err)
{
    int bad_fields = 0;
    if (in->level < 1 || in->level > 5) {
        problem(problems, "level", "review.bad_level");
        bad_fields++;
    }
    if (!review_channel_valid(in->channel)) {
        problem(problems, "channel", "review.bad_channel");
        bad_fields++;
    }
    if (in->comment != NULL && chars(in->comment) > REVIEW_TEXT_MAX) {
        problem(problems, "comment", "review.comment_too_long");
        bad_fields++;
    }
    if (bad_fields)
        return 1;
    struct target t;
    if (lookup(r, in->application_id, &t, err) < 0)
        return -1;
    struct authz_object obj = {t.applicant, t.department, 0};
    int staff = strcmp(in->channel, "counter") == 0 || strcmp(in->channel, "hotline") == 0;
    int allowed = !staff ? authz_allowed(subj, "review.rate", &obj)
                  : strcmp(in->channel, "counter") == 0
                      ? authz_allowed(subj, "review.record", &obj)
                      : authz_allowed(subj, "review.record_hotline", &obj);
    if (!allowed)
        return err_set(err, 404, "review.not_found", "no application with this id can be rated");
    if (!t.decided)
        return err_set(err, 409, "review.not_decided",
                       "an application is rated after its decision");

    struct store_conn *c = store_conn(r->store, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    struct review_last last;
    int64_t now = time_now_ms(), id = id_next(), deadline = 0;
    if (review_db_last(c, in->application_id, &last, err) < 0)
        goto fail;
    if (last.found && last.level >= REVIEW_BASIC) {
        err_set(err, 409, "review.already_rated", "this application is rated");
        goto fail;
    }
    if (last.found && (!last.has_task || last.task_open)) {
        err_set(err, 409, "review.awaiting_response",
                "the department has not answered the last rating yet");
        goto fail;
    }
    int rnd = last.found ? last.round + 1 : 1;
    int is_bad = in->level <= REVIEW_UNSATISFIED;
    if (is_bad && task_deadline(r, c, now, &deadline, err) < 0)
        goto fail;
    const char *comment = in->comment && *in->comment ? in->comment : NULL;
    if (review_db_rating_insert(c, id, in->application_id, rnd, in->level, in->channel, comment,
                                t.applicant, staff ? subj->account_id : 0, t.department, t.item,
                                now, err) < 0) {
        if (strcmp(err->code, "store.conflict") == 0)
            err_set(err, 409, "review.already_rated", "this round is rated already");
        goto fail;
    }
    char object[48], detail[128], link[64], date[11];
    snprintf(object, sizeof(object), "application:%lld", (long long)in->application_id);
    snprintf(detail, sizeof(detail), "round=%d level=%d channel=%s", rnd, in->level, in->channel);
    snprintf(link, sizeof(link), "/reviews/%lld", (long long)in->application_id);
    int failed = 0;
    audit_in(c, subj->account_id, "review.rate", object, in->ip, detail, err, &failed);
    if (failed)
        goto fail;
    json_t *params = json_pack("{s:o, s:i, s:i}", "item", item_param(r, t.item), "level", in->level,
                               "round", rnd);
    struct notify_msg to_applicant = {.account_id = t.applicant,
                                      .lang = in->lang,
                                      .kind = is_bad ? "review.notice.task_opened"
                                                     : "review.notice.thanks",
                                      .params = params,
                                      .link = link};
    /* A walk-in applicant without a platform account has no inbox to tell. */
    int nrc = t.applicant != 0 ? notify_send(r->notify, &to_applicant, err) : 0;
    if (nrc == 0 && is_bad) {
        int64_t task = id_next();
        json_object_set_new(params, "deadline",
                            json_string(calendar_format_date(calendar_day_of_ms(deadline), date)));
        struct notify_msg to_dept = {.department_id = t.department,
                                     .lang = "zh",
                                     .kind = "review.notice.bad_rating",
                                     .params = params,
                                     .link = "/workbench/rectifications"};
        nrc = review_db_task_insert(c, task, id, in->application_id, t.department, t.applicant,
                                    t.item, deadline, now, err) < 0 ||
                      notify_send(r->notify, &to_dept, err) < 0
                  ? -1
                  : 0;
        char tobj[48];
        snprintf(tobj, sizeof(tobj), "rectification:%lld", (long long)task);
        if (nrc == 0)
            audit_in(c, subj->account_id, "review.task_open", tobj, in->ip, object, err, &failed);
    }
    json_decref(params);
    if (nrc < 0 || failed || count_add(r, c, t.department, t.item, in->level, now, err) < 0 ||
        bump_version(c, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    if (rating_id != NULL)
        *rating_id = id;
    if (round != NULL)
        *round = rnd;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- responding ------------------------------------------------------------------------- */

int review_respond(struct review *r, const struct authz_subject *subj, int64_t task_id,
                   const char *response, const char *ip, json_t *problems, struct err *err)
{
    struct store_conn *c = store_conn(r->store, err);
    if (c == NULL)
        return -1;
    struct review_task_row task;
    int found = 0;
    if (review_db_task_get(c, task_id, &task, &found, err) < 0)
        return -1;
    struct authz_object obj = {0, task.department_id, 0};
    if (!found || !authz_allowed(subj, "review.respond", &obj))
        return err_set(err, 404, "review.task_not_found", "no such rectification task");
    size_t n = chars(response);
    const char *p = response;
    while (p && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    if (p == NULL || *p == '\0') {
        problem(problems, "response", "review.response_required");
        return 1;
    }
    if (n > REVIEW_TEXT_MAX) {
        problem(problems, "response", "review.response_too_long");
        return 1;
    }
    if (!task.open)
        return err_set(err, 409, "review.already_responded", "this task has been answered");
    int64_t now = time_now_ms();
    int changed = 0, failed = 0;
    char object[48], link[64];
    snprintf(object, sizeof(object), "rectification:%lld", (long long)task_id);
    snprintf(link, sizeof(link), "/reviews/%lld", (long long)task.application_id);
    if (store_begin(c, err) < 0)
        return -1;
    if (review_db_task_respond(c, task_id, response, subj->account_id, now, &changed, err) < 0)
        goto fail;
    if (!changed) {
        err_set(err, 409, "review.already_responded", "this task has been answered");
        goto fail;
    }
    audit_in(c, subj->account_id, "review.respond", object, ip, NULL, err, &failed);
    json_t *params = json_pack("{s:o}", "item", item_param(r, task.item_code));
    struct notify_msg m = {.account_id = task.applicant_account,
                           .kind = "review.notice.responded",
                           .params = params,
                           .link = link};
    int nrc = failed ? -1 : task.applicant_account != 0 ? notify_send(r->notify, &m, err) : 0;
    json_decref(params);
    if (nrc < 0 || count_add(r, c, task.department_id, task.item_code, 0, now, err) < 0 ||
        bump_version(c, err) < 0 || store_commit(c, err) < 0)
        goto fail;
    return 0;
fail:
    store_rollback(c);
    return -1;
}

/* ---- reading ---------------------------------------------------------------------------- */

int review_history(struct review *r, const struct authz_subject *subj, int64_t application_id,
                   json_t **out, struct err *err)
{
    struct target t;
    if (lookup(r, application_id, &t, err) < 0)
        return -1;
    struct authz_object obj = {t.applicant, t.department, 0};
    int applicant = authz_allowed(subj, "review.rate", &obj);
    if (!applicant && !staff_sees(subj, &t))
        return err_set(err, 404, "review.not_found", "no application with this id can be rated");
    struct store_conn *c = store_conn(r->store, err);
    struct review_last last;
    json_t *ratings = json_array();
    if (c == NULL || review_db_last(c, application_id, &last, err) < 0 ||
        review_db_history(c, application_id, ratings, err) < 0) {
        json_decref(ratings);
        return -1;
    }
    int open_round =
        !last.found || (last.level <= REVIEW_UNSATISFIED && last.has_task && !last.task_open);
    char app[24], dept[24];
    snprintf(app, sizeof(app), "%lld", (long long)application_id);
    snprintf(dept, sizeof(dept), "%lld", (long long)t.department);
    *out = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:o}", "application_id", app, "item_code",
                     t.item, "department_id", dept, "decided", t.decided, "can_rate",
                     applicant && t.decided && open_round, "can_record",
                     t.decided && open_round &&
                         (authz_allowed(subj, "review.record", &obj) ||
                          authz_allowed(subj, "review.record_hotline", &obj)),
                     "next_round", last.found ? last.round + 1 : 1, "ratings", ratings);
    return *out ? 0 : err_set(err, 500, "review.oom", "out of memory");
}

static int has_dept(int64_t *seen, size_t n, int64_t d)
{
    for (size_t i = 0; i < n; i++)
        if (seen[i] == d)
            return 1;
    return 0;
}

int review_tasks(struct review *r, const struct authz_subject *subj, const char *status,
                 int64_t now_ms, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(r->store, err);
    if (c == NULL)
        return -1;
    json_t *arr = json_array();
    int64_t seen[AUTHZ_MAX_GRANTS];
    size_t nseen = 0;
    for (size_t g = 0; g < subj->ngrants && g < AUTHZ_MAX_GRANTS; g++) {
        int64_t d = subj->grants[g].department_id;
        struct authz_object obj = {0, d, 0};
        if (has_dept(seen, nseen, d) || !authz_allowed(subj, "review.respond", &obj))
            continue;
        seen[nseen++] = d;
        if (review_db_tasks(c, d, status, now_ms, arr, err) < 0) {
            json_decref(arr);
            return -1;
        }
    }
    *out = arr;
    return 0;
}

/* ---- statistics ------------------------------------------------------------------------- */

static json_t *row_for(json_t *index, json_t *list, const char *keyname, const char *key)
{
    json_t *row = json_object_get(index, key);
    if (row != NULL)
        return row;
    row = json_pack("{s:s, s:{s:i, s:i, s:i, s:i, s:i}, s:i, s:i, s:i, s:i}", keyname, key,
                    "counts", "1", 0, "2", 0, "3", 0, "4", 0, "5", 0, "total", 0, "satisfied", 0,
                    "bad", 0, "rectified", 0);
    json_object_set_new(index, key, row);
    json_array_append(list, row);
    return row;
}

static void add_int(json_t *o, const char *k, int64_t n)
{
    json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + n));
}

struct stats_ctx {
    json_t *index, *list, *total;
    const char *keyname;
};

/* One running total: a rating count of a level (1..5) or, at level 0, bad ratings rectified.
 * Department rows also add up to the overall total. */
static void on_count(void *ctx, int by_item, const char *key, int level, int64_t n)
{
    struct stats_ctx *s = (struct stats_ctx *)ctx + (by_item ? 1 : 0);
    if (level < 0 || level > 5)
        return;
    json_t *targets[2] = {row_for(s->index, s->list, s->keyname, key), s->total};
    for (int i = 0; i < (s->total ? 2 : 1); i++) {
        if (level == 0) {
            add_int(targets[i], "rectified", n);
            continue;
        }
        char lk[2] = {(char)('0' + level), 0};
        add_int(json_object_get(targets[i], "counts"), lk, n);
        add_int(targets[i], "total", n);
        if (level >= REVIEW_BASIC)
            add_int(targets[i], "satisfied", n);
        else
            add_int(targets[i], "bad", n);
    }
}

/* satisfaction rate = (5 + 4 + 3) / all, in percent with one decimal; null without ratings. */
static void rates(json_t *list)
{
    size_t i;
    json_t *row;
    json_array_foreach(list, i, row)
    {
        int64_t total = json_integer_value(json_object_get(row, "total"));
        int64_t sat = json_integer_value(json_object_get(row, "satisfied"));
        json_object_set_new(row, "satisfaction_rate",
                            total > 0 ? json_real((double)((sat * 1000 + total / 2) / total) / 10.0)
                                      : json_null());
    }
}

int review_stats(struct review *r, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(r->store, err);
    if (c == NULL)
        return -1;
    json_t *total, *tl = json_array(), *ti = json_object();
    json_t *depts = json_array(), *di = json_object(), *items = json_array(), *ii = json_object();
    row_for(ti, tl, "scope", "all");
    total = json_incref(json_array_get(tl, 0));
    struct stats_ctx sc[2] = {{di, depts, total, "department_id"}, {ii, items, NULL, "item_code"}};
    int rc = review_db_counts(c, on_count, sc, err);
    rates(depts);
    rates(items);
    rates(tl);
    json_decref(di);
    json_decref(ii);
    json_decref(ti);
    if (rc < 0) {
        json_decref(total);
        json_decref(tl);
        json_decref(depts);
        json_decref(items);
        return -1;
    }
    json_decref(tl);
    *out = json_pack("{s:s, s:o, s:o, s:o}", "formula", "(5+4+3)/(1+2+3+4+5)", "departments", depts,
                     "items", items, "total", total);
    return 0;
}

int review_is_rated(struct review *r, int64_t application_id, int *rated, struct err *err)
{
    struct store_conn *c = store_conn(r->store, err);
    struct review_last last;
    *rated = 0;
    if (c == NULL || review_db_last(c, application_id, &last, err) < 0)
        return -1;
    *rated = last.found;
    return 0;
}
