//! The decision, setting by setting: each test builds a coupon through the real parser and
//! changes one thing.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::cart::{Cart, CartInput};
use super::decision::*;
use super::reasons::Reason;
use crate::coupons::input::CouponInput;
use crate::coupons::status::CouponStatus;
use crate::coupons::Coupon;

/// Tuesday 24 November 2026, 12:00 UTC (17:30 in Kolkata).
pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

const DAY_MS: i64 = 86_400_000;

/// A live 10%-off coupon on the order; `changes` replace top-level settings.
pub(super) fn coupon(changes: Value) -> Coupon {
    let mut base = json!({
        "name": "Ten off",
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": "all_users",
        "distribution": {"type": "static", "code": "TEN"},
        "activation": {"type": "time"},
        "expiry": {"type": "never"},
        "visibility": "visible",
        "stacking": "exclusive"
    });
    for (k, v) in changes.as_object().unwrap() {
        base[k] = v.clone();
    }
    let input: CouponInput = serde_json::from_value(base).unwrap();
    let definition = input.parse().unwrap_or_else(|e| panic!("test coupon is valid: {e}"));
    Coupon {
        id: 7,
        status: CouponStatus::Active,
        definition,
        version: 1,
        created_at: ms(now()) - 30 * DAY_MS,
        updated_at: ms(now()) - 30 * DAY_MS,
        live_since: Some(ms(now()) - 30 * DAY_MS),
    }
}

pub(super) fn cart(value: Value) -> Cart {
    serde_json::from_value::<CartInput>(value).unwrap().parse("cart").unwrap()
}

/// Shoes 2 × ₹1,500 and a shirt ₹999.99, shipping ₹40.
pub(super) fn shoes_cart() -> Cart {
    cart(json!({
        "currency": "INR",
        "items": [
            {"sku": "SHOE-1", "quantity": 2, "unit_price": 150000, "category": "Shoes", "attributes": {"brand": "Acme"}},
            {"sku": "SHIRT-9", "quantity": 1, "unit_price": 99999, "category": "Shirts", "attributes": {"brand": "Zed"}}
        ],
        "fees": {"shipping": 4000},
        "properties": {"payment_method": "upi"}
    }))
}

pub(super) fn user() -> UserFacts {
    UserFacts {
        user_id: "u1".into(),
        properties: json!({"city": "Mumbai", "language": "en"}).as_object().cloned().unwrap(),
        assignment: None,
    }
}

fn decide_simple(c: &Coupon) -> Decision {
    decide(c, None, &user(), &shoes_cart(), &Usage::default(), now())
}

pub(super) fn reasons(d: &Decision) -> Vec<Reason> {
    d.refusals.iter().map(|r| r.reason).collect()
}

#[test]
fn percent_off_the_order_spreads_over_lines() {
    let d = decide_simple(&coupon(json!({})));
    let q = d.quote.expect("valid");
    // 10% of 399,999 = 39,999.9 → 40,000.
    assert_eq!(q.eligible, 399_999);
    assert_eq!(q.discount, 40_000);
    assert_eq!(q.lines.iter().map(|l| l.discount).sum::<i64>(), 40_000);
    assert_eq!(q.lines[0].discount, 30_000);
    assert_eq!(q.lines[1].discount, 10_000);
    assert_eq!(q.lines[1].total, 89_999);
    assert_eq!(q.fees[0].discount, 0);
}

#[test]
fn max_discount_caps_percent() {
    let c = coupon(json!({"reward": {"type": "percent_off", "percent": 10, "max_discount": 20000}}));
    assert_eq!(decide_simple(&c).quote.unwrap().discount, 20_000);
}

#[test]
fn amount_off_never_exceeds_the_eligible_amount() {
    let c = coupon(json!({
        "reward": {"type": "amount_off", "amount": 500000},
        "applies_to": {"type": "items", "skus": ["shirt-9"]}
    }));
    let q = decide_simple(&c).quote.unwrap();
    assert_eq!(q.eligible, 99_999);
    assert_eq!(q.discount, 99_999);
    assert_eq!(q.lines[1].total, 0);
    assert_eq!(q.lines[0].discount, 0);
}

#[test]
fn items_by_category_and_attribute() {
    let by_category = coupon(json!({"applies_to": {"type": "items", "categories": ["shoes"]}}));
    assert_eq!(decide_simple(&by_category).quote.unwrap().eligible, 300_000);
    let by_attribute = coupon(json!({"applies_to": {"type": "items",
        "conditions": [{"property": "brand", "op": "eq", "value": "zed"}]}}));
    assert_eq!(decide_simple(&by_attribute).quote.unwrap().eligible, 99_999);
    let none = coupon(json!({"applies_to": {"type": "items", "categories": ["Hats"]}}));
    assert_eq!(reasons(&decide_simple(&none)), vec![Reason::NoEligibleItems]);
}

#[test]
fn free_shipping_takes_the_whole_fee() {
    let c = coupon(json!({
        "reward": {"type": "percent_off", "percent": 100},
        "applies_to": {"type": "fees", "names": ["shipping"]}
    }));
    let q = decide_simple(&c).quote.unwrap();
    assert_eq!(q.discount, 4000);
    assert_eq!(q.fees[0].total, 0);
    assert!(q.lines.iter().all(|l| l.discount == 0));
}

#[test]
fn cashback_fixed_and_percent_with_max() {
    let fixed = coupon(json!({"reward": {"type": "cashback", "points": 50}}));
    let q = decide_simple(&fixed).quote.unwrap();
    assert_eq!((q.discount, q.cashback), (0, 50));
    let percent = coupon(json!({"reward": {"type": "cashback", "percent": 5, "max_points": 300}}));
    assert_eq!(decide_simple(&percent).quote.unwrap().cashback, 300);
    let uncapped = coupon(json!({"reward": {"type": "cashback", "percent": 5}}));
    assert_eq!(decide_simple(&uncapped).quote.unwrap().cashback, 20_000);
}

#[test]
fn status_and_time_reasons() {
    let mut paused = coupon(json!({}));
    paused.status = CouponStatus::Paused;
    assert_eq!(reasons(&decide_simple(&paused)), vec![Reason::CouponNotActive]);
    let later = coupon(json!({"activation": {"type": "time", "from": "2026-12-01T00:00"}}));
    assert_eq!(reasons(&decide_simple(&later)), vec![Reason::NotStarted]);
    let past = coupon(json!({"expiry": {"type": "fixed", "at": "2026-11-24T17:00"}}));
    assert_eq!(reasons(&decide_simple(&past)), vec![Reason::Expired]);
    let window = coupon(json!({"window": {"start": "2026-10-20T00:00", "end": "2026-11-05T00:00"}}));
    assert_eq!(reasons(&decide_simple(&window)), vec![Reason::OutsideRedemptionWindow]);
    // 17:30 on a Tuesday in Kolkata: weekends only refuses, weekday evenings accept.
    let weekends = coupon(json!({"schedule": {"days": [{"day": "sat"}, {"day": "sun"}]}}));
    assert_eq!(reasons(&decide_simple(&weekends)), vec![Reason::OutsideSchedule]);
    let evenings =
        coupon(json!({"schedule": {"days": [{"day": "tue", "ranges": [{"start": "17:00", "end": "19:00"}]}]}}));
    assert!(decide_simple(&evenings).valid());
}

#[test]
fn relative_expiry_counts_from_assignment_or_activation() {
    let c = coupon(json!({
        "audience": "campaign",
        "expiry": {"type": "relative", "duration": {"value": 48, "unit": "hours"}, "relative_to": "assignment"}
    }));
    let mut u = user();
    assert_eq!(reasons(&decide(&c, None, &u, &shoes_cart(), &Usage::default(), now())), vec![Reason::NotInAudience]);
    u.assignment = Some(AssignmentFacts { assigned_at: ms(now()) - DAY_MS, activated_at: None, code_id: None });
    assert!(decide(&c, None, &u, &shoes_cart(), &Usage::default(), now()).valid());
    u.assignment = Some(AssignmentFacts { assigned_at: ms(now()) - 3 * DAY_MS, activated_at: None, code_id: None });
    assert_eq!(reasons(&decide(&c, None, &u, &shoes_cart(), &Usage::default(), now())), vec![Reason::Expired]);

    let by_event = coupon(json!({
        "activation": {"type": "event", "event": "app_installed"},
        "expiry": {"type": "relative", "duration": {"value": 14, "unit": "days"}, "relative_to": "activation"}
    }));
    let mut u = user();
    assert_eq!(
        reasons(&decide(&by_event, None, &u, &shoes_cart(), &Usage::default(), now())),
        vec![Reason::NotActivated]
    );
    u.assignment = Some(AssignmentFacts {
        assigned_at: ms(now()) - 20 * DAY_MS,
        activated_at: Some(ms(now()) - 13 * DAY_MS),
        code_id: None,
    });
    assert!(decide(&by_event, None, &u, &shoes_cart(), &Usage::default(), now()).valid());
    u.assignment.as_mut().unwrap().activated_at = Some(ms(now()) - 15 * DAY_MS);
    assert_eq!(reasons(&decide(&by_event, None, &u, &shoes_cart(), &Usage::default(), now())), vec![Reason::Expired]);
}

#[test]
fn targeting_and_qualifying_rules_name_what_failed() {
    let c = coupon(json!({
        "targeting": [{"property": "city", "op": "eq", "value": "Delhi"}],
        "qualifying": {
            "cart": [{"property": "subtotal", "op": "gte", "value": 500000},
                     {"property": "payment_method", "op": "eq", "value": "upi"}],
            "items": [{"property": "brand", "op": "eq", "value": "Nope"}]
        }
    }));
    let d = decide_simple(&c);
    assert_eq!(reasons(&d), vec![Reason::NotTargeted, Reason::CartConditionsNotMet]);
    assert!(d.refusals[0].message.contains("city is Delhi"));
    assert!(d.refusals[1].message.contains("subtotal ≥ ₹5,000"), "{}", d.refusals[1].message);
    assert!(!d.refusals[1].message.contains("payment_method"));
    assert!(d.refusals[1].message.contains("brand is Nope"));
    let early_bird =
        coupon(json!({"qualifying": {"cart": [{"property": "days_before_checkin", "op": "gte", "value": 30}]}}));
    let mut booking = shoes_cart();
    booking.properties.insert("days_before_checkin".into(), json!(45));
    assert!(decide(&early_bird, None, &user(), &booking, &Usage::default(), now()).valid());
    booking.properties.insert("days_before_checkin".into(), json!(10));
    assert!(decide(&early_bird, None, &user(), &booking, &Usage::default(), now()).has(Reason::CartConditionsNotMet));
}

#[test]
fn currency_must_match() {
    let c = coupon(json!({"currency": "USD"}));
    let d = decide_simple(&c);
    assert_eq!(reasons(&d), vec![Reason::CurrencyMismatch]);
    assert!(d.refusals[0].message.contains("USD"));
}

#[test]
fn limits_caps_and_budget() {
    let c = coupon(json!({"limits": {"per_user": 1, "global": 100, "budget_discount": 50000,
        "caps": [{"period": "day", "scope": "global", "limit": 5}]}}));
    let used = |user_uses, global_uses, discount_given, cap| Usage {
        user_uses,
        global_uses,
        discount_given,
        cashback_given: 0,
        cap_uses: vec![cap],
    };
    let run = |u: Usage| reasons(&decide(&c, None, &user(), &shoes_cart(), &u, now()));
    assert!(run(used(0, 99, 0, 4)).is_empty());
    assert_eq!(run(used(1, 0, 0, 0)), vec![Reason::PerUserLimitReached]);
    assert_eq!(run(used(0, 100, 0, 0)), vec![Reason::GlobalLimitReached]);
    // ₹400 discount on a ₹500 budget with ₹100.01 given: refused, not shrunk.
    assert_eq!(run(used(0, 0, 10_001, 0)), vec![Reason::BudgetExhausted]);
    assert!(run(used(0, 0, 10_000, 0)).is_empty());
    assert_eq!(run(used(0, 0, 0, 5)), vec![Reason::PeriodCapReached]);
    assert_eq!(
        run(used(1, 100, 50_000, 5)),
        vec![
            Reason::PerUserLimitReached,
            Reason::GlobalLimitReached,
            Reason::BudgetExhausted,
            Reason::PeriodCapReached
        ]
    );
}

#[test]
fn unique_codes_belong_to_one_user_and_are_used_once() {
    let c = coupon(json!({"distribution": {"type": "unique"}}));
    let code = |user_id: Option<&str>, status| CodeFacts {
        id: 1,
        code: "ABC-123".into(),
        kind: CodeKind::Unique,
        user_id: user_id.map(String::from),
        status,
        expires_at: None,
        batch_id: None,
    };
    let run = |code: Option<&CodeFacts>| reasons(&decide(&c, code, &user(), &shoes_cart(), &Usage::default(), now()));
    assert!(run(Some(&code(None, CodeStatus::Available))).is_empty());
    assert!(run(Some(&code(Some("u1"), CodeStatus::Assigned))).is_empty());
    assert_eq!(run(Some(&code(Some("u2"), CodeStatus::Assigned))), vec![Reason::CodeAssignedToOtherUser]);
    assert_eq!(run(Some(&code(None, CodeStatus::Redeemed))), vec![Reason::CodeAlreadyUsed]);
    assert_eq!(run(Some(&code(None, CodeStatus::Void))), vec![Reason::CodeNotFound]);
    assert_eq!(run(None), vec![Reason::CodeNotFound]);
    let mut expired = code(None, CodeStatus::Available);
    expired.expires_at = Some(ms(now()) - 1);
    assert_eq!(run(Some(&expired)), vec![Reason::Expired]);
}

#[test]
fn reasons_come_most_important_first() {
    let mut c = coupon(json!({"currency": "USD", "audience": "campaign", "limits": {"per_user": 1}}));
    c.status = CouponStatus::Draft;
    let u = Usage { user_uses: 1, ..Usage::default() };
    let d = decide(&c, None, &user(), &shoes_cart(), &u, now());
    assert_eq!(
        reasons(&d),
        vec![Reason::CouponNotActive, Reason::NotInAudience, Reason::CurrencyMismatch, Reason::PerUserLimitReached]
    );
    assert!(d.quote.is_none());
}

pub(super) fn arb_cart() -> impl Strategy<Value = Cart> {
    let item = (1i64..50, 0i64..10_000_000, prop_oneof![Just("Shoes"), Just("Hats")]);
    (proptest::collection::vec(item, 0..12), 0i64..100_000).prop_map(|(items, shipping)| {
        let items: Vec<Value> = items
            .into_iter()
            .enumerate()
            .map(|(i, (q, p, cat))| json!({"sku": format!("S{i}"), "quantity": q, "unit_price": p, "category": cat}))
            .collect();
        cart(json!({"currency": "INR", "items": items, "fees": {"shipping": shipping}}))
    })
}

pub(super) fn arb_reward() -> impl Strategy<Value = Value> {
    prop_oneof![
        (1u8..=100, proptest::option::of(0i64..5_000_000))
            .prop_map(|(p, max)| json!({"type": "percent_off", "percent": p, "max_discount": max})),
        (1i64..50_000_000).prop_map(|a| json!({"type": "amount_off", "amount": a})),
    ]
}

pub(super) fn arb_applies_to() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "order"})),
        Just(json!({"type": "items", "categories": ["Shoes"]})),
        Just(json!({"type": "fees", "names": ["shipping"]})),
    ]
}

proptest! {
    #[test]
    fn discounts_are_exact_and_bounded(cart in arb_cart(), reward in arb_reward(), applies_to in arb_applies_to()) {
        let c = coupon(json!({"reward": reward.clone(), "applies_to": applies_to}));
        let q = quote(&c.definition, &cart);
        let lines: i64 = q.lines.iter().map(|l| l.discount).sum();
        let fees: i64 = q.fees.iter().map(|f| f.discount).sum();
        prop_assert_eq!(lines + fees, q.discount);
        prop_assert!(q.discount >= 0 && q.discount <= q.eligible);
        for l in &q.lines {
            prop_assert!(l.discount >= 0 && l.total >= 0 && l.discount <= l.amount);
        }
        for f in &q.fees {
            prop_assert!(f.discount >= 0 && f.total >= 0);
        }
        if let Some(max) = reward["max_discount"].as_i64() {
            prop_assert!(q.discount <= max);
        }
        if let Some(p) = reward["percent"].as_i64() {
            let exact = i128::from(q.eligible) * i128::from(p);
            let half_up = ((exact + 50) / 100) as i64;
            prop_assert!(q.discount <= half_up);
            if reward["max_discount"].is_null() {
                prop_assert_eq!(q.discount, half_up);
            }
        }
    }
}
