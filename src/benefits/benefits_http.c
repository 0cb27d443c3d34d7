/*
 * benefits_http.c - the person's benefits found for them (免申即享):
 *   GET  /benefits (+ /api/v1)                 offers and decisions, each with its reason
 *   POST /benefits/{id}/decide (+ /api/v1)     action=accept|decline|appeal, note
 */
#include "benefits/benefits_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "l10n/l10n.h"
#include "notify/notify.h"
#include "web/web.h"

static int h_list(struct web_req *req, struct web_resp *resp)
{
    struct benefits *b = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    struct benefits_grant *rows;
    size_t count = 0;
    struct err err;
    err_clear(&err);
    if (benefits_of(b, req->arena, ss->account_id, &rows, &count, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++) {
        const char *name_key = "benefits.name.unknown";
        for (size_t r = 0; r < benefits_nrules; r++)
            if (strcmp(benefits_rules[r].code, rows[i].benefit) == 0)
                name_key = benefits_rules[r].name_key;
        json_t *reason = json_loads(rows[i].reason ? rows[i].reason : "{}", 0, NULL);
        int as_of = (int)json_integer_value(json_object_get(reason, "as_of"));
        json_object_set_new(reason, "as_of",
                            json_string(arena_printf(req->arena, "%04d-%02d-%02d", as_of / 10000,
                                                     as_of / 100 % 100, as_of % 100)));
        const char *why = notify_render(req->arena, req->lang, "benefits.reason", reason);
        json_decref(reason);
        json_t *g = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id",
            arena_printf(req->arena, "%lld", (long long)rows[i].id), "benefit", rows[i].benefit,
            "name", web_t(req, name_key), "status", rows[i].status, "status_label",
            web_t(req, arena_printf(req->arena, "benefits.status.%s", rows[i].status)), "reason",
            why, "offered", strcmp(rows[i].status, "offered") == 0);
        json_object_set_new(g, "can_appeal", json_boolean(strcmp(rows[i].status, "appealed")));
        if (rows[i].note)
            json_object_set_new(g, "note", json_string(rows[i].note));
        json_array_append_new(list, g);
    }
    resp->model =
        json_pack("{s:s, s:o, s:b, s:s}", "title", web_t(req, "benefits.title"), "benefits", list,
                  "has_benefits", count > 0, "csrf", web_csrf_token(req, resp));
    resp->view = "benefits/list";
    return 0;
}

static int h_decide(struct web_req *req, struct web_resp *resp)
{
    struct benefits *b = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    const char *action = web_form_value(req, "action");
    struct err err;
    err_clear(&err);
    if (benefits_decide(b, ss->account_id, web_param_int(req, "id"), action,
                        web_form_value(req, "note"), web_client_ip(req), &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json) {
        resp->model = json_pack("{s:s}", "done", action);
        return 0;
    }
    return web_redirect(req, resp, arena_printf(req->arena, "/benefits?done=benefits_%s", action));
}

int benefits_http_register(struct web_server *srv, struct benefits *b)
{
    if (web_route(srv, "GET", "/benefits", h_list, b) < 0 ||
        web_route(srv, "GET", "/api/v1/benefits", h_list, b) < 0 ||
        web_route(srv, "POST", "/benefits/{id:int}/decide", h_decide, b) < 0 ||
        web_route(srv, "POST", "/api/v1/benefits/{id:int}/decide", h_decide, b) < 0)
        return -1;
    return 0;
}

/* ---- the CLI ---------------------------------------------------------------------------- */

int benefits_cli(struct benefits *b, int argc, char **argv, struct err *err)
{
    if (argc >= 1 && strcmp(argv[0], "rules") == 0 && argc == 1) {
        for (size_t i = 0; i < benefits_nrules; i++)
            printf("%s\tregion %s\tage >= %d\t%s\n", benefits_rules[i].code,
                   benefits_rules[i].region, benefits_rules[i].min_age,
                   benefits_rules[i].grant_outright ? "granted outright" : "offered");
        return 0;
    }
    if (argc >= 1 && strcmp(argv[0], "run") == 0 && argc <= 3) {
        int today = 0;
        if (argc == 3) {
            char *end = NULL;
            long v = strtol(argv[2], &end, 10);
            if (*end != '\0' || v < 19000101 || v > 29991231)
                return err_usage(err, "benefits.usage", "DATE is YYYYMMDD"), 2;
            today = (int)v;
        }
        struct benefits_run run;
        if (benefits_run_rules(b, argc >= 2 && strcmp(argv[1], "all") ? argv[1] : NULL, today, &run,
                               err) < 0)
            return err->status == 404 ? 2 : 1;
        printf("people\t%lld\neligible\t%lld\noffered\t%lld\n", (long long)run.people,
               (long long)run.eligible, (long long)run.offered);
        return 0;
    }
    err_usage(err, "benefits.usage", "usage: onewindow benefits run [CODE|all [YYYYMMDD]] | rules");
    return 2;
}
