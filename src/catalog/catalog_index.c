/*
 * catalog_index.c - the catalog in the platform's search: every published
 * item and every bundle is a search document, so that 护照, 婚姻, "marriage" or གཉེན་སྒྲིག
 * find the service. The catalog does not include the search module's header: wiring gives
 * its handle a `struct catalog_indexer` (catalog_set_indexer), as the hotline's hooks do.
 *
 * A document holds the names as titles (every language is matched as the title, the
 * reader's is shown) and, as its text, per language: the name, the aliases, the conditions
 * and the names of the materials; then the code. It is written in the same transaction as
 * the change that publishes, supersedes or retires the item (import, publish, retire), so
 * the index never disagrees with the catalog. catalog_index_ensure rebuilds it once for a
 * database whose catalog was published before this existed, or whose document format
 * changed (CATALOG_INDEX_FORMAT), and `onewindow catalog reindex` on demand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/id.h"
#include "catalog/catalog_internal.h"
#include "store/store.h"

/* Bump when what a document holds changes: the next start rebuilds the index. 2: a bo name
 * that is a copy of the zh or en one, or not Tibetan, is no title (catalog_lang.c). */
#define CATALOG_INDEX_FORMAT 2
/* platform_meta key: the format the index was last rebuilt with. */
#define INDEX_META "catalog_search_format"
/* A title and a text are cut to these (the search module's limits are 1,000 and 256 KiB). */
#define TITLE_MAX_BYTES 900
#define TEXT_MAX_BYTES (200 * 1024)

/* The indexer is set once at start-up before any catalog change (wiring). */
void catalog_set_indexer(struct catalog *cat, const struct catalog_indexer *ix)
{
    if (ix != NULL)
        cat->ix = *ix;
    else
        memset(&cat->ix, 0, sizeof(cat->ix));
}

/* The longest prefix of s of at most max bytes that ends at a character boundary. */
static size_t utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* The names {zh, bo, en} cut to TITLE_MAX_BYTES each (new reference); a bo name that does
 * not count is left out, so a Tibetan reader sees the zh one marked as such. */
static json_t *titles_of(const json_t *name)
{
    json_t *t = json_object();
    const char *lang;
    json_t *v;
    json_object_foreach((json_t *)name, lang, v)
    {
        const char *s = json_string_value(v);
        if (strcmp(lang, "bo") == 0 && !catalog_bo_usable(name))
            continue;
        if (s != NULL && *s != '\0')
            json_object_set_new(t, lang, json_stringn(s, utf8_cut(s, TITLE_MAX_BYTES)));
    }
    return t;
}

/* Append a localised text's `lang` version, with a separator, unless it is empty. */
static void put_text(struct buf *b, const json_t *loc, const char *lang)
{
    const char *s = json_string_value(json_object_get(loc, lang));
    if (s == NULL || *s == '\0')
        return;
    if (b->len > 0)
        buf_puts(b, " · ");
    buf_puts(b, s);
}

static const char *const LANGS[] = {"zh", "bo", "en"};

/* The searchable text of an item: per language its name, aliases, conditions and material
 * names; then its code. */
static void item_text(struct buf *b, const json_t *item)
{
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        json_t *v;
        put_text(b, json_object_get(item, "name"), LANGS[l]);
        json_array_foreach(json_object_get(item, "aliases"), i, v) put_text(b, v, LANGS[l]);
        put_text(b, json_object_get(item, "conditions"), LANGS[l]);
        json_array_foreach(json_object_get(item, "materials"), i, v)
            put_text(b, json_object_get(v, "name"), LANGS[l]);
    }
    if (b->len > 0)
        buf_puts(b, " · ");
    buf_puts(b, json_string_value(json_object_get(item, "code")));
}

static int put_doc(struct catalog *cat, const char *kind, const json_t *doc, struct buf *text,
                   struct err *err)
{
    const char *code = json_string_value(json_object_get(doc, "code"));
    json_t *titles = titles_of(json_object_get(doc, "name"));
    const char *zh = json_string_value(json_object_get(titles, "zh"));
    if (titles == NULL || zh == NULL || text->data == NULL) {
        json_decref(titles);
        return err_set(err, 500, "catalog.oom", "out of memory indexing %s", code);
    }
    text->data[utf8_cut(text->data, TEXT_MAX_BYTES)] = '\0';
    struct catalog_doc d = {kind, code, zh, titles, text->data, time_now_ms()};
    int rc = cat->ix.put(cat->ix.ctx, &d, err);
    json_decref(titles);
    return rc;
}

int catalog_index_item(struct catalog *cat, const json_t *item, struct err *err)
{
    if (cat->ix.put == NULL)
        return 0;
    struct buf b;
    buf_init(&b, 2 * TEXT_MAX_BYTES);
    item_text(&b, item);
    int rc = put_doc(cat, CATALOG_KIND_ITEM, item, &b, err);
    buf_free(&b);
    return rc;
}

int catalog_unindex_item(struct catalog *cat, const char *code, struct err *err)
{
    return cat->ix.remove == NULL ? 0 : cat->ix.remove(cat->ix.ctx, CATALOG_KIND_ITEM, code, err);
}

int catalog_index_bundle(struct catalog *cat, struct store_conn *c, const json_t *bundle,
                         struct err *err)
{
    if (cat->ix.put == NULL)
        return 0;
    /* A bundle is found by its own name and by the names of its items. */
    struct buf b;
    buf_init(&b, 2 * TEXT_MAX_BYTES);
    json_t *names = json_array();
    size_t i;
    json_t *v;
    int rc = -1;
    json_array_foreach(json_object_get(bundle, "items"), i, v)
    {
        struct catalog_row r;
        int found;
        if (catalog_store_get(c, json_string_value(v), 0, "published", &r, &found, err) < 0)
            goto out;
        if (!found)
            continue;
        json_t *doc = json_loads(r.doc, 0, NULL);
        catalog_row_clear(&r);
        if (doc != NULL)
            json_array_append(names, json_object_get(doc, "name"));
        json_decref(doc);
    }
    for (size_t l = 0; l < 3; l++) {
        put_text(&b, json_object_get(bundle, "name"), LANGS[l]);
        json_array_foreach(names, i, v) put_text(&b, v, LANGS[l]);
    }
    if (b.len > 0)
        buf_puts(&b, " · ");
    buf_puts(&b, json_string_value(json_object_get(bundle, "code")));
    rc = put_doc(cat, CATALOG_KIND_BUNDLE, bundle, &b, err);
out:
    json_decref(names);
    buf_free(&b);
    return rc;
}

/* ---- rebuilding ------------------------------------------------------------------------- */

struct reindex_ctx {
    struct catalog *cat;
    int items;
    struct err *err;
    int failed;
};

static int reindex_row(const struct catalog_row *r, const char *name_zh, const char *dept,
                       void *vctx)
{
    struct reindex_ctx *x = vctx;
    json_t *doc = json_loads(r->doc, 0, NULL);
    int rc = doc == NULL ? err_set(x->err, 500, "catalog.bad_data",
                                   "the stored item %s is not "
                                   "JSON",
                                   r->code)
                         : catalog_index_item(x->cat, doc, x->err);
    json_decref(doc);
    if (rc < 0) {
        x->failed = 1;
        return 1;
    }
    x->items++;
    return 0;
}

/* Rebuild inside the caller's transaction. */
static int reindex_in_tx(struct catalog *cat, struct store_conn *c, int *items, int *bundles,
                         struct err *err)
{
    struct reindex_ctx x = {cat, 0, err, 0};
    json_t *all = json_array();
    int rc = -1;
    *items = *bundles = 0;
    if (cat->ix.clear(cat->ix.ctx, CATALOG_KIND_ITEM, err) < 0 ||
        cat->ix.clear(cat->ix.ctx, CATALOG_KIND_BUNDLE, err) < 0)
        goto out;
    if (catalog_store_each_published(c, reindex_row, &x, err) < 0 || x.failed)
        goto out;
    if (catalog_store_bundles(c, all, err) < 0)
        goto out;
    size_t i;
    json_t *b;
    json_array_foreach(all, i, b)
    {
        if (catalog_index_bundle(cat, c, b, err) < 0)
            goto out;
        (*bundles)++;
    }
    *items = x.items;
    rc = store_meta_set_int64(c, INDEX_META, CATALOG_INDEX_FORMAT, err);
out:
    json_decref(all);
    return rc;
}

int catalog_reindex(struct catalog *cat, int *items, int *bundles, struct err *err)
{
    struct store *st = cat->st;
    *items = *bundles = 0;
    if (cat->ix.put == NULL || cat->ix.clear == NULL)
        return err_set(err, 500, "catalog.no_index", "the catalog is not connected to search");
    struct store_conn *c = store_conn(st, err);
    if (c == NULL || store_begin(c, err) < 0)
        return -1;
    if (reindex_in_tx(cat, c, items, bundles, err) < 0 || store_commit(c, err) < 0) {
        store_rollback(c);
        *items = *bundles = 0;
        return -1;
    }
    return 0;
}

int catalog_index_ensure(struct catalog *cat, int *rebuilt, struct err *err)
{
    struct store *st = cat->st;
    *rebuilt = 0;
    struct store_conn *c = store_conn(st, err);
    int64_t format = 0;
    int found = 0, items, bundles;
    if (c == NULL || store_meta_get_int64(c, INDEX_META, &format, &found, err) < 0)
        return -1;
    if (found && format == CATALOG_INDEX_FORMAT)
        return 0;
    if (catalog_reindex(cat, &items, &bundles, err) < 0)
        return -1;
    *rebuilt = items + bundles;
    return 0;
}

int catalog_find(struct catalog *cat, const char *kind, const char *q, int limit, json_t **codes,
                 struct err *err)
{
    if (cat->ix.find == NULL) {
        *codes = json_array();
        return 0;
    }
    return cat->ix.find(cat->ix.ctx, kind, q, limit, codes, err);
}
