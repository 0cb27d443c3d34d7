/*
 * catalog_cli.c - `onewindow catalog ...` at the console:
 *   catalog import FILE     read a catalog document (or one item) and publish what changed;
 *                           every problem of every item is printed, nothing written if any
 *   catalog export [FILE]   the whole published catalog as JSON (stdout without FILE)
 *   catalog reindex         rebuild the catalog's documents in the platform search
 * Imports are audited with actor 0 (the console).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_internal.h"

static int usage(struct err *err)
{
    return err_set(err, 400, "catalog.usage",
                   "usage: catalog import FILE | export [FILE] | reindex");
}

static int cli_import(struct catalog *cat, const char *path, struct err *err)
{
    json_error_t je;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        err_set(err, 400, "catalog.no_file", "cannot open %s: %s", path, strerror(errno));
        return 1;
    }
    json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (doc == NULL) {
        err_set(err, 400, "catalog.bad_json", "%s:%d:%d: not valid JSON: %s", path, je.line,
                je.column, je.text);
        return 1;
    }
    json_t *problems = json_array();
    int created = 0, updated = 0;
    int rc = catalog_import_checked(cat, 0, NULL, doc, &created, &updated, problems, err);
    json_decref(doc);
    if (rc < 0) {
        if (json_array_size(problems) == 0) { /* a system failure, not a bad file */
            json_decref(problems);
            return 1;
        }
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p)
        {
            const char *item = json_string_value(json_object_get(p, "item"));
            fprintf(stderr, "%s: %s%s%s: %s (%s)\n", path, item ? item : "", item ? " " : "",
                    json_string_value(json_object_get(p, "path")),
                    json_string_value(json_object_get(p, "message")),
                    json_string_value(json_object_get(p, "code")));
        }
        json_decref(problems);
        return 1;
    }
    json_decref(problems);
    printf("catalog: %d entr(ies) created, %d updated, the rest unchanged\n", created, updated);
    return 0;
}

static int cli_export(struct store *st, const char *path, struct err *err)
{
    json_t *doc;
    if (catalog_export(st, &doc, err) < 0)
        return 1;
    int rc = 0;
    if (path == NULL) {
        rc = json_dumpf(doc, stdout, JSON_INDENT(1)) < 0 ? -1 : 0;
        fputc('\n', stdout);
        if (rc < 0)
            err_set(err, 500, "catalog.write", "cannot write the catalog");
    } else {
        char tmp[4096];
        if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
            json_decref(doc);
            err_set(err, 400, "catalog.bad_path", "the file name is too long");
            return 1;
        }
        rc = json_dump_file(doc, tmp, JSON_INDENT(1));
        if (rc == 0 && rename(tmp, path) != 0)
            rc = -1;
        if (rc < 0) {
            remove(tmp);
            err_set(err, 500, "catalog.write", "cannot write %s: %s", path, strerror(errno));
        }
    }
    size_t n = json_array_size(json_object_get(doc, "items"));
    json_decref(doc);
    if (rc < 0)
        return 1;
    if (path != NULL)
        printf("catalog: %zu item(s) written to %s\n", n, path);
    return 0;
}

int catalog_cli(struct catalog *cat, int argc, char **argv, struct err *err)
{
    struct store *st = cat->st;
    const char *cmd = argc > 0 ? argv[0] : "";
    if (strcmp(cmd, "import") == 0 && argc == 2)
        return cli_import(cat, argv[1], err);
    if (strcmp(cmd, "export") == 0 && (argc == 1 || argc == 2))
        return cli_export(st, argc == 2 ? argv[1] : NULL, err);
    if (strcmp(cmd, "reindex") == 0 && argc == 1) {
        int items, bundles;
        if (catalog_reindex(cat, &items, &bundles, err) < 0)
            return 1;
        printf("catalog: %d item(s) and %d bundle(s) indexed for search\n", items, bundles);
        return 0;
    }
    usage(err);
    return 2;
}
