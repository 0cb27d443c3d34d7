/* hotline_http_internal.h - what the hotline's page files share: hotline_http.c (the desk,
 * orders, a department's queue), hotline_public.c (the public form, status and rating) and
 * hotline_board.c (dashboard, settings, knowledge base). Nothing else includes it. */
#ifndef ONEWINDOW_HOTLINE_HTTP_INTERNAL_H
#define ONEWINDOW_HOTLINE_HTTP_INTERNAL_H

#include "hotline/hotline_internal.h"
#include "identity/identity.h"
#include "web/web.h"

/* Who is asking, and what the hotline lets them do. */
struct hh_who {
    struct authz_subject s; /* account_id 0: nobody logged in */
    int logged_in, agent, supervise, admin;
    int64_t depts[AUTHZ_MAX_GRANTS]; /* departments where the subject handles orders */
    size_t ndepts;
};
/* Load the subject (identity_web_subject_opt) and its hotline powers. 0, or -1 failed. */
int hh_who(struct web_req *req, struct web_resp *resp, struct hh_who *w);
/* Not logged in: 401 (a page goes to the login and back); logged in without the right: 403. */
int hh_refuse(struct web_resp *resp, const struct hh_who *w);

/* The catalog string prefix+key ("hotline.states." + "new"); `fallback` when the catalogs
 * have none (so a code never reaches a page as text). */
const char *hh_t(struct web_req *req, const char *prefix, const char *key, const char *fallback);
/* A form field, "" when absent. */
const char *hh_form(struct web_req *req, const char *name);
const char *hh_id(struct web_req *req, int64_t id);

/* [{id, code, name, name_lang, selected}] of every department; the name of one (or ""). */
json_t *hh_departments(struct web_req *req, int64_t selected);
const char *hh_dept_name(json_t *depts, int64_t id);
/* [{code, name, name_zh, name_bo, name_en, selected}]; the name of one (or ""). */
json_t *hh_categories(struct web_req *req, const char *selected);
const char *hh_cat_name(json_t *cats, const char *code);
/* A division's name in the reader's language ("" when unknown); *lang (may be NULL) "zh"
 * when it falls back to Chinese. */
const char *hh_division_name(struct web_req *req, int64_t code, const char **lang);

/* An order as its pages show it: every code beside its localised name. */
json_t *hh_order_json(struct web_req *req, const struct hotline_order *o, int show_phone,
                      json_t *cats, json_t *depts);
json_t *hh_orders_json(struct web_req *req, const struct hotline_order *list, size_t n);
/* The timeline in the reader's language: kind_name, time, department_name and a note
 * with nothing raw in it (a channel's name, the notice as the caller read it, the rating's
 * level). `public_view`: only what the caller may see (no internal notes). */
json_t *hh_timeline(struct web_req *req, const struct hotline_order *o, json_t *depts,
                    int public_view);
/* The five rating levels, best first: [{v, name}]. */
json_t *hh_levels(struct web_req *req);

/* {title, csrf}. */
json_t *hh_page_model(struct web_req *req, struct web_resp *resp, const char *title_key);
/* error {code, message} on a page, localised. */
void hh_set_problem(struct web_req *req, json_t *m, const struct err *problem);
/* The intake form's model (hotline/intake_fields.html): values as sent, categories, the
 * division picker, field errors (fe may be NULL). -1 with err when the store fails. */
int hh_intake_model(struct web_req *req, json_t *m, const struct hotline_field_errors *fe,
                    struct err *err);
/* An intake from the form: the division from its picker. */
void hh_intake_from_form(struct web_req *req, struct hotline_intake *in);

/* The order page with a problem on it. */
int hh_order_page(struct web_req *req, struct web_resp *resp, const struct hh_who *w,
                  const char *number, const struct err *problem, int status);

int hh_register_public(struct web_server *srv, struct hotline *h);
int hh_register_board(struct web_server *srv, struct hotline *h);

#endif
