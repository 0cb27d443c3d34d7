/*
 * open311.h - the Open311 GeoReport v2 API (https://wiki.open311.org/GeoReport_v2) over
 * the hotline: services are the hotline categories, service requests are work orders of the
 * channel "open311". POST needs an API key issued by an administrator; only the key's SM3
 * hash is stored. Design: docs/internals/open311.md.
 */
#ifndef ONEWINDOW_OPEN311_OPEN311_H
#define ONEWINDOW_OPEN311_OPEN311_H

#include <stdint.h>

#include "base/err.h"

struct store;
struct hotline;
struct identity;
struct web_server;

/* The module's handle (made in wiring): the hotline it serves and identity (staff pages). */
struct open311;
int open311_open(struct hotline *h, struct identity *id, struct open311 **out, struct err *err);
void open311_close(struct open311 *o);

/* Issue a key for `name` (1..80 characters): the key (43 base64url characters) is written
 * to key_out once and never stored. Audited (open311.key_create). */
int open311_key_create(struct store *st, int64_t actor, const char *name, char key_out[64],
                       int64_t *key_id, struct err *err);
/* Revoke a key by id (404 open311.key_not_found). Audited. */
int open311_key_revoke(struct store *st, int64_t actor, int64_t key_id, struct err *err);
/* The id of an active key, or 0 (not found or revoked). */
int open311_key_check(struct store *st, const char *key, int64_t *key_id, struct err *err);

/* Routes under /open311/v2/ (no CSRF: API keys) and the key administration page
 * /open311/admin (hotline.admin). */
int open311_http_register(struct web_server *srv, struct open311 *o);
/* `onewindow open311 key create NAME | key revoke ID | key list`. */
int open311_cli(struct store *st, int argc, char **argv, struct err *err);

#endif
