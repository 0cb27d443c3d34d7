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
#include "notify/notify.h"
#include "review/review.h"
#include "oidc/oidc.h"
#include "open311/open311.h"
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
        return err_set(err, 1, "config.bad_data_dir", "the data path %s is not a directory", dir);
    }
    return err_set(err, 1, "config.bad_data_dir", "cannot create the data directory %s: %s", dir,
                   strerror(errno));
}

/* review learns who applied, who decided and whether it is decided from apply (contracts §4),
 * so that neither module includes the other's header. */
static int rating_target(void *ctx, int64_t application_id, int64_t *applicant_account,
                         int64_t *department_id, char item_code[48], int *decided,
                         struct err *err)
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

/* apply <-> certs (contracts §2 and §5): approval issues the item's certificate type, the
 * application form offers the holder's certificates, and submitting authorises their use.
 * Each runs inside apply's transaction (certs joins it: in_tx = 1). */
static int certs_on_approved(void *ctx, const struct apply_decided *d, char *cert_id_out,
                             struct err *err)
{
    struct app *app = ctx;
    json_t *item = NULL;
    if (d->enterprise_id != 0 || d->applicant_id_number == NULL || d->applicant_name == NULL)
        return 0; /* certificates here are issued to persons */
    if (catalog_item_version(app->store, d->item_code, d->item_version, &item, err) < 0)
        return -1;
    const char *type = json_string_value(json_object_get(item, "issues_cert_type"));
    json_t *known = NULL;
    struct err e2;
    err_clear(&e2);
    int rc = 0;
    /* A type this platform does not issue yet, or a department without a certificate seal:
     * the decision stands without a certificate (logged), rather than blocking the case. */
    if (type == NULL || certs_type_get(app->store, type, &known, &e2) < 0) {
        json_decref(item);
        return 0;
    }
    json_decref(known);
    struct certs_issue_req r = {type,    d->applicant_account, d->applicant_name,
                                d->applicant_id_number, d->department_id, d->form,
                                d->number, 0};
    char id[CERTS_ID_SIZE];
    rc = certs_issue(app->store, app->kr, &r, 1, id, err);
    if (rc < 0 && strcmp(err->code, "seals.no_seal") == 0) {
        log_kv(LOG_WARN, "approved without a certificate: the department has no certificate seal",
               "number", d->number, "type", type, LOG_END);
        err_clear(err);
        rc = 0;
        id[0] = '\0';
    }
    if (rc == 0 && id[0] != '\0' && strlen(id) < APPLY_CERT_ID_SIZE)
        memcpy(cert_id_out, id, strlen(id) + 1);
    json_decref(item);
    return rc;
}

static int certs_wallet_hook(void *ctx, int64_t holder, const char *type, json_t **list,
                             struct err *err)
{
    struct app *app = ctx;
    json_t *all = NULL;
    if (certs_wallet(app->store, holder, type, &all, err) < 0)
        return -1;
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(all, i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "status")), "valid") != 0)
            continue;
        json_t *n = json_object_get(c, "name"); /* {zh, bo, en}: the form picks the reader's */
        json_array_append_new(
            out, json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(c, "id"),
                           "identifier", json_object_get(c, "identifier"), "name", n,
                           "issued_at", json_object_get(c, "issued_at"), "valid_until",
                           json_object_get(c, "valid_until"), "status",
                           json_object_get(c, "status")));
    }
    json_decref(all);
    *list = out;
    return 0;
}

static int certs_authorise_hook(void *ctx, int64_t holder, const char *identifier,
                                const char *type, const char *application, int64_t department_id,
                                struct err *err)
{
    struct app *app = ctx;
    return certs_authorise_use(app->store, holder, identifier, type, application, department_id,
                               1, err);
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

/* "Who used my data" lists the certificate uses the person authorised (issue 13 item 5). */
static int data_use_certs(void *ctx, int64_t account_id, int limit, json_t *rows, struct err *err)
{
    json_t *uses = NULL;
    if (certs_uses_of_holder(((struct app *)ctx)->store, account_id, limit, &uses, err) < 0)
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
    return 0;
}

/* The hotline indexes its orders in search and tells callers through notify (contracts
 * §6, §3): adapters, so that the hotline module does not depend on their headers. */
static int hotline_index(void *ctx, const struct hotline_doc *d, struct err *err)
{
    struct app *app = ctx;
    struct search_doc sd = {d->kind,  d->id,      d->lang,          d->title,     d->body,
                            d->dept_id, d->division_code, d->tag, d->updated_at_ms,
                            d->visibility, NULL, NULL};
    return search_put(app->search, &sd, err);
}

static int hotline_notify(void *ctx, int64_t account_id, const char *phone, const char *lang,
                          const char *kind, const json_t *params, const char *link,
                          struct err *err)
{
    struct app *app = ctx;
    struct notify_msg m = {account_id, phone, lang, kind, params, link, 0};
    return notify_send(app->notify, &m, err);
}

static int hotline_search(void *ctx, const char *kind, const char *q, int include_staff,
                          int limit, json_t **result, struct err *err)
{
    struct app *app = ctx;
    struct search_query sq = {kind, q, NULL, 0, 0, NULL, include_staff, limit, 0, NULL};
    return search_run(app->search, &sq, result, err);
}

/* The catalog's items and bundles in search (issue 10 item 5): adapters, so that neither
 * module includes the other's header. Documents are public, linked by their code. */
static int catalog_index_put(void *ctx, const struct catalog_doc *d, struct err *err)
{
    struct app *app = ctx;
    struct search_doc sd = {.kind = d->kind, .lang = "zh", .title = d->title, .body = d->text,
                            .updated_at_ms = d->updated_at_ms, .visibility = SEARCH_PUBLIC,
                            .ref = d->code, .titles = d->titles};
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

static int catalog_index_find(void *ctx, const char *kind, const char *q, int limit,
                              json_t **codes, struct err *err)
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

/* The home page shows a logged-in person's latest applications and messages (issue 10
 * item 11) through these adapters, so that the portal includes neither module's header. */
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
            err->status = 2; /* a usage error, like any other bad option value */
        return -1;
    }
    char keyfile[CONFIG_STR + 32];
    struct stat st;
    snprintf(keyfile, sizeof(keyfile), "%s/keys/master.key", cfg->data);
    if (!may_create_keys && stat(keyfile, &st) != 0) {
        err_set(err, 1, "app.not_initialised",
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
    struct review_target_fn target = {app, rating_target, rating_item_names};
    review_set_target(app->review, &target);
    if (search_open(app->store, &app->search, err) < 0 ||
        exchange_open(app->store, app->kr, &app->exchange, err) < 0)
        goto fail;
    struct identity_registers regs = {app, registers_person, registers_legal_rep};
    identity_set_registers(app->id, &regs);
    struct exchange_other_uses other = {app, data_use_certs};
    exchange_set_other_uses(app->exchange, &other);
    struct apply_hooks hooks = {app, certs_on_approved, certs_wallet_hook, certs_authorise_hook,
                                register_record_hook};
    apply_set_hooks(app->apply, &hooks);
    if (hotline_open(app->store, app->kr, app->id, &app->hotline, err) < 0 ||
        search_register_kind(app->search, "order", "hotline.kind.order", NULL, err) < 0 ||
        search_register_kind(app->search, "kb", "hotline.kind.kb", "/hotline/kb/", err) < 0)
        goto fail;
    struct hotline_hooks hh = {app, hotline_index, hotline_notify, hotline_search};
    hotline_set_hooks(app->hotline, &hh);
    struct catalog_indexer ix = {app, catalog_index_put, catalog_index_remove,
                                 catalog_index_clear, catalog_index_find};
    if (search_register_kind(app->search, CATALOG_KIND_ITEM, "catalog.kind.item", "/services/",
                             err) < 0 ||
        search_register_kind(app->search, CATALOG_KIND_BUNDLE, "catalog.kind.bundle",
                             "/services/bundles/", err) < 0)
        goto fail;
    catalog_set_indexer(&ix);
    return 0;
fail:
    err->status = 1;
    app_close(app);
    return -1;
}

void app_close(struct app *app)
{
    catalog_set_indexer(NULL);
    hotline_close(app->hotline);
    exchange_close(app->exchange);
    review_close(app->review);
    apply_close(app->apply);
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
    struct portal_hooks ph = {app, NULL, portal_applications, portal_messages};
    portal_set_hooks(&ph);
    if (portal_http_register(srv, app->store) < 0 || divisions_http_register(srv, app->store) < 0 ||
        calendar_http_register(srv, app->store) < 0 || identity_http_register(srv, app->id) < 0 ||
        catalog_http_register(srv, app->store, app->id) < 0 ||
        (app->oidc != NULL && oidc_http_register(srv, app->oidc, app->id) < 0) ||
        hotline_http_register(srv, app->hotline) < 0 ||
        open311_http_register(srv, app->hotline, app->id) < 0 ||
        notify_http_register(srv, app->notify, app->id) < 0 ||
        review_http_register(srv, app->review, app->id) < 0 ||
        apply_http_register(srv, app->apply) < 0 || seals_http_register(srv, app->store) < 0 ||
        certs_http_register(srv, app->store, app->kr, app->id) < 0 ||
        search_http_register(srv, app->search) < 0 ||
        exchange_http_register(srv, app->exchange, app->oidc, app->id) < 0 ||
        translate_http_register(srv, app->id, app->store, err) < 0)
        return err_set(err, 1, "app.routes", "a module failed to register its routes");
    /* The account menu in every page's header, in this order; each staff entry shows to
     * those who may do its action somewhere (identity_menu_add). */
    static const struct {
        const char *href, *label, *action;
    } menu[] = {
        {"/applications", "menu.applications", NULL},
        {"/certificates", "menu.certificates", NULL},
        {"/account/data-use", "menu.data_use", NULL},
        {"/workbench", "menu.workbench", "case.view"},
        {"/workbench/rectifications", "menu.rectifications", "review.respond"},
        {"/hotline", "menu.hotline_desk", "hotline.desk"},
        {"/hotline/department", "menu.hotline_department", "hotline.department"},
        {"/hotline/dashboard", "menu.hotline_dashboard", "hotline.supervise"},
        {"/admin", "menu.admin", "identity.department_admin"},
        {"/admin/catalog", "menu.catalog_admin", "catalog.admin"},
        {"/admin/i18n", "menu.i18n", "i18n.coverage"},
        {"/admin/clients", "menu.clients", "oidc.client_admin"},
        {"/exchange/reads", "menu.exchange_reads", "audit.read"},
        {"/exchange/grants", "menu.exchange_grants", "exchange.grant"},
        {"/hotline/admin", "menu.hotline_admin", "hotline.admin"},
        {"/open311/admin", "menu.open311", "hotline.admin"},
    };
    for (size_t i = 0; i < sizeof(menu) / sizeof(menu[0]); i++)
        if (identity_menu_add(app->id, menu[i].href, menu[i].label, menu[i].action) < 0)
            return err_set(err, 1, "app.routes", "the account menu is full");
    /* A catalog published before it was searchable (or under an older document format)
     * is indexed once; a failure only leaves search without it, so the server still starts. */
    int rebuilt = 0;
    struct err ie;
    err_clear(&ie);
    if (catalog_index_ensure(app->store, &rebuilt, &ie) < 0)
        log_kv(LOG_WARN, "the catalog could not be indexed for search", "code", ie.code,
               "detail", ie.msg, LOG_END);
    else if (rebuilt > 0) {
        char n[16];
        snprintf(n, sizeof(n), "%d", rebuilt);
        log_kv(LOG_INFO, "the catalog was indexed for search", "documents", n, LOG_END);
    }
    /* The hotline's classifier (trained now, retrained hourly) and deadline job. */
    if (hotline_jobs_start(app->hotline, 60, 3600, err) < 0)
        return -1;
    return 0;
}

/* A random password of 19 characters (about 110 bits) that meets the staff policy:
 * an upper-case letter, a lower-case letter and a digit first, then base64url. */
static int random_password(char out[20])
{
    unsigned char raw[15];
    int rc =
        crypto_random(raw, sizeof(raw)) < 0 || crypto_b64url_encode(raw + 3, 12, out + 3, 17) < 0;
    out[0] = (char)('A' + raw[0] % 26);
    out[1] = (char)('a' + raw[1] % 26);
    out[2] = (char)('2' + raw[2] % 8);
    crypto_wipe(raw, sizeof(raw));
    return rc ? -1 : 0;
}

/* The platform's own department at the region and its first administrator, created
 * once; the administrator must set up TOTP at first login (staff must). */
static int first_admin(struct app *app, struct err *err)
{
    int64_t admin_id, dept_id = 0;
    struct err e;
    err_clear(&e);
    if (identity_account_find_username(app->id, "admin", &admin_id, &e) == 0)
        return 0;
    if (strcmp(e.code, "identity.not_found") != 0) {
        *err = e;
        return -1;
    }
    struct arena *a = arena_new(0);
    struct identity_department d;
    char pw[20];
    int rc = -1;
    if (a == NULL) {
        err_set(err, 1, "app.oom", "out of memory");
        goto out;
    }
    if (identity_department_find(app->id, a, "platform", &d, &e) == 0) {
        dept_id = d.id;
    } else if (identity_department_create(
                   app->id, 0, NULL, "platform", "一体化在线政务服务平台管理",
                   "དྲ་ཐོག་གཞུང་དོན་ཞབས་ཞུའི་སྟེགས་བུའི་དོ་དམ།", "Platform administration", DIVISIONS_ROOT,
                   &dept_id, err) < 0) {
        goto out;
    }
    if (random_password(pw) < 0) {
        err_set(err, 1, "app.random", "no randomness available");
        goto out;
    }
    if (identity_staff_create(app->id, 0, NULL, "admin", "平台管理员", pw, &admin_id, err) < 0 ||
        identity_grant(app->id, 0, NULL, admin_id, dept_id, ROLE_ADMIN, err) < 0)
        goto out;
    printf("first administrator: username admin, one-time password %s "
           "(set up an authenticator app at first login)\n",
           pw);
    rc = 0;
out:
    crypto_wipe(pw, sizeof(pw));
    arena_free(a);
    return rc;
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
