/*
 * certs_cli.c - `onewindow cert ...`, for operators and tests:
 *   cert types                              load the demo certificate types
 *   cert issue TYPE HOLDER_ID DEPT DATA    issue a certificate to the account registered
 *                                           with the ID number, from DATA (JSON of values
 *                                           keyed by form keys), sealed by DEPT's
 *                                           certificate seal
 *   cert verify FILE                        verify an identifier, a QR payload or an
 *                                           exported certificate (JSON) read from FILE
 *   cert export IDENTIFIER                  print the certificate as a file anyone can verify
 *                                           offline: {identifier, document, signature}
 *                                           (it holds the holder's personal data)
 *   cert revoke IDENTIFIER                  revoke a certificate
 */
#include "certs/certs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "base/arena.h"
#include "identity/idcodes.h"
#include "identity/identity.h"
#include "store/store.h"

static int usage(struct err *err)
{
    err_usage(err, "certs.usage",
              "usage: onewindow cert types | issue TYPE HOLDER_ID_NUMBER DEPT DATA_JSON | "
              "verify FILE | export IDENTIFIER | revoke IDENTIFIER");
    return 2;
}

/* The account registered with an ID number (identity finds it by its keyed hash). */
static int holder_account(struct certs *cs, const char *idn, int64_t *id, char name[128],
                          struct err *err)
{
    struct identity_account acc;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "certs.oom", "out of memory");
    int rc = identity_account_find_id_number(cs->id, idn, id, err);
    if (rc < 0 && strcmp(err->code, "identity.not_found") == 0)
        rc = err_usage(err, "certs.no_holder", "no account is registered with that ID number");
    else if (rc == 0 && (rc = identity_account_summary(cs->id, a, *id, &acc, err)) == 0)
        snprintf(name, 128, "%s", acc.name ? acc.name : "");
    arena_free(a);
    return rc;
}

static int read_file(const char *path, char **out, struct err *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return err_set(err, 500, "certs.file", "cannot open %s", path);
    size_t cap = 1 << 20;
    char *buf = malloc(cap + 1);
    size_t n = buf ? fread(buf, 1, cap, f) : 0;
    if (f != stdin)
        fclose(f);
    if (buf == NULL)
        return err_set(err, 500, "certs.oom", "out of memory");
    buf[n] = '\0';
    *out = buf;
    return 0;
}

int certs_cli(struct certs *cs, int argc, char **argv, struct err *err)
{
    struct store *st = cs->st;
    struct crypto_keyring *kr = cs->kr;
    if (argc < 1)
        return usage(err);
    if (strcmp(argv[0], "types") == 0 && argc == 1) {
        int n = 0;
        if (certs_types_load_demo(st, &n, err) < 0)
            return -1;
        printf("%d certificate type(s) loaded\n", n);
        return 0;
    }
    if (strcmp(argv[0], "issue") == 0 && argc == 5) {
        char idn[IDCODE_LEN + 1], name[128];
        int64_t holder = 0;
        struct err e2;
        if (idcode_citizen_normalize(argv[2], idn, 0, &e2) < 0) {
            err_usage(err, "certs.bad_id", "the holder's ID number is not valid");
            return 2;
        }
        if (holder_account(cs, idn, &holder, name, err) < 0)
            return err->usage ? 2 : -1;
        json_t *dept = NULL;
        struct store_conn *c = store_conn(st, err);
        if (c == NULL || certs_department(cs, 0, argv[3], &dept, err) < 0)
            return err->status == 404 ? (err->usage = 1, 2) : -1; /* no such department */
        json_error_t je;
        json_t *data = json_loads(argv[4], 0, &je);
        if (!json_is_object(data)) {
            json_decref(data);
            json_decref(dept);
            err_usage(err, "certs.bad_data", "DATA_JSON must be a JSON object: %s", je.text);
            return 2;
        }
        const char *dname = json_string_value(json_object_get(data, "holder_name"));
        struct certs_issue_req r = {argv[1],
                                    holder,
                                    dname ? dname : name,
                                    idn,
                                    json_integer_value(json_object_get(dept, "id")),
                                    data,
                                    "cli",
                                    0};
        char id[CERTS_ID_SIZE];
        int rc = certs_issue(cs, &r, 0, id, err);
        json_decref(data);
        json_decref(dept);
        if (rc < 0)
            return -1;
        printf("%s\n", id);
        return 0;
    }
    if (strcmp(argv[0], "verify") == 0 && argc == 2) {
        char *text = NULL;
        json_t *res = NULL;
        if (read_file(argv[1], &text, err) < 0)
            return -1;
        int rc = certs_verify(cs, text, &res, err);
        free(text);
        if (rc < 0)
            return -1;
        char *out = json_dumps(res, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("%s\n", out ? out : "{}");
        free(out);
        int valid = strcmp(json_string_value(json_object_get(res, "status")), "valid") == 0;
        json_decref(res);
        return valid ? 0 : 1;
    }
    if (strcmp(argv[0], "export") == 0 && argc == 2) {
        json_t *ex = NULL;
        if (certs_export(st, kr, argv[1], &ex, err) < 0)
            return -1;
        char *out = json_dumps(ex, JSON_COMPACT);
        printf("%s\n", out ? out : "{}");
        free(out);
        json_decref(ex);
        return 0;
    }
    if (strcmp(argv[0], "revoke") == 0 && argc == 2) {
        if (certs_revoke(st, 0, argv[1], err) < 0)
            return -1;
        printf("revoked %s\n", argv[1]);
        return 0;
    }
    return usage(err);
}
