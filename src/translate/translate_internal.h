/*
 * translate_internal.h - what the files of src/translate/ share: the catalogs as files
 * (translate_set.c), the state of every string in a language and the coverage counts
 * (translate_set.c), the PO writer and reader (translate_po.c), the import and the in-place JSON
 * edit (translate_import.c).
 */
#ifndef ONEWINDOW_TRANSLATE_INTERNAL_H
#define ONEWINDOW_TRANSLATE_INTERNAL_H

#include <jansson.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"
#include "translate/translate.h"
#include "web/i18n.h"

struct arena;

/* ---- the catalogs as files ------------------------------------------------------------- */

struct translate_file {
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
struct translate_lang {
    const char *code;
    struct translate_file *files; /* in merge order (by name) */
    size_t nfiles;
    json_t *merged;   /* every file laid over the previous ones, as i18n.c does */
    json_t *status;   /* the whole status file ({} when there is none) */
    json_t *same;     /* borrowed from status: {key: reason} */
    json_t *reviewed; /* borrowed from status */
};

struct translate_set {
    char *dir; /* the directory holding zh/, bo/, en/ and status/; NULL: the binary's */
    struct translate_lang lang[I18N_NLANGS];
};

/* Load every catalog and status file from `dir` (NULL: the files built into the binary).
 * 0, or -1 with err (a file that is not a JSON object, an unreadable directory). */
int translate_set_load(struct translate_set *s, const char *dir, struct err *err);
void translate_set_free(struct translate_set *s);
/* The language `code` of the set, or NULL. */
struct translate_lang *translate_set_lang(struct translate_set *s, const char *code);
/* The string at dotted `key` in the object `o`, or NULL. */
const char *translate_string_at(json_t *o, const char *key);

/* ---- the state of every string ---------------------------------------------------------- */

enum translate_state {
    TRANSLATE_TRANSLATED, /* a text of the language's own */
    TRANSLATE_MISSING,    /* no text, or an empty one where zh has text */
    TRANSLATE_COPIED,     /* zh's or (bo) en's text, or (bo) no Tibetan letter: not a translation */
};
#define TRANSLATE_NSTATES 3

struct translate_entry {
    const char *key;         /* "apply.receipt.title" */
    const char *module;      /* the zh file whose text is in force (the last defining it) */
    const char *source;      /* the zh text */
    const char *text;        /* the language's text, or NULL */
    const char *en;          /* the en text (NULL for en itself) */
    const char *same_reason; /* on the status file's "same" list, or NULL */
    enum translate_state state;
    int reviewed; /* translated, and reviewed as it now reads */
};

/* Every zh string, in the order of the zh files and their keys (a key two files define
 * once, with the module whose text is in force), with its state in `lang` (not "zh").
 * Strings point into the set and `a`; the array lives in `a`. */
struct translate_entries {
    const char *lang;
    struct translate_entry *e;
    size_t n;
};
int translate_entries_of(struct translate_set *s, const char *lang, struct arena *a,
                         struct translate_entries *out, struct err *err);

struct translate_count {
    const char *module; /* NULL for the total row */
    int total, translated, missing, copied, unreviewed;
};
/* One row per module in order of appearance, then the total row (module NULL); in `a`. */
int translate_coverage(const struct translate_entries *es, struct arena *a,
                       struct translate_count **rows, size_t *n);
const char *translate_state_name(enum translate_state st); /* "translated", "missing", "copied" */

/* Does `s` hold a letter of the Tibetan block (U+0F00..U+0FFF)? */
int translate_has_tibetan(const char *s);
/* Do `text`'s {{name}} placeholders match `source`'s (the same names, as often, in any
 * order)? 1, or 0 with `why` saying which are dropped and which invented. */
int translate_placeholders_match(const char *source, const char *text, char *why, size_t why_len);

/* ---- gettext PO files -------------------------------------------------------------------- */

/* Write `es` as a PO file (header, then one entry per string) to `f`. */
int translate_po_write(FILE *f, const struct translate_entries *es, const char *version,
                       struct err *err);

struct translate_po_entry {
    const char *ctxt; /* NULL when the entry has no msgctxt */
    const char *id;
    const char *str; /* msgstr, or msgstr[0] of a plural entry */
    int fuzzy;
    int plural; /* has msgid_plural */
    int line;   /* where the entry's msgid is */
};

struct translate_po {
    const char *language, *translator, *revision_date, *content_type; /* from the header */
    struct translate_po_entry *e; /* the entries besides the header, obsolete ones left out */
    size_t n;
};
/* Parse PO text (`name` for messages). Strings are unescaped and checked to be UTF-8; the
 * result lives in `a`. 0, or -1 with err naming the line. */
int translate_po_parse(const char *text, size_t len, const char *name, struct arena *a,
                       struct translate_po *po, struct err *err);

/* ---- import ------------------------------------------------------------------------------ */

/* Read `po` into the catalogs of `s` (loaded from a directory) and write the changed files
 * and the status file. Every refused entry is printed to `problems` with its line; then
 * nothing is written and the result is -1 with err. A summary goes to `out` on success. */
int translate_import(struct translate_set *s, const struct translate_po *po, const char *po_name,
                     FILE *out, FILE *problems, struct err *err);

/* JSON text `text` (`len` bytes) with the string at dotted `key` replaced by `value`,
 * everything else byte for byte as it was, appended to `out`. 0; 1 when the file has no
 * string at `key`; -1 when the text is not JSON or out of memory. */
int translate_json_set(const char *text, size_t len, const char *key, const char *value,
                       struct buf *out);

#endif
