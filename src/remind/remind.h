/*
 * remind.h - reminders (issue 16 part 6), a job on the working-day calendar: it runs on
 * working days only and counts in working days. Kinds:
 *   remind.supplement   an application returned for completion (补正) that has waited
 *                       REMIND_SUPPLEMENT_DAYS working days;
 *   remind.rating       a decided application not rated after REMIND_RATING_DAYS working
 *                       days (within 30 days of the decision);
 *   remind.cert_expiry  a valid e-certificate that expires within REMIND_CERT_DAYS days.
 * Each reaches the person through notify (inbox and verified channels; group "remind", which
 * they may turn off) once: remind_sent remembers it. "Fee due" waits for the payment module.
 * The applications, ratings and certificates belong to apply, review and certs: they reach
 * this module through `struct remind_sources`, which wiring fills.
 * Design: docs/internals/remind.md.
 */
#ifndef ONEWINDOW_REMIND_REMIND_H
#define ONEWINDOW_REMIND_REMIND_H

#include <stdint.h>

#include "base/err.h"

struct store;
struct notify;

#define REMIND_SUPPLEMENT_DAYS 3
#define REMIND_RATING_DAYS 2
#define REMIND_CERT_DAYS 30

/* One thing a reminder may be about: an application (id, applicant, when it was returned or
 * decided, number, service name, language) or a certificate (id, holder, end of validity,
 * type code in `item`, `number` empty). */
struct remind_item {
    int64_t id, account, at;
    const char *number, *item, *lang;
};
typedef int (*remind_item_fn)(void *ctx, const struct remind_item *it);
struct remind_sources {
    void *ctx;
    /* applications waiting for completion (补正) */
    int (*returned)(void *ctx, remind_item_fn fn, void *fctx, struct err *err);
    /* applications decided since `since` and not rated */
    int (*unrated)(void *ctx, int64_t since, remind_item_fn fn, void *fctx, struct err *err);
    /* valid certificates ending in (now, until] */
    int (*expiring)(void *ctx, int64_t now, int64_t until, remind_item_fn fn, void *fctx,
                    struct err *err);
};

struct remind_run {
    int working_day; /* 0: today is not a working day, nothing was done */
    int supplement, rating, cert_expiry;
};
/* Run as of `now_ms`. */
int remind_run(struct store *st, struct notify *nf, const struct remind_sources *src,
               int64_t now_ms, struct remind_run *out, struct err *err);
/* `onewindow remind run [YYYY-MM-DD]`. */
int remind_cli(struct store *st, struct notify *nf, const struct remind_sources *src, int argc,
               char **argv, struct err *err);

#endif
