/*
 * idcodes.c - GB 11643 citizen ID numbers and GB 32100 unified social credit codes.
 * Algorithms and vectors: ../shared/design/FACTS.md, "Identifiers".
 */
#include "identity/idcodes.h"

#include <ctype.h>
#include <string.h>

/* GB 11643 §6 / ISO 7064 MOD 11-2: weights 2^(18-i) mod 11 for positions 1..17. */
static const int id_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char id_checks[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

char idcode_citizen_check(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * id_weights[i];
    return id_checks[sum % 11];
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

int idcode_citizen_normalize(const char *in, char out[IDCODE_LEN + 1], int today_yyyymmdd,
                             struct err *err)
{
    char buf[IDCODE_LEN + 1];
    size_t n = in ? strlen(in) : 0;
    if (n != 18 && n != 15)
        return err_set(err, 400, "identity.id_length",
                       "a citizen ID number has 18 characters (%zu given)", n);
    for (size_t i = 0; i < n; i++) {
        int last = i == n - 1 && n == 18;
        if (!isdigit((unsigned char)in[i]) && !(last && (in[i] == 'X' || in[i] == 'x')))
            return err_set(err, 400, "identity.id_chars",
                           "a citizen ID number has only digits, and X as its last character "
                           "(character %zu is not allowed)",
                           i + 1);
    }
    if (n == 15) {
        /* Legacy numbers (before 1999): 6-digit address, YYMMDD, 3-digit sequence. */
        memcpy(buf, in, 6);
        memcpy(buf + 6, "19", 2);
        memcpy(buf + 8, in + 6, 9);
        buf[17] = idcode_citizen_check(buf);
    } else {
        memcpy(buf, in, 18);
        buf[17] = (char)toupper((unsigned char)buf[17]);
    }
    buf[18] = '\0';
    int y = (buf[6] - '0') * 1000 + (buf[7] - '0') * 100 + (buf[8] - '0') * 10 + (buf[9] - '0');
    int m = (buf[10] - '0') * 10 + (buf[11] - '0');
    int d = (buf[12] - '0') * 10 + (buf[13] - '0');
    int ymd = y * 10000 + m * 100 + d;
    if (y < 1850 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m) ||
        (today_yyyymmdd > 0 && ymd > today_yyyymmdd))
        return err_set(err, 400, "identity.id_birth_date",
                       "the birth date in this ID number (characters 7-14: %.8s) is not a "
                       "valid date",
                       buf + 6);
    if (n == 18 && idcode_citizen_check(buf) != buf[17])
        return err_set(err, 400, "identity.id_check",
                       "the last character of this ID number does not match the others: "
                       "check for a mistyped digit");
    memcpy(out, buf, IDCODE_LEN + 1);
    return 0;
}

/* GB 32100 §4: a charset of 31 (no I, O, S, V, Z), value = index. */
static const char uscc_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int uscc_weights[17] = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                     29, 25, 13, 8,  24, 10, 30, 28};

static int uscc_value(char c)
{
    const char *p = c ? strchr(uscc_chars, c) : NULL;
    return p ? (int)(p - uscc_chars) : -1;
}

char idcode_uscc_check(const char *first17)
{
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        int v = uscc_value(first17[i]);
        if (v < 0)
            return 0;
        sum += v * uscc_weights[i];
    }
    int c = 31 - sum % 31;
    return uscc_chars[c == 31 ? 0 : c];
}

int idcode_uscc_normalize(const char *in, char out[IDCODE_LEN + 1], struct err *err)
{
    size_t n = in ? strlen(in) : 0;
    if (n != 18)
        return err_set(err, 400, "identity.uscc_length",
                       "a unified social credit code has 18 characters (%zu given)", n);
    char buf[IDCODE_LEN + 1];
    for (size_t i = 0; i < 18; i++) {
        buf[i] = (char)toupper((unsigned char)in[i]);
        if (uscc_value(buf[i]) < 0)
            return err_set(err, 400, "identity.uscc_chars",
                           "character %zu of this credit code is not allowed (codes use digits "
                           "and the letters A-Y without I, O, S, V, Z)",
                           i + 1);
    }
    buf[18] = '\0';
    if (idcode_uscc_check(buf) != buf[17])
        return err_set(err, 400, "identity.uscc_check",
                       "the last character of this credit code does not match the others: "
                       "check for a mistyped character");
    memcpy(out, buf, IDCODE_LEN + 1);
    return 0;
}

void idcode_mask(const char *in, size_t head, size_t tail, char *out)
{
    /* Count characters (UTF-8 lead bytes) so names mask by character, not byte. */
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++)
        chars += (*p & 0xc0) != 0x80;
    if (head + tail >= chars) {
        /* Too short to keep both ends: show only the first character. */
        head = chars > 1 ? 1 : 0;
        tail = 0;
    }
    size_t idx = 0, o = 0;
    int masking = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        int lead = (*p & 0xc0) != 0x80;
        if (lead) {
            masking = idx >= head && idx < chars - tail;
            idx++;
            if (masking)
                out[o++] = '*';
        }
        if (!masking)
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}
