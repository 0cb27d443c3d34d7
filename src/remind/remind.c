/*
 * remind.c - the reminders job: which applications and certificates need a reminder today
 * (counted in working days of the Xizang calendar), each sent once through notify.
 */
#include "remind/remind_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "calendar/calendar.h"
#include "notify/notify.h"
#include "store/store.h"

struct job {
    struct notify *nf;
    struct store_conn *c;
    const struct calendar *cal;
    int32_t today;
    int64_t now;
    struct remind_run *out;
};

/* Working days after the day of `ms` up to and including today. */
static int working_days_since(const struct calendar *cal, int64_t ms, int32_t today)
{
    int n = 0;
    for (int32_t d = calendar_day_of_ms(ms) + 1; d <= today && n < 1000; d++)
        n += calendar_is_working(cal, d);
    return n;
}

static int send_once(struct job *j, const char *kind, const struct remind_item *r, json_t *params,
                     const char *link, struct err *err)
{
    char object[48];
    int fresh = 0;
    snprintf(object, sizeof(object), "%lld", (long long)r->id);
    struct notify_msg m = {
        .account_id = r->account, .lang = r->lang, .kind = kind, .params = params, .link = link};
    if (store_begin(j->c, err) < 0)
        return -1;
    if (remind_db_mark(j->c, kind, object, j->now, &fresh, err) < 0 ||
        (fresh && notify_send(j->nf, &m, err) < 0) || store_commit(j->c, err) < 0) {
        store_rollback(j->c);
        return -1;
    }
    return fresh;
}

static int on_returned(void *ctx, const struct remind_item *r)
{
    struct job *j = ctx;
    struct err err;
    err_clear(&err);
    int days = working_days_since(j->cal, r->at, j->today);
    if (days < REMIND_SUPPLEMENT_DAYS)
        return 0;
    json_t *p = json_pack("{s:s, s:s, s:i}", "number", r->number, "item", r->item, "days", days);
    char link[96];
    snprintf(link, sizeof(link), "/applications/%s", r->number);
    int rc = send_once(j, "remind.supplement", r, p, link, &err);
    json_decref(p);
    j->out->supplement += rc > 0;
    return rc < 0 ? -1 : 0;
}

static int on_unrated(void *ctx, const struct remind_item *r)
{
    struct job *j = ctx;
    struct err err;
    err_clear(&err);
    if (working_days_since(j->cal, r->at, j->today) < REMIND_RATING_DAYS)
        return 0;
    json_t *p = json_pack("{s:s, s:s}", "number", r->number, "item", r->item);
    char link[64];
    snprintf(link, sizeof(link), "/reviews/%lld", (long long)r->id);
    int rc = send_once(j, "remind.rating", r, p, link, &err);
    json_decref(p);
    j->out->rating += rc > 0;
    return rc < 0 ? -1 : 0;
}

static int on_expiring(void *ctx, const struct remind_item *r)
{
    struct job *j = ctx;
    struct err err;
    err_clear(&err);
    char date[11];
    calendar_format_date(calendar_day_of_ms(r->at), date);
    json_t *p = json_pack("{s:s, s:s}", "type", r->item, "date", date);
    int rc = send_once(j, "remind.cert_expiry", r, p, "/certificates", &err);
    json_decref(p);
    j->out->cert_expiry += rc > 0;
    return rc < 0 ? -1 : 0;
}

int remind_run(struct store *st, struct notify *nf, const struct remind_sources *src,
               int64_t now_ms, struct remind_run *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct calendar *cal = NULL;
    if (calendar_load(st, CALENDAR_SCOPES_XIZANG, &cal, err) < 0)
        return -1;
    struct job j = {nf, store_conn(st, err), cal, calendar_day_of_ms(now_ms), now_ms, out};
    int rc = -1;
    if (j.c == NULL)
        goto out;
    out->working_day = calendar_is_working(cal, j.today);
    if (!out->working_day) {
        rc = 0;
        goto out;
    }
    if (src->returned(src->ctx, on_returned, &j, err) < 0 ||
        src->unrated(src->ctx, now_ms - 30LL * 86400000, on_unrated, &j, err) < 0 ||
        src->expiring(src->ctx, now_ms, now_ms + REMIND_CERT_DAYS * 86400000LL, on_expiring, &j,
                      err) < 0)
        goto out;
    rc = 0;
out:
    calendar_free(cal);
    return rc;
}

int remind_cli(struct store *st, struct notify *nf, const struct remind_sources *src, int argc,
               char **argv, struct err *err)
{
    if (argc < 1 || argc > 2 || strcmp(argv[0], "run") != 0)
        return err_usage(err, "remind.usage", "usage: onewindow remind run [YYYY-MM-DD]"), 2;
    int64_t now = time_now_ms();
    if (argc == 2) {
        int32_t day;
        if (calendar_parse_date(argv[1], &day, err) < 0)
            return err->usage = 1, 2;
        now = calendar_day_start_ms(day) + 12 * 3600000LL;
    }
    struct remind_run r;
    if (remind_run(st, nf, src, now, &r, err) < 0)
        return 1;
    printf("working_day\t%d\nsupplement\t%d\nrating\t%d\ncert_expiry\t%d\n", r.working_day,
           r.supplement, r.rating, r.cert_expiry);
    return 0;
}
