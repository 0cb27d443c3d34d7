/*
 * translate.h - the translators' tools: how complete each language's catalogs
 * are, per module (`onewindow i18n coverage`, the administrators' page /admin/i18n and its
 * JSON twin), and the round trip through standard gettext tools: `onewindow i18n export
 * LANG [FILE]` writes a PO file (key as msgctxt, the zh source as msgid, the current text as
 * msgstr, unreviewed entries fuzzy) and `onewindow i18n import FILE` reads one back into the
 * catalog files of a checkout, validating placeholders first and writing nothing if any
 * entry is refused.
 *
 * The runtime side (loading the catalogs, negotiation, the zh fallback) is src/web/i18n.c;
 * this module reads the same files, from the binary or from a directory, and only an import
 * writes (docs/internals/translate.md).
 */
#ifndef ONEWINDOW_TRANSLATE_TRANSLATE_H
#define ONEWINDOW_TRANSLATE_TRANSLATE_H

#include <stdio.h>

#include "base/err.h"

struct web_server;
struct identity;
struct store;

/* `onewindow i18n ...`; argv are the words after "i18n" (options included). Writes its
 * results to `out`; returns the exit status (0, 1 a failure or a refused import, 2 a usage
 * error) with err's message to print. Needs no database. */
int translate_cli(int argc, char **argv, FILE *out, struct err *err);

/* GET /admin/i18n (and /api/v1/admin/i18n): coverage and the strings still to do, for
 * platform administrators (authz action "i18n.coverage"). Reads the catalogs the server
 * loaded (i18n_dir) once, at registration: call after i18n_init. `id` and `st` are
 * borrowed for the server's life. */
int translate_http_register(struct web_server *srv, struct identity *id, struct store *st,
                            struct err *err);

#endif
