//! Buy X get Y on a cart: how many times it applies, which units are got, what they save, and
//! which free items the app should add. Pure, and on unit counts: quantities go to a million a
//! line, so units are never listed one by one.
//!
//! A unit takes part in at most one application of one buy-X-get-Y: the units a coupon bought or
//! got are spent for the coupons after it in a stack (see [`super::decision::Left`]).

use serde::{Deserialize, Serialize};

use crate::coupons::definition::{BuyXGetY, Discounted};

/// A cart line as a buy-X-get-Y sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Units {
    /// Units on the line not yet spent by a buy-X-get-Y before this one…
    pub free: i64,
    /// …and what is left of their amount: each is worth `worth / free`.
    pub worth: i64,
    /// The line is among the units bought (`applies_to`), among those got, or both.
    pub buy: bool,
    pub get: bool,
}

/// A free item the app should add for the coupon to give all it can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AddItem {
    pub sku: String,
    pub quantity: i64,
    /// Off each unit added (100: free).
    pub percent: u8,
}

/// What a buy-X-get-Y gives on a cart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub applications: i64,
    /// Per line: units bought, units got, and the discount on the units got.
    pub bought: Vec<i64>,
    pub got: Vec<i64>,
    pub discount: Vec<i64>,
}

/// The most applications the counts allow: `buy_only`, `get_only` and `both` units, `max` at most.
fn applications(b: &BuyXGetY, buy_only: i64, get_only: i64, both: i64) -> i64 {
    let (x, y) = (i64::from(b.buy), i64::from(b.get));
    let n = ((buy_only + both) / x).min((get_only + both) / y).min((buy_only + get_only + both) / (x + y));
    b.max_applications.map_or(n, |m| n.min(i64::from(m)))
}

/// Units on lines that are only bought, only got, or both.
fn counts(lines: &[Units]) -> (i64, i64, i64) {
    lines.iter().fold((0, 0, 0), |(b, g, x), l| match (l.buy, l.get) {
        (true, true) => (b, g, x + l.free),
        (true, false) => (b + l.free, g, x),
        (false, true) => (b, g + l.free, x),
        (false, false) => (b, g, x),
    })
}

/// `worth × units / free × percent / 100`, half-up: what `units` of a line's free units carry,
/// `percent` off. Never more than `worth`.
fn discount_on(line: &Units, units: i64, percent: u8) -> i64 {
    if units == 0 || line.free == 0 {
        return 0;
    }
    let num = i128::from(line.worth) * i128::from(units) * i128::from(percent);
    let den = i128::from(line.free) * 100;
    ((num * 2 + den) / (den * 2)) as i64
}

/// Applies `b` to `lines`: as many applications as the free units allow; the units got are the
/// cheapest (or the most expensive) of those that can be got while enough stay to be bought.
pub fn apply(b: &BuyXGetY, lines: &[Units]) -> Applied {
    let (buy_only, get_only, both) = counts(lines);
    let n = applications(b, buy_only, get_only, both);
    let mut applied = Applied {
        applications: n,
        bought: vec![0; lines.len()],
        got: vec![0; lines.len()],
        discount: vec![0; lines.len()],
    };
    if n == 0 {
        return applied;
    }
    // Units on lines in both sets that may be got, leaving `n × buy` to be bought.
    let mut spare = buy_only + both - n * i64::from(b.buy);
    let mut to_get = n * i64::from(b.get);
    let mut order: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].get && lines[i].free > 0).collect();
    // By unit worth (worth / free, compared without dividing), then by line.
    order.sort_by(|&i, &j| {
        let (a, c) = (&lines[i], &lines[j]);
        let by_worth = (i128::from(a.worth) * i128::from(c.free)).cmp(&(i128::from(c.worth) * i128::from(a.free)));
        match b.discounted {
            Discounted::Cheapest => by_worth,
            Discounted::MostExpensive => by_worth.reverse(),
        }
        .then(i.cmp(&j))
    });
    for i in order {
        let line = &lines[i];
        let room = if line.buy { spare } else { i64::MAX };
        let take = line.free.min(to_get).min(room);
        if line.buy {
            spare -= take;
        }
        to_get -= take;
        applied.got[i] = take;
        applied.discount[i] = discount_on(line, take, b.percent.0);
    }
    // The units bought: the rest of the bought-only lines first, then of lines in both, in cart
    // order (which units are bought changes no amount; it only spends them).
    let mut to_buy = n * i64::from(b.buy);
    for only in [true, false] {
        for (i, line) in lines.iter().enumerate() {
            if line.buy && line.get != only {
                let take = (line.free - applied.got[i]).min(to_buy);
                applied.bought[i] += take;
                to_buy -= take;
            }
        }
    }
    applied
}

/// The units of a free item the app should add so that the units already bought give every
/// application they can: none when the cart already holds them. `buys` says whether the added
/// item is itself among the units bought.
pub fn missing(b: &BuyXGetY, lines: &[Units], buys: bool) -> i64 {
    let (buy_only, get_only, both) = counts(lines);
    let want = {
        let n = (buy_only + both) / i64::from(b.buy);
        b.max_applications.map_or(n, |m| n.min(i64::from(m)))
    };
    let with = |k: i64| {
        if buys {
            applications(b, buy_only, get_only, both + k)
        } else {
            applications(b, buy_only, get_only + k, both)
        }
    };
    if with(0) >= want {
        return 0;
    }
    // Adding `want × get` always reaches `want`; the fewest that do, by bisection.
    let (mut low, mut high) = (0, want * i64::from(b.get));
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        if with(mid) >= want {
            high = mid;
        } else {
            low = mid;
        }
    }
    high
}
