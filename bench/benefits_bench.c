/*
 * benefits_bench.c - 免申即享 eligibility over N people (default 1,000,000; issue 16 target:
 * under 60 s). A synthetic source yields people with valid 18-character ID numbers (half of
 * them registered in Chengguan 540102, birth years 1920..2019); the demo rule runs over them
 * through the same benefits_run_rules as the job (account 0: counted, no offers written).
 * Baseline in the same run: the source alone (yielding the people, no rule). Prints
 * key=value lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/id.h"
#include "benefits/benefits.h"

struct synth {
    long n;
    char (*ids)[19];
};

static int each(void *ctx, benefits_person_fn fn, void *fnctx, struct err *err)
{
    struct synth *s = ctx;
    for (long i = 0; i < s->n; i++) {
        struct benefits_person p = {0, s->ids[i], "bo"};
        if (fn(fnctx, &p, err) < 0)
            return -1;
    }
    return 0;
}

static long counted;
static int count_only(void *ctx, const struct benefits_person *p, struct err *err)
{
    (void)ctx;
    (void)err;
    counted += p->id_number[17] != 0;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    struct synth s = {n, malloc(sizeof(*s.ids) * (size_t)n)};
    if (s.ids == NULL)
        return 1;
    unsigned seed = 12345;
    for (long i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        int year = 1920 + (int)(seed >> 8) % 100, month = 1 + (int)(seed >> 4) % 12;
        snprintf(s.ids[i], sizeof(s.ids[i]), "%s%04d%02d15%03ld%c",
                 (seed >> 20) & 1 ? "540102" : "540103", year, month, i % 1000, 'X');
    }
    struct benefits *b = NULL;
    struct err err;
    if (benefits_open(NULL, NULL, NULL, &b, &err) < 0)
        return 1;
    struct benefits_source src = {&s, each};
    benefits_set_source(b, &src);

    double t0 = now_s();
    struct err e2;
    each(&s, count_only, NULL, &e2);
    double base = now_s() - t0;

    struct benefits_run run;
    t0 = now_s();
    if (benefits_run_rules(b, NULL, 20261207, &run, &err) < 0) {
        fprintf(stderr, "run: %s\n", err.msg);
        return 1;
    }
    double t = now_s() - t0;
    printf("benefits_people=%lld\n", (long long)run.people);
    printf("benefits_eligible=%lld\n", (long long)run.eligible);
    printf("benefits_eligibility_s=%.3f\n", t);
    printf("benefits_people_per_s=%.0f\n", t > 0 ? (double)run.people / t : 0);
    printf("benefits_source_only_s=%.3f\n", base);
    printf("benefits_ratio_to_source=%.1f\n", base > 0 ? t / base : 0);
    printf("benefits_target_s=60\n");
    benefits_close(b);
    free(s.ids);
    return counted == n ? 0 : 1;
}
