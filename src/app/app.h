/*
 * app.h - wiring of the domain modules into the binary: the handles every command
 * opens (store, keyring, identity), the routes the server answers, what `init`, `demo`
 * and `user` do. Adding a module means adding it here and nowhere else in src/app/.
 */
#ifndef ONEWINDOW_APP_APP_H
#define ONEWINDOW_APP_APP_H

#include <stdio.h>

#include "base/err.h"
#include "remind/remind.h"

struct config;
struct notices;
struct benefits;
struct store;
struct crypto_keyring;
struct identity;
struct oidc;
struct hotline;
struct search;
struct policy;
struct notify;
struct review;
struct apply;
struct pay;
struct opendata;
struct oversight;
struct exchange;
struct agent;
struct web_server;

struct app {
    const struct config *cfg;
    struct store *store;
    struct crypto_keyring *kr;
    struct identity *id;
    struct oidc *oidc; /* serve only: opened after the schema check */
    struct hotline *hotline;
    struct search *search;
    struct policy *policy;
    struct notify *notify;
    struct notices *notices;
    struct benefits *benefits;
    struct review *review;
    struct apply *apply;
    struct catalog *catalog;
    struct certs *certs;
    struct calendar_cache *calendar;
    struct open311 *open311;
    struct portal *portal;
    struct pay *pay; /* fees, payments and receipts (src/pay) */
    struct opendata *opendata;
    struct oversight *oversight;
    struct exchange *exchange;
    struct agent *agent; /* 帮办代办 with consent (src/agent) */
};

/* Open the store, the data directory's keyring and the modules. Only `init` may create
 * the key file (may_create_keys): any other command on a data directory without one
 * stops, since a new key could not open what the old one encrypted. */
int app_open(const struct config *cfg, struct app *app, int may_create_keys, struct err *err);
void app_close(struct app *app);

int app_register_routes(struct web_server *srv, struct app *app, struct err *err);
/* Migrations, reference data, the first administrator (password printed once). */
int app_init(struct app *app, struct err *err);
/* The demo region (wiring in demo.c): prints what it loaded. */
/* Print the demo staff's current TOTP code (their shared secret is in README.md) and
 * how long it stays valid, for a newcomer without an authenticator app. */
int app_demo_totp(FILE *out);
int app_load_demo(struct app *app, struct err *err);
/* `onewindow user ...`; argv are the words after "user". Returns the exit status. */
int app_user_command(struct app *app, int argc, char **argv, struct err *err);
/* `onewindow client ...` and `onewindow oidc ...` (client.c). */
int app_client_command(struct app *app, int argc, char **argv, struct err *err);
int app_oidc_command(struct app *app, int argc, char **argv, struct err *err);

/* What the reminders job reads from apply, review and certs (wiring.c). */
struct remind_sources app_remind_sources(struct app *app);

#endif
