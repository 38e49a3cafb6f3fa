-- Segments and campaigns. A user's properties are also stored as facets (see
-- src/conditions/facets.rs): what conditions compare, derived once by the app.
ALTER TABLE app_users ADD COLUMN facets TEXT NOT NULL DEFAULT '{}';

CREATE TABLE segments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL,
    created_by  INTEGER REFERENCES accounts (id),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A campaign keeps the rule it launched with: editing the segment later changes who matches
-- next time, not who was reached.
CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    coupon_id        INTEGER NOT NULL REFERENCES coupons (id),
    segment_id       INTEGER NOT NULL REFERENCES segments (id),
    rule             TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('scheduled', 'launched', 'failed', 'cancelled')),
    launch_at        INTEGER NOT NULL,
    keep_in_sync     INTEGER NOT NULL DEFAULT 0,
    created_by       INTEGER REFERENCES accounts (id),
    created_by_label TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    launched_at      INTEGER,
    launched_by      TEXT,
    matched          INTEGER NOT NULL DEFAULT 0,
    already_held     INTEGER NOT NULL DEFAULT 0,
    message          TEXT
);
CREATE INDEX campaigns_due ON campaigns (status, launch_at);
CREATE INDEX campaigns_coupon ON campaigns (coupon_id);
CREATE INDEX assignments_campaign ON assignments (campaign_id);
