/* hotline_store.c - every SQL statement of the hotline module. */
#include "hotline/hotline_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/lang.h"
#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

static const char *dup(struct arena *a, struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

static void bind_opt(struct store_stmt *st, int i, const char *s)
{
    if (s == NULL || *s == '\0')
        store_bind_null(st, i);
    else
        store_bind_text(st, i, s, -1);
}

static void bind_dept(struct store_stmt *st, int i, int64_t d)
{
    if (d == 0)
        store_bind_null(st, i);
    else
        store_bind_int64(st, i, d);
}

static const char SQL_SEQ[] = "INSERT INTO hotline_seq (k, n) VALUES (?, 1) ON CONFLICT (k) DO "
                              "UPDATE SET n = hotline_seq.n + 1 "
                              "RETURNING n";

int hotline_db_seq_next(struct store_conn *c, const char *key, int64_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SEQ, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    int rc = store_step(st, err);
    if (rc == STORE_ROW)
        *n = store_col_int64(st, 0);
    store_reset(st);
    return rc == STORE_ROW ? 0 : -1;
}

static const char SQL_INSERT[] =
    "INSERT INTO hotline_orders (id, number, token, channel, status, urgency, category, "
    "division_code, address, lat, lon, description, caller_name, caller_account, phone_enc, "
    "phone_hash, lang, agent_id, suggested_category, suggested_department, api_key_id, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
    "?, "
    "?, ?)";

int hotline_db_order_insert(struct store_conn *c, const struct hotline_order *o,
                            const unsigned char *phone_enc, size_t phone_enc_len,
                            const char *phone_hash, int64_t api_key_id, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, o->id);
    store_bind_text(st, 2, o->number, -1);
    store_bind_text(st, 3, o->token, -1);
    store_bind_text(st, 4, o->channel, -1);
    store_bind_text(st, 5, o->status, -1);
    store_bind_text(st, 6, o->urgency, -1);
    bind_opt(st, 7, o->category);
    store_bind_int64(st, 8, o->division_code);
    store_bind_text(st, 9, o->address, -1);
    bind_opt(st, 10, o->lat);
    bind_opt(st, 11, o->lon);
    store_bind_text(st, 12, o->description, -1);
    bind_opt(st, 13, o->caller_name);
    store_bind_int64(st, 14, o->caller_account);
    if (phone_enc != NULL)
        store_bind_blob(st, 15, phone_enc, phone_enc_len);
    else
        store_bind_null(st, 15);
    bind_opt(st, 16, phone_hash);
    store_bind_text(st, 17, o->lang, -1);
    store_bind_int64(st, 18, o->agent_id);
    bind_opt(st, 19, o->suggested_category);
    bind_dept(st, 20, o->suggested_department);
    store_bind_int64(st, 21, api_key_id);
    store_bind_int64(st, 22, o->created_at);
    store_bind_int64(st, 23, o->updated_at);
    return store_run(st, NULL, err);
}

#define COLS                                                                                       \
    "id, number, token, channel, status, urgency, category, division_code, address, lat, lon, "    \
    "description, caller_name, caller_account, phone_enc, lang, agent_id, department_id, "         \
    "suggested_category, suggested_department, reply, rating, merged_into, created_at, "           \
    "dispatched_at, accepted_at, replied_at, closed_at, deadline_at, updated_at"

static void read_row(struct store_stmt *st, struct arena *a, struct hotline_row *r)
{
    memset(r, 0, sizeof(*r));
    struct hotline_order *o = &r->o;
    o->id = store_col_int64(st, 0);
    o->number = dup(a, st, 1);
    o->token = dup(a, st, 2);
    o->channel = dup(a, st, 3);
    o->status = dup(a, st, 4);
    o->urgency = dup(a, st, 5);
    o->category = dup(a, st, 6);
    o->division_code = store_col_int64(st, 7);
    o->address = dup(a, st, 8);
    o->lat = dup(a, st, 9);
    o->lon = dup(a, st, 10);
    o->description = dup(a, st, 11);
    o->caller_name = dup(a, st, 12);
    o->caller_account = store_col_int64(st, 13);
    size_t n = 0;
    const void *p = store_col_blob(st, 14, &n);
    if (p != NULL && n > 0) {
        unsigned char *copy = arena_alloc(a, n);
        memcpy(copy, p, n);
        r->phone_enc = copy;
        r->phone_enc_len = n;
    }
    o->lang = dup(a, st, 15);
    o->agent_id = store_col_int64(st, 16);
    o->department_id = store_col_int64(st, 17);
    o->suggested_category = dup(a, st, 18);
    o->suggested_department = store_col_int64(st, 19);
    o->reply = dup(a, st, 20);
    o->rating = (int)store_col_int64(st, 21);
    o->merged_into = store_col_int64(st, 22);
    o->created_at = store_col_int64(st, 23);
    o->dispatched_at = store_col_int64(st, 24);
    o->accepted_at = store_col_int64(st, 25);
    o->replied_at = store_col_int64(st, 26);
    o->closed_at = store_col_int64(st, 27);
    o->deadline_at = store_col_int64(st, 28);
    o->updated_at = store_col_int64(st, 29);
}

static const char SQL_BY_ID[] = "SELECT " COLS " FROM hotline_orders WHERE id = ?";
static const char SQL_BY_NUMBER[] = "SELECT " COLS " FROM hotline_orders WHERE number = ?";
static const char SQL_BY_TOKEN[] = "SELECT " COLS " FROM hotline_orders WHERE token = ?";

int hotline_db_order_get(struct store_conn *c, struct arena *a, int by, int64_t id, const char *key,
                         struct hotline_row *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c,
                                          by == 0   ? SQL_BY_ID
                                          : by == 1 ? SQL_BY_NUMBER
                                                    : SQL_BY_TOKEN,
                                          err);
    if (st == NULL)
        return -1;
    if (by == 0)
        store_bind_int64(st, 1, id);
    else
        store_bind_text(st, 1, key ? key : "", -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        read_row(st, a, out);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* One statement for every filter: a NULL parameter disables its condition. */
static const char SQL_LIST[] =
    "SELECT " COLS " FROM hotline_orders WHERE (CAST(? AS TEXT) IS NULL OR status = ?) "
    "AND (CAST(? AS TEXT) IS NULL OR category = ?) "
    "AND (CAST(? AS BIGINT) = 0 OR department_id = ?) "
    "AND (CAST(? AS BIGINT) = 0 OR created_at >= ?) AND (CAST(? AS BIGINT) = 0 OR created_at < ?) "
    "AND (CAST(? AS TEXT) IS NULL OR number = ?) "
    "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?";

int hotline_db_order_list(struct store_conn *c, struct arena *a, const struct hotline_filter *f,
                          struct hotline_row **out, size_t *n, struct err *err)
{
    int limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 100;
    *out = arena_alloc(a, sizeof(**out) * (size_t)limit);
    *n = 0;
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL || *out == NULL)
        return -1;
    bind_opt(st, 1, f->status);
    bind_opt(st, 2, f->status);
    bind_opt(st, 3, f->category);
    bind_opt(st, 4, f->category);
    store_bind_int64(st, 5, f->department_id);
    store_bind_int64(st, 6, f->department_id);
    store_bind_int64(st, 7, f->from_ms);
    store_bind_int64(st, 8, f->from_ms);
    store_bind_int64(st, 9, f->to_ms);
    store_bind_int64(st, 10, f->to_ms);
    bind_opt(st, 11, f->number);
    bind_opt(st, 12, f->number);
    store_bind_int64(st, 13, limit);
    store_bind_int64(st, 14, f->offset > 0 ? f->offset : 0);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW && *n < (size_t)limit)
        read_row(st, a, &(*out)[(*n)++]);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_BY_PHONE[] =
    "SELECT id FROM hotline_orders WHERE number = ? AND phone_hash = ?";

static const char SQL_LOOKUP_FAILURES[] =
    "SELECT failures FROM hotline_lookup_failures WHERE key = ? AND window_start >= ?";

int hotline_db_lookup_failures(struct store_conn *c, const char *key, int64_t since,
                               int64_t *failures, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LOOKUP_FAILURES, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    store_bind_int64(st, 2, since);
    int rc = store_step(st, err);
    *failures = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_LOOKUP_FAILURE_ADD[] =
    "INSERT INTO hotline_lookup_failures (key, failures, window_start) VALUES (?, 1, ?) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN hotline_lookup_failures.window_start < ? THEN 1 "
    "ELSE hotline_lookup_failures.failures + 1 END, "
    "window_start = CASE WHEN hotline_lookup_failures.window_start < ? THEN ? "
    "ELSE hotline_lookup_failures.window_start END";
static const char SQL_LOOKUP_FAILURE_PURGE[] =
    "DELETE FROM hotline_lookup_failures WHERE window_start < ?";

int hotline_db_lookup_failure_add(struct store_conn *c, const char *key, int64_t now, int64_t since,
                                  struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LOOKUP_FAILURE_ADD, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    store_bind_int64(st, 2, now);
    store_bind_int64(st, 3, since);
    store_bind_int64(st, 4, since);
    store_bind_int64(st, 5, now);
    int rc = store_step(st, err);
    store_reset(st);
    if (rc < 0 || (st = store_prepare(c, SQL_LOOKUP_FAILURE_PURGE, err)) == NULL)
        return -1;
    store_bind_int64(st, 1, since);
    rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int hotline_db_order_by_phone(struct store_conn *c, const char *number, const char *phone_hash,
                              int64_t *id, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_BY_PHONE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, number, -1);
    store_bind_text(st, 2, phone_hash, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        *id = store_col_int64(st, 0);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_UPDATE[] =
    "UPDATE hotline_orders SET status = ?, category = ?, department_id = ?, reply = ?, rating = ?, "
    "merged_into = ?, dispatched_at = ?, accepted_at = ?, replied_at = ?, closed_at = ?, "
    "deadline_at = ?, extension_hours = ?, updated_at = ? WHERE id = ? AND status = ?";

int hotline_db_order_update(struct store_conn *c, const struct hotline_order *o,
                            const char *old_status, int64_t extension_hours, int64_t *changed,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_UPDATE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, o->status, -1);
    bind_opt(st, 2, o->category);
    bind_dept(st, 3, o->department_id);
    bind_opt(st, 4, o->reply);
    store_bind_int64(st, 5, o->rating);
    store_bind_int64(st, 6, o->merged_into);
    store_bind_int64(st, 7, o->dispatched_at);
    store_bind_int64(st, 8, o->accepted_at);
    store_bind_int64(st, 9, o->replied_at);
    store_bind_int64(st, 10, o->closed_at);
    store_bind_int64(st, 11, o->deadline_at);
    store_bind_int64(st, 12, extension_hours);
    store_bind_int64(st, 13, o->updated_at);
    store_bind_int64(st, 14, o->id);
    store_bind_text(st, 15, old_status, -1);
    return store_run(st, changed, err);
}

static const char SQL_MARKS[] =
    "UPDATE hotline_orders SET reminded_at = ?, escalated_at = ? WHERE id = ?";

int hotline_db_order_marks(struct store_conn *c, int64_t id, int64_t reminded_at,
                           int64_t escalated_at, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_MARKS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, reminded_at);
    store_bind_int64(st, 2, escalated_at);
    store_bind_int64(st, 3, id);
    return store_run(st, NULL, err);
}

static const char SQL_EVENT[] =
    "INSERT INTO hotline_events (id, order_id, at, actor_id, kind, department_id, note) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";

int hotline_db_event_insert(struct store_conn *c, int64_t order_id, int64_t actor, const char *kind,
                            int64_t dept, const char *note, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EVENT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, order_id);
    store_bind_int64(st, 3, time_now_ms());
    store_bind_int64(st, 4, actor);
    store_bind_text(st, 5, kind, -1);
    bind_dept(st, 6, dept);
    bind_opt(st, 7, note);
    return store_run(st, NULL, err);
}

static const char SQL_EVENTS[] =
    "SELECT at, kind, actor_id, department_id, note FROM hotline_events WHERE order_id = ? "
    "ORDER BY at, id";

int hotline_db_events(struct store_conn *c, int64_t order_id, json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EVENTS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, order_id);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *note = store_col_text(st, 4);
        json_array_append_new(
            arr, json_pack("{s:I, s:s, s:s, s:s, s:s}", "at", (json_int_t)store_col_int64(st, 0),
                           "kind", store_col_text(st, 1), "actor_id",
                           store_col_text(st, 2) ? store_col_text(st, 2) : "0", "department_id",
                           store_col_text(st, 3) ? store_col_text(st, 3) : "0", "note",
                           note ? note : ""));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_CORRECTION[] =
    "INSERT INTO hotline_corrections (id, order_id, suggested_category, suggested_department, "
    "category, department_id, actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

int hotline_db_correction_insert(struct store_conn *c, int64_t order_id, const char *scat,
                                 int64_t sdept, const char *cat, int64_t dept, int64_t actor,
                                 struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CORRECTION, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, order_id);
    bind_opt(st, 3, scat);
    bind_dept(st, 4, sdept);
    store_bind_text(st, 5, cat, -1);
    store_bind_int64(st, 6, dept);
    store_bind_int64(st, 7, actor);
    store_bind_int64(st, 8, time_now_ms());
    return store_run(st, NULL, err);
}

/* The newest extension event: a request ("extension_requested", note "hours|reason") that
 * no approval followed. */
static const char SQL_EXT[] =
    "SELECT kind, note FROM hotline_events WHERE order_id = ? AND kind IN "
    "('extension_requested', 'extension_approved') ORDER BY at DESC, id DESC LIMIT 1";

int hotline_db_pending_extension(struct store_conn *c, int64_t order_id, int64_t *hours,
                                 struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EXT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, order_id);
    *hours = 0;
    int rc = store_step(st, err);
    if (rc == STORE_ROW && strcmp(store_col_text(st, 0), "extension_requested") == 0) {
        const char *note = store_col_text(st, 1);
        long long v = 0;
        if (note != NULL && sscanf(note, "%lld", &v) == 1)
            *hours = v;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_CAT_PUT[] =
    "INSERT INTO hotline_categories (code, name_zh, name_bo, name_en, active, created_at) "
    "VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, "
    "name_bo = excluded.name_bo, name_en = excluded.name_en, active = 1";

int hotline_db_category_put(struct store_conn *c, const char *code, const char *zh, const char *bo,
                            const char *en, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CAT_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    store_bind_text(st, 2, zh, -1);
    bind_opt(st, 3, bo);
    bind_opt(st, 4, en);
    store_bind_int64(st, 5, time_now_ms());
    return store_run(st, NULL, err);
}

static const char SQL_CAT_EXISTS[] =
    "SELECT 1 FROM hotline_categories WHERE code = ? AND active = 1";

int hotline_db_category_exists(struct store_conn *c, const char *code, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CAT_EXISTS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_CATS[] =
    "SELECT code, name_zh, name_bo, name_en FROM hotline_categories WHERE active = 1 ORDER BY code";

int hotline_db_categories(struct store_conn *c, const char *lang, json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CATS, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *zh = store_col_text(st, 1), *bo = store_col_text(st, 2),
                   *en = store_col_text(st, 3);
        const char *name = lang_pick(lang, zh, bo, en, NULL);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "code",
                                             store_col_text(st, 0), "name", name, "name_zh", zh,
                                             "name_bo", bo, "name_en", en));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_ROUTE_PUT[] =
    "INSERT INTO hotline_routes (id, category, division_prefix, department_id, created_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (category, division_prefix) DO UPDATE SET "
    "department_id = excluded.department_id";

int hotline_db_route_put(struct store_conn *c, const char *cat, int64_t prefix, int64_t dept,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROUTE_PUT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_text(st, 2, cat, -1);
    store_bind_int64(st, 3, prefix);
    store_bind_int64(st, 4, dept);
    store_bind_int64(st, 5, time_now_ms());
    return store_run(st, NULL, err);
}

static const char SQL_ROUTES[] =
    "SELECT division_prefix, department_id FROM hotline_routes WHERE category = ?";

int hotline_db_route_find(struct store_conn *c, const char *cat, int64_t division, int64_t *dept,
                          struct err *err);

static const char SQL_LIMIT[] = "SELECT amount, unit FROM hotline_limits WHERE urgency = ?";

int hotline_db_limit(struct store_conn *c, const char *urgency, int *amount, char unit[16],
                     struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIMIT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, urgency, -1);
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        *amount = (int)store_col_int64(st, 0);
        snprintf(unit, 16, "%s", store_col_text(st, 1));
    }
    store_reset(st);
    if (rc == STORE_DONE)
        return err_set(err, 500, "hotline.no_limit", "no time limit is set for %s", urgency);
    return rc < 0 ? -1 : 0;
}

static const char SQL_EXAMPLES[] =
    "SELECT id, description, category, department_id FROM hotline_orders WHERE category IS NOT "
    "NULL AND department_id IS NOT NULL AND status IN ('replied', 'closed') ORDER BY id";

int hotline_db_examples(struct store_conn *c, hotline_db_example_fn fn, void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_EXAMPLES, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        if (fn(ctx, store_col_int64(st, 0), store_col_text(st, 1), store_col_text(st, 2),
               store_col_int64(st, 3)) != 0) {
            store_reset(st);
            return err_set(err, 500, "hotline.oom", "out of memory while training");
        }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_DUE_REMIND[] =
    "SELECT " COLS " FROM hotline_orders WHERE status IN ('dispatched', 'accepted') AND "
    "deadline_at > 0 AND reminded_at = 0 AND deadline_at > ? ORDER BY deadline_at LIMIT 500";
static const char SQL_DUE_ESCALATE[] =
    "SELECT " COLS " FROM hotline_orders WHERE status IN ('dispatched', 'accepted') AND "
    "deadline_at > 0 AND escalated_at = 0 AND deadline_at < ? ORDER BY deadline_at LIMIT 500";

int hotline_db_due(struct store_conn *c, struct arena *a, int64_t now, int escalation,
                   struct hotline_row **out, size_t *n, struct err *err)
{
    *out = arena_alloc(a, sizeof(**out) * 500);
    *n = 0;
    struct store_stmt *st = store_prepare(c, escalation ? SQL_DUE_ESCALATE : SQL_DUE_REMIND, err);
    if (st == NULL || *out == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW && *n < 500)
        read_row(st, a, &(*out)[(*n)++]);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_STATS[] =
    "SELECT created_at, category, division_code, status, dispatched_at, replied_at, closed_at, "
    "deadline_at, rating FROM hotline_orders WHERE created_at >= ? AND created_at < ? AND "
    "status <> 'merged'";

int hotline_db_stats(struct store_conn *c, int64_t from, int64_t to, hotline_db_stat_fn fn,
                     void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_STATS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *cat = store_col_text(st, 1);
        fn(ctx, store_col_int64(st, 0), cat ? cat : "", store_col_int64(st, 2),
           store_col_text(st, 3), store_col_int64(st, 4), store_col_int64(st, 5),
           store_col_int64(st, 6), store_col_int64(st, 7), (int)store_col_int64(st, 8));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int hotline_db_route_find(struct store_conn *c, const char *cat, int64_t division, int64_t *dept,
                          struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ROUTES, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, cat, -1);
    *dept = 0;
    int rc, best = -1;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        int64_t prefix = store_col_int64(st, 0);
        /* A prefix is a division code; the deeper (more non-zero digits) the more specific. */
        char digits[16];
        snprintf(digits, sizeof(digits), "%012lld", (long long)prefix);
        int depth = 12;
        while (depth > 0 && digits[depth - 1] == '0')
            depth--;
        char div[16];
        snprintf(div, sizeof(div), "%012lld", (long long)division);
        if (strncmp(digits, div, (size_t)depth) == 0 && depth > best) {
            best = depth;
            *dept = store_col_int64(st, 1);
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_DEMO_FINISH[] =
    "UPDATE hotline_orders SET status = ?, category = ?, department_id = ?, reply = ?, rating = ?, "
    "created_at = ?, dispatched_at = ?, accepted_at = ?, replied_at = ?, closed_at = ?, "
    "deadline_at = ?, updated_at = ? WHERE id = ?";

int hotline_db_demo_finish(struct store_conn *c, const struct hotline_order *o, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DEMO_FINISH, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, o->status, -1);
    store_bind_text(st, 2, o->category, -1);
    bind_dept(st, 3, o->department_id);
    store_bind_text(st, 4, o->reply, -1);
    store_bind_int64(st, 5, o->rating);
    store_bind_int64(st, 6, o->created_at);
    store_bind_int64(st, 7, o->dispatched_at);
    store_bind_int64(st, 8, o->accepted_at);
    store_bind_int64(st, 9, o->replied_at);
    store_bind_int64(st, 10, o->closed_at);
    store_bind_int64(st, 11, o->deadline_at);
    store_bind_int64(st, 12, o->updated_at);
    store_bind_int64(st, 13, o->id);
    return store_run(st, NULL, err);
}

static const char SQL_KB_UPSERT[] =
    "INSERT INTO hotline_kb (id, lang, title, body, category, source_order, created_by, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
    "lang = excluded.lang, title = excluded.title, body = excluded.body, category = "
    "excluded.category, updated_at = excluded.updated_at";
static const char SQL_KB_GET[] =
    "SELECT id, lang, title, body, category, source_order, updated_at FROM hotline_kb WHERE id = ?";
static const char SQL_KB_LIST[] = "SELECT id, lang, title, category, updated_at FROM hotline_kb "
                                  "ORDER BY updated_at DESC, id DESC "
                                  "LIMIT ?";

int hotline_db_kb_upsert(struct store_conn *c, int64_t id, const char *lang, const char *title,
                         const char *body, const char *category, int64_t source_order,
                         int64_t actor, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KB_UPSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, lang, -1);
    store_bind_text(st, 3, title, -1);
    store_bind_text(st, 4, body, -1);
    bind_opt(st, 5, category);
    store_bind_int64(st, 6, source_order);
    store_bind_int64(st, 7, actor);
    store_bind_int64(st, 8, now);
    store_bind_int64(st, 9, now);
    return store_run(st, NULL, err);
}

int hotline_db_kb_get(struct store_conn *c, int64_t id, json_t **out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KB_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    *out = NULL;
    int rc = store_step(st, err);
    if (rc == STORE_ROW) {
        const char *cat = store_col_text(st, 4);
        *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "id", store_col_text(st, 0), "lang",
                         store_col_text(st, 1), "title", store_col_text(st, 2), "body",
                         store_col_text(st, 3), "category", cat ? cat : "", "source_order",
                         store_col_text(st, 5), "updated_at", (json_int_t)store_col_int64(st, 6));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int hotline_db_kb_list(struct store_conn *c, int limit, json_t *arr, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_KB_LIST, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, limit);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *cat = store_col_text(st, 3);
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", store_col_text(st, 0), "lang",
                           store_col_text(st, 1), "title", store_col_text(st, 2), "category",
                           cat ? cat : "", "updated_at", (json_int_t)store_col_int64(st, 4)));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_DAILY_ADD[] =
    "INSERT INTO hotline_daily (day, county, received, dispatched, response_ms, replied, "
    "resolution_ms, replied_late, rated, satisfied) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (day, county) DO UPDATE SET received = hotline_daily.received + "
    "excluded.received, dispatched = hotline_daily.dispatched + excluded.dispatched, "
    "response_ms = hotline_daily.response_ms + excluded.response_ms, replied = "
    "hotline_daily.replied + excluded.replied, resolution_ms = hotline_daily.resolution_ms + "
    "excluded.resolution_ms, replied_late = hotline_daily.replied_late + excluded.replied_late, "
    "rated = hotline_daily.rated + excluded.rated, satisfied = hotline_daily.satisfied + "
    "excluded.satisfied";
static const char SQL_DAILY_SUM[] =
    "SELECT COALESCE(SUM(received), 0), COALESCE(SUM(dispatched), 0), "
    "COALESCE(SUM(response_ms), 0), COALESCE(SUM(replied), 0), COALESCE(SUM(resolution_ms), 0), "
    "COALESCE(SUM(replied_late), 0), COALESCE(SUM(rated), 0), COALESCE(SUM(satisfied), 0) "
    "FROM hotline_daily WHERE day BETWEEN ? AND ? AND county BETWEEN ? AND ?";

int hotline_db_daily_add(struct store_conn *c, int32_t day, int64_t county,
                         const int64_t d[HOTLINE_DAILY_N], struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DAILY_ADD, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, day);
    store_bind_int64(st, 2, county);
    for (int i = 0; i < HOTLINE_DAILY_N; i++)
        store_bind_int64(st, 3 + i, d[i]);
    return store_run(st, NULL, err);
}

int hotline_db_daily_sum(struct store_conn *c, int64_t lo, int64_t hi, int32_t d0, int32_t d1,
                         int64_t s[HOTLINE_DAILY_N], struct err *err)
{
    memset(s, 0, sizeof(int64_t) * HOTLINE_DAILY_N);
    struct store_stmt *st = store_prepare(c, SQL_DAILY_SUM, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, d0);
    store_bind_int64(st, 2, d1);
    store_bind_int64(st, 3, lo);
    store_bind_int64(st, 4, hi);
    int rc = store_step(st, err);
    if (rc == STORE_ROW)
        for (int i = 0; i < HOTLINE_DAILY_N; i++)
            s[i] = store_col_int64(st, i);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
