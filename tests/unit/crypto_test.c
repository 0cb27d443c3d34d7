/*
 * crypto_test.c - tests of the cryptography module (src/crypto/crypto.h): the standards'
 * vectors (SM3, SM4, SM2 Annex A, RFC 6238), values produced by independent tools on
 * this machine (`openssl dgst -sm3 -hmac`, `openssl kdf`, npm jose, npm sm-crypto),
 * round trips, and the refusals: every altered byte of a sealed value, every kind of
 * malformed or forged token, badly protected key files.
 */
#include "test.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"

/* ---- helpers ---- */

static size_t unhex(const char *hex, unsigned char *out, size_t size)
{
    size_t n = 0;
    assert_int_equal(crypto_hex_decode(hex, strlen(hex), out, size, &n), 0);
    return n;
}

static void assert_hex(const unsigned char *p, size_t n, const char *expect)
{
    char hex[1024];
    assert_true(2 * n + 1 <= sizeof(hex));
    assert_int_equal(crypto_hex_encode(p, n, hex, sizeof(hex)), (int)(2 * n));
    assert_string_equal(hex, expect);
}

static const unsigned char test_master[32] = {
    0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

/* ---- randomness, encodings ---- */

static void test_random_and_equal(void **state)
{
    unsigned char a[64], b[64];
    assert_int_equal(crypto_random(a, sizeof(a)), 0);
    assert_int_equal(crypto_random(b, sizeof(b)), 0);
    assert_false(crypto_equal(a, b, sizeof(a))); /* 2^-512 */
    memcpy(b, a, sizeof(a));
    assert_true(crypto_equal(a, b, sizeof(a)));
    b[63] ^= 1;
    assert_false(crypto_equal(a, b, sizeof(a)));
    assert_true(crypto_equal(a, b, 0));
    crypto_wipe(a, sizeof(a));
    for (size_t i = 0; i < sizeof(a); i++)
        assert_int_equal(a[i], 0);
    crypto_wipe(NULL, 5);
    crypto_free_secret(NULL, 5);
}

static void test_b64url(void **state)
{
    /* RFC 4648 §10 vectors, without padding. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[64];
    unsigned char raw[64];
    size_t n = 0;

    for (int i = 0; i < 7; i++) {
        size_t len = strlen(plain[i]);
        assert_int_equal(crypto_b64url_encode(plain[i], len, out, sizeof(out)),
                         (int)strlen(enc[i]));
        assert_string_equal(out, enc[i]);
        assert_int_equal(CRYPTO_B64URL_LEN(len), strlen(enc[i]));
        assert_int_equal(crypto_b64url_decode(enc[i], strlen(enc[i]), raw, sizeof(raw), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(raw, plain[i], len);
    }
    /* The URL-safe alphabet: 0xfb 0xff is "+/8" in base64, "-_8" here. */
    const unsigned char hi[] = {0xfb, 0xff};
    assert_int_equal(crypto_b64url_encode(hi, 2, out, sizeof(out)), 3);
    assert_string_equal(out, "-_8");
    assert_int_equal(crypto_b64url_decode("-_8", 3, raw, sizeof(raw), &n), 0);
    assert_memory_equal(raw, hi, 2);

    /* Refusals: padding, the standard alphabet, whitespace, impossible lengths,
     * non-zero trailing bits (a second spelling of the same bytes), no room. */
    static const char *const bad[] = {"Zg==",  "Zg=", "+_8", "-/8", "Zm9v YmFy",
                                      "Zm9vY", "Z",   "Zh",  "Zm9", "Zm9vYmF\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(crypto_b64url_decode(bad[i], strlen(bad[i]), raw, sizeof(raw), &n), -1);
    assert_int_equal(crypto_b64url_decode("Zm\0v", 4, raw, sizeof(raw), &n), -1);
    assert_int_equal(crypto_b64url_decode("Zm9vYmFy", 8, raw, 5, &n), -1);
    assert_int_equal(crypto_b64url_decode("Zm9vYmFy", 8, raw, 6, &n), 0);
    assert_int_equal(crypto_b64url_encode("foobar", 6, out, 8), -1); /* no room for NUL */
    assert_int_equal(crypto_b64url_encode("foobar", 6, out, 9), 8);

    /* Every byte value survives, at every length modulo 3. */
    unsigned char all[256];
    char big[400];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    for (size_t len = 253; len <= 256; len++) {
        unsigned char back[256];
        int w = crypto_b64url_encode(all, len, big, sizeof(big));
        assert_int_equal(w, (int)CRYPTO_B64URL_LEN(len));
        assert_int_equal(crypto_b64url_decode(big, (size_t)w, back, sizeof(back), &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(back, all, len);
    }
}

static void test_hex(void **state)
{
    unsigned char raw[8];
    char out[32];
    size_t n = 0;
    const unsigned char v[] = {0x00, 0x7f, 0x80, 0xff, 0xab};
    assert_int_equal(crypto_hex_encode(v, 5, out, sizeof(out)), 10);
    assert_string_equal(out, "007f80ffab");
    assert_int_equal(crypto_hex_decode("007F80FFAb", 10, raw, sizeof(raw), &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(raw, v, 5);
    assert_int_equal(crypto_hex_decode("abc", 3, raw, sizeof(raw), &n), -1);
    assert_int_equal(crypto_hex_decode("zz", 2, raw, sizeof(raw), &n), -1);
    assert_int_equal(crypto_hex_decode("0x00", 4, raw, sizeof(raw), &n), -1);
    assert_int_equal(crypto_hex_decode("00112233445566778899", 20, raw, sizeof(raw), &n), -1);
    assert_int_equal(crypto_hex_encode(v, 5, out, 10), -1);
}

/* ---- SM3, SM4, HMAC-SM3, KDF ---- */

static void test_sm3_vectors(void **state)
{
    unsigned char d[CRYPTO_SM3_LEN];
    char abcd16[65];
    for (int i = 0; i < 16; i++)
        memcpy(abcd16 + 4 * i, "abcd", 4);
    abcd16[64] = '\0';

    assert_int_equal(crypto_sm3("abc", 3, d), 0);
    assert_hex(d, sizeof(d), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    assert_int_equal(crypto_sm3(abcd16, 64, d), 0);
    assert_hex(d, sizeof(d), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");

    /* Incremental: every split point of the 64-byte vector gives the same digest. */
    for (size_t cut = 0; cut <= 64; cut += 7) {
        struct crypto_sm3 *h = crypto_sm3_new();
        assert_non_null(h);
        assert_int_equal(crypto_sm3_update(h, abcd16, cut), 0);
        assert_int_equal(crypto_sm3_update(h, abcd16 + cut, 64 - cut), 0);
        assert_int_equal(crypto_sm3_final(h, d), 0);
        assert_hex(d, sizeof(d),
                   "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
        crypto_sm3_free(h);
    }
    crypto_sm3_free(NULL);
}

static void test_sm4_vectors(void **state)
{
    /* GB/T 32907 Appendix A, through EVP SM4-ECB as the platform's OpenSSL provides it. */
    unsigned char key[16], block[16], out[32];
    int len = 0;
    unhex("0123456789abcdeffedcba9876543210", key, sizeof(key));
    memcpy(block, key, 16);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex2(ctx, EVP_sm4_ecb(), key, NULL, NULL), 1);
    assert_int_equal(EVP_CIPHER_CTX_set_padding(ctx, 0), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, out, &len, block, 16), 1);
    assert_int_equal(len, 16);
    assert_hex(out, 16, "681edf34d206965e86b3e94f536e4246");
    for (int i = 1; i < 1000000; i++) {
        assert_int_equal(EVP_EncryptUpdate(ctx, out, &len, out, 16), 1);
    }
    assert_hex(out, 16, "595298c7c6fd271f0402f804c33d3f66");
    EVP_CIPHER_CTX_free(ctx);
}

static void test_hmac_sm3(void **state)
{
    unsigned char mac[CRYPTO_SM3_LEN], mac2[CRYPTO_SM3_LEN];
    const char *msg = "The quick brown fox jumps over the lazy dog";
    /* printf '%s' "$msg" | openssl dgst -sm3 -hmac onewindow-test-key (OpenSSL 3.0.19) */
    assert_int_equal(crypto_hmac_sm3("onewindow-test-key", 18, msg, strlen(msg), mac), 0);
    assert_hex(mac, sizeof(mac),
               "43114dba99488671358ec548b5c78744c72eee512545bbda43c5fe934dbc6359");
    /* printf '' | openssl dgst -sm3 -hmac key */
    assert_int_equal(crypto_hmac_sm3("key", 3, "", 0, mac), 0);
    assert_hex(mac, sizeof(mac),
               "4deb29b9be17bd4fd2aca21f908885b9f849bc61e8fbd101e04fd9987528d4df");
    /* Round trip: same inputs, same MAC; another key or message, another MAC. */
    assert_int_equal(crypto_hmac_sm3("k1", 2, "m", 1, mac), 0);
    assert_int_equal(crypto_hmac_sm3("k1", 2, "m", 1, mac2), 0);
    assert_memory_equal(mac, mac2, sizeof(mac));
    assert_int_equal(crypto_hmac_sm3("k2", 2, "m", 1, mac2), 0);
    assert_memory_not_equal(mac, mac2, sizeof(mac));
    assert_int_equal(crypto_hmac_sm3("k1", 2, "n", 1, mac2), 0);
    assert_memory_not_equal(mac, mac2, sizeof(mac));
}

static void test_kdf(void **state)
{
    unsigned char a[32], b[32], big[300];
    /* openssl kdf -keylen 32 -kdfopt digest:SM3 -kdfopt hexkey:000102..1f
     *   -kdfopt salt:onewindow.kdf.v1 -kdfopt info:LABEL HKDF */
    assert_int_equal(crypto_kdf(test_master, "pii-enc", a, 32), 0);
    assert_hex(a, 32, "1fc6a3168757490c9bb3e4f1a12a5cdaa2f5dc5bc23f1d5a2040e2ecad2fc28a");
    assert_int_equal(crypto_kdf(test_master, "pii-mac", a, 32), 0);
    assert_hex(a, 32, "8e5a0a2fb42e395f8a3a4c0fc631c7c65f450b899696d6a6fb043f4a741232d5");
    assert_int_equal(crypto_kdf(test_master, "pii-lookup", a, 32), 0);
    assert_hex(a, 32, "ce3d4729041a002594e91118181306bcb11a4b04e9e3d966ad022dc3827b7379");

    /* Every label gives its own key. */
    static const char *const labels[] = {"pii-enc", "pii-mac",    "pii-lookup", "session",
                                         "csrf",    "secret-enc", "secret-mac", "recovery-code"};
    unsigned char keys[8][32];
    for (int i = 0; i < 8; i++) {
        assert_int_equal(crypto_kdf(test_master, labels[i], keys[i], 32), 0);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(keys[i], keys[j], 32);
    }
    /* Another master, another key. */
    unsigned char other[32];
    memcpy(other, test_master, 32);
    other[0] ^= 1;
    assert_int_equal(crypto_kdf(other, "pii-enc", b, 32), 0);
    assert_memory_not_equal(keys[0], b, 32);

    /* Labels and lengths are checked. */
    assert_int_equal(crypto_kdf(test_master, "", a, 32), -1);
    assert_int_equal(crypto_kdf(test_master, "with space", a, 32), -1);
    assert_int_equal(crypto_kdf(test_master, "nul\x01", a, 32), -1);
    assert_int_equal(crypto_kdf(test_master, NULL, a, 32), -1);
    assert_int_equal(crypto_kdf(test_master, "x", a, 0), -1);
    assert_int_equal(crypto_kdf(test_master, "x", big, sizeof(big)), 0);
    char longlabel[66];
    memset(longlabel, 'a', 65);
    longlabel[65] = '\0';
    assert_int_equal(crypto_kdf(test_master, longlabel, a, 32), -1);
    longlabel[64] = '\0';
    assert_int_equal(crypto_kdf(test_master, longlabel, a, 32), 0);
}

/* ---- at-rest encryption ---- */

static void test_aead_roundtrip(void **state)
{
    struct crypto_aead_key key;
    static const size_t sizes[] = {0, 1, 15, 16, 17, 100, 1000, 70000};
    unsigned char *pt = malloc(70000), *ct = malloc(70000 + CRYPTO_AEAD_OVERHEAD),
                  *back = malloc(70000), *ct2 = malloc(70000 + CRYPTO_AEAD_OVERHEAD);
    size_t n = 0, n2 = 0;
    const char *ad = "person.id_number:7201";

    assert_non_null(pt);
    assert_non_null(ct);
    assert_non_null(back);
    assert_non_null(ct2);
    assert_int_equal(crypto_aead_key_derive(test_master, "pii-enc", "pii-mac", &key), 0);
    assert_int_equal(crypto_aead_key_derive(test_master, "same", "same", &key), -1);
    assert_int_equal(crypto_aead_key_derive(test_master, "pii-enc", "pii-mac", &key), 0);
    assert_int_equal(crypto_random(pt, 70000), 0);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = sizes[i];
        assert_int_equal(
            crypto_aead_seal(&key, ad, strlen(ad), pt, len, ct, len + CRYPTO_AEAD_OVERHEAD, &n), 0);
        assert_int_equal(n, len + CRYPTO_AEAD_OVERHEAD);
        assert_int_equal(ct[0], CRYPTO_AEAD_VERSION);
        if (len >= 16)
            assert_memory_not_equal(ct + 17, pt, 16); /* it is encrypted */
        assert_int_equal(crypto_aead_open(&key, ad, strlen(ad), ct, n, back, len, &n2), 0);
        assert_int_equal(n2, len);
        if (len > 0)
            assert_memory_equal(back, pt, len);
        /* A second seal of the same value differs (fresh nonce) and opens too. */
        assert_int_equal(
            crypto_aead_seal(&key, ad, strlen(ad), pt, len, ct2, len + CRYPTO_AEAD_OVERHEAD, &n2),
            0);
        assert_memory_not_equal(ct, ct2, 1 + CRYPTO_AEAD_NONCE_LEN);
    }
    /* No associated data at all is allowed, and is not the same as some. */
    assert_int_equal(crypto_aead_seal(&key, NULL, 0, "x", 1, ct, 64, &n), 0);
    assert_int_equal(crypto_aead_open(&key, NULL, 0, ct, n, back, 64, &n2), 0);
    assert_int_equal(crypto_aead_open(&key, "", 0, ct, n, back, 64, &n2), 0);
    assert_int_equal(crypto_aead_open(&key, "a", 1, ct, n, back, 64, &n2), -1);
    /* Output buffers too small. */
    assert_int_equal(crypto_aead_seal(&key, NULL, 0, "xy", 2, ct, 2 + CRYPTO_AEAD_OVERHEAD - 1, &n),
                     -1);
    assert_int_equal(crypto_aead_seal(&key, NULL, 0, "xy", 2, ct, 2 + CRYPTO_AEAD_OVERHEAD, &n), 0);
    assert_int_equal(crypto_aead_open(&key, NULL, 0, ct, n, back, 1, &n2), -1);
    crypto_wipe(&key, sizeof(key));
    free(pt);
    free(ct);
    free(ct2);
    free(back);
}

static void test_aead_tamper(void **state)
{
    struct crypto_aead_key key, other;
    unsigned char pt[100], ct[100 + CRYPTO_AEAD_OVERHEAD], back[200];
    const char *ad = "person.phone:42";
    size_t n = 0, n2 = 0;

    assert_int_equal(crypto_aead_key_derive(test_master, "pii-enc", "pii-mac", &key), 0);
    assert_int_equal(crypto_aead_key_derive(test_master, "secret-enc", "secret-mac", &other), 0);
    for (int i = 0; i < 100; i++)
        pt[i] = (unsigned char)('a' + i % 26);
    assert_int_equal(crypto_aead_seal(&key, ad, strlen(ad), pt, 100, ct, sizeof(ct), &n), 0);
    assert_int_equal(n, sizeof(ct));

    /* Every single-byte change anywhere (version, nonce, ciphertext, tag) is refused,
     * and the output buffer is left untouched. */
    for (size_t i = 0; i < n; i++) {
        static const unsigned char flips[] = {0x01, 0x80, 0xff};
        for (size_t f = 0; f < sizeof(flips); f++) {
            memset(back, 0x5a, sizeof(back));
            ct[i] ^= flips[f];
            assert_int_equal(crypto_aead_open(&key, ad, strlen(ad), ct, n, back, sizeof(back), &n2),
                             -1);
            ct[i] ^= flips[f];
            for (size_t k = 0; k < sizeof(back); k++)
                assert_int_equal(back[k], 0x5a);
        }
    }
    /* Wrong associated data: another row, another column, a prefix, an extension. */
    static const char *const wrong_ad[] = {"person.phone:43", "person.email:42", "person.phone:4",
                                           "person.phone:420", ""};
    for (size_t i = 0; i < sizeof(wrong_ad) / sizeof(wrong_ad[0]); i++)
        assert_int_equal(crypto_aead_open(&key, wrong_ad[i], strlen(wrong_ad[i]), ct, n, back,
                                          sizeof(back), &n2),
                         -1);
    /* Truncated at every length, or extended by a byte. */
    for (size_t len = 0; len < n; len++)
        assert_int_equal(crypto_aead_open(&key, ad, strlen(ad), ct, len, back, sizeof(back), &n2),
                         -1);
    unsigned char longer[sizeof(ct) + 1];
    memcpy(longer, ct, n);
    longer[n] = 0;
    assert_int_equal(crypto_aead_open(&key, ad, strlen(ad), longer, n + 1, back, sizeof(back), &n2),
                     -1);
    /* Another key. */
    assert_int_equal(crypto_aead_open(&other, ad, strlen(ad), ct, n, back, sizeof(back), &n2), -1);
    /* The untouched value still opens. */
    assert_int_equal(crypto_aead_open(&key, ad, strlen(ad), ct, n, back, sizeof(back), &n2), 0);
    assert_int_equal(n2, 100);
    assert_memory_equal(back, pt, 100);
    crypto_wipe(&key, sizeof(key));
    crypto_wipe(&other, sizeof(other));
}

static void test_lookup_hash(void **state)
{
    unsigned char k1[32], k2[32], h1[32], h2[32];
    char hex[65];
    const char *id = "11010519491231002X";
    assert_int_equal(crypto_kdf(test_master, "pii-lookup", k1, 32), 0);
    assert_int_equal(crypto_kdf(test_master, "session", k2, 32), 0);
    assert_int_equal(crypto_lookup_hash(k1, id, strlen(id), h1), 0);
    assert_int_equal(crypto_lookup_hash(k1, id, strlen(id), h2), 0);
    assert_memory_equal(h1, h2, 32);
    assert_int_equal(crypto_hmac_sm3(k1, 32, id, strlen(id), h2), 0);
    assert_memory_equal(h1, h2, 32);
    assert_int_equal(crypto_lookup_hash_hex(k1, id, strlen(id), hex), 0);
    assert_hex(h1, 32, hex);
    assert_int_equal(crypto_lookup_hash(k2, id, strlen(id), h2), 0);
    assert_memory_not_equal(h1, h2, 32);
    assert_int_equal(crypto_lookup_hash(k1, "11010519491231002x", 18, h2), 0);
    assert_memory_not_equal(h1, h2, 32); /* normalising is the caller's job */
}

/* ---- the keyring ---- */

static void key_path(const char *dir, char *path, size_t size)
{
    snprintf(path, size, "%s/keys/master.key", dir);
}

static void test_keyring_file(void **state)
{
    char dir[] = "/tmp/ow-crypto-XXXXXX", path[256], keydir[256], link_target[300];
    struct crypto_keyring *kr = NULL, *kr2 = NULL, *kr3 = NULL;
    struct err err;
    struct stat st;
    unsigned char master[64];
    ssize_t got;
    int fd;

    assert_non_null(mkdtemp(dir));
    key_path(dir, path, sizeof(path));
    snprintf(keydir, sizeof(keydir), "%s/keys", dir);

    /* First use creates the directory (0700) and the file (0600, 32 bytes). */
    err_clear(&err);
    assert_int_equal(crypto_keyring_open(dir, &kr, &err), 0);
    assert_int_equal(stat(keydir, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 32);
    /* No temporary file is left behind. */
    char probe[300];
    snprintf(probe, sizeof(probe), "ls -A %s | wc -l | grep -qx 1", keydir);
    assert_int_equal(system(probe), 0);

    /* The keyring's subkeys are those derived from the file's bytes. */
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    got = read(fd, master, sizeof(master));
    close(fd);
    assert_int_equal(got, 32);
    assert_int_equal(crypto_keyring_from_master(master, &kr3), 0);
    unsigned char expect[32];
    assert_int_equal(crypto_kdf(master, "pii-lookup", expect, 32), 0);
    assert_memory_equal(crypto_keyring_subkey(kr, CRYPTO_SUBKEY_PII_LOOKUP), expect, 32);
    assert_int_equal(crypto_kdf(master, "recovery-code", expect, 32), 0);
    assert_memory_equal(crypto_keyring_subkey(kr, CRYPTO_SUBKEY_RECOVERY), expect, 32);
    assert_int_equal(crypto_kdf(master, "secret-mac", expect, 32), 0);
    assert_memory_equal(crypto_keyring_aead(kr, CRYPTO_AEAD_SECRETS)->mac, expect, 32);
    assert_int_equal(crypto_kdf(master, "pii-enc", expect, 16), 0);
    assert_memory_equal(crypto_keyring_aead(kr, CRYPTO_AEAD_PII)->enc, expect, 16);
    assert_int_equal(crypto_keyring_derive(kr, "audit", expect, 32), 0);
    unsigned char expect2[32];
    assert_int_equal(crypto_keyring_derive(kr3, "audit", expect2, 32), 0);
    assert_memory_equal(expect, expect2, 32);
    assert_null(crypto_keyring_subkey(kr, CRYPTO_SUBKEY_COUNT));
    assert_null(crypto_keyring_aead(kr, CRYPTO_AEAD_USE_COUNT));

    /* Reopening loads the same key: what one keyring sealed, the next one opens. */
    unsigned char ct[64], back[64];
    size_t n = 0, n2 = 0;
    assert_int_equal(crypto_aead_seal(crypto_keyring_aead(kr, CRYPTO_AEAD_PII), "a", 1, "hello", 5,
                                      ct, sizeof(ct), &n),
                     0);
    assert_int_equal(crypto_keyring_open(dir, &kr2, &err), 0);
    assert_int_equal(crypto_aead_open(crypto_keyring_aead(kr2, CRYPTO_AEAD_PII), "a", 1, ct, n,
                                      back, sizeof(back), &n2),
                     0);
    assert_memory_equal(back, "hello", 5);
    assert_int_equal(crypto_aead_open(crypto_keyring_aead(kr2, CRYPTO_AEAD_SECRETS), "a", 1, ct, n,
                                      back, sizeof(back), &n2),
                     -1);
    crypto_keyring_close(kr2);
    kr2 = NULL;

    /* A key file open to group or others is refused with a sentence saying what to do. */
    static const mode_t bad_modes[] = {0640, 0604, 0620, 0660, 0644};
    for (size_t i = 0; i < sizeof(bad_modes) / sizeof(bad_modes[0]); i++) {
        assert_int_equal(chmod(path, bad_modes[i]), 0);
        err_clear(&err);
        assert_int_equal(crypto_keyring_open(dir, &kr2, &err), -1);
        assert_null(kr2);
        assert_string_equal(err.code, "crypto.keyfile");
        assert_non_null(strstr(err.msg, "chmod 600"));
    }
    assert_int_equal(chmod(path, 0600), 0);

    /* So is a key directory open to others. */
    assert_int_equal(chmod(keydir, 0755), 0);
    assert_int_equal(crypto_keyring_open(dir, &kr2, &err), -1);
    assert_non_null(strstr(err.msg, "chmod 700"));
    assert_int_equal(chmod(keydir, 0700), 0);

    /* A file of another owner (root can make one). */
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 12345, 12345), 0);
        assert_int_equal(crypto_keyring_open(dir, &kr2, &err), -1);
        assert_non_null(strstr(err.msg, "uid 12345"));
        assert_int_equal(chown(path, 0, 0), 0);
    }

    /* A file of the wrong size: it is not silently replaced nor padded. */
    assert_int_equal(truncate(path, 31), 0);
    assert_int_equal(crypto_keyring_open(dir, &kr2, &err), -1);
    assert_non_null(strstr(err.msg, "31 bytes"));
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, master, 33), 33);
    close(fd);
    assert_int_equal(crypto_keyring_open(dir, &kr2, &err), -1);
    assert_non_null(strstr(err.msg, "33 bytes"));

    /* A symbolic link in place of the file is refused. */
    snprintf(link_target, sizeof(link_target), "%s/elsewhere.key", dir);
    fd = open(link_target, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, master, 32), 32);
    close(fd);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(symlink(link_target, path), 0);
    assert_int_equal(crypto_keyring_open(dir, &kr2, &err), -1);
    assert_non_null(strstr(err.msg, "symbolic link"));

    /* Put the original key back: the old keyring's data opens again. */
    assert_int_equal(unlink(path), 0);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, master, 32), 32);
    close(fd);
    assert_int_equal(crypto_keyring_open(dir, &kr2, &err), 0);
    assert_int_equal(crypto_aead_open(crypto_keyring_aead(kr2, CRYPTO_AEAD_PII), "a", 1, ct, n,
                                      back, sizeof(back), &n2),
                     0);

    /* A missing data directory is an error, not created behind the operator's back. */
    struct crypto_keyring *none = NULL;
    assert_int_equal(crypto_keyring_open("/nonexistent/ow-data", &none, &err), -1);
    assert_null(none);

    crypto_keyring_close(kr);
    crypto_keyring_close(kr2);
    crypto_keyring_close(kr3);
    crypto_keyring_close(NULL);
    crypto_wipe(master, sizeof(master));
    unlink(path);
    unlink(link_target);
    rmdir(keydir);
    rmdir(dir);
}

struct race_job {
    const char *dir;
    pthread_barrier_t *start;
    unsigned char lookup[32];
    int rc;
};

static void *race_worker(void *arg)
{
    struct race_job *job = arg;
    struct crypto_keyring *kr = NULL;
    pthread_barrier_wait(job->start);
    job->rc = crypto_keyring_open(job->dir, &kr, NULL);
    if (job->rc == 0)
        memcpy(job->lookup, crypto_keyring_subkey(kr, CRYPTO_SUBKEY_PII_LOOKUP), 32);
    crypto_keyring_close(kr);
    return NULL;
}

static void test_keyring_create_race(void **state)
{
    /* Several starters on a fresh data directory all end up with the one published key:
     * link(2) never replaces a key file another starter published first. */
    for (int round = 0; round < 10; round++) {
        char dir[] = "/tmp/ow-crypto-race-XXXXXX", path[256], cmd[300];
        struct race_job jobs[4];
        pthread_t t[4];
        pthread_barrier_t start;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(pthread_barrier_init(&start, NULL, 4), 0);
        for (int i = 0; i < 4; i++) {
            jobs[i] = (struct race_job){.dir = dir, .start = &start};
            assert_int_equal(pthread_create(&t[i], NULL, race_worker, &jobs[i]), 0);
        }
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
        pthread_barrier_destroy(&start);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(jobs[i].rc, 0);
            assert_memory_equal(jobs[i].lookup, jobs[0].lookup, 32);
        }
        snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s/keys)\" = master.key", dir);
        assert_int_equal(system(cmd), 0);
        key_path(dir, path, sizeof(path));
        unlink(path);
        snprintf(path, sizeof(path), "%s/keys", dir);
        rmdir(path);
        rmdir(dir);
    }
}

/* ---- passwords ---- */

static void test_password(void **state)
{
    struct crypto_password_params p = CRYPTO_PASSWORD_TEST;
    struct crypto_pwhash *ph = NULL, *ph2 = NULL;
    char hash[CRYPTO_PASSWORD_HASH_SIZE], hash2[CRYPTO_PASSWORD_HASH_SIZE];
    struct err err;
    const char *pw = "correct horse battery staple 藏";

    assert_int_equal(crypto_pwhash_new(&p, 2, &ph, &err), 0);
    assert_int_equal(crypto_password_hash(ph, pw, strlen(pw), hash, sizeof(hash)), 0);
    assert_true(strncmp(hash, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0);
    assert_int_equal(crypto_password_verify(ph, hash, pw, strlen(pw), &err), 0);
    err_clear(&err);
    assert_int_equal(crypto_password_verify(ph, hash, "wrong", 5, &err), -1);
    assert_string_equal(err.code, "crypto.password_mismatch");
    assert_int_equal(crypto_password_verify(ph, hash, pw, strlen(pw) - 1, &err), -1);
    /* Salted: the same password hashes differently each time. */
    assert_int_equal(crypto_password_hash(ph, pw, strlen(pw), hash2, sizeof(hash2)), 0);
    assert_string_not_equal(hash, hash2);
    /* Empty and maximal passwords work; a longer one is refused, and never matches. */
    assert_int_equal(crypto_password_hash(ph, "", 0, hash2, sizeof(hash2)), 0);
    assert_int_equal(crypto_password_verify(ph, hash2, "", 0, &err), 0);
    char *longpw = malloc(CRYPTO_PASSWORD_MAX + 1);
    assert_non_null(longpw);
    memset(longpw, 'p', CRYPTO_PASSWORD_MAX + 1);
    assert_int_equal(crypto_password_hash(ph, longpw, CRYPTO_PASSWORD_MAX, hash2, sizeof(hash2)),
                     0);
    assert_int_equal(crypto_password_verify(ph, hash2, longpw, CRYPTO_PASSWORD_MAX, &err), 0);
    assert_int_equal(
        crypto_password_hash(ph, longpw, CRYPTO_PASSWORD_MAX + 1, hash2, sizeof(hash2)), -1);
    assert_int_equal(crypto_password_verify(ph, hash2, longpw, CRYPTO_PASSWORD_MAX + 1, &err), -1);
    free(longpw);
    /* Too small an output buffer. */
    assert_int_equal(crypto_password_hash(ph, pw, strlen(pw), hash2, 40), -1);

    /* needs_rehash: same parameters no; other parameters, garbage or argon2i yes. */
    assert_int_equal(crypto_password_needs_rehash(ph, hash), 0);
    struct crypto_password_params q = {2, 64, 1};
    assert_int_equal(crypto_pwhash_new(&q, 1, &ph2, &err), 0);
    assert_int_equal(crypto_password_needs_rehash(ph2, hash), 1);
    assert_int_equal(crypto_password_verify(ph2, hash, pw, strlen(pw), &err), 0); /* still */
    assert_int_equal(crypto_password_needs_rehash(ph, "garbage"), 1);
    assert_int_equal(
        crypto_password_needs_rehash(ph, "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA"), 1);
    assert_int_equal(crypto_password_needs_rehash(ph, "$argon2id$v=16$m=64,t=1,p=1$c2FsdA$aA"), 1);

    /* Stored strings that are not ours, or that would ask for absurd resources. */
    static const char *const invalid[] = {
        "",
        "plaintext",
        "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=64,t=1,p=64$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0",
        "$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaGhhc2hoYXNo",
    };
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        err_clear(&err);
        assert_int_equal(crypto_password_verify(ph, invalid[i], pw, strlen(pw), &err), -1);
        assert_string_equal(err.code, "crypto.password_hash_invalid");
    }
    /* Parameters are validated when the hasher is made. */
    struct crypto_password_params bad = {0, 64, 1};
    struct crypto_pwhash *none = NULL;
    assert_int_equal(crypto_pwhash_new(&bad, 1, &none, &err), -1);
    bad = (struct crypto_password_params){1, 4, 1};
    assert_int_equal(crypto_pwhash_new(&bad, 1, &none, &err), -1);
    assert_null(none);
    /* Defaults: FACTS.md's t=3, m=64 MiB, p=1, one slot per CPU. */
    struct crypto_pwhash_stats st;
    assert_int_equal(crypto_pwhash_new(NULL, 0, &none, &err), 0);
    crypto_pwhash_stats(none, &st);
    assert_int_equal(st.max_concurrent, (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
    assert_int_equal(crypto_password_needs_rehash(none, "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aA"),
                     0);
    crypto_pwhash_free(none);
    crypto_pwhash_free(ph);
    crypto_pwhash_free(ph2);
    crypto_pwhash_free(NULL);
}

struct gate_job {
    struct crypto_pwhash *ph;
    int failures;
};

static void *gate_worker(void *arg)
{
    struct gate_job *job = arg;
    char hash[CRYPTO_PASSWORD_HASH_SIZE];
    for (int i = 0; i < 3; i++) {
        if (crypto_password_hash(job->ph, "pw", 2, hash, sizeof(hash)) != 0 ||
            crypto_password_verify(job->ph, hash, "pw", 2, NULL) != 0)
            job->failures++;
    }
    return NULL;
}

static void test_password_gate(void **state)
{
    /* Eight threads against a gate of two: never more than two hashes at once. */
    struct crypto_password_params p = {1, 1024, 1};
    struct crypto_pwhash *ph = NULL;
    struct crypto_pwhash_stats st;
    struct gate_job jobs[8];
    pthread_t t[8];

    assert_int_equal(crypto_pwhash_new(&p, 2, &ph, NULL), 0);
    for (int i = 0; i < 8; i++) {
        jobs[i] = (struct gate_job){ph, 0};
        assert_int_equal(pthread_create(&t[i], NULL, gate_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    crypto_pwhash_stats(ph, &st);
    assert_int_equal(st.max_concurrent, 2);
    assert_true(st.peak >= 1 && st.peak <= 2);
    assert_int_equal(st.running, 0);
    assert_int_equal(st.waiting, 0);
    crypto_pwhash_free(ph);
}

/* ---- TOTP and recovery codes ---- */

static const unsigned char rfc6238_secret[] = "12345678901234567890";

static void test_totp_rfc6238(void **state)
{
    /* RFC 6238 Appendix B, SHA-1 column (8 digits). */
    static const struct {
        int64_t t;
        const char *code;
    } vec[] = {
        {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
        {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
    };
    char code[9];
    int64_t step = -1;
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        assert_int_equal(crypto_totp_code(rfc6238_secret, 20, vec[i].t, 8, code), 0);
        assert_string_equal(code, vec[i].code);
        assert_int_equal(crypto_totp_verify(rfc6238_secret, 20, 8, vec[i].code, vec[i].t, 1, &step),
                         0);
        assert_int_equal(step, vec[i].t / 30);
    }
    /* Window: the code of 1111111109 (step 37037036) is accepted one step later and one
     * step earlier with window 1, and reports its own step; two steps away it is not. */
    assert_int_equal(
        crypto_totp_verify(rfc6238_secret, 20, 8, "07081804", 1111111109 + 30, 1, &step), 0);
    assert_int_equal(step, 37037036);
    assert_int_equal(
        crypto_totp_verify(rfc6238_secret, 20, 8, "07081804", 1111111109 - 30, 1, &step), 0);
    assert_int_equal(step, 37037036);
    assert_int_equal(
        crypto_totp_verify(rfc6238_secret, 20, 8, "07081804", 1111111109 + 60, 1, &step), -1);
    assert_int_equal(
        crypto_totp_verify(rfc6238_secret, 20, 8, "07081804", 1111111109 + 30, 0, &step), -1);
    /* 6 digits are the last six of the 8-digit value (RFC 4226 truncation). */
    assert_int_equal(crypto_totp_code(rfc6238_secret, 20, 59, 6, code), 0);
    assert_string_equal(code, "287082");
    assert_int_equal(crypto_totp_verify(rfc6238_secret, 20, 6, "287082", 59, 1, &step), 0);
    assert_int_equal(step, 1);
    /* Malformed codes. */
    static const char *const bad[] = {"28708", "2870822", "28708a", " 87082", "", "-28708"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(crypto_totp_verify(rfc6238_secret, 20, 6, bad[i], 59, 1, &step), -1);
    assert_int_equal(crypto_totp_verify(rfc6238_secret, 20, 6, "287083", 59, 1, &step), -1);
    assert_int_equal(crypto_totp_verify(rfc6238_secret, 20, 6, NULL, 59, 1, &step), -1);
    assert_int_equal(crypto_totp_code(rfc6238_secret, 20, 59, 5, code), -1);
    assert_int_equal(crypto_totp_code(rfc6238_secret, 20, -1, 6, code), -1);

    /* A fresh secret's code verifies at the current step. */
    unsigned char secret[CRYPTO_TOTP_SECRET_LEN];
    int64_t now = 1760000000;
    assert_int_equal(crypto_totp_secret_new(secret), 0);
    assert_int_equal(crypto_totp_code(secret, sizeof(secret), now, 6, code), 0);
    assert_int_equal(crypto_totp_verify(secret, sizeof(secret), 6, code, now, 1, &step), 0);
    assert_int_equal(step, now / 30);
    crypto_wipe(secret, sizeof(secret));
}

static void test_totp_uri(void **state)
{
    char b32[64], uri[512];
    assert_int_equal(crypto_totp_secret_base32(rfc6238_secret, 20, b32, sizeof(b32)), 32);
    assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert_int_equal(crypto_totp_secret_base32(rfc6238_secret, 20, b32, 32), -1);
    assert_int_equal(crypto_totp_secret_base32((const unsigned char *)"f", 1, b32, sizeof(b32)), 2);
    assert_string_equal(b32, "MY"); /* padding stripped */

    int n = crypto_totp_uri("Gov Portal", "张三@example.cn", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 6,
                            uri, sizeof(uri));
    const char *expect = "otpauth://totp/Gov%20Portal:%E5%BC%A0%E4%B8%89%40example.cn"
                         "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gov%20Portal"
                         "&algorithm=SHA1&digits=6&period=30";
    assert_string_equal(uri, expect);
    assert_int_equal(n, (int)strlen(expect));
    /* A colon or ampersand in the names cannot break the structure. */
    assert_true(crypto_totp_uri("A:B&C", "x?y#z", "MY", 6, uri, sizeof(uri)) > 0);
    assert_string_equal(uri, "otpauth://totp/A%3AB%26C:x%3Fy%23z?secret=MY&issuer=A%3AB%26C"
                             "&algorithm=SHA1&digits=6&period=30");
    assert_int_equal(crypto_totp_uri("I", "a", "MY", 6, uri, 20), -1);
    assert_int_equal(crypto_totp_uri("I", "a", "my", 6, uri, sizeof(uri)), -1);
    assert_int_equal(crypto_totp_uri("", "a", "MY", 6, uri, sizeof(uri)), -1);
}

static void test_recovery_codes(void **state)
{
    char codes[10][CRYPTO_RECOVERY_CODE_SIZE], norm[CRYPTO_RECOVERY_CODE_SIZE];
    unsigned char key[32], h1[32], h2[32];
    const char *alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    assert_int_equal(crypto_recovery_codes(codes, 10), 0);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(strlen(codes[i]), 11);
        assert_int_equal(codes[i][5], '-');
        for (int k = 0; k < 11; k++)
            if (k != 5)
                assert_non_null(strchr(alphabet, codes[i][k]));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(codes[i], codes[j]);
        assert_int_equal(crypto_recovery_code_normalize(codes[i], norm), 0);
        assert_string_equal(norm, codes[i]);
    }
    assert_int_equal(crypto_recovery_codes(codes, 0), -1);

    /* What a person types: upper case, spaces, no hyphen, look-alike letters. */
    assert_int_equal(crypto_recovery_code_normalize(" AB1CD EFG0H ", norm), 0);
    assert_string_equal(norm, "ab1cd-efg0h");
    assert_int_equal(crypto_recovery_code_normalize("abLcd-efgOh", norm), 0);
    assert_string_equal(norm, "ab1cd-efg0h");
    assert_int_equal(crypto_recovery_code_normalize("abIcdefgoh", norm), 0);
    assert_string_equal(norm, "ab1cd-efg0h");
    static const char *const bad[] = {
        "abcd-efgh", "abcde-fghjkm", "abcde-fghju", "abcde_fghjk", "", "abcde-fghj\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(crypto_recovery_code_normalize(bad[i], norm), -1);

    /* The stored hash matches however the code is typed, and only that code. */
    assert_int_equal(crypto_kdf(test_master, "recovery-code", key, 32), 0);
    assert_int_equal(crypto_recovery_code_hash(key, "ab1cd-efg0h", h1), 0);
    assert_int_equal(crypto_recovery_code_hash(key, "AB1CD EFGOH", h2), 0);
    assert_memory_equal(h1, h2, 32);
    assert_int_equal(crypto_hmac_sm3(key, 32, "ab1cd-efg0h", 11, h2), 0);
    assert_memory_equal(h1, h2, 32);
    assert_int_equal(crypto_recovery_code_hash(key, "ab1cd-efg0j", h2), 0);
    assert_memory_not_equal(h1, h2, 32);
    assert_int_equal(crypto_recovery_code_hash(key, "nope", h2), -1);
    crypto_wipe(codes, sizeof(codes));
}

/* ---- ES256, JWK, JWS ---- */

/* RFC 6979 A.2.5's P-256 key. Its public point, JWK and thumbprint were computed with
 * Node's crypto and npm jose 6.2.18 (calculateJwkThumbprint). */
static const char es_d[] = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
static const char es_pub[] = "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6"
                             "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
static const char es_x[] = "YP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Y";
static const char es_y[] = "eQP-EAi4vJmkGunpVii8ZPLxsgwtfp9Rd6PClNRGIpk";
static const char es_thumb[] = "DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0";
/* Signed by npm jose (SignJWT, ES256) with that key, header kid "rp-key-1". */
static const char es_jose_token[] =
    "eyJhbGciOiJFUzI1NiIsImtpZCI6InJwLWtleS0xIn0."
    "eyJpc3MiOiJodHRwczovL3JwLmV4YW1wbGUiLCJzdWIiOiJjbGllbnQtMSIsImF1ZCI6Imh0dHBzOi8vb25ld2luZG"
    "93LmV4YW1wbGUvdG9rZW4iLCJleHAiOjQxMDI0NDQ4MDAsImlhdCI6MTcwMDAwMDAwMCwianRpIjoia2F0LTEifQ."
    "FF7n9-VHQYnjnbTAkBcBxnBP8PQ6yhHvclAsKiJVAgGcdWAgFjG6Tv5GNSD3lsu9ln_rLWOEz3uSTtL6miOBeg";

static void test_jwk_thumbprint(void **state)
{
    struct crypto_key *key = NULL;
    struct err err;
    char hex[CRYPTO_PUBLIC_HEX_SIZE], thumb[CRYPTO_THUMBPRINT_LEN + 1], canonical[200];
    char expect[300];

    assert_int_equal(crypto_key_from_private_hex(CRYPTO_KEY_ES256, es_d, &key, &err), 0);
    assert_true(crypto_key_has_private(key));
    assert_int_equal(crypto_key_type(key), CRYPTO_KEY_ES256);
    assert_int_equal(crypto_key_public_hex(key, hex), 0);
    assert_string_equal(hex, es_pub);
    assert_int_equal(crypto_jwk_thumbprint(key, thumb, canonical, sizeof(canonical)), 0);
    /* RFC 7638 §3.2 canonical form, byte for byte. */
    snprintf(expect, sizeof(expect), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
             es_x, es_y);
    assert_string_equal(canonical, expect);
    assert_string_equal(thumb, es_thumb);
    assert_string_equal(crypto_key_kid(key), es_thumb);
    assert_int_equal(crypto_jwk_thumbprint(key, thumb, canonical, 20), -1);

    json_t *jwk = crypto_key_jwk(key);
    assert_non_null(jwk);
    char *text = json_dumps(jwk, JSON_COMPACT);
    snprintf(expect, sizeof(expect),
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\","
             "\"alg\":\"ES256\",\"use\":\"sig\"}",
             es_x, es_y, es_thumb);
    assert_string_equal(text, expect);
    free(text);

    /* The public JWK imports back to the same key (the kid is the JWK's). */
    struct crypto_key *pub = NULL;
    assert_int_equal(crypto_key_from_jwk(jwk, &pub, &err), 0);
    assert_false(crypto_key_has_private(pub));
    assert_int_equal(crypto_key_public_hex(pub, hex), 0);
    assert_string_equal(hex, es_pub);
    assert_string_equal(crypto_key_kid(pub), es_thumb);
    json_decref(jwk);
    crypto_key_free(pub);
    crypto_key_free(key);
}

static void test_jws_sign_verify(void **state)
{
    struct crypto_key *key = NULL, *other = NULL, *pub = NULL;
    struct err err;
    char *token = NULL, *pem = NULL;
    size_t pem_len = 0;
    json_t *payload = json_pack("{s:s, s:s, s:I, s:s}", "iss", "https://onewindow.example", "sub",
                                "u-1", "exp", (json_int_t)4102444800, "name", "卓玛");
    json_t *got = NULL;

    assert_int_equal(crypto_key_generate(CRYPTO_KEY_ES256, &key), 0);
    assert_int_equal(crypto_key_generate(CRYPTO_KEY_ES256, &other), 0);
    assert_string_not_equal(crypto_key_kid(key), crypto_key_kid(other));
    assert_int_equal(crypto_jws_sign(key, payload, &token), 0);

    /* Header exactly as specified, signature 64 raw bytes. */
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    unsigned char buf[256];
    size_t n = 0;
    assert_int_equal(crypto_b64url_decode(token, (size_t)(dot1 - token), buf, sizeof(buf), &n), 0);
    char expect[128];
    snprintf(expect, sizeof(expect), "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             crypto_key_kid(key));
    assert_int_equal(n, strlen(expect));
    assert_memory_equal(buf, expect, n);
    assert_int_equal(crypto_b64url_decode(dot2 + 1, strlen(dot2 + 1), buf, sizeof(buf), &n), 0);
    assert_int_equal(n, 64);

    /* Verifies with a key set containing it, by kid; not with the other key alone. */
    struct crypto_key *set[] = {other, key};
    assert_int_equal(crypto_jws_verify(token, set, 2, &got, &err), 0);
    assert_true(json_equal(got, payload));
    assert_int_equal(json_integer_value(json_object_get(got, "exp")), 4102444800);
    assert_string_equal(json_string_value(json_object_get(got, "name")), "卓玛");
    json_decref(got);
    got = NULL;
    assert_int_equal(crypto_jws_verify(token, &other, 1, &got, &err), -1);
    assert_null(got);
    assert_string_equal(err.code, "crypto.jws_invalid");
    assert_non_null(strstr(err.msg, "kid"));

    /* A public key imported from PEM verifies it; it cannot sign. */
    assert_int_equal(crypto_key_public_pem(key, &pem, &pem_len), 0);
    assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_ES256, pem, pem_len, &pub, &err), 0);
    free(pem);
    assert_false(crypto_key_has_private(pub));
    assert_string_equal(crypto_key_kid(pub), crypto_key_kid(key));
    assert_int_equal(crypto_jws_verify(token, &pub, 1, &got, &err), 0);
    json_decref(got);
    got = NULL;
    char *t2 = NULL;
    assert_int_equal(crypto_jws_sign(pub, payload, &t2), -1);
    assert_null(t2);
    assert_int_equal(crypto_key_private_pem(pub, &pem, &pem_len), -1);
    crypto_key_free(pub);
    pub = NULL;

    /* Private PEM round trip signs tokens the original key verifies. */
    assert_int_equal(crypto_key_private_pem(key, &pem, &pem_len), 0);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_ES256, pem, pem_len, &pub, &err), 0);
    crypto_free_secret(pem, pem_len);
    assert_int_equal(crypto_jws_sign(pub, payload, &t2), 0);
    assert_int_equal(crypto_jws_verify(t2, &key, 1, &got, &err), 0);
    json_decref(got);
    got = NULL;
    free(t2);

    /* Through its JWK, as a relying party would. */
    json_t *jwk = crypto_key_jwk(key);
    json_t *jwks = json_pack("{s:[o, O]}", "keys", crypto_key_jwk(other), jwk);
    assert_int_equal(crypto_jws_verify_with_jwk(token, jwks, &got, &err), 0);
    json_decref(got);
    got = NULL;
    assert_int_equal(crypto_jws_verify_with_jwk(token, jwk, &got, &err), 0);
    json_decref(got);
    got = NULL;
    json_decref(jwk);
    json_decref(jwks);

    /* Payloads must be objects. */
    json_t *arr = json_array();
    assert_int_equal(crypto_jws_sign(key, arr, &t2), -1);
    json_decref(arr);

    free(token);
    json_decref(payload);
    crypto_key_free(pub);
    crypto_key_free(key);
    crypto_key_free(other);
}

/* A token with the given header and payload JSON and a signature of 64 zero bytes, or
 * `sig` (base64url) when given. */
static char *forge(const char *header, const char *payload, const char *sig)
{
    static char tok[20000];
    char h[4096], p[4096], s[100];
    unsigned char zero[64] = {0};
    assert_true(crypto_b64url_encode(header, strlen(header), h, sizeof(h)) >= 0);
    assert_true(crypto_b64url_encode(payload, strlen(payload), p, sizeof(p)) >= 0);
    if (sig == NULL) {
        assert_true(crypto_b64url_encode(zero, 64, s, sizeof(s)) >= 0);
        sig = s;
    }
    snprintf(tok, sizeof(tok), "%s.%s.%s", h, p, sig);
    return tok;
}

/* The key's private half as an OpenSSL key, through its PEM (tests only). */
static EVP_PKEY *openssl_key(const struct crypto_key *key)
{
    char *pem = NULL;
    size_t len = 0;
    assert_int_equal(crypto_key_private_pem(key, &pem, &len), 0);
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(pkey);
    BIO_free(bio);
    crypto_free_secret(pem, len);
    return pkey;
}

/* DER ECDSA-SHA256 signature of `input` with OpenSSL directly. */
static size_t der_sign(const struct crypto_key *key, const char *input, unsigned char *der,
                       size_t size)
{
    EVP_PKEY *pkey = openssl_key(key);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    size_t n = size;
    assert_int_equal(EVP_DigestSignInit_ex(mctx, NULL, "SHA256", NULL, NULL, pkey, NULL), 1);
    assert_int_equal(EVP_DigestSign(mctx, der, &n, (const unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(pkey);
    return n;
}

/* "input.base64url(DER signature)" (malloc'd). */
static char *sign_der(const struct crypto_key *key, const char *input)
{
    unsigned char der[80];
    size_t n = der_sign(key, input, der, sizeof(der));
    char *tok = malloc(strlen(input) + 200);
    assert_non_null(tok);
    int o = sprintf(tok, "%s.", input);
    assert_true(crypto_b64url_encode(der, n, tok + o, 150) > 0);
    return tok;
}

/* A correctly signed compact JWS with any header and payload text (malloc'd): OpenSSL
 * signs, the DER signature is converted to R || S here, independently of the module. */
static char *sign_raw(const struct crypto_key *key, const char *header, const char *payload)
{
    unsigned char der[80], rs[64] = {0};
    char *tok = malloc(strlen(header) * 2 + strlen(payload) * 2 + 200);
    assert_non_null(tok);
    int o = crypto_b64url_encode(header, strlen(header), tok, 4096);
    tok[o++] = '.';
    o += crypto_b64url_encode(payload, strlen(payload), tok + o, 4096);
    size_t n = der_sign(key, tok, der, sizeof(der));
    /* SEQUENCE { INTEGER r, INTEGER s }, short lengths for P-256. */
    assert_int_equal(der[0], 0x30);
    size_t p = 2;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(der[p], 0x02);
        size_t l = der[p + 1];
        const unsigned char *v = der + p + 2;
        while (l > 32) {
            v++;
            l--;
        }
        memcpy(rs + 32 * k + (32 - l), v, l);
        p += 2 + der[p + 1];
    }
    assert_int_equal(p, n);
    tok[o++] = '.';
    assert_int_equal(crypto_b64url_encode(rs, 64, tok + o, 100), 86);
    return tok;
}

static void expect_refused(const char *token, struct crypto_key *const *keys, size_t n,
                           const char *why)
{
    struct err err;
    json_t *got = (json_t *)1;
    err_clear(&err);
    if (crypto_jws_verify(token, keys, n, &got, &err) != -1)
        fail_msg("accepted: %s", why);
    assert_null(got);
    assert_string_equal(err.code[0] ? err.code : "?", "crypto.jws_invalid");
}

static void test_jws_refusals(void **state)
{
    struct crypto_key *key = NULL, *k2 = NULL;
    char *token = NULL, *t = NULL;
    json_t *payload = json_pack("{s:s, s:I}", "sub", "u-1", "exp", (json_int_t)4102444800);
    json_t *got = NULL;
    struct err err;

    assert_int_equal(crypto_key_generate(CRYPTO_KEY_ES256, &key), 0);
    assert_int_equal(crypto_key_generate(CRYPTO_KEY_ES256, &k2), 0);
    assert_int_equal(crypto_jws_sign(key, payload, &token), 0);
    assert_int_equal(crypto_jws_verify(token, &key, 1, &got, &err), 0);
    json_decref(got);
    got = NULL;
    size_t len = strlen(token);
    t = strdup(token);
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    size_t p1 = (size_t)(dot1 - token), p2 = (size_t)(dot2 - token);

    /* Any changed character, in the header, the payload or the signature. */
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '.')
            continue;
        strcpy(t, token);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        expect_refused(t, &key, 1, "tampered character");
    }
    /* Segments: missing, empty, extra; trailing garbage. */
    strcpy(t, token);
    t[p2] = '\0';
    expect_refused(t, &key, 1, "two segments");
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s.", token);
    expect_refused(buf, &key, 1, "four segments");
    snprintf(buf, sizeof(buf), "%s.%s", token, dot2 + 1);
    expect_refused(buf, &key, 1, "four segments");
    static const char *const trailers[] = {" ", "=", "==", "\n", "A", "%00"};
    for (size_t i = 0; i < sizeof(trailers) / sizeof(trailers[0]); i++) {
        snprintf(buf, sizeof(buf), "%s%s", token, trailers[i]);
        expect_refused(buf, &key, 1, "trailing garbage");
    }
    snprintf(buf, sizeof(buf), " %s", token);
    expect_refused(buf, &key, 1, "leading space");
    snprintf(buf, sizeof(buf), "%.*s.%s", (int)p2, token, "");
    expect_refused(buf, &key, 1, "empty signature");
    snprintf(buf, sizeof(buf), "%.*s..%s", (int)p1, token, dot2 + 1);
    expect_refused(buf, &key, 1, "empty payload");
    expect_refused("", &key, 1, "empty token");
    expect_refused("..", &key, 1, "dots only");
    expect_refused(NULL, &key, 1, "NULL token");

    /* A second spelling of the same signature (non-zero trailing bits) is refused. */
    strcpy(t, token);
    char *last = t + len - 1;
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int v = (int)(strchr(alpha, *last) - alpha);
    assert_int_equal(v & 15, 0); /* 86 characters carry 516 bits: the last 4 are zero */
    *last = alpha[v ^ 1];
    expect_refused(t, &key, 1, "non-canonical base64url");

    /* The wrong key, an empty key set, a key set of two without kid. */
    expect_refused(token, &k2, 1, "other key");
    expect_refused(token, NULL, 0, "no keys");

    /* Algorithm confusion: none, HS256 and friends, a missing alg. */
    char hdr[256];
    const char *kid = crypto_key_kid(key);
    const char *body = "{\"sub\":\"admin\",\"exp\":4102444800}";
    expect_refused(forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", body, "AA"), &key, 1, "none");
    snprintf(buf, sizeof(buf), "%s", forge("{\"alg\":\"none\"}", body, "x"));
    buf[strlen(buf) - 1] = '\0'; /* "header.payload." with an empty signature */
    expect_refused(buf, &key, 1, "none, empty signature");
    static const char *const algs[] = {"none", "None", "HS256", "RS256", "ES384", "EdDSA", "es256"};
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", algs[i], kid);
        expect_refused(forge(hdr, body, NULL), &key, 1, algs[i]);
    }
    snprintf(hdr, sizeof(hdr), "{\"kid\":\"%s\"}", kid);
    expect_refused(forge(hdr, body, NULL), &key, 1, "no alg");
    snprintf(hdr, sizeof(hdr), "{\"alg\":1,\"kid\":\"%s\"}", kid);
    expect_refused(forge(hdr, body, NULL), &key, 1, "alg not a string");
    /* Unknown kid, kid not a string, crit, duplicate members, non-object header. */
    expect_refused(forge("{\"alg\":\"ES256\",\"kid\":\"nobody\"}", body, NULL), &key, 1,
                   "unknown kid");
    expect_refused(forge("{\"alg\":\"ES256\",\"kid\":7}", body, NULL), &key, 1, "kid number");
    snprintf(hdr, sizeof(hdr),
             "{\"alg\":\"ES256\",\"kid\":\"%s\",\"crit\":[\"b64\"],\"b64\":false}", kid);
    expect_refused(forge(hdr, body, NULL), &key, 1, "crit");
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"alg\":\"ES256\",\"kid\":\"%s\"}", kid);
    expect_refused(forge(hdr, body, NULL), &key, 1, "duplicate alg");
    expect_refused(forge("[\"ES256\"]", body, NULL), &key, 1, "header array");
    expect_refused(forge("{\"alg\":\"ES256\"", body, NULL), &key, 1, "header truncated");
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"%s\"} x", kid);
    expect_refused(forge(hdr, body, NULL), &key, 1, "header trailing data");
    struct crypto_key *both[] = {key, k2};
    expect_refused(forge("{\"alg\":\"ES256\"}", body, NULL), both, 2, "no kid, two keys");
    /* A signature of the wrong length. */
    snprintf(buf, sizeof(buf), "%.*s.%s", (int)p2, token, "AAAA");
    expect_refused(buf, &key, 1, "short signature");

    /* Oversized: refused before decoding, even if otherwise well-formed. */
    char *huge = malloc(CRYPTO_JWS_MAX + 2);
    assert_non_null(huge);
    memset(huge, 'A', CRYPTO_JWS_MAX + 1);
    huge[10] = '.';
    huge[20] = '.';
    huge[CRYPTO_JWS_MAX + 1] = '\0';
    expect_refused(huge, &key, 1, "oversized");
    free(huge);
    /* A payload whose token would exceed the limit cannot be signed either. */
    char *bigstr = malloc(13000);
    assert_non_null(bigstr);
    memset(bigstr, 'x', 12999);
    bigstr[12999] = '\0';
    json_t *big = json_pack("{s:s}", "blob", bigstr);
    char *bigtok = NULL;
    assert_int_equal(crypto_jws_sign(key, big, &bigtok), -1);
    json_decref(big);
    free(bigstr);

    /* Validly signed, but the payload is not a JSON object or has duplicate names:
     * refused after the signature check. A header without kid is fine with one key. */
    char *ok = sign_raw(key, "{\"alg\":\"ES256\"}", "{\"sub\":\"x\",\"exp\":4102444800}");
    assert_int_equal(crypto_jws_verify(ok, &key, 1, &got, &err), 0);
    json_decref(got);
    got = NULL;
    free(ok);
    ok = sign_raw(key, "{\"alg\":\"ES256\"}", "[1,2]");
    expect_refused(ok, &key, 1, "payload array");
    free(ok);
    ok = sign_raw(key, "{\"alg\":\"ES256\"}", "{\"sub\":\"user\",\"sub\":\"admin\"}");
    expect_refused(ok, &key, 1, "duplicate sub");
    free(ok);
    ok = sign_raw(key, "{\"alg\":\"ES256\"}", "{\"sub\":\"x\"} trailing");
    expect_refused(ok, &key, 1, "payload trailing data");
    free(ok);
    /* The same bytes signed as DER instead of R || S are refused. */
    ok = sign_raw(key, "{\"alg\":\"ES256\"}", "{\"sub\":\"x\"}");
    *strrchr(ok, '.') = '\0';
    char *der_tok = sign_der(key, ok);
    expect_refused(der_tok, &key, 1, "DER signature");
    free(der_tok);
    free(ok);

    free(t);
    free(token);
    json_decref(payload);
    crypto_key_free(key);
    crypto_key_free(k2);
}

static void test_jws_from_jose(void **state)
{
    struct err err;
    json_t *got = NULL;
    char jwk_text[512];
    snprintf(jwk_text, sizeof(jwk_text),
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"rp-key-1\","
             "\"alg\":\"ES256\",\"use\":\"sig\"}",
             es_x, es_y);
    json_t *jwk = json_loads(jwk_text, 0, NULL);
    assert_non_null(jwk);

    /* A token signed by another implementation verifies, payload intact. */
    assert_int_equal(crypto_jws_verify_with_jwk(es_jose_token, jwk, &got, &err), 0);
    assert_string_equal(json_string_value(json_object_get(got, "sub")), "client-1");
    assert_int_equal(json_integer_value(json_object_get(got, "exp")), 4102444800);
    assert_int_equal(crypto_jwt_check_times(got, 1700000000, 60, &err), 0);
    json_decref(got);
    got = NULL;

    /* In a client's JWK Set, next to an RSA key and an encryption key that are skipped. */
    char set_text[1400];
    snprintf(set_text, sizeof(set_text),
             "{\"keys\":[{\"kty\":\"RSA\",\"n\":\"sXch\",\"e\":\"AQAB\",\"kid\":\"r1\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"enc\",\"x\":\"%s\",\"y\":\"%s\","
             "\"kid\":\"rp-key-1\"},%s]}",
             es_x, es_y, jwk_text);
    json_t *set = json_loads(set_text, 0, NULL);
    assert_non_null(set);
    assert_int_equal(crypto_jws_verify_with_jwk(es_jose_token, set, &got, &err), 0);
    json_decref(got);
    got = NULL;
    json_decref(set);

    /* The same key under another kid does not match the token's kid. */
    json_object_set_new(jwk, "kid", json_string("rp-key-2"));
    assert_int_equal(crypto_jws_verify_with_jwk(es_jose_token, jwk, &got, &err), -1);
    /* A JWK without kid is known by its thumbprint, which is not the token's kid: a kid
     * in the header must match (as npm jose's JWK Sets do). */
    json_object_del(jwk, "kid");
    assert_int_equal(crypto_jws_verify_with_jwk(es_jose_token, jwk, &got, &err), -1);
    assert_non_null(strstr(err.msg, "kid"));
    json_object_set_new(jwk, "kid", json_string("rp-key-1"));

    /* Bad JWKs are refused with crypto.bad_jwk: each is the good one with one change. */
    char longer_y[64], padded_x[64];
    snprintf(longer_y, sizeof(longer_y), "%sA", es_y);
    snprintf(padded_x, sizeof(padded_x), "%s=", es_x);
    static const char *const changes[][2] = {
        {"d", "AAAA"},    {"crv", "P-384"}, {"kty", "RSA"}, {"y", NULL},     {"x", NULL},
        {"alg", "ES384"}, {"use", "enc"},   {"kid", ""},    {"y", "delete"},
    };
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        struct crypto_key *k = NULL;
        json_t *j = json_deep_copy(jwk);
        const char *name = changes[i][0], *value = changes[i][1];
        if (value == NULL)
            value = name[0] == 'y' ? longer_y : padded_x;
        if (strcmp(value, "delete") == 0)
            json_object_del(j, name);
        else
            json_object_set_new(j, name, json_string(value));
        err_clear(&err);
        assert_int_equal(crypto_key_from_jwk(j, &k, &err), -1);
        assert_null(k);
        assert_string_equal(err.code, "crypto.bad_jwk");
        json_decref(j);
    }
    json_t *j5 = json_deep_copy(jwk);
    struct crypto_key *k5 = NULL;
    json_object_set_new(j5, "kid", json_integer(5));
    assert_int_equal(crypto_key_from_jwk(j5, &k5, &err), -1);
    json_decref(j5);
    /* A point off the curve: y of another point. */
    char text[512];
    struct crypto_key *k = NULL;
    snprintf(text, sizeof(text), "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}",
             es_x, es_x);
    json_t *j = json_loads(text, 0, NULL);
    assert_int_equal(crypto_key_from_jwk(j, &k, &err), -1);
    assert_non_null(strstr(err.msg, "curve"));
    json_decref(j);
    json_decref(jwk);
}

static void test_jwt_times(void **state)
{
    struct err err;
    json_t *p = json_pack("{s:i, s:i, s:i}", "exp", 1000, "nbf", 900, "iat", 900);
    assert_int_equal(crypto_jwt_check_times(p, 950, 0, &err), 0);
    assert_int_equal(crypto_jwt_check_times(p, 999, 0, &err), 0);
    assert_int_equal(crypto_jwt_check_times(p, 1000, 0, &err), -1); /* exp is exclusive */
    assert_string_equal(err.code, "crypto.jwt_expired");
    assert_int_equal(crypto_jwt_check_times(p, 1030, 60, &err), 0);
    assert_int_equal(crypto_jwt_check_times(p, 1060, 60, &err), -1);
    assert_int_equal(crypto_jwt_check_times(p, 899, 0, &err), -1);
    assert_string_equal(err.code, "crypto.jwt_not_yet_valid");
    assert_int_equal(crypto_jwt_check_times(p, 850, 60, &err), 0);
    json_object_set_new(p, "nbf", json_integer(0));
    json_object_set_new(p, "iat", json_integer(990));
    assert_int_equal(crypto_jwt_check_times(p, 950, 0, &err), -1); /* issued in the future */
    assert_int_equal(crypto_jwt_check_times(p, 950, 60, &err), 0);
    json_object_set_new(p, "iat", json_real(900.5));
    assert_int_equal(crypto_jwt_check_times(p, 950, 0, &err), 0);
    json_object_set_new(p, "iat", json_string("900"));
    assert_int_equal(crypto_jwt_check_times(p, 950, 0, &err), -1);
    assert_string_equal(err.code, "crypto.jwt_bad_claims");
    json_object_del(p, "iat");
    json_object_del(p, "exp");
    assert_int_equal(crypto_jwt_check_times(p, 950, 0, &err), -1);
    assert_string_equal(err.code, "crypto.jwt_bad_claims");
    json_decref(p);
}

/* ---- SM2 ---- */

/* GB/T 32918.5-2017 Annex A (recommended curve): key, and the signature of "message
 * digest" with ID 1234567812345678, DER-encoded here (r and s have the top bit set, so
 * each INTEGER carries a leading zero byte). */
static const char sm2_d[] = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
static const char sm2_pub[] = "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
                              "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";
static const char sm2_sig[] = "3046022100"
                              "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
                              "022100"
                              "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA";

static void test_sm2_annex_a(void **state)
{
    struct crypto_key *key = NULL, *pub = NULL;
    struct err err;
    char hex[CRYPTO_PUBLIC_HEX_SIZE];
    unsigned char sig[80];
    size_t n = unhex(sm2_sig, sig, sizeof(sig));
    const char *msg = "message digest";

    assert_int_equal(n, 72);
    assert_int_equal(crypto_key_from_private_hex(CRYPTO_KEY_SM2, sm2_d, &key, &err), 0);
    assert_int_equal(crypto_key_type(key), CRYPTO_KEY_SM2);
    assert_int_equal(crypto_key_public_hex(key, hex), 0);
    assert_string_equal(hex, sm2_pub);
    assert_string_equal(crypto_key_kid(key), "");
    assert_int_equal(crypto_sm2_verify(key, msg, strlen(msg), sig, n), 0);

    /* The same through the public key alone, given as hex like other SM2 tools do. */
    assert_int_equal(crypto_key_from_public_hex(CRYPTO_KEY_SM2, sm2_pub, &pub, &err), 0);
    assert_false(crypto_key_has_private(pub));
    assert_int_equal(crypto_sm2_verify(pub, msg, strlen(msg), sig, n), 0);

    /* Any flipped byte of the signature, another message: refused. */
    for (size_t i = 0; i < n; i++) {
        sig[i] ^= 0x01;
        assert_int_equal(crypto_sm2_verify(pub, msg, strlen(msg), sig, n), -1);
        sig[i] ^= 0x01;
    }
    assert_int_equal(crypto_sm2_verify(pub, "message digesT", 14, sig, n), -1);
    assert_int_equal(crypto_sm2_verify(pub, msg, strlen(msg), sig, n - 1), -1);
    assert_int_equal(crypto_sm2_verify(pub, msg, strlen(msg), sig, 0), -1);

    /* Out-of-range private keys and malformed hex. */
    struct crypto_key *bad = NULL;
    assert_int_equal(crypto_key_from_private_hex(CRYPTO_KEY_SM2, "00", &bad, &err), -1);
    assert_int_equal(crypto_key_from_private_hex(
                         CRYPTO_KEY_SM2,
                         "0000000000000000000000000000000000000000000000000000000000000000", &bad,
                         &err),
                     -1);
    /* n - 1 for the SM2 curve is not a usable key (1 + d must be invertible). */
    assert_int_equal(crypto_key_from_private_hex(
                         CRYPTO_KEY_SM2,
                         "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54122", &bad,
                         &err),
                     -1);
    assert_int_equal(crypto_key_from_public_hex(CRYPTO_KEY_SM2, "04abcd", &bad, &err), -1);
    char off[CRYPTO_PUBLIC_HEX_SIZE];
    strcpy(off, sm2_pub);
    off[129] = off[129] == '3' ? '4' : '3'; /* y changed: no longer on the curve */
    assert_int_equal(crypto_key_from_public_hex(CRYPTO_KEY_SM2, off, &bad, &err), -1);
    assert_null(bad);
    crypto_key_free(key);
    crypto_key_free(pub);
}

/* Made by npm sm-crypto 0.5.8 (doSignature with {hash: true, der: true}: SM3, default ID). */
static const char smc_d[] = "9bfacf2ba558ebba6908854e9cf3ef1be99c901a306a6ffdb95c3e3b06d6b70d";
static const char smc_pub[] = "04e19a6d4eeff0b4a94a4e6b69c50e833e13163eed13436a80808803357c5cf071"
                              "f4f1de46df9f94c0d992ccd0eaab18cbe10f80b728412c906b68eae22c9c8a61";
static const char smc_msg[] = "电子证照 e-seal 42";
static const char smc_sig[] = "3046022100dd3efdba924352c7d38085a490a1090a49f38d99ad14ba8b4d649d71"
                              "9d24efc0022100a6599d77fa41de5c524607922f4194b3759f124d598a74426bed"
                              "5cf9e22d08d1";

static void test_sm2_sm_crypto(void **state)
{
    struct crypto_key *pub = NULL, *priv = NULL;
    struct err err;
    char hex[CRYPTO_PUBLIC_HEX_SIZE];
    unsigned char sig[80];
    size_t n = unhex(smc_sig, sig, sizeof(sig));

    assert_int_equal(crypto_key_from_public_hex(CRYPTO_KEY_SM2, smc_pub, &pub, &err), 0);
    assert_int_equal(crypto_sm2_verify(pub, smc_msg, strlen(smc_msg), sig, n), 0);
    assert_int_equal(crypto_sm2_verify(pub, smc_msg, strlen(smc_msg) - 1, sig, n), -1);
    /* Their private key gives their public key here. */
    assert_int_equal(crypto_key_from_private_hex(CRYPTO_KEY_SM2, smc_d, &priv, &err), 0);
    assert_int_equal(crypto_key_public_hex(priv, hex), 0);
    assert_string_equal(hex, smc_pub);
    crypto_key_free(priv);
    crypto_key_free(pub);
}

/* Keys made by the openssl CLI: `ecparam -name prime256v1 -genkey -noout` (SEC1) and
 * `genpkey -algorithm SM2` (PKCS#8), and an SM2 signature of "onewindow cli check" by
 * `pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678`. Test keys only. */
static const char cli_p256_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIAZ06ilReOY9MiXMr6rN6LRyd1KPOn4sYtGD8/ovUQ2YoAoGCCqGSM49\n"
    "AwEHoUQDQgAExf+qOQdd6VCReNKvf8qS5o3moaF2AguijtYX4MTCkODZKsAZ4TGp\n"
    "6xnwi85VEYjP3a35z76IZj2Wf71fp95OWg==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char cli_sm2_pkcs8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgRRvpZ86n0uVUnvOW\n"
    "gavZzAJG9JO9XykU7eWXYjRpw0ahRANCAARePb+Xcmb2fVNCqZXJtuPnuRrZHBDu\n"
    "Qlhbe4kPcfi/kZwysKxzp6ZtD/II4httg3aucE9HwAJ/km5OSvyniDp6\n"
    "-----END PRIVATE KEY-----\n";
static const char cli_sm2_spki[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEXj2/l3Jm9n1TQqmVybbj57ka2RwQ\n"
    "7kJYW3uJD3H4v5GcMrCsc6embQ/yCOIbbYN2rnBPR8ACf5JuTkr8p4g6eg==\n"
    "-----END PUBLIC KEY-----\n";
static const char cli_sm2_sig[] = "30460221008d463fa148a72e6d8bc38a59e862c8b7a2e208d0242ecaf78a60c5"
                                  "176f3b50890221008142ac3680dd4c5df8fd39beced267c8bd3e1bae46070387"
                                  "368d6f606619f523";

static void test_keys_from_openssl_cli(void **state)
{
    struct crypto_key *es = NULL, *sm = NULL, *smpub = NULL, *wrong = NULL;
    struct err err;
    unsigned char sig[80];
    size_t n = unhex(cli_sm2_sig, sig, sizeof(sig)), len = 0;
    const char *msg = "onewindow cli check";

    /* SEC1 P-256: an ES256 key that signs verifiable tokens; not an SM2 key. */
    assert_int_equal(
        crypto_key_from_pem(CRYPTO_KEY_ES256, cli_p256_sec1, strlen(cli_p256_sec1), &es, &err), 0);
    assert_true(crypto_key_has_private(es));
    assert_int_equal(
        crypto_key_from_pem(CRYPTO_KEY_SM2, cli_p256_sec1, strlen(cli_p256_sec1), &wrong, &err),
        -1);
    json_t *payload = json_pack("{s:s}", "sub", "x");
    char *tok = NULL;
    json_t *got = NULL;
    assert_int_equal(crypto_jws_sign(es, payload, &tok), 0);
    assert_int_equal(crypto_jws_verify(tok, &es, 1, &got, &err), 0);
    json_decref(got);
    json_decref(payload);
    free(tok);

    /* The CLI's SM2 keys and signature: verified here, with the key's PEM both ways. */
    assert_int_equal(
        crypto_key_from_pem(CRYPTO_KEY_SM2, cli_sm2_pkcs8, strlen(cli_sm2_pkcs8), &sm, &err), 0);
    assert_int_equal(
        crypto_key_from_pem(CRYPTO_KEY_SM2, cli_sm2_spki, strlen(cli_sm2_spki), &smpub, &err), 0);
    assert_int_equal(
        crypto_key_from_pem(CRYPTO_KEY_ES256, cli_sm2_spki, strlen(cli_sm2_spki), &wrong, &err),
        -1);
    assert_null(wrong);
    assert_int_equal(crypto_sm2_verify(smpub, msg, strlen(msg), sig, n), 0);
    assert_int_equal(crypto_sm2_verify(sm, msg, strlen(msg), sig, n), 0);
    char *pem = NULL;
    assert_int_equal(crypto_key_public_pem(sm, &pem, &len), 0);
    assert_string_equal(pem, cli_sm2_spki);
    free(pem);
    crypto_key_free(es);
    crypto_key_free(sm);
    crypto_key_free(smpub);
}

static void test_sm2_roundtrip(void **state)
{
    struct crypto_key *key = NULL, *pub = NULL, *priv2 = NULL, *es = NULL, *wrong = NULL;
    struct err err;
    unsigned char sig[CRYPTO_SM2_SIG_MAX];
    size_t n = 0, pem_len = 0;
    char *pem = NULL;
    const char *msg = "电子证照 seal record 42";

    assert_int_equal(crypto_key_generate(CRYPTO_KEY_SM2, &key), 0);
    assert_true(crypto_key_has_private(key));
    for (int i = 0; i < 20; i++) {
        assert_int_equal(crypto_sm2_sign(key, msg, strlen(msg), sig, sizeof(sig), &n), 0);
        assert_true(n >= 8 && n <= CRYPTO_SM2_SIG_MAX);
        assert_int_equal(sig[0], 0x30);
        assert_int_equal(crypto_sm2_verify(key, msg, strlen(msg), sig, n), 0);
    }
    assert_int_equal(crypto_sm2_sign(key, msg, strlen(msg), sig, 10, &n), -1);
    assert_int_equal(crypto_sm2_sign(key, msg, strlen(msg), sig, sizeof(sig), &n), 0);
    sig[n / 2] ^= 0x10;
    assert_int_equal(crypto_sm2_verify(key, msg, strlen(msg), sig, n), -1);
    sig[n / 2] ^= 0x10;

    /* PEM round trips: public verifies, private signs what the original verifies. */
    assert_int_equal(crypto_key_public_pem(key, &pem, &pem_len), 0);
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_SM2, pem, pem_len, &pub, &err), 0);
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_ES256, pem, pem_len, &wrong, &err), -1);
    assert_string_equal(err.code, "crypto.bad_key");
    free(pem);
    assert_false(crypto_key_has_private(pub));
    assert_int_equal(crypto_sm2_verify(pub, msg, strlen(msg), sig, n), 0);
    assert_int_equal(crypto_sm2_sign(pub, msg, strlen(msg), sig, sizeof(sig), &n), -1);
    assert_int_equal(crypto_key_private_pem(key, &pem, &pem_len), 0);
    assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_SM2, pem, pem_len, &priv2, &err), 0);
    assert_true(crypto_key_has_private(priv2));
    assert_int_equal(crypto_sm2_sign(priv2, msg, strlen(msg), sig, sizeof(sig), &n), 0);
    assert_int_equal(crypto_sm2_verify(pub, msg, strlen(msg), sig, n), 0);

    /* The pitfall: OpenSSL 3.0 without an explicit ID signs with an empty one, and such
     * a signature must not verify under the standard default ID. */
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    EVP_PKEY *raw = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(raw);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    unsigned char raw_sig[CRYPTO_SM2_SIG_MAX];
    size_t raw_len = sizeof(raw_sig);
    assert_int_equal(EVP_DigestSignInit_ex(mctx, NULL, "SM3", NULL, NULL, raw, NULL), 1);
    assert_int_equal(
        EVP_DigestSign(mctx, raw_sig, &raw_len, (const unsigned char *)msg, strlen(msg)), 1);
    assert_int_equal(crypto_sm2_verify(pub, msg, strlen(msg), raw_sig, raw_len), -1);
    EVP_MD_CTX_free(mctx);
    EVP_PKEY_free(raw);
    BIO_free(bio);
    crypto_free_secret(pem, pem_len);

    /* Keys of the other type are refused for SM2 operations and vice versa. */
    assert_int_equal(crypto_key_generate(CRYPTO_KEY_ES256, &es), 0);
    assert_int_equal(crypto_sm2_sign(es, msg, strlen(msg), sig, sizeof(sig), &n), -1);
    assert_int_equal(crypto_sm2_verify(es, msg, strlen(msg), sig, n), -1);
    char *tok = NULL;
    json_t *payload = json_object();
    assert_int_equal(crypto_jws_sign(key, payload, &tok), -1);
    json_decref(payload);
    assert_int_equal(crypto_key_private_pem(es, &pem, &pem_len), 0);
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_SM2, pem, pem_len, &wrong, &err), -1);
    assert_null(wrong);
    crypto_free_secret(pem, pem_len);

    /* Garbage and encrypted PEMs are refused without prompting for a passphrase. */
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_SM2, "not a key", 9, &wrong, &err), -1);
    EVP_PKEY *tmp = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(tmp);
    BIO *enc = BIO_new(BIO_s_mem());
    assert_int_equal(
        PEM_write_bio_PKCS8PrivateKey(enc, tmp, EVP_aes_256_cbc(), "pw", 2, NULL, NULL), 1);
    char *enc_pem = NULL;
    long enc_len = BIO_get_mem_data(enc, &enc_pem);
    assert_non_null(strstr(enc_pem, "ENCRYPTED PRIVATE KEY"));
    assert_int_equal(crypto_key_from_pem(CRYPTO_KEY_ES256, enc_pem, (size_t)enc_len, &wrong, &err),
                     -1);
    BIO_free(enc);
    EVP_PKEY_free(tmp);

    crypto_key_free(es);
    crypto_key_free(priv2);
    crypto_key_free(pub);
    crypto_key_free(key);
    crypto_key_free(NULL);
}

struct share_job {
    const struct crypto_key *sm2, *es;
    int failures;
};

static void *share_worker(void *arg)
{
    struct share_job *job = arg;
    json_t *payload = json_pack("{s:s}", "sub", "shared");
    for (int i = 0; i < 100; i++) {
        unsigned char sig[CRYPTO_SM2_SIG_MAX];
        size_t n = 0;
        char *tok = NULL;
        json_t *got = NULL;
        if (crypto_sm2_sign(job->sm2, "m", 1, sig, sizeof(sig), &n) != 0 ||
            crypto_sm2_verify(job->sm2, "m", 1, sig, n) != 0)
            job->failures++;
        if (crypto_jws_sign(job->es, payload, &tok) != 0 ||
            crypto_jws_verify(tok, (struct crypto_key *const *)&job->es, 1, &got, NULL) != 0)
            job->failures++;
        json_decref(got);
        free(tok);
    }
    json_decref(payload);
    return NULL;
}

static void test_keys_shared_by_threads(void **state)
{
    /* One key object used by four threads at once, as the server's threads will. */
    struct crypto_key *sm2 = NULL, *es = NULL;
    struct share_job jobs[4];
    pthread_t t[4];
    assert_int_equal(crypto_key_generate(CRYPTO_KEY_SM2, &sm2), 0);
    assert_int_equal(crypto_key_generate(CRYPTO_KEY_ES256, &es), 0);
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct share_job){sm2, es, 0};
        assert_int_equal(pthread_create(&t[i], NULL, share_worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(jobs[i].failures, 0);
    }
    crypto_key_free(sm2);
    crypto_key_free(es);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_and_equal),
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_sm3_vectors),
        cmocka_unit_test(test_sm4_vectors),
        cmocka_unit_test(test_hmac_sm3),
        cmocka_unit_test(test_kdf),
        cmocka_unit_test(test_aead_roundtrip),
        cmocka_unit_test(test_aead_tamper),
        cmocka_unit_test(test_lookup_hash),
        cmocka_unit_test(test_keyring_file),
        cmocka_unit_test(test_keyring_create_race),
        cmocka_unit_test(test_password),
        cmocka_unit_test(test_password_gate),
        cmocka_unit_test(test_totp_rfc6238),
        cmocka_unit_test(test_totp_uri),
        cmocka_unit_test(test_recovery_codes),
        cmocka_unit_test(test_jwk_thumbprint),
        cmocka_unit_test(test_jws_sign_verify),
        cmocka_unit_test(test_jws_refusals),
        cmocka_unit_test(test_jws_from_jose),
        cmocka_unit_test(test_jwt_times),
        cmocka_unit_test(test_sm2_annex_a),
        cmocka_unit_test(test_sm2_sm_crypto),
        cmocka_unit_test(test_sm2_roundtrip),
        cmocka_unit_test(test_keys_from_openssl_cli),
        cmocka_unit_test(test_keys_shared_by_threads),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL);
}
