/*
 * store.h - the database interface every module uses, with two backends behind it:
 * SQLite (embedded default) and PostgreSQL (libpq, the scale-out path).
 *
 * One SQL dialect: the common subset of SQLite and PostgreSQL, placeholders written `?`
 * (rewritten to $1..$n for PostgreSQL), 64-bit integers, text and blobs, times as integer
 * milliseconds since the epoch (docs/ARCHITECTURE.md, "Storage").
 *
 * Threads: a `struct store` is shared by the whole process; each thread uses its own
 * connection, obtained with store_conn() (created on first use, closed when the thread
 * ends or the store is closed). A connection and its statements must not cross threads.
 * On SQLite a transaction (store_begin to commit or rollback) runs on the process's one
 * writer connection, held by one thread at a time: between those calls everything done
 * through the thread's connection goes to it. So a statement must be prepared and used
 * on the same side of a transaction's edges; store_step refuses one carried across.
 *
 * Statements: store_prepare() returns a cached prepared statement, reset and with no
 * bindings. The SQL must be a string with static storage (a literal in a *_store.c file):
 * the cache is keyed by the pointer. Use it (bind, step...) and call store_reset() when
 * done, before preparing the same SQL again; one statement cannot be iterated twice at
 * once. Never build SQL from input: bind it.
 *
 * Errors: functions return 0 (store_step: STORE_ROW or STORE_DONE) or -1 with `err`
 * filled: code "store.conflict" (409) for a unique-constraint violation, "store.full"
 * (507) when the disk is full, "store.busy" (503) when locked too long, "store.unavailable"
 * (503) when the server cannot be reached, "store.error" (500) for the rest.
 * Design notes: docs/internals/store.md.
 */
#ifndef ONEWINDOW_STORE_STORE_H
#define ONEWINDOW_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct store;
struct store_conn;
struct store_stmt;

enum store_kind { STORE_SQLITE = 1, STORE_POSTGRES = 2 };

enum { STORE_DONE = 0, STORE_ROW = 1 };

struct store_options {
    int busy_timeout_ms;  /* SQLite: wait this long for a lock (default 5000) */
    int sync_normal;      /* SQLite: synchronous=NORMAL instead of FULL (0, default):
                           * faster, but the last commits may be lost on power loss */
    int group_commit;     /* SQLite: group commit. Transactions commit without their own
                           * fsync (synchronous=NORMAL); store_commit then returns only
                           * after an fdatasync of the WAL that began after the commit,
                           * shared by every thread that committed meanwhile. As durable as
                           * FULL, with one fsync for many commits. */
    const char *data_dir; /* where relative sqlite: paths are resolved; NULL = cwd */
};

/* Open a store for `url`: "sqlite:PATH" or "postgresql://..." / "postgres://...".
 * Connects once to prove the database is reachable. On success *out is owned by the
 * caller (store_close). `opt` may be NULL for defaults. */
int store_open(const char *url, const struct store_options *opt, struct store **out,
               struct err *err);
/* Close every connection of every thread and free the store. */
void store_close(struct store *s);
enum store_kind store_kind(const struct store *s);
/* "sqlite" or "postgresql". */
const char *store_kind_name(const struct store *s);
/* The URL with any password replaced by "***", for logs. Owned by the store. */
const char *store_url_redacted(const struct store *s);

/* This thread's connection, connecting on first use. NULL with err on failure. */
struct store_conn *store_conn(struct store *s, struct err *err);
struct store *store_conn_store(struct store_conn *c);

/* Run SQL text with no parameters, possibly several statements (migrations, pragmas). */
int store_exec(struct store_conn *c, const char *sql, struct err *err);

/* Transactions. store_begin takes the write lock at once on SQLite (BEGIN IMMEDIATE),
 * so a transaction never fails half-way for lock upgrades. store_rollback never fails
 * from the caller's point of view. */
int store_begin(struct store_conn *c, struct err *err);
/* 1 inside a transaction (store_begin, not yet committed or rolled back), 0 in autocommit
 * mode. Asks the client library, not the server. */
int store_in_transaction(struct store_conn *c);
int store_commit(struct store_conn *c, struct err *err);
void store_rollback(struct store_conn *c);

struct store_stmt *store_prepare(struct store_conn *c, const char *sql, struct err *err);
/* Parameters are numbered from 1. Text and blobs are copied. len -1: NUL-terminated. */
int store_bind_int64(struct store_stmt *st, int idx, int64_t v);
int store_bind_text(struct store_stmt *st, int idx, const char *s, int len);
int store_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n);
int store_bind_null(struct store_stmt *st, int idx);
/* Run, or advance to the next row. STORE_ROW, STORE_DONE, or -1 with err. */
int store_step(struct store_stmt *st, struct err *err);
/* Columns of the current row, numbered from 0. Pointers stay valid until the next
 * store_step or store_reset. A NULL column: text NULL, blob NULL/0, int64 0. */
int store_col_count(struct store_stmt *st);
int store_col_is_null(struct store_stmt *st, int col);
int64_t store_col_int64(struct store_stmt *st, int col);
const char *store_col_text(struct store_stmt *st, int col);
const void *store_col_blob(struct store_stmt *st, int col, size_t *n);
/* Rows changed by the last completed INSERT/UPDATE/DELETE of this statement. */
int64_t store_changes(struct store_stmt *st);
/* The first column of the first row of a statement without parameters (a count, a
 * maximum, a clock): 1 and *out set, 0 when there is no row (*out untouched), or -1 with
 * err. The statement is reset. */
int store_scalar_int64(struct store_conn *c, const char *sql, int64_t *out, struct err *err);
/* Run a statement that returns no rows (INSERT, UPDATE, DELETE) to completion and reset
 * it; *changes (may be NULL) gets the rows it changed. 0, or -1 with err. */
int store_run(struct store_stmt *st, int64_t *changes, struct err *err);
/* Clear the result and the bindings; the statement stays cached. */
void store_reset(struct store_stmt *st);

/* platform_meta (migration 0001): small facts about this installation by key, such as
 * the version numbers of reference data that caches compare. Both work inside or
 * outside a transaction. A missing key reads as found = 0 (and value 0). */
int store_meta_get_int64(struct store_conn *c, const char *key, int64_t *value, int *found,
                         struct err *err);
int store_meta_set(struct store_conn *c, const char *key, const char *value, struct err *err);
int store_meta_set_int64(struct store_conn *c, const char *key, int64_t value, struct err *err);

/* Counters for /metrics: statements stepped and the time spent in them (all threads). */
void store_stats(const struct store *s, uint64_t *steps, uint64_t *micros);

/* Migrations embedded in the binary (src/store/migrations/NNNN_name.sql). */
/* Backend sections of a migration: a line `-- @backend sqlite` or `-- @backend postgresql`
 * (alone on its line, leading blanks allowed) makes the following lines apply to that
 * backend only, until `-- @backend all`. Writes into *out (malloc'd, the caller frees it)
 * the SQL for `kind`: lines of other backends become empty lines, so line numbers stay.
 * A file without directives comes out unchanged. 0, or -1 with err "store.bad_migration"
 * for an unknown backend name. */
int store_migration_filter(const char *sql, enum store_kind kind, char **out, struct err *err);
int store_migrate(struct store *s, int *applied, struct err *err);
/* Operations (store_ops.c). A consistent copy of the SQLite database file src_path into
 * the new file dst_path while others write to it (the online backup API); whether the
 * database has any table; the database server's clock (ms since the Unix epoch; SQLite:
 * this machine's). */
int store_sqlite_copy(const char *src_path, const char *dst_path, struct err *err);
int store_has_tables(struct store *s, int *has, struct err *err);
int store_clock_ms(struct store *s, int64_t *ms, struct err *err);
/* Highest migration applied in the database (0 if none), and highest embedded. */
int store_schema_version(struct store_conn *c, int64_t *version, struct err *err);
int64_t store_latest_migration(void);

#endif
