/*
 * i18n.h - the message catalogs (web/i18n/LANG/NAME.json, one file per module, compiled into the
 * binary) and the choice of a request's language.
 *
 * zh is the default and the reference catalog: bo and en are laid over zh, so a key missing in
 * a translation shows the Chinese text rather than a blank or a key name. That fallback is
 * never silent: the merged catalog of bo or en holds zh's own value for a missing key, so
 * i18n_is_fallback() can tell it apart by identity, and the responder marks it lang="zh" on the
 * page and counts it (onewindow_i18n_fallback_total in /metrics; docs/internals/i18n.md).
 * Catalogs are nested JSON objects; a key is a dotted path ("divisions.title"). After
 * i18n_init they are read-only and shared by all threads.
 */
#ifndef ONEWINDOW_WEB_I18N_H
#define ONEWINDOW_WEB_I18N_H

#include <jansson.h>
#include <stdint.h>

#include "base/err.h"

#define I18N_NLANGS 3

/* Load and merge the embedded catalogs. 0, or -1 with err if one is missing or invalid. */
int i18n_init(struct err *err);
/* The same from the files DIR/{zh,bo,en}/NAME.json on disk instead of the embedded files (serve
 * --i18n-dir: a translator sees an imported PO file without a rebuild; tests drop a key).
 * The directory is remembered (i18n_dir). */
int i18n_init_dir(const char *dir, struct err *err);
void i18n_free(void);
/* The directory the catalogs came from, or NULL for the built-in ones. */
const char *i18n_dir(void);

/* Each catalog file of `lang` in merge order (by name), from the embedded files (dir NULL) or
 * from DIR/LANG/: fn(name without ".json", bytes, length, ctx). A non-zero return from fn
 * stops and is returned; -1 with err when the directory cannot be read. The bytes live only
 * for the call. */
typedef int (*i18n_file_fn)(const char *name, const char *data, size_t len, void *ctx);
int i18n_each_file(const char *dir, const char *lang, i18n_file_fn fn, void *ctx, struct err *err);

/* "zh", "bo", "en" -> the canonical code (static), or NULL if not supported. */
const char *i18n_lang(const char *code);
/* The language to use from, in order: an explicit choice (?lang=), the cookie, and the
 * Accept-Language header (q-values honoured; "bo-CN" counts as bo). Any may be NULL. */
const char *i18n_negotiate(const char *explicit_choice, const char *cookie,
                           const char *accept_language);

/* The merged catalog of a language (borrowed; lives until i18n_free). */
json_t *i18n_catalog(const char *lang);
/* The value at dotted `key` ("errors.status.404") in the catalog-shaped object `node`
 * (borrowed), or NULL; a part of the key longer than I18N_KEY_PART_MAX - 1 finds nothing. */
#define I18N_KEY_PART_MAX 512
json_t *i18n_at(json_t *node, const char *key);
/* The message for a dotted key, or NULL. */
const char *i18n_get(const char *lang, const char *key);
/* The same, and *fell_back (may be NULL) = 1 when `lang` has no such message and the
 * returned text is zh's. */
const char *i18n_lookup(const char *lang, const char *key, int *fell_back);
/* Is `v` a value of i18n_catalog(lang) that lang lacks, i.e. zh's text shown instead? By
 * identity: a copy of the string is not recognised. Always 0 for zh. */
int i18n_is_fallback(const char *lang, const json_t *v);
/* The fallback counter per language (onewindow_i18n_fallback_total{lang}): add one, read. */
void i18n_count_fallback(const char *lang);
uint64_t i18n_fallback_total(const char *lang);
/* Every supported language code, in switcher order. */
extern const char *const i18n_langs[I18N_NLANGS];

#endif
