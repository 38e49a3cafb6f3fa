//! Several codes on one cart. Coupons apply by their priority, highest first; within a priority in
//! a fixed order that favours the shopper and never counts an amount twice: item-level rewards
//! first, then order-level, then fee-level; within a level percentages before fixed amounts before
//! cashback; ties by coupon id (oldest first), so the order the codes were sent in never changes
//! the result. Each coupon is computed on what the ones before it left, and a coupon that stops
//! the ones after it (`stop_after`) leaves them refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cart::Cart;
use super::decision::*;
use super::reasons::{Reason, Refusal};
use crate::coupons::definition::{AppliesTo, Cashback, Reward, Stacking};
use crate::coupons::Coupon;

/// The most codes one cart may carry.
pub const MAX_CODES: usize = 5;

/// Everything one coupon's decision needs.
#[derive(Debug, Clone)]
pub struct Facts {
    pub coupon: Coupon,
    pub code: Option<CodeFacts>,
    pub user: UserFacts,
    pub usage: Usage,
}

/// One code or coupon the app sent: found, or already refused (a code that leads nowhere).
#[derive(Debug, Clone)]
pub enum Candidate {
    Found(Box<Facts>),
    Missing(Box<Decision>),
}

/// The cart after every coupon: each line's and fee's original amount, total discount and total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub currency: String,
    pub discount: i64,
    pub cashback: i64,
    pub lines: Vec<LineQuote>,
    pub fees: Vec<FeeQuote>,
}

/// The decision on every code of a cart, in the order they were sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackDecision {
    pub decisions: Vec<Decision>,
    /// Present when every coupon can be used.
    pub totals: Option<Totals>,
}

impl StackDecision {
    pub fn valid(&self) -> bool {
        self.decisions.iter().all(Decision::valid)
    }

    /// The decision as a stranger may see it: each code held by another user reads as a code
    /// that does not exist (see [`Decision::concealed`]).
    pub fn concealed(&self) -> StackDecision {
        // A concealed decision was a refusal already, so the totals (present only when every
        // coupon can be used) are unchanged.
        StackDecision {
            decisions: self.decisions.iter().map(Decision::concealed).collect(),
            totals: self.totals.clone(),
        }
    }

    /// Every refusal of every coupon, most important first, with the coupon it belongs to.
    pub fn refusals(&self) -> Vec<(&Decision, &Refusal)> {
        let mut all: Vec<_> = self.decisions.iter().flat_map(|d| d.refusals.iter().map(move |r| (d, r))).collect();
        all.sort_by_key(|(_, r)| r.reason);
        all
    }
}

/// Where a coupon falls in the application order.
fn rank(coupon: &Coupon) -> (u8, u8) {
    let d = &coupon.definition;
    let level = match d.applies_to {
        AppliesTo::Items { .. } => 0,
        AppliesTo::Order => 1,
        AppliesTo::Fees { .. } => 2,
    };
    let kind = match d.reward {
        // Units first: what an order-wide percentage then takes is of what the units got left.
        Reward::BuyXGetY(_) => 0,
        Reward::PercentOff { .. } => 1,
        Reward::AmountOff { .. } => 2,
        Reward::Cashback(Cashback::Percent { .. }) => 3,
        Reward::Cashback(Cashback::Fixed { .. }) => 4,
    };
    (level, kind)
}

/// Why a coupon may not join this stack, if it may not.
fn combination_refusal(candidates: &[Candidate], at: usize) -> Option<Refusal> {
    let Candidate::Found(f) = &candidates[at] else { return None };
    let earlier = candidates[..at].iter().any(|c| matches!(c, Candidate::Found(e) if e.coupon.id == f.coupon.id));
    if earlier {
        return Some(Refusal::with(Reason::NotCombinable, "This coupon is already applied to the cart."));
    }
    (candidates.len() > 1 && f.coupon.definition.stacking == Stacking::Exclusive)
        .then(|| Refusal::with(Reason::NotCombinable, "This coupon cannot be combined with other coupons."))
}

/// Decides every code of a cart. A refused coupon takes nothing; the others are still quoted, so
/// the answer shows what each would give, but the stack is valid only when all of them are.
pub fn decide_stack(candidates: &[Candidate], cart: &Cart, now: DateTime<Utc>) -> StackDecision {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| match &candidates[i] {
        Candidate::Found(f) => (std::cmp::Reverse(f.coupon.definition.priority), rank(&f.coupon), f.coupon.id, i),
        Candidate::Missing(_) => (std::cmp::Reverse(i32::MIN), (u8::MAX, u8::MAX), i64::MAX, i),
    });
    let mut left = Left::of(cart);
    let mut decisions: Vec<Option<Decision>> = vec![None; candidates.len()];
    // The name of the coupon applied so far that stops the ones after it.
    let mut stopped_by: Option<&str> = None;
    for i in order {
        let decision = match &candidates[i] {
            Candidate::Missing(refused) => (**refused).clone(),
            Candidate::Found(f) => {
                let mut d = decide_on(&f.coupon, f.code.as_ref(), &f.user, cart, &left, &f.usage, now);
                let stopped = stopped_by.map(|name| {
                    Refusal::with(Reason::NotCombinable, format!("No coupon applies after “{name}” on this cart."))
                });
                if let Some(refusal) = combination_refusal(candidates, i).or(stopped) {
                    d.refusals.push(refusal);
                    d.refusals.sort_by_key(|r| r.reason);
                    d.quote = None;
                }
                if let Some(q) = &d.quote {
                    left.take(q);
                    if f.coupon.definition.stop_after {
                        stopped_by = Some(&f.coupon.definition.name);
                    }
                }
                d
            }
        };
        decisions[i] = Some(decision);
    }
    let decisions: Vec<Decision> = decisions.into_iter().flatten().collect();
    let valid = decisions.iter().all(Decision::valid);
    let totals = valid.then(|| totals(cart, &left, &decisions));
    StackDecision { decisions, totals }
}

fn totals(cart: &Cart, left: &Left, decisions: &[Decision]) -> Totals {
    let quotes = || decisions.iter().filter_map(|d| d.quote.as_ref());
    let original = Left::of(cart);
    Totals {
        currency: cart.currency.code().to_string(),
        discount: quotes().map(|q| q.discount).sum(),
        cashback: quotes().map(|q| q.cashback).sum(),
        lines: cart
            .items
            .iter()
            .enumerate()
            .map(|(i, item)| LineQuote {
                index: i,
                sku: item.sku.clone(),
                quantity: item.quantity,
                eligible: quotes().any(|q| q.lines[i].eligible),
                amount: original.lines[i],
                discount: original.lines[i] - left.lines[i],
                total: left.lines[i],
                bought: quotes().map(|q| q.lines[i].bought).sum(),
                got: quotes().map(|q| q.lines[i].got).sum(),
            })
            .collect(),
        fees: cart
            .fees
            .iter()
            .enumerate()
            .map(|(i, (name, _))| FeeQuote {
                name: name.clone(),
                amount: original.fees[i],
                discount: original.fees[i] - left.fees[i],
                total: left.fees[i],
            })
            .collect(),
    }
}
