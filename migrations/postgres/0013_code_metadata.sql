-- `metadata` on a code: the integrator's own keys (a JSON object as text; NULL when none).
-- Coupons keep theirs in the definition and redemptions in their detail, both JSON already.
ALTER TABLE codes ADD COLUMN metadata TEXT;
