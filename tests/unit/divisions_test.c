/* divisions_test.c - division codes, containment, loading the reference data into a real
 * SQLite store, and reading it back; the division picker: what its selects resolve to, the
 * check of a chosen place, its model per level, and the type-ahead. */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "divisions/divisions.h"
#include "store/store.h"

static void test_parse_code(void **state)
{
    int64_t code;
    struct err err;
    assert_int_equal(divisions_parse_code("540100000000", &code, &err), 0);
    assert_int_equal(code, 540100000000LL);
    assert_int_equal(divisions_parse_code("540102", &code, &err), 0);
    assert_int_equal(code, 540102000000LL);
    const char *bad[] = {"",
                         "abc",
                         "5401",
                         "54010000000x",
                         "5401000000001",
                         "000000000000",
                         "-54010000000",
                         "540100 00000",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        err_clear(&err);
        assert_int_equal(divisions_parse_code(bad[i], &code, &err), -1);
        assert_int_equal(err.status, 400);
        assert_string_equal(err.code, "divisions.bad_code");
    }
    assert_int_equal(divisions_parse_code(NULL, &code, &err), -1);
}

static void test_contains(void **state)
{
    assert_true(divisions_contains(540000000000LL, 540102002001LL));
    assert_true(divisions_contains(540100000000LL, 540102002000LL));
    assert_true(divisions_contains(540102000000LL, 540102002001LL));
    assert_true(divisions_contains(540102002000LL, 540102002001LL));
    assert_true(divisions_contains(540102002001LL, 540102002001LL));
    assert_false(divisions_contains(540200000000LL, 540102002001LL));
    assert_false(divisions_contains(540102002000LL, 540102003001LL));
    assert_false(divisions_contains(540102002001LL, 540102002000LL));
}

static void test_names(void **state)
{
    struct division d = {540100000000LL, 540000000000LL, 2, "拉萨市", "ལྷ་ས་གྲོང་ཁྱེར།", "Lhasa", NULL};
    assert_string_equal(divisions_name(&d, "bo"), "ལྷ་ས་གྲོང་ཁྱེར།");
    assert_string_equal(divisions_name(&d, "en"), "Lhasa");
    assert_string_equal(divisions_name(&d, "zh"), "拉萨市");
    d.name_bo = NULL;
    assert_string_equal(divisions_name(&d, "bo"), "拉萨市");
    assert_string_equal(divisions_level_key(DIVISION_TOWNSHIP), "township");
    assert_null(divisions_level_key(9));
}

static void test_load_and_read(void **state)
{
    char dir[] = "/tmp/ow-div-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    struct store *s;
    struct err err;
    err_clear(&err);
    assert_int_equal(store_open(url, NULL, &s, &err), 0);
    assert_int_equal(store_migrate(s, NULL, &err), 0);
    int inserted = -1;
    assert_int_equal(divisions_load_reference(s, &inserted, &err), 0);
    assert_int_equal(inserted, 791 + 5580);
    /* Idempotent: nothing new the second time. */
    assert_int_equal(divisions_load_reference(s, &inserted, &err), 0);
    assert_int_equal(inserted, 0);

    struct store_conn *c = store_conn(s, &err);
    struct arena *a = arena_new(0);
    struct division d;
    assert_int_equal(divisions_get(c, a, 540100000000LL, &d, &err), 0);
    assert_string_equal(d.name_zh, "拉萨市");
    assert_string_equal(d.name_en, "Lhasa");
    assert_int_equal(d.level, DIVISION_PREFECTURE);
    assert_int_equal(d.parent_code, DIVISIONS_ROOT);
    assert_int_equal(divisions_get(c, a, 999999999999LL, &d, &err), -1);
    assert_int_equal(err.status, 404);

    struct division *kids;
    size_t n;
    assert_int_equal(divisions_children(c, a, DIVISIONS_ROOT, &kids, &n, &err), 0);
    assert_int_equal(n, 7);
    for (size_t i = 1; i < n; i++)
        assert_true(kids[i].code > kids[i - 1].code);
    assert_int_equal(divisions_children(c, a, 540102002000LL, &kids, &n, &err), 0);
    assert_true(n > 0);
    assert_int_equal(kids[0].level, DIVISION_VILLAGE);
    assert_null(kids[0].name_bo);

    int64_t counts[6];
    assert_int_equal(divisions_count_by_level(c, counts, &err), 0);
    assert_int_equal(counts[DIVISION_REGION], 1);
    assert_int_equal(counts[DIVISION_PREFECTURE], 7);
    assert_int_equal(counts[DIVISION_REGION] + counts[DIVISION_PREFECTURE] +
                         counts[DIVISION_COUNTY] + counts[DIVISION_TOWNSHIP],
                     791);
    assert_int_equal(counts[DIVISION_VILLAGE], 5580);
    arena_free(a);
    store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_levels_and_choice(void **state)
{
    assert_int_equal(divisions_level_of(540000000000LL), DIVISION_REGION);
    assert_int_equal(divisions_level_of(540100000000LL), DIVISION_PREFECTURE);
    assert_int_equal(divisions_level_of(540102000000LL), DIVISION_COUNTY);
    assert_int_equal(divisions_level_of(540102002000LL), DIVISION_TOWNSHIP);
    assert_int_equal(divisions_level_of(540102002001LL), DIVISION_VILLAGE);
    int64_t code = 0;
    assert_null(divisions_check_choice("540102002000", DIVISION_TOWNSHIP, &code));
    assert_int_equal(code, 540102002000LL);
    assert_null(divisions_check_choice("540102002001", DIVISION_TOWNSHIP, &code));
    /* Half-picked: a county or a prefecture is not a place to act on. */
    assert_string_equal(divisions_check_choice("540102000000", DIVISION_TOWNSHIP, &code),
                        "divisions.incomplete");
    assert_string_equal(divisions_check_choice("540100000000", DIVISION_TOWNSHIP, &code),
                        "divisions.incomplete");
    /* Another province (Beijing's Dongcheng, a real code) is refused as such. */
    assert_string_equal(divisions_check_choice("110101001000", DIVISION_TOWNSHIP, &code),
                        "divisions.outside");
    const char *bad[] = {"", "540102", "54010200200x", "5401020020001", NULL};
    for (int i = 0; bad[i]; i++)
        assert_string_equal(divisions_check_choice(bad[i], DIVISION_TOWNSHIP, &code),
                            "divisions.bad_code");
    assert_string_equal(divisions_check_choice(NULL, DIVISION_TOWNSHIP, &code),
                        "divisions.bad_code");
}

static void test_pick_resolve(void **state)
{
    /* Every level consistent: the deepest. */
    const char *full[4] = {"540100000000", "540102000000", "540102002000", "540102002001"};
    assert_int_equal(divisions_pick_resolve(full), 540102002001LL);
    /* The village left empty: the township (the village is optional). */
    const char *township[4] = {"540100000000", "540102000000", "540102002000", ""};
    assert_int_equal(divisions_pick_resolve(township), 540102002000LL);
    /* Selects not yet shown are absent: a prefecture alone is half-picked. */
    const char *pref[4] = {"540100000000", NULL, NULL, NULL};
    assert_int_equal(divisions_pick_resolve(pref), 540100000000LL);
    /* The prefecture changed without JavaScript: the old county is not inside it, so the
     * choice stops at the new prefecture, and nothing below it counts. */
    const char *stale[4] = {"540200000000", "540102000000", "540102002000", ""};
    assert_int_equal(divisions_pick_resolve(stale), 540200000000LL);
    /* A value in the wrong select (a township posted as the county) stops there. */
    const char *shifted[4] = {"540100000000", "540102002000", NULL, NULL};
    assert_int_equal(divisions_pick_resolve(shifted), 540100000000LL);
    /* Nothing, junk, or another province: nothing chosen. */
    const char *none[4] = {"", NULL, NULL, NULL};
    assert_int_equal(divisions_pick_resolve(none), 0);
    const char *junk[4] = {"abc", "540102000000", NULL, NULL};
    assert_int_equal(divisions_pick_resolve(junk), 0);
    const char *beijing[4] = {"110100000000", "110101000000", "110101001000", NULL};
    assert_int_equal(divisions_pick_resolve(beijing), 0);
}

static struct store *open_reference(char *dir)
{
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    struct store *s;
    struct err err;
    int inserted;
    assert_int_equal(store_open(url, NULL, &s, &err), 0);
    assert_int_equal(store_migrate(s, NULL, &err), 0);
    assert_int_equal(divisions_load_reference(s, &inserted, &err), 0);
    return s;
}

static void close_reference(struct store *s, const char *dir)
{
    store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static const json_t *level_at(const json_t *m, int depth)
{
    return json_array_get(json_object_get(m, "levels"), (size_t)(depth - DIVISION_PREFECTURE));
}

static const char *selected_option(const json_t *level)
{
    size_t i;
    json_t *o;
    const char *found = NULL;
    json_array_foreach(json_object_get(level, "options"), i, o)
    {
        if (json_is_true(json_object_get(o, "selected"))) {
            assert_null(found); /* one at most */
            found = json_string_value(json_object_get(o, "code"));
        }
    }
    return found;
}

static void test_picker_model(void **state)
{
    char dir[] = "/tmp/ow-pick-XXXXXX";
    struct store *s = open_reference(dir);
    struct err err;
    struct store_conn *c = store_conn(s, &err);
    struct arena *a = arena_new(0);
    json_t *m = NULL;

    /* Nothing chosen: the seven prefectures, the rest hidden and empty. */
    assert_int_equal(divisions_picker_model(c, a, "zh", 0, DIVISION_TOWNSHIP, &m, &err), 0);
    assert_string_equal(json_string_value(json_object_get(m, "code")), "");
    assert_false(json_is_true(json_object_get(m, "complete")));
    assert_int_equal(json_array_size(json_object_get(m, "levels")), 4);
    assert_true(json_is_true(json_object_get(level_at(m, 2), "shown")));
    assert_int_equal(json_array_size(json_object_get(level_at(m, 2), "options")), 7);
    assert_null(selected_option(level_at(m, 2)));
    for (int d = 3; d <= 5; d++) {
        assert_false(json_is_true(json_object_get(level_at(m, d), "shown")));
        assert_int_equal(json_array_size(json_object_get(level_at(m, d), "options")), 0);
    }
    json_decref(m);

    /* A prefecture: its counties are offered, the choice is incomplete. */
    assert_int_equal(
        divisions_picker_model(c, a, "zh", 540100000000LL, DIVISION_TOWNSHIP, &m, &err), 0);
    assert_false(json_is_true(json_object_get(m, "complete")));
    assert_string_equal(selected_option(level_at(m, 2)), "540100000000");
    assert_true(json_is_true(json_object_get(level_at(m, 3), "shown")));
    assert_true(json_array_size(json_object_get(level_at(m, 3), "options")) >= 8);
    assert_false(json_is_true(json_object_get(level_at(m, 4), "shown")));
    json_decref(m);

    /* A township (Barkhor): complete; every level above selected, the villages offered. */
    assert_int_equal(
        divisions_picker_model(c, a, "bo", 540102002000LL, DIVISION_TOWNSHIP, &m, &err), 0);
    assert_true(json_is_true(json_object_get(m, "complete")));
    assert_true(json_is_true(json_object_get(m, "more")));
    assert_string_equal(json_string_value(json_object_get(m, "level")), "township");
    assert_string_equal(selected_option(level_at(m, 2)), "540100000000");
    assert_string_equal(selected_option(level_at(m, 3)), "540102000000");
    assert_string_equal(selected_option(level_at(m, 4)), "540102002000");
    assert_null(selected_option(level_at(m, 5)));
    assert_true(json_is_true(json_object_get(level_at(m, 5), "shown")));
    /* In Tibetan: the prefecture by its Tibetan name, the township (no translation yet) in
     * Chinese, marked as such for fonts and screen readers. */
    json_t *path = json_object_get(m, "path");
    assert_int_equal(json_array_size(path), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(path, 0), "name")),
                        "ལྷ་ས་གྲོང་ཁྱེར།");
    assert_string_equal(json_string_value(json_object_get(json_array_get(path, 0), "name_lang")),
                        "bo");
    assert_string_equal(json_string_value(json_object_get(json_array_get(path, 2), "name")),
                        "八廓街道");
    assert_string_equal(json_string_value(json_object_get(json_array_get(path, 2), "name_lang")),
                        "zh");
    json_decref(m);

    /* A village: the deepest; nothing more to choose. */
    assert_int_equal(
        divisions_picker_model(c, a, "en", 540102002001LL, DIVISION_TOWNSHIP, &m, &err), 0);
    assert_true(json_is_true(json_object_get(m, "complete")));
    assert_false(json_is_true(json_object_get(m, "more")));
    assert_string_equal(selected_option(level_at(m, 5)), "540102002001");
    json_decref(m);

    /* An unknown township of Chengguan: shown from its deepest known ancestor. */
    assert_int_equal(
        divisions_picker_model(c, a, "zh", 540102999000LL, DIVISION_TOWNSHIP, &m, &err), 0);
    assert_string_equal(json_string_value(json_object_get(m, "code")), "540102000000");
    assert_false(json_is_true(json_object_get(m, "complete")));
    assert_string_equal(selected_option(level_at(m, 3)), "540102000000");
    json_decref(m);

    /* Another province: nothing chosen. */
    assert_int_equal(
        divisions_picker_model(c, a, "zh", 110101001000LL, DIVISION_TOWNSHIP, &m, &err), 0);
    assert_string_equal(json_string_value(json_object_get(m, "code")), "");
    assert_null(selected_option(level_at(m, 2)));
    json_decref(m);
    arena_free(a);
    close_reference(s, dir);
}

/* Every division's level is the one its code's shape gives, and it lies inside its parent:
 * the picker reads levels from codes alone (divisions_pick_resolve). */
static void walk_shapes(struct store_conn *c, struct arena *a, int64_t code, int level, int *seen)
{
    struct division *kids;
    size_t n;
    struct err err;
    assert_int_equal(divisions_children(c, a, code, &kids, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(kids[i].level, level + 1);
        assert_int_equal(divisions_level_of(kids[i].code), level + 1);
        assert_true(divisions_contains(code, kids[i].code));
        (*seen)++;
        if (level + 1 < DIVISION_VILLAGE)
            walk_shapes(c, a, kids[i].code, level + 1, seen);
    }
}

static void test_reference_shapes(void **state)
{
    char dir[] = "/tmp/ow-shape-XXXXXX";
    struct store *s = open_reference(dir);
    struct err err;
    struct store_conn *c = store_conn(s, &err);
    struct arena *a = arena_new(0);
    int seen = 0;
    walk_shapes(c, a, DIVISIONS_ROOT, DIVISION_REGION, &seen);
    assert_int_equal(seen, 790 + 5580);
    arena_free(a);
    close_reference(s, dir);
}

static void test_search(void **state)
{
    char dir[] = "/tmp/ow-find-XXXXXX";
    struct store *s = open_reference(dir);
    struct err err;
    struct store_conn *c = store_conn(s, &err);
    struct arena *a = arena_new(0);
    struct division *hits;
    size_t n;
    /* Chinese: the township before the community of the same name. */
    assert_int_equal(divisions_search(c, a, "八廓", 10, &hits, &n, &err), 0);
    assert_true(n >= 2);
    assert_int_equal(hits[0].code, 540102002000LL);
    /* Tibetan and English names (the prefectures have them). */
    assert_int_equal(divisions_search(c, a, "ལྷ་ས", 10, &hits, &n, &err), 0);
    assert_true(n >= 1);
    assert_int_equal(hits[0].code, 540100000000LL);
    assert_int_equal(divisions_search(c, a, "lhasa", 10, &hits, &n, &err), 0);
    assert_true(n >= 1);
    assert_int_equal(hits[0].code, 540100000000LL);
    /* A code prefix: the county first. */
    assert_int_equal(divisions_search(c, a, "540102", 5, &hits, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(hits[0].code, 540102000000LL);
    /* LIKE's wildcards are text, not patterns; the region itself is never a hit. */
    assert_int_equal(divisions_search(c, a, "%", 10, &hits, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(divisions_search(c, a, "_", 10, &hits, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(divisions_search(c, a, "西藏自治区", 10, &hits, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(divisions_search(c, a, "", 10, &hits, &n, &err), 0);
    assert_int_equal(n, 0);
    /* Counties by their Tibetan names, by syllables and with the final tsheg or not. */
    assert_int_equal(divisions_search(c, a, "ལྷུན་གྲུབ", 10, &hits, &n, &err), 0);
    assert_true(n >= 1);
    assert_int_equal(hits[0].code, 540121000000LL);
    assert_string_equal(hits[0].name_bo, "ལྷུན་གྲུབ་རྫོང་།");
    assert_int_equal(divisions_search(c, a, "ཁྲིན་ཀོན་", 10, &hits, &n, &err), 0);
    assert_true(n >= 1);
    assert_int_equal(hits[0].code, 540102000000LL);
    assert_int_equal(divisions_search(c, a, "སྤུ་ཧྲེང་རྫོང་།", 10, &hits, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].code, 542521000000LL);
    /* The query is NFC-normalised like the names: U+0F73 (precomposed ཱི, which NFC
     * decomposes) finds a name stored as U+0F71 U+0F72. */
    assert_int_equal(store_exec(c,
                                "UPDATE divisions SET name_bo = '\xe0\xbd\xa4\xe0\xbe\xb2"
                                "\xe0\xbd\xb1\xe0\xbd\xb2\xe0\xbc\x8b\xe0\xbd\x90"
                                "\xe0\xbd\x84\xe0\xbc\x8d' WHERE code = 540102002000",
                                &err),
                     0);
    assert_int_equal(
        divisions_search(c, a, "\xe0\xbd\xa4\xe0\xbe\xb2\xe0\xbd\xb3", 10, &hits, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(hits[0].code, 540102002000LL);
    arena_free(a);
    close_reference(s, dir);
}

/* The Tibetan names of the reference data: the region, the 7 prefectures and the counties
 * that have a sourced name carry it with its source; townships and villages have none. */
static void test_tibetan_reference(void **state)
{
    char dir[] = "/tmp/ow-bo-XXXXXX";
    struct store *s = open_reference(dir);
    struct err err;
    struct store_conn *c = store_conn(s, &err);
    struct arena *a = arena_new(0);
    struct division d, *kids;
    size_t n, named = 0;
    assert_int_equal(divisions_get(c, a, DIVISIONS_ROOT, &d, &err), 0);
    assert_string_equal(d.name_bo, "བོད་རང་སྐྱོང་ལྗོངས།");
    assert_non_null(d.name_bo_source);
    assert_int_equal(divisions_children(c, a, DIVISIONS_ROOT, &kids, &n, &err), 0);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(kids[i].name_bo);
        assert_non_null(kids[i].name_bo_source);
        struct division *counties;
        size_t m;
        assert_int_equal(divisions_children(c, a, kids[i].code, &counties, &m, &err), 0);
        for (size_t k = 0; k < m; k++) {
            assert_true((counties[k].name_bo == NULL) == (counties[k].name_bo_source == NULL));
            named += counties[k].name_bo != NULL;
        }
    }
    assert_int_equal(named, 70);
    assert_int_equal(divisions_get(c, a, 540121000000LL, &d, &err), 0);
    assert_string_equal(d.name_bo, "ལྷུན་གྲུབ་རྫོང་།");
    assert_string_equal(divisions_name(&d, "bo"), "ལྷུན་གྲུབ་རྫོང་།");
    assert_int_equal(strncmp(d.name_bo_source, "https://", 8), 0);
    assert_int_equal(divisions_get(c, a, 540102002000LL, &d, &err), 0);
    assert_null(d.name_bo);
    assert_null(d.name_bo_source);
    assert_string_equal(divisions_name(&d, "bo"), "八廓街道");
    arena_free(a);
    close_reference(s, dir);
}

static struct division get_division(struct store_conn *c, struct arena *a, int64_t code)
{
    struct division d;
    struct err err;
    assert_int_equal(divisions_get(c, a, code, &d, &err), 0);
    return d;
}

/* Loading the reference data into an existing database fills the Tibetan names it lacks,
 * corrects the ones it gave, and leaves an administrator's own name alone. */
static void test_tibetan_names_sync(void **state)
{
    char dir[] = "/tmp/ow-sync-XXXXXX";
    struct store *s = open_reference(dir);
    struct err err;
    struct store_conn *c = store_conn(s, &err);
    struct arena *a = arena_new(0);
    struct divisions_load_counts n;
    /* A database loaded before the counties had Tibetan names: the region and prefectures
     * had theirs, without a source. */
    assert_int_equal(store_exec(c,
                                "UPDATE divisions SET name_bo = NULL, name_bo_ref = NULL, "
                                "name_bo_source = NULL WHERE level >= 3",
                                &err),
                     0);
    assert_int_equal(store_exec(c,
                                "UPDATE divisions SET name_bo_ref = NULL, name_bo_source = NULL "
                                "WHERE level <= 2",
                                &err),
                     0);
    assert_null(get_division(c, a, 540121000000LL).name_bo);
    assert_null(get_division(c, a, 540100000000LL).name_bo_source);
    int64_t v0 = -1, v1 = -1;
    int found;
    assert_int_equal(store_meta_get_int64(c, "divisions_version", &v0, &found, &err), 0);
    usleep(2000);
    assert_int_equal(divisions_reference_load(s, &n, &err), 0);
    assert_int_equal(n.inserted, 0);
    assert_int_equal(n.names, 70 + 8); /* filled, and the 8 kept names adopted with sources */
    assert_string_equal(get_division(c, a, 540121000000LL).name_bo, "ལྷུན་གྲུབ་རྫོང་།");
    assert_non_null(get_division(c, a, 540121000000LL).name_bo_source);
    assert_string_equal(get_division(c, a, 540100000000LL).name_bo, "ལྷ་ས་གྲོང་ཁྱེར།");
    assert_non_null(get_division(c, a, 540100000000LL).name_bo_source);
    /* The pages' cache sees the change. */
    assert_int_equal(store_meta_get_int64(c, "divisions_version", &v1, &found, &err), 0);
    assert_true(v1 > v0);

    /* Idempotent. */
    assert_int_equal(divisions_reference_load(s, &n, &err), 0);
    assert_int_equal(n.inserted + n.names, 0);

    /* An administrator's own name survives; its source is no longer shown. */
    assert_int_equal(store_exec(c,
                                "UPDATE divisions SET name_bo = 'ལྷུན་གྲུབ།' "
                                "WHERE code = 540121000000",
                                &err),
                     0);
    /* A name an earlier release gave (still unchanged) is corrected. */
    assert_int_equal(store_exec(c,
                                "UPDATE divisions SET name_bo = 'འདམ།', name_bo_ref = 'འདམ།' "
                                "WHERE code = 540122000000",
                                &err),
                     0);
    /* A township name an earlier release gave, which this one does not: withdrawn. */
    assert_int_equal(store_exec(c,
                                "UPDATE divisions SET name_bo = 'བར་སྐོར།', name_bo_ref = "
                                "'བར་སྐོར།', name_bo_source = 'x' WHERE code = 540102002000",
                                &err),
                     0);
    /* An administrator's name where the reference data has none: kept. */
    assert_int_equal(
        store_exec(c, "UPDATE divisions SET name_bo = 'ཤང་།' WHERE code = 540102003000", &err), 0);
    assert_int_equal(divisions_reference_load(s, &n, &err), 0);
    assert_int_equal(n.names, 2);
    struct division d = get_division(c, a, 540121000000LL);
    assert_string_equal(d.name_bo, "ལྷུན་གྲུབ།");
    assert_null(d.name_bo_source);
    assert_string_equal(get_division(c, a, 540122000000LL).name_bo, "འདམ་གཞུང་རྫོང་།");
    assert_null(get_division(c, a, 540102002000LL).name_bo);
    assert_string_equal(get_division(c, a, 540102003000LL).name_bo, "ཤང་།");
    /* Still idempotent with the administrator's names in place. */
    assert_int_equal(divisions_reference_load(s, &n, &err), 0);
    assert_int_equal(n.inserted + n.names, 0);
    arena_free(a);
    close_reference(s, dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_code),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_load_and_read),
        cmocka_unit_test(test_levels_and_choice),
        cmocka_unit_test(test_pick_resolve),
        cmocka_unit_test(test_picker_model),
        cmocka_unit_test(test_reference_shapes),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_tibetan_reference),
        cmocka_unit_test(test_tibetan_names_sync),
    };
    return cmocka_run_group_tests_name("divisions", tests, NULL, NULL);
}
