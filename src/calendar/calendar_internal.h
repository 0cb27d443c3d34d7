/* calendar_internal.h - shared by calendar.c, calendar_store.c, calendar_http.c and
 * calendar_cli.c. */
#ifndef ONEWINDOW_CALENDAR_INTERNAL_H
#define ONEWINDOW_CALENDAR_INTERNAL_H

#include <stddef.h>

#include "calendar/calendar.h"

/* A row as stored; `day` as "YYYY-MM-DD". */
struct calendar_row {
    const char *day, *kind, *name_zh, *scope, *source;
};

/* Called once per row, in day order; non-zero stops the walk and is returned. */
typedef int (*calendar_row_fn)(const struct calendar_row *row, void *ctx);

/* Every row of every scope, ordered by day then scope. */
int calendar_store_each(struct store_conn *c, calendar_row_fn fn, void *ctx, struct err *err);
/* Insert unless present; adds 1 to *inserted when a row was added. */
int calendar_store_insert(struct store_conn *c, const struct calendar_row *r, int64_t now,
                          int *inserted, struct err *err);
/* Insert or replace. */
int calendar_store_upsert(struct store_conn *c, const struct calendar_row *r, int64_t now,
                          struct err *err);
/* Delete; *removed is 1 when a row went. */
int calendar_store_delete(struct store_conn *c, const char *day, const char *scope, int *removed,
                          struct err *err);
int calendar_store_version(struct store_conn *c, int64_t *version, struct err *err);
int calendar_store_bump_version(struct store_conn *c, int64_t version, struct err *err);

/* Whether a scope name is acceptable: 1..32 lowercase ASCII letters, digits or '_'. */
int calendar_scope_valid(const char *s);

#endif
