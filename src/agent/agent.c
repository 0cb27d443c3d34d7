/*
 * agent.c - consents (帮办代办) and acting sessions: grant, revoke, list, switch, and the
 * check every acting request goes through. The rule (issue 13 item 8): an agent acts for a
 * citizen only with the citizen's recorded consent, within its services and its time, and
 * the consent is checked again on every request, so a revocation or an expiry stops the
 * very next one. Every audit record written while acting names both: the actor is the
 * agent, the detail says "on_behalf=account:<citizen> consent=<id>".
 */
#include "agent/agent_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "identity/identity.h"
#include "store/store.h"

#define DAY_MS (24LL * 3600 * 1000)
#define LIST_MAX 200

int agent_open(struct store *s, struct identity *id, struct agent **out, struct err *err)
{
    struct agent *ag = calloc(1, sizeof(*ag));
    if (ag == NULL)
        return err_set(err, 500, "agent.oom", "out of memory");
    ag->store = s;
    ag->id = id;
    *out = ag;
    return 0;
}

void agent_close(struct agent *ag)
{
    free(ag);
}

void agent_set_item_check(struct agent *ag, agent_item_known_fn fn, void *ctx)
{
    ag->item_known = fn;
    ag->item_ctx = ctx;
}

/* ---- scope and verdicts (pure) --------------------------------------------------------- */

static int code_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '.' || ch == '-';
}

int agent_scope_covers(const char *scope, const char *item)
{
    if (scope == NULL || item == NULL || *item == '\0')
        return 0;
    if (strcmp(scope, "*") == 0)
        return 1;
    size_t n = strlen(item);
    for (const char *p = scope; *p;) {
        const char *end = strchr(p, ' ');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return 1;
        p += len;
        while (*p == ' ')
            p++;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int agent_scope_normalise(const char *in, char *out, size_t size)
{
    char codes[AGENT_SCOPE_MAX][48];
    const char *ptrs[AGENT_SCOPE_MAX];
    size_t n = 0;
    if (in == NULL || size < 2)
        return -1;
    while (*in == ' ' || *in == ',')
        in++;
    if (strcmp(in, "*") == 0) {
        snprintf(out, size, "*");
        return 0;
    }
    for (const char *p = in; *p;) {
        size_t len = 0;
        while (p[len] && p[len] != ' ' && p[len] != ',') {
            if (!code_char(p[len]) || len >= 47)
                return -1;
            len++;
        }
        if (len > 0) {
            if (n == AGENT_SCOPE_MAX)
                return -1;
            memcpy(codes[n], p, len);
            codes[n][len] = '\0';
            ptrs[n] = codes[n];
            n++;
        }
        p += len;
        while (*p == ' ' || *p == ',')
            p++;
    }
    if (n == 0)
        return -1;
    qsort(ptrs, n, sizeof(ptrs[0]), cmp_str);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(ptrs[i], ptrs[i - 1]) == 0)
            continue;
        int w = snprintf(out + used, size - used, "%s%s", used ? " " : "", ptrs[i]);
        if (w < 0 || (size_t)w >= size - used)
            return -1;
        used += (size_t)w;
    }
    return 0;
}

enum agent_verdict agent_consent_check(const struct agent_consent *c, const char *item,
                                       int64_t now_ms)
{
    if (c->revoked_at != 0 && c->revoked_at <= now_ms)
        return AGENT_REVOKED;
    if (now_ms < c->valid_from || now_ms >= c->valid_until)
        return AGENT_EXPIRED;
    if (item != NULL && !agent_scope_covers(c->scope, item))
        return AGENT_OUT_OF_SCOPE;
    return AGENT_OK;
}

int agent_verdict_err(enum agent_verdict v, struct err *err)
{
    switch (v) {
    case AGENT_REVOKED:
        return err_set(err, 403, "agent.consent_revoked", "the citizen revoked this consent");
    case AGENT_EXPIRED:
        return err_set(err, 403, "agent.consent_expired", "this consent is not valid now");
    case AGENT_OUT_OF_SCOPE:
        return err_set(err, 403, "agent.out_of_scope", "the consent does not cover this service");
    default:
        return err_set(err, 403, "agent.no_consent", "no consent to act for this person");
    }
}

/* ---- consents -------------------------------------------------------------------------- */

static int audit_both(struct store_conn *c, int64_t actor, const char *action,
                      const struct agent_consent *k, const char *outcome, const char *ip,
                      const char *extra, struct err *err)
{
    char object[48], detail[224];
    snprintf(object, sizeof(object), "consent:%lld", (long long)k->id);
    snprintf(detail, sizeof(detail), "on_behalf=account:%lld agent=%s:%lld consent=%lld%s%s",
             (long long)k->citizen_id, k->department_id ? "department" : "account",
             (long long)(k->department_id ? k->department_id : k->agent_id), (long long)k->id,
             extra ? " " : "", extra ? extra : "");
    struct audit_event ev = {actor, action, object, outcome, ip, detail};
    return audit_record(c, &ev, err);
}

static void problem(json_t *problems, const char *key, const char *code)
{
    json_array_append_new(problems, json_pack("{s:s, s:s}", "key", key, "code", code));
}

/* The scope as typed, normalised, each code a published item; NULL with a problem. */
static const char *grant_scope(struct agent *ag, struct arena *a, const char *typed,
                               json_t *problems)
{
    char buf[AGENT_SCOPE_MAX * 48 + 8];
    if (agent_scope_normalise(typed, buf, sizeof(buf)) < 0) {
        problem(problems, "scope", "agent.scope_invalid");
        return NULL;
    }
    if (strcmp(buf, "*") != 0 && ag->item_known != NULL) {
        char copy[sizeof(buf)];
        snprintf(copy, sizeof(copy), "%s", buf);
        for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
            if (!ag->item_known(ag->item_ctx, t)) {
                problem(problems, "scope", "agent.scope_unknown");
                return NULL;
            }
    }
    return arena_strdup(a, buf);
}

int agent_consent_grant(struct agent *ag, int64_t citizen_id, const struct agent_grant *g,
                        const char *ip, int64_t *consent_id, json_t *problems, struct err *err)
{
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "agent.oom", "out of memory");
    int rc = -1;
    struct identity_account me, other;
    if (identity_account_summary(ag->id, a, citizen_id, &me, err) < 0)
        goto out;
    if (me.kind != IDENTITY_CITIZEN) {
        err_set(err, 403, "agent.citizens_only", "only citizens give consents");
        goto out;
    }
    size_t before = json_array_size(problems);
    int64_t agent_id = 0;
    struct err e;
    struct identity_department desk;
    memset(&desk, 0, sizeof(desk));
    if (g->agent_login == NULL || *g->agent_login == '\0')
        problem(problems, "agent", "agent.agent_required");
    else if (identity_account_find_citizen(ag->id, g->agent_login, &agent_id, &e) < 0 &&
             identity_department_find(ag->id, a, g->agent_login, &desk, &e) == 0)
        agent_id = 0; /* a department's 帮办 desk: any of its clerks */
    else if (identity_account_find_citizen(ag->id, g->agent_login, &agent_id, &e) < 0 ||
             identity_account_summary(ag->id, a, agent_id, &other, &e) < 0 ||
             other.kind != IDENTITY_CITIZEN || strcmp(other.status, "active") != 0)
        problem(problems, "agent", "agent.agent_unknown");
    else if (agent_id == citizen_id)
        problem(problems, "agent", "agent.agent_self");
    const char *scope = grant_scope(ag, a, g->scope, problems);
    char *end = NULL;
    long days = g->days ? strtol(g->days, &end, 10) : 0;
    if (g->days == NULL || end == g->days || *end != '\0' || days < 1 || days > AGENT_MAX_DAYS)
        problem(problems, "days", "agent.days_invalid");
    if (json_array_size(problems) > before) {
        rc = 1;
        goto out;
    }
    struct store_conn *c = store_conn(ag->store, err);
    if (c == NULL || store_begin(c, err) < 0)
        goto out;
    int64_t now = time_now_ms();
    struct agent_consent k = {.id = id_next(),
                              .citizen_id = citizen_id,
                              .agent_id = agent_id,
                              .department_id = desk.id,
                              .scope = scope,
                              .valid_from = now,
                              .valid_until = now + days * DAY_MS,
                              .created_at = now};
    char extra[96];
    snprintf(extra, sizeof(extra), "days=%ld", days);
    if (agent_db_consent_insert(c, &k, err) < 0 ||
        audit_both(c, citizen_id, "agent.consent_grant", &k, "ok", ip, extra, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto out;
    }
    *consent_id = k.id;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

int agent_consent_revoke(struct agent *ag, int64_t citizen_id, int64_t consent_id, const char *ip,
                         struct err *err)
{
    struct store_conn *c = store_conn(ag->store, err);
    struct arena *a = arena_new(0);
    int rc = -1, found = 0, changed = 0;
    struct agent_consent k;
    if (c == NULL || a == NULL) {
        if (a == NULL)
            err_set(err, 500, "agent.oom", "out of memory");
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    if (agent_db_consent_get(c, a, consent_id, &k, &found, err) < 0)
        goto fail;
    if (!found || k.citizen_id != citizen_id) {
        err_set(err, 404, "agent.not_found", "no such consent");
        goto fail;
    }
    if (agent_db_consent_revoke(c, consent_id, time_now_ms(), &changed, err) < 0)
        goto fail;
    if (!changed) {
        err_set(err, 409, "agent.already_revoked", "this consent was revoked already");
        goto fail;
    }
    /* Sessions acting on it stay marked: their next acting request is refused with
     * agent.consent_revoked (never silently turned into the agent's own), until the agent
     * stops acting. */
    if (audit_both(c, citizen_id, "agent.consent_revoke", &k, "ok", ip, NULL, err) < 0 ||
        store_commit(c, err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    store_rollback(c);
out:
    arena_free(a);
    return rc;
}

/* The counterpart's name (and the agent's masked ID number) for a list. */
static void name_consent(struct agent *ag, struct arena *a, struct agent_consent *k)
{
    struct identity_account acc;
    struct err e;
    if (identity_account_summary(ag->id, a, k->citizen_id, &acc, &e) == 0)
        k->citizen_name = acc.name;
    struct identity_department d;
    if (k->department_id != 0 && identity_department_get(ag->id, a, k->department_id, &d, &e) == 0)
        k->agent_name = k->department_name = d.name_zh;
    else if (identity_account_get(ag->id, a, k->agent_id, &acc, &e) == 0) {
        k->agent_name = acc.name;
        k->agent_masked = acc.id_number_masked;
    }
}

/* The departments whose 帮办 desk `account` serves (as a clerk), at most `max`. */
static size_t desks_of(struct agent *ag, int64_t account, int64_t *out, size_t max)
{
    struct authz_subject subj;
    struct err e;
    size_t n = 0;
    if (identity_subject_load(ag->id, account, 2, &subj, &e) < 0 || subj.kind != IDENTITY_STAFF)
        return 0;
    for (size_t g = 0; g < subj.ngrants && n < max; g++)
        if (subj.grants[g].role == ROLE_CLERK)
            out[n++] = subj.grants[g].department_id;
    return n;
}

/* Whether consent `k` names `account` as its agent: the account itself, or a clerk of the
 * department whose desk it names (checked again at every use: a clerk moved elsewhere
 * stops acting). */
static int consent_names(struct agent *ag, const struct agent_consent *k, int64_t account)
{
    if (k->department_id == 0)
        return k->agent_id == account;
    int64_t desks[AUTHZ_MAX_GRANTS];
    size_t n = desks_of(ag, account, desks, AUTHZ_MAX_GRANTS);
    for (size_t i = 0; i < n; i++)
        if (desks[i] == k->department_id)
            return 1;
    return 0;
}

int agent_consents_list(struct agent *ag, struct arena *a, int64_t account_id, int as_agent,
                        struct agent_consent **out, size_t *n, struct err *err)
{
    struct store_conn *c = store_conn(ag->store, err);
    struct agent_consent *list = arena_alloc(a, sizeof(*list) * LIST_MAX);
    *out = list;
    *n = 0;
    if (c == NULL || list == NULL)
        return c == NULL ? -1 : err_set(err, 500, "agent.oom", "out of memory");
    if (agent_db_consents(c, a, account_id, as_agent ? 1 : 0, LIST_MAX, list, n, err) < 0)
        return -1;
    if (as_agent) { /* and those of the desks this clerk serves */
        int64_t desks[AUTHZ_MAX_GRANTS];
        size_t nd = desks_of(ag, account_id, desks, AUTHZ_MAX_GRANTS);
        for (size_t i = 0; i < nd; i++)
            if (agent_db_consents(c, a, desks[i], 2, LIST_MAX, list, n, err) < 0)
                return -1;
    }
    for (size_t i = 0; i < *n; i++)
        name_consent(ag, a, &list[i]);
    return 0;
}

/* ---- acting ---------------------------------------------------------------------------- */

int agent_act_start(struct agent *ag, const char *session_hash, int64_t agent_id,
                    int64_t consent_id, const char *ip, struct err *err)
{
    struct store_conn *c = store_conn(ag->store, err);
    struct arena *a = arena_new(0);
    int rc = -1, found = 0;
    struct agent_consent k;
    if (c == NULL || a == NULL) {
        if (a == NULL)
            err_set(err, 500, "agent.oom", "out of memory");
        goto out;
    }
    if (agent_db_consent_get(c, a, consent_id, &k, &found, err) < 0)
        goto out;
    if (!found || !consent_names(ag, &k, agent_id)) {
        /* Nobody acts without a consent naming them; whose consents exist is not said. */
        err_set(err, 403, "agent.no_consent", "no consent to act for this person");
        goto out;
    }
    enum agent_verdict v = agent_consent_check(&k, NULL, time_now_ms());
    if (v != AGENT_OK) {
        struct err e;
        audit_both(c, agent_id, "agent.act_refused", &k, "denied", ip, NULL, &e);
        agent_verdict_err(v, err);
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    /* Marks older than the longest session (7 days, the configuration's bound) go too. */
    if (agent_db_acting_purge(c, time_now_ms() - 8 * DAY_MS, err) < 0 ||
        agent_db_acting_put(c, session_hash, agent_id, consent_id, time_now_ms(), err) < 0 ||
        audit_both(c, agent_id, "agent.act_start", &k, "ok", ip, NULL, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        goto out;
    }
    rc = 0;
out:
    arena_free(a);
    return rc;
}

int agent_act_stop(struct agent *ag, const char *session_hash, int64_t agent_id, const char *ip,
                   struct err *err)
{
    struct store_conn *c = store_conn(ag->store, err);
    int64_t consent_id = 0, gone = 0;
    int found = 0;
    if (c == NULL || agent_db_acting_get(c, session_hash, agent_id, &consent_id, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    if (store_begin(c, err) < 0)
        return -1;
    char object[48], detail[48];
    snprintf(object, sizeof(object), "consent:%lld", (long long)consent_id);
    snprintf(detail, sizeof(detail), "consent=%lld", (long long)consent_id);
    struct audit_event ev = {agent_id, "agent.act_stop", object, "ok", ip, detail};
    if (agent_db_acting_delete(c, session_hash, &gone, err) < 0 || audit_record(c, &ev, err) < 0 ||
        store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return 0;
}

/* The acting state of a session: 0 not acting; 1 allowed; -1 with err (the verdict's 403,
 * with the consent in *k when *refused, for the caller's audit record). */
static int acting_state(struct agent *ag, struct arena *a, const char *session_hash,
                        int64_t agent_id, const char *item, struct agent_acting *out,
                        struct agent_consent *k, int *refused, struct err *err)
{
    memset(out, 0, sizeof(*out));
    *refused = 0;
    struct store_conn *c = store_conn(ag->store, err);
    int64_t consent_id = 0;
    int found = 0;
    if (c == NULL || session_hash == NULL)
        return c == NULL ? -1 : 0;
    if (agent_db_acting_get(c, session_hash, agent_id, &consent_id, &found, err) < 0)
        return -1;
    if (!found)
        return 0;
    if (agent_db_consent_get(c, a, consent_id, k, &found, err) < 0)
        return -1;
    if (!found || !consent_names(ag, k, agent_id))
        return agent_verdict_err(found ? AGENT_OK : AGENT_REVOKED, err);
    enum agent_verdict v = agent_consent_check(k, item, time_now_ms());
    if (v != AGENT_OK) {
        *refused = 1;
        return agent_verdict_err(v, err);
    }
    struct identity_account acc;
    if (identity_account_summary(ag->id, a, k->citizen_id, &acc, err) < 0)
        return -1;
    out->consent_id = k->id;
    out->citizen_id = k->citizen_id;
    out->citizen_name = acc.name;
    out->scope = k->scope;
    return 1;
}

int agent_acting_peek(struct agent *ag, struct arena *a, const char *session_hash, int64_t agent_id,
                      struct agent_acting *out, struct err *err)
{
    struct agent_consent k;
    int refused;
    return acting_state(ag, a, session_hash, agent_id, NULL, out, &k, &refused, err);
}

int agent_acting(struct agent *ag, struct arena *a, const char *session_hash, int64_t agent_id,
                 const char *item, struct agent_acting *out, const char *ip, struct err *err)
{
    struct agent_consent k;
    int refused = 0;
    int rc = acting_state(ag, a, session_hash, agent_id, item, out, &k, &refused, err);
    if (rc < 0 && refused) {
        struct err e;
        struct store_conn *c = store_conn(ag->store, &e);
        char extra[64];
        snprintf(extra, sizeof(extra), "item=%.47s", item ? item : "");
        if (c != NULL)
            audit_both(c, agent_id, "agent.act_refused", &k, "denied", ip, item ? extra : NULL, &e);
    }
    return rc;
}

int agent_act_record(struct agent *ag, int64_t consent_id, int64_t agent_id, const char *action,
                     const char *item_code, const char *number, struct err *err)
{
    struct store_conn *c = store_conn(ag->store, err);
    struct arena *a = arena_new(0);
    int rc = -1, found = 0;
    struct agent_consent k;
    if (c == NULL || a == NULL) {
        if (a == NULL)
            err_set(err, 500, "agent.oom", "out of memory");
        goto out;
    }
    if (agent_db_consent_get(c, a, consent_id, &k, &found, err) < 0)
        goto out;
    int64_t now = time_now_ms();
    if (!found || !consent_names(ag, &k, agent_id)) {
        agent_verdict_err(AGENT_REVOKED, err);
        goto out;
    }
    enum agent_verdict v = agent_consent_check(&k, item_code, now);
    if (v != AGENT_OK) {
        agent_verdict_err(v, err);
        goto out;
    }
    rc = agent_db_act_insert(c, consent_id, k.citizen_id, agent_id, action, item_code, number, now,
                             err);
out:
    arena_free(a);
    return rc;
}

struct acts_ctx {
    struct agent *ag;
    struct arena *a;
    json_t *rows;
};

static int act_row(void *ctx, int64_t agent_id, const char *action, const char *item_code,
                   const char *number, int64_t at)
{
    struct acts_ctx *x = ctx;
    struct identity_account acc;
    struct err e;
    const char *name =
        identity_account_summary(x->ag->id, x->a, agent_id, &acc, &e) == 0 ? acc.name : "-";
    (void)action;
    return json_array_append_new(
        x->rows, json_pack("{s:I, s:s, s:s, s:s, s:s}", "at", (json_int_t)at, "consumer", name,
                           "what", item_code ? item_code : "", "case_number", number ? number : "",
                           "purpose", "agent_filed"));
}

int agent_acts_of_citizen(struct agent *ag, int64_t citizen_id, int limit, json_t *rows,
                          struct err *err)
{
    struct store_conn *c = store_conn(ag->store, err);
    struct arena *a = arena_new(0);
    if (c == NULL || a == NULL) {
        arena_free(a);
        return c == NULL ? -1 : err_set(err, 500, "agent.oom", "out of memory");
    }
    struct acts_ctx x = {ag, a, rows};
    int rc = agent_db_acts(c, citizen_id, limit, act_row, &x, err);
    arena_free(a);
    return rc;
}
