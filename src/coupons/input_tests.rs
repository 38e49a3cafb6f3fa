//! One test per validation rule of the coupon parser: each names its field.

use serde_json::json;

use super::definition::*;
use super::input::CouponInput;
use super::summary::describe_definition;

/// A valid coupon using every section; each test breaks one thing.
fn full() -> serde_json::Value {
    json!({
        "name": "Weekend shoes",
        "description": "10% off shoes on weekends",
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10, "max_discount": 20000},
        "applies_to": {"type": "items", "categories": ["Shoes"], "skus": ["SKU-1"],
                       "conditions": [{"property": "color", "op": "eq", "value": "red"}]},
        "qualifying": {
            "user": [{"property": "city", "op": "eq", "value": "Mumbai"}],
            "items": [{"property": "brand", "op": "one_of", "value": ["Acme", "Zed"]}],
            "cart": [{"property": "subtotal", "op": "gte", "value": 50000}]
        },
        "audience": "all_users",
        "distribution": {"type": "static", "code": " weekend10 "},
        "activation": {"type": "time", "from": "2026-10-20T09:00"},
        "expiry": {"type": "fixed", "at": "2026-12-31T23:59"},
        "limits": {"per_user": 1, "global": 1000, "budget_discount": 10000000,
                   "caps": [{"period": "day", "scope": "global", "limit": 100},
                            {"period": "week", "scope": "per_user", "limit": 1}]},
        "window": {"start": "2026-10-20T00:00", "end": "2026-11-05T00:00"},
        "schedule": {"days": [{"day": "sun", "ranges": [{"start": "10:00", "end": "22:00"}]},
                              {"day": "sat", "ranges": [{"start": "10:00", "end": "22:00"}]}]},
        "visibility": "hidden",
        "targeting": [{"property": "language", "op": "one_of", "value": "en, hi"}],
        "stacking": "combinable"
    })
}

fn input(v: serde_json::Value) -> CouponInput {
    serde_json::from_value(v).expect("test input deserializes")
}

fn with(path: &[&str], value: serde_json::Value) -> CouponInput {
    let mut v = full();
    let mut at = &mut v;
    for key in &path[..path.len() - 1] {
        at = match key.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*key],
        };
    }
    at[path[path.len() - 1]] = value;
    input(v)
}

/// Parses, expecting failure, and returns the message for `field`.
fn error_at(input: CouponInput, field: &str) -> String {
    let errors = input.parse().expect_err("the input should be refused");
    match errors.get(field) {
        Some(m) => m.to_string(),
        None => panic!("no error at `{field}`; got {errors}"),
    }
}

#[test]
fn full_coupon_parses_with_every_section() {
    let d = input(full()).parse().expect("valid");
    assert_eq!(d.currency.code(), "INR");
    assert_eq!(d.time_zone, chrono_tz::Asia::Kolkata);
    assert_eq!(d.distribution, Distribution::Static { code: "WEEKEND10".into() });
    // Wall-clock times are read in the coupon's zone (IST = UTC+5:30).
    match d.activation {
        Activation::Time { from: Some(t) } => assert_eq!(t.to_rfc3339(), "2026-10-20T03:30:00+00:00"),
        other => panic!("{other:?}"),
    }
    let days: Vec<Day> = d.schedule.as_ref().unwrap().days.iter().map(|d| d.day).collect();
    assert_eq!(days, vec![Day::Sat, Day::Sun], "days are sorted");
    assert_eq!(d.limits.caps.len(), 2);
    assert_eq!(d.qualifying.items.len(), 1);
    assert_eq!(d.visibility, Visibility::Hidden);
    assert_eq!(d.stacking, Stacking::Combinable);
}

#[test]
fn definition_round_trips_through_input_and_storage() {
    let d = input(full()).parse().unwrap();
    assert_eq!(CouponInput::from(&d).parse().unwrap(), d);
    let stored = serde_json::to_string(&d).unwrap();
    assert_eq!(serde_json::from_str::<CouponDefinition>(&stored).unwrap(), d);
}

#[test]
fn summary_reads_like_the_product_promises() {
    let mut v = full();
    v["applies_to"] = json!({"type": "items", "categories": ["Shoes"]});
    v["qualifying"] = json!({});
    v["targeting"] = json!([]);
    v["window"] = json!(null);
    v["activation"] = json!({"type": "time"});
    v["expiry"] = json!({"type": "never"});
    v["limits"] = json!({"per_user": 1, "global": 1000});
    v["visibility"] = json!("visible");
    v["stacking"] = json!("exclusive");
    let s = describe_definition(&input(v).parse().unwrap());
    assert_eq!(
        s,
        "10% off up to ₹200 on Shoes, weekends 10:00–22:00 Asia/Kolkata, once per user, 1,000 in total, code WEEKEND10"
    );
}

#[test]
fn amounts_in_conditions_read_in_the_coupon_currency() {
    let mut v = full();
    v["qualifying"]["items"] = json!([{"property": "unit_price", "op": "lt", "value": 99950}]);
    let s = describe_definition(&input(v).parse().unwrap());
    assert!(s.contains("when cart subtotal ≥ ₹500,"), "{s}");
    assert!(s.contains("when an item has unit_price < ₹999.50,"), "{s}");
    // Other numbers stay numbers.
    assert!(s.contains("items where color is red"), "{s}");
}

#[test]
fn an_empty_input_names_every_required_field() {
    let errors = CouponInput::default().parse().unwrap_err();
    for field in ["name", "currency", "reward.type", "distribution.type"] {
        assert!(errors.get(field).is_some(), "missing error for {field}: {errors}");
    }
}

#[test]
fn defaults_fill_settings_most_coupons_keep() {
    let d = input(json!({
        "name": "Plain", "currency": "usd",
        "reward": {"type": "amount_off", "amount": 500},
        "distribution": {"type": "unique"}
    }))
    .parse()
    .unwrap();
    assert_eq!(d.time_zone, chrono_tz::UTC);
    assert_eq!(d.applies_to, AppliesTo::Order);
    assert_eq!(d.audience, Audience::AllUsers);
    assert_eq!(d.activation, Activation::Time { from: None });
    assert_eq!(d.expiry, Expiry::Never);
    assert_eq!(d.visibility, Visibility::Visible);
    assert_eq!(d.stacking, Stacking::Exclusive);
    assert_eq!(d.window, None);
    assert_eq!(d.schedule, None);
}

#[test]
fn name_is_required_and_bounded() {
    assert_eq!(error_at(with(&["name"], json!("   ")), "name"), "enter a name");
    assert!(error_at(with(&["name"], json!("x".repeat(121))), "name").contains("120"));
    assert!(error_at(with(&["description"], json!("x".repeat(2001))), "description").contains("2000"));
}

#[test]
fn currency_must_be_known() {
    assert!(error_at(with(&["currency"], json!("XYZ")), "currency").contains("XYZ"));
    assert_eq!(error_at(with(&["currency"], json!("")), "currency"), "choose a currency");
}

#[test]
fn time_zone_must_be_real() {
    assert!(error_at(with(&["time_zone"], json!("Mars/Olympus")), "time_zone").contains("IANA"));
}

#[test]
fn percent_is_from_1_to_100() {
    for bad in [0, 101, -5] {
        assert_eq!(error_at(with(&["reward", "percent"], json!(bad)), "reward.percent"), "must be from 1 to 100");
    }
    assert!(with(&["reward", "percent"], json!(100)).parse().is_ok());
    assert!(with(&["reward", "percent"], json!(1)).parse().is_ok());
    assert_eq!(error_at(with(&["reward", "percent"], json!(null)), "reward.percent"), "enter a percentage");
}

#[test]
fn max_discount_may_be_zero_never_negative() {
    assert!(with(&["reward", "max_discount"], json!(0)).parse().is_ok());
    assert_eq!(error_at(with(&["reward", "max_discount"], json!(-1)), "reward.max_discount"), "cannot be negative");
}

#[test]
fn amount_is_positive_minor_units() {
    let amount = |v| with(&["reward"], json!({"type": "amount_off", "amount": v}));
    assert_eq!(error_at(amount(json!(0)), "reward.amount"), "must be more than zero");
    assert_eq!(error_at(amount(json!(-100)), "reward.amount"), "must be more than zero");
    assert_eq!(error_at(amount(json!(null)), "reward.amount"), "enter an amount");
    assert_eq!(error_at(amount(json!(i64::MAX)), "reward.amount"), "amount is too large");
    assert!(amount(json!(50000)).parse().is_ok());
}

#[test]
fn cashback_is_fixed_points_or_percent_with_max() {
    let cashback = |v: serde_json::Value| {
        let mut v = v;
        v["type"] = json!("cashback");
        with(&["reward"], v)
    };
    let mut v = full();
    v["reward"] = json!({"type": "cashback", "percent": 5, "max_points": 300});
    v["limits"]["budget_discount"] = json!(null);
    let d = input(v).parse().unwrap();
    assert_eq!(d.reward, Reward::Cashback(Cashback::Percent { percent: Percent(5), max_points: Some(300) }));
    assert!(error_at(cashback(json!({"points": 10, "percent": 5})), "reward.points").contains("not both"));
    assert!(error_at(cashback(json!({})), "reward.points").contains("enter the points"));
    assert_eq!(error_at(cashback(json!({"points": 0})), "reward.points"), "must be more than zero");
    assert_eq!(error_at(cashback(json!({"percent": 500})), "reward.percent"), "must be from 1 to 100");
    assert_eq!(error_at(cashback(json!({"percent": 5, "max_points": -1})), "reward.max_points"), "cannot be negative");
    assert!(error_at(cashback(json!({"points": 5, "max_points": 10})), "reward.max_points").contains("percentage"));
}

#[test]
fn reward_type_must_be_known() {
    assert!(error_at(with(&["reward", "type"], json!("free_lunch")), "reward.type").contains("not one of"));
    assert_eq!(error_at(with(&["reward", "type"], json!("")), "reward.type"), "choose a reward");
}

#[test]
fn selected_items_need_a_selector() {
    let items = |v| with(&["applies_to"], v);
    assert!(error_at(items(json!({"type": "items"})), "applies_to.skus").contains("at least one"));
    assert_eq!(error_at(items(json!({"type": "items", "skus": ["A", " "]})), "applies_to.skus[1]"), "cannot be empty");
    assert!(error_at(
        items(json!({"type": "items", "conditions": [{"property": "color", "op": "gt", "value": "red"}]})),
        "applies_to.conditions[0].value"
    )
    .contains("number"));
    assert!(error_at(items(json!({"type": "everything"})), "applies_to.type").contains("not one of"));
}

#[test]
fn fees_need_valid_names() {
    let fees = |v| with(&["applies_to"], v);
    assert!(error_at(fees(json!({"type": "fees", "names": []})), "applies_to.names").contains("shipping"));
    assert!(error_at(fees(json!({"type": "fees", "names": ["ship ping"]})), "applies_to.names[0]").contains("letters"));
    assert!(fees(json!({"type": "fees", "names": ["shipping", "platform_fee"]})).parse().is_ok());
}

#[test]
fn conditions_are_checked_where_they_are() {
    let bad = json!([{"property": "", "op": "eq", "value": "x"}]);
    assert!(error_at(with(&["qualifying", "user"], bad.clone()), "qualifying.user[0].property").contains("property"));
    assert!(error_at(
        with(&["qualifying", "cart"], json!([{"property": "subtotal", "op": "gte", "value": "lots"}])),
        "qualifying.cart[0].value"
    )
    .contains("number"));
    assert!(error_at(
        with(&["qualifying", "items"], json!([{"property": "brand", "op": "nope"}])),
        "qualifying.items[0].value"
    )
    .contains("unknown operator"));
    assert!(
        error_at(with(&["targeting"], json!([{"property": "city", "op": ""}])), "targeting[0].op").contains("operator")
    );
    let many: Vec<_> = (0..51).map(|_| json!({"property": "a", "op": "exists"})).collect();
    assert!(error_at(with(&["targeting"], json!(many)), "targeting").contains("50"));
}

#[test]
fn audience_visibility_and_stacking_are_closed_sets() {
    assert!(error_at(with(&["audience"], json!("friends")), "audience").contains("not one of"));
    assert!(error_at(with(&["visibility"], json!("secret")), "visibility").contains("not one of"));
    assert!(error_at(with(&["stacking"], json!("always")), "stacking").contains("not one of"));
}

#[test]
fn static_code_is_3_to_64_allowed_characters() {
    let code = |c| with(&["distribution", "code"], c);
    assert_eq!(error_at(code(json!("AB")), "distribution.code"), "at least 3 characters");
    assert_eq!(error_at(code(json!("A".repeat(65))), "distribution.code"), "at most 64 characters");
    assert!(error_at(code(json!("SAVE 10")), "distribution.code").contains("not allowed"));
    assert_eq!(error_at(code(json!(null)), "distribution.code"), "enter a code");
}

#[test]
fn event_triggered_needs_an_event_name() {
    let dist = |v| with(&["distribution"], v);
    assert_eq!(error_at(dist(json!({"type": "event_triggered"})), "distribution.event"), "enter an event name");
    assert!(error_at(dist(json!({"type": "event_triggered", "event": "cart abandoned"})), "distribution.event")
        .contains("letters"));
    let d = dist(json!({"type": "event_triggered", "event": "cart_abandoned", "unique_codes": true})).parse().unwrap();
    assert_eq!(d.distribution, Distribution::EventTriggered { event: "cart_abandoned".into(), unique_codes: true });
}

#[test]
fn activation_is_a_time_or_an_event() {
    assert!(error_at(with(&["activation", "from"], json!("someday")), "activation.from").contains("date-time"));
    assert_eq!(error_at(with(&["activation"], json!({"type": "event"})), "activation.event"), "enter an event name");
    assert!(error_at(with(&["activation"], json!({"type": "magic"})), "activation.type").contains("not one of"));
}

#[test]
fn a_wall_clock_time_skipped_by_dst_is_refused() {
    let mut v = full();
    v["time_zone"] = json!("America/New_York");
    v["activation"] = json!({"type": "time", "from": "2026-03-08T02:30"});
    assert!(error_at(input(v), "activation.from").contains("does not exist"));
}

#[test]
fn fixed_expiry_comes_after_activation_and_window_start() {
    assert_eq!(
        error_at(with(&["expiry", "at"], json!("2026-10-01T00:00")), "expiry.at"),
        "must be after the activation time"
    );
    assert_eq!(error_at(with(&["expiry"], json!({"type": "fixed"})), "expiry.at"), "enter the expiry date-time");
    let mut v = full();
    v["activation"] = json!({"type": "time"});
    v["expiry"]["at"] = json!("2026-10-19T00:00");
    assert_eq!(error_at(input(v), "expiry.at"), "must be after the redemption window starts");
}

#[test]
fn relative_expiry_is_positive_and_counted_from_something_real() {
    let rel = |v| with(&["expiry"], v);
    assert_eq!(
        error_at(rel(json!({"type": "relative", "duration": {"value": 0, "unit": "days"}})), "expiry.duration.value"),
        "must be more than zero"
    );
    assert!(error_at(rel(json!({"type": "relative"})), "expiry.duration.value").contains("how long"));
    assert!(error_at(
        rel(json!({"type": "relative", "duration": {"value": 9999, "unit": "days"}})),
        "expiry.duration.value"
    )
    .contains("ten years"));
    assert!(error_at(
        rel(json!({"type": "relative", "duration": {"value": 2, "unit": "fortnights"}})),
        "expiry.duration.unit"
    )
    .contains("not one of"));
    // A coupon that is never assigned cannot count from assignment.
    assert!(error_at(
        rel(json!({"type": "relative", "duration": {"value": 48, "unit": "hours"}, "relative_to": "assignment"})),
        "expiry.relative_to"
    )
    .contains("assigned"));
    let mut v = full();
    v["audience"] = json!("campaign");
    v["expiry"] = json!({"type": "relative", "duration": {"value": 48, "unit": "hours"}, "relative_to": "assignment"});
    assert!(input(v).parse().is_ok());
}

#[test]
fn limits_and_caps_are_positive() {
    assert_eq!(error_at(with(&["limits", "per_user"], json!(0)), "limits.per_user"), "must be at least 1");
    assert_eq!(error_at(with(&["limits", "global"], json!(-3)), "limits.global"), "must be at least 1");
    assert_eq!(error_at(with(&["limits", "global"], json!(1u64 << 40)), "limits.global"), "is too large");
    assert_eq!(
        error_at(with(&["limits", "budget_discount"], json!(0)), "limits.budget_discount"),
        "must be more than zero"
    );
    let caps = |v| with(&["limits", "caps"], v);
    assert_eq!(error_at(caps(json!([{"period": "day", "limit": 0}])), "limits.caps[0].limit"), "must be at least 1");
    assert_eq!(error_at(caps(json!([{"period": "day"}])), "limits.caps[0].limit"), "enter a limit");
    assert!(error_at(caps(json!([{"period": "hour", "limit": 5}])), "limits.caps[0].period").contains("not one of"));
    assert!(error_at(caps(json!([{"period": "day", "scope": "team", "limit": 5}])), "limits.caps[0].scope")
        .contains("not one of"));
    assert!(error_at(
        caps(json!([{"period": "day", "limit": 5}, {"period": "day", "scope": "global", "limit": 9}])),
        "limits.caps[1].period"
    )
    .contains("already"));
}

#[test]
fn budgets_match_the_reward() {
    assert!(error_at(with(&["limits", "budget_cashback"], json!(100)), "limits.budget_cashback")
        .contains("cashback reward"));
}

#[test]
fn window_end_comes_after_start() {
    assert_eq!(error_at(with(&["window", "end"], json!("2026-10-19T00:00")), "window.end"), "must be after the start");
    assert!(error_at(with(&["window", "start"], json!("tomorrow")), "window.start").contains("date-time"));
    let d = with(&["window"], json!({"start": "", "end": ""})).parse().unwrap();
    assert_eq!(d.window, None, "an empty window is no window");
}

#[test]
fn schedule_ranges_are_well_formed() {
    let day = |ranges| with(&["schedule", "days"], json!([{"day": "mon", "ranges": ranges}]));
    assert!(error_at(day(json!([{"start": "25:00", "end": "26:00"}])), "schedule.days[0].ranges[0].start")
        .contains("HH:MM"));
    assert!(
        error_at(day(json!([{"start": "9:00", "end": "10:00"}])), "schedule.days[0].ranges[0].start").contains("HH:MM")
    );
    assert!(error_at(day(json!([{"start": "14:00", "end": "14:00"}])), "schedule.days[0].ranges[0].end")
        .contains("must differ from the start"));
    // An earlier end runs overnight; it may not overlap the day's other ranges.
    let overnight = day(json!([{"start": "22:00", "end": "02:00"}])).parse().unwrap();
    let range = overnight.schedule.unwrap().days[0].ranges[0];
    assert!(range.overnight());
    assert_eq!(range.label(), "22:00–02:00 (next day)");
    assert!(error_at(
        day(json!([{"start": "22:00", "end": "02:00"}, {"start": "23:00", "end": "23:30"}])),
        "schedule.days[0].ranges[1].start"
    )
    .contains("overlaps"));
    assert!(error_at(
        day(json!([{"start": "10:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}])),
        "schedule.days[0].ranges[1].start"
    )
    .contains("overlaps"));
    assert!(day(json!([{"start": "17:00", "end": "24:00"}])).parse().is_ok());
    assert!(
        error_at(with(&["schedule", "days"], json!([{"day": "funday"}])), "schedule.days[0].day").contains("not a day")
    );
    assert!(error_at(with(&["schedule", "days"], json!([{"day": "mon"}, {"day": "mon"}])), "schedule.days[1].day")
        .contains("twice"));
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut v = full();
    v["name"] = json!("");
    v["reward"]["percent"] = json!(0);
    v["limits"]["global"] = json!(0);
    let errors = input(v).parse().unwrap_err();
    assert!(
        errors.get("name").is_some() && errors.get("reward.percent").is_some() && errors.get("limits.global").is_some()
    );
}

#[test]
fn whole_numbers_in_conditions_read_back_as_typed() {
    let d = input(full()).parse().expect("valid");
    let back = CouponInput::from(&d);
    assert_eq!(back.qualifying.cart[0].value, json!(50000));
}

#[test]
fn each_kind_is_named_as_its_type_tag() {
    use crate::wire::Named;
    let tag = |v: serde_json::Value| v["type"].as_str().unwrap_or_default().to_string();
    let rewards = [
        Reward::PercentOff { percent: Percent(10), max_discount: None },
        Reward::AmountOff { amount: 100 },
        Reward::Cashback(Cashback::Fixed { points: 5 }),
        Reward::BuyXGetY(BuyXGetY {
            buy: 1,
            get: 1,
            percent: Percent(100),
            get_items: None,
            max_applications: None,
            discounted: Discounted::Cheapest,
        }),
    ];
    for r in rewards {
        assert_eq!(tag(serde_json::to_value(&r).unwrap()), r.kind().wire());
    }
    let applies = [
        AppliesTo::Order,
        AppliesTo::Items { skus: vec!["A".into()], categories: vec![], conditions: vec![] },
        AppliesTo::Fees { names: vec!["shipping".into()] },
    ];
    for a in applies {
        assert_eq!(tag(serde_json::to_value(&a).unwrap()), a.kind().wire());
    }
    let distributions = [
        Distribution::Static { code: "SAVE".into() },
        Distribution::Unique,
        Distribution::EventTriggered { event: "signup".into(), unique_codes: false },
    ];
    for d in distributions {
        assert_eq!(tag(serde_json::to_value(&d).unwrap()), d.kind().wire());
    }
    for a in [Activation::Time { from: None }, Activation::Event { event: "login".into() }] {
        assert_eq!(tag(serde_json::to_value(&a).unwrap()), a.kind().wire());
    }
    let relative = Expiry::Relative {
        duration: Duration { value: 1, unit: DurationUnit::Days },
        relative_to: ExpiryAnchor::Activation,
    };
    for x in [Expiry::Never, Expiry::Fixed { at: chrono::Utc::now() }, relative] {
        assert_eq!(tag(serde_json::to_value(&x).unwrap()), x.kind().wire());
    }
    assert_eq!(RewardKind::ALL.len(), 4, "every kind is listed");
    assert_eq!(Day::Wed.key(), "wed");
}

/// 10% off, 15% from ₹2,000, 20% from ₹5,000 (max ₹1,500) of the eligible amount.
fn tiered() -> serde_json::Value {
    json!({"type": "percent_off", "percent": 10, "tiers": [
        {"from": 200000, "percent": 15},
        {"from": 500000, "percent": 20, "max_discount": 150000}
    ]})
}

#[test]
fn tiers_are_steps_of_the_coupons_reward_type() {
    let d = with(&["reward"], tiered()).parse().expect("valid");
    let t = d.tiers.clone().expect("tiers");
    assert_eq!(t.basis, TierBasis::Amount);
    assert_eq!(
        t.steps[1],
        Tier { from: 500_000, reward: Reward::PercentOff { percent: Percent(20), max_discount: Some(150_000) } }
    );
    assert_eq!(CouponInput::from(&d).parse().unwrap(), d, "tiers round-trip through the input");
    let stored = serde_json::to_string(&d).unwrap();
    assert_eq!(serde_json::from_str::<CouponDefinition>(&stored).unwrap(), d);
    // Definitions stored before tiers existed read as flat rewards.
    let flat = input(full()).parse().unwrap();
    let mut old: serde_json::Value = serde_json::to_value(&flat).unwrap();
    assert!(old.get("tiers").is_none(), "a flat reward stores no tiers");
    old.as_object_mut().unwrap().remove("tiers");
    assert_eq!(serde_json::from_value::<CouponDefinition>(old).unwrap().tiers, None);
}

#[test]
fn tiers_need_rising_thresholds_and_valid_rewards() {
    let mut r = tiered();
    r["tiers"][1]["from"] = json!(200000);
    assert_eq!(error_at(with(&["reward"], r), "reward.tiers[1].from"), "must be above the tier before");
    let mut r = tiered();
    r["tiers"][0]["percent"] = json!(120);
    assert_eq!(error_at(with(&["reward"], r), "reward.tiers[0].percent"), "must be from 1 to 100");
    let mut r = tiered();
    r["tiers"][0]["from"] = json!(null);
    assert_eq!(error_at(with(&["reward"], r), "reward.tiers[0].from"), "enter where this tier starts");
    let mut r = tiered();
    r["tiers"][0]["from"] = json!(-5);
    assert_eq!(error_at(with(&["reward"], r), "reward.tiers[0].from"), "must be more than zero");
    // A tier gives the coupon's reward type: an amount-off coupon's tiers need amounts.
    let r = json!({"type": "amount_off", "amount": 10000, "tiers": [{"from": 100000, "percent": 15}]});
    assert_eq!(error_at(with(&["reward"], r), "reward.tiers[0].amount"), "enter an amount");
    let mut r = tiered();
    r["tier_basis"] = json!("weight");
    assert!(error_at(with(&["reward"], r), "reward.tier_basis").contains("amount, quantity"));
    let many: Vec<_> = (1..=21).map(|i| json!({"from": i * 1000, "percent": 10})).collect();
    let r = json!({"type": "percent_off", "percent": 5, "tiers": many});
    assert_eq!(error_at(with(&["reward"], r), "reward.tiers"), "at most 20 tiers");
}

#[test]
fn quantity_tiers_count_items_not_fees() {
    let mut r = tiered();
    r["tier_basis"] = json!("quantity");
    r["tiers"] = json!([{"from": 3, "percent": 15}, {"from": 5, "percent": 20}]);
    let on_fees = |mut v: serde_json::Value| {
        v["applies_to"] = json!({"type": "fees", "names": ["shipping"]});
        v["qualifying"]["items"] = json!([]);
        input(v)
    };
    let mut v = full();
    v["reward"] = r.clone();
    assert!(input(v.clone()).parse().is_ok());
    assert_eq!(error_at(on_fees(v), "reward.tier_basis"), "fees have no units to count: tier on the amount");
}

#[test]
fn summary_lists_each_tier() {
    let mut v = full();
    v["reward"] = tiered();
    v["applies_to"] = json!({"type": "order"});
    let s = describe_definition(&input(v.clone()).parse().unwrap());
    assert!(s.starts_with("10% off, 15% off from ₹2,000, 20% off up to ₹1,500 from ₹5,000,"), "{s}");
    v["reward"]["tier_basis"] = json!("quantity");
    v["reward"]["tiers"] = json!([{"from": 3, "percent": 15}]);
    let s = describe_definition(&input(v).parse().unwrap());
    assert!(s.starts_with("10% off, 15% off from 3 units,"), "{s}");
}

#[test]
fn priority_and_stop_after_order_a_stack() {
    let mut v = full();
    v["priority"] = json!(7);
    v["stop_after"] = json!(true);
    let d = input(v.clone()).parse().expect("valid");
    assert_eq!((d.priority, d.stop_after), (7, true));
    assert_eq!(CouponInput::from(&d).parse().unwrap(), d);
    assert!(
        describe_definition(&d).ends_with("combinable, priority 7, no coupon applies after it"),
        "{}",
        describe_definition(&d)
    );
    v["priority"] = json!(1001);
    assert_eq!(error_at(input(v.clone()), "priority"), "from −1000 to 1000");
    v["priority"] = json!(0);
    v["stacking"] = json!("exclusive");
    assert!(error_at(input(v), "stop_after").starts_with("an exclusive coupon is never combined"));
}
