/*
 * search_query_fuzz.c - libFuzzer target for query sanitising in src/search: whatever the
 * bytes, search_normalize_query must not crash, must write valid UTF-8 of at most
 * SEARCH_MAX_TERMS space-separated terms, each starting and ending with a word character,
 * and must be a fixed point (normalising its output again changes nothing). Highlighting,
 * bigrams and scoring run on the input too, and every input is also run as a query against
 * a small SQLite index, where it must never be an error (FTS5 syntax is always quoted).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/utf8.h"
#include "search/search.h"
#include "search/search_internal.h"
#include "store/store.h"

static volatile size_t sink;
static struct store *st;
static struct search *se;

static void open_index(void)
{
    static char dir[] = "/tmp/ow-search-fuzz-XXXXXX";
    char url[128];
    struct err err;
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(url, sizeof(url), "sqlite:%s/f.db", dir);
    if (store_open(url, NULL, &st, &err) < 0 || store_migrate(st, NULL, &err) < 0 ||
        search_open(st, &se, &err) < 0)
        abort();
    static const char *const texts[][2] = {
        {"户口登记", "新生儿出生后办理户口登记。"},
        {"བོད་ལྗོངས་ཀྱི་གཞུང་ཞབས་ཞུ།", "ཁྱིམ་ཚང་ཐོ་འགོད།"},
        {"Marriage \"registration\"", "NEAR(a b) AND OR NOT * ^ : ( ) 100%"},
    };
    for (int i = 0; i < 3; i++) {
        struct search_doc d = {"kb", i + 1, "zh", texts[i][0], texts[i][1], 0,
                               0,    "",    0,    0,           NULL,        NULL};
        if (search_put(se, &d, &err) < 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    if (se == NULL)
        open_index();
    char *in = malloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    char out[SEARCH_MAX_QUERY * 4 + 1], again[SEARCH_MAX_QUERY * 4 + 1];
    int n = search_normalize_query(in, out, sizeof(out));
    size_t len = strlen(out);
    if (n < 0 || n > SEARCH_MAX_TERMS || !utf8_valid(out, len) || (n == 0) != (len == 0))
        abort();
    if (len > 0 && (out[0] == ' ' || out[len - 1] == ' ' || strstr(out, "  ") != NULL))
        abort();
    if (search_normalize_query(out, again, sizeof(again)) != n || strcmp(out, again) != 0)
        abort();
    struct search_terms t;
    search_split_terms(out, &t);
    if (t.n != n)
        abort();
    for (int k = 0; k < t.n; k++) {
        uint32_t cp;
        search_utf8_next(t.term[k], &cp);
        if (!search_is_word(cp))
            abort();
    }
    if (utf8_valid(in, size)) {
        json_t *seg = search_segments(in, &t, 40);
        sink += json_array_size(seg);
        json_decref(seg);
        char *b = search_bigrams(in);
        sink += strlen(b);
        free(b);
        int all;
        sink += (size_t)search_score(in, in, &t, &all);
        if (!all && t.n > 0 && strstr(in, out) != NULL && t.n == 1)
            abort();
    }
    struct search_query q = {.q = in, .include_staff = 1};
    json_t *r = NULL;
    struct err err;
    if (search_run(se, &q, &r, &err) < 0)
        abort();
    json_decref(r);
    free(in);
    return 0;
}
