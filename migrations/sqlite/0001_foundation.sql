-- Couponry schema. Times are UTC unix milliseconds; money is integer minor units; JSON is TEXT.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'marketer', 'analyst')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor_kind  TEXT NOT NULL,
    actor_id    INTEGER,
    actor_label TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE coupons (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    definition       TEXT NOT NULL,
    currency         TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    reward_type      TEXT NOT NULL,
    distribution     TEXT NOT NULL,
    audience         TEXT NOT NULL,
    visibility       TEXT NOT NULL,
    trigger_event    TEXT,
    activation_event TEXT,
    starts_at        INTEGER,
    ends_at          INTEGER,
    per_user_limit   INTEGER,
    global_limit     INTEGER,
    budget_discount  INTEGER,
    budget_cashback  INTEGER,
    version          INTEGER NOT NULL DEFAULT 1,
    created_by       INTEGER REFERENCES accounts (id),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    live_since       INTEGER
);
CREATE INDEX coupons_status ON coupons (status, updated_at);
CREATE INDEX coupons_trigger_event ON coupons (trigger_event);
CREATE INDEX coupons_activation_event ON coupons (activation_event);

CREATE TABLE code_batches (
    id         INTEGER PRIMARY KEY,
    coupon_id  INTEGER NOT NULL REFERENCES coupons (id),
    kind       TEXT NOT NULL CHECK (kind IN ('generated', 'uploaded')),
    file_name  TEXT,
    pattern    TEXT,
    row_count  INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL CHECK (status IN ('importing', 'ready', 'failed', 'voided')),
    created_by INTEGER REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE INDEX code_batches_coupon ON code_batches (coupon_id);

-- Every code of the system, static or unique: the UNIQUE makes codes identify their coupon.
CREATE TABLE codes (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    coupon_id   INTEGER NOT NULL REFERENCES coupons (id),
    batch_id    INTEGER REFERENCES code_batches (id),
    kind        TEXT NOT NULL CHECK (kind IN ('static', 'unique')),
    user_id     TEXT,
    expires_at  INTEGER,
    status      TEXT NOT NULL CHECK (status IN ('available', 'assigned', 'redeemed', 'void')),
    assigned_at INTEGER,
    redeemed_at INTEGER
);
CREATE INDEX codes_coupon_status ON codes (coupon_id, status, id);
CREATE INDEX codes_batch ON codes (batch_id, status);

CREATE TABLE app_users (
    user_id    TEXT PRIMARY KEY,
    properties TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL,
    name        TEXT NOT NULL,
    properties  TEXT NOT NULL DEFAULT '{}',
    occurred_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX events_user_name ON events (user_id, name, occurred_at);

-- A coupon held by one user, with that user's activation and expiry.
CREATE TABLE assignments (
    id           INTEGER PRIMARY KEY,
    coupon_id    INTEGER NOT NULL REFERENCES coupons (id),
    user_id      TEXT NOT NULL,
    code_id      INTEGER REFERENCES codes (id),
    source       TEXT NOT NULL CHECK (source IN ('campaign', 'event', 'code', 'api')),
    campaign_id  INTEGER,
    assigned_at  INTEGER NOT NULL,
    activated_at INTEGER,
    expires_at   INTEGER,
    UNIQUE (coupon_id, user_id)
);
CREATE INDEX assignments_user ON assignments (user_id, expires_at);

CREATE TABLE redemptions (
    id          INTEGER PRIMARY KEY,
    coupon_id   INTEGER NOT NULL REFERENCES coupons (id),
    code_id     INTEGER REFERENCES codes (id),
    user_id     TEXT NOT NULL,
    order_id    TEXT,
    currency    TEXT NOT NULL,
    discount    INTEGER NOT NULL,
    cashback    INTEGER NOT NULL,
    detail      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('redeemed', 'reversed')),
    redeemed_at INTEGER NOT NULL,
    reversed_at INTEGER,
    api_key_id  INTEGER
);
CREATE INDEX redemptions_coupon ON redemptions (coupon_id, redeemed_at);
CREATE INDEX redemptions_user ON redemptions (user_id, redeemed_at);

-- One row per limit bucket. A redemption moves each of its buckets with a conditional write,
-- so no limit, cap or budget can be exceeded whatever the concurrency.
-- user_id '' is the global scope; period 'all' with period_key 0 counts for ever.
CREATE TABLE usage_counters (
    coupon_id  INTEGER NOT NULL REFERENCES coupons (id),
    user_id    TEXT NOT NULL,
    period     TEXT NOT NULL CHECK (period IN ('all', 'day', 'week', 'month', 'year')),
    period_key INTEGER NOT NULL,
    uses       INTEGER NOT NULL DEFAULT 0,
    discount   INTEGER NOT NULL DEFAULT 0,
    cashback   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (coupon_id, user_id, period, period_key)
);

CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_by   INTEGER REFERENCES accounts (id),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE idempotency_keys (
    api_key_id   INTEGER NOT NULL REFERENCES api_keys (id),
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code  INTEGER,
    response     TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, key)
);

CREATE TABLE rate_limits (
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
