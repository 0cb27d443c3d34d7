/*
 * benefits.c - the rules, the platform's data source, the eligibility job (offers, notices,
 * audit) and the person's decisions. No HTTP and no SQL here.
 */
#include "benefits/benefits_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/utf8.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "store/store.h"

/* The demo benefit: 城关区 高龄津贴, residents of Chengguan District aged 80 or more. */
const struct benefits_rule benefits_rules[] = {
    {"elderly-allowance-540102", "benefits.name.elderly_allowance", "540102", 80, 0},
};
const size_t benefits_nrules = sizeof(benefits_rules) / sizeof(benefits_rules[0]);

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int benefits_eligible(const struct benefits_rule *r, const char *id, int today, int *age)
{
    if (id == NULL || strlen(id) != 18 || !digits(id, 14) ||
        strncmp(id, r->region, strlen(r->region)) != 0)
        return 0;
    int birth = atoi((char[9]){id[6], id[7], id[8], id[9], id[10], id[11], id[12], id[13], 0});
    int years = today / 10000 - birth / 10000;
    if (today % 10000 < birth % 10000)
        years--; /* no birthday yet this year */
    *age = years;
    return years >= r->min_age && years < 150;
}

static int today_china(void)
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int benefits_open(struct store *st, struct notify *nf, struct identity *id, struct benefits **out,
                  struct err *err)
{
    struct benefits *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return err_set(err, 500, "benefits.oom", "out of memory");
    b->store = st;
    b->notify = nf;
    b->id = id;
    b->src = benefits_platform_source(b);
    *out = b;
    return 0;
}

void benefits_close(struct benefits *b)
{
    free(b);
}

void benefits_set_source(struct benefits *b, const struct benefits_source *src)
{
    b->src = *src;
}

/* ---- the platform's data ---------------------------------------------------------------- */

struct page {
    int64_t ids[500];
    char langs[500][4];
    size_t n;
};

static int collect(void *ctx, int64_t account_id, const char *lang)
{
    struct page *p = ctx;
    p->ids[p->n] = account_id;
    snprintf(p->langs[p->n], sizeof(p->langs[0]), "%s", lang ? lang : "zh");
    p->n++;
    return 0;
}

static int platform_each(void *ctx, benefits_person_fn fn, void *fnctx, struct err *err)
{
    struct benefits *b = ctx;
    struct page *p = malloc(sizeof(*p));
    int64_t after = 0;
    int rc = 0;
    if (p == NULL)
        return err_set(err, 500, "benefits.oom", "out of memory");
    for (;;) {
        size_t got = 0;
        p->n = 0;
        if (identity_citizens_page(b->id, after, 500, collect, p, &after, &got, err) < 0) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < p->n && rc == 0; i++) {
            struct arena *a = arena_new(0);
            const char *idn = NULL, *phone = NULL;
            if (a == NULL || identity_account_private(b->id, a, p->ids[i], &idn, &phone, err) < 0)
                rc = -1;
            else {
                struct benefits_person person = {p->ids[i], idn, p->langs[i]};
                rc = fn(fnctx, &person, err);
            }
            arena_free(a);
        }
        if (rc < 0 || got < 500)
            break;
    }
    free(p);
    return rc;
}

struct benefits_source benefits_platform_source(struct benefits *b)
{
    return (struct benefits_source){b, platform_each};
}

/* ---- the eligibility job ---------------------------------------------------------------- */

struct job {
    struct benefits *b;
    const struct benefits_rule *rule;
    int today;
    struct benefits_run *run;
};

static int offer(struct job *j, const struct benefits_person *p, int age, struct err *err)
{
    const struct benefits_rule *r = j->rule;
    json_t *reason = json_pack("{s:i, s:s, s:i, s:i}", "age", age, "region", r->region, "min_age",
                               r->min_age, "as_of", j->today);
    char *rs = reason ? json_dumps(reason, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(reason);
    if (rs == NULL)
        return err_set(err, 500, "benefits.oom", "out of memory");
    struct store_conn *c = store_conn(j->b->store, err);
    int64_t gid = id_next(), now = time_now_ms();
    int inserted = 0, rc = -1;
    const char *status = r->grant_outright ? "granted" : "offered";
    if (c == NULL || store_begin(c, err) < 0)
        goto out;
    if (benefits_db_insert(c, gid, r->code, p->account_id, status, rs, now, &inserted, err) < 0)
        goto fail;
    if (inserted) {
        char object[48], link[48];
        snprintf(object, sizeof(object), "benefit:%lld", (long long)gid);
        snprintf(link, sizeof(link), "/benefits#b%lld", (long long)gid);
        struct audit_event ev = {
            0, r->grant_outright ? "benefit.grant" : "benefit.offer", object, "ok", NULL, rs};
        json_t *params = json_pack("{s:i}", "age", age);
        struct notify_msg m = {.account_id = p->account_id,
                               .lang = p->lang,
                               .kind = r->grant_outright ? "benefit.granted" : "benefit.offered",
                               .params = params,
                               .link = link};
        int sent = audit_record(c, &ev, err) == 0 ? notify_send(j->b->notify, &m, err) : -1;
        json_decref(params);
        if (sent < 0)
            goto fail;
        j->run->offered++;
    }
    if (store_commit(c, err) < 0)
        goto out;
    rc = 0;
    goto out;
fail:
    store_rollback(c);
out:
    free(rs);
    return rc;
}

static int visit(void *ctx, const struct benefits_person *p, struct err *err)
{
    struct job *j = ctx;
    int age = 0;
    j->run->people++;
    if (!benefits_eligible(j->rule, p->id_number, j->today, &age))
        return 0;
    j->run->eligible++;
    return p->account_id > 0 ? offer(j, p, age, err) : 0;
}

int benefits_run_rules(struct benefits *b, const char *only, int today, struct benefits_run *out,
                       struct err *err)
{
    memset(out, 0, sizeof(*out));
    int ran = 0;
    for (size_t i = 0; i < benefits_nrules; i++) {
        if (only && strcmp(only, benefits_rules[i].code) != 0)
            continue;
        struct job j = {b, &benefits_rules[i], today ? today : today_china(), out};
        if (b->src.each(b->src.ctx, visit, &j, err) < 0)
            return -1;
        ran++;
    }
    return ran ? 0 : err_set(err, 404, "benefits.unknown", "no such benefit");
}

/* ---- decisions -------------------------------------------------------------------------- */

int benefits_of(struct benefits *b, struct arena *a, int64_t account_id,
                struct benefits_grant **out, size_t *count, struct err *err)
{
    struct benefits_grant *rows = arena_alloc(a, sizeof(*rows) * 50);
    struct store_conn *c = store_conn(b->store, err);
    if (rows == NULL || c == NULL)
        return rows == NULL ? err_set(err, 500, "benefits.oom", "out of memory") : -1;
    *out = rows;
    return benefits_db_of(c, a, account_id, rows, 50, count, err);
}

int benefits_decide(struct benefits *b, int64_t account_id, int64_t grant_id, const char *action,
                    const char *note, const char *ip, struct err *err)
{
    const char *to = NULL;
    if (action && strcmp(action, "accept") == 0)
        to = "granted";
    else if (action && strcmp(action, "decline") == 0)
        to = "declined";
    else if (action && strcmp(action, "appeal") == 0)
        to = "appealed";
    else
        return err_set(err, 400, "benefits.bad_action", "accept, decline or appeal");
    if (note && (strlen(note) > 2000 || !utf8_valid(note, strlen(note))))
        return err_set(err, 400, "benefits.bad_note", "the note is too long");
    if (strcmp(to, "appealed") == 0 && (note == NULL || *note == '\0'))
        return err_set(err, 400, "benefits.note_required", "an appeal says why");
    struct store_conn *c = store_conn(b->store, err);
    int64_t owner = 0;
    char status[16] = "";
    int found = 0, changed = 0;
    if (c == NULL || benefits_db_get(c, grant_id, &owner, status, &found, err) < 0)
        return -1;
    if (!found || owner != account_id)
        return err_set(err, 404, "benefits.not_found", "no such benefit");
    int ok = strcmp(to, "appealed") == 0 ? strcmp(status, "appealed") != 0
                                         : strcmp(status, "offered") == 0;
    if (!ok)
        return err_set(err, 409, "benefits.state", "this benefit was already decided");
    char object[48];
    snprintf(object, sizeof(object), "benefit:%lld", (long long)grant_id);
    char detail[32];
    snprintf(detail, sizeof(detail), "%s->%s", status, to);
    struct audit_event ev = {account_id, "benefit.decide", object, "ok", ip, detail};
    if (store_begin(c, err) < 0)
        return -1;
    if (benefits_db_decide(c, grant_id, status, to, note, time_now_ms(), &changed, err) < 0 ||
        (changed && audit_record(c, &ev, err) < 0) || store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return changed ? 0 : err_set(err, 409, "benefits.state", "this benefit was already decided");
}
