/*
 * seals_cli.c - `onewindow seal ...`, the administrator's commands:
 *   seal make DEPT TYPE NAME [DAYS [PNG]]  make a seal for the department (code) valid
 *                                     DAYS days (default 1825), with a generated picture or
 *                                     the PNG file given
 *   seal list [DEPT]                  the seals, all or of one department
 *   seal suspend|activate|revoke ID   change a seal's status (revoked is final)
 *   seal cert ID                      print a seal's X.509 certificate (PEM)
 *   seal root                         print the platform root certificate (PEM)
 *   seal trust NAME FILE              add another issuer's root certificate (PEM) to the
 *                                     trust list (互认)
 */
#include "seals/seals_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "base/id.h"
#include "store/store.h"

static int usage(struct err *err)
{
    return err_usage(err, "seals.usage",
                     "usage: onewindow seal make DEPT TYPE NAME [DAYS [PNG]] | list [DEPT] | "
                     "suspend ID | activate ID | revoke ID | cert ID | root | trust NAME FILE "
                     "(TYPE: official, certificate, contract, finance)") < 0
               ? 2
               : 2;
}

static int read_file(const char *path, char **out, struct err *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return err_set(err, 500, "seals.file", "cannot open %s", path);
    char *buf = malloc(65537);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    fclose(f);
    if (buf == NULL)
        return err_set(err, 500, "seals.oom", "out of memory");
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* The department with the code, or 2 (usage) when there is none. */
static int department(struct store_conn *c, const char *code, int64_t *dept, char name[200],
                      struct err *err)
{
    int found = 0;
    if (seals_db_department(c, code, dept, name, &found, err) < 0)
        return -1;
    if (!found) {
        err_usage(err, "seals.no_department", "no department has the code %s", code);
        return 2;
    }
    return 0;
}

static int cmd_make(struct store *st, struct crypto_keyring *kr, struct store_conn *c, int argc,
                    char **argv, struct err *err)
{
    int64_t dept = 0, id = 0;
    char name[200];
    int rc = department(c, argv[1], &dept, name, err);
    if (rc != 0)
        return rc;
    long days = argc >= 5 ? strtol(argv[4], NULL, 10) : 1825;
    if (days < 1 || days > 36500 || !seals_type_valid(argv[2]))
        return usage(err);
    int64_t now = time_now_ms();
    struct seals_make_req r = {dept, argv[2], argv[3], name, now - 60000, now + days * 86400000LL,
                               NULL, 0};
    unsigned char *png = NULL;
    if (argc == 6) {
        FILE *f = fopen(argv[5], "rb");
        if (f == NULL)
            return err_set(err, 500, "seals.file", "cannot open %s", argv[5]);
        png = malloc(512 * 1024 + 1);
        size_t n = png ? fread(png, 1, 512 * 1024 + 1, f) : 0;
        fclose(f);
        r.png = png;
        r.png_len = n;
    }
    rc = seals_make(st, kr, 0, &r, &id, err);
    free(png);
    if (rc < 0)
        return -1;
    printf("seal %lld made for %s (%s)\n", (long long)id, argv[1], argv[2]);
    return 0;
}

static int cmd_list(struct store *st, struct store_conn *c, int argc, char **argv, struct err *err)
{
    int64_t dept = 0;
    if (argc == 2) {
        char name[200];
        int rc = department(c, argv[1], &dept, name, err);
        if (rc != 0)
            return rc;
    }
    json_t *list = NULL;
    if (seals_list(st, dept, &list, err) < 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        printf("%lld\t%s\t%s\t%s\t%s\n", (long long)json_integer_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "es_id")),
               json_string_value(json_object_get(v, "type")),
               json_string_value(json_object_get(v, "status")),
               json_string_value(json_object_get(v, "name")));
    }
    json_decref(list);
    return 0;
}

/* A seal id argument: a positive integer, else 0. */
static long long seal_id_arg(const char *s)
{
    char *end;
    long long id = strtoll(s, &end, 10);
    return *s && !*end && id > 0 ? id : 0;
}

static int cmd_status(struct store *st, const char *cmd, const char *arg, struct err *err)
{
    long long id = seal_id_arg(arg);
    if (id == 0)
        return usage(err);
    const char *status = strcmp(cmd, "suspend") == 0    ? "suspended"
                         : strcmp(cmd, "activate") == 0 ? "active"
                                                        : "revoked";
    if (seals_set_status(st, 0, id, status, err) < 0)
        return -1;
    printf("seal %lld: %s\n", id, status);
    return 0;
}

static int cmd_cert(struct store *st, const char *arg, struct err *err)
{
    long long id = seal_id_arg(arg);
    if (id == 0)
        return usage(err);
    unsigned char *der = NULL;
    size_t len = 0;
    if (seals_cert_der(st, id, &der, &len, err) < 0)
        return -1;
    X509 *x = seals_x509_parse(der, len);
    free(der);
    if (x == NULL || PEM_write_X509(stdout, x) != 1) {
        X509_free(x);
        return err_set(err, 500, "seals.crypto", "the certificate is unreadable");
    }
    X509_free(x);
    return 0;
}

static int cmd_trust(struct store *st, const char *name, const char *path, struct err *err)
{
    char *pem = NULL;
    int64_t id = 0;
    if (read_file(path, &pem, err) < 0)
        return -1;
    int rc = seals_trust_add(st, 0, name, pem, &id, err);
    free(pem);
    if (rc < 0)
        return -1;
    printf("trusted root %lld added: %s\n", (long long)id, name);
    return 0;
}

int seals_cli(struct store *st, struct crypto_keyring *kr, int argc, char **argv, struct err *err)
{
    if (argc < 1)
        return usage(err);
    const char *cmd = argv[0];
    struct store_conn *c = store_conn(st, err);
    if (c == NULL)
        return -1;
    if (strcmp(cmd, "make") == 0 && argc >= 4 && argc <= 6)
        return cmd_make(st, kr, c, argc, argv, err);
    if (strcmp(cmd, "list") == 0 && argc <= 2)
        return cmd_list(st, c, argc, argv, err);
    if ((strcmp(cmd, "suspend") == 0 || strcmp(cmd, "activate") == 0 ||
         strcmp(cmd, "revoke") == 0) &&
        argc == 2)
        return cmd_status(st, cmd, argv[1], err);
    if (strcmp(cmd, "cert") == 0 && argc == 2)
        return cmd_cert(st, argv[1], err);
    if (strcmp(cmd, "root") == 0 && argc == 1) {
        char *pem = NULL;
        if (seals_root_pem(st, &pem, err) < 0)
            return -1;
        fputs(pem, stdout);
        free(pem);
        return 0;
    }
    if (strcmp(cmd, "trust") == 0 && argc == 3)
        return cmd_trust(st, argv[1], argv[2], err);
    return usage(err);
}
