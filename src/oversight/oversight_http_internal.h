/*
 * oversight_http_internal.h - what the oversight module's page files share.
 */
#ifndef ONEWINDOW_OVERSIGHT_HTTP_INTERNAL_H
#define ONEWINDOW_OVERSIGHT_HTTP_INTERNAL_H

#include "identity/identity.h"
#include "oversight/oversight_internal.h"
#include "web/web.h"

/* The subject must hold a supervisor grant (403 otherwise); *division is ?division= when
 * it lies within one of the grants (400 when malformed, 403 outside), else the first
 * grant's division. 0, or -1 with the response failed. */
int ovh_supervisor(struct web_req *req, struct web_resp *resp, struct oversight *o,
                   struct authz_subject *subj, int64_t *division);
/* Names in the reader's language (falling back to Chinese), in the request's arena. */
const char *ovh_dept_name(struct web_req *req, struct oversight *o, int64_t id);
const char *ovh_division_name(struct web_req *req, struct oversight *o, int64_t code);
/* {item code: name in `lang`} of the published catalog (new reference). */
json_t *ovh_item_names(struct oversight *o, const char *lang);

/* Names and drill-down links (url_all, url_soon, url_overdue) of oversight_queue rows. */
void ovh_queue_rows(struct web_req *req, struct oversight *o, json_t *rows);

int oversight_dash_register(struct web_server *srv, struct oversight *o);
int oversight_audit_register(struct web_server *srv, struct oversight *o);
int oversight_roles_register(struct web_server *srv, struct oversight *o);

#endif
