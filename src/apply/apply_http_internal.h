/*
 * apply_http_internal.h - what the two page files of src/apply/ share: apply_http.c (the
 * forms, the route table) and apply_case_http.c (filed applications: lists, progress,
 * transitions, 补正, files, the workbench). Strings live in req->arena.
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
