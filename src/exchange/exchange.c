/*
 * exchange.c - the data exchange's rules: the resource catalog and its checks, requests
 * and grants, and the read itself (purpose and case, grant, rate limit, provider, field
 * filtering, the durable log). All SQL is in exchange_store.c; HTTP in exchange_http.c.
 *
 * The invariant of a read: nothing leaves before its log row and audit record are
 * committed (one transaction), and a refusal after the subject is known is logged too, so
 * that the person's /account/data-use shows attempts as well as reads.
 */
#include "exchange/exchange_internal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/embed.h"
#include "base/id.h"
#include "crypto/crypto.h"
#include "identity/idcodes.h"
#include "store/store.h"

/* ---- small checks ---------------------------------------------------------------------- */

static int word_ok(const char *s, size_t max, const char *extra)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              (extra && strchr(extra, ch) != NULL)))
            return 0;
    }
    return 1;
}

static int one_of(const char *s, const char *const *set)
{
    for (; s != NULL && *set != NULL; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

/* Is `word` in the list `list` (words separated by spaces or commas)? */
static int listed(const char *list, const char *word)
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

static int has_names(const json_t *obj)
{
    static const char *const langs[] = {"zh", "bo", "en"};
    for (size_t i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(obj, langs[i]));
        if (s == NULL || *s == '\0' || strlen(s) > 300)
            return 0;
    }
    return 1;
}

/* ---- the catalog --------------------------------------------------------------------- */

int exchange_resource_check(const json_t *doc, struct err *err)
{
    static const char *const keys[] = {"id_number", "uscc", NULL};
    static const char *const types[] = {"string",  "date",      "enum", "integer",
                                        "boolean", "id_number", "uscc", NULL};
    static const char *const sens[] = {"public", "personal", "sensitive", NULL};
    static const char *const sharing[] = {"unconditional", "conditional", "none", NULL};
    static const char *const open[] = {"open", "conditional", "not_open", NULL};
    static const char *const freq[] = {"realtime", "daily", "weekly", "monthly", "yearly", NULL};
#define BAD(...) return err_set(err, 400, "exchange.bad_resource", __VA_ARGS__)
    if (!json_is_object(doc))
        BAD("a resource is a JSON object");
    const char *code = json_string_value(json_object_get(doc, "code"));
    if (!word_ok(code, 47, NULL))
        BAD("code: 1 to 47 characters a-z, 0-9 and _");
    if (!has_names(json_object_get(doc, "name")))
        BAD("%s: name needs zh, bo and en (1 to 300 bytes each)", code);
    if (!word_ok(json_string_value(json_object_get(doc, "provider")), 47, "-"))
        BAD("%s: provider is a department code", code);
    if (!one_of(json_string_value(json_object_get(doc, "key")), keys))
        BAD("%s: key is id_number or uscc", code);
    if (!one_of(json_string_value(json_object_get(doc, "sharing")), sharing))
        BAD("%s: sharing is unconditional, conditional or none", code);
    if (!one_of(json_string_value(json_object_get(doc, "open")), open))
        BAD("%s: open is open, conditional or not_open", code);
    if (!one_of(json_string_value(json_object_get(doc, "frequency")), freq))
        BAD("%s: frequency is realtime, daily, weekly, monthly or yearly", code);
    if (!has_names(json_object_get(doc, "legal_basis")))
        BAD("%s: legal_basis needs zh, bo and en", code);
    const json_t *ep = json_object_get(doc, "endpoint");
    if (ep != NULL && !json_is_null(ep) && exchange_endpoint_check(ep, err) < 0)
        return -1;
    const json_t *fields = json_object_get(doc, "fields");
    if (!json_is_array(fields) || json_array_size(fields) == 0 ||
        json_array_size(fields) > EXCHANGE_MAX_FIELDS)
        BAD("%s: fields is a list of 1 to %d fields", code, EXCHANGE_MAX_FIELDS);
    size_t i;
    const json_t *f;
    json_array_foreach(fields, i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!word_ok(name, 47, NULL))
            BAD("%s: field %zu has no valid name", code, i + 1);
        for (size_t k = 0; k < i; k++)
            if (strcmp(json_string_value(json_object_get(json_array_get(fields, k), "name")),
                       name) == 0)
                BAD("%s: field %s appears twice", code, name);
        if (!one_of(json_string_value(json_object_get(f, "type")), types))
            BAD("%s: field %s has an unknown type", code, name);
        if (!one_of(json_string_value(json_object_get(f, "sensitivity")), sens))
            BAD("%s: field %s: sensitivity is public, personal or sensitive", code, name);
        if (!has_names(json_object_get(f, "label")))
            BAD("%s: field %s needs a label in zh, bo and en", code, name);
    }
#undef BAD
    return 0;
}

const json_t *exchange_resource_field(const json_t *res, const char *name)
{
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(res, "fields"), i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "name")), name) == 0)
            return f;
    }
    return NULL;
}

int exchange_resources_ensure(struct store *s, int *added, struct err *err)
{
    const struct embed_file *f = embed_find("data/exchange/resources.json");
    int n = 0, rc = -1;
    json_t *all = NULL;
    if (f == NULL)
        return err_set(err, 500, "exchange.no_catalog", "data/exchange/resources.json is missing");
    all = json_loadb((const char *)f->data, f->len, 0, NULL);
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        goto out;
    if (!json_is_array(all)) {
        err_set(err, 500, "exchange.no_catalog", "data/exchange/resources.json is not a list");
        goto out;
    }
    size_t i;
    json_t *doc;
    json_array_foreach(all, i, doc)
    {
        char *text = NULL;
        if (exchange_resource_check(doc, err) < 0 ||
            (text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
            goto out;
        int r = exchange_db_resource_insert_missing(
            c, json_string_value(json_object_get(doc, "code")), text, time_now_ms(), &n, err);
        free(text);
        if (r < 0)
            goto out;
    }
    if (added)
        *added = n;
    rc = 0;
out:
    json_decref(all);
    return rc;
}

int exchange_resources(struct exchange *x, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(x->store, err);
    json_t *arr = json_array();
    if (c == NULL || exchange_db_resource_list(c, arr, err) < 0) {
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}

int exchange_resource(struct exchange *x, const char *code, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(x->store, err);
    *out = NULL;
    if (c == NULL || exchange_db_resource_get(c, code ? code : "", out, err) < 0)
        return -1;
    if (*out == NULL)
        return err_set(err, 404, "exchange.no_resource", "there is no resource %.60s",
                       code ? code : "");
    return 0;
}

static int audit(struct store_conn *c, int64_t actor, const char *action, const char *object,
                 const char *outcome, const char *ip, const char *detail, struct err *err)
{
    struct audit_event ev = {actor, action, object, outcome, ip, detail};
    return audit_record(c, &ev, err);
}

int exchange_resource_put(struct exchange *x, int64_t actor, const json_t *doc, struct err *err)
{
    char *text = NULL;
    int rc = -1;
    struct store_conn *c = store_conn(x->store, err);
    if (c == NULL || exchange_resource_check(doc, err) < 0)
        return -1;
    const char *code = json_string_value(json_object_get(doc, "code"));
    if ((text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    char object[64];
    snprintf(object, sizeof(object), "resource:%s", code);
    if (store_begin(c, err) < 0)
        goto out;
    if (exchange_db_resource_put(c, code, text, actor, time_now_ms(), err) < 0 ||
        audit(c, actor, "exchange.resource_put", object, "ok", NULL, NULL, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = 0;
out:
    free(text);
    return rc;
}

/* ---- the sandbox connector ----------------------------------------------------------------- */

/* The additional data binding a sealed sandbox record to its place. */
static const char *sandbox_ad(char *buf, size_t n, const char *resource, const char *hash)
{
    snprintf(buf, n, "exchange_sandbox_records:%s:%s", resource, hash);
    return buf;
}

int exchange_sandbox_put(struct exchange *x, const char *resource, const char *key,
                         const char *text, struct err *err)
{
    char hash[65], ad[160];
    size_t len = strlen(text), got = 0;
    struct store_conn *c = store_conn(x->store, err);
    if (c == NULL || exchange_subject_hash(x, key, hash, err) < 0)
        return -1;
    unsigned char *enc = malloc(len + CRYPTO_AEAD_OVERHEAD);
    if (enc == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    sandbox_ad(ad, sizeof(ad), resource, hash);
    int rc = crypto_aead_seal(crypto_keyring_aead(x->kr, CRYPTO_AEAD_PII), ad, strlen(ad), text,
                              len, enc, len + CRYPTO_AEAD_OVERHEAD, &got) < 0
                 ? err_set(err, 500, "exchange.crypto", "the record could not be sealed")
                 : exchange_db_sandbox_put(c, resource, hash, enc, got, err);
    free(enc);
    return rc;
}

/* The sandbox registers answer from exchange_sandbox_records: a stored value that is not a
 * JSON object is a provider answering garbage (a test puts one there on purpose). */
static int sandbox_fetch(void *ctx, const char *resource, const char *key, json_t **record,
                         struct err *err)
{
    struct exchange *x = ctx;
    unsigned char *enc = NULL;
    size_t len = 0, n = 0;
    char hash[65], ad[160];
    struct store_conn *c = store_conn(x->store, err);
    *record = NULL;
    if (c == NULL || exchange_subject_hash(x, key, hash, err) < 0 ||
        exchange_db_sandbox_get(c, resource, hash, &enc, &len, err) < 0)
        return -1;
    if (enc == NULL)
        return 1;
    char *text = len >= CRYPTO_AEAD_OVERHEAD ? malloc(len - CRYPTO_AEAD_OVERHEAD + 1) : NULL;
    sandbox_ad(ad, sizeof(ad), resource, hash);
    int ok = text != NULL &&
             crypto_aead_open(crypto_keyring_aead(x->kr, CRYPTO_AEAD_PII), ad, strlen(ad), enc, len,
                              (unsigned char *)text, len - CRYPTO_AEAD_OVERHEAD, &n) == 0;
    free(enc);
    if (!ok) {
        free(text);
        return err_set(err, 502, "exchange.provider_failed", "the sandbox record cannot be opened");
    }
    text[n] = '\0';
    json_t *r = json_loads(text, 0, NULL);
    crypto_wipe(text, n);
    free(text);
    if (!json_is_object(r)) {
        json_decref(r);
        return err_set(err, 502, "exchange.provider_failed",
                       "the provider's answer is not a record");
    }
    *record = r;
    return 0;
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int exchange_open(struct store *s, struct crypto_keyring *kr, struct exchange **out,
                  struct err *err)
{
    struct exchange *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return err_set(err, 500, "exchange.oom", "out of memory");
    x->store = s;
    x->kr = kr;
    pthread_mutex_init(&x->lock, NULL);
    x->sandbox = (struct exchange_connector){"sandbox", x, sandbox_fetch, 0};
    /* Once per process, before any thread uses libcurl (the REST connector). */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    *out = x;
    return 0;
}

void exchange_close(struct exchange *x)
{
    if (x == NULL)
        return;
    pthread_mutex_destroy(&x->lock);
    free(x);
}

int exchange_set_connector(struct exchange *x, const char *resource,
                           const struct exchange_connector *c, struct err *err)
{
    int rc = 0;
    pthread_mutex_lock(&x->lock);
    size_t i = 0;
    while (i < x->nconnectors && strcmp(x->connectors[i].resource, resource) != 0)
        i++;
    if (i == EXCHANGE_MAX_RESOURCES || strlen(resource) >= sizeof(x->connectors[0].resource)) {
        rc = err_set(err, 400, "exchange.connectors_full", "too many connectors");
    } else {
        snprintf(x->connectors[i].resource, sizeof(x->connectors[i].resource), "%s", resource);
        x->connectors[i].c = *c;
        if (i == x->nconnectors)
            x->nconnectors++;
    }
    pthread_mutex_unlock(&x->lock);
    return rc;
}

struct exchange_connector exchange_connector_for(struct exchange *x, const json_t *res)
{
    const char *resource = json_string_value(json_object_get(res, "code"));
    const json_t *ep = json_object_get(res, "endpoint");
    struct exchange_connector c = x->sandbox;
    if (json_is_object(ep))
        c = (struct exchange_connector){"rest", (void *)ep, exchange_rest_fetch,
                                        json_is_true(json_object_get(ep, "complete"))};
    pthread_mutex_lock(&x->lock);
    for (size_t i = 0; resource != NULL && i < x->nconnectors; i++)
        if (strcmp(x->connectors[i].resource, resource) == 0)
            c = x->connectors[i].c;
    pthread_mutex_unlock(&x->lock);
    return c;
}

int exchange_subject_hash(struct exchange *x, const char *key, char out[65], struct err *err)
{
    if (crypto_lookup_hash_hex(crypto_keyring_subkey(x->kr, CRYPTO_SUBKEY_PII_LOOKUP), key,
                               strlen(key), out) < 0)
        return err_set(err, 500, "exchange.crypto", "the lookup hash failed");
    return 0;
}

/* ---- requests and grants --------------------------------------------------------------------- */

#define DAY_MS (24LL * 60 * 60 * 1000)

/* The fields of `list` that the resource has, space-separated, in the resource's order;
 * every field when `list` is empty. -1 when one is unknown (its name in err). */
static char *fields_of(struct arena *a, const json_t *res, const char *list, struct err *err)
{
    size_t i;
    const json_t *f;
    for (const char *p = list; p && *p;) {
        size_t k = strcspn(p, " ,");
        char w[48];
        if (k > 0) {
            snprintf(w, sizeof(w), "%.*s", (int)(k < 47 ? k : 47), p);
            if (exchange_resource_field(res, w) == NULL) {
                err_set(err, 400, "exchange.bad_field", "the resource has no field %s", w);
                return NULL;
            }
        }
        p += k;
        p += strspn(p, " ,");
    }
    char *out = arena_strdup(a, "");
    int all = list == NULL || list[strspn(list, " ,")] == '\0';
    json_array_foreach(json_object_get(res, "fields"), i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (out != NULL && (all || listed(list, name)))
            out = arena_printf(a, "%s%s%s", out, *out ? " " : "", name);
    }
    if (out == NULL)
        err_set(err, 500, "exchange.oom", "out of memory");
    return out;
}

int exchange_request(struct exchange *x, const struct exchange_request *r, int64_t *grant_id,
                     struct err *err)
{
    json_t *res = NULL;
    struct arena *a = arena_new(0);
    int rc = -1;
    struct store_conn *c = store_conn(x->store, err);
    if (a == NULL || c == NULL) {
        if (a == NULL)
            err_set(err, 500, "exchange.oom", "out of memory");
        goto out;
    }
    if (!word_ok(r->purpose, EXCHANGE_MAX_PURPOSE, NULL)) {
        err_set(err, 400, "exchange.bad_purpose", "purpose: 1 to 64 characters a-z, 0-9 and _");
        goto out;
    }
    if (r->legal_basis == NULL || *r->legal_basis == '\0' || strlen(r->legal_basis) > 300) {
        err_set(err, 400, "exchange.bad_legal_basis", "legal_basis: 1 to 300 bytes");
        goto out;
    }
    if (exchange_resource(x, r->resource, &res, err) < 0)
        goto out;
    const char *sharing = json_string_value(json_object_get(res, "sharing"));
    if (strcmp(sharing, "none") == 0) {
        err_set(err, 403, "exchange.not_shared", "this resource is not shared (不予共享)");
        goto out;
    }
    char *fields = fields_of(a, res, r->fields, err);
    if (fields == NULL)
        goto out;
    int64_t now = time_now_ms();
    int auto_ok = strcmp(sharing, "unconditional") == 0;
    struct exchange_grant_row g = {.id = id_next(),
                                   .expires_at = auto_ok ? now + 365 * DAY_MS : 0,
                                   .decided_at = auto_ok ? now : 0,
                                   .created_at = now,
                                   .rate_per_min = EXCHANGE_DEFAULT_RATE,
                                   .client_id = r->client_id,
                                   .consumer_name = r->consumer_name,
                                   .resource = r->resource,
                                   .fields = fields,
                                   .purpose = r->purpose,
                                   .legal_basis = r->legal_basis,
                                   .status = auto_ok ? "approved" : "requested"};
    const char *object = arena_printf(a, "grant:%lld", (long long)g.id);
    const char *detail = arena_printf(a, "client=%s resource=%s purpose=%s fields=%s", r->client_id,
                                      r->resource, r->purpose, fields);
    if (store_begin(c, err) < 0)
        goto out;
    if (exchange_db_grant_insert(c, &g, err) < 0 ||
        audit(c, 0, "exchange.request", object, g.status, NULL, detail, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto out;
    }
    *grant_id = g.id;
    rc = 0;
out:
    json_decref(res);
    arena_free(a);
    return rc;
}

static int grant_change(struct exchange *x, int64_t actor, int64_t grant_id, const char *from,
                        const char *to, const char *fields, int days, int rate, struct err *err)
{
    struct arena *a = arena_new(0);
    json_t *res = NULL;
    int rc = -1, found = 0, changed = 0;
    struct exchange_grant_row g;
    struct store_conn *c = store_conn(x->store, err);
    if (a == NULL || c == NULL) {
        if (a == NULL)
            err_set(err, 500, "exchange.oom", "out of memory");
        goto out;
    }
    if (exchange_db_grant_get(c, a, grant_id, &g, &found, err) < 0)
        goto out;
    if (!found) {
        err_set(err, 404, "exchange.no_grant", "there is no grant %lld", (long long)grant_id);
        goto out;
    }
    const char *final = g.fields;
    if (fields != NULL && *fields) {
        if (exchange_resource(x, g.resource, &res, err) < 0 ||
            (final = fields_of(a, res, fields, err)) == NULL)
            goto out;
        for (const char *p = final; *p;) { /* a subset of what was requested */
            size_t k = strcspn(p, " ");
            char w[48];
            snprintf(w, sizeof(w), "%.*s", (int)(k < 47 ? k : 47), p);
            if (!listed(g.fields, w)) {
                err_set(err, 400, "exchange.bad_field", "field %s was not requested", w);
                goto out;
            }
            p += k;
            p += *p == ' ';
        }
    }
    int64_t now = time_now_ms();
    int64_t expires = strcmp(to, "approved") == 0 ? now + (int64_t)days * DAY_MS : g.expires_at;
    const char *object = arena_printf(a, "grant:%lld", (long long)grant_id);
    const char *detail =
        arena_printf(a, "status=%s fields=%s days=%d rate=%d", to, final, days, rate);
    if (store_begin(c, err) < 0)
        goto out;
    if (exchange_db_grant_update(c, grant_id, from, to, final, rate > 0 ? rate : g.rate_per_min,
                                 expires, actor, now, &changed, err) < 0 ||
        (changed &&
         audit(c, actor, strcmp(to, "revoked") == 0 ? "exchange.revoke" : "exchange.decide", object,
               "ok", NULL, detail, err) < 0) ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto out;
    }
    if (!changed) {
        err_set(err, 409, "exchange.grant_state", "grant %lld is %s, not %s", (long long)grant_id,
                g.status, from);
        goto out;
    }
    rc = 0;
out:
    json_decref(res);
    arena_free(a);
    return rc;
}

int exchange_grant_decide(struct exchange *x, int64_t actor, int64_t grant_id, int approve,
                          const char *fields, int days, int rate, struct err *err)
{
    if (approve && (days < 1 || days > 1825))
        return err_set(err, 400, "exchange.bad_days", "a grant lasts 1 to 1825 days");
    if (rate < 0 || rate > 1000000)
        return err_set(err, 400, "exchange.bad_rate", "rate: 0 to 1000000 calls a minute");
    return grant_change(x, actor, grant_id, "requested", approve ? "approved" : "rejected",
                        approve ? fields : NULL, days, rate, err);
}

int exchange_grant_revoke(struct exchange *x, int64_t actor, int64_t grant_id, struct err *err)
{
    return grant_change(x, actor, grant_id, "approved", "revoked", NULL, 0, 0, err);
}

int exchange_grants(struct exchange *x, const char *client_id, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(x->store, err);
    json_t *arr = json_array();
    if (c == NULL || exchange_db_grant_list(c, client_id, arr, err) < 0) {
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}

void exchange_set_other_uses(struct exchange *x, const struct exchange_other_uses *u)
{
    x->other = *u;
}

int exchange_correction_request(struct exchange *x, int64_t account_id, const char *resource,
                                const char *field, const char *note, struct err *err)
{
    json_t *res = NULL;
    size_t chars = 0;
    for (const char *p = note; p != NULL && *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (exchange_resource(x, resource, &res, err) < 0)
        return -1;
    int rc = -1;
    struct store_conn *c = NULL;
    if (field == NULL || exchange_resource_field(res, field) == NULL) {
        err_set(err, 400, "exchange.bad_field", "the resource has no such field");
        goto out;
    }
    if (chars == 0 || chars > 500) {
        err_set(err, 400, "exchange.bad_note", "say what is wrong, in at most 500 characters");
        goto out;
    }
    if ((c = store_conn(x->store, err)) == NULL)
        goto out;
    int64_t id = id_next();
    char object[64], detail[128];
    snprintf(object, sizeof(object), "correction:%lld", (long long)id);
    snprintf(detail, sizeof(detail), "resource=%s field=%s", resource, field);
    if (store_begin(c, err) < 0)
        goto out;
    if (exchange_db_correction_insert(c, id, time_now_ms(), account_id, resource, field, note,
                                      err) < 0 ||
        audit(c, account_id, "exchange.correction", object, "ok", NULL, detail, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = 0;
out:
    json_decref(res);
    return rc;
}

int exchange_corrections(struct exchange *x, const char *resource, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(x->store, err);
    json_t *arr = json_array();
    if (c == NULL || exchange_db_corrections(c, resource, arr, err) < 0) {
        json_decref(arr);
        return -1;
    }
    *out = arr;
    return 0;
}
