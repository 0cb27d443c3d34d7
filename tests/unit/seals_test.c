/*
 * seals_test.c - the trust root, making seals, the GB/T 38540-style structures (DER round
 * trip), signing and verification with every check named: changed data, a changed byte of
 * the signature, of the seal (its picture), a truncated structure, a suspended and a
 * revoked seal. On a fresh SQLite database per test.
 */
#include "test.h"

#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/id.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "seals/seals.h"
#include "seals/seals_internal.h"
#include "store/store.h"

struct fixture {
    struct fx_db db;
    struct store *s;           /* db.s */
    struct crypto_keyring *kr; /* db.kr */
    int64_t dept;
};

static const char SQL_DEPT[] =
    "INSERT INTO departments (id, code, name_zh, name_bo, name_en, division_code, created_at) "
    "VALUES (?, 'cg-mz', '拉萨市城关区民政局', NULL, NULL, 540102000000, 0)";

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct err err;
    if (fx_db_open(&fx->db, "seals", FX_DIVISIONS) < 0)
        return -1;
    fx->s = fx->db.s;
    fx->kr = fx->db.kr;
    struct store_conn *c = store_conn(fx->s, &err);
    struct store_stmt *st = store_prepare(c, SQL_DEPT, &err);
    fx->dept = id_next();
    store_bind_int64(st, 1, fx->dept);
    if (store_run(st, NULL, &err) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    if (fx_db_close(&fx->db) < 0)
        fprintf(stderr, "seals_test: cannot remove %s\n", fx->db.dir);
    free(fx);
    return 0;
}

static int64_t make_seal(struct fixture *fx)
{
    struct err err;
    int64_t now = time_now_ms(), id = 0;
    struct seals_make_req r = {fx->dept,    SEALS_TYPE_CERT,  "证照专用章", "拉萨市城关区民政局",
                               now - 60000, now + 86400000LL, NULL,         0};
    assert_int_equal(seals_make(fx->s, fx->kr, 0, &r, &id, &err), 0);
    return id;
}

static void hash_of(const char *s, unsigned char h[32])
{
    assert_int_equal(crypto_sm3(s, strlen(s), h), 0);
}

static enum seals_check check(struct fixture *fx, const unsigned char *sig, size_t n,
                              const unsigned char h[32])
{
    struct seals_report r;
    struct err err;
    assert_int_equal(seals_verify(fx->s, sig, n, h, &r, &err), 0);
    return r.failed;
}

static void test_root_once(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    assert_int_equal(seals_root_ensure(fx->s, fx->kr, &err), 1);
    assert_int_equal(seals_root_ensure(fx->s, fx->kr, &err), 0);
    unsigned char *der = NULL;
    size_t len = 0;
    assert_int_equal(seals_root_der(fx->s, &der, &len, &err), 0);
    X509 *x = seals_x509_parse(der, len);
    assert_non_null(x);
    assert_int_equal(seals_x509_signed_by(x, x), 0); /* self-signed, default SM2 ID */
    X509_free(x);
    free(der);
}

static void test_sign_verify_and_tamper(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    assert_int_equal(seals_root_ensure(fx->s, fx->kr, &err), 1);
    int64_t seal = make_seal(fx);
    unsigned char h[32], other[32], *sig = NULL;
    size_t n = 0;
    hash_of("a document", h);
    hash_of("another document", other);
    assert_int_equal(seals_sign(fx->s, fx->kr, 7, seal, h, "doc-1", 0, &sig, &n, &err), 0);
    assert_int_equal(check(fx, sig, n, h), SEALS_OK);
    assert_int_equal(check(fx, sig, n, other), SEALS_DATA);

    /* DER round trip: decode and encode give the same bytes. */
    const unsigned char *p = sig;
    OW_SES_SIGNATURE *s = d2i_OW_SES_SIGNATURE(NULL, &p, (long)n);
    assert_non_null(s);
    assert_ptr_equal(p, sig + n);
    unsigned char *again = NULL;
    int m = i2d_OW_SES_SIGNATURE(s, &again);
    assert_int_equal(m, (int)n);
    assert_memory_equal(again, sig, n);
    assert_int_equal(ASN1_INTEGER_get(s->to_sign->version), 4);
    assert_int_equal(s->to_sign->eseal->info->header->version
                         ? ASN1_INTEGER_get(s->to_sign->eseal->info->header->version)
                         : 0,
                     4);
    OPENSSL_free(again);
    OW_SES_SIGNATURE_free(s);

    /* a byte of the signer's signature (at the end of the structure) */
    unsigned char *t = malloc(n);
    memcpy(t, sig, n);
    t[n - 5] ^= 1;
    assert_int_equal(check(fx, t, n, h), SEALS_SIGNATURE);
    /* a byte of the seal: its picture */
    memcpy(t, sig, n);
    unsigned char png[4] = {0x89, 'P', 'N', 'G'};
    unsigned char *at = memmem(t, n, png, 4);
    assert_non_null(at);
    at[200] ^= 1;
    assert_int_equal(check(fx, t, n, h), SEALS_SEAL);
    /* truncated */
    assert_int_equal(check(fx, sig, n - 1, h), SEALS_MALFORMED);
    assert_int_equal(check(fx, sig, 10, h), SEALS_MALFORMED);
    free(t);

    /* the independent checker's parts */
    unsigned char *tbs, *sg, *cert;
    size_t tl, sl, cl;
    assert_int_equal(seals_signature_parts(sig, n, &tbs, &tl, &sg, &sl, &cert, &cl, &err), 0);
    assert_non_null(memmem(tbs, tl, h, 32));
    free(tbs);
    free(sg);
    free(cert);
    free(sig);
}

/* The key cache (issue 19): a second signature uses the cached key (and verifies); the
 * stored key's bytes are its version, so a changed stored key is never answered with the
 * old one; the entry is shared safely (the caller's handle outlives a drop). */
static void test_key_cache(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    assert_int_equal(seals_root_ensure(fx->s, fx->kr, &err), 1);
    int64_t seal = make_seal(fx);
    unsigned char h[32], *sig = NULL;
    size_t n = 0;
    hash_of("receipt", h);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(seals_sign(fx->s, fx->kr, 7, seal, h, "r", 0, &sig, &n, &err), 0);
        assert_int_equal(check(fx, sig, n, h), SEALS_OK);
        free(sig);
    }
    struct store_conn *c = store_conn(fx->s, &err);
    struct seals_row row;
    int found = 0;
    assert_int_equal(seals_db_seal_get(c, seal, NULL, &row, &found, &err), 0);
    assert_true(found);
    struct crypto_key *k = seals_key_cache_get(fx->kr, seal, row.private_sealed, row.private_len);
    assert_non_null(k); /* cached by the signatures above */
    row.private_sealed[row.private_len - 1] ^= 1;
    assert_null(seals_key_cache_get(fx->kr, seal, row.private_sealed, row.private_len));
    row.private_sealed[row.private_len - 1] ^= 1;

    /* a changed stored key: the AEAD open fails, not a signature with the cached key */
    row.private_sealed[row.private_len - 1] ^= 1;
    struct store_stmt *st =
        store_prepare(c, "UPDATE seals SET private_sealed = ? WHERE id = ?", &err);
    store_bind_blob(st, 1, row.private_sealed, row.private_len);
    store_bind_int64(st, 2, seal);
    assert_int_equal(store_run(st, NULL, &err), 0);
    assert_int_equal(seals_sign(fx->s, fx->kr, 7, seal, h, "r", 0, &sig, &n, &err), -1);
    assert_string_equal(err.code, "seals.key");
    seals_row_free(&row);

    /* a status change drops the entry; the handle given out stays usable */
    seals_key_cache_put(fx->kr, seal, (const unsigned char *)"v", 1, k);
    assert_int_equal(seals_set_status(fx->s, 1, seal, "suspended", &err), 0);
    assert_null(seals_key_cache_get(fx->kr, seal, (const unsigned char *)"v", 1));
    unsigned char raw[CRYPTO_SM2_SIG_MAX];
    size_t rl = 0;
    assert_int_equal(crypto_sm2_sign(k, "m", 1, raw, sizeof(raw), &rl), 0);
    crypto_key_free(k);
}

static void test_status(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    assert_int_equal(seals_root_ensure(fx->s, fx->kr, &err), 1);
    int64_t seal = make_seal(fx), found = 0;
    unsigned char h[32], *sig = NULL, *old = NULL;
    size_t n = 0, oldn = 0;
    hash_of("x", h);
    assert_int_equal(seals_sign(fx->s, fx->kr, 7, seal, h, "x", 0, &old, &oldn, &err), 0);
    assert_int_equal(
        seals_find_active(fx->s, fx->dept, SEALS_TYPE_CERT, time_now_ms(), &found, &err), 0);
    assert_true(found == seal);

    assert_int_equal(seals_set_status(fx->s, 1, seal, "suspended", &err), 0);
    assert_int_equal(seals_sign(fx->s, fx->kr, 7, seal, h, "x", 0, &sig, &n, &err), -1);
    assert_string_equal(err.code, "seals.suspended");
    assert_int_equal(
        seals_find_active(fx->s, fx->dept, SEALS_TYPE_CERT, time_now_ms(), &found, &err), -1);
    assert_string_equal(err.code, "seals.no_seal");
    assert_int_equal(check(fx, old, oldn, h), SEALS_OK); /* suspension does not void the past */

    assert_int_equal(seals_set_status(fx->s, 1, seal, "revoked", &err), 0);
    assert_int_equal(seals_sign(fx->s, fx->kr, 7, seal, h, "x", 0, &sig, &n, &err), -1);
    assert_string_equal(err.code, "seals.revoked");
    assert_int_equal(seals_set_status(fx->s, 1, seal, "active", &err), -1);
    assert_string_equal(err.code, "seals.bad_status");
    assert_int_equal(check(fx, old, oldn, h), SEALS_STATUS);
    assert_int_equal(seals_set_status(fx->s, 1, 12345, "active", &err), -1);
    assert_string_equal(err.code, "seals.not_found");
    free(old);
}

static void test_bad_input(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    assert_int_equal(seals_root_ensure(fx->s, fx->kr, &err), 1);
    int64_t id, now = time_now_ms();
    struct seals_make_req r = {fx->dept, "emperor", "x", "x", now, now + 1000, NULL, 0};
    assert_int_equal(seals_make(fx->s, fx->kr, 0, &r, &id, &err), -1);
    assert_string_equal(err.code, "seals.bad_input");
    r.type = SEALS_TYPE_OFFICIAL;
    r.valid_to_ms = now - 1;
    assert_int_equal(seals_make(fx->s, fx->kr, 0, &r, &id, &err), -1);
    r.valid_to_ms = now + 1000;
    r.png = (const unsigned char *)"GIF89a....";
    r.png_len = 10;
    assert_int_equal(seals_make(fx->s, fx->kr, 0, &r, &id, &err), -1);
}

static void test_picture(void **state)
{
    (void)state;
    unsigned char *png = NULL;
    size_t n = 0;
    struct err err;
    assert_int_equal(seals_render_picture("拉萨市城关区民政局", "证照专用章", 300, &png, &n, &err),
                     0);
    assert_true(n > 1000);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    free(png);
    assert_int_equal(seals_render_picture(NULL, "x", 300, &png, &n, &err), -1);
}

int main(void)
{
    id_init(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_root_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_verify_and_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test(test_picture),
    };
    return cmocka_run_group_tests_name("seals", tests, NULL, NULL);
}
