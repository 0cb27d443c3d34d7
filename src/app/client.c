/*
 * client.c - `onewindow client ...` (relying parties of the OpenID Connect provider) and
 * `onewindow oidc rotate-keys`. Changes are audited as done by the system (actor 0).
 *
 *   client add NAME [redirect=URI]... [post-logout=URI]... [scopes="openid profile ..."]
 *              [grants="authorization_code refresh_token client_credentials"]
 *              [auth=client_secret_basic|private_key_jwt] [jwks=FILE]
 *   client list
 *   client remove CLIENT_ID
 *   oidc rotate-keys [PUBLISH_DELAY_SECONDS]
 *
 * `client add` prints "client_id=..." and, for client_secret_basic, "client_secret=..."
 * (shown once), one per line, so scripts can read them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "base/arena.h"
#include "crypto/crypto.h"
#include "oidc/oidc.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: onewindow client COMMAND [ARGS] [OPTIONS]\n\n"
                 "  add NAME [redirect=URI]... [post-logout=URI]... [scopes=LIST] [grants=LIST]\n"
                 "      [auth=client_secret_basic|private_key_jwt] [jwks=FILE]\n"
                 "  list\n"
                 "  remove CLIENT_ID\n\n"
                 "Scopes: openid profile phone id_number, and API scopes (exchange:read).\n"
                 "Grants: authorization_code refresh_token client_credentials.\n"
                 "       onewindow oidc rotate-keys [PUBLISH_DELAY_SECONDS]\n");
}

static char *read_file(const char *path, struct err *err)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t n = 0;
    if (f == NULL) {
        err_usage(err, "app.bad_file", "cannot read %s", path);
        return NULL;
    }
    buf = malloc(65537);
    if (buf != NULL) {
        n = fread(buf, 1, 65536, f);
        buf[n] = '\0';
    }
    fclose(f);
    if (buf == NULL)
        err_set(err, 500, "app.oom", "out of memory");
    return buf;
}

static int client_add(struct app *app, int argc, char **argv, struct err *err)
{
    const char *redirects[OIDC_MAX_URIS + 1], *logouts[OIDC_MAX_URIS + 1];
    struct oidc_client_spec spec = {
        .name = argv[1], .redirect_uris = redirects, .post_logout_uris = logouts};
    char *jwks = NULL;
    int rc = 2;
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL)
            goto usage;
        size_t k = (size_t)(eq - argv[i]);
        const char *v = eq + 1;
        if (k == 8 && strncmp(argv[i], "redirect", k) == 0 && spec.nredirect_uris <= OIDC_MAX_URIS)
            redirects[spec.nredirect_uris++] = v;
        else if (k == 11 && strncmp(argv[i], "post-logout", k) == 0 &&
                 spec.npost_logout_uris <= OIDC_MAX_URIS)
            logouts[spec.npost_logout_uris++] = v;
        else if (k == 6 && strncmp(argv[i], "scopes", k) == 0)
            spec.scopes = v;
        else if (k == 6 && strncmp(argv[i], "grants", k) == 0)
            spec.grant_types = v;
        else if (k == 4 && strncmp(argv[i], "auth", k) == 0)
            spec.auth_method = v;
        else if (k == 4 && strncmp(argv[i], "jwks", k) == 0 && jwks == NULL) {
            if ((jwks = read_file(v, err)) == NULL)
                return err_exit_code(err);
            spec.jwks_json = jwks;
        } else
            goto usage;
    }
    char id[OIDC_CLIENT_ID_SIZE], secret[OIDC_SECRET_SIZE];
    struct oidc_field_errors fe;
    int r = oidc_client_add(app->store, app->kr, 0, NULL, &spec, id, secret, &fe, err);
    if (r == 1) {
        for (size_t i = 0; i < fe.n; i++)
            fprintf(stderr, "onewindow: %s: %s\n", fe.e[i].field, fe.e[i].msg);
        err_usage(err, "oidc.client_invalid", "the client was not registered");
        rc = 2;
    } else if (r == 0) {
        printf("client_id=%s\n", id);
        if (secret[0] != '\0')
            printf("client_secret=%s\n", secret);
        crypto_wipe(secret, sizeof(secret));
        rc = 0;
    } else {
        rc = 1;
    }
    free(jwks);
    return rc;
usage:
    free(jwks);
    usage(stderr);
    err_usage(err, "app.usage", "client add takes NAME and key=value words");
    return 2;
}

int app_client_command(struct app *app, int argc, char **argv, struct err *err)
{
    const char *cmd = argc > 0 ? argv[0] : "help";
    if (strcmp(cmd, "add") == 0 && argc >= 2)
        return client_add(app, argc, argv, err);
    if (strcmp(cmd, "list") == 0 && argc == 1) {
        struct arena *a = arena_new(0);
        struct oidc_client_info *list = NULL;
        size_t n = 0;
        int rc = a != NULL && oidc_client_list(app->store, a, &list, &n, err) == 0 ? 0 : 1;
        for (size_t i = 0; rc == 0 && i < n; i++) {
            printf("%s\t%s\t%s\t%s\t%s", list[i].client_id, list[i].name, list[i].auth_method,
                   list[i].grant_types, list[i].scopes);
            for (size_t k = 0; k < list[i].nredirect_uris; k++)
                printf("%s%s", k ? " " : "\t", list[i].redirect_uris[k]);
            printf("\n");
        }
        arena_free(a);
        return rc;
    }
    if (strcmp(cmd, "remove") == 0 && argc == 2)
        return oidc_client_remove(app->store, 0, NULL, argv[1], err) == 0 ? 0 : 1;
    usage(cmd[0] == 'h' ? stdout : stderr);
    if (strcmp(cmd, "help") == 0)
        return 0;
    err_usage(err, "app.usage", "unknown client command: try `onewindow client help`");
    return 2;
}

int app_oidc_command(struct app *app, int argc, char **argv, struct err *err)
{
    const char *cmd = argc > 0 ? argv[0] : "help";
    if (strcmp(cmd, "rotate-keys") == 0 && argc <= 2) {
        char kid[OIDC_KID_SIZE];
        int delay = argc == 2 ? atoi(argv[1]) : -1;
        if (oidc_keys_rotate(app->store, app->kr, delay, kid, err) < 0)
            return 1;
        printf("new signing key %s (signs in %d s; older keys stay published until their tokens "
               "expire)\n",
               kid, delay < 0 ? OIDC_PUBLISH_DELAY_S : delay);
        return 0;
    }
    usage(stderr);
    err_usage(err, "app.usage", "usage: onewindow oidc rotate-keys [PUBLISH_DELAY_SECONDS]");
    return 2;
}
