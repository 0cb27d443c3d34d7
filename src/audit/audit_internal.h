/*
 * audit_internal.h - what audit.c, audit_chain.c and audit_store.c share: the canonical
 * entry hash, sub-chains (slots) and their heads, the statements (audit_db_*, all SQL is in
 * audit_store.c), and the purge with an injectable clock (for tests). Not for other modules.
 */
#ifndef ONEWINDOW_AUDIT_AUDIT_INTERNAL_H
#define ONEWINDOW_AUDIT_AUDIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"

#define AUDIT_HASH_HEX 65 /* 64 lower-case hex characters and a NUL */
/* prev_hash of every sub-chain's entry 1: SM3-sized zeros. */
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
/* PostgreSQL writers use slots 1..AUDIT_SLOTS (one per writer thread, round robin); slot 0
 * is SQLite's only chain and the chain written before migration 0024. */
#define AUDIT_SLOTS 16

/* One entry as hashed: the fields audit_record writes. NULL strings stay distinct from "". */
struct audit_entry {
    int64_t seq, id, at, actor_id;
    const char *action, *object, *outcome, *source_ip, *detail;
};

/* hex(SM3("onewindow.audit.v1" || prev || canonical(e))), prev being the 32 bytes that
 * `prev_hex` (64 hex characters) encodes. -1 if prev_hex is not such a string. */
int audit_entry_hash(const char *prev_hex, const struct audit_entry *e, char out[AUDIT_HASH_HEX]);

/* The slot this thread appends to: 0 on SQLite; on PostgreSQL 1..AUDIT_SLOTS, fixed per
 * thread, unless audit_use_slot set one (tests). */
int64_t audit_slot(struct store_conn *c);
/* Tests: make this thread append to `slot` (-1: back to automatic). */
void audit_use_slot(int64_t slot);

/* PostgreSQL: take the transaction-level lock of `slot` (pg_advisory_xact_lock(4242101,
 * slot)) until the caller's transaction ends (call it inside one: in autocommit mode the
 * lock would end with its statement). SQLite: nothing (writers are serialised by BEGIN
 * IMMEDIATE). */
int audit_db_lock(struct store_conn *c, int64_t slot, struct err *err);

/* The head of `slot`: its highest entry, or else its newest purge anchor, or else
 * (0, AUDIT_GENESIS). */
int audit_chain_head(struct store_conn *c, int64_t slot, int64_t *seq, char hash[AUDIT_HASH_HEX],
                     struct err *err);

/* In a checkpoint's `heads` ("slot seq hash\n" lines), the line of `slot`: 1 found, 0 not,
 * -1 malformed. */
int audit_heads_find(const char *heads, int64_t slot, int64_t *seq, char hash[AUDIT_HASH_HEX]);

int audit_purge_at(struct store *s, struct crypto_keyring *kr, int64_t retention_ms, int64_t now_ms,
                   int64_t *purged, struct err *err);

/* ---- statements (audit_store.c) ------------------------------------------------------ */

/* A checkpoint row: legacy (audit_checkpoints: heads NULL, slot 0 at seq) or merged
 * (audit_merged_checkpoints: seq 0, `heads`). Strings live until the callback returns. */
struct audit_db_cp {
    int64_t id, seq, at, anchor, entries;
    const char *hash, *heads, *key_id;
    const void *sig;
    size_t sig_len;
};
typedef int (*audit_db_cp_fn)(void *ctx, const struct audit_db_cp *cp);
typedef int (*audit_db_key_fn)(void *ctx, const char *key_id, const void *sealed, size_t n,
                               const char *public_hex);
typedef int (*audit_db_entry_fn)(void *ctx, const struct audit_entry *e, const char *prev_hash,
                                 const char *hash);
typedef int (*audit_db_slot_fn)(void *ctx, int64_t slot);

int audit_db_head(struct store_conn *c, int64_t slot, int *found, int64_t *seq,
                  char hash[AUDIT_HASH_HEX], struct err *err);
int audit_db_anchor(struct store_conn *c, int64_t slot, int *found, int64_t *seq,
                    char hash[AUDIT_HASH_HEX], struct err *err);
int audit_db_insert(struct store_conn *c, int64_t slot, const struct audit_entry *e,
                    const char *prev_hash, const char *hash, struct err *err);
/* Insert e (seq e->seq) only if (e->seq - 1, prev_hash) is the slot's head: *inserted 1,
 * else 0 and nothing written. On PostgreSQL it also takes the slot's lock when it inserts
 * (when it does not, the caller must lock: audit_db_lock). */
int audit_db_insert_after(struct store_conn *c, int64_t slot, const struct audit_entry *e,
                          const char *prev_hash, const char *hash, int *inserted, struct err *err);

int audit_db_backfill_done(struct store_conn *c, int *done, struct err *err);
int audit_db_backfill_mark(struct store_conn *c, int64_t count, struct err *err);
/* The first row without seq after `after_id` (strings copied into `a`); *found 0 at the end. */
int audit_db_unchained_next(struct store_conn *c, int64_t after_id, struct arena *a,
                            struct audit_entry *e, int *found, struct err *err);
int audit_db_chain_row(struct store_conn *c, const struct audit_entry *e, const char *prev_hash,
                       const char *hash, struct err *err);
int audit_db_unchained_count(struct store_conn *c, int64_t *count, int64_t *first_id,
                             struct err *err);

int audit_db_key_newest(struct store_conn *c, audit_db_key_fn fn, void *ctx, struct err *err);
int audit_db_keys(struct store_conn *c, audit_db_key_fn fn, void *ctx, struct err *err);
int audit_db_key_insert(struct store_conn *c, const char *key_id, const char *public_hex,
                        const void *sealed, size_t n, int64_t created_at, struct err *err);

int audit_db_checkpoints_legacy(struct store_conn *c, audit_db_cp_fn fn, void *ctx,
                                struct err *err);
/* Merged checkpoints in id order; with `newest_plain`, only the newest non-anchor one. */
int audit_db_checkpoints_merged(struct store_conn *c, int newest_plain, audit_db_cp_fn fn,
                                void *ctx, struct err *err);
int audit_db_checkpoint_insert(struct store_conn *c, const struct audit_db_cp *cp, struct err *err);

/* Slots that have chained entries, ascending. */
int audit_db_slots(struct store_conn *c, audit_db_slot_fn fn, void *ctx, struct err *err);
/* Entries of `slot` with after < seq <= to, in seq order, at most AUDIT_DB_PAGE; *rows. */
#define AUDIT_DB_PAGE 1000
int audit_db_entries(struct store_conn *c, int64_t slot, int64_t after, int64_t to,
                     audit_db_entry_fn fn, void *ctx, int *rows, struct err *err);
/* The first seq of `slot` written at or after `at_ms`, or `none`. */
int audit_db_first_young(struct store_conn *c, int64_t slot, int64_t at_ms, int64_t none,
                         int64_t *seq, struct err *err);
int audit_db_entry_hash(struct store_conn *c, int64_t slot, int64_t seq, int *found,
                        char hash[AUDIT_HASH_HEX], struct err *err);
int audit_db_purge(struct store_conn *c, int64_t slot, int64_t last, int64_t *deleted,
                   struct err *err);

#endif
