/*
 * translate_http.c - the administrators' view of the translations:
 *   GET /admin/i18n          coverage per module and language (strings total, translated,
 *                            missing, copied, unreviewed), and the strings still to do, paged:
 *                            ?language=bo|en &module=NAME &state=todo|missing|copied|unreviewed
 *                            &page=N
 *   GET /api/v1/admin/i18n   the same model as JSON
 * For platform administrators (authz "i18n.coverage", two factors); a refusal is audited.
 * The page says plainly how many strings have had a native speaker's review (none, today).
 * The counts are those of the catalogs the server loaded (built in, or --i18n-dir), worked
 * out once at start: catalogs do not change while a server runs.
 */
#include "translate/translate_internal.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/arena.h"
#include "identity/identity.h"
#include "store/store.h"
#include "web/form.h"
#include "web/web.h"

#define PAGE_SIZE 50

/* What the page shows, worked out at registration (one server per process). */
static struct {
    struct identity *id;
    struct store *st;
    struct translate_set set;
    struct arena *a;
    struct translate_entries es[I18N_NLANGS - 1]; /* bo, en */
    struct translate_count *rows[I18N_NLANGS - 1];
    size_t nrows[I18N_NLANGS - 1];
    int loaded;
} ctx;

static const char *const states[] = {"todo", "missing", "copied", "unreviewed"};

static int wanted(const struct translate_entry *e, const char *module, int state)
{
    if (module != NULL && strcmp(e->module, module) != 0)
        return 0;
    switch (state) {
    case 0:
        return e->state != TRANSLATE_TRANSLATED || !e->reviewed;
    case 1:
        return e->state == TRANSLATE_MISSING;
    case 2:
        return e->state == TRANSLATE_COPIED;
    default:
        return e->state == TRANSLATE_TRANSLATED && !e->reviewed;
    }
}

static json_t *count_json(const struct translate_count *r)
{
    return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i}", "module", r->module ? r->module : "",
                     "total", r->total, "translated", r->translated, "missing", r->missing,
                     "copied", r->copied, "unreviewed", r->unreviewed);
}

/* The address of this view with another page (the filters kept). */
static const char *page_url(struct web_req *req, const char *language, const char *module,
                            int state, int64_t page)
{
    struct buf b;
    buf_init(&b, 1024);
    buf_printf(&b, "/admin/i18n?language=%s", language);
    if (module != NULL) {
        buf_puts(&b, "&module=");
        web_url_encode(&b, module);
    }
    buf_printf(&b, "&state=%s&page=%lld", states[state], (long long)page);
    const char *url = b.data ? arena_strdup(req->arena, b.data) : NULL;
    buf_free(&b);
    return url;
}

/* The administrator behind the request, or -1 with the response failed (401 to the login
 * and back; 403, audited). */
static int require_admin(struct web_req *req, struct web_resp *resp)
{
    struct authz_subject subj;
    struct err err;
    err_clear(&err);
    if (identity_web_subject(ctx.id, req, resp, &subj) < 0)
        return -1;
    if (authz_allowed(&subj, "i18n.coverage", NULL))
        return 0;
    struct store_conn *c = store_conn(ctx.st, &err);
    struct audit_event ev = {subj.account_id, "i18n.coverage",    req->path,
                             "denied",        web_client_ip(req), NULL};
    if (c != NULL)
        audit_record(c, &ev, &err);
    return web_fail(resp, 403, "translate.forbidden",
                    "only platform administrators (with two factors) see the translations");
}

static json_t *options(struct web_req *req)
{
    json_t *langs = json_array(), *modules = json_array(), *st = json_array();
    const char *language = web_query(req, "language"), *module = web_query(req, "module"),
               *state = web_query(req, "state");
    for (int i = 1; i < I18N_NLANGS; i++)
        json_array_append_new(
            langs,
            json_pack("{s:s, s:s, s:b}", "code", i18n_langs[i], "label",
                      web_t(req, arena_printf(req->arena, "translate.langs.%s", i18n_langs[i])),
                      "selected", language ? strcmp(language, i18n_langs[i]) == 0 : i == 1));
    for (size_t i = 0; i + 1 < ctx.nrows[0]; i++)
        json_array_append_new(
            modules, json_pack("{s:s, s:b}", "code", ctx.rows[0][i].module, "selected",
                               module != NULL && strcmp(module, ctx.rows[0][i].module) == 0));
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        json_array_append_new(
            st, json_pack("{s:s, s:s, s:b}", "code", states[i], "label",
                          web_t(req, arena_printf(req->arena, "translate.states.%s", states[i])),
                          "selected", state ? strcmp(state, states[i]) == 0 : i == 0));
    return json_pack("{s:o, s:o, s:o}", "languages", langs, "modules", modules, "states", st);
}

static int h_coverage(struct web_req *req, struct web_resp *resp)
{
    if (require_admin(req, resp) < 0)
        return -1;
    if (!ctx.loaded)
        return web_fail(resp, 503, "translate.unavailable",
                        "the catalogs could not be read at start");
    const char *language = web_query(req, "language"), *module = web_query(req, "module"),
               *state_s = web_query(req, "state");
    int li = language == NULL || strcmp(language, "bo") == 0 ? 0
             : strcmp(language, "en") == 0                   ? 1
                                                             : -1;
    int state = state_s == NULL ? 0 : -1;
    for (int i = 0; state_s != NULL && i < (int)(sizeof(states) / sizeof(states[0])); i++)
        if (strcmp(state_s, states[i]) == 0)
            state = i;
    if (module != NULL && *module == '\0')
        module = NULL;
    int known = module == NULL;
    for (size_t i = 0; !known && i + 1 < ctx.nrows[0]; i++)
        known = strcmp(module, ctx.rows[0][i].module) == 0;
    if (li < 0 || state < 0 || !known)
        return web_fail(resp, 400, "translate.bad_filter",
                        "language is bo or en, state todo, missing, copied or unreviewed, "
                        "module one of the catalogs' files");
    const struct translate_entries *es = &ctx.es[li];
    size_t count = 0;
    for (size_t i = 0; i < es->n; i++)
        count += wanted(&es->e[i], module, state);
    int64_t pages = count == 0 ? 1 : (int64_t)((count + PAGE_SIZE - 1) / PAGE_SIZE), page;
    if (web_query_int(req, resp, "page", 1, 1000000, 1, &page) < 0)
        return -1;
    if (page > pages)
        page = pages;

    /* Coverage of every language, and the review figure over all of them. */
    json_t *m = json_object(), *tables = json_array(), *strings = json_array();
    int reviewed = 0;
    for (int l = 0; l < I18N_NLANGS - 1; l++) {
        json_t *rows = json_array();
        for (size_t i = 0; i + 1 < ctx.nrows[l]; i++)
            json_array_append_new(rows, count_json(&ctx.rows[l][i]));
        const struct translate_count *all = &ctx.rows[l][ctx.nrows[l] - 1];
        reviewed += all->translated - all->unreviewed;
        const char *code = i18n_langs[l + 1];
        json_array_append_new(
            tables, json_pack("{s:s, s:s, s:o, s:o}", "language", code, "language_name",
                              web_t(req, arena_printf(req->arena, "translate.langs.%s", code)),
                              "rows", rows, "all", count_json(all)));
    }
    size_t skip = (size_t)(page - 1) * PAGE_SIZE, shown = 0;
    for (size_t i = 0; i < es->n && shown < PAGE_SIZE; i++) {
        const struct translate_entry *e = &es->e[i];
        if (!wanted(e, module, state))
            continue;
        if (skip > 0) {
            skip--;
            continue;
        }
        const char *st =
            e->state == TRANSLATE_TRANSLATED ? "unreviewed" : translate_state_name(e->state);
        json_t *s = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s*, s:s*}", "key", e->key, "module", e->module, "state",
            st, "state_label", web_t(req, arena_printf(req->arena, "translate.states.%s", st)),
            "source", e->source, "text", e->text && *e->text ? e->text : NULL, "en", e->en);
        json_array_append_new(strings, s);
        shown++;
    }
    json_object_set_new(m, "title", json_string(web_t(req, "translate.title")));
    json_object_set_new(m, "reviewed", json_integer(reviewed));
    json_object_set_new(m, "no_review", json_boolean(reviewed == 0));
    json_object_set_new(m, "tables", tables);
    json_object_set_new(m, "filter",
                        json_pack("{s:s, s:s*, s:s}", "language", i18n_langs[li + 1], "module",
                                  module, "state", states[state]));
    json_object_set_new(m, "choices", options(req));
    json_object_set_new(m, "strings", strings);
    json_object_set_new(m, "text_lang", json_string(i18n_langs[li + 1]));
    json_object_set_new(m, "count", json_integer((json_int_t)count));
    json_object_set_new(m, "page", json_integer(page));
    json_object_set_new(m, "pages", json_integer(pages));
    if (page > 1)
        json_object_set_new(
            m, "prev_url", json_string(page_url(req, i18n_langs[li + 1], module, state, page - 1)));
    if (page < pages)
        json_object_set_new(
            m, "next_url", json_string(page_url(req, i18n_langs[li + 1], module, state, page + 1)));
    return web_page(resp, m, "translate/coverage", 200);
}

int translate_http_register(struct web_server *srv, struct identity *id, struct store *st,
                            struct err *err)
{
    translate_set_free(&ctx.set); /* a server registered again (tests) */
    arena_free(ctx.a);
    memset(&ctx, 0, sizeof(ctx));
    ctx.id = id;
    ctx.st = st;
    /* A server whose catalogs cannot be read as files still serves: the page says so. */
    if ((ctx.a = arena_new(0)) != NULL && translate_set_load(&ctx.set, i18n_dir(), err) == 0) {
        ctx.loaded = 1;
        for (int l = 0; ctx.loaded && l < I18N_NLANGS - 1; l++)
            ctx.loaded =
                translate_entries_of(&ctx.set, i18n_langs[l + 1], ctx.a, &ctx.es[l], err) == 0 &&
                translate_coverage(&ctx.es[l], ctx.a, &ctx.rows[l], &ctx.nrows[l]) == 0;
    }
    if (web_route(srv, "GET", "/admin/i18n", h_coverage, NULL) < 0 ||
        web_route(srv, "GET", "/api/v1/admin/i18n", h_coverage, NULL) < 0)
        return err_set(err, 500, "translate.routes", "cannot register the i18n routes");
    return 0;
}
