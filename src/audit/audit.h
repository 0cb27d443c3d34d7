/*
 * audit.h - the record of who did what, to which object, from where, with what outcome
 * (等保 2.0: every user, important action and security event, with time, user, event,
 * outcome). Records are written in the same transaction as the change they describe;
 * security events that change nothing (a failed login) are written on their own.
 *
 * Today the records live in the audit_events table; the hash-chained, signed log of the
 * e-certificates issue will adopt them without changing this interface.
 */
#ifndef ONEWINDOW_AUDIT_AUDIT_H
#define ONEWINDOW_AUDIT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct store_conn;
struct arena;

struct audit_event {
    int64_t actor_id;      /* account, 0 for anonymous or the system */
    const char *action;    /* stable dotted name: "identity.login", "identity.role_grant" */
    const char *object;    /* what it was done to: "account:123", "client:abc"; may be NULL */
    const char *outcome;   /* "ok", "denied", "failed", "throttled" ... */
    const char *source_ip; /* may be NULL */
    const char *detail;    /* free text without secrets or personal data; may be NULL */
};

/* Append one record. Never contains secrets: callers pass codes, not values. */
int audit_record(struct store_conn *c, const struct audit_event *ev, struct err *err);

struct audit_row {
    int64_t id, at, actor_id;
    const char *action, *object, *outcome, *source_ip, *detail;
};

/* The newest records, optionally only those of one actor (0: all) or one action prefix
 * (NULL: all), at most `limit`; strings live in `a`. */
int audit_list(struct store_conn *c, struct arena *a, int64_t actor_id, const char *action_prefix,
               size_t limit, struct audit_row **out, size_t *n, struct err *err);

#endif
