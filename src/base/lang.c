/*
 * lang.c - the reader's language from zh/bo/en texts (see lang.h).
 */
#include "base/lang.h"

#include <string.h>

const char *lang_pick(const char *lang, const char *zh, const char *bo, const char *en,
                      const char **picked)
{
    const char *text = zh, *which = "zh";
    if (lang != NULL && strcmp(lang, "bo") == 0 && bo != NULL && *bo != '\0')
        text = bo, which = "bo";
    else if (lang != NULL && strcmp(lang, "en") == 0 && en != NULL && *en != '\0')
        text = en, which = "en";
    if (picked != NULL)
        *picked = which;
    return text;
}
