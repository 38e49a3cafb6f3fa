//! The one parser: a [`CouponInput`] to a [`CouponDefinition`], or every field that is wrong.

use chrono_tz::Tz;

use super::types::*;
use super::values::*;
use crate::coupons::definition::*;
use crate::fields::FieldErrors;
use crate::money::Currency;

impl CouponInput {
    /// Checks every setting and the rules between them. On failure, every problem is reported,
    /// each under the path of its field.
    pub fn parse(&self) -> Result<CouponDefinition, FieldErrors> {
        let (partial, mut errors) = self.parse_partial();
        if !errors.is_empty() {
            return Err(errors);
        }
        partial.complete().ok_or_else(|| {
            errors.add("", "the coupon could not be read");
            errors
        })
    }

    /// Parses what can be parsed: each setting that is valid, and the errors of the others. The
    /// builder's live summary describes the valid part while the rest is still being typed.
    pub fn parse_partial(&self) -> (PartialDefinition, FieldErrors) {
        let mut e = FieldErrors::default();
        let name = e.check("name", {
            let name = self.name.trim();
            if name.is_empty() {
                Err("enter a name".to_string())
            } else if name.chars().count() > MAX_NAME_LEN {
                Err(format!("at most {MAX_NAME_LEN} characters"))
            } else {
                Ok(name.to_string())
            }
        });
        let description = e.check("description", {
            let d = self.description.trim();
            if d.chars().count() > MAX_DESCRIPTION_LEN {
                Err(format!("at most {MAX_DESCRIPTION_LEN} characters"))
            } else {
                Ok(d.to_string())
            }
        });
        let currency = e.check(
            "currency",
            if self.currency.trim().is_empty() {
                Err("choose a currency".into())
            } else {
                Currency::parse(&self.currency)
                    .ok_or_else(|| format!("`{}` is not a supported ISO 4217 currency", self.currency))
            },
        );
        let time_zone = e.check("time_zone", parse_time_zone(&self.time_zone));
        // Date-times typed without an offset are read in the coupon's zone; if the zone itself is
        // wrong that error is already reported, so read them in UTC meanwhile.
        let tz = time_zone.unwrap_or(Tz::UTC);

        let p = PartialDefinition {
            name,
            description,
            currency,
            time_zone,
            reward: self.parse_reward(&mut e),
            tiers: self.parse_tiers(&mut e),
            applies_to: self.parse_applies_to(&mut e),
            qualifying: Qualifying {
                user: condition_list(&self.qualifying.user, "qualifying.user", &mut e),
                items: condition_list(&self.qualifying.items, "qualifying.items", &mut e),
                cart: condition_list(&self.qualifying.cart, "qualifying.cart", &mut e),
            },
            audience: e.check("audience", choice(&self.audience, Some(Audience::AllUsers), "an audience")),
            distribution: self.parse_distribution(&mut e),
            activation: self.parse_activation(tz, &mut e),
            expiry: self.parse_expiry(tz, &mut e),
            limits: self.parse_limits(&mut e),
            window: self.parse_window(tz, &mut e),
            schedule: self.parse_schedule(&mut e),
            visibility: e.check("visibility", choice(&self.visibility, Some(Visibility::Visible), "a visibility")),
            targeting: condition_list(&self.targeting, "targeting", &mut e),
            stacking: e.check("stacking", choice(&self.stacking, Some(Stacking::Exclusive), "how it stacks")),
            priority: e.check("priority", priority(self.priority)),
            stop_after: self.stop_after,
            metadata: Metadata::parse(&self.metadata, "metadata", &mut e),
        };
        p.check_rules_between_settings(&mut e);
        (p, e)
    }

    fn parse_reward(&self, e: &mut FieldErrors) -> Option<Reward> {
        let kind = e.check("reward.type", choice(&self.reward.kind, None, "a reward"))?;
        match kind {
            RewardKind::BuyXGetY => self.parse_buy_x_get_y(e).map(Reward::BuyXGetY),
            _ => reward_of(kind, RewardValues::from(&self.reward), "reward", e),
        }
    }

    fn parse_buy_x_get_y(&self, e: &mut FieldErrors) -> Option<BuyXGetY> {
        let r = &self.reward;
        let units = |value: Option<i64>, what: &str| match count(value) {
            Ok(None) => Err(format!("enter how many units {what}")),
            Ok(Some(n)) if n > MAX_BXGY_UNITS => Err(format!("at most {MAX_BXGY_UNITS}")),
            Ok(Some(n)) => Ok(n),
            Err(m) => Err(m),
        };
        let buy = e.check("reward.buy_quantity", units(r.buy_quantity, "to buy"));
        let get = e.check("reward.get_quantity", units(r.get_quantity, "got"));
        let percent = e.check("reward.percent", percent(r.percent.or(Some(100))));
        let max_applications = e.check("reward.max_applications", count(r.max_applications));
        let discounted = e.check(
            "reward.discounted",
            choice(&r.discounted, Some(Discounted::Cheapest), "which units are discounted"),
        );
        let g = &r.get_items;
        let get_items = (!g.is_empty()).then(|| item_set(&g.skus, &g.categories, &g.conditions, "reward.get_items", e));
        Some(BuyXGetY {
            buy: buy?,
            get: get?,
            percent: percent?,
            get_items,
            max_applications: max_applications?,
            discounted: discounted?,
        })
    }

    /// The steps of a tiered reward, each parsed as a reward of the coupon's kind.
    fn parse_tiers(&self, e: &mut FieldErrors) -> Option<Option<Tiers>> {
        let r = &self.reward;
        let basis = e.check("reward.tier_basis", choice(&r.tier_basis, Some(TierBasis::Amount), "what tiers count"));
        if r.tiers.is_empty() {
            return Some(None);
        }
        let kind = choice::<RewardKind>(&r.kind, None, "").ok()?;
        if kind == RewardKind::BuyXGetY {
            e.add("reward.tiers", "a buy-X-get-Y reward has no tiers");
            return None;
        }
        if r.tiers.len() > MAX_TIERS {
            e.add("reward.tiers", format!("at most {MAX_TIERS} tiers"));
        }
        let before = e.0.len();
        let mut steps: Vec<Tier> = Vec::new();
        for (i, t) in r.tiers.iter().enumerate().take(MAX_TIERS) {
            let path = format!("reward.tiers[{i}]");
            let from = e.check(
                format!("{path}.from"),
                match basis {
                    Some(TierBasis::Quantity) => count(t.from).map(|c| c.map(i64::from)),
                    _ => money(t.from, false),
                }
                .and_then(|f| f.ok_or_else(|| "enter where this tier starts".to_string())),
            );
            let reward = reward_of(kind, RewardValues::from(t), &path, e);
            if let Some(from) = from {
                if steps.last().is_some_and(|s| s.from >= from) {
                    e.add(format!("{path}.from"), "must be above the tier before");
                }
                if let Some(reward) = reward {
                    steps.push(Tier { from, reward });
                }
            }
        }
        (e.0.len() == before).then_some(Some(Tiers { basis: basis?, steps }))
    }
    fn parse_applies_to(&self, e: &mut FieldErrors) -> Option<AppliesTo> {
        let a = &self.applies_to;
        let kind = e.check("applies_to.type", choice(&a.kind, Some(AppliesToKind::Order), "what it applies to"))?;
        match kind {
            AppliesToKind::Order => Some(AppliesTo::Order),
            AppliesToKind::Items => {
                let before = e.0.len();
                let ItemSet { skus, categories, conditions } =
                    item_set(&a.skus, &a.categories, &a.conditions, "applies_to", e);
                if skus.is_empty() && categories.is_empty() && conditions.is_empty() && e.0.len() == before {
                    e.add("applies_to.skus", "name at least one SKU, category or item condition");
                }
                Some(AppliesTo::Items { skus, categories, conditions })
            }
            AppliesToKind::Fees => {
                let before = e.0.len();
                let names = texts(&a.names, "applies_to.names", 64, e);
                if names.is_empty() && e.0.len() == before {
                    e.add("applies_to.names", "name at least one fee, such as shipping");
                }
                for (i, n) in names.iter().enumerate() {
                    if !n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
                        e.add(format!("applies_to.names[{i}]"), "use letters, digits, `_`, `.` or `-`");
                    }
                }
                Some(AppliesTo::Fees { names })
            }
        }
    }

    fn parse_distribution(&self, e: &mut FieldErrors) -> Option<Distribution> {
        let d = &self.distribution;
        let kind = e.check("distribution.type", choice(&d.kind, None, "how codes are given out"))?;
        match kind {
            DistributionKind::Static => {
                let code =
                    e.check("distribution.code", crate::codes::normalize(d.code.as_deref().unwrap_or_default()))?;
                Some(Distribution::Static { code })
            }
            DistributionKind::Unique => Some(Distribution::Unique),
            DistributionKind::EventTriggered => {
                let event = e.check("distribution.event", parse_event_name(given(&d.event)))?;
                Some(Distribution::EventTriggered { event, unique_codes: d.unique_codes })
            }
        }
    }

    fn parse_activation(&self, tz: Tz, e: &mut FieldErrors) -> Option<Activation> {
        let a = &self.activation;
        let kind = e.check("activation.type", choice(&a.kind, Some(ActivationKind::Time), "how it activates"))?;
        if kind == ActivationKind::Time {
            let from = match given(&a.from) {
                None => None,
                Some(text) => Some(e.check("activation.from", parse_datetime(text, tz))?),
            };
            Some(Activation::Time { from })
        } else {
            let event = e.check("activation.event", parse_event_name(given(&a.event)))?;
            Some(Activation::Event { event })
        }
    }

    fn parse_expiry(&self, tz: Tz, e: &mut FieldErrors) -> Option<Expiry> {
        let x = &self.expiry;
        let kind = e.check("expiry.type", choice(&x.kind, Some(ExpiryKind::Never), "an expiry"))?;
        match kind {
            ExpiryKind::Never => Some(Expiry::Never),
            ExpiryKind::Fixed => {
                let at = e.check(
                    "expiry.at",
                    given(&x.at)
                        .ok_or_else(|| "enter the expiry date-time".to_string())
                        .and_then(|t| parse_datetime(t, tz)),
                )?;
                Some(Expiry::Fixed { at })
            }
            ExpiryKind::Relative => {
                let d = x.duration.clone().unwrap_or_default();
                let unit = e.check("expiry.duration.unit", choice(&d.unit, Some(DurationUnit::Days), "a unit"));
                let value = e.check(
                    "expiry.duration.value",
                    match (d.value, unit) {
                        (None, _) => Err("enter how long the coupon lasts".to_string()),
                        (Some(v), _) if v <= 0 => Err("must be more than zero".to_string()),
                        (Some(v), Some(u)) if v.saturating_mul(u.seconds() / 60) > MAX_DURATION_MINUTES => {
                            Err("at most ten years".to_string())
                        }
                        (Some(v), _) => u32::try_from(v).map_err(|_| "at most ten years".to_string()),
                    },
                );
                let anchor = e.check(
                    "expiry.relative_to",
                    choice(
                        x.relative_to.as_deref().unwrap_or_default(),
                        Some(ExpiryAnchor::Activation),
                        "what the duration counts from",
                    ),
                );
                Some(Expiry::Relative { duration: Duration { value: value?, unit: unit? }, relative_to: anchor? })
            }
        }
    }

    fn parse_limits(&self, e: &mut FieldErrors) -> Option<Limits> {
        let l = &self.limits;
        let per_user = e.check("limits.per_user", count(l.per_user));
        let global = e.check("limits.global", count(l.global));
        let budget_discount = e.check("limits.budget_discount", money(l.budget_discount, false));
        let budget_cashback = e.check("limits.budget_cashback", money(l.budget_cashback, false));
        if l.caps.len() > MAX_CAPS {
            e.add("limits.caps", format!("at most {MAX_CAPS} caps"));
        }
        let mut caps: Vec<Cap> = Vec::new();
        for (i, c) in l.caps.iter().enumerate().take(MAX_CAPS) {
            let path = format!("limits.caps[{i}]");
            let period = e.check(format!("{path}.period"), choice(&c.period, None, "a period"));
            let scope = e.check(format!("{path}.scope"), choice(&c.scope, Some(CapScope::Global), "a scope"));
            let limit = e.check(
                format!("{path}.limit"),
                count(c.limit).and_then(|l| l.ok_or_else(|| "enter a limit".to_string())),
            );
            if let (Some(period), Some(scope), Some(limit)) = (period, scope, limit) {
                if caps.iter().any(|c| c.period == period && c.scope == scope) {
                    e.add(format!("{path}.period"), "there is already a cap for this period and scope");
                } else {
                    caps.push(Cap { period, scope, limit });
                }
            }
        }
        Some(Limits {
            per_user: per_user?,
            global: global?,
            budget_discount: budget_discount?,
            budget_cashback: budget_cashback?,
            caps,
        })
    }

    fn parse_window(&self, tz: Tz, e: &mut FieldErrors) -> Option<Option<Window>> {
        let Some(w) = &self.window else { return Some(None) };
        let start = given(&w.start).map(|t| e.check("window.start", parse_datetime(t, tz)));
        let end = given(&w.end).map(|t| e.check("window.end", parse_datetime(t, tz)));
        let (start, end) = match (start, end) {
            (None, None) => return Some(None),
            (Some(None), _) | (_, Some(None)) => return None,
            (s, e) => (s.flatten(), e.flatten()),
        };
        if let (Some(s), Some(en)) = (start, end) {
            if en <= s {
                e.add("window.end", "must be after the start");
                return None;
            }
        }
        Some(Some(Window { start, end }))
    }

    fn parse_schedule(&self, e: &mut FieldErrors) -> Option<Option<Schedule>> {
        let Some(s) = &self.schedule else { return Some(None) };
        if s.days.is_empty() {
            return Some(None);
        }
        let before = e.0.len();
        let mut days: Vec<DaySchedule> = Vec::new();
        for (i, d) in s.days.iter().enumerate() {
            let path = format!("schedule.days[{i}]");
            let Some(day) = e.check(
                format!("{path}.day"),
                Day::from_key(d.day.trim()).ok_or_else(|| format!("`{}` is not a day: use mon … sun", d.day)),
            ) else {
                continue;
            };
            if days.iter().any(|x| x.day == day) {
                e.add(format!("{path}.day"), "this day is listed twice");
                continue;
            }
            let mut ranges: Vec<TimeRange> = Vec::new();
            for (j, r) in d.ranges.iter().enumerate() {
                let rpath = format!("{path}.ranges[{j}]");
                let start = e.check(format!("{rpath}.start"), clock::parse(&r.start));
                let end = e.check(format!("{rpath}.end"), clock::parse(&r.end));
                let (Some(start), Some(end)) = (start, end) else { continue };
                let range = TimeRange { start, end };
                let (from, to) = range.own_day();
                if end == start {
                    e.add(format!("{rpath}.end"), "must differ from the start (an earlier end runs overnight)");
                } else if ranges.iter().any(|o| from < o.own_day().1 && o.own_day().0 < to) {
                    e.add(format!("{rpath}.start"), "overlaps another range on this day");
                } else {
                    ranges.push(range);
                }
            }
            ranges.sort_by_key(|r| r.start);
            days.push(DaySchedule { day, ranges });
        }
        if e.0.len() != before {
            return None;
        }
        days.sort_by_key(|d| d.day);
        Some(Some(Schedule { days }))
    }
}

/// A definition whose settings are each present only if they parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartialDefinition {
    pub name: Option<String>,
    pub description: Option<String>,
    pub currency: Option<Currency>,
    pub time_zone: Option<Tz>,
    pub reward: Option<Reward>,
    pub tiers: Option<Option<Tiers>>,
    pub applies_to: Option<AppliesTo>,
    pub qualifying: Qualifying,
    pub audience: Option<Audience>,
    pub distribution: Option<Distribution>,
    pub activation: Option<Activation>,
    pub expiry: Option<Expiry>,
    pub limits: Option<Limits>,
    pub window: Option<Option<Window>>,
    pub schedule: Option<Option<Schedule>>,
    pub visibility: Option<Visibility>,
    pub targeting: Vec<crate::conditions::Condition>,
    pub stacking: Option<Stacking>,
    pub priority: Option<i32>,
    pub stop_after: bool,
    pub metadata: Option<Metadata>,
}

impl PartialDefinition {
    fn check_rules_between_settings(&self, e: &mut FieldErrors) {
        if let (Some(Expiry::Fixed { at }), Some(Activation::Time { from: Some(from) })) =
            (&self.expiry, &self.activation)
        {
            if at <= from {
                e.add("expiry.at", "must be after the activation time");
            }
        }
        if let (Some(Expiry::Fixed { at }), Some(Some(Window { start: Some(start), .. }))) =
            (&self.expiry, &self.window)
        {
            if at <= start {
                e.add("expiry.at", "must be after the redemption window starts");
            }
        }
        if let (Some(Expiry::Relative { relative_to: ExpiryAnchor::Assignment, .. }), Some(a), Some(d)) =
            (&self.expiry, self.audience, &self.distribution)
        {
            if a != Audience::Campaign && !matches!(d, Distribution::EventTriggered { .. }) {
                e.add(
                    "expiry.relative_to",
                    "only campaign or event-triggered coupons are assigned; count from activation instead",
                );
            }
        }
        if let (Some(Some(Tiers { basis: TierBasis::Quantity, .. })), Some(AppliesTo::Fees { .. })) =
            (&self.tiers, &self.applies_to)
        {
            e.add("reward.tier_basis", "fees have no units to count: tier on the amount");
        }
        if let (Some(Reward::BuyXGetY(_)), Some(AppliesTo::Fees { .. })) = (&self.reward, &self.applies_to) {
            e.add("applies_to.type", "buy X get Y counts item units: apply it to the order or to items");
        }
        if self.stop_after && self.stacking == Some(Stacking::Exclusive) {
            e.add(
                "stop_after",
                "an exclusive coupon is never combined: make it combinable to stop the coupons after it",
            );
        }
        match (&self.reward, &self.limits) {
            (Some(Reward::AmountOff { .. } | Reward::PercentOff { .. } | Reward::BuyXGetY(_)), Some(l))
                if l.budget_cashback.is_some() =>
            {
                e.add("limits.budget_cashback", "a cashback budget needs a cashback reward");
            }
            (Some(Reward::Cashback(_)), Some(l)) if l.budget_discount.is_some() => {
                e.add("limits.budget_discount", "a discount budget needs a discount reward");
            }
            _ => {}
        }
    }

    /// The full definition, when every setting parsed.
    pub fn complete(self) -> Option<CouponDefinition> {
        Some(CouponDefinition {
            name: self.name?,
            description: self.description?,
            currency: self.currency?,
            time_zone: self.time_zone?,
            reward: self.reward?,
            tiers: self.tiers?,
            applies_to: self.applies_to?,
            qualifying: self.qualifying,
            audience: self.audience?,
            distribution: self.distribution?,
            activation: self.activation?,
            expiry: self.expiry?,
            limits: self.limits?,
            window: self.window?,
            schedule: self.schedule?,
            visibility: self.visibility?,
            targeting: self.targeting,
            stacking: self.stacking?,
            priority: self.priority?,
            stop_after: self.stop_after,
            metadata: self.metadata?,
        })
    }
}

impl From<CouponDefinition> for PartialDefinition {
    fn from(d: CouponDefinition) -> Self {
        PartialDefinition {
            name: Some(d.name),
            description: Some(d.description),
            currency: Some(d.currency),
            time_zone: Some(d.time_zone),
            reward: Some(d.reward),
            tiers: Some(d.tiers),
            applies_to: Some(d.applies_to),
            qualifying: d.qualifying,
            audience: Some(d.audience),
            distribution: Some(d.distribution),
            activation: Some(d.activation),
            expiry: Some(d.expiry),
            limits: Some(d.limits),
            window: Some(d.window),
            schedule: Some(d.schedule),
            visibility: Some(d.visibility),
            targeting: d.targeting,
            stacking: Some(d.stacking),
            priority: Some(d.priority),
            stop_after: d.stop_after,
            metadata: Some(d.metadata),
        }
    }
}

/// The values a reward is given by, whether the coupon's own or a tier's.
#[derive(Clone, Copy)]
struct RewardValues {
    percent: Option<i64>,
    max_discount: Option<i64>,
    amount: Option<i64>,
    points: Option<i64>,
    max_points: Option<i64>,
}

impl From<&RewardInput> for RewardValues {
    fn from(r: &RewardInput) -> Self {
        let RewardInput { percent, max_discount, amount, points, max_points, .. } = *r;
        RewardValues { percent, max_discount, amount, points, max_points }
    }
}

impl From<&TierInput> for RewardValues {
    fn from(t: &TierInput) -> Self {
        let TierInput { percent, max_discount, amount, points, max_points, .. } = *t;
        RewardValues { percent, max_discount, amount, points, max_points }
    }
}

/// A reward of `kind` from its values, each error under `at`.
fn reward_of(kind: RewardKind, r: RewardValues, at: &str, e: &mut FieldErrors) -> Option<Reward> {
    match kind {
        RewardKind::PercentOff => {
            let percent = e.check(format!("{at}.percent"), percent(r.percent));
            let max = e.check(format!("{at}.max_discount"), ceiling(r.max_discount));
            Some(Reward::PercentOff { percent: percent?, max_discount: max? })
        }
        RewardKind::AmountOff => {
            let amount = e.check(format!("{at}.amount"), money(r.amount, true))?;
            amount.map(|amount| Reward::AmountOff { amount })
        }
        RewardKind::Cashback => match (r.points, r.percent) {
            (Some(_), Some(_)) => {
                e.add(format!("{at}.points"), "give either fixed points or a percentage, not both");
                None
            }
            (None, Some(_)) => {
                let p = e.check(format!("{at}.percent"), percent(r.percent));
                let max = e.check(format!("{at}.max_points"), ceiling(r.max_points));
                Some(Reward::Cashback(Cashback::Percent { percent: p?, max_points: max? }))
            }
            (points, None) => {
                if r.max_points.is_some() {
                    e.add(format!("{at}.max_points"), "a maximum applies to percentage cashback only");
                }
                let points = e.check(
                    format!("{at}.points"),
                    if points.is_none() {
                        Err("enter the points, or a percentage".into())
                    } else {
                        money(points, true)
                    },
                )??;
                Some(Reward::Cashback(Cashback::Fixed { points }))
            }
        },
        // Given by its own settings (see `parse_buy_x_get_y`); tiers of it are refused before.
        RewardKind::BuyXGetY => None,
    }
}

/// Units a buy-X-get-Y buys or gets at a time, at most.
pub const MAX_BXGY_UNITS: u32 = 1_000;

/// A set of items from its SKUs, categories and conditions, each error under `at`.
fn item_set(
    skus: &[String],
    categories: &[String],
    conditions: &[crate::conditions::ConditionInput],
    at: &str,
    e: &mut FieldErrors,
) -> ItemSet {
    ItemSet {
        skus: texts(skus, &format!("{at}.skus"), 64, e),
        categories: texts(categories, &format!("{at}.categories"), 64, e),
        conditions: condition_list(conditions, &format!("{at}.conditions"), e),
    }
}
