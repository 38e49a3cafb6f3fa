//! Tiered rewards: the highest step reached replaces the coupon's reward, and the quote says how
//! far the next step is.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::decision::*;
use super::decision_tests::{arb_applies_to, arb_cart, coupon, now, shoes_cart, user};

/// 10% off, 15% from ₹2,000, 20% (at most ₹1,500) from ₹5,000.
fn tiered(basis: &str, steps: Value) -> Value {
    json!({"type": "percent_off", "percent": 10, "tier_basis": basis, "tiers": steps})
}

#[test]
fn the_highest_tier_reached_applies() {
    let steps = json!([{"from": 200000, "percent": 15}, {"from": 500000, "percent": 20, "max_discount": 150000}]);
    let c = coupon(json!({"reward": tiered("amount", steps)}));
    // Shoes cart: ₹3,999.99 of items reaches ₹2,000 but not ₹5,000.
    let q = decide(&c, None, &user(), &shoes_cart(), &Usage::default(), now()).quote.expect("valid");
    assert_eq!(q.eligible, 399_999);
    assert_eq!(q.tier, Some(0));
    assert_eq!(q.discount, 60_000, "15% of ₹3,999.99, rounded half up");
    assert_eq!(q.next_tier, Some(NextTier { index: 1, from: 500_000, missing: 100_001 }));

    let big = super::decision_tests::cart(
        json!({"currency": "INR", "items": [{"sku": "TV", "quantity": 1, "unit_price": 900000}]}),
    );
    let q = quote(&c.definition, &big);
    assert_eq!((q.tier, q.discount, q.next_tier), (Some(1), 150_000, None), "20% capped at ₹1,500");

    let small = super::decision_tests::cart(
        json!({"currency": "INR", "items": [{"sku": "PEN", "quantity": 3, "unit_price": 5000}]}),
    );
    let q = quote(&c.definition, &small);
    assert_eq!((q.tier, q.discount), (None, 1_500), "below every tier the coupon's own 10% applies");
    assert_eq!(q.next_tier, Some(NextTier { index: 0, from: 200_000, missing: 185_000 }));
}

#[test]
fn quantity_tiers_count_the_eligible_units_only() {
    let steps = json!([{"from": 2, "percent": 25}, {"from": 3, "percent": 40}]);
    let c = coupon(json!({
        "reward": tiered("quantity", steps),
        "applies_to": {"type": "items", "categories": ["Shoes"]}
    }));
    // Two pairs of shoes (the shirt is not eligible and does not count).
    let q = quote(&c.definition, &shoes_cart());
    assert_eq!(q.tier, Some(0));
    assert_eq!(q.discount, 75_000, "25% of 2 × ₹1,500");
    assert_eq!(q.lines[1].discount, 0);
    assert_eq!(q.next_tier, Some(NextTier { index: 1, from: 3, missing: 1 }));
}

#[test]
fn amount_off_and_cashback_tiers() {
    let c = coupon(
        json!({"reward": {"type": "amount_off", "amount": 10000, "tiers": [{"from": 300000, "amount": 50000}]}}),
    );
    assert_eq!(quote(&c.definition, &shoes_cart()).discount, 50_000);
    let c = coupon(json!({"reward": {"type": "cashback", "points": 100, "tiers": [{"from": 300000, "points": 500}]}}));
    let q = quote(&c.definition, &shoes_cart());
    assert_eq!((q.discount, q.cashback, q.tier), (0, 500, Some(0)));
}

/// Rising thresholds with percent-off rewards, as JSON steps.
fn arb_steps() -> impl Strategy<Value = (String, Vec<(i64, u8)>)> {
    let steps = |from: std::ops::Range<i64>| proptest::collection::btree_map(from, 1u8..=100, 1..6);
    prop_oneof![
        steps(1..20_000_000).prop_map(|s| ("amount".to_string(), s.into_iter().collect())),
        steps(1..200).prop_map(|s| ("quantity".to_string(), s.into_iter().collect())),
    ]
}

proptest! {
    /// A tiered quote is exactly the flat quote of the step reached: same discount, same lines.
    #[test]
    fn a_tiered_quote_is_the_flat_quote_of_its_tier(
        cart in arb_cart(), (basis, steps) in arb_steps(), applies_to in arb_applies_to(),
    ) {
        prop_assume!(!(basis == "quantity" && applies_to["type"] == "fees"));
        let steps_json: Vec<Value> = steps.iter().map(|(from, p)| json!({"from": from, "percent": p})).collect();
        let c = coupon(json!({"reward": tiered(&basis, json!(steps_json)), "applies_to": applies_to.clone()}));
        let q = quote(&c.definition, &cart);
        let flat = |percent: u8| {
            let c = coupon(json!({"reward": {"type": "percent_off", "percent": percent}, "applies_to": applies_to.clone()}));
            quote(&c.definition, &cart)
        };
        let expected = flat(q.tier.map_or(10, |i| steps[i].1));
        prop_assert_eq!((q.discount, &q.lines, &q.fees), (expected.discount, &expected.lines, &expected.fees));
        let lines: i64 = q.lines.iter().map(|l| l.discount).sum::<i64>() + q.fees.iter().map(|f| f.discount).sum::<i64>();
        prop_assert_eq!(lines, q.discount);
        prop_assert!(q.discount >= 0 && q.discount <= q.eligible);
        // The tier is the highest whose threshold is reached, and the next is the one above it.
        let reached = match basis.as_str() {
            "amount" => q.eligible,
            _ => cart.items.iter()
                .filter(|i| applies_to["type"] == "order" || i.category.as_deref() == Some("Shoes"))
                .map(|i| i.quantity)
                .sum(),
        };
        prop_assert_eq!(q.tier, steps.iter().rposition(|(from, _)| *from <= reached));
        match (q.tier, &q.next_tier) {
            (t, Some(n)) => {
                prop_assert_eq!(n.index, t.map_or(0, |i| i + 1));
                prop_assert!(n.missing > 0);
            }
            (t, None) => prop_assert_eq!(t, Some(steps.len() - 1)),
        }
    }
}
