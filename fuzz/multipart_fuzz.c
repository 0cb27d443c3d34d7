/*
 * multipart_fuzz.c - libFuzzer target for the multipart/form-data parser of
 * src/web/form.c. The first line of the input is the Content-Type header, the rest the body.
 * Build and run: make fuzz; build-fuzz/multipart_fuzz fuzz/corpus/multipart -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/utf8.h"
#include "web/form.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    if (nl == NULL)
        return 0;
    struct arena *a = arena_new(1u << 24);
    if (a == NULL)
        return 0;
    char *ct = arena_strndup(a, s, (size_t)(nl - s));
    const char *body = nl + 1;
    size_t n = size - (size_t)(nl + 1 - s);
    const char *boundary = ct ? web_multipart_boundary(a, ct) : NULL;
    struct web_kv *kv;
    struct web_file *files;
    size_t nkv, nf;
    if (boundary != NULL && web_multipart_parse(a, body, n, boundary, WEB_FORM_MAX_FIELDS, &kv,
                                                &nkv, &files, &nf) == 0) {
        for (size_t i = 0; i < nkv; i++) {
            if (!utf8_valid(kv[i].name, strlen(kv[i].name)) ||
                !utf8_valid(kv[i].value, strlen(kv[i].value)))
                abort();
            sink += strlen(kv[i].value);
        }
        for (size_t i = 0; i < nf; i++) {
            /* Every file lies inside the body. */
            if (files[i].data < body || files[i].data + files[i].len > body + n)
                abort();
            if (strchr(files[i].filename, '/') != NULL || strchr(files[i].filename, '\\') != NULL)
                abort();
            sink += files[i].len;
        }
    }
    arena_free(a);
    return 0;
}
