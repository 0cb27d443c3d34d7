/* notify_internal.h - what notify.c, notify_store.c and notify_http.c share. */
#ifndef ONEWINDOW_NOTIFY_INTERNAL_H
#define ONEWINDOW_NOTIFY_INTERNAL_H

#include <pthread.h>

#include "base/buf.h"
#include "notify/notify.h"

struct notify {
    struct store *store;
    struct crypto_keyring *kr;
    struct identity *id; /* pages only */
    struct notify_channel sms;
    struct notify_channel email; /* .send NULL: no e-mail channel */
    void *sms_ctx, *email_ctx;   /* owned: the configured connectors' state */
    char receipt_secret[256];
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
    const unsigned char *address_enc; /* the contact's address, sealed to the outbox row */
    size_t address_enc_len;
};

int notify_db_message_insert(struct store_conn *c, int64_t id, const struct notify_msg *m,
                             const char *lang, const char *params, const unsigned char *phone_enc,
                             size_t phone_len, int64_t now, struct err *err);
int notify_db_outbox_insert(struct store_conn *c, int64_t id, int64_t message_id,
                            const char *channel, int64_t now, struct err *err);
/* Messages of an account (dept 0) or a department (account 0), id < before, newest first. */
int notify_db_inbox(struct store_conn *c, struct arena *a, int64_t account_id,
                    int64_t department_id, int64_t before, int limit, struct notify_row *out,
                    size_t *n, struct err *err);
int notify_db_unread(struct store_conn *c, int64_t account_id, int64_t department_id,
                     int64_t *count, struct err *err);
int notify_db_message_owner(struct store_conn *c, int64_t id, int64_t *account_id,
                            int64_t *department_id, int *found, struct err *err);
int notify_db_mark_read(struct store_conn *c, int64_t id, int64_t now, struct err *err);
int notify_db_mark_all_read(struct store_conn *c, int64_t account_id, int64_t department_id,
                            int64_t now, int64_t *changed, struct err *err);
int notify_db_lease_take(struct store_conn *c, const char *name, const char *holder, int64_t now,
                         int64_t until, int *taken, struct err *err);
int notify_db_due(struct store_conn *c, struct arena *a, int64_t now, int max,
                  struct notify_due *out, size_t *n, struct err *err);
int notify_db_outbox_sent(struct store_conn *c, int64_t id, int64_t now, int *changed,
                          struct err *err);
int notify_db_outbox_retry(struct store_conn *c, int64_t id, int attempts, int64_t next,
                           const char *status, const char *error, struct err *err);
int notify_db_sandbox_insert(struct store_conn *c, int64_t outbox_id, const char *phone_masked,
                             const char *lang, const char *body, int64_t now, struct err *err);
int notify_db_outbox_counts(struct store_conn *c, int64_t *pending, int64_t *sent, int64_t *failed,
                            struct err *err);

typedef void (*notify_db_sandbox_fn)(void *ctx, int64_t outbox_id, const char *phone_masked,
                                     const char *lang, const char *body, int64_t at);
int notify_db_sandbox_list(struct store_conn *c, int limit, notify_db_sandbox_fn fn, void *ctx,
                           struct err *err);

/* ---- issue 16 ---- */
int notify_mail_header_encode(struct buf *b, const char *text);
/* The routing of an account's message to its verified contacts (notify_contacts.c): one
 * outbox row per channel the account has verified and not turned off (sms skipped when the
 * message already has a phone of its own); SMS in quiet hours wait for their end. */
struct notify_db_prefs;
int notify_route_account(struct notify *n, struct store_conn *c, int64_t message_id,
                         int64_t account_id, const char *kind, int has_phone,
                         const struct notify_db_prefs *prefs, int64_t now, struct err *err);
/* Seal `address` for an outbox row / a contact (AD: the row's identity). */
int notify_seal(struct notify *n, const char *ad, const char *address, unsigned char *out,
                size_t size, size_t *len, struct err *err);
int notify_open_sealed(struct notify *n, const char *ad, const unsigned char *in, size_t len,
                       char *out, size_t size, struct err *err);
struct web_server;
int notify_settings_register(struct web_server *srv, struct notify *n);

int notify_db_outbox_insert_addr(struct store_conn *c, int64_t id, int64_t message_id,
                                 const char *channel, const unsigned char *addr, size_t addr_len,
                                 int64_t at, int64_t now, struct err *err);
int notify_db_outbox_claim(struct store_conn *c, int64_t id, int64_t now, int *changed,
                           struct err *err);
int notify_db_outbox_finish(struct store_conn *c, int64_t id, const char *from, const char *to,
                            const char *error, int64_t now, int *changed, struct err *err);
int notify_db_lease_release(struct store_conn *c, const char *name, const char *holder,
                            struct err *err);
int notify_db_ops(struct store_conn *c, struct arena *a, const char *status, int64_t before,
                  int limit, struct notify_op *out, size_t *n, struct err *err);
int notify_db_resend(struct store_conn *c, int64_t id, int64_t now, int *changed, struct err *err);
int notify_db_lease_holder(struct store_conn *c, const char *name, char *out, size_t size,
                           struct err *err);
int notify_db_lease_steal(struct store_conn *c, const char *name, const char *from,
                          const char *holder, int64_t until, int *taken, struct err *err);
void notify_channels_free(struct notify *n);
typedef void (*notify_db_template_fn)(void *ctx, const char *kind, const char *lang, int version,
                                      const char *body);
int notify_db_templates_stamp(struct store_conn *c, int64_t *stamp, struct err *err);
int notify_db_templates_newest(struct store_conn *c, notify_db_template_fn fn, void *ctx,
                               struct err *err);
int notify_db_template_max(struct store_conn *c, const char *kind, const char *lang, int *version,
                           struct err *err);
int notify_db_template_insert(struct store_conn *c, const char *kind, const char *lang, int version,
                              const char *body, int64_t author, int64_t now, struct err *err);
const char *notify_template_override(struct arena *a, const char *lang, const char *kind);
int notify_send_id_to_address(struct notify *n, const struct notify_msg *m, int64_t *message_id,
                              struct err *err);
int notify_db_interrupted(struct store_conn *c, int64_t now, int64_t *changed, struct err *err);
int notify_db_outbox_status(struct store_conn *c, int64_t id, char status[16], int *found,
                            struct err *err);

#endif
