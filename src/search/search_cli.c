/*
 * search_cli.c - `onewindow search ...` at the console:
 *   search index-file FILE.jsonl        index documents, one JSON object a line:
 *                                       {kind, id, lang, title, body, dept_id,
 *                                        division_code, tag, visibility, updated_at,
 *                                        ref, titles}
 *                                       (1000 a transaction); bad lines are reported
 *                                       with their number and skipped
 *   search query TEXT [KIND] [staff]    the hits as JSON (public documents unless staff)
 *   search delete KIND ID               remove one document
 *   search stats                        the number of documents indexed
 *   search bench FILE [ROUNDS]          latency of the queries of FILE (lines
 *                                       "CLASS<TAB>QUERY") run ROUNDS times (default 20):
 *                                       p50, p99 and max per class, in-process
 */
#include "search/search_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

static int usage(struct err *err)
{
    return err_set(err, 400, "search.usage",
                   "usage: search index-file FILE.jsonl | query TEXT [KIND] [staff] | delete KIND "
                   "ID | stats | bench FILE [ROUNDS]");
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t jint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

#define BATCH 1000

static int index_file(struct search *s, const char *path, struct err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return err_set(err, 400, "search.no_file", "cannot open %s", path);
    struct store_conn *c = store_conn(s->st, err);
    if (c == NULL) {
        fclose(f);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0, done = 0, bad = 0;
    int in_tx = 0, rc = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n <= 1)
            continue;
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        struct search_doc d = {0};
        if (o != NULL) {
            d = (struct search_doc){jstr(o, "kind"),          jint(o, "id"),
                                    jstr(o, "lang"),          jstr(o, "title"),
                                    jstr(o, "body"),          jint(o, "dept_id"),
                                    jint(o, "division_code"), jstr(o, "tag"),
                                    jint(o, "updated_at"),    (int)jint(o, "visibility"),
                                    jstr(o, "ref"),           json_object_get(o, "titles")};
        }
        if (!in_tx) {
            if (store_begin(c, err) < 0) {
                json_decref(o);
                rc = -1;
                break;
            }
            in_tx = 1;
        }
        struct err e;
        err_clear(&e);
        if (o == NULL || search_put(s, &d, &e) < 0) {
            if (o != NULL && strcmp(e.code, "search.bad_doc") != 0) {
                *err = e;
                json_decref(o);
                rc = -1;
                break;
            }
            fprintf(stderr, "%s:%ld: %s\n", path, lineno, o == NULL ? je.text : e.msg);
            bad++;
        } else {
            done++;
        }
        json_decref(o);
        if (done % BATCH == 0 && in_tx) {
            if (store_commit(c, err) < 0) {
                in_tx = 0;
                rc = -1;
                break;
            }
            in_tx = 0;
        }
    }
    if (in_tx) {
        if (rc == 0)
            rc = store_commit(c, err);
        else
            store_rollback(c);
    }
    free(line);
    fclose(f);
    if (rc < 0)
        return -1;
    printf("%ld document(s) indexed, %ld line(s) refused\n", done, bad);
    if (bad > 0)
        return err_set(err, 400, "search.bad_lines", "%ld line(s) of %s refused (above)", bad,
                       path) < 0
                   ? 1
                   : 1;
    return 0;
}

static int query(struct search *s, const char *text, const char *kind, int staff, struct err *err)
{
    struct search_query q = {.q = text, .kind = kind, .include_staff = staff};
    json_t *r = NULL;
    if (search_run(s, &q, &r, err) < 0)
        return -1;
    char *dump = json_dumps(r, JSON_INDENT(2));
    printf("%s\n", dump);
    free(dump);
    json_decref(r);
    return 0;
}

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#define MAX_CLASSES 16

static int bench(struct search *s, const char *path, int rounds, struct err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return err_set(err, 400, "search.no_file", "cannot open %s", path);
    char cls[MAX_CLASSES][32];
    double *lat[MAX_CLASSES] = {0}, *cpu[MAX_CLASSES] = {0};
    size_t nlat[MAX_CLASSES] = {0}, cap[MAX_CLASSES] = {0};
    long hits[MAX_CLASSES] = {0};
    int ncls = 0, rc = 0;
    char *line = NULL;
    size_t lcap = 0;
    char **qs = NULL;
    int *qc = NULL;
    size_t nq = 0;
    ssize_t n;
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            continue;
        *tab = '\0';
        int k;
        for (k = 0; k < ncls && strcmp(cls[k], line) != 0; k++)
            ;
        if (k == ncls) {
            if (ncls == MAX_CLASSES)
                continue;
            snprintf(cls[ncls++], sizeof(cls[0]), "%s", line);
        }
        char **qs2 = realloc(qs, (nq + 1) * sizeof(*qs));
        if (qs2 != NULL)
            qs = qs2;
        int *qc2 = qs2 != NULL ? realloc(qc, (nq + 1) * sizeof(*qc)) : NULL;
        if (qc2 != NULL)
            qc = qc2;
        char *text = qc2 != NULL ? strdup(tab + 1) : NULL;
        if (text == NULL) {
            rc = err_set(err, 500, "search.oom", "out of memory reading %s", path);
            break;
        }
        qs[nq] = text;
        qc[nq++] = k;
    }
    free(line);
    fclose(f);
    for (int r = 0; r < rounds && rc == 0; r++) {
        for (size_t i = 0; i < nq; i++) {
            struct search_query q = {.q = qs[i], .include_staff = 1};
            json_t *res = NULL;
            double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
            if (search_run(s, &q, &res, err) < 0) {
                rc = -1;
                break;
            }
            double dt = clock_ms(CLOCK_MONOTONIC) - t0;
            double dc = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
            int k = qc[i];
            if (r == 0)
                hits[k] += json_integer_value(json_object_get(res, "total")) > 0;
            json_decref(res);
            if (nlat[k] == cap[k]) {
                size_t ncap = cap[k] ? cap[k] * 2 : 256;
                double *l2 = realloc(lat[k], ncap * sizeof(double));
                if (l2 != NULL)
                    lat[k] = l2;
                double *c2 = l2 != NULL ? realloc(cpu[k], ncap * sizeof(double)) : NULL;
                if (c2 == NULL) {
                    rc = err_set(err, 500, "search.oom", "out of memory");
                    break;
                }
                cpu[k] = c2;
                cap[k] = ncap;
            }
            cpu[k][nlat[k]] = dc;
            lat[k][nlat[k]++] = dt;
        }
    }
    if (rc == 0) {
        /* Wall time, and the CPU time of the querying thread (the wall time includes waiting
         * for a core on a busy machine; the CPU time does not). */
        printf("%-10s %7s %8s %8s %8s %8s %9s %9s\n", "class", "queries", "with_hit", "p50_ms",
               "p99_ms", "max_ms", "cpu_p50", "cpu_p99");
        for (int k = 0; k < ncls; k++) {
            if (nlat[k] == 0)
                continue;
            qsort(lat[k], nlat[k], sizeof(double), cmp_double);
            qsort(cpu[k], nlat[k], sizeof(double), cmp_double);
            size_t p99 = (nlat[k] * 99 + 99) / 100 - 1;
            printf("%-10s %7zu %8ld %8.2f %8.2f %8.2f %9.2f %9.2f\n", cls[k], nlat[k], hits[k],
                   lat[k][nlat[k] / 2], lat[k][p99], lat[k][nlat[k] - 1], cpu[k][nlat[k] / 2],
                   cpu[k][p99]);
        }
    }
    for (size_t i = 0; i < nq; i++)
        free(qs[i]);
    free(qs);
    free(qc);
    for (int k = 0; k < ncls; k++) {
        free(lat[k]);
        free(cpu[k]);
    }
    return rc;
}

int search_cli(struct search *s, int argc, char **argv, struct err *err)
{
    if (argc < 1) {
        usage(err);
        return 2;
    }
    const char *cmd = argv[0];
    int rc;
    if (strcmp(cmd, "index-file") == 0 && argc == 2) {
        rc = index_file(s, argv[1], err);
    } else if (strcmp(cmd, "query") == 0 && argc >= 2 && argc <= 4) {
        const char *kind = argc >= 3 && strcmp(argv[2], "staff") != 0 ? argv[2] : NULL;
        int staff = argc >= 3 && strcmp(argv[argc - 1], "staff") == 0;
        rc = query(s, argv[1], kind, staff, err);
    } else if (strcmp(cmd, "delete") == 0 && argc == 3) {
        struct store_conn *c = store_conn(s->st, err);
        rc = c == NULL || store_begin(c, err) < 0 ? -1 : 0;
        if (rc == 0 && search_delete(s, argv[1], strtoll(argv[2], NULL, 10), err) < 0) {
            store_rollback(c);
            rc = -1;
        }
        if (rc == 0)
            rc = store_commit(c, err);
        if (rc == 0)
            printf("deleted\n");
    } else if (strcmp(cmd, "stats") == 0 && argc == 1) {
        int64_t n = 0;
        struct store_conn *c = store_conn(s->st, err);
        rc = c == NULL ? -1 : search_store_count(c, &n, err);
        if (rc == 0)
            printf("%lld document(s)\n", (long long)n);
    } else if (strcmp(cmd, "bench") == 0 && (argc == 2 || argc == 3)) {
        int rounds = argc == 3 ? atoi(argv[2]) : 20;
        rc = bench(s, argv[1], rounds > 0 ? rounds : 20, err);
    } else {
        usage(err);
        return 2;
    }
    return rc < 0 ? 1 : rc;
}
