/*
 * audit_internal.h - what audit.c and audit_chain.c share: the canonical entry hash, the
 * chain lock and head, and the purge with an injectable clock (for tests). Not for other
 * modules.
 */
#ifndef ONEWINDOW_AUDIT_AUDIT_INTERNAL_H
#define ONEWINDOW_AUDIT_AUDIT_INTERNAL_H

#include <stdint.h>

#include "audit/audit.h"

#define AUDIT_HASH_HEX 65 /* 64 lower-case hex characters and a NUL */
/* prev_hash of entry 1: SM3-sized zeros. */
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* One entry as hashed: the fields audit_record writes. NULL strings stay distinct from "". */
struct audit_entry {
    int64_t seq, id, at, actor_id;
    const char *action, *object, *outcome, *source_ip, *detail;
};

/* hex(SM3("onewindow.audit.v1" || prev || canonical(e))), prev being the 32 bytes that
 * `prev_hex` (64 hex characters) encodes. -1 if prev_hex is not such a string. */
int audit_entry_hash(const char *prev_hex, const struct audit_entry *e, char out[AUDIT_HASH_HEX]);

/* PostgreSQL: take the transaction-level chain lock (pg_advisory_xact_lock); *autocommit
 * (may be NULL) is set to 1 if the connection is not in a transaction, i.e. the lock has
 * already been released again. SQLite: nothing (writers are serialised by BEGIN
 * IMMEDIATE); *autocommit is 0. */
int audit_chain_lock(struct store_conn *c, int *autocommit, struct err *err);

/* The head: the highest chained entry, or else the newest purge anchor, or else
 * (0, AUDIT_GENESIS). */
int audit_chain_head(struct store_conn *c, int64_t *seq, char hash[AUDIT_HASH_HEX],
                     struct err *err);

int audit_purge_at(struct store *s, struct crypto_keyring *kr, int64_t retention_ms, int64_t now_ms,
                   int64_t *purged, struct err *err);

#endif
