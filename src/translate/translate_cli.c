/*
 * translate_cli.c - `onewindow i18n ...`, the translator's commands (no database needed):
 *   i18n export LANG [FILE] [--i18n-dir DIR]   the language as a gettext PO file (stdout
 *                                              without FILE); the binary's catalogs, or
 *                                              those of DIR (a checkout's web/i18n)
 *   i18n import FILE [--i18n-dir DIR]          a PO file back into DIR's catalog files
 *                                              (default web/i18n: run it in a checkout)
 *   i18n coverage [LANG] [--i18n-dir DIR]      strings total, translated, missing, copied
 *                                              and unreviewed per module and language
 */
#include "translate/translate_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"

#ifndef ONEWINDOW_VERSION
#define ONEWINDOW_VERSION "0.1.0"
#endif

#define PO_FILE_MAX (16u << 20)

static int usage(struct err *err)
{
    err_usage(err, "translate.usage",
              "usage: i18n export LANG [FILE] | import FILE | coverage [LANG], each with an "
              "optional --i18n-dir DIR");
    return 2;
}

static int cmd_export(const char *lang, const char *path, const char *dir, FILE *out,
                      struct err *err)
{
    struct translate_set s;
    struct arena *a = arena_new(0);
    struct translate_entries es;
    FILE *f = NULL;
    char tmp[4200];
    int status = 1;
    if (a == NULL || translate_set_load(&s, dir, err) < 0) {
        arena_free(a);
        return 1;
    }
    if (translate_entries_of(&s, lang, a, &es, err) < 0) {
        status = err_exit_code(err);
        goto out;
    }
    if (path != NULL) {
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if ((f = fopen(tmp, "w")) == NULL) {
            err_set(err, 500, "translate.write", "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
    }
    int rc = translate_po_write(f ? f : out, &es, ONEWINDOW_VERSION, err);
    if (f != NULL) {
        if (fclose(f) != 0 && rc == 0)
            rc = err_set(err, 500, "translate.write", "cannot write %s", tmp);
        if (rc == 0 && rename(tmp, path) != 0)
            rc = err_set(err, 500, "translate.write", "cannot write %s: %s", path, strerror(errno));
        if (rc < 0)
            remove(tmp);
    }
    if (rc < 0)
        goto out;
    if (path != NULL) {
        int translated = 0, fuzzy = 0;
        for (size_t i = 0; i < es.n; i++) {
            translated += es.e[i].state == TRANSLATE_TRANSLATED;
            fuzzy += es.e[i].state == TRANSLATE_TRANSLATED && !es.e[i].reviewed;
        }
        fprintf(out,
                "i18n export: %s: %zu strings in %s: %d translated (%d fuzzy: no native "
                "speaker's review), %zu with an empty msgstr (missing or copied)\n",
                path, es.n, es.lang, translated, fuzzy, es.n - (size_t)translated);
    }
    status = 0;
out:
    translate_set_free(&s);
    arena_free(a);
    return status;
}

static int cmd_import(const char *path, const char *dir, FILE *out, struct err *err)
{
    struct stat st;
    char zh[4096];
    snprintf(zh, sizeof(zh), "%s/zh", dir);
    if (stat(zh, &st) < 0 || !S_ISDIR(st.st_mode)) {
        err_set(err, 500, "translate.no_checkout",
                "%s is not a catalog directory (no zh/ in it): run the import in a checkout, or "
                "give --i18n-dir DIR",
                dir);
        return 1;
    }
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    if (f == NULL) {
        err_set(err, 500, "translate.no_file", "cannot open %s: %s", path, strerror(errno));
        return 1;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= PO_FILE_MAX &&
        (text = malloc((size_t)st.st_size + 1)) != NULL)
        len = fread(text, 1, (size_t)st.st_size, f);
    fclose(f);
    if (text == NULL || len != (size_t)st.st_size) {
        free(text);
        err_set(err, 500, "translate.no_file", "cannot read %s (a file of at most %u bytes)", path,
                PO_FILE_MAX);
        return 1;
    }
    struct arena *a = arena_new(0);
    struct translate_po po;
    struct translate_set s;
    int status = 1;
    if (a != NULL && translate_po_parse(text, len, path, a, &po, err) == 0 &&
        translate_set_load(&s, dir, err) == 0) {
        status = translate_import(&s, &po, path, out, stderr, err) < 0 ? 1 : 0;
        translate_set_free(&s);
    }
    free(text);
    arena_free(a);
    return status;
}

static void print_table(FILE *out, const char *lang, const struct translate_count *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct translate_count *r = &rows[i];
        fprintf(out, "%-4s %-12s %6d %10d %8d %7d %11d\n", lang, r->module ? r->module : "(all)",
                r->total, r->translated, r->missing, r->copied, r->unreviewed);
    }
}

static int cmd_coverage(const char *only, const char *dir, FILE *out, struct err *err)
{
    struct translate_set s;
    struct arena *a = arena_new(0);
    int status = 1, reviewed = 0, any = 0;
    if (a == NULL || translate_set_load(&s, dir, err) < 0) {
        arena_free(a);
        return 1;
    }
    fprintf(out, "%-4s %-12s %6s %10s %8s %7s %11s\n", "lang", "module", "total", "translated",
            "missing", "copied", "unreviewed");
    for (int i = 1; i < I18N_NLANGS; i++) {
        const char *lang = i18n_langs[i];
        struct translate_entries es;
        struct translate_count *rows;
        size_t n;
        if (only != NULL && strcmp(only, lang) != 0)
            continue;
        any = 1;
        if (translate_entries_of(&s, lang, a, &es, err) < 0 ||
            translate_coverage(&es, a, &rows, &n) < 0)
            goto out;
        print_table(out, lang, rows, n);
        reviewed += rows[n - 1].translated - rows[n - 1].unreviewed;
    }
    if (!any) {
        err_usage(err, "translate.bad_lang", "the language is bo or en (zh is the source)");
        status = 2;
        goto out;
    }
    if (reviewed == 0)
        fprintf(out, "No string has had a native speaker's review: every translated string "
                     "is unreviewed.\n");
    else
        fprintf(out, "%d string(s) have had a native speaker's review.\n", reviewed);
    status = 0;
out:
    translate_set_free(&s);
    arena_free(a);
    return status;
}

int translate_cli(int argc, char **argv, FILE *out, struct err *err)
{
    const char *words[3] = {NULL, NULL, NULL}, *dir = NULL;
    int nwords = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--i18n-dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strncmp(argv[i], "--i18n-dir=", 11) == 0)
            dir = argv[i] + 11;
        else if (strncmp(argv[i], "--", 2) == 0 || nwords == 3)
            return usage(err);
        else
            words[nwords++] = argv[i];
    }
    const char *cmd = nwords > 0 ? words[0] : "";
    if (strcmp(cmd, "export") == 0 && (nwords == 2 || nwords == 3))
        return cmd_export(words[1], words[2], dir, out, err);
    if (strcmp(cmd, "import") == 0 && nwords == 2)
        return cmd_import(words[1], dir ? dir : "web/i18n", out, err);
    if (strcmp(cmd, "coverage") == 0 && nwords <= 2)
        return cmd_coverage(words[1], dir, out, err);
    return usage(err);
}
