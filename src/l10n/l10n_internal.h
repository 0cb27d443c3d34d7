/*
 * l10n_internal.h - what the files of src/l10n/ share: the catalogs as files (l10n_set.c),
 * the state of every string in a language and the coverage counts (l10n_set.c), the PO
 * writer and reader (l10n_po.c), the import and the in-place JSON edit (l10n_import.c).
 */
#ifndef ONEWINDOW_L10N_INTERNAL_H
#define ONEWINDOW_L10N_INTERNAL_H

#include <jansson.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"
#include "l10n/l10n.h"
#include "web/i18n.h"

struct arena;

/* ---- the catalogs as files ------------------------------------------------------------- */

struct l10n_file {
    char *name; /* "apply" (the module), from apply.json */
    json_t *json;
    char *text; /* the file's bytes as read, for an import's in-place edit */
    size_t len;
    int dirty; /* an import changed `text`: to be written */
};

/* A language's catalog files and its status file (web/i18n/status/LANG.json):
 *   "same":     {key: reason} strings that are rightly the same as zh or en, or have no
 *               Tibetan letter (codes, numbers, names of standards);
 *   "reviewed": {key: {source, text, by, date}} strings a native speaker reviewed; the
 *               review holds while the zh source and the text are still those. */
struct l10n_lang {
    const char *code;
    struct l10n_file *files; /* in merge order (by name) */
    size_t nfiles;
    json_t *merged;   /* every file laid over the previous ones, as i18n.c does */
    json_t *status;   /* the whole status file ({} when there is none) */
    json_t *same;     /* borrowed from status: {key: reason} */
    json_t *reviewed; /* borrowed from status */
};

struct l10n_set {
    char *dir; /* the directory holding zh/, bo/, en/ and status/; NULL: the binary's */
    struct l10n_lang lang[I18N_NLANGS];
};

/* Load every catalog and status file from `dir` (NULL: the files built into the binary).
 * 0, or -1 with err (a file that is not a JSON object, an unreadable directory). */
int l10n_set_load(struct l10n_set *s, const char *dir, struct err *err);
void l10n_set_free(struct l10n_set *s);
/* The language `code` of the set, or NULL. */
struct l10n_lang *l10n_set_lang(struct l10n_set *s, const char *code);
/* The string at dotted `key` in the object `o`, or NULL. */
const char *l10n_string_at(json_t *o, const char *key);

/* ---- the state of every string ---------------------------------------------------------- */

enum l10n_state {
    L10N_TRANSLATED, /* a text of the language's own */
    L10N_MISSING,    /* no text, or an empty one where zh has text */
    L10N_COPIED,     /* zh's or (bo) en's text, or (bo) no Tibetan letter: not a translation */
};
#define L10N_NSTATES 3

struct l10n_entry {
    const char *key;         /* "apply.receipt.title" */
    const char *module;      /* the zh file whose text is in force (the last defining it) */
    const char *source;      /* the zh text */
    const char *text;        /* the language's text, or NULL */
    const char *en;          /* the en text (NULL for en itself) */
    const char *same_reason; /* on the status file's "same" list, or NULL */
    enum l10n_state state;
    int reviewed; /* translated, and reviewed as it now reads */
};

/* Every zh string, in the order of the zh files and their keys (a key two files define
 * once, with the module whose text is in force), with its state in `lang` (not "zh").
 * Strings point into the set and `a`; the array lives in `a`. */
struct l10n_entries {
    const char *lang;
    struct l10n_entry *e;
    size_t n;
};
int l10n_entries_of(struct l10n_set *s, const char *lang, struct arena *a, struct l10n_entries *out,
                    struct err *err);

struct l10n_count {
    const char *module; /* NULL for the total row */
    int total, translated, missing, copied, unreviewed;
};
/* One row per module in order of appearance, then the total row (module NULL); in `a`. */
int l10n_coverage(const struct l10n_entries *es, struct arena *a, struct l10n_count **rows,
                  size_t *n);
const char *l10n_state_name(enum l10n_state st); /* "translated", "missing", "copied" */

/* Does `s` hold a letter of the Tibetan block (U+0F00..U+0FFF)? */
int l10n_has_tibetan(const char *s);
/* Do `text`'s {{name}} placeholders match `source`'s (the same names, as often, in any
 * order)? 1, or 0 with `why` saying which are dropped and which invented. */
int l10n_placeholders_match(const char *source, const char *text, char *why, size_t why_len);

/* ---- gettext PO files -------------------------------------------------------------------- */

/* Write `es` as a PO file (header, then one entry per string) to `f`. */
int l10n_po_write(FILE *f, const struct l10n_entries *es, const char *version, struct err *err);

struct l10n_po_entry {
    const char *ctxt; /* NULL when the entry has no msgctxt */
    const char *id;
    const char *str; /* msgstr, or msgstr[0] of a plural entry */
    int fuzzy;
    int plural; /* has msgid_plural */
    int line;   /* where the entry's msgid is */
};

struct l10n_po {
    const char *language, *translator, *revision_date, *content_type; /* from the header */
    struct l10n_po_entry *e; /* the entries besides the header, obsolete ones left out */
    size_t n;
};
/* Parse PO text (`name` for messages). Strings are unescaped and checked to be UTF-8; the
 * result lives in `a`. 0, or -1 with err naming the line. */
int l10n_po_parse(const char *text, size_t len, const char *name, struct arena *a,
                  struct l10n_po *po, struct err *err);

/* ---- import ------------------------------------------------------------------------------ */

/* Read `po` into the catalogs of `s` (loaded from a directory) and write the changed files
 * and the status file. Every refused entry is printed to `problems` with its line; then
 * nothing is written and the result is -1 with err. A summary goes to `out` on success. */
int l10n_import(struct l10n_set *s, const struct l10n_po *po, const char *po_name, FILE *out,
                FILE *problems, struct err *err);

/* JSON text `text` (`len` bytes) with the string at dotted `key` replaced by `value`,
 * everything else byte for byte as it was, appended to `out`. 0; 1 when the file has no
 * string at `key`; -1 when the text is not JSON or out of memory. */
int l10n_json_set(const char *text, size_t len, const char *key, const char *value,
                  struct buf *out);

#endif
