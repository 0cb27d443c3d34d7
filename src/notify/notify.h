/*
 * notify.h - notifications: an inbox per account on the platform and an outbox that
 * channels (SMS here; email later) deliver from (module contract §3, docs/ARCHITECTURE.md).
 *
 * A message names its recipient (an account, a department's staff, or only a phone
 * number), the recipient's language, a `kind` that is an i18n key of the SENDING module's
 * catalog ("apply.notice.accepted": "申请 {{number}} 已受理") and mustache parameters.
 * Nothing is rendered when sending: the inbox renders in the reader's language when shown,
 * a channel renders in the message's language when it delivers.
 *
 * Delivery: one job per process (notify_start, called by serve) wakes every interval,
 * takes the lease row 'notify.delivery' in the database (so two nodes never deliver the
 * same message), and hands each due outbox row to its channel's connector; a failure is
 * retried with exponential backoff, then given up as "failed". Phone numbers are sealed
 * at rest (crypto AEAD, bound to the message row) and masked in every view and log.
 * Design: docs/internals/notify.md.
 */
#ifndef ONEWINDOW_NOTIFY_NOTIFY_H
#define ONEWINDOW_NOTIFY_NOTIFY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct arena;
struct store;
struct store_conn;
struct crypto_keyring;
struct identity;
struct web_server;

struct notify;

struct notify_msg {
    int64_t account_id;    /* 0: no platform account */
    const char *phone;     /* optional (plaintext in, encrypted at rest): an sms outbox row */
    const char *lang;      /* zh|bo|en (NULL: zh) */
    const char *kind;      /* i18n key of the message text */
    const json_t *params;  /* mustache params (strings, integers, or a name in several
                            * languages {"zh": .., "bo": .., "en": ..}: rendered in the
                            * reader's, zh when it lacks one), may be NULL */
    const char *link;      /* optional relative URL to the object, e.g. /applications/NUMBER */
    int64_t department_id; /* extension: also (or only) for the staff of this department */
};

/* Open the module; the store and keyring are borrowed for its life. A sandbox SMS
 * channel is installed (see notify_channel). */
int notify_open(struct store *st, struct crypto_keyring *kr, struct notify **out, struct err *err);
/* Stops the delivery job if it runs, then frees. NULL allowed. */
void notify_close(struct notify *n);

/* Joins the caller's transaction (or runs in autocommit when there is none): inserts the
 * inbox row and one outbox row per channel (sms when a phone is given). Errors: 400
 * notify.bad_message (no kind, no recipient, unknown language, params not an object, a
 * link that is not a relative path), 400 notify.bad_phone (not a mainland mobile),
 * store errors. *message_id may be NULL. */
int notify_send_id(struct notify *n, const struct notify_msg *m, int64_t *message_id,
                   struct err *err);
int notify_send(struct notify *n, const struct notify_msg *m, struct err *err);

/* Render `kind` in `lang` with `params`: every {{name}} is replaced by the parameter's
 * text (unknown names by nothing; a language map gives its `lang` entry, else zh); the result is
 * plain text, escaped by the page that shows it. A kind missing from the catalogs renders as the
 * kind itself. In arena `a`. */
const char *notify_render(struct arena *a, const char *lang, const char *kind,
                          const json_t *params);

/* ---- the inbox ----------------------------------------------------------------------- */

/* The reader: an account and the departments whose staff messages it may read. */
struct notify_reader {
    int64_t account_id;
    size_t ndepts;
    int64_t depts[32];
};

struct notify_item {
    int64_t id;
    const char *kind;
    const char *text; /* rendered in the language asked for */
    const char *link; /* NULL if none */
    int64_t department_id;
    int64_t created_at;
    int64_t read_at; /* 0: unread */
};

/* The reader's messages, newest first, those with id < before (0: from the newest), at
 * most `limit` (1..100). Strings live in `a`. */
int notify_inbox(struct notify *n, struct arena *a, const struct notify_reader *r, const char *lang,
                 int64_t before, int limit, struct notify_item **out, size_t *count,
                 struct err *err);
/* Unread messages of the reader. */
int notify_unread(struct notify *n, const struct notify_reader *r, int64_t *count, struct err *err);
/* Mark one message read: 404 notify.not_found unless the reader is its recipient. */
int notify_mark_read(struct notify *n, const struct notify_reader *r, int64_t message_id,
                     struct err *err);
/* Mark all the reader's messages read; *changed (may be NULL) gets how many. */
int notify_mark_all_read(struct notify *n, const struct notify_reader *r, int64_t *changed,
                         struct err *err);

/* ---- channels and delivery ---------------------------------------------------------- */

/* A connector: what a real carrier (SMS gateway, mail relay) implements. `deliver` gets
 * the outbox row id (an idempotency key for the carrier), the plaintext address (never
 * log it), the rendered text and its language, and the connection of the transaction
 * that will mark the row sent (connectors that record locally write through it). 0 when
 * the carrier accepted it; -1 with err to retry later (err->status 400..499: refused for
 * good, the row is dead-lettered at once).
 *
 * `send` (preferred when set) gets the whole envelope, with the e-mail subject. An
 * `external` connector (a network call) is called OUTSIDE any transaction: the row is first
 * committed as `sending`, then marked sent; a crash in between leaves it `sending`, and the
 * next pass dead-letters it (notify.interrupted) rather than risk sending it twice. */
struct notify_envelope {
    int64_t outbox_id;
    const char *address; /* e-mail address or mainland mobile (11 digits) */
    const char *lang;
    const char *subject; /* e-mail only */
    const char *text;
};
struct notify_channel {
    const char *name; /* "sms" or "email" */
    void *ctx;
    int (*deliver)(void *ctx, struct store_conn *c, int64_t outbox_id, const char *address,
                   const char *lang, const char *text, struct err *err);
    int (*send)(void *ctx, struct store_conn *c, const struct notify_envelope *e, struct err *err);
    int external;
};
/* Replace the connector of a channel ("sms" or "email"). */
int notify_set_channel(struct notify *n, const struct notify_channel *ch, struct err *err);

/* The channels from the configuration (--smtp-url, --mail-from, --sms-url,
 * --receipt-secret); empty strings leave a channel as it is (e-mail off, the sandbox SMS).
 * Errors with status 2: a URL of the wrong scheme, a From that is no address, a carrier
 * without a secret. */
struct notify_config {
    const char *smtp_url, *mail_from, *sms_url, *receipt_secret;
    const char *smtp_ca; /* PEM bundle verifying the relay (--smtp-ca); NULL/"": the system's */
};
int notify_configure(struct notify *n, const struct notify_config *cfg, struct err *err);
/* Each channel with its state ("on", "sandbox", "carrier", "smtp", "off") and where it goes
 * (a URL with its password masked). */
typedef void (*notify_channel_fn)(void *ctx, const char *name, const char *state,
                                  const char *detail);
int notify_channels_list(struct notify *n, notify_channel_fn fn, void *ctx);

/* Send one e-mail now over SMTP (libcurl): a multipart/alternative text + HTML message,
 * UTF-8 headers (RFC 2047), Message-ID <OUTBOX.notify@DOMAIN-OF-FROM>. Errors 400
 * notify.smtp_refused / smtp_auth / bad_email (for good), 503 notify.smtp_* (retry). */
int notify_mail_send(const char *url, const char *from, int64_t outbox_id, const char *address,
                     const char *lang, const char *subject, const char *text, struct err *err);
/* The same through the configured relay (its CA bundle included). */
int notify_mail_send_configured(struct notify *n, int64_t outbox_id, const char *address,
                                const char *lang, const char *subject, const char *text,
                                struct err *err);
/* Address checks and masks (t***@example.org). */
int notify_email_valid(const char *s);
void notify_email_mask(const char *s, char *out, size_t size);
/* "sm3=" + hex HMAC-SM3(secret, body): the carrier request's and the receipts' signature. */
int notify_sign(const char *secret, const char *body, size_t len, char out[80]);

/* A signed delivery receipt (carrier SMS or e-mail bounce): body JSON {"id": "OUTBOX",
 * "status": "delivered"|"failed", "code": "..."} and its signature. 401
 * notify.bad_signature, 400 notify.bad_receipt, 404 notify.not_found. */
int notify_receipt(struct notify *n, const char *body, size_t len, const char *signature,
                   struct err *err);

/* Attempts before an outbox row is given up ("failed"), and the backoff after attempt k
 * (1-based): NOTIFY_BACKOFF_MS << (k - 1), at most NOTIFY_BACKOFF_MAX_MS. */
#define NOTIFY_MAX_ATTEMPTS 8
#define NOTIFY_BACKOFF_MS 5000LL
#define NOTIFY_BACKOFF_MAX_MS (3600LL * 1000)
#define NOTIFY_LEASE_MS 30000LL

struct notify_pass {
    int leased;    /* 0: another node holds the lease; nothing was done */
    int delivered; /* rows marked sent */
    int retried;   /* rows that failed and will be retried */
    int failed;    /* rows given up */
};
/* One pass of the delivery job as `holder` at time `now_ms`: take or renew the lease,
 * deliver up to `max` due rows. Each row in its own transaction. */
int notify_deliver_due(struct notify *n, const char *holder, int64_t now_ms, int max,
                       struct notify_pass *pass, struct err *err);
/* Start / stop the background delivery thread (serve). interval_ms >= 10. */
int notify_start(struct notify *n, int interval_ms, struct err *err);
void notify_stop(struct notify *n);

/* Counts of outbox rows by status, for /metrics-like views and tests. */
int notify_outbox_counts(struct notify *n, int64_t *pending, int64_t *sent, int64_t *failed,
                         struct err *err);

/* ---- the operator's view (notify.operate) ---------------------------------------------- */

struct notify_op {
    int64_t id, created_at, sent_at, delivered_at;
    const char *channel, *status, *last_error, *kind, *lang;
    int attempts;
};
/* Outbox rows newest first (status "" or NULL: all), id < before, at most limit (1..100).
 * No addresses: the operator sees the state, never the person's data. */
int notify_ops(struct notify *n, struct arena *a, const char *status, int64_t before, int limit,
               struct notify_op **out, size_t *count, struct err *err);
/* Put a dead-lettered (failed) row back in the queue: 409 notify.not_failed otherwise.
 * Audited as notify.resend by `actor`. */
int notify_resend(struct notify *n, int64_t actor, const char *ip, int64_t outbox_id,
                  struct err *err);

/* notify_send_id, and an e-mail to `email` (sealed to its outbox row): for operators'
 * tools and messages to people without an account. 400 notify.bad_email. */
int notify_send_email(struct notify *n, const struct notify_msg *m, const char *email,
                      int64_t *message_id, struct err *err);

/* ---- templates (notify_templates.c) ----------------------------------------------------- */

/* The kinds administrators may edit (NULL-terminated). */
extern const char *const notify_template_kinds[];
int notify_template_kind_ok(const char *kind);
/* `text` must use exactly the placeholders of `reference` (any order, each at least once):
 * 400 notify.template_placeholders (one dropped or invented), notify.template_broken
 * ("{{" without "}}", an empty or odd name), notify.template_empty. */
int notify_template_check(const char *reference, const char *text, struct err *err);
/* Save a new version of (kind, lang), checked against the catalog's zh text; audited as
 * notify.template. 404 notify.template_unknown. *version gets the new number. */
int notify_template_save(struct notify *n, int64_t actor, const char *ip, const char *kind,
                         const char *lang, const char *body, int *version, struct err *err);
/* The newest saved version's number of (kind, lang); 0: the catalog's text is used. */
int notify_template_version(const char *lang, const char *kind);
/* Reload the newest versions (when the table changed, or always with force). */
int notify_templates_reload(struct notify *n, int force, struct err *err);
void notify_templates_free(void);

/* ---- contacts and preferences (notify_contacts.c) --------------------------------------- */

/* Set the account's e-mail address ("email") or phone ("sms"): stored sealed, unverified,
 * and a six-digit code (valid 15 minutes, 5 tries) is sent to it. 400 notify.bad_email /
 * notify.bad_phone. */
int notify_contact_set(struct notify *n, int64_t account_id, const char *channel,
                       const char *address, const char *lang, struct err *err);
/* Verify with the code: 400 notify.bad_code (wrong, expired or too many tries). */
int notify_contact_verify(struct notify *n, int64_t account_id, const char *channel,
                          const char *code, struct err *err);
struct notify_contact {
    char channel[8];
    char masked[64];
    int verified;
};
int notify_contacts(struct notify *n, int64_t account_id, struct notify_contact out[2],
                    size_t *count, struct err *err);
/* The language of the account's channels ("" for the page's), SMS quiet hours. */
int notify_prefs_set(struct notify *n, int64_t account_id, const char *lang, int quiet_from,
                     int quiet_to, struct err *err);
/* The groups a person may turn off per channel (NULL-terminated): notices, remind, benefit. */
extern const char *const notify_optional_groups[];
struct notify_prefs_view {
    char lang[8]; /* "" : the page's */
    int quiet_from, quiet_to;
    int off[3][2]; /* [group of notify_optional_groups][0 email, 1 sms] */
};
int notify_prefs_get(struct notify *n, int64_t account_id, struct notify_prefs_view *out,
                     struct err *err);
/* Turn a channel on or off for a group of kinds; essential groups: 400 notify.essential. */
int notify_optout_set(struct notify *n, int64_t account_id, const char *group, const char *channel,
                      int off, struct err *err);

/* `onewindow notify send ACCOUNT KIND [PARAMS_JSON [PHONE]]` (a system notice; ACCOUNT 0
 * with a PHONE for SMS only) | outbox (counts by status) | deliver (one delivery pass as
 * this process) | sandbox [N] (the sandbox carrier's last N messages, numbers masked) |
 * email ADDRESS KIND [PARAMS_JSON] (one e-mail now, in zh, through the configured relay) |
 * channels (each channel, its state and where it goes) | send-many N ACCOUNT KIND
 * [PARAMS_JSON [ADDRESS]] (N copies, 500 a transaction: load tests and benches).
 * argv[0] is the subcommand. 0, 1 on failure, 2 for a usage error (err set). */
int notify_cli(struct notify *n, int argc, char **argv, struct err *err);

/* ---- pages -------------------------------------------------------------------------- */

/* GET /messages (+ /api/v1/messages), POST /messages/{id}/read, POST /messages/read-all,
 * and the layout's unread count (a page hook). */
int notify_http_register(struct web_server *srv, struct notify *n, struct identity *id);

#endif
