/* notices_internal.h - what notices.c, notices_store.c and notices_http.c share. */
#ifndef ONEWINDOW_NOTICES_INTERNAL_H
#define ONEWINDOW_NOTICES_INTERNAL_H

#include "notices/notices.h"

struct store_conn;

struct notices {
    struct store *store;
    struct notify *notify;
    struct identity *id; /* pages */
};

int notices_db_insert(struct store_conn *c, int64_t id, int64_t division_code,
                      const struct notice_in *in, int64_t author, int64_t now, struct err *err);
int notices_db_list(struct store_conn *c, struct arena *a, const char *topic, int64_t division,
                    int64_t before, int limit, int64_t only_id, struct notice *out, size_t *count,
                    struct err *err);
typedef int (*notices_db_account_fn)(void *ctx, int64_t account_id);
int notices_db_subscribers(struct store_conn *c, const char *topic, notices_db_account_fn fn,
                           void *ctx, struct err *err);
int notices_db_subscribe(struct store_conn *c, int64_t account_id, const char *topic, int on,
                         int64_t now, struct err *err);
int notices_db_subscribed(struct store_conn *c, int64_t account_id, const char *topic, int *on,
                          struct err *err);

#endif
