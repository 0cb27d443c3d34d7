/*
 * divisions_picker.c - the division picker every form shares (divisions.h, "the division
 * picker"): reading what its selects posted, and building its view model.
 *
 * Why selects that go back to the server: a person in a township office or on a phone with
 * JavaScript off must still be able to say where they are without knowing a 12-digit
 * statistical code. The selects are the truth of the form; the script
 * (web/static/divisions-picker.js) only refills them sooner and adds a search by name. The
 * levels are read from the top and stop at the first one that does not continue the level
 * above, so a stale county under a changed prefecture can never be submitted: it leaves a
 * half-picked choice that the form's validation names as incomplete.
 */
#include "divisions/divisions_internal.h"

#include <stdio.h>

#include "base/arena.h"
#include "store/store.h"
#include "web/web.h"

/* The parent a code's shape gives: the last significant group set to zero. */
static int64_t shape_parent(int64_t code)
{
    static const int64_t unit[] = {0, 0, 10000000000LL, 100000000LL, 1000000LL, 1000LL};
    int level = divisions_level_of(code);
    if (level <= DIVISION_REGION)
        return 0;
    return code / unit[level] * unit[level];
}

int64_t divisions_pick_resolve(const char *const picks[4])
{
    int64_t chosen = DIVISIONS_ROOT;
    for (int i = 0; i < 4; i++) {
        int64_t code;
        struct err err;
        if (picks[i] == NULL || strlen(picks[i]) != 12 ||
            divisions_parse_code(picks[i], &code, &err) < 0 ||
            divisions_level_of(code) != DIVISION_PREFECTURE + i ||
            !divisions_contains(chosen, code))
            break;
        chosen = code;
    }
    return chosen == DIVISIONS_ROOT ? 0 : chosen;
}

const char *divisions_pick_value(struct web_req *req, const char *name)
{
    const char *picks[4];
    for (int i = 0; i < 4; i++)
        picks[i] = web_form_value(req, arena_printf(req->arena, "%s.l%d", name, i + 2));
    if (picks[0] == NULL) { /* no selects: a client that sends the code itself */
        const char *v = web_form_value(req, name);
        return v != NULL ? v : "";
    }
    int64_t code = divisions_pick_resolve(picks);
    const char *v = code ? arena_printf(req->arena, "%012lld", (long long)code) : "";
    return v != NULL ? v : "";
}

int divisions_pick_requested(struct web_req *req)
{
    const char *v = web_form_value(req, DIVISIONS_PICK_BUTTON);
    return v != NULL && *v != '\0';
}

static json_t *option_json(const struct division *d, const char *lang, int selected)
{
    char code[16];
    snprintf(code, sizeof(code), "%012lld", (long long)d->code);
    const char *name = divisions_name(d, lang);
    return json_pack("{s:s, s:s, s:s, s:b}", "code", code, "name", name, "name_lang",
                     name == d->name_zh ? "zh" : lang, "selected", selected);
}

int divisions_picker_model(struct store_conn *c, struct arena *a, const char *lang, int64_t chosen,
                           int min_level, json_t **out, struct err *err)
{
    /* The chosen division and its ancestors, by level; an unknown code falls back to its
     * deepest known ancestor (the form's validation says what was wrong with it). */
    struct division chain[DIVISION_VILLAGE + 1] = {{0}};
    int have[DIVISION_VILLAGE + 1] = {0}, deepest = DIVISION_REGION;
    int64_t code = chosen != 0 && divisions_contains(DIVISIONS_ROOT, chosen) ? chosen : 0;
    while (code != 0 && code != DIVISIONS_ROOT) {
        int found = 0;
        struct division d;
        if (divisions_store_get(c, a, code, &d, &found, err) < 0)
            return -1;
        if (found && d.level > DIVISION_REGION && d.level <= DIVISION_VILLAGE) {
            if (deepest == DIVISION_REGION)
                deepest = d.level;
            chain[d.level] = d;
            have[d.level] = 1;
            code = d.parent_code;
        } else if (deepest == DIVISION_REGION) {
            code = shape_parent(code); /* not known: try the level above */
        } else {
            break; /* a known division with a broken parent: show what we have */
        }
    }
    json_t *m = json_object(), *levels = json_array(), *path = json_array();
    for (int level = DIVISION_PREFECTURE; level <= DIVISION_VILLAGE; level++) {
        int64_t parent = level == DIVISION_PREFECTURE ? DIVISIONS_ROOT
                         : have[level - 1]            ? chain[level - 1].code
                                                      : 0;
        json_t *options = json_array();
        if (parent != 0) {
            struct division *kids = NULL;
            size_t n = 0;
            if (divisions_store_children(c, a, parent, &kids, &n, err) < 0) {
                json_decref(options);
                json_decref(levels);
                json_decref(path);
                json_decref(m);
                return -1;
            }
            for (size_t i = 0; i < n; i++)
                json_array_append_new(
                    options,
                    option_json(&kids[i], lang, have[level] && kids[i].code == chain[level].code));
        }
        char sel[16] = "";
        if (have[level]) {
            snprintf(sel, sizeof(sel), "%012lld", (long long)chain[level].code);
            json_t *p = option_json(&chain[level], lang, 1);
            json_object_del(p, "selected");
            json_object_set_new(p, "level", json_string(divisions_level_key(level)));
            json_array_append_new(path, p);
        }
        json_array_append_new(levels, json_pack("{s:s, s:i, s:b, s:s, s:o}", "level",
                                                divisions_level_key(level), "depth", level, "shown",
                                                parent != 0 && json_array_size(options) > 0,
                                                "selected", sel, "options", options));
    }
    char root[16], code_text[16] = "";
    snprintf(root, sizeof(root), "%012lld", (long long)DIVISIONS_ROOT);
    if (deepest > DIVISION_REGION)
        snprintf(code_text, sizeof(code_text), "%012lld", (long long)chain[deepest].code);
    json_object_set_new(m, "code", json_string(code_text));
    json_object_set_new(m, "level",
                        json_string(deepest > DIVISION_REGION ? divisions_level_key(deepest) : ""));
    json_object_set_new(m, "complete",
                        json_boolean(deepest > DIVISION_REGION && deepest >= min_level));
    json_object_set_new(m, "more", json_boolean(deepest < DIVISION_VILLAGE));
    json_object_set_new(m, "root", json_string(root));
    json_object_set_new(m, "path", path);
    json_object_set_new(m, "levels", levels);
    *out = m;
    return 0;
}

int divisions_picker(struct web_req *req, struct store *s, const struct divisions_picker_field *f,
                     json_t **out, struct err *err)
{
    struct store_conn *c = store_conn(s, err);
    if (c == NULL)
        return -1;
    int64_t chosen = 0;
    struct err ignored;
    const char *v = f->value != NULL ? f->value : "";
    if (*v == '\0' || divisions_parse_code(v, &chosen, &ignored) < 0)
        chosen = 0;
    json_t *m = NULL;
    if (divisions_picker_model(c, req->arena, req->lang, chosen, f->min_level, &m, err) < 0)
        return -1;
    const char *choose = web_t(req, "divisions.picker.choose");
    const char *optional = web_t(req, "divisions.picker.optional");
    size_t i;
    json_t *lv;
    json_array_foreach(json_object_get(m, "levels"), i, lv)
    {
        const char *key = json_string_value(json_object_get(lv, "level"));
        int depth = (int)json_integer_value(json_object_get(lv, "depth"));
        const char *label = web_t(req, arena_printf(req->arena, "divisions.levels.%s", key));
        if (depth > f->min_level)
            label = arena_printf(req->arena, "%s%s", label, optional);
        json_object_set_new(lv, "label", json_string(label));
        json_object_set_new(lv, "name",
                            json_string(arena_printf(req->arena, "%s.l%d", f->name, depth)));
        json_object_set_new(lv, "id",
                            json_string(arena_printf(req->arena, "%s-l%d", f->name, depth)));
        json_object_set_new(lv, "placeholder", json_string(choose));
        /* Every name the template reads is set ("" when empty): Mustache would otherwise
         * find the same name in the page around the picker. */
        json_object_set_new(lv, "invalid",
                            json_string(f->error != NULL && *f->error
                                            ? arena_printf(req->arena, "%s-error", f->name)
                                            : ""));
    }
    /* "Prefecture › County › Township" for people and for the script's announcements. */
    const char *chosen_text = "";
    json_t *p;
    json_array_foreach(json_object_get(m, "path"), i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        chosen_text = i == 0 ? name : arena_printf(req->arena, "%s › %s", chosen_text, name);
    }
    json_object_set_new(m, "chosen_text", json_string(chosen_text ? chosen_text : ""));
    json_object_set_new(m, "name", json_string(f->name));
    json_object_set_new(m, "id", json_string(f->name));
    json_object_set_new(m, "lang", json_string(req->lang));
    json_object_set_new(m, "label", json_string(f->label ? f->label : ""));
    json_object_set_new(m, "required", json_boolean(f->required));
    json_object_set_new(m, "hint", json_string(f->hint != NULL ? f->hint : ""));
    json_object_set_new(m, "error", json_string(f->error != NULL ? f->error : ""));
    json_object_set_new(m, "next",
                        json_string(json_is_true(json_object_get(m, "more"))
                                        ? web_t(req, "divisions.picker.next")
                                        : ""));
    *out = m;
    return 0;
}
