/*
 * exchange.h - the data exchange (政务数据共享交换): data travels instead of people.
 *
 * A catalog of data resources (政务数据资源目录, GB/T 21063-style) names what each
 * provider department's register holds, field by field with a sensitivity class, and on
 * which legal basis it may be shared. Department systems (OIDC clients using client
 * credentials, src/oidc) request a resource for a purpose; the provider grants fields,
 * purpose and expiry; calls carry a case number (办件编号) and the purpose, get only the
 * granted fields, and each is logged in the exchange's read log and the audit chain in one
 * transaction. The person whose data it is reads that log on /account/data-use.
 *
 * Providers sit behind one connector interface (struct exchange_connector): the sandbox
 * registers in the database for the demo and tests, or a department's REST API.
 * Design, invariants and limits: docs/internals/exchange.md.
 *
 * Threads: a `struct exchange` is shared by all server threads; every function is
 * thread-safe. JSON results are new references owned by the caller.
 */
#ifndef ONEWINDOW_EXCHANGE_EXCHANGE_H
#define ONEWINDOW_EXCHANGE_EXCHANGE_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"

struct crypto_keyring;
struct identity;
struct oidc;
struct store;
struct web_server;

struct exchange;

/* The scope a department system's token must carry (registered with the client). */
#define EXCHANGE_SCOPE "exchange:read"
/* Bounds of what a caller sends. */
#define EXCHANGE_MAX_PURPOSE 64  /* a purpose code, [a-z0-9_] */
#define EXCHANGE_MAX_CASE 64     /* a case number, [A-Za-z0-9-] */
#define EXCHANGE_MAX_FIELDS 32   /* fields of one resource */
#define EXCHANGE_DEFAULT_RATE 60 /* calls per minute a grant allows unless set */

/* ---- providers ---------------------------------------------------------------------- */

/*
 * A provider's register, as the exchange sees it. fetch() looks up the record of `key`
 * (an ID number or a credit code) in `resource` and returns 0 with *record a new JSON
 * object of field values, 1 when the register has no such record, or -1 with err: 504
 * "exchange.provider_timeout" when it did not answer in time, 502
 * "exchange.provider_failed" when it answered something that is not a record. A
 * connector never returns part of a record. `ctx` is the connector's own.
 */
struct exchange_connector {
    const char *name; /* "sandbox", "rest" */
    void *ctx;
    int (*fetch)(void *ctx, const char *resource, const char *key, json_t **record,
                 struct err *err);
    /* 1: the register holds every subject, so "no record" means the subject does not
     * exist (a department's real register); 0: it holds some (the sandbox). */
    int complete;
};

/* Open the exchange on `s` (borrowed) with the sandbox connector for every resource. `kr`
 * (borrowed) keys the lookup hash under which reads are filed by subject. */
int exchange_open(struct store *s, struct crypto_keyring *kr, struct exchange **out,
                  struct err *err);
void exchange_close(struct exchange *x);
/* Put `resource` behind connector `c` (copied) instead of the sandbox. Call before serving. */
int exchange_set_connector(struct exchange *x, const char *resource,
                           const struct exchange_connector *c, struct err *err);

/* ---- the resource catalog ------------------------------------------------------------- */

/* Insert the resources of data/exchange/resources.json that the catalog lacks (at init;
 * an administrator's later edits survive). *added may be NULL. */
int exchange_resources_ensure(struct store *s, int *added, struct err *err);
/* Every resource document, ordered by code. */
int exchange_resources(struct exchange *x, json_t **out, struct err *err);
/* One resource, or -1 with err 404 "exchange.no_resource". */
int exchange_resource(struct exchange *x, const char *code, json_t **out, struct err *err);
/* Check a resource document (every problem as "exchange.bad_resource" with a sentence)
 * and store it, replacing one of the same code. Audited ("exchange.resource_put"). */
int exchange_resource_put(struct exchange *x, int64_t actor, const json_t *doc, struct err *err);

/* ---- requests and grants --------------------------------------------------------------- */

struct exchange_request {
    const char *client_id, *consumer_name; /* the requesting OIDC client */
    const char *resource;
    const char *fields;      /* space- or comma-separated; NULL or "": every field */
    const char *purpose;     /* a purpose code, e.g. "marriage_registration" */
    const char *legal_basis; /* a sentence naming the law or rule, 1..300 bytes */
};
/* Record a request. An unconditional (无条件) resource is approved at once for a year; a
 * conditional one waits for the provider (status "requested"); 不予共享 is refused (403
 * "exchange.not_shared"). Audited. */
int exchange_request(struct exchange *x, const struct exchange_request *r, int64_t *grant_id,
                     struct err *err);
/* The provider decides: approve (fields NULL: those requested; a subset otherwise; days
 * 1..1825; rate calls per minute, 0: EXCHANGE_DEFAULT_RATE) or reject. Audited. */
int exchange_grant_decide(struct exchange *x, int64_t actor, int64_t grant_id, int approve,
                          const char *fields, int days, int rate, struct err *err);
/* Revoke an approved grant: the next call is refused. Audited. */
int exchange_grant_revoke(struct exchange *x, int64_t actor, int64_t grant_id, struct err *err);
/* Grants, newest first; client_id NULL: all. */
int exchange_grants(struct exchange *x, const char *client_id, json_t **out, struct err *err);

/* ---- calls ------------------------------------------------------------------------------ */

struct exchange_call {
    const char *client_id, *consumer_name; /* from the verified token */
    const char *resource;
    const char *key;         /* the subject's ID number or credit code */
    const char *fields;      /* comma-separated; NULL: every granted field */
    const char *purpose;     /* must be the grant's */
    const char *case_number; /* 办件编号 */
    const char *ip;          /* may be NULL */
};
/*
 * One read: checks purpose and case number, finds the client's live grant for the
 * resource and purpose, applies its rate limit, asks the provider, keeps only granted
 * fields, and logs the read (exchange_reads + the audit chain, one transaction) before
 * answering. *out: {resource, record, withheld: [fields dropped], source, read_id}.
 * Errors: 400 exchange.bad_purpose / bad_case / bad_key; 404 exchange.no_resource /
 * no_record; 403 exchange.no_grant / grant_expired / grant_revoked / field_not_granted;
 * 429 exchange.rate_limited; 502/504 from the provider. Refusals after the resource and
 * key are known are logged too (outcome "denied", "failed"), so the person sees attempts.
 */
int exchange_read(struct exchange *x, const struct exchange_call *c, json_t **out, struct err *err);

/*
 * The platform's own read of a register record for a person's case (pre-filling a form,
 * 免申即享 eligibility): no grant (the platform is the controller here) but the same log,
 * so the person sees it. `actor` is the account on whose behalf (0: the system); `purpose`
 * and `case_number` as in a call. in_tx: the log joins the caller's transaction on this
 * thread's connection. *record: every field of the record.
 */
int exchange_record_for(struct exchange *x, int64_t actor, const char *resource, const char *key,
                        const char *purpose, const char *case_number, int in_tx, json_t **record,
                        struct err *err);
/* The same in two steps, so that a caller's write transaction never waits for a provider
 * (apply's 免提交): the provider's answer first, outside any transaction and writing
 * nothing (0 with *record, 1 no record, -1 with err: 504 / 502); then, inside the caller's
 * transaction once the case number is known, the log row with `outcome` ("ok",
 * "no_record", "failed"). */
int exchange_record_fetch(struct exchange *x, const char *resource, const char *key,
                          json_t **record, struct err *err);
int exchange_record_log(struct exchange *x, int64_t actor, const char *resource, const char *key,
                        const char *purpose, const char *case_number, const char *outcome,
                        int in_tx, struct err *err);

/* ---- trusted identity (issue 13 item 7) ------------------------------------------------ */

/* Does the population register give `name` for `id_number`? 0 yes, 1 no (or no such
 * person in a complete register), 2 cannot say (no record in an incomplete register), -1
 * with err. A logged platform read (purpose identity_verification), so the person sees
 * registrations tried with their number. */
int exchange_check_person(struct exchange *x, const char *name, const char *id_number,
                          struct err *err);
/* Does the legal person register name `id_number` as the legal representative of `uscc`?
 * Answers as exchange_check_person. */
int exchange_check_legal_rep(struct exchange *x, const char *uscc, const char *id_number,
                             struct err *err);

/* ---- the person's view --------------------------------------------------------------- */

/* Other uses of a person's data that "who used my data" lists beside the exchange's reads
 * (certificate uses, from src/certs through wiring): appends to `rows` at most `limit`
 * objects {at (ms), consumer, what, case_number, purpose}, newest first. Set once at
 * start-up. */
struct exchange_other_uses {
    void *ctx;
    int (*list)(void *ctx, int64_t account_id, int limit, json_t *rows, struct err *err);
};
void exchange_set_other_uses(struct exchange *x, const struct exchange_other_uses *u);

/* A page of "who used my data" shows this many reads; an export at most the maximum. */
#define EXCHANGE_DATA_USE_PAGE 50
#define EXCHANGE_DATA_USE_MAX 1000
/* Reads of `key`'s data, newest first, at most `limit` (1..EXCHANGE_DATA_USE_MAX) with id
 * below `before`
 * (0: from the newest): [{id, at, consumer, resource, fields, purpose, case_number,
 * legal_basis, outcome}]. */
int exchange_data_use(struct exchange *x, const char *key, int64_t before, int limit, json_t **out,
                      struct err *err);

/* For auditors: reads of every subject (the subject only as a hash prefix), newest first,
 * optionally of one case number, at most `limit` (1..EXCHANGE_DATA_USE_MAX) below `before`. */
int exchange_reads_search(struct exchange *x, const char *case_number, int64_t before, int limit,
                          json_t **out, struct err *err);

/* A person disputes a value register `resource` gave for `field` (issue 13 item 6): a
 * correction request to the provider, with the person's `note` (1..500 characters). 400
 * exchange.bad_field / exchange.bad_note. Audited ("exchange.correction", without the note). */
int exchange_correction_request(struct exchange *x, int64_t account_id, const char *resource,
                                const char *field, const char *note, struct err *err);
/* Correction requests about `resource`, newest first: [{id, at, account_id, resource, field,
 * note, status}]. */
int exchange_corrections(struct exchange *x, const char *resource, json_t **out, struct err *err);

/* ---- demo, command line, routes --------------------------------------------------------- */

/* Sandbox records consistent with the demo accounts (src/app/demo.c). */
int exchange_load_demo(struct exchange *x, int *records, struct err *err);
/* `onewindow exchange resources|grants|approve|reject|revoke|sandbox-put ...`; returns the
 * exit status (0, 1 runtime, 2 usage) with err set when not 0. */
int exchange_cli(struct exchange *x, int argc, char **argv, struct err *err);
/* GET /exchange/resources (+ /api/v1/exchange/resources), GET /exchange/v1/{resource},
 * POST /exchange/v1/requests, GET /exchange/v1/openapi.json, GET /account/data-use (+
 * /api/v1/account/data-use, ?format=csv). `o` verifies bearer tokens; all borrowed. */
int exchange_http_register(struct web_server *srv, struct exchange *x, struct oidc *o,
                           struct identity *id);

#endif
