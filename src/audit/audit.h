/*
 * audit.h - the record of who did what, to which object, from where, with what outcome
 * (等保 2.0: every user, important action and security event, with time, user, event,
 * outcome). Records are written in the same transaction as the change they describe;
 * security events that change nothing (a failed login) are written on their own.
 *
 * The records form tamper-evident sub-chains (one per writer slot: SQLite has only slot 0,
 * PostgreSQL writers use 1-16 so that they do not serialise): each row carries a gap-free
 * sequence number within its slot and SM3(previous hash || the row), signed checkpoints
 * vouch for every slot's head at once, and audit_verify reports the first altered, missing
 * or re-linked entry. Format, concurrency and limits: docs/internals/audit.md.
 */
#ifndef ONEWINDOW_AUDIT_AUDIT_H
#define ONEWINDOW_AUDIT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

struct store;
struct store_conn;
struct arena;
struct crypto_keyring;

struct audit_event {
    int64_t actor_id;      /* account, 0 for anonymous or the system */
    const char *action;    /* stable dotted name: "identity.login", "identity.role_grant" */
    const char *object;    /* what it was done to: "account:123", "client:abc"; may be NULL */
    const char *outcome;   /* "ok", "denied", "failed", "throttled" ... */
    const char *source_ip; /* may be NULL */
    const char *detail;    /* free text without secrets or personal data; may be NULL */
};

/* Append one record to the chain. Never contains secrets: callers pass codes, not values.
 * Inside the caller's transaction if there is one (then, on PostgreSQL, it holds its slot's
 * lock until commit: audited transactions of one slot are serialised, other slots' are
 * not). In autocommit mode the
 * record gets a transaction of its own (PostgreSQL) or retries a lost race for the next
 * sequence number (SQLite). Never fails a caller's transaction with a conflict. */
int audit_record(struct store_conn *c, const struct audit_event *ev, struct err *err);

struct audit_row {
    int64_t id, at, actor_id;
    const char *action, *object, *outcome, *source_ip, *detail;
};

/* The newest records, optionally only those of one actor (0: all) or one action prefix
 * (NULL: all), at most `limit`; strings live in `a`. */
int audit_list(struct store_conn *c, struct arena *a, int64_t actor_id, const char *action_prefix,
               size_t limit, struct audit_row **out, size_t *n, struct err *err);

/* ---- The chain: backfill, checkpoints, verification, retention -------------------- */

/* Retention: entries younger than this are never purged (等保 2.0: at least 185 days). */
#define AUDIT_RETENTION_MIN_MS (185LL * 24 * 60 * 60 * 1000)

enum audit_problem {
    AUDIT_OK = 0,
    AUDIT_ALTERED,    /* an entry's content no longer matches its hash */
    AUDIT_MISSING,    /* a sequence number is absent (deleted entry, truncated tail) */
    AUDIT_RELINKED,   /* an entry's prev_hash is not the previous entry's hash */
    AUDIT_CHECKPOINT, /* a checkpoint's signature is bad or its hash is not the chain's */
    AUDIT_UNCHAINED   /* a row without a sequence number (written around audit_record) */
};

struct audit_report {
    int64_t entries;         /* chained entries checked */
    int64_t checkpoints;     /* checkpoints checked */
    int64_t problems;        /* problems found (only the first is described) */
    int64_t first_seq;       /* sub-chain 0's first entry expected (1, or anchor + 1) */
    int64_t head_seq;        /* the sum of the sub-chains' last entries checked */
    enum audit_problem kind; /* AUDIT_OK, or the first problem in sequence order */
    int64_t seq;             /* the entry (or checkpoint) it concerns */
    char message[256];       /* one sentence on it (names the sub-chain if not 0) */
    int64_t slot;            /* the sub-chain of `seq` */
    int64_t slots;           /* sub-chains walked */
};

/* "ok", "altered", "missing", "relinked", "checkpoint", "unchained". */
const char *audit_problem_name(enum audit_problem kind);

/* Chain rows written before the chain existed (seq NULL), in id order, after the current
 * head. Runs once per installation (marked by platform_meta "audit.chain_backfilled");
 * later calls do nothing. Call at start-up after store_migrate. *chained (may be NULL):
 * rows chained by this call. */
int audit_chain_backfill(struct store *s, int64_t *chained, struct err *err);

/* Sign every sub-chain's head (slot, seq, hash) at once with the platform's SM2 audit key,
 * creating that key on first use (stored sealed in audit_keys). Its own transaction. *seq
 * (may be NULL): the entries covered (the sum of the heads' seqs; with one sub-chain, its
 * head), 0 for an empty chain (nothing is written). Signing the same heads again is a
 * no-op. */
int audit_checkpoint(struct store *s, struct crypto_keyring *kr, int64_t *seq, struct err *err);

/* Walk every sub-chain in sequence order recomputing every hash and link, check every
 * checkpoint's signature (with keys that must open under `kr`) and that each head it names
 * is that sub-chain's entry. Returns 0 when the check ran (intact or not: see r->kind), -1 with err
 * when it could not (database error). */
int audit_verify(struct store *s, struct crypto_keyring *kr, struct audit_report *r,
                 struct err *err);

/* Delete entries older than `retention_ms` (0: AUDIT_RETENTION_MIN_MS; less than that is
 * refused, "audit.retention_too_short"), but only below the newest checkpoint, after
 * writing a signed anchor checkpoint for the last deleted entry so verification starts
 * from it. *purged (may be NULL): entries deleted. */
int audit_purge(struct store *s, struct crypto_keyring *kr, int64_t retention_ms, int64_t *purged,
                struct err *err);

/* `onewindow audit verify|checkpoint|purge [DAYS]`: argv[0] is the subcommand. verify
 * first runs audit_chain_backfill; purge first verifies and refuses a broken chain. Prints
 * the outcome on stdout; returns 0 (done, chain intact), 1 (chain broken: printed), 2
 * (usage, err set) or -1 (error in err). */
int audit_cli(struct store *s, struct crypto_keyring *kr, int argc, char **argv, struct err *err);

/* ---- reading the log (audit_store.c: the auditor's desk) ---------------------------------- */

/* Records of the chain matching every given field (actor 0, empty texts and 0 times match
 * anything; texts match as substrings), newest first or, with `ascending`, oldest first (by
 * id), at most `limit`: appended to `rows` as {seq, at, actor_id, action, object, outcome,
 * source_ip, detail, hash, prev_hash, id, slot, entry ("seq", or "slot:seq" outside slot 0)}. */
struct audit_filter {
    int64_t actor_id, from_ms, to_ms;
    const char *action, *object, *outcome;
    int limit;
    int ascending;
};
int audit_search(struct store_conn *c, const struct audit_filter *f, json_t *rows, struct err *err);
/* The newest signed checkpoint {seq (entries covered), hash (merged: SM3 of its heads), at,
 * slots}, or JSON null when there is none. */
int audit_checkpoint_latest(struct store_conn *c, json_t **out, struct err *err);

#endif
