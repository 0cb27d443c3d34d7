/*
 * review.h - 好差评, the good/bad evaluation of government services (module
 * contract §4 in docs/ARCHITECTURE.md).
 *
 * After a decision on an application, its applicant rates the service on the national five
 * levels with an optional comment (channel online); counter staff record a walk-in
 * applicant's rating (counter), 12345 agents a caller's (hotline). One rating per
 * application and round. A bad rating (1 非常不满意 or 2 不满意) opens a rectification task
 * (整改) for the deciding department with a deadline of REVIEW_RECTIFY_DAYS working days;
 * the department's head or reviewer responds; the applicant sees the response and may rate
 * again, which is the next round. Public statistics per department and per item count every
 * rating of every round. Each rating and response is audited in its transaction and
 * notified (the department on a bad rating, the applicant on a response).
 *
 * Which application is whose and whether it is decided comes from a callback set by wiring
 * (apply's apply_rating_target), so review never includes apply. Design:
 * docs/internals/review.md.
 */
#ifndef ONEWINDOW_REVIEW_REVIEW_H
#define ONEWINDOW_REVIEW_REVIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct store_conn;
struct notify;
struct identity;
struct authz_subject;
struct web_server;

struct review;

/* The national levels. */
enum review_level {
    REVIEW_VERY_UNSATISFIED = 1, /* 非常不满意 */
    REVIEW_UNSATISFIED = 2,      /* 不满意 */
    REVIEW_BASIC = 3,            /* 基本满意 */
    REVIEW_SATISFIED = 4,        /* 满意 */
    REVIEW_VERY_SATISFIED = 5,   /* 非常满意 */
};
/* "very_unsatisfied", "unsatisfied", "basic", "satisfied", "very_satisfied"; NULL if not 1..5. */
const char *review_level_name(int level);
/* A level from "1".."5" or its name; -1 otherwise. */
int review_level_parse(const char *s);
/* Channels: "online", "counter", "hotline", "sms"; 1 if known. */
int review_channel_valid(const char *s);

/* Working days a department has to respond to a bad rating. */
#define REVIEW_RECTIFY_DAYS 5
/* Longest comment and response, in characters. */
#define REVIEW_TEXT_MAX 500

struct review_target_fn { /* set by wiring from apply_rating_target and the catalog */
    void *ctx;
    int (*lookup)(void *ctx, int64_t application_id, int64_t *applicant_account,
                  int64_t *department_id, char item_code[48], int *decided, struct err *err);
    /* The service's name in every language the catalog has ({"zh": .., "bo": .., "en": ..},
     * a new reference), for messages read in any language; may be NULL (the code is shown). */
    json_t *(*item_names)(void *ctx, const char *item_code);
};

/* Open the module; store, notify and identity (department names for statistics) are
 * borrowed. Until a target is set every rating is refused (503 review.no_target). */
int review_open(struct store *st, struct notify *n, struct identity *id, struct review **out,
                struct err *err);
void review_close(struct review *r);
void review_set_target(struct review *r, const struct review_target_fn *t);

struct review_rating_in {
    int64_t application_id;
    int level;           /* 1..5 */
    const char *channel; /* online (the applicant), counter, hotline (staff for the applicant) */
    const char *comment; /* optional */
    const char *lang;    /* the applicant's language, for messages (NULL: zh) */
    const char *ip;      /* for the audit record */
};

/* Record a rating by `subj`. online and sms: only the applicant (anyone else gets 404
 * review.not_found, so ids cannot be probed); counter: a clerk or head of the deciding
 * department; hotline: a 12345 agent (platform-wide). Returns 0 with the rating's id and
 * round; 1 with field errors appended to `problems` ([{field, code}], all at once: level
 * review.bad_level, comment review.comment_too_long, channel review.bad_channel); -1 with
 * err: 404 review.not_found, 409 review.not_decided, 409 review.already_rated (this round
 * is rated and not bad), 409 review.awaiting_response (a bad rating is not answered yet),
 * 503 review.no_target. Own transaction: rating, task, messages, audit. */
int review_rate(struct review *r, const struct authz_subject *subj,
                const struct review_rating_in *in, json_t *problems, int64_t *rating_id, int *round,
                struct err *err);

/* The department responds to an open task: a head or reviewer of its department. 0; 1 with
 * a field error (response review.response_required / review.response_too_long); -1 with
 * 404 review.task_not_found (absent or not theirs), 409 review.already_responded. */
int review_respond(struct review *r, const struct authz_subject *subj, int64_t task_id,
                   const char *response, const char *ip, json_t *problems, struct err *err);

/* An application's ratings for its applicant or the department's staff (else 404):
 * {application_id, item_code, department_id, can_rate, next_round, ratings: [{id, round,
 * level, level_name, channel, comment, created_at, task?: {id, status, deadline_at,
 * response?, responded_at?}}]} (new reference). can_rate says whether `subj` may rate now
 * online (the applicant, decided, no open task, no good rating yet). */
int review_history(struct review *r, const struct authz_subject *subj, int64_t application_id,
                   json_t **out, struct err *err);

/* Tasks of the departments where `subj` is head or reviewer, open first by deadline:
 * [{id, application_id, department_id, item_code, level, comment, status, deadline_at,
 * overdue, response?, responded_at?, created_at}] (new reference). status NULL: all. */
int review_tasks(struct review *r, const struct authz_subject *subj, const char *status,
                 int64_t now_ms, json_t **out, struct err *err);

/* Public statistics: {formula, departments: [{department_id, counts: {"1".."5"}, total,
 * satisfied, satisfaction_rate (percent with one decimal, null when no rating), bad,
 * rectified}], items: [same with item_code], total: {...}} (new reference). */
int review_stats(struct review *r, json_t **out, struct err *err);
/* Called inside the transaction of every rating (level 1..5) and every answered bad rating
 * (level 0), after the running totals: oversight's figures per day (set by wiring). */
typedef int (*review_count_fn)(void *ctx, struct store_conn *c, int64_t department_id,
                               const char *item_code, int level, int64_t at, struct err *err);
void review_on_count(struct review *r, review_count_fn fn, void *ctx);
/* Changes whenever a rating or response is stored (the statistics cache's version). */
int64_t review_version(struct review *r);

/* Pages: /reviews/{application_id} (history, rating form; POST rates), its counter form
 * POST /reviews/{application_id}/record, /workbench/rectifications (+ POST
 * /workbench/rectifications/{id}/respond), /ratings; JSON twins under /api/v1. */
int review_http_register(struct web_server *srv, struct review *r, struct identity *id);

/* Whether the application has been rated at least once (*rated 1 or 0). */
int review_is_rated(struct review *r, int64_t application_id, int *rated, struct err *err);

#endif
