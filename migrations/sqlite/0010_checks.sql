-- What stops people: every checkout decision an app asks for (validate, redeem), counted per
-- coupon, quarter hour (UTC), door and outcome. `reason` is '' when the coupon was accepted,
-- else the most important reason it was refused (the one the shopper is shown first).
-- `coupon_id` 0 is a code that matched no coupon. No foreign key: a count outlives nothing.
-- Servers tally in memory and add their counts every scheduler tick (activity::checks), so a
-- validation never waits on a write; `check_totals` holds the same counts across coupons, so
-- the overview reads O(quarter hours), not O(coupons × quarter hours).
CREATE TABLE coupon_checks (
    coupon_id INTEGER NOT NULL,
    quarter   INTEGER NOT NULL,
    door      TEXT NOT NULL,
    reason    TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (coupon_id, quarter, door, reason)
) WITHOUT ROWID;

CREATE TABLE check_totals (
    quarter INTEGER NOT NULL,
    door    TEXT NOT NULL,
    reason  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (quarter, door, reason)
) WITHOUT ROWID;
