/* benefits_internal.h - what benefits.c, benefits_store.c and benefits_http.c share. */
#ifndef ONEWINDOW_BENEFITS_INTERNAL_H
#define ONEWINDOW_BENEFITS_INTERNAL_H

#include "benefits/benefits.h"

struct store_conn;

struct benefits {
    struct store *store;
    struct notify *notify;
    struct identity *id;
    struct benefits_source src;
};

/* 1 inserted, 0 when the person already has a row for the benefit. */
int benefits_db_insert(struct store_conn *c, int64_t id, const char *benefit, int64_t account_id,
                       const char *status, const char *reason, int64_t now, int *inserted,
                       struct err *err);
int benefits_db_of(struct store_conn *c, struct arena *a, int64_t account_id,
                   struct benefits_grant *out, size_t max, size_t *count, struct err *err);
int benefits_db_get(struct store_conn *c, int64_t id, int64_t *account_id, char status[16],
                    int *found, struct err *err);
int benefits_db_decide(struct store_conn *c, int64_t id, const char *from, const char *to,
                       const char *note, int64_t now, int *changed, struct err *err);

#endif
