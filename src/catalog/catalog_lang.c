/*
 * catalog_lang.c - Tibetan as a peer language in the catalog: what a
 * published item must carry in bo, and which bo text counts.
 *
 * A bo text counts when it is not empty, holds at least one character of the Tibetan block
 * (U+0F00..U+0FFF, the rule tests/unit/i18n_test.c applies to the message catalogs) and is not
 * a copy of the item's zh or en text: a copy is a missing translation, never a translation.
 *
 * Every person-facing text of an item needs one: the name, each alias, the conditions, the
 * legal basis, each material's name and note (when it has a note), the fee basis (when it has
 * one), each step, the contact address, each window's name, address and hours, and each form
 * field's label, help (when it has help) and option labels. A bundle needs its name.
 * catalog_item_check and catalog_bundle_check (publication, import) refuse an item or a
 * bundle that lacks any, naming every path at once ("$.materials[1].note.bo"); a draft may
 * lack them (catalog_item_check_draft), and the editor lists what is still missing.
 *
 * At run time a bo text that does not count is shown as missing: catalog_text gives the zh
 * text and catalog_text_lang says "zh", so pages mark it lang="zh" (an old published version
 * written before this rule). Both are at the end of this file.
 */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_internal.h"

/* Does s hold a character of the Tibetan block (U+0F00..U+0FFF: E0 BC 80 .. E0 BF BF)? */
static int has_tibetan(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p[0] != '\0'; p++)
        if (p[0] == 0xE0 && p[1] >= 0xBC && p[1] <= 0xBF)
            return 1;
    return 0;
}

/* Equal once the surrounding ASCII blanks are ignored (a copy with a trailing space is a
 * copy). */
static int same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    size_t na = strlen(a), nb = strlen(b);
    while (na > 0 && (*a == ' ' || *a == '\t' || *a == '\n'))
        a++, na--;
    while (nb > 0 && (*b == ' ' || *b == '\t' || *b == '\n'))
        b++, nb--;
    while (na > 0 && (a[na - 1] == ' ' || a[na - 1] == '\t' || a[na - 1] == '\n'))
        na--;
    while (nb > 0 && (b[nb - 1] == ' ' || b[nb - 1] == '\t' || b[nb - 1] == '\n'))
        nb--;
    return na == nb && memcmp(a, b, na) == 0;
}

/* Why the bo text of `loc` does not count: NULL when it does, else the problem's code. */
static const char *bo_fault(const json_t *loc)
{
    const char *bo = json_string_value(json_object_get(loc, "bo"));
    if (bo == NULL || *bo == '\0')
        return "catalog.check.bo_missing";
    if (same_text(bo, json_string_value(json_object_get(loc, "zh"))) ||
        same_text(bo, json_string_value(json_object_get(loc, "en"))))
        return "catalog.check.bo_copy";
    if (!has_tibetan(bo))
        return "catalog.check.bo_not_tibetan";
    return NULL;
}

int catalog_bo_usable(const json_t *localised)
{
    return json_is_object(localised) && bo_fault(localised) == NULL;
}

/* ---- the publication rule ---------------------------------------------------------------- */

struct bo_chk {
    json_t *problems;
    int n;
};

/* The localised text at `path` (a JSON path without ".bo"). Absent or not an object: nothing
 * to translate here (the shape check reports a missing required text). */
static void need_bo(struct bo_chk *k, const json_t *loc, const char *path)
{
    if (!json_is_object(loc))
        return;
    const char *code = bo_fault(loc);
    if (code == NULL)
        return;
    const char *msg = strcmp(code, "catalog.check.bo_missing") == 0 ? "the Tibetan text is missing"
                      : strcmp(code, "catalog.check.bo_copy") == 0
                          ? "the Tibetan text is a copy of the Chinese or English text"
                          : "the Tibetan text has no Tibetan letter";
    char p[512];
    snprintf(p, sizeof p, "%s.bo", path);
    k->n++;
    if (k->problems != NULL && json_array_size(k->problems) < 500)
        json_array_append_new(
            k->problems, json_pack("{s:s, s:s, s:s}", "path", p, "code", code, "message", msg));
}

/* need_bo for each element of an array of texts, or for a key of each element. */
static void need_bo_each(struct bo_chk *k, const json_t *list, const char *key, const char *path)
{
    size_t i;
    const json_t *v;
    char p[512];
    json_array_foreach((json_t *)list, i, v)
    {
        if (key == NULL) {
            snprintf(p, sizeof p, "%s[%zu]", path, i);
            need_bo(k, v, p);
        } else {
            snprintf(p, sizeof p, "%s[%zu].%s", path, i, key);
            need_bo(k, json_object_get(v, key), p);
        }
    }
}

int catalog_item_check_bo(const json_t *item, json_t *problems)
{
    struct bo_chk k = {problems, 0};
    char p[512];
    size_t i;
    const json_t *v;
    if (!json_is_object(item))
        return 0;
    need_bo(&k, json_object_get(item, "name"), "$.name");
    need_bo_each(&k, json_object_get(item, "aliases"), NULL, "$.aliases");
    need_bo(&k, json_object_get(item, "conditions"), "$.conditions");
    json_array_foreach(json_object_get(item, "materials"), i, v)
    {
        snprintf(p, sizeof p, "$.materials[%zu].name", i);
        need_bo(&k, json_object_get(v, "name"), p);
        snprintf(p, sizeof p, "$.materials[%zu].note", i);
        need_bo(&k, json_object_get(v, "note"), p);
    }
    need_bo_each(&k, json_object_get(item, "steps"), NULL, "$.steps");
    need_bo(&k, json_object_get(json_object_get(item, "contact"), "address"), "$.contact.address");
    json_array_foreach(json_object_get(item, "windows"), i, v)
    {
        static const char *const keys[] = {"name", "address", "hours"};
        for (size_t j = 0; j < 3; j++) {
            snprintf(p, sizeof p, "$.windows[%zu].%s", i, keys[j]);
            need_bo(&k, json_object_get(v, keys[j]), p);
        }
    }
    need_bo(&k, json_object_get(json_object_get(item, "fee"), "basis"), "$.fee.basis");
    need_bo(&k, json_object_get(item, "legal_basis"), "$.legal_basis");
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, v)
    {
        snprintf(p, sizeof p, "$.form.fields[%zu].label", i);
        need_bo(&k, json_object_get(v, "label"), p);
        snprintf(p, sizeof p, "$.form.fields[%zu].help", i);
        need_bo(&k, json_object_get(v, "help"), p);
        snprintf(p, sizeof p, "$.form.fields[%zu].options", i);
        need_bo_each(&k, json_object_get(v, "options"), "label", p);
    }
    return k.n;
}

int catalog_bundle_check_bo(const json_t *bundle, json_t *problems)
{
    struct bo_chk k = {problems, 0};
    if (json_is_object(bundle))
        need_bo(&k, json_object_get(bundle, "name"), "$.name");
    return k.n;
}

/* ---- a text in the reader's language ------------------------------------------------------ */

const char *catalog_text_lang(const json_t *localised, const char *lang)
{
    if (!json_is_object(localised) || lang == NULL || strcmp(lang, "zh") == 0)
        return "zh";
    /* A Tibetan text that is a copy of another language's, or not Tibetan, is missing. */
    if (strcmp(lang, "bo") == 0)
        return catalog_bo_usable(localised) ? "bo" : "zh";
    const char *s = json_string_value(json_object_get(localised, lang));
    return s != NULL && *s != '\0' ? lang : "zh";
}

const char *catalog_text(const json_t *localised, const char *lang)
{
    const char *s = NULL;
    if (json_is_object(localised))
        s = json_string_value(json_object_get(localised, catalog_text_lang(localised, lang)));
    else if (json_is_string(localised))
        s = json_string_value(localised);
    return s != NULL ? s : "";
}
