/*
 * translate_test.c - the translators' tools (src/translate/): placeholder checks, the PO reader on
 * what gettext and editors write (continuations, escapes, flags, obsolete entries, CRLF, a byte
 * order mark) and its errors with line numbers, the in-place JSON edit (every string of every
 * catalog file set to itself gives the same bytes back; a change touches only its value),
 * and the states and coverage counts of a small catalog set.
 */
#include "test.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "base/embed.h"
#include "translate/translate_internal.h"

static void test_placeholders(void **state)
{
    char why[256];
    assert_true(translate_placeholders_match("您的申请 {{number}}（{{item}}）",
                                             "{{item}} {{number}}", why, sizeof(why)));
    assert_true(translate_placeholders_match("无", "མེད།", why, sizeof(why)));
    assert_true(translate_placeholders_match("{{ number }}", "{{number}}", why, sizeof(why)));
    assert_false(translate_placeholders_match("{{number}} {{item}}", "{{item}}", why, sizeof(why)));
    assert_string_equal(why, "drops {{number}}");
    assert_false(
        translate_placeholders_match("{{number}}", "{{number}} {{name}}", why, sizeof(why)));
    assert_string_equal(why, "invents {{name}}");
    assert_false(translate_placeholders_match("{{number}}", "{{numbr}}", why, sizeof(why)));
    assert_string_equal(why, "drops {{number}}, invents {{numbr}}");
    /* As often as the source: a placeholder twice where the source has it once is invented. */
    assert_false(translate_placeholders_match("{{n}}", "{{n}} {{n}}", why, sizeof(why)));
    assert_false(translate_placeholders_match("{{n}}", "{{n", why, sizeof(why)));
    assert_string_equal(why, "drops {{n}}, invents an unclosed {{");
}

static const char PO[] = "\xEF\xBB\xBF# a translator's comment\r\n"
                         "msgid \"\"\r\n"
                         "msgstr \"\"\r\n"
                         "\"Language: bo\\n\"\r\n"
                         "\"Last-Translator: Tenzin <t@example.org>\\n\"\r\n"
                         "\"Content-Type: text/plain; charset=UTF-8\\n\"\r\n"
                         "\r\n"
                         "#. en: Home\r\n"
                         "#: web/i18n/zh/core.json\r\n"
                         "#, fuzzy, c-format\r\n"
                         "msgctxt \"nav.home\"\r\n"
                         "msgid \"首页\"\r\n"
                         "msgstr \"\"\r\n"
                         "\"མ་\"\r\n"
                         "\"ངོས།\"\r\n"
                         "\r\n"
                         "#, fuzzy\r\n"
                         "#~ msgctxt \"old.key\"\r\n"
                         "#~ msgid \"旧\"\r\n"
                         "#~ msgstr \"རྙིང་།\"\r\n"
                         "\r\n"
                         "msgctxt \"a.b\"\r\n"
                         "msgid \"x\\\"y\\\\z\\n\\t\\101\\x42\"\r\n"
                         "msgstr \"q\"\r\n"
                         "msgctxt \"p.q\"\r\n"
                         "msgid \"one\"\r\n"
                         "msgid_plural \"many\"\r\n"
                         "msgstr[0] \"གཅིག\"\r\n"
                         "msgstr[1] \"མང་པོ\"\r\n";

static void test_po_parse(void **state)
{
    struct arena *a = arena_new(0);
    struct translate_po po;
    struct err err;
    assert_int_equal(translate_po_parse(PO, strlen(PO), "t.po", a, &po, &err), 0);
    assert_string_equal(po.language, "bo");
    assert_string_equal(po.translator, "Tenzin <t@example.org>");
    assert_string_equal(po.content_type, "text/plain; charset=UTF-8");
    assert_int_equal(po.n, 3); /* the obsolete entry is left out */
    assert_string_equal(po.e[0].ctxt, "nav.home");
    assert_string_equal(po.e[0].id, "首页");
    assert_string_equal(po.e[0].str, "མ་ངོས།");
    assert_true(po.e[0].fuzzy);
    assert_int_equal(po.e[0].line, 12);
    assert_string_equal(po.e[1].id, "x\"y\\z\n\tAB");
    assert_false(po.e[1].fuzzy);
    assert_false(po.e[1].plural);
    assert_true(po.e[2].plural);
    assert_string_equal(po.e[2].str, "གཅིག");
    arena_free(a);
}

static void po_error(const char *text, const char *msg)
{
    struct arena *a = arena_new(0);
    struct translate_po po;
    struct err err;
    err_clear(&err);
    assert_int_equal(translate_po_parse(text, strlen(text), "e.po", a, &po, &err), -1);
    if (strcmp(err.msg, msg) != 0)
        fail_msg("\"%s\": got \"%s\", want \"%s\"", text, err.msg, msg);
    arena_free(a);
}

static void test_po_errors(void **state)
{
    po_error("msgid \"a\nmsgstr \"b\"\n", "e.po:1: a string is not closed");
    po_error("msgid \"\"\nmsgstr \"\"\n\nmsgid \"a\"\nmsgstr \"\\q\"\n",
             "e.po:5: an unknown escape sequence");
    po_error("msgid \"\"\nmsgstr \"\"\n\nmsgid \"a\"\n\n", "e.po:6: an entry has no msgstr");
    po_error("msgid \"\"\nmsgstr \"\"\n\nmsgstr \"b\"\n", "e.po:4: msgstr without msgid");
    po_error("msgid \"\"\nmsgstr \"\"\nbogus\n",
             "e.po:3: a line that is no keyword, string or comment");
    po_error("msgid \"\"\nmsgstr \"\"\n\"x\" y\n", "e.po:3: text after a closing quote");
    po_error("msgid \"\"\nmsgstr \"\"\n\nmsgid \"\xff\"\nmsgstr \"\"\n",
             "e.po:6: a string is not UTF-8 (or holds a NUL)");
    po_error("msgid \"\"\nmsgstr \"\"\n\nmsgid \"\\0\"\nmsgstr \"\"\n",
             "e.po:6: a string is not UTF-8 (or holds a NUL)");
    po_error("msgid \"a\"\nmsgstr \"b\"\n", "e.po: no PO header (msgid \"\")");
}

/* Setting `key` to `value` in `text` gives `want`. */
static void json_set_gives(const char *text, const char *key, const char *value, const char *want)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(translate_json_set(text, strlen(text), key, value, &b), 0);
    assert_string_equal(b.data, want);
    buf_free(&b);
}

static void test_json_set(void **state)
{
    json_set_gives("{\"a\": {\"b\": \"x\", \"c\": [1, {\"b\": 2}]}, \"b\": \"y\"}", "a.b", "新",
                   "{\"a\": {\"b\": \"新\", \"c\": [1, {\"b\": 2}]}, \"b\": \"y\"}");
    json_set_gives("{\"a\":{\"b\":\"x\"},\"b\":\"y\"}", "b", "q\"\\\n\t\x01",
                   "{\"a\":{\"b\":\"x\"},\"b\":\"q\\\"\\\\\\n\\t\\u0001\"}");
    /* Keys are compared decoded; odd spacing and escapes elsewhere stay as they were. */
    json_set_gives("{ \"\\u0061\" :\n {\"levels\": {\"5\": \"\\u4e94\", \"4\":\"四\" } } }",
                   "a.levels.4", "བཞི།",
                   "{ \"\\u0061\" :\n {\"levels\": {\"5\": \"\\u4e94\", \"4\":\"བཞི།\" } } }");
    struct buf b;
    buf_init(&b, 1 << 20);
    const char *t = "{\"a\": {\"b\": {\"c\": \"x\"}}, \"n\": 1}";
    assert_int_equal(translate_json_set(t, strlen(t), "a.x", "v", &b), 1); /* no such key */
    assert_int_equal(translate_json_set(t, strlen(t), "a.b", "v", &b), 1); /* an object */
    assert_int_equal(translate_json_set(t, strlen(t), "n", "v", &b), 1);   /* not a string */
    assert_int_equal(translate_json_set("{\"a\": ", 6, "a", "v", &b), -1); /* not JSON */
    assert_int_equal(translate_json_set("[1]", 3, "a", "v", &b), -1);
    buf_free(&b);
}

/* Every string of every embedded catalog file, set to its own value, gives the file back
 * byte for byte: an import changes nothing it does not mean to. */
static int strings_of(json_t *o, char *path, size_t len, const struct embed_file *f, int *n)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        size_t kl = strlen(k), nl = len + (len > 0) + kl;
        if (nl + 1 > 512)
            return -1;
        if (len > 0)
            path[len] = '.';
        memcpy(path + len + (len > 0), k, kl + 1);
        if (json_is_object(v)) {
            if (strings_of(v, path, nl, f, n) < 0)
                return -1;
        } else if (json_is_string(v) && strchr(k, '.') == NULL) {
            struct buf b;
            buf_init(&b, 1 << 22);
            int rc =
                translate_json_set((const char *)f->data, f->len, path, json_string_value(v), &b);
            if (rc != 0 || b.len != f->len || memcmp(b.data, f->data, f->len) != 0)
                fail_msg("%s: %s set to itself changes the file (rc %d)", f->path, path, rc);
            buf_free(&b);
            (*n)++;
        }
        path[len] = '\0';
    }
    return 0;
}

static void test_json_set_identity(void **state)
{
    int n = 0;
    for (size_t i = embed_first("web/i18n/");
         i < embed_count && strncmp(embed_files[i].path, "web/i18n/", 9) == 0; i++) {
        const struct embed_file *f = &embed_files[i];
        json_t *j = json_loadb((const char *)f->data, f->len, 0, NULL);
        assert_non_null(j);
        char path[512] = "";
        assert_int_equal(strings_of(j, path, 0, f, &n), 0);
        json_decref(j);
    }
    assert_true(n > 3000); /* zh, bo and en, every string */
}

/* ---- states and coverage of a small set ------------------------------------------------ */

static char dir[64];

static void put(const char *sub, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_states(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/translate-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (const char *const *l = (const char *const[]){"zh", "bo", "en", "status", NULL}; *l; l++) {
        char sub[128];
        snprintf(sub, sizeof(sub), "%s/%s", dir, *l);
        assert_int_equal(mkdir(sub, 0700), 0);
    }
    /* Two modules; "x.dup" in both (the later file's text is in force). */
    put("zh/a.json",
        "{\"x\": {\"ok\": \"好\", \"rev\": \"审\", \"old\": \"旧\", \"dup\": \"一\"}}");
    put("zh/b.json",
        "{\"x\": {\"dup\": \"二\", \"copy\": \"抄\", \"en\": \"英\", \"latin\": \"拉\", "
        "\"gone\": \"缺\", \"empty\": \"空\", \"code\": \"12345\"}}");
    put("bo/a.json", "{\"x\": {\"ok\": \"ལེགས།\", \"rev\": \"ཞིབ།\", \"old\": \"རྙིང་།\", "
                     "\"dup\": \"གཉིས།\"}}");
    put("bo/b.json", "{\"x\": {\"copy\": \"抄\", \"en\": \"English\", \"latin\": \"Latin\", "
                     "\"empty\": \"\", \"code\": \"12345\"}}");
    put("en/a.json",
        "{\"x\": {\"ok\": \"Good\", \"rev\": \"Rev\", \"old\": \"Old\", \"dup\": \"Two\"}}");
    put("en/b.json", "{\"x\": {\"copy\": \"Copy\", \"en\": \"English\", \"latin\": \"L\", "
                     "\"gone\": \"Gone\", \"empty\": \"Empty\", \"code\": \"12345\"}}");
    put("status/bo.json", "{\"same\": {\"x.code\": \"the hotline's number\"}, \"reviewed\": {"
                          "\"x.rev\": {\"source\": \"审\", \"text\": \"ཞིབ།\"}, "
                          "\"x.old\": {\"source\": \"旧\", \"text\": \"a text since changed\"}}}");
    struct translate_set s;
    struct err err;
    struct arena *a = arena_new(0);
    struct translate_entries es;
    assert_int_equal(translate_set_load(&s, dir, &err), 0);
    assert_int_equal(translate_entries_of(&s, "bo", a, &es, &err), 0);
    static const struct {
        const char *key, *module;
        enum translate_state state;
        int reviewed;
    } want[] = {
        {"x.ok", "a", TRANSLATE_TRANSLATED, 0},  {"x.rev", "a", TRANSLATE_TRANSLATED, 1},
        {"x.old", "a", TRANSLATE_TRANSLATED, 0}, {"x.dup", "b", TRANSLATE_TRANSLATED, 0},
        {"x.copy", "b", TRANSLATE_COPIED, 0},    {"x.en", "b", TRANSLATE_COPIED, 0},
        {"x.latin", "b", TRANSLATE_COPIED, 0},   {"x.gone", "b", TRANSLATE_MISSING, 0},
        {"x.empty", "b", TRANSLATE_MISSING, 0},  {"x.code", "b", TRANSLATE_TRANSLATED, 0},
    };
    assert_int_equal(es.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < es.n; i++) {
        assert_string_equal(es.e[i].key, want[i].key);
        assert_string_equal(es.e[i].module, want[i].module);
        if (es.e[i].state != want[i].state || es.e[i].reviewed != want[i].reviewed)
            fail_msg("%s: state %s reviewed %d", es.e[i].key, translate_state_name(es.e[i].state),
                     es.e[i].reviewed);
    }
    assert_string_equal(es.e[3].source, "二");
    assert_string_equal(es.e[9].same_reason, "the hotline's number");
    struct translate_count *rows;
    size_t n;
    assert_int_equal(translate_coverage(&es, a, &rows, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].module, "a");
    assert_int_equal(rows[0].total, 3);
    assert_int_equal(rows[0].unreviewed, 2);
    assert_string_equal(rows[1].module, "b");
    assert_int_equal(rows[1].total, 7);
    assert_int_equal(rows[1].translated, 2);
    assert_int_equal(rows[1].copied, 3);
    assert_int_equal(rows[1].missing, 2);
    assert_null(rows[2].module);
    assert_int_equal(rows[2].total, 10);
    assert_int_equal(rows[2].translated, 5);
    assert_int_equal(rows[2].unreviewed, 4);
    /* en: a copy of zh counts, but not "no Tibetan letter". */
    assert_int_equal(translate_entries_of(&s, "en", a, &es, &err), 0);
    assert_int_equal(es.e[9].state, TRANSLATE_COPIED); /* 12345 = 12345, not on en's list */
    assert_int_equal(translate_entries_of(&s, "zh", a, &es, &err), -1);
    translate_set_free(&s);
    arena_free(a);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_placeholders),      cmocka_unit_test(test_po_parse),
        cmocka_unit_test(test_po_errors),         cmocka_unit_test(test_json_set),
        cmocka_unit_test(test_json_set_identity), cmocka_unit_test(test_states),
    };
    return cmocka_run_group_tests_name("translate", tests, NULL, NULL);
}
