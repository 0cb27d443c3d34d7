/*
 * oversight_cli.c - `onewindow kpi [--division CODE] [--from DATE --to DATE]` (the KPIs
 * as JSON, the same figures as /dashboard) and `onewindow oversight escalate|digest` (what
 * the server's daily job does, on demand).
 */
#include "oversight/oversight_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "divisions/divisions.h"

int oversight_period(const char *from_s, const char *to_s, int64_t now_ms, int *from, int *to,
                     struct err *err)
{
    int today = oversight_day_of(now_ms);
    *from = from_s != NULL && *from_s ? oversight_parse_day(from_s) : today / 10000 * 10000 + 101;
    *to = to_s != NULL && *to_s ? oversight_parse_day(to_s) : today;
    if (*from < 0)
        return err_set(err, 400, "oversight.bad_from", "--from is not a date YYYY-MM-DD");
    if (*to < 0)
        return err_set(err, 400, "oversight.bad_to", "--to is not a date YYYY-MM-DD");
    if (*from > *to)
        return err_set(err, 400, "oversight.bad_period", "the period ends before it begins");
    return 0;
}

int oversight_division_arg(const char *s, int64_t *division, struct err *err)
{
    *division = DIVISIONS_ROOT;
    if (s == NULL || *s == '\0')
        return 0;
    if (divisions_parse_code(s, division, err) < 0 ||
        !divisions_contains(DIVISIONS_ROOT, *division) || divisions_level_of(*division) < 1 ||
        divisions_level_of(*division) > 3)
        return err_set(err, 400, "oversight.bad_division",
                       "the division must be the region, a prefecture or a county of it");
    return 0;
}

static int kpi(struct oversight *o, int argc, char **argv, struct err *err)
{
    const char *division = NULL, *from_s = NULL, *to_s = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--division") == 0)
            division = argv[i + 1];
        else if (strcmp(argv[i], "--from") == 0)
            from_s = argv[i + 1];
        else if (strcmp(argv[i], "--to") == 0)
            to_s = argv[i + 1];
    }
    if (argc % 2 == 0) {
        err_usage(err, "oversight.usage", "kpi takes --division CODE --from DATE --to DATE");
        return 2;
    }
    int64_t div;
    int from, to;
    if (oversight_division_arg(division, &div, err) < 0 ||
        oversight_period(from_s, to_s, time_now_ms(), &from, &to, err) < 0) {
        err->usage = 1;
        return 2;
    }
    json_t *k = NULL;
    if (oversight_kpi(o, div, 0, from, to, &k, err) < 0)
        return -1;
    json_object_set_new(k, "division", json_sprintf("%012lld", (long long)div));
    json_object_set_new(k, "from",
                        json_sprintf("%04d-%02d-%02d", from / 10000, from / 100 % 100, from % 100));
    json_object_set_new(k, "to",
                        json_sprintf("%04d-%02d-%02d", to / 10000, to / 100 % 100, to % 100));
    char *s = json_dumps(k, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(k);
    if (s == NULL)
        return err_set(err, 500, "oversight.oom", "out of memory");
    printf("%s\n", s);
    free(s);
    return 0;
}

int oversight_cli(struct oversight *o, int argc, char **argv, struct err *err)
{
    int n = 0;
    if (argc >= 1 && strcmp(argv[0], "kpi") == 0)
        return kpi(o, argc, argv, err);
    if (argc == 1 && strcmp(argv[0], "escalate") == 0) {
        if (oversight_escalate(o, time_now_ms(), &n, err) < 0)
            return -1;
        printf("%d supervision note(s) escalated\n", n);
        return 0;
    }
    if (argc == 1 && strcmp(argv[0], "digest") == 0) {
        if (oversight_digest(o, time_now_ms(), &n, err) < 0)
            return -1;
        printf("%d department(s) sent the digest\n", n);
        return 0;
    }
    err_usage(err, "oversight.usage", "usage: onewindow oversight escalate | digest");
    return 2;
}
