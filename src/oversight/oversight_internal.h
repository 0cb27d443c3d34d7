/*
 * oversight_internal.h - what the oversight module's files share: the handle and the
 * statements of oversight_store.c (the only file with SQL).
 */
#ifndef ONEWINDOW_OVERSIGHT_INTERNAL_H
#define ONEWINDOW_OVERSIGHT_INTERNAL_H

#include <pthread.h>

#include "oversight/oversight.h"

struct oversight {
    struct store *store;
    struct identity *id;
    struct notify *notify;
    struct crypto_keyring *kr;
    oversight_ratings_fn ratings;
    void *ratings_ctx;
    /* The job (oversight_jobs_start): escalation every tick, the digest once a day. */
    pthread_t job;
    pthread_mutex_t job_lock;
    pthread_cond_t job_wake;
    int job_started, job_stop, tick_s, digest_day;
};

/* The period [from, to] (YYYYMMDD) from "YYYY-MM-DD" texts (NULL or empty: 1 January of
 * this year, today); 400 oversight.bad_from / bad_to / bad_period. */
int oversight_period(const char *from_s, const char *to_s, int64_t now_ms, int *from, int *to,
                     struct err *err);
/* A division the figures may be asked for (NULL or empty: the region): the region, a
 * prefecture or a county; 400 oversight.bad_division. */
int oversight_division_arg(const char *s, int64_t *division, struct err *err);

/* Add on_time_rate, online_rate, return_rate and avg_days to a row of sums (KPI rules in
 * docs/internals/oversight.md). */
void oversight_add_rates(json_t *k);

/* The first millisecond of day YYYYMMDD in Asia/Shanghai. */
int64_t oversight_day_start_ms(int day);

/* Sums of oversight_daily over a selection. */
struct oversight_db_sums {
    int64_t received, online, accepted, returned, rejected, completed, on_time, days_sum;
};

/* One open case (oversight_open) in `a`-less form: strings copied into the fixed fields. */
struct oversight_db_case {
    int64_t application_id, department_id, division_code, due_at, submitted_at;
    char number[32], item_code[48], state[16];
    int limit_days;
};

struct oversight_db_note {
    int64_t id, application_id, department_id, division_code, author_id, deadline_at, created_at,
        answered_at, escalated_to, escalated_at;
    int level;
    char number[32];
};

/* An id from JSON (a decimal string, or an integer). */
int64_t oversight_db_json_id(const json_t *v);

int oversight_db_open_put(struct store_conn *c, const struct oversight_event *e, struct err *err);
int oversight_db_open_delete(struct store_conn *c, int64_t application_id, struct err *err);
int oversight_db_daily_add(struct store_conn *c, int day, const struct oversight_event *e,
                           const struct oversight_db_sums *d, struct err *err);
int oversight_db_days_add(struct store_conn *c, int day, const struct oversight_event *e, int days,
                          struct err *err);

/* Sums over [lo, hi] divisions, [dlo, dhi] departments, [from, to] days. */
int oversight_db_sums(struct store_conn *c, int64_t lo, int64_t hi, int64_t dlo, int64_t dhi,
                      int from, int to, struct oversight_db_sums *out, struct err *err);
/* Grouped sums: by 0 department, 1 division, 2 item; rows {key (string), sums...}. */
int oversight_db_sums_by(struct store_conn *c, int64_t lo, int64_t hi, int from, int to, int by,
                         json_t *rows, struct err *err);
/* Days histogram [{days, n}] and per-day received/completed [{day, received, completed}]. */
int oversight_db_days_hist(struct store_conn *c, int64_t lo, int64_t hi, int64_t dlo, int64_t dhi,
                           int from, int to, json_t *rows, struct err *err);
int oversight_db_per_day(struct store_conn *c, int64_t lo, int64_t hi, int from, int to,
                         json_t *rows, struct err *err);

int oversight_db_queue(struct store_conn *c, int64_t lo, int64_t hi, int64_t now, int64_t soon,
                       json_t *rows, struct err *err);
/* mark: 0 all, 1 soon, 2 overdue. */
int oversight_db_cases(struct store_conn *c, int64_t lo, int64_t hi, int64_t dlo, int64_t dhi,
                       int mark, int64_t now, int64_t soon, json_t *rows, struct err *err);
/* *found 0 when the number is not open. */
int oversight_db_case_get(struct store_conn *c, const char *number, struct oversight_db_case *out,
                          int *found, struct err *err);

int oversight_db_note_insert(struct store_conn *c, const struct oversight_db_note *n,
                             const char *body, struct err *err);
int oversight_db_note_get(struct store_conn *c, int64_t id, struct oversight_db_note *out,
                          int *answered, int *found, struct err *err);
/* 1 when answered now, 0 when it already was. */
int oversight_db_note_answer(struct store_conn *c, int64_t id, const char *answer, int64_t by,
                             int64_t at, int *changed, struct err *err);
/* Notes of one application, or of one department (dept != 0), as JSON rows. */
int oversight_db_notes_of_app(struct store_conn *c, int64_t application_id, json_t *rows,
                              struct err *err);
int oversight_db_notes_of_dept(struct store_conn *c, int64_t dept, json_t *rows, struct err *err);
/* Unanswered notes past their deadline (at most 500). */
int oversight_db_notes_due(struct store_conn *c, int64_t now, struct oversight_db_note *out,
                           size_t max, size_t *n, struct err *err);
int oversight_db_note_escalate(struct store_conn *c, int64_t id, int level, int64_t to,
                               int64_t deadline, int64_t at, struct err *err);

#endif
