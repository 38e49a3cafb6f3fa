//! Couponry: a self-hosted coupon engine with a marketer dashboard.

pub mod codes;
pub mod conditions;
pub mod coupons;
pub mod fields;
pub mod money;
