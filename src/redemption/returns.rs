//! Partial reverses: part of an order comes back (some units of a line, or an amount), and the
//! discount and cashback given on that part come back with it. Pure, like the decision: the
//! store moves the counters by what [`Returned::add`] says.
//!
//! What has come back is kept as totals (units per line, amount), and each reverse gives back the
//! difference between the totals' share before and after it. Rounding therefore never drifts:
//! once everything is back, exactly the redemption's discount and cashback are back.

use serde::{Deserialize, Serialize};

use super::decision::Quote;
use crate::fields::FieldErrors;

/// One partial reverse: units of cart lines, and an amount of the coupon's eligible amount.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Return {
    /// (line index, units).
    pub lines: Vec<(usize, i64)>,
    pub amount: i64,
}

/// What partial reverses have given back so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Returned {
    /// Units returned of each cart line (by index; absent lines: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<i64>,
    /// Eligible amount returned as an amount, in minor units.
    pub amount: i64,
    /// Discount given back, in minor units.
    pub discount: i64,
    /// Cashback points taken back.
    pub cashback_points: i64,
}

impl Returned {
    pub fn is_empty(&self) -> bool {
        *self == Returned::default()
    }

    /// Adds `r` to what came back of the redemption `quote` describes, and returns the discount
    /// and cashback it gives back; or, changing nothing, every field that asks for too much.
    pub fn add(&mut self, quote: &Quote, r: &Return) -> Result<(i64, i64), FieldErrors> {
        let mut e = FieldErrors::default();
        let mut units = self.units.clone();
        units.resize(quote.lines.len(), 0);
        for (k, &(index, quantity)) in r.lines.iter().enumerate() {
            let Some(line) = quote.lines.get(index) else {
                e.add(format!("lines[{k}].index"), format!("the cart had {} lines", quote.lines.len()));
                continue;
            };
            if line.quantity == 0 {
                e.add(format!("lines[{k}].index"), "this redemption predates returns by line: return an amount");
                continue;
            }
            let left = line.quantity - units[index];
            if left == 0 {
                e.add(format!("lines[{k}].quantity"), "every unit of this line has come back already");
                continue;
            }
            if quantity < 1 || quantity > left {
                e.add(
                    format!("lines[{k}].quantity"),
                    format!("from 1 to {left}, the units of this line not yet returned"),
                );
                continue;
            }
            units[index] += quantity;
        }
        let by_lines = |value: &dyn Fn(usize) -> i64| -> i64 {
            quote.lines.iter().enumerate().map(|(i, l)| share(value(i), units[i], l.quantity)).sum()
        };
        let lines_eligible = by_lines(&|i| if quote.lines[i].eligible { quote.lines[i].amount } else { 0 });
        let amount = self.amount + r.amount;
        let left = quote.eligible - self.amount - lines_eligible;
        if r.amount < 0 || r.amount > left.max(0) {
            // Minor units, as the API takes them, and the amount as a person reads it.
            let readable = crate::money::Currency::parse(&quote.currency)
                .map(|c| format!(" ({})", c.format(left.max(0))))
                .unwrap_or_default();
            e.add("amount", format!("from 0 to {}{readable}, the eligible amount not yet returned", left.max(0)));
        }
        if !e.is_empty() {
            return Err(e);
        }
        let returned = (amount + lines_eligible).min(quote.eligible);
        let discount = (by_lines(&|i| quote.lines[i].discount) + share(quote.discount, amount, quote.eligible))
            .min(quote.discount);
        let cashback = share(quote.cashback, returned, quote.eligible).min(quote.cashback);
        let back = (discount - self.discount, cashback - self.cashback_points);
        *self = Returned { units, amount, discount, cashback_points: cashback };
        if self.units.iter().all(|u| *u == 0) {
            self.units.clear();
        }
        Ok(back)
    }
}

/// `value × n / d`, rounded down, exact at `n = d`; nothing of nothing.
fn share(value: i64, n: i64, d: i64) -> i64 {
    if d <= 0 {
        return 0;
    }
    (i128::from(value) * i128::from(n) / i128::from(d)) as i64
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::redemption::decision::quote;
    use crate::redemption::decision_tests::{arb_cart, coupon, shoes_cart};

    fn lines(l: &[(usize, i64)]) -> Return {
        Return { lines: l.to_vec(), amount: 0 }
    }

    #[test]
    fn units_of_a_line_bring_back_their_share_of_its_discount() {
        // 10% off: shoes 2 × ₹1,500 carry ₹300 of discount, the shirt ₹100.
        let q = quote(&coupon(json!({})).definition, &shoes_cart());
        let mut r = Returned::default();
        assert_eq!(r.add(&q, &lines(&[(0, 1)])), Ok((15_000, 0)));
        assert_eq!(r.add(&q, &lines(&[(0, 1), (1, 1)])), Ok((25_000, 0)));
        assert_eq!(r.discount, q.discount, "everything back: exactly the discount");
        let e = r.add(&q, &lines(&[(0, 1)])).unwrap_err();
        assert_eq!(e.get("lines[0].quantity"), Some("every unit of this line has come back already"));
        let e = Returned::default().add(&q, &lines(&[(5, 1), (0, 3)])).unwrap_err();
        assert_eq!(e.get("lines[0].index"), Some("the cart had 2 lines"));
        assert_eq!(e.get("lines[1].quantity"), Some("from 1 to 2, the units of this line not yet returned"));
    }

    #[test]
    fn an_amount_brings_back_its_share_and_never_more_than_is_left() {
        let q = quote(&coupon(json!({})).definition, &shoes_cart());
        let mut r = Returned::default();
        assert_eq!(r.add(&q, &Return { lines: vec![], amount: 100_000 }), Ok((10_000, 0)));
        let before = r.clone();
        let e = r.add(&q, &Return { lines: vec![], amount: 300_000 }).unwrap_err();
        assert_eq!(e.get("amount"), Some("from 0 to 299999 (₹2,999.99), the eligible amount not yet returned"));
        assert_eq!(r, before, "a refused return changes nothing");
        assert_eq!(r.add(&q, &Return { lines: vec![], amount: 299_999 }), Ok((30_000, 0)));
    }

    #[test]
    fn cashback_follows_the_eligible_amount_returned() {
        let c = coupon(json!({"reward": {"type": "cashback", "percent": 5, "max_points": 300}}));
        let q = quote(&c.definition, &shoes_cart());
        let mut r = Returned::default();
        // One shoe is ₹1,500 of ₹3,999.99 eligible: 112 of the 300 points.
        assert_eq!(r.add(&q, &lines(&[(0, 1)])), Ok((0, 112)));
        assert_eq!(r.add(&q, &lines(&[(0, 1), (1, 1)])), Ok((0, 188)));
        // Items the coupon did not apply to bring nothing back.
        let shoes_only = coupon(json!({"applies_to": {"type": "items", "categories": ["Shoes"]}}));
        let q = quote(&shoes_only.definition, &shoes_cart());
        assert_eq!(Returned::default().add(&q, &lines(&[(1, 1)])), Ok((0, 0)));
    }

    proptest! {
        /// Whatever the order and size of the returns, each gives back something non-negative,
        /// and once everything is back, exactly the discount and cashback are.
        #[test]
        fn returns_add_up_to_exactly_what_was_given(cart in arb_cart(), cashback in any::<bool>(), steps in 1usize..5) {
            let reward = if cashback { json!({"type": "cashback", "percent": 7}) } else { json!({"type": "percent_off", "percent": 13}) };
            let q = quote(&coupon(json!({"reward": reward})).definition, &cart);
            let mut r = Returned::default();
            let mut back = (0, 0);
            for step in 0..steps {
                let last = step + 1 == steps;
                let part: Vec<(usize, i64)> = q.lines.iter().enumerate()
                    .map(|(i, l)| (i, if last { l.quantity - r.units.get(i).copied().unwrap_or(0) } else { l.quantity / steps as i64 }))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                let (d, c) = r.add(&q, &lines(&part)).unwrap();
                prop_assert!(d >= 0 && c >= 0);
                back = (back.0 + d, back.1 + c);
            }
            prop_assert_eq!(back, (q.discount, q.cashback));
        }
    }
}
