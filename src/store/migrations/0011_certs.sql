-- E-seals (GB/T 38540-style) and e-certificates (GB/T 36904-style identifiers):
-- docs/internals/seals.md and docs/internals/certs.md.

-- Trust roots: the platform's own SM2 root (kind 'platform', its private key sealed with the
-- keyring's secrets key, associated data "trust_roots.private_sealed:ID") and the roots of
-- other issuers an administrator trusts (kind 'trusted', mutual recognition 互认).
CREATE TABLE trust_roots (
    id             BIGINT PRIMARY KEY,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    cert_der       BYTEA NOT NULL,
    fingerprint    TEXT NOT NULL UNIQUE,
    private_sealed BYTEA,
    created_at     BIGINT NOT NULL,
    created_by     BIGINT NOT NULL
);

-- Seals: one row per seal; `eseal` is the DER SESeal (maker: the platform root), `cert_der`
-- the seal key's X.509 certificate, the private key sealed ("seals.private_sealed:ID").
CREATE TABLE seals (
    id             BIGINT PRIMARY KEY,
    es_id          TEXT NOT NULL UNIQUE,
    department_id  BIGINT NOT NULL REFERENCES departments (id),
    seal_type      TEXT NOT NULL,
    name           TEXT NOT NULL,
    status         TEXT NOT NULL,
    valid_from     BIGINT NOT NULL,
    valid_to       BIGINT NOT NULL,
    picture_png    BYTEA NOT NULL,
    cert_der       BYTEA NOT NULL,
    eseal          BYTEA NOT NULL,
    private_sealed BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     BIGINT NOT NULL,
    status_at      BIGINT NOT NULL
);
CREATE INDEX seals_department ON seals (department_id, status);

-- Every use of a seal (用章): who, when, over what hash, for what.
CREATE TABLE seal_uses (
    id         BIGINT PRIMARY KEY,
    seal_id    BIGINT NOT NULL REFERENCES seals (id),
    actor_id   BIGINT NOT NULL,
    data_hash  TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX seal_uses_seal ON seal_uses (seal_id, at);

-- Certificate types (证照类型).
CREATE TABLE cert_types (
    code        TEXT PRIMARY KEY,
    type_code   TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    name_bo     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    dept_code   TEXT NOT NULL,
    issuer_code TEXT NOT NULL,
    fields      TEXT NOT NULL,
    valid_years BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Issued certificates. The document (canonical JSON with the holder's personal data) and
-- the holder's name and ID number are sealed with the PII key ("certificates.COLUMN:ID");
-- data_hash = SM3(document); signature = the DER SES_Signature of the issuing seal.
CREATE TABLE certificates (
    id             BIGINT PRIMARY KEY,
    identifier     TEXT NOT NULL UNIQUE,
    type_code      TEXT NOT NULL,
    holder_account BIGINT NOT NULL,
    holder_name    BYTEA NOT NULL,
    holder_id      BYTEA NOT NULL,
    holder_masked  TEXT NOT NULL,
    department_id  BIGINT NOT NULL,
    seal_id        BIGINT NOT NULL,
    document       BYTEA NOT NULL,
    data_hash      TEXT NOT NULL,
    signature      BYTEA NOT NULL,
    issued_at      BIGINT NOT NULL,
    valid_until    BIGINT NOT NULL,
    status         TEXT NOT NULL,
    source         TEXT NOT NULL,
    qr_payload     TEXT NOT NULL
);
CREATE INDEX certificates_holder ON certificates (holder_account, type_code);

-- Authorised uses (免提交): the holder lets one department see one certificate for one
-- application; the holder sees every row.
CREATE TABLE cert_uses (
    id             BIGINT PRIMARY KEY,
    cert_id        BIGINT NOT NULL,
    holder_account BIGINT NOT NULL,
    application    TEXT NOT NULL,
    department_id  BIGINT NOT NULL,
    purpose        TEXT NOT NULL,
    at             BIGINT NOT NULL
);
CREATE INDEX cert_uses_cert ON cert_uses (cert_id, at);
CREATE INDEX cert_uses_dept ON cert_uses (department_id, cert_id);
