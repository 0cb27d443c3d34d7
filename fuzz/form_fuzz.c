/*
 * form_fuzz.c - libFuzzer target for the parsers of outside input in src/web/form.c
 * (query strings, urlencoded bodies, paths) and src/base/csv.c.
 * Build and run: make fuzz; build-fuzz/form_fuzz fuzz/corpus/form -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/csv.h"
#include "base/utf8.h"
#include "web/form.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena *a = arena_new(1u << 24);
    if (a == NULL)
        return 0;
    const char *s = (const char *)data;
    struct web_kv *kv;
    size_t n;
    if (web_form_parse(a, s, size, WEB_FORM_MAX_FIELDS, &kv, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            /* Every decoded name and value must be valid UTF-8 without NUL. */
            if (!utf8_valid(kv[i].name, strlen(kv[i].name)) ||
                !utf8_valid(kv[i].value, strlen(kv[i].value)))
                abort();
            sink += strlen(kv[i].value);
        }
    }
    char *p = web_path_decode(a, s, size);
    if (p != NULL)
        sink += strlen(p);
    struct csv *c = malloc(sizeof(*c));
    if (c != NULL) {
        const char *f[CSV_MAX_FIELDS];
        int k, guard = 0;
        csv_init(c, s, size);
        while ((k = csv_next(c, f)) > 0 && guard++ < 100000)
            sink += (size_t)k;
        free(c);
    }
    arena_free(a);
    return 0;
}
