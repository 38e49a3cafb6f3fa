//! Several codes on one cart: the application order, exclusivity, and exact totals.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::decision::{Decision, Usage};
use super::decision_tests::*;
use super::reasons::Reason;
use super::stack::*;
use crate::coupons::Coupon;

fn combinable(id: i64, reward: Value, applies_to: Value) -> Coupon {
    let mut c = coupon(json!({"reward": reward, "applies_to": applies_to, "stacking": "combinable"}));
    c.id = id;
    c
}

fn found(c: &Coupon) -> Candidate {
    Candidate::Found(Box::new(Facts { coupon: c.clone(), code: None, user: user(), usage: Usage::default() }))
}

fn stack(coupons: &[&Coupon]) -> StackDecision {
    let candidates: Vec<Candidate> = coupons.iter().map(|c| found(c)).collect();
    decide_stack(&candidates, &shoes_cart(), now())
}

fn discounts(s: &StackDecision) -> Vec<i64> {
    s.decisions.iter().map(|d| d.quote.as_ref().map_or(-1, |q| q.discount)).collect()
}

#[test]
fn items_then_order_then_fees_percent_before_amount() {
    let shoes_20 =
        combinable(1, json!({"type": "percent_off", "percent": 20}), json!({"type": "items", "categories": ["Shoes"]}));
    let order_100 = combinable(2, json!({"type": "amount_off", "amount": 10000}), json!({"type": "order"}));
    let order_10 = combinable(3, json!({"type": "percent_off", "percent": 10}), json!({"type": "order"}));
    let free_ship =
        combinable(4, json!({"type": "percent_off", "percent": 100}), json!({"type": "fees", "names": ["shipping"]}));
    // Sent in the "wrong" order on purpose: the result must not depend on it.
    let s = stack(&[&free_ship, &order_100, &order_10, &shoes_20]);
    assert!(s.valid(), "{s:?}");
    // Shoes 300,000 → 20% = 60,000. Left: 240,000 + 99,999 = 339,999; 10% = 34,000 (half-up of
    // 33,999.9); then ₹100 off what is left; shipping last.
    assert_eq!(discounts(&s), vec![4000, 10000, 34000, 60000]);
    let t = s.totals.expect("valid stack has totals");
    assert_eq!(t.discount, 60000 + 34000 + 10000 + 4000);
    assert_eq!(t.lines.iter().map(|l| l.discount).sum::<i64>() + t.fees[0].discount, t.discount);
    assert_eq!(t.lines.iter().map(|l| l.total).sum::<i64>(), 399_999 - 104_000);
    assert_eq!(t.fees[0].total, 0);
    let reversed = stack(&[&shoes_20, &order_10, &order_100, &free_ship]);
    assert_eq!(reversed.totals, Some(t));
}

#[test]
fn exclusive_coupons_and_repeats_are_not_combined() {
    let exclusive = coupon(json!({}));
    let other = combinable(2, json!({"type": "amount_off", "amount": 500}), json!({"type": "order"}));
    assert!(stack(&[&exclusive]).valid());
    let s = stack(&[&exclusive, &other]);
    assert!(!s.valid());
    assert_eq!(reasons(&s.decisions[0]), vec![Reason::NotCombinable]);
    assert!(s.decisions[1].valid(), "the combinable one is still quoted");
    assert!(s.totals.is_none());
    let twice = stack(&[&other, &other]);
    assert!(twice.decisions[0].valid());
    assert_eq!(reasons(&twice.decisions[1]), vec![Reason::NotCombinable]);
}

#[test]
fn an_unknown_code_fails_the_stack_but_not_the_others_quotes() {
    let other = combinable(2, json!({"type": "amount_off", "amount": 500}), json!({"type": "order"}));
    let candidates = vec![Candidate::Missing(Box::new(Decision::code_not_found("NOPE"))), found(&other)];
    let s = decide_stack(&candidates, &shoes_cart(), now());
    assert!(!s.valid());
    assert_eq!(discounts(&s), vec![-1, 500]);
    assert_eq!(s.refusals().len(), 1);
}

#[test]
fn a_coupon_with_nothing_left_to_discount_is_refused() {
    let all = combinable(1, json!({"type": "percent_off", "percent": 100}), json!({"type": "order"}));
    let more = combinable(2, json!({"type": "amount_off", "amount": 500}), json!({"type": "order"}));
    let s = stack(&[&more, &all]);
    assert_eq!(reasons(&s.decisions[0]), vec![Reason::NoEligibleItems]);
}

#[test]
fn a_higher_priority_applies_first_and_may_stop_the_rest() {
    let shoes_20 =
        combinable(1, json!({"type": "percent_off", "percent": 20}), json!({"type": "items", "categories": ["Shoes"]}));
    let mut order_100 = combinable(2, json!({"type": "amount_off", "amount": 10000}), json!({"type": "order"}));
    order_100.definition.priority = 5;
    // ₹100 off the order comes first now; the shoes' 20% is on what it left of them.
    let s = stack(&[&shoes_20, &order_100]);
    assert!(s.valid(), "{s:?}");
    let order_quote = s.decisions[1].quote.clone().unwrap();
    let shoes_left = 300_000 - order_quote.lines[0].discount;
    assert_eq!(discounts(&s), vec![(shoes_left * 20 + 50) / 100, 10_000]);
    assert_eq!(stack(&[&order_100, &shoes_20]).totals, s.totals, "the order sent does not matter");

    // Stopping: the coupons after it are refused, whatever order they were sent in.
    order_100.definition.stop_after = true;
    for s in [stack(&[&shoes_20, &order_100]), stack(&[&order_100, &shoes_20])] {
        assert!(!s.valid());
        let shoes = s.decisions.iter().find(|d| d.coupon_id == 1).unwrap();
        assert_eq!(shoes.refusals[0].reason, Reason::NotCombinable);
        assert!(shoes.refusals[0].message.contains("No coupon applies after"), "{shoes:?}");
        assert!(s.decisions.iter().find(|d| d.coupon_id == 2).unwrap().valid());
    }
    // A stopper applied last stops nothing.
    order_100.definition.priority = -1;
    assert!(stack(&[&shoes_20, &order_100]).valid());
}

fn arb_bxgy() -> impl Strategy<Value = Value> {
    (1i64..4, 1i64..3, 1i64..=100, any::<bool>()).prop_map(|(buy, get, percent, dear)| {
        json!({"type": "buy_x_get_y", "buy_quantity": buy, "get_quantity": get, "percent": percent,
               "discounted": if dear { "most_expensive" } else { "cheapest" }})
    })
}

proptest! {
    #[test]
    fn stacked_totals_are_exact_and_order_free(
        cart in arb_cart(),
        rewards in proptest::collection::vec(
            (prop_oneof![arb_reward(), arb_bxgy()], arb_applies_to(), -2i32..=2, any::<bool>()),
            1..=MAX_CODES,
        ),
    ) {
        let coupons: Vec<Coupon> = rewards
            .into_iter()
            .enumerate()
            .map(|(i, (r, a, priority, stop_after))| {
                // Units are counted on items only.
                let a = if r["type"] == "buy_x_get_y" && a["type"] == "fees" { json!({"type": "order"}) } else { a };
                let mut c = combinable(i as i64 + 1, r, a);
                c.definition.priority = priority;
                c.definition.stop_after = stop_after && priority > 0;
                c
            })
            .collect();
        let run = |order: &mut dyn Iterator<Item = &Coupon>| {
            let candidates: Vec<Candidate> = order.map(found).collect();
            decide_stack(&candidates, &cart, now())
        };
        let s = run(&mut coupons.iter());
        let quoted: i64 = s.decisions.iter().filter_map(|d| d.quote.as_ref()).map(|q| q.discount).sum();
        if let Some(t) = &s.totals {
            prop_assert_eq!(t.discount, quoted);
            let spread: i64 = t.lines.iter().map(|l| l.discount).chain(t.fees.iter().map(|f| f.discount)).sum();
            prop_assert_eq!(spread, t.discount);
            for l in &t.lines {
                prop_assert!(l.discount >= 0 && l.total >= 0 && l.amount == l.discount + l.total);
            }
            for f in &t.fees {
                prop_assert!(f.discount >= 0 && f.total >= 0 && f.amount == f.discount + f.total);
            }
        }
        let backwards = run(&mut coupons.iter().rev());
        prop_assert_eq!(&backwards.totals, &s.totals);
        let refused = |s: &StackDecision| {
            let mut ids: Vec<i64> = s.decisions.iter().filter(|d| !d.valid()).map(|d| d.coupon_id).collect();
            ids.sort();
            ids
        };
        prop_assert_eq!(refused(&backwards), refused(&s));
    }
}
