/*
 * tmpl_fuzz.c - libFuzzer target for the template engine (src/web/tmpl.c).
 *
 * Each input is compiled and rendered as a template against a fixed context stack that
 * has every kind of value a view model holds: strings needing escapes, Tibetan text,
 * numbers, booleans, null, nested objects and arrays. There is no set, so partials render
 * as nothing. The output max is 1 MiB; errors (syntax, limits) are expected and ignored:
 * what must never happen is a crash, a leak, undefined behaviour or a hang.
 *
 *   make fuzz, or by hand: see docs/internals/tmpl.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "web/tmpl.h"

static const char globals_json[] =
    "{\"t\": {\"title\": \"Title\", \"empty\": \"\", \"esc\": \"<a href='x'>&\\\"</a>`\"},"
    " \"lang\": \"bo\", \"n\": 0}";
static const char model_json[] =
    "{\"name\": \"བོད་ལྗོངས།\", \"i\": 42, \"r\": -0.5, \"yes\": true, \"no\": false,"
    " \"nul\": null, \"items\": [{\"name\": \"a\", \"sub\": [1, 2]}, {\"name\": \"<b>\"},"
    " \"s\", 3, [true, false]], \"obj\": {\"a\": {\"b\": {\"c\": \"deep\"}}}, \"list\": [1, 2, 3],"
    " \"empty\": [], \"estr\": \"\"}";

static json_t *ctxs[2];
static volatile size_t sink; /* keeps the render from being optimised away */

static void load_contexts(void)
{
    json_error_t jerr;
    ctxs[0] = json_loads(globals_json, 0, &jerr);
    ctxs[1] = json_loads(model_json, 0, &jerr);
    if (ctxs[0] == NULL || ctxs[1] == NULL)
        abort(); /* a broken fixture; never input-dependent */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf out;
    struct err err;

    if (ctxs[0] == NULL)
        load_contexts();
    buf_init(&out, 1024 * 1024);
    if (tmpl_render_string(NULL, (const char *)data, size, ctxs, 2, &out, &err) == 0)
        sink = out.len + (out.data != NULL ? (unsigned char)out.data[0] : 0);
    else
        sink = (unsigned char)err.code[0];
    buf_free(&out);
    return 0;
}
