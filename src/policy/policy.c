/*
 * policy.c - policies in and out (policy.h): import from JSON, read, interpretations, and
 * the search documents that Q&A retrieves from (ask.c): one per clause, one per policy
 * summary, one per section of each published service guide and language.
 *
 * Every change and its search documents commit in one transaction (search_put joins the
 * caller's). A clause's text is stored as issued (the demo policies are Chinese); the
 * summary is in zh, bo and en.
 */
#include "policy/policy_internal.h"

#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/buf.h"
#include "base/embed.h"
#include "base/id.h"
#include "catalog/catalog.h"
#include "search/search.h"
#include "store/store.h"

#define MAX_FIELD 4000
#define MAX_CLAUSE (64 * 1024)

int policy_open(struct store *st, struct search *s, struct policy **out, struct err *err)
{
    struct policy *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return err_set(err, 500, "policy.oom", "out of memory");
    p->store = st;
    p->search = s;
    if (search_register_kind(s, POLICY_KIND_CLAUSE, "policy.kind.policy_clause",
                             "/policies/clause/", err) < 0 ||
        search_register_kind(s, POLICY_KIND_DOC, "policy.kind.policy", "/policies/", err) < 0)
        goto fail;
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return 0;
fail:
    free(p);
    return -1;
}

void policy_close(struct policy *p)
{
    if (p == NULL)
        return;
    guide_set_release(p->guides);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* ---- import ------------------------------------------------------------------------------ */

static int is_day(const char *s)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int m = atoi(s + 5), d = atoi(s + 8);
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int is_status(const char *s)
{
    return s != NULL &&
           (strcmp(s, "in_force") == 0 || strcmp(s, "amended") == 0 || strcmp(s, "repealed") == 0);
}

/* A localised text {zh, bo?, en?} with a zh of 1..MAX_FIELD bytes. */
static int good_text(const json_t *t)
{
    const char *zh = json_string_value(json_object_get(t, "zh"));
    if (!json_is_object(t) || zh == NULL || *zh == '\0' || strlen(zh) > MAX_FIELD)
        return 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)t, k, v)
    {
        if ((strcmp(k, "zh") != 0 && strcmp(k, "bo") != 0 && strcmp(k, "en") != 0) ||
            !json_is_string(v) || json_string_length(v) > MAX_FIELD)
            return 0;
    }
    return 1;
}

static int bad(struct err *err, const char *key, const char *field)
{
    return err_set(err, 400, "policy.bad_doc", "policy %s: %s is missing or not valid",
                   key ? key : "?", field);
}

/* Check one policy of an import; every field it needs, before anything is written. */
static int check_doc(const json_t *d, struct err *err)
{
    const char *key = json_string_value(json_object_get(d, "key"));
    if (key == NULL || *key == '\0' || strlen(key) > 100)
        return bad(err, key, "key");
    static const char *const texts[] = {"title", "issuer", "summary"};
    for (size_t i = 0; i < 3; i++)
        if (!good_text(json_object_get(d, texts[i])))
            return bad(err, key, texts[i]);
    if (!is_day(json_string_value(json_object_get(d, "issued_on"))))
        return bad(err, key, "issued_on");
    if (!is_day(json_string_value(json_object_get(d, "effective_on"))))
        return bad(err, key, "effective_on");
    const json_t *ex = json_object_get(d, "expires_on");
    if (ex != NULL && !json_is_null(ex) && !is_day(json_string_value(ex)))
        return bad(err, key, "expires_on");
    if (!is_status(json_string_value(json_object_get(d, "status"))))
        return bad(err, key, "status");
    const char *num = json_string_value(json_object_get(d, "number"));
    if (json_object_get(d, "number") != NULL && (num == NULL || strlen(num) > 200))
        return bad(err, key, "number");
    const json_t *cl = json_object_get(d, "clauses");
    if (!json_is_array(cl) || json_array_size(cl) == 0 || json_array_size(cl) > POLICY_MAX_CLAUSES)
        return bad(err, key, "clauses");
    size_t i;
    json_t *c;
    json_array_foreach(cl, i, c)
    {
        const char *text = json_string_value(json_object_get(c, "text"));
        if (text == NULL || *text == '\0' || strlen(text) > MAX_CLAUSE)
            return bad(err, key, "clauses[].text");
    }
    return 0;
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT);
}

/* The search document of a clause: titled with the policy's title and the clause's number. */
static int index_clause(struct policy *p, int64_t cid, const json_t *d, int number,
                        const char *label, const char *body, struct err *err)
{
    const char *t = json_string_value(json_object_get(json_object_get(d, "title"), "zh"));
    char title[900];
    snprintf(title, sizeof(title), "%.760s · %d %s", t, number, label ? label : "");
    struct search_doc sd = {.kind = POLICY_KIND_CLAUSE,
                            .id = cid,
                            .lang = "zh",
                            .title = title,
                            .body = body,
                            .tag = json_string_value(json_object_get(d, "key")),
                            .updated_at_ms = time_now_ms()};
    return search_put(p->search, &sd, err);
}

/* The search document of a policy: its titles and summaries in every language. */
static int index_doc(struct policy *p, int64_t id, const json_t *d, struct err *err)
{
    const json_t *title = json_object_get(d, "title"), *sum = json_object_get(d, "summary");
    struct buf b;
    buf_init(&b, 64 * 1024);
    static const char *const langs[] = {"zh", "bo", "en"};
    for (size_t i = 0; i < 3; i++) {
        const char *s = json_string_value(json_object_get(sum, langs[i]));
        if (s != NULL) {
            buf_puts(&b, s);
            buf_putc(&b, '\n');
        }
    }
    struct search_doc sd = {.kind = POLICY_KIND_DOC,
                            .id = id,
                            .lang = "zh",
                            .title = json_string_value(json_object_get(title, "zh")),
                            .body = b.data ? b.data : "",
                            .tag = json_string_value(json_object_get(d, "key")),
                            .titles = title,
                            .updated_at_ms = time_now_ms()};
    int rc = search_put(p->search, &sd, err);
    buf_free(&b);
    return rc;
}

static int write_clauses(struct policy *p, struct store_conn *c, int64_t pid, const json_t *d,
                         struct err *err)
{
    const json_t *links = json_object_get(d, "services");
    size_t i;
    json_t *cl;
    json_array_foreach(json_object_get(d, "clauses"), i, cl)
    {
        int number = (int)(i + 1);
        int64_t cid = id_next();
        const char *label = json_string_value(json_object_get(cl, "label"));
        const char *text = json_string_value(json_object_get(cl, "text"));
        const char *lang = json_string_value(json_object_get(cl, "lang"));
        if (policy_db_clause_insert(c, cid, pid, number, label, lang ? lang : "zh", text, err) <
                0 ||
            index_clause(p, cid, d, number, label, text, err) < 0)
            return -1;
        char key[16];
        snprintf(key, sizeof(key), "%d", number);
        size_t j;
        json_t *code;
        json_array_foreach(json_object_get(links, key), j, code)
        {
            const char *s = json_string_value(code);
            if (s != NULL && *s != '\0' && strlen(s) <= 48 &&
                policy_db_clause_service_insert(c, cid, s, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* One policy in its own transaction: the row, its clauses (replaced), their documents. */
static int import_one(struct policy *p, struct store_conn *c, int64_t actor, const char *ip,
                      const json_t *d, struct err *err)
{
    char *title = dump(json_object_get(d, "title")), *issuer = dump(json_object_get(d, "issuer")),
         *summary = dump(json_object_get(d, "summary"));
    json_t *old = NULL;
    int rc = -1;
    if (title == NULL || issuer == NULL || summary == NULL) {
        err_set(err, 500, "policy.oom", "out of memory");
        goto out;
    }
    struct policy_db_doc row = {json_string_value(json_object_get(d, "key")),
                                json_string_value(json_object_get(d, "number")),
                                title,
                                issuer,
                                summary,
                                json_string_value(json_object_get(d, "issued_on")),
                                json_string_value(json_object_get(d, "effective_on")),
                                json_string_value(json_object_get(d, "expires_on")),
                                json_string_value(json_object_get(d, "status")),
                                json_string_value(json_object_get(d, "source"))};
    int64_t pid = 0, now = time_now_ms();
    if (store_begin(c, err) < 0)
        goto out;
    if (policy_db_doc_find(c, row.key, &pid, err) < 0)
        goto rollback;
    if (pid != 0) {
        if (policy_db_clause_ids(c, pid, &old, err) < 0)
            goto rollback;
        size_t i;
        json_t *v;
        json_array_foreach(old, i, v)
        {
            if (search_delete(p->search, POLICY_KIND_CLAUSE, json_integer_value(v), err) < 0)
                goto rollback;
        }
        if (policy_db_clauses_delete(c, pid, err) < 0 ||
            policy_db_doc_update(c, pid, &row, now, err) < 0)
            goto rollback;
    } else {
        pid = id_next();
        if (policy_db_doc_insert(c, pid, &row, actor, now, err) < 0)
            goto rollback;
    }
    char object[160], detail[64];
    snprintf(object, sizeof(object), "policy:%s", row.key);
    snprintf(detail, sizeof(detail), "clauses=%zu", json_array_size(json_object_get(d, "clauses")));
    struct audit_event ev = {actor, "policy.import", object, "ok", ip, detail};
    if (write_clauses(p, c, pid, d, err) < 0 || index_doc(p, pid, d, err) < 0 ||
        audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0)
        goto rollback;
    rc = 0;
    goto out;
rollback:
    store_rollback(c);
out:
    json_decref(old);
    free(title);
    free(issuer);
    free(summary);
    return rc;
}

int policy_import(struct policy *p, int64_t actor, const char *ip, const json_t *doc, int *n,
                  struct err *err)
{
    const json_t *list = json_object_get(doc, "policies");
    if (n != NULL)
        *n = 0;
    if (!json_is_array(list))
        return err_set(err, 400, "policy.bad_doc", "the document has no \"policies\" array");
    size_t i;
    json_t *d;
    json_array_foreach(list, i, d)
    {
        if (check_doc(d, err) < 0)
            return -1;
    }
    struct store_conn *c = store_conn(p->store, err);
    if (c == NULL)
        return -1;
    json_array_foreach(list, i, d)
    {
        if (import_one(p, c, actor, ip, d, err) < 0)
            return -1;
        if (n != NULL)
            (*n)++;
    }
    return 0;
}

int policy_load_demo(struct policy *p, int *n, struct err *err)
{
    const struct embed_file *f = embed_find("data/policies/xizang.json");
    if (f == NULL)
        return err_set(err, 500, "policy.no_demo", "data/policies/xizang.json is not embedded");
    json_error_t je;
    json_t *doc = json_loadb((const char *)f->data, f->len, 0, &je);
    if (doc == NULL)
        return err_set(err, 500, "policy.bad_json", "data/policies/xizang.json line %d: %s",
                       je.line, je.text);
    int rc = policy_import(p, 0, "demo", doc, n, err);
    json_decref(doc);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */

int policy_list(struct policy *p, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    return c == NULL ? -1 : policy_db_list(c, out, err);
}

int policy_get(struct policy *p, int64_t id, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    json_t *d = NULL, *cl = NULL, *in = NULL;
    if (c == NULL || policy_db_get(c, id, &d, err) < 0 || policy_db_clauses(c, id, &cl, err) < 0 ||
        policy_db_interpretations(c, id, &in, err) < 0) {
        json_decref(d);
        json_decref(cl);
        return -1;
    }
    json_object_set_new(d, "clauses", cl);
    json_object_set_new(d, "interpretations", in);
    *out = d;
    return 0;
}

int policy_interpret(struct policy *p, int64_t actor, const char *ip, int64_t policy_id,
                     const char *lang, const char *title, const char *body, int64_t *id_out,
                     struct err *err)
{
    if (lang == NULL ||
        (strcmp(lang, "zh") != 0 && strcmp(lang, "bo") != 0 && strcmp(lang, "en") != 0) ||
        title == NULL || *title == '\0' || strlen(title) > 500 || body == NULL || *body == '\0' ||
        strlen(body) > MAX_CLAUSE)
        return err_set(err, 400, "policy.bad_interpretation",
                       "an interpretation needs a language, a title and a text");
    struct store_conn *c = store_conn(p->store, err);
    json_t *d = NULL;
    if (c == NULL || policy_db_get(c, policy_id, &d, err) < 0)
        return -1;
    json_decref(d);
    int64_t id = id_next();
    char object[48];
    snprintf(object, sizeof(object), "policy:%lld", (long long)policy_id);
    struct audit_event ev = {actor, "policy.interpret", object, "ok", ip, lang};
    if (store_begin(c, err) < 0)
        return -1;
    if (policy_db_interpretation_insert(c, id, policy_id, lang, title, body, actor, time_now_ms(),
                                        err) < 0 ||
        audit_record(c, &ev, err) < 0 || store_commit(c, err) < 0) {
        store_rollback(c);
        return -1;
    }
    if (id_out != NULL)
        *id_out = id;
    return 0;
}

int policy_clause_where(struct policy *p, int64_t clause_id, int64_t *policy_id, int *number,
                        struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    return c == NULL ? -1 : policy_db_clause_where(c, clause_id, policy_id, number, err);
}

int policy_for_service(struct policy *p, const char *code, json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(p->store, err);
    return c == NULL ? -1 : policy_db_for_service(c, code, out, err);
}
