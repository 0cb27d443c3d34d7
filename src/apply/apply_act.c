/*
 * apply_act.c - what happens to a filed application: the staff transitions (accept, 补正,
 * reject, review, approve, deny, deliver, close) and the applicant's withdrawal, each one
 * transaction with its clock, timeline row, notification and audit record; the check
 * behind a confirmation step (apply_act_check); the audited look at full ID numbers
 * (apply_reveal_ids); and what review needs to know (apply_rating_target).
 */
#include "apply/apply_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "base/id.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "crypto/crypto.h"
#include "identity/identity.h"
#include "store/store.h"

/* May the subject see this application? The applicant and the filer; staff with
 * case.view in its department. */
static int can_view(const struct authz_subject *s, const struct app_row *r)
{
    if (s == NULL || s->account_id == 0)
        return 0;
    struct authz_object own = {r->applicant_account, 0, 0};
    struct authz_object filer = {r->filed_by, 0, 0};
    struct authz_object dept = {0, r->department_id, r->division_code};
    return authz_allowed(s, "application.view", &own) ||
           authz_allowed(s, "application.view", &filer) || authz_allowed(s, "case.view", &dept);
}

static int validate_return_problems(const json_t *item, const json_t *problems)
{
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p)
    {
        const char *kind = json_string_value(json_object_get(p, "kind"));
        const char *key = json_string_value(json_object_get(p, "key"));
        if (kind == NULL || key == NULL)
            return -1;
        if (strcmp(kind, "field") == 0
                ? apply_find_field(item, key) == NULL
                : strcmp(kind, "material") != 0 || apply_find_material(item, key) == NULL)
            return -1;
    }
    return 0;
}

static int run_decided_hook(struct apply *ap, struct arena *a, struct app_row *r, int approved,
                            int64_t now, struct err *err)
{
    if (!approved || ap->hooks.on_approved == NULL)
        return 0;
    json_t *doc = apply_open_form(ap, r);
    json_t *who = json_object_get(doc, "applicant");
    struct apply_decided d = {r->id,
                              r->number,
                              r->item_code,
                              r->item_version,
                              r->applicant_account,
                              r->enterprise_id,
                              r->department_id,
                              r->division_code,
                              json_string_value(json_object_get(who, "name")),
                              json_string_value(json_object_get(who, "id_number")),
                              json_object_get(doc, "values"),
                              approved,
                              now};
    char cert[APPLY_CERT_ID_SIZE] = "";
    int rc = ap->hooks.on_approved(ap->hooks.ctx, &d, cert, err);
    if (rc == 0 && cert[0] != '\0')
        r->cert_id = arena_strdup(a, cert);
    json_decref(doc);
    return rc;
}

/* The checks of a return for completion (补正): it lists what is missing or wrong, each
 * problem naming a field or material of the item's version; the list as JSON text in *text
 * (arena), NULL when only the note says it. */
static int return_problems(struct apply *ap, struct arena *a, const struct app_row *r,
                           const char *note, const json_t *problems, char **text, struct err *err)
{
    if ((problems == NULL || json_array_size(problems) == 0) && note == NULL)
        return err_set(err, 422, "apply.return_empty",
                       "a return for completion lists what is missing or wrong");
    json_t *item = NULL;
    if (catalog_item_version(ap->store, r->item_code, r->item_version, &item, err) < 0)
        return -1;
    int bad = problems != NULL && validate_return_problems(item, problems) < 0;
    json_decref(item);
    if (bad)
        return err_set(err, 422, "apply.return_bad", "a listed problem names no field or material");
    *text = NULL;
    if (problems != NULL && json_array_size(problems) > 0) {
        char *t = json_dumps(problems, JSON_COMPACT);
        *text = t ? arena_strdup(a, t) : NULL;
        free(t);
        if (*text == NULL)
            return err_set(err, 500, "apply.oom", "out of memory");
    }
    return 0;
}

/* The transition on the row: the state, and the legal time limit's clock (accepting starts
 * it afresh; a return pauses it and remembers the state to resume; a decision or a withdrawal
 * stops it). */
static int act_apply_to_row(const struct calendar *cal, struct app_row *r, int action, int from,
                            int to, int64_t now, struct err *err)
{
    struct apply_clock clk = {r->limit_days, r->used_days, r->clock_started_at, r->deadline_at};
    switch (action) {
    case APPLY_ACT_ACCEPT:
        clk.used_days = 0;
        if (apply_clock_run(cal, &clk, now, err) < 0)
            return -1;
        break;
    case APPLY_ACT_RETURN:
        apply_clock_pause(cal, &clk, now);
        r->resume_state = apply_state_name(from);
        break;
    case APPLY_ACT_APPROVE:
    case APPLY_ACT_DENY:
    case APPLY_ACT_REJECT:
    case APPLY_ACT_WITHDRAW:
        apply_clock_pause(cal, &clk, now);
        break;
    default:
        break;
    }
    r->state = apply_state_name(to);
    r->used_days = clk.used_days;
    r->clock_started_at = clk.started_ms;
    r->deadline_at = clk.deadline_ms;
    r->due_at = clk.deadline_ms;
    r->updated_at = now;
    if (action == APPLY_ACT_APPROVE || action == APPLY_ACT_DENY || action == APPLY_ACT_REJECT)
        r->decided_at = now;
    return 0;
}

/* A transition, or with `dry_run` only its checks (who, state, reason, 补正 items), in a
 * transaction that is then rolled back. */
static int act_run(struct apply *ap, const struct authz_subject *subj, const char *number,
                   int action, const char *note, const json_t *problems, const char *ip,
                   int dry_run, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    if (action < 0 || action >= APPLY_ACT_COUNT || action == APPLY_ACT_RESUBMIT)
        return err_set(err, 400, "apply.bad_action", "unknown action");
    const struct calendar *cal = apply_calendar(ap, err);
    if (cal == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    int rc = -1, found = 0;
    struct app_row r;
    if (note != NULL && *note == '\0')
        note = NULL;
    if (note != NULL && strlen(note) > 2000) {
        err_set(err, 400, "apply.note_long", "the note is too long");
        goto out;
    }
    if (store_begin(c, err) < 0)
        goto out;
    if (apply_db_get_number(c, a, number, &r, &found, err) < 0)
        goto rollback;
    if (!found || r.number == NULL || !can_view(subj, &r)) {
        err_set(err, 404, "apply.not_found", "no application has this number");
        goto rollback;
    }
    const char *perm = apply_action_permission(action);
    struct authz_object obj = {0, r.department_id, r.division_code};
    struct authz_object own = {r.applicant_account, 0, 0}, filer = {r.filed_by, 0, 0};
    int allowed = perm != NULL ? authz_allowed(subj, perm, &obj)
                               : authz_allowed(subj, "application.withdraw", &own) ||
                                     authz_allowed(subj, "application.withdraw", &filer);
    if (!allowed) {
        err_set(err, 403, "apply.forbidden", "you may not %s this application",
                apply_action_name(action));
        goto rollback;
    }
    int from = apply_state_parse(r.state);
    int to = apply_next_state(from, action, apply_state_parse(r.resume_state));
    if (to < 0) {
        err_set(err, 409, "apply.bad_state", "an application that is %s cannot be given %s",
                r.state, apply_action_name(action));
        goto rollback;
    }
    if ((action == APPLY_ACT_REJECT || action == APPLY_ACT_DENY) && note == NULL) {
        err_set(err, 422, "apply.reason_required", "give the reason");
        goto rollback;
    }
    char *problems_text = NULL;
    if (action == APPLY_ACT_RETURN &&
        return_problems(ap, a, &r, note, problems, &problems_text, err) < 0)
        goto rollback;
    if (dry_run) {
        rc = 0;
        goto rollback;
    }
    int64_t now = time_now_ms();
    if (act_apply_to_row(cal, &r, action, from, to, now, err) < 0)
        goto rollback;
    if (run_decided_hook(ap, a, &r, action == APPLY_ACT_APPROVE, now, err) < 0)
        goto rollback;
    char audit_action[48];
    snprintf(audit_action, sizeof(audit_action), "apply.%s", apply_action_name(action));
    if (apply_db_update_state(c, &r, err) < 0 ||
        apply_db_event_insert(c, r.id, now, subj->account_id, apply_action_name(action),
                              apply_state_name(from), r.state, note, problems_text, err) < 0 ||
        apply_emit(ap, c, &r, apply_action_name(action), apply_state_name(from), now, err) < 0 ||
        apply_notify_applicant(ap, a, &r, r.state, note, err) < 0 ||
        apply_audit(c, subj->account_id, audit_action, r.number, ip, r.state, err) < 0)
        goto rollback;
    if (store_commit(c, err) < 0)
        goto out;
    rc = 0;
    goto out;
rollback:
    store_rollback(c);
out:
    arena_free(a);
    return rc;
}

int apply_act(struct apply *ap, const struct authz_subject *subj, const char *number, int action,
              const char *note, const json_t *problems, const char *ip, struct err *err)
{
    return act_run(ap, subj, number, action, note, problems, ip, 0, err);
}

int apply_act_check(struct apply *ap, const struct authz_subject *subj, const char *number,
                    int action, const char *note, const json_t *problems, struct err *err)
{
    return act_run(ap, subj, number, action, note, problems, NULL, 1, err);
}

/* ---- the full ID numbers of a case, on purpose ---------------------------------------- */

static const char *const reveal_purposes[] = {"verify_identity", "check_materials",
                                              "issue_document"};

int apply_reveal_purpose_ok(const char *purpose)
{
    for (size_t i = 0; purpose != NULL && i < sizeof(reveal_purposes) / sizeof(*reveal_purposes);
         i++)
        if (strcmp(purpose, reveal_purposes[i]) == 0)
            return 1;
    return 0;
}

int apply_reveals_of(struct apply *ap, int64_t applicant, int limit, json_t *rows, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    return c == NULL ? -1 : apply_db_reveals(c, applicant, limit, rows, err);
}

int apply_reveal_ids(struct apply *ap, const struct authz_subject *subj, const char *number,
                     const char *purpose, const char *lang, const char *ip, json_t **out,
                     struct err *err)
{
    *out = NULL;
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    if (a == NULL)
        return err_set(err, 500, "apply.oom", "out of memory");
    json_t *item = NULL, *doc = NULL, *list = NULL;
    struct app_row r;
    int found = 0, rc = -1;
    if (apply_db_get_number(c, a, number, &r, &found, err) < 0)
        goto out;
    /* Staff who may see the case, and nobody else (the applicant sees their own form). */
    struct authz_object dept = {0, r.department_id, r.division_code};
    if (!found || r.number == NULL || subj == NULL || subj->kind != IDENTITY_STAFF ||
        !authz_allowed(subj, "case.view", &dept)) {
        err_set(err, 404, "apply.not_found", "no application has this number");
        goto out;
    }
    if (!apply_reveal_purpose_ok(purpose)) {
        err_set(err, 422, "apply.purpose_required", "say why the full ID numbers are needed");
        goto out;
    }
    if (catalog_item_version(ap->store, r.item_code, r.item_version, &item, err) < 0)
        goto out;
    if ((doc = apply_open_form(ap, &r)) == NULL) {
        err_set(err, 500, "apply.crypto", "the form cannot be opened");
        goto out;
    }
    list = json_array();
    const char *idn =
        json_string_value(json_object_get(json_object_get(doc, "applicant"), "id_number"));
    if (idn != NULL)
        json_array_append_new(list, json_pack("{s:s, s:s}", "key", "_applicant", "id_number", idn));
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(item, "form"), "fields"), i, f)
    {
        const char *type = json_string_value(json_object_get(f, "type"));
        const char *key = json_string_value(json_object_get(f, "key"));
        const char *v = json_string_value(json_object_get(json_object_get(doc, "values"), key));
        if (type != NULL && strcmp(type, "id_number") == 0 && v != NULL && *v != '\0')
            json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "key", key, "label",
                                                  catalog_text(json_object_get(f, "label"), lang),
                                                  "id_number", v));
    }
    /* Recorded before anything is shown: who, which case, why. */
    char detail[64];
    snprintf(detail, sizeof(detail), "purpose=%s", purpose);
    if (store_begin(c, err) < 0)
        goto out;
    /* ... and for the applicant's "who used my data" page (issue 13 item 5). */
    if (apply_audit(c, subj->account_id, "apply.reveal_id", r.number, ip, detail, err) < 0 ||
        (r.applicant_account != 0 &&
         apply_db_reveal_insert(c, &r, subj->account_id, purpose, time_now_ms(), err) < 0)) {
        store_rollback(c);
        goto out;
    }
    if (store_commit(c, err) < 0)
        goto out;
    *out = list;
    list = NULL;
    rc = 0;
out:
    json_decref(list);
    json_decref(doc);
    json_decref(item);
    arena_free(a);
    return rc;
}

int apply_rating_target(struct apply *ap, int64_t application_id, int64_t *applicant_account,
                        int64_t *department_id, char item_code[48], int *decided, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    if (c == NULL)
        return -1;
    struct arena *a = arena_new(0);
    struct app_row r;
    int found = 0, rc = -1;
    if (a == NULL || apply_db_get_id(c, a, application_id, &r, &found, err) < 0)
        goto out;
    if (!found || r.number == NULL) {
        err_set(err, 404, "apply.not_found", "no such application");
        goto out;
    }
    *applicant_account = r.applicant_account;
    *department_id = r.department_id;
    snprintf(item_code, 48, "%s", r.item_code);
    *decided = r.decided_at != 0 && strcmp(r.state, "withdrawn") != 0;
    rc = 0;
out:
    arena_free(a);
    return rc;
}

int apply_facts(struct apply *ap, int64_t from_ms, int64_t to_ms,
                void (*fn)(void *ctx, const struct apply_fact *f), void *ctx, struct err *err)
{
    struct store_conn *c = store_conn(ap->store, err);
    return c == NULL ? -1 : apply_db_facts(c, from_ms, to_ms, fn, ctx, err);
}
