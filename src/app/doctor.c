/*
 * doctor.c - `onewindow doctor`: checks a deployment and says what to fix, one line a
 * check ("ok", "warn" or "FIX" and a sentence). Exit 0 when nothing needs fixing, 1 when
 * something does. Checks: the key file (present, a regular file, mode 0600 or stricter,
 * owned by the user running onewindow), the database (reachable, migrated to this
 * binary's schema), free space where the data and the database file live, the clock
 * (against the database server's), and the public URL (set, https).
 */
#include "app/doctor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "app/config.h"
#include "base/id.h"
#include "store/store.h"

#define MIN_FREE_BYTES (1ull << 30) /* 1 GiB */
#define MAX_SKEW_MS 2000

struct tally {
    FILE *out;
    int fix;
};

__attribute__((format(printf, 3, 4))) static void say(struct tally *t, const char *level,
                                                      const char *fmt, ...)
{
    va_list ap;
    fprintf(t->out, "%-5s", level);
    va_start(ap, fmt);
    vfprintf(t->out, fmt, ap);
    va_end(ap);
    fputc('\n', t->out);
    if (strcmp(level, "FIX") == 0)
        t->fix++;
}

static void check_key(struct tally *t, const struct config *cfg)
{
    char path[CONFIG_STR + 32];
    snprintf(path, sizeof(path), "%s/keys/master.key", cfg->data);
    struct stat st;
    if (stat(path, &st) < 0) {
        say(t, "FIX",
            "no key file %s: run `onewindow init` once, or copy the cluster's key file "
            "here (docs/deploy.md)",
            path);
        return;
    }
    if (!S_ISREG(st.st_mode) || st.st_size != 32)
        say(t, "FIX", "%s is not a 32-byte key file: restore it from the backup", path);
    else if (st.st_mode & 077)
        say(t, "FIX", "%s can be read by others: chmod 600 %s", path, path);
    else if (st.st_uid != geteuid())
        say(t, "FIX", "%s belongs to another user: chown it to the user onewindow runs as", path);
    else
        say(t, "ok", "key file %s (mode 0600, owned by this user)", path);
}

static void check_space(struct tally *t, const char *what, const char *path)
{
    struct statvfs v;
    char num[32];
    if (statvfs(path, &v) < 0) {
        say(t, "FIX", "cannot look at the free space of %s: %s", path, strerror(errno));
        return;
    }
    uint64_t free_b = (uint64_t)v.f_bavail * v.f_frsize;
    snprintf(num, sizeof(num), "%.1f GiB", (double)free_b / (1 << 30));
    if (free_b < MIN_FREE_BYTES)
        say(t, "FIX", "only %s free for %s: free space (writes stop with 503 when it is full)", num,
            what);
    else
        say(t, "ok", "%s free for %s", num, what);
}

static void check_db(struct tally *t, const struct config *cfg)
{
    struct store *s = NULL;
    struct store_options opt = {0};
    struct err err;
    err_clear(&err);
    if (store_open(cfg->db, &opt, &s, &err) < 0) {
        say(t, "FIX", "the database does not answer: %s", err.msg);
        return;
    }
    struct store_conn *c = store_conn(s, &err);
    int64_t version = 0;
    if (c == NULL || store_schema_version(c, &version, &err) < 0) {
        say(t, "FIX", "the database does not answer or has no schema: %s (run `onewindow init`)",
            err.msg);
        store_close(s);
        return;
    }
    char have[64];
    snprintf(have, sizeof(have), "%lld of %lld", (long long)version,
             (long long)store_latest_migration());
    if (version < store_latest_migration())
        say(t, "FIX", "the database schema is at version %s: run `onewindow migrate`", have);
    else if (version > store_latest_migration())
        say(t, "FIX", "the database schema (version %s) is newer than this binary: upgrade it",
            have);
    else
        say(t, "ok", "database %s reachable, schema version %s", store_url_redacted(s), have);
    int64_t db_ms = 0;
    if (store_clock_ms(s, &db_ms, &err) == 0) {
        int64_t skew = db_ms - time_now_ms();
        char num[32];
        snprintf(num, sizeof(num), "%lld ms", (long long)(skew < 0 ? -skew : skew));
        if (skew > MAX_SKEW_MS || skew < -MAX_SKEW_MS)
            say(t, "FIX",
                "this machine's clock is %s off the database server's: run a time service "
                "(chrony or systemd-timesyncd); deadlines and one-time codes depend on it",
                num);
        else
            say(t, "ok", "clock within %s of the database server's", num);
    }
    store_close(s);
}

static void check_url(struct tally *t, const struct config *cfg)
{
    if (cfg->public_url[0] == '\0')
        say(t, "FIX",
            "no --public-url: set the https address people use (the OpenID Connect "
            "issuer and the links in notices depend on it)");
    else if (strncmp(cfg->public_url, "https://", 8) != 0)
        say(t, "warn", "--public-url %s is not https: only for a test installation",
            cfg->public_url);
    else
        say(t, "ok", "public URL %s", cfg->public_url);
}

int app_doctor(const struct config *cfg, FILE *out)
{
    struct tally t = {out, 0};
    check_key(&t, cfg);
    check_db(&t, cfg);
    check_space(&t, "the data directory", cfg->data);
    if (strncmp(cfg->db, "sqlite:", 7) == 0) {
        char dir[CONFIG_STR];
        snprintf(dir, sizeof(dir), "%s", cfg->db + 7);
        char *slash = strrchr(dir, '/');
        if (slash != NULL && slash != dir) {
            *slash = '\0';
            if (strcmp(dir, cfg->data) != 0)
                check_space(&t, "the database", dir);
        }
    }
    check_url(&t, cfg);
    fprintf(out, t.fix ? "%d thing(s) to fix\n" : "nothing to fix\n", t.fix);
    return t.fix ? 1 : 0;
}
