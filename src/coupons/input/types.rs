//! The coupon as a client sends it: every setting as text, numbers and lists, unchecked.

use serde::{Deserialize, Serialize};

use crate::conditions::ConditionInput;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CouponInput {
    pub name: String,
    pub description: String,
    pub currency: String,
    pub time_zone: String,
    pub reward: RewardInput,
    pub applies_to: AppliesToInput,
    pub qualifying: QualifyingInput,
    pub audience: String,
    pub distribution: DistributionInput,
    pub activation: ActivationInput,
    pub expiry: ExpiryInput,
    pub limits: LimitsInput,
    pub window: Option<WindowInput>,
    pub schedule: Option<ScheduleInput>,
    pub visibility: String,
    pub targeting: Vec<ConditionInput>,
    pub stacking: String,
    /// Among the coupons of one cart, higher applies first: −1,000 to 1,000 (default 0).
    pub priority: Option<i64>,
    /// No coupon after this one (by priority and the fixed order) applies to the cart.
    pub stop_after: bool,
    /// Up to 50 keys of your own, each a string (≤ 500 characters), number or boolean.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RewardInput {
    #[serde(rename = "type")]
    pub kind: String,
    pub percent: Option<i64>,
    pub max_discount: Option<i64>,
    pub amount: Option<i64>,
    pub points: Option<i64>,
    pub max_points: Option<i64>,
    /// Spend more, save more: steps of this same reward type, each from a threshold up. The
    /// highest step the cart reaches replaces the values above; empty for a flat reward.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<TierInput>,
    /// What a step's `from` counts: `amount` (the eligible amount in minor units; the default)
    /// or `quantity` (eligible units).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tier_basis: String,
    /// Buy X get Y: the units to buy (of what `applies_to` selects)…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buy_quantity: Option<i64>,
    /// …and the units got, `percent` off (100, the default: free).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_quantity: Option<i64>,
    /// The units got, when not the same items as those bought. A SKU here that the cart lacks
    /// comes back in the quote's `add_items`.
    #[serde(skip_serializing_if = "ItemSetInput::is_empty")]
    pub get_items: ItemSetInput,
    /// How many times one order gets it; none: as many as the cart holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_applications: Option<i64>,
    /// `cheapest` (the default) or `most_expensive`: which qualifying units are discounted.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub discounted: String,
}

/// Items by SKU, category or attribute conditions (any of them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ItemSetInput {
    pub skus: Vec<String>,
    pub categories: Vec<String>,
    pub conditions: Vec<ConditionInput>,
}

impl ItemSetInput {
    pub fn is_empty(&self) -> bool {
        self.skus.is_empty() && self.categories.is_empty() && self.conditions.is_empty()
    }
}

/// One step of a tiered reward: its threshold and the reward's values from there up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierInput {
    pub from: Option<i64>,
    pub percent: Option<i64>,
    pub max_discount: Option<i64>,
    pub amount: Option<i64>,
    pub points: Option<i64>,
    pub max_points: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppliesToInput {
    #[serde(rename = "type")]
    pub kind: String,
    pub skus: Vec<String>,
    pub categories: Vec<String>,
    pub conditions: Vec<ConditionInput>,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QualifyingInput {
    pub user: Vec<ConditionInput>,
    pub items: Vec<ConditionInput>,
    pub cart: Vec<ConditionInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DistributionInput {
    #[serde(rename = "type")]
    pub kind: String,
    pub code: Option<String>,
    pub event: Option<String>,
    pub unique_codes: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActivationInput {
    #[serde(rename = "type")]
    pub kind: String,
    pub from: Option<String>,
    pub event: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExpiryInput {
    #[serde(rename = "type")]
    pub kind: String,
    pub at: Option<String>,
    pub duration: Option<DurationInput>,
    pub relative_to: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DurationInput {
    pub value: Option<i64>,
    pub unit: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LimitsInput {
    pub per_user: Option<i64>,
    pub global: Option<i64>,
    pub budget_discount: Option<i64>,
    pub budget_cashback: Option<i64>,
    pub caps: Vec<CapInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CapInput {
    pub period: String,
    pub scope: String,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WindowInput {
    pub start: Option<String>,
    pub end: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ScheduleInput {
    pub days: Vec<DayScheduleInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayScheduleInput {
    pub day: String,
    pub ranges: Vec<TimeRangeInput>,
}

/// `HH:MM` to `HH:MM` (00:00 to 24:00) on the clock of the coupon's zone. An `end` before the
/// `start` runs overnight into the next day: `22:00`–`02:00`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimeRangeInput {
    pub start: String,
    pub end: String,
}
