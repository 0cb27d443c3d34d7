/*
 * crypto.h - the platform's cryptography: encodings, SM3/SM4/SM2 (national algorithms),
 * at-rest encryption of personal data, the master key file, password hashing, TOTP and
 * recovery codes, and the JOSE subset (ES256 JWS/JWK) that OpenID Connect needs.
 *
 * Everything goes through OpenSSL 3's EVP interface, libargon2 and liboath; nothing here
 * implements a primitive by hand. Design, formats and invariants:
 * docs/internals/crypto.md; the facts and vectors it relies on: FACTS.md.
 *
 * Conventions, for every function below unless its comment says otherwise:
 *  - Returns 0 on success and -1 on failure. Verification functions return 0 only when
 *    the input is authentic and -1 otherwise (never a "truthy" tri-state), so
 *    `if (crypto_..._verify(...) != 0) refuse;` is the one correct reading.
 *  - Output buffers are the caller's, with their size passed in; a buffer that is too
 *    small is a failure, never a truncation. On failure outputs are left zeroed or
 *    unspecified and must not be used.
 *  - Functions that allocate say who frees and how. Memory that held a secret is freed
 *    with crypto_free_secret() (wipe then free), never plain free().
 *  - Secrets that pass through (keys, passwords, plaintexts) are never logged, never put
 *    in a `struct err`, and every internal copy is wiped with OPENSSL_cleanse before it is
 *    released. The caller wipes its own copies (crypto_wipe).
 *  - All functions are thread-safe. A keyring, a password hasher and a key are
 *    immutable after creation and may be shared by threads without locking (the hasher
 *    has its own lock).
 */
#ifndef ONEWINDOW_CRYPTO_CRYPTO_H
#define ONEWINDOW_CRYPTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/err.h"

/* ---- Randomness, encodings, comparison ------------------------------------------- */

/* `n` bytes from OpenSSL's CSPRNG (RAND_bytes). -1 if the generator fails: callers
 * must treat that as fatal for the operation, never fall back to anything weaker. */
int crypto_random(void *buf, size_t n);

/* Wipe `n` bytes in a way the compiler cannot drop (OPENSSL_cleanse). NULL is allowed. */
void crypto_wipe(void *p, size_t n);
/* Wipe then free() memory of `n` bytes that held a secret. NULL is allowed. */
void crypto_free_secret(void *p, size_t n);

/* 1 if the `n` bytes at `a` and `b` are equal, 0 otherwise, in time that depends only on
 * `n` (CRYPTO_memcmp). Use it for every MAC, token and hash comparison. */
int crypto_equal(const void *a, const void *b, size_t n);

/* Base64url without padding (RFC 4648 §5, as JOSE uses it, RFC 7515 §2). */
#define CRYPTO_B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))
/* Encode `n` bytes into `out` (`out_size` bytes, room for the NUL included: at least
 * CRYPTO_B64URL_LEN(n) + 1). Returns the length written (without the NUL) or -1. */
int crypto_b64url_encode(const void *in, size_t n, char *out, size_t out_size);
/* Decode `len` characters strictly: only [A-Za-z0-9_-], no padding, no whitespace, a
 * length that is not 1 mod 4, and unused trailing bits zero (so every byte string has
 * exactly one accepted encoding: no malleable signatures). Writes at most `out_size`
 * bytes (3 * len / 4 suffice) and sets *out_len. -1 on any deviation or lack of room. */
int crypto_b64url_decode(const char *in, size_t len, void *out, size_t out_size, size_t *out_len);

/* Standard base64 with padding (RFC 4648 §4), as data: URIs and MIME use it. out_size
 * >= 4 * ceil(n / 3) + 1. Returns the length written or -1. */
int crypto_base64_encode(const void *in, size_t n, char *out, size_t out_size);

/* Lower-case hex. Encode needs out_size >= 2n + 1; returns the length (2n) or -1. */
int crypto_hex_encode(const void *in, size_t n, char *out, size_t out_size);
/* Decode `len` hex characters (either case; even length, nothing else) into at most
 * `out_size` bytes; sets *out_len. -1 on a bad character, odd length or lack of room. */
int crypto_hex_decode(const char *in, size_t len, void *out, size_t out_size, size_t *out_len);

/* ---- SM3, HMAC-SM3, key derivation ----------------------------------------------- */

#define CRYPTO_SM3_LEN 32
#define CRYPTO_KEY_LEN 32 /* master key and every 256-bit subkey */

/* SM3 (GB/T 32905) of `n` bytes. */
int crypto_sm3(const void *data, size_t n, unsigned char out[CRYPTO_SM3_LEN]);

/* Incremental SM3, for hashes over several pieces (the audit chain). new() returns
 * NULL when out of memory; the caller owns the context and releases it with
 * crypto_sm3_free() (NULL allowed), also after final(). final() may be called once. */
struct crypto_sm3;
struct crypto_sm3 *crypto_sm3_new(void);
int crypto_sm3_update(struct crypto_sm3 *h, const void *data, size_t n);
int crypto_sm3_final(struct crypto_sm3 *h, unsigned char out[CRYPTO_SM3_LEN]);
void crypto_sm3_free(struct crypto_sm3 *h);

/* HMAC-SM3 (RFC 2104 with SM3) of `n` bytes under a key of `keylen` bytes. */
int crypto_hmac_sm3(const void *key, size_t keylen, const void *data, size_t n,
                    unsigned char out[CRYPTO_SM3_LEN]);

/* Derive `n` bytes (1..8160) for `label` from a 32-byte master key: HKDF (RFC 5869) with
 * SM3, salt "onewindow.kdf.v1", info = the label's bytes. Different labels give
 * independent keys. A label must always be used with the same length (HKDF outputs for
 * one label are prefixes of each other). `label`: 1..64 printable ASCII characters.
 * Reproducible with `openssl kdf -keylen N -kdfopt digest:SM3 -kdfopt hexkey:MASTER
 * -kdfopt salt:onewindow.kdf.v1 -kdfopt info:LABEL HKDF`. */
int crypto_kdf(const unsigned char master[CRYPTO_KEY_LEN], const char *label, void *out, size_t n);

/* ---- At-rest authenticated encryption (SM4-CTR + HMAC-SM3, encrypt-then-MAC) ------ */

/*
 * Sealed format, version 1 (all of it is stored; nothing else is needed to open it):
 *
 *     version (1 byte, 0x01) || nonce (16) || ciphertext (= plaintext length) || tag (32)
 *
 *     ciphertext = SM4-CTR(enc key, initial counter block = nonce, plaintext)
 *     tag        = HMAC-SM3(mac key, be64(ad length) || ad || version || nonce || ciphertext)
 *
 * The nonce is 16 random bytes per message. `ad` (associated data) is not stored: it
 * names where the value lives, e.g. "person.id_number:7201" (table.column:row id), so a
 * ciphertext copied to another row or column fails to open. OpenSSL 3.0 has no SM4-GCM
 * (FACTS.md), hence this construction with two independently derived keys.
 */
#define CRYPTO_AEAD_VERSION 1
#define CRYPTO_AEAD_NONCE_LEN 16
#define CRYPTO_AEAD_TAG_LEN 32
#define CRYPTO_AEAD_OVERHEAD (1 + CRYPTO_AEAD_NONCE_LEN + CRYPTO_AEAD_TAG_LEN) /* 49 */
#define CRYPTO_AEAD_MAX_PLAINTEXT (64u * 1024 * 1024) /* larger data needs a stream format */
#define CRYPTO_AEAD_MAX_AD 4096

struct crypto_aead_key {
    unsigned char enc[16];             /* SM4 key */
    unsigned char mac[CRYPTO_KEY_LEN]; /* HMAC-SM3 key */
};

/* Fill `key` from a master key: enc from `enc_label` (16 bytes), mac from `mac_label`.
 * The caller wipes `key` when done (crypto_wipe). Keyrings do this for you. */
int crypto_aead_key_derive(const unsigned char master[CRYPTO_KEY_LEN], const char *enc_label,
                           const char *mac_label, struct crypto_aead_key *key);

/* Seal `n` bytes of plaintext (n <= CRYPTO_AEAD_MAX_PLAINTEXT) bound to `ad` (`adlen`
 * <= CRYPTO_AEAD_MAX_AD, may be 0). `out` needs n + CRYPTO_AEAD_OVERHEAD bytes; *out_len
 * is set to that. `pt` and `out` must not overlap. */
int crypto_aead_seal(const struct crypto_aead_key *key, const void *ad, size_t adlen,
                     const void *pt, size_t n, unsigned char *out, size_t out_size,
                     size_t *out_len);
/* Open a sealed value: -1 unless it is exactly a version-1 value produced under `key`
 * with the same `ad` (any changed, added or missing byte is refused). The tag is checked
 * before anything is decrypted; on failure `out` is not written. `out` needs
 * n - CRYPTO_AEAD_OVERHEAD bytes and must not overlap `in`; the caller wipes the
 * plaintext after use. */
int crypto_aead_open(const struct crypto_aead_key *key, const void *ad, size_t adlen,
                     const unsigned char *in, size_t n, unsigned char *out, size_t out_size,
                     size_t *out_len);

/* Keyed lookup hash for equality search on encrypted columns (ID numbers, phones):
 * HMAC-SM3(key, value). The caller normalises the value first (e.g. an ID number in
 * upper case), or equal values would hash differently. `key` is a 32-byte subkey
 * (CRYPTO_SUBKEY_PII_LOOKUP). The _hex form writes 64 hex characters and a NUL. */
int crypto_lookup_hash(const unsigned char key[CRYPTO_KEY_LEN], const void *value, size_t n,
                       unsigned char out[CRYPTO_SM3_LEN]);
int crypto_lookup_hash_hex(const unsigned char key[CRYPTO_KEY_LEN], const void *value, size_t n,
                           char out[2 * CRYPTO_SM3_LEN + 1]);

/* ---- The keyring: the master key file and the subkeys derived from it ------------- */

/* Subkeys a keyring derives once and caches (label in quotes). */
enum crypto_subkey {
    CRYPTO_SUBKEY_PII_LOOKUP = 0, /* "pii-lookup": crypto_lookup_hash of personal data */
    CRYPTO_SUBKEY_SESSION,        /* "session": keyed hashes of session tokens */
    CRYPTO_SUBKEY_CSRF,           /* "csrf": CSRF token MACs */
    CRYPTO_SUBKEY_RECOVERY,       /* "recovery-code": crypto_recovery_code_hash */
    CRYPTO_SUBKEY_COUNT
};
/* AEAD keys a keyring caches. */
enum crypto_aead_use {
    CRYPTO_AEAD_PII = 0, /* "pii-enc" + "pii-mac": personal data columns */
    CRYPTO_AEAD_SECRETS, /* "secret-enc" + "secret-mac": TOTP secrets, private key PEMs */
    CRYPTO_AEAD_USE_COUNT
};

struct crypto_keyring;

/*
 * Load DATA_DIR/keys/master.key (exactly 32 bytes), creating it on first use: the
 * directory with mode 0700, the file with 0600, written to a temporary file, fsynced,
 * published with link(2) (atomic and never replacing a key another process published
 * first) and the directory fsynced. Refuses, with a sentence in `err` (code
 * "crypto.keyfile", 500), a key file or directory that is not ours, a symlink, a file of
 * the wrong size, or one that group or others may access: losing or leaking this file
 * loses or leaks every encrypted personal record. `data_dir` must exist.
 * On success *out is owned by the caller (crypto_keyring_close).
 */
int crypto_keyring_open(const char *data_dir, struct crypto_keyring **out, struct err *err);
/* A keyring from a master key held elsewhere (tests, a key from an HSM or KMS). The
 * master is copied; the caller wipes its own copy. */
int crypto_keyring_from_master(const unsigned char master[CRYPTO_KEY_LEN],
                               struct crypto_keyring **out);
/* Wipe every key (OPENSSL_cleanse) and free the keyring. NULL is allowed. */
void crypto_keyring_close(struct crypto_keyring *kr);

/* A cached 32-byte subkey, owned by the keyring (valid until close; do not wipe it). */
const unsigned char *crypto_keyring_subkey(const struct crypto_keyring *kr,
                                           enum crypto_subkey which);
/* A cached AEAD key, owned by the keyring. */
const struct crypto_aead_key *crypto_keyring_aead(const struct crypto_keyring *kr,
                                                  enum crypto_aead_use use);
/* Derive a key for another label (crypto_kdf with the master). The caller wipes `out`. */
int crypto_keyring_derive(const struct crypto_keyring *kr, const char *label, void *out, size_t n);

/* ---- Passwords (argon2id) -------------------------------------------------------- */

struct crypto_password_params {
    uint32_t t_cost;      /* passes */
    uint32_t m_cost_kib;  /* memory in KiB */
    uint32_t parallelism; /* lanes (threads per hash) */
};
/* FACTS.md: t=3, m=64 MiB, p=1 (~120 ms per hash here). */
#define CRYPTO_PASSWORD_DEFAULT ((struct crypto_password_params){3, 65536, 1})
/* Cheap parameters for tests only (~1 ms): never for real accounts. */
#define CRYPTO_PASSWORD_TEST ((struct crypto_password_params){1, 64, 1})
#define CRYPTO_PASSWORD_MAX 1024      /* longest password accepted, in bytes */
#define CRYPTO_PASSWORD_HASH_SIZE 160 /* buffer for an encoded hash, NUL included */

/* A password hasher: parameters plus a gate that lets at most `max_concurrent` hashes
 * run at once (0: one per online CPU), so a login flood queues instead of allocating
 * m_cost per request. Owned by the caller (crypto_pwhash_free). NULL `params`: default. */
struct crypto_pwhash;
int crypto_pwhash_new(const struct crypto_password_params *params, unsigned max_concurrent,
                      struct crypto_pwhash **out, struct err *err);
/* Precondition: no thread is inside a hash or verify. NULL is allowed. */
void crypto_pwhash_free(struct crypto_pwhash *ph);

struct crypto_pwhash_stats {
    unsigned max_concurrent; /* size of the gate */
    unsigned running;        /* hashes running now */
    unsigned waiting;        /* callers blocked at the gate now */
    unsigned peak;           /* most hashes ever running at once */
};
void crypto_pwhash_stats(struct crypto_pwhash *ph, struct crypto_pwhash_stats *st);

/* Hash a password (`len` <= CRYPTO_PASSWORD_MAX bytes, any content) with a fresh 16-byte
 * salt into the PHC string "$argon2id$v=19$m=...,t=...,p=...$salt$hash" (NUL-terminated,
 * out_size >= CRYPTO_PASSWORD_HASH_SIZE). Blocks at the gate. */
int crypto_password_hash(struct crypto_pwhash *ph, const char *password, size_t len, char *out,
                         size_t out_size);
/* 0 if `password` matches `encoded`; -1 if not ("crypto.password_mismatch", 401) or on an
 * error ("crypto.password_hash_invalid" for a stored string that is not an argon2id hash
 * within the limits m <= 1 GiB, t <= 64, p <= 16; "crypto.error" otherwise). Blocks at
 * the gate. */
int crypto_password_verify(struct crypto_pwhash *ph, const char *encoded, const char *password,
                           size_t len, struct err *err);
/* 1 if `encoded` was made with other parameters than the hasher's (or is not a valid
 * argon2id v19 string): hash the password again after a successful verify. 0 if not. */
int crypto_password_needs_rehash(const struct crypto_pwhash *ph, const char *encoded);

/* ---- TOTP (RFC 6238) and recovery codes ------------------------------------------ */

#define CRYPTO_TOTP_SECRET_LEN 20 /* 160 bits, RFC 4226 §4 recommendation */
#define CRYPTO_TOTP_PERIOD 30
#define CRYPTO_TOTP_DIGITS 6

/* A new random secret. The caller stores it sealed (CRYPTO_AEAD_SECRETS) and wipes it. */
int crypto_totp_secret_new(unsigned char secret[CRYPTO_TOTP_SECRET_LEN]);
/* The secret in base32 (RFC 4648, upper case, no padding) as authenticator apps take it.
 * Returns the length written (32 for 20 bytes) or -1. The caller wipes `out`. */
int crypto_totp_secret_base32(const unsigned char *secret, size_t n, char *out, size_t out_size);
/* The secret from its base32 form (as authenticator apps show it; case and spaces do not
 * matter): its length in *n. -1 for anything that is not base32 or longer than `max`. The
 * caller wipes `out`. */
int crypto_totp_secret_decode(const char *b32, unsigned char *out, size_t max, size_t *n);
/* The code for time `now` (Unix seconds, >= 0): HMAC-SHA-1, 30-second steps from 0,
 * `digits` in 6..8. `out` needs digits + 1 bytes. */
int crypto_totp_code(const unsigned char *secret, size_t n, int64_t now, unsigned digits,
                     char *out);
/* 0 if `code` (exactly `digits` ASCII digits) is the code of a step within `window`
 * steps of now (window 1: the previous, current and next step, for clock skew), with
 * *matched_step set to that step (now / 30 + offset). The caller must refuse a step it
 * has already accepted for this secret (RFC 6238 §5.2): store the last matched step and
 * require a larger one. -1 otherwise. Codes are compared in constant time. */
int crypto_totp_verify(const unsigned char *secret, size_t n, unsigned digits, const char *code,
                       int64_t now, unsigned window, int64_t *matched_step);
/* otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&algorithm=SHA1&digits=D&period=30
 * (the Key Uri Format authenticator apps read), with issuer and account percent-encoded
 * as UTF-8 (RFC 3986: everything but unreserved characters). Returns the length or -1
 * (also when `out` is too small). The URI holds the secret: the caller wipes `out`. */
int crypto_totp_uri(const char *issuer, const char *account, const char *secret_b32,
                    unsigned digits, char *out, size_t out_size);

/* Recovery codes: 10 characters of Crockford's base32 alphabet in lower case
 * (0-9 a-h j k m n p-t v-z: no i l o u), shown as "xxxxx-xxxxx": 50 random bits each. */
#define CRYPTO_RECOVERY_CODE_SIZE 12 /* "xxxxx-xxxxx" and the NUL */
#define CRYPTO_RECOVERY_CODES_MAX 64
/* Fill `codes` with `n` (1..CRYPTO_RECOVERY_CODES_MAX) new codes. Show them once, store
 * only their hashes, and wipe `codes`. */
int crypto_recovery_codes(char (*codes)[CRYPTO_RECOVERY_CODE_SIZE], size_t n);
/* Normalise what a person typed: case-insensitive, spaces and hyphens ignored, the
 * look-alikes o -> 0 and i, l -> 1 mapped (Crockford). Writes the canonical
 * "xxxxx-xxxxx" form; -1 if it is not 10 valid characters. */
int crypto_recovery_code_normalize(const char *in, char out[CRYPTO_RECOVERY_CODE_SIZE]);
/* Storage hash of a code: HMAC-SM3(key, canonical form), `key` =
 * CRYPTO_SUBKEY_RECOVERY. Normalises first, so a typed code hashes like the original;
 * -1 if the code is not valid. A keyed fast hash rather than argon2: 50 random bits are
 * not guessable online, and offline only with the key file (docs/internals/crypto.md). */
int crypto_recovery_code_hash(const unsigned char key[CRYPTO_KEY_LEN], const char *code,
                              unsigned char out[CRYPTO_SM3_LEN]);

/* ---- Asymmetric keys: ES256 (ECDSA P-256) for JOSE, SM2 for seals and certificates ---- */

enum crypto_key_type {
    CRYPTO_KEY_ES256 = 1, /* ECDSA on P-256 with SHA-256 (RFC 7518 §3.4) */
    CRYPTO_KEY_SM2 = 2    /* SM2 with SM3 and the default ID (GB/T 32918, GB/T 35276) */
};

/* An asymmetric key: a key pair, or a public key only. Immutable once made; may be used
 * by several threads at once. Owned by whoever created it (crypto_key_free). */
struct crypto_key;

int crypto_key_generate(enum crypto_key_type type, struct crypto_key **out);
/* Import a PEM key: "PRIVATE KEY" (PKCS#8, unencrypted: an encrypted PEM is refused,
 * never prompted for), "EC PRIVATE KEY" or "PUBLIC KEY" (SubjectPublicKeyInfo). -1 with
 * `err` ("crypto.bad_key") unless it is a key of `type`. The caller wipes the PEM. */
int crypto_key_from_pem(enum crypto_key_type type, const char *pem, size_t len,
                        struct crypto_key **out, struct err *err);
/* Import a public key given as uncompressed point hex "04" || x || y (130 characters),
 * the form sm-crypto and most SM2 tools use. */
int crypto_key_from_public_hex(enum crypto_key_type type, const char *hex, struct crypto_key **out,
                               struct err *err);
/* Import a private key given as the 32-byte scalar in hex (64 characters); the public
 * key is computed. For known-answer tests and keys from other SM2 tools. */
int crypto_key_from_private_hex(enum crypto_key_type type, const char *hex, struct crypto_key **out,
                                struct err *err);
void crypto_key_free(struct crypto_key *key);
/* A second handle on the same key (the EVP_PKEY's reference count is raised): for caches
 * that hand a key to threads while they may drop their own. Each handle is freed with
 * crypto_key_free. NULL on allocation failure. */
struct crypto_key *crypto_key_share(const struct crypto_key *key);

enum crypto_key_type crypto_key_type(const struct crypto_key *key);
/* 1 if the key holds its private half. */
int crypto_key_has_private(const struct crypto_key *key);

/* PEM exports into a NUL-terminated buffer from malloc; *len (may be NULL) is its length.
 * The private key PEM (unencrypted PKCS#8) is a secret: seal it before storing
 * (CRYPTO_AEAD_SECRETS) and release it with crypto_free_secret(pem, len). The public key
 * PEM is released with free(). -1 for a private export of a public-only key. */
int crypto_key_private_pem(const struct crypto_key *key, char **pem, size_t *len);
int crypto_key_public_pem(const struct crypto_key *key, char **pem, size_t *len);
/* The public key as "04" || x || y in lower-case hex (130 characters and a NUL). */
#define CRYPTO_PUBLIC_HEX_SIZE 131
int crypto_key_public_hex(const struct crypto_key *key, char out[CRYPTO_PUBLIC_HEX_SIZE]);

/* SM2 signatures: SM3 with Z computed for the standard default ID "1234567812345678"
 * (set explicitly: OpenSSL 3.0's default is empty, FACTS.md), DER SEQUENCE{r, s} out
 * (at most CRYPTO_SM2_SIG_MAX bytes). Verify returns 0 only for a valid signature. */
#define CRYPTO_SM2_SIG_MAX 72
int crypto_sm2_sign(const struct crypto_key *key, const void *msg, size_t n, unsigned char *sig,
                    size_t sig_size, size_t *sig_len);
int crypto_sm2_verify(const struct crypto_key *key, const void *msg, size_t n,
                      const unsigned char *sig, size_t sig_len);

/* OpenSSL access for X.509 work (src/seals): the key's EVP_PKEY, borrowed (owned by the
 * key, valid until crypto_key_free; do not modify it). */
struct evp_pkey_st;
struct evp_pkey_st *crypto_key_evp(const struct crypto_key *key);
/* A key of `type` from an EVP_PKEY (e.g. a certificate's public key): takes a new
 * reference, the caller keeps its own. -1 unless it is a key of that type. */
int crypto_key_from_evp(enum crypto_key_type type, struct evp_pkey_st *pkey,
                        struct crypto_key **out);
/* An EVP_MD_CTX ready for EVP_DigestSign (sign = 1) or EVP_DigestVerify with SM3 and the
 * default SM2 ID set, for X509_sign_ctx and the like (void * to keep OpenSSL out of this
 * header). Release both with crypto_sm2_md_ctx_free. NULL on failure. */
void *crypto_sm2_md_ctx(const struct crypto_key *key, int sign, void **pkey_ctx);
void crypto_sm2_md_ctx_free(void *md_ctx, void *pkey_ctx);

/* ---- JOSE: JWK and compact JWS with ES256 ---------------------------------------- */

#define CRYPTO_JWS_MAX 16384     /* longest token accepted by the verifiers */
#define CRYPTO_KID_SIZE 64       /* key id buffer, NUL included */
#define CRYPTO_THUMBPRINT_LEN 43 /* base64url of a SHA-256 */

/* The key id: the "kid" of the JWK it was imported from, or else its RFC 7638
 * thumbprint. Owned by the key. ES256 keys only (SM2 keys: ""). */
const char *crypto_key_kid(const struct crypto_key *key);
/* RFC 7638 thumbprint of an ES256 key: base64url(SHA-256(canonical JWK)) where the
 * canonical JWK is exactly {"crv":"P-256","kty":"EC","x":"...","y":"..."}. `canonical`
 * (may be NULL, else >= 160 bytes) receives that JSON text, for tests and audits. */
int crypto_jwk_thumbprint(const struct crypto_key *key, char out[CRYPTO_THUMBPRINT_LEN + 1],
                          char *canonical, size_t canonical_size);
/* The public JWK of an ES256 key: {"kty":"EC","crv":"P-256","x","y","kid","alg":"ES256",
 * "use":"sig"}. A new reference the caller releases (json_decref); NULL on failure. */
json_t *crypto_key_jwk(const struct crypto_key *key);
/* Import a public ES256 JWK (kty EC, crv P-256, 32-byte x and y on the curve; "alg" if
 * present must be ES256 and "use" if present "sig"). A JWK carrying a private part ("d")
 * is refused: it was published by mistake. Errors: "crypto.bad_jwk" (400). */
int crypto_key_from_jwk(const json_t *jwk, struct crypto_key **out, struct err *err);

/* Sign `payload` (a JSON object; not consumed) as a compact JWS with the header
 * {"alg":"ES256","typ":"JWT","kid":KID}; the signature is the raw 64-byte R || S
 * (RFC 7518 §3.4), not DER. *token is from malloc; the caller frees it (free). */
int crypto_jws_sign(const struct crypto_key *key, const json_t *payload, char **token);
/* The same with the payload given as the JSON text of an object (not parsed or checked
 * here: the caller builds it), for signers that write their claims without jansson. */
int crypto_jws_sign_text(const struct crypto_key *key, const char *payload, size_t len,
                         char **token);

/*
 * Verify a compact JWS signed with ES256 by one of `keys`, chosen by the header's kid,
 * which must equal a key's kid exactly (crypto_key_kid: the JWK's kid, or else the key's
 * thumbprint); a header without kid is accepted only when exactly one ES256 key is given.
 * On success
 * *payload is the parsed payload object (a new reference: json_decref). Refused, with
 * `err` code "crypto.jws_invalid" (401) and a reason in the message: tokens over
 * CRYPTO_JWS_MAX, anything but three non-empty strict base64url segments, a header or
 * payload that is not a JSON object or has duplicate member names, alg other than ES256
 * ("none" and HS256 included: there is no way to allow them), a "crit" header, an unknown
 * kid, a signature that is not 64 bytes or does not verify. Time claims are not checked
 * here: see crypto_jwt_check_times.
 */
int crypto_jws_verify(const char *token, struct crypto_key *const *keys, size_t nkeys,
                      json_t **payload, struct err *err);
/* The same against a JWK or a JWK Set ({"keys":[...]}) given as parsed JSON, such as a
 * client's registered jwks for private_key_jwt (RFC 7523). Keys that are not ES256
 * (e.g. RSA) are skipped; a malformed ES256 key refuses the whole set. */
int crypto_jws_verify_with_jwk(const char *token, const json_t *jwk_or_set, json_t **payload,
                               struct err *err);

/* Check a JWT's time claims (RFC 7519 §4.1.4-6) at `now` (Unix seconds) with `leeway`
 * seconds of clock skew: "exp" is required and must be after now - leeway; "nbf", if
 * present, not after now + leeway; "iat", if present, not after now + leeway. Claims
 * must be numbers. Errors: "crypto.jwt_expired", "crypto.jwt_not_yet_valid",
 * "crypto.jwt_bad_claims" (all 401). */
int crypto_jwt_check_times(const json_t *payload, int64_t now, int64_t leeway, struct err *err);

#endif
