/*
 * policy_cli.c - `onewindow policy import FILE | reindex | list` and
 * `onewindow ask TEXT | evaluate [FILE]`.
 *
 * evaluate runs a question set written apart from the indexed text (data/ask/questions.json,
 * embedded, or FILE) and prints top-1 and top-3 accuracy overall and per language, then every
 * question whose expected source is not first. A question's expected sources are passage
 * identifiers as policy_ask gives them: guide:CODE.SECTION, clause:POLICY_KEY#NUMBER,
 * policy:POLICY_KEY, kb:ID.
 */
#include "policy/policy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/embed.h"

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
                    "       onewindow ask TEXT [LANG] | evaluate [FILE]\n");
    return 2;
}
