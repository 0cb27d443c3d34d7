/*
 * policy_cli.c - `onewindow policy import FILE | reindex | list` and
 * `onewindow ask TEXT | evaluate [FILE] | bench [ROUNDS [FILE]]`.
 *
 * evaluate runs a question set written apart from the indexed text (data/ask/questions.json,
 * embedded, or FILE) and prints top-1 and top-3 accuracy overall and per language, then every
 * question whose expected source is not first. A question's expected sources are passage
 * identifiers as policy_ask gives them: guide:CODE.SECTION, clause:POLICY_KEY#NUMBER,
 * policy:POLICY_KEY, kb:ID.
 */
#include "policy/policy_internal.h"

#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "base/embed.h"
#include "search/search.h"

static int expected(const json_t *expect, const json_t *answer)
{
    const char *src = json_string_value(json_object_get(answer, "source"));
    size_t i;
    json_t *e;
    json_array_foreach(expect, i, e)
    {
        if (src != NULL && json_string_value(e) != NULL && strcmp(src, json_string_value(e)) == 0)
            return 1;
    }
    return 0;
}

int policy_evaluate(struct policy *p, const json_t *set, FILE *out, double *top1, double *top3,
                    struct err *err)
{
    static const char *const langs[] = {"zh", "bo", "en"};
    int n[3] = {0}, hit1[3] = {0}, hit3[3] = {0};
    json_t *missed = json_array();
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(set, "questions"), i, q)
    {
        const char *text = json_string_value(json_object_get(q, "q"));
        const char *lang = json_string_value(json_object_get(q, "lang"));
        const json_t *expect = json_object_get(q, "expect");
        int l = lang && strcmp(lang, "bo") == 0 ? 1 : lang && strcmp(lang, "en") == 0 ? 2 : 0;
        json_t *r = NULL;
        if (text == NULL || policy_ask(p, text, langs[l], 3, &r, err) < 0) {
            json_decref(missed);
            return text == NULL
                       ? err_set(err, 400, "policy.bad_set", "question %zu has no q", i + 1)
                       : -1;
        }
        json_t *answers = json_object_get(r, "answers");
        int first = expected(expect, json_array_get(answers, 0)), any = first;
        for (size_t k = 1; k < json_array_size(answers) && !any; k++)
            any = expected(expect, json_array_get(answers, k));
        n[l]++;
        hit1[l] += first;
        hit3[l] += any;
        if (!first)
            json_array_append_new(
                missed, json_pack("{s:s,s:O,s:s}", "q", text, "expect", expect, "got",
                                  json_array_size(answers) > 0
                                      ? json_string_value(
                                            json_object_get(json_array_get(answers, 0), "source"))
                                      : "(nothing)"));
        json_decref(r);
    }
    int total = n[0] + n[1] + n[2], t1 = hit1[0] + hit1[1] + hit1[2],
        t3 = hit3[0] + hit3[1] + hit3[2];
    *top1 = total ? (double)t1 / total : 0;
    *top3 = total ? (double)t3 / total : 0;
    fprintf(out, "questions=%d top1=%.3f top3=%.3f\n", total, *top1, *top3);
    for (int l = 0; l < 3; l++)
        if (n[l] > 0)
            fprintf(out, "lang=%s questions=%d top1=%.3f top3=%.3f\n", langs[l], n[l],
                    (double)hit1[l] / n[l], (double)hit3[l] / n[l]);
    json_array_foreach(missed, i, q)
    {
        char *e = json_dumps(json_object_get(q, "expect"), JSON_COMPACT);
        fprintf(out, "missed: %s expected %s got %s\n", json_string_value(json_object_get(q, "q")),
                e ? e : "?", json_string_value(json_object_get(q, "got")));
        free(e);
    }
    json_decref(missed);
    return 0;
}

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void print_row(const char *name, double *wall, double *cpu, size_t n)
{
    qsort(wall, n, sizeof(double), cmp_double);
    qsort(cpu, n, sizeof(double), cmp_double);
    size_t p99 = (n * 99 + 99) / 100 - 1;
    printf("ask_bench_%s_p50_ms=%.2f\nask_bench_%s_p99_ms=%.2f\nask_bench_%s_cpu_p50_ms=%.2f\n"
           "ask_bench_%s_cpu_p99_ms=%.2f\n",
           name, wall[n / 2], name, wall[p99], name, cpu[n / 2], name, cpu[p99]);
}

/* `ask bench [ROUNDS]`: each question of the evaluation set ROUNDS times through policy_ask,
 * and, as the baseline measured in the same run, one search of the question's first term
 * (what a single search costs on this index); wall and thread CPU time, p50 and p99. */
static int bench(struct policy *p, const json_t *set, int rounds, struct err *err)
{
    const json_t *qs = json_object_get(set, "questions");
    size_t nq = json_array_size(qs), n = 0, cap = nq * (size_t)rounds;
    double *aw = calloc(cap + 1, sizeof(double)), *ac = calloc(cap + 1, sizeof(double));
    double *bw = calloc(cap + 1, sizeof(double)), *bc = calloc(cap + 1, sizeof(double));
    int rc = -1;
    if (aw == NULL || ac == NULL || bw == NULL || bc == NULL) {
        err_set(err, 500, "policy.oom", "out of memory");
        goto out;
    }
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < nq; i++) {
            const json_t *q = json_array_get(qs, i);
            const char *text = json_string_value(json_object_get(q, "q"));
            const char *lang = json_string_value(json_object_get(q, "lang"));
            json_t *res = NULL, *terms = policy_ask_terms(text);
            double t0 = clock_ms(CLOCK_MONOTONIC), c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
            if (policy_ask(p, text, lang ? lang : "zh", 5, &res, err) < 0) {
                json_decref(terms);
                goto out;
            }
            aw[n] = clock_ms(CLOCK_MONOTONIC) - t0;
            ac[n] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
            json_decref(res);
            struct search_query sq = {.q = json_string_value(json_array_get(terms, 0)), .limit = 5};
            t0 = clock_ms(CLOCK_MONOTONIC);
            c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
            if (search_run(p->search, &sq, &res, err) < 0) {
                json_decref(terms);
                goto out;
            }
            bw[n] = clock_ms(CLOCK_MONOTONIC) - t0;
            bc[n] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0;
            json_decref(res);
            json_decref(terms);
            n++;
        }
    }
    if (n == 0) {
        err_set(err, 400, "policy.bad_set", "no questions");
        goto out;
    }
    printf("ask_bench_questions=%zu\nask_bench_rounds=%d\n", nq, rounds);
    print_row("ask", aw, ac, n);
    print_row("search_one_term", bw, bc, n);
    printf("ask_bench_p99_ratio_to_one_search=%.1f\n",
           aw[(n * 99 + 99) / 100 - 1] /
               (bw[(n * 99 + 99) / 100 - 1] > 0 ? bw[(n * 99 + 99) / 100 - 1] : 1e-3));
    rc = 0;
out:
    free(aw);
    free(ac);
    free(bw);
    free(bc);
    return rc;
}

static json_t *load(const char *path, struct err *err)
{
    json_error_t je;
    json_t *doc = NULL;
    if (path == NULL) {
        const struct embed_file *f = embed_find("data/ask/questions.json");
        if (f == NULL) {
            err_set(err, 500, "policy.no_set", "data/ask/questions.json is not embedded");
            return NULL;
        }
        doc = json_loadb((const char *)f->data, f->len, 0, &je);
    } else {
        doc = json_load_file(path, 0, &je);
    }
    if (doc == NULL)
        err_set(err, 400, "policy.bad_json", "%s line %d: %s", path ? path : "questions.json",
                je.line, je.text);
    return doc;
}

int policy_cli(struct policy *p, const char *cmd, int argc, char **argv, struct err *err)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(cmd, "ask") == 0 && strcmp(sub, "evaluate") == 0) {
        json_t *set = load(argc > 1 ? argv[1] : NULL, err);
        double t1, t3;
        if (set == NULL || policy_evaluate(p, set, stdout, &t1, &t3, err) < 0) {
            json_decref(set);
            return 1;
        }
        json_decref(set);
        return 0;
    }
    if (strcmp(cmd, "ask") == 0 && strcmp(sub, "bench") == 0) {
        json_t *set = load(argc > 2 ? argv[2] : NULL, err);
        int rounds = argc > 1 ? atoi(argv[1]) : 5;
        int rc = set != NULL ? bench(p, set, rounds > 0 && rounds <= 1000 ? rounds : 5, err) : -1;
        json_decref(set);
        return rc < 0 ? 1 : 0;
    }
    if (strcmp(cmd, "ask") == 0 && argc >= 1) {
        json_t *r = NULL;
        if (policy_ask(p, argv[0], argc > 1 ? argv[1] : "zh", 5, &r, err) < 0)
            return 1;
        json_dumpf(r, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
        json_decref(r);
        return 0;
    }
    if (strcmp(cmd, "policy") == 0 && strcmp(sub, "import") == 0 && argc == 2) {
        json_t *doc = load(argv[1], err);
        int n = 0;
        if (doc == NULL || policy_import(p, 0, "cli", doc, &n, err) < 0) {
            json_decref(doc);
            return 1;
        }
        json_decref(doc);
        printf("imported %d policies\n", n);
        return 0;
    }
    if (strcmp(cmd, "policy") == 0 && strcmp(sub, "reindex") == 0) {
        int n = 0;
        if (policy_index_guides(p, &n, err) < 0)
            return 1;
        printf("indexed %d guide passages\n", n);
        return 0;
    }
    if (strcmp(cmd, "policy") == 0 && strcmp(sub, "list") == 0) {
        json_t *l = NULL;
        if (policy_list(p, &l, err) < 0)
            return 1;
        json_dumpf(l, stdout, JSON_INDENT(1));
        fputc('\n', stdout);
        json_decref(l);
        return 0;
    }
    fprintf(stderr, "usage: onewindow policy import FILE | reindex | list\n"
                    "       onewindow ask TEXT [LANG] | evaluate [FILE] | bench [ROUNDS [FILE]]\n");
    return 2;
}
