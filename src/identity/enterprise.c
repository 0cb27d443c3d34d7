/*
 * enterprise.c - enterprise accounts (法人账户): a citizen registers an enterprise by its
 * unified social credit code (GB 32100) as its legal representative (法定代表人) or as an
 * agent (经办人); the legal representative adds and removes agents. See identity.h,
 * "enterprises"; the SQL is in enterprise_store.c, the pages in enterprise_http.c.
 *
 * Authorization is membership, checked here rather than through authz_allowed: the rules
 * table of authz.c is about staff roles on departments, while an enterprise's members
 * are a relation of the enterprise itself, read in the same query as the enterprise. A
 * non-member is told "not found" (404), never "forbidden", so that enterprise ids cannot
 * be probed; an agent who tries to manage agents gets 403 and an audit record.
 */
#include "identity/identity_internal.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "base/log.h"
#include "base/utf8.h"
#include "store/store.h"

#define ENTERPRISE_NAME_MAX_CHARS 100 /* names registered by SAMR reach about 60 */
#define PERSON_NAME_MAX_CHARS 64
#define MEMBERS_MAX 500

const char *identity_enterprise_role_name(int role)
{
    return role == ENTERPRISE_LEGAL_REP ? "legal_rep" : role == ENTERPRISE_AGENT ? "agent" : "";
}

int identity_enterprise_role_parse(const char *s)
{
    if (s == NULL)
        return 0;
    if (strcmp(s, "legal_rep") == 0)
        return ENTERPRISE_LEGAL_REP;
    if (strcmp(s, "agent") == 0)
        return ENTERPRISE_AGENT;
    return 0;
}

static void field_error(struct identity_field_errors *fe, const char *field, const char *code,
                        const char *msg)
{
    if (fe->n == IDENTITY_MAX_FIELD_ERRORS)
        return;
    fe->e[fe->n].field = field;
    snprintf(fe->e[fe->n].code, sizeof(fe->e[0].code), "%s", code);
    snprintf(fe->e[fe->n].msg, sizeof(fe->e[0].msg), "%s", msg);
    fe->n++;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xc0) != 0x80;
    return n;
}

/* A copy of `s` without leading and trailing blanks, in NFC (as every name is stored), in
 * `a` ("" for NULL). NULL when memory ran out. */
static const char *trimmed(struct arena *a, const char *s)
{
    if (s == NULL)
        s = "";
    while (*s == ' ' || *s == '\t')
        s++;
    char *t = arena_strdup(a, s);
    if (t == NULL)
        return NULL;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        t[--n] = '\0';
    return utf8_nfc_in(a, t);
}

/* The county-level division a credit code names (GB 32100: characters 3-8), as a 12-digit
 * division code; 0 if those are not digits. */
static int64_t uscc_division(const char *uscc)
{
    int64_t d = 0;
    for (int i = 2; i < 8; i++) {
        if (uscc[i] < '0' || uscc[i] > '9')
            return 0;
        d = d * 10 + (uscc[i] - '0');
    }
    return d * 1000000;
}

static void audit_denied(struct store_conn *c, int64_t actor, const char *action,
                         const char *object, const char *ip)
{
    struct audit_event ev = {actor, action, object, "denied", ip, NULL};
    struct err err;
    if (audit_record(c, &ev, &err) < 0)
        log_kv(LOG_ERROR, "audit record failed", "action", action, "detail", err.msg, LOG_END);
}

/* The enterprise as `account_id` sees it: 404 unless a member. */
static int member_view(struct store_conn *c, struct arena *a, int64_t account_id,
                       int64_t enterprise_id, struct identity_enterprise *out, struct err *err)
{
    int found = 0;
    if (identity_db_enterprise_get(c, a, enterprise_id, account_id, out, &found, err) < 0)
        return -1;
    if (!found || out->role == 0)
        return err_set(err, 404, "identity.enterprise_not_found", "no enterprise has this id");
    return 0;
}

/* Like member_view, and the account must be the legal representative (403, audited). */
static int manager_view(struct store_conn *c, struct arena *a, int64_t actor, int64_t enterprise_id,
                        const char *action, const char *object, const char *ip,
                        struct identity_enterprise *out, struct err *err)
{
    if (member_view(c, a, actor, enterprise_id, out, err) < 0)
        return -1;
    if (out->role != ENTERPRISE_LEGAL_REP) {
        audit_denied(c, actor, action, object, ip);
        return err_set(err, 403, "identity.forbidden",
                       "only the legal representative manages the agents");
    }
    return 0;
}

int identity_account_find_id_number(struct identity *id, const char *id_number, int64_t *account_id,
                                    struct err *err)
{
    char idnum[IDCODE_LEN + 1], hash[65];
    int found = 0, rc = -1;
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL || idcode_citizen_normalize(id_number ? id_number : "", idnum, 0, err) < 0)
        goto out;
    if (crypto_lookup_hash_hex(crypto_keyring_subkey(id->kr, CRYPTO_SUBKEY_PII_LOOKUP), idnum,
                               strlen(idnum), hash) < 0) {
        err_set(err, 500, "identity.crypto", "cannot hash the ID number");
        goto out;
    }
    if (identity_db_account_by_id_hash(c, hash, account_id, &found, err) < 0)
        goto out;
    rc = found ? 0 : err_set(err, 404, "identity.not_found", "no account has this ID number");
out:
    crypto_wipe(idnum, sizeof(idnum));
    return rc;
}

/* ---- registration ---------------------------------------------------------------------- */

int identity_enterprise_register(struct identity *id, int64_t account_id,
                                 const struct identity_enterprise_registration *in, const char *ip,
                                 int64_t *enterprise_id, struct identity_field_errors *fe,
                                 struct err *err)
{
    fe->n = 0;
    int rc = -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        goto out;
    struct identity_account acc;
    if (identity_account_summary(id, a, account_id, &acc, err) < 0)
        goto out;
    if (acc.kind != IDENTITY_CITIZEN) {
        err_set(err, 403, "identity.citizens_only", "enterprises are registered by citizens");
        goto out;
    }

    char uscc[IDCODE_LEN + 1] = "";
    struct err e;
    if (idcode_uscc_normalize(in->uscc ? in->uscc : "", uscc, &e) < 0) {
        field_error(fe, "uscc", e.code, e.msg);
        uscc[0] = '\0';
    }
    const char *name = trimmed(a, in->name), *rep = trimmed(a, in->legal_rep);
    if (name == NULL || rep == NULL) {
        err_set(err, 500, "identity.oom", "out of memory");
        goto out;
    }
    size_t nchars = utf8_chars(name), rchars = utf8_chars(rep);
    if (nchars == 0)
        field_error(fe, "name", "identity.enterprise_name_missing",
                    "enter the enterprise's name as on its business licence");
    else if (nchars > ENTERPRISE_NAME_MAX_CHARS)
        field_error(fe, "name", "identity.enterprise_name_long", "the name is too long");
    if (rchars == 0)
        field_error(fe, "legal_rep", "identity.legal_rep_missing",
                    "enter the legal representative's name");
    else if (rchars > PERSON_NAME_MAX_CHARS)
        field_error(fe, "legal_rep", "identity.legal_rep_long", "the name is too long");
    int role = identity_enterprise_role_parse(in->role);
    if (role == 0)
        field_error(fe, "role", "identity.enterprise_role_invalid",
                    "say whether you are the legal representative or an agent");
    if (uscc[0]) {
        int found = 0;
        int64_t other;
        if (identity_db_enterprise_by_uscc(c, uscc, &other, &found, err) < 0)
            goto out;
        if (found)
            field_error(fe, "uscc", "identity.uscc_taken",
                        "an enterprise with this credit code is registered: ask its legal "
                        "representative to add you as an agent");
    }
    /* Only the legal representative the register names may claim an enterprise (issue 13
     * item 7): first come no longer means first served. Agents are added by them. */
    if (fe->n == 0 && id->registers.legal_rep != NULL) {
        const char *idn = NULL, *phone = NULL;
        if (identity_account_private(id, a, account_id, &idn, &phone, err) < 0)
            goto out;
        int r = id->registers.legal_rep(id->registers.ctx, uscc, idn ? idn : "", err);
        if (r < 0)
            goto out;
        if (r == 1)
            field_error(fe, "uscc", "identity.not_legal_rep",
                        "the legal person register names another legal representative for "
                        "this enterprise: ask them to add you as an agent");
    }
    if (fe->n > 0) {
        rc = 1;
        goto out;
    }

    struct identity_enterprise ent = {id_next(), uscc, name, rep, role, time_now_ms()};
    char object[48];
    snprintf(object, sizeof(object), "enterprise:%lld", (long long)ent.id);
    struct audit_event ev = {account_id, "identity.enterprise_register",     object, "ok",
                             ip,         identity_enterprise_role_name(role)};
    if (store_begin(c, err) < 0)
        goto out;
    if (identity_db_enterprise_insert(c, &ent, uscc_division(uscc), err) < 0 ||
        identity_db_enterprise_member_insert(c, ent.id, account_id, role, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        /* Registered by someone else between our check and our insert. */
        if (strcmp(err->code, "store.conflict") == 0) {
            field_error(fe, "uscc", "identity.uscc_taken",
                        "an enterprise with this credit code is registered");
            rc = 1;
        }
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *enterprise_id = ent.id;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* ---- reading --------------------------------------------------------------------------- */

int identity_enterprises_of(struct identity *id, struct arena *a, int64_t account_id,
                            struct identity_enterprise **out, size_t *n, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    return identity_db_enterprises_of(c, a, account_id, out, n, err);
}

int identity_enterprise_get(struct identity *id, struct arena *a, int64_t account_id,
                            int64_t enterprise_id, struct identity_enterprise *out, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    return member_view(c, a, account_id, enterprise_id, out, err);
}

int identity_enterprise_members(struct identity *id, struct arena *a, int64_t account_id,
                                int64_t enterprise_id, struct identity_enterprise_member **out,
                                size_t *n, struct err *err)
{
    *out = NULL;
    *n = 0;
    struct store_conn *c = store_conn(id->store, err);
    struct identity_enterprise ent;
    struct enterprise_member_row *rows;
    size_t count;
    if (c == NULL || member_view(c, a, account_id, enterprise_id, &ent, err) < 0 ||
        identity_db_enterprise_members(c, a, enterprise_id, MEMBERS_MAX, &rows, &count, err) < 0)
        return -1;
    struct identity_enterprise_member *list = arena_alloc(a, (count ? count : 1) * sizeof(*list));
    if (list == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    /* Names and masked ID numbers come through the account API, which decrypts and masks
     * them; members are few (MEMBERS_MAX). */
    for (size_t i = 0; i < count; i++) {
        struct identity_account acc;
        if (identity_account_get(id, a, rows[i].account_id, &acc, err) < 0)
            return -1;
        list[i].account_id = rows[i].account_id;
        list[i].name = acc.name;
        list[i].id_number_masked = acc.id_number_masked;
        list[i].role = rows[i].role;
        list[i].granted_at = rows[i].granted_at;
    }
    *out = list;
    *n = count;
    return 0;
}

/* ---- agents ---------------------------------------------------------------------------- */

int identity_enterprise_agent_add(struct identity *id, int64_t actor, int64_t enterprise_id,
                                  const char *id_number, const char *ip,
                                  struct identity_field_errors *fe, struct err *err)
{
    fe->n = 0;
    int rc = -1;
    char object[48], detail[48];
    snprintf(object, sizeof(object), "enterprise:%lld", (long long)enterprise_id);
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    struct store_conn *c = store_conn(id->store, err);
    struct identity_enterprise ent, theirs;
    if (c == NULL ||
        manager_view(c, a, actor, enterprise_id, "identity.agent_add", object, ip, &ent, err) < 0)
        goto out;
    /* The person is found as login finds them: by the keyed hash of the ID number. */
    int found = 0;
    int64_t agent = 0;
    struct err e;
    if (identity_account_find_id_number(id, id_number, &agent, &e) < 0) {
        if (e.status >= 500) {
            *err = e;
            goto out;
        }
        if (e.status == 404)
            field_error(fe, "id_number", "identity.agent_unknown",
                        "no account has this ID number: the person must register first");
        else
            field_error(fe, "id_number", e.code, e.msg);
        rc = 1;
        goto out;
    }
    if (identity_db_enterprise_get(c, a, enterprise_id, agent, &theirs, &found, err) < 0)
        goto out;
    if (found && theirs.role != 0) {
        field_error(fe, "id_number", "identity.agent_already",
                    "this person already acts for the enterprise");
        rc = 1;
        goto out;
    }
    snprintf(detail, sizeof(detail), "account:%lld", (long long)agent);
    struct audit_event ev = {actor, "identity.agent_add", object, "ok", ip, detail};
    if (store_begin(c, err) < 0)
        goto out;
    if (identity_db_enterprise_member_insert(c, enterprise_id, agent, ENTERPRISE_AGENT, err) < 0 ||
        audit_record(c, &ev, err) < 0) {
        store_rollback(c);
        if (strcmp(err->code, "store.conflict") == 0) {
            field_error(fe, "id_number", "identity.agent_already",
                        "this person already acts for the enterprise");
            rc = 1;
        }
        goto out;
    }
    rc = store_commit(c, err);
out:
    arena_free(a);
    return rc;
}

int identity_enterprise_agent_remove(struct identity *id, int64_t actor, int64_t enterprise_id,
                                     int64_t agent_account_id, const char *ip, struct err *err)
{
    int rc = -1, found = 0, changed = 0;
    char object[48], detail[48];
    snprintf(object, sizeof(object), "enterprise:%lld", (long long)enterprise_id);
    snprintf(detail, sizeof(detail), "account:%lld", (long long)agent_account_id);
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "identity.oom", "out of memory");
    struct store_conn *c = store_conn(id->store, err);
    struct identity_enterprise ent, theirs;
    if (c == NULL || manager_view(c, a, actor, enterprise_id, "identity.agent_remove", object, ip,
                                  &ent, err) < 0)
        goto out;
    if (identity_db_enterprise_get(c, a, enterprise_id, agent_account_id, &theirs, &found, err) < 0)
        goto out;
    if (!found || theirs.role == 0) {
        err_set(err, 404, "identity.member_not_found", "this person does not act for it");
        goto out;
    }
    if (theirs.role == ENTERPRISE_LEGAL_REP) {
        err_set(err, 409, "identity.legal_rep_stays",
                "an enterprise always keeps its legal representative");
        goto out;
    }
    struct audit_event ev = {actor, "identity.agent_remove", object, "ok", ip, detail};
    if (store_begin(c, err) < 0)
        goto out;
    if (identity_db_enterprise_member_delete(c, enterprise_id, agent_account_id, ENTERPRISE_AGENT,
                                             &changed, err) < 0 ||
        (changed && audit_record(c, &ev, err) < 0)) {
        store_rollback(c);
        goto out;
    }
    if (!changed) {
        /* Removed by a concurrent request since we looked. */
        store_rollback(c);
        err_set(err, 404, "identity.member_not_found", "this person does not act for it");
        goto out;
    }
    rc = store_commit(c, err);
out:
    arena_free(a);
    return rc;
}
