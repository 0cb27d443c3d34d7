/*
 * idcodes_fuzz.c - libFuzzer target for the validation of citizen ID numbers (GB 11643)
 * and unified social credit codes (GB 32100) in src/identity/idcodes.c, and for masking.
 * Whatever the input, validation must not crash, and whatever it accepts must be its own
 * canonical form: normalising the output again gives the same 18 characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "identity/idcodes.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64)
        return 0;
    char in[65];
    memcpy(in, data, size);
    in[size] = '\0';
    char out[IDCODE_LEN + 1], again[IDCODE_LEN + 1], masked[65];
    struct err err;
    if (idcode_citizen_normalize(in, out, 20261126, &err) == 0) {
        if (idcode_citizen_normalize(out, again, 20261126, &err) != 0 || strcmp(out, again) != 0)
            abort();
        sink += (size_t)out[17];
    }
    if (idcode_uscc_normalize(in, out, &err) == 0) {
        if (idcode_uscc_normalize(out, again, &err) != 0 || strcmp(out, again) != 0)
            abort();
        sink += (size_t)out[17];
    }
    idcode_mask(in, 4, 4, masked);
    sink += strlen(masked);
    return 0;
}
