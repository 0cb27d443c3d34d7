/*
 * translate_po_fuzz.c - libFuzzer target for what an import reads from a translator's file
 * (src/translate/): the PO reader, and the in-place JSON edit on the same bytes.
 *
 * The PO reader must never crash, leak or read out of bounds, whatever the file; what it
 * returns must be UTF-8 without NUL (it promises that to the catalogs). The JSON edit, given
 * any text, either refuses it or produces the text with exactly the value's bytes replaced:
 * setting a string it found to the value it read back leaves the text unchanged.
 *
 *   make fuzz; build-fuzz/translate_po_fuzz -max_total_time=300 /tmp/corpus
 * fuzz/corpus/translate_po
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/utf8.h"
#include "translate/translate_internal.h"

static volatile size_t sink;

static void check(const char *s)
{
    if (s != NULL && !utf8_valid(s, strlen(s)))
        abort();
    if (s != NULL)
        sink += strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    struct arena *a = arena_new(0);
    struct translate_po po;
    struct err err;
    if (translate_po_parse((const char *)data, size, "fuzz.po", a, &po, &err) == 0) {
        check(po.language);
        check(po.translator);
        for (size_t i = 0; i < po.n; i++) {
            check(po.e[i].ctxt);
            check(po.e[i].id);
            check(po.e[i].str);
        }
    }
    arena_free(a);
    /* The same bytes as JSON: set "a.b" when jansson finds a string there. */
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    const char *v = json_is_object(j) ? translate_string_at(j, "a.b") : NULL;
    struct buf b;
    buf_init(&b, 1 << 20);
    int rc = translate_json_set((const char *)data, size, "a.b", v ? v : "x", &b);
    if (v != NULL &&
        strlen(v) == json_string_length(json_object_get(json_object_get(j, "a"), "b")) &&
        json_object_size(j) == 1 && json_object_size(json_object_get(j, "a")) == 1 &&
        memchr(v, '\\', strlen(v)) == NULL && memchr(data, '\\', size) == NULL &&
        (rc != 0 || b.len != size || memcmp(b.data, data, size) != 0))
        abort();
    sink += b.len;
    buf_free(&b);
    json_decref(j);
    return 0;
}
