/*
 * enterprise_store.c - the SQL of enterprises (法人) and the citizens who act for them
 * (tables enterprises and enterprise_agents of migration 0002), for enterprise.c. Like
 * identity_store.c: prepared statements with bound parameters, strings copied into the
 * caller's arena.
 */
#include "identity/identity_internal.h"

#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"

/* The division is the one the code names (GB 32100 characters 3-8) when the reference
 * table has it; a code from elsewhere is still registered, without a division. */
static const char SQL_ENT_INSERT[] =
    "INSERT INTO enterprises (id, uscc, name, legal_rep, division_code, created_at) "
    "VALUES (?, ?, ?, ?, (SELECT code FROM divisions WHERE code = ?), ?)";
static const char SQL_ENT_BY_USCC[] = "SELECT id FROM enterprises WHERE uscc = ?";
static const char SQL_ENT_GET[] =
    "SELECT e.id, e.uscc, e.name, e.legal_rep, e.created_at, m.role FROM enterprises e "
    "LEFT JOIN enterprise_agents m ON m.enterprise_id = e.id AND m.account_id = ? "
    "WHERE e.id = ?";
static const char SQL_ENT_OF[] =
    "SELECT e.id, e.uscc, e.name, e.legal_rep, e.created_at, m.role FROM enterprise_agents m "
    "JOIN enterprises e ON e.id = m.enterprise_id WHERE m.account_id = ? "
    "ORDER BY m.granted_at, e.id";
static const char SQL_MEMBER_INSERT[] =
    "INSERT INTO enterprise_agents (enterprise_id, account_id, role, granted_at) "
    "VALUES (?, ?, ?, ?)";
static const char SQL_MEMBER_DELETE[] =
    "DELETE FROM enterprise_agents WHERE enterprise_id = ? AND account_id = ? AND role = ?";
static const char SQL_MEMBERS[] =
    "SELECT account_id, role, granted_at FROM enterprise_agents WHERE enterprise_id = ? "
    "ORDER BY CASE role WHEN 'legal_rep' THEN 0 ELSE 1 END, granted_at, account_id";

/* At most this many enterprises are listed for one person. */
#define ENTERPRISES_OF_MAX 200

static const char *dup_text(struct store_stmt *st, int col, struct arena *a)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

/* One row of SQL_ENT_GET / SQL_ENT_OF into `e`; -1 when out of memory. */
static int read_enterprise(struct store_stmt *st, struct arena *a, struct identity_enterprise *e)
{
    memset(e, 0, sizeof(*e));
    e->id = store_col_int64(st, 0);
    e->uscc = dup_text(st, 1, a);
    e->name = dup_text(st, 2, a);
    e->legal_rep = dup_text(st, 3, a);
    e->created_at = store_col_int64(st, 4);
    e->role = store_col_is_null(st, 5) ? 0 : identity_enterprise_role_parse(store_col_text(st, 5));
    return e->uscc && e->name && e->legal_rep ? 0 : -1;
}

int identity_db_enterprise_insert(struct store_conn *c, const struct identity_enterprise *e,
                                  int64_t division_code, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ENT_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, e->id);
    store_bind_text(st, 2, e->uscc, -1);
    store_bind_text(st, 3, e->name, -1);
    store_bind_text(st, 4, e->legal_rep, -1);
    store_bind_int64(st, 5, division_code);
    store_bind_int64(st, 6, e->created_at);
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_enterprise_by_uscc(struct store_conn *c, const char *uscc, int64_t *id, int *found,
                                   struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ENT_BY_USCC, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, uscc, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW)
        *id = store_col_int64(st, 0);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_enterprise_get(struct store_conn *c, struct arena *a, int64_t enterprise_id,
                               int64_t account_id, struct identity_enterprise *out, int *found,
                               struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_ENT_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    store_bind_int64(st, 2, enterprise_id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (rc == STORE_ROW && read_enterprise(st, a, out) < 0)
        rc = err_set(err, 500, "identity.oom", "out of memory");
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_enterprises_of(struct store_conn *c, struct arena *a, int64_t account_id,
                               struct identity_enterprise **out, size_t *n, struct err *err)
{
    *out = NULL;
    *n = 0;
    struct store_stmt *st = store_prepare(c, SQL_ENT_OF, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, account_id);
    struct identity_enterprise *list = NULL;
    size_t cap = 0, count = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW && count < ENTERPRISES_OF_MAX) {
        struct identity_enterprise *grown = arena_grow(a, list, count, &cap, sizeof(*grown));
        if (grown == NULL)
            goto oom;
        list = grown;
        if (read_enterprise(st, a, &list[count]) < 0)
            goto oom;
        count++;
    }
    store_reset(st);
    if (rc < 0)
        return -1;
    *out = list;
    *n = count;
    return 0;
oom:
    store_reset(st);
    return err_set(err, 500, "identity.oom", "out of memory");
}

int identity_db_enterprise_member_insert(struct store_conn *c, int64_t enterprise_id,
                                         int64_t account_id, int role, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_MEMBER_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, enterprise_id);
    store_bind_int64(st, 2, account_id);
    store_bind_text(st, 3, identity_enterprise_role_name(role), -1);
    store_bind_int64(st, 4, time_now_ms());
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_enterprise_member_delete(struct store_conn *c, int64_t enterprise_id,
                                         int64_t account_id, int role, int *changed,
                                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_MEMBER_DELETE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, enterprise_id);
    store_bind_int64(st, 2, account_id);
    store_bind_text(st, 3, identity_enterprise_role_name(role), -1);
    int rc = store_step(st, err);
    *changed = rc == STORE_DONE && store_changes(st) > 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int identity_db_enterprise_members(struct store_conn *c, struct arena *a, int64_t enterprise_id,
                                   size_t max, struct enterprise_member_row **out, size_t *n,
                                   struct err *err)
{
    *out = NULL;
    *n = 0;
    struct enterprise_member_row *rows = arena_alloc(a, (max ? max : 1) * sizeof(*rows));
    if (rows == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    struct store_stmt *st = store_prepare(c, SQL_MEMBERS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, enterprise_id);
    size_t count = 0;
    int rc = STORE_DONE;
    while (count < max && (rc = store_step(st, err)) == STORE_ROW) {
        rows[count].account_id = store_col_int64(st, 0);
        rows[count].role = identity_enterprise_role_parse(store_col_text(st, 1));
        rows[count].granted_at = store_col_int64(st, 2);
        count++;
    }
    store_reset(st);
    if (count < max && rc < 0)
        return -1;
    *out = rows;
    *n = count;
    return 0;
}
