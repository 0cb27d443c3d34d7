/*
 * oversight_store.c - every SQL statement of the oversight module: its own tables
 * (0020_oversight.sql) and, for the auditor's desk, read-only queries of the audit chain
 * (the audit desk reads the audit log through audit.h: audit_search).
 */
#include "oversight/oversight_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const char SQL_OPEN_PUT[] =
    "INSERT INTO oversight_open (application_id, number, item_code, department_id, "
    "division_code, state, due_at, limit_days, submitted_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (application_id) DO UPDATE SET "
    "state = excluded.state, due_at = excluded.due_at, updated_at = excluded.updated_at";
static const char SQL_OPEN_DUE[] = "UPDATE oversight_open SET due_at = ? WHERE number = ?";
static const char SQL_OPEN_DELETE[] = "DELETE FROM oversight_open WHERE application_id = ?";
static const char SQL_QUEUE[] = "SELECT department_id, division_code, COUNT(*), "
                                "SUM(CASE WHEN due_at > 0 AND due_at < ? THEN 1 ELSE 0 END), "
                                "SUM(CASE WHEN due_at >= ? AND due_at < ? THEN 1 ELSE 0 END) "
                                "FROM oversight_open WHERE division_code BETWEEN ? AND ? "
                                "GROUP BY department_id, division_code ORDER BY 4 DESC, 3 DESC, 1";
#define CASE_COLS                                                                                  \
    "application_id, number, item_code, department_id, division_code, state, due_at, "             \
    "limit_days, submitted_at"
static const char SQL_CASES[] =
    "SELECT " CASE_COLS " FROM oversight_open WHERE division_code BETWEEN ? AND ? "
    "AND department_id BETWEEN ? AND ? AND due_at BETWEEN ? AND ? ORDER BY due_at, number "
    "LIMIT 200";
static const char SQL_CASE_GET[] = "SELECT " CASE_COLS " FROM oversight_open WHERE number = ?";
#define NOTE_COLS                                                                                  \
    "id, application_id, number, department_id, division_code, author_id, deadline_at, "           \
    "created_at, answered_at, escalated_to, escalated_at, level"
static const char SQL_NOTE_INSERT[] =
    "INSERT INTO oversight_notes (id, application_id, number, department_id, division_code, "
    "author_id, body, deadline_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_NOTE_GET[] =
    "SELECT " NOTE_COLS ", answer IS NOT NULL FROM oversight_notes WHERE id = ?";
static const char SQL_NOTE_ANSWER[] =
    "UPDATE oversight_notes SET answer = ?, answered_by = ?, answered_at = ? "
    "WHERE id = ? AND answer IS NULL";
#define NOTE_JSON_COLS NOTE_COLS ", body, answer"
static const char SQL_NOTES_APP[] =
    "SELECT " NOTE_JSON_COLS " FROM oversight_notes WHERE application_id = ? "
    "ORDER BY created_at, id";
static const char SQL_NOTES_DEPT[] =
    "SELECT " NOTE_JSON_COLS " FROM oversight_notes WHERE department_id = ? "
    "ORDER BY CASE WHEN answer IS NULL THEN 0 ELSE 1 END, deadline_at, id LIMIT 200";
static const char SQL_NOTES_DUE[] =
    "SELECT " NOTE_COLS " FROM oversight_notes WHERE answer IS NULL AND deadline_at < ? "
    "ORDER BY deadline_at LIMIT 500";
static const char SQL_NOTE_ESCALATE[] =
    "UPDATE oversight_notes SET level = ?, escalated_to = ?, deadline_at = ?, escalated_at = ? "
    "WHERE id = ? AND answer IS NULL";

/* Ids (id_next: up to 2^63) travel in JSON as strings: a JavaScript number holds only 53
 * bits. The row's integer fields named in `keys` become decimal strings. */
static json_t *ids_as_text(json_t *row, const char *const *keys)
{
    for (; row != NULL && *keys != NULL; keys++) {
        json_t *v = json_object_get(row, *keys);
        if (json_is_integer(v))
            json_object_set_new(row, *keys, json_sprintf("%lld", (long long)json_integer_value(v)));
    }
    return row;
}

static const char *const ID_KEYS[] = {"id", "department_id", "author_id", "actor_id", NULL};

int64_t oversight_db_json_id(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v);
    return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : 0;
}

static void add_row(json_t *rows, json_t *row)
{
    json_array_append_new(rows, ids_as_text(row, ID_KEYS));
}

static int step_done(struct store_stmt *st, struct err *err)
{
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_open_put(struct store_conn *c, const struct oversight_event *e, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OPEN_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, e->application_id);
    store_bind_text(st, 2, e->number ? e->number : "", -1);
    store_bind_text(st, 3, e->item_code, -1);
    store_bind_int64(st, 4, e->department_id);
    store_bind_int64(st, 5, e->division_code);
    store_bind_text(st, 6, e->to_state, -1);
    store_bind_int64(st, 7, e->due_at);
    store_bind_int64(st, 8, e->limit_days);
    store_bind_int64(st, 9, e->submitted_at);
    store_bind_int64(st, 10, e->at);
    return step_done(st, err);
}

int oversight_db_open_due(struct store_conn *c, const char *number, int64_t due_at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OPEN_DUE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, due_at);
    store_bind_text(st, 2, number, -1);
    return step_done(st, err);
}

int oversight_db_open_delete(struct store_conn *c, int64_t application_id, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OPEN_DELETE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, application_id);
    return step_done(st, err);
}

int oversight_db_queue(struct store_conn *c, int64_t lo, int64_t hi, int64_t now, int64_t soon,
                       json_t *rows, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_QUEUE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, now);
    store_bind_int64(st, 3, now + soon);
    store_bind_int64(st, 4, lo);
    store_bind_int64(st, 5, hi);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        add_row(rows, json_pack("{s:I, s:I, s:I, s:I, s:I}", "department_id",
                                (json_int_t)store_col_int64(st, 0), "division_code",
                                (json_int_t)store_col_int64(st, 1), "open",
                                (json_int_t)store_col_int64(st, 2), "overdue",
                                (json_int_t)store_col_int64(st, 3), "due_soon",
                                (json_int_t)store_col_int64(st, 4)));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static void read_case(struct store_stmt *st, struct oversight_db_case *k)
{
    memset(k, 0, sizeof(*k));
    k->application_id = store_col_int64(st, 0);
    snprintf(k->number, sizeof(k->number), "%s", store_col_text(st, 1));
    snprintf(k->item_code, sizeof(k->item_code), "%s", store_col_text(st, 2));
    k->department_id = store_col_int64(st, 3);
    k->division_code = store_col_int64(st, 4);
    snprintf(k->state, sizeof(k->state), "%s", store_col_text(st, 5));
    k->due_at = store_col_int64(st, 6);
    k->limit_days = (int)store_col_int64(st, 7);
    k->submitted_at = store_col_int64(st, 8);
}

int oversight_db_cases(struct store_conn *c, int64_t lo, int64_t hi, int64_t dlo, int64_t dhi,
                       int mark, int64_t now, int64_t soon, json_t *rows, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CASES, err);
    if (st == NULL)
        return -1;
    int64_t from = mark == 1 ? now : mark == 2 ? 1 : 0;
    int64_t to = mark == 1 ? now + soon - 1 : mark == 2 ? now - 1 : INT64_MAX;
    store_bind_int64(st, 1, lo);
    store_bind_int64(st, 2, hi);
    store_bind_int64(st, 3, dlo);
    store_bind_int64(st, 4, dhi);
    store_bind_int64(st, 5, from);
    store_bind_int64(st, 6, to);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct oversight_db_case k;
        read_case(st, &k);
        add_row(rows,
                json_pack("{s:s, s:s, s:I, s:I, s:s, s:I, s:I}", "number", k.number, "item_code",
                          k.item_code, "department_id", (json_int_t)k.department_id,
                          "division_code", (json_int_t)k.division_code, "state", k.state, "due_at",
                          (json_int_t)k.due_at, "submitted_at", (json_int_t)k.submitted_at));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_case_get(struct store_conn *c, const char *number, struct oversight_db_case *out,
                          int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CASE_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, number, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        read_case(st, out);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_note_insert(struct store_conn *c, const struct oversight_db_note *n,
                             const char *body, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTE_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, n->id);
    store_bind_int64(st, 2, n->application_id);
    store_bind_text(st, 3, n->number, -1);
    store_bind_int64(st, 4, n->department_id);
    store_bind_int64(st, 5, n->division_code);
    store_bind_int64(st, 6, n->author_id);
    store_bind_text(st, 7, body, -1);
    store_bind_int64(st, 8, n->deadline_at);
    store_bind_int64(st, 9, n->created_at);
    return step_done(st, err);
}

static void read_note(struct store_stmt *st, struct oversight_db_note *n)
{
    memset(n, 0, sizeof(*n));
    n->id = store_col_int64(st, 0);
    n->application_id = store_col_int64(st, 1);
    snprintf(n->number, sizeof(n->number), "%s", store_col_text(st, 2));
    n->department_id = store_col_int64(st, 3);
    n->division_code = store_col_int64(st, 4);
    n->author_id = store_col_int64(st, 5);
    n->deadline_at = store_col_int64(st, 6);
    n->created_at = store_col_int64(st, 7);
    n->answered_at = store_col_int64(st, 8);
    n->escalated_to = store_col_int64(st, 9);
    n->escalated_at = store_col_int64(st, 10);
    n->level = (int)store_col_int64(st, 11);
}

int oversight_db_note_get(struct store_conn *c, int64_t id, struct oversight_db_note *out,
                          int *answered, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTE_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW) {
        read_note(st, out);
        *answered = store_col_int64(st, 12) != 0;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_note_answer(struct store_conn *c, int64_t id, const char *answer, int64_t by,
                             int64_t at, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTE_ANSWER, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, answer, -1);
    store_bind_int64(st, 2, by);
    store_bind_int64(st, 3, at);
    store_bind_int64(st, 4, id);
    int rc = store_step(st, err);
    *changed = rc >= 0 && store_changes(st) > 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static int notes_json(struct store_stmt *st, json_t *rows, struct err *err)
{
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        struct oversight_db_note n;
        read_note(st, &n);
        add_row(rows, json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:s, s:s?}",
                                "id", (json_int_t)n.id, "number", n.number, "department_id",
                                (json_int_t)n.department_id, "division_code",
                                (json_int_t)n.division_code, "author_id", (json_int_t)n.author_id,
                                "deadline_at", (json_int_t)n.deadline_at, "created_at",
                                (json_int_t)n.created_at, "answered_at", (json_int_t)n.answered_at,
                                "escalated_to", (json_int_t)n.escalated_to, "level", n.level,
                                "body", store_col_text(st, 12), "answer", store_col_text(st, 13)));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_notes_of_app(struct store_conn *c, int64_t application_id, json_t *rows,
                              struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTES_APP, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, application_id);
    return notes_json(st, rows, err);
}

int oversight_db_notes_of_dept(struct store_conn *c, int64_t dept, json_t *rows, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTES_DEPT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dept);
    return notes_json(st, rows, err);
}

int oversight_db_notes_due(struct store_conn *c, int64_t now, struct oversight_db_note *out,
                           size_t max, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTES_DUE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    int rc;
    *n = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *n < max)
        read_note(st, &out[(*n)++]);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int oversight_db_note_escalate(struct store_conn *c, int64_t id, int level, int64_t to,
                               int64_t deadline, int64_t at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_NOTE_ESCALATE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, level);
    store_bind_int64(st, 2, to);
    store_bind_int64(st, 3, deadline);
    store_bind_int64(st, 4, at);
    store_bind_int64(st, 5, id);
    return step_done(st, err);
}
