/*
 * notices_http.c - the notices' pages and feed:
 *   GET  /notices (+ /api/v1)            newest first, ?topic= filters, ?before= pages on
 *   GET  /notices/{id} (+ /api/v1)       one notice in the reader's language
 *   GET  /notices.atom                   Atom feed (?lang=zh|bo|en, else the reader's)
 *   GET  /notices/new                    the publishing form (staff with notice.publish)
 *   POST /notices (+ /api/v1)            publish
 *   POST /notices/subscriptions (+ /api/v1)  topic, on=1|0 (logged in)
 */
#include "notices/notices_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "identity/identity.h"
#include "l10n/l10n.h"
#include "web/web.h"

static const char *const LANGS[3] = {"zh", "bo", "en"};

/* A notice as the page shows it; *_lang set when the text is zh standing in for `lang`. */
static json_t *notice_json(struct web_req *req, const struct notice *n, int full)
{
    int li = strcmp(req->lang, "bo") == 0 ? 1 : strcmp(req->lang, "en") == 0 ? 2 : 0;
    const char *title = notices_text(n->title, req->lang);
    const char *body = notices_text(n->body, req->lang);
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id",
                          arena_printf(req->arena, "%lld", (long long)n->id), "title", title,
                          "topic", n->topic, "topic_label",
                          web_t(req, arena_printf(req->arena, "notices.topic.%s", n->topic)),
                          "department", notices_text(n->dept_name, req->lang), "published",
                          l10n_datetime(req->arena, req->lang, n->published_at), "published_at",
                          (json_int_t)n->published_at);
    if (li != 0 && (n->title[li] == NULL || !*n->title[li]))
        json_object_set_new(j, "title_lang", json_string("zh"));
    if (li != 0 && (n->dept_name[li] == NULL || !*n->dept_name[li]))
        json_object_set_new(j, "department_lang", json_string("zh"));
    if (full) {
        json_object_set_new(j, "body", json_string(body));
        if (li != 0 && (n->body[li] == NULL || !*n->body[li]))
            json_object_set_new(j, "body_lang", json_string("zh"));
    }
    return j;
}

static int h_list(struct web_req *req, struct web_resp *resp)
{
    struct notices *n = req->ctx;
    int64_t before, division;
    if (web_query_int(req, resp, "before", 0, INT64_MAX, 0, &before) < 0 ||
        web_query_int(req, resp, "division", 0, 999999999999LL, 0, &division) < 0)
        return -1;
    const char *topic = web_query(req, "topic");
    if (topic != NULL && *topic == '\0')
        topic = NULL;
    if (topic != NULL && !notices_topic_valid(topic))
        return web_fail(resp, 400, "notices.bad_topic", "no such topic");
    struct notice *rows;
    size_t count = 0;
    struct err err;
    err_clear(&err);
    if (notices_list(n, req->arena, topic, division, before, 20, &rows, &count, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, notice_json(req, &rows[i], 0));
    json_t *model = json_pack("{s:s, s:o, s:b}", "title", web_t(req, "notices.title"), "notices",
                              list, "has_notices", count > 0);
    struct authz_subject subj;
    int subs[NOTICES_NTOPICS] = {0};
    int logged_in = identity_web_subject_opt(n->id, req, resp, &subj) == 0 && subj.account_id;
    if (logged_in && notices_subscribed(n, subj.account_id, subs, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *topics = json_array();
    for (int i = 0; i < NOTICES_NTOPICS; i++)
        json_array_append_new(
            topics,
            json_pack("{s:s, s:s, s:b, s:b}", "topic", notices_topics[i], "label",
                      web_t(req, arena_printf(req->arena, "notices.topic.%s", notices_topics[i])),
                      "subscribed", subs[i], "current",
                      topic != NULL && strcmp(topic, notices_topics[i]) == 0));
    json_object_set_new(model, "topics", topics);
    if (logged_in) {
        json_object_set_new(model, "logged_in", json_true());
        json_object_set_new(model, "csrf", json_string(web_csrf_token(req, resp)));
        if (authz_allowed_somewhere(&subj, "notice.publish"))
            json_object_set_new(model, "can_publish", json_true());
    }
    if (count == 20)
        json_object_set_new(model, "next_url",
                            json_string(arena_printf(req->arena, "/notices?before=%lld%s%s",
                                                     (long long)rows[count - 1].id,
                                                     topic ? "&topic=" : "", topic ? topic : "")));
    resp->model = model;
    resp->view = "notices/list";
    return 0;
}

static int h_show(struct web_req *req, struct web_resp *resp)
{
    struct notices *n = req->ctx;
    struct notice row;
    struct err err;
    err_clear(&err);
    if (notices_get(n, req->arena, web_param_int(req, "id"), &row, &err) < 0)
        return web_fail_err(resp, &err);
    json_t *j = notice_json(req, &row, 1);
    json_object_set_new(j, "notice_title", json_string(notices_text(row.title, req->lang)));
    json_object_set(j, "title", json_object_get(j, "notice_title"));
    resp->model = j;
    resp->view = "notices/show";
    return 0;
}

static int h_atom(struct web_req *req, struct web_resp *resp)
{
    struct notices *n = req->ctx;
    const char *lang = web_query(req, "lang");
    if (lang == NULL || (strcmp(lang, "zh") && strcmp(lang, "bo") && strcmp(lang, "en")))
        lang = req->lang;
    struct err err;
    err_clear(&err);
    const char *host = web_header(req, "host");
    const char *base = arena_printf(req->arena, "http://%s", host ? host : "localhost");
    char *feed = notices_atom(n, req->arena, lang, base, &err);
    if (feed == NULL)
        return web_fail_err(resp, &err);
    resp->content_type = "application/atom+xml; charset=utf-8";
    resp->body = feed;
    resp->body_len = strlen(feed);
    return 0;
}

/* The departments the subject may publish for (their grants with notice.publish). */
static json_t *publish_departments(struct web_req *req, const struct authz_subject *subj)
{
    json_t *list = json_array();
    for (size_t i = 0; i < subj->ngrants; i++) {
        struct authz_object obj = {0, subj->grants[i].department_id, subj->grants[i].division_code};
        if (authz_allowed(subj, "notice.publish", &obj))
            json_array_append_new(
                list, json_pack("{s:s}", "id",
                                arena_printf(req->arena, "%lld",
                                             (long long)subj->grants[i].department_id)));
    }
    return list;
}

static int h_new(struct web_req *req, struct web_resp *resp)
{
    struct notices *n = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(n->id, req, resp, &subj) != 0)
        return -1;
    if (!authz_allowed_somewhere(&subj, "notice.publish"))
        return web_fail(resp, 403, "notices.forbidden", "you may not publish notices");
    json_t *topics = json_array();
    for (int i = 0; i < NOTICES_NTOPICS; i++)
        json_array_append_new(
            topics,
            json_pack("{s:s, s:s}", "topic", notices_topics[i], "label",
                      web_t(req, arena_printf(req->arena, "notices.topic.%s", notices_topics[i]))));
    resp->model = json_pack("{s:s, s:s, s:o, s:o}", "title", web_t(req, "notices.new"), "csrf",
                            web_csrf_token(req, resp), "topics", topics, "departments",
                            publish_departments(req, &subj));
    resp->view = "notices/new";
    return 0;
}

static int h_publish(struct web_req *req, struct web_resp *resp)
{
    struct notices *n = req->ctx;
    struct authz_subject subj;
    if (identity_web_subject(n->id, req, resp, &subj) != 0)
        return -1;
    int64_t dept = 0;
    if (web_form_int(req, resp, "department_id", 0, INT64_MAX, 0, &dept) < 0)
        return -1;
    if (dept == 0) { /* the first department the subject may publish for */
        for (size_t i = 0; i < subj.ngrants && dept == 0; i++) {
            struct authz_object obj = {0, subj.grants[i].department_id,
                                       subj.grants[i].division_code};
            if (authz_allowed(&subj, "notice.publish", &obj))
                dept = subj.grants[i].department_id;
        }
    }
    struct notice_in in = {.department_id = dept, .topic = web_form_value(req, "topic")};
    for (int i = 0; i < 3; i++) {
        in.title[i] = web_form_value(req, arena_printf(req->arena, "title_%s", LANGS[i]));
        in.body[i] = web_form_value(req, arena_printf(req->arena, "body_%s", LANGS[i]));
    }
    int64_t id = 0;
    struct err err;
    err_clear(&err);
    if (notices_publish(n, &subj, web_client_ip(req), &in, &id, &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json) {
        resp->status = 201;
        resp->model = json_pack("{s:s}", "id", arena_printf(req->arena, "%lld", (long long)id));
        return 0;
    }
    return web_redirect(req, resp, arena_printf(req->arena, "/notices/%lld", (long long)id));
}

static int h_subscribe(struct web_req *req, struct web_resp *resp)
{
    struct notices *n = req->ctx;
    const struct web_session *ss = web_need_session(req, resp, 1);
    if (ss == NULL)
        return -1;
    int64_t on = 1;
    if (web_form_int(req, resp, "on", 0, 1, 1, &on) < 0)
        return -1;
    struct err err;
    err_clear(&err);
    if (notices_subscribe(n, ss->account_id, web_form_value(req, "topic"), (int)on, &err) < 0)
        return web_fail_err(resp, &err);
    if (req->want_json) {
        resp->model = json_pack("{s:b}", "subscribed", (int)on);
        return 0;
    }
    return web_redirect(req, resp, "/notices?done=notices_subscribed");
}

int notices_http_register(struct web_server *srv, struct notices *n)
{
    if (web_route(srv, "GET", "/notices", h_list, n) < 0 ||
        web_route(srv, "GET", "/api/v1/notices", h_list, n) < 0 ||
        web_route(srv, "GET", "/notices.atom", h_atom, n) < 0 ||
        web_route(srv, "GET", "/notices/new", h_new, n) < 0 ||
        web_route(srv, "GET", "/notices/{id:int}", h_show, n) < 0 ||
        web_route(srv, "GET", "/api/v1/notices/{id:int}", h_show, n) < 0 ||
        web_route(srv, "POST", "/notices", h_publish, n) < 0 ||
        web_route(srv, "POST", "/api/v1/notices", h_publish, n) < 0 ||
        web_route(srv, "POST", "/notices/subscriptions", h_subscribe, n) < 0 ||
        web_route(srv, "POST", "/api/v1/notices/subscriptions", h_subscribe, n) < 0)
        return -1;
    return 0;
}
