/*
 * certs_test.c - e-certificates: the ISO 7064 MOD 37,36 check character (the standard's
 * example and every single-character change), identifiers, issuance and verification on a
 * fresh SQLite database, one-byte tampering of the stored data, signature and seal and of
 * the identifier each reported as forged with the check named, the QR payload (round trip,
 * offline verification, truncated / oversized / non-base64), authorised uses refused for
 * a stranger, a wrong type and a revoked certificate, and the PDF: the holder's copy shows
 * the ID numbers the page masks, and its layout keeps the seal off the identifier, the
 * dates and the fields while Tibetan labels stand on the Chinese labels' baseline.
 */
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/id.h"
#include "certs/certs_internal.h"
#include "crypto/crypto.h"
#include "divisions/divisions.h"
#include "identity/identity.h"
#include "seals/seals.h"
#include "store/store.h"

static const unsigned char MASTER[CRYPTO_KEY_LEN] = {3, 1, 4, 1, 5, 9, 2, 6};

struct fixture {
    struct store *s;
    struct crypto_keyring *kr;
    struct identity *id;
    struct certs *cs;
    char dir[64];
    int64_t dept, seal;
};

static const char SQL_DEPT[] =
    "INSERT INTO departments (id, code, name_zh, name_bo, name_en, division_code, created_at) "
    "VALUES (?, 'cg-mz', '拉萨市城关区民政局', 'ལྷ་ས།', 'Chengguan Civil Affairs', 540102000000, 0)";
static const char SQL_GET_BLOB_DOC[] = "SELECT document FROM certificates WHERE identifier = ?";
static const char SQL_SET_BLOB_DOC[] = "UPDATE certificates SET document = ? WHERE identifier = ?";
static const char SQL_GET_BLOB_SIG[] = "SELECT signature FROM certificates WHERE identifier = ?";
static const char SQL_SET_BLOB_SIG[] = "UPDATE certificates SET signature = ? WHERE identifier = ?";

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct err err;
    char url[128];
    int n = 0;
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/ow-certs-XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    snprintf(url, sizeof(url), "sqlite:%s/t.db", fx->dir);
    if (store_open(url, NULL, &fx->s, &err) < 0 || store_migrate(fx->s, NULL, &err) < 0 ||
        divisions_load_reference(fx->s, &n, &err) < 0 ||
        crypto_keyring_from_master(MASTER, &fx->kr) < 0 ||
        seals_root_ensure(fx->s, fx->kr, &err) < 0 || certs_types_load_demo(fx->s, &n, &err) < 0 ||
        identity_open(fx->s, fx->kr, &(struct identity_options){.fast_passwords = 1}, &fx->id,
                      &err) < 0 ||
        certs_open(fx->s, fx->kr, fx->id, &fx->cs, &err) < 0) {
        fprintf(stderr, "certs_test: %s\n", err.msg);
        return -1;
    }
    struct store_stmt *st = store_prepare(store_conn(fx->s, &err), SQL_DEPT, &err);
    fx->dept = id_next();
    store_bind_int64(st, 1, fx->dept);
    if (store_run(st, NULL, &err) < 0)
        return -1;
    int64_t now = time_now_ms();
    struct seals_make_req r = {fx->dept,    SEALS_TYPE_CERT,  "证照专用章", "拉萨市城关区民政局",
                               now - 60000, now + 86400000LL, NULL,         0};
    if (seals_make(fx->s, fx->kr, 0, &r, &fx->seal, &err) < 0)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char cmd[128];
    store_close(fx->s);
    certs_close(fx->cs);
    identity_close(fx->id);
    crypto_keyring_close(fx->kr);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "certs_test: cannot remove %s\n", fx->dir);
    free(fx);
    return 0;
}

static void issue(struct fixture *fx, char id[CERTS_ID_SIZE])
{
    struct err err;
    json_t *data = json_pack("{s:s, s:s, s:s}", "male_name", "扎西多吉", "female_name", "卓玛",
                             "appointment_date", "2026-11-26");
    struct certs_issue_req r = {"MARRIAGE_CERT",        4242,     "扎西多吉",
                                "540102199001011233",   fx->dept, data,
                                "20261126540102000001", 0};
    assert_int_equal(certs_issue(fx->cs, &r, 0, id, &err), 0);
    json_decref(data);
}

static json_t *verify(struct fixture *fx, const char *q)
{
    json_t *res = NULL;
    struct err err;
    assert_int_equal(certs_verify(fx->cs, q, &res, &err), 0);
    return res;
}

static void expect(json_t *res, const char *status, const char *failed)
{
    assert_string_equal(json_string_value(json_object_get(res, "status")), status);
    if (failed == NULL)
        assert_true(json_is_null(json_object_get(res, "failed")) ||
                    json_object_get(res, "failed") == NULL);
    else
        assert_string_equal(json_string_value(json_object_get(res, "failed")), failed);
    json_decref(res);
}

/* ---- identifiers ---------------------------------------------------------------------- */

static void test_mod37_36(void **state)
{
    (void)state;
    /* ISO 7064's example for MOD 37,36 */
    assert_int_equal(certs_mod37_36("A12425GABC1234002"), 'M');
    assert_int_equal(certs_mod37_36("a12425gabc1234002"), 'M');
    assert_int_equal(certs_mod37_36(""), 0);
    assert_int_equal(certs_mod37_36("AB-1"), 0);
    /* every single-character substitution changes the check character */
    const char *base = "11540000MB0P033005001115401029999999993840001";
    char c0 = certs_mod37_36(base), buf[64];
    const char *cs = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (size_t i = 0; base[i]; i++)
        for (const char *p = cs; *p; p++) {
            if (*p == base[i])
                continue;
            snprintf(buf, sizeof(buf), "%s", base);
            buf[i] = *p;
            assert_int_not_equal(certs_mod37_36(buf), c0);
        }
}

static void test_identifier(void **state)
{
    (void)state;
    char id[CERTS_ID_SIZE];
    assert_int_equal(
        certs_identifier_make("11540000MB0P033005001", "11540102MB8544032Q", "1234", "001", id), 0);
    assert_true(certs_identifier_valid(id));
    assert_int_equal(strncmp(id, CERTS_PREFIX, strlen(CERTS_PREFIX)), 0);
    char bad[CERTS_ID_SIZE];
    for (size_t i = strlen(CERTS_PREFIX); id[i]; i++) {
        if (id[i] == '.')
            continue;
        snprintf(bad, sizeof(bad), "%s", id);
        bad[i] = bad[i] == '7' ? '8' : '7';
        assert_false(certs_identifier_valid(bad));
    }
    assert_false(certs_identifier_valid("1.2.156.3005.2.A.B.C.001"));
    assert_false(certs_identifier_valid("1.2.156.3005.2..B.C.001.X"));
    assert_false(certs_identifier_valid(NULL));
    assert_int_equal(certs_identifier_make("lower", "X", "1", "001", id), -1);
}

/* ---- issuance, verification, tampering ----------------------------------------------- */

static void flip_blob(struct fixture *fx, const char *get, const char *set, const char *id,
                      long offset_from_end, const unsigned char *find, size_t find_len,
                      size_t find_offset)
{
    struct err err;
    struct store_conn *c = store_conn(fx->s, &err);
    struct store_stmt *st = store_prepare(c, get, &err);
    store_bind_text(st, 1, id, -1);
    assert_int_equal(store_step(st, &err), STORE_ROW);
    size_t n = 0;
    const void *p = store_col_blob(st, 0, &n);
    unsigned char *b = malloc(n);
    memcpy(b, p, n);
    store_reset(st);
    if (find != NULL) {
        unsigned char *at = memmem(b, n, find, find_len);
        assert_non_null(at);
        at[find_offset] ^= 1;
    } else {
        b[n - (size_t)offset_from_end] ^= 1;
    }
    st = store_prepare(c, set, &err);
    store_bind_blob(st, 1, b, n);
    store_bind_text(st, 2, id, -1);
    assert_int_equal(store_run(st, NULL, &err), 0);
    /* flip back later with the same call */
    free(b);
}

static void test_issue_verify_tamper(void **state)
{
    struct fixture *fx = *state;
    char id[CERTS_ID_SIZE];
    fx->cs->result_ttl_ms = 0; /* every verification reads the register (the cache: below) */
    issue(fx, id);
    assert_true(certs_identifier_valid(id));
    expect(verify(fx, id), "valid", NULL);

    /* data: one byte of the stored (encrypted) document */
    flip_blob(fx, SQL_GET_BLOB_DOC, SQL_SET_BLOB_DOC, id, 40, NULL, 0, 0);
    expect(verify(fx, id), "forged", "data");
    flip_blob(fx, SQL_GET_BLOB_DOC, SQL_SET_BLOB_DOC, id, 40, NULL, 0, 0);
    expect(verify(fx, id), "valid", NULL);

    /* signature: one byte of the signer's SM2 signature */
    flip_blob(fx, SQL_GET_BLOB_SIG, SQL_SET_BLOB_SIG, id, 5, NULL, 0, 0);
    expect(verify(fx, id), "forged", "signature");
    flip_blob(fx, SQL_GET_BLOB_SIG, SQL_SET_BLOB_SIG, id, 5, NULL, 0, 0);

    /* seal: one byte of the seal's picture inside the signature */
    const unsigned char png[4] = {0x89, 'P', 'N', 'G'};
    flip_blob(fx, SQL_GET_BLOB_SIG, SQL_SET_BLOB_SIG, id, 0, png, 4, 300);
    expect(verify(fx, id), "forged", "seal");
    flip_blob(fx, SQL_GET_BLOB_SIG, SQL_SET_BLOB_SIG, id, 0, png, 4, 300);
    expect(verify(fx, id), "valid", NULL);

    /* identifier: its check character */
    char bad[CERTS_ID_SIZE];
    snprintf(bad, sizeof(bad), "%s", id);
    size_t n = strlen(bad);
    bad[n - 1] = bad[n - 1] == 'A' ? 'B' : 'A';
    expect(verify(fx, bad), "forged", "identifier");

    /* revocation */
    struct err err;
    assert_int_equal(certs_revoke(fx->s, 1, id, &err), 0);
    expect(verify(fx, id), "revoked", NULL);
}

/* The result cache (issue 19): a result by identifier is served from memory for at most
 * CERTS_RESULT_TTL_MS (what another node, or an edit behind the platform's back, waits);
 * a revocation through this process shows on the next request. */
/* Poll (20 ms, capped at 3 s) until a verification of `id` says `status`: the time it
 * took in us, after checking that the first answer was still the cached, other one. */
static int64_t until_status(struct fixture *fx, const char *id, const char *status)
{
    int64_t t0 = time_mono_us();
    int polls = 0;
    while (time_mono_us() - t0 < 3000000) {
        json_t *r = verify(fx, id);
        int same = strcmp(json_string_value(json_object_get(r, "status")), status) == 0;
        json_decref(r);
        if (same)
            break;
        polls++;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(polls > 0);
    return time_mono_us() - t0;
}

static void test_result_cache(void **state)
{
    struct fixture *fx = *state;
    char id[CERTS_ID_SIZE], id2[CERTS_ID_SIZE];
    issue(fx, id);
    expect(verify(fx, id), "valid", NULL);

    /* an edit in the database that this process did not make: served from the cache at
     * first (that is the cache), reported within the TTL; and the edit undone, likewise */
    flip_blob(fx, SQL_GET_BLOB_DOC, SQL_SET_BLOB_DOC, id, 40, NULL, 0, 0);
    assert_true(until_status(fx, id, "forged") < 1000000);
    flip_blob(fx, SQL_GET_BLOB_DOC, SQL_SET_BLOB_DOC, id, 40, NULL, 0, 0);
    assert_true(until_status(fx, id, "valid") < 1000000);
    fx->cs->result_ttl_ms = 60000; /* from here on only an invalidation can change a result */
    expect(verify(fx, id), "valid", NULL);

    /* a certificate revoked through this process: the next request says so */
    struct err err;
    assert_int_equal(certs_revoke(fx->s, 1, id, &err), 0);
    expect(verify(fx, id), "revoked", NULL);

    /* the seal revoked through this process: every certificate it sealed, at once */
    issue(fx, id2);
    expect(verify(fx, id2), "valid", NULL);
    assert_int_equal(seals_set_status(fx->s, 1, fx->seal, "revoked", &err), 0);
    expect(verify(fx, id2), "revoked", "seal_status");
}

static void test_qr(void **state)
{
    struct fixture *fx = *state;
    char id[CERTS_ID_SIZE];
    issue(fx, id);
    json_t *v = NULL;
    struct err err;
    assert_int_equal(certs_view(fx->cs, 4242, NULL, 0, id, &v, &err), 0);
    const char *qr = json_string_value(json_object_get(v, "qr"));
    struct certs_qr q;
    assert_int_equal(certs_qr_parse(qr, strlen(qr), &q, &err), 0);
    assert_string_equal(q.identifier, id);
    assert_int_equal(q.valid_until_ms, 0); /* marriage certificates do not expire */
    unsigned char *cert = NULL;
    size_t cl = 0;
    assert_int_equal(seals_cert_der(fx->s, fx->seal, &cert, &cl, &err), 0);
    assert_int_equal(certs_qr_verify_offline(&q, cert, cl), 0);
    q.sig[10] ^= 1;
    assert_int_equal(certs_qr_verify_offline(&q, cert, cl), -1);
    certs_qr_free(&q);
    free(cert);
    expect(verify(fx, qr), "valid", NULL);

    assert_int_equal(certs_qr_parse(qr, strlen(qr) - 3, &q, &err), -1);
    assert_string_equal(err.code, "certs.qr_truncated");
    assert_int_equal(certs_qr_parse(qr, 1, &q, &err), -1);
    assert_string_equal(err.code, "certs.qr_truncated");
    assert_int_equal(certs_qr_parse("", 0, &q, &err), -1);
    assert_string_equal(err.code, "certs.qr_truncated");
    char *big = malloc(CERTS_QR_MAX + 2);
    memset(big, 'A', CERTS_QR_MAX + 1);
    big[CERTS_QR_MAX + 1] = '\0';
    assert_int_equal(certs_qr_parse(big, CERTS_QR_MAX + 1, &q, &err), -1);
    assert_string_equal(err.code, "certs.qr_oversized");
    free(big);
    assert_int_equal(certs_qr_parse("abc+/def==", 10, &q, &err), -1);
    assert_string_equal(err.code, "certs.qr_not_base64");
    json_decref(v);
}

static void test_uses(void **state)
{
    struct fixture *fx = *state;
    char id[CERTS_ID_SIZE];
    issue(fx, id);
    struct err err;
    assert_int_equal(certs_authorise_use(fx->cs, 9999, id, NULL, "A1", fx->dept, 0, &err), -1);
    assert_string_equal(err.code, "certs.not_found");
    assert_int_equal(certs_authorise_use(fx->cs, 4242, id, "ID_CARD", "A1", fx->dept, 0, &err), -1);
    assert_string_equal(err.code, "certs.wrong_type");
    assert_int_equal(
        certs_authorise_use(fx->cs, 4242, id, "MARRIAGE_CERT", "A1", fx->dept, 0, &err), 0);
    /* the department now sees it, masked; a stranger does not */
    json_t *v = NULL;
    assert_int_equal(certs_view(fx->cs, 5, &fx->dept, 1, id, &v, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "holder"), "name")),
                        "扎***");
    json_decref(v);
    int64_t other = fx->dept + 1;
    assert_int_equal(certs_view(fx->cs, 5, &other, 1, id, &v, &err), -1);
    assert_string_equal(err.code, "certs.not_found");
    json_t *w = NULL;
    assert_int_equal(certs_wallet(fx->s, 4242, "MARRIAGE_CERT", &w, &err), 0);
    assert_int_equal(json_array_size(w), 1);
    json_decref(w);
    assert_int_equal(certs_wallet(fx->s, 9999, NULL, &w, &err), 0);
    assert_int_equal(json_array_size(w), 0);
    json_decref(w);
    assert_int_equal(certs_revoke(fx->s, 1, id, &err), 0);
    assert_int_equal(certs_authorise_use(fx->cs, 4242, id, NULL, "A2", fx->dept, 0, &err), -1);
    assert_string_equal(err.code, "certs.revoked");
}

static void test_issue_refusals(void **state)
{
    struct fixture *fx = *state;
    struct err err;
    char id[CERTS_ID_SIZE];
    json_t *data = json_pack("{s:s}", "male_name", "扎西多吉"); /* no female_name */
    struct certs_issue_req r = {"MARRIAGE_CERT", 4242, "扎西多吉", "540102199001011233",
                                fx->dept,        data, "x",        0};
    assert_int_equal(certs_issue(fx->cs, &r, 0, id, &err), -1);
    assert_string_equal(err.code, "certs.bad_data");
    r.type_code = "NO_SUCH";
    assert_int_equal(certs_issue(fx->cs, &r, 0, id, &err), -1);
    assert_string_equal(err.code, "certs.no_type");
    r.type_code = "MARRIAGE_CERT";
    r.holder_id_number = "110105194912310021"; /* bad check digit */
    assert_int_equal(certs_issue(fx->cs, &r, 0, id, &err), -1);
    assert_string_equal(err.code, "certs.bad_data");
    json_decref(data);
    /* a suspended seal issues nothing */
    data = json_pack("{s:s, s:s}", "male_name", "扎西多吉", "female_name", "卓玛");
    r.data = data;
    r.holder_id_number = "540102199001011233";
    assert_int_equal(seals_set_status(fx->s, 1, fx->seal, "suspended", &err), 0);
    assert_int_equal(certs_issue(fx->cs, &r, 0, id, &err), -1);
    assert_string_equal(err.code, "seals.no_seal");
    json_decref(data);
}

static void issue_full(struct fixture *fx, char id[CERTS_ID_SIZE])
{
    struct err err;
    json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "male_name", "扎西多吉", "male_id",
                             "540102199001011233", "female_name", "卓玛", "female_id",
                             "540102199202021238", "appointment_date", "2026-11-26");
    struct certs_issue_req r = {"MARRIAGE_CERT",        4242,     "扎西多吉",
                                "540102199001011233",   fx->dept, data,
                                "20261126540102000001", 0};
    assert_int_equal(certs_issue(fx->cs, &r, 0, id, &err), 0);
    json_decref(data);
}

static const char *field_value(const json_t *v, const char *key)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(v, "fields"), i, f)
    {
        if (strcmp(json_string_value(json_object_get(f, "key")), key) == 0)
            return json_string_value(json_object_get(f, "value"));
    }
    return NULL;
}

/* The page and a department see masked ID numbers; the holder's own document shows them
 * in full, as a marriage certificate must. */
static void test_reveal(void **state)
{
    struct fixture *fx = *state;
    char id[CERTS_ID_SIZE];
    issue_full(fx, id);
    struct err err;
    json_t *v = NULL;
    assert_int_equal(certs_view(fx->cs, 4242, NULL, 0, id, &v, &err), 0);
    assert_string_equal(field_value(v, "wife_id_number"), "5401**********1238");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(v, "holder"), "id_number")),
        "5401**********1233");
    json_decref(v);
    assert_int_equal(certs_view_ex(fx->cs, 4242, NULL, 0, id, 1, &v, &err), 0);
    assert_string_equal(field_value(v, "wife_id_number"), "540102199202021238");
    assert_string_equal(field_value(v, "husband_id_number"), "540102199001011233");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(v, "holder"), "id_number")),
        "540102199001011233");
    json_decref(v);
    /* reveal is for the holder only */
    assert_int_equal(certs_authorise_use(fx->cs, 4242, id, NULL, "A1", fx->dept, 0, &err), 0);
    assert_int_equal(certs_view_ex(fx->cs, 5, &fx->dept, 1, id, 1, &v, &err), 0);
    assert_string_equal(field_value(v, "wife_id_number"), "5401**********1238");
    json_decref(v);
}

static int overlap(struct certs_pdf_box a, struct certs_pdf_box b)
{
    return a.w > 0 && b.w > 0 && a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h &&
           b.y < a.y + a.h;
}

static void inside(const struct certs_pdf_layout *L, struct certs_pdf_box b, const char *what)
{
    if (b.x < 24 || b.y < 24 || b.x + b.w > L->width - 24 || b.y + b.h > L->height - 24)
        fail_msg("%s (%.0f,%.0f %.0fx%.0f) leaves the page's frame", what, b.x, b.y, b.w, b.h);
}

static json_t *names(const char *issuer_zh, const char *issuer_bo)
{
    return json_pack("{s:{s:s, s:s}, s:{s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, "
                     "s:{s:s, s:s}, s:{s:s, s:s}}}",
                     "issuer", "zh", issuer_zh, "bo", issuer_bo, "labels", "holder", "zh", "持证人",
                     "bo", "ལག་ཁྱེར་འཛིན་མཁན།", "id_number", "zh", "公民身份号码", "bo",
                     "ཐོབ་ཐང་ལག་ཁྱེར་ཨང་།", "issued", "zh", "发证日期", "bo", "བཀྲམ་ཚེས།", "until", "zh",
                     "有效期至", "bo", "ནུས་ཚད་མཇུག", "no_expiry", "zh", "长期", "bo", "ཡུན་རིང་།",
                     "identifier", "zh", "证照标识", "bo", "ལག་ཁྱེར་མཚོན་རྟགས།");
}

/* Lay the holder's document out with the given issuer names and check where things went. */
static void check_layout(struct fixture *fx, const char *id, const char *izh, const char *ibo)
{
    struct err err;
    json_t *v = NULL, *n = names(izh, ibo);
    assert_int_equal(certs_view_ex(fx->cs, 4242, NULL, 0, id, 1, &v, &err), 0);
    json_object_set(v, "issuer", json_object_get(n, "issuer"));
    json_object_set(v, "labels", json_object_get(n, "labels"));
    unsigned char *png = NULL, *pdf = NULL;
    size_t png_len = 0, len = 0;
    assert_int_equal(seals_picture(fx->s, fx->seal, &png, &png_len, &err), 0);
    struct certs_pdf_layout L;
    assert_int_equal(certs_pdf_draw(v, png, png_len, &pdf, &len, &L, &err), 0);
    assert_memory_equal(pdf, "%PDF-", 5);
    /* the seal lies over the issuer's names and over nothing else that must be read */
    assert_true(L.seal.w > 100);
    assert_true(overlap(L.seal, L.issuer));
    assert_false(overlap(L.seal, L.identifier));
    assert_false(overlap(L.seal, L.dates));
    assert_false(overlap(L.seal, L.fields));
    assert_false(overlap(L.seal, L.qr));
    assert_false(overlap(L.identifier, L.issuer));
    assert_false(overlap(L.dates, L.issuer));
    assert_false(overlap(L.fields, L.qr));
    assert_false(overlap(L.fields, L.dates));
    assert_false(overlap(L.title, L.fields));
    /* the identifier is printed large enough to read */
    assert_true(L.identifier.h >= 5);
    inside(&L, L.title, "the title");
    inside(&L, L.fields, "the fields");
    inside(&L, L.identifier, "the identifier");
    inside(&L, L.issuer, "the issuer");
    inside(&L, L.seal, "the seal");
    /* every label's Tibetan stands on the line its Chinese stands on (a fifth of the size:
     * lifted to the hanging baseline it was more than half) */
    assert_int_equal(L.nrows, 7);
    for (size_t i = 0; i < L.nrows; i++) {
        assert_true(L.rows[i].han_bottom > 0 && L.rows[i].bo_bottom > 0);
        double d = L.rows[i].bo_bottom - L.rows[i].han_bottom;
        if (d < -0.2 * L.rows[i].size || d > 0.2 * L.rows[i].size)
            fail_msg("row %zu: Tibetan ink ends %.1f pt from the Chinese (size %.1f)", i, d,
                     L.rows[i].size);
    }
    free(pdf);
    free(png);
    json_decref(v);
    json_decref(n);
}

static void test_pdf(void **state)
{
    struct fixture *fx = *state;
    char id[CERTS_ID_SIZE];
    issue_full(fx, id);
    const unsigned char *pdf = NULL;
    size_t n = 0;
    struct err err;
    struct arena *a = arena_new(0);
    assert_int_equal(certs_pdf(fx->cs, a, 4242, id, NULL, &pdf, &n, &err), 0);
    assert_true(n > 5000);
    assert_memory_equal(pdf, "%PDF-", 5);
    assert_int_equal(certs_pdf(fx->cs, a, 777, id, NULL, &pdf, &n, &err), -1);
    arena_free(a);
    assert_string_equal(err.code, "certs.not_found");
    check_layout(fx, id, "拉萨市城关区民政局", "ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་དམངས་སྲིད་ཅུས།");
    /* long names push the identifier smaller, never under the seal */
    check_layout(fx, id, "西藏自治区拉萨市城关区人力资源和社会保障局劳动保障监察大队",
                 "བོད་རང་སྐྱོང་ལྗོངས་ལྷ་ས་གྲོང་ཁྱེར་ཁྲིན་ཀོན་ཆུས་མི་ཤུགས་ཐོན་ཁུངས་དང་སྤྱི་ཚོགས་འགན་"
                 "སྲུང་ཅུས།");
    check_layout(fx, id, "民政局", "");
}

int main(void)
{
    id_init(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mod37_36),
        cmocka_unit_test(test_identifier),
        cmocka_unit_test_setup_teardown(test_issue_verify_tamper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_result_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_qr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reveal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pdf, setup, teardown),
    };
    return cmocka_run_group_tests_name("certs", tests, NULL, NULL);
}
