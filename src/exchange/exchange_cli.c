/*
 * exchange_cli.c - `onewindow exchange ...`: the catalog and the providers' decisions
 * from the command line.
 *   resources                        list the resource catalog
 *   resource-put FILE                add or replace a resource (a JSON document)
 *   grants [CLIENT_ID]               requests and grants, newest first
 *   approve ID [fields=a,b] [days=N] [rate=N]    approve a request (default 365 days)
 *   reject ID | revoke ID
 *   sandbox-put RESOURCE KEY TEXT    put a record into a sandbox register (tests, demos)
 */
#include "exchange/exchange_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int usage(struct err *err)
{
    err_usage(err, "exchange.usage",
              "usage: onewindow exchange resources | resource-put FILE | grants [CLIENT_ID] | "
              "approve ID [fields=a,b] [days=N] [rate=N] | reject ID | revoke ID | "
              "sandbox-put RESOURCE KEY TEXT");
    return 2;
}

static int list_resources(struct exchange *x, struct err *err)
{
    json_t *all = NULL;
    if (exchange_resources(x, &all, err) < 0)
        return 1;
    size_t i;
    json_t *r;
    printf("%-18s %-17s %-13s %-8s %-7s %s\n", "code", "catalog_no", "sharing", "provider",
           "fields", "name");
    json_array_foreach(all, i, r)
    {
        printf("%-18s %-17s %-13s %-8s %-7zu %s\n", json_string_value(json_object_get(r, "code")),
               json_string_value(json_object_get(r, "catalog_no"))
                   ? json_string_value(json_object_get(r, "catalog_no"))
                   : "-",
               json_string_value(json_object_get(r, "sharing")),
               json_string_value(json_object_get(r, "provider")),
               json_array_size(json_object_get(r, "fields")),
               json_string_value(json_object_get(json_object_get(r, "name"), "zh")));
    }
    json_decref(all);
    return 0;
}

static int list_grants(struct exchange *x, const char *client, struct err *err)
{
    json_t *all = NULL;
    if (exchange_grants(x, client, &all, err) < 0)
        return 1;
    size_t i;
    json_t *g;
    json_array_foreach(all, i, g)
    {
        printf("grant=%lld status=%s client=%s resource=%s purpose=%s fields=\"%s\"\n",
               (long long)json_integer_value(json_object_get(g, "id")),
               json_string_value(json_object_get(g, "status")),
               json_string_value(json_object_get(g, "client_id")),
               json_string_value(json_object_get(g, "resource")),
               json_string_value(json_object_get(g, "purpose")),
               json_string_value(json_object_get(g, "fields")));
    }
    json_decref(all);
    return 0;
}

static int decide(struct exchange *x, int argc, char **argv, struct err *err)
{
    char *end;
    long long id = argc > 1 ? strtoll(argv[1], &end, 10) : 0;
    if (argc < 2 || *end != '\0' || id <= 0)
        return usage(err);
    const char *fields = NULL;
    int days = 365, rate = 0;
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "fields=", 7) == 0)
            fields = argv[i] + 7;
        else if (strncmp(argv[i], "days=", 5) == 0)
            days = atoi(argv[i] + 5);
        else if (strncmp(argv[i], "rate=", 5) == 0)
            rate = atoi(argv[i] + 5);
        else
            return usage(err);
    }
    int rc = strcmp(argv[0], "revoke") == 0
                 ? exchange_grant_revoke(x, 0, id, err)
                 : exchange_grant_decide(x, 0, id, strcmp(argv[0], "approve") == 0, fields, days,
                                         rate, err);
    if (rc < 0)
        return err->status == 400 ? 2 : 1;
    printf("grant %lld: %s\n", id,
           strcmp(argv[0], "approve") == 0  ? "approved"
           : strcmp(argv[0], "reject") == 0 ? "rejected"
                                            : "revoked");
    return 0;
}

static int resource_put(struct exchange *x, const char *path, struct err *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (doc == NULL) {
        err_usage(err, "exchange.bad_resource", "%s: %s (line %d)", path, je.text, je.line);
        return 2;
    }
    int rc = exchange_resource_put(x, 0, doc, err);
    json_decref(doc);
    if (rc < 0)
        return err->status == 400 ? 2 : 1;
    printf("resource stored\n");
    return 0;
}

int exchange_cli(struct exchange *x, int argc, char **argv, struct err *err)
{
    if (argc < 1)
        return usage(err);
    const char *cmd = argv[0];
    if (strcmp(cmd, "resources") == 0 && argc == 1)
        return list_resources(x, err);
    if (strcmp(cmd, "resource-put") == 0 && argc == 2)
        return resource_put(x, argv[1], err);
    if (strcmp(cmd, "grants") == 0 && argc <= 2)
        return list_grants(x, argc == 2 ? argv[1] : NULL, err);
    if (strcmp(cmd, "approve") == 0 || strcmp(cmd, "reject") == 0 || strcmp(cmd, "revoke") == 0)
        return decide(x, argc, argv, err);
    if (strcmp(cmd, "sandbox-put") == 0 && argc == 4) {
        if (exchange_sandbox_put(x, argv[1], argv[2], argv[3], err) < 0)
            return 1;
        printf("sandbox record stored\n");
        return 0;
    }
    return usage(err);
}
