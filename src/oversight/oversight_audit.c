/*
 * oversight_audit.c - the auditor's desk (审计), for the audit administrator only
 * ("audit.read"; separation of duties, 等保 2.0 三权分立: the system administrator who
 * manages accounts cannot read it):
 *   GET /admin/audit           search by actor (username or account id), action, object,
 *                              outcome and time (?from=, ?to= dates); the newest signed
 *                              checkpoint; ?verify=1 walks the whole chain (audit_verify)
 *   GET /admin/audit/export    a time range as JSON with its proof: every entry with its
 *                              prev_hash and hash (the chain's links, recomputable as
 *                              docs/internals/audit.md says), the newest signed checkpoint
 *                              and its public key, and the verification report
 * Only GET routes: nothing here can change or delete a record.
 */
#include "oversight/oversight_http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "l10n/l10n.h"
#include "store/store.h"

#define AUDIT_PAGE 100
#define AUDIT_EXPORT_MAX 10000

static int need_auditor(struct web_req *req, struct web_resp *resp, struct oversight *o,
                        struct authz_subject *subj)
{
    if (identity_web_subject(o->id, req, resp, subj) < 0)
        return -1;
    if (!authz_allowed(subj, "audit.read", NULL))
        return web_fail(resp, 403, "oversight.auditor_only",
                        "the audit log is for the audit administrator");
    return 0;
}

/* Day bounds in ms (Asia/Shanghai) from ?from= / ?to= dates (empty: open). */
static int time_range(struct web_req *req, struct web_resp *resp, int64_t *from_ms, int64_t *to_ms)
{
    const char *f = web_query(req, "from"), *t = web_query(req, "to");
    *from_ms = 0;
    *to_ms = 0;
    int df = f && *f ? oversight_parse_day(f) : 0, dt = t && *t ? oversight_parse_day(t) : 0;
    if (df < 0)
        return web_fail(resp, 400, "oversight.bad_from", "from is not a date YYYY-MM-DD");
    if (dt < 0)
        return web_fail(resp, 400, "oversight.bad_to", "to is not a date YYYY-MM-DD");
    if (df && dt && df > dt)
        return web_fail(resp, 400, "oversight.bad_period", "the period ends before it begins");
    if (df)
        *from_ms = oversight_day_start_ms(df);
    if (dt)
        *to_ms = oversight_day_start_ms(dt) + 86400000LL - 1;
    return 0;
}

static int filter_of(struct web_req *req, struct web_resp *resp, struct oversight *o,
                     struct audit_filter *f)
{
    memset(f, 0, sizeof(*f));
    const char *actor = web_query(req, "actor");
    if (actor != NULL && *actor) {
        char *end = NULL;
        long long n = strtoll(actor, &end, 10);
        struct err err;
        int64_t id = 0;
        if (end != NULL && *end == '\0' && n > 0)
            id = n;
        else if (identity_account_find_username(o->id, actor, &id, &err) < 0)
            id = -1; /* nobody: no rows */
        f->actor_id = id;
    }
    const char *fields[3] = {web_query(req, "action"), web_query(req, "object"),
                             web_query(req, "outcome")};
    for (int i = 0; i < 3; i++)
        if (fields[i] != NULL && strlen(fields[i]) > 100)
            return web_fail(resp, 400, "oversight.too_long", "a search term is too long");
    f->action = fields[0];
    f->object = fields[1];
    f->outcome = fields[2];
    return time_range(req, resp, &f->from_ms, &f->to_ms);
}

static json_t *report_json(struct web_req *req, const struct audit_report *r)
{
    return json_pack("{s:b, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "ok",
                     r->kind == AUDIT_OK, "state", audit_problem_name(r->kind), "state_label",
                     web_t(req, arena_printf(req->arena, "oversight.audit.states.%s",
                                             audit_problem_name(r->kind))),
                     "entries", (json_int_t)r->entries, "checkpoints", (json_int_t)r->checkpoints,
                     "head_seq", (json_int_t)r->head_seq, "problem_seq", (json_int_t)r->seq,
                     "problem_slot", (json_int_t)r->slot, "slots", (json_int_t)r->slots, "message",
                     r->message);
}

static int h_audit(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    struct audit_filter f;
    if (need_auditor(req, resp, o, &subj) < 0 || filter_of(req, resp, o, &f) < 0)
        return -1;
    f.limit = AUDIT_PAGE;
    struct err err;
    err_clear(&err);
    struct store_conn *c = store_conn(o->store, &err);
    json_t *rows = json_array(), *cp = NULL;
    if (c == NULL || (f.actor_id >= 0 && audit_search(c, &f, rows, &err) < 0) ||
        audit_checkpoint_latest(c, &cp, &err) < 0) {
        json_decref(rows);
        return web_fail_err(resp, &err);
    }
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        json_object_set_new(
            r, "when",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(r, "at")))));
        int64_t actor = oversight_db_json_id(json_object_get(r, "actor_id"));
        struct identity_account acc;
        const char *who = actor == 0 ? web_t(req, "oversight.audit.system") : NULL;
        if (who == NULL && identity_account_summary(o->id, req->arena, actor, &acc, &err) == 0 &&
            acc.username != NULL)
            who = acc.username;
        json_object_set_new(
            r, "actor",
            json_string(who ? who : arena_printf(req->arena, "#%lld", (long long)actor)));
        json_object_del(r, "prev_hash");
    }
    err_clear(&err);
    json_t *m =
        json_pack("{s:s, s:o, s:b, s:o}", "title", web_t(req, "oversight.audit.title"), "entries",
                  rows, "has_entries", json_array_size(rows) > 0, "checkpoint", cp);
    if (json_is_object(cp))
        json_object_set_new(
            cp, "when",
            json_string(l10n_datetime(req->arena, req->lang,
                                      json_integer_value(json_object_get(cp, "at")))));
    static const char *const keep[] = {"actor", "action", "object", "outcome", "from", "to"};
    json_t *q = json_object();
    for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++) {
        const char *v = web_query(req, keep[k]);
        json_object_set_new(q, keep[k], json_string(v ? v : ""));
    }
    json_object_set_new(m, "q", q);
    json_object_set_new(m, "export_url",
                        json_string(arena_printf(req->arena, "/admin/audit/export?from=%s&to=%s",
                                                 json_string_value(json_object_get(q, "from")),
                                                 json_string_value(json_object_get(q, "to")))));
    const char *verify = web_query(req, "verify");
    if (verify != NULL && strcmp(verify, "1") == 0) {
        struct audit_report rep;
        if (audit_verify(o->store, o->kr, &rep, &err) < 0) {
            json_decref(m);
            return web_fail_err(resp, &err);
        }
        json_object_set_new(m, "verification", report_json(req, &rep));
    }
    return web_page(resp, m, "oversight/audit", 200);
}

static int h_export(struct web_req *req, struct web_resp *resp)
{
    struct oversight *o = req->ctx;
    struct authz_subject subj;
    struct audit_filter f;
    if (need_auditor(req, resp, o, &subj) < 0 || filter_of(req, resp, o, &f) < 0)
        return -1;
    f.limit = AUDIT_EXPORT_MAX + 1;
    f.ascending = 1;
    struct err err;
    err_clear(&err);
    struct store_conn *c = store_conn(o->store, &err);
    json_t *rows = json_array(), *cp = NULL;
    struct audit_report rep;
    if (c == NULL || (f.actor_id >= 0 && audit_search(c, &f, rows, &err) < 0) ||
        audit_checkpoint_latest(c, &cp, &err) < 0 ||
        audit_verify(o->store, o->kr, &rep, &err) < 0) {
        json_decref(rows);
        json_decref(cp);
        return web_fail_err(resp, &err);
    }
    if (json_array_size(rows) > AUDIT_EXPORT_MAX) {
        json_decref(rows);
        json_decref(cp);
        return web_fail(resp, 413, "oversight.export_too_large",
                        "more than 10000 entries: choose a shorter period");
    }
    /* The export is a record of what was read: audited like any access to the trail. */
    char detail[96];
    snprintf(detail, sizeof(detail), "entries=%zu", json_array_size(rows));
    struct audit_event ev = {subj.account_id,    "audit.export", NULL, "ok",
                             web_client_ip(req), detail};
    if (audit_record(c, &ev, &err) < 0) {
        json_decref(rows);
        json_decref(cp);
        return web_fail_err(resp, &err);
    }
    json_t *m = json_pack("{s:s, s:s, s:o, s:o, s:o}", "format", "onewindow.audit.export.v1",
                          "hash_rule", "docs/internals/audit.md#format", "entries", rows,
                          "checkpoint", cp, "verification", report_json(req, &rep));
    web_resp_header(resp, "Content-Disposition", "attachment; filename=\"audit-export.json\"");
    req->want_json = 1;
    return web_page(resp, m, NULL, 200);
}

int oversight_audit_register(struct web_server *srv, struct oversight *o)
{
    if (web_route(srv, "GET", "/admin/audit", h_audit, o) < 0 ||
        web_route(srv, "GET", "/api/v1/admin/audit", h_audit, o) < 0 ||
        web_route(srv, "GET", "/admin/audit/export", h_export, o) < 0)
        return -1;
    return 0;
}
