//! The plain-language summary of a coupon: "10% off up to ₹200 on Shoes, weekends 10:00–22:00
//! Asia/Kolkata, once per user, 1,000 in total". Shown live in the builder and on the detail page.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::definition::*;
use super::input::PartialDefinition;
use crate::conditions::Condition;
use crate::redemption::cart::{CART_AMOUNTS, ITEM_AMOUNTS};

/// Describes every setting that is present; settings not yet valid are left out.
pub fn describe(d: &PartialDefinition) -> String {
    let tz = d.time_zone.unwrap_or(Tz::UTC);
    let money = |minor: i64| match d.currency {
        Some(c) => c.format(minor),
        None => minor.to_string(),
    };
    let mut parts: Vec<String> = Vec::new();

    let mut head = d.reward.as_ref().map(|r| reward(r, &money)).unwrap_or_default();
    if let (false, Some(Some(t))) = (head.is_empty(), &d.tiers) {
        let steps = t.steps.iter().map(|s| {
            let from = match t.basis {
                TierBasis::Amount => money(s.from),
                TierBasis::Quantity if s.from == 1 => "1 unit".to_string(),
                TierBasis::Quantity => format!("{} units", group(s.from)),
            };
            format!("{} from {from}", reward(&s.reward, &money))
        });
        head = std::iter::once(head).chain(steps).collect::<Vec<_>>().join(", ");
    }
    if let (Some(Reward::BuyXGetY(b)), Some(a)) = (&d.reward, &d.applies_to) {
        head = buy_x_get_y(b, a.items().as_ref(), &money);
    } else if let Some(a) = &d.applies_to {
        let target = applies_to(a, &money);
        if !target.is_empty() {
            head = if head.is_empty() { target } else { format!("{head} {target}") };
        }
    }
    if !head.is_empty() {
        parts.push(head);
    }
    if let Some(Some(s)) = &d.schedule {
        parts.push(format!("{} {}", schedule(s), tz.name()));
    }
    if let Some(Some(w)) = &d.window {
        parts.push(window(w, tz));
    }
    if let Some(l) = &d.limits {
        parts.extend(limits(l, &money));
    }
    parts.extend(qualifying(&d.qualifying, &money));
    if !d.targeting.is_empty() {
        parts.push(format!("for users where {}", conditions_in(&d.targeting, &[], &money)));
    }
    if d.audience == Some(Audience::Campaign) {
        parts.push("campaign users only".into());
    }
    if let Some(a) = &d.activation {
        match a {
            Activation::Time { from: Some(t) } => parts.push(format!("from {}", when(t, tz))),
            Activation::Time { from: None } => {}
            Activation::Event { event } => parts.push(format!("activates on {event}")),
        }
    }
    if let Some(x) = &d.expiry {
        match x {
            Expiry::Never => {}
            Expiry::Fixed { at } => parts.push(format!("expires {}", when(at, tz))),
            Expiry::Relative { duration, relative_to } => parts.push(format!(
                "valid {} after {}",
                duration_text(duration),
                match relative_to {
                    ExpiryAnchor::Activation => "activation",
                    ExpiryAnchor::Assignment => "assignment",
                }
            )),
        }
    }
    if let Some(dist) = &d.distribution {
        parts.push(match dist {
            Distribution::Static { code } => format!("code {code}"),
            Distribution::Unique => "unique codes".into(),
            Distribution::EventTriggered { event, unique_codes: true } => {
                format!("unique code sent on {event}")
            }
            Distribution::EventTriggered { event, unique_codes: false } => format!("given on {event}"),
        });
    }
    if d.visibility == Some(Visibility::Hidden) {
        parts.push("hidden".into());
    }
    if d.stacking == Some(Stacking::Combinable) {
        parts.push("combinable".into());
    }
    match d.priority {
        Some(p) if p != 0 => parts.push(format!("priority {p}")),
        _ => {}
    }
    if d.stop_after && d.stacking == Some(Stacking::Combinable) {
        parts.push("no coupon applies after it".into());
    }
    parts.join(", ")
}

/// Summary of a complete definition.
pub fn describe_definition(d: &CouponDefinition) -> String {
    describe(&PartialDefinition::from(d.clone()))
}

/// The reward in words: "10% off up to ₹200", "buy 2, get 1 free".
pub fn reward(r: &Reward, money: &dyn Fn(i64) -> String) -> String {
    match r {
        Reward::BuyXGetY(b) => buy_x_get_y(b, None, money),
        Reward::PercentOff { percent, max_discount: Some(max) } => {
            format!("{}% off up to {}", percent.0, money(*max))
        }
        Reward::PercentOff { percent, max_discount: None } => format!("{}% off", percent.0),
        Reward::AmountOff { amount } => format!("{} off", money(*amount)),
        Reward::Cashback(Cashback::Fixed { points }) => format!("{} cashback points", group(*points)),
        Reward::Cashback(Cashback::Percent { percent, max_points: Some(max) }) => {
            format!("{}% cashback up to {} points", percent.0, group(*max))
        }
        Reward::Cashback(Cashback::Percent { percent, max_points: None }) => {
            format!("{}% cashback", percent.0)
        }
    }
}

fn applies_to(a: &AppliesTo, money: &dyn Fn(i64) -> String) -> String {
    match a {
        AppliesTo::Order => String::new(),
        AppliesTo::Items { .. } => format!("on {}", item_set(&a.items().unwrap_or_default(), money)),
        AppliesTo::Fees { names } => format!("on {}", names.join(" and ")),
    }
}

/// "buy 2 of Shirts, get 1 of SOCK-1 free, twice an order": `bought` names what `applies_to`
/// selects, when it is not the whole order.
fn buy_x_get_y(b: &BuyXGetY, bought: Option<&ItemSet>, money: &dyn Fn(i64) -> String) -> String {
    let of = |set: Option<&ItemSet>| set.map(|s| format!(" of {}", item_set(s, money))).unwrap_or_default();
    let off = if b.percent.0 == 100 { "free".to_string() } else { format!("{}% off", b.percent.0) };
    let mut text = format!(
        "buy {}{}, get {}{} {off}",
        group(b.buy.into()),
        of(bought),
        group(b.get.into()),
        of(b.get_items.as_ref())
    );
    if b.discounted == Discounted::MostExpensive {
        text.push_str(", the most expensive first");
    }
    if let Some(m) = b.max_applications {
        text.push_str(&format!(", {} an order", times(m)));
    }
    text
}

/// "Shoes or SKU-1 or items where color is red".
fn item_set(set: &ItemSet, money: &dyn Fn(i64) -> String) -> String {
    let mut targets: Vec<String> = set.categories.clone();
    targets.extend(set.skus.iter().cloned());
    if !set.conditions.is_empty() {
        targets.push(format!("items where {}", conditions_in(&set.conditions, ITEM_AMOUNTS, money)));
    }
    targets.join(" or ")
}

fn schedule(s: &Schedule) -> String {
    let days: Vec<Day> = s.days.iter().map(|d| d.day).collect();
    let same_ranges = s.days.windows(2).all(|w| w[0].ranges == w[1].ranges);
    let day_names = match days.as_slice() {
        [Day::Sat, Day::Sun] => "weekends".to_string(),
        [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri] => "weekdays".to_string(),
        d if d.len() == 7 => "every day".to_string(),
        d => d.iter().map(|d| d.short_name()).collect::<Vec<_>>().join(", "),
    };
    if same_ranges {
        match s.days.first() {
            Some(first) if !first.ranges.is_empty() => format!("{day_names} {}", ranges(&first.ranges)),
            _ => day_names,
        }
    } else {
        s.days
            .iter()
            .map(|d| {
                if d.ranges.is_empty() {
                    d.day.short_name().to_string()
                } else {
                    format!("{} {}", d.day.short_name(), ranges(&d.ranges))
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn ranges(rs: &[TimeRange]) -> String {
    rs.iter().map(TimeRange::label).collect::<Vec<_>>().join(" and ")
}

fn window(w: &Window, tz: Tz) -> String {
    match (w.start, w.end) {
        (Some(s), Some(e)) => format!("redeemable {} – {}", when(&s, tz), when(&e, tz)),
        (Some(s), None) => format!("redeemable from {}", when(&s, tz)),
        (None, Some(e)) => format!("redeemable until {}", when(&e, tz)),
        (None, None) => String::new(),
    }
}

fn limits(l: &Limits, money: &dyn Fn(i64) -> String) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = l.per_user {
        out.push(format!("{} per user", times(n)));
    }
    if let Some(n) = l.global {
        out.push(format!("{} in total", group(n.into())));
    }
    if let Some(b) = l.budget_discount {
        out.push(format!("budget {}", money(b)));
    }
    if let Some(b) = l.budget_cashback {
        out.push(format!("budget {} points", group(b)));
    }
    for c in &l.caps {
        let period = match c.period {
            Period::Day => "a day",
            Period::Week => "a week",
            Period::Month => "a month",
            Period::Year => "a year",
        };
        out.push(match c.scope {
            CapScope::Global => format!("{} {period}", group(c.limit.into())),
            CapScope::PerUser => format!("{} {period} per user", times(c.limit)),
        });
    }
    out
}

fn qualifying(q: &Qualifying, money: &dyn Fn(i64) -> String) -> Vec<String> {
    let mut out = Vec::new();
    if !q.cart.is_empty() {
        out.push(format!("when cart {}", conditions_in(&q.cart, CART_AMOUNTS, money)));
    }
    if !q.items.is_empty() {
        out.push(format!("when an item has {}", conditions_in(&q.items, ITEM_AMOUNTS, money)));
    }
    if !q.user.is_empty() {
        out.push(format!("when user {}", conditions_in(&q.user, &[], money)));
    }
    out
}

/// Conditions joined by "and"; the facts named in `amounts` read as money.
pub fn conditions_in(cs: &[Condition], amounts: &[&str], money: &dyn Fn(i64) -> String) -> String {
    cs.iter().map(|c| c.text_in(amounts, money)).collect::<Vec<_>>().join(" and ")
}

fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{} times", group(n.into())),
    }
}

pub fn duration_text(d: &Duration) -> String {
    let unit = match d.unit {
        DurationUnit::Minutes => "minute",
        DurationUnit::Hours => "hour",
        DurationUnit::Days => "day",
    };
    let plural = if d.value == 1 { "" } else { "s" };
    format!("{} {unit}{plural}", d.value)
}

fn when(t: &DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%-d %b %Y %H:%M").to_string()
}

/// `1000` → `1,000`.
pub fn group(n: i64) -> String {
    let digits = crate::money::group_thousands(n.unsigned_abs());
    if n < 0 {
        format!("-{digits}")
    } else {
        digits
    }
}
