//! Analytics for product managers: per-coupon and overall figures, per-day series, a weekday ×
//! hour heat map, the funnel, top coupons and batch usage, for any date range in any time zone,
//! compared with the period before. Read from the quarter-hour rollups `activity` keeps.

use serde::{Deserialize, Serialize};

pub mod pages;
pub mod period;
pub mod server;

#[cfg(feature = "ssr")]
pub mod charts;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod report;

pub use period::{Period, PeriodInput};

/// An amount of money in one currency (minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Amount {
    pub currency: String,
    pub minor: i64,
}

/// The figures of one period. Redemptions (and their discount and cashback) are those made in
/// the period and not reversed since; reversals are those made in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Figures {
    pub codes_issued: i64,
    pub assignments: i64,
    pub activations: i64,
    pub redemptions: i64,
    pub reversals: i64,
    /// People redeeming for the first time in the period: this coupon for the first time, or
    /// across coupons any coupon for the first time (new customers). Exact for any range.
    pub unique_redeemers: i64,
    /// One amount per currency (coupons in several currencies are never added together).
    pub discount_given: Vec<Amount>,
    pub cashback_given: Vec<Amount>,
    /// Unique redeemers per assignment, when the period has assignments (across coupons: of the
    /// coupons assigned in the period, since redeemers of open coupons were never assigned).
    pub redemption_rate: Option<f64>,
    /// Coupons checked at `POST /validate` in the period (a cart of three codes checks three).
    #[serde(default)]
    pub validations: i64,
    /// Of those, the ones that could be used.
    #[serde(default)]
    pub valid_validations: i64,
    /// Coupons refused at `POST /redemptions`.
    #[serde(default)]
    pub refused_redemptions: i64,
}

/// One reason coupons were refused in the period, with its refusals at validate and at redeem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefusalCount {
    /// The reason code, as checkout answers give it.
    pub reason: String,
    /// The reason in words.
    pub label: String,
    pub validate: i64,
    pub redeem: i64,
}

/// One day of the period in its time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day {
    pub date: chrono::NaiveDate,
    pub redemptions: i64,
    pub reversals: i64,
    /// Discount given that day, one entry per currency of [`Report::currencies`].
    pub discount: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopCoupon {
    pub id: i64,
    pub name: String,
    pub redemptions: i64,
    pub discount: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchUse {
    pub id: i64,
    pub coupon_id: i64,
    pub coupon_name: String,
    pub label: String,
    pub codes: i64,
    /// Codes of the batch assigned and redeemed in the period.
    pub assigned: i64,
    pub redeemed: i64,
}

/// The ECharts options of a report's charts (JSON, built with charming on the server).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charts {
    pub daily: String,
    pub heat: String,
    pub funnel: String,
    pub top: String,
    pub batches: String,
    pub refusals: String,
}

/// Everything an analytics page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The coupon (id, name), or `None` across coupons.
    pub coupon: Option<(i64, String)>,
    pub period: Period,
    pub previous: Period,
    pub current: Figures,
    pub before: Figures,
    /// The currencies of [`Day::discount`], most discount first.
    pub currencies: Vec<String>,
    pub days: Vec<Day>,
    /// Redemptions by weekday (Monday first) and hour of day, in the period's zone.
    pub heat: Vec<Vec<i64>>,
    pub top: Vec<TopCoupon>,
    pub batches: Vec<BatchUse>,
    /// Why coupons were refused in the period, most refusals first.
    pub refusals: Vec<RefusalCount>,
    pub charts: Charts,
    /// When the report was read (UTC milliseconds).
    pub as_of: i64,
}

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The change from `before` to `now` as a signed percentage, when there was a before.
pub fn change(now: i64, before: i64) -> Option<f64> {
    (before != 0).then(|| (now - before) as f64 * 100.0 / before as f64)
}
