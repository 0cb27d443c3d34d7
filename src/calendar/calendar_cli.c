/*
 * calendar_cli.c - `onewindow calendar ...` for administrators at the console:
 *   calendar set DATE holiday|workday NAME [SCOPE]   add or change a special day
 *   calendar remove DATE [SCOPE]                     delete one
 *   calendar list YEAR                               the special days of a year, all scopes
 *   calendar deadline DATE N                         the day N working days after DATE
 *                                                    (national and Xizang days)
 * Changes are audited with actor 0 (the console) and no address.
 */
#include "calendar/calendar_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int usage(struct err *err)
{
    return err_set(err, 400, "calendar.usage",
                   "usage: calendar set DATE holiday|workday NAME [SCOPE] | remove DATE [SCOPE] "
                   "| list YEAR | deadline DATE N");
}

/* A whole number within [lo, hi] written in decimal, else -1. */
static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

struct list_ctx {
    char year[6];
    int count;
};

static int print_row(const struct calendar_row *r, void *ctx)
{
    struct list_ctx *lc = ctx;
    if (strncmp(r->day, lc->year, 5) == 0) {
        printf("%s\t%s\t%s\t%s\t%s\n", r->day, r->kind, r->scope, r->name_zh, r->source);
        lc->count++;
    }
    return 0;
}

int calendar_cli(struct store *s, int argc, char **argv, struct err *err)
{
    const char *cmd = argc > 0 ? argv[0] : "";
    if (strcmp(cmd, "set") == 0 && (argc == 4 || argc == 5)) {
        if (calendar_set_day(s, 0, NULL, argv[1], argv[2], argv[3], argc == 5 ? argv[4] : NULL,
                             err) < 0)
            return 1;
        printf("%s: %s %s (%s)\n", argv[1], argv[2], argv[3], argc == 5 ? argv[4] : "national");
        return 0;
    }
    if (strcmp(cmd, "remove") == 0 && (argc == 2 || argc == 3)) {
        if (calendar_remove_day(s, 0, NULL, argv[1], argc == 3 ? argv[2] : NULL, err) < 0)
            return 1;
        printf("%s removed (%s)\n", argv[1], argc == 3 ? argv[2] : "national");
        return 0;
    }
    if (strcmp(cmd, "list") == 0 && argc == 2) {
        int year;
        struct list_ctx lc = {{0}, 0};
        struct store_conn *c;
        if (parse_int(argv[1], CALENDAR_MIN_YEAR, CALENDAR_MAX_YEAR, &year) < 0)
            return usage(err) + 3;
        snprintf(lc.year, sizeof(lc.year), "%04d-", year);
        if ((c = store_conn(s, err)) == NULL || calendar_store_each(c, print_row, &lc, err) < 0)
            return 1;
        if (lc.count == 0)
            printf("no special days in %d: weekends only\n", year);
        return 0;
    }
    if (strcmp(cmd, "deadline") == 0 && argc == 3) {
        int32_t start, end;
        int n;
        struct calendar *cal = NULL;
        if (calendar_parse_date(argv[1], &start, err) < 0)
            return 2;
        if (parse_int(argv[2], 0, CALENDAR_MAX_DAYS, &n) < 0)
            return usage(err) + 3;
        if (calendar_load(s, CALENDAR_SCOPES_XIZANG, &cal, err) < 0)
            return 1;
        int rc = calendar_add_working_days(cal, start, n, &end, err) < 0 ? 1 : 0;
        if (rc == 0) {
            char out[11];
            printf("%s\n", calendar_format_date(end, out));
        }
        calendar_free(cal);
        return rc;
    }
    return usage(err) + 3;
}
