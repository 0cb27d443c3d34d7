/* notify_store.c - every SQL statement of the notify module. */
#include "notify/notify_internal.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "store/store.h"

static const char SQL_MSG_INSERT[] =
    "INSERT INTO notify_messages (id, account_id, department_id, lang, kind, params, link, "
    "phone_enc, created_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)";
static const char SQL_OUTBOX_INSERT[] =
    "INSERT INTO notify_outbox (id, message_id, channel, status, attempts, next_attempt_at, "
    "created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)";
static const char SQL_INBOX_ACCOUNT[] =
    "SELECT id, account_id, department_id, lang, kind, params, link, created_at, read_at "
    "FROM notify_messages WHERE account_id = ? AND id < ? ORDER BY id DESC LIMIT ?";
static const char SQL_INBOX_DEPT[] =
    "SELECT id, account_id, department_id, lang, kind, params, link, created_at, read_at "
    "FROM notify_messages WHERE department_id = ? AND account_id = 0 AND id < ? "
    "ORDER BY id DESC LIMIT ?";
static const char SQL_UNREAD_ACCOUNT[] =
    "SELECT COUNT(*) FROM notify_messages WHERE account_id = ? AND read_at IS NULL";
static const char SQL_UNREAD_DEPT[] = "SELECT COUNT(*) FROM notify_messages WHERE "
                                      "department_id = ? AND account_id = 0 AND read_at IS NULL";
static const char SQL_OWNER[] =
    "SELECT account_id, department_id FROM notify_messages WHERE id = ?";
static const char SQL_MARK_READ[] =
    "UPDATE notify_messages SET read_at = ? WHERE id = ? AND read_at IS NULL";
static const char SQL_MARK_ALL_ACCOUNT[] =
    "UPDATE notify_messages SET read_at = ? WHERE account_id = ? AND read_at IS NULL";
static const char SQL_MARK_ALL_DEPT[] = "UPDATE notify_messages SET read_at = ? WHERE "
                                        "department_id = ? AND account_id = 0 AND read_at IS NULL";
static const char SQL_LEASE[] =
    "UPDATE notify_leases SET holder = ?, expires_at = ? WHERE name = ? AND "
    "(holder = ? OR expires_at < ?)";
static const char SQL_DUE[] =
    "SELECT o.id, o.message_id, o.channel, o.attempts, m.lang, m.kind, m.params, m.phone_enc, "
    "o.address_enc "
    "FROM notify_outbox o JOIN notify_messages m ON m.id = o.message_id "
    "WHERE o.status = 'pending' AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at, o.id "
    "LIMIT ?";
static const char SQL_SENT[] = "UPDATE notify_outbox SET status = 'sent', sent_at = ?, "
                               "attempts = attempts + 1 WHERE id = ? AND status = 'pending'";
static const char SQL_RETRY[] = "UPDATE notify_outbox SET attempts = ?, next_attempt_at = ?, "
                                "status = ?, last_error = ? WHERE id = ? AND status = 'pending'";
static const char SQL_SANDBOX[] =
    "INSERT INTO notify_sandbox_sms (outbox_id, phone_masked, lang, body, delivered_at) "
    "VALUES (?, ?, ?, ?, ?)";
static const char SQL_COUNTS[] = "SELECT status, COUNT(*) FROM notify_outbox GROUP BY status";

int notify_db_message_insert(struct store_conn *c, int64_t id, const struct notify_msg *m,
                             const char *lang, const char *params, const unsigned char *phone_enc,
                             size_t phone_len, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_MSG_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, m->account_id);
    store_bind_int64(st, 3, m->department_id);
    store_bind_text(st, 4, lang, -1);
    store_bind_text(st, 5, m->kind, -1);
    store_bind_text(st, 6, params, -1);
    if (m->link != NULL)
        store_bind_text(st, 7, m->link, -1);
    else
        store_bind_null(st, 7);
    if (phone_enc != NULL)
        store_bind_blob(st, 8, phone_enc, phone_len);
    else
        store_bind_null(st, 8);
    store_bind_int64(st, 9, now);
    return store_run(st, NULL, err);
}

int notify_db_outbox_insert(struct store_conn *c, int64_t id, int64_t message_id,
                            const char *channel, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OUTBOX_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, message_id);
    store_bind_text(st, 3, channel, -1);
    store_bind_int64(st, 4, now);
    store_bind_int64(st, 5, now);
    return store_run(st, NULL, err);
}

static const char *dup(struct arena *a, struct store_stmt *st, int col)
{
    const char *s = store_col_text(st, col);
    return s ? arena_strdup(a, s) : NULL;
}

int notify_db_inbox(struct store_conn *c, struct arena *a, int64_t account_id,
                    int64_t department_id, int64_t before, int limit, struct notify_row *out,
                    size_t *n, struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, department_id ? SQL_INBOX_DEPT : SQL_INBOX_ACCOUNT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, department_id ? department_id : account_id);
    store_bind_int64(st, 2, before > 0 ? before : INT64_MAX);
    store_bind_int64(st, 3, limit);
    int rc;
    *n = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *n < (size_t)limit) {
        struct notify_row *r = &out[(*n)++];
        r->id = store_col_int64(st, 0);
        r->account_id = store_col_int64(st, 1);
        r->department_id = store_col_int64(st, 2);
        r->lang = dup(a, st, 3);
        r->kind = dup(a, st, 4);
        r->params = dup(a, st, 5);
        r->link = dup(a, st, 6);
        r->created_at = store_col_int64(st, 7);
        r->read_at = store_col_is_null(st, 8) ? 0 : store_col_int64(st, 8);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static int count1(struct store_conn *c, const char *sql, int64_t key, int64_t *count,
                  struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, key);
    int rc = store_step(st, err);
    *count = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_unread(struct store_conn *c, int64_t account_id, int64_t department_id,
                     int64_t *count, struct err *err)
{
    return department_id ? count1(c, SQL_UNREAD_DEPT, department_id, count, err)
                         : count1(c, SQL_UNREAD_ACCOUNT, account_id, count, err);
}

int notify_db_message_owner(struct store_conn *c, int64_t id, int64_t *account_id,
                            int64_t *department_id, int *found, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OWNER, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found) {
        *account_id = store_col_int64(st, 0);
        *department_id = store_col_int64(st, 1);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_mark_read(struct store_conn *c, int64_t id, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_MARK_READ, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, id);
    return store_run(st, NULL, err);
}

int notify_db_mark_all_read(struct store_conn *c, int64_t account_id, int64_t department_id,
                            int64_t now, int64_t *changed, struct err *err)
{
    struct store_stmt *st =
        store_prepare(c, department_id ? SQL_MARK_ALL_DEPT : SQL_MARK_ALL_ACCOUNT, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, department_id ? department_id : account_id);
    return store_run(st, changed, err);
}

int notify_db_lease_take(struct store_conn *c, const char *name, const char *holder, int64_t now,
                         int64_t until, int *taken, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LEASE, err);
    if (st == NULL)
        return -1;
    int64_t changes = 0;
    store_bind_text(st, 1, holder, -1);
    store_bind_int64(st, 2, until);
    store_bind_text(st, 3, name, -1);
    store_bind_text(st, 4, holder, -1);
    store_bind_int64(st, 5, now);
    if (store_run(st, &changes, err) < 0)
        return -1;
    *taken = changes == 1;
    return 0;
}

static const unsigned char *blob(struct arena *a, struct store_stmt *st, int col, size_t *len)
{
    size_t n = 0;
    const void *p = store_col_blob(st, col, &n);
    unsigned char *copy = p != NULL && n > 0 ? arena_alloc(a, n) : NULL;
    *len = copy ? n : 0;
    if (copy)
        memcpy(copy, p, n);
    return copy;
}

int notify_db_due(struct store_conn *c, struct arena *a, int64_t now, int max,
                  struct notify_due *out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_DUE, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, max);
    int rc;
    *n = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *n < (size_t)max) {
        struct notify_due *d = &out[(*n)++];
        d->outbox_id = store_col_int64(st, 0);
        d->message_id = store_col_int64(st, 1);
        d->channel = dup(a, st, 2);
        d->attempts = (int)store_col_int64(st, 3);
        d->lang = dup(a, st, 4);
        d->kind = dup(a, st, 5);
        d->params = dup(a, st, 6);
        d->phone_enc = blob(a, st, 7, &d->phone_enc_len);
        d->address_enc = blob(a, st, 8, &d->address_enc_len);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* An outbox row's state change at `now` (SQL_SENT, SQL_RESEND): *changed when it applied. */
static int outbox_mark(struct store_conn *c, const char *sql, int64_t id, int64_t now, int *changed,
                       struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    int64_t ch = 0;
    store_bind_int64(st, 1, now);
    store_bind_int64(st, 2, id);
    if (store_run(st, &ch, err) < 0)
        return -1;
    *changed = ch == 1;
    return 0;
}

int notify_db_outbox_sent(struct store_conn *c, int64_t id, int64_t now, int *changed,
                          struct err *err)
{
    return outbox_mark(c, SQL_SENT, id, now, changed, err);
}

int notify_db_outbox_retry(struct store_conn *c, int64_t id, int attempts, int64_t next,
                           const char *status, const char *error, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_RETRY, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, attempts);
    store_bind_int64(st, 2, next);
    store_bind_text(st, 3, status, -1);
    store_bind_text(st, 4, error, -1);
    store_bind_int64(st, 5, id);
    return store_run(st, NULL, err);
}

int notify_db_sandbox_insert(struct store_conn *c, int64_t outbox_id, const char *phone_masked,
                             const char *lang, const char *body, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SANDBOX, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, outbox_id);
    store_bind_text(st, 2, phone_masked, -1);
    store_bind_text(st, 3, lang, -1);
    store_bind_text(st, 4, body, -1);
    store_bind_int64(st, 5, now);
    return store_run(st, NULL, err);
}

int notify_db_outbox_counts(struct store_conn *c, int64_t *pending, int64_t *sent, int64_t *failed,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_COUNTS, err);
    if (st == NULL)
        return -1;
    *pending = *sent = *failed = 0;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW) {
        const char *s = store_col_text(st, 0);
        int64_t v = store_col_int64(st, 1);
        if (strcmp(s, "pending") == 0)
            *pending = v;
        else if (strcmp(s, "sent") == 0)
            *sent = v;
        else if (strcmp(s, "failed") == 0)
            *failed = v;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_SANDBOX_LIST[] =
    "SELECT outbox_id, phone_masked, lang, body, delivered_at FROM notify_sandbox_sms "
    "ORDER BY delivered_at DESC, outbox_id DESC LIMIT ?";

int notify_db_sandbox_list(struct store_conn *c, int limit, notify_db_sandbox_fn fn, void *ctx,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_SANDBOX_LIST, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, limit);
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        fn(ctx, store_col_int64(st, 0), store_col_text(st, 1), store_col_text(st, 2),
           store_col_text(st, 3), store_col_int64(st, 4));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* ---- issue 16: sealed addresses, the sending state, receipts ---------------------------- */

static const char SQL_OUTBOX_INSERT_ADDR[] =
    "INSERT INTO notify_outbox (id, message_id, channel, status, attempts, next_attempt_at, "
    "created_at, address_enc) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?)";
static const char SQL_CLAIM[] = "UPDATE notify_outbox SET status = 'sending', attempts = "
                                "attempts + 1 WHERE id = ? AND status = 'pending'";
static const char SQL_FINISH[] =
    "UPDATE notify_outbox SET status = ?, last_error = COALESCE(?, last_error), "
    "sent_at = CASE WHEN CAST(? AS TEXT) = 'sent' THEN ? ELSE sent_at END, "
    "delivered_at = CASE WHEN CAST(? AS TEXT) = 'delivered' THEN ? ELSE delivered_at END, "
    "attempts = CASE WHEN CAST(? AS TEXT) = 'pending' THEN attempts - 1 ELSE attempts END "
    "WHERE id = ? AND status = ?";
static const char SQL_INTERRUPTED[] =
    "UPDATE notify_outbox SET status = 'failed', last_error = 'notify.interrupted' "
    "WHERE status = 'sending'";
static const char SQL_STATUS[] = "SELECT status FROM notify_outbox WHERE id = ?";

int notify_db_outbox_insert_addr(struct store_conn *c, int64_t id, int64_t message_id,
                                 const char *channel, const unsigned char *addr, size_t addr_len,
                                 int64_t at, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OUTBOX_INSERT_ADDR, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_int64(st, 2, message_id);
    store_bind_text(st, 3, channel, -1);
    store_bind_int64(st, 4, at);
    store_bind_int64(st, 5, now);
    store_bind_blob(st, 6, addr, addr_len);
    return store_run(st, NULL, err);
}

int notify_db_outbox_claim(struct store_conn *c, int64_t id, int64_t now, int *changed,
                           struct err *err)
{
    (void)now;
    struct store_stmt *st = store_prepare(c, SQL_CLAIM, err);
    if (st == NULL)
        return -1;
    int64_t ch = 0;
    store_bind_int64(st, 1, id);
    if (store_run(st, &ch, err) < 0)
        return -1;
    *changed = ch == 1;
    return 0;
}

int notify_db_outbox_finish(struct store_conn *c, int64_t id, const char *from, const char *to,
                            const char *error, int64_t now, int *changed, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_FINISH, err);
    if (st == NULL)
        return -1;
    int64_t ch = 0;
    store_bind_text(st, 1, to, -1);
    if (error)
        store_bind_text(st, 2, error, -1);
    else
        store_bind_null(st, 2);
    store_bind_text(st, 3, to, -1);
    store_bind_int64(st, 4, now);
    store_bind_text(st, 5, to, -1);
    store_bind_int64(st, 6, now);
    store_bind_text(st, 7, to, -1);
    store_bind_int64(st, 8, id);
    store_bind_text(st, 9, from, -1);
    if (store_run(st, &ch, err) < 0)
        return -1;
    *changed = ch == 1;
    return 0;
}

int notify_db_interrupted(struct store_conn *c, int64_t now, int64_t *changed, struct err *err)
{
    (void)now;
    struct store_stmt *st = store_prepare(c, SQL_INTERRUPTED, err);
    return st == NULL ? -1 : store_run(st, changed, err);
}

int notify_db_outbox_status(struct store_conn *c, int64_t id, char status[16], int *found,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_STATUS, err);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    if (*found)
        snprintf(status, 16, "%s", store_col_text(st, 0));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

static const char SQL_LEASE_RELEASE[] =
    "UPDATE notify_leases SET expires_at = 0 WHERE name = ? AND holder = ?";

int notify_db_lease_release(struct store_conn *c, const char *name, const char *holder,
                            struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LEASE_RELEASE, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, name, -1);
    store_bind_text(st, 2, holder, -1);
    return store_run(st, NULL, err);
}

/* ---- the operator's view ---------------------------------------------------------------- */

static const char SQL_OPS[] =
    "SELECT o.id, o.channel, o.status, o.attempts, o.last_error, o.created_at, o.sent_at, "
    "o.delivered_at, m.kind, m.lang FROM notify_outbox o JOIN notify_messages m ON m.id = "
    "o.message_id WHERE (CAST(? AS TEXT) = '' OR o.status = ?) AND o.id < ? ORDER BY o.id DESC "
    "LIMIT ?";
static const char SQL_RESEND[] =
    "UPDATE notify_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, "
    "last_error = 'notify.resent' WHERE id = ? AND status = 'failed'";

int notify_db_ops(struct store_conn *c, struct arena *a, const char *status, int64_t before,
                  int limit, struct notify_op *out, size_t *n, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_OPS, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, status ? status : "", -1);
    store_bind_text(st, 2, status ? status : "", -1);
    store_bind_int64(st, 3, before > 0 ? before : INT64_MAX);
    store_bind_int64(st, 4, limit);
    int rc;
    *n = 0;
    while ((rc = store_step(st, err)) == STORE_ROW && *n < (size_t)limit) {
        struct notify_op *o = &out[(*n)++];
        o->id = store_col_int64(st, 0);
        o->channel = dup(a, st, 1);
        o->status = dup(a, st, 2);
        o->attempts = (int)store_col_int64(st, 3);
        o->last_error = dup(a, st, 4);
        o->created_at = store_col_int64(st, 5);
        o->sent_at = store_col_is_null(st, 6) ? 0 : store_col_int64(st, 6);
        o->delivered_at = store_col_is_null(st, 7) ? 0 : store_col_int64(st, 7);
        o->kind = dup(a, st, 8);
        o->lang = dup(a, st, 9);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_resend(struct store_conn *c, int64_t id, int64_t now, int *changed, struct err *err)
{
    return outbox_mark(c, SQL_RESEND, id, now, changed, err);
}

static const char SQL_LEASE_HOLDER[] = "SELECT holder FROM notify_leases WHERE name = ?";
static const char SQL_LEASE_STEAL[] =
    "UPDATE notify_leases SET holder = ?, expires_at = ? WHERE name = ? AND holder = ?";

int notify_db_lease_holder(struct store_conn *c, const char *name, char *out, size_t size,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LEASE_HOLDER, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, name, -1);
    int rc = store_step(st, err);
    out[0] = '\0';
    if (rc == STORE_ROW && store_col_text(st, 0))
        snprintf(out, size, "%s", store_col_text(st, 0));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_lease_steal(struct store_conn *c, const char *name, const char *from,
                          const char *holder, int64_t until, int *taken, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_LEASE_STEAL, err);
    if (st == NULL)
        return -1;
    int64_t ch = 0;
    store_bind_text(st, 1, holder, -1);
    store_bind_int64(st, 2, until);
    store_bind_text(st, 3, name, -1);
    store_bind_text(st, 4, from, -1);
    if (store_run(st, &ch, err) < 0)
        return -1;
    *taken = ch == 1;
    return 0;
}

/* ---- templates -------------------------------------------------------------------------- */

static const char SQL_TPL_STAMP[] =
    "SELECT COALESCE(MAX(created_at), 0) + COUNT(*) FROM notify_templates";
static const char SQL_TPL_NEWEST[] =
    "SELECT kind, lang, version, body FROM notify_templates ORDER BY kind, lang, version DESC";
static const char SQL_TPL_MAX[] =
    "SELECT COALESCE(MAX(version), 0) FROM notify_templates WHERE kind = ? AND lang = ?";
static const char SQL_TPL_INSERT[] = "INSERT INTO notify_templates (kind, lang, version, body, "
                                     "author, created_at) VALUES (?, ?, ?, ?, ?, ?)";

int notify_db_templates_stamp(struct store_conn *c, int64_t *stamp, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TPL_STAMP, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    *stamp = rc == STORE_ROW ? store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_templates_newest(struct store_conn *c, notify_db_template_fn fn, void *ctx,
                               struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TPL_NEWEST, err);
    if (st == NULL)
        return -1;
    int rc;
    while ((rc = store_step(st, err)) == STORE_ROW)
        fn(ctx, store_col_text(st, 0), store_col_text(st, 1), (int)store_col_int64(st, 2),
           store_col_text(st, 3));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_template_max(struct store_conn *c, const char *kind, const char *lang, int *version,
                           struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TPL_MAX, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, kind, -1);
    store_bind_text(st, 2, lang, -1);
    int rc = store_step(st, err);
    *version = rc == STORE_ROW ? (int)store_col_int64(st, 0) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int notify_db_template_insert(struct store_conn *c, const char *kind, const char *lang, int version,
                              const char *body, int64_t author, int64_t now, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_TPL_INSERT, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, kind, -1);
    store_bind_text(st, 2, lang, -1);
    store_bind_int64(st, 3, version);
    store_bind_text(st, 4, body, -1);
    store_bind_int64(st, 5, author);
    store_bind_int64(st, 6, now);
    return store_run(st, NULL, err);
}
