/* remind_internal.h - the SQL of reminders (remind_store.c). The application, rating and
 * certificate tables belong to apply, review and certs: read only here. */
#ifndef ONEWINDOW_REMIND_INTERNAL_H
#define ONEWINDOW_REMIND_INTERNAL_H

#include "remind/remind.h"

struct store_conn;

struct rmd_row {
    int64_t id, account, at;
    char number[64], item[256], lang[4], extra[64];
};
typedef int (*rmd_fn)(void *ctx, const struct rmd_row *r);
int rmd_returned(struct store_conn *c, rmd_fn fn, void *ctx, struct err *err);
int rmd_unrated(struct store_conn *c, int64_t since, rmd_fn fn, void *ctx, struct err *err);
int rmd_expiring(struct store_conn *c, int64_t now, int64_t until, rmd_fn fn, void *ctx,
                 struct err *err);
/* 1 when newly marked, 0 when it was sent before. */
int rmd_mark(struct store_conn *c, const char *kind, const char *object, int64_t now, int *fresh,
             struct err *err);

#endif
