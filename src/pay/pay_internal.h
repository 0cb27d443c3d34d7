/* pay_internal.h - what the files of src/pay share: the module, the gateway connector
 * interface, order rows and the SQL of pay_store.c. */
#ifndef ONEWINDOW_PAY_PAY_INTERNAL_H
#define ONEWINDOW_PAY_PAY_INTERNAL_H

#include <pthread.h>

#include "pay/pay.h"

struct arena;
struct store_conn;
struct crypto_key;

/* A notification's parameters, parsed from the urlencoded body. Strings point into the
 * parsed copy (owned by the caller of pay_notice_parse). */
#define PAY_NOTICE_MAX 2048
struct pay_notice {
    char buf[PAY_NOTICE_MAX];
    const char *notify_id, *txn, *order, *currency, *status, *sign;
    int64_t amount_fen, paid_at;
    char canonical[PAY_NOTICE_MAX]; /* the signed string: sorted k=v pairs without sign */
};
/* 0, or -1 with 400 pay.bad_notice. */
int pay_notice_parse(const char *body, size_t len, struct pay_notice *n, struct err *err);
/* The canonical string of key/value pairs: keys in byte order, "k=v" joined by '&',
 * "sign" and empty values left out (as UnionPay and the bank gateways do). */
int pay_canonical(const char *const *keys, const char *const *values, size_t n, char *out,
                  size_t out_size);

/* What a gateway says about an order. */
struct pay_gw_status {
    int found, paid;
    char txn[64];
    int64_t amount_fen, paid_at;
};

/* The connector a gateway implements (docs/internals/pay.md, "A real gateway"). Each
 * function returns 0 or -1 with err. */
struct pay_gateway {
    const char *name;
    /* Start a payment of an order; the payer's checkout address into url. */
    int (*create)(struct pay *p, const char *order_code, int64_t amount_fen, char url[512],
                  struct err *err);
    int (*query)(struct pay *p, const char *order_code, struct pay_gw_status *out, struct err *err);
    int (*close)(struct pay *p, const char *order_code, struct err *err);
    /* Refund part of a transaction; the gateway's refund reference into ref (64). */
    int (*refund)(struct pay *p, const char *txn, int64_t amount_fen, char ref[64],
                  struct err *err);
    /* 0 when the signature of the notice holds. */
    int (*verify)(struct pay *p, const struct pay_notice *n);
    /* The day's statement: CSV "txn,order,amount_fen,currency,status,paid_at". Caller
     * frees *csv. */
    int (*statement)(struct pay *p, const char *day, char **csv, size_t *len, struct err *err);
};
const struct pay_gateway *pay_gateway_find(const char *name);
extern const struct pay_gateway pay_sandbox_gateway;

struct pay {
    struct store *store;
    struct crypto_keyring *kr;
    struct identity *id;
    struct notify *notify;
    struct certs *certs;            /* issues the fiscal receipts (NULL: none, in unit tests) */
    struct crypto_key *sandbox_key; /* the sandbox gateway's SM2 key pair */
    pthread_t thread;
    int running, stop;
    char holder[48];
    int interval_ms;
    pthread_mutex_t lock;
    pthread_cond_t wake;
};

/* Order states. */
#define PAY_CREATED "created"
#define PAY_PAYING "paying"
#define PAY_PAID "paid"
#define PAY_PARTLY_REFUNDED "partly_refunded"
#define PAY_REFUNDED "refunded"
#define PAY_CLOSED "closed"

struct pay_order {
    int64_t id;
    char code[32];
    int64_t application_id;
    char number[40];
    char item_code[48];
    int64_t department_id, payer;
    int64_t amount_fen;
    char currency[8];
    char state[24];
    char due[16];
    char channel[16];
    char gateway[24];
    char txn[64];
    int64_t paid_fen, refunded_fen;
    char receipt[128];
    int64_t created_at, expires_at, paid_at;
};

/* The sandbox's private half: sign a canonical string (hex DER signature into sig). */
int pay_sandbox_sign(struct pay *p, const char *canonical, char *sig_hex, size_t n);
/* The sandbox's checkout: the payer confirms (a notification is queued and a first
 * delivery tried at once) or cancels. 404 pay.unknown_txn, 409 pay.bad_state. */
int pay_sandbox_confirm(struct pay *p, const char *txn, char order_code[32], struct err *err);
int pay_sandbox_cancel(struct pay *p, const char *txn, char order_code[32], struct err *err);
/* A sandbox transaction for the checkout page: {txn, order, amount_fen, state}. */
int pay_sandbox_txn(struct pay *p, const char *txn, json_t **out, struct err *err);
/* Deliver due notifications (retry with back-off). */
int pay_sandbox_deliver(struct pay *p, const char *holder, int64_t now_ms, int *delivered,
                        struct err *err);
/* Pay a sandbox transaction of an order directly (the bench and the CLI); lose_notice:
 * its notification never leaves the bank. */
int pay_sandbox_pay_now(struct pay *p, const char *order_code, int64_t amount_fen,
                        const char *currency, int lose_notice, char txn[64], struct err *err);

/* Take a gateway's payment of an order in one transaction (pay.c): paid, the same one
 * again (nothing), or an exception refunded. notify_id NULL for a query's answer. */
int pay_take_gateway_payment(struct pay *p, const struct pay_gateway *gw, const char *order,
                             const char *txn, int64_t amount, const char *notify_id, const char *ip,
                             struct err *err);
/* An audit record of a refusal, in its own transaction. */
int pay_audit_refusal(struct pay *p, const char *action, const char *code, const char *ip,
                      const struct err *why);

/* "120.00" for 12000 fen (out at least 32 bytes). Never floating point. */
void pay_fen_text(int64_t fen, char *out, size_t n);
/* YYYY-MM-DD of a time in China (UTC+8). */
void pay_day_of(int64_t ms, char out[11]);

/* ---- pay_store.c -------------------------------------------------------------------- */
int pay_db_order_insert(struct store_conn *c, const struct pay_order *o, struct err *err);
int pay_db_order_get(struct store_conn *c, const char *code, struct pay_order *o, int *found,
                     struct err *err);
int pay_db_order_of_application(struct store_conn *c, const char *number, struct pay_order *o,
                                int *found, struct err *err);
/* UPDATE ... WHERE state = from: *changed 0 when another took it first. */
int pay_db_order_state(struct store_conn *c, int64_t id, const char *from, const char *to,
                       int64_t now, int *changed, struct err *err);
int pay_db_order_paid(struct store_conn *c, int64_t id, const char *channel, const char *gateway,
                      const char *txn, const char *counter_ref, int64_t amount, int64_t now,
                      int *changed, struct err *err);
int pay_db_order_receipt(struct store_conn *c, int64_t id, const char *receipt, struct err *err);
int pay_db_order_refunded(struct store_conn *c, int64_t id, int64_t amount, int64_t paid_fen,
                          int64_t now, int *changed, struct err *err);
int pay_db_event(struct store_conn *c, int64_t order_id, int64_t at, const char *kind,
                 int64_t amount, int64_t actor, const char *note, struct err *err);
int pay_db_events(struct store_conn *c, int64_t order_id, json_t *out, struct err *err);
int pay_db_notice_take(struct store_conn *c, const char *gateway, const char *notify_id,
                       int64_t order_id, const char *txn, int64_t amount, const char *outcome,
                       int64_t now, int *taken, struct err *err);
int pay_db_exception(struct store_conn *c, int64_t order_id, const char *gateway, const char *txn,
                     int64_t amount, const char *kind, const char *status, int64_t now,
                     int *inserted, struct err *err);
int pay_db_refund_insert(struct store_conn *c, int64_t order_id, int64_t amount, const char *reason,
                         int64_t actor, const char *ref, int64_t now, struct err *err);
int pay_db_orders_list(struct store_conn *c, const char *state, int limit, json_t *out,
                       struct err *err);
/* Orders whose time ran out: codes into out (JSON array of strings). */
int pay_db_orders_expired(struct store_conn *c, int64_t now, int limit, json_t *out,
                          struct err *err);
/* Orders left paying (codes). */
int pay_db_orders_paying(struct store_conn *c, json_t *out, struct err *err);
/* Our ledger of a day: txn -> {order, amount_fen} for orders paid through `gateway` in
 * [from, to), and exceptions' transactions. Calls row() for each. */
int pay_db_ledger(struct store_conn *c, const char *gateway, int64_t from, int64_t to,
                  void (*row)(void *ctx, const char *txn, const char *order, int64_t amount),
                  void *ctx, struct err *err);
int pay_db_recon_put(struct store_conn *c, const char *day, const char *gateway, int64_t matched,
                     int64_t ours, int64_t theirs, int64_t mism, const char *detail, int64_t now,
                     struct err *err);
int pay_db_recon_list(struct store_conn *c, json_t *out, struct err *err);

/* The sandbox gateway's books. */
int pay_db_sb_txn_insert(struct store_conn *c, const char *txn, const char *order, int64_t amount,
                         const char *currency, int64_t now, struct err *err);
struct pay_sb_txn {
    char txn[64], order[32], currency[8], state[16];
    int64_t amount_fen, refunded_fen, paid_at;
};
int pay_db_sb_txn_get(struct store_conn *c, const char *txn, struct pay_sb_txn *t, int *found,
                      struct err *err);
int pay_db_sb_txn_of_order(struct store_conn *c, const char *order, struct pay_sb_txn *t,
                           int *found, struct err *err);
int pay_db_sb_txn_set(struct store_conn *c, const char *txn, const char *from, const char *to,
                      int64_t paid_at, const char *day, int *changed, struct err *err);
int pay_db_sb_txn_refund(struct store_conn *c, const char *txn, int64_t amount, int *changed,
                         struct err *err);
int pay_db_sb_outbox_add(struct store_conn *c, const char *txn, const char *body, int64_t now,
                         struct err *err);
struct pay_sb_out {
    int64_t id;
    int attempts;
    char body[PAY_NOTICE_MAX];
};
int pay_db_sb_outbox_due(struct store_conn *c, int64_t now, int max, struct pay_sb_out *rows,
                         int *n, struct err *err);
int pay_db_sb_outbox_done(struct store_conn *c, int64_t id, const char *status, int attempts,
                          int64_t next_at, const char *error, struct err *err);
int pay_db_sb_outbox_lose(struct store_conn *c, const char *txn, struct err *err);
int pay_db_sb_outbox_list(struct store_conn *c, json_t *out, struct err *err);
int pay_db_sb_statement(struct store_conn *c, const char *day,
                        void (*row)(void *ctx, const char *txn, const char *order, int64_t amount,
                                    const char *currency, const char *state, int64_t paid_at),
                        void *ctx, struct err *err);
int pay_db_lease_take(struct store_conn *c, const char *holder, int64_t now, int64_t until,
                      int *taken, struct err *err);

#endif
