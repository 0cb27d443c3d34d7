/*
 * hotline_public.c - the hotline's pages for everyone (no login needed):
 *   GET  /hotline/submit, POST           the public form (web, mobile; anonymous or logged in)
 *   GET  /hotline/status[?number=]       the status form (a notification links here with the
 *                                        number filled in)
 *   POST /hotline/status                 look an order up by number + phone
 *   POST /hotline/status/rate            rate it online (or ask for it to be redone)
 * The phone travels only in POST bodies: never in an address, so never in a log line, a
 * browser's history or a Referer. Every page comes back with what the person typed.
 */
#include "hotline/hotline_http_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "divisions/divisions.h"

/* ---- the public form ------------------------------------------------------------------------ */

static int submit_page(struct web_req *req, struct web_resp *resp,
                       const struct hotline_field_errors *fe, int status)
{
    json_t *m = hh_page_model(req, resp, "hotline.submit.title");
    const char *ch = web_query(req, "channel");
    if (ch == NULL)
        ch = web_form_value(req, "channel");
    json_object_set_new(m, "channel",
                        json_string(ch && strcmp(ch, "mobile") == 0 ? "mobile" : "web"));
    struct err err;
    if (hh_intake_model(req, m, fe, &err) < 0) {
        json_decref(m);
        return web_fail_err(resp, &err);
    }
    return web_page(resp, m, "hotline/submit", status);
}

static int h_submit_form(struct web_req *req, struct web_resp *resp)
{
    return submit_page(req, resp, NULL, 200);
}

static int h_submit(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    /* The picker's "next level" (no JavaScript): the same form again, nothing checked. */
    if (divisions_pick_requested(req))
        return submit_page(req, resp, NULL, 200);
    struct hotline_intake in;
    hh_intake_from_form(req, &in);
    in.urgency = "normal";
    in.channel = strcmp(hh_form(req, "channel"), "mobile") == 0 ? "mobile" : "web";
    const struct web_session *ss = web_session(req);
    if (ss != NULL && ss->aal >= 1)
        in.caller_account = ss->account_id;
    struct hotline_field_errors fe;
    struct err err;
    int64_t id;
    const char *number;
    int rc = hotline_order_create(h, req->arena, &in, web_client_ip(req), &id, &number, &fe, &err);
    if (rc < 0)
        return web_fail_err(resp, &err);
    if (rc == 1)
        return submit_page(req, resp, &fe, 422);
    json_t *m = hh_page_model(req, resp, "hotline.submit.done");
    json_object_set_new(m, "number", json_string(number));
    return web_page(resp, m, "hotline/submitted", 201);
}

/* ---- status and rating ------------------------------------------------------------------------
 */

/* A number as the hotline makes them (H + 20 digits) or NULL: what a link may fill in. */
static const char *number_or_null(const char *s)
{
    if (s == NULL || s[0] != 'H' || strlen(s) > 32)
        return NULL;
    for (const char *p = s + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return NULL;
    return s;
}

enum status_step { STATUS_FORM, STATUS_LOOKUP, STATUS_RATED };

static int status_page(struct web_req *req, struct web_resp *resp, const char *number,
                       const char *phone, enum status_step step, const struct err *problem,
                       int status)
{
    struct hotline *h = req->ctx;
    json_t *m = hh_page_model(req, resp, "hotline.status.title");
    json_object_set_new(m, "values",
                        json_pack("{s:s, s:s, s:s, s:b}", "number", number, "phone", phone,
                                  "comment", hh_form(req, "comment"), "reopen",
                                  strcmp(hh_form(req, "reopen"), "1") == 0));
    if (step != STATUS_FORM && (*number == '\0' || *phone == '\0')) {
        json_t *by = json_object(), *errors = json_array();
        if (*number == '\0') {
            json_object_set_new(by, "number",
                                json_string(web_t(req, "errors.hotline.number_required")));
            json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "number", "message",
                                                    web_t(req, "errors.hotline.number_required")));
        }
        if (*phone == '\0') {
            json_object_set_new(by, "phone",
                                json_string(web_t(req, "errors.hotline.phone_required")));
            json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "phone", "message",
                                                    web_t(req, "errors.hotline.phone_required")));
        }
        json_object_set_new(m, "field_errors", by);
        json_object_set_new(m, "errors", errors);
        json_object_set_new(m, "has_errors", json_true());
        return web_page(resp, m, "hotline/status", 422);
    }
    if (step != STATUS_FORM) {
        struct hotline_order o;
        struct err err;
        if (hotline_order_lookup(h, req->arena, number, phone, web_client_ip(req), &o, &err) < 0) {
            if (err.status >= 500) {
                json_decref(m);
                return web_fail_err(resp, &err);
            }
            if (err.status == 429) { /* too many wrong guesses: say so, keep the form */
                web_resp_header(resp, "Retry-After", "900");
                json_object_set_new(m, "paused", json_true());
                return web_page(resp, m, "hotline/status", 429);
            }
            json_object_set_new(m, "not_found", json_true());
            return web_page(resp, m, "hotline/status", 404);
        }
        json_t *cats = hh_categories(req, NULL), *depts = hh_departments(req, 0);
        json_object_set_new(m, "order", hh_order_json(req, &o, 0, cats, depts));
        json_object_set_new(m, "history", hh_timeline(req, &o, depts, 1));
        json_decref(cats);
        json_decref(depts);
        int can_rate = strcmp(o.status, "replied") == 0 || strcmp(o.status, "answered") == 0;
        json_object_set_new(m, "can_rate", json_boolean(can_rate));
        /* The rating's levels are the form's choices: in the model when the form is shown. */
        if (can_rate)
            json_object_set_new(m, "levels", hh_levels(req));
        json_object_set_new(m, "rated", json_boolean(step == STATUS_RATED));
    }
    hh_set_problem(req, m, problem);
    return web_page(resp, m, "hotline/status", status);
}

static int h_status(struct web_req *req, struct web_resp *resp)
{
    /* Only the number may come in an address; a phone there is ignored, never looked up. */
    const char *number = number_or_null(web_query(req, "number"));
    return status_page(req, resp, number ? number : "", "", STATUS_FORM, NULL, 200);
}

static int h_status_post(struct web_req *req, struct web_resp *resp)
{
    return status_page(req, resp, hh_form(req, "number"), hh_form(req, "phone"), STATUS_LOOKUP,
                       NULL, 200);
}

static int h_rate(struct web_req *req, struct web_resp *resp)
{
    struct hotline *h = req->ctx;
    const char *number = hh_form(req, "number"), *phone = hh_form(req, "phone");
    struct hotline_order o;
    struct err err;
    err_clear(&err);
    if (hotline_order_lookup(h, req->arena, number, phone, web_client_ip(req), &o, &err) < 0) {
        if (err.status >= 500 || req->want_json)
            return web_fail_err(resp, &err);
        return status_page(req, resp, number, phone, STATUS_LOOKUP, NULL, 200);
    }
    int64_t rating;
    if (web_form_int(req, resp, "rating", 0, 5, 0, &rating) < 0)
        return -1;
    if (hotline_rate(h, 0, web_client_ip(req), number, (int)rating, hh_form(req, "comment"),
                     strcmp(hh_form(req, "reopen"), "1") == 0, &err) < 0) {
        if (err.status >= 500 || req->want_json)
            return web_fail_err(resp, &err);
        return status_page(req, resp, number, phone, STATUS_LOOKUP, &err, err.status);
    }
    return status_page(req, resp, number, phone, STATUS_RATED, NULL, 200);
}

int hh_register_public(struct web_server *srv, struct hotline *h)
{
    if (web_route(srv, "GET", "/hotline/submit", h_submit_form, h) < 0 ||
        web_route(srv, "POST", "/hotline/submit", h_submit, h) < 0 ||
        web_route(srv, "GET", "/hotline/status", h_status, h) < 0 ||
        web_route(srv, "POST", "/hotline/status", h_status_post, h) < 0 ||
        web_route(srv, "POST", "/hotline/status/rate", h_rate, h) < 0)
        return -1;
    return 0;
}
