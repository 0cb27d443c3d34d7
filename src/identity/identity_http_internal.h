/*
 * identity_http_internal.h - the page helpers identity_http.c shares with the other page
 * files of the module (enterprise_http.c). Nothing outside src/identity/ includes it.
 */
#ifndef ONEWINDOW_IDENTITY_HTTP_INTERNAL_H
#define ONEWINDOW_IDENTITY_HTTP_INTERNAL_H

#include <jansson.h>

#include "identity/identity.h"
#include "web/web.h"

/* Field errors as a localised list: [{field, code, message}]. */
json_t *idh_field_errors_json(struct web_req *req, const struct identity_field_errors *fe);
/* {"field": "message"}: the first error of each field, for the form to show beside it. */
json_t *idh_errors_by_field(json_t *errors);
/* Add errors, field_errors and has_errors to a form page's model. */
void idh_add_errors(struct web_req *req, json_t *m, const struct identity_field_errors *fe);
/* A form page's model: title (an i18n key), the CSRF token, a safe `next`. */
json_t *idh_form_model(struct web_req *req, struct web_resp *resp, const char *title_key);
/* "/login?next=<encoded next>" (or `path` alone when next is NULL), in req->arena. */
const char *idh_login_url(struct web_req *req, const char *path, const char *next);
/* The session's account, fully logged in: 0; else answered with 401 (JSON, -1) or a
 * redirect to the login page (1). */
int idh_require_login(struct web_req *req, struct web_resp *resp, int64_t *account_id);

#endif
