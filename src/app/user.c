/*
 * user.c - `onewindow user ...`: departments, staff and roles from the command line, for
 * the first set-up and for operators without a browser. Every change is audited as done
 * by the system (actor 0), as a CLI run has no signed-in person.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/arena.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: onewindow user COMMAND [ARGS] [OPTIONS]\n\n"
                 "  department add CODE DIVISION NAME_ZH [NAME_BO [NAME_EN]]\n"
                 "  department list\n"
                 "  staff add USERNAME NAME        (password from ONEWINDOW_NEW_PASSWORD, or\n"
                 "                                  a random one printed once)\n"
                 "  grant USERNAME DEPARTMENT ROLE\n"
                 "  revoke USERNAME DEPARTMENT ROLE\n\n"
                 "Roles: clerk, reviewer, head, hotline_agent, auditor, admin, supervisor\n");
}

static int find_grant_args(struct app *app, struct arena *a, char **argv, int64_t *account,
                           struct identity_department *d, int *role, struct err *err)
{
    *role = identity_role_parse(argv[3]);
    if (*role < 0) {
        err_usage(err, "identity.role_unknown",
                  "unknown role \"%s\": use clerk, reviewer, head, hotline_agent, auditor or "
                  "admin",
                  argv[3]);
        return -1;
    }
    if (identity_account_find_username(app->id, argv[1], account, err) < 0 ||
        identity_department_find(app->id, a, argv[2], d, err) < 0)
        return -1;
    return 0;
}

int app_user_command(struct app *app, int argc, char **argv, struct err *err)
{
    struct arena *a = arena_new(0);
    int rc = 2;
    if (a == NULL) {
        err_set(err, 500, "app.oom", "out of memory");
        return 1;
    }
    const char *cmd = argc > 0 ? argv[0] : "help";
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(cmd, "department") == 0 && strcmp(sub, "add") == 0 && argc >= 5 && argc <= 7) {
        int64_t division;
        rc = divisions_parse_code(argv[3], &division, err) < 0 ||
                     identity_department_create(app->id, 0, NULL, argv[2], argv[4],
                                                argc > 5 ? argv[5] : NULL,
                                                argc > 6 ? argv[6] : NULL, division, NULL, err) < 0
                 ? 1
                 : 0;
        if (rc == 0)
            printf("department %s created\n", argv[2]);
    } else if (strcmp(cmd, "department") == 0 && strcmp(sub, "list") == 0 && argc == 2) {
        struct identity_department *list;
        size_t n;
        rc = identity_department_list(app->id, a, &list, &n, err) < 0 ? 1 : 0;
        for (size_t i = 0; rc == 0 && i < n; i++)
            printf("%-12s %012lld  %s\n", list[i].code, (long long)list[i].division_code,
                   list[i].name_zh);
    } else if (strcmp(cmd, "staff") == 0 && strcmp(sub, "add") == 0 && argc == 4) {
        const char *given = getenv("ONEWINDOW_NEW_PASSWORD");
        char pw[CRYPTO_PASSWORD_MAX + 1];
        unsigned char raw[15];
        if (given != NULL && strlen(given) > CRYPTO_PASSWORD_MAX) {
            err_usage(err, "identity.password_long",
                      "ONEWINDOW_NEW_PASSWORD is longer than %d bytes", CRYPTO_PASSWORD_MAX);
            rc = 2;
            goto out;
        } else if (given != NULL) {
            snprintf(pw, sizeof(pw), "%s", given);
        } else if (crypto_random(raw, sizeof(raw)) < 0 ||
                   crypto_b64url_encode(raw + 3, 12, pw + 3, sizeof(pw) - 3) < 0) {
            err_set(err, 500, "app.random", "no randomness available");
            rc = 1;
            goto out;
        } else {
            pw[0] = (char)('A' + raw[0] % 26);
            pw[1] = (char)('a' + raw[1] % 26);
            pw[2] = (char)('2' + raw[2] % 8);
        }
        int64_t id;
        rc = identity_staff_create(app->id, 0, NULL, argv[2], argv[3], pw, &id, err) < 0 ? 1 : 0;
        if (rc == 0)
            printf("staff %s created%s%s (TOTP is set up at first login)\n", argv[2],
                   given ? "" : "; one-time password ", given ? "" : pw);
        crypto_wipe(pw, sizeof(pw));
        crypto_wipe(raw, sizeof(raw));
    } else if ((strcmp(cmd, "grant") == 0 || strcmp(cmd, "revoke") == 0) && argc == 4) {
        int64_t account;
        struct identity_department d;
        int role;
        if (find_grant_args(app, a, argv, &account, &d, &role, err) < 0) {
            rc = err_exit_code(err);
            goto out;
        }
        int r = strcmp(cmd, "grant") == 0
                    ? identity_grant(app->id, 0, NULL, account, d.id, role, err)
                    : identity_revoke(app->id, 0, NULL, account, d.id, role, err);
        rc = r < 0 ? 1 : 0;
        if (rc == 0)
            printf("%s %s: %s on %s\n", strcmp(cmd, "grant") == 0 ? "granted" : "revoked", argv[1],
                   argv[3], argv[2]);
    } else if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        rc = 0;
    } else {
        usage(stderr);
        err_usage(err, "app.usage", "unknown or incomplete user command");
        rc = 2;
    }
out:
    arena_free(a);
    return rc;
}
