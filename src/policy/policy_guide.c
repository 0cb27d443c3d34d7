/*
 * policy_guide.c - the service guides as passages for Q&A: each published catalog item's
 * materials, conditions, fee, steps and time limit, one passage per section and language
 * (kind "guide", ref CODE.SECTION.LANG). A passage is titled "item name · section name" so
 * that a question naming the section (材料, ཡིག་ཆ, materials) finds that section of that item.
 *
 * They are few (24 demo items make 360) and change only when the catalog does, so they are
 * kept in memory, rebuilt when catalog_version changes, and matched by substring in ask.c:
 * as search documents they would either crowd the public search page (fifteen hits per
 * service) or, kept from it as staff documents, cost a filtered full-text query per term
 * that walks every match of a common term (measured: CPU p50 of a question 4.8 -> 27.6 ms
 * over 100,000 passages). A set is shared by the threads asking, reference-counted.
 *
 * The section names are the catalog guide's own headings (web/i18n/{zh,bo,en}/catalog.json
 * catalog.materials etc.), copied here because indexing runs without a request (and in
 * commands that load no catalogs); policy_test checks that they still agree.
 */
#include "policy/policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
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

/* Split a passage's text into lines [{text}], without the numbers it gives its materials and
 * steps ("1. ..."): a page lists them itself. */
static json_t *lines_of(const char *body)
{
    json_t *lines = json_array();
    char *copy = strdup(body);
    for (char *line = copy, *next; line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        char *text = line;
        while (*text >= '0' && *text <= '9')
            text++;
        text = text > line && text[0] == '.' && text[1] == ' ' ? text + 2 : line;
        if (*text != '\0')
            json_array_append_new(lines, json_pack("{s:s}", "text", text));
    }
    free(copy);
    return lines;
}

void guide_set_release(struct guide_set *g)
{
    if (g == NULL)
        return;
    pthread_mutex_lock(&g->lock);
    int last = --g->refs == 0;
    pthread_mutex_unlock(&g->lock);
    if (!last)
        return;
    for (size_t i = 0; i < g->n; i++) {
        free(g->v[i].low);
        json_decref(g->v[i].hit);
    }
    free(g->v);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* One passage: a hit as search would give it (kind, ref, title, lang, tag) with the
 * section's text and lines, and the text lower-cased for matching. */
static int add_passage(struct guide_set *g, const char *ref, const char *section, const char *lang,
                       const char *title, const char *body)
{
    struct guide_passage *gp = &g->v[g->n];
    gp->hit = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[],s:f,s:o}", "kind", POLICY_KIND_GUIDE,
                        "ref", ref, "title", title, "title_lang", lang, "lang", lang, "tag",
                        section, "body", body, "snippet", "score", 0.0, "lines", lines_of(body));
    gp->title_len = strlen(title);
    gp->low = malloc(gp->title_len + strlen(body) + 2);
    if (gp->hit == NULL || gp->low == NULL) {
        json_decref(gp->hit);
        free(gp->low);
        return -1;
    }
    sprintf(gp->low, "%s\n%s", title, body);
    for (char *x = gp->low; *x; x++)
        if (*x >= 'A' && *x <= 'Z')
            *x = (char)(*x + 32);
    g->n++;
    return 0;
}

static int add_item(struct guide_set *g, size_t *cap, const json_t *item)
{
    static const char *const langs[] = {"zh", "bo", "en"};
    const char *code = json_string_value(json_object_get(item, "code"));
    const json_t *name = json_object_get(item, "name");
    for (size_t l = 0; l < 3; l++) {
        for (size_t s = 0; s < NSECTIONS; s++) {
            if (g->n == *cap) {
                size_t nc = *cap ? *cap * 2 : 256;
                struct guide_passage *v = realloc(g->v, nc * sizeof(*v));
                if (v == NULL)
                    return -1;
                g->v = v;
                *cap = nc;
            }
            struct buf body, title;
            buf_init(&body, SEARCH_MAX_BODY);
            buf_init(&title, SEARCH_MAX_TITLE);
            buf_printf(&title, "%s · %s", catalog_text(name, langs[l]),
                       policy_section_label(sections[s].section, langs[l]));
            section_text(&body, item, sections[s].section, langs[l]);
            char ref[128];
            snprintf(ref, sizeof(ref), "%s.%s.%s", code, sections[s].section, langs[l]);
            int rc = add_passage(g, ref, sections[s].section, langs[l],
                                 title.data ? title.data : code, body.data ? body.data : "");
            buf_free(&body);
            buf_free(&title);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

static struct guide_set *build_set(struct policy *p, int64_t version, struct err *err)
{
    json_t *items = NULL;
    struct guide_set *g = calloc(1, sizeof(*g));
    size_t cap = 0;
    if (g == NULL) {
        err_set(err, 500, "policy.oom", "out of memory");
        return NULL;
    }
    pthread_mutex_init(&g->lock, NULL);
    g->refs = 1;
    g->version = version;
    if (catalog_list(p->store, NULL, &items, err) < 0)
        goto fail;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_t *item = NULL;
        const char *code = json_string_value(json_object_get(it, "code"));
        if (code == NULL || catalog_item_published(p->store, code, &item, err) < 0)
            goto fail;
        int rc = add_item(g, &cap, item);
        json_decref(item);
        if (rc < 0) {
            err_set(err, 500, "policy.oom", "out of memory");
            goto fail;
        }
    }
    json_decref(items);
    return g;
fail:
    json_decref(items);
    guide_set_release(g);
    return NULL;
}

struct guide_set *policy_guides(struct policy *p, struct err *err)
{
    int64_t version = catalog_version(p->store);
    pthread_mutex_lock(&p->lock);
    struct guide_set *g = p->guides;
    if (g != NULL && g->version == version) {
        pthread_mutex_lock(&g->lock);
        g->refs++;
        pthread_mutex_unlock(&g->lock);
        pthread_mutex_unlock(&p->lock);
        return g;
    }
    pthread_mutex_unlock(&p->lock);
    /* Built outside the lock (it reads the store); two threads may both build, and the
     * later one replaces the earlier: both sets are right. */
    if ((g = build_set(p, version, err)) == NULL)
        return NULL;
    g->refs++; /* the caller's; the first is the cache's */
    pthread_mutex_lock(&p->lock);
    struct guide_set *old = p->guides;
    p->guides = g;
    pthread_mutex_unlock(&p->lock);
    guide_set_release(old);
    return g;
}

int policy_index_guides(struct policy *p, int *n, struct err *err)
{
    *n = 0;
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL)
        return -1;
    /* Guide passages were search documents before they were kept in memory: remove any. */
    if (store_begin(c, err) < 0)
        return -1;
    if (search_delete_kind(p->search, POLICY_KIND_GUIDE, NULL, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    struct guide_set *g = policy_guides(p, err);
    if (g == NULL)
        return -1;
    *n = (int)g->n;
    guide_set_release(g);
    return 0;
}
