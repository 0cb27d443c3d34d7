/* i18n.c - catalogs and language negotiation; see i18n.h. */
#include "web/i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/embed.h"

const char *const i18n_langs[I18N_NLANGS] = {"zh", "bo", "en"};
static json_t *catalogs[I18N_NLANGS];

static int merge(json_t *base, json_t *over);

/* A language's catalog: every web/i18n/LANG/NAME.json merged (one file per module, so
 * modules add their messages without touching each other's files). */
static json_t *load(const char *lang, struct err *err)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "web/i18n/%s/", lang);
    json_t *all = json_object();
    size_t files = 0;
    for (size_t i = embed_first(prefix);
         all != NULL && i < embed_count && strncmp(embed_files[i].path, prefix, strlen(prefix)) == 0;
         i++) {
        const struct embed_file *f = &embed_files[i];
        json_error_t je;
        json_t *j = json_loadb((const char *)f->data, f->len, 0, &je);
        if (j == NULL || !json_is_object(j)) {
            err_set(err, 500, "i18n.invalid",
                    "the message catalog %s is not a JSON object (line %d: %s)", f->path,
                    je.line, je.text);
            json_decref(j);
            json_decref(all);
            return NULL;
        }
        int rc = merge(all, j);
        json_decref(j);
        if (rc < 0) {
            json_decref(all);
            all = NULL;
        }
        files++;
    }
    if (all == NULL) {
        err_set(err, 500, "i18n.invalid", "out of memory loading the catalogs");
        return NULL;
    }
    if (files == 0) {
        json_decref(all);
        err_set(err, 500, "i18n.missing", "no message catalog for %s is in the binary", lang);
        return NULL;
    }
    return all;
}

/* Lay `over` onto `base` recursively (objects merge, other values replace). */
static int merge(json_t *base, json_t *over)
{
    const char *k;
    json_t *v;
    json_object_foreach(over, k, v)
    {
        json_t *b = json_object_get(base, k);
        if (json_is_object(b) && json_is_object(v)) {
            if (merge(b, v) < 0)
                return -1;
        } else if (json_object_set(base, k, v) < 0) {
            return -1;
        }
    }
    return 0;
}

int i18n_init(struct err *err)
{
    json_t *zh = load("zh", err);
    if (zh == NULL)
        return -1;
    catalogs[0] = zh;
    for (int i = 1; i < I18N_NLANGS; i++) {
        json_t *t = load(i18n_langs[i], err);
        json_t *merged = json_deep_copy(zh);
        if (t == NULL || merged == NULL || merge(merged, t) < 0) {
            json_decref(t);
            json_decref(merged);
            i18n_free();
            return -1;
        }
        json_decref(t);
        catalogs[i] = merged;
    }
    return 0;
}

void i18n_free(void)
{
    for (int i = 0; i < I18N_NLANGS; i++) {
        json_decref(catalogs[i]);
        catalogs[i] = NULL;
    }
}

const char *i18n_lang(const char *code)
{
    if (code == NULL)
        return NULL;
    for (int i = 0; i < I18N_NLANGS; i++)
        if (strcmp(code, i18n_langs[i]) == 0)
            return i18n_langs[i];
    return NULL;
}

/* The supported language an Accept-Language range names ("bo", "bo-CN", "zh-Hans-CN",
 * "en-GB"), or NULL. */
static const char *range_lang(const char *s, size_t n)
{
    for (int i = 0; i < I18N_NLANGS; i++) {
        size_t l = strlen(i18n_langs[i]);
        if (n >= l && strncasecmp(s, i18n_langs[i], l) == 0 && (n == l || s[l] == '-'))
            return i18n_langs[i];
    }
    return NULL;
}

const char *i18n_negotiate(const char *explicit_choice, const char *cookie,
                           const char *accept_language)
{
    const char *l;
    if ((l = i18n_lang(explicit_choice)) != NULL)
        return l;
    if ((l = i18n_lang(cookie)) != NULL)
        return l;
    if (accept_language == NULL)
        return i18n_langs[0];
    /* RFC 9110 §12.5.4: the highest q wins; among equals, the first listed. */
    const char *best = NULL;
    double best_q = 0.0;
    const char *p = accept_language;
    int guard = 0;
    while (*p != '\0' && guard++ < 32) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ';' && *p != ',' && *p != ' ')
            p++;
        size_t n = (size_t)(p - start);
        double q = 1.0;
        while (*p == ' ')
            p++;
        if (*p == ';') {
            const char *qs = strstr(p, "q=");
            const char *comma = strchr(p, ',');
            if (qs != NULL && (comma == NULL || qs < comma))
                q = strtod(qs + 2, NULL);
            p = comma ? comma : p + strlen(p);
        }
        const char *lang = range_lang(start, n);
        if (lang != NULL && q > best_q) {
            best = lang;
            best_q = q;
        }
        if (n == 0 && *p != ',')
            break;
    }
    return best ? best : i18n_langs[0];
}

json_t *i18n_catalog(const char *lang)
{
    for (int i = 0; i < I18N_NLANGS; i++)
        if (lang == i18n_langs[i] || strcmp(lang, i18n_langs[i]) == 0)
            return catalogs[i];
    return catalogs[0];
}

const char *i18n_get(const char *lang, const char *key)
{
    json_t *node = i18n_catalog(lang);
    char part[128];
    const char *p = key;
    while (node != NULL && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof(part))
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        node = json_object_get(node, part);
        p += n;
        if (*p == '.')
            p++;
    }
    return json_string_value(node);
}
