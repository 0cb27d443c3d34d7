/* catalog_test.c - the service catalog: the item check (every rule, every problem at once,
 * with its JSON path), the embedded demo catalog, import/export round trip and idempotence,
 * versions (draft, publish, supersede, retire, history with changes), bundles and the
 * browsing filters, on a real SQLite store. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/embed.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "store/store.h"

static const char SQL_DEPTS[] =
    "INSERT INTO departments (id, code, name_zh, division_code, created_at) VALUES "
    "(1, 'xz-ga', 'a', 540000000000, 0), (2, 'xz-mz', 'a', 540000000000, 0), "
    "(3, 'xz-rs', 'a', 540000000000, 0), (4, 'xz-sj', 'a', 540000000000, 0), "
    "(5, 'xz-wj', 'a', 540000000000, 0), (6, 'xz-zr', 'a', 540000000000, 0), "
    "(7, 'ls-ga', 'a', 540100000000, 0), (8, 'ls-mz', 'a', 540100000000, 0), "
    "(9, 'ls-sj', 'a', 540100000000, 0), (10, 'ls-zr', 'a', 540100000000, 0), "
    "(11, 'cg-mz', 'a', 540102000000, 0), (12, 'cg-ga', 'a', 540102000000, 0), "
    "(13, 'cg-rs', 'a', 540102000000, 0), (14, 'cg-sj', 'a', 540102000000, 0), "
    "(15, 'cg-wj', 'a', 540102000000, 0)";

static const unsigned char MASTER[CRYPTO_KEY_LEN] = {2, 7, 1, 8, 2, 8};

/* A store with the demo departments, identity on it (departments are identity's) and the
 * catalog's handle. */
struct opened {
    struct store *s;
    struct crypto_keyring *kr;
    struct identity *id;
    struct catalog *cat;
};

static void close_store(struct opened *o)
{
    catalog_close(o->cat);
    identity_close(o->id);
    crypto_keyring_close(o->kr);
    store_close(o->s);
}

struct fixture {
    char dir[32];
    struct opened o;
    struct store *s;     /* o.s */
    struct catalog *cat; /* o.cat */
    json_t *demo;
};

static int open_store(const char *dir, const char *name, struct opened *o)
{
    char url[96];
    struct err err;
    int inserted;
    err_clear(&err);
    snprintf(url, sizeof url, "sqlite:%s/%s", dir, name);
    struct store_conn *c;
    if (store_open(url, NULL, &o->s, &err) < 0 || store_migrate(o->s, NULL, &err) < 0 ||
        divisions_load_reference(o->s, &inserted, &err) < 0 ||
        (c = store_conn(o->s, &err)) == NULL || store_exec(c, SQL_DEPTS, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    if (crypto_keyring_from_master(MASTER, &o->kr) < 0 ||
        identity_open(o->s, o->kr, &(struct identity_options){.fast_passwords = 1}, &o->id, &err) <
            0 ||
        catalog_open(o->s, o->id, &o->cat, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/ow-cat-XXXXXX");
    if (mkdtemp(f->dir) == NULL || open_store(f->dir, "t.db", &f->o) < 0)
        return -1;
    f->s = f->o.s;
    f->cat = f->o.cat;
    const struct embed_file *e = embed_find("data/catalog/demo.json");
    if (e == NULL)
        return -1;
    f->demo = json_loadb((const char *)e->data, e->len, 0, NULL);
    *state = f;
    return f->demo != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[64];
    close_store(&f->o);
    json_decref(f->demo);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static json_t *demo_item(struct fixture *f, const char *code)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(f->demo, "items"), i,
                       it) if (strcmp(json_string_value(json_object_get(it, "code")), code) ==
                               0) return json_deep_copy(it);
    fail_msg("no demo item %s", code);
    return NULL;
}

/* Whether `problems` has one at `path` with `code`. */
static int has_problem(const json_t *problems, const char *path, const char *code)
{
    size_t i;
    json_t *p;
    json_array_foreach((json_t *)problems, i,
                       p) if (strcmp(json_string_value(json_object_get(p, "path")), path) == 0 &&
                              strcmp(json_string_value(json_object_get(p, "code")), code) ==
                                  0) return 1;
    return 0;
}

#define ASSERT_PROBLEM(pr, path, code)                                                             \
    do {                                                                                           \
        if (!has_problem(pr, path, code)) {                                                        \
            char *d = json_dumps(pr, JSON_INDENT(1));                                              \
            fail_msg("missing problem %s %s in %s", path, code, d);                                \
        }                                                                                          \
    } while (0)

static void test_demo_catalog(void **state)
{
    struct fixture *f = *state;
    json_t *items = json_object_get(f->demo, "items");
    assert_true(json_array_size(items) >= 20);
    size_t i;
    json_t *it;
    char depts[16][16];
    int ndepts = 0;
    json_array_foreach(items, i, it)
    {
        json_t *problems = json_array();
        if (catalog_item_check(it, problems) != 0) {
            char *d = json_dumps(problems, 0);
            fail_msg("%s: %s", json_string_value(json_object_get(it, "code")), d);
        }
        json_decref(problems);
        const char *d = json_string_value(json_object_get(it, "department"));
        int seen = 0;
        for (int k = 0; k < ndepts; k++)
            seen |= strcmp(depts[k], d) == 0;
        if (!seen && ndepts < 16)
            snprintf(depts[ndepts++], 16, "%s", d);
    }
    assert_true(ndepts >= 6);
    /* The contract's marriage registration. */
    json_t *m = demo_item(f, "XZ-MZ-001");
    assert_string_equal(json_string_value(json_object_get(m, "issues_cert_type")), "MARRIAGE_CERT");
    json_t *hb = json_object_get(m, "handled_by");
    assert_string_equal(json_string_value(json_array_get(hb, 0)), "cg-mz");
    assert_string_equal(json_string_value(json_array_get(hb, 1)), "ls-mz");
    json_t *mat = json_array_get(json_object_get(m, "materials"), 0);
    assert_string_equal(json_string_value(json_object_get(mat, "key")), "id_card");
    assert_string_equal(json_string_value(json_object_get(mat, "cert_type")), "ID_CARD");
    json_decref(m);
    json_t *b = json_array_get(json_object_get(f->demo, "bundles"), 0);
    assert_string_equal(json_string_value(json_object_get(b, "code")), "BUNDLE-NEWBORN");
    assert_int_equal(json_array_size(json_object_get(b, "items")), 3);
    json_t *bp = json_array();
    assert_int_equal(catalog_bundle_check(b, bp), 0);
    json_decref(bp);
}

static void test_check_rules(void **state)
{
    struct fixture *f = *state;
    json_t *it = demo_item(f, "XZ-MZ-001");
    json_t *problems = json_array();
    /* One mistake per rule; all must be reported at once. */
    json_object_set_new(it, "colour", json_string("red"));
    json_object_set_new(it, "code", json_string("xz-mz-001"));
    json_object_del(json_object_get(it, "name"), "zh");
    json_object_set_new(it, "type", json_string("permit"));
    json_object_set_new(it, "life_events", json_pack("[s, s]", "marriage", "start_business"));
    json_object_set_new(it, "levels", json_array());
    json_object_set_new(json_object_get(it, "fee"), "fen", json_integer(-1));
    json_object_set_new(json_object_get(it, "time_limit"), "promised_days", json_integer(31));
    json_t *mats = json_object_get(it, "materials");
    json_object_set_new(json_array_get(mats, 0), "cert_type", json_string("id card"));
    json_object_set_new(json_array_get(mats, 1), "key", json_string("id_card"));
    json_object_set_new(json_array_get(mats, 2), "form", json_string("scan"));
    json_object_set_new(json_array_get(mats, 2), "max_bytes", json_integer(0));
    json_t *fields = json_object_get(json_object_get(it, "form"), "fields");
    json_object_set_new(json_array_get(fields, 0), "type", json_string("colour"));
    json_object_set_new(json_array_get(fields, 1), "prefill", json_string("profile.salary"));
    json_array_append_new(fields, json_pack("{s:s, s:s, s:{s:s}}", "key", "kind", "type", "select",
                                            "label", "zh", "类别"));
    json_array_append_new(fields, json_pack("{s:s, s:s, s:{s:s}, s:s}", "key", "nick", "type",
                                            "text", "label", "zh", "别名", "pattern", "(["));
    json_array_append_new(fields, json_pack("{s:s, s:s, s:{s:s}, s:i, s:i}", "key", "age", "type",
                                            "number", "label", "zh", "年龄", "min", 10, "max", 5));
    json_array_append_new(fields, json_pack("{s:s, s:s, s:{s:s}, s:s}", "key", "day", "type",
                                            "date", "label", "zh", "日期", "max", "2025-02-29"));
    json_array_append_new(fields, json_pack("{s:s, s:s, s:{s:s}, s:[{s:s, s:{s:s}}]}", "key",
                                            "male_name", "type", "text", "label", "zh", "重复",
                                            "options", "value", "a", "label", "zh", "甲"));
    json_object_set_new(json_object_get(it, "contact"), "phone", json_string("call us"));
    json_object_set_new(it, "region_wide", json_string("yes"));
    json_object_del(it, "issues_cert_type");
    json_object_set_new(it, "steps", json_array());

    assert_int_equal(catalog_item_check(it, problems), 1);
    ASSERT_PROBLEM(problems, "$.colour", "catalog.check.unknown_key");
    ASSERT_PROBLEM(problems, "$.code", "catalog.check.code");
    ASSERT_PROBLEM(problems, "$.name.zh", "catalog.check.required");
    ASSERT_PROBLEM(problems, "$.type", "catalog.check.enum");
    ASSERT_PROBLEM(problems, "$.life_events[1]", "catalog.check.life_event_audience");
    ASSERT_PROBLEM(problems, "$.levels", "catalog.check.empty");
    ASSERT_PROBLEM(problems, "$.fee.fen", "catalog.check.range");
    ASSERT_PROBLEM(problems, "$.time_limit.promised_days", "catalog.check.promised_over_legal");
    ASSERT_PROBLEM(problems, "$.materials[0].cert_type", "catalog.check.cert_type");
    ASSERT_PROBLEM(problems, "$.materials[1].key", "catalog.check.duplicate");
    ASSERT_PROBLEM(problems, "$.materials[2].form", "catalog.check.enum");
    ASSERT_PROBLEM(problems, "$.materials[2].max_bytes", "catalog.check.range");
    ASSERT_PROBLEM(problems, "$.form.fields[0].type", "catalog.check.enum");
    ASSERT_PROBLEM(problems, "$.form.fields[1].prefill", "catalog.check.prefill");
    ASSERT_PROBLEM(problems, "$.form.fields[7].options", "catalog.check.required");
    ASSERT_PROBLEM(problems, "$.form.fields[8].pattern", "catalog.check.pattern");
    ASSERT_PROBLEM(problems, "$.form.fields[9].min", "catalog.check.min_max");
    ASSERT_PROBLEM(problems, "$.form.fields[10].max", "catalog.check.date");
    ASSERT_PROBLEM(problems, "$.form.fields[11].key", "catalog.check.duplicate");
    ASSERT_PROBLEM(problems, "$.form.fields[11].options", "catalog.check.not_for_type");
    ASSERT_PROBLEM(problems, "$.contact.phone", "catalog.check.phone");
    ASSERT_PROBLEM(problems, "$.region_wide", "catalog.check.type");
    ASSERT_PROBLEM(problems, "$.issues_cert_type", "catalog.check.required");
    ASSERT_PROBLEM(problems, "$.steps", "catalog.check.empty");
    /* An unknown field type is one problem, not a cascade of type-dependent ones. */
    assert_false(has_problem(problems, "$.form.fields[0].max_len", "catalog.check.not_for_type"));
    json_decref(problems);
    json_decref(it);

    problems = json_array();
    json_t *str = json_string("x");
    assert_int_equal(catalog_item_check(str, problems), 1);
    ASSERT_PROBLEM(problems, "$", "catalog.check.type");
    json_decref(str);
    json_decref(problems);

    /* A good item: 0 and nothing appended. */
    it = demo_item(f, "XZ-GA-001");
    problems = json_array();
    assert_int_equal(catalog_item_check(it, problems), 0);
    assert_int_equal(json_array_size(problems), 0);
    /* Fee 0 needs no basis; a fee above 0 does. */
    json_object_del(json_object_get(it, "fee"), "basis");
    assert_int_equal(catalog_item_check(it, problems), 1);
    ASSERT_PROBLEM(problems, "$.fee.basis", "catalog.check.required");
    json_decref(problems);
    json_decref(it);
}

static void test_text(void **state)
{
    json_t *t = json_pack("{s:s, s:s}", "zh", "护照", "en", "Passport");
    assert_string_equal(catalog_text(t, "en"), "Passport");
    assert_string_equal(catalog_text(t, "bo"), "护照");
    assert_string_equal(catalog_text(NULL, "zh"), "");
    json_decref(t);
}

static json_t *export_of(struct store *s)
{
    json_t *doc;
    struct err err;
    assert_int_equal(catalog_export(s, &doc, &err), 0);
    return doc;
}

static void test_import_export(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int created, updated;
    err_clear(&err);
    int64_t v0 = catalog_version(f->s);
    assert_int_equal(catalog_import(f->cat, 0, f->demo, &created, &updated, &err), 0);
    assert_int_equal(created, (int)(json_array_size(json_object_get(f->demo, "items")) +
                                    json_array_size(json_object_get(f->demo, "bundles"))));
    assert_int_equal(updated, 0);
    int64_t v1 = catalog_version(f->s);
    assert_true(v1 > v0);
    /* Idempotent: nothing changes, not even the version caches key on. */
    assert_int_equal(catalog_import(f->cat, 0, f->demo, &created, &updated, &err), 0);
    assert_int_equal(created + updated, 0);
    assert_int_equal(catalog_version(f->s), v1);

    /* Round trip through a fresh store gives the same catalog. */
    json_t *out = export_of(f->s);
    assert_int_equal(json_array_size(json_object_get(out, "items")),
                     json_array_size(json_object_get(f->demo, "items")));
    struct opened o2;
    assert_int_equal(open_store(f->dir, "t2.db", &o2), 0);
    struct store *s2 = o2.s;
    struct catalog *cat2 = o2.cat;
    assert_int_equal(catalog_import(cat2, 0, out, &created, &updated, &err), 0);
    json_t *out2 = export_of(s2);
    assert_true(json_equal(out, out2));
    json_decref(out2);
    close_store(&o2);

    /* One item changed: one new published version, the rest unchanged. */
    json_t *it = demo_item(f, "XZ-GA-001");
    json_object_set_new(json_object_get(it, "time_limit"), "promised_days", json_integer(5));
    assert_int_equal(catalog_import(f->cat, 7, it, &created, &updated, &err), 0);
    assert_int_equal(created, 0);
    assert_int_equal(updated, 1);
    json_t *pub;
    assert_int_equal(catalog_item_published(f->s, "XZ-GA-001", &pub, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(pub, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(pub, "status")), "published");
    json_decref(pub);
    json_t *v1doc;
    assert_int_equal(catalog_item_version(f->s, "XZ-GA-001", 1, &v1doc, &err), 0);
    assert_string_equal(json_string_value(json_object_get(v1doc, "status")), "superseded");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(v1doc, "time_limit"), "promised_days")),
        7);
    json_decref(v1doc);
    json_decref(it);
    json_decref(out);

    /* Not found. */
    assert_int_equal(catalog_item_published(f->s, "XZ-NOPE-1", &pub, &err), -1);
    assert_string_equal(err.code, "catalog.not_found");
    assert_int_equal(catalog_item_version(f->s, "XZ-GA-001", 99, &pub, &err), -1);
    assert_string_equal(err.code, "catalog.not_found");
    json_t *b;
    assert_int_equal(catalog_bundle_get(f->s, "BUNDLE-NEWBORN", &b, &err), 0);
    assert_int_equal(json_array_size(json_object_get(b, "items")), 3);
    json_decref(b);
    assert_int_equal(catalog_bundle_get(f->s, "BUNDLE-NONE", &b, &err), -1);
    assert_string_equal(err.code, "catalog.not_found");
}

static void test_import_errors(void **state)
{
    struct fixture *f = *state;
    struct err err;
    int created, updated;
    json_t *before = export_of(f->s);
    json_t *good = demo_item(f, "XZ-MZ-002");
    json_object_set_new(json_object_get(good, "name"), "zh", json_string("离婚登记（新名称）"));
    json_t *bad1 = demo_item(f, "XZ-MZ-003");
    json_object_set_new(bad1, "department", json_string("xz-nowhere"));
    json_t *bad2 = demo_item(f, "XZ-RS-001");
    json_object_set_new(json_object_get(bad2, "fee"), "fen", json_string("free"));
    json_t *doc = json_pack("{s:[o, o, o], s:[{s:s, s:{s:s}, s:s, s:[s, s]}]}", "items", good, bad1,
                            bad2, "bundles", "code", "BUNDLE-X", "name", "zh", "测试", "life_event",
                            "birth", "items", "XZ-WJ-001", "XZ-NONE-9");
    json_t *problems = json_array();
    assert_int_equal(
        catalog_import_checked(f->cat, 0, NULL, doc, &created, &updated, problems, &err), -1);
    assert_string_equal(err.code, "catalog.invalid");
    assert_int_equal(err.status, 400);
    ASSERT_PROBLEM(problems, "$.items[1].department", "catalog.check.unknown_department");
    ASSERT_PROBLEM(problems, "$.items[2].fee.fen", "catalog.check.type");
    ASSERT_PROBLEM(problems, "$.bundles[0].items[1]", "catalog.check.unknown_item");
    /* Each problem names its item. */
    json_t *p = json_array_get(problems, 0);
    assert_string_equal(json_string_value(json_object_get(p, "item")), "XZ-MZ-003");
    /* Nothing written, not even the good item. */
    json_t *after = export_of(f->s);
    assert_true(json_equal(before, after));
    json_decref(after);
    json_decref(before);
    json_decref(problems);
    json_decref(doc);

    /* Not a catalog at all; a repeated code. */
    problems = json_array();
    json_t *arr = json_array();
    assert_int_equal(
        catalog_import_checked(f->cat, 0, NULL, arr, &created, &updated, problems, &err), -1);
    ASSERT_PROBLEM(problems, "$", "catalog.check.type");
    json_decref(arr);
    json_decref(problems);
    problems = json_array();
    json_t *twice =
        json_pack("{s:[o, o]}", "items", demo_item(f, "XZ-GA-002"), demo_item(f, "XZ-GA-002"));
    assert_int_equal(
        catalog_import_checked(f->cat, 0, NULL, twice, &created, &updated, problems, &err), -1);
    ASSERT_PROBLEM(problems, "$.items[1].code", "catalog.check.duplicate");
    json_decref(twice);
    json_decref(problems);
}

static int audit_count(struct store *s, const char *prefix)
{
    struct err err;
    struct arena *a = arena_new(0);
    struct audit_row *rows;
    size_t n = 0;
    struct store_conn *c = store_conn(s, &err);
    assert_int_equal(audit_list(c, a, 0, prefix, 1000, &rows, &n, &err), 0);
    arena_free(a);
    return (int)n;
}

static void test_versions(void **state)
{
    struct fixture *f = *state;
    struct err err;
    err_clear(&err);
    int version = 0;
    json_t *it = demo_item(f, "XZ-WJ-003");
    json_object_set_new(json_object_get(it, "time_limit"), "promised_days", json_integer(8));
    json_object_set_new(it, "online_depth", json_string("full_online"));
    /* version and status (as handed out) are accepted and ignored. */
    json_object_set_new(it, "version", json_integer(42));
    json_object_set_new(it, "status", json_string("published"));
    int audits = audit_count(f->s, "catalog.");
    int64_t v0 = catalog_version(f->s);
    json_t *problems = json_array();
    assert_int_equal(catalog_draft_save(f->cat, 5, "127.0.0.1", it, &version, problems, &err), 0);
    assert_int_equal(version, 2);
    /* A draft changes nothing public. */
    assert_int_equal(catalog_version(f->s), v0);
    json_t *pub;
    assert_int_equal(catalog_item_published(f->s, "XZ-WJ-003", &pub, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(pub, "version")), 1);
    json_decref(pub);
    /* An invalid draft: 1, problems, nothing stored. */
    json_object_set_new(it, "type", json_string("nonsense"));
    assert_int_equal(catalog_draft_save(f->cat, 5, NULL, it, &version, problems, &err), 1);
    ASSERT_PROBLEM(problems, "$.type", "catalog.check.enum");
    json_decref(problems);

    assert_int_equal(catalog_publish(f->cat, 5, NULL, "XZ-WJ-003", 2, NULL, &err), 0);
    assert_true(catalog_version(f->s) > v0);
    assert_int_equal(catalog_item_published(f->s, "XZ-WJ-003", &pub, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(pub, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(pub, "online_depth")), "full_online");
    json_decref(pub);
    assert_int_equal(catalog_publish(f->cat, 5, NULL, "XZ-WJ-003", 2, NULL, &err), -1);
    assert_string_equal(err.code, "catalog.not_draft");
    assert_int_equal(catalog_publish(f->cat, 5, NULL, "XZ-WJ-003", 9, NULL, &err), -1);
    assert_string_equal(err.code, "catalog.not_found");

    json_t *hist;
    assert_int_equal(catalog_history(f->s, "XZ-WJ-003", &hist, &err), 0);
    assert_int_equal(json_array_size(hist), 2);
    json_t *h2 = json_array_get(hist, 0); /* newest first */
    assert_int_equal(json_integer_value(json_object_get(h2, "version")), 2);
    assert_string_equal(json_string_value(json_object_get(h2, "status")), "published");
    assert_int_equal(json_integer_value(json_object_get(h2, "created_by")), 5);
    json_t *changes = json_object_get(h2, "changes");
    assert_int_equal(json_array_size(changes), 2);
    int saw_depth = 0, saw_days = 0;
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        saw_depth |= strcmp(json_string_value(c), "$.online_depth") == 0;
        saw_days |= strcmp(json_string_value(c), "$.time_limit.promised_days") == 0;
    }
    assert_true(saw_depth && saw_days);
    assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "status")),
                        "superseded");
    json_decref(hist);

    assert_int_equal(catalog_retire(f->cat, 5, NULL, "XZ-WJ-003", &err), 0);
    assert_int_equal(catalog_item_published(f->s, "XZ-WJ-003", &pub, &err), -1);
    assert_string_equal(err.code, "catalog.not_found");
    /* An application filed against version 2 still finds it. */
    assert_int_equal(catalog_item_version(f->s, "XZ-WJ-003", 2, &pub, &err), 0);
    assert_string_equal(json_string_value(json_object_get(pub, "status")), "retired");
    json_decref(pub);
    assert_int_equal(catalog_retire(f->cat, 5, NULL, "XZ-WJ-003", &err), -1);
    assert_string_equal(err.code, "catalog.not_published");
    /* Re-importing the retired content does not bring it back. */
    int created, updated;
    json_object_set_new(it, "type", json_string("licence"));
    assert_int_equal(catalog_import(f->cat, 0, it, &created, &updated, &err), 0);
    assert_int_equal(created + updated, 0);
    /* draft, publish, retire: three audit records. */
    assert_int_equal(audit_count(f->s, "catalog.") - audits, 3);

    json_t *admin;
    assert_int_equal(catalog_admin_list(f->s, &admin, &err), 0);
    json_array_foreach(
        admin, i, c) if (strcmp(json_string_value(json_object_get(c, "code")), "XZ-WJ-003") == 0)
    {
        assert_int_equal(json_integer_value(json_object_get(c, "latest_version")), 2);
        assert_string_equal(json_string_value(json_object_get(c, "latest_status")), "retired");
        assert_int_equal(json_integer_value(json_object_get(c, "published_version")), 0);
    }
    json_decref(admin);
    json_decref(it);
}

static int list_has(const json_t *list, const char *code)
{
    size_t i;
    json_t *v;
    json_array_foreach((json_t *)list, i,
                       v) if (strcmp(json_string_value(json_object_get(v, "code")), code) ==
                              0) return 1;
    return 0;
}

/* ---- the indexer (catalog_index.c) --------------------------------------------------------- */

struct fake_index {
    json_t *docs; /* code -> {kind, title, titles, text} */
    int puts, removes, clears;
    int fail_on_put; /* make put fail (the catalog's change must roll back) */
};

static int fake_put(void *ctx, const struct catalog_doc *d, struct err *err)
{
    struct fake_index *x = ctx;
    if (x->fail_on_put)
        return err_set(err, 500, "search.error", "the index is broken");
    x->puts++;
    json_object_set_new(x->docs, d->code,
                        json_pack("{s:s, s:s, s:O, s:s}", "kind", d->kind, "title", d->title,
                                  "titles", d->titles, "text", d->text));
    return 0;
}

static int fake_remove(void *ctx, const char *kind, const char *code, struct err *err)
{
    struct fake_index *x = ctx;
    x->removes++;
    json_object_del(x->docs, code);
    return 0;
}

static int fake_clear(void *ctx, const char *kind, struct err *err)
{
    struct fake_index *x = ctx;
    x->clears++;
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(
        x->docs, tmp, k, v) if (strcmp(json_string_value(json_object_get(v, "kind")), kind) == 0)
        json_object_del(x->docs, k);
    return 0;
}

static void test_indexer(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct opened o; /* a store of its own: the group's is changed by the other tests */
    assert_int_equal(open_store(f->dir, "index.db", &o), 0);
    struct store *st = o.s;
    struct catalog *cat = o.cat;
    struct fake_index x = {json_object(), 0, 0, 0, 0};
    struct catalog_indexer ix = {&x, fake_put, fake_remove, fake_clear, NULL};
    catalog_set_indexer(cat, &ix);
    int created, updated, version, rebuilt;
    assert_int_equal(catalog_load_demo(cat, &created, &updated, &err), 0);
    size_t nitems = json_array_size(json_object_get(f->demo, "items"));
    size_t nbundles = json_array_size(json_object_get(f->demo, "bundles"));
    assert_int_equal(x.puts, (int)(nitems + nbundles));
    /* An item: every language's name is a title; names, conditions, materials are text. */
    json_t *mz = json_object_get(x.docs, "XZ-MZ-001");
    assert_string_equal(json_string_value(json_object_get(mz, "kind")), CATALOG_KIND_ITEM);
    json_t *it = demo_item(f, "XZ-MZ-001");
    const char *langs[] = {"zh", "bo", "en"};
    const char *text = json_string_value(json_object_get(mz, "text"));
    for (int l = 0; l < 3; l++) {
        const char *name =
            json_string_value(json_object_get(json_object_get(it, "name"), langs[l]));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(mz, "titles"), langs[l])), name);
        assert_non_null(strstr(text, name));
    }
    assert_non_null(
        strstr(text, json_string_value(json_object_get(json_object_get(it, "conditions"), "zh"))));
    assert_non_null(strstr(text, "户口簿"));
    assert_non_null(strstr(text, "XZ-MZ-001"));
    /* A bundle: its name, and its items' names. */
    json_t *nb = json_object_get(x.docs, "BUNDLE-NEWBORN");
    assert_string_equal(json_string_value(json_object_get(nb, "kind")), CATALOG_KIND_BUNDLE);
    assert_non_null(strstr(json_string_value(json_object_get(nb, "text")), "出生登记"));
    /* Re-importing the same catalog indexes nothing again. */
    int puts = x.puts;
    assert_int_equal(catalog_load_demo(cat, &created, &updated, &err), 0);
    assert_int_equal(x.puts, puts);
    /* A draft is not indexed; publishing it is; aliases are text. */
    json_object_set_new(it, "aliases",
                        json_pack("[{s:s, s:s, s:s}]", "zh", "领结婚证", "bo", "གཉེན་སྒྲིག་ལག་ཁྱེར་ལེན་པ།",
                                  "en", "wedding"));
    json_t *problems = json_array();
    assert_int_equal(catalog_draft_save(cat, 5, NULL, it, &version, problems, &err), 0);
    assert_int_equal(x.puts, puts);
    assert_int_equal(catalog_publish(cat, 5, NULL, "XZ-MZ-001", version, NULL, &err), 0);
    assert_int_equal(x.puts, puts + 1);
    text = json_string_value(json_object_get(json_object_get(x.docs, "XZ-MZ-001"), "text"));
    assert_non_null(strstr(text, "领结婚证"));
    assert_non_null(strstr(text, "wedding"));
    /* Retiring removes it. */
    assert_int_equal(catalog_retire(cat, 5, NULL, "XZ-MZ-001", &err), 0);
    assert_int_equal(x.removes, 1);
    assert_null(json_object_get(x.docs, "XZ-MZ-001"));
    /* The index failing fails the change: nothing is published. */
    json_t *ga = demo_item(f, "XZ-GA-001");
    json_object_set_new(ga, "name",
                        json_pack("{s:s, s:s}", "zh", "护照签发（新）", "bo", "ཕྱི་ཐོན་ལག་ཁྱེར་གསར་པ།"));
    x.fail_on_put = 1;
    assert_int_equal(catalog_import(cat, 0, ga, &created, &updated, &err), -1);
    json_t *pub;
    assert_int_equal(catalog_item_published(st, "XZ-GA-001", &pub, &err), 0);
    assert_string_equal(catalog_text(json_object_get(pub, "name"), "zh"), "普通护照签发");
    json_decref(pub);
    x.fail_on_put = 0;
    /* A rebuild: every published item (not the retired one) and every bundle, once. */
    assert_int_equal(catalog_index_ensure(cat, &rebuilt, &err), 0);
    assert_int_equal(rebuilt, (int)(nitems - 1 + nbundles));
    assert_int_equal(x.clears, 2);
    assert_int_equal(json_object_size(x.docs), nitems - 1 + nbundles);
    assert_int_equal(catalog_index_ensure(cat, &rebuilt, &err), 0);
    assert_int_equal(rebuilt, 0); /* current: nothing to do */
    int items, bundles;
    assert_int_equal(catalog_reindex(cat, &items, &bundles, &err), 0);
    assert_int_equal(items, (int)nitems - 1);
    assert_int_equal(bundles, (int)nbundles);
    /* Aliases and featured are checked. */
    json_object_set_new(ga, "aliases", json_pack("[{s:s}]", "bo", "x"));
    json_object_set_new(ga, "featured", json_integer(0));
    assert_int_equal(catalog_item_check(ga, problems), 1);
    ASSERT_PROBLEM(problems, "$.aliases[0].zh", "catalog.check.required");
    ASSERT_PROBLEM(problems, "$.featured", "catalog.check.range");
    json_decref(problems);
    json_decref(ga);
    json_decref(it);
    json_decref(x.docs);
    close_store(&o);
}

static void test_filters(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *l;
    struct catalog_filter birth = {NULL, "birth", NULL, NULL};
    assert_int_equal(catalog_list(f->s, &birth, &l, &err), 0);
    assert_int_equal(json_array_size(l), 3);
    assert_true(list_has(l, "XZ-WJ-001") && list_has(l, "XZ-GA-003") && list_has(l, "XZ-RS-002"));
    json_decref(l);
    struct catalog_filter mz = {"cg-mz", NULL, NULL, NULL};
    assert_int_equal(catalog_list(f->s, &mz, &l, &err), 0);
    assert_true(list_has(l, "XZ-MZ-001") && !list_has(l, "XZ-GA-001"));
    json_decref(l);
    struct catalog_filter ent = {NULL, NULL, "enterprise", NULL};
    assert_int_equal(catalog_list(f->s, &ent, &l, &err), 0);
    assert_true(list_has(l, "XZ-SJ-002") && !list_has(l, "XZ-MZ-001"));
    json_decref(l);
    /* Barkhor (a sub-district of Chengguan): Chengguan, Lhasa and region departments. */
    json_t *in = NULL;
    assert_int_equal(catalog_departments_in(f->cat, 540102002000LL, &in, &err), 0);
    struct catalog_filter bk = {NULL, NULL, NULL, in};
    assert_int_equal(catalog_list(f->s, &bk, &l, &err), 0);
    json_decref(in);
    assert_true(list_has(l, "XZ-MZ-001") && list_has(l, "XZ-GA-001") && list_has(l, "XZ-RS-004"));
    json_decref(l);
    /* Shigatse: no Lhasa department serves it; only items handled at region level. */
    assert_int_equal(catalog_departments_in(f->cat, 540200000000LL, &in, &err), 0);
    struct catalog_filter sg = {NULL, NULL, NULL, in};
    assert_int_equal(catalog_list(f->s, &sg, &l, &err), 0);
    json_decref(in);
    assert_true(list_has(l, "XZ-RS-004") && list_has(l, "XZ-WJ-002"));
    assert_false(list_has(l, "XZ-MZ-001"));
    json_decref(l);
    struct catalog_filter all = {0};
    assert_int_equal(catalog_list(f->s, &all, &l, &err), 0);
    assert_true(json_array_size(l) >= 20);
    json_decref(l);
}

static void test_cli(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char path[64], *argv[3];
    snprintf(path, sizeof path, "%s/out.json", f->dir);
    argv[0] = "export";
    argv[1] = path;
    assert_int_equal(catalog_cli(f->cat, 2, argv, &err), 0);
    argv[0] = "import";
    assert_int_equal(catalog_cli(f->cat, 2, argv, &err), 0);
    snprintf(path, sizeof path, "%s/missing.json", f->dir);
    argv[1] = path;
    assert_int_equal(catalog_cli(f->cat, 2, argv, &err), 1);
    assert_string_equal(err.code, "catalog.no_file");
    argv[0] = "frobnicate";
    assert_int_equal(catalog_cli(f->cat, 1, argv, &err), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_catalog),  cmocka_unit_test(test_check_rules),
        cmocka_unit_test(test_text),          cmocka_unit_test(test_import_export),
        cmocka_unit_test(test_import_errors), cmocka_unit_test(test_versions),
        cmocka_unit_test(test_filters),       cmocka_unit_test(test_cli),
        cmocka_unit_test(test_indexer),
    };
    return cmocka_run_group_tests_name("catalog", tests, setup, teardown);
}
