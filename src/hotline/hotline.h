/*
 * hotline.h - the 12345 hotline (12345 政务服务便民热线) as one service desk: work orders
 * (工单) from every channel (phone, web, mobile web, Open311), routing by responsibility
 * (按责转办) with routing rules and a character n-gram classifier, department acceptance,
 * reply, deadlines and supervision (督办), callback and online rating (回访, 好差评).
 *
 * Personal data: the caller's phone is sealed with the keyring's PII AEAD key (associated
 * data "hotline_orders.phone:<id>") beside a keyed lookup hash; views get it masked
 * (138****0001) except for the agent who took the call.
 *
 * Every function that changes an order begins and commits its own transaction and writes
 * its audit record and timeline event inside it. Strings returned live in the caller's arena.
 * Design: docs/internals/hotline.md.
 */
#ifndef ONEWINDOW_HOTLINE_HOTLINE_H
#define ONEWINDOW_HOTLINE_HOTLINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct crypto_keyring;
struct identity;
struct web_server;

struct hotline;

/* Integrations set by wiring (src/app/wiring.c), so that this module builds and is tested
 * without the search and notify modules; each pointer may be NULL (then the timeline still
 * records the notification, and search falls back to the module's own listing). */
struct hotline_doc {
    const char *kind; /* "order" or "kb" */
    int64_t id;
    const char *lang, *title, *body, *tag;
    int64_t dept_id, division_code, updated_at_ms;
    int visibility; /* 0 public, 1 staff */
};
struct hotline_hooks {
    void *ctx;
    /* Index a document; joins the caller's transaction. */
    int (*index)(void *ctx, const struct hotline_doc *d, struct err *err);
    /* Send a message (kind is an i18n key of web/i18n/xx/hotline.json); joins the caller's
     * transaction. account_id 0 with a phone for callers without an account. */
    int (*notify)(void *ctx, int64_t account_id, const char *phone, const char *lang,
                  const char *kind, const json_t *params, const char *link, struct err *err);
    /* Search documents of `kind` (public ones unless include_staff): the search module's
     * result object {total, hits: [{id, title, snippet: [{text, hit}]...}]}. */
    int (*search)(void *ctx, const char *kind, const char *q, int include_staff, int limit,
                  json_t **result, struct err *err);
    /* Queue an order for indexing after commit (joins the caller's transaction), and wake
     * the indexing job once the transaction committed. When index_later is NULL an order
     * is indexed by `index` inside its transaction. The indexing job builds the document
     * with hotline_order_doc. */
    int (*index_later)(void *ctx, const char *kind, int64_t id, struct err *err);
    void (*indexed)(void *ctx);
};

int hotline_open(struct store *st, struct crypto_keyring *kr, struct identity *id,
                 struct hotline **out, struct err *err);
void hotline_close(struct hotline *h);
void hotline_set_hooks(struct hotline *h, const struct hotline_hooks *hooks);
struct store *hotline_store(struct hotline *h);

/* Channels and urgencies. */
#define HOTLINE_CHANNELS "phone web mobile open311"
#define HOTLINE_URGENCIES "urgent normal low"

/* Order states. */
#define HOTLINE_NEW "new"               /* registered, waiting for the centre */
#define HOTLINE_ANSWERED "answered"     /* answered directly by the agent (直接答复) */
#define HOTLINE_DISPATCHED "dispatched" /* sent to a department (按责转办) */
#define HOTLINE_ACCEPTED "accepted"     /* the department took it */
#define HOTLINE_RETURNED "returned"     /* sent back with a reason: the centre decides */
#define HOTLINE_REPLIED "replied"       /* the department answered */
#define HOTLINE_CLOSED "closed"         /* rated or called back */
#define HOTLINE_MERGED "merged"         /* folded into another order about the same problem */

/* A new order as given by a channel. */
struct hotline_intake {
    const char *channel;     /* phone|web|mobile|open311 */
    const char *category;    /* may be NULL or "" (the centre classifies) */
    const char *division;    /* 12-digit (or 6-digit) division code, township or village */
    const char *address;     /* required, <= 200 characters */
    const char *lat, *lon;   /* optional decimal degrees */
    const char *description; /* required, 5..4000 characters */
    const char *caller_name; /* optional (anonymous) */
    const char *phone;       /* optional mainland mobile or landline digits */
    const char *urgency;     /* urgent|normal|low; NULL = normal */
    const char *lang;        /* zh|bo|en */
    int64_t caller_account;  /* 0 when anonymous */
    int64_t agent_id;        /* the agent who took the call (phone channel) */
    int64_t api_key_id;      /* Open311 */
};

/* Field errors, all at once. */
#define HOTLINE_MAX_FIELD_ERRORS 12
struct hotline_field_errors {
    size_t n;
    struct {
        const char *field;
        char code[64];
        char msg[200];
    } e[HOTLINE_MAX_FIELD_ERRORS];
};

/* An order as read. */
struct hotline_order {
    int64_t id;
    const char *number, *token, *channel, *status, *urgency, *category;
    int64_t division_code;
    const char *address, *lat, *lon, *description, *caller_name, *lang;
    const char *phone_masked; /* NULL when none */
    const char *phone;        /* plaintext only when asked for and allowed; else NULL */
    int64_t caller_account, agent_id, department_id;
    const char *suggested_category;
    int64_t suggested_department;
    const char *reply;
    int rating;
    int64_t merged_into;
    int64_t created_at, dispatched_at, accepted_at, replied_at, closed_at, deadline_at, updated_at;
};

/* Validate and register an order. 0 with its number (arena); 1 with field errors (nothing
 * stored); -1 with err. */
int hotline_order_create(struct hotline *h, struct arena *a, const struct hotline_intake *in,
                         const char *ip, int64_t *order_id, const char **number,
                         struct hotline_field_errors *fe, struct err *err);
/* hotline_order_create, also giving the order's access token (arena; token may be NULL):
 * the Open311 answer carries it without reading the order back (issue 19). */
int hotline_order_create_ex(struct hotline *h, struct arena *a, const struct hotline_intake *in,
                            const char *ip, int64_t *order_id, const char **number,
                            const char **token, struct hotline_field_errors *fe, struct err *err);
/* Read by number or id (404 hotline.not_found). `with_phone` decrypts the phone. */
int hotline_order_get(struct hotline *h, struct arena *a, const char *number,
                      struct hotline_order *out, int with_phone, struct err *err);
int hotline_order_by_id(struct hotline *h, struct arena *a, int64_t id, struct hotline_order *out,
                        int with_phone, struct err *err);
int hotline_order_by_token(struct hotline *h, struct arena *a, const char *token,
                           struct hotline_order *out, struct err *err);
/* Public status lookup: number + phone must match (404 otherwise, never saying which).
 * Failures are counted per number and per address `ip`: past 5 for a number or 30 for an
 * address within 15 minutes, every look-up of them is 429 hotline.lookup_paused until the
 * window ends. */
int hotline_order_lookup(struct hotline *h, struct arena *a, const char *number, const char *phone,
                         const char *ip, struct hotline_order *out, struct err *err);

/* A list filter (every field optional). */
struct hotline_filter {
    const char *status;   /* one state, or NULL */
    const char *statuses; /* space-separated states, or NULL */
    const char *category;
    int64_t department_id;      /* 0: any */
    const int64_t *departments; /* or one of these (department queue) */
    size_t ndepartments;
    int64_t from_ms, to_ms; /* created_at range, 0 = open */
    const char *number;     /* exact */
    int limit, offset;
};
int hotline_order_list(struct hotline *h, struct arena *a, const struct hotline_filter *f,
                       struct hotline_order **out, size_t *n, struct err *err);

/* The timeline: JSON array of {at, kind, actor_id, department_id, note}. */
int hotline_timeline(struct hotline *h, int64_t order_id, json_t **events, struct err *err);

/* ---- workflow (each: own transaction, audited, timeline event) ----------------------- */
/* Errors: 404 hotline.not_found, 409 hotline.bad_state, 400 field codes. */
int hotline_answer(struct hotline *h, int64_t actor, const char *ip, const char *number,
                   const char *category, const char *answer, struct err *err);
/* Dispatch to a department (category and department confirmed or corrected by the agent;
 * the correction is stored for training). Sets the deadline from the urgency's limit. */
int hotline_dispatch(struct hotline *h, int64_t actor, const char *ip, const char *number,
                     const char *category, int64_t department_id, struct err *err);
int hotline_accept(struct hotline *h, int64_t actor, const char *ip, const char *number,
                   struct err *err);
int hotline_send_back(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *reason, struct err *err);
int hotline_reply(struct hotline *h, int64_t actor, const char *ip, const char *number,
                  const char *reply, struct err *err);
/* A rating 1..5 (好差评: 5 very satisfied .. 1 very unsatisfied), online by the caller
 * (actor 0) or recorded by an agent after a callback (回访). 1 and 2 with reopen=1 send the
 * order back to its department with a new deadline; otherwise the order closes. */
int hotline_rate(struct hotline *h, int64_t actor, const char *ip, const char *number, int rating,
                 const char *comment, int reopen, struct err *err);
int hotline_supervise(struct hotline *h, int64_t actor, const char *ip, const char *number,
                      const char *note, struct err *err);
/* The department asks for more time; the centre approves (the deadline moves by hours). */
int hotline_extension_request(struct hotline *h, int64_t actor, const char *ip, const char *number,
                              int hours, const char *reason, struct err *err);
int hotline_extension_approve(struct hotline *h, int64_t actor, const char *ip, const char *number,
                              struct err *err);
/* Merge `number` into `into` (same problem): the first is closed as merged, every caller is
 * notified. */
int hotline_merge(struct hotline *h, int64_t actor, const char *ip, const char *number,
                  const char *into, struct err *err);

/* ---- deadlines ------------------------------------------------------------------------- */
/* "green", "yellow" (>= 80% of the time used) or "red" (overdue) at now_ms. */
const char *hotline_mark(const struct hotline_order *o, int64_t now_ms);
/* The deadline for an urgency limit from start_ms: hours, or working days (calendar). */
int hotline_deadline(struct hotline *h, const char *urgency, int64_t start_ms, int64_t *deadline,
                     struct err *err);
/* The periodic job: reminders before the deadline (yellow) and escalation to the
 * department head when overdue; each once per order. Counts returned. */
int hotline_tick(struct hotline *h, int64_t now_ms, int *reminded, int *escalated, struct err *err);

/* ---- categories, routing ------------------------------------------------------------- */
int hotline_category_put(struct hotline *h, int64_t actor, const char *code, const char *zh,
                         const char *bo, const char *en, struct err *err);
/* Whether `code` is an active category: 0 with *found. Categories are only ever added or
 * renamed, so known codes are remembered (no read per intake once a code was seen). */
int hotline_category_known(struct hotline *h, const char *code, int *found, struct err *err);
/* The search document of order `id` as stored now (strings in the arena): 1, 0 when there
 * is no such order, -1 with err. Uses the calling thread's connection (and transaction). */
int hotline_order_doc(struct hotline *h, struct arena *a, int64_t id, struct hotline_doc *d,
                      struct err *err);
/* JSON array of {code, name, name_zh, name_bo, name_en} (name in lang). */
int hotline_categories(struct hotline *h, const char *lang, json_t **out, struct err *err);
int hotline_route_put(struct hotline *h, int64_t actor, const char *category,
                      int64_t division_prefix, int64_t department_id, struct err *err);
/* The department the rules give for a category in a division (most specific prefix
 * wins): 0 with *department_id, or 0 with 0 when no rule applies. */
int hotline_route(struct hotline *h, const char *category, int64_t division_code,
                  int64_t *department_id, struct err *err);

/* ---- the classifier (multinomial naive Bayes over character 1-3-grams) --------------- */
#define HOTLINE_TOP 3
struct hotline_guess {
    char label[48]; /* category code, or department id in decimal */
    double p;
};
struct hotline_suggestion {
    int ncat, ndept;
    struct hotline_guess cat[HOTLINE_TOP], dept[HOTLINE_TOP];
};
struct hotline_model;
/* Train from labelled texts: texts[i] with category cats[i] and department depts[i]. */
struct hotline_model *hotline_model_train(const char *const *texts, const char *const *cats,
                                          const int64_t *depts, size_t n);
void hotline_model_free(struct hotline_model *m);
void hotline_model_predict(const struct hotline_model *m, const char *text,
                           struct hotline_suggestion *out);
/* Train from the store (replied, closed and answered orders with a category, including the
 * agents' corrections) and install the model. *n = examples used. */
int hotline_train(struct hotline *h, size_t *n, struct err *err);
/* Suggest with the installed model (none: ncat = ndept = 0). */
void hotline_suggest(struct hotline *h, const char *text, struct hotline_suggestion *out);
/* Held-out evaluation: every 5th example (by id) is held out. */
int hotline_evaluate(struct hotline *h, size_t *ntrain, size_t *ntest, double *top1_cat,
                     double *top3_cat, double *top1_dept, double *top3_dept, struct err *err);

/* ---- knowledge base ------------------------------------------------------------------ */
/* Create (id 0) or replace an article: lang zh|bo|en, title 2..120 characters, body
 * 2..20000, category optional (must exist). Indexed as kind "kb" (public). Audited. */
int hotline_kb_put(struct hotline *h, int64_t actor, int64_t id, const char *lang,
                   const char *title, const char *body, const char *category, int64_t source_order,
                   int64_t *out_id, struct err *err);
/* An article as JSON {id, lang, title, body, category, source_order, updated_at}; 404
 * hotline.kb_not_found. */
int hotline_kb_get(struct hotline *h, int64_t id, json_t **out, struct err *err);
/* The newest articles: [{id, lang, title, category, updated_at}]. */
int hotline_kb_list(struct hotline *h, int limit, json_t **out, struct err *err);
/* An answered or replied order becomes an article (its description as the question, the
 * answer as the body; no personal data is copied). */
int hotline_kb_from_order(struct hotline *h, int64_t actor, const char *number, int64_t *out_id,
                          struct err *err);

/* ---- dashboards ----------------------------------------------------------------------- */
/* Statistics of orders created in [from_ms, to_ms): JSON {by_category, by_division,
 * by_week, hot_spots, response_hours, resolution_hours, satisfaction, overdue_rate, total}. */
int hotline_stats(struct hotline *h, const char *lang, int64_t from_ms, int64_t to_ms, json_t **out,
                  struct err *err);

/* The 12345 figures for the leaders' dashboard (issue 15): orders created on the days
 * [from, to] (YYYYMMDD) in the counties whose 12-digit codes are in [lo, hi] (a division's
 * subtree), from the daily roll-up, never scanning the orders. JSON {received, dispatched,
 * replied, rated, response_hours (created -> dispatched), resolution_hours (created ->
 * replied), reply_on_time_rate (replied by the deadline, %), satisfaction_rate (4 or 5
 * stars, %)}; an average or rate without a base is null. Merged orders count nowhere. */
int hotline_kpi(struct hotline *h, int64_t lo, int64_t hi, int from, int to, json_t **out,
                struct err *err);

/* ---- demo ----------------------------------------------------------------------------- */
/* Categories, routing rules and `n` closed demo orders (zh, some bo) for training. */
int hotline_load_demo(struct hotline *h, int n, int *categories, int *orders, struct err *err);

/* ---- background jobs ------------------------------------------------------------------ */
/* Start a thread that trains the classifier now and every `retrain_s`, and runs
 * hotline_tick every `tick_s`. Stopped by hotline_close. */
int hotline_jobs_start(struct hotline *h, int tick_s, int retrain_s, struct err *err);

/* ---- wiring --------------------------------------------------------------------------- */
int hotline_http_register(struct web_server *srv, struct hotline *h);
/* `onewindow hotline train | evaluate | tick`. 0, 1 on failure, 2 usage. */
int hotline_cli(struct hotline *h, int argc, char **argv, struct err *err);

/* Masks: "138****0001"; NULL for NULL. */
const char *hotline_mask_phone(struct arena *a, const char *phone);

#endif
