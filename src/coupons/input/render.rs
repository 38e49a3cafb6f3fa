//! A stored definition back into the input the builder edits.

use chrono::{DateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::types::*;
use crate::conditions::ConditionInput;
use crate::coupons::definition::*;
use crate::wire::Named;

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
        let base = values_of(&d.reward);
        let reward = RewardInput {
            kind: d.reward.kind().wire().into(),
            percent: base.percent,
            max_discount: base.max_discount,
            amount: base.amount,
            points: base.points,
            max_points: base.max_points,
            tiers: d
                .tiers
                .iter()
                .flat_map(|t| &t.steps)
                .map(|t| TierInput { from: Some(t.from), ..values_of(&t.reward) })
                .collect(),
            tier_basis: d.tiers.as_ref().map(|t| t.basis.wire().to_string()).unwrap_or_default(),
            ..Default::default()
        };
        let reward = match &d.reward {
            Reward::BuyXGetY(b) => RewardInput {
                buy_quantity: Some(b.buy.into()),
                get_quantity: Some(b.get.into()),
                get_items: b
                    .get_items
                    .as_ref()
                    .map(|g| ItemSetInput {
                        skus: g.skus.clone(),
                        categories: g.categories.clone(),
                        conditions: cond(&g.conditions),
                    })
                    .unwrap_or_default(),
                max_applications: b.max_applications.map(i64::from),
                discounted: b.discounted.wire().into(),
                ..reward
            },
            _ => reward,
        };
        let applies_to = match &d.applies_to {
            AppliesTo::Order => AppliesToInput { kind: d.applies_to.kind().wire().into(), ..Default::default() },
            AppliesTo::Items { skus, categories, conditions } => AppliesToInput {
                kind: d.applies_to.kind().wire().into(),
                skus: skus.clone(),
                categories: categories.clone(),
                conditions: cond(conditions),
                ..Default::default()
            },
            AppliesTo::Fees { names } => {
                AppliesToInput { kind: d.applies_to.kind().wire().into(), names: names.clone(), ..Default::default() }
            }
        };
        let distribution = match &d.distribution {
            Distribution::Static { code } => DistributionInput {
                kind: d.distribution.kind().wire().into(),
                code: Some(code.clone()),
                ..Default::default()
            },
            Distribution::Unique => {
                DistributionInput { kind: d.distribution.kind().wire().into(), ..Default::default() }
            }
            Distribution::EventTriggered { event, unique_codes } => DistributionInput {
                kind: d.distribution.kind().wire().into(),
                event: Some(event.clone()),
                unique_codes: *unique_codes,
                ..Default::default()
            },
        };
        let activation = match &d.activation {
            Activation::Time { from } => ActivationInput {
                kind: d.activation.kind().wire().into(),
                from: from.map(|t| rfc3339_in(&t, tz)),
                ..Default::default()
            },
            Activation::Event { event } => ActivationInput {
                kind: d.activation.kind().wire().into(),
                event: Some(event.clone()),
                ..Default::default()
            },
        };
        let expiry = match &d.expiry {
            Expiry::Never => ExpiryInput { kind: d.expiry.kind().wire().into(), ..Default::default() },
            Expiry::Fixed { at } => {
                ExpiryInput { kind: d.expiry.kind().wire().into(), at: Some(rfc3339_in(at, tz)), ..Default::default() }
            }
            Expiry::Relative { duration, relative_to } => ExpiryInput {
                kind: d.expiry.kind().wire().into(),
                duration: Some(DurationInput { value: Some(duration.value.into()), unit: duration.unit.wire().into() }),
                relative_to: Some(relative_to.wire().into()),
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
            audience: d.audience.wire().into(),
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
                        period: c.period.wire().into(),
                        scope: c.scope.wire().into(),
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
            visibility: d.visibility.wire().into(),
            targeting: cond(&d.targeting),
            stacking: d.stacking.wire().into(),
            priority: (d.priority != 0).then_some(d.priority.into()),
            stop_after: d.stop_after,
            metadata: serde_json::Value::Object(d.metadata.0.clone()),
        }
    }
}

/// A reward's values, in a tier's shape (without its threshold).
fn values_of(r: &Reward) -> TierInput {
    match r {
        Reward::PercentOff { percent, max_discount } => {
            TierInput { percent: Some(percent.0.into()), max_discount: *max_discount, ..Default::default() }
        }
        Reward::AmountOff { amount } => TierInput { amount: Some(*amount), ..Default::default() },
        Reward::Cashback(Cashback::Fixed { points }) => TierInput { points: Some(*points), ..Default::default() },
        Reward::Cashback(Cashback::Percent { percent, max_points }) => {
            TierInput { percent: Some(percent.0.into()), max_points: *max_points, ..Default::default() }
        }
        Reward::BuyXGetY(b) => TierInput { percent: Some(b.percent.0.into()), ..Default::default() },
    }
}
