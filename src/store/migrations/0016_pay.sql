-- 0016 pay: unified public payment (统一公共支付), issue 12. Amounts are integer fen.

-- A fee order (缴款通知) per application with a fee: its payment code (缴款码), the amount
-- due, what was paid and refunded, and its state: created, paying, paid, refunding,
-- refunded, partly_refunded, closed. paid_fen - refunded_fen is what we hold.
CREATE TABLE pay_orders (
    id                 BIGINT PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    application_id     BIGINT NOT NULL UNIQUE,
    application_number TEXT NOT NULL,
    item_code          TEXT NOT NULL,
    department_id      BIGINT NOT NULL,
    payer_account      BIGINT NOT NULL,
    amount_fen         BIGINT NOT NULL CHECK (amount_fen > 0),
    currency           TEXT NOT NULL DEFAULT 'CNY',
    state              TEXT NOT NULL,
    due                TEXT NOT NULL,
    channel            TEXT,
    gateway            TEXT,
    gateway_txn        TEXT,
    counter_ref        TEXT,
    paid_fen           BIGINT NOT NULL DEFAULT 0,
    refunded_fen       BIGINT NOT NULL DEFAULT 0 CHECK (refunded_fen <= paid_fen),
    receipt_id         TEXT,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    paid_at            BIGINT,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX pay_orders_payer ON pay_orders (payer_account);
CREATE INDEX pay_orders_state ON pay_orders (state, expires_at);
CREATE INDEX pay_orders_paid_at ON pay_orders (paid_at);

-- An order's history: every transition, refund and exception, with who and how much.
CREATE TABLE pay_events (
    id         BIGINT PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES pay_orders (id),
    at         BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    amount_fen BIGINT NOT NULL DEFAULT 0,
    actor      BIGINT NOT NULL DEFAULT 0,
    note       TEXT
);
CREATE INDEX pay_events_order ON pay_events (order_id, at);

-- Notifications taken (idempotency): a gateway's notification id is taken once.
CREATE TABLE pay_notifications (
    gateway     TEXT NOT NULL,
    notify_id   TEXT NOT NULL,
    order_id    BIGINT NOT NULL,
    txn         TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    outcome     TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (gateway, notify_id)
);

-- Money that came in when it should not have (after the order closed, a second payment of
-- a paid order): recorded, refunded at the gateway or flagged for a person.
CREATE TABLE pay_exceptions (
    id         BIGINT PRIMARY KEY,
    order_id   BIGINT NOT NULL,
    gateway    TEXT NOT NULL,
    txn        TEXT NOT NULL UNIQUE,
    amount_fen BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL,
    at         BIGINT NOT NULL
);

-- Refunds: each one with its reason and who did it.
CREATE TABLE pay_refunds (
    id         BIGINT PRIMARY KEY,
    order_id   BIGINT NOT NULL REFERENCES pay_orders (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    reason     TEXT NOT NULL,
    actor      BIGINT NOT NULL,
    gateway_ref TEXT,
    at         BIGINT NOT NULL
);

-- The sandbox gateway's own books (what a bank keeps): its transactions and the
-- notifications it still has to deliver.
CREATE TABLE pay_sandbox_txns (
    txn          TEXT PRIMARY KEY,
    order_code   TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    state        TEXT NOT NULL,
    refunded_fen BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    paid_at      BIGINT,
    day          TEXT
);
CREATE INDEX pay_sandbox_txns_day ON pay_sandbox_txns (day);
CREATE TABLE pay_sandbox_outbox (
    id         BIGINT PRIMARY KEY,
    txn        TEXT NOT NULL,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    BIGINT NOT NULL,
    last_error TEXT
);
CREATE INDEX pay_sandbox_outbox_due ON pay_sandbox_outbox (status, next_at);
INSERT INTO notify_leases (name, holder, expires_at) VALUES ('pay.sandbox', '', 0);

-- Each reconciliation run of a day: counts and the differences (JSON text).
CREATE TABLE pay_reconciliations (
    day         TEXT PRIMARY KEY,
    gateway     TEXT NOT NULL,
    matched     BIGINT NOT NULL,
    ours_only   BIGINT NOT NULL,
    theirs_only BIGINT NOT NULL,
    mismatched  BIGINT NOT NULL,
    detail      TEXT NOT NULL,
    ran_at      BIGINT NOT NULL
);
