/*
 * catalog.c - the catalog's logic: versions, publication, import and export, bundles,
 * browsing filters. No HTTP here; all SQL in catalog_store.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/embed.h"
#include "base/id.h"
#include "catalog/catalog_internal.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"

int catalog_digest(const json_t *doc, char out[72])
{
    unsigned char h[CRYPTO_SM3_LEN];
    char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    out[0] = '\0';
    if (s == NULL)
        return -1;
    int rc = crypto_sm3(s, strlen(s), h);
    free(s);
    if (rc < 0)
        return -1;
    for (int i = 0; i < CRYPTO_SM3_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    return 0;
}

static void join_codes(const json_t *a, char *out, size_t n)
{
    size_t used = 0;
    size_t i;
    const json_t *v;
    out[0] = '\0';
    used = (size_t)snprintf(out, n, ",");
    json_array_foreach((json_t *)a, i, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL || used + strlen(s) + 2 >= n)
            continue;
        used += (size_t)snprintf(out + used, n - used, "%s,", s);
    }
}

void catalog_cols_of(const json_t *item, struct catalog_cols *cols)
{
    cols->code = json_string_value(json_object_get(item, "code"));
    cols->department = json_string_value(json_object_get(item, "department"));
    cols->name_zh = catalog_text(json_object_get(item, "name"), "zh");
    join_codes(json_object_get(item, "audience"), cols->audience, sizeof cols->audience);
    join_codes(json_object_get(item, "life_events"), cols->life_events, sizeof cols->life_events);
    join_codes(json_object_get(item, "handled_by"), cols->handled_by, sizeof cols->handled_by);
}

static int row_doc(const struct catalog_row *r, json_t **item, struct err *err)
{
    json_t *d = json_loads(r->doc, 0, NULL);
    if (!json_is_object(d)) {
        json_decref(d);
        return err_set(err, 500, "catalog.bad_data", "the stored item %s v%d is not JSON", r->code,
                       r->version);
    }
    json_object_set_new(d, "version", json_integer(r->version));
    json_object_set_new(d, "status", json_string(r->status));
    *item = d;
    return 0;
}

static int get_row(struct store *st, const char *code, int version, const char *status,
                   json_t **item, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct catalog_row r;
    int found;
    int rc = version < 0
                 ? catalog_store_latest(c, code != NULL ? code : "", &r, &found, err)
                 : catalog_store_get(c, code != NULL ? code : "", version, status, &r, &found, err);
    if (rc < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "catalog.not_found", "no such service item");
    rc = row_doc(&r, item, err);
    catalog_row_clear(&r);
    return rc;
}

int catalog_item_published(struct store *st, const char *code, json_t **item, struct err *err)
{
    return get_row(st, code, 0, "published", item, err);
}

int catalog_item_version(struct store *st, const char *code, int version, json_t **item,
                         struct err *err)
{
    if (version < 1)
        return err_set(err, 404, "catalog.not_found", "no such version");
    return get_row(st, code, version, NULL, item, err);
}

int catalog_item_latest(struct store *st, const char *code, json_t **item, struct err *err)
{
    return get_row(st, code, -1, NULL, item, err);
}

int64_t catalog_version(struct store *st)
{
    struct err err;
    struct store_conn *c = store_conn(st, &err);
    int64_t v = 0;
    if (c == NULL || catalog_store_version(c, &v, &err) < 0)
        return -1;
    return v;
}

/* ---- checks that need the store ---------------------------------------------------------- */

static void ref_problem(json_t *problems, const char *prefix, const char *rest, const char *code,
                        const char *msg)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", prefix, rest);
    json_array_append_new(problems,
                          json_pack("{s:s, s:s, s:s}", "path", path, "code", code, "message", msg));
}

/* Whether a department code exists (identity owns departments). */
static int dept_exists(struct catalog *cat, const char *code, int *found, struct err *err)
{
    struct identity_department d;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "catalog.oom", "out of memory");
    int rc = identity_department_find(cat->id, a, code, &d, err);
    arena_free(a);
    *found = rc == 0;
    if (rc < 0 && err->status == 404) {
        err_clear(err);
        return 0;
    }
    return rc;
}

int catalog_departments_in(struct catalog *cat, int64_t division, json_t **codes, struct err *err)
{
    struct identity_department *depts = NULL;
    size_t n = 0;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "catalog.oom", "out of memory");
    int rc = identity_department_list(cat->id, a, &depts, &n, err);
    if (rc == 0) {
        *codes = json_array();
        for (size_t i = 0; i < n; i++)
            if (divisions_contains(depts[i].division_code, division))
                json_array_append_new(*codes, json_string(depts[i].code));
    }
    arena_free(a);
    return rc;
}

int catalog_item_check_refs(struct catalog *cat, const json_t *item, const char *prefix,
                            json_t *problems, struct err *err)
{
    int bad = 0, found;
    const char *dept = json_string_value(json_object_get(item, "department"));
    if (dept != NULL) {
        if (dept_exists(cat, dept, &found, err) < 0)
            return -1;
        if (!found) {
            ref_problem(problems, prefix, ".department", "catalog.check.unknown_department",
                        "no department has this code");
            bad = 1;
        }
    }
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(item, "handled_by"), i, v)
    {
        if (!json_is_string(v))
            continue;
        if (dept_exists(cat, json_string_value(v), &found, err) < 0)
            return -1;
        if (!found) {
            char rest[64];
            snprintf(rest, sizeof rest, ".handled_by[%zu]", i);
            ref_problem(problems, prefix, rest, "catalog.check.unknown_department",
                        "no department has this code");
            bad = 1;
        }
    }
    return bad;
}

/* Check an item fully (shape and references, and for publication its Tibetan), prefixing
 * paths and tagging problems with the item's code. 0 ok, 1 problems, -1 err. */
static int check_full(struct catalog *cat, const json_t *item, int publish, const char *prefix,
                      json_t *problems, struct err *err)
{
    json_t *mine = json_array();
    int bad = publish ? catalog_item_check(item, mine) : catalog_item_check_draft(item, mine);
    if (json_is_object(item)) {
        int r = catalog_item_check_refs(cat, item, "$", mine, err);
        if (r < 0) {
            json_decref(mine);
            return -1;
        }
        bad |= r;
    }
    const char *code = json_string_value(json_object_get(item, "code"));
    size_t i;
    json_t *p;
    json_array_foreach(mine, i, p)
    {
        const char *path = json_string_value(json_object_get(p, "path"));
        char full[600];
        snprintf(full, sizeof full, "%s%s", prefix, path + 1);
        json_object_set_new(p, "path", json_string(full));
        if (code != NULL)
            json_object_set_new(p, "item", json_string(code));
        if (problems != NULL)
            json_array_append(problems, p);
    }
    json_decref(mine);
    return bad;
}

/* Without the keys the store adds when it hands a version out. */
static json_t *bare_copy(const json_t *item)
{
    json_t *d = json_deep_copy(item);
    if (json_is_object(d)) {
        json_object_del(d, "version");
        json_object_del(d, "status");
    }
    return d;
}

static int audit(struct store_conn *c, int64_t actor, const char *ip, const char *action,
                 const char *code, int version, struct err *err)
{
    char object[96], detail[64];
    snprintf(object, sizeof object, "catalog_item:%s", code);
    snprintf(detail, sizeof detail, "version %d", version);
    struct audit_event ev = {actor, action, object, "ok", ip, detail};
    return audit_record(c, &ev, err);
}

/* ---- import / export ---------------------------------------------------------------------- */

/* Publish `item` (checked) as a new version unless it equals the current one. Joins the
 * caller's transaction. *what: 0 unchanged, 1 created, 2 updated. */
static int publish_doc(struct catalog *cat, struct store_conn *c, int64_t actor, const char *ip,
                       const json_t *item, int *what, struct err *err)
{
    struct catalog_cols cols;
    char digest[72];
    catalog_cols_of(item, &cols);
    if (catalog_digest(item, digest) < 0)
        return err_set(err, 500, "catalog.oom", "out of memory");
    struct catalog_row cur, latest;
    int has_cur, has_latest;
    if (catalog_store_current(c, cols.code, &cur, &has_cur, err) < 0)
        return -1;
    int same = has_cur && strcmp(cur.digest, digest) == 0;
    if (has_cur)
        catalog_row_clear(&cur);
    *what = 0;
    if (same)
        return 0;
    if (catalog_store_latest(c, cols.code, &latest, &has_latest, err) < 0)
        return -1;
    int version = has_latest ? latest.version + 1 : 1;
    if (has_latest)
        catalog_row_clear(&latest);
    char *doc = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS);
    if (doc == NULL)
        return err_set(err, 500, "catalog.oom", "out of memory");
    int64_t now = time_now_ms();
    int rc = catalog_store_unpublish(c, cols.code, "superseded", NULL, err);
    if (rc == 0)
        rc = catalog_store_insert(c, &cols, version, "published", digest, doc, actor, now, err);
    free(doc);
    if (rc == 0)
        rc = audit(c, actor, ip, "catalog.import", cols.code, version, err);
    if (rc == 0)
        rc = catalog_index_item(cat, item, err);
    if (rc < 0)
        return -1;
    *what = has_latest ? 2 : 1;
    return 0;
}

/* The document's items (bare copies) and bundles, whatever its shape: a catalog {items,
 * bundles} or one item; shape problems are appended to `all`. */
static void import_split(const json_t *doc, json_t **items_out, json_t **bundles_out, json_t *all)
{
    json_t *items = NULL, *bundles = NULL;
    if (json_is_object(doc) && json_object_get(doc, "code") != NULL &&
        json_object_get(doc, "items") == NULL) {
        items = json_array();
        json_array_append_new(items, bare_copy(doc));
        bundles = json_array();
    } else if (json_is_object(doc)) {
        static const char *const top[] = {"items", "bundles"};
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)doc, key,
                            v) if (strcmp(key, top[0]) != 0 && strcmp(key, top[1]) != 0)
            json_array_append_new(all, json_pack("{s:s, s:s, s:s}", "path", "$", "code",
                                                 "catalog.check.unknown_key", "message",
                                                 "a catalog has only the keys items and bundles"));
        json_t *in = json_object_get(doc, "items");
        json_t *bin = json_object_get(doc, "bundles");
        if (!json_is_array(in))
            json_array_append_new(all, json_pack("{s:s, s:s, s:s}", "path", "$.items", "code",
                                                 "catalog.check.type", "message",
                                                 "items must be an array"));
        if (bin != NULL && !json_is_array(bin))
            json_array_append_new(all, json_pack("{s:s, s:s, s:s}", "path", "$.bundles", "code",
                                                 "catalog.check.type", "message",
                                                 "bundles must be an array"));
        items = json_array();
        bundles = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(in, i, x) json_array_append_new(items, bare_copy(x));
        if (json_is_array(bin))
            json_array_extend(bundles, bin);
    } else {
        json_array_append_new(
            all, json_pack("{s:s, s:s, s:s}", "path", "$", "code", "catalog.check.type", "message",
                           "a catalog is an object {items, bundles} or one item"));
    }
    *items_out = items;
    *bundles_out = bundles;
}

/* Every problem of every item (and codes that appear twice), appended to `all`. */
static int import_check_items(struct catalog *cat, const json_t *doc, json_t *items, json_t *all,
                              struct err *err)
{
    int single = items != NULL && json_object_get(doc, "items") == NULL;
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x)
    {
        char prefix[48];
        if (single)
            snprintf(prefix, sizeof prefix, "$");
        else
            snprintf(prefix, sizeof prefix, "$.items[%zu]", i);
        if (check_full(cat, x, 1, prefix, all, err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (json_equal(json_object_get(x, "code"),
                           json_object_get(json_array_get(items, j), "code")) &&
                json_is_string(json_object_get(x, "code"))) {
                char path[64];
                snprintf(path, sizeof path, "%s.code", prefix);
                json_array_append_new(all,
                                      json_pack("{s:s, s:s, s:s, s:s}", "path", path, "code",
                                                "catalog.check.duplicate", "message",
                                                "this code appears twice in the file", "item",
                                                json_string_value(json_object_get(x, "code"))));
            }
    }
    return 0;
}

/* Every problem of every bundle (an item neither in the file nor published), appended. */
static int import_check_bundles(struct store_conn *c, json_t *items, json_t *bundles, json_t *all,
                                struct err *err)
{
    size_t i;
    json_t *x;
    json_array_foreach(bundles, i, x)
    {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "$.bundles[%zu]", i);
        json_t *mine = json_array();
        catalog_bundle_check(x, mine);
        size_t j;
        json_t *v;
        json_array_foreach(json_object_get(x, "items"), j, v)
        {
            const char *code = json_string_value(v);
            int known = 0;
            size_t m;
            json_t *it;
            json_array_foreach(items, m,
                               it) if (code != NULL && json_equal(v, json_object_get(it, "code")))
                known = 1;
            if (!known && code != NULL) {
                struct catalog_row r;
                int found;
                if (catalog_store_get(c, code, 0, "published", &r, &found, err) < 0) {
                    json_decref(mine);
                    return -1;
                }
                if (found)
                    catalog_row_clear(&r);
                known = found;
            }
            if (!known && code != NULL) {
                char path[48];
                snprintf(path, sizeof path, "$.items[%zu]", j);
                json_array_append_new(mine, json_pack("{s:s, s:s, s:s}", "path", path, "code",
                                                      "catalog.check.unknown_item", "message",
                                                      "no published item has this code"));
            }
        }
        const char *bcode = json_string_value(json_object_get(x, "code"));
        json_array_foreach(mine, j, v)
        {
            char full[600];
            snprintf(full, sizeof full, "%s%s", prefix,
                     json_string_value(json_object_get(v, "path")) + 1);
            json_object_set_new(v, "path", json_string(full));
            if (bcode != NULL)
                json_object_set_new(v, "item", json_string(bcode));
            json_array_append(all, v);
        }
        json_decref(mine);
    }
    return 0;
}

/* Write one bundle when it changed (audited, indexed); *what: 0 unchanged, 1 created, 2
 * updated. In the caller's transaction. */
static int import_bundle(struct catalog *cat, struct store_conn *c, int64_t actor, const char *ip,
                         const json_t *x, int *what, struct err *err)
{
    *what = 0;
    char digest[72], old_digest[72] = "";
    char *old = NULL;
    int found;
    const char *code = json_string_value(json_object_get(x, "code"));
    if (catalog_digest(x, digest) < 0)
        return err_set(err, 500, "catalog.oom", "out of memory");
    if (catalog_store_bundle_get(c, code, &old, old_digest, &found, err) < 0)
        return -1;
    free(old);
    if (found && strcmp(old_digest, digest) == 0)
        return 0;
    char *text = json_dumps(x, JSON_COMPACT | JSON_SORT_KEYS);
    int r =
        text == NULL
            ? err_set(err, 500, "catalog.oom", "out of memory")
            : catalog_store_bundle_put(c, code, json_string_value(json_object_get(x, "life_event")),
                                       digest, text, time_now_ms(), err);
    free(text);
    char object[96];
    snprintf(object, sizeof object, "catalog_bundle:%s", code);
    struct audit_event ev = {actor, "catalog.bundle_import", object, "ok", ip, NULL};
    if (r < 0 || audit_record(c, &ev, err) < 0 || catalog_index_bundle(cat, c, x, err) < 0)
        return -1;
    *what = found ? 2 : 1;
    return 0;
}

int catalog_import_checked(struct catalog *cat, int64_t actor, const char *ip, const json_t *doc,
                           int *created, int *updated, json_t *problems, struct err *err)
{
    *created = *updated = 0;
    json_t *all = json_array();
    json_t *items = NULL, *bundles = NULL;
    int rc = -1;
    size_t i;
    json_t *x;
    import_split(doc, &items, &bundles, all);
    struct store_conn *c = NULL;
    if (import_check_items(cat, doc, items, all, err) < 0 ||
        (c = store_conn(cat->st, err)) == NULL ||
        import_check_bundles(c, items, bundles, all, err) < 0)
        goto out;
    if (json_array_size(all) > 0) {
        json_t *p0 = json_array_get(all, 0);
        const char *item = json_string_value(json_object_get(p0, "item"));
        err_set(err, 400, "catalog.invalid", "%zu problem(s); first: %s%s%s: %s",
                json_array_size(all), item ? item : "", item ? " " : "",
                json_string_value(json_object_get(p0, "path")),
                json_string_value(json_object_get(p0, "message")));
        if (problems != NULL)
            json_array_extend(problems, all);
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    int changed = 0;
    json_array_foreach(items, i, x)
    {
        int what;
        if (publish_doc(cat, c, actor, ip, x, &what, err) < 0)
            goto rollback;
        *created += what == 1;
        *updated += what == 2;
        changed |= what != 0;
    }
    json_array_foreach(bundles, i, x)
    {
        int what;
        if (import_bundle(cat, c, actor, ip, x, &what, err) < 0)
            goto rollback;
        changed |= what != 0;
        *created += what == 1;
        *updated += what == 2;
    }
    if ((changed && catalog_store_bump(c, err) < 0) || store_commit(c, err) < 0)
        goto rollback;
    rc = 0;
    goto out;
rollback:
    store_rollback(c);
    *created = *updated = 0;
out:
    json_decref(all);
    json_decref(items);
    json_decref(bundles);
    return rc;
}

int catalog_import(struct catalog *cat, int64_t actor, const json_t *doc, int *created,
                   int *updated, struct err *err)
{
    return catalog_import_checked(cat, actor, NULL, doc, created, updated, NULL, err);
}

static int export_row(const struct catalog_row *r, const char *name_zh, const char *dept, void *ctx)
{
    json_t *d = json_loads(r->doc, 0, NULL);
    if (d == NULL)
        return 1;
    json_array_append_new(ctx, d);
    return 0;
}

int catalog_export(struct store *st, json_t **doc, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    json_t *items = json_array(), *bundles = json_array();
    if (catalog_store_each_published(c, export_row, items, err) < 0 ||
        catalog_store_bundles(c, bundles, err) < 0) {
        json_decref(items);
        json_decref(bundles);
        return -1;
    }
    *doc = json_pack("{s:o, s:o}", "items", items, "bundles", bundles);
    return 0;
}

int catalog_load_demo(struct catalog *cat, int *created, int *updated, struct err *err)
{
    const struct embed_file *f = embed_find("data/catalog/demo.json");
    if (f == NULL)
        return err_set(err, 500, "catalog.no_demo", "data/catalog/demo.json is not embedded");
    json_error_t je;
    json_t *doc = json_loadb((const char *)f->data, f->len, 0, &je);
    if (doc == NULL)
        return err_set(err, 500, "catalog.bad_json", "data/catalog/demo.json line %d: %s", je.line,
                       je.text);
    int rc = catalog_import(cat, 0, doc, created, updated, err);
    json_decref(doc);
    return rc;
}

/* ---- bundles ---------------------------------------------------------------------------- */

int catalog_bundle_get(struct store *st, const char *code, json_t **bundle, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    char *doc;
    int found;
    if (catalog_store_bundle_get(c, code != NULL ? code : "", &doc, NULL, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "catalog.not_found", "no such bundle");
    *bundle = json_loads(doc, 0, NULL);
    free(doc);
    if (*bundle == NULL)
        return err_set(err, 500, "catalog.bad_data", "a stored bundle is invalid");
    return 0;
}

int catalog_bundles(struct store *st, json_t **bundles, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    json_t *b = json_array();
    if (catalog_store_bundles(c, b, err) < 0) {
        json_decref(b);
        return -1;
    }
    *bundles = b;
    return 0;
}

/* ---- administration ------------------------------------------------------------------------ */

int catalog_draft_save(struct catalog *cat, int64_t actor, const char *ip, const json_t *item,
                       int *version, json_t *problems, struct err *err)
{
    struct store *st = cat->st;
    json_t *d = bare_copy(item);
    int rc = check_full(cat, d, 0, "$", problems, err);
    if (rc != 0) {
        json_decref(d);
        return rc;
    }
    struct store_conn *c = store_conn(st, err);
    if (c == NULL) {
        json_decref(d);
        return -1;
    }
    struct catalog_cols cols;
    char digest[72];
    catalog_cols_of(d, &cols);
    char *doc = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    if (doc == NULL || catalog_digest(d, digest) < 0) {
        free(doc);
        json_decref(d);
        return err_set(err, 500, "catalog.oom", "out of memory");
    }
    rc = -1;
    struct catalog_row latest;
    int found;
    if (store_begin(c, err) < 0)
        goto out;
    if (catalog_store_latest(c, cols.code, &latest, &found, err) < 0)
        goto rollback;
    *version = found ? latest.version + 1 : 1;
    if (found)
        catalog_row_clear(&latest);
    if (catalog_store_insert(c, &cols, *version, "draft", digest, doc, actor, time_now_ms(), err) <
            0 ||
        audit(c, actor, ip, "catalog.draft", cols.code, *version, err) < 0 ||
        store_commit(c, err) < 0)
        goto rollback;
    rc = 0;
    goto out;
rollback:
    store_rollback(c);
out:
    free(doc);
    json_decref(d);
    return rc;
}

int catalog_publish(struct catalog *cat, int64_t actor, const char *ip, const char *code,
                    int version, json_t *problems, struct err *err)
{
    struct store *st = cat->st;
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    if (store_begin(c, err) < 0)
        return -1;
    struct catalog_row r;
    json_t *doc = NULL;
    int found;
    if (catalog_store_get(c, code, version, NULL, &r, &found, err) < 0)
        goto rollback;
    if (!found) {
        err_set(err, 404, "catalog.not_found", "no such version");
        goto rollback;
    }
    int is_draft = strcmp(r.status, "draft") == 0;
    doc = is_draft ? json_loads(r.doc, 0, NULL) : NULL;
    catalog_row_clear(&r);
    if (!is_draft) {
        err_set(err, 409, "catalog.not_draft", "only a draft can be published");
        goto rollback;
    }
    if (doc == NULL) {
        err_set(err, 500, "catalog.bad_data", "the stored draft is not JSON");
        goto rollback;
    }
    /* A draft may lack what publication needs (its Tibetan texts: catalog_lang.c), and a
     * department may have gone since it was saved: the whole check again, every problem. */
    json_t *mine = json_array();
    int bad = check_full(cat, doc, 1, "$", mine, err);
    if (bad > 0) {
        err_set(err, 422, "catalog.not_publishable", "%zu problem(s); first: %s: %s",
                json_array_size(mine),
                json_string_value(json_object_get(json_array_get(mine, 0), "path")),
                json_string_value(json_object_get(json_array_get(mine, 0), "message")));
        if (problems != NULL)
            json_array_extend(problems, mine);
    }
    json_decref(mine);
    if (bad != 0)
        goto rollback;
    int64_t now = time_now_ms();
    if (catalog_store_unpublish(c, code, "superseded", NULL, err) < 0 ||
        catalog_store_set_status(c, code, version, "published", now, err) < 0 ||
        audit(c, actor, ip, "catalog.publish", code, version, err) < 0 ||
        catalog_index_item(cat, doc, err) < 0 || catalog_store_bump(c, err) < 0 ||
        store_commit(c, err) < 0)
        goto rollback;
    json_decref(doc);
    return 0;
rollback:
    json_decref(doc);
    store_rollback(c);
    return -1;
}

int catalog_retire(struct catalog *cat, int64_t actor, const char *ip, const char *code,
                   struct err *err)
{
    struct store *st = cat->st;
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    if (store_begin(c, err) < 0)
        return -1;
    struct catalog_row r;
    int found;
    if (catalog_store_get(c, code, 0, "published", &r, &found, err) < 0)
        goto rollback;
    if (!found) {
        err_set(err, 409, "catalog.not_published", "the item has no published version");
        goto rollback;
    }
    int version = r.version;
    catalog_row_clear(&r);
    if (catalog_store_unpublish(c, code, "retired", NULL, err) < 0 ||
        audit(c, actor, ip, "catalog.retire", code, version, err) < 0 ||
        catalog_unindex_item(cat, code, err) < 0 || catalog_store_bump(c, err) < 0 ||
        store_commit(c, err) < 0)
        goto rollback;
    return 0;
rollback:
    store_rollback(c);
    return -1;
}

static int admin_row(const struct catalog_row *r, const char *name_zh, const char *dept, void *ctx)
{
    json_t *out = ctx;
    json_t *last = json_array_get(out, json_array_size(out) - 1);
    if (last == NULL || strcmp(json_string_value(json_object_get(last, "code")), r->code) != 0) {
        last = json_pack("{s:s, s:i}", "code", r->code, "published_version", 0);
        json_array_append_new(out, last);
    }
    json_object_set_new(last, "name_zh", json_string(name_zh ? name_zh : ""));
    json_object_set_new(last, "department", json_string(dept ? dept : ""));
    json_object_set_new(last, "latest_version", json_integer(r->version));
    json_object_set_new(last, "latest_status", json_string(r->status));
    json_object_set_new(last, "updated_at", json_integer(r->created_at));
    if (strcmp(r->status, "published") == 0)
        json_object_set_new(last, "published_version", json_integer(r->version));
    return 0;
}

/* The name {zh, bo, en} of the latest version, so the list shows the reader's language. */
static int admin_name(const struct catalog_row *r, const char *name_zh, const char *dept, void *ctx)
{
    json_t *out = ctx;
    size_t i;
    json_t *v;
    json_array_foreach(out, i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "code")), r->code) != 0)
            continue;
        json_t *d = json_loads(r->doc, 0, NULL);
        json_t *name = json_object_get(d, "name");
        json_object_set_new(v, "name",
                            json_is_object(name)
                                ? json_deep_copy(name)
                                : json_pack("{s:s}", "zh", name_zh ? name_zh : ""));
        json_decref(d);
        break;
    }
    return 0;
}

int catalog_admin_list(struct store *st, json_t **items, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    json_t *out = json_array();
    if (catalog_store_each_version(c, admin_row, out, err) < 0 ||
        catalog_store_each_latest(c, admin_name, out, err) < 0) {
        json_decref(out);
        return -1;
    }
    *items = out;
    return 0;
}

struct hist_ctx {
    json_t *out;
    json_t *prev;
};

static int hist_row(const struct catalog_row *r, const char *name_zh, const char *dept, void *ctx)
{
    struct hist_ctx *h = ctx;
    json_t *d = json_loads(r->doc, 0, NULL);
    if (d == NULL)
        return 1;
    json_t *changes = json_array();
    if (h->prev != NULL)
        catalog_diff(h->prev, d, "$", changes, 50);
    json_t *v = json_pack("{s:i, s:s, s:I, s:I, s:o}", "version", r->version, "status", r->status,
                          "created_at", (json_int_t)r->created_at, "created_by",
                          (json_int_t)r->created_by, "changes", changes);
    if (r->published_at > 0)
        json_object_set_new(v, "published_at", json_integer(r->published_at));
    /* What a draft still lacks in Tibetan before it can be published. */
    if (strcmp(r->status, "draft") == 0) {
        json_t *missing = json_array();
        catalog_item_check_bo(d, missing);
        json_object_set_new(v, "publish_problems", missing);
    }
    json_array_insert_new(h->out, 0, v);
    json_decref(h->prev);
    h->prev = d;
    return 0;
}

int catalog_history(struct store *st, const char *code, json_t **versions, struct err *err)
{
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    struct hist_ctx h = {json_array(), NULL};
    int rc = catalog_store_history(c, code, hist_row, &h, err);
    json_decref(h.prev);
    if (rc < 0 || json_array_size(h.out) == 0) {
        json_decref(h.out);
        return rc < 0 ? -1 : err_set(err, 404, "catalog.not_found", "no such service item");
    }
    *versions = h.out;
    return 0;
}

int catalog_open(struct store *st, struct identity *id, struct catalog **out, struct err *err)
{
    struct catalog *cat = calloc(1, sizeof(*cat));
    if (cat == NULL)
        return err_set(err, 500, "catalog.oom", "out of memory");
    cat->st = st;
    cat->id = id;
    *out = cat;
    return 0;
}

void catalog_close(struct catalog *cat)
{
    free(cat);
}
