//! Buy X get Y: the peers' reported bugs, each a test (a cart that qualifies twice, the maximum
//! ignored, amounts as percentages, two of them on one product, a line that changes), and
//! property tests of the unit arithmetic against a brute force.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::bxgy::{apply, missing, Units};
use super::decision::*;
use super::decision_tests::{cart, coupon, now, user};
use super::reasons::Reason;
use crate::coupons::definition::{BuyXGetY, Discounted, Percent};

fn bxgy(reward: Value, applies_to: Value) -> crate::coupons::Coupon {
    let mut r = json!({"type": "buy_x_get_y"});
    for (k, v) in reward.as_object().unwrap() {
        r[k] = v.clone();
    }
    coupon(json!({"reward": r, "applies_to": applies_to}))
}

fn shirts() -> Value {
    json!({"type": "items", "categories": ["Shirts"]})
}

/// `lines` of (sku, quantity, unit price, category).
fn cart_of(lines: &[(&str, i64, i64, &str)]) -> super::cart::Cart {
    let items: Vec<Value> = lines
        .iter()
        .map(|(sku, q, p, cat)| json!({"sku": sku, "quantity": q, "unit_price": p, "category": cat}))
        .collect();
    cart(json!({"currency": "INR", "items": items}))
}

#[test]
fn buy_one_get_one_frees_a_unit_each_time_the_cart_qualifies() {
    let c = bxgy(json!({"buy_quantity": 1, "get_quantity": 1}), shirts());
    let q = quote(&c.definition, &cart_of(&[("SHIRT", 2, 100_000, "Shirts"), ("HAT", 1, 50_000, "Hats")]));
    assert_eq!((q.applications, q.discount), (Some(1), 100_000));
    assert_eq!((q.lines[0].bought, q.lines[0].got, q.lines[1].eligible), (1, 1, false));
    assert_eq!(q.eligible, 200_000, "the hat is not among the units bought or got");
    // The cart qualifies twice: two units free, not one.
    let q = quote(&c.definition, &cart_of(&[("SHIRT", 5, 100_000, "Shirts")]));
    assert_eq!((q.applications, q.discount), (Some(2), 200_000));
    // A line that changes is decided again: one unit left, nothing to get.
    let d = decide(&c, None, &user(), &cart_of(&[("SHIRT", 1, 100_000, "Shirts")]), &Usage::default(), now());
    assert_eq!(d.refusals[0].reason, Reason::CartConditionsNotMet);
    assert!(d.refusals[0].message.contains("Needs 2 eligible units"), "{d:?}");
}

#[test]
fn the_maximum_per_order_holds() {
    let c = bxgy(json!({"buy_quantity": 2, "get_quantity": 1, "max_applications": 1}), shirts());
    let q = quote(&c.definition, &cart_of(&[("SHIRT", 9, 100_000, "Shirts")]));
    assert_eq!((q.applications, q.discount, q.lines[0].got), (Some(1), 100_000, 1));
}

#[test]
fn the_cheapest_units_are_got_unless_told_otherwise() {
    let lines = [("SHIRT-A", 2, 100_000, "Shirts"), ("SHIRT-B", 1, 40_000, "Shirts"), ("SHIRT-C", 1, 70_000, "Shirts")];
    let c = bxgy(json!({"buy_quantity": 1, "get_quantity": 1}), shirts());
    let q = quote(&c.definition, &cart_of(&lines));
    // Four units, two applications: the ₹400 and ₹700 shirts are free.
    assert_eq!((q.discount, q.lines[1].got, q.lines[2].got), (110_000, 1, 1));
    let c = bxgy(json!({"buy_quantity": 1, "get_quantity": 1, "discounted": "most_expensive"}), shirts());
    let q = quote(&c.definition, &cart_of(&lines));
    assert_eq!((q.discount, q.lines[0].got), (200_000, 2));
}

#[test]
fn a_percentage_is_of_the_units_got_never_an_amount() {
    // Buy 2, get 1 at 50% off: half of the cheapest unit, ₹125.50 of ₹251.
    let c = bxgy(json!({"buy_quantity": 2, "get_quantity": 1, "percent": 50}), json!({"type": "order"}));
    let q = quote(&c.definition, &cart_of(&[("A", 2, 30_000, "X"), ("B", 1, 25_100, "Y")]));
    assert_eq!((q.discount, q.lines[1].discount, q.lines[0].discount), (12_550, 12_550, 0));
}

#[test]
fn a_free_item_the_cart_lacks_is_asked_for_and_then_discounted() {
    let c = bxgy(json!({"buy_quantity": 2, "get_quantity": 1, "get_items": {"skus": ["SOCK-1"]}}), shirts());
    let two_shirts = cart_of(&[("SHIRT", 4, 100_000, "Shirts")]);
    let d = decide(&c, None, &user(), &two_shirts, &Usage::default(), now());
    assert!(d.valid(), "{d:?}");
    let q = d.quote.unwrap();
    assert_eq!((q.applications, q.discount), (Some(0), 0));
    assert_eq!(q.add_items, vec![super::bxgy::AddItem { sku: "SOCK-1".into(), quantity: 2, percent: 100 }]);
    // With one sock added, one is free and one more is asked for.
    let q = quote(&c.definition, &cart_of(&[("SHIRT", 4, 100_000, "Shirts"), ("SOCK-1", 1, 9_900, "Socks")]));
    assert_eq!((q.applications, q.discount, q.lines[1].got), (Some(1), 9_900, 1));
    assert_eq!(q.add_items[0].quantity, 1);
    assert_eq!(q.lines[0].bought, 2);
    // Without the shirts nothing is asked for.
    let d = decide(&c, None, &user(), &cart_of(&[("SHIRT", 1, 100_000, "Shirts")]), &Usage::default(), now());
    assert_eq!(d.refusals[0].reason, Reason::CartConditionsNotMet, "{d:?}");
}

#[test]
fn two_of_them_on_one_product_never_spend_a_unit_twice() {
    use super::stack::{decide_stack, Candidate, Facts};
    let mut a = bxgy(json!({"buy_quantity": 1, "get_quantity": 1, "max_applications": 1}), shirts());
    a.definition.stacking = crate::coupons::definition::Stacking::Combinable;
    let mut b = a.clone();
    b.id = 8;
    let found = |c: &crate::coupons::Coupon| {
        Candidate::Found(Box::new(Facts { coupon: c.clone(), code: None, user: user(), usage: Usage::default() }))
    };
    let two = cart_of(&[("SHIRT", 2, 100_000, "Shirts")]);
    let s = decide_stack(&[found(&a), found(&b)], &two, now());
    assert!(s.decisions[0].valid());
    assert_eq!(s.decisions[1].refusals[0].reason, Reason::CartConditionsNotMet, "{s:?}");
    let four = cart_of(&[("SHIRT", 4, 100_000, "Shirts")]);
    let s = decide_stack(&[found(&a), found(&b)], &four, now());
    let t = s.totals.clone().unwrap_or_else(|| panic!("both apply: {s:?}"));
    // Each frees a whole shirt: the second sees the units the first left at their full worth.
    assert_eq!((t.discount, t.lines[0].got, t.lines[0].bought), (200_000, 2, 2));
    assert_eq!(discounts(&s), vec![100_000, 100_000]);
    // After 10% off the order first (a higher priority), each frees 90% of a shirt.
    let mut ten = coupon(json!({"stacking": "combinable"}));
    (ten.id, ten.definition.priority) = (9, 1);
    let s = decide_stack(&[found(&a), found(&b), found(&ten)], &four, now());
    assert_eq!(discounts(&s), vec![90_000, 90_000, 40_000]);
}

fn discounts(s: &super::stack::StackDecision) -> Vec<i64> {
    s.decisions.iter().map(|d| d.quote.as_ref().map_or(-1, |q| q.discount)).collect()
}

#[test]
fn settings_are_checked_with_the_field() {
    let parse = |reward: Value, applies_to: Value| {
        let mut base: Value =
            serde_json::to_value(crate::coupons::input::CouponInput::from(&coupon(json!({})).definition)).unwrap();
        base["reward"] = reward;
        base["applies_to"] = applies_to;
        serde_json::from_value::<crate::coupons::input::CouponInput>(base).unwrap().parse().unwrap_err()
    };
    let e = parse(json!({"type": "buy_x_get_y", "get_quantity": 0, "percent": 101}), json!({"type": "order"}));
    for field in ["reward.buy_quantity", "reward.get_quantity", "reward.percent"] {
        assert!(e.get(field).is_some(), "{field}: {e:?}");
    }
    let e = parse(
        json!({"type": "buy_x_get_y", "buy_quantity": 1, "get_quantity": 1, "tiers": [{"from": 1, "percent": 5}]}),
        json!({"type": "fees", "names": ["shipping"]}),
    );
    assert!(e.get("reward.tiers").is_some() && e.get("applies_to.type").is_some(), "{e:?}");
    let e = parse(
        json!({"type": "buy_x_get_y", "buy_quantity": 1, "get_quantity": 1, "discounted": "random"}),
        json!({"type": "order"}),
    );
    assert!(e.get("reward.discounted").is_some(), "{e:?}");
}

#[test]
fn it_reads_back_as_it_was_written_and_in_words() {
    let c = bxgy(
        json!({"buy_quantity": 2, "get_quantity": 1, "percent": 50, "max_applications": 2,
               "discounted": "most_expensive", "get_items": {"categories": ["Socks"]}}),
        shirts(),
    );
    let input = crate::coupons::input::CouponInput::from(&c.definition);
    assert_eq!(input.parse().unwrap(), c.definition);
    let words = crate::coupons::summary::describe_definition(&c.definition);
    assert!(
        words.starts_with("buy 2 of Shirts, get 1 of Socks 50% off, the most expensive first, twice an order"),
        "{words}"
    );
}

fn arb_lines() -> impl Strategy<Value = Vec<Units>> {
    let line = (0i64..6, 0i64..6, 0i64..4_000, any::<bool>(), any::<bool>());
    proptest::collection::vec(line, 0..6).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(q, spent, price, buy, get)| {
                let free = (q - spent).max(0);
                Units { free, worth: free * price, buy, get }
            })
            .collect()
    })
}

fn arb_rule() -> impl Strategy<Value = BuyXGetY> {
    (1u32..4, 1u32..4, 1u8..=100, proptest::option::of(0u32..4), any::<bool>()).prop_map(|(buy, get, p, max, dear)| {
        BuyXGetY {
            buy,
            get,
            percent: Percent(p),
            get_items: None,
            max_applications: max,
            discounted: if dear { Discounted::MostExpensive } else { Discounted::Cheapest },
        }
    })
}

/// Whether `n` applications fit, by trying every split of the units in both sets.
fn fits(b: &BuyXGetY, lines: &[Units], n: i64) -> bool {
    let sum = |f: &dyn Fn(&Units) -> bool| lines.iter().filter(|l| f(l)).map(|l| l.free).sum::<i64>();
    let (buy_only, get_only, both) = (sum(&|l| l.buy && !l.get), sum(&|l| !l.buy && l.get), sum(&|l| l.buy && l.get));
    (0..=both).any(|x| n * i64::from(b.buy) <= buy_only + x && n * i64::from(b.get) <= get_only + both - x)
}

proptest! {
    #[test]
    fn units_are_spent_at_most_once_and_the_count_is_the_most_that_fits(b in arb_rule(), lines in arb_lines()) {
        let a = apply(&b, &lines);
        let n = a.applications;
        prop_assert!(fits(&b, &lines, n));
        let capped = b.max_applications.is_some_and(|m| n == i64::from(m));
        prop_assert!(capped || !fits(&b, &lines, n + 1), "{} more would fit", n + 1);
        prop_assert_eq!(a.bought.iter().sum::<i64>(), n * i64::from(b.buy));
        prop_assert_eq!(a.got.iter().sum::<i64>(), n * i64::from(b.get));
        for (i, l) in lines.iter().enumerate() {
            prop_assert!(a.bought[i] + a.got[i] <= l.free, "line {i} spends more units than it has");
            prop_assert!(a.bought[i] == 0 || l.buy);
            prop_assert!(a.got[i] == 0 || l.get);
            prop_assert!(a.discount[i] >= 0 && a.discount[i] <= l.worth);
            prop_assert!(a.got[i] > 0 || a.discount[i] == 0);
        }
        // Cheapest first: no unit got is worth more than a unit left on a line only got from.
        if b.discounted == Discounted::Cheapest {
            for (i, li) in lines.iter().enumerate().filter(|(i, _)| a.got[*i] > 0) {
                for (j, lj) in lines.iter().enumerate().filter(|(j, l)| l.get && !l.buy && a.got[*j] < l.free) {
                    prop_assert!(li.worth * lj.free <= lj.worth * li.free, "line {i} got before cheaper line {j}");
                }
            }
        }
    }

    #[test]
    fn adding_what_is_asked_for_gives_every_application_the_units_bought_allow(
        b in arb_rule(), lines in arb_lines(), buys in any::<bool>()
    ) {
        let k = missing(&b, &lines, buys);
        let mut more = lines.clone();
        more.push(Units { free: k, worth: k * 500, buy: buys, get: true });
        let bought = lines.iter().filter(|l| l.buy).map(|l| l.free).sum::<i64>() / i64::from(b.buy);
        let want = b.max_applications.map_or(bought, |m| bought.min(i64::from(m)));
        let with = apply(&b, &more).applications;
        prop_assert!(with >= want, "{} added give {} of {}", k, with, want);
        if k > 0 {
            let mut fewer = lines.clone();
            fewer.push(Units { free: k - 1, worth: 0, buy: buys, get: true });
            prop_assert!(apply(&b, &fewer).applications < want, "{} would have done", k - 1);
        }
    }
}
