/*
 * benefits.h - 免申即享, benefits without applying (issue 16 part 7). A benefit is a rule
 * over data the platform holds (or, later, fetches through the data exchange): the
 * eligibility job runs every rule over the people a `benefits_source` yields, records an
 * offer with the facts that made the person eligible, tells them through notify in their
 * language, and they accept with one click or decline (or the benefit is granted outright
 * where the rule says so). Every decision is audited and can be appealed.
 * Design: docs/internals/benefits.md.
 */
#ifndef ONEWINDOW_BENEFITS_BENEFITS_H
#define ONEWINDOW_BENEFITS_BENEFITS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct notify;
struct identity;
struct web_server;

/* A person as a source yields them: only what rules may read. */
struct benefits_person {
    int64_t account_id;
    const char *id_number; /* 18 characters: region (6), birth date (8), ... */
    const char *lang;
};
typedef int (*benefits_person_fn)(void *ctx, const struct benefits_person *p, struct err *err);
/* Where the people come from: the platform's accounts (benefits_platform_source), or the
 * data exchange's population register when it exists. */
struct benefits_source {
    void *ctx;
    int (*each)(void *ctx, benefits_person_fn fn, void *fnctx, struct err *err);
};

/* A rule: residents of a county (ID region prefix) aged min_age or more on the run date. */
struct benefits_rule {
    const char *code;     /* "elderly-allowance-540102" */
    const char *name_key; /* i18n key of its name */
    const char *region;   /* ID number prefix: 6 digits of the county */
    int min_age;
    int grant_outright; /* 1: granted without a click */
};
extern const struct benefits_rule benefits_rules[];
extern const size_t benefits_nrules;

/* Is the person eligible on `today` (YYYYMMDD)? 1 with *age set, else 0. */
int benefits_eligible(const struct benefits_rule *r, const char *id_number, int today, int *age);

struct benefits;
int benefits_open(struct store *st, struct notify *nf, struct identity *id, struct benefits **out,
                  struct err *err);
void benefits_close(struct benefits *b);
void benefits_set_source(struct benefits *b, const struct benefits_source *src);
/* The platform's own data: every citizen account with an ID number (decrypted through
 * identity, one at a time, never kept). */
struct benefits_source benefits_platform_source(struct benefits *b);

struct benefits_run {
    int64_t people, eligible, offered; /* offered: new offers (or grants) this run */
};
/* Run every rule (or the one named) as of `today` (YYYYMMDD, 0: today in China). */
int benefits_run_rules(struct benefits *b, const char *only, int today, struct benefits_run *out,
                       struct err *err);

struct benefits_grant {
    int64_t id;
    const char *benefit, *status, *note;
    const char *reason; /* JSON */
    int64_t created_at, decided_at;
};
int benefits_of(struct benefits *b, struct arena *a, int64_t account_id,
                struct benefits_grant **out, size_t *count, struct err *err);
/* The person decides: "accept", "decline" (from offered) or "appeal" (from any state but
 * appealed, with a note of at most 2000 bytes). 404 benefits.not_found unless it is theirs;
 * 409 benefits.state. */
int benefits_decide(struct benefits *b, int64_t account_id, int64_t grant_id, const char *action,
                    const char *note, const char *ip, struct err *err);

int benefits_cli(struct benefits *b, int argc, char **argv, struct err *err);
int benefits_http_register(struct web_server *srv, struct benefits *b);

#endif
