/*
 * certs_fuzz.c - libFuzzer target for the parsers of outside input in the certificate and
 * seal modules: the QR payload (base64url text, then DER), the identifier check, and DER
 * SES_Signature structures (parsed and verified without a database).
 * Build and run: make fuzz; build-fuzz/certs_fuzz fuzz/corpus/certs -max_total_time=60
 * The first byte picks the parser so that one corpus covers all three.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certs/certs.h"
#include "seals/seals.h"

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct err err;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        struct certs_qr q;
        if (certs_qr_parse((const char *)p, n, &q, &err) == 0) {
            /* a parsed payload is consistent: NUL-terminated fields, a 32-byte hash */
            if (strlen(q.identifier) >= CERTS_ID_SIZE || q.tbs == NULL || q.tbs_len == 0 ||
                q.sig_len == 0 || q.sig_len > sizeof(q.sig))
                abort();
            sink += q.tbs_len + strlen(q.es_id);
            certs_qr_free(&q);
        }
        break;
    }
    case 1: {
        char *s = malloc(n + 1);
        if (s == NULL)
            return 0;
        memcpy(s, p, n);
        s[n] = '\0';
        sink += (size_t)certs_identifier_valid(s);
        sink += (size_t)certs_mod37_36(s);
        free(s);
        break;
    }
    default: {
        unsigned char hash[SEALS_HASH_LEN] = {0};
        struct seals_report r;
        if (seals_verify(NULL, p, n, hash, &r, &err) == 0)
            sink += (size_t)r.failed + strlen(r.es_id);
        unsigned char *tbs = NULL, *sig = NULL, *cert = NULL;
        size_t tl, sl, cl;
        if (seals_signature_parts(p, n, &tbs, &tl, &sig, &sl, &cert, &cl, &err) == 0) {
            sink += tl + sl + cl;
            free(tbs);
            free(sig);
            free(cert);
        }
        break;
    }
    }
    return 0;
}
