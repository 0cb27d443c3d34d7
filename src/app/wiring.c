/*
 * wiring.c - opens the modules every command needs and registers them with the server
 * and the data commands. The order of route registration does not matter (the router
 * picks the most specific pattern).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/app.h"
#include "app/config.h"
#include "apply/apply.h"
#include "audit/audit.h"
#include "calendar/calendar.h"
#include "catalog/catalog.h"
#include "base/arena.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "exchange/exchange.h"
#include "hotline/hotline.h"
#include "identity/identity.h"
#include "benefits/benefits.h"
#include "notices/notices.h"
#include "notify/notify.h"
#include "remind/remind.h"
#include "review/review.h"
#include "agent/agent.h"
#include "oidc/oidc.h"
#include "pay/pay.h"
#include "open311/open311.h"
#include "opendata/opendata.h"
#include "policy/policy.h"
#include "oversight/oversight.h"
#include "portal/portal.h"
#include "search/search.h"
#include "seals/seals.h"
#include "certs/certs.h"
#include "translate/translate.h"
#include "store/store.h"
#include "web/web.h"

/* Create the data directory (one level, mode 0700: it holds the key file). */
static int ensure_data_dir(const char *dir, struct err *err)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        return err_set(err, 500, "config.bad_data_dir", "the data path %s is not a directory", dir);
    }
    return err_set(err, 500, "config.bad_data_dir", "cannot create the data directory %s: %s", dir,
                   strerror(errno));
}

/* review learns who applied, who decided and whether it is decided from apply (module contract §4,
 * docs/ARCHITECTURE.md), so that neither module includes the other's header. */
static int rating_target(void *ctx, int64_t application_id, int64_t *applicant_account,
                         int64_t *department_id, char item_code[48], int *decided, struct err *err)
{
    struct app *app = ctx;
    return apply_rating_target(app->apply, application_id, applicant_account, department_id,
                               item_code, decided, err);
}

/* A published service's names in every language, for review's messages. */
static json_t *rating_item_names(void *ctx, const char *item_code)
{
    struct app *app = ctx;
    json_t *item = NULL, *names = NULL;
    struct err e;
    if (catalog_item_published(app->store, item_code, &item, &e) == 0)
        names = json_incref(json_object_get(item, "name"));
    json_decref(item);
    return json_is_object(names) ? names : (json_decref(names), NULL);
}

/* apply <-> certs (contracts §2 and §5 in docs/ARCHITECTURE.md): approval issues the item's
 * certificate type, the application form offers the holder's certificates, and submitting
 * authorises their use. Each runs inside apply's transaction (certs joins it: in_tx = 1). */
static int certs_on_approved(void *ctx, const struct apply_decided *d, char *cert_id_out,
                             struct err *err)
{
    struct app *app = ctx;
    json_t *item = NULL;
    if (catalog_item_version(app->store, d->item_code, d->item_version, &item, err) < 0)
        return -1;
    struct certs_issue_req r = {json_string_value(json_object_get(item, "issues_cert_type")),
                                d->applicant_account,
                                d->applicant_name,
                                d->applicant_id_number,
                                d->department_id,
                                d->form,
                                d->number,
                                0};
    char id[CERTS_ID_SIZE];
    int rc = certs_issue_on_approval(app->certs, &r, d->enterprise_id != 0, id, err);
    if (rc == 0 && id[0] != '\0' && strlen(id) < APPLY_CERT_ID_SIZE)
        memcpy(cert_id_out, id, strlen(id) + 1);
    json_decref(item);
    return rc;
}

static int certs_wallet_hook(void *ctx, int64_t holder, const char *type, json_t **list,
                             struct err *err)
{
    return certs_wallet_usable(((struct app *)ctx)->store, holder, type, list, err);
}

static int certs_authorise_hook(void *ctx, int64_t holder, const char *identifier, const char *type,
                                const char *application, int64_t department_id, struct err *err)
{
    struct app *app = ctx;
    return certs_authorise_use(app->certs, holder, identifier, type, application, department_id, 1,
                               err);
}

/* Payment (src/pay): the fee order is created in the submitting transaction, and the
 * application page shows the order. */
static int pay_submitted_hook(void *ctx, const struct apply_decided *d, struct err *err)
{
    struct app *app = ctx;
    return pay_on_submitted(app->pay, d, err);
}

static json_t *pay_box_hook(void *ctx, struct web_req *req, struct web_resp *resp,
                            const struct authz_subject *subj, const char *number)
{
    struct app *app = ctx;
    return pay_application_box(app->pay, req, resp, subj, number);
}

static void pay_marks_hook(void *ctx, struct web_req *req, json_t *rows)
{
    struct app *app = ctx;
    pay_workbench_marks(app->pay, req, rows);
}

/* The same in two steps (apply's 免提交 at submission): the register's answer before the
 * write transaction, the log inside it. */
static int register_fetch_hook(void *ctx, int64_t holder, const char *resource, json_t **record,
                               struct err *err)
{
    struct app *app = ctx;
    struct arena *a = arena_new(0);
    const char *idn = NULL, *phone = NULL;
    int rc = -1;
    *record = NULL;
    if (a == NULL)
        return err_set(err, 500, "app.oom", "out of memory");
    if (identity_account_private(app->id, a, holder, &idn, &phone, err) == 0)
        rc = idn == NULL ? 1 : exchange_record_fetch(app->exchange, resource, idn, record, err);
    arena_free(a);
    return rc;
}

static int register_log_hook(void *ctx, int64_t holder, const char *resource, const char *purpose,
                             const char *case_number, const char *outcome, struct err *err)
{
    struct app *app = ctx;
    struct arena *a = arena_new(0);
    const char *idn = NULL, *phone = NULL;
    int rc = -1;
    if (a == NULL)
        return err_set(err, 500, "app.oom", "out of memory");
    if (identity_account_private(app->id, a, holder, &idn, &phone, err) == 0)
        rc = idn == NULL ? 0
                         : exchange_record_log(app->exchange, holder, resource, idn, purpose,
                                               case_number, outcome, 1, err);
    arena_free(a);
    return rc;
}

/* apply <-> exchange (issue 13 item 6): a person's record in a base register, for 免填 and
 * 免提交, read with their ID number (never typed by anyone) and logged for them to see. */
static int register_record_hook(void *ctx, int64_t holder, const char *resource,
                                const char *purpose, const char *case_number, int in_tx,
                                json_t **record, struct err *err)
{
    struct app *app = ctx;
    struct arena *a = arena_new(0);
    const char *idn = NULL, *phone = NULL;
    int rc = -1;
    if (a == NULL)
        return err_set(err, 500, "app.oom", "out of memory");
    if (identity_account_private(app->id, a, holder, &idn, &phone, err) < 0)
        goto out;
    if (idn == NULL) {
        rc = 1;
        goto out;
    }
    rc = exchange_record_for(app->exchange, holder, resource, idn, purpose, case_number, in_tx,
                             record, err);
    if (rc < 0 && strcmp(err->code, "exchange.no_record") == 0) {
        err_clear(err);
        rc = 1;
    }
out:
    arena_free(a);
    return rc;
}

/* ... and staff revealing their full ID number on one of their applications: which
 * department, who, for which application and why. */
static int data_use_reveals(void *ctx, int64_t account_id, int limit, json_t *rows, struct err *err)
{
    struct app *app = ctx;
    json_t *list = json_array();
    struct arena *a = arena_new(0);
    int rc = a == NULL ? err_set(err, 500, "app.oom", "out of memory")
                       : apply_reveals_of(app->apply, account_id, limit, list, err);
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        if (rc < 0)
            break;
        struct identity_department d;
        struct identity_account staff;
        struct err e;
        memset(&d, 0, sizeof(d));
        if (identity_department_get(
                app->id, a, json_integer_value(json_object_get(r, "department_id")), &d, &e) < 0)
            d.name_zh = d.name_bo = d.name_en = "-";
        const char *who = identity_account_summary(
                              app->id, a, json_integer_value(json_object_get(r, "staff_account")),
                              &staff, &e) == 0
                              ? staff.name
                              : "-";
        const char *purpose = json_string_value(json_object_get(r, "purpose"));
        json_array_append_new(
            rows,
            json_pack(
                "{s:O, s:s, s:{s:s, s:s, s:s}, s:s, s:O, s:s, s:s, s:s}", "at",
                json_object_get(r, "at"), "consumer", arena_printf(a, "%s · %s", d.name_zh, who),
                "consumer_names", "zh", arena_printf(a, "%s · %s", d.name_zh, who), "bo",
                arena_printf(a, "%s · %s", d.name_bo ? d.name_bo : d.name_zh, who), "en",
                arena_printf(a, "%s · %s", d.name_en ? d.name_en : d.name_zh, who), "what", "",
                "case_number", json_object_get(r, "case_number"), "purpose", purpose, "purpose_key",
                arena_printf(a, "apply.reveal.purposes.%s", purpose), "kind", "reveal"));
    }
    json_decref(list);
    arena_free(a);
    return rc;
}

/* "Who used my data" lists the certificate uses the person authorised (issue 13 item 5). */
static int data_use_certs(void *ctx, int64_t account_id, int limit, json_t *rows, struct err *err)
{
    json_t *uses = NULL;
    if (certs_uses_of_holder(((struct app *)ctx)->certs, account_id, limit, &uses, err) < 0)
        return -1;
    size_t i;
    json_t *u;
    json_array_foreach(uses, i, u)
    {
        json_array_append_new(rows,
                              json_pack("{s:O, s:O, s:O, s:O, s:O}", "at", json_object_get(u, "at"),
                                        "consumer", json_object_get(u, "department_name"), "what",
                                        json_object_get(u, "identifier"), "case_number",
                                        json_object_get(u, "application"), "purpose",
                                        json_object_get(u, "purpose")));
    }
    json_decref(uses);
    /* ... and what an agent did for them with their consent (issue 13 item 8). */
    json_t *acts = json_array();
    int rc = agent_acts_of_citizen(((struct app *)ctx)->agent, account_id, limit, acts, err);
    size_t j;
    json_t *act;
    json_array_foreach(acts, j, act)
    {
        json_object_set_new(act, "kind", json_string("agent"));
        json_t *names = rating_item_names(ctx, json_string_value(json_object_get(act, "what")));
        if (names != NULL) /* the service by name, in the page's language */
            json_object_set_new(act, "what_names", names);
        json_array_append(rows, act);
    }
    json_decref(acts);
    return rc < 0 ? -1 : data_use_reveals(ctx, account_id, limit, rows, err);
}

/* 帮办代办 with consent: apply asks agent whether a session acts for a citizen, and
 * records the act inside the submitting transaction. */
static int acting_resolve(void *ctx, struct web_req *req, const struct authz_subject *s,
                          const char *item_code, int64_t *citizen, int64_t *consent,
                          struct err *err)
{
    const struct web_session *ss = web_session(req);
    /* Citizens (a family member) and clerks of a 帮办 desk, staff with both factors only. */
    if (ss == NULL || (s->kind == IDENTITY_STAFF && s->aal < 2))
        return 0;
    struct agent_acting act;
    int rc = agent_acting(((struct app *)ctx)->agent, req->arena, ss->token_hash, s->account_id,
                          item_code, &act, web_client_ip(req), err);
    *citizen = act.citizen_id;
    *consent = act.consent_id;
    return rc;
}

static int acting_filed(void *ctx, int64_t consent, int64_t agent, const char *item_code,
                        const char *number, struct err *err)
{
    return agent_act_record(((struct app *)ctx)->agent, consent, agent, "apply.file_for", item_code,
                            number, err);
}

/* ... and src/oidc whether a login at a department system is an agent's for a citizen. */
static int acting_oidc(void *ctx, struct web_req *req, int64_t account, int64_t *citizen,
                       struct err *err)
{
    const struct web_session *ss = web_session(req);
    struct agent_acting act;
    if (ss == NULL)
        return 0;
    int rc = agent_acting(((struct app *)ctx)->agent, req->arena, ss->token_hash, account, NULL,
                          &act, web_client_ip(req), err);
    *citizen = act.citizen_id;
    return rc;
}

static int agent_item_known(void *ctx, const char *code)
{
    json_t *item = NULL;
    struct err e;
    int ok = catalog_item_published(((struct app *)ctx)->store, code, &item, &e) == 0;
    json_decref(item);
    return ok;
}

/* The hotline indexes its orders in search and tells callers through notify (contracts
 * §6, §3 in docs/ARCHITECTURE.md): adapters, so that the hotline module does not depend on their
 * headers. */
static int hotline_index(void *ctx, const struct hotline_doc *d, struct err *err)
{
    struct app *app = ctx;
    struct search_doc sd = {
        d->kind,          d->id,  d->lang,          d->title,      d->body, d->dept_id,
        d->division_code, d->tag, d->updated_at_ms, d->visibility, NULL,    NULL};
    return search_put(app->search, &sd, err);
}

/* Orders are indexed after commit (docs/internals/search.md, "Indexing after commit"): the
 * intake queues them, search's job builds each document from the order as committed. */
static int hotline_index_later(void *ctx, const char *kind, int64_t id, struct err *err)
{
    return search_enqueue(((struct app *)ctx)->search, kind, id, err);
}

static void hotline_indexed(void *ctx)
{
    search_kick(((struct app *)ctx)->search);
}

static int hotline_order_loader(void *ctx, struct arena *a, const char *kind, int64_t id,
                                struct search_doc *sd, struct err *err)
{
    (void)kind;
    struct hotline_doc d;
    int found = hotline_order_doc(((struct app *)ctx)->hotline, a, id, &d, err);
    if (found == 1) {
        struct search_doc x = {
            d.kind,          d.id,  d.lang,          d.title,      d.body, d.dept_id,
            d.division_code, d.tag, d.updated_at_ms, d.visibility, NULL,   NULL};
        *sd = x;
    }
    return found;
}

/* The dashboard's 12345 figures (oversight reads no hotline table). */
static int oversight_hotline_figures(void *ctx, int64_t lo, int64_t hi, int from, int to,
                                     json_t **out, struct err *err)
{
    return hotline_kpi(((struct app *)ctx)->hotline, lo, hi, from, to, out, err);
}

static int hotline_notify(void *ctx, int64_t account_id, const char *phone, const char *lang,
                          const char *kind, const json_t *params, const char *link, struct err *err)
{
    struct app *app = ctx;
    struct notify_msg m = {account_id, phone, lang, kind, params, link, 0};
    return notify_send(app->notify, &m, err);
}

static int hotline_search(void *ctx, const char *kind, const char *q, int include_staff, int limit,
                          json_t **result, struct err *err)
{
    struct app *app = ctx;
    struct search_query sq = {kind, q, NULL, 0, 0, NULL, include_staff, limit, 0, NULL};
    return search_run(app->search, &sq, result, err);
}

/* The catalog's items and bundles in search (contract §6): adapters, so that neither
 * module includes the other's header. Documents are public, linked by their code. */
static int catalog_index_put(void *ctx, const struct catalog_doc *d, struct err *err)
{
    struct app *app = ctx;
    struct search_doc sd = {.kind = d->kind,
                            .lang = "zh",
                            .title = d->title,
                            .body = d->text,
                            .updated_at_ms = d->updated_at_ms,
                            .visibility = SEARCH_PUBLIC,
                            .ref = d->code,
                            .titles = d->titles};
    return search_put(app->search, &sd, err);
}

static int catalog_index_remove(void *ctx, const char *kind, const char *code, struct err *err)
{
    return search_delete_ref(((struct app *)ctx)->search, kind, code, err);
}

static int catalog_index_clear(void *ctx, const char *kind, struct err *err)
{
    return search_delete_kind(((struct app *)ctx)->search, kind, NULL, err);
}

static int catalog_index_find(void *ctx, const char *kind, const char *q, int limit, json_t **codes,
                              struct err *err)
{
    struct search_query sq = {.kind = kind, .q = q, .limit = limit};
    json_t *r = NULL;
    if (search_run(((struct app *)ctx)->search, &sq, &r, err) < 0)
        return -1;
    json_t *out = json_array();
    size_t i;
    json_t *h;
    json_array_foreach(json_object_get(r, "hits"), i, h)
    {
        json_t *ref = json_object_get(h, "ref");
        if (json_is_string(ref))
            json_array_append(out, ref);
    }
    json_decref(r);
    *codes = out;
    return 0;
}

/* The home page shows a logged-in person's latest applications and messages (contract
 * §7) through these adapters, so that the portal includes neither module's header. */
static int portal_applications(void *ctx, int64_t account_id, int aal, const char *lang, int limit,
                               json_t **out, struct err *err)
{
    struct app *app = ctx;
    struct authz_subject subj;
    if (identity_subject_load(app->id, account_id, aal, &subj, err) < 0)
        return -1;
    return apply_list_mine(app->apply, &subj, lang, limit, out, err);
}

static int portal_messages(void *ctx, int64_t account_id, int aal, const char *lang, int limit,
                           json_t **out, int64_t *unread, struct err *err)
{
    struct app *app = ctx;
    struct notify_reader r = {.account_id = account_id};
    struct authz_subject subj;
    /* The same reader as /messages: staff with two factors also read their departments'. */
    if (identity_subject_load(app->id, account_id, aal, &subj, err) < 0)
        return -1;
    if (subj.kind == IDENTITY_STAFF && subj.aal >= 2)
        for (size_t i = 0; i < subj.ngrants && r.ndepts < 32; i++)
            r.depts[r.ndepts++] = subj.grants[i].department_id;
    struct arena *a = arena_new(0);
    struct notify_item *items = NULL;
    size_t n = 0;
    int rc = -1;
    if (a == NULL)
        return err_set(err, 500, "app.oom", "out of memory");
    if (notify_inbox(app->notify, a, &r, lang, 0, limit, &items, &n, err) < 0 ||
        notify_unread(app->notify, &r, unread, err) < 0)
        goto out;
    *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(*out, json_pack("{s:s, s:s?, s:I, s:b}", "text", items[i].text,
                                              "link", items[i].link, "created_at",
                                              (json_int_t)items[i].created_at, "unread",
                                              items[i].read_at == 0));
    rc = 0;
out:
    arena_free(a);
    return rc;
}

/* apply -> oversight: every transition folds into oversight's aggregates and open-case
 * index inside the transition's transaction (issue 15; no header of either in the other). */
static int oversight_event_hook(void *ctx, struct store_conn *c, const struct apply_event *e,
                                struct err *err)
{
    (void)ctx;
    struct oversight_event oe = {e->application_id, e->number,     e->item_code,  e->department_id,
                                 e->division_code,  e->action,     e->from_state, e->to_state,
                                 e->on_behalf,      e->limit_days, e->used_days,  e->due_at,
                                 e->submitted_at,   e->at};
    return oversight_record(c, &oe, err);
}

/* review -> oversight: each rating (and answered bad rating) folds into the day's
 * satisfaction figures, in the rating's transaction; the department gives the division. */
static int oversight_rating_hook(void *ctx, struct store_conn *c, int64_t department_id,
                                 const char *item_code, int level, int64_t at, struct err *err)
{
    struct app *app = ctx;
    struct arena *a = arena_new(0);
    struct identity_department d;
    if (a == NULL)
        return err_set(err, 500, "oversight.oom", "out of memory");
    int rc = identity_department_get(app->id, a, department_id, &d, err);
    if (rc == 0) {
        struct oversight_rating r = {department_id, d.division_code, item_code, level, at};
        rc = oversight_record_rating(c, &r, err);
    }
    arena_free(a);
    return rc;
}

/* remind <- apply, review, certs (module contract §8): the applications and certificates a
 * reminder is about, so that remind reads none of their tables. */
struct remind_pass {
    struct app *app;
    remind_item_fn fn;
    void *ctx;
};

static int remind_of_brief(void *ctx, const struct apply_brief *b)
{
    struct remind_pass *p = ctx;
    struct remind_item it = {b->id, b->account, b->at, b->number, b->item_name, b->lang};
    return p->fn(p->ctx, &it);
}

static int remind_of_unrated(void *ctx, const struct apply_brief *b)
{
    struct remind_pass *p = ctx;
    int rated = 0;
    struct err e;
    if (review_is_rated(p->app->review, b->id, &rated, &e) < 0)
        return -1;
    return rated ? 0 : remind_of_brief(ctx, b);
}

static int remind_of_cert(void *ctx, const struct certs_brief *b)
{
    struct remind_pass *p = ctx;
    struct remind_item it = {b->id, b->holder, b->valid_until, "", b->type_code, "zh"};
    return p->fn(p->ctx, &it);
}

static int remind_returned(void *ctx, remind_item_fn fn, void *fctx, struct err *err)
{
    struct remind_pass p = {ctx, fn, fctx};
    return apply_each_returned(p.app->apply, remind_of_brief, &p, err);
}

static int remind_unrated(void *ctx, int64_t since, remind_item_fn fn, void *fctx, struct err *err)
{
    struct remind_pass p = {ctx, fn, fctx};
    return apply_each_decided_since(p.app->apply, since, remind_of_unrated, &p, err);
}

static int remind_expiring(void *ctx, int64_t now, int64_t until, remind_item_fn fn, void *fctx,
                           struct err *err)
{
    struct remind_pass p = {ctx, fn, fctx};
    return certs_each_expiring(p.app->store, now, until, remind_of_cert, &p, err);
}

struct remind_sources app_remind_sources(struct app *app)
{
    return (struct remind_sources){app, remind_returned, remind_unrated, remind_expiring};
}

/* identity asks the base registers through the exchange (issue 13 item 7). */
static int registers_person(void *ctx, const char *name, const char *id_number, struct err *err)
{
    return exchange_check_person(((struct app *)ctx)->exchange, name, id_number, err);
}

static int registers_legal_rep(void *ctx, const char *uscc, const char *id_number, struct err *err)
{
    return exchange_check_legal_rep(((struct app *)ctx)->exchange, uscc, id_number, err);
}

int app_open(const struct config *cfg, struct app *app, int may_create_keys, struct err *err)
{
    memset(app, 0, sizeof(*app));
    app->cfg = cfg;
    if (ensure_data_dir(cfg->data, err) < 0)
        return -1;
    struct store_options opt = {.busy_timeout_ms = 5000,
                                .sync_normal = strcmp(cfg->sync, "normal") == 0,
                                .group_commit = strcmp(cfg->sync, "group") == 0};
    if (store_open(cfg->db, &opt, &app->store, err) < 0) {
        if (strcmp(err->code, "store.bad_url") == 0)
            err->usage = 1; /* a usage error, like any other bad option value */
        return -1;
    }
    char keyfile[CONFIG_STR + 32];
    struct stat st;
    snprintf(keyfile, sizeof(keyfile), "%s/keys/master.key", cfg->data);
    if (!may_create_keys && stat(keyfile, &st) != 0) {
        err_set(err, 500, "app.not_initialised",
                "the data directory %s is not initialised (it has no keys/master.key): "
                "run `onewindow init` first, or restore the key file from its backup",
                cfg->data);
        goto fail;
    }
    if (crypto_keyring_open(cfg->data, &app->kr, err) < 0)
        goto fail;
    struct identity_options io = {.fast_passwords = cfg->password_profile_test};
    if (identity_open(app->store, app->kr, &io, &app->id, err) < 0 ||
        notify_open(app->store, app->kr, &app->notify, err) < 0 ||
        review_open(app->store, app->notify, app->id, &app->review, err) < 0 ||
        apply_open(app->store, app->kr, app->id, app->notify, &app->apply, err) < 0)
        goto fail;
    struct notify_config nc = {cfg->smtp_url, cfg->mail_from, cfg->sms_url, cfg->receipt_secret,
                               cfg->smtp_ca};
    if (notify_configure(app->notify, &nc, err) < 0) {
        app_close(app); /* a bad --smtp-url or --mail-from stays a usage error */
        return -1;
    }
    if (notices_open(app->store, app->notify, app->id, &app->notices, err) < 0 ||
        benefits_open(app->store, app->notify, app->id, &app->benefits, err) < 0)
        goto fail;
    struct review_target_fn target = {app, rating_target, rating_item_names};
    review_set_target(app->review, &target);
    if (search_open(app->store, &app->search, err) < 0 ||
        catalog_open(app->store, app->id, &app->catalog, err) < 0 ||
        certs_open(app->store, app->kr, app->id, &app->certs, err) < 0 ||
        calendar_cache_open(app->store, &app->calendar, err) < 0 ||
        portal_open(app->store, &app->portal, err) < 0 ||
        pay_open(app->store, app->kr, app->id, app->notify, app->certs, &app->pay, err) < 0 ||
        exchange_open(app->store, app->kr, &app->exchange, err) < 0)
        goto fail;
    struct identity_registers regs = {app, registers_person, registers_legal_rep};
    identity_set_registers(app->id, &regs);
    struct exchange_other_uses other = {app, data_use_certs};
    exchange_set_other_uses(app->exchange, &other);
    struct apply_hooks hooks = {app,
                                certs_on_approved,
                                certs_wallet_hook,
                                certs_authorise_hook,
                                pay_submitted_hook,
                                pay_box_hook,
                                pay_marks_hook,
                                register_record_hook,
                                register_fetch_hook,
                                register_log_hook};
    apply_set_hooks(app->apply, &hooks);
    if (agent_open(app->store, app->id, &app->agent, err) < 0)
        goto fail;
    agent_set_item_check(app->agent, agent_item_known, app);
    struct apply_acting_hooks acting = {app, acting_resolve, acting_filed};
    apply_set_acting(app->apply, &acting);
    if (oversight_open(app->store, app->id, app->notify, app->kr, &app->oversight, err) < 0)
        goto fail;
    apply_on_event(app->apply, oversight_event_hook, app);
    review_on_count(app->review, oversight_rating_hook, app);
    oversight_set_hotline(app->oversight, oversight_hotline_figures, app);
    if (hotline_open(app->store, app->kr, app->id, &app->hotline, err) < 0 ||
        search_register_kind(app->search, "order", "hotline.kind.order", NULL, err) < 0 ||
        search_register_kind(app->search, "kb", "hotline.kind.kb", "/hotline/kb/", err) < 0)
        goto fail;
    struct hotline_hooks hh = {app, hotline_index, hotline_notify, hotline_search, NULL, NULL};
    hotline_set_hooks(app->hotline, &hh);
    if (open311_open(app->hotline, app->id, &app->open311, err) < 0)
        goto fail;
    struct catalog_indexer ix = {app, catalog_index_put, catalog_index_remove, catalog_index_clear,
                                 catalog_index_find};
    if (search_register_kind(app->search, CATALOG_KIND_ITEM, "catalog.kind.item", "/services/",
                             err) < 0 ||
        search_register_kind(app->search, CATALOG_KIND_BUNDLE, "catalog.kind.bundle",
                             "/services/bundles/", err) < 0)
        goto fail;
    catalog_set_indexer(app->catalog, &ix);
    if (opendata_open(app->store, app->id, &app->opendata, err) < 0)
        goto fail;
    opendata_set_sources(app->opendata, app->review, app->hotline, app->apply);
    if (policy_open(app->store, app->search, &app->policy, err) < 0)
        goto fail;
    return 0;
fail:
    err->usage = 0; /* failing to open is a runtime failure (exit 1) */
    app_close(app);
    return -1;
}

void app_close(struct app *app)
{
    search_job_stop(app->search); /* its loaders use the modules closed below */
    portal_close(app->portal);
    open311_close(app->open311);
    calendar_cache_close(app->calendar);
    certs_close(app->certs);
    catalog_close(app->catalog);
    opendata_close(app->opendata);
    policy_close(app->policy);
    hotline_close(app->hotline);
    oversight_close(app->oversight);
    exchange_close(app->exchange);
    agent_close(app->agent);
    review_close(app->review);
    pay_close(app->pay);
    apply_close(app->apply);
    benefits_close(app->benefits);
    notices_close(app->notices);
    notify_close(app->notify);
    oidc_close(app->oidc);
    search_close(app->search);
    identity_close(app->id);
    crypto_keyring_close(app->kr);
    store_close(app->store);
    memset(app, 0, sizeof(*app));
}

int app_register_routes(struct web_server *srv, struct app *app, struct err *err)
{
    if (app->oidc != NULL) {
        struct oidc_acting oa = {app, acting_oidc};
        oidc_set_acting(app->oidc, &oa);
    }
    struct portal_hooks ph = {app, NULL, portal_applications, portal_messages};
    portal_set_hooks(app->portal, &ph);
    if (portal_http_register(srv, app->portal) < 0 ||
        divisions_http_register(srv, app->store) < 0 ||
        calendar_http_register(srv, app->calendar) < 0 ||
        identity_http_register(srv, app->id) < 0 || catalog_http_register(srv, app->catalog) < 0 ||
        (app->oidc != NULL && oidc_http_register(srv, app->oidc, app->id) < 0) ||
        hotline_http_register(srv, app->hotline) < 0 ||
        open311_http_register(srv, app->open311) < 0 ||
        notify_http_register(srv, app->notify, app->id) < 0 ||
        review_http_register(srv, app->review, app->id) < 0 ||
        notices_http_register(srv, app->notices) < 0 ||
        benefits_http_register(srv, app->benefits) < 0 ||
        apply_http_register(srv, app->apply) < 0 || seals_http_register(srv, app->store) < 0 ||
        certs_http_register(srv, app->certs) < 0 || pay_http_register(srv, app->pay) < 0 ||
        search_http_register(srv, app->search) < 0 ||
        opendata_http_register(srv, app->opendata, app->id, app->cfg->public_url) < 0 ||
        policy_http_register(srv, app->policy, app->id) < 0 ||
        oversight_http_register(srv, app->oversight) < 0 ||
        exchange_http_register(srv, app->exchange, app->oidc, app->id) < 0 ||
        agent_http_register(srv, app->agent) < 0 ||
        translate_http_register(srv, app->id, app->store, err) < 0)
        return err_set(err, 500, "app.routes", "a module failed to register its routes");
    /* The account menu in every page's header, in this order; each staff entry shows to
     * those who may do its action somewhere (identity_menu_add). */
    static const struct {
        const char *href, *label, *action;
    } menu[] = {
        {"/applications", "menu.applications", NULL},
        {"/certificates", "menu.certificates", NULL},
        {"/account/data-use", "menu.data_use", NULL},
        {"/account/agents", "menu.agents", NULL},
        {"/workbench", "menu.workbench", "case.view"},
        {"/account/agents", "menu.agents", "case.file_for"}, /* the 帮办 desk's clerks */
        {"/workbench/rectifications", "menu.rectifications", "review.respond"},
        {"/finance/payments", "menu.finance_payments", "pay.finance"},
        {"/workbench/supervision", "menu.supervision", "oversight.answer"},
        {"/oversight", "menu.oversight", "oversight.view"},
        {"/dashboard", "menu.dashboard", "oversight.view"},
        {"/admin/roles", "menu.roles", "identity.role_admin"},
        {"/hotline", "menu.hotline_desk", "hotline.desk"},
        {"/hotline/department", "menu.hotline_department", "hotline.department"},
        {"/hotline/dashboard", "menu.hotline_dashboard", "hotline.supervise"},
        {"/admin", "menu.admin", "identity.department_admin"},
        {"/admin/catalog", "menu.catalog_admin", "catalog.admin"},
        {"/data/admin", "menu.opendata_admin", "opendata.publish"},
        {"/admin/policies", "menu.policy_admin", "catalog.admin"},
        {"/admin/audit", "menu.audit", "audit.read"},
        {"/admin/i18n", "menu.i18n", "i18n.coverage"},
        {"/admin/clients", "menu.clients", "oidc.client_admin"},
        {"/exchange/reads", "menu.exchange_reads", "audit.read"},
        {"/exchange/grants", "menu.exchange_grants", "exchange.grant"},
        {"/hotline/admin", "menu.hotline_admin", "hotline.admin"},
        {"/open311/admin", "menu.open311", "hotline.admin"},
        {"/admin/outbox", "menu.outbox", "notify.operate"},
    };
    for (size_t i = 0; i < sizeof(menu) / sizeof(menu[0]); i++)
        if (identity_menu_add(app->id, menu[i].href, menu[i].label, menu[i].action) < 0)
            return err_set(err, 500, "app.routes", "the account menu is full");
    /* A catalog published before it was searchable (or under an older document format)
     * is indexed once; a failure only leaves search without it, so the server still starts. */
    int rebuilt = 0;
    struct err ie;
    err_clear(&ie);
    if (catalog_index_ensure(app->catalog, &rebuilt, &ie) < 0)
        log_kv(LOG_WARN, "the catalog could not be indexed for search", "code", ie.code, "detail",
               ie.msg, LOG_END);
    else if (rebuilt > 0) {
        char n[16];
        snprintf(n, sizeof(n), "%d", rebuilt);
        log_kv(LOG_INFO, "the catalog was indexed for search", "documents", n, LOG_END);
    }
    /* The service guides' sections as Q&A passages, from the catalog as published now. */
    int guides = 0;
    err_clear(&ie);
    if (policy_index_guides(app->policy, &guides, &ie) < 0)
        log_kv(LOG_WARN, "the service guides could not be indexed for Q&A", "code", ie.code,
               "detail", ie.msg, LOG_END);
    /* Search indexes the hotline's orders after commit, from a queue drained now (what a
     * crash left), after each write and every second. Commands without the server index
     * inside their transaction (no job would drain the queue). */
    struct hotline_hooks hh = {
        app, hotline_index, hotline_notify, hotline_search, hotline_index_later, hotline_indexed};
    if (search_set_loader(app->search, "order", hotline_order_loader, app, err) < 0 ||
        search_job_start(app->search, 1000, app->cfg ? app->cfg->search_delay_ms : 0, err) < 0)
        return -1;
    hotline_set_hooks(app->hotline, &hh);
    /* The hotline's classifier (trained now, retrained hourly) and deadline job. */
    if (hotline_jobs_start(app->hotline, 60, 3600, err) < 0)
        return -1;
    /* The platform's open datasets: rebuilt hourly (at start too when the last is older). */
    if (opendata_jobs_start(app->opendata, 3600, err) < 0)
        return -1;
    /* Supervision notes escalate hourly; departments get their digest once a day. */
    if (oversight_jobs_start(app->oversight, 3600, err) < 0)
        return -1;
    return 0;
}

/* The first administrator (identity_bootstrap_admin): its one-time password is shown once. */
static int first_admin(struct app *app, struct err *err)
{
    char pw[IDENTITY_BOOTSTRAP_PW_SIZE];
    int created = identity_bootstrap_admin(app->id, pw, err);
    if (created == 1)
        printf("first administrator: username admin, one-time password %s "
               "(set up an authenticator app at first login)\n",
               pw);
    crypto_wipe(pw, sizeof(pw));
    return created < 0 ? -1 : 0;
}

int app_init(struct app *app, struct err *err)
{
    int applied = 0, calendar_days = 0;
    struct divisions_load_counts div;
    if (store_migrate(app->store, &applied, err) < 0 ||
        audit_chain_backfill(app->store, NULL, err) < 0 ||
        divisions_reference_load(app->store, &div, err) < 0 ||
        calendar_load_reference(app->store, &calendar_days, err) < 0 ||
        exchange_resources_ensure(app->store, NULL, err) < 0 || first_admin(app, err) < 0)
        return -1;
    int created = oidc_keys_ensure(app->store, app->kr, err);
    if (created < 0)
        return -1;
    int root = seals_root_ensure(app->store, app->kr, err);
    if (root < 0)
        return -1;
    if (root)
        printf("trust root: an SM2 root key and certificate were created (GET /trust/root.pem)\n");
    if (created)
        printf("OpenID Connect: a signing key was created\n");
    printf("database %s: %d migration(s) applied, schema version %lld; "
           "reference data: %d new division(s), %d Tibetan division name(s) filled or "
           "corrected, %d new calendar day(s)\n",
           store_url_redacted(app->store), applied, (long long)store_latest_migration(),
           div.inserted, div.names, calendar_days);
    return 0;
}
