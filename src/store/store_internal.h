/*
 * store_internal.h - what store.c shares with its backends (store_sqlite.c,
 * store_pg.c). Nothing outside src/store/ includes this.
 *
 * A backend allocates its own connection and statement structs with `struct
 * store_conn` / `struct store_stmt` as their FIRST member, so store.c can hold them
 * through the common type and the backend can cast back.
 */
#ifndef ONEWINDOW_STORE_INTERNAL_H
#define ONEWINDOW_STORE_INTERNAL_H

#include <pthread.h>

#include "store/store.h"

struct store_backend {
    const char *name;
    /* Open a new connection for s->url (already validated). */
    int (*connect)(struct store *s, struct store_conn **out, struct err *err);
    void (*disconnect)(struct store_conn *c);
    int (*exec)(struct store_conn *c, const char *sql, struct err *err);
    int (*prepare)(struct store_conn *c, const char *sql, struct store_stmt **out, struct err *err);
    void (*finalize)(struct store_stmt *st);
    int (*bind_int64)(struct store_stmt *st, int idx, int64_t v);
    int (*bind_text)(struct store_stmt *st, int idx, const char *s, size_t len);
    int (*bind_blob)(struct store_stmt *st, int idx, const void *p, size_t n);
    int (*bind_null)(struct store_stmt *st, int idx);
    int (*step)(struct store_stmt *st, struct err *err);
    int (*col_count)(struct store_stmt *st);
    int (*col_is_null)(struct store_stmt *st, int col);
    int64_t (*col_int64)(struct store_stmt *st, int col);
    const char *(*col_text)(struct store_stmt *st, int col);
    const void *(*col_blob)(struct store_stmt *st, int col, size_t *n);
    int64_t (*changes)(struct store_stmt *st);
    void (*reset)(struct store_stmt *st);
    /* SQL that begins a write transaction ("BEGIN IMMEDIATE" / "BEGIN"). */
    const char *begin_sql;
    /* Whether the connection is inside a transaction, from the client library's own state
     * (no round trip). */
    int (*in_transaction)(struct store_conn *c);
    /* Optional: make a committed transaction durable before store_commit returns
     * (SQLite group commit). NULL when COMMIT already is. */
    int (*durable)(struct store_conn *c, struct err *err);
    /* Optional: serialise concurrent migrators inside the migration transaction
     * (PostgreSQL: an advisory lock). NULL when the begin statement already does. */
    const char *migrate_lock_sql;
};

extern const struct store_backend store_sqlite_backend;
extern const struct store_backend store_pg_backend;

#define STORE_STMT_CACHE 64 /* slots per connection's statement cache (open hashing) */

struct store_stmt {
    struct store_conn *conn;
    const char *sql;                /* the cache key: the caller's static SQL text */
    struct store_stmt *next_cached; /* chain within a cache slot */
};

struct store_conn {
    struct store *store;
    struct store_conn *next_open; /* registry of the store's open connections */
    struct store_stmt *cache[STORE_STMT_CACHE];
    int holds_write_lock; /* this connection owns store->write_lock (SQLite) */
    /* SQLite, between store_begin and commit/rollback: the store's writer connection, which
     * every call on this connection goes to (store.c, active()). NULL otherwise. */
    struct store_conn *redirect;
};

struct store {
    const struct store_backend *be;
    enum store_kind kind;
    char *url;          /* as given */
    char *url_redacted; /* password masked */
    char *sqlite_path;  /* SQLite: the file path */
    struct store_options opt;
    pthread_key_t key;    /* this thread's connection */
    pthread_mutex_t lock; /* guards `open` */
    struct store_conn *open;
    /* SQLite has one writer at a time. Threads of this process queue for it on a mutex
     * (woken the moment the writer commits) instead of SQLite's busy handler, which
     * sleeps 1, 2, 5... ms between retries and so caps commits far below the fsync rate.
     * Other processes still meet the busy timeout. */
    pthread_mutex_t write_lock;
    /* SQLite: the one connection every write transaction of this process runs on, used by
     * whichever thread holds write_lock (created on first use). A connection's page cache
     * is thrown away whenever another connection has written since it last read, so with
     * a writer per thread each transaction re-read every page it touched; the writer's
     * cache stays warm because nobody else in the process writes (issue 19). */
    struct store_conn *writer;
    /* Group commit (SQLite, opt.group_commit): commits are numbered as they complete;
     * one thread at a time fdatasyncs the WAL and marks every commit numbered before it
     * started as durable; the others wait on sync_cond. Guarded by sync_lock. */
    pthread_mutex_t sync_lock;
    pthread_cond_t sync_cond;
    uint64_t sync_committed; /* commits completed (in the page cache) */
    uint64_t sync_durable;   /* commits known to be on disk */
    int sync_running;        /* a thread is in fdatasync */
    int wal_fd;              /* our own descriptor of the -wal file, -1 until needed */
    uint64_t stat_steps;     /* updated atomically */
    uint64_t stat_us;
};

/* Map a backend error to one of the stable codes in store.h. */
int store_fail(struct err *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
