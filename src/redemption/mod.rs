//! Redemption: the cart, the pure decision (validate and redeem alike), the calendar periods that
//! caps count in, and the money arithmetic that spreads a discount exactly.

pub mod allocate;
#[cfg(feature = "ssr")]
pub mod attempts;
pub mod bxgy;
pub mod cart;
pub mod decision;
pub mod periods;
pub mod reasons;
pub mod request;
pub mod returns;
pub mod server;
pub mod stack;
pub mod try_panel;

#[cfg(test)]
mod bxgy_tests;
#[cfg(test)]
mod decision_tests;
#[cfg(test)]
mod stack_tests;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(test)]
mod tier_tests;

use serde::{Deserialize, Serialize};

use crate::coupons::definition::Period;

/// How far a coupon has gone toward its coupon-wide limits: all time, and each global cap in the
/// period it is counting now (the counters the redemption itself moves).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub uses: i64,
    pub discount: i64,
    pub cashback: i64,
    pub caps: Vec<CapUsage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapUsage {
    pub period: Period,
    pub used: i64,
    pub limit: i64,
}
