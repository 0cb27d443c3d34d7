/*
 * apply_http_internal.h - what the page files of src/apply/ share: apply_http.c (the
 * forms, the route table), apply_form_model.c (the forms' model) and apply_case_http.c
 * (filed applications: lists, progress, transitions, 补正, files, the workbench). Strings
 * live in req->arena.
 */
#ifndef ONEWINDOW_APPLY_HTTP_INTERNAL_H
#define ONEWINDOW_APPLY_HTTP_INTERNAL_H

#include "apply/apply_internal.h"
#include "web/web.h"

/* Localise problems in place (label, message, anchor) and index the first message of each
 * key in `by_key`. */
void apply_http_localise(struct web_req *req, const json_t *item, json_t *problems, json_t *by_key);
/* "812 B", "12.5 KB", "1.2 MB". */
const char *apply_http_size(struct web_req *req, int64_t bytes);
/* Has the subject a counter clerk's grant (files for walk-in people)? */
int apply_http_clerk(const struct authz_subject *s);
/* The request's uploads (m_<key>), certificate choices (cert_<key>), held ids (held,
 * unhold) and session into rq. 0, or -1 with the response failed (400 for a junk id). */
int apply_http_collect(struct web_req *req, struct web_resp *resp, struct apply_request *rq);
/* The values typed into an item's form (f_<key>), as strings (new reference). */
json_t *apply_http_values(struct web_req *req, const json_t *item);
/* After apply_hold: the request goes on with exactly what is held now. */
void apply_http_use_held(struct web_req *req, struct apply_request *rq, const json_t *held);
/* The completion form (补正) into an application's model m: form_fields, form_materials
 * (with the files on record and `held`), and the problems when there are. */
void apply_http_completion(struct web_req *req, const struct authz_subject *s, json_t *m,
                           const json_t *item, json_t *problems, const json_t *held);

/* apply_form_model.c: what a form page shows besides the item. */
struct apply_form_state {
    const json_t *values;
    const char *division;
    int64_t enterprise_id;
    int64_t draft_id;
    json_t *problems;   /* may be NULL */
    const json_t *held; /* files already held for this form, may be NULL */
    const char *notice; /* an i18n key, may be NULL */
    int status;
};
/* Render the form page of an item or (is_bundle) a bundle: the model and the view. */
int apply_http_form_page(struct web_req *req, struct web_resp *resp, const struct authz_subject *s,
                         const json_t *item, int is_bundle, const struct apply_form_state *st);
/* Fill `values` with what the profile and (enterprise_id) the enterprise already know
 * (免填), for the fields the item marks with a prefill source. */
void apply_http_prefill(struct web_req *req, struct apply *ap, const struct authz_subject *s,
                        const json_t *item, int64_t enterprise_id, json_t *values);

/* apply_case_http.c */
int apply_http_mine(struct web_req *req, struct web_resp *resp);
int apply_http_workbench(struct web_req *req, struct web_resp *resp);
int apply_http_show(struct web_req *req, struct web_resp *resp);
int apply_http_receipt(struct web_req *req, struct web_resp *resp);
int apply_http_act(struct web_req *req, struct web_resp *resp);
int apply_http_reveal(struct web_req *req, struct web_resp *resp);
int apply_http_complete(struct web_req *req, struct web_resp *resp);
int apply_http_file(struct web_req *req, struct web_resp *resp);
int apply_http_bundle_show(struct web_req *req, struct web_resp *resp);

#endif
