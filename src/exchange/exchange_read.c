/*
 * exchange_read.c - one read through the exchange (exchange_read for department systems,
 * exchange_record_for for the platform itself), the read log the person sees
 * (exchange_data_use) and the demo's sandbox records.
 *
 * Order of checks in a read, and why: the caller's own inputs first (purpose, case
 * number, resource, key: 400/404, nothing logged since nobody's data is concerned yet),
 * then everything that concerns a subject (grant, fields, provider) is logged with its
 * outcome before the answer, so a refusal is as visible to the person as a read. The rate
 * limit is not logged: a runaway consumer must not turn its excess into writes.
 */
#include "exchange/exchange_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "identity/idcodes.h"
#include "store/store.h"

static int case_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > EXCHANGE_MAX_CASE)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return 0;
    return 1;
}

static int purpose_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > EXCHANGE_MAX_PURPOSE)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static int in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        size_t k = strcspn(p, " ,");
        if (k == n && strncmp(p, word, n) == 0)
            return 1;
        p += k;
        p += strspn(p, " ,");
    }
    return 0;
}

/* The canonical key of a resource's subject: an ID number (GB 11643) or a credit code
 * (GB 32100). */
static int key_normalize(const json_t *res, const char *in, char out[IDCODE_LEN + 1],
                         struct err *err)
{
    const char *kind = json_string_value(json_object_get(res, "key"));
    struct err e;
    int rc = in == NULL                  ? -1
             : strcmp(kind, "uscc") == 0 ? idcode_uscc_normalize(in, out, &e)
                                         : idcode_citizen_normalize(in, out, 0, &e);
    if (rc < 0)
        return err_set(err, 400, "exchange.bad_key", "%s: not a valid %s", kind,
                       strcmp(kind, "uscc") == 0 ? "unified social credit code" : "ID number");
    return 0;
}

/* Write the read's log row and audit record in one transaction. */
static int log_read(struct exchange *x, struct arena *a, const struct exchange_read_row *r,
                    const char *ip, const char *reason, int in_tx, struct err *err)
{
    struct store_conn *c = store_conn(x->store, err);
    if (c == NULL)
        return -1;
    /* The audit record names the subject by a prefix of its lookup hash, never the number. */
    const char *object = arena_printf(a, "subject:%.16s", r->subject_hash);
    const char *detail =
        arena_printf(a, "client=%s resource=%s fields=%s purpose=%s case=%s read=%lld%s%s",
                     r->client_id, r->resource, r->fields, r->purpose, r->case_number,
                     (long long)r->id, reason ? " reason=" : "", reason ? reason : "");
    struct audit_event ev = {0, "exchange.read", object, r->outcome, ip, detail};
    if (object == NULL || detail == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    if (in_tx)
        return exchange_db_read_insert(c, r, err) < 0 || audit_record(c, &ev, err) < 0 ? -1 : 0;
    if (store_begin(c, err) < 0)
        return -1;
    if (exchange_db_read_insert(c, r, err) < 0 || audit_record(c, &ev, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 0;
}

/* Count one call of `grant_id` in this minute: 0 within the limit, -1 beyond it. */
static int rate_take(struct exchange *x, int64_t grant_id, int limit, int64_t now)
{
    int64_t minute = now / 60000;
    int rc = 0;
    pthread_mutex_lock(&x->lock);
    struct exchange_rate_slot *s = &x->rate[(uint64_t)grant_id % EXCHANGE_RATE_SLOTS];
    if (s->grant_id != grant_id || s->window != minute) {
        s->grant_id = grant_id;
        s->window = minute;
        s->count = 0;
    }
    if (s->count >= limit)
        rc = -1;
    else
        s->count++;
    pthread_mutex_unlock(&x->lock);
    return rc;
}

/* Keep the fields of `record` named in `keep`, in the resource's order; the others go to
 * `withheld`. */
static json_t *filtered(const json_t *res, const json_t *record, const char *keep, json_t *withheld)
{
    json_t *out = json_object();
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(res, "fields"), i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        json_t *v = json_object_get(record, name);
        if (v == NULL)
            continue;
        if (in_list(keep, name))
            json_object_set(out, name, v);
        else
            json_array_append_new(withheld, json_string(name));
    }
    return out;
}

/* Check the grant found for a call; 0 when it allows the call now, -1 with err and the
 * short reason for the log. */
static int grant_allows(const struct exchange_grant_row *g, int found, int64_t now,
                        const char **reason, struct err *err)
{
    if (!found || strcmp(g->status, "requested") == 0 || strcmp(g->status, "rejected") == 0) {
        *reason = "no_grant";
        return err_set(err, 403, "exchange.no_grant",
                       "no approved grant of this resource for this purpose");
    }
    if (strcmp(g->status, "revoked") == 0) {
        *reason = "grant_revoked";
        return err_set(err, 403, "exchange.grant_revoked", "the grant was revoked");
    }
    if (g->expires_at <= now) {
        *reason = "grant_expired";
        return err_set(err, 403, "exchange.grant_expired", "the grant has expired");
    }
    return 0;
}

int exchange_read(struct exchange *x, const struct exchange_call *call, json_t **out,
                  struct err *err)
{
    struct arena *a = arena_new(0);
    json_t *res = NULL, *record = NULL;
    int rc = -1, found = 0;
    char key[IDCODE_LEN + 1], hash[65];
    const char *reason = NULL;
    *out = NULL;
    if (a == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    if (!purpose_ok(call->purpose)) {
        err_set(err, 400, "exchange.bad_purpose", "purpose: 1 to 64 characters a-z, 0-9 and _");
        goto out;
    }
    if (!case_ok(call->case_number)) {
        err_set(err, 400, "exchange.bad_case", "case: the case number, 1 to 64 of A-Z, 0-9, -");
        goto out;
    }
    if (exchange_resource(x, call->resource, &res, err) < 0 ||
        key_normalize(res, call->key, key, err) < 0)
        goto out;
    for (const char *p = call->fields; p && *p;) { /* every field asked for must exist */
        size_t k = strcspn(p, ",");
        char w[48];
        snprintf(w, sizeof(w), "%.*s", (int)(k < 47 ? k : 47), p);
        if (k > 0 && exchange_resource_field(res, w) == NULL) {
            err_set(err, 400, "exchange.bad_field", "the resource has no field %s", w);
            goto out;
        }
        p += k;
        p += *p == ',';
    }
    struct store_conn *c = store_conn(x->store, err);
    struct exchange_grant_row g;
    int64_t now = time_now_ms();
    if (c == NULL || exchange_subject_hash(x, key, hash, err) < 0 ||
        exchange_db_grant_find(c, a, call->client_id, call->resource, call->purpose, &g, &found,
                               err) < 0)
        goto out;
    struct exchange_read_row row = {id_next(),
                                    now,
                                    hash,
                                    call->client_id,
                                    call->consumer_name,
                                    call->resource,
                                    call->fields ? call->fields : "",
                                    call->purpose,
                                    call->case_number,
                                    found ? g.legal_basis : "",
                                    "denied"};
    struct err e2;
    if (grant_allows(&g, found, now, &reason, err) < 0)
        goto logged;
    const char *keep = g.fields;
    for (const char *p = call->fields; p && *p;) {
        size_t k = strcspn(p, ",");
        char w[48];
        snprintf(w, sizeof(w), "%.*s", (int)(k < 47 ? k : 47), p);
        if (k > 0 && !in_list(g.fields, w)) {
            reason = "field_not_granted";
            err_set(err, 403, "exchange.field_not_granted", "field %s is not in the grant", w);
            goto logged;
        }
        p += k;
        p += *p == ',';
    }
    if (call->fields != NULL && *call->fields)
        keep = call->fields;
    if (rate_take(x, g.id, g.rate_per_min, now) < 0) {
        err_set(err, 429, "exchange.rate_limited", "more than %d calls a minute", g.rate_per_min);
        goto out;
    }
    struct exchange_connector conn = exchange_connector_for(x, res);
    int fr = conn.fetch(conn.ctx, call->resource, key, &record, err);
    if (fr < 0) {
        row.outcome = "failed";
        reason = err->code;
        goto logged;
    }
    if (fr == 1) {
        row.outcome = "no_record";
        err_set(err, 404, "exchange.no_record", "the register has no record of this subject");
        goto logged;
    }
    json_t *withheld = json_array();
    json_t *kept = filtered(res, record, keep, withheld);
    row.outcome = "ok";
    row.fields = keep;
    if (log_read(x, a, &row, call->ip, NULL, 0, err) < 0) {
        json_decref(withheld);
        json_decref(kept);
        goto out;
    }
    *out = json_pack("{s:s, s:o, s:o, s:{s:s, s:s, s:O}, s:s, s:s, s:s, s:o}", "resource",
                     call->resource, "record", kept, "withheld", withheld, "source", "provider",
                     json_string_value(json_object_get(res, "provider")), "connector", conn.name,
                     "resource_name", json_object_get(res, "name"), "purpose", call->purpose,
                     "case_number", call->case_number, "legal_basis", g.legal_basis, "read_id",
                     json_sprintf("%lld", (long long)row.id));
    rc = *out ? 0 : err_set(err, 500, "exchange.oom", "out of memory");
    goto out;
logged:
    /* The refusal stands whatever the log says; a log failure is the server's problem. */
    e2 = *err;
    if (log_read(x, a, &row, call->ip, reason, 0, err) == 0)
        *err = e2;
out:
    json_decref(record);
    json_decref(res);
    arena_free(a);
    return rc;
}

/* The platform read's log row: every field of the resource, the legal basis, `outcome`
 * ("ok", "no_record", "failed"). */
static int log_platform_read(struct exchange *x, struct arena *a, const json_t *res, int64_t actor,
                             const char *resource, const char *hash, const char *purpose,
                             const char *case_number, const char *outcome, int in_tx,
                             struct err *err)
{
    const char *fields = "";
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(res, "fields"), i, f)
    {
        fields = arena_printf(a, "%s%s%s", fields, *fields ? "," : "",
                              json_string_value(json_object_get(f, "name")));
    }
    const char *client = arena_printf(a, "platform:%lld", (long long)actor);
    struct exchange_read_row row = {
        id_next(),   time_now_ms(),
        hash,        client,
        "platform",  resource,
        fields,      purpose,
        case_number, json_string_value(json_object_get(json_object_get(res, "legal_basis"), "zh")),
        outcome};
    if (fields == NULL || client == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    return log_read(x, a, &row, NULL, NULL, in_tx, err);
}

int exchange_record_fetch(struct exchange *x, const char *resource, const char *key,
                          json_t **record, struct err *err)
{
    json_t *res = NULL;
    char canon[IDCODE_LEN + 1];
    int rc = -1;
    *record = NULL;
    if (exchange_resource(x, resource, &res, err) == 0 &&
        key_normalize(res, key, canon, err) == 0) {
        struct exchange_connector conn = exchange_connector_for(x, res);
        rc = conn.fetch(conn.ctx, resource, canon, record, err);
    }
    json_decref(res);
    return rc;
}

int exchange_record_log(struct exchange *x, int64_t actor, const char *resource, const char *key,
                        const char *purpose, const char *case_number, const char *outcome,
                        int in_tx, struct err *err)
{
    struct arena *a = arena_new(0);
    json_t *res = NULL;
    char canon[IDCODE_LEN + 1], hash[65];
    int rc = -1;
    if (a == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    if (!purpose_ok(purpose) || !case_ok(case_number)) {
        err_set(err, 400, "exchange.bad_purpose", "a purpose code and a case number are needed");
        goto out;
    }
    if (exchange_resource(x, resource, &res, err) < 0 || key_normalize(res, key, canon, err) < 0 ||
        exchange_subject_hash(x, canon, hash, err) < 0)
        goto out;
    rc = log_platform_read(x, a, res, actor, resource, hash, purpose, case_number, outcome, in_tx,
                           err);
out:
    json_decref(res);
    arena_free(a);
    return rc;
}

int exchange_record_for(struct exchange *x, int64_t actor, const char *resource, const char *key,
                        const char *purpose, const char *case_number, int in_tx, json_t **record,
                        struct err *err)
{
    struct arena *a = arena_new(0);
    json_t *res = NULL, *rec = NULL;
    char canon[IDCODE_LEN + 1], hash[65];
    int rc = -1;
    *record = NULL;
    if (a == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    if (!purpose_ok(purpose) || !case_ok(case_number)) {
        err_set(err, 400, "exchange.bad_purpose", "a purpose code and a case number are needed");
        goto out;
    }
    if (exchange_resource(x, resource, &res, err) < 0 || key_normalize(res, key, canon, err) < 0 ||
        exchange_subject_hash(x, canon, hash, err) < 0)
        goto out;
    struct exchange_connector conn = exchange_connector_for(x, res);
    int fr = conn.fetch(conn.ctx, resource, canon, &rec, err);
    struct err e2 = *err;
    if (log_platform_read(x, a, res, actor, resource, hash, purpose, case_number,
                          fr == 0   ? "ok"
                          : fr == 1 ? "no_record"
                                    : "failed",
                          in_tx, err) < 0)
        goto out;
    if (fr < 0) {
        *err = e2;
        goto out;
    }
    if (fr == 1) {
        err_set(err, 404, "exchange.no_record", "the register has no record of this subject");
        goto out;
    }
    *record = rec;
    rec = NULL;
    rc = 0;
out:
    json_decref(rec);
    json_decref(res);
    arena_free(a);
    return rc;
}

int exchange_data_use(struct exchange *x, const char *key, int64_t before, int limit, json_t **out,
                      struct err *err)
{
    char hash[65];
    struct store_conn *c = store_conn(x->store, err);
    json_t *arr = json_array();
    if (limit < 1 || limit > EXCHANGE_DATA_USE_MAX)
        limit = EXCHANGE_DATA_USE_MAX;
    if (c == NULL || exchange_subject_hash(x, key, hash, err) < 0 ||
        exchange_db_reads_of(c, hash, before, limit, arr, err) < 0) {
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}

/* A platform read for identity's checks: 0 with *record, 2 when the register cannot say,
 * 1 when a complete register has no such subject, -1 with err. */
static int identity_read(struct exchange *x, const char *resource, const char *key, json_t **record,
                         struct err *err)
{
    struct err e;
    err_clear(&e);
    if (exchange_record_for(x, 0, resource, key, "identity_verification", "registration", 0, record,
                            &e) == 0)
        return 0;
    if (strcmp(e.code, "exchange.no_record") == 0) {
        json_t *res = NULL;
        if (exchange_resource(x, resource, &res, err) < 0)
            return -1;
        int complete = exchange_connector_for(x, res).complete;
        json_decref(res);
        return complete ? 1 : 2;
    }
    *err = e;
    return -1;
}

int exchange_check_person(struct exchange *x, const char *name, const char *id_number,
                          struct err *err)
{
    json_t *rec = NULL;
    int rc = identity_read(x, "population", id_number, &rec, err);
    if (rc == 0) {
        const char *held = json_string_value(json_object_get(rec, "name"));
        rc = held != NULL && strcmp(held, name) == 0 ? 0 : 1;
    }
    json_decref(rec);
    return rc;
}

int exchange_check_legal_rep(struct exchange *x, const char *uscc, const char *id_number,
                             struct err *err)
{
    json_t *rec = NULL;
    int rc = identity_read(x, "legal_person", uscc, &rec, err);
    if (rc == 0) {
        const char *rep = json_string_value(json_object_get(rec, "legal_rep_id_number"));
        rc = rep != NULL && strcmp(rep, id_number) == 0 ? 0 : 1;
    }
    json_decref(rec);
    return rc;
}

int exchange_reads_search(struct exchange *x, const char *case_number, int64_t before, int limit,
                          json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(x->store, err);
    json_t *arr = json_array();
    if (limit < 1 || limit > EXCHANGE_DATA_USE_MAX)
        limit = EXCHANGE_DATA_USE_MAX;
    if (case_number != NULL && *case_number && !case_ok(case_number)) {
        json_decref(arr);
        return err_set(err, 400, "exchange.bad_case", "case: 1 to 64 of A-Z, a-z, 0-9, -");
    }
    if (c == NULL || exchange_db_reads_search(c, case_number, before, limit, arr, err) < 0) {
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}
