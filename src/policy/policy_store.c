/* policy_store.c - every SQL statement of the policy module (policy_internal.h). */
#include "policy/policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const char SQL_DOC_FIND[] = "SELECT id FROM policy_docs WHERE doc_key = ?";
static const char SQL_DOC_INSERT[] =
    "INSERT INTO policy_docs (id, doc_key, number, title, issuer, summary, issued_on, "
    "effective_on, expires_on, status, source, created_by, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_DOC_UPDATE[] =
    "UPDATE policy_docs SET number = ?, title = ?, issuer = ?, summary = ?, issued_on = ?, "
    "effective_on = ?, expires_on = ?, status = ?, source = ?, updated_at = ? WHERE id = ?";
static const char SQL_CLAUSE_IDS[] = "SELECT id FROM policy_clauses WHERE policy_id = ?";
static const char SQL_LINKS_DELETE[] = "DELETE FROM policy_clause_services WHERE clause_id IN "
                                       "(SELECT id FROM policy_clauses WHERE policy_id = ?)";
static const char SQL_CLAUSES_DELETE[] = "DELETE FROM policy_clauses WHERE policy_id = ?";
static const char SQL_CLAUSE_INSERT[] =
    "INSERT INTO policy_clauses (id, policy_id, number, label, lang, body) "
    "VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_LINK_INSERT[] =
    "INSERT INTO policy_clause_services (clause_id, item_code) VALUES (?, ?) "
    "ON CONFLICT (clause_id, item_code) DO NOTHING";
#define DOC_COLS                                                                                   \
    "d.id, d.doc_key, d.number, d.title, d.issuer, d.summary, d.issued_on, d.effective_on, "       \
    "d.expires_on, d.status, d.source, "                                                           \
    "(SELECT COUNT(*) FROM policy_clauses c WHERE c.policy_id = d.id)"
static const char SQL_LIST[] =
    "SELECT " DOC_COLS " FROM policy_docs d ORDER BY d.issued_on DESC, d.id DESC LIMIT 1000";
static const char SQL_GET[] = "SELECT " DOC_COLS " FROM policy_docs d WHERE d.id = ?";
static const char SQL_CLAUSES[] = "SELECT id, number, label, lang, body FROM policy_clauses "
                                  "WHERE policy_id = ? ORDER BY number";
static const char SQL_CLAUSE_LINKS[] =
    "SELECT s.clause_id, s.item_code FROM policy_clause_services s "
    "JOIN policy_clauses c ON c.id = s.clause_id WHERE c.policy_id = ? "
    "ORDER BY s.clause_id, s.item_code";
static const char SQL_INTERPS[] =
    "SELECT id, lang, title, body, created_at FROM policy_interpretations "
    "WHERE policy_id = ? ORDER BY id";
static const char SQL_INTERP_INSERT[] =
    "INSERT INTO policy_interpretations (id, policy_id, lang, title, body, created_by, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_WHERE[] = "SELECT policy_id, number FROM policy_clauses WHERE id = ?";
static const char SQL_FOR_SERVICE[] =
    "SELECT d.id, d.title, d.number, c.number, c.label FROM policy_clause_services s "
    "JOIN policy_clauses c ON c.id = s.clause_id JOIN policy_docs d ON d.id = c.policy_id "
    "WHERE s.item_code = ? ORDER BY d.issued_on DESC, c.number LIMIT 50";

/* A column holding JSON text as a JSON value (an empty object when it does not parse). */
static json_t *col_json(struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    return j ? j : json_object();
}

static json_t *col_str(struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s ? json_string(s) : json_null();
}

static void bind_opt(struct store_stmt *st, int idx, const char *s)
{
    if (s != NULL && *s != '\0')
        store_bind_text(st, idx, s, -1);
    else
        store_bind_null(st, idx);
}

/* Run a statement that takes one id and returns nothing. */
static int run_id(struct store_conn *c, const char *sql, int64_t id, struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    return store_run(st, NULL, err);
}

int policy_db_doc_find(struct store_conn *c, const char *key, int64_t *id, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DOC_FIND, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    *id = 0;
    int rc = store_step(st, err);
    if (rc == STORE_ROW)
        *id = store_col_int64(st, 0);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int policy_db_doc_insert(struct store_conn *c, int64_t id, const struct policy_db_doc *d,
                         int64_t actor, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DOC_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, d->key, -1);
    store_bind_text(st, 3, d->number ? d->number : "", -1);
    store_bind_text(st, 4, d->title, -1);
    store_bind_text(st, 5, d->issuer, -1);
    store_bind_text(st, 6, d->summary, -1);
    store_bind_text(st, 7, d->issued_on, -1);
    store_bind_text(st, 8, d->effective_on, -1);
    bind_opt(st, 9, d->expires_on);
    store_bind_text(st, 10, d->status, -1);
    store_bind_text(st, 11, d->source ? d->source : "", -1);
    store_bind_int64(st, 12, actor);
    store_bind_int64(st, 13, now);
    store_bind_int64(st, 14, now);
    return store_run(st, NULL, err);
}

int policy_db_doc_update(struct store_conn *c, int64_t id, const struct policy_db_doc *d,
                         int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DOC_UPDATE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, d->number ? d->number : "", -1);
    store_bind_text(st, 2, d->title, -1);
    store_bind_text(st, 3, d->issuer, -1);
    store_bind_text(st, 4, d->summary, -1);
    store_bind_text(st, 5, d->issued_on, -1);
    store_bind_text(st, 6, d->effective_on, -1);
    bind_opt(st, 7, d->expires_on);
    store_bind_text(st, 8, d->status, -1);
    store_bind_text(st, 9, d->source ? d->source : "", -1);
    store_bind_int64(st, 10, now);
    store_bind_int64(st, 11, id);
    return store_run(st, NULL, err);
}

int policy_db_clause_ids(struct store_conn *c, int64_t policy_id, json_t **ids, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CLAUSE_IDS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, policy_id);
    *ids = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(*ids, json_integer(store_col_int64(st, 0)));
    store_reset(st);
    if (rc < 0) {
        json_decref(*ids);
        *ids = NULL;
        return -1;
    }
    return 0;
}

int policy_db_clauses_delete(struct store_conn *c, int64_t policy_id, struct err *err)
{
    if (run_id(c, SQL_LINKS_DELETE, policy_id, err) < 0)
        return -1;
    return run_id(c, SQL_CLAUSES_DELETE, policy_id, err);
}

int policy_db_clause_insert(struct store_conn *c, int64_t id, int64_t policy_id, int number,
                            const char *label, const char *lang, const char *body, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CLAUSE_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, policy_id);
    store_bind_int64(st, 3, number);
    store_bind_text(st, 4, label ? label : "", -1);
    store_bind_text(st, 5, lang, -1);
    store_bind_text(st, 6, body, -1);
    return store_run(st, NULL, err);
}

int policy_db_clause_service_insert(struct store_conn *c, int64_t clause_id, const char *code,
                                    struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LINK_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, clause_id);
    store_bind_text(st, 2, code, -1);
    return store_run(st, NULL, err);
}

static json_t *doc_row(struct store_stmt *st)
{
    json_t *o = json_object();
    /* Ids are 64-bit: JSON carries them as strings too (JavaScript numbers hold 53 bits). */
    json_object_set_new(o, "id", json_sprintf("%lld", (long long)store_col_int64(st, 0)));
    json_object_set_new(o, "key", col_str(st, 1));
    json_object_set_new(o, "number", col_str(st, 2));
    json_object_set_new(o, "title", col_json(st, 3));
    json_object_set_new(o, "issuer", col_json(st, 4));
    json_object_set_new(o, "summary", col_json(st, 5));
    json_object_set_new(o, "issued_on", col_str(st, 6));
    json_object_set_new(o, "effective_on", col_str(st, 7));
    json_object_set_new(o, "expires_on", col_str(st, 8));
    json_object_set_new(o, "status", col_str(st, 9));
    json_object_set_new(o, "source", col_str(st, 10));
    json_object_set_new(o, "clause_count", json_integer(store_col_int64(st, 11)));
    return o;
}

int policy_db_list(struct store_conn *c, json_t **out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LIST, err);
    if (st == NULL)
        return -1;
    *out = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(*out, doc_row(st));
    store_reset(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int policy_db_get(struct store_conn *c, int64_t id, json_t **out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_GET, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    *out = NULL;
    int rc = store_step(st, err);
    if (rc == STORE_ROW)
        *out = doc_row(st);
    store_reset(st);
    if (rc < 0)
        return -1;
    if (*out == NULL)
        return err_set(err, 404, "policy.not_found", "no such policy");
    return 0;
}

int policy_db_clauses(struct store_conn *c, int64_t policy_id, json_t **out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_CLAUSES, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, policy_id);
    json_t *a = json_array(), *by_id = json_object();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        json_t *o = json_pack("{s:o,s:i,s:o,s:o,s:o,s:[]}", "id",
                              json_sprintf("%lld", (long long)store_col_int64(st, 0)), "number",
                              (int)store_col_int64(st, 1), "label", col_str(st, 2), "lang",
                              col_str(st, 3), "body", col_str(st, 4), "services");
        char key[32];
        snprintf(key, sizeof(key), "%lld", (long long)store_col_int64(st, 0));
        json_object_set(by_id, key, o);
        json_array_append_new(a, o);
    }
    store_reset(st);
    if (rc < 0)
        goto fail;
    if ((st = store_prepare(c, SQL_CLAUSE_LINKS, err)) == NULL)
        goto fail;
    store_bind_int64(st, 1, policy_id);
    while ((rc = store_step(st, err)) == STORE_ROW) {
        char key[32];
        snprintf(key, sizeof(key), "%lld", (long long)store_col_int64(st, 0));
        json_t *o = json_object_get(by_id, key);
        if (o != NULL)
            json_array_append_new(json_object_get(o, "services"), col_str(st, 1));
    }
    store_reset(st);
    if (rc < 0)
        goto fail;
    json_decref(by_id);
    *out = a;
    return 0;
fail:
    json_decref(by_id);
    json_decref(a);
    return -1;
}

int policy_db_interpretations(struct store_conn *c, int64_t policy_id, json_t **out,
                              struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INTERPS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, policy_id);
    *out = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            *out, json_pack("{s:o,s:o,s:o,s:o,s:I}", "id",
                            json_sprintf("%lld", (long long)store_col_int64(st, 0)), "lang",
                            col_str(st, 1), "title", col_str(st, 2), "body", col_str(st, 3),
                            "created_at", (json_int_t)store_col_int64(st, 4)));
    store_reset(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int policy_db_interpretation_insert(struct store_conn *c, int64_t id, int64_t policy_id,
                                    const char *lang, const char *title, const char *body,
                                    int64_t actor, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_INTERP_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, policy_id);
    store_bind_text(st, 3, lang, -1);
    store_bind_text(st, 4, title, -1);
    store_bind_text(st, 5, body, -1);
    store_bind_int64(st, 6, actor);
    store_bind_int64(st, 7, now);
    return store_run(st, NULL, err);
}

int policy_db_clause_where(struct store_conn *c, int64_t clause_id, int64_t *policy_id, int *number,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_WHERE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, clause_id);
    int rc = store_step(st, err), found = 0;
    if (rc == STORE_ROW) {
        found = 1;
        *policy_id = store_col_int64(st, 0);
        *number = (int)store_col_int64(st, 1);
    }
    store_reset(st);
    if (rc < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "policy.not_found", "no such clause");
    return 0;
}

int policy_db_for_service(struct store_conn *c, const char *code, json_t **out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FOR_SERVICE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, code, -1);
    *out = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(
            *out, json_pack("{s:o,s:o,s:o,s:i,s:o}", "id",
                            json_sprintf("%lld", (long long)store_col_int64(st, 0)), "title",
                            col_json(st, 1), "number", col_str(st, 2), "clause",
                            (int)store_col_int64(st, 3), "label", col_str(st, 4)));
    store_reset(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int policy_db_clause_codes(struct store_conn *c, int64_t clause_id, json_t **out, struct err *err)
{
    static const char sql[] =
        "SELECT item_code FROM policy_clause_services WHERE clause_id = ? ORDER BY item_code";
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, clause_id);
    *out = json_array();
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        json_array_append_new(*out, col_str(st, 0));
    store_reset(st);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

int policy_db_clause_body(struct store_conn *c, int64_t clause_id, char **body, struct err *err)
{
    static const char sql[] = "SELECT body FROM policy_clauses WHERE id = ?";
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, clause_id);
    *body = NULL;
    int rc = store_step(st, err);
    if (rc == STORE_ROW && store_col_text(st, 0) != NULL)
        *body = strdup(store_col_text(st, 0));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
