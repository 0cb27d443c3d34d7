/*
 * pay.h - unified public payment (统一公共支付) and electronic fiscal receipts (issue 12).
 *
 * An application for an item with a fee gets a fee order (缴款通知) with a payment code
 * (缴款码) when it is submitted, in the submitting transaction (apply's on_submitted hook).
 * The payer pays online through a gateway (a connector behind struct pay_gateway; the
 * sandbox gateway ships) or at a counter (a clerk records the POS or cash reference). The
 * order's states never lose money:
 *
 *   created -> paying -> paid -> partly_refunded -> refunded
 *   created | paying -> closed (timeout)
 *
 * Only a verified gateway notification, a gateway query or a counter record makes an
 * order paid; the browser's return URL only shows the state. A notification is taken once
 * per (gateway, notify_id); one that is forged, for an unknown order, or whose amount or
 * currency differs is refused (4xx) and audited. Money that arrives for a closed order or
 * a second time for a paid one is recorded as an exception and refunded at the gateway.
 * On payment a fiscal receipt is issued in the same transaction as a sealed certificate
 * (src/certs type FISCAL_RECEIPT, the finance department's seal), so /verify checks it.
 *
 * Design, states and the connector contract: docs/internals/pay.md. Amounts are integer
 * fen everywhere.
 */
#ifndef ONEWINDOW_PAY_PAY_H
#define ONEWINDOW_PAY_PAY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct certs;
struct store;
struct crypto_keyring;
struct identity;
struct notify;
struct authz_subject;
struct web_server;
struct web_req;
struct web_resp;
struct apply_decided;

struct pay;

/* An order is closed this long after it was created if nobody paid (48 h). */
#define PAY_ORDER_TTL_MS (48LL * 3600 * 1000)
/* Longest refund reason and counter reference, in bytes. */
#define PAY_REASON_MAX 500
#define PAY_REF_MAX 64
/* The finance department whose seal signs receipts (demo: 西藏自治区财政厅). */
#define PAY_FINANCE_DEPT "xz-cz"

/* Open the module; everything is borrowed. notify may be NULL (no messages). */
int pay_open(struct store *st, struct crypto_keyring *kr, struct identity *id, struct notify *n,
             struct certs *cs, struct pay **out, struct err *err);
void pay_close(struct pay *p);

/* apply's on_submitted hook: inside the submitting transaction, create the fee order of
 * the application when its item (version) has a fee. 0 (also when there is no fee). */
int pay_on_submitted(struct pay *p, const struct apply_decided *d, struct err *err);

/* The order of an application as its payer or the department's staff see it (new
 * reference): {code, application, item_code, amount_fen, amount, currency, state, due,
 * channel, paid_fen, refunded_fen, refundable_fen, receipt, created_at, expires_at,
 * paid_at, events: [{at, kind, amount_fen, note}], can_pay, can_refund, can_counter}.
 * 404 pay.not_found for anybody else. */
int pay_order_view(struct pay *p, const struct authz_subject *subj, const char *code,
                   const char *lang, json_t **out, struct err *err);
/* The code of an application's order; 404 pay.not_found when it has none. */
int pay_order_code_of(struct pay *p, const char *application_number, char code[32],
                      struct err *err);

/* The payer starts paying online: the gateway's checkout address into url (512 bytes).
 * 404 pay.not_found, 409 pay.bad_state (paid, closed), 400 pay.bad_gateway. */
int pay_checkout(struct pay *p, const struct authz_subject *subj, const char *code,
                 const char *gateway, const char *ip, char url[512], struct err *err);

/* A gateway's notification (the POST body as sent). 0: taken (or the same one again:
 * nothing changes); the caller acknowledges with "success". -1 with err and an audit
 * record: 400 pay.bad_notice (malformed), 403 pay.bad_signature, 404 pay.unknown_order,
 * 409 pay.amount_mismatch / pay.currency_mismatch. A payment after close is taken (0)
 * and recorded as an exception and refunded. */
int pay_notice_receive(struct pay *p, const char *gateway, const char *body, size_t len,
                       const char *ip, struct err *err);

/* A clerk of the order's department records a counter payment (method "cash" or "pos",
 * the terminal's reference). 403 pay.forbidden, 409 pay.bad_state, 400 pay.bad_ref. */
int pay_counter(struct pay *p, const struct authz_subject *subj, const char *code,
                const char *method, const char *ref, const char *ip, struct err *err);

/* A refund of amount_fen (> 0, at most paid - refunded) with a reason, by a clerk or head
 * of the order's department (subj NULL: the system, for the CLI). 403 pay.forbidden, 400
 * pay.bad_amount / pay.reason_required, 409 pay.over_refund / pay.bad_state. Audited, notified to
 * the payer. */
int pay_refund(struct pay *p, const struct authz_subject *subj, const char *code,
               int64_t amount_fen, const char *reason, const char *ip, struct err *err);

/* Close the orders created or paying whose time ran out (asking the gateway first, so a
 * payment made meanwhile is taken, not lost). *closed gets how many closed. */
int pay_close_expired(struct pay *p, int64_t now_ms, int *closed, struct err *err);

/* Reconcile day (YYYY-MM-DD, China time) of a gateway: its statement against our ledger.
 * Orders left paying are queried first. Result (new reference): {day, gateway, matched,
 * ours_only, theirs_only, mismatched, differences: [{kind, txn, order, ours_fen,
 * theirs_fen}]}; stored as the day's run. */
int pay_reconcile(struct pay *p, const char *gateway, const char *day, json_t **out,
                  struct err *err);
/* Runs stored, newest first (new reference). */
int pay_reconciliations(struct pay *p, json_t **out, struct err *err);

/* Background work (serve): the sandbox gateway's notification delivery with back-off,
 * and closing expired orders. */
int pay_start(struct pay *p, int interval_ms, struct err *err);
void pay_stop(struct pay *p);
/* One pass of that work at now_ms (tests, CLI). *delivered may be NULL. */
int pay_work_pass(struct pay *p, int64_t now_ms, int *delivered, struct err *err);

/* The application page's payment box for apply's show page (new reference), or NULL
 * when the application has no order or the reader may not see it. */
json_t *pay_application_box(struct pay *p, struct web_req *req, struct web_resp *resp,
                            const struct authz_subject *subj, const char *number);

/* For the department's workbench: add payment_state and payment_label (in the reader's
 * language) to each row {number, ...} whose application has a fee order. */
void pay_workbench_marks(struct pay *p, struct web_req *req, json_t *rows);

/* `onewindow pay orders [STATE] | refund CODE FEN REASON | reconcile DATE |
 * sandbox statement DATE | sandbox sign PARAMS | sandbox notices | sandbox deliver`. */
int pay_cli(struct pay *p, int argc, char **argv, struct err *err);

/* /pay/notify/{gateway}, /pay/orders/{code}[/checkout|/refund|/counter|/return],
 * /pay/sandbox/checkout/{txn}, /finance/payments[.csv], /api/v1/pay/... */
int pay_http_register(struct web_server *srv, struct pay *p);

#endif
