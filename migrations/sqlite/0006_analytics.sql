-- Analytics rollups. Every write that assigns, activates, redeems or reverses also adds itself to
-- its coupon's row for that quarter hour (UTC) in the same transaction, so the analytics pages
-- read O(quarter hours), never O(redemptions). Quarter hours, not hours: every time zone in use
-- is a whole number of quarter hours from UTC (India +5:30, Nepal +5:45), so days and hours in
-- any zone are exact sums of rows. `batch_id` 0 is "no code batch".
CREATE TABLE coupon_activity (
    coupon_id     INTEGER NOT NULL REFERENCES coupons (id),
    quarter       INTEGER NOT NULL,
    batch_id      INTEGER NOT NULL DEFAULT 0,
    assigned      INTEGER NOT NULL DEFAULT 0,
    activated     INTEGER NOT NULL DEFAULT 0,
    -- Redemptions made in this quarter hour and not reversed since, with their discount and
    -- cashback: a reversal takes its redemption out of the quarter hour it was made in.
    redeemed      INTEGER NOT NULL DEFAULT 0,
    discount      INTEGER NOT NULL DEFAULT 0,
    cashback      INTEGER NOT NULL DEFAULT 0,
    -- Reversals made in this quarter hour.
    reversals     INTEGER NOT NULL DEFAULT 0,
    -- Users redeeming this coupon for the first time, and users redeeming any coupon for the
    -- first time (counted on the coupon they first redeemed).
    new_redeemers INTEGER NOT NULL DEFAULT 0,
    new_customers INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (coupon_id, quarter, batch_id)
) WITHOUT ROWID;
-- A coupon's rows lie together (WITHOUT ROWID clusters by the key); the overview reads every
-- coupon's rows of a range from this index alone.
CREATE INDEX coupon_activity_quarter ON coupon_activity (quarter, coupon_id, assigned, activated, redeemed,
    discount, cashback, reversals, new_redeemers, new_customers);

-- Who has redeemed what: the first redemption decides the new-redeemer counts above, and the
-- primary keys make "first" hold under any concurrency.
CREATE TABLE coupon_redeemers (
    coupon_id INTEGER NOT NULL REFERENCES coupons (id),
    user_id   TEXT NOT NULL,
    first_at  INTEGER NOT NULL,
    PRIMARY KEY (coupon_id, user_id)
);

CREATE TABLE redeemers (
    user_id   TEXT PRIMARY KEY,
    coupon_id INTEGER NOT NULL REFERENCES coupons (id),
    first_at  INTEGER NOT NULL
);

-- What happened before this migration.
INSERT INTO coupon_redeemers (coupon_id, user_id, first_at)
SELECT coupon_id, user_id, MIN(redeemed_at) FROM redemptions GROUP BY coupon_id, user_id;

INSERT INTO redeemers (user_id, coupon_id, first_at)
SELECT f.user_id, MIN(c.coupon_id), f.first_at
FROM (SELECT user_id, MIN(first_at) AS first_at FROM coupon_redeemers GROUP BY user_id) f
JOIN coupon_redeemers c ON c.user_id = f.user_id AND c.first_at = f.first_at
GROUP BY f.user_id, f.first_at;

INSERT INTO coupon_activity (coupon_id, quarter, batch_id, assigned, activated, redeemed, discount, cashback,
                             reversals, new_redeemers, new_customers)
SELECT coupon_id, quarter, batch_id, SUM(assigned), SUM(activated), SUM(redeemed), SUM(discount), SUM(cashback),
       SUM(reversals), SUM(new_redeemers), SUM(new_customers)
FROM (
    SELECT a.coupon_id, a.assigned_at / 900000 AS quarter, COALESCE(k.batch_id, 0) AS batch_id,
           1 AS assigned, 0 AS activated, 0 AS redeemed, 0 AS discount, 0 AS cashback, 0 AS reversals,
           0 AS new_redeemers, 0 AS new_customers
    FROM assignments a LEFT JOIN codes k ON k.id = a.code_id
    UNION ALL
    SELECT a.coupon_id, a.activated_at / 900000, COALESCE(k.batch_id, 0), 0, 1, 0, 0, 0, 0, 0, 0
    FROM assignments a LEFT JOIN codes k ON k.id = a.code_id WHERE a.activated_at IS NOT NULL
    UNION ALL
    SELECT r.coupon_id, r.redeemed_at / 900000, COALESCE(k.batch_id, 0), 0, 0, 1, r.discount, r.cashback, 0, 0, 0
    FROM redemptions r LEFT JOIN codes k ON k.id = r.code_id WHERE r.status = 'redeemed'
    UNION ALL
    SELECT r.coupon_id, r.reversed_at / 900000, COALESCE(k.batch_id, 0), 0, 0, 0, 0, 0, 1, 0, 0
    FROM redemptions r LEFT JOIN codes k ON k.id = r.code_id WHERE r.reversed_at IS NOT NULL
    UNION ALL
    SELECT coupon_id, first_at / 900000, 0, 0, 0, 0, 0, 0, 0, 1, 0 FROM coupon_redeemers
    UNION ALL
    SELECT coupon_id, first_at / 900000, 0, 0, 0, 0, 0, 0, 0, 0, 1 FROM redeemers
) events
GROUP BY coupon_id, quarter, batch_id;
