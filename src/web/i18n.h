/*
 * i18n.h - the message catalogs (web/i18n/LANG/NAME.json, one file per module, compiled into the
 * binary) and the choice of a request's language.
 *
 * zh is the default and the reference catalog: bo and en are laid over a copy of zh, so a
 * key missing in a translation shows the Chinese text rather than a blank or a key name.
 * Catalogs are nested JSON objects; a key is a dotted path ("divisions.title"). After
 * i18n_init they are read-only and shared by all threads.
 */
#ifndef ONEWINDOW_WEB_I18N_H
#define ONEWINDOW_WEB_I18N_H

#include <jansson.h>

#include "base/err.h"

#define I18N_NLANGS 3

/* Load and merge the embedded catalogs. 0, or -1 with err if one is missing or invalid. */
int i18n_init(struct err *err);
void i18n_free(void);

/* "zh", "bo", "en" -> the canonical code (static), or NULL if not supported. */
const char *i18n_lang(const char *code);
/* The language to use from, in order: an explicit choice (?lang=), the cookie, and the
 * Accept-Language header (q-values honoured; "bo-CN" counts as bo). Any may be NULL. */
const char *i18n_negotiate(const char *explicit_choice, const char *cookie,
                           const char *accept_language);

/* The merged catalog of a language (borrowed; lives until i18n_free). */
json_t *i18n_catalog(const char *lang);
/* The message for a dotted key, or NULL. */
const char *i18n_get(const char *lang, const char *key);
/* Every supported language code, in switcher order. */
extern const char *const i18n_langs[I18N_NLANGS];

#endif
