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
    /* The job (oversight_jobs_start): escalation every tick, the digest once a day. */
    pthread_t job;
    pthread_mutex_t job_lock;
    pthread_cond_t job_wake;
    int job_started, job_stop, tick_s, digest_day;
    oversight_hotline_fn hotline; /* the 12345 figures (NULL: not shown) */
    void *hotline_ctx;
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

/* Sums of oversight_daily (and its roll-ups) over a selection. */
struct oversight_db_sums {
    int64_t received, online, accepted, returned, rejected, completed, on_time, days_sum;
    int64_t ratings, satisfied, bad, rectified; /* 好差评: all, 5-3, 1-2, bad ones answered */
};
#define OVERSIGHT_NSUMS 12

/* The key of a figure's row besides its day. */
struct oversight_key {
    int64_t department_id, division_code;
    const char *item_code;
};

/* A period as runs of one grain each (oversight_runs): days (YYYYMMDD), 7-day blocks of a
 * month (YYYYMM * 10 + b: b 0 days 1-7, 1 8-14, 2 15-21, 3 22-28, 4 29 to the end) or
 * months (YYYYMM); [lo, hi] keys of that grain, every key between them inside the period. */
enum { OVERSIGHT_DAY, OVERSIGHT_BLOCK, OVERSIGHT_MONTH };
struct oversight_run {
    int grain, lo, hi;
};
#define OVERSIGHT_MAX_RUNS 8
/* [from, to] as the fewest runs, whole months first, then whole blocks, then days (at most
 * 12 days: 6 on each side). Returns the number of runs. */
int oversight_runs(int from, int to, struct oversight_run *out);
/* The block (YYYYMM * 10 + b) and the Monday (YYYYMMDD) of a day. */
int oversight_block_of(int day);
int oversight_week_of(int day);
/* A day plus n days (n may be negative); days since 1970-01-01 of a day. */
int oversight_day_add(int day, int n);
int64_t oversight_day_number(int day);
/* The index of a figure with cases behind it (received, online, returned, completed,
 * on_time, late), -1 for another name. */
int oversight_figure_index(const char *figure);

/* A selection: divisions [lo, hi] and departments [dlo, dhi]. */
struct oversight_sel {
    int64_t lo, hi, dlo, dhi;
};
typedef void (*oversight_group_fn)(void *ctx, int64_t dept, int64_t division,
                                   const struct oversight_db_sums *d);

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
int oversight_db_open_due(struct store_conn *c, const char *number, int64_t due_at,
                          struct err *err);
int oversight_db_open_delete(struct store_conn *c, int64_t application_id, struct err *err);
/* Add a transition's deltas to the day, its month, its block (and its week: received and
 * completed); a completed case's working days to the three histograms. */
int oversight_db_fold(struct store_conn *c, int day, const struct oversight_key *k,
                      const struct oversight_db_sums *d, struct err *err);
int oversight_db_fold_days(struct store_conn *c, int day, const struct oversight_key *k, int days,
                           struct err *err);
/* Sums of one run grouped by (department, division), handed to fn row by row. */
int oversight_db_groups(struct store_conn *c, const struct oversight_run *r,
                        const struct oversight_sel *s, oversight_group_fn fn, void *ctx,
                        struct err *err);
/* Working days used by the completed cases of one run, added to n[days] (n[max - 1] holds
 * every larger value). */
int oversight_db_hist(struct store_conn *c, const struct oversight_run *r,
                      const struct oversight_sel *s, int64_t *n, int max, struct err *err);
/* Received and completed per week (weekly 1, keys are Mondays) or per day (0) of [from, to]
 * in the selection's divisions: rows {day, received, completed}. */
int oversight_db_weeks(struct store_conn *c, int weekly, int from, int to,
                       const struct oversight_sel *s, json_t *rows, struct err *err);
/* The per-case facts: what 0 received (flag: online), 1 returned, 2 completed (flag: on
 * time). */
int oversight_db_fact(struct store_conn *c, const struct oversight_event *e, int what, int day,
                      int flag, struct err *err);
/* The cases behind a figure (oversight_figure_index) in [from, to], by division, day and
 * number, at most limit. */
int oversight_db_facts(struct store_conn *c, int figure, const struct oversight_sel *s, int from,
                       int to, int limit, json_t *rows, struct err *err);
/* Record the digest of (dept, day); *fresh 0 when it was sent already. */
int oversight_db_digest_mark(struct store_conn *c, int64_t dept, int day, int64_t now, int *fresh,
                             struct err *err);

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
