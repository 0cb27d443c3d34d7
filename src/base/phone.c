/*
 * phone.c - telephone numbers of the mainland numbering plan (see phone.h).
 */
#include "base/phone.h"

#include <ctype.h>
#include <string.h>

int phone_is_mobile(const char *s)
{
    if (strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
        return 0;
    for (int i = 0; i < 11; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int phone_normalize(const char *in, int accept, char out[PHONE_MAX])
{
    size_t o = 0;
    const char *p = in;
    out[0] = '\0';
    if (strncmp(p, "+86", 3) == 0)
        p += 3;
    for (; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (!isdigit((unsigned char)*p) || o == 12) {
            out[0] = '\0';
            return -1;
        }
        out[o++] = *p;
    }
    out[o] = '\0';
    if ((accept & PHONE_MOBILE) && phone_is_mobile(out))
        return PHONE_MOBILE;
    if ((accept & PHONE_LANDLINE) && o >= 10 && o <= 12 && out[0] == '0')
        return PHONE_LANDLINE;
    out[0] = '\0';
    return -1;
}
