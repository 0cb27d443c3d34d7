/*
 * tmpl_test.c - unit tests for the template engine (src/web/tmpl.c): output of every tag
 * kind, context-stack lookup, syntax errors with their line numbers, the depth, size and
 * work limits, failing allocations, and rendering from several threads after the freeze.
 * Every test asserts the exact output.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "web/tmpl.h"

/* ---- fixtures ------------------------------------------------------------------------ */

/* The named templates the tests' loader knows, as the embedded web/templates would be. */
static const struct {
    const char *name;
    const char *src;
} sources[] = {
    {"page", "<h1>{{t.title}}</h1>{{#items}}{{> partials/item}}{{/items}}{{^items}}"
             "{{t.empty}}{{/items}}"},
    {"partials/item", "<li>{{name}} ({{lang}})</li>"},
    {"self", "x{{> self}}"},
    {"tree", "{{name}}{{#children}}[{{> tree}}]{{/children}}"},
    {"missing-partial", "a\n{{> nope}}"},
    {"bad", "ok\n{{#a}}\n"},
    {"uses-bad", "{{> partials/fine}}{{> bad}}"},
    {"partials/fine", "fine"},
    {"tibetan", "བོད་ལྗོངས། {{place}}"},
};

static const char *test_loader(void *ctx, const char *name, size_t *len)
{
    int *calls = ctx;
    if (calls != NULL)
        (*calls)++;
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
        if (strcmp(sources[i].name, name) == 0) {
            *len = strlen(sources[i].src);
            return sources[i].src;
        }
    }
    return NULL;
}

static json_t *parse_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    assert_non_null(v);
    return v;
}

/* Render `src` against the JSON contexts (bottom first) and return the output; the caller
 * frees it. A render error fails the test. */
static char *render_with(struct tmpl_set *set, const char *src, const char *bottom, const char *top)
{
    json_t *ctxs[2];
    size_t n = 0;
    if (bottom != NULL)
        ctxs[n++] = parse_json(bottom);
    if (top != NULL)
        ctxs[n++] = parse_json(top);
    struct buf out;
    buf_init(&out, 1 << 20);
    struct err err;
    err_clear(&err);
    int rc = tmpl_render_string(set, src, strlen(src), ctxs, n, &out, &err);
    if (rc != 0)
        fail_msg("render of '%s' failed: %s: %s", src, err.code, err.msg);
    for (size_t i = 0; i < n; i++)
        json_decref(ctxs[i]);
    char *s = buf_take(&out, NULL);
    return s != NULL ? s : strdup("");
}

static void assert_renders(const char *src, const char *model, const char *want)
{
    char *got = render_with(NULL, src, NULL, model);
    assert_string_equal(got, want);
    free(got);
}

/* Compile `src` and expect it to fail with `code` and exactly `msg`. */
static void assert_string_fails(const char *src, const char *code, const char *msg)
{
    struct buf out;
    buf_init(&out, 1 << 20);
    struct err err;
    err_clear(&err);
    assert_int_equal(tmpl_render_string(NULL, src, strlen(src), NULL, 0, &out, &err), -1);
    assert_string_equal(err.code, code);
    assert_string_equal(err.msg, msg);
    assert_int_equal(out.len, 0);
    buf_free(&out);
}

/* ---- values and escaping ------------------------------------------------------------- */

static void test_escaping(void **state)
{
    (void)state;
    const char *model = "{\"s\": \"a & b < c > d \\\" e ' f\"}";
    assert_renders("{{s}}", model, "a &amp; b &lt; c &gt; d &quot; e &#39; f");
    assert_renders("{{{s}}}", model, "a & b < c > d \" e ' f");
    assert_renders("{{&s}}", model, "a & b < c > d \" e ' f");
    assert_renders("{{& s }}|{{{ s }}}", "{\"s\": \"<b>\"}", "<b>|<b>");
    /* Template text is the author's HTML and is never escaped. */
    assert_renders("<p class=\"x\">&amp;</p>", "{}", "<p class=\"x\">&amp;</p>");
}

static void test_values(void **state)
{
    (void)state;
    const char *model = "{\"i\": 42, \"neg\": -7, \"r\": 0.1, \"r2\": 1.5, \"big\": 1e20,"
                        " \"whole\": 3.0, \"yes\": true, \"no\": false, \"nul\": null,"
                        " \"arr\": [1], \"obj\": {\"a\": 1}, \"s\": \"text\"}";
    assert_renders("{{i}}|{{neg}}|{{r}}|{{r2}}|{{big}}|{{whole}}", model, "42|-7|0.1|1.5|1e+20|3");
    assert_renders("{{yes}}|{{no}}|{{nul}}|{{missing}}|{{arr}}|{{obj}}|{{s}}", model,
                   "true||||||text");
    assert_renders("{{ s }}{{\ts\n}}", model, "texttext");
}

static void test_dotted_names(void **state)
{
    (void)state;
    const char *model = "{\"a\": {\"b\": {\"c\": \"deep\"}, \"n\": 5}, \"b\": \"top-b\"}";
    assert_renders("{{a.b.c}}|{{a.n}}|{{a.x}}|{{a.b.c.d}}|{{x.y}}", model, "deep|5|||");
    /* Once "a" is found, "a.b" does not fall back to another context's "b". */
    char *got = render_with(NULL, "[{{a.b}}]", "{\"a\": {\"b\": \"low\"}}", "{\"a\": {}}");
    assert_string_equal(got, "[]");
    free(got);
    assert_renders("{{#a}}{{b.c}}{{/a}}", model, "deep");
}

/* A numeric segment indexes an array: the templates test "is the list non-empty" with
 * {{#list.0}} and {{^list.0}} (the e-certificate choice, the 补正 items, the enterprise
 * picker). The engine once resolved these to nothing, and those parts of pages vanished. */
static void test_array_index(void **state)
{
    (void)state;
    const char *model = "{\"certs\": [{\"name\": \"ID\"}, {\"name\": \"HK\"}],"
                        " \"none\": [], \"o\": {\"0\": \"zero-key\"}, \"n\": [[\"a\", \"b\"]]}";
    assert_renders("{{certs.0.name}}|{{certs.1.name}}|{{certs.2.name}}", model, "ID|HK|");
    assert_renders("{{#certs.0}}has{{/certs.0}}|{{^certs.0}}empty{{/certs.0}}", model, "has|");
    assert_renders("{{#none.0}}has{{/none.0}}|{{^none.0}}empty{{/none.0}}", model, "|empty");
    assert_renders("{{#missing.0}}has{{/missing.0}}{{^missing.0}}empty{{/missing.0}}", model,
                   "empty");
    /* The section over the first element pushes it: its fields are in scope. */
    assert_renders("{{#certs.0}}{{name}}{{/certs.0}}", model, "ID");
    /* Arrays of arrays, and "0" as an object key still works. */
    assert_renders("{{n.0.1}}|{{o.0}}", model, "b|zero-key");
    /* Not an index: a sign, a leading zero, junk, an index past SIZE_MAX. */
    assert_renders("[{{certs.01.name}}{{certs.-1.name}}{{certs.1x.name}}]", model, "[]");
    assert_renders("[{{certs.99999999999999999999999.name}}]", model, "[]");
    /* A name without dots is never an index into the context. */
    assert_renders("[{{#certs}}{{0}}{{/certs}}]", model, "[]");
}

static const char *one_source(void *ctx, const char *name, size_t *len)
{
    (void)name;
    *len = strlen(ctx);
    return ctx;
}

static const char *mark_all_zh(void *ctx, const json_t *v)
{
    (void)ctx;
    (void)v;
    return "zh";
}

/* A value marked as another language gets a <span lang> in element content, unless the
 * element it opens already says that language (no double marking). */
static void test_marked_once(void **state)
{
    (void)state;
    const char *src =
        "<p lang=\"zh\">{{a}}</p><p>{{a}}</p><td lang=\"zh-CN\" class=\"x\">{{a}}</td>"
        "<p lang=\"zh\"><b>{{a}}</b></p><a hreflang=\"zh\">{{a}}</a>";
    struct tmpl_set *set = tmpl_set_new(one_source, (void *)src);
    json_t *m = json_pack("{s:s}", "a", "城关区");
    struct buf out;
    struct err err;
    buf_init(&out, 1 << 16);
    assert_int_equal(tmpl_render_marked(set, "t", &m, 1, mark_all_zh, NULL, &out, &err), 0);
    char *html = buf_take(&out, NULL);
    assert_string_equal(html, "<p lang=\"zh\">城关区</p><p><span lang=\"zh\">城关区</span></p>"
                              "<td lang=\"zh-CN\" class=\"x\">城关区</td>"
                              "<p lang=\"zh\"><b><span lang=\"zh\">城关区</span></b></p>"
                              "<a hreflang=\"zh\"><span lang=\"zh\">城关区</span></a>");
    free(html);
    json_decref(m);
    tmpl_set_free(set);
}

static void test_unicode_passes_through(void **state)
{
    (void)state;
    const char *bo = "བོད་ལྗོངས།";
    char model[128];
    snprintf(model, sizeof(model), "{\"place\": \"%s\", \"%s\": \"key\"}", bo, bo);
    char want[128];
    snprintf(want, sizeof(want), "%s|%s|%s|key", bo, bo, bo);
    assert_renders("བོད་ལྗོངས།|{{place}}|{{{place}}}|{{བོད་ལྗོངས།}}", model, want);
}

/* ---- sections ------------------------------------------------------------------------ */

static void test_sections(void **state)
{
    (void)state;
    const char *model =
        "{\"list\": [1, \"two\", 3.5], \"people\": [{\"n\": \"A\"}, {\"n\": \"B\"}],"
        " \"obj\": {\"x\": \"X\"}, \"num\": 5, \"str\": \"hi\", \"yes\": true,"
        " \"empty_obj\": {}, \"n\": \"outer\"}";
    assert_renders("{{#list}}[{{.}}]{{/list}}", model, "[1][two][3.5]");
    assert_renders("{{#people}}{{n}},{{/people}}", model, "A,B,");
    assert_renders("{{#obj}}{{x}}-{{n}}{{/obj}}", model, "X-outer");
    assert_renders("{{#num}}<{{.}}>{{/num}}{{#str}}<{{.}}>{{/str}}{{#yes}}<{{.}}>{{/yes}}", model,
                   "<5><hi><true>");
    assert_renders("{{#empty_obj}}shown{{/empty_obj}}", model, "shown");
    assert_renders("{{# people }}{{ n }}{{/ people }}", model, "AB");
    assert_renders("{{#people}}{{#list}}{{n}}{{.}} {{/list}}{{/people}}", model,
                   "A1 Atwo A3.5 B1 Btwo B3.5 ");
}

static void test_falsy_and_inverted(void **state)
{
    (void)state;
    const char *model = "{\"f\": false, \"nul\": null, \"s\": \"\", \"a\": [], \"zero\": 0,"
                        " \"fzero\": 0.0, \"t\": true, \"o\": {}}";
    static const char *const falsy[] = {"f", "nul", "missing", "s", "a", "zero", "fzero"};
    for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++) {
        char src[128];
        snprintf(src, sizeof(src), "[{{#%s}}yes{{/%s}}][{{^%s}}no{{/%s}}]", falsy[i], falsy[i],
                 falsy[i], falsy[i]);
        assert_renders(src, model, "[][no]");
    }
    assert_renders("[{{^t}}no{{/t}}][{{^o}}no{{/o}}]", model, "[][]");
}

static void test_stack_lookup(void **state)
{
    (void)state;
    /* The i18n catalog sits at the bottom of the stack; the view model's items are pushed
     * on top, and names not found in an item fall through to the globals. */
    const char *globals = "{\"t\": {\"title\": \"Divisions\"}, \"lang\": \"bo\", \"name\": \"g\"}";
    const char *model = "{\"items\": [{\"name\": \"A\"}, {\"name\": \"B\", \"lang\": \"zh\"}]}";
    char *got = render_with(NULL, "{{#items}}{{name}}:{{t.title}}/{{lang}};{{/items}}{{name}}",
                            globals, model);
    assert_string_equal(got, "A:Divisions/bo;B:Divisions/zh;g");
    free(got);

    /* {{.}} with nothing pushed is the top context. */
    got = render_with(NULL, "{{#.}}{{name}}{{/.}}", globals, "{\"name\": \"top\"}");
    assert_string_equal(got, "top");
    free(got);

    /* NULL entries in the stack are skipped. */
    json_t *ctxs[2] = {parse_json("{\"x\": \"bottom\"}"), NULL};
    struct buf out;
    buf_init(&out, 100);
    struct err err;
    assert_int_equal(tmpl_render_string(NULL, "{{x}}", 5, ctxs, 2, &out, &err), 0);
    assert_string_equal(out.data, "bottom");
    buf_free(&out);
    json_decref(ctxs[0]);
}

/* Found by fuzzing: a template whose only names are "{{.}}" has no name pool, and
 * rendering did pointer arithmetic on its NULL (undefined behaviour, UBSan). */
static void test_only_current_item(void **state)
{
    (void)state;
    assert_renders("{{.}}", "{\"a\": 1}", "");
    assert_renders("{{#.}}x{{/.}}{{^.}}y{{/.}}", "{\"a\": 1}", "x");
}

static void test_comments(void **state)
{
    (void)state;
    assert_renders("a{{! a comment }}b{{!\nmulti\nline}}c{{!}}", "{}", "abc");
}

/* ---- partials ------------------------------------------------------------------------ */

static void test_partials(void **state)
{
    (void)state;
    int calls = 0;
    struct tmpl_set *set = tmpl_set_new(test_loader, &calls);
    assert_non_null(set);
    struct err err;
    err_clear(&err);
    assert_int_equal(tmpl_compile(set, "page", &err), 0);
    assert_int_equal(calls, 2); /* page and its partial, each loaded once */
    assert_int_equal(tmpl_compile(set, "page", &err), 0);
    assert_int_equal(calls, 2);

    json_t *ctxs[2] = {
        parse_json("{\"t\": {\"title\": \"T\", \"empty\": \"none\"}, \"lang\": \"bo\"}"),
        parse_json("{\"items\": [{\"name\": \"a<b\"}, {\"name\": \"c\"}]}")};
    struct buf out;
    buf_init(&out, 1 << 16);
    assert_int_equal(tmpl_render(set, "page", ctxs, 2, &out, &err), 0);
    assert_string_equal(out.data, "<h1>T</h1><li>a&lt;b (bo)</li><li>c (bo)</li>");
    buf_free(&out);

    json_decref(ctxs[1]);
    ctxs[1] = parse_json("{\"items\": []}");
    assert_int_equal(tmpl_render(set, "page", ctxs, 2, &out, &err), 0);
    assert_string_equal(out.data, "<h1>T</h1>none");
    buf_free(&out);

    /* A string may use the set's partials. */
    assert_int_equal(tmpl_render_string(set, "[{{> partials/item}}]", 21, ctxs, 2, &out, &err), 0);
    assert_string_equal(out.data, "[<li> (bo)</li>]");
    buf_free(&out);

    /* A recursive partial over a tree ends where the data ends. Leaves need an explicit
     * empty "children": a missing one would be found in the parent (Mustache lookup). */
    json_t *tree = parse_json("{\"name\": \"CN\", \"children\": [{\"name\": \"XZ\", \"children\":"
                              " [{\"name\": \"LS\", \"children\": []}]},"
                              " {\"name\": \"SC\", \"children\": []}]}");
    assert_int_equal(tmpl_render(set, "tree", &tree, 1, &out, &err), 0);
    assert_string_equal(out.data, "CN[XZ[LS]][SC]");
    buf_free(&out);
    json_decref(tree);
    tree = parse_json("{\"name\": \"CN\", \"children\": [{\"name\": \"XZ\"}]}");
    assert_int_equal(tmpl_render(set, "tree", &tree, 1, &out, &err), -1);
    assert_string_equal(err.code, "tmpl.depth");
    assert_int_equal(out.len, 0);
    buf_free(&out);
    json_decref(tree);

    json_decref(ctxs[0]);
    json_decref(ctxs[1]);
    tmpl_set_free(set);

    /* Without a set a partial renders as nothing. */
    assert_renders("a{{> partials/item}}b", "{}", "ab");
}

static void test_missing_templates(void **state)
{
    (void)state;
    struct tmpl_set *set = tmpl_set_new(test_loader, NULL);
    assert_non_null(set);
    struct err err;
    struct buf out;
    buf_init(&out, 100);

    assert_int_equal(tmpl_compile(set, "nosuch", &err), -1);
    assert_string_equal(err.code, "tmpl.not_found");
    assert_string_equal(err.msg, "template 'nosuch' not found");

    assert_int_equal(tmpl_compile(set, "missing-partial", &err), -1);
    assert_string_equal(err.code, "tmpl.not_found");
    assert_string_equal(err.msg, "template 'missing-partial' line 2: partial 'nope' not found");

    /* A failure leaves the set as it was: the good partial compiled on the way is not
     * kept, so after the freeze it is unknown. */
    assert_int_equal(tmpl_compile(set, "uses-bad", &err), -1);
    assert_string_equal(err.code, "tmpl.syntax");
    assert_string_equal(err.msg, "template 'bad' line 2: unclosed section 'a'");

    /* Before the freeze, rendering compiles on demand. */
    assert_int_equal(tmpl_render(set, "tibetan", NULL, 0, &out, &err), 0);
    assert_string_equal(out.data, "བོད་ལྗོངས། ");
    buf_free(&out);

    tmpl_set_freeze(set);
    assert_int_equal(tmpl_render(set, "partials/fine", NULL, 0, &out, &err), -1);
    assert_string_equal(err.code, "tmpl.not_found");
    assert_string_equal(err.msg, "template 'partials/fine' not found");
    assert_int_equal(tmpl_compile(set, "partials/fine", &err), -1);
    assert_string_equal(err.code, "tmpl.not_found");
    assert_int_equal(tmpl_compile(set, "tibetan", &err), 0);
    assert_int_equal(tmpl_render_string(set, "{{> partials/fine}}", 19, NULL, 0, &out, &err), -1);
    assert_string_equal(err.code, "tmpl.not_found");
    assert_string_equal(err.msg, "template '<string>' line 1: partial 'partials/fine' was not "
                                 "compiled before the freeze");
    assert_null(out.data);
    tmpl_set_free(set);
}

/* ---- syntax errors ------------------------------------------------------------------- */

static void test_syntax_errors(void **state)
{
    (void)state;
    const char *code = "tmpl.syntax";
    assert_string_fails("a\n{{b", code, "template '<string>' line 2: unclosed tag");
    assert_string_fails("a\n\n{{{b}}", code, "template '<string>' line 3: unclosed '{{{' tag");
    assert_string_fails("x\n{{#a}}\n", code, "template '<string>' line 2: unclosed section 'a'");
    assert_string_fails("{{#a}}\n{{#b}}\n\n{{/a}}", code,
                        "template '<string>' line 4: '{{/a}}' does not match 'b' opened on line 2");
    assert_string_fails("\n{{/a}}", code,
                        "template '<string>' line 2: '{{/a}}' closes no open "
                        "section");
    assert_string_fails("{{ }}", code, "template '<string>' line 1: empty name in tag");
    assert_string_fails("{{{}}}", code, "template '<string>' line 1: empty name in tag");
    assert_string_fails("{{#}}{{/}}", code, "template '<string>' line 1: empty name in tag");
    assert_string_fails("{{/ }}", code, "template '<string>' line 1: empty name in tag");
    assert_string_fails("{{> }}", code, "template '<string>' line 1: empty name in tag");
    assert_string_fails("{{=<% %>=}}", code,
                        "template '<string>' line 1: set-delimiter tags are not supported");
    assert_string_fails("{{a b}}", code,
                        "template '<string>' line 1: invalid character in name "
                        "'a b'");
    assert_string_fails("{{a..b}}", code,
                        "template '<string>' line 1: malformed dotted name "
                        "'a..b'");
    assert_string_fails("{{.a}}", code, "template '<string>' line 1: malformed dotted name '.a'");

    /* A named template's errors name it. */
    struct tmpl_set *set = tmpl_set_new(test_loader, NULL);
    assert_non_null(set);
    struct err err;
    assert_int_equal(tmpl_compile(set, "bad", &err), -1);
    assert_string_equal(err.code, code);
    assert_string_equal(err.msg, "template 'bad' line 2: unclosed section 'a'");
    tmpl_set_free(set);
}

static void test_nesting_limit(void **state)
{
    (void)state;
    char src[(TMPL_MAX_NESTING + 1) * 12 + 16];
    size_t len = 0;
    for (int i = 0; i < TMPL_MAX_NESTING; i++)
        len += (size_t)sprintf(src + len, "{{#a}}");
    len += (size_t)sprintf(src + len, "x");
    for (int i = 0; i < TMPL_MAX_NESTING; i++)
        len += (size_t)sprintf(src + len, "{{/a}}");
    assert_renders(src, "{\"a\": true}", "x");

    len = 0;
    for (int i = 0; i <= TMPL_MAX_NESTING; i++)
        len += (size_t)sprintf(src + len, "{{#a}}\n");
    assert_string_fails(src, "tmpl.syntax",
                        "template '<string>' line 65: sections nested deeper than 64");
}

/* ---- limits -------------------------------------------------------------------------- */

static void test_depth_limit(void **state)
{
    (void)state;
    struct tmpl_set *set = tmpl_set_new(test_loader, NULL);
    assert_non_null(set);
    struct err err;
    assert_int_equal(tmpl_compile(set, "self", &err), 0);
    tmpl_set_freeze(set);
    struct buf out;
    buf_init(&out, 1 << 20);
    assert_int_equal(buf_puts(&out, "kept"), 0);
    assert_int_equal(tmpl_render(set, "self", NULL, 0, &out, &err), -1);
    assert_string_equal(err.code, "tmpl.depth");
    assert_string_equal(err.msg, "template 'self' nests sections and partials deeper than 128");
    assert_string_equal(out.data, "kept"); /* a failed render leaves the output alone */
    buf_free(&out);
    tmpl_set_free(set);
}

static void test_output_limit(void **state)
{
    (void)state;
    struct buf out;
    struct err err;
    json_t *model = parse_json("{\"s\": \"<<\"}");

    /* Exactly at the max is fine; one byte more is not. "<<" escapes to 8 bytes. */
    buf_init(&out, 10);
    assert_int_equal(tmpl_render_string(NULL, "ab{{s}}", 7, &model, 1, &out, &err), 0);
    assert_string_equal(out.data, "ab&lt;&lt;");
    buf_free(&out);

    buf_init(&out, 9);
    assert_int_equal(tmpl_render_string(NULL, "ab{{s}}", 7, &model, 1, &out, &err), -1);
    assert_string_equal(err.code, "tmpl.too_large");
    assert_string_equal(err.msg, "template output exceeds 9 bytes");
    assert_int_equal(out.len, 0);
    buf_free(&out);

    buf_init(&out, 5);
    assert_int_equal(tmpl_render_string(NULL, "abcdef", 6, NULL, 0, &out, &err), -1);
    assert_string_equal(err.code, "tmpl.too_large");
    buf_free(&out);
    json_decref(model);
}

static void test_step_limit(void **state)
{
    (void)state;
    /* 16^8 iterations that write nothing: the output limit would never stop them. */
    json_t *model = parse_json("{\"a\": [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]}");
    const char *src = "{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}{{#a}}"
                      "{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}{{/a}}";
    struct buf out;
    buf_init(&out, 1 << 20);
    struct err err;
    assert_int_equal(tmpl_render_string(NULL, src, strlen(src), &model, 1, &out, &err), -1);
    assert_string_equal(err.code, "tmpl.too_large");
    assert_string_equal(err.msg, "template render exceeds 4194304 steps");
    buf_free(&out);
    json_decref(model);
}

/* ---- failing allocations ------------------------------------------------------------- */

struct fault {
    long countdown; /* allocations left before one fails; negative: never */
    long calls;
};

static void *failing_realloc(void *ctx, void *p, size_t n)
{
    struct fault *f = ctx;
    f->calls++;
    if (f->countdown >= 0 && f->countdown-- == 0)
        return NULL;
    return realloc(p, n);
}

static void test_failing_allocations(void **state)
{
    (void)state;
    json_t *ctxs[2] = {parse_json("{\"t\": {\"title\": \"T\"}, \"lang\": \"bo\"}"),
                       parse_json("{\"items\": [{\"name\": \"n\"}]}")};
    /* Fail the 1st, 2nd, ... allocation until compiling needs no more; each failure must be
     * a clean "tmpl.oom" (LSan reports any leak), and the set must stay usable. */
    long n;
    for (n = 0;; n++) {
        struct tmpl_set *set = tmpl_set_new(test_loader, NULL);
        assert_non_null(set);
        struct fault f = {n, 0};
        tmpl_set_alloc_hook(set, failing_realloc, &f);
        struct err err;
        err_clear(&err);
        int rc = tmpl_compile(set, "page", &err);
        if (rc == 0) {
            tmpl_set_free(set);
            break;
        }
        assert_string_equal(err.code, "tmpl.oom");
        tmpl_set_alloc_hook(set, NULL, NULL);
        struct buf out;
        buf_init(&out, 1 << 16);
        assert_int_equal(tmpl_render(set, "page", ctxs, 2, &out, &err), 0);
        assert_string_equal(out.data, "<h1>T</h1><li>n (bo)</li>");
        buf_free(&out);
        tmpl_set_free(set);
    }
    assert_true(n >= 6); /* two templates: struct, name, ops and pool each */

    /* The same for a string that pulls in a partial. */
    const char *src = "{{#items}}{{> partials/item}}{{/items}}";
    for (n = 0;; n++) {
        struct tmpl_set *set = tmpl_set_new(test_loader, NULL);
        assert_non_null(set);
        struct fault f = {n, 0};
        tmpl_set_alloc_hook(set, failing_realloc, &f);
        struct err err;
        struct buf out;
        buf_init(&out, 1 << 16);
        int rc = tmpl_render_string(set, src, strlen(src), ctxs, 2, &out, &err);
        if (rc == 0) {
            assert_string_equal(out.data, "<li>n (bo)</li>");
            buf_free(&out);
            tmpl_set_free(set);
            break;
        }
        assert_string_equal(err.code, "tmpl.oom");
        assert_null(out.data);
        tmpl_set_free(set);
    }
    assert_true(n >= 6);
    json_decref(ctxs[0]);
    json_decref(ctxs[1]);
}

/* ---- threads ------------------------------------------------------------------------- */

struct worker {
    struct tmpl_set *set;
    json_t *const *ctxs;
    int failures;
    char first[256];
};

static void *render_loop(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 2000; i++) {
        struct buf out;
        buf_init(&out, 1 << 16);
        struct err err;
        if (tmpl_render(w->set, "page", w->ctxs, 2, &out, &err) != 0)
            w->failures++;
        else if (i == 0)
            snprintf(w->first, sizeof(w->first), "%s", out.data);
        else if (strcmp(out.data, w->first) != 0)
            w->failures++;
        buf_free(&out);
    }
    return NULL;
}

/* Four threads render one template at once: after the freeze (no locking at all), or
 * before it, when the first of them compiles it lazily under the set's lock. */
static void run_threads(bool frozen)
{
    struct tmpl_set *set = tmpl_set_new(test_loader, NULL);
    assert_non_null(set);
    if (frozen) {
        struct err err;
        assert_int_equal(tmpl_compile(set, "page", &err), 0);
        tmpl_set_freeze(set);
    }

    json_t *ctxs[2] = {parse_json("{\"t\": {\"title\": \"ལྷ་ས\"}, \"lang\": \"bo\"}"),
                       parse_json("{\"items\": [{\"name\": \"<1>\"}, {\"name\": \"2\"}]}")};
    struct worker w[4];
    pthread_t tid[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){set, ctxs, 0, ""};
        assert_int_equal(pthread_create(&tid[i], NULL, render_loop, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(tid[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(w[i].failures, 0);
        assert_string_equal(w[i].first, "<h1>ལྷ་ས</h1><li>&lt;1&gt; (bo)</li><li>2 (bo)</li>");
    }
    json_decref(ctxs[0]);
    json_decref(ctxs[1]);
    tmpl_set_free(set);
}

static void test_threads_after_freeze(void **state)
{
    (void)state;
    run_threads(true);
}

static void test_threads_lazy_compile(void **state)
{
    (void)state;
    run_threads(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_array_index),
        cmocka_unit_test(test_marked_once),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_dotted_names),
        cmocka_unit_test(test_unicode_passes_through),
        cmocka_unit_test(test_sections),
        cmocka_unit_test(test_falsy_and_inverted),
        cmocka_unit_test(test_stack_lookup),
        cmocka_unit_test(test_only_current_item),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_partials),
        cmocka_unit_test(test_missing_templates),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_output_limit),
        cmocka_unit_test(test_step_limit),
        cmocka_unit_test(test_failing_allocations),
        cmocka_unit_test(test_threads_after_freeze),
        cmocka_unit_test(test_threads_lazy_compile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
