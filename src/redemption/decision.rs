//! The decision: from plain values (coupon, code, user, cart, usage so far, now) to a quote or
//! every reason for refusing. Validate and redeem both call it; redeem then makes the database
//! hold the limits it checked. Pure, so it is tested exhaustively without a database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::allocate::{allocate, percent_of};
use super::bxgy::{self, AddItem, Units};
use super::cart::{Cart, Item, CART_AMOUNTS, ITEM_AMOUNTS};
use super::periods::schedule_open;
use super::reasons::{Reason, Refusal};
use crate::conditions::{all_hold, Condition, Properties};
use crate::coupons::definition::*;
use crate::coupons::status::CouponStatus;
use crate::coupons::Coupon;
use crate::money::Currency;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    Static,
    Unique,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    Available,
    Assigned,
    Redeemed,
    Void,
}

crate::named! {
    CodeKind: [Static, Unique],
    CodeStatus: [Available, Assigned, Redeemed, Void],
}

/// The code the shopper typed (or holds through an assignment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeFacts {
    pub id: i64,
    pub code: String,
    pub kind: CodeKind,
    /// The user a unique code is reserved for.
    pub user_id: Option<String>,
    pub status: CodeStatus,
    #[serde(with = "crate::dates::rfc3339::option")]
    pub expires_at: Option<i64>,
    /// The batch it came in, where its redemptions are counted.
    pub batch_id: Option<i64>,
}

pub use crate::coupons::timing::AssignmentFacts;

/// The user asking.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserFacts {
    pub user_id: String,
    pub properties: Properties,
    pub assignment: Option<AssignmentFacts>,
}

/// What has been used so far, in the buckets `now` falls in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub user_uses: i64,
    pub global_uses: i64,
    pub discount_given: i64,
    pub cashback_given: i64,
    /// Uses in the current period of each cap, in the order of `limits.caps`.
    pub cap_uses: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LineQuote {
    pub index: usize,
    pub sku: String,
    /// Units on the line, as the cart sent them.
    #[serde(default)]
    pub quantity: i64,
    /// The reward applies to this line (it is among what `applies_to` selects).
    #[serde(default)]
    pub eligible: bool,
    pub amount: i64,
    pub discount: i64,
    pub total: i64,
    /// Units a buy-X-get-Y bought on this line, and units it got (the discounted ones).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bought: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub got: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeeQuote {
    pub name: String,
    pub amount: i64,
    pub discount: i64,
    pub total: i64,
}

/// What the coupon gives on this cart: the discount spread over lines and fees, and cashback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Quote {
    pub currency: String,
    /// The amount the reward was computed on. Named as validate names it (stored details written
    /// before that read through the alias).
    #[serde(rename = "eligible_amount", alias = "eligible")]
    pub eligible: i64,
    pub discount: i64,
    #[serde(rename = "cashback_points", alias = "cashback")]
    pub cashback: i64,
    pub lines: Vec<LineQuote>,
    pub fees: Vec<FeeQuote>,
    /// The tier the cart reached (its index), when the coupon has tiers and one is reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<usize>,
    /// The next tier up, when the coupon has one the cart has not reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_tier: Option<NextTier>,
    /// How many times a buy-X-get-Y applied to the cart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applications: Option<i64>,
    /// Free items the app should add to the cart for the coupon to give all it can; they are
    /// discounted once they are in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_items: Vec<AddItem>,
}

/// What the cart lacks for the next tier: "add ₹500 more for 15% off".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NextTier {
    pub index: usize,
    /// Where it starts, in what the tiers count (minor units of the eligible amount, or units).
    pub from: i64,
    /// How much more eligible amount, or how many more eligible units, reach it.
    pub missing: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub coupon_id: i64,
    pub code: Option<String>,
    /// Every reason for refusing, most important first; empty when the coupon can be used.
    pub refusals: Vec<Refusal>,
    /// Present when there are no refusals.
    pub quote: Option<Quote>,
}

impl Decision {
    pub fn valid(&self) -> bool {
        self.refusals.is_empty()
    }

    pub fn has(&self, reason: Reason) -> bool {
        self.refusals.iter().any(|r| r.reason == reason)
    }

    /// The decision as the app's user may see it: a code reserved for or used by another user is
    /// refused exactly like a code that does not exist, so answers cannot be used to find real
    /// codes. The dashboard, whose people own the codes, sees the whole decision.
    pub fn concealed(&self) -> Decision {
        match &self.code {
            Some(code) if self.has(Reason::CodeAssignedToOtherUser) => Decision::code_not_found(code),
            _ => self.clone(),
        }
    }

    /// The refusal for a code that does not lead to any coupon.
    pub fn code_not_found(code: &str) -> Decision {
        Decision {
            coupon_id: 0,
            code: Some(code.to_string()),
            refusals: vec![Refusal::new(Reason::CodeNotFound)],
            quote: None,
        }
    }
}

/// The conditions that do not hold, as text; the facts in `amounts` read in `currency`.
fn failed(conditions: &[Condition], facts: &Properties, amounts: &[&str], currency: Currency) -> Vec<String> {
    let money = |minor: i64| currency.format(minor);
    conditions.iter().filter(|c| !c.holds(facts)).map(|c| c.text_in(amounts, &money)).collect()
}

fn eq_ignore_case(list: &[String], value: &str) -> bool {
    list.iter().any(|v| v.eq_ignore_ascii_case(value))
}

/// Positions in the cart (line or fee index) with their amounts.
type Amounts = Vec<(usize, i64)>;

/// What is left to discount on each line and fee: the cart's own amounts, less what coupons
/// applied before took (see [`super::stack`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Left {
    pub lines: Vec<i64>,
    pub fees: Vec<i64>,
    /// Units of each line no buy-X-get-Y has bought or got yet, and what is left of their
    /// amount (the rest of `lines` is on the units spent).
    pub units: Vec<i64>,
    pub unspent: Vec<i64>,
}

impl Left {
    pub fn of(cart: &Cart) -> Left {
        Left {
            lines: cart.items.iter().map(|i| i.amount()).collect(),
            fees: cart.fees.iter().map(|f| f.1).collect(),
            units: cart.items.iter().map(|i| i.quantity).collect(),
            unspent: cart.items.iter().map(|i| i.amount()).collect(),
        }
    }

    /// Takes a quote's discount off the lines and fees it was given on, and the units a
    /// buy-X-get-Y spent.
    pub fn take(&mut self, quote: &Quote) {
        for (i, line) in quote.lines.iter().enumerate().take(self.lines.len()) {
            let (left, units, unspent) = (self.lines[i], self.units[i], self.unspent[i]);
            let spent = line.bought + line.got;
            // The units spent take their worth with them; a discount spread over the whole line
            // takes its share of the unspent units' worth (rounded up, so it never exceeds what
            // is left of the line).
            let gone = match (spent, line.discount) {
                (0, 0) => 0,
                (0, d) => ceil_share(unspent, d, left),
                (k, _) => ceil_share(unspent, k, units),
            };
            self.unspent[i] = (unspent - gone).clamp(0, left - line.discount);
            self.lines[i] = left - line.discount;
            self.units[i] = units - spent;
        }
        for (left, fee) in self.fees.iter_mut().zip(&quote.fees) {
            *left -= fee.discount;
        }
    }
}

/// Whether `item` is named by SKU or category, or matches the conditions.
fn in_set(skus: &[String], categories: &[String], conditions: &[Condition], item: &Item) -> bool {
    eq_ignore_case(skus, &item.sku)
        || item.category.as_deref().is_some_and(|c| eq_ignore_case(categories, c))
        || (!conditions.is_empty() && all_hold(conditions, &item.facts()))
}

/// `value × part / whole`, rounded up; `value` when `whole` is zero.
fn ceil_share(value: i64, part: i64, whole: i64) -> i64 {
    if whole == 0 {
        return value;
    }
    let (num, den) = (i128::from(value) * i128::from(part), i128::from(whole));
    ((num + den - 1) / den) as i64
}

/// The cart lines and fees the reward applies to, with what is left on them.
fn eligible(applies_to: &AppliesTo, cart: &Cart, left: &Left) -> (Amounts, Amounts) {
    match applies_to {
        AppliesTo::Order => (left.lines.iter().copied().enumerate().collect(), vec![]),
        AppliesTo::Items { skus, categories, conditions } => {
            let lines = cart
                .items
                .iter()
                .zip(&left.lines)
                .enumerate()
                .filter(|(_, (item, _))| in_set(skus, categories, conditions, item))
                .map(|(i, (_, amount))| (i, *amount))
                .collect();
            (lines, vec![])
        }
        AppliesTo::Fees { names } => {
            let fees = cart
                .fees
                .iter()
                .zip(&left.fees)
                .enumerate()
                .filter(|(_, ((name, _), _))| eq_ignore_case(names, name))
                .map(|(i, (_, amount))| (i, *amount))
                .collect();
            (vec![], fees)
        }
    }
}

/// The reward on this cart, spread over the eligible lines and fees.
pub fn quote(d: &CouponDefinition, cart: &Cart) -> Quote {
    quote_on(d, cart, &Left::of(cart))
}

/// The reward on what is left of the cart. Line and fee `amount`s are what was left before this
/// coupon, `total`s what is left after it.
pub fn quote_on(d: &CouponDefinition, cart: &Cart, left: &Left) -> Quote {
    let (lines, fees) = eligible(&d.applies_to, cart, left);
    let mut q = Quote {
        currency: cart.currency.code().to_string(),
        eligible: lines.iter().chain(&fees).map(|(_, a)| *a).sum(),
        discount: 0,
        cashback: 0,
        lines: cart
            .items
            .iter()
            .zip(&left.lines)
            .enumerate()
            .map(|(i, (item, amount))| LineQuote {
                index: i,
                sku: item.sku.clone(),
                quantity: item.quantity,
                eligible: false,
                amount: *amount,
                discount: 0,
                total: *amount,
                bought: 0,
                got: 0,
            })
            .collect(),
        fees: cart
            .fees
            .iter()
            .zip(&left.fees)
            .map(|((name, _), amount)| FeeQuote { name: name.clone(), amount: *amount, discount: 0, total: *amount })
            .collect(),
        tier: None,
        next_tier: None,
        applications: None,
        add_items: Vec::new(),
    };
    for (i, _) in &lines {
        q.lines[*i].eligible = true;
    }
    match &d.reward {
        Reward::BuyXGetY(b) => buy_x_get_y(b, &d.applies_to, cart, left, &mut q),
        _ => spread(d, cart, &lines, &fees, &mut q),
    }
    for line in &mut q.lines {
        line.total = line.amount - line.discount;
    }
    for fee in &mut q.fees {
        fee.total = fee.amount - fee.discount;
    }
    q
}

/// A reward on the eligible amount (the step of it the cart reached, for tiers), spread over the
/// eligible `lines` and `fees` in proportion.
fn spread(d: &CouponDefinition, cart: &Cart, lines: &Amounts, fees: &Amounts, q: &mut Quote) {
    let reward = match &d.tiers {
        None => &d.reward,
        Some(tiers) => {
            let reached = match tiers.basis {
                TierBasis::Amount => q.eligible,
                TierBasis::Quantity => lines.iter().map(|(i, _)| cart.items[*i].quantity).sum(),
            };
            let (tier, reward) = tiers.reward_at(&d.reward, reached);
            let next = tiers.steps.iter().enumerate().find(|(_, t)| t.from > reached);
            q.tier = tier;
            q.next_tier = next.map(|(index, t)| NextTier { index, from: t.from, missing: t.from - reached });
            reward
        }
    };
    let eligible = q.eligible;
    (q.discount, q.cashback) = match reward {
        Reward::PercentOff { percent, max_discount } => {
            let raw = percent_of(eligible, percent.0);
            (max_discount.map_or(raw, |m| raw.min(m)).min(eligible), 0)
        }
        Reward::AmountOff { amount } => ((*amount).min(eligible), 0),
        Reward::Cashback(Cashback::Fixed { points }) => (0, if eligible > 0 { *points } else { 0 }),
        Reward::Cashback(Cashback::Percent { percent, max_points }) => {
            let raw = percent_of(eligible, percent.0);
            (0, max_points.map_or(raw, |m| raw.min(m)))
        }
        // Units, not amounts: see `buy_x_get_y`.
        Reward::BuyXGetY(_) => (0, 0),
    };
    let weights: Vec<i64> = lines.iter().chain(fees).map(|(_, a)| *a).collect();
    let shares = allocate(q.discount, &weights);
    let (line_shares, fee_shares) = shares.split_at(lines.len());
    for ((i, _), share) in lines.iter().zip(line_shares) {
        q.lines[*i].discount = *share;
    }
    for ((i, _), share) in fees.iter().zip(fee_shares) {
        q.fees[*i].discount = *share;
    }
}

/// A buy-X-get-Y's quote: the units bought are the lines `applies_to` selects (already marked
/// eligible in `q`), the units got those of `get_items` or the same.
fn buy_x_get_y(b: &BuyXGetY, applies_to: &AppliesTo, cart: &Cart, left: &Left, q: &mut Quote) {
    let gets = |item: &Item, buy: bool| {
        b.get_items.as_ref().map_or(buy, |set| in_set(&set.skus, &set.categories, &set.conditions, item))
    };
    let units: Vec<Units> = cart
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let buy = q.lines[i].eligible;
            Units { free: left.units[i], worth: left.unspent[i], buy, get: gets(item, buy) }
        })
        .collect();
    let applied = bxgy::apply(b, &units);
    for (i, line) in q.lines.iter_mut().enumerate() {
        line.eligible = units[i].buy || units[i].get;
        line.bought = applied.bought[i];
        line.got = applied.got[i];
        line.discount = applied.discount[i];
    }
    q.eligible = q.lines.iter().filter(|l| l.eligible).map(|l| l.amount).sum();
    q.discount = applied.discount.iter().sum();
    q.applications = Some(applied.applications);
    // A free item: the first SKU of the units got, when the cart lacks some of it.
    if let Some(sku) = b.get_items.as_ref().and_then(|g| g.skus.first()) {
        let added =
            Item { sku: sku.clone(), quantity: 1, unit_price: 0, category: None, attributes: Default::default() };
        let buys = match applies_to {
            AppliesTo::Order => true,
            AppliesTo::Items { skus, categories, conditions } => in_set(skus, categories, conditions, &added),
            AppliesTo::Fees { .. } => false,
        };
        let quantity = bxgy::missing(b, &units, buys);
        if quantity > 0 {
            q.add_items.push(AddItem { sku: sku.clone(), quantity, percent: b.percent.0 });
        }
    }
}

/// Decides whether `user` may use `coupon` (through `code`, when one was given or is held) on
/// `cart` at `now`, and what it gives.
pub fn decide(
    coupon: &Coupon,
    code: Option<&CodeFacts>,
    user: &UserFacts,
    cart: &Cart,
    usage: &Usage,
    now: DateTime<Utc>,
) -> Decision {
    decide_on(coupon, code, user, cart, &Left::of(cart), usage, now)
}

/// [`decide`] on what is left of the cart after the coupons applied before this one.
pub fn decide_on(
    coupon: &Coupon,
    code: Option<&CodeFacts>,
    user: &UserFacts,
    cart: &Cart,
    left: &Left,
    usage: &Usage,
    now: DateTime<Utc>,
) -> Decision {
    let d = &coupon.definition;
    let now_ms = now.timestamp_millis();
    let assignment = user.assignment.as_ref();
    let mut refusals: Vec<Refusal> = Vec::new();
    let mut refuse = |reason: Reason, message: Option<String>| {
        refusals.push(message.map_or_else(|| Refusal::new(reason), |m| Refusal::with(reason, m)));
    };

    // The code.
    if d.uses_unique_codes() {
        match code {
            None => refuse(Reason::CodeNotFound, Some("This coupon needs the user's own code.".into())),
            Some(c) if c.status == CodeStatus::Void => refuse(Reason::CodeNotFound, None),
            Some(c) => {
                if c.user_id.as_deref().is_some_and(|u| u != user.user_id) {
                    refuse(Reason::CodeAssignedToOtherUser, None);
                }
                if c.status == CodeStatus::Redeemed {
                    refuse(Reason::CodeAlreadyUsed, None);
                }
                if c.expires_at.is_some_and(|e| e <= now_ms) {
                    refuse(Reason::Expired, Some("This code has expired.".into()));
                }
            }
        }
    } else if code.is_some_and(|c| c.status == CodeStatus::Void) {
        refuse(Reason::CodeNotFound, None);
    }

    // Status and time.
    if coupon.status != CouponStatus::Active {
        refuse(Reason::CouponNotActive, None);
    }
    if let Activation::Time { from: Some(from) } = &d.activation {
        if *from > now {
            refuse(Reason::NotStarted, None);
        }
    }
    if coupon.expires_at(assignment).is_some_and(|e| e <= now_ms) {
        refuse(Reason::Expired, None);
    }
    if let Some(w) = d.window {
        if w.start.is_some_and(|s| s > now) || w.end.is_some_and(|e| e <= now) {
            refuse(Reason::OutsideRedemptionWindow, None);
        }
    }
    if let Some(schedule) = &d.schedule {
        if !schedule_open(schedule, d.time_zone, now) {
            refuse(Reason::OutsideSchedule, None);
        }
    }

    // Who.
    if matches!(d.activation, Activation::Event { .. }) && coupon.activated_at(assignment).is_none() {
        refuse(Reason::NotActivated, None);
    }
    if d.needs_assignment() && assignment.is_none() {
        refuse(Reason::NotInAudience, None);
    }
    let untargeted = failed(&d.targeting, &user.properties, &[], d.currency);
    if !untargeted.is_empty() {
        refuse(Reason::NotTargeted, Some(format!("Needs {}.", untargeted.join(", "))));
    }

    // The cart.
    let mut unmet = failed(&d.qualifying.user, &user.properties, &[], d.currency);
    unmet.extend(failed(&d.qualifying.cart, &cart.facts(), CART_AMOUNTS, d.currency));
    if !d.qualifying.items.is_empty() && !cart.items.iter().any(|i| all_hold(&d.qualifying.items, &i.facts())) {
        let money = |minor: i64| d.currency.format(minor);
        let wanted: Vec<String> = d.qualifying.items.iter().map(|c| c.text_in(ITEM_AMOUNTS, &money)).collect();
        unmet.push(format!("an item where {}", wanted.join(" and ")));
    }
    if !unmet.is_empty() {
        refuse(Reason::CartConditionsNotMet, Some(format!("Needs {}.", unmet.join(", "))));
    }
    let quote = quote_on(d, cart, left);
    if quote.eligible == 0 {
        refuse(Reason::NoEligibleItems, None);
    } else if let (Reward::BuyXGetY(b), Some(0), true) = (&d.reward, quote.applications, quote.add_items.is_empty()) {
        let needs = match b.get_items {
            None => format!("Needs {} eligible units: buy {}, get {}.", b.buy + b.get, b.buy, b.get),
            Some(_) => format!("Needs {} units to buy and {} to get.", b.buy, b.get),
        };
        refuse(Reason::CartConditionsNotMet, Some(needs));
    }
    if cart.currency != d.currency {
        refuse(
            Reason::CurrencyMismatch,
            Some(format!("The coupon is in {}, the cart in {}.", d.currency, cart.currency)),
        );
    }

    // Limits.
    let l = &d.limits;
    if l.per_user.is_some_and(|max| usage.user_uses >= i64::from(max)) {
        refuse(Reason::PerUserLimitReached, None);
    }
    if l.global.is_some_and(|max| usage.global_uses >= i64::from(max)) {
        refuse(Reason::GlobalLimitReached, None);
    }
    let over = |budget: Option<i64>, given: i64, more: i64| budget.is_some_and(|b| given.saturating_add(more) > b);
    if over(l.budget_discount, usage.discount_given, quote.discount)
        || over(l.budget_cashback, usage.cashback_given, quote.cashback)
    {
        refuse(Reason::BudgetExhausted, None);
    }
    for (i, cap) in l.caps.iter().enumerate() {
        if usage.cap_uses.get(i).is_some_and(|used| *used >= i64::from(cap.limit)) {
            refuse(Reason::PeriodCapReached, None);
            break;
        }
    }

    refusals.sort_by_key(|r| r.reason);
    refusals.dedup_by_key(|r| r.reason);
    let valid = refusals.is_empty();
    Decision { coupon_id: coupon.id, code: code.map(|c| c.code.clone()), refusals, quote: valid.then_some(quote) }
}
