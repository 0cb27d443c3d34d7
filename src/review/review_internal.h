/* review_internal.h - what review.c, review_store.c and review_http.c share. */
#ifndef ONEWINDOW_REVIEW_INTERNAL_H
#define ONEWINDOW_REVIEW_INTERNAL_H

#include <pthread.h>

#include "review/review.h"

struct calendar;
struct store_conn;

struct review {
    struct store *store;
    struct notify *notify;
    struct identity *id;
    struct review_target_fn target;
    pthread_mutex_t lock;     /* guards cal */
    struct calendar *cal;     /* working days for task deadlines, reloaded on a version change */
    review_count_fn on_count; /* set by wiring: oversight's satisfaction per day */
    void *on_count_ctx;
};

struct review_last {
    int found;
    int64_t rating_id;
    int round, level;
    int has_task;
    int task_open;
};

struct review_task_row {
    int64_t id, department_id, application_id, applicant_account;
    int open;
    char item_code[48];
};

int review_db_last(struct store_conn *c, int64_t application_id, struct review_last *out,
                   struct err *err);
int review_db_rating_insert(struct store_conn *c, int64_t id, int64_t application_id, int round,
                            int level, const char *channel, const char *comment, int64_t rater,
                            int64_t recorded_by, int64_t department_id, const char *item_code,
                            int64_t now, struct err *err);
int review_db_task_insert(struct store_conn *c, int64_t id, int64_t rating_id,
                          int64_t application_id, int64_t department_id, int64_t applicant,
                          const char *item_code, int64_t deadline, int64_t now, struct err *err);
int review_db_task_get(struct store_conn *c, int64_t id, struct review_task_row *out, int *found,
                       struct err *err);
int review_db_task_respond(struct store_conn *c, int64_t id, const char *response, int64_t by,
                           int64_t now, int *changed, struct err *err);
/* Ratings of an application, oldest round first, appended to `arr`. */
int review_db_history(struct store_conn *c, int64_t application_id, json_t *arr, struct err *err);
/* Tasks of a department appended to `arr` (status NULL: all). */
int review_db_tasks(struct store_conn *c, int64_t department_id, const char *status, int64_t now,
                    json_t *arr, struct err *err);
/* The statistics' running totals: one more rating of `level` (1..5) for the department and
 * the item, or (level 0) one more bad rating rectified. Joins the caller's transaction. */
int review_db_count_add(struct store_conn *c, int64_t department_id, const char *item_code,
                        int level, struct err *err);
/* Every total: by_item 0 for a department (key: its id in decimal), 1 for an item. */
typedef void (*review_db_count_fn)(void *ctx, int by_item, const char *key, int level, int64_t n);
int review_db_counts(struct store_conn *c, review_db_count_fn fn, void *ctx, struct err *err);

#endif
