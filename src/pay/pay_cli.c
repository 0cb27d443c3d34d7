/*
 * pay_cli.c - `onewindow pay ...`, for operators and the finance staff:
 *
 *   pay orders [STATE]               orders, newest first
 *   pay refund CODE FEN REASON       refund (as the system; audited)
 *   pay reconcile DATE               reconcile a day (YYYY-MM-DD): exit 0 when every
 *                                    transaction matched, 1 when there are differences
 *   pay work                         one pass of the background work (delivery, timeouts)
 *   pay sandbox statement DATE       the sandbox gateway's statement (CSV)
 *   pay sandbox sign PARAMS          PARAMS (k=v&...) with the sandbox's signature added
 *   pay sandbox notices              the sandbox's notifications and their delivery
 *   pay sandbox pay CODE [FEN [CUR]] pay an order at the sandbox (its notification queued)
 *   pay sandbox pay-lost CODE ...    the same, and the notification is lost on the way
 */
#include "pay/pay_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/id.h"
#include "crypto/crypto.h"
#include "store/store.h"

static int usage(void)
{
    fprintf(stderr, "Usage: onewindow pay orders [STATE] | refund CODE FEN REASON | "
                    "reconcile DATE | work |\n"
                    "       sandbox statement DATE | sandbox sign PARAMS | sandbox notices | "
                    "sandbox pay|pay-lost CODE [FEN [CURRENCY]]\n");
    return 2;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (s != NULL)
        printf("%s\n", s);
    free(s);
}

static int sandbox(struct pay *p, int argc, char **argv, struct err *err)
{
    if (argc >= 2 && strcmp(argv[0], "statement") == 0) {
        char *csv = NULL;
        size_t len = 0;
        if (pay_sandbox_gateway.statement(p, argv[1], &csv, &len, err) < 0)
            return -1;
        fwrite(csv, 1, len, stdout);
        free(csv);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[0], "sign") == 0) {
        struct pay_notice *n = calloc(1, sizeof(*n));
        char sig[2 * CRYPTO_SM2_SIG_MAX + 1];
        int rc = -1;
        /* Parse with a dummy signature to get the canonical string. */
        char *body = malloc(strlen(argv[1]) + 16);
        if (n == NULL || body == NULL) {
            err_set(err, 500, "pay.oom", "out of memory");
            goto sign_out;
        }
        sprintf(body, "%s&sign=00", argv[1]);
        if (pay_notice_parse(body, strlen(body), n, err) < 0 ||
            pay_sandbox_sign(p, n->canonical, sig, sizeof(sig)) < 0)
            goto sign_out;
        printf("%s&sign=%s\n", argv[1], sig);
        rc = 0;
    sign_out:
        free(body);
        free(n);
        return rc;
    }
    if (argc >= 1 && strcmp(argv[0], "notices") == 0) {
        struct store_conn *c = store_conn(p->store, err);
        json_t *list = json_array();
        if (c == NULL || list == NULL || pay_db_sb_outbox_list(c, list, err) < 0) {
            json_decref(list);
            return -1;
        }
        print_json(list);
        json_decref(list);
        return 0;
    }
    int lose = argc >= 2 && strcmp(argv[0], "pay-lost") == 0;
    if (argc >= 2 && (strcmp(argv[0], "pay") == 0 || lose)) {
        struct store_conn *c = store_conn(p->store, err);
        struct pay_order o;
        int found = 0;
        char txn[64];
        if (c == NULL || pay_db_order_get(c, argv[1], &o, &found, err) < 0)
            return -1;
        if (!found)
            return err_set(err, 404, "pay.not_found", "no such order");
        int64_t fen = argc >= 3 ? strtoll(argv[2], NULL, 10) : o.amount_fen;
        if (pay_sandbox_pay_now(p, o.code, fen, argc >= 4 ? argv[3] : "CNY", lose, txn, err) < 0)
            return -1;
        printf("txn=%s\n", txn);
        return 0;
    }
    return usage();
}

int pay_cli(struct pay *p, int argc, char **argv, struct err *err)
{
    if (argc < 1)
        return usage();
    const char *cmd = argv[0];
    if (strcmp(cmd, "orders") == 0) {
        struct store_conn *c = store_conn(p->store, err);
        json_t *list = json_array();
        if (c == NULL || list == NULL ||
            pay_db_orders_list(c, argc >= 2 ? argv[1] : NULL, 1000, list, err) < 0) {
            json_decref(list);
            return -1;
        }
        size_t i;
        json_t *o;
        json_array_foreach(list, i, o)
        {
            char amt[32];
            pay_fen_text(json_integer_value(json_object_get(o, "amount_fen")), amt, sizeof(amt));
            printf("%s %-16s %10s %s\n", json_string_value(json_object_get(o, "code")),
                   json_string_value(json_object_get(o, "state")), amt,
                   json_string_value(json_object_get(o, "application")));
        }
        json_decref(list);
        return 0;
    }
    if (strcmp(cmd, "refund") == 0 && argc >= 4) {
        char *end = NULL;
        long long fen = strtoll(argv[2], &end, 10);
        if (end == NULL || *end != '\0' || fen <= 0)
            return err_set(err, 400, "pay.bad_amount", "FEN is a positive whole number");
        if (pay_refund(p, NULL, argv[1], fen, argv[3], NULL, err) < 0)
            return -1;
        printf("refunded %lld fen of %s\n", fen, argv[1]);
        return 0;
    }
    if (strcmp(cmd, "reconcile") == 0 && argc >= 2) {
        json_t *r = NULL;
        if (pay_reconcile(p, "sandbox", argv[1], &r, err) < 0)
            return -1;
        print_json(r);
        int clean = json_integer_value(json_object_get(r, "ours_only")) +
                        json_integer_value(json_object_get(r, "theirs_only")) +
                        json_integer_value(json_object_get(r, "mismatched")) ==
                    0;
        json_decref(r);
        return clean ? 0 : 1;
    }
    if (strcmp(cmd, "work") == 0) {
        int delivered = 0;
        if (pay_work_pass(p, time_now_ms(), &delivered, err) < 0)
            return -1;
        printf("delivered %d notification(s)\n", delivered);
        return 0;
    }
    if (strcmp(cmd, "sandbox") == 0)
        return sandbox(p, argc - 1, argv + 1, err);
    return usage();
}
