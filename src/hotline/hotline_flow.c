/*
 * hotline_flow.c - the work order workflow (answer, dispatch, accept, send back, reply, rate,
 * supervise, extend, merge: each one audited transition) and the deadlines job (reminders
 * and escalation). No HTTP here (hotline_http.c).
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

/* ---- the workflow -------------------------------------------------------------------- */

/* Tell the caller (and record it on the timeline): inside the transaction. */
static int notify_caller(struct hotline *h, struct store_conn *c, struct arena *a,
                         const struct hotline_row *r, const char *kind, struct err *err)
{
    const char *phone = hotline_open_phone(h, a, r);
    if (r->o.caller_account == 0 && phone == NULL)
        return 0;
    if (h->hooks.notify != NULL) {
        json_t *params = json_pack("{s:s}", "number", r->o.number);
        int rc = h->hooks.notify(h->hooks.ctx, r->o.caller_account, phone, r->o.lang, kind, params,
                                 arena_printf(a, "/hotline/status?number=%s", r->o.number), err);
        json_decref(params);
        if (rc < 0)
            return -1;
    }
    return hotline_db_event_insert(c, r->o.id, 0, "notice", 0, kind, err);
}

typedef int (*mutate_fn)(struct hotline *h, struct store_conn *c, struct arena *a,
                         struct hotline_row *r, void *arg, struct err *err);

/* Load the order, check its state is one of `from`, let `fn` change it, write it with
 * the old state as guard, the event, the audit record; one transaction. */
static int transition(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *from, const char *action, const char *event, const char *note,
                      mutate_fn fn, void *arg, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "hotline.oom", "out of memory");
    struct hotline_row r;
    int found = 0, rc = -1;
    if (store_begin(c, err) < 0)
        goto out;
    if (hotline_db_order_get(c, a, 1, 0, number, &r, &found, err) < 0)
        goto fail;
    if (!found) {
        err_set(err, 404, "hotline.not_found", "no such order");
        goto fail;
    }
    if (!hotline_one_of(r.o.status, from)) {
        err_set(err, 409, "hotline.bad_state", "the order is %s: this cannot be done now",
                r.o.status);
        goto fail;
    }
    const char *old = arena_strdup(a, r.o.status);
    struct hotline_order before = r.o;
    before.status = old;
    int64_t ext = 0;
    r.o.updated_at = time_now_ms();
    if (fn(h, c, a, &r, arg, err) < 0)
        goto fail;
    int64_t changed = 0;
    if (hotline_db_order_update(c, &r.o, old, ext, &changed, err) < 0)
        goto fail;
    if (changed == 0) {
        err_set(err, 409, "hotline.bad_state", "the order changed meanwhile");
        goto fail;
    }
    char object[64];
    snprintf(object, sizeof(object), "hotline_order:%s", r.o.number);
    struct audit_event ev = {actor, action, object, "ok", ip, r.o.status};
    if (hotline_db_event_insert(c, r.o.id, actor, event, r.o.department_id, note, err) < 0 ||
        hotline_daily_change(c, &before, &r.o, err) < 0 || audit_record(c, &ev, err) < 0 ||
        hotline_index_order(h, a, &r.o, err) < 0)
        goto fail;
    rc = store_commit(c, err);
    if (rc == 0)
        hotline_indexed(h);
    goto out;
fail:
    store_rollback(c);
out:
    arena_free(a);
    return rc;
}

int hotline_check_text(const char *s, size_t min, size_t max, const char *code, struct err *err)
{
    size_t n = s ? hotline_chars(s) : 0;
    if (n < min || n > max)
        return err_set(err, 400, code, "between %zu and %zu characters", min, max);
    return 0;
}

int hotline_check_category(struct hotline *h, const char *cat, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    int found = 0;
    if (c == NULL)
        return -1;
    if (cat == NULL || *cat == '\0')
        return err_set(err, 400, "hotline.category_required", "choose a category");
    if (hotline_db_category_exists(c, cat, &found, err) < 0)
        return -1;
    return found ? 0 : err_set(err, 400, "hotline.bad_category", "no such category");
}

struct answer_arg {
    const char *category, *answer;
};

static int do_answer(struct hotline *h, struct store_conn *c, struct arena *a,
                     struct hotline_row *r, void *arg, struct err *err)
{
    struct answer_arg *x = arg;
    r->o.status = HOTLINE_ANSWERED;
    r->o.category = x->category;
    r->o.reply = x->answer;
    r->o.replied_at = r->o.updated_at;
    return notify_caller(h, c, a, r, "hotline.notice.answered", err);
}

int hotline_answer(struct hotline *h, int64_t actor, const char *ip, const char *number,
                   const char *category, const char *answer, struct err *err)
{
    if (hotline_check_category(h, category, err) < 0 ||
        hotline_check_text(answer, 2, 4000, "hotline.answer_required", err) < 0)
        return -1;
    struct answer_arg x = {category, answer};
    return transition(h, actor, ip, number, "new returned", "hotline.answer", "answered", NULL,
                      do_answer, &x, err);
}

struct dispatch_arg {
    const char *category;
    int64_t dept, actor;
};

static int do_dispatch(struct hotline *h, struct store_conn *c, struct arena *a,
                       struct hotline_row *r, void *arg, struct err *err)
{
    struct dispatch_arg *x = arg;
    r->o.status = HOTLINE_DISPATCHED;
    r->o.category = x->category;
    r->o.department_id = x->dept;
    r->o.dispatched_at = r->o.updated_at;
    r->o.accepted_at = 0;
    if (hotline_deadline(h, r->o.urgency, r->o.updated_at, &r->o.deadline_at, err) < 0)
        return -1;
    /* The agent's confirmation or correction of the suggestion: stored for training and
     * for the measure of how often suggestions are right. */
    if (hotline_db_correction_insert(c, r->o.id, r->o.suggested_category, r->o.suggested_department,
                                     x->category, x->dept, x->actor, err) < 0)
        return -1;
    return notify_caller(h, c, a, r, "hotline.notice.dispatched", err);
}

int hotline_dispatch(struct hotline *h, int64_t actor, const char *ip, const char *number,
                     const char *category, int64_t department_id, struct err *err)
{
    struct store_conn *c = store_conn(h->store, err);
    int found = 0;
    if (c == NULL || hotline_check_category(h, category, err) < 0)
        return -1;
    if (department_id > 0 && identity_department_exists(h->id, department_id, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 400, "hotline.bad_department", "choose a department");
    struct dispatch_arg x = {category, department_id, actor};
    return transition(h, actor, ip, number, "new returned", "hotline.dispatch", "dispatched", NULL,
                      do_dispatch, &x, err);
}

static int do_accept(struct hotline *h, struct store_conn *c, struct arena *a,
                     struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)c, (void)a, (void)arg, (void)err;
    r->o.status = HOTLINE_ACCEPTED;
    r->o.accepted_at = r->o.updated_at;
    return 0;
}

int hotline_accept(struct hotline *h, int64_t actor, const char *ip, const char *number,
                   struct err *err)
{
    return transition(h, actor, ip, number, "dispatched", "hotline.accept", "accepted", NULL,
                      do_accept, NULL, err);
}

static int do_send_back(struct hotline *h, struct store_conn *c, struct arena *a,
                        struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)c, (void)a, (void)arg, (void)err;
    r->o.status = HOTLINE_RETURNED;
    r->o.deadline_at = 0;
    return 0;
}

int hotline_send_back(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *reason, struct err *err)
{
    if (hotline_check_text(reason, 2, 1000, "hotline.reason_required", err) < 0)
        return -1;
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.send_back", "returned",
                      reason, do_send_back, NULL, err);
}

static int do_reply(struct hotline *h, struct store_conn *c, struct arena *a, struct hotline_row *r,
                    void *arg, struct err *err)
{
    r->o.status = HOTLINE_REPLIED;
    r->o.reply = arg;
    r->o.replied_at = r->o.updated_at;
    return notify_caller(h, c, a, r, "hotline.notice.replied", err);
}

int hotline_reply(struct hotline *h, int64_t actor, const char *ip, const char *number,
                  const char *reply, struct err *err)
{
    if (hotline_check_text(reply, 2, 4000, "hotline.reply_required", err) < 0)
        return -1;
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.reply", "replied", NULL,
                      do_reply, (void *)reply, err);
}

struct rate_arg {
    int rating, reopen;
};

static int do_rate(struct hotline *h, struct store_conn *c, struct arena *a, struct hotline_row *r,
                   void *arg, struct err *err)
{
    (void)c, (void)a;
    struct rate_arg *x = arg;
    r->o.rating = x->rating;
    if (x->rating <= 2 && x->reopen && r->o.department_id != 0 &&
        strcmp(r->o.status, HOTLINE_REPLIED) == 0) {
        r->o.status = HOTLINE_DISPATCHED;
        r->o.dispatched_at = r->o.updated_at;
        r->o.accepted_at = r->o.replied_at = 0;
        return hotline_deadline(h, r->o.urgency, r->o.updated_at, &r->o.deadline_at, err);
    }
    r->o.status = HOTLINE_CLOSED;
    r->o.closed_at = r->o.updated_at;
    return 0;
}

int hotline_rate(struct hotline *h, int64_t actor, const char *ip, const char *number, int rating,
                 const char *comment, int reopen, struct err *err)
{
    if (rating < 1 || rating > 5)
        return err_set(err, 400, "hotline.bad_rating", "a rating is 1 to 5");
    if (comment != NULL && hotline_chars(comment) > 1000)
        return err_set(err, 400, "hotline.comment_too_long", "at most 1000 characters");
    struct rate_arg x = {rating, reopen};
    char note[1100];
    snprintf(note, sizeof(note), "%d%s%s", rating, comment && *comment ? " " : "",
             comment ? comment : "");
    return transition(h, actor, ip, number, "replied answered",
                      actor ? "hotline.callback" : "hotline.rate",
                      rating <= 2 && reopen ? "reopened" : (actor ? "callback" : "rated"), note,
                      do_rate, &x, err);
}

static int do_nothing(struct hotline *h, struct store_conn *c, struct arena *a,
                      struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)c, (void)a, (void)r, (void)arg, (void)err;
    return 0;
}

int hotline_supervise(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *note, struct err *err)
{
    if (hotline_check_text(note, 2, 1000, "hotline.note_required", err) < 0)
        return -1;
    return transition(h, actor, ip, number, "new dispatched accepted returned replied answered",
                      "hotline.supervise", "supervised", note, do_nothing, NULL, err);
}

int hotline_extension_request(struct hotline *h, int64_t actor, const char *ip, const char *number,
                              int hours, const char *reason, struct err *err)
{
    if (hours < 1 || hours > 24 * 60)
        return err_set(err, 400, "hotline.bad_hours", "1 to 1440 hours");
    if (hotline_check_text(reason, 2, 1000, "hotline.reason_required", err) < 0)
        return -1;
    char note[1100];
    snprintf(note, sizeof(note), "%d %s", hours, reason);
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.extension_request",
                      "extension_requested", note, do_nothing, NULL, err);
}

static int do_extend(struct hotline *h, struct store_conn *c, struct arena *a,
                     struct hotline_row *r, void *arg, struct err *err)
{
    (void)h, (void)a, (void)arg;
    int64_t hours = 0;
    if (hotline_db_pending_extension(c, r->o.id, &hours, err) < 0)
        return -1;
    if (hours <= 0)
        return err_set(err, 409, "hotline.no_extension", "no extension was requested");
    r->o.deadline_at += hours * 3600 * 1000;
    return 0;
}

int hotline_extension_approve(struct hotline *h, int64_t actor, const char *ip, const char *number,
                              struct err *err)
{
    return transition(h, actor, ip, number, "dispatched accepted", "hotline.extension_approve",
                      "extension_approved", NULL, do_extend, NULL, err);
}

static int do_merge(struct hotline *h, struct store_conn *c, struct arena *a, struct hotline_row *r,
                    void *arg, struct err *err)
{
    const struct hotline_row *into = arg;
    r->o.status = HOTLINE_MERGED;
    r->o.merged_into = into->o.id;
    r->o.closed_at = r->o.updated_at;
    r->o.deadline_at = 0;
    if (hotline_db_event_insert(c, into->o.id, 0, "merged_in", 0, r->o.number, err) < 0 ||
        notify_caller(h, c, a, r, "hotline.notice.merged", err) < 0 ||
        notify_caller(h, c, a, into, "hotline.notice.merged", err) < 0)
        return -1;
    return 0;
}

int hotline_merge(struct hotline *h, int64_t actor, const char *ip, const char *number,
                  const char *into, struct err *err)
{
    if (number == NULL || into == NULL || strcmp(number, into) == 0)
        return err_set(err, 400, "hotline.bad_merge", "merge into another order");
    struct store_conn *c = store_conn(h->store, err);
    struct arena *a = arena_new(0);
    struct hotline_row target;
    int found = 0;
    if (c == NULL || a == NULL ||
        hotline_db_order_get(c, a, 1, 0, into, &target, &found, err) < 0) {
        arena_free(a);
        return -1;
    }
    int rc;
    if (!found || hotline_one_of(target.o.status, "merged closed"))
        rc = err_set(err, 400, "hotline.bad_merge", "the target order is unknown or closed");
    else
        rc = transition(h, actor, ip, number, "new dispatched accepted returned", "hotline.merge",
                        "merged", into, do_merge, &target, err);
    arena_free(a);
    return rc;
}

/* ---- deadlines ------------------------------------------------------------------------ */

const char *hotline_mark(const struct hotline_order *o, int64_t now_ms)
{
    if (o->deadline_at <= 0 || !hotline_one_of(o->status, "dispatched accepted"))
        return o->deadline_at > 0 && o->replied_at > o->deadline_at ? "red" : "green";
    if (now_ms > o->deadline_at)
        return "red";
    int64_t span = o->deadline_at - o->dispatched_at;
    if (span > 0 && (double)(now_ms - o->dispatched_at) >= 0.8 * (double)span)
        return "yellow";
    return "green";
}

int hotline_tick(struct hotline *h, int64_t now_ms, int *reminded, int *escalated, struct err *err)
{
    *reminded = *escalated = 0;
    struct store_conn *c = store_conn(h->store, err);
    struct arena *a = arena_new(0);
    if (c == NULL || a == NULL) {
        arena_free(a);
        return c == NULL ? -1 : err_set(err, 500, "hotline.oom", "out of memory");
    }
    int rc = -1;
    for (int esc = 0; esc <= 1; esc++) {
        struct hotline_row *rows = NULL;
        size_t n = 0;
        if (hotline_db_due(c, a, now_ms, esc, &rows, &n, err) < 0)
            goto out;
        for (size_t i = 0; i < n; i++) {
            struct hotline_order *o = &rows[i].o;
            if (!esc && strcmp(hotline_mark(o, now_ms), "yellow") != 0)
                continue;
            int64_t heads[16];
            size_t nh = 0;
            if (store_begin(c, err) < 0)
                goto out;
            if (hotline_db_order_marks(c, o->id, esc ? now_ms : now_ms, esc ? now_ms : 0, err) <
                    0 ||
                hotline_db_event_insert(c, o->id, 0, esc ? "escalated" : "reminded",
                                        o->department_id, NULL, err) < 0 ||
                identity_department_holders(h->id, o->department_id, esc ? ROLE_HEAD : ROLE_CLERK,
                                            heads, 16, &nh, err) < 0) {
                store_rollback(c);
                goto out;
            }
            for (size_t k = 0; k < nh && h->hooks.notify; k++) {
                json_t *p = json_pack("{s:s}", "number", o->number);
                int r =
                    h->hooks.notify(h->hooks.ctx, heads[k], NULL, "zh",
                                    esc ? "hotline.notice.escalated" : "hotline.notice.reminder", p,
                                    arena_printf(a, "/hotline/orders/%s", o->number), err);
                json_decref(p);
                if (r < 0) {
                    store_rollback(c);
                    goto out;
                }
            }
            char object[64];
            snprintf(object, sizeof(object), "hotline_order:%s", o->number);
            struct audit_event ev = {
                0, esc ? "hotline.escalate" : "hotline.remind", object, "ok", NULL, NULL};
            if (audit_record(c, &ev, err) < 0) {
                store_rollback(c);
                goto out;
            }
            if (store_commit(c, err) < 0)
                goto out;
            if (esc)
                (*escalated)++;
            else
                (*reminded)++;
        }
    }
    rc = 0;
out:
    arena_free(a);
    return rc;
}
