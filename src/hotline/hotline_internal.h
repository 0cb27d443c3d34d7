/* hotline_internal.h - shared by the files of src/hotline/; nothing else includes it. */
#ifndef ONEWINDOW_HOTLINE_INTERNAL_H
#define ONEWINDOW_HOTLINE_INTERNAL_H

#include <pthread.h>

#include "hotline/hotline.h"

struct store_conn;

struct hotline {
    struct store *store;
    struct crypto_keyring *kr;
    struct identity *id;
    struct hotline_hooks hooks;
    pthread_rwlock_t model_lock;
    struct hotline_model *model; /* NULL until trained */
    /* The job thread. */
    pthread_t job;
    int job_started, job_stop, tick_s, retrain_s;
    pthread_mutex_t job_lock;
    pthread_cond_t job_wake;
    /* Category codes seen active (hotline_category_known). */
    pthread_mutex_t cat_lock;
    json_t *known_cats;
};

/* A stored order row with the sealed phone still sealed. */
struct hotline_row {
    struct hotline_order o;
    const unsigned char *phone_enc;
    size_t phone_enc_len;
};

/* ---- hotline_daily.c: the figures per day and county (migration 0026) ----------------- */
enum {
    HD_RECEIVED,
    HD_DISPATCHED,
    HD_RESPONSE_MS,
    HD_REPLIED,
    HD_RESOLUTION_MS,
    HD_REPLIED_LATE,
    HD_RATED,
    HD_SATISFIED,
    HOTLINE_DAILY_N
};
/* Inside the transaction that writes the order: add its contribution `after` less
 * `before` (either may be NULL: a new order, a deleted one). */
int hotline_daily_change(struct store_conn *c, const struct hotline_order *before,
                         const struct hotline_order *after, struct err *err);

/* ---- hotline_store.c: all SQL -------------------------------------------------------- */
/* Add the deltas d (HD_* order) to the row of (day, county). */
int hotline_db_daily_add(struct store_conn *c, int32_t day, int64_t county,
                         const int64_t d[HOTLINE_DAILY_N], struct err *err);
/* Sums over days [d0, d1] and counties [lo, hi] (HD_* order; zeros without rows). */
int hotline_db_daily_sum(struct store_conn *c, int64_t lo, int64_t hi, int32_t d0, int32_t d1,
                         int64_t s[HOTLINE_DAILY_N], struct err *err);
int hotline_db_seq_next(struct store_conn *c, const char *key, int64_t *n, struct err *err);
int hotline_db_order_insert(struct store_conn *c, const struct hotline_order *o,
                            const unsigned char *phone_enc, size_t phone_enc_len,
                            const char *phone_hash, int64_t api_key_id, struct err *err);
/* by: 0 id, 1 number, 2 token. *found 0/1. */
int hotline_db_order_get(struct store_conn *c, struct arena *a, int by, int64_t id, const char *key,
                         struct hotline_row *out, int *found, struct err *err);
int hotline_db_order_list(struct store_conn *c, struct arena *a, const struct hotline_filter *f,
                          struct hotline_row **out, size_t *n, struct err *err);
/* Orders with this phone hash (status lookup). */
/* Failed look-ups by number and phone (hotline_order_lookup's throttle): the failures of
 * `key` in the window that started after `since` (0 if none), and recording one more (a
 * window older than `since` starts again at 1; older rows of any key are purged). */
int hotline_db_lookup_failures(struct store_conn *c, const char *key, int64_t since,
                               int64_t *failures, struct err *err);
int hotline_db_lookup_failure_add(struct store_conn *c, const char *key, int64_t now, int64_t since,
                                  struct err *err);
int hotline_db_order_by_phone(struct store_conn *c, const char *number, const char *phone_hash,
                              int64_t *id, int *found, struct err *err);
/* Write the workflow columns of an order (status, category, department, reply, rating,
 * merged_into, the times, extension) guarded by the expected old status. *changed 0/1. */
int hotline_db_order_update(struct store_conn *c, const struct hotline_order *o,
                            const char *old_status, int64_t extension_hours, int64_t *changed,
                            struct err *err);
int hotline_db_order_marks(struct store_conn *c, int64_t id, int64_t reminded_at,
                           int64_t escalated_at, struct err *err);
int hotline_db_event_insert(struct store_conn *c, int64_t order_id, int64_t actor, const char *kind,
                            int64_t dept, const char *note, struct err *err);
int hotline_db_events(struct store_conn *c, int64_t order_id, json_t *arr, struct err *err);
int hotline_db_correction_insert(struct store_conn *c, int64_t order_id, const char *scat,
                                 int64_t sdept, const char *cat, int64_t dept, int64_t actor,
                                 struct err *err);
int hotline_db_pending_extension(struct store_conn *c, int64_t order_id, int64_t *hours,
                                 struct err *err);
int hotline_db_category_put(struct store_conn *c, const char *code, const char *zh, const char *bo,
                            const char *en, struct err *err);
int hotline_db_category_exists(struct store_conn *c, const char *code, int *found, struct err *err);
int hotline_db_categories(struct store_conn *c, const char *lang, json_t *arr, struct err *err);
int hotline_db_route_put(struct store_conn *c, const char *cat, int64_t prefix, int64_t dept,
                         struct err *err);
int hotline_db_route_find(struct store_conn *c, const char *cat, int64_t division, int64_t *dept,
                          struct err *err);
int hotline_db_limit(struct store_conn *c, const char *urgency, int *amount, char unit[16],
                     struct err *err);
/* The accounts holding `role` ("head") in a department. */
/* Training examples: text, category, department. Called per row. */
typedef int (*hotline_db_example_fn)(void *ctx, int64_t id, const char *text, const char *cat,
                                     int64_t dept);
int hotline_db_examples(struct store_conn *c, hotline_db_example_fn fn, void *ctx, struct err *err);
/* Orders due for a reminder (deadline within `before_ms` of now, not reminded) or an
 * escalation (overdue, not escalated). */
int hotline_db_due(struct store_conn *c, struct arena *a, int64_t now, int escalation,
                   struct hotline_row **out, size_t *n, struct err *err);
/* Dashboard rows of orders created in a range: created_at, category, division, status,
 * dispatched_at, replied_at, closed_at, deadline_at, rating, department. */
typedef void (*hotline_db_stat_fn)(void *ctx, int64_t created, const char *cat, int64_t division,
                                   const char *status, int64_t dispatched, int64_t replied,
                                   int64_t closed, int64_t deadline, int rating);
int hotline_db_stats(struct store_conn *c, int64_t from, int64_t to, hotline_db_stat_fn fn,
                     void *ctx, struct err *err);

/* Knowledge base. */
int hotline_db_kb_upsert(struct store_conn *c, int64_t id, const char *lang, const char *title,
                         const char *body, const char *category, int64_t source_order,
                         int64_t actor, int64_t now, struct err *err);
int hotline_db_kb_get(struct store_conn *c, int64_t id, json_t **out, struct err *err);
int hotline_db_kb_list(struct store_conn *c, int limit, json_t *arr, struct err *err);

/* Demo: write an order's whole handling at once (times given). */
int hotline_db_demo_finish(struct store_conn *c, const struct hotline_order *o, struct err *err);

/* Shared by hotline.c, hotline_flow.c and hotline_admin.c. */
const char *hotline_open_phone(struct hotline *h, struct arena *a, const struct hotline_row *r);
int hotline_one_of(const char *s, const char *list);
size_t hotline_chars(const char *s);
/* Index an order (or queue it for indexing after commit): inside the caller's transaction;
 * -1 only when queueing failed (the transaction must then roll back). */
int hotline_index_order(struct hotline *h, struct arena *a, const struct hotline_order *o,
                        struct err *err);
/* After the commit of a transaction that called hotline_index_order. */
void hotline_indexed(struct hotline *h);
int hotline_check_text(const char *s, size_t min, size_t max, const char *code, struct err *err);
int hotline_check_category(struct hotline *h, const char *cat, struct err *err);

#endif
