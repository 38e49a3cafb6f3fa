-- Coupons stacked on one cart are recorded as one redemption row each, sharing the id of the
-- first (NULL on the first itself); they are reversed together.
ALTER TABLE redemptions ADD COLUMN group_id BIGINT REFERENCES redemptions (id);
CREATE INDEX redemptions_group ON redemptions (group_id) WHERE group_id IS NOT NULL;
