/* embed.c - look-ups in the generated, sorted table of embedded files; see embed.h. */
#include "embed.h"

#include <string.h>

const struct embed_file *embed_find(const char *path)
{
    size_t lo = 0, hi = embed_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(embed_files[mid].path, path);
        if (c == 0)
            return &embed_files[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t embed_first(const char *prefix)
{
    size_t lo = 0, hi = embed_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(embed_files[mid].path, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}
