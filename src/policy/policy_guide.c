/*
 * policy_guide.c - the service guides as passages for Q&A: each published catalog item's
 * materials, conditions, fee, steps and time limit, one search document per section and
 * language (kind "guide", ref CODE.SECTION.LANG, linked through /ask/guide/REF to the
 * guide). A passage is titled "item name · section name" so that a question naming the
 * section (材料, ཡིག་ཆ, materials) finds that section of that item.
 *
 * The section names are the catalog guide's own headings (web/i18n/{zh,bo,en}/catalog.json
 * catalog.materials etc.), copied here because indexing runs without a request (and in
 * commands that load no catalogs); policy_test checks that they still agree.
 */
#include "policy/policy_internal.h"

#include <string.h>

#include "base/buf.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "search/search.h"
#include "store/store.h"

static const struct {
    const char *section, *zh, *bo, *en;
} sections[] = {
    {"materials", "申请材料", "ཡིག་ཆ།", "Materials"},
    {"conditions", "办理条件", "ཆ་རྐྱེན།", "Conditions"},
    {"fee", "收费", "འཐུས།", "Fee"},
    {"steps", "办理流程", "བྱ་རིམ།", "Steps"},
    {"time_limit", "法定时限", "ཁྲིམས་ལྡན་དུས་ཚོད།", "Legal time limit"},
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

const char *policy_section_label(const char *section, const char *lang)
{
    for (size_t i = 0; i < NSECTIONS; i++)
        if (strcmp(sections[i].section, section) == 0)
            return strcmp(lang, "bo") == 0   ? sections[i].bo
                   : strcmp(lang, "en") == 0 ? sections[i].en
                                             : sections[i].zh;
    return section;
}

/* Words the passages need in each language (data, not interface: they are indexed). */
static const char *word(const char *what, const char *lang)
{
    static const struct {
        const char *what, *zh, *bo, *en;
    } words[] = {
        {"free", "不收费", "རིན་མེད།", "Free"},
        {"yuan", "元", "སྒོར།", "yuan"},
        {"days", "个工作日", "ལས་ཉིན།", "working days"},
        {"promised", "承诺时限", "ཁས་ལེན་དུས་ཚོད།", "Promised time limit"},
        {"required", "必交", "ངེས་པར་དགོས།", "required"},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(words[i].what, what) == 0)
            return strcmp(lang, "bo") == 0   ? words[i].bo
                   : strcmp(lang, "en") == 0 ? words[i].en
                                             : words[i].zh;
    return "";
}

/* The text of one section of an item in one language, into b. */
static void section_text(struct buf *b, const json_t *item, const char *section, const char *lang)
{
    if (strcmp(section, "materials") == 0) {
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(item, "materials"), i, m)
        {
            buf_printf(b, "%zu. %s", i + 1, catalog_text(json_object_get(m, "name"), lang));
            const json_t *note = json_object_get(m, "note");
            if (note != NULL && *catalog_text(note, lang))
                buf_printf(b, strcmp(lang, "zh") == 0 ? "（%s）" : " (%s)",
                           catalog_text(note, lang));
            int count = (int)json_integer_value(json_object_get(m, "count"));
            if (count > 1)
                buf_printf(b, " ×%d", count);
            buf_puts(b, "\n");
        }
    } else if (strcmp(section, "conditions") == 0) {
        buf_puts(b, catalog_text(json_object_get(item, "conditions"), lang));
    } else if (strcmp(section, "fee") == 0) {
        const json_t *fee = json_object_get(item, "fee");
        json_int_t fen = json_integer_value(json_object_get(fee, "fen"));
        if (fen == 0)
            buf_puts(b, word("free", lang));
        else
            buf_printf(b, "%lld.%02lld %s", (long long)(fen / 100), (long long)(fen % 100),
                       word("yuan", lang));
        const json_t *basis = json_object_get(fee, "basis");
        if (basis != NULL)
            buf_printf(b, " %s", catalog_text(basis, lang));
    } else if (strcmp(section, "steps") == 0) {
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(item, "steps"), i, s)
        {
            buf_printf(b, "%zu. %s\n", i + 1, catalog_text(s, lang));
        }
    } else {
        const json_t *tl = json_object_get(item, "time_limit");
        buf_printf(b, "%s %lld %s; %s %lld %s", policy_section_label("time_limit", lang),
                   (long long)json_integer_value(json_object_get(tl, "legal_days")),
                   word("days", lang), word("promised", lang),
                   (long long)json_integer_value(json_object_get(tl, "promised_days")),
                   word("days", lang));
    }
}

json_t *policy_guide_lines(struct policy *p, const char *code, const char *section,
                           const char *lang)
{
    json_t *item = NULL, *lines = json_array();
    struct err err;
    if (catalog_item_published(p->store, code, &item, &err) < 0)
        return lines;
    struct buf b;
    buf_init(&b, SEARCH_MAX_BODY);
    section_text(&b, item, section, lang);
    json_decref(item);
    for (char *line = b.data, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        /* The passage numbers its materials and steps ("1. ..."): a page lists them itself. */
        char *text = line;
        while (*text >= '0' && *text <= '9')
            text++;
        text = text > line && text[0] == '.' && text[1] == ' ' ? text + 2 : line;
        if (*text != '\0')
            json_array_append_new(lines, json_pack("{s:s}", "text", text));
    }
    buf_free(&b);
    return lines;
}

static int index_item(struct policy *p, const json_t *item, int *n, struct err *err)
{
    static const char *const langs[] = {"zh", "bo", "en"};
    const char *code = json_string_value(json_object_get(item, "code"));
    const json_t *name = json_object_get(item, "name");
    for (size_t l = 0; l < 3; l++) {
        for (size_t s = 0; s < NSECTIONS; s++) {
            struct buf body, title;
            buf_init(&body, SEARCH_MAX_BODY);
            buf_init(&title, SEARCH_MAX_TITLE);
            buf_printf(&title, "%s · %s", catalog_text(name, langs[l]),
                       policy_section_label(sections[s].section, langs[l]));
            section_text(&body, item, sections[s].section, langs[l]);
            char ref[128];
            snprintf(ref, sizeof(ref), "%s.%s.%s", code, sections[s].section, langs[l]);
            struct search_doc sd = {.kind = POLICY_KIND_GUIDE,
                                    .lang = langs[l],
                                    .title = title.data ? title.data : code,
                                    .body = body.data ? body.data : "",
                                    .tag = sections[s].section,
                                    .ref = ref,
                                    .updated_at_ms = time_now_ms(),
                                    /* Not on the public search page, which lists the
                                     * service itself once (ask.c searches them). */
                                    .visibility = SEARCH_STAFF};
            int rc = search_put(p->search, &sd, err);
            buf_free(&body);
            buf_free(&title);
            if (rc < 0)
                return -1;
            (*n)++;
        }
    }
    return 0;
}

int policy_index_guides(struct policy *p, int *n, struct err *err)
{
    json_t *items = NULL;
    *n = 0;
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL || catalog_list(p->store, NULL, &items, err) < 0)
        return -1;
    if (store_begin(c, err) < 0)
        goto fail;
    if (search_delete_kind(p->search, POLICY_KIND_GUIDE, NULL, err) < 0)
        goto rollback;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_t *item = NULL;
        const char *code = json_string_value(json_object_get(it, "code"));
        if (code == NULL || catalog_item_published(p->store, code, &item, err) < 0)
            goto rollback;
        int rc = index_item(p, item, n, err);
        json_decref(item);
        if (rc < 0)
            goto rollback;
    }
    if (store_commit(c, err) < 0)
        goto rollback;
    json_decref(items);
    return 0;
rollback:
    store_rollback(c);
fail:
    json_decref(items);
    return -1;
}
