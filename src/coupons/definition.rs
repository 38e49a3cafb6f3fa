//! The coupon definition: every setting of a coupon, as a value that is valid by construction
//! (built only by [`super::input::CouponInput::parse`], or read back from storage).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use crate::metadata::Metadata;

use crate::conditions::Condition;
use crate::money::Currency;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouponDefinition {
    pub name: String,
    pub description: String,
    pub currency: Currency,
    /// Zone of the schedule, the period caps and of date-times typed without an offset.
    pub time_zone: Tz,
    pub reward: Reward,
    /// Spend more, save more: rewards that replace `reward` once the cart reaches them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Tiers>,
    pub applies_to: AppliesTo,
    pub qualifying: Qualifying,
    pub audience: Audience,
    pub distribution: Distribution,
    pub activation: Activation,
    pub expiry: Expiry,
    pub limits: Limits,
    pub window: Option<Window>,
    pub schedule: Option<Schedule>,
    pub visibility: Visibility,
    pub targeting: Vec<Condition>,
    pub stacking: Stacking,
    /// Among the coupons of one cart, a higher priority applies first (on what the ones before
    /// left); equal priorities keep the fixed order of [`crate::redemption::stack`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub priority: i32,
    /// No coupon after this one applies to the cart (commercetools' "stop after this discount").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop_after: bool,
    /// The integrator's own keys and values, returned with the coupon.
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}

/// What kind of reward, applies-to, distribution, activation and expiry a coupon has: the
/// `type` tag of each, as forms choose between them (a test keeps the two namings equal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    PercentOff,
    AmountOff,
    Cashback,
    BuyXGetY,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppliesToKind {
    Order,
    Items,
    Fees,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistributionKind {
    Static,
    Unique,
    EventTriggered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivationKind {
    Time,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryKind {
    Never,
    Fixed,
    Relative,
}

crate::named! {
    RewardKind: [PercentOff, AmountOff, Cashback, BuyXGetY],
    AppliesToKind: [Order, Items, Fees],
    DistributionKind: [Static, Unique, EventTriggered],
    ActivationKind: [Time, Event],
    ExpiryKind: [Never, Fixed, Relative],
    Audience: [AllUsers, Campaign],
    Visibility: [Visible, Hidden],
    Stacking: [Exclusive, Combinable],
    DurationUnit: [Minutes, Hours, Days],
    ExpiryAnchor: [Activation, Assignment],
    Period: [Day, Week, Month, Year],
    CapScope: [Global, PerUser],
    TierBasis: [Amount, Quantity],
    Discounted: [Cheapest, MostExpensive],
}

impl Reward {
    pub fn kind(&self) -> RewardKind {
        match self {
            Reward::PercentOff { .. } => RewardKind::PercentOff,
            Reward::AmountOff { .. } => RewardKind::AmountOff,
            Reward::Cashback(_) => RewardKind::Cashback,
            Reward::BuyXGetY(_) => RewardKind::BuyXGetY,
        }
    }
}

impl AppliesTo {
    /// The items selected, as a set; none for the whole order or fees.
    pub fn items(&self) -> Option<ItemSet> {
        match self {
            AppliesTo::Items { skus, categories, conditions } => {
                Some(ItemSet { skus: skus.clone(), categories: categories.clone(), conditions: conditions.clone() })
            }
            AppliesTo::Order | AppliesTo::Fees { .. } => None,
        }
    }

    pub fn kind(&self) -> AppliesToKind {
        match self {
            AppliesTo::Order => AppliesToKind::Order,
            AppliesTo::Items { .. } => AppliesToKind::Items,
            AppliesTo::Fees { .. } => AppliesToKind::Fees,
        }
    }
}

impl Distribution {
    pub fn kind(&self) -> DistributionKind {
        match self {
            Distribution::Static { .. } => DistributionKind::Static,
            Distribution::Unique => DistributionKind::Unique,
            Distribution::EventTriggered { .. } => DistributionKind::EventTriggered,
        }
    }
}

impl Activation {
    pub fn kind(&self) -> ActivationKind {
        match self {
            Activation::Time { .. } => ActivationKind::Time,
            Activation::Event { .. } => ActivationKind::Event,
        }
    }
}

impl Expiry {
    pub fn kind(&self) -> ExpiryKind {
        match self {
            Expiry::Never => ExpiryKind::Never,
            Expiry::Fixed { .. } => ExpiryKind::Fixed,
            Expiry::Relative { .. } => ExpiryKind::Relative,
        }
    }
}

/// A percentage from 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Percent(pub u8);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reward {
    PercentOff { percent: Percent, max_discount: Option<i64> },
    AmountOff { amount: i64 },
    Cashback(Cashback),
    BuyXGetY(BuyXGetY),
}

/// Buy `buy` units, get `get` units `percent` off (100: free), as many times as the cart holds
/// (up to `max_applications`). The units bought are those `applies_to` selects; the units got
/// are `get_items`, or the same ones. `discounted` says which units are the ones got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuyXGetY {
    pub buy: u32,
    pub get: u32,
    pub percent: Percent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_items: Option<ItemSet>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_applications: Option<u32>,
    #[serde(default)]
    pub discounted: Discounted,
}

/// Which of the qualifying units a buy-X-get-Y discounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Discounted {
    /// The cheapest units (as the peers do by default).
    #[default]
    Cheapest,
    MostExpensive,
}

/// Items named by SKU, by category, or by conditions on their attributes: an item is in the set
/// if it matches any of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemSet {
    pub skus: Vec<String>,
    pub categories: Vec<String>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cashback {
    Percent { percent: Percent, max_points: Option<i64> },
    Fixed { points: i64 },
}

/// Steps of the same reward type as the coupon's, each from a threshold up; the highest step the
/// cart reaches applies, and below the first the coupon's own reward does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tiers {
    pub basis: TierBasis,
    /// Strictly rising `from`s.
    pub steps: Vec<Tier>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    /// The threshold, in what `basis` counts.
    pub from: i64,
    pub reward: Reward,
}

/// What a tier threshold counts: the eligible amount (minor units) or the eligible units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierBasis {
    Amount,
    Quantity,
}

impl Tiers {
    /// The step reached at `reached` (its index) and the reward it gives, or the coupon's own.
    pub fn reward_at<'a>(&'a self, base: &'a Reward, reached: i64) -> (Option<usize>, &'a Reward) {
        match self.steps.iter().rposition(|t| t.from <= reached) {
            Some(i) => (Some(i), &self.steps[i].reward),
            None => (None, base),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppliesTo {
    /// The items subtotal.
    Order,
    /// Items matching any selector: a listed SKU, a listed category, or all the conditions.
    Items { skus: Vec<String>, categories: Vec<String>, conditions: Vec<Condition> },
    /// Named fees or custom order amounts the app sends (`shipping`, `platform_fee`, …).
    Fees { names: Vec<String> },
}

/// Conditions that must all hold for a cart to qualify.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Qualifying {
    /// On the user's properties.
    pub user: Vec<Condition>,
    /// On items' attributes: some item must match all of them.
    pub items: Vec<Condition>,
    /// On the cart: `subtotal`, `item_count`, `currency` or any cart property.
    pub cart: Vec<Condition>,
}

impl Qualifying {
    pub fn is_empty(&self) -> bool {
        self.user.is_empty() && self.items.is_empty() && self.cart.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    AllUsers,
    /// Only users holding an assignment (from a campaign or a trigger event).
    Campaign,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Distribution {
    /// One code shared by everyone.
    Static { code: String },
    /// Bulk unique codes, generated or uploaded, each usable once.
    Unique,
    /// Assigned when the user performs `event`; with `unique_codes`, the next free code too.
    EventTriggered { event: String, unique_codes: bool },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Activation {
    /// From a date-time; `None` means as soon as the coupon is active.
    Time { from: Option<DateTime<Utc>> },
    /// Per user, from the first time they perform `event` after the coupon went live.
    Event { event: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Expiry {
    Never,
    Fixed { at: DateTime<Utc> },
    Relative { duration: Duration, relative_to: ExpiryAnchor },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duration {
    pub value: u32,
    pub unit: DurationUnit,
}

impl Duration {
    pub fn seconds(&self) -> i64 {
        i64::from(self.value) * self.unit.seconds()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    Minutes,
    Hours,
    Days,
}

impl DurationUnit {
    pub fn seconds(self) -> i64 {
        match self {
            DurationUnit::Minutes => 60,
            DurationUnit::Hours => 3_600,
            DurationUnit::Days => 86_400,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryAnchor {
    Activation,
    Assignment,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub per_user: Option<u32>,
    pub global: Option<u32>,
    /// Most discount given in total, in minor units.
    pub budget_discount: Option<i64>,
    /// Most cashback points given in total.
    pub budget_cashback: Option<i64>,
    pub caps: Vec<Cap>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    pub period: Period,
    pub scope: CapScope,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapScope {
    Global,
    PerUser,
}

/// Redemption is refused outside `[start, end)`; an open side is unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// Weekly availability in the coupon's time zone. A listed day with no ranges is available all
/// day; a day not listed is unavailable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    pub days: Vec<DaySchedule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaySchedule {
    pub day: Day,
    pub ranges: Vec<TimeRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri, Day::Sat, Day::Sun];

    pub fn key(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn short_name(self) -> &'static str {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self as usize]
    }

    pub fn from_key(key: &str) -> Option<Day> {
        Day::ALL.into_iter().find(|d| d.key() == key)
    }

    pub fn from_chrono(day: chrono::Weekday) -> Day {
        Day::ALL[day.num_days_from_monday() as usize]
    }
}

/// A time range of a day, in minutes from midnight; `end` may be 24:00. An `end` before the
/// `start` runs overnight: 22:00–02:00 on Friday is Friday from 22:00 and Saturday until 02:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    #[serde(with = "clock")]
    pub start: u16,
    #[serde(with = "clock")]
    pub end: u16,
}

impl TimeRange {
    pub fn overnight(&self) -> bool {
        self.end < self.start
    }

    /// Whether the range holds this minute of its own day.
    pub fn contains(&self, minute_of_day: u16) -> bool {
        if self.overnight() {
            minute_of_day >= self.start
        } else {
            (self.start..self.end).contains(&minute_of_day)
        }
    }

    /// Whether an overnight range holds this minute of the next day.
    pub fn holds_next_day(&self, minute_of_day: u16) -> bool {
        self.overnight() && minute_of_day < self.end
    }

    /// The minutes it holds on its own day, `[start, end)`.
    pub fn own_day(&self) -> (u16, u16) {
        (self.start, if self.overnight() { 24 * 60 } else { self.end })
    }

    /// `09:00–17:00`, or `22:00–02:00 (next day)`.
    pub fn label(&self) -> String {
        let next = if self.overnight() && self.end > 0 { " (next day)" } else { "" };
        format!("{}–{}{next}", clock::format(self.start), clock::format(self.end))
    }
}

/// `HH:MM` text for minutes from midnight.
pub mod clock {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn format(minutes: u16) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }

    /// Parses `HH:MM` from 00:00 to 24:00.
    pub fn parse(text: &str) -> Result<u16, String> {
        let bad = || format!("`{text}` is not a time: use HH:MM, 00:00 to 24:00");
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m > 59 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(h * 60 + m)
    }

    pub fn serialize<S: Serializer>(minutes: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*minutes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    Hidden,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stacking {
    /// Never combined with other coupons on one cart.
    Exclusive,
    Combinable,
}

impl CouponDefinition {
    /// The static code, if this coupon has one.
    pub fn static_code(&self) -> Option<&str> {
        match &self.distribution {
            Distribution::Static { code } => Some(code),
            _ => None,
        }
    }
}
