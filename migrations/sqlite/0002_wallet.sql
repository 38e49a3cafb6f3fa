-- Cashback wallets: a ledger of entries and a balance the database keeps from going negative.

CREATE TABLE wallets (
    user_id    TEXT PRIMARY KEY,
    balance    INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    updated_at INTEGER NOT NULL
);

CREATE TABLE wallet_entries (
    id            INTEGER PRIMARY KEY,
    user_id       TEXT NOT NULL,
    points        INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('cashback', 'reversal', 'credit', 'debit')),
    redemption_id INTEGER REFERENCES redemptions (id),
    -- Points a debit could not take because the shopper had already spent them.
    shortfall     INTEGER NOT NULL DEFAULT 0,
    note          TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX wallet_entries_user ON wallet_entries (user_id, id);

-- One order is redeemed once per coupon: a retried checkout without an idempotency key must not
-- count twice.
CREATE UNIQUE INDEX redemptions_order ON redemptions (coupon_id, order_id) WHERE status = 'redeemed' AND order_id IS NOT NULL;
