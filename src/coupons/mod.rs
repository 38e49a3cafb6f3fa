//! Coupons: the definition with every setting, its parser, its summary, its lifecycle, its
//! storage and its pages.

use serde::{Deserialize, Serialize};

pub mod definition;
pub mod input;
pub mod pages;
pub mod server;
pub mod status;
#[cfg(feature = "ssr")]
pub mod store;
pub mod summary;
pub mod templates;
pub mod timing;

#[cfg(test)]
mod input_tests;

use definition::{CouponDefinition, Expiry};
use status::CouponStatus;

/// A stored coupon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: i64,
    pub status: CouponStatus,
    pub definition: CouponDefinition,
    /// Goes up with every change; an edit names the version it started from.
    pub version: i64,
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[serde(with = "crate::dates::rfc3339")]
    pub updated_at: i64,
    /// When it first became active: event activation counts events from here.
    pub live_since: Option<i64>,
}

/// What a person sees of a coupon's state: the status, refined by time and usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DisplayState {
    Draft,
    Scheduled,
    Active,
    Paused,
    Expired,
    Exhausted,
    Archived,
}

impl DisplayState {
    pub fn of(coupon: &Coupon, global_uses: i64, now_ms: i64) -> DisplayState {
        let d = &coupon.definition;
        let ms = |t: chrono::DateTime<chrono::Utc>| t.timestamp_millis();
        match coupon.status {
            CouponStatus::Draft => DisplayState::Draft,
            CouponStatus::Paused => DisplayState::Paused,
            CouponStatus::Archived => DisplayState::Archived,
            CouponStatus::Active => {
                let ended = matches!(d.expiry, Expiry::Fixed { at } if ms(at) <= now_ms)
                    || d.window.and_then(|w| w.end).is_some_and(|e| ms(e) <= now_ms);
                let starts = d.window.and_then(|w| w.start).map(ms).max(match &d.activation {
                    definition::Activation::Time { from } => from.map(ms),
                    definition::Activation::Event { .. } => None,
                });
                if ended {
                    DisplayState::Expired
                } else if d.limits.global.is_some_and(|g| global_uses >= i64::from(g)) {
                    DisplayState::Exhausted
                } else if starts.is_some_and(|s| s > now_ms) {
                    DisplayState::Scheduled
                } else {
                    DisplayState::Active
                }
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DisplayState::Draft => "draft",
            DisplayState::Scheduled => "scheduled",
            DisplayState::Active => "active",
            DisplayState::Paused => "paused",
            DisplayState::Expired => "expired",
            DisplayState::Exhausted => "exhausted",
            DisplayState::Archived => "archived",
        }
    }
}

/// One row of the coupon list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CouponListItem {
    pub id: i64,
    pub name: String,
    pub status: CouponStatus,
    pub state: DisplayState,
    pub code: Option<String>,
    pub summary: String,
    pub uses: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub updated_at: i64,
}

impl CouponListItem {
    pub fn new(coupon: Coupon, code: Option<String>, uses: i64, now_ms: i64) -> CouponListItem {
        CouponListItem {
            id: coupon.id,
            name: coupon.definition.name.clone(),
            status: coupon.status,
            state: DisplayState::of(&coupon, uses, now_ms),
            code,
            summary: summary::describe_definition(&coupon.definition),
            uses,
            updated_at: coupon.updated_at,
        }
    }
}

/// Filters and order of the coupon list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct ListQuery {
    /// A status name, or empty for all.
    pub status: String,
    /// Part of a name, or the start of a code.
    pub search: String,
    /// `updated` (default), `name`, `created` or `status`.
    pub sort: String,
    /// Coupons per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The id of the last coupon of the page before: the page after it in the same order.
    pub starting_after: Option<i64>,
}

/// The most items one page of a list holds (coupons, and the API's other lists).
pub const MAX_PAGE: i64 = 500;

/// A page's size as asked, within 1 to [`MAX_PAGE`] (100 when not asked).
pub fn page_size(limit: Option<i64>) -> i64 {
    limit.unwrap_or(100).clamp(1, MAX_PAGE)
}

/// One page of the coupon list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CouponPage {
    pub coupons: Vec<CouponListItem>,
    /// More coupons follow: ask again with `starting_after` the last one's id.
    pub has_more: bool,
}
