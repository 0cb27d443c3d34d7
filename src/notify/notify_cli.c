/* notify_cli.c - `onewindow notify ...`: system notices, the outbox, a delivery pass and the
 * sandbox carrier's record (for operators, and for tests that watch delivery). */
#include "notify/notify_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/id.h"
#include "store/store.h"
#include "web/i18n.h"

static int usage(struct err *err)
{
    return err_usage(err, "notify.usage",
                     "usage: onewindow notify send ACCOUNT KIND [PARAMS_JSON [PHONE]] | outbox | "
                     "deliver | sandbox [N] | email ADDRESS KIND [PARAMS_JSON] | channels | "
                     "send-many N ACCOUNT KIND [PARAMS_JSON [ADDRESS]]");
}

static void print_sandbox(void *ctx, int64_t outbox_id, const char *phone_masked, const char *lang,
                          const char *body, int64_t at)
{
    (void)ctx;
    printf("%lld\t%s\t%s\t%s\t%lld\n", (long long)outbox_id, phone_masked, lang, body,
           (long long)at);
}

static int cmd_send(struct notify *n, int argc, char **argv, struct err *err)
{
    if (argc < 3 || argc > 5)
        return usage(err);
    char *end = NULL;
    long long account = strtoll(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || account < 0)
        return err_usage(err, "notify.usage", "ACCOUNT is an account id (0: none)");
    json_t *params = NULL;
    if (argc >= 4) {
        params = json_loads(argv[3], 0, NULL);
        if (!json_is_object(params)) {
            json_decref(params);
            return err_usage(err, "notify.usage", "PARAMS_JSON must be a JSON object");
        }
    }
    struct notify_msg m = {.account_id = account,
                           .phone = argc == 5 ? argv[4] : NULL,
                           .lang = "zh",
                           .kind = argv[2],
                           .params = params};
    int64_t id = 0;
    struct store_conn *c = store_conn(n->store, err);
    int rc = -1;
    if (c != NULL && store_begin(c, err) == 0) {
        if (notify_send_id(n, &m, &id, err) == 0 && store_commit(c, err) == 0)
            rc = 0;
        else
            store_rollback(c);
    }
    json_decref(params);
    if (rc < 0)
        return err->usage = err->status == 400, -1; /* a bad kind or parameter: usage */
    printf("%lld\n", (long long)id);
    return 0;
}

static void print_channel(void *ctx, const char *name, const char *state, const char *detail)
{
    (void)ctx;
    printf("%s\t%s\t%s\n", name, state, detail);
}

/* `send-many N ACCOUNT KIND [PARAMS_JSON [ADDRESS]]`: N copies of a notice to an account
 * (its channels) and/or to an ADDRESS (a mobile or an e-mail address), 500 per transaction
 * (load tests, the crash test and bench/messaging.sh fill the queue with it). */
static int cmd_send_many(struct notify *n, int argc, char **argv, struct err *err)
{
    if (argc < 4 || argc > 6)
        return usage(err);
    long count = strtol(argv[1], NULL, 10);
    long long account = strtoll(argv[2], NULL, 10);
    const char *address = argc == 6 ? argv[5] : NULL;
    int email = address != NULL && strchr(address, '@') != NULL;
    if (count < 1 || count > 10000000 || account < 0 || (account == 0 && address == NULL))
        return err_usage(err, "notify.usage",
                         "N is 1..10000000, ACCOUNT an account id (0: only the ADDRESS)");
    json_t *params = argc >= 5 ? json_loads(argv[4], 0, NULL) : json_object();
    if (!json_is_object(params)) {
        json_decref(params);
        return err_usage(err, "notify.usage", "PARAMS_JSON must be a JSON object");
    }
    struct notify_msg m = {.account_id = account,
                           .lang = "zh",
                           .kind = argv[3],
                           .params = params,
                           .phone = address && !email ? address : NULL};
    struct store_conn *c = store_conn(n->store, err);
    int rc = c == NULL ? -1 : 0;
    for (long done = 0; rc == 0 && done < count;) {
        if (store_begin(c, err) < 0) {
            rc = -1;
            break;
        }
        for (long k = 0; k < 500 && done < count && rc == 0; k++, done++)
            rc = email ? notify_send_email(n, &m, address, NULL, err) : notify_send(n, &m, err);
        if (rc == 0)
            rc = store_commit(c, err);
        else
            store_rollback(c);
    }
    json_decref(params);
    if (rc == 0)
        printf("%ld\n", count);
    return rc;
}

/* One e-mail now, through the configured relay, rendered in zh (operators test a setup). */
static int cmd_email(struct notify *n, int argc, char **argv, struct err *err)
{
    if (argc < 3 || argc > 4)
        return usage(err);
    if (!notify_email_valid(argv[1]))
        return err_usage(err, "notify.usage", "ADDRESS is not an e-mail address");
    if (n->email_ctx == NULL)
        return err_set(err, 500, "notify.smtp_off", "no mail relay is configured (--smtp-url)");
    json_t *params = argc == 4 ? json_loads(argv[3], 0, NULL) : json_object();
    if (!json_is_object(params)) {
        json_decref(params);
        return err_usage(err, "notify.usage", "PARAMS_JSON must be a JSON object");
    }
    int rc = i18n_init(err);
    struct arena *a = arena_new(0);
    if (rc == 0 && a != NULL) {
        struct notify_envelope e = {time_now_ms(), argv[1], "zh",
                                    notify_render(a, "zh", "notify.mail.subject", params),
                                    notify_render(a, "zh", argv[2], params)};
        rc = notify_mail_send_configured(n, e.outbox_id, e.address, e.lang, e.subject, e.text, err);
        if (rc == 0)
            printf("sent\n");
    }
    arena_free(a);
    i18n_free();
    json_decref(params);
    return rc;
}

int notify_cli(struct notify *n, int argc, char **argv, struct err *err)
{
    if (argc < 1)
        return usage(err), 2;
    const char *sub = argv[0];
    int rc;
    if (strcmp(sub, "send") == 0) {
        rc = cmd_send(n, argc, argv, err);
    } else if (strcmp(sub, "outbox") == 0 && argc == 1) {
        int64_t p, s, f;
        rc = notify_outbox_counts(n, &p, &s, &f, err);
        if (rc == 0)
            printf("pending\t%lld\nsent\t%lld\nfailed\t%lld\n", (long long)p, (long long)s,
                   (long long)f);
    } else if (strcmp(sub, "deliver") == 0 && argc == 1) {
        struct notify_pass pass;
        rc = i18n_init(err);
        if (rc == 0)
            rc = notify_deliver_due(n, n->holder, time_now_ms(), 500, &pass, err);
        /* one pass: let the server's job (or the next pass) take the lease at once */
        struct store_conn *c = rc == 0 ? store_conn(n->store, err) : NULL;
        if (c != NULL && pass.leased)
            notify_db_lease_release(c, "notify.delivery", n->holder, err);
        if (rc == 0)
            printf("leased\t%d\ndelivered\t%d\nretried\t%d\nfailed\t%d\n", pass.leased,
                   pass.delivered, pass.retried, pass.failed);
        i18n_free();
    } else if (strcmp(sub, "sandbox") == 0 && argc <= 2) {
        int limit = argc == 2 ? atoi(argv[1]) : 20;
        struct store_conn *c = store_conn(n->store, err);
        rc = limit < 1 || limit > 1000
                 ? err_usage(err, "notify.usage", "N is a number from 1 to 1000")
                 : (c == NULL ? -1 : notify_db_sandbox_list(c, limit, print_sandbox, NULL, err));
    } else if (strcmp(sub, "send-many") == 0) {
        rc = cmd_send_many(n, argc, argv, err);
    } else if (strcmp(sub, "email") == 0) {
        rc = cmd_email(n, argc, argv, err);
    } else if (strcmp(sub, "channels") == 0 && argc == 1) {
        rc = notify_channels_list(n, print_channel, NULL);
    } else {
        return usage(err), 2;
    }
    if (rc < 0)
        return err_exit_code(err);
    return 0;
}
