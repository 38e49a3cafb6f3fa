-- `GET /redemptions?order_id=…`: an order's redemptions across coupons. The unique index on
-- (coupon_id, order_id) cannot serve it (the coupon comes first), and orders are looked up when
-- they are refunded, long after.
CREATE INDEX redemptions_order_id ON redemptions (order_id, redeemed_at) WHERE order_id IS NOT NULL;
