/*
 * authz.c - roles, departments, grants and the one authorization function
 * (ARCHITECTURE §5): authz_allowed(subject, action, object).
 *
 * A grant gives a role on a department; the department sits in a division, and the
 * grant's scope is that division's subtree (a grant on a prefecture's department reaches
 * objects of its counties when the object names that department, e.g. a prefecture
 * bureau supervising county cases). Separation of duties (等保 2.0): the system
 * administrator administers, the auditor reads the audit trail, and neither role implies
 * the other.
 */
#include "identity/identity_internal.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "divisions/divisions.h"
#include "store/store.h"

static const char *const role_names[ROLE_COUNT] = {
    "clerk",   "reviewer", "head",       "hotline_agent",
    "auditor", "admin",    "supervisor", "security_admin",
};

const char *identity_role_name(int role)
{
    return role >= 0 && role < ROLE_COUNT ? role_names[role] : NULL;
}

int identity_role_reserved(int role)
{
    return role == ROLE_ADMIN || role == ROLE_AUDITOR || role == ROLE_SECURITY_ADMIN;
}

int identity_role_parse(const char *s)
{
    for (int i = 0; s != NULL && i < ROLE_COUNT; i++)
        if (strcmp(s, role_names[i]) == 0)
            return i;
    return -1;
}

/* ---- the policy ------------------------------------------------------------------------ */

enum scope {
    SCOPE_SELF,       /* the subject's own data (owner_id) */
    SCOPE_DEPARTMENT, /* a grant on the object's department, within the grant's division */
    SCOPE_PLATFORM,   /* a grant on a department at the region level (platform-wide) */
    SCOPE_DIVISION,   /* any department's object within the grant's division subtree */
};

struct rule {
    const char *action;
    enum scope scope;
    unsigned roles; /* bit per role (staff scopes); 0 for SCOPE_SELF */
};

#define R(x) (1u << (x))

/* Who may do what. Modules add their actions here as they arrive: a missing action is
 * denied, never allowed by default. */
static const struct rule rules[] = {
    {"account.view", SCOPE_SELF, 0},
    {"account.update", SCOPE_SELF, 0},
    {"identity.department_admin", SCOPE_PLATFORM, R(ROLE_ADMIN)},
    {"identity.staff_admin", SCOPE_DEPARTMENT, R(ROLE_ADMIN)},
    /* 三权分立 (等保 level 3): the system administrator manages accounts and departments,
     * the security administrator alone manages role grants, the auditor reads the audit
     * log; none of them can do another's part. */
    {"identity.grant", SCOPE_DEPARTMENT, R(ROLE_SECURITY_ADMIN)},
    {"identity.role_admin", SCOPE_PLATFORM, R(ROLE_SECURITY_ADMIN)},
    {"audit.read", SCOPE_PLATFORM, R(ROLE_AUDITOR)},
    /* A provider department decides on requests for its data resources (src/exchange). */
    {"exchange.grant", SCOPE_DEPARTMENT, R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    {"oidc.client_admin", SCOPE_PLATFORM, R(ROLE_ADMIN)},
    {"case.view", SCOPE_DEPARTMENT, R(ROLE_CLERK) | R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    {"case.accept", SCOPE_DEPARTMENT, R(ROLE_CLERK)},
    {"case.review", SCOPE_DEPARTMENT, R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    {"case.decide", SCOPE_DEPARTMENT, R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    {"hotline.handle", SCOPE_DEPARTMENT, R(ROLE_HOTLINE_AGENT)},
    /* The 12345 centre (a region-level department): agents take calls and dispatch; agents
     * and heads supervise; departments handle what was dispatched to them. */
    {"hotline.desk", SCOPE_PLATFORM, R(ROLE_HOTLINE_AGENT)},
    {"hotline.supervise", SCOPE_PLATFORM, R(ROLE_HOTLINE_AGENT)},
    {"hotline.department", SCOPE_DEPARTMENT, R(ROLE_CLERK) | R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    {"hotline.admin", SCOPE_PLATFORM, R(ROLE_ADMIN)},
    /* 好差评 (src/review): the applicant rates; counter staff of the deciding department or
     * a 12345 agent record a rating for them; the department's head or reviewer answers a
     * bad rating's rectification task. */
    {"review.rate", SCOPE_SELF, 0},
    {"review.record", SCOPE_DEPARTMENT, R(ROLE_CLERK) | R(ROLE_HEAD)},
    {"review.record_hotline", SCOPE_PLATFORM, R(ROLE_HOTLINE_AGENT)},
    {"review.respond", SCOPE_DEPARTMENT, R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    /* apply: the applicant (or the person who filed) on their application; 补正 by the
     * clerk at acceptance or the reviewer during review; counter staff file for walk-ins. */
    {"application.view", SCOPE_SELF, 0},
    {"application.withdraw", SCOPE_SELF, 0},
    {"case.return", SCOPE_DEPARTMENT, R(ROLE_CLERK) | R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    {"case.file_for", SCOPE_DEPARTMENT, R(ROLE_CLERK)},
    {"catalog.admin", SCOPE_PLATFORM, R(ROLE_ADMIN)},
    /* src/translate: how complete each language's catalogs are (/admin/i18n). */
    {"i18n.coverage", SCOPE_PLATFORM, R(ROLE_ADMIN)},
    /* src/opendata: a department's head publishes its datasets; the platform's
     * administrators see every department's (and which lack Tibetan). */
    {"opendata.publish", SCOPE_DEPARTMENT, R(ROLE_HEAD) | R(ROLE_ADMIN)},
    {"opendata.admin", SCOPE_PLATFORM, R(ROLE_ADMIN)},
    /* src/oversight (效能督查): a supervisor reads every queue of the grant's division
     * subtree and adds supervision notes there; the handling department answers them; the
     * auditor's desk is audit.read. */
    {"oversight.view", SCOPE_DIVISION, R(ROLE_SUPERVISOR)},
    {"oversight.note", SCOPE_DIVISION, R(ROLE_SUPERVISOR)},
    {"oversight.answer", SCOPE_DEPARTMENT, R(ROLE_CLERK) | R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    {"certs.view_authorised", SCOPE_DEPARTMENT, R(ROLE_CLERK) | R(ROLE_REVIEWER) | R(ROLE_HEAD)},
    /* src/pay: the payer pays their order; the collecting department's clerks take counter
     * payments, its clerks and heads refund; auditors see reconciliation (finance). */
    {"pay.pay", SCOPE_SELF, 0},
    {"pay.counter", SCOPE_DEPARTMENT, R(ROLE_CLERK)},
    {"pay.refund", SCOPE_DEPARTMENT, R(ROLE_CLERK) | R(ROLE_HEAD)},
    {"pay.finance", SCOPE_PLATFORM, R(ROLE_AUDITOR)},
    /* issue 16: a department's head publishes its notices (src/notices); platform
     * administrators watch the outbox and resend (src/notify). */
    {"notice.publish", SCOPE_DEPARTMENT, R(ROLE_HEAD)},
    {"notify.operate", SCOPE_PLATFORM, R(ROLE_ADMIN)},
};

int authz_allowed(const struct authz_subject *subj, const char *action,
                  const struct authz_object *obj)
{
    static const struct authz_object none = {0, 0, 0};
    if (subj == NULL || subj->account_id == 0 || action == NULL)
        return 0;
    if (obj == NULL)
        obj = &none;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        if (strcmp(r->action, action) != 0)
            continue;
        if (r->scope == SCOPE_SELF)
            return obj->owner_id != 0 && obj->owner_id == subj->account_id;
        /* Staff powers need a staff account with both factors (等保: two factors). */
        if (subj->kind != IDENTITY_STAFF || subj->aal < 2)
            return 0;
        for (size_t g = 0; g < subj->ngrants; g++) {
            if (!(r->roles & R(subj->grants[g].role)))
                continue;
            if (r->scope == SCOPE_PLATFORM) {
                if (subj->grants[g].division_code == DIVISIONS_ROOT)
                    return 1;
                continue;
            }
            if (r->scope == SCOPE_DIVISION) {
                if (obj->division_code != 0 &&
                    divisions_contains(subj->grants[g].division_code, obj->division_code))
                    return 1;
                continue;
            }
            if (obj->department_id != 0 && obj->department_id == subj->grants[g].department_id &&
                (obj->division_code == 0 ||
                 divisions_contains(subj->grants[g].division_code, obj->division_code)))
                return 1;
        }
        return 0;
    }
    return 0;
}

int authz_allowed_somewhere(const struct authz_subject *subj, const char *action)
{
    if (subj == NULL || subj->account_id == 0 || action == NULL)
        return 0;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const struct rule *r = &rules[i];
        if (strcmp(r->action, action) != 0)
            continue;
        if (r->scope == SCOPE_SELF)
            return 1;
        if (subj->kind != IDENTITY_STAFF || subj->aal < 2)
            return 0;
        for (size_t g = 0; g < subj->ngrants; g++)
            if ((r->roles & R(subj->grants[g].role)) &&
                (r->scope != SCOPE_PLATFORM || subj->grants[g].division_code == DIVISIONS_ROOT))
                return 1;
        return 0;
    }
    return 0;
}

int identity_subject_load(struct identity *id, int64_t account_id, int aal,
                          struct authz_subject *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (account_id == 0)
        return 0;
    struct store_conn *c = store_conn(id->store, err);
    struct arena *a = arena_new(0);
    struct account_row r;
    int found = 0, rc = -1;
    if (c == NULL || a == NULL)
        goto out;
    if (identity_db_account_get(c, a, account_id, &r, &found, err) < 0)
        goto out;
    if (!found || strcmp(r.status, "active") != 0) {
        rc = 0; /* an account gone or disabled is anonymous */
        goto out;
    }
    out->account_id = account_id;
    out->kind = r.kind;
    out->aal = aal;
    rc = r.kind == IDENTITY_STAFF ? identity_db_grants_of(c, account_id, out, err) : 0;
out:
    arena_free(a);
    return rc;
}

/* ---- departments, staff, grants ---------------------------------------------------- */

static int audited_tx(struct store_conn *c, struct audit_event *ev, struct err *err)
{
    if (audit_record(c, ev, err) < 0) {
        store_rollback(c);
        return -1;
    }
    return store_commit(c, err);
}

int identity_department_create(struct identity *id, int64_t actor, const char *ip, const char *code,
                               const char *name_zh, const char *name_bo, const char *name_en,
                               int64_t division_code, int64_t *dept_id, struct err *err)
{
    if (code == NULL || *code == '\0' || strlen(code) > 32 || name_zh == NULL || !*name_zh)
        return err_set(err, 400, "identity.department_invalid",
                       "a department needs a code (at most 32 characters) and a Chinese name");
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    struct identity_department d = {id_next(), code, name_zh, name_bo, name_en, division_code};
    char object[64];
    snprintf(object, sizeof(object), "department:%s", code);
    struct audit_event ev = {actor, "identity.department_create", object, "ok", ip, NULL};
    if (store_begin(c, err) < 0)
        return -1;
    if (identity_db_department_insert(c, &d, err) < 0) {
        store_rollback(c);
        if (strcmp(err->code, "store.conflict") == 0)
            return err_set(err, 409, "identity.department_exists",
                           "a department with the code %s exists", code);
        if (strstr(err->msg, "FOREIGN KEY") || strstr(err->msg, "foreign key"))
            return err_set(err, 400, "identity.division_unknown",
                           "no division has the code %012lld", (long long)division_code);
        return -1;
    }
    if (audited_tx(c, &ev, err) < 0)
        return -1;
    if (dept_id != NULL)
        *dept_id = d.id;
    return 0;
}

int identity_department_list(struct identity *id, struct arena *a, struct identity_department **out,
                             size_t *n, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    return c == NULL ? -1 : identity_db_department_list(c, a, out, n, err);
}

int identity_department_find(struct identity *id, struct arena *a, const char *code,
                             struct identity_department *out, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    int found = 0;
    if (c == NULL || identity_db_department_by_code(c, a, code, out, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "identity.department_not_found", "no department has the code %s",
                       code);
    return 0;
}

int identity_department_get(struct identity *id, struct arena *a, int64_t dept_id,
                            struct identity_department *out, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    int found = 0;
    if (c == NULL || identity_db_department_by_id(c, a, dept_id, out, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "identity.department_not_found", "no department %lld",
                       (long long)dept_id);
    return 0;
}

int identity_account_find_username(struct identity *id, const char *username, int64_t *account_id,
                                   struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    int found = 0;
    if (c == NULL || identity_db_account_by_username(c, username, account_id, &found, err) < 0)
        return -1;
    if (!found)
        return err_set(err, 404, "identity.not_found", "no account has the username %s", username);
    return 0;
}

int identity_grant(struct identity *id, int64_t actor, const char *ip, int64_t account_id,
                   int64_t dept_id, int role, struct err *err)
{
    const char *name = identity_role_name(role);
    if (name == NULL)
        return err_set(err, 400, "identity.role_unknown", "unknown role");
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    char object[96];
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    char detail[96];
    snprintf(detail, sizeof(detail), "role=%s department=%lld", name, (long long)dept_id);
    struct audit_event ev = {actor, "identity.role_grant", object, "ok", ip, detail};
    int found = 0;
    if (store_begin(c, err) < 0)
        return -1;
    if (identity_db_grant_exists(c, account_id, dept_id, name, &found, err) < 0 ||
        (!found &&
         identity_db_grant_insert(c, id_next(), account_id, dept_id, name, actor, err) < 0)) {
        store_rollback(c);
        return -1;
    }
    if (found) {
        store_rollback(c);
        return 0; /* already granted: nothing to change */
    }
    return audited_tx(c, &ev, err);
}

int identity_revoke(struct identity *id, int64_t actor, const char *ip, int64_t account_id,
                    int64_t dept_id, int role, struct err *err)
{
    const char *name = identity_role_name(role);
    if (name == NULL)
        return err_set(err, 400, "identity.role_unknown", "unknown role");
    struct store_conn *c = store_conn(id->store, err);
    if (c == NULL)
        return -1;
    char object[96], detail[96];
    snprintf(object, sizeof(object), "account:%lld", (long long)account_id);
    snprintf(detail, sizeof(detail), "role=%s department=%lld", name, (long long)dept_id);
    struct audit_event ev = {actor, "identity.role_revoke", object, "ok", ip, detail};
    int64_t changed = 0;
    if (store_begin(c, err) < 0)
        return -1;
    if (identity_db_grant_revoke(c, account_id, dept_id, name, &changed, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (changed == 0) {
        store_rollback(c);
        return err_set(err, 404, "identity.grant_not_found",
                       "this person does not hold the role %s in this department", name);
    }
    return audited_tx(c, &ev, err);
}

int identity_department_exists(struct identity *id, int64_t dept_id, int *found, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    return c == NULL ? -1 : identity_db_department_exists(c, dept_id, found, err);
}

int identity_department_holders(struct identity *id, int64_t dept_id, int role, int64_t *ids,
                                size_t max, size_t *n, struct err *err)
{
    const char *name = identity_role_name(role);
    *n = 0;
    if (name == NULL)
        return err_set(err, 400, "identity.role_unknown", "unknown role");
    struct store_conn *c = store_conn(id->store, err);
    return c == NULL ? -1 : identity_db_department_holders(c, dept_id, name, ids, max, n, err);
}

int identity_citizens_page(struct identity *id, int64_t after, int limit, identity_citizen_fn fn,
                           void *ctx, int64_t *last, size_t *n, struct err *err)
{
    struct store_conn *c = store_conn(id->store, err);
    *n = 0;
    return c == NULL ? -1 : identity_db_citizens_page(c, after, limit, fn, ctx, last, n, err);
}
