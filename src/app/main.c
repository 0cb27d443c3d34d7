/*
 * main.c - the onewindow command: parses the command and its options, opens the store,
 * and runs serve, init, migrate, demo, version or help. Wiring of the domain modules
 * (their routes and demo data) is in wiring.c.
 *
 * Exit status: 0 success, 1 a runtime failure (database unreachable, port in use...),
 * 2 a usage error (unknown command or option, bad value). Every failure prints one
 * sentence on stderr that names the problem. The exit status comes from err_exit_code
 * (err_usage marks a usage error); err.status stays an HTTP status on these paths too.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <libpq-fe.h>

#include "app/app.h"
#include "app/backup.h"
#include "app/doctor.h"
#include "app/config.h"
#include "base/id.h"
#include "base/log.h"
#include "store/store.h"
#include "web/i18n.h"
#include "web/web.h"
#include "oidc/oidc.h"
#include "exchange/exchange.h"
#include "identity/identity.h"
#include "benefits/benefits.h"
#include "remind/remind.h"
#include "notify/notify.h"
#include "calendar/calendar.h"
#include "hotline/hotline.h"
#include "pay/pay.h"
#include "opendata/opendata.h"
#include "open311/open311.h"
#include "catalog/catalog.h"
#include "policy/policy.h"
#include "search/search.h"
#include "audit/audit.h"
#include "oversight/oversight.h"
#include "certs/certs.h"
#include "seals/seals.h"
#include "translate/translate.h"
#include <pthread.h>
#include <time.h>

#ifndef ONEWINDOW_VERSION
#define ONEWINDOW_VERSION "0.1.0"
#endif
#ifndef ONEWINDOW_COMMIT
#define ONEWINDOW_COMMIT "unknown"
#endif

static int fail(const struct err *err)
{
    fprintf(stderr, "onewindow: %s\n", err->msg);
    return err_exit_code(err);
}

/* ---- the command table ----------------------------------------------------------------
 * Every command is one row: its name, its help text, what it needs (nothing, the database,
 * or the database and argument words) and the function that runs it. main() reads only
 * this table: adding a command is adding a row. */
enum cmd_kind {
    CMD_STANDALONE, /* needs no database: runs with argc/argv after the command */
    CMD_DATABASE,   /* opens the store; takes options only */
    CMD_WORDS,      /* opens the store; takes argument words, then options */
    CMD_CONFIGURED, /* reads the options (and words) but opens nothing itself */
};
struct command {
    const char *name;
    const char *help; /* lines after the first are indented under it */
    enum cmd_kind kind;
    int (*standalone)(int argc, char **argv);
    int (*run)(struct app *app, const struct config *cfg, int nwords, char **words,
               struct err *err);
    int reports_own_finding; /* status 1 means a finding it printed (audit verify, cert verify) */
    /* Options of the command's own (each with a value) that go to it as words rather than to
     * the configuration: `kpi --division CODE`. NULL-terminated, or NULL. */
    const char *const *own_options;
    /* CMD_CONFIGURED: returns the exit status (err set when it is not 0) */
    int (*configured)(const struct config *cfg, int nwords, char **words, struct err *err);
};
static const struct command *command_find(const char *name);
static void usage(FILE *out);
static int check_schema(struct store *s, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    int64_t v = 0;
    if (c == NULL)
        return -1;
    if (store_schema_version(c, &v, err) < 0) {
        return err_set(err, 500, "store.not_initialised",
                       "the database %s is not initialised: run `onewindow init` first",
                       store_url_redacted(s));
    }
    if (v != store_latest_migration())
        return err_set(err, 500, "store.schema_mismatch",
                       "the database schema is at version %lld but this binary needs %lld: run "
                       "`onewindow migrate`",
                       (long long)v, (long long)store_latest_migration());
    return 0;
}

/* The audit log's periodic checkpoint (signed head of the hash chain): every hour while
 * serving, and once more at shutdown. Several nodes may each sign: checkpoints are
 * idempotent per head. */
struct checkpointer {
    struct app *app;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
};

static void *checkpoint_loop(void *p)
{
    struct checkpointer *cp = p;
    pthread_mutex_lock(&cp->lock);
    while (!cp->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 3600;
        pthread_cond_timedwait(&cp->wake, &cp->lock, &until);
        pthread_mutex_unlock(&cp->lock);
        struct err err;
        err_clear(&err);
        if (audit_checkpoint(cp->app->store, cp->app->kr, NULL, &err) < 0)
            log_kv(LOG_ERROR, "audit checkpoint failed", "detail", err.msg, LOG_END);
        pthread_mutex_lock(&cp->lock);
    }
    pthread_mutex_unlock(&cp->lock);
    return NULL;
}

/* Ending every session of a person also ends what department systems hold for them. */
static void revoke_oidc_grants(void *ctx, int64_t account_id, const char *reason, const char *ip)
{
    struct app *app = ctx;
    struct err err;
    if (oidc_revoke_account(app->store, account_id, reason, ip, &err) < 0)
        log_kv(LOG_ERROR, "revoking OIDC grants failed", "detail", err.msg, LOG_END);
}

static int cmd_serve(const struct config *cfg, struct app *app, struct err *err)
{
    struct store *s = app->store;
    if (cfg->demo) {
        if (app_init(app, err) < 0 || app_load_demo(app, err) < 0)
            return -1;
    }
    if (check_schema(s, err) < 0 || audit_chain_backfill(s, NULL, err) < 0 ||
        (cfg->i18n_dir[0] ? i18n_init_dir(cfg->i18n_dir, err) : i18n_init(err)) < 0)
        return -1;
    struct web_config wc = {
        .host = cfg->host,
        .port = cfg->port,
        .threads = cfg->threads,
        .max_header_bytes = (size_t)cfg->max_header_bytes,
        .max_body_bytes = (size_t)cfg->max_body_bytes,
        .max_upload_bytes = (size_t)cfg->max_upload_bytes,
        .idle_timeout_s = cfg->idle_timeout_s,
        .head_timeout_s = cfg->head_timeout_s,
        .trusted_proxies = cfg->trusted_proxy,
        .max_connections = cfg->max_connections,
        .per_ip_connections = cfg->per_ip_connections,
        .log_requests = cfg->log_requests,
        .drain_timeout_s = cfg->drain_timeout_s,
        .session_idle_s = cfg->session_idle_s,
        .session_absolute_s = cfg->session_absolute_s,
        .secure_cookies = cfg->secure_cookies,
    };
    /* Block the shutdown signals before any thread starts, so every thread inherits the
     * mask and only sigwait below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Past the file-size limit a write fails with EFBIG (answered 503, store.full) instead
     * of the signal ending the process. */
    signal(SIGXFSZ, SIG_IGN);

    if (oidc_open(s, app->kr, cfg->public_url[0] ? cfg->public_url : NULL, NULL, &app->oidc, err) <
        0)
        return -1;
    identity_on_sessions_ended(app->id, revoke_oidc_grants, app);
    struct web_server *srv = web_server_new(&wc, s, err);
    if (srv == NULL || app_register_routes(srv, app, err) < 0 || web_server_start(srv, err) < 0) {
        web_server_free(srv);
        i18n_free();
        return -1;
    }
    /* The notification delivery job (one per node; a lease row keeps nodes apart). */
    /* Payment: the sandbox gateway's notifications and closing orders whose time ran out. */
    if (notify_start(app->notify, 1000, err) < 0 || pay_start(app->pay, 500, err) < 0) {
        web_server_free(srv);
        i18n_free();
        return -1;
    }
    char port[16];
    snprintf(port, sizeof(port), "%d", web_server_port(srv));
    if (cfg->public_url[0] == '\0') {
        /* No public address configured: the issuer is the address we listen on. */
        char issuer[CONFIG_STR + 32];
        snprintf(issuer, sizeof(issuer), "http://%s:%d", cfg->host, web_server_port(srv));
        if (oidc_set_issuer(app->oidc, issuer, err) < 0) {
            web_server_free(srv);
            i18n_free();
            return -1;
        }
    }
    log_kv(LOG_INFO, "listening", "host", cfg->host, "port", port, "database",
           store_url_redacted(s), "version", ONEWINDOW_VERSION, LOG_END);
    struct checkpointer cp = {app, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    pthread_t cp_thread;
    int cp_started = pthread_create(&cp_thread, NULL, checkpoint_loop, &cp) == 0;
    int sig = 0;
    sigwait(&set, &sig);
    log_kv(LOG_INFO, "shutting down", "signal", sig == SIGTERM ? "TERM" : "INT", LOG_END);
    web_server_free(srv);
    notify_stop(app->notify);
    pay_stop(app->pay);
    if (cp_started) {
        pthread_mutex_lock(&cp.lock);
        cp.stop = 1;
        pthread_cond_signal(&cp.wake);
        pthread_mutex_unlock(&cp.lock);
        pthread_join(cp_thread, NULL);
        struct err cerr;
        if (audit_checkpoint(app->store, app->kr, NULL, &cerr) < 0)
            log_kv(LOG_ERROR, "audit checkpoint failed", "detail", cerr.msg, LOG_END);
    }
    i18n_free();
    log_kv(LOG_INFO, "stopped", LOG_END);
    return 0;
}

/* ---- the commands ---------------------------------------------------------------------- */

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    usage(stdout);
    config_print_help();
    return 0;
}

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("onewindow %s (commit %s)\n", ONEWINDOW_VERSION, ONEWINDOW_COMMIT);
    printf("libmicrohttpd %s, jansson %s, SQLite %s, libpq %d, %s\n", MHD_get_version(),
           JANSSON_VERSION, sqlite3_libversion(), PQlibVersion(), OpenSSL_version(OPENSSL_VERSION));
    return 0;
}

/* The translator's commands read and write catalog files, never the database. */
static int cmd_i18n(int argc, char **argv)
{
    struct err err;
    err_clear(&err);
    int status = translate_cli(argc, argv, stdout, &err);
    if (status != 0)
        fprintf(stderr, "onewindow: %s\n", err.msg);
    return status;
}

static int cmd_init(struct app *app, const struct config *cfg, int n, char **w, struct err *err)
{
    (void)cfg, (void)n, (void)w;
    return app_init(app, err) < 0 ? -1 : 0;
}

static int cmd_migrate(struct app *app, const struct config *cfg, int n, char **w, struct err *err)
{
    (void)cfg, (void)n, (void)w;
    int applied = 0;
    if (store_migrate(app->store, &applied, err) < 0 ||
        audit_chain_backfill(app->store, NULL, err) < 0)
        return -1;
    printf("%d migration(s) applied; schema version %lld\n", applied,
           (long long)store_latest_migration());
    return 0;
}

static int cmd_demo(struct app *app, const struct config *cfg, int n, char **w, struct err *err)
{
    (void)cfg, (void)n, (void)w;
    return check_schema(app->store, err) < 0 || app_load_demo(app, err) < 0 ? -1 : 0;
}

static int cmd_serve_db(struct app *app, const struct config *cfg, int n, char **w, struct err *err)
{
    (void)n, (void)w;
    return cmd_serve(cfg, app, err);
}

/* backup DEST / restore SRC: files and the database tools (src/app/backup.c). */
static int cfg_backup_restore(const struct config *cfg, int n, char **w, int backup,
                              struct err *err)
{
    if (n != 1) {
        err_usage(err, "app.usage", "usage: onewindow %s %s [--data DIR] [--db URL]",
                  backup ? "backup" : "restore", backup ? "DEST" : "SRC");
        return 2;
    }
    int rc = backup ? app_backup(cfg, w[0], stdout, err) : app_restore(cfg, w[0], stdout, err);
    return rc < 0 ? err_exit_code(err) : 0;
}

static int cfg_backup(const struct config *cfg, int n, char **w, struct err *err)
{
    return cfg_backup_restore(cfg, n, w, 1, err);
}

static int cfg_restore(const struct config *cfg, int n, char **w, struct err *err)
{
    return cfg_backup_restore(cfg, n, w, 0, err);
}

static int cfg_doctor(const struct config *cfg, int n, char **w, struct err *err)
{
    (void)w;
    if (n != 0) {
        err_usage(err, "app.usage", "usage: onewindow doctor [--data DIR] [--db URL]");
        return 2;
    }
    err->msg[0] = '\0'; /* doctor prints its own findings */
    return app_doctor(cfg, stdout);
}

/* The module commands: each hands its words to the module's own CLI with what it needs. */
#define MODULE_CLI(fn, expr)                                                                       \
    static int fn(struct app *app, const struct config *cfg, int n, char **w, struct err *err)     \
    {                                                                                              \
        (void)cfg;                                                                                 \
        return expr;                                                                               \
    }
MODULE_CLI(cli_user, app_user_command(app, n, w, err))
MODULE_CLI(cli_client, app_client_command(app, n, w, err))
MODULE_CLI(cli_oidc, app_oidc_command(app, n, w, err))
MODULE_CLI(cli_calendar, calendar_cli(app->store, n, w, err))
MODULE_CLI(cli_catalog, catalog_cli(app->catalog, n, w, err))
MODULE_CLI(cli_search, search_cli(app->search, n, w, err))
MODULE_CLI(cli_audit, audit_cli(app->store, app->kr, n, w, err))
MODULE_CLI(cli_hotline, hotline_cli(app->hotline, n, w, err))
MODULE_CLI(cli_open311, open311_cli(app->store, n, w, err))
MODULE_CLI(cli_notify, notify_cli(app->notify, n, w, err))
MODULE_CLI(cli_pay, pay_cli(app->pay, n, w, err))
MODULE_CLI(cli_opendata, opendata_cli(app->opendata, n, w, err))
MODULE_CLI(cli_policy, policy_cli(app->policy, "policy", n, w, err))
MODULE_CLI(cli_ask, policy_cli(app->policy, "ask", n, w, err))
MODULE_CLI(cli_oversight, oversight_cli(app->oversight, n, w, err))
MODULE_CLI(cli_exchange, exchange_cli(app->exchange, n, w, err))
MODULE_CLI(cli_benefits, benefits_cli(app->benefits, n, w, err))
static int cli_remind(struct app *app, const struct config *cfg, int n, char **w, struct err *err)
{
    (void)cfg;
    struct remind_sources src = app_remind_sources(app);
    return remind_cli(app->store, app->notify, &src, n, w, err);
}

/* kpi: its own options arrive as words; oversight_cli reads them after the word "kpi". */
static int cli_kpi(struct app *app, const struct config *cfg, int n, char **w, struct err *err)
{
    (void)cfg;
    char *args[16] = {"kpi"};
    int k = 1;
    for (int i = 0; i < n && k < 16; i++)
        args[k++] = w[i];
    return oversight_cli(app->oversight, k, args, err);
}
MODULE_CLI(cli_seal, seals_cli(app->store, app->kr, n, w, err))
MODULE_CLI(cli_cert, certs_cli(app->certs, n, w, err))

/* kpi takes options of its own: they and their values become its words. */
static const char *const kpi_options[] = {"--division", "--from", "--to", NULL};

static const struct command commands[] = {
    {.name = "serve",
     .help = "serve HTTP (pages, API, health) until SIGTERM or SIGINT",
     .kind = CMD_DATABASE,
     .run = cmd_serve_db},
    {.name = "init",
     .help = "create or migrate the database and load reference data",
     .kind = CMD_DATABASE,
     .run = cmd_init},
    {.name = "migrate",
     .help = "apply pending database migrations only",
     .kind = CMD_DATABASE,
     .run = cmd_migrate},
    {.name = "demo",
     .help = "load the demo region's data (after init); demo totp: the demo\n"
             "staff's current second-factor code (no authenticator app needed)",
     .kind = CMD_DATABASE,
     .run = cmd_demo},
    {.name = "user",
     .help = "manage departments, staff and roles (onewindow user help)",
     .kind = CMD_WORDS,
     .run = cli_user},
    {.name = "client",
     .help = "register systems that log people in through the platform (OpenID\n"
             "Connect): onewindow client help",
     .kind = CMD_WORDS,
     .run = cli_client},
    {.name = "oidc",
     .help = "rotate-keys [PUBLISH_DELAY_SECONDS]: a new signing key",
     .kind = CMD_WORDS,
     .run = cli_oidc},
    {.name = "audit",
     .help = "verify | checkpoint | purge [DAYS>=185]: the hash-chained audit log",
     .kind = CMD_WORDS,
     .run = cli_audit,
     .reports_own_finding = 1},
    {.name = "seal",
     .help = "make DEPT TYPE NAME [DAYS] | list [DEPT] | suspend|activate|revoke ID |\n"
             "root | trust NAME FILE: electronic seals and the trust list",
     .kind = CMD_WORDS,
     .run = cli_seal},
    {.name = "cert",
     .help = "issue TYPE HOLDER_ID DEPT DATA_JSON | verify FILE | types: e-certificates",
     .kind = CMD_WORDS,
     .run = cli_cert,
     .reports_own_finding = 1},
    {.name = "calendar",
     .help = "set DATE holiday|workday NAME [SCOPE] | remove DATE [SCOPE] |\n"
             "list YEAR | deadline DATE N: the working-day calendar",
     .kind = CMD_WORDS,
     .run = cli_calendar},
    {.name = "hotline",
     .help = "train | evaluate | tick: the 12345 hotline's classifier and deadlines",
     .kind = CMD_WORDS,
     .run = cli_hotline},
    {.name = "open311",
     .help = "key create NAME | key revoke ID | key list: Open311 API keys",
     .kind = CMD_WORDS,
     .run = cli_open311},
    {.name = "search",
     .help = "index-file FILE.jsonl | query TEXT [KIND] [staff] | delete KIND ID |\n"
             "stats | bench FILE [ROUNDS]: the full-text search",
     .kind = CMD_WORDS,
     .run = cli_search},
    {.name = "notify",
     .help = "send ACCOUNT KIND [PARAMS_JSON [PHONE]] | outbox | deliver |\n"
             "email ADDRESS KIND [PARAMS_JSON] | channels |\n"
             "sandbox [N]: notifications (system notices, SMS and e-mail)",
     .kind = CMD_WORDS,
     .run = cli_notify},
    {.name = "pay",
     .help = "orders [STATE] | refund CODE FEN REASON | reconcile DATE | work |\n"
             "sandbox statement DATE|sign PARAMS|notices|pay CODE: payments",
     .kind = CMD_WORDS,
     .run = cli_pay,
     .reports_own_finding = 1},
    {.name = "opendata",
     .help = "refresh | key NAME QUOTA | bench-fill N: open data (/data, CKAN API)",
     .kind = CMD_WORDS,
     .run = cli_opendata},
    {.name = "policy",
     .help = "import FILE | reindex | list: the policy library (政策文件)",
     .kind = CMD_WORDS,
     .run = cli_policy},
    {.name = "ask",
     .help = "TEXT [LANG] | evaluate [FILE] | bench [ROUNDS]: questions answered from policies\n"
             "and guides",
     .kind = CMD_WORDS,
     .run = cli_ask},
    {.name = "kpi",
     .help = "[--division CODE] [--from YYYY-MM-DD --to YYYY-MM-DD]: the KPIs of\n"
             "applications as JSON (default: the region, this year to today)",
     .kind = CMD_WORDS,
     .run = cli_kpi,
     .own_options = kpi_options},
    {.name = "oversight",
     .help = "escalate | digest: escalate overdue supervision notes (督办), send\n"
             "departments the daily digest of overdue and due-soon cases",
     .kind = CMD_WORDS,
     .run = cli_oversight},
    {.name = "benefits",
     .help = "run [CODE|all [YYYYMMDD]] | rules: benefits without applying",
     .kind = CMD_WORDS,
     .run = cli_benefits},
    {.name = "remind",
     .help = "run [YYYY-MM-DD]: reminders (补正, ratings, certificates)",
     .kind = CMD_WORDS,
     .run = cli_remind},
    {.name = "exchange",
     .help = "resources | resource-put FILE | grants [CLIENT] | approve ID\n"
             "[fields=a,b] [days=N] [rate=N] | reject ID | revoke ID |\n"
             "sandbox-put RESOURCE KEY JSON: the data exchange",
     .kind = CMD_WORDS,
     .run = cli_exchange},
    {.name = "catalog",
     .help = "import FILE | export [FILE]: the service catalog as JSON",
     .kind = CMD_WORDS,
     .run = cli_catalog},
    {.name = "i18n",
     .help = "export LANG [FILE] | import FILE | coverage [LANG] [--i18n-dir DIR]:\n"
             "the interface strings as gettext PO files, and how complete\n"
             "each language is (no database needed)",
     .kind = CMD_STANDALONE,
     .standalone = cmd_i18n},
    {.name = "backup",
     .help = "DEST: a consistent copy of the database and the key files while\n"
             "serving (SQLite online backup; PostgreSQL pg_dump)",
     .kind = CMD_CONFIGURED,
     .configured = cfg_backup},
    {.name = "restore",
     .help = "SRC: a backup into an empty --data (and empty --db); refuses a\n"
             "live data directory",
     .kind = CMD_CONFIGURED,
     .configured = cfg_restore},
    {.name = "doctor",
     .help = "check a deployment (key file, database, disk, clock, public URL)\n"
             "and say what to fix",
     .kind = CMD_CONFIGURED,
     .configured = cfg_doctor},
    {.name = "version",
     .help = "print the version and the libraries in use",
     .kind = CMD_STANDALONE,
     .standalone = cmd_version},
    {.name = "help", .help = "print this text", .kind = CMD_STANDALONE, .standalone = cmd_help},
};

static const struct command *command_find(const char *name)
{
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        name = "help";
    else if (strcmp(name, "--version") == 0)
        name = "version";
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "onewindow - integrated online government service platform (一网通办)\n\n"
                 "Usage: onewindow COMMAND [OPTIONS]\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const char *h = commands[i].help;
        fprintf(out, "  %-9s ", commands[i].name);
        for (;;) {
            const char *nl = strchr(h, '\n');
            int len = nl ? (int)(nl - h) : (int)strlen(h);
            fprintf(out, "%.*s\n", len, h);
            if (nl == NULL)
                break;
            h = nl + 1;
            fprintf(out, "            ");
        }
    }
    fputc('\n', out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        fprintf(stderr, "onewindow: no command given: try `onewindow help`\n");
        return 2;
    }
    const char *name = argv[1];
    /* The demo staff's second-factor code: needs no database, only the clock. */
    if (strcmp(name, "demo") == 0 && argc == 3 && strcmp(argv[2], "totp") == 0)
        return app_demo_totp(stdout) < 0 ? 1 : 0;
    const struct command *cmd = command_find(name);
    if (cmd == NULL) {
        fprintf(stderr, "onewindow: unknown command \"%s\": try `onewindow help`\n", name);
        return 2;
    }
    if (cmd->kind == CMD_STANDALONE)
        return cmd->standalone(argc - 2, argv + 2);

    /* A command's own options (`kpi --from DATE`) and their values move in front of the
     * general options, so that they are read as its words. */
    int nown = 0;
    if (cmd->own_options != NULL) {
        char *own[64], *rest[64];
        int no = 0, nr = 0;
        for (int r = 2; r < argc && r < 64; r++) {
            int mine = 0;
            for (const char *const *o = cmd->own_options; *o != NULL; o++)
                mine |= strcmp(argv[r], *o) == 0;
            if (mine && r + 1 < argc) {
                own[no++] = argv[r];
                own[no++] = argv[++r];
            } else {
                rest[nr++] = argv[r];
            }
        }
        for (int i = 0; i < no; i++)
            argv[2 + i] = own[i];
        for (int i = 0; i < nr; i++)
            argv[2 + no + i] = rest[i];
        nown = no;
    }
    /* Words after the command up to the first option are its arguments (`user grant
     * alice platform admin --data var`); only CMD_WORDS commands take any. */
    int nwords = nown;
    while (2 + nwords < argc && strncmp(argv[2 + nwords], "--", 2) != 0)
        nwords++;
    if (nwords > 0 && cmd->kind != CMD_WORDS && cmd->kind != CMD_CONFIGURED) {
        fprintf(stderr, "onewindow: unexpected argument \"%s\" for %s\n", argv[2], name);
        return 2;
    }
    struct config cfg;
    struct err err;
    err_clear(&err);
    int rest = 0;
    int nopts = argc - 2 - nwords;
    if (config_load(&cfg, nopts, argv + 2 + nwords, &rest, &err) < 0)
        return fail(&err);
    if (rest != nopts) {
        fprintf(stderr, "onewindow: unexpected argument \"%s\" for %s\n", argv[2 + nwords + rest],
                name);
        return 2;
    }
    log_set_level((enum log_level)log_level_parse(cfg.log_level));
    id_init((unsigned)cfg.node_id);
    /* backup, restore and doctor work on files, the database tools and the configuration,
     * without opening the app (restore's target has no key file yet). */
    if (cmd->kind == CMD_CONFIGURED) {
        int status = cmd->configured(&cfg, nwords, argv + 2, &err);
        if (status != 0 && err.msg[0] != '\0')
            fprintf(stderr, "onewindow: %s\n", err.msg);
        return status;
    }

    struct app app;
    int may_create_keys = cmd->run == cmd_init || (cmd->run == cmd_serve_db && cfg.demo);
    if (app_open(&cfg, &app, may_create_keys, &err) < 0)
        return fail(&err);
    if (cmd->kind == CMD_DATABASE) {
        int rc = cmd->run(&app, &cfg, 0, NULL, &err);
        app_close(&app);
        return rc < 0 ? fail(&err) : 0;
    }
    if (check_schema(app.store, &err) < 0) {
        app_close(&app);
        return fail(&err);
    }
    int status = cmd->run(&app, &cfg, nwords, argv + 2, &err);
    app_close(&app);
    if (status == 0)
        return 0;
    if (!(cmd->reports_own_finding && status == 1))
        fprintf(stderr, "onewindow: %s\n", err.msg);
    return status == 2 ? 2 : 1;
}
