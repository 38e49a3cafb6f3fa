-- Rollups derived from coupon_activity, so that a report across coupons reads O(days), not
-- O(coupons × quarter hours): each coupon's UTC days (top coupons, redemption rate, batch usage)
-- and every quarter hour's sums across coupons (the overview's days and heat map). Writes only
-- mark the coupon_activity rows they change (`dirty`); the next report brings these two up to
-- date from the marked rows (analytics::derived), so no write contends on a row shared across
-- coupons and no batch job runs.
ALTER TABLE coupon_activity ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;
CREATE INDEX coupon_activity_dirty ON coupon_activity (coupon_id, quarter, batch_id) WHERE dirty = 1;
-- The overview no longer reads every coupon's quarter hours: a narrow index is enough for the
-- range ends and the refresh, and costs each write less than the covering one.
DROP INDEX coupon_activity_quarter;
CREATE INDEX coupon_activity_quarter ON coupon_activity (quarter, coupon_id);

CREATE TABLE coupon_days (
    coupon_id     INTEGER NOT NULL REFERENCES coupons (id),
    day           INTEGER NOT NULL, -- UTC days since 1970-01-01 (quarter / 96)
    batch_id      INTEGER NOT NULL DEFAULT 0,
    assigned      INTEGER NOT NULL DEFAULT 0,
    activated     INTEGER NOT NULL DEFAULT 0,
    redeemed      INTEGER NOT NULL DEFAULT 0,
    discount      INTEGER NOT NULL DEFAULT 0,
    cashback      INTEGER NOT NULL DEFAULT 0,
    reversals     INTEGER NOT NULL DEFAULT 0,
    new_redeemers INTEGER NOT NULL DEFAULT 0,
    new_customers INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (coupon_id, day, batch_id)
) WITHOUT ROWID;
CREATE INDEX coupon_days_day ON coupon_days (day);

-- Keyed by the coupons' currency: money of different currencies is never added together.
CREATE TABLE activity_totals (
    quarter       INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    assigned      INTEGER NOT NULL DEFAULT 0,
    activated     INTEGER NOT NULL DEFAULT 0,
    redeemed      INTEGER NOT NULL DEFAULT 0,
    discount      INTEGER NOT NULL DEFAULT 0,
    cashback      INTEGER NOT NULL DEFAULT 0,
    reversals     INTEGER NOT NULL DEFAULT 0,
    new_redeemers INTEGER NOT NULL DEFAULT 0,
    new_customers INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (quarter, currency)
) WITHOUT ROWID;

-- What happened before this migration.
INSERT INTO coupon_days (coupon_id, day, batch_id, assigned, activated, redeemed, discount, cashback, reversals,
                         new_redeemers, new_customers)
SELECT coupon_id, quarter / 96, batch_id, SUM(assigned), SUM(activated), SUM(redeemed), SUM(discount),
       SUM(cashback), SUM(reversals), SUM(new_redeemers), SUM(new_customers)
FROM coupon_activity GROUP BY coupon_id, quarter / 96, batch_id;

INSERT INTO activity_totals (quarter, currency, assigned, activated, redeemed, discount, cashback, reversals,
                             new_redeemers, new_customers)
SELECT a.quarter, c.currency, SUM(a.assigned), SUM(a.activated), SUM(a.redeemed), SUM(a.discount),
       SUM(a.cashback), SUM(a.reversals), SUM(a.new_redeemers), SUM(a.new_customers)
FROM coupon_activity a JOIN coupons c ON c.id = a.coupon_id GROUP BY a.quarter, c.currency;
