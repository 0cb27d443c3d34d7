/* notify_internal.h - what notify.c, notify_store.c and notify_http.c share. */
#ifndef ONEWINDOW_NOTIFY_INTERNAL_H
#define ONEWINDOW_NOTIFY_INTERNAL_H

#include <pthread.h>

#include "notify/notify.h"

struct notify {
    struct store *store;
    struct crypto_keyring *kr;
    struct identity *id; /* pages only */
    struct notify_channel sms;
    /* the delivery thread */
    pthread_t thread;
    int running;
    int stop;
    int interval_ms;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char holder[64];
};

struct notify_row {
    int64_t id, account_id, department_id, created_at, read_at;
    const char *lang, *kind, *params, *link;
};

struct notify_due {
    int64_t outbox_id, message_id;
    const char *channel;
    int attempts;
    const char *lang, *kind, *params;
    const unsigned char *phone_enc;
    size_t phone_enc_len;
};

int nts_message_insert(struct store_conn *c, int64_t id, const struct notify_msg *m,
                       const char *lang, const char *params, const unsigned char *phone_enc,
                       size_t phone_len, int64_t now, struct err *err);
int nts_outbox_insert(struct store_conn *c, int64_t id, int64_t message_id, const char *channel,
                      int64_t now, struct err *err);
/* Messages of an account (dept 0) or a department (account 0), id < before, newest first. */
int nts_inbox(struct store_conn *c, struct arena *a, int64_t account_id, int64_t department_id,
              int64_t before, int limit, struct notify_row *out, size_t *n, struct err *err);
int nts_unread(struct store_conn *c, int64_t account_id, int64_t department_id, int64_t *count,
               struct err *err);
int nts_message_owner(struct store_conn *c, int64_t id, int64_t *account_id, int64_t *department_id,
                      int *found, struct err *err);
int nts_mark_read(struct store_conn *c, int64_t id, int64_t now, struct err *err);
int nts_mark_all_read(struct store_conn *c, int64_t account_id, int64_t department_id, int64_t now,
                      int64_t *changed, struct err *err);
int nts_lease_take(struct store_conn *c, const char *name, const char *holder, int64_t now,
                   int64_t until, int *taken, struct err *err);
int nts_due(struct store_conn *c, struct arena *a, int64_t now, int max, struct notify_due *out,
            size_t *n, struct err *err);
int nts_outbox_sent(struct store_conn *c, int64_t id, int64_t now, int *changed, struct err *err);
int nts_outbox_retry(struct store_conn *c, int64_t id, int attempts, int64_t next,
                     const char *status, const char *error, struct err *err);
int nts_sandbox_insert(struct store_conn *c, int64_t outbox_id, const char *phone_masked,
                       const char *lang, const char *body, int64_t now, struct err *err);
int nts_outbox_counts(struct store_conn *c, int64_t *pending, int64_t *sent, int64_t *failed,
                      struct err *err);

typedef void (*nts_sandbox_fn)(void *ctx, int64_t outbox_id, const char *phone_masked,
                               const char *lang, const char *body, int64_t at);
int nts_sandbox_list(struct store_conn *c, int limit, nts_sandbox_fn fn, void *ctx,
                     struct err *err);

#endif
