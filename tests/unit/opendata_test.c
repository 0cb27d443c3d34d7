/* opendata_test.c - open data on a real SQLite store: the CSV check (the line named for each
 * kind of error), keyword splitting that keeps Tibetan whole, storing datasets (all problems
 * at once, a licence required to publish, drafts kept out of the public list, a name owned by
 * one publisher), the missing-Tibetan flag, the version that invalidates the list cache and
 * API keys with a daily quota. */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/id.h"
#include "opendata/opendata_internal.h"
#include "store/store.h"

struct fixture {
    struct fx_db db;
    struct store *s;
    struct opendata *od;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct err err;
    err_clear(&err);
    if (fx_db_open(&f->db, "opendata", 0) < 0)
        return -1;
    f->s = f->db.s;
    if (opendata_open(f->s, NULL, &f->od, &err) < 0) {
        fprintf(stderr, "setup: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    opendata_close(f->od);
    int rc = fx_db_close(&f->db);
    free(f);
    return rc;
}

static int check(const char *csv, size_t *rows, size_t *cols, size_t *line, const char **code)
{
    struct err err;
    err_clear(&err);
    int rc = opendata_csv_check(csv, strlen(csv), rows, cols, line, &err);
    *code = rc < 0 ? err.code : "";
    return rc;
}

static void test_csv_check(void **state)
{
    (void)state;
    size_t rows, cols, line;
    const char *code;
    assert_int_equal(
        check("\xEF\xBB\xBFname,n\r\n拉萨,1\r\n\"日喀则, 市\",2\r\n", &rows, &cols, &line, &code),
        0);
    assert_int_equal(rows, 2);
    assert_int_equal(cols, 2);
    assert_int_equal(check("a,b\n1,2\n3,\"4\n5,6\n", &rows, &cols, &line, &code), -1);
    assert_string_equal(code, "opendata.csv_malformed");
    assert_int_equal(line, 3);
    assert_int_equal(check("a,b\n1,2\n\n3\n", &rows, &cols, &line, &code), -1);
    assert_string_equal(code, "opendata.csv_width");
    assert_int_equal(line, 4); /* the empty line is skipped but still counted */
    assert_int_equal(check("a\n\xff\n", &rows, &cols, &line, &code), -1);
    assert_string_equal(code, "opendata.csv_malformed");
    assert_int_equal(line, 2);
    assert_int_equal(check("", &rows, &cols, &line, &code), -1);
    assert_string_equal(code, "opendata.csv_empty");
    char wide[200] = "";
    for (int i = 0; i < 33; i++)
        strcat(wide, i ? ",c" : "c");
    assert_int_equal(check(wide, &rows, &cols, &line, &code), -1);
    assert_string_equal(code, "opendata.csv_malformed");
    assert_int_equal(line, 1);
}

static void test_keywords(void **state)
{
    (void)state;
    json_t *k = od_keywords(" 婚姻登记， 结婚、离婚 ,, a ;b ");
    assert_int_equal(json_array_size(k), 5);
    assert_string_equal(json_string_value(json_array_get(k, 0)), "婚姻登记");
    assert_string_equal(json_string_value(json_array_get(k, 2)), "离婚");
    assert_string_equal(json_string_value(json_array_get(k, 4)), "b");
    json_decref(k);
    /* Tibetan letters share bytes with the Chinese separators: none may be cut. */
    k = od_keywords("གཉེན་སྒྲིག་ཐོ་འགོད།, གཉེན་བྲལ།");
    assert_int_equal(json_array_size(k), 2);
    assert_string_equal(json_string_value(json_array_get(k, 0)), "གཉེན་སྒྲིག་ཐོ་འགོད།");
    assert_string_equal(json_string_value(json_array_get(k, 1)), "གཉེན་བྲལ།");
    json_decref(k);
    k = od_keywords(NULL);
    assert_int_equal(json_array_size(k), 0);
    json_decref(k);
}

static json_t *meta(const char *slug, const char *licence, int with_bo)
{
    json_t *m = json_pack("{s:s, s:{s:s, s:s}, s:{s:s}, s:[s], s:s}", "slug", slug, "title", "zh",
                          "测试", "en", "Test", "description", "zh", "说明", "themes", "SOCI",
                          "frequency", "MONTHLY");
    if (licence != NULL)
        json_object_set_new(m, "licence", json_string(licence));
    if (with_bo) {
        json_object_set_new(json_object_get(m, "title"), "bo", json_string("ཚོད་ལྟ།"));
        json_object_set_new(json_object_get(m, "description"), "bo", json_string("འགྲེལ་བཤད།"));
    }
    return m;
}

static int put(struct fixture *f, int64_t dept, json_t *m, const char *csv, int publish,
               json_t *problems, struct err *err)
{
    err_clear(err);
    int rc = od_put_department(f->od, dept, m, csv, csv ? strlen(csv) : 0, publish, problems, err);
    json_decref(m);
    return rc;
}

static const char *first_code(json_t *problems, int i)
{
    return json_string_value(json_object_get(json_array_get(problems, (size_t)i), "code"));
}

static void test_store(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *p = json_array(), *list = NULL, *d = NULL;
    int64_t v0 = opendata_version(f->od);

    /* every problem at once: bad slug, no zh title, no licence to publish, bad CSV line */
    json_t *bad = json_pack("{s:s, s:{s:s}, s:[s], s:s}", "slug", "X!", "title", "en", "t",
                            "themes", "NOPE", "frequency", "HOURLY");
    assert_int_equal(put(f, 7, bad, "a,b\n1\n", 1, p, &err), 1);
    assert_int_equal(json_array_size(p), 6);
    assert_string_equal(first_code(p, 0), "opendata.bad_slug");
    assert_string_equal(first_code(p, 1), "opendata.title_required");
    assert_string_equal(first_code(p, 2), "opendata.licence_required");
    assert_string_equal(first_code(p, 3), "opendata.bad_theme");
    assert_string_equal(first_code(p, 4), "opendata.bad_frequency");
    assert_string_equal(first_code(p, 5), "opendata.csv_width");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(p, 5), "line")), 2);
    json_array_clear(p);
    assert_int_equal(opendata_version(f->od), v0);

    /* a draft needs no licence, stays out of the public list and is flagged without bo */
    assert_int_equal(put(f, 7, meta("draft-one", NULL, 0), "a\n1\n", 0, p, &err), 0);
    assert_int_equal(put(f, 7, meta("public-one", "CC0-1.0", 1), "a,b\n1,2\n3,4\n", 1, p, &err), 0);
    assert_true(opendata_version(f->od) > v0);
    assert_int_equal(opendata_list(f->od, 0, &list, &err), 0);
    assert_int_equal(json_array_size(list), 1);
    d = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(d, "slug")), "public-one");
    assert_int_equal(json_integer_value(json_object_get(d, "nrows")), 2);
    assert_false(json_is_true(json_object_get(d, "missing_bo")));
    json_decref(list);
    assert_int_equal(opendata_list(f->od, 1, &list, &err), 0);
    assert_int_equal(json_array_size(list), 2);
    assert_true(json_is_true(json_object_get(json_array_get(list, 1), "missing_bo")));
    json_decref(list);
    assert_int_equal(opendata_get(f->od, "draft-one", 0, &d, &err), -1);
    assert_int_equal(err.status, 404);

    /* a new dataset needs data; a name belongs to its publisher */
    assert_int_equal(put(f, 7, meta("no-data", "CC0-1.0", 1), NULL, 1, p, &err), 1);
    assert_string_equal(first_code(p, 0), "opendata.csv_required");
    json_array_clear(p);
    assert_int_equal(put(f, 8, meta("public-one", "CC0-1.0", 1), "a\n1\n", 1, p, &err), -1);
    assert_int_equal(err.status, 409);
    assert_string_equal(err.code, "opendata.slug_taken");
    /* metadata only: the CSV stays */
    assert_int_equal(put(f, 7, meta("public-one", "CC-BY-4.0", 1), NULL, 1, p, &err), 0);
    char *csv = NULL;
    size_t len = 0;
    assert_int_equal(opendata_csv(f->od, "public-one", &csv, &len, &err), 0);
    assert_string_equal(csv, "a,b\n1,2\n3,4\n");
    free(csv);

    /* counters */
    assert_int_equal(opendata_count(f->od, "public-one", 1, &err), 0);
    assert_int_equal(opendata_count(f->od, "public-one", 0, &err), 0);
    assert_int_equal(opendata_count(f->od, "public-one", 0, &err), 0);
    assert_int_equal(opendata_get(f->od, "public-one", 0, &d, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(d, "downloads")), 1);
    assert_int_equal(json_integer_value(json_object_get(d, "api_calls")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "licence")), "CC-BY-4.0");
    json_decref(d);
    json_decref(p);
}

/* Text that would end a Turtle string or a JSON string is escaped; languages are tagged. */
static void test_dcat_escaping(void **state)
{
    struct fixture *f = *state;
    struct err err;
    json_t *p = json_array();
    json_t *m = json_pack("{s:s, s:{s:s, s:s}, s:{s:s}, s:s, s:[s]}", "slug", "tricky", "title",
                          "zh", "引号\"与\\反斜杠", "bo", "ཚོད་ལྟ།", "description", "en",
                          "line one\nline \"two\"\ttab", "licence", "CC0-1.0", "themes", "ECON");
    assert_int_equal(put(f, 9, m, "a\n1\n", 1, p, &err), 0);
    struct buf b;
    buf_init(&b, 1 << 24);
    assert_int_equal(opendata_dcat_turtle(f->od, "http://example.org", &b, &err), 0);
    buf_putc(&b, '\0');
    assert_non_null(strstr(b.data, "dct:title \"引号\\\"与\\\\反斜杠\"@zh, \"ཚོད་ལྟ།\"@bo ;"));
    assert_non_null(strstr(b.data, "\"line one\\nline \\\"two\\\"\\ttab\"@en"));
    assert_non_null(strstr(b.data, "<http://example.org/data/tricky#dataset> a dcat:Dataset"));
    assert_non_null(
        strstr(b.data, "dct:license <https://creativecommons.org/publicdomain/zero/1.0/>"));
    buf_free(&b);
    buf_init(&b, 1 << 24);
    assert_int_equal(opendata_dcat_jsonld(f->od, "http://example.org", &b, &err), 0);
    json_t *doc = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(doc);
    int seen = 0;
    size_t i;
    json_t *node;
    json_array_foreach(json_object_get(doc, "@graph"), i, node)
    {
        const char *id = json_string_value(json_object_get(node, "@id"));
        if (id == NULL || strcmp(id, "http://example.org/data/tricky#dataset") != 0)
            continue;
        json_t *d0 = json_array_get(json_object_get(node, "dct:description"), 0);
        assert_string_equal(json_string_value(json_object_get(d0, "@value")),
                            "line one\nline \"two\"\ttab");
        assert_string_equal(json_string_value(json_object_get(d0, "@language")), "en");
        seen = 1;
    }
    assert_true(seen);
    json_decref(doc);
    buf_free(&b);
    json_decref(p);
}

static void test_keys(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char key[48];
    err_clear(&err);
    assert_int_equal(opendata_key_create(f->od, "", 5, key, &err), -1);
    assert_int_equal(opendata_key_create(f->od, "heavy", 2, key, &err), 0);
    assert_int_equal(strlen(key), 43);
    assert_int_equal(opendata_key_use(f->od, key, &err), 0);
    assert_int_equal(opendata_key_use(f->od, key, &err), 0);
    assert_int_equal(opendata_key_use(f->od, key, &err), -1);
    assert_int_equal(err.status, 429);
    assert_int_equal(opendata_key_use(f->od, "nope", &err), -1);
    assert_int_equal(err.status, 403);
    /* a new day starts the count again */
    struct store_conn *c = store_conn(f->s, &err);
    assert_int_equal(store_exec(c, "UPDATE od_api_keys SET day = day - 1", &err), 0);
    assert_int_equal(opendata_key_use(f->od, key, &err), 0);
}

int main(void)
{
    id_init(3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_check), cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_store),     cmocka_unit_test(test_dcat_escaping),
        cmocka_unit_test(test_keys),
    };
    return cmocka_run_group_tests_name("opendata", tests, setup, teardown);
}
