/*
 * embed.h - files compiled into the binary at build time: templates, static assets,
 * i18n catalogs, SQL migrations and reference data.
 *
 * tools/embed.c generates build/gen/embed.c from the source tree; the paths are those
 * relative to the repository root ("web/templates/layout.html", "data/xizang-divisions.csv",
 * "src/store/migrations/0001_foundation.sql"). The table is sorted by path, read-only,
 * and lives as long as the process, so pointers into it may be kept anywhere.
 */
#ifndef ONEWINDOW_BASE_EMBED_H
#define ONEWINDOW_BASE_EMBED_H

#include <stddef.h>

struct embed_file {
    const char *path;
    const unsigned char *data; /* NUL-terminated after len bytes, for text files */
    size_t len;
    const char *etag; /* 16 hex digits of a 64-bit FNV-1a hash of the content */
};

extern const struct embed_file embed_files[];
extern const size_t embed_count;

/* The file at `path`, or NULL. */
const struct embed_file *embed_find(const char *path);
/* Index of the first file whose path starts with `prefix` (embed_count if none); the
 * files with that prefix follow it consecutively. */
size_t embed_first(const char *prefix);

#endif
