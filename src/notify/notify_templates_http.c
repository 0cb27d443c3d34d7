/*
 * notify_templates_http.c - administrators edit message templates (notify.operate):
 *   GET  /admin/templates (+ /api/v1)              the editable kinds, version per language
 *   GET  /admin/templates/{kind} (+ /api/v1)       the texts and a preview in each language
 *   POST /admin/templates/{kind} (+ /api/v1)       body_zh, body_bo, body_en: a new version of
 *                                                  each language that changed
 */
#include "notify/notify_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "identity/identity.h"
#include "web/i18n.h"
#include "web/web.h"

static const char *const LANGS[3] = {"zh", "bo", "en"};

static int operator(struct web_req *req, struct web_resp *resp, struct authz_subject *subj)
{
    struct notify *n = req->ctx;
    if (identity_web_subject(n->id, req, resp, subj) != 0)
        return -1;
    if (!authz_allowed(subj, "notify.operate", NULL))
        return web_fail(resp, 403, "notify.forbidden", "operators only");
    return 0;
}

/* Parameters to preview every template with. */
static json_t *sample(void)
{
    return json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:i, "
        "s:i, s:s, s:s}",
        "number", "20261207540102000001", "item", "zh", "内地居民婚姻登记", "bo",
        "ནང་ས་མི་དམངས་ཀྱི་གཉེན་སྒྲིག་ཐོ་འགོད།", "en", "Marriage registration", "place", "zh", "拉萨市城关区",
        "bo", "ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས།", "en", "Chengguan District, Lhasa", "note", "…", "name", "zh",
        "扎西", "bo", "བཀྲ་ཤིས།", "en", "Tashi", "code", "123456", "title", "…", "age", 85, "days", 3,
        "type", "ID_CARD", "date", "2027-01-01");
}

/* Text for a raw ({{{ }}}) slot: HTML-escaped, and the braces of placeholders as character
 * references, so that the page never carries a literal mustache tag. */
static const char *braces_escaped(struct arena *a, const char *s)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '{' || *p == '}')
            buf_puts(&b, *p == '{' ? "&#123;" : "&#125;");
        else
            buf_append_html(&b, p, 1);
    }
    char *out = buf_take(&b, NULL);
    const char *r = arena_strdup(a, out ? out : "");
    free(out);
    return r;
}

static int h_list(struct web_req *req, struct web_resp *resp)
{
    struct authz_subject subj;
    if (operator(req, resp, &subj) < 0)
        return -1;
    json_t *list = json_array();
    for (size_t i = 0; notify_template_kinds[i]; i++) {
        json_t *row = json_pack("{s:s}", "kind", notify_template_kinds[i]);
        for (int l = 0; l < 3; l++)
            json_object_set_new(
                row, LANGS[l],
                json_integer(notify_template_version(LANGS[l], notify_template_kinds[i])));
        json_array_append_new(list, row);
    }
    resp->model = json_pack("{s:s, s:o, s:s}", "title", web_t(req, "notify.templates.title"),
                            "templates", list, "csrf", web_csrf_token(req, resp));
    resp->view = "notify/templates";
    return 0;
}

static json_t *edit_model(struct web_req *req, struct web_resp *resp, const char *kind,
                          json_t *typed)
{
    json_t *params = sample();
    json_t *langs = json_array();
    for (int l = 0; l < 3; l++) {
        const char *text = json_string_value(json_object_get(typed, LANGS[l]));
        const char *current = notify_template_override(req->arena, LANGS[l], kind);
        if (current == NULL)
            current = i18n_get(LANGS[l], kind);
        json_array_append_new(
            langs,
            json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "lang", LANGS[l], "label",
                      web_t(req, arena_printf(req->arena, "notify.settings.lang_%s", LANGS[l])),
                      "text",
                      text      ? text
                      : current ? current
                                : "",
                      "text_html", braces_escaped(req->arena, text ? text : current), "version",
                      notify_template_version(LANGS[l], kind), "preview",
                      notify_render(req->arena, LANGS[l], kind, params)));
    }
    json_decref(params);
    return json_pack("{s:s, s:s, s:s, s:o, s:s}", "title", web_t(req, "notify.templates.edit"),
                     "kind", kind, "reference_html",
                     braces_escaped(req->arena, i18n_get("zh", kind)), "texts", langs, "csrf",
                     web_csrf_token(req, resp));
}

static int h_edit(struct web_req *req, struct web_resp *resp)
{
    struct authz_subject subj;
    if (operator(req, resp, &subj) < 0)
        return -1;
    const char *kind = web_param(req, "kind");
    if (!notify_template_kind_ok(kind))
        return web_fail(resp, 404, "notify.template_unknown", "no such template");
    resp->model = edit_model(req, resp, kind, NULL);
    resp->view = "notify/template";
    return 0;
}

static int h_save(struct web_req *req, struct web_resp *resp)
{
    struct notify *n = req->ctx;
    struct authz_subject subj;
    if (operator(req, resp, &subj) < 0)
        return -1;
    const char *kind = web_param(req, "kind");
    if (!notify_template_kind_ok(kind))
        return web_fail(resp, 404, "notify.template_unknown", "no such template");
    struct err err;
    err_clear(&err);
    json_t *saved = json_object();
    for (int l = 0; l < 3; l++) {
        const char *body = web_form_value(req, arena_printf(req->arena, "body_%s", LANGS[l]));
        const char *current = notify_template_override(req->arena, LANGS[l], kind);
        if (current == NULL)
            current = i18n_get(LANGS[l], kind);
        if (body == NULL || (current != NULL && strcmp(body, current) == 0))
            continue; /* unchanged */
        int v = 0;
        if (notify_template_save(n, subj.account_id, web_client_ip(req), kind, LANGS[l], body, &v,
                                 &err) < 0) {
            json_decref(saved);
            return web_fail_err(resp, &err);
        }
        json_object_set_new(saved, LANGS[l], json_integer(v));
    }
    if (req->want_json) {
        resp->model = json_pack("{s:o}", "saved", saved);
        return 0;
    }
    json_decref(saved);
    return web_redirect(req, resp,
                        arena_printf(req->arena, "/admin/templates/%s?done=notify_template", kind));
}

int notify_templates_register(struct web_server *srv, struct notify *n)
{
    if (web_route(srv, "GET", "/admin/templates", h_list, n) < 0 ||
        web_route(srv, "GET", "/api/v1/admin/templates", h_list, n) < 0 ||
        web_route(srv, "GET", "/admin/templates/{kind}", h_edit, n) < 0 ||
        web_route(srv, "GET", "/api/v1/admin/templates/{kind}", h_edit, n) < 0 ||
        web_route(srv, "POST", "/admin/templates/{kind}", h_save, n) < 0 ||
        web_route(srv, "POST", "/api/v1/admin/templates/{kind}", h_save, n) < 0)
        return -1;
    return 0;
}
