/*
 * agent_store.c - the SQL of consents, acting sessions and acts (tables of migration
 * 0022), for agent.c. Prepared statements with bound parameters; strings copied into the
 * caller's arena.
 */
#include "agent/agent_internal.h"

#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

#define CONSENT_COLS                                                                               \
    "id, citizen_id, agent_id, scope, valid_from, valid_until, created_at, revoked_at, "           \
    "department_id"

static const char SQL_CONSENT_INSERT[] =
    "INSERT INTO agent_consents (" CONSENT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)";
static const char SQL_CONSENT_GET[] = "SELECT " CONSENT_COLS " FROM agent_consents WHERE id = ?";
static const char SQL_CONSENT_REVOKE[] =
    "UPDATE agent_consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";
static const char SQL_BY_CITIZEN[] =
    "SELECT " CONSENT_COLS " FROM agent_consents WHERE citizen_id = ? "
    "ORDER BY id DESC LIMIT ?";
static const char SQL_BY_AGENT[] = "SELECT " CONSENT_COLS " FROM agent_consents WHERE agent_id = ? "
                                   "ORDER BY id DESC LIMIT ?";
static const char SQL_BY_DEPARTMENT[] =
    "SELECT " CONSENT_COLS " FROM agent_consents WHERE department_id = ? "
    "ORDER BY id DESC LIMIT ?";
static const char SQL_ACTING_DELETE[] = "DELETE FROM agent_acting WHERE session_hash = ?";
static const char SQL_ACTING_INSERT[] =
    "INSERT INTO agent_acting (session_hash, agent_id, consent_id, started_at) VALUES (?, ?, ?, ?)";
static const char SQL_ACTING_GET[] =
    "SELECT consent_id FROM agent_acting WHERE session_hash = ? AND agent_id = ?";
static const char SQL_ACTING_PURGE[] = "DELETE FROM agent_acting WHERE started_at < ?";
static const char SQL_ACT_INSERT[] =
    "INSERT INTO agent_acts (id, consent_id, citizen_id, agent_id, action, item_code, "
    "case_number, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_ACTS[] = "SELECT agent_id, action, item_code, case_number, at FROM "
                               "agent_acts WHERE citizen_id = ? ORDER BY id DESC LIMIT ?";

static int read_consent(struct store_stmt *st, struct arena *a, struct agent_consent *k)
{
    memset(k, 0, sizeof(*k));
    k->id = store_col_int64(st, 0);
    k->citizen_id = store_col_int64(st, 1);
    k->agent_id = store_col_int64(st, 2);
    k->scope = arena_strdup(a, store_col_text(st, 3) ? store_col_text(st, 3) : "");
    k->valid_from = store_col_int64(st, 4);
    k->valid_until = store_col_int64(st, 5);
    k->created_at = store_col_int64(st, 6);
    k->revoked_at = store_col_is_null(st, 7) ? 0 : store_col_int64(st, 7);
    k->department_id = store_col_is_null(st, 8) ? 0 : store_col_int64(st, 8);
    return k->scope != NULL ? 0 : -1;
}

int agent_db_consent_insert(struct store_conn *c, const struct agent_consent *k, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CONSENT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, k->id);
    store_bind_int64(st, 2, k->citizen_id);
    store_bind_int64(st, 3, k->agent_id);
    store_bind_text(st, 4, k->scope, -1);
    store_bind_int64(st, 5, k->valid_from);
    store_bind_int64(st, 6, k->valid_until);
    store_bind_int64(st, 7, k->created_at);
    if (k->department_id != 0)
        store_bind_int64(st, 8, k->department_id);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int agent_db_consent_get(struct store_conn *c, struct arena *a, int64_t id,
                         struct agent_consent *out, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CONSENT_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found && read_consent(st, a, out) < 0)
        rc = err_set(err, 500, "agent.oom", "out of memory");
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int agent_db_consent_revoke(struct store_conn *c, int64_t id, int64_t now, int *changed,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CONSENT_REVOKE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, id);
    int64_t n = 0;
    int rc = store_run(st, &n, err);
    *changed = n > 0;
    return rc < 0 ? -1 : 0;
}

int agent_db_consents(struct store_conn *c, struct arena *a, int64_t id, int by, size_t max,
                      struct agent_consent *out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c,
                                          by == 0   ? SQL_BY_CITIZEN
                                          : by == 1 ? SQL_BY_AGENT
                                                    : SQL_BY_DEPARTMENT,
                                          err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, (int64_t)(max - *n));
    int rc = 0;
    while (*n < max && (rc = store_step(st, err)) == STORE_ROW) {
        if (read_consent(st, a, &out[*n]) < 0) {
            rc = err_set(err, 500, "agent.oom", "out of memory");
            break;
        }
        (*n)++;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int agent_db_acting_put(struct store_conn *c, const char *session_hash, int64_t agent_id,
                        int64_t consent_id, int64_t now, struct err *err)
{
    int64_t gone;
    if (agent_db_acting_delete(c, session_hash, &gone, err) < 0)
        return -1;
    struct store_stmt *st = store_prepare(c, SQL_ACTING_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, session_hash, -1);
    store_bind_int64(st, 2, agent_id);
    store_bind_int64(st, 3, consent_id);
    store_bind_int64(st, 4, now);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int agent_db_acting_get(struct store_conn *c, const char *session_hash, int64_t agent_id,
                        int64_t *consent_id, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACTING_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, session_hash, -1);
    store_bind_int64(st, 2, agent_id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    *consent_id = *found ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int agent_db_acting_delete(struct store_conn *c, const char *session_hash, int64_t *changes,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACTING_DELETE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, session_hash, -1);
    return store_run(st, changes, err) < 0 ? -1 : 0;
}

int agent_db_acting_purge(struct store_conn *c, int64_t before, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACTING_PURGE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, before);
    int64_t n;
    return store_run(st, &n, err) < 0 ? -1 : 0;
}

int agent_db_act_insert(struct store_conn *c, int64_t consent_id, int64_t citizen_id,
                        int64_t agent_id, const char *action, const char *item_code,
                        const char *number, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id_next());
    store_bind_int64(st, 2, consent_id);
    store_bind_int64(st, 3, citizen_id);
    store_bind_int64(st, 4, agent_id);
    store_bind_text(st, 5, action, -1);
    store_bind_text(st, 6, item_code, -1);
    store_bind_text(st, 7, number, -1);
    store_bind_int64(st, 8, now);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int agent_db_acts(struct store_conn *c, int64_t citizen_id, int limit, agent_db_act_fn fn,
                  void *ctx, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ACTS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, citizen_id);
    store_bind_int64(st, 2, limit);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        if (fn(ctx, store_col_int64(st, 0), store_col_text(st, 1), store_col_text(st, 2),
               store_col_text(st, 3), store_col_int64(st, 4)) != 0) {
            rc = err_set(err, 500, "agent.oom", "out of memory");
            break;
        }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
