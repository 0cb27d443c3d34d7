/*
 * config.h - the options of every onewindow command, from (lowest to highest
 * precedence) built-in defaults, an INI file (libinih), ONEWINDOW_* environment
 * variables and command-line flags. One table in config.c describes each option once
 * for all three sources, with its type and limits, so they cannot drift apart.
 *
 * A wrong value is refused with one sentence naming the source, the option, the value
 * and what is expected; config_load never exits the process itself.
 */
#ifndef ONEWINDOW_APP_CONFIG_H
#define ONEWINDOW_APP_CONFIG_H

#include <stddef.h>

#include "base/err.h"

#define CONFIG_STR 1024

struct config {
    char listen[CONFIG_STR];     /* host:port */
    char public_url[CONFIG_STR]; /* how people and systems reach us (OIDC issuer); "" = listen */
    char host[CONFIG_STR];       /* derived from listen */
    int port;
    char data[CONFIG_STR]; /* data directory */
    char db[CONFIG_STR];   /* database URL; empty = sqlite:<data>/onewindow.db */
    char config_file[CONFIG_STR];
    char i18n_dir[CONFIG_STR]; /* interface strings from DIR/LANG/NAME.json; "" = built in */
    int demo;                  /* serve: load demo data on first start */
    int threads;
    long max_header_bytes;
    long max_body_bytes;
    long max_upload_bytes;
    int idle_timeout_s;
    int head_timeout_s;
    char trusted_proxy[CONFIG_STR]; /* addresses whose X-Forwarded-For is believed */
    int max_connections;
    int per_ip_connections;
    int drain_timeout_s;
    int log_requests;
    char log_level[16];
    int node_id;
    char sync[16]; /* "full" or "normal" */
    int session_idle_s;
    int session_absolute_s;
    int secure_cookies;
    int password_profile_test;       /* cheap password hashing, for tests only */
    char smtp_url[CONFIG_STR];       /* e-mail relay: smtp://[user:pass@]host:port ("" = off) */
    char mail_from[CONFIG_STR];      /* From: address of e-mail */
    char smtp_ca[CONFIG_STR];        /* CA bundle to verify the relay's certificate ("" = system) */
    char sms_url[CONFIG_STR];        /* SMS carrier gateway (HTTP); "" = the sandbox carrier */
    char receipt_secret[CONFIG_STR]; /* signs carrier and bounce receipts (HMAC-SM3) */
    int search_delay_ms;             /* the search indexing job's wait after a write */
};

/* Fill `cfg` from defaults, the config file (--config / ONEWINDOW_CONFIG), the
 * environment and argv (the flags after the command name). `rest` receives the index of
 * the first non-option argument (argc if none). -1 with err on a bad option or value. */
int config_load(struct config *cfg, int argc, char **argv, int *rest, struct err *err);

/* Print the option table (flags, variables, INI keys, defaults) for `help`. */
void config_print_help(void);

#endif
