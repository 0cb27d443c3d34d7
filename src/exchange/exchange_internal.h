/* exchange_internal.h - what the exchange's files share (exchange.c, exchange_store.c,
 * exchange_http.c, exchange_cli.c). */
#ifndef ONEWINDOW_EXCHANGE_INTERNAL_H
#define ONEWINDOW_EXCHANGE_INTERNAL_H

#include <pthread.h>

#include "exchange/exchange.h"

struct arena;
struct store_conn;

#define EXCHANGE_MAX_RESOURCES 64
#define EXCHANGE_RATE_SLOTS 256

/* A fixed one-minute window of calls per grant (this node's count: the limit protects the
 * provider from one runaway consumer, it is not a quota to be shared exactly). */
struct exchange_rate_slot {
    int64_t grant_id;
    int64_t window; /* minute number */
    int count;
};

struct exchange {
    struct store *store;
    struct crypto_keyring *kr;
    struct oidc *oidc;                /* for the routes: verifies bearer tokens (borrowed) */
    struct identity *id;              /* for the routes: the person's ID number (borrowed) */
    struct exchange_other_uses other; /* set once at start-up */
    pthread_mutex_t lock;             /* guards connectors and rate */
    struct {
        char resource[48];
        struct exchange_connector c;
    } connectors[EXCHANGE_MAX_RESOURCES];
    size_t nconnectors;
    struct exchange_connector sandbox;
    struct exchange_rate_slot rate[EXCHANGE_RATE_SLOTS];
};

struct exchange_grant_row {
    int64_t id, expires_at, decided_at, created_at;
    int rate_per_min;
    const char *client_id, *consumer_name, *resource, *fields, *purpose, *legal_basis, *status;
};

struct exchange_read_row {
    int64_t id, at;
    const char *subject_hash, *client_id, *consumer_name, *resource, *fields, *purpose,
        *case_number, *legal_basis, *outcome;
};

/* exchange_store.c: all SQL. Strings of rows read live in `a` or are copied into JSON. */
int exchange_db_resource_insert_missing(struct store_conn *c, const char *code, const char *doc,
                                        int64_t now, int *added, struct err *err);
int exchange_db_resource_put(struct store_conn *c, const char *code, const char *doc, int64_t actor,
                             int64_t now, struct err *err);
/* The document of `code` (a new reference) or NULL in *doc when there is none. */
int exchange_db_resource_get(struct store_conn *c, const char *code, json_t **doc, struct err *err);
int exchange_db_resource_list(struct store_conn *c, json_t *arr, struct err *err);
/* *enc malloc'd (NULL when there is no record). */
int exchange_db_sandbox_get(struct store_conn *c, const char *resource, const char *subject_hash,
                            unsigned char **enc, size_t *len, struct err *err);
int exchange_db_sandbox_put(struct store_conn *c, const char *resource, const char *subject_hash,
                            const unsigned char *enc, size_t len, struct err *err);
int exchange_db_grant_insert(struct store_conn *c, const struct exchange_grant_row *g,
                             struct err *err);
/* The client's newest approved grant of `resource` for `purpose`, else its newest in any
 * status (a new request waiting for the provider does not suspend the grant in force);
 * found 0 if none. */
int exchange_db_grant_find(struct store_conn *c, struct arena *a, const char *client_id,
                           const char *resource, const char *purpose,
                           struct exchange_grant_row *out, int *found, struct err *err);
int exchange_db_grant_get(struct store_conn *c, struct arena *a, int64_t id,
                          struct exchange_grant_row *out, int *found, struct err *err);
int exchange_db_grant_update(struct store_conn *c, int64_t id, const char *from_status,
                             const char *status, const char *fields, int rate, int64_t expires_at,
                             int64_t by, int64_t now, int *changed, struct err *err);
int exchange_db_grant_list(struct store_conn *c, const char *client_id, json_t *arr,
                           struct err *err);
int exchange_db_correction_insert(struct store_conn *c, int64_t id, int64_t at, int64_t account_id,
                                  const char *resource, const char *field, const char *note,
                                  struct err *err);
/* Correction requests about `resource`, newest first (at most 200). */
int exchange_db_corrections(struct store_conn *c, const char *resource, json_t *arr,
                            struct err *err);
int exchange_db_read_insert(struct store_conn *c, const struct exchange_read_row *r,
                            struct err *err);
/* Every read, newest first, or those of one case number (case_number "" or NULL: all). */
int exchange_db_reads_search(struct store_conn *c, const char *case_number, int64_t before,
                             int limit, json_t *arr, struct err *err);
int exchange_db_reads_of(struct store_conn *c, const char *subject_hash, int64_t before, int limit,
                         json_t *arr, struct err *err);

/* exchange_rest.c: the REST connector of a resource with an "endpoint" (ctx: that JSON
 * object, borrowed for the call), and the check of an endpoint. */
int exchange_rest_fetch(void *ctx, const char *resource, const char *key, json_t **record,
                        struct err *err);
int exchange_endpoint_check(const json_t *endpoint, struct err *err);

/* exchange.c */
/* The connector of resource document `res`: one set with exchange_set_connector, else the
 * REST connector when it has an endpoint (valid while `res` is), else the sandbox. */
struct exchange_connector exchange_connector_for(struct exchange *x, const json_t *res);
/* The lookup hash (hex) of a subject key, under which its reads are filed. */
int exchange_subject_hash(struct exchange *x, const char *key, char out[65], struct err *err);
/* Put `text` (stored as given: a test may put garbage there) as the sandbox record of `key`
 * (canonical) in `resource`, sealed. On this thread's connection, in its transaction if one
 * is open. */
int exchange_sandbox_put(struct exchange *x, const char *resource, const char *key,
                         const char *text, struct err *err);
/* Check a resource document; 0 or -1 with err 400 "exchange.bad_resource". */
int exchange_resource_check(const json_t *doc, struct err *err);
/* The resource's field named `name`, or NULL. */
const json_t *exchange_resource_field(const json_t *res, const char *name);

#endif
