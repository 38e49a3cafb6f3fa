//! A stored definition back into the input the builder edits.

use chrono::{DateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::types::*;
use crate::conditions::ConditionInput;
use crate::coupons::definition::*;

/// A stored instant as the builder shows it: wall-clock time in the coupon's zone. Only in the
/// hour a DST change repeats is the offset kept, since there the wall clock alone is ambiguous.
fn rfc3339_in(t: &DateTime<Utc>, tz: Tz) -> String {
    let local = t.with_timezone(&tz);
    let naive = local.naive_local();
    let format = if naive.second() == 0 { "%Y-%m-%dT%H:%M" } else { "%Y-%m-%dT%H:%M:%S" };
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(_) => naive.format(format).to_string(),
        _ => local.to_rfc3339(),
    }
}

impl From<&CouponDefinition> for CouponInput {
    /// The input that parses back to this definition: what the builder edits and the API returns.
    fn from(d: &CouponDefinition) -> Self {
        let tz = d.time_zone;
        let cond = |cs: &[crate::conditions::Condition]| cs.iter().map(ConditionInput::from).collect::<Vec<_>>();
        let reward = match &d.reward {
            Reward::PercentOff { percent, max_discount } => RewardInput {
                kind: "percent_off".into(),
                percent: Some(percent.0.into()),
                max_discount: *max_discount,
                ..Default::default()
            },
            Reward::AmountOff { amount } => {
                RewardInput { kind: "amount_off".into(), amount: Some(*amount), ..Default::default() }
            }
            Reward::Cashback(Cashback::Fixed { points }) => {
                RewardInput { kind: "cashback".into(), points: Some(*points), ..Default::default() }
            }
            Reward::Cashback(Cashback::Percent { percent, max_points }) => RewardInput {
                kind: "cashback".into(),
                percent: Some(percent.0.into()),
                max_points: *max_points,
                ..Default::default()
            },
        };
        let applies_to = match &d.applies_to {
            AppliesTo::Order => AppliesToInput { kind: "order".into(), ..Default::default() },
            AppliesTo::Items { skus, categories, conditions } => AppliesToInput {
                kind: "items".into(),
                skus: skus.clone(),
                categories: categories.clone(),
                conditions: cond(conditions),
                ..Default::default()
            },
            AppliesTo::Fees { names } => {
                AppliesToInput { kind: "fees".into(), names: names.clone(), ..Default::default() }
            }
        };
        let distribution = match &d.distribution {
            Distribution::Static { code } => {
                DistributionInput { kind: "static".into(), code: Some(code.clone()), ..Default::default() }
            }
            Distribution::Unique => DistributionInput { kind: "unique".into(), ..Default::default() },
            Distribution::EventTriggered { event, unique_codes } => DistributionInput {
                kind: "event_triggered".into(),
                event: Some(event.clone()),
                unique_codes: *unique_codes,
                ..Default::default()
            },
        };
        let activation = match &d.activation {
            Activation::Time { from } => {
                ActivationInput { kind: "time".into(), from: from.map(|t| rfc3339_in(&t, tz)), ..Default::default() }
            }
            Activation::Event { event } => {
                ActivationInput { kind: "event".into(), event: Some(event.clone()), ..Default::default() }
            }
        };
        let expiry = match &d.expiry {
            Expiry::Never => ExpiryInput { kind: "never".into(), ..Default::default() },
            Expiry::Fixed { at } => {
                ExpiryInput { kind: "fixed".into(), at: Some(rfc3339_in(at, tz)), ..Default::default() }
            }
            Expiry::Relative { duration, relative_to } => ExpiryInput {
                kind: "relative".into(),
                duration: Some(DurationInput { value: Some(duration.value.into()), unit: serde_plain(&duration.unit) }),
                relative_to: Some(serde_plain(relative_to)),
                ..Default::default()
            },
        };
        CouponInput {
            name: d.name.clone(),
            description: d.description.clone(),
            currency: d.currency.code().to_string(),
            time_zone: tz.name().to_string(),
            reward,
            applies_to,
            qualifying: QualifyingInput {
                user: cond(&d.qualifying.user),
                items: cond(&d.qualifying.items),
                cart: cond(&d.qualifying.cart),
            },
            audience: serde_plain(&d.audience),
            distribution,
            activation,
            expiry,
            limits: LimitsInput {
                per_user: d.limits.per_user.map(i64::from),
                global: d.limits.global.map(i64::from),
                budget_discount: d.limits.budget_discount,
                budget_cashback: d.limits.budget_cashback,
                caps: d
                    .limits
                    .caps
                    .iter()
                    .map(|c| CapInput {
                        period: serde_plain(&c.period),
                        scope: serde_plain(&c.scope),
                        limit: Some(c.limit.into()),
                    })
                    .collect(),
            },
            window: d.window.map(|w| WindowInput {
                start: w.start.map(|t| rfc3339_in(&t, tz)),
                end: w.end.map(|t| rfc3339_in(&t, tz)),
            }),
            schedule: d.schedule.as_ref().map(|s| ScheduleInput {
                days: s
                    .days
                    .iter()
                    .map(|day| DayScheduleInput {
                        day: day.day.key().to_string(),
                        ranges: day
                            .ranges
                            .iter()
                            .map(|r| TimeRangeInput { start: clock::format(r.start), end: clock::format(r.end) })
                            .collect(),
                    })
                    .collect(),
            }),
            visibility: serde_plain(&d.visibility),
            targeting: cond(&d.targeting),
            stacking: serde_plain(&d.stacking),
        }
    }
}

/// The snake_case name serde gives a unit enum variant.
fn serde_plain<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
