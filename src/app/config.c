/*
 * config.c - option table and the three sources; see config.h.
 */
#include "app/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum opt_type { OPT_STR, OPT_INT, OPT_SIZE, OPT_BOOL, OPT_FLAG };

struct opt {
    const char *flag;    /* --name */
    const char *env;     /* ONEWINDOW_NAME */
    const char *section; /* INI [section] */
    const char *key;     /* INI key */
    enum opt_type type;
    size_t offset;
    long min, max;   /* for numbers */
    const char *def; /* default as text */
    const char *help;
    const char *const *choices; /* allowed strings, NULL-terminated, or NULL */
};

static const char *const log_levels[] = {"debug", "info", "warn", "error", "off", NULL};
static const char *const sync_modes[] = {"group", "full", "normal", NULL};

#define OFF(f) offsetof(struct config, f)
static const struct opt opts[] = {
    {"listen", "ONEWINDOW_LISTEN", "server", "listen", OPT_STR, OFF(listen), 0, 0, "127.0.0.1:8080",
     "address and port to serve on (IPv4)", NULL},
    {"public-url", "ONEWINDOW_PUBLIC_URL", "server", "public_url", OPT_STR, OFF(public_url), 0, 0,
     "", "the address people and systems use (https://...): the OpenID Connect issuer", NULL},
    {"data", "ONEWINDOW_DATA", "storage", "data", OPT_STR, OFF(data), 0, 0, "var",
     "data directory (database file, keys)", NULL},
    {"db", "ONEWINDOW_DB", "storage", "db", OPT_STR, OFF(db), 0, 0, "",
     "database URL: sqlite:PATH or postgresql://... (default sqlite:DATA/onewindow.db)", NULL},
    {"sync", "ONEWINDOW_SYNC", "storage", "sync", OPT_STR, OFF(sync), 0, 0, "group",
     "SQLite durability: group (group commit: one fsync for concurrent commits) or full (an "
     "fsync per commit), both survive power loss; normal does not",
     sync_modes},
    {"config", "ONEWINDOW_CONFIG", NULL, NULL, OPT_STR, OFF(config_file), 0, 0, "",
     "INI configuration file", NULL},
    {"demo", "ONEWINDOW_DEMO", "server", "demo", OPT_FLAG, OFF(demo), 0, 1, "0",
     "serve: initialise and load demo data on first start", NULL},
    {"threads", "ONEWINDOW_THREADS", "server", "threads", OPT_INT, OFF(threads), 0, 256, "0",
     "HTTP worker threads (0: one per core)", NULL},
    {"idle-timeout", "ONEWINDOW_IDLE_TIMEOUT", "server", "idle_timeout", OPT_INT,
     OFF(idle_timeout_s), 1, 3600, "30", "seconds before an idle connection is closed", NULL},
    {"head-timeout", "ONEWINDOW_HEAD_TIMEOUT", "server", "head_timeout", OPT_INT,
     OFF(head_timeout_s), 1, 600, "10",
     "seconds a request's line and headers may take in all (slow-header defence)", NULL},
    {"trusted-proxy", "ONEWINDOW_TRUSTED_PROXY", "server", "trusted_proxy", OPT_STR,
     OFF(trusted_proxy), 0, 0, "",
     "comma-separated proxy addresses (e.g. HAProxy's) whose X-Forwarded-For names the client",
     NULL},
    {"max-connections", "ONEWINDOW_MAX_CONNECTIONS", "server", "max_connections", OPT_INT,
     OFF(max_connections), 1, 1000000, "4096", "connections in total", NULL},
    {"per-ip-connections", "ONEWINDOW_PER_IP_CONNECTIONS", "server", "per_ip_connections", OPT_INT,
     OFF(per_ip_connections), 1, 1000000, "512", "connections from one address", NULL},
    {"drain-timeout", "ONEWINDOW_DRAIN_TIMEOUT", "server", "drain_timeout", OPT_INT,
     OFF(drain_timeout_s), 0, 600, "10", "seconds to finish requests on shutdown", NULL},
    {"max-header", "ONEWINDOW_MAX_HEADER", "limits", "max_header", OPT_SIZE, OFF(max_header_bytes),
     4096, 1L << 20, "16K", "request line and headers (bytes)", NULL},
    {"max-body", "ONEWINDOW_MAX_BODY", "limits", "max_body", OPT_SIZE, OFF(max_body_bytes), 1024,
     1L << 30, "1M", "request body without uploads (bytes)", NULL},
    {"max-upload", "ONEWINDOW_MAX_UPLOAD", "limits", "max_upload", OPT_SIZE, OFF(max_upload_bytes),
     1024, 1L << 30, "20M", "one uploaded file (bytes)", NULL},
    {"log-level", "ONEWINDOW_LOG_LEVEL", "log", "level", OPT_STR, OFF(log_level), 0, 0, "info",
     "debug, info, warn, error or off", log_levels},
    {"log-requests", "ONEWINDOW_LOG_REQUESTS", "log", "requests", OPT_BOOL, OFF(log_requests), 0, 1,
     "1", "one log line per request (1/0)", NULL},
    {"session-idle", "ONEWINDOW_SESSION_IDLE", "security", "session_idle", OPT_INT,
     OFF(session_idle_s), 60, 86400, "1800", "seconds of inactivity that end a session", NULL},
    {"session-absolute", "ONEWINDOW_SESSION_ABSOLUTE", "security", "session_absolute", OPT_INT,
     OFF(session_absolute_s), 300, 604800, "43200", "seconds after login that end a session", NULL},
    {"secure-cookies", "ONEWINDOW_SECURE_COOKIES", "security", "secure_cookies", OPT_BOOL,
     OFF(secure_cookies), 0, 1, "0", "mark cookies Secure (set when served behind TLS)", NULL},
    {"insecure-fast-passwords", "ONEWINDOW_INSECURE_FAST_PASSWORDS", "security",
     "insecure_fast_passwords", OPT_BOOL, OFF(password_profile_test), 0, 1, "0",
     "cheap password hashing: for automated tests only, never in production", NULL},
    {"i18n-dir", "ONEWINDOW_I18N_DIR", "server", "i18n_dir", OPT_STR, OFF(i18n_dir), 0, 0, "",
     "serve the interface strings from DIR/{zh,bo,en}/NAME.json instead of the built-in ones (to "
     "see what `onewindow i18n import` wrote without a rebuild: --i18n-dir web/i18n)",
     NULL},
    {"search-delay", "ONEWINDOW_SEARCH_DELAY", "server", "search_delay", OPT_INT,
     OFF(search_delay_ms), 0, 3600000, "100",
     "milliseconds the search indexing job waits after a write before indexing (a window that "
     "batches bursts; searches find a new order after it)",
     NULL},
    {"node-id", "ONEWINDOW_NODE_ID", "server", "node_id", OPT_INT, OFF(node_id), 0, 1023, "0",
     "this node's number in a cluster (0..1023): keeps generated ids unique", NULL},
    {"smtp-url", "ONEWINDOW_SMTP_URL", "mail", "smtp_url", OPT_STR, OFF(smtp_url), 0, 0, "",
     "e-mail relay: smtp://[USER:PASSWORD@]HOST[:PORT] (STARTTLS when offered; smtps:// for TLS "
     "from the start); empty: no e-mail channel",
     NULL},
    {"mail-from", "ONEWINDOW_MAIL_FROM", "mail", "from", OPT_STR, OFF(mail_from), 0, 0,
     "noreply@onewindow.localhost", "the From address of e-mail", NULL},
    {"smtp-ca", "ONEWINDOW_SMTP_CA", "mail", "ca", OPT_STR, OFF(smtp_ca), 0, 0, "",
     "PEM file of the authorities that may sign the relay's certificate (default: the system's)",
     NULL},
    {"sms-url", "ONEWINDOW_SMS_URL", "sms", "url", OPT_STR, OFF(sms_url), 0, 0, "",
     "SMS carrier gateway (http[s]://..., docs/internals/notify.md); empty: the sandbox carrier",
     NULL},
    {"receipt-secret", "ONEWINDOW_RECEIPT_SECRET", "sms", "receipt_secret", OPT_STR,
     OFF(receipt_secret), 0, 0, "",
     "shared secret of the carrier: signs requests and delivery receipts (HMAC-SM3); empty: "
     "receipts are refused",
     NULL},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* Set one option from text; `where` names the source for the error sentence. */
static int set_opt(struct config *cfg, const struct opt *o, const char *value, const char *where,
                   struct err *err)
{
    char *field = (char *)cfg + o->offset;
    switch (o->type) {
    case OPT_STR:
        if (strlen(value) >= CONFIG_STR)
            return err_usage(err, "config.bad_value", "%s: the value of --%s is too long", where,
                             o->flag);
        if (o->choices != NULL) {
            int ok = 0;
            char list[256] = "";
            for (const char *const *c = o->choices; *c; c++) {
                ok |= strcmp(*c, value) == 0;
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                         c == o->choices ? "" : ", ", *c);
            }
            if (!ok)
                return err_usage(err, "config.bad_value", "%s: --%s must be one of %s, not \"%s\"",
                                 where, o->flag, list, value);
        }
        strcpy(field, value);
        return 0;
    case OPT_BOOL:
    case OPT_FLAG: {
        int v;
        if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0 ||
            strcasecmp(value, "yes") == 0 || strcasecmp(value, "on") == 0)
            v = 1;
        else if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0 ||
                 strcasecmp(value, "no") == 0 || strcasecmp(value, "off") == 0)
            v = 0;
        else
            return err_usage(err, "config.bad_value",
                             "%s: --%s must be true or false (1/0, yes/no), not \"%s\"", where,
                             o->flag, value);
        *(int *)field = v;
        return 0;
    }
    case OPT_INT:
    case OPT_SIZE: {
        errno = 0;
        char *end;
        long v = strtol(value, &end, 10);
        long mult = 1;
        if (o->type == OPT_SIZE && end != value) {
            if (*end == 'K' || *end == 'k')
                mult = 1024, end++;
            else if (*end == 'M' || *end == 'm')
                mult = 1024L * 1024, end++;
            else if (*end == 'G' || *end == 'g')
                mult = 1024L * 1024 * 1024, end++;
        }
        if (errno != 0 || end == value || *end != '\0' || v > LONG_MAX / mult ||
            v * mult < o->min || v * mult > o->max)
            return err_usage(
                err, "config.bad_value",
                "%s: --%s must be a whole number%s between %ld and %ld, not \"%s\"", where, o->flag,
                o->type == OPT_SIZE ? " of bytes (K, M, G allowed)" : "", o->min, o->max, value);
        if (o->type == OPT_SIZE)
            *(long *)field = v * mult;
        else
            *(int *)field = (int)v;
        return 0;
    }
    }
    return -1;
}

struct ini_state {
    struct config *cfg;
    const char *path;
    struct err *err;
    int failed;
};

/* Debian's libinih is built without INI_HANDLER_LINENO, so the line number comes from
 * ini_parse's return value (the first line whose handler failed) and is added after. */
static int on_ini_value(void *user, const char *section, const char *name, const char *value)
{
    struct ini_state *st = user;
    if (st->failed)
        return 0;
    char where[CONFIG_STR + 64];
    snprintf(where, sizeof(where), "[%s] %s", section, name);
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        if (o->section != NULL && strcmp(o->section, section) == 0 && strcmp(o->key, name) == 0) {
            if (set_opt(st->cfg, o, value, where, st->err) < 0)
                st->failed = 1;
            return !st->failed;
        }
    }
    err_usage(st->err, "config.unknown_key", "[%s] %s is not a known option", section, name);
    st->failed = 1;
    return 0;
}

static const struct opt *find_flag(const char *name, size_t n)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].flag) == n && strncmp(opts[i].flag, name, n) == 0)
            return &opts[i];
    return NULL;
}

/* Derive host and port from listen ("host:port" or ":port" or "port"). */
static int split_listen(struct config *cfg, struct err *err)
{
    const char *colon = strrchr(cfg->listen, ':');
    const char *port = colon ? colon + 1 : cfg->listen;
    size_t hlen = colon ? (size_t)(colon - cfg->listen) : 0;
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (*port == '\0' || *end != '\0' || errno != 0 || p < 0 || p > 65535)
        return err_usage(err, "config.bad_value",
                         "--listen must be HOST:PORT with a port from 0 to 65535, not \"%s\"",
                         cfg->listen);
    memcpy(cfg->host, cfg->listen, hlen);
    cfg->host[hlen] = '\0';
    if (hlen == 0)
        strcpy(cfg->host, "127.0.0.1");
    cfg->port = (int)p;
    return 0;
}

int config_load(struct config *cfg, int argc, char **argv, int *rest, struct err *err)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NOPTS; i++)
        if (set_opt(cfg, &opts[i], opts[i].def, "default", err) < 0)
            return -1;

    /* The config file is named by a flag or the environment: find it first. */
    const char *file = getenv("ONEWINDOW_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file != NULL && *file != '\0') {
        struct ini_state st = {cfg, file, err, 0};
        int rc = ini_parse(file, on_ini_value, &st);
        if (st.failed) {
            char msg[sizeof(err->msg)], code[sizeof(err->code)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            snprintf(code, sizeof(code), "%s", err->code);
            return err_usage(err, code, "config file %s line %d: %s", file, rc, msg);
        }
        if (rc == -1)
            return err_usage(err, "config.unreadable", "cannot read the config file %s: %s", file,
                             strerror(errno));
        if (rc != 0)
            return err_usage(err, "config.syntax", "config file %s line %d is not valid INI", file,
                             rc);
    }

    for (size_t i = 0; i < NOPTS; i++) {
        const char *v = getenv(opts[i].env);
        if (v != NULL) {
            char where[64];
            snprintf(where, sizeof(where), "environment variable %s", opts[i].env);
            if (set_opt(cfg, &opts[i], v, where, err) < 0)
                return -1;
        }
    }

    int i = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strncmp(a, "--", 2) != 0)
            break;
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find_flag(name, n);
        if (o == NULL)
            return err_usage(err, "config.unknown_flag",
                             "unknown option --%.*s (see `onewindow help`)", (int)n, name);
        const char *value;
        if (eq != NULL)
            value = eq + 1;
        else if (o->type == OPT_FLAG)
            value = "1";
        else if (i + 1 < argc)
            value = argv[++i];
        else
            return err_usage(err, "config.missing_value", "option --%s needs a value", o->flag);
        if (set_opt(cfg, o, value, "command line", err) < 0)
            return -1;
    }
    *rest = i;

    if (cfg->data[0] == '\0')
        return err_usage(err, "config.bad_value", "--data must not be empty");
    if (cfg->db[0] == '\0') {
        int n = snprintf(cfg->db, sizeof(cfg->db), "sqlite:%.*s/onewindow.db",
                         (int)(CONFIG_STR - 32), cfg->data);
        if (n < 0 || (size_t)n >= sizeof(cfg->db) || strlen(cfg->data) > CONFIG_STR - 32)
            return err_usage(err, "config.bad_value", "--data is too long");
    }
    return split_listen(cfg, err);
}

void config_print_help(void)
{
    printf("Options (flag, environment variable, [section] key in the INI file; default):\n");
    for (size_t i = 0; i < NOPTS; i++) {
        const struct opt *o = &opts[i];
        printf("  --%-20s %s\n", o->flag, o->help);
        printf("    %-20s %s%s%s%s%s%s%s\n", "", o->env, o->section ? ", [" : "",
               o->section ? o->section : "", o->section ? "] " : "", o->key ? o->key : "",
               *o->def ? "; default " : "", o->def);
    }
}
