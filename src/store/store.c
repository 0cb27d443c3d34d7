/*
 * store.c - the backend-independent half of the database interface (store.h): URL
 * parsing, the per-thread connection registry, the prepared-statement cache,
 * transactions and embedded migrations. The backends (store_sqlite.c, store_pg.c) only
 * translate these calls to their client library.
 *
 * Invariants: every connection in `open` belongs to exactly one thread (the one whose
 * thread-specific `key` points at it); a statement in a connection's cache is reset and
 * unbound whenever store_prepare hands it out.
 */
#include "store/store_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/embed.h"
#include "base/id.h"
#include "base/log.h"

int store_fail(struct err *err, const char *code, const char *fmt, ...)
{
    int status = 500;
    if (strcmp(code, "store.conflict") == 0)
        status = 409;
    else if (strcmp(code, "store.busy") == 0 || strcmp(code, "store.unavailable") == 0 ||
             strcmp(code, "store.full") == 0)
        status = 503; /* temporary: the answer carries Retry-After (respond.c) */
    else if (strcmp(code, "store.bad_url") == 0)
        status = 400;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_set(err, status, code, "%s", msg);
}

/* Mask the values of password= query parameters (postgresql:///db?password=secret).
 * Takes `url` (malloc'd) and returns it or its replacement; NULL when out of memory. */
static char *redact_query(char *url)
{
    const char *q = strchr(url, '?');
    char *r, *o;
    if (q == NULL || strstr(q, "password=") == NULL)
        return url;
    /* Each masked value may grow to "***": at most one per parameter. */
    size_t params = 1;
    for (const char *p = q; *p != '\0'; p++)
        params += *p == '&';
    if ((r = malloc(strlen(url) + 3 * params + 1)) == NULL)
        goto out;
    o = r;
    memcpy(o, url, (size_t)(q - url));
    o += q - url;
    for (const char *p = q; *p != '\0';) {
        size_t n = 1 + strcspn(p + 1, "&"); /* the separator and one key=value */
        if (strncmp(p + 1, "password=", 9) == 0) {
            memcpy(o, p, 10);
            memcpy(o + 10, "***", 3);
            o += 13;
        } else {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    *o = '\0';
out:
    free(url);
    return r;
}

/* Mask the password of a libpq URL (postgresql://user:secret@host/db, or in the query)
 * for logs. */
static char *redact_url(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = NULL;
    if (at != NULL)
        for (const char *p = scheme + 3; p < at; p++)
            if (*p == ':')
                colon = p;
    if (colon == NULL) {
        char *copy = strdup(url);
        return copy != NULL ? redact_query(copy) : NULL;
    }
    size_t head = (size_t)(colon + 1 - url);
    char *r = malloc(head + 3 + strlen(at) + 1);
    if (r == NULL)
        return NULL;
    memcpy(r, url, head);
    strcpy(r + head, "***");
    strcpy(r + head + 3, at);
    return redact_query(r);
}

static int conn_new(struct store *s, struct store_conn **out, struct err *err);

static void conn_destroy(struct store_conn *c)
{
    for (int i = 0; i < STORE_STMT_CACHE; i++) {
        struct store_stmt *st = c->cache[i];
        while (st != NULL) {
            struct store_stmt *next = st->next_cached;
            c->store->be->finalize(st);
            st = next;
        }
        c->cache[i] = NULL;
    }
    c->store->be->disconnect(c);
}

/* Thread exit: take the thread's connection off the registry and close it. */
static void conn_thread_exit(void *p)
{
    struct store_conn *c = p;
    struct store *s = c->store;
    pthread_mutex_lock(&s->lock);
    for (struct store_conn **pp = &s->open; *pp != NULL; pp = &(*pp)->next_open) {
        if (*pp == c) {
            *pp = c->next_open;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    conn_destroy(c);
}

int store_open(const char *url, const struct store_options *opt, struct store **out,
               struct err *err)
{
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return store_fail(err, "store.error", "out of memory");
    s->opt.busy_timeout_ms = 5000;
    if (opt != NULL) {
        if (opt->busy_timeout_ms > 0)
            s->opt.busy_timeout_ms = opt->busy_timeout_ms;
        s->opt.sync_normal = opt->sync_normal;
        s->opt.group_commit = opt->group_commit && !opt->sync_normal;
        s->opt.data_dir = NULL;
    }
    if (strncmp(url, "sqlite:", 7) == 0) {
        const char *path = url + 7;
        if (*path == '\0') {
            free(s);
            return store_fail(err, "store.bad_url",
                              "the database URL \"sqlite:\" names no file: write sqlite:PATH");
        }
        s->be = &store_sqlite_backend;
        s->kind = STORE_SQLITE;
        if (path[0] != '/' && opt != NULL && opt->data_dir != NULL &&
            strncmp(path, "file:", 5) != 0) {
            size_t n = strlen(opt->data_dir) + 1 + strlen(path) + 1;
            s->sqlite_path = malloc(n);
            if (s->sqlite_path != NULL)
                snprintf(s->sqlite_path, n, "%s/%s", opt->data_dir, path);
        } else {
            s->sqlite_path = strdup(path);
        }
    } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        s->be = &store_pg_backend;
        s->kind = STORE_POSTGRES;
    } else {
        free(s);
        return store_fail(err, "store.bad_url",
                          "the database URL must start with sqlite: or postgresql://");
    }
    s->url = strdup(url);
    s->url_redacted = redact_url(url);
    if (s->url == NULL || s->url_redacted == NULL ||
        (s->kind == STORE_SQLITE && s->sqlite_path == NULL)) {
        /* Not store_close: the key and the lock do not exist yet. */
        free(s->url);
        free(s->url_redacted);
        free(s->sqlite_path);
        free(s);
        return store_fail(err, "store.error", "out of memory");
    }
    if (pthread_key_create(&s->key, conn_thread_exit) != 0) {
        free(s->url);
        free(s->url_redacted);
        free(s->sqlite_path);
        free(s);
        return store_fail(err, "store.error", "no thread-specific key available");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->sync_lock, NULL);
    pthread_cond_init(&s->sync_cond, NULL);
    s->wal_fd = -1;
    /* Prove the database is reachable now rather than on the first request. */
    if (store_conn(s, err) == NULL) {
        store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->be != NULL && s->url != NULL) {
        pthread_mutex_lock(&s->lock);
        struct store_conn *c = s->open;
        s->open = NULL;
        pthread_mutex_unlock(&s->lock);
        while (c != NULL) {
            struct store_conn *next = c->next_open;
            conn_destroy(c);
            c = next;
        }
        if (s->writer != NULL)
            conn_destroy(s->writer);
        pthread_key_delete(s->key);
        pthread_mutex_destroy(&s->lock);
        pthread_mutex_destroy(&s->write_lock);
        pthread_mutex_destroy(&s->sync_lock);
        pthread_cond_destroy(&s->sync_cond);
        if (s->wal_fd >= 0)
            close(s->wal_fd);
    }
    free(s->url);
    free(s->url_redacted);
    free(s->sqlite_path);
    free(s);
}

enum store_kind store_kind(const struct store *s)
{
    return s->kind;
}

const char *store_kind_name(const struct store *s)
{
    return s->be->name;
}

const char *store_url_redacted(const struct store *s)
{
    return s->url_redacted;
}

struct store_conn *store_conn(struct store *s, struct err *err)
{
    struct store_conn *c = pthread_getspecific(s->key);
    if (c != NULL)
        return c;
    if (conn_new(s, &c, err) < 0)
        return NULL;
    pthread_mutex_lock(&s->lock);
    c->next_open = s->open;
    s->open = c;
    pthread_mutex_unlock(&s->lock);
    pthread_setspecific(s->key, c);
    return c;
}

struct store *store_conn_store(struct store_conn *c)
{
    return c->store;
}

/* The connection a call on `c` runs on: the writer inside a SQLite transaction. */
static struct store_conn *active(struct store_conn *c)
{
    return c->redirect != NULL ? c->redirect : c;
}

/* The store this thread holds the writer of (SQLite), for store_step's misuse check. */
static __thread const struct store *tl_writing;

int store_exec(struct store_conn *c, const char *sql, struct err *err)
{
    c = active(c);
    return c->store->be->exec(c, sql, err);
}

static void write_unlock(struct store_conn *c)
{
    c->redirect = NULL;
    if (c->holds_write_lock) {
        c->holds_write_lock = 0;
        tl_writing = NULL;
        pthread_mutex_unlock(&c->store->write_lock);
    }
}

static int conn_new(struct store *s, struct store_conn **out, struct err *err)
{
    if (s->be->connect(s, out, err) < 0)
        return -1;
    (*out)->store = s;
    memset((*out)->cache, 0, sizeof((*out)->cache));
    (*out)->redirect = NULL;
    return 0;
}

int store_begin(struct store_conn *c, struct err *err)
{
    struct store *s = c->store;
    if (s->kind == STORE_SQLITE && !c->holds_write_lock) {
        pthread_mutex_lock(&s->write_lock);
        c->holds_write_lock = 1;
        tl_writing = s;
        if (s->writer == NULL && conn_new(s, &s->writer, err) < 0) {
            s->writer = NULL;
            write_unlock(c);
            return -1;
        }
        c->redirect = s->writer;
    }
    if (s->be->exec(active(c), s->be->begin_sql, err) < 0) {
        write_unlock(c);
        return -1;
    }
    return 0;
}

int store_in_transaction(struct store_conn *c)
{
    c = active(c);
    return c->store->be->in_transaction(c);
}

int store_commit(struct store_conn *c, struct err *err)
{
    struct store_conn *w = active(c);
    if (c->store->be->exec(w, "COMMIT", err) < 0) {
        store_rollback(c);
        return -1;
    }
    write_unlock(c);
    /* Durable before we return: the caller acknowledges right after. */
    if (c->store->be->durable != NULL && c->store->opt.group_commit)
        return c->store->be->durable(w, err);
    return 0;
}

void store_rollback(struct store_conn *c)
{
    struct err ignored;
    c->store->be->exec(active(c), "ROLLBACK", &ignored);
    write_unlock(c);
}

static size_t cache_slot(const char *sql)
{
    uintptr_t p = (uintptr_t)sql;
    return (size_t)((p >> 4) ^ (p >> 12)) % STORE_STMT_CACHE;
}

struct store_stmt *store_prepare(struct store_conn *c, const char *sql, struct err *err)
{
    c = active(c);
    size_t slot = cache_slot(sql);
    for (struct store_stmt *st = c->cache[slot]; st != NULL; st = st->next_cached) {
        if (st->sql == sql) {
            c->store->be->reset(st);
            return st;
        }
    }
    struct store_stmt *st;
    if (c->store->be->prepare(c, sql, &st, err) < 0)
        return NULL;
    st->conn = c;
    st->sql = sql;
    st->next_cached = c->cache[slot];
    c->cache[slot] = st;
    return st;
}

int store_bind_int64(struct store_stmt *st, int idx, int64_t v)
{
    return st->conn->store->be->bind_int64(st, idx, v);
}

int store_bind_text(struct store_stmt *st, int idx, const char *s, int len)
{
    if (s == NULL)
        return store_bind_null(st, idx);
    return st->conn->store->be->bind_text(st, idx, s, len < 0 ? strlen(s) : (size_t)len);
}

int store_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n)
{
    return st->conn->store->be->bind_blob(st, idx, p, n);
}

int store_bind_null(struct store_stmt *st, int idx)
{
    return st->conn->store->be->bind_null(st, idx);
}

int store_step(struct store_stmt *st, struct err *err)
{
    struct store *s = st->conn->store;
    /* A statement of the writer outside its transaction would race the thread that holds
     * it; one prepared before store_begin would run outside the transaction. */
    if (s->kind == STORE_SQLITE &&
        ((st->conn == s->writer && tl_writing != s) || st->conn->redirect != NULL))
        return store_fail(err, "store.error",
                          "a statement was used outside the transaction it belongs to: %.60s",
                          st->sql);
    int64_t t0 = time_mono_us();
    int rc = s->be->step(st, err);
    __atomic_add_fetch(&s->stat_steps, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->stat_us, (uint64_t)(time_mono_us() - t0), __ATOMIC_RELAXED);
    return rc;
}

void store_stats(const struct store *s, uint64_t *steps, uint64_t *micros)
{
    *steps = __atomic_load_n(&s->stat_steps, __ATOMIC_RELAXED);
    *micros = __atomic_load_n(&s->stat_us, __ATOMIC_RELAXED);
}

int store_col_count(struct store_stmt *st)
{
    return st->conn->store->be->col_count(st);
}

int store_col_is_null(struct store_stmt *st, int col)
{
    return st->conn->store->be->col_is_null(st, col);
}

int64_t store_col_int64(struct store_stmt *st, int col)
{
    return st->conn->store->be->col_int64(st, col);
}

const char *store_col_text(struct store_stmt *st, int col)
{
    return st->conn->store->be->col_text(st, col);
}

const void *store_col_blob(struct store_stmt *st, int col, size_t *n)
{
    return st->conn->store->be->col_blob(st, col, n);
}

int64_t store_changes(struct store_stmt *st)
{
    return st->conn->store->be->changes(st);
}

int store_run(struct store_stmt *st, int64_t *changes, struct err *err)
{
    int rc = store_step(st, err);
    if (rc >= 0 && changes != NULL)
        *changes = store_changes(st);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

void store_reset(struct store_stmt *st)
{
    st->conn->store->be->reset(st);
}

/* ---- platform_meta ------------------------------------------------------------------ */

static const char SQL_META_GET[] = "SELECT value FROM platform_meta WHERE key = ?";
static const char SQL_META_SET[] =
    "INSERT INTO platform_meta (key, value, updated_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";

int store_meta_get_int64(struct store_conn *c, const char *key, int64_t *value, int *found,
                         struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_META_GET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    int rc = store_step(st, err);
    *found = rc == STORE_ROW;
    *value = rc == STORE_ROW ? strtoll(store_col_text(st, 0), NULL, 10) : 0;
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_meta_set(struct store_conn *c, const char *key, const char *value, struct err *err)
{
    struct store_stmt *st = store_prepare(c, SQL_META_SET, err);
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, key, -1);
    store_bind_text(st, 2, value, -1);
    store_bind_int64(st, 3, time_now_ms());
    int rc = store_step(st, err);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_meta_set_int64(struct store_conn *c, const char *key, int64_t value, struct err *err)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)value);
    return store_meta_set(c, key, v, err);
}

/* ---- migrations -------------------------------------------------------------------- */

#define MIGRATIONS_PREFIX "src/store/migrations/"

/* The version number of an embedded migration file ("0001_foundation.sql" -> 1), or -1
 * for anything that is not NNNN_name.sql. */
static int64_t migration_version(const char *path)
{
    const char *name = path + strlen(MIGRATIONS_PREFIX);
    int64_t v = 0;
    int digits = 0;
    while (isdigit((unsigned char)name[digits])) {
        v = v * 10 + (name[digits] - '0');
        digits++;
    }
    size_t n = strlen(name);
    if (digits != 4 || name[4] != '_' || n < 9 || strcmp(name + n - 4, ".sql") != 0)
        return -1;
    return v;
}

int64_t store_latest_migration(void)
{
    int64_t latest = 0;
    for (size_t i = embed_first(MIGRATIONS_PREFIX);
         i < embed_count &&
         strncmp(embed_files[i].path, MIGRATIONS_PREFIX, strlen(MIGRATIONS_PREFIX)) == 0;
         i++) {
        int64_t v = migration_version(embed_files[i].path);
        if (v > latest)
            latest = v;
    }
    return latest;
}

#define BACKEND_DIRECTIVE "-- @backend"

int store_migration_filter(const char *sql, enum store_kind kind, char **out, struct err *err)
{
    size_t n = strlen(sql);
    char *o = malloc(n + 1);
    if (o == NULL)
        return err_set(err, 500, "store.error", "out of memory");
    size_t w = 0;
    int keep = 1;
    const char *p = sql;
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
        const char *q = p;
        while (q < p + len && (*q == ' ' || *q == '\t'))
            q++;
        size_t dl = strlen(BACKEND_DIRECTIVE);
        if ((size_t)(p + len - q) >= dl && strncmp(q, BACKEND_DIRECTIVE, dl) == 0 &&
            (q[dl] == ' ' || q[dl] == '\t')) {
            const char *name = q + dl;
            while (name < p + len && (*name == ' ' || *name == '\t'))
                name++;
            const char *end = p + len;
            while (end > name && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                end--;
            size_t nl = (size_t)(end - name);
            if (nl == 3 && strncmp(name, "all", 3) == 0)
                keep = 1;
            else if (nl == 6 && strncmp(name, "sqlite", 6) == 0)
                keep = kind == STORE_SQLITE;
            else if (nl == 10 && strncmp(name, "postgresql", 10) == 0)
                keep = kind == STORE_POSTGRES;
            else {
                free(o);
                return err_set(err, 500, "store.bad_migration",
                               "unknown backend '%.*s' in a '-- @backend' line (sqlite, "
                               "postgresql or all)",
                               (int)(nl > 40 ? 40 : nl), name);
            }
        }
        if (keep) {
            memcpy(o + w, p, len);
            w += len;
        }
        if (eol == NULL)
            break;
        o[w++] = '\n';
        p = eol + 1;
    }
    o[w] = '\0';
    *out = o;
    return 0;
}

static const char SQL_CREATE_MIGRATIONS[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
static const char SQL_MAX_VERSION[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char SQL_HAS_VERSION[] = "SELECT 1 FROM schema_migrations WHERE version = ?";
static const char SQL_RECORD_VERSION[] =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";

int store_scalar_int64(struct store_conn *c, const char *sql, int64_t *out, struct err *err)
{
    struct store_stmt *st = store_prepare(c, sql, err);
    if (st == NULL)
        return -1;
    int rc = store_step(st, err);
    if (rc == STORE_ROW)
        *out = store_col_int64(st, 0);
    store_reset(st);
    return rc < 0 ? -1 : rc == STORE_ROW;
}

int store_schema_version(struct store_conn *c, int64_t *version, struct err *err)
{
    return store_scalar_int64(c, SQL_MAX_VERSION, version, err) < 0 ? -1 : 0;
}

/* Apply one migration in its own transaction, unless another process applied it
 * meanwhile (checked under the migration lock). */
static int apply_one(struct store_conn *c, const struct embed_file *f, int64_t v, int *applied,
                     struct err *err)
{
    struct store_stmt *st;
    if (store_begin(c, err) < 0)
        return -1;
    if (c->store->be->migrate_lock_sql != NULL &&
        store_exec(c, c->store->be->migrate_lock_sql, err) < 0)
        goto fail;
    if ((st = store_prepare(c, SQL_HAS_VERSION, err)) == NULL)
        goto fail;
    store_bind_int64(st, 1, v);
    int rc = store_step(st, err);
    store_reset(st);
    if (rc < 0)
        goto fail;
    if (rc == STORE_ROW) {
        store_rollback(c);
        return 0;
    }
    char *sql = NULL;
    if (store_migration_filter((const char *)f->data, c->store->kind, &sql, err) < 0)
        goto fail;
    rc = store_exec(c, sql, err);
    free(sql);
    if (rc < 0) {
        /* Copies: err_set must not read from the buffers it writes. */
        char msg[sizeof(err->msg)], code[sizeof(err->code)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        snprintf(code, sizeof(code), "%s", err->code);
        err_set(err, err->status, code, "migration %s failed: %s",
                f->path + strlen(MIGRATIONS_PREFIX), msg);
        goto fail;
    }
    if ((st = store_prepare(c, SQL_RECORD_VERSION, err)) == NULL)
        goto fail;
    store_bind_int64(st, 1, v);
    store_bind_text(st, 2, f->path + strlen(MIGRATIONS_PREFIX), -1);
    store_bind_int64(st, 3, time_now_ms());
    rc = store_step(st, err);
    store_reset(st);
    if (rc < 0)
        goto fail;
    if (store_commit(c, err) < 0)
        return -1;
    (*applied)++;
    log_kv(LOG_INFO, "migration applied", "name", f->path + strlen(MIGRATIONS_PREFIX), LOG_END);
    return 0;
fail:
    store_rollback(c);
    return -1;
}

int store_migrate(struct store *s, int *applied, struct err *err)
{
    int count = 0;
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    /* Create the version table under the migration lock too: two nodes starting on an
     * empty PostgreSQL database at once would otherwise race in the catalog. */
    if (store_begin(c, err) < 0)
        return -1;
    if ((c->store->be->migrate_lock_sql != NULL &&
         store_exec(c, c->store->be->migrate_lock_sql, err) < 0) ||
        store_exec(c, SQL_CREATE_MIGRATIONS, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (store_commit(c, err) < 0)
        return -1;
    int64_t current = 0;
    if (store_schema_version(c, &current, err) < 0)
        return -1;
    /* Files come sorted by path, and zero-padded numbers sort like integers. */
    for (size_t i = embed_first(MIGRATIONS_PREFIX);
         i < embed_count &&
         strncmp(embed_files[i].path, MIGRATIONS_PREFIX, strlen(MIGRATIONS_PREFIX)) == 0;
         i++) {
        int64_t v = migration_version(embed_files[i].path);
        if (v < 0 || v <= current)
            continue;
        if (apply_one(c, &embed_files[i], v, &count, err) < 0)
            return -1;
    }
    if (applied != NULL)
        *applied = count;
    return 0;
}
