/* divisions_internal.h - shared by divisions.c, divisions_store.c, divisions_http.c. */
#ifndef ONEWINDOW_DIVISIONS_INTERNAL_H
#define ONEWINDOW_DIVISIONS_INTERNAL_H

#include <string.h>

#include "divisions/divisions.h"

int divisions_store_get(struct store_conn *c, struct arena *a, int64_t code, struct division *out,
                        int *found, struct err *err);
int divisions_store_children(struct store_conn *c, struct arena *a, int64_t code,
                             struct division **out, size_t *n, struct err *err);
/* Up to `limit` divisions below the region whose name (any language) contains `q`, or
 * whose code starts with it when `q` is digits; best matches first. */
int divisions_store_search(struct store_conn *c, struct arena *a, const char *q, int limit,
                           struct division **out, size_t *n, struct err *err);
/* Insert unless present; adds 1 to *inserted when a row was added. */
int divisions_store_insert(struct store_conn *c, const struct division *d, int *inserted,
                           struct err *err);
/* Bring the Tibetan name of the existing division d->code in step with the reference data
 * (d->name_bo and d->name_bo_source, or none), unless someone changed it since it was
 * loaded (SQL_SYNC_BO); adds 1 to *changed when the row changed. */
int divisions_store_sync_bo(struct store_conn *c, const struct division *d, int *changed,
                            struct err *err);
int divisions_store_count_by_level(struct store_conn *c, int64_t counts[6], struct err *err);

int divisions_store_version(struct store_conn *c, int64_t *version, struct err *err);
int divisions_store_bump_version(struct store_conn *c, int64_t version, struct err *err);

#endif
