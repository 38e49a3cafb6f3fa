-- Redemptions in time order across coupons: the exact count of the people who redeemed in a
-- range, and the export of every coupon's redemptions, read a range of this index instead of
-- the whole table. `id` breaks ties for keyset paging.
CREATE INDEX redemptions_time ON redemptions (redeemed_at, id);
