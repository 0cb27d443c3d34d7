/* review_store.c - every SQL statement of the review module. */
#include "review/review_internal.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"

static const char SQL_LAST[] =
    "SELECT r.id, r.round, r.level, t.id, t.status FROM review_ratings r "
    "LEFT JOIN review_rectifications t ON t.rating_id = r.id "
    "WHERE r.application_id = ? ORDER BY r.round DESC LIMIT 1";
static const char SQL_RATING_INSERT[] =
    "INSERT INTO review_ratings (id, application_id, round, level, channel, comment, "
    "rater_account, recorded_by, department_id, item_code, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_TASK_INSERT[] =
    "INSERT INTO review_rectifications (id, rating_id, application_id, department_id, "
    "applicant_account, item_code, status, deadline_at, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)";
static const char SQL_TASK_GET[] =
    "SELECT id, department_id, application_id, applicant_account, status, item_code "
    "FROM review_rectifications WHERE id = ?";
static const char SQL_TASK_RESPOND[] =
    "UPDATE review_rectifications SET status = 'responded', response = ?, responded_by = ?, "
    "responded_at = ? WHERE id = ? AND status = 'open'";
static const char SQL_HISTORY[] =
    "SELECT r.id, r.round, r.level, r.channel, r.comment, r.created_at, t.id, t.status, "
    "t.deadline_at, t.response, t.responded_at FROM review_ratings r "
    "LEFT JOIN review_rectifications t ON t.rating_id = r.id "
    "WHERE r.application_id = ? ORDER BY r.round";
static const char SQL_TASKS[] =
    "SELECT t.id, t.application_id, t.department_id, t.item_code, r.level, r.comment, t.status, "
    "t.deadline_at, t.response, t.responded_at, t.created_at FROM review_rectifications t "
    "JOIN review_ratings r ON r.id = t.rating_id WHERE t.department_id = ? "
    "ORDER BY CASE WHEN t.status = 'open' THEN 0 ELSE 1 END, t.deadline_at, t.id LIMIT 500";
static const char SQL_COUNT_ADD[] =
    "INSERT INTO review_counts (scope, key, level, n) VALUES (?, ?, ?, 1) "
    "ON CONFLICT (scope, key, level) DO UPDATE SET n = review_counts.n + 1";
static const char SQL_COUNTS[] =
    "SELECT scope, key, level, n FROM review_counts ORDER BY scope, key, level";

int review_db_last(struct store_conn *c, int64_t application_id, struct review_last *out,
                   struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LAST, err);
    if (st == NULL)
        return -1;
    memset(out, 0, sizeof(*out));
    store_bind_int64(st, 1, application_id);
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        out->found = 1;
        out->rating_id = store_col_int64(st, 0);
        out->round = (int)store_col_int64(st, 1);
        out->level = (int)store_col_int64(st, 2);
        out->has_task = !store_col_is_null(st, 3);
        const char *s = store_col_text(st, 4);
        out->task_open = s != NULL && strcmp(s, "open") == 0;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int review_db_rating_insert(struct store_conn *c, int64_t id, int64_t application_id, int round,
                            int level, const char *channel, const char *comment, int64_t rater,
                            int64_t recorded_by, int64_t department_id, const char *item_code,
                            int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RATING_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, application_id);
    store_bind_int64(st, 3, round);
    store_bind_int64(st, 4, level);
    store_bind_text(st, 5, channel, -1);
    if (comment != NULL && *comment)
        store_bind_text(st, 6, comment, -1);
    else
        store_bind_null(st, 6);
    store_bind_int64(st, 7, rater);
    store_bind_int64(st, 8, recorded_by);
    store_bind_int64(st, 9, department_id);
    store_bind_text(st, 10, item_code, -1);
    store_bind_int64(st, 11, now);
    return store_run(st, NULL, err);
}

int review_db_task_insert(struct store_conn *c, int64_t id, int64_t rating_id,
                          int64_t application_id, int64_t department_id, int64_t applicant,
                          const char *item_code, int64_t deadline, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TASK_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, rating_id);
    store_bind_int64(st, 3, application_id);
    store_bind_int64(st, 4, department_id);
    store_bind_int64(st, 5, applicant);
    store_bind_text(st, 6, item_code, -1);
    store_bind_int64(st, 7, deadline);
    store_bind_int64(st, 8, now);
    return store_run(st, NULL, err);
}

int review_db_task_get(struct store_conn *c, int64_t id, struct review_task_row *out, int *found,
                       struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TASK_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found) {
        out->id = store_col_int64(st, 0);
        out->department_id = store_col_int64(st, 1);
        out->application_id = store_col_int64(st, 2);
        out->applicant_account = store_col_int64(st, 3);
        out->open = strcmp(store_col_text(st, 4), "open") == 0;
        snprintf(out->item_code, sizeof(out->item_code), "%s", store_col_text(st, 5));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int review_db_task_respond(struct store_conn *c, int64_t id, const char *response, int64_t by,
                           int64_t now, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TASK_RESPOND, err);
    if (st == NULL)
        return -1;
    int64_t ch = 0;
    store_bind_text(st, 1, response, -1);
    store_bind_int64(st, 2, by);
    store_bind_int64(st, 3, now);
    store_bind_int64(st, 4, id);
    if (store_run(st, &ch, err) < 0)
        return -1;
    *changed = ch == 1;
    return 0;
}

/* 64-bit ids travel as strings in JSON: JavaScript numbers lose digits past 2^53. */
static json_t *id_json(int64_t id)
{
    char s[24];
    snprintf(s, sizeof(s), "%lld", (long long)id);
    return json_string(s);
}

int review_db_history(struct store_conn *c, int64_t application_id, json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_HISTORY, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, application_id);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        int level = (int)store_col_int64(st, 2);
        json_t *j = json_pack(
            "{s:o, s:i, s:i, s:s, s:s, s:I}", "id", id_json(store_col_int64(st, 0)), "round",
            (int)store_col_int64(st, 1), "level", level, "level_name", review_level_name(level),
            "channel", store_col_text(st, 3), "created_at", (json_int_t)store_col_int64(st, 5));
        if (!store_col_is_null(st, 4))
            json_object_set_new(j, "comment", json_string(store_col_text(st, 4)));
        if (!store_col_is_null(st, 6)) {
            json_t *t =
                json_pack("{s:o, s:s, s:I}", "id", id_json(store_col_int64(st, 6)), "status",
                          store_col_text(st, 7), "deadline_at", (json_int_t)store_col_int64(st, 8));
            if (!store_col_is_null(st, 9))
                json_object_set_new(t, "response", json_string(store_col_text(st, 9)));
            if (!store_col_is_null(st, 10))
                json_object_set_new(t, "responded_at", json_integer(store_col_int64(st, 10)));
            json_object_set_new(j, "task", t);
        }
        json_array_append_new(arr, j);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int review_db_tasks(struct store_conn *c, int64_t department_id, const char *status, int64_t now,
                    json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TASKS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, department_id);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *s = store_col_text(st, 6);
        if (status != NULL && strcmp(s, status) != 0)
            continue;
        int level = (int)store_col_int64(st, 4);
        int64_t deadline = store_col_int64(st, 7);
        int open = strcmp(s, "open") == 0;
        json_t *j = json_pack(
            "{s:o, s:o, s:o, s:s, s:i, s:s, s:s, s:b, s:I, s:b, s:I}", "id",
            id_json(store_col_int64(st, 0)), "application_id", id_json(store_col_int64(st, 1)),
            "department_id", id_json(store_col_int64(st, 2)), "item_code", store_col_text(st, 3),
            "level", level, "level_name", review_level_name(level), "status", s, "open", open,
            "deadline_at", (json_int_t)deadline, "overdue", open && now > deadline, "created_at",
            (json_int_t)store_col_int64(st, 10));
        if (!store_col_is_null(st, 5))
            json_object_set_new(j, "comment", json_string(store_col_text(st, 5)));
        if (!store_col_is_null(st, 8))
            json_object_set_new(j, "response", json_string(store_col_text(st, 8)));
        if (!store_col_is_null(st, 9))
            json_object_set_new(j, "responded_at", json_integer(store_col_int64(st, 9)));
        json_array_append_new(arr, j);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int review_db_count_add(struct store_conn *c, int64_t department_id, const char *item_code,
                        int level, struct err *err)
{
    char dept[24];
    snprintf(dept, sizeof(dept), "%lld", (long long)department_id);
    const char *scopes[2] = {"department", "item"}, *keys[2] = {dept, item_code};
    for (int i = 0; i < 2; i++) {
        struct store_stmt *st = store_prepare(c, SQL_COUNT_ADD, err);
        if (st == NULL)
            return -1;
        store_bind_text(st, 1, scopes[i], -1);
        store_bind_text(st, 2, keys[i], -1);
        store_bind_int64(st, 3, level);
        if (store_run(st, NULL, err) < 0)
            return -1;
    }
    return 0;
}

int review_db_counts(struct store_conn *c, review_db_count_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_COUNTS, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        fn(ctx, strcmp(store_col_text(st, 0), "item") == 0, store_col_text(st, 1),
           (int)store_col_int64(st, 2), store_col_int64(st, 3));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
