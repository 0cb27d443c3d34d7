/*
 * main.c - the onewindow command: parses the command and its options, opens the store,
 * and runs serve, init, migrate, demo, version or help. Wiring of the domain modules
 * (their routes and demo data) is in wiring.c.
 *
 * Exit status: 0 success, 1 a runtime failure (database unreachable, port in use...),
 * 2 a usage error (unknown command or option, bad value). Every failure prints one
 * sentence on stderr that names the problem.
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
#include "app/config.h"
#include "base/id.h"
#include "base/log.h"
#include "store/store.h"
#include "web/i18n.h"
#include "web/web.h"
#include "oidc/oidc.h"
#include "exchange/exchange.h"
#include "identity/identity.h"
#include "notify/notify.h"
#include "calendar/calendar.h"
#include "hotline/hotline.h"
#include "open311/open311.h"
#include "catalog/catalog.h"
#include "search/search.h"
#include "audit/audit.h"
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
    return err->status == 2 ? 2 : 1;
}

static void usage(FILE *out)
{
    fprintf(out, "onewindow - integrated online government service platform (一网通办)\n\n"
                 "Usage: onewindow COMMAND [OPTIONS]\n\n"
                 "Commands:\n"
                 "  serve     serve HTTP (pages, API, health) until SIGTERM or SIGINT\n"
                 "  init      create or migrate the database and load reference data\n"
                 "  migrate   apply pending database migrations only\n"
                 "  demo      load the demo region's data (after init); demo totp: the demo\n"
                 "            staff's current second-factor code (no authenticator app needed)\n"
                 "  user      manage departments, staff and roles (onewindow user help)\n"
                 "  client    register systems that log people in through the platform (OpenID\n"
                 "            Connect): onewindow client help\n"
                 "  oidc      rotate-keys [PUBLISH_DELAY_SECONDS]: a new signing key\n"
                 "  exchange  resources | resource-put FILE | grants [CLIENT] | approve ID\n"
                 "            [fields=a,b] [days=N] [rate=N] | reject ID | revoke ID |\n"
                 "            sandbox-put RESOURCE KEY JSON: the data exchange\n"
                 "  audit     verify | checkpoint | purge [DAYS>=185]: the hash-chained audit log\n"
                 "  seal      make DEPT TYPE NAME [DAYS] | list [DEPT] | suspend|activate|revoke ID |\n"
                 "            root | trust NAME FILE: electronic seals and the trust list\n"
                 "  cert      issue TYPE HOLDER_ID DEPT DATA_JSON | verify FILE | types: e-certificates\n"
                 "  calendar  set DATE holiday|workday NAME [SCOPE] | remove DATE [SCOPE] |\n"
                 "            list YEAR | deadline DATE N: the working-day calendar\n"
                 "  hotline   train | evaluate | tick: the 12345 hotline's classifier and deadlines\n"
                 "  open311   key create NAME | key revoke ID | key list: Open311 API keys\n"
                 "  search    index-file FILE.jsonl | query TEXT [KIND] [staff] | delete KIND ID |\n"
                 "            stats | bench FILE [ROUNDS]: the full-text search\n"
                 "  notify    send ACCOUNT KIND [PARAMS_JSON [PHONE]] | outbox | deliver |\n"
                 "            sandbox [N]: notifications (system notices, SMS delivery)\n"
                 "  catalog   import FILE | export [FILE]: the service catalog as JSON\n"
                 "  i18n      export LANG [FILE] | import FILE | coverage [LANG] [--i18n-dir DIR]:\n"
                 "            the interface strings as gettext PO files, and how complete\n"
                 "            each language is (no database needed)\n"
                 "  version   print the version and the libraries in use\n"
                 "  help      print this text\n\n");
}

static int check_schema(struct store *s, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    int64_t v = 0;
    if (c == NULL)
        return -1;
    if (store_schema_version(c, &v, err) < 0) {
        return err_set(err, 1, "store.not_initialised",
                       "the database %s is not initialised: run `onewindow init` first",
                       store_url_redacted(s));
    }
    if (v != store_latest_migration())
        return err_set(err, 1, "store.schema_mismatch",
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
    if (notify_start(app->notify, 1000, err) < 0) {
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

static void cmd_version(void)
{
    printf("onewindow %s (commit %s)\n", ONEWINDOW_VERSION, ONEWINDOW_COMMIT);
    printf("libmicrohttpd %s, jansson %s, SQLite %s, libpq %d, %s\n", MHD_get_version(),
           JANSSON_VERSION, sqlite3_libversion(), PQlibVersion(), OpenSSL_version(OPENSSL_VERSION));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        fprintf(stderr, "onewindow: no command given: try `onewindow help`\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        config_print_help();
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        cmd_version();
        return 0;
    }
    /* The translator's commands read and write catalog files, never the database. */
    if (strcmp(cmd, "i18n") == 0) {
        struct err err;
        err_clear(&err);
        int status = translate_cli(argc - 2, argv + 2, stdout, &err);
        if (status != 0)
            fprintf(stderr, "onewindow: %s\n", err.msg);
        return status;
    }
    /* The demo staff's second-factor code: needs no database, only the clock. */
    if (strcmp(cmd, "demo") == 0 && argc == 3 && strcmp(argv[2], "totp") == 0)
        return app_demo_totp(stdout) < 0 ? 1 : 0;
    if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "init") != 0 && strcmp(cmd, "migrate") != 0 &&
        strcmp(cmd, "demo") != 0 && strcmp(cmd, "user") != 0 && strcmp(cmd, "client") != 0 &&
        strcmp(cmd, "oidc") != 0 && strcmp(cmd, "calendar") != 0 && strcmp(cmd, "audit") != 0 &&
        strcmp(cmd, "notify") != 0 && strcmp(cmd, "catalog") != 0 && strcmp(cmd, "seal") != 0 &&
        strcmp(cmd, "cert") != 0 && strcmp(cmd, "search") != 0 && strcmp(cmd, "hotline") != 0 &&
        strcmp(cmd, "open311") != 0 && strcmp(cmd, "exchange") != 0) {
        fprintf(stderr, "onewindow: unknown command \"%s\": try `onewindow help`\n", cmd);
        return 2;
    }

    /* Words after the command up to the first option are its arguments (`user grant
     * alice platform admin --data var`); only `user` takes any. */
    int nwords = 0;
    while (2 + nwords < argc && strncmp(argv[2 + nwords], "--", 2) != 0)
        nwords++;
    int takes_words = strcmp(cmd, "user") == 0 || strcmp(cmd, "client") == 0 ||
                      strcmp(cmd, "oidc") == 0 || strcmp(cmd, "calendar") == 0 ||
                      strcmp(cmd, "audit") == 0 || strcmp(cmd, "notify") == 0 ||
                      strcmp(cmd, "catalog") == 0 || strcmp(cmd, "seal") == 0 ||
                      strcmp(cmd, "cert") == 0 || strcmp(cmd, "search") == 0 ||
                      strcmp(cmd, "hotline") == 0 || strcmp(cmd, "open311") == 0 ||
                      strcmp(cmd, "exchange") == 0;
    if (nwords > 0 && !takes_words) {
        fprintf(stderr, "onewindow: unexpected argument \"%s\" for %s\n", argv[2], cmd);
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
                cmd);
        return 2;
    }
    log_set_level((enum log_level)log_level_parse(cfg.log_level));
    id_init((unsigned)cfg.node_id);

    struct app app;
    if (app_open(&cfg, &app, strcmp(cmd, "init") == 0 || (strcmp(cmd, "serve") == 0 && cfg.demo),
                 &err) < 0)
        return fail(&err);
    int rc;
    if (strcmp(cmd, "serve") == 0) {
        rc = cmd_serve(&cfg, &app, &err);
    } else if (strcmp(cmd, "init") == 0) {
        rc = app_init(&app, &err);
    } else if (strcmp(cmd, "migrate") == 0) {
        int applied = 0;
        rc = store_migrate(app.store, &applied, &err);
        if (rc == 0)
            rc = audit_chain_backfill(app.store, NULL, &err);
        if (rc == 0)
            printf("%d migration(s) applied; schema version %lld\n", applied,
                   (long long)store_latest_migration());
    } else if (takes_words) {
        rc = check_schema(app.store, &err);
        if (rc == 0) {
            int status =
                strcmp(cmd, "user") == 0       ? app_user_command(&app, nwords, argv + 2, &err)
                : strcmp(cmd, "client") == 0   ? app_client_command(&app, nwords, argv + 2, &err)
                : strcmp(cmd, "calendar") == 0 ? calendar_cli(app.store, nwords, argv + 2, &err)
                : strcmp(cmd, "catalog") == 0  ? catalog_cli(app.store, nwords, argv + 2, &err)
                : strcmp(cmd, "search") == 0   ? search_cli(app.search, nwords, argv + 2, &err)
                : strcmp(cmd, "audit") == 0 ? audit_cli(app.store, app.kr, nwords, argv + 2, &err)
                : strcmp(cmd, "hotline") == 0 ? hotline_cli(app.hotline, nwords, argv + 2, &err)
                : strcmp(cmd, "open311") == 0 ? open311_cli(app.store, nwords, argv + 2, &err)
                : strcmp(cmd, "notify") == 0 ? notify_cli(app.notify, nwords, argv + 2, &err)
                : strcmp(cmd, "seal") == 0  ? seals_cli(app.store, app.kr, nwords, argv + 2, &err)
                : strcmp(cmd, "cert") == 0  ? certs_cli(app.store, app.kr, nwords, argv + 2, &err)
                : strcmp(cmd, "exchange") == 0 ? exchange_cli(app.exchange, nwords, argv + 2, &err)
                                            : app_oidc_command(&app, nwords, argv + 2, &err);
            app_close(&app);
            if (status == 0)
                return 0;
            /* audit verify prints its own finding and returns 1 for a broken chain. */
            if (!((strcmp(cmd, "audit") == 0 || strcmp(cmd, "cert") == 0) && status == 1))
                fprintf(stderr, "onewindow: %s\n", err.msg);
            return status == 2 ? 2 : 1;
        }
    } else {
        rc = check_schema(app.store, &err);
        if (rc == 0)
            rc = app_load_demo(&app, &err);
    }
    app_close(&app);
    return rc < 0 ? fail(&err) : 0;
}
