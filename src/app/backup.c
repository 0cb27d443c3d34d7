/*
 * backup.c - `onewindow backup DEST` and `onewindow restore SRC` (docs/deploy.md).
 *
 * A backup is a directory made mode 0700:
 *   onewindow.db       SQLite: a consistent copy taken with the online backup API while the
 *                      server keeps serving (store_sqlite_copy)
 *   onewindow.pgdump   PostgreSQL: `pg_dump --format=custom` (one snapshot transaction)
 *   keys/              the data directory's keys/ (master.key ...), each file with its mode
 *   MANIFEST           what was copied, when, from which backend
 * Without the key file the database is unreadable (encrypted columns, private keys), so
 * both always go together.
 *
 * restore copies a backup into --data (and, for PostgreSQL, into the empty database --db)
 * and refuses a live target: a data directory that already has a key file or a database
 * file, or a PostgreSQL database that already has the schema.
 */
#include "app/backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/config.h"
#include "base/id.h"
#include "store/store.h"

extern char **environ;

#define PATH_CAP 2048

static int is_sqlite(const struct config *cfg)
{
    return strncmp(cfg->db, "sqlite:", 7) == 0;
}

/* Copy one file, creating `to` with `mode` (never wider), and fsync it. */
static int copy_file(const char *from, const char *to, mode_t mode, struct err *err)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = -1, rc = -1;
    if (in < 0) {
        err_set(err, 500, "backup.read", "cannot read %s: %s", from, strerror(errno));
        goto fail;
    }
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (out < 0) {
        err_set(err, 500, "backup.write", "cannot create %s: %s", to, strerror(errno));
        goto fail;
    }
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n) {
            err_set(err, 500, "backup.write", "cannot write %s: %s", to, strerror(errno));
            goto fail;
        }
    if (n < 0 || fchmod(out, mode) < 0 || fsync(out) < 0) {
        err_set(err, 500, "backup.write", "cannot copy %s: %s", from, strerror(errno));
        goto fail;
    }
    rc = 0;
fail:
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) < 0 && rc == 0)
        rc = err_set(err, 500, "backup.write", "cannot write %s: %s", to, strerror(errno));
    return rc;
}

/* Copy every regular file of directory `from` into `to` (created 0700), modes kept. */
static int copy_keys(const char *from, const char *to, struct err *err)
{
    if (mkdir(to, 0700) < 0 && errno != EEXIST)
        return err_set(err, 500, "backup.write", "cannot create %s: %s", to, strerror(errno));
    DIR *d = opendir(from);
    if (d == NULL)
        return err_set(err, 500, "backup.keys",
                       "cannot read the key directory %s: %s (is --data right?)", from,
                       strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char a[PATH_CAP], b[PATH_CAP];
        struct stat st;
        if (e->d_name[0] == '.' ||
            snprintf(a, sizeof(a), "%s/%s", from, e->d_name) >= (int)sizeof(a) ||
            snprintf(b, sizeof(b), "%s/%s", to, e->d_name) >= (int)sizeof(b) || stat(a, &st) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        rc = copy_file(a, b, st.st_mode & 0700, err);
    }
    closedir(d);
    return rc;
}

/* Run a program (found on PATH) and wait: 0 when it exits 0. */
static int run(char *const argv[], struct err *err)
{
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0)
        return err_set(err, 500, "backup.tool",
                       "cannot run %s: %s (install the PostgreSQL "
                       "client tools)",
                       argv[0], strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return err_set(err, 500, "backup.tool", "waiting for %s: %s", argv[0], strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return err_set(err, 500, "backup.tool", "%s failed (exit %d): see its message above",
                       argv[0], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

int app_backup(const struct config *cfg, const char *dest, FILE *out, struct err *err)
{
    char path[PATH_CAP], keys[PATH_CAP];
    int64_t t0 = time_mono_us();
    umask(077); /* the dump and the MANIFEST too (pg_dump creates with the umask) */
    if (mkdir(dest, 0700) < 0)
        return err_set(err, 500, "backup.dest",
                       errno == EEXIST ? "%s already exists: give a new directory"
                                       : "cannot create %s: %s",
                       dest, strerror(errno));
    const char *kind = is_sqlite(cfg) ? "sqlite" : "postgresql";
    if (is_sqlite(cfg)) {
        snprintf(path, sizeof(path), "%s/onewindow.db", dest);
        if (store_sqlite_copy(cfg->db + 7, path, err) < 0)
            return -1;
        chmod(path, 0600);
    } else {
        char file[PATH_CAP + 16], dbname[CONFIG_STR + 16];
        snprintf(path, sizeof(path), "%s/onewindow.pgdump", dest);
        snprintf(file, sizeof(file), "--file=%s", path);
        snprintf(dbname, sizeof(dbname), "--dbname=%s", cfg->db);
        char *argv[] = {"pg_dump", "--format=custom", "--no-owner", file, dbname, NULL};
        if (run(argv, err) < 0)
            return -1;
    }
    snprintf(keys, sizeof(keys), "%s/keys", cfg->data);
    char dkeys[PATH_CAP + 8];
    snprintf(dkeys, sizeof(dkeys), "%s/keys", dest);
    if (copy_keys(keys, dkeys, err) < 0)
        return -1;
    char manifest[PATH_CAP + 16];
    snprintf(manifest, sizeof(manifest), "%s/MANIFEST", dest);
    FILE *m = fopen(manifest, "w");
    if (m == NULL)
        return err_set(err, 500, "backup.write", "cannot write %s: %s", manifest, strerror(errno));
    fprintf(m, "onewindow backup\nbackend=%s\ncreated_ms=%lld\ndatabase=%s\ndatabase_bytes=%lld\n",
            kind, (long long)time_now_ms(), strrchr(path, '/') + 1, (long long)file_size(path));
    if (fclose(m) != 0)
        return err_set(err, 500, "backup.write", "cannot write %s", manifest);
    fprintf(out, "backup of the %s database and keys in %s: %lld bytes, %.2f s\n", kind, dest,
            (long long)file_size(path), (double)(time_mono_us() - t0) / 1e6);
    return 0;
}

/* The backend a backup holds, from its MANIFEST. */
static const char *backup_kind(const char *src, struct err *err)
{
    char manifest[PATH_CAP + 16], line[256];
    snprintf(manifest, sizeof(manifest), "%s/MANIFEST", src);
    FILE *m = fopen(manifest, "r");
    if (m == NULL) {
        err_set(err, 500, "restore.not_backup", "%s is not a onewindow backup (no MANIFEST)", src);
        return NULL;
    }
    const char *kind = NULL;
    while (fgets(line, sizeof(line), m) != NULL)
        if (strcmp(line, "backend=sqlite\n") == 0)
            kind = "sqlite";
        else if (strcmp(line, "backend=postgresql\n") == 0)
            kind = "postgresql";
    fclose(m);
    if (kind == NULL)
        err_set(err, 500, "restore.not_backup", "%s/MANIFEST names no backend", src);
    return kind;
}

/* Has a PostgreSQL database any table (live)? 1 yes, 0 empty, -1 unreachable. */
static int pg_has_schema(const char *url, struct err *err)
{
    struct store *s = NULL;
    struct store_options opt = {0};
    if (store_open(url, &opt, &s, err) < 0)
        return -1;
    int has = 0;
    int rc = store_has_tables(s, &has, err);
    store_close(s);
    return rc < 0 ? -1 : has;
}

int app_restore(const struct config *cfg, const char *src, FILE *out, struct err *err)
{
    char path[PATH_CAP], target[PATH_CAP];
    struct stat st;
    umask(077);
    const char *kind = backup_kind(src, err);
    if (kind == NULL)
        return -1;
    if ((strcmp(kind, "sqlite") == 0) != is_sqlite(cfg))
        return err_set(err, 500, "restore.backend",
                       "the backup is of a %s database, but --db names another kind", kind);
    snprintf(target, sizeof(target), "%s/keys/master.key", cfg->data);
    if (stat(target, &st) == 0)
        return err_set(err, 500, "restore.live",
                       "%s already has a key file: restore refuses to overwrite a live data "
                       "directory (give an empty --data)",
                       cfg->data);
    if (is_sqlite(cfg) && stat(cfg->db + 7, &st) == 0)
        return err_set(err, 500, "restore.live",
                       "%s already exists: restore refuses to overwrite a live database",
                       cfg->db + 7);
    if (!is_sqlite(cfg)) {
        int live = pg_has_schema(cfg->db, err);
        if (live < 0)
            return -1;
        if (live)
            return err_set(err, 500, "restore.live",
                           "the PostgreSQL database already has tables: restore refuses to "
                           "overwrite a live database (create an empty one)");
    }
    if (mkdir(cfg->data, 0700) < 0 && errno != EEXIST)
        return err_set(err, 500, "restore.write", "cannot create %s: %s", cfg->data,
                       strerror(errno));
    char skeys[PATH_CAP + 8], dkeys[PATH_CAP + 8];
    snprintf(skeys, sizeof(skeys), "%s/keys", src);
    snprintf(dkeys, sizeof(dkeys), "%s/keys", cfg->data);
    if (copy_keys(skeys, dkeys, err) < 0)
        return -1;
    if (is_sqlite(cfg)) {
        snprintf(path, sizeof(path), "%s/onewindow.db", src);
        if (store_sqlite_copy(path, cfg->db + 7, err) < 0)
            return -1;
        chmod(cfg->db + 7, 0600);
    } else {
        char dbname[CONFIG_STR + 16];
        snprintf(path, sizeof(path), "%s/onewindow.pgdump", src);
        snprintf(dbname, sizeof(dbname), "--dbname=%s", cfg->db);
        char *argv[] = {"pg_restore", "--exit-on-error", "--no-owner", dbname, path, NULL};
        if (run(argv, err) < 0)
            return -1;
    }
    fprintf(out, "restored %s into %s: check it with `onewindow audit verify`\n", src, cfg->data);
    return 0;
}
