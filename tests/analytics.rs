//! Analytics on SQLite and PostgreSQL: the rollups, read back in any zone and range, equal a
//! recount of the raw rows (random redemptions, stacks and reversals across DST changes); the
//! pages' server functions and the API answer them; the CSV export streams the redemptions with
//! cells a spreadsheet will not run.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use common::TestApp;
use couponry::accounts::audit::Actor;
use couponry::analytics::server::{CountRedeemers, CouponAnalytics, OverviewAnalytics};
use couponry::analytics::{report, Figures, PeriodInput, Report};
use couponry::db::Db;
use couponry::redemption::attempts::Attempts;
use couponry::redemption::cart::CartInput;
use couponry::redemption::store::{self as redemptions, RedeemOutcome, Replayable, Request, Target};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn coupon(name: &str, zone: &str, changes: Value) -> Value {
    let mut base = json!({
        "name": name,
        "currency": "INR",
        "time_zone": zone,
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": "all_users",
        "distribution": {"type": "static", "code": name.to_uppercase()},
        "activation": {"type": "time", "from": "2026-09-01T00:00:00Z"},
        "expiry": {"type": "never"},
        "visibility": "visible",
        "stacking": "combinable"
    });
    for (k, v) in changes.as_object().expect("an object") {
        base[k] = v.clone();
    }
    base
}

fn cart(rng: &mut StdRng) -> couponry::redemption::cart::Cart {
    let input: CartInput = serde_json::from_value(json!({
        "currency": "INR",
        "items": [{"sku": "A", "quantity": rng.gen_range(1..4), "unit_price": rng.gen_range(100..5000) * 100}]
    }))
    .expect("cart input");
    input.parse("cart").expect("a valid cart")
}

/// A raw redemption, as stored.
#[derive(Debug, sqlx::FromRow)]
struct Raw {
    coupon_id: i64,
    user_id: String,
    discount: i64,
    cashback: i64,
    status: String,
    redeemed_at: i64,
    reversed_at: Option<i64>,
}

/// The figures recounted from the raw rows, timestamp by timestamp, in the period's zone.
struct Recount {
    figures: Figures,
    /// People with a redemption in the range not reversed since, each once.
    redeemers: i64,
    days: BTreeMap<NaiveDate, (i64, i64, i64)>,
    heat: Vec<Vec<i64>>,
}

async fn recount(db: &Db, coupon: Option<i64>, from: NaiveDate, to: NaiveDate, tz: Tz) -> Recount {
    let raws: Vec<Raw> = sqlx::query_as(
        "SELECT coupon_id, user_id, discount, cashback, status, redeemed_at, reversed_at FROM redemptions ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .expect("redemptions");
    let assignments: Vec<(i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT coupon_id, assigned_at, activated_at FROM assignments")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let day_of = |ms: i64| tz.timestamp_millis_opt(ms).unwrap().date_naive();
    let inside = |ms: i64| (from..=to).contains(&day_of(ms));
    let mine = |c: i64| coupon.is_none_or(|id| id == c);
    let mut r =
        Recount { figures: Figures::default(), redeemers: 0, days: BTreeMap::new(), heat: vec![vec![0; 24]; 7] };
    let mut people: BTreeSet<&str> = BTreeSet::new();
    let mut discount = 0;
    let mut cashback = 0;
    let mut first: BTreeMap<(i64, String), i64> = BTreeMap::new();
    let mut first_any: BTreeMap<String, i64> = BTreeMap::new();
    for x in &raws {
        let f = first.entry((x.coupon_id, x.user_id.clone())).or_insert(x.redeemed_at);
        *f = (*f).min(x.redeemed_at);
        let f = first_any.entry(x.user_id.clone()).or_insert(x.redeemed_at);
        *f = (*f).min(x.redeemed_at);
        if !mine(x.coupon_id) {
            continue;
        }
        if x.status == "redeemed" && inside(x.redeemed_at) {
            r.figures.redemptions += 1;
            people.insert(&x.user_id);
            discount += x.discount;
            cashback += x.cashback;
            let day = r.days.entry(day_of(x.redeemed_at)).or_default();
            day.0 += 1;
            day.2 += x.discount;
            let local = tz.timestamp_millis_opt(x.redeemed_at).unwrap();
            r.heat[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
        }
        if let Some(back) = x.reversed_at.filter(|b| inside(*b)) {
            r.figures.reversals += 1;
            r.days.entry(day_of(back)).or_default().1 += 1;
        }
    }
    r.redeemers = people.len() as i64;
    r.figures.unique_redeemers = match coupon {
        Some(id) => first.iter().filter(|((c, _), at)| *c == id && inside(**at)).count() as i64,
        None => first_any.values().filter(|at| inside(**at)).count() as i64,
    };
    for (c, assigned, activated) in assignments {
        if mine(c) {
            r.figures.assignments += i64::from(inside(assigned));
            r.figures.activations += i64::from(activated.is_some_and(inside));
        }
    }
    r.figures.discount_given = vec![couponry::analytics::Amount { currency: "INR".into(), minor: discount }];
    r.figures.cashback_given = vec![couponry::analytics::Amount { currency: "INR".into(), minor: cashback }];
    r
}

fn assert_matches(report: &Report, expected: &Recount, what: &str) {
    let got = &report.current;
    let e = &expected.figures;
    assert_eq!(
        (got.assignments, got.activations, got.redemptions, got.reversals, got.unique_redeemers),
        (e.assignments, e.activations, e.redemptions, e.reversals, e.unique_redeemers),
        "{what}: counts"
    );
    let minor = |v: &[couponry::analytics::Amount]| v.iter().map(|a| a.minor).sum::<i64>();
    assert_eq!(minor(&got.discount_given), minor(&e.discount_given), "{what}: discount");
    assert_eq!(minor(&got.cashback_given), minor(&e.cashback_given), "{what}: cashback");
    assert_eq!(report.heat, expected.heat, "{what}: heat map");
    for day in &report.days {
        let (n, back, minor) = expected.days.get(&day.date).copied().unwrap_or_default();
        let d = day.discount.iter().sum::<i64>();
        assert_eq!((day.redemptions, day.reversals, d), (n, back, minor), "{what}: {}", day.date);
    }
}

on_both!(rollups_equal_recounts_in_every_zone, |app: TestApp| async move {
    let app = app;
    let mut rng = StdRng::seed_from_u64(7);
    let kolkata = app.live_coupon(coupon("Kolkata", "Asia/Kolkata", json!({}))).await;
    let berlin =
        app.live_coupon(coupon("Berlin", "Europe/Berlin", json!({"reward": {"type": "cashback", "percent": 5}}))).await;
    let york = app
        .live_coupon(coupon("York", "America/New_York", json!({"reward": {"type": "amount_off", "amount": 5000}})))
        .await;
    let ids = [kolkata, berlin, york];
    let codes = ["KOLKATA", "BERLIN", "YORK"];
    let actor = Actor::system();
    // From a week before Europe's clocks go back (25 October) to after America's (1 November).
    let mut at: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 10, 18, 20, 0, 0).unwrap();
    let end = Utc.with_ymd_and_hms(2026, 11, 4, 0, 0, 0).unwrap();
    let mut made: Vec<i64> = Vec::new();
    let mut order = 0;
    while at < end {
        at += Duration::minutes(rng.gen_range(1..240));
        order += 1;
        if order % 25 == 0 {
            // The scheduler's tick folds now and then, so later writes (and reversals of
            // redemptions counted there already) change rows folded before.
            app.fold().await;
        }
        if !made.is_empty() && rng.gen_range(0..6) == 0 {
            let id = made[rng.gen_range(0..made.len())];
            redemptions::reverse(&app.db, id, None, &actor, at).await.expect("reversed");
            continue;
        }
        let n = if rng.gen_range(0..5) == 0 { 2 } else { 1 };
        let first = rng.gen_range(0..3);
        let targets: Vec<Target> = (0..n).map(|k| Target::Code(codes[(first + k) % 3].into())).collect();
        let request = Request {
            user_id: format!("u{}", rng.gen_range(0..12)),
            targets,
            cart: cart(&mut rng),
            order_id: Some(format!("o{order}")),
            metadata: Default::default(),
        };
        match redemptions::redeem(&app.db, &request, None, &Attempts::none(), at).await.expect("redeem") {
            Replayable::Fresh(RedeemOutcome::Redeemed { redemptions, .. }) => made.push(redemptions[0].id),
            other => panic!("refused: {other:?}"),
        }
    }
    assert!(made.len() > 100, "{} redemptions", made.len());
    app.fold().await;
    let now = Utc::now().timestamp_millis();
    for zone in ["Asia/Kolkata", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "UTC"] {
        let tz: Tz = zone.parse().unwrap();
        for (from, to) in [("2026-10-17", "2026-11-05"), ("2026-10-25", "2026-10-25"), ("2026-11-01", "2026-11-02")] {
            let asked = PeriodInput { from: Some(from.into()), to: Some(to.into()), zone: Some(zone.into()) };
            let period = asked.resolve("UTC", Utc::now()).expect("a period");
            let overview = report::overview(&app.db, &period, now).await.expect("overview");
            let expected = recount(&app.db, None, period.from, period.to, tz).await;
            assert_matches(&overview, &expected, &format!("all coupons, {zone} {from}..{to}"));
            let people = report::redeemers(&app.db, None, period.bounds_ms()).await.expect("redeemers");
            assert_eq!(people, expected.redeemers, "all coupons, {zone} {from}..{to}: redeemers");
            for id in ids {
                let c = couponry::coupons::store::get(&app.db, id).await.unwrap();
                let one = report::coupon(&app.db, &c, &period, now).await.expect("coupon report");
                let expected = recount(&app.db, Some(id), period.from, period.to, tz).await;
                assert_matches(&one, &expected, &format!("coupon {id}, {zone} {from}..{to}"));
                let people = report::redeemers(&app.db, Some(id), period.bounds_ms()).await.expect("redeemers");
                assert_eq!(people, expected.redeemers, "coupon {id}, {zone} {from}..{to}: redeemers");
            }
        }
    }
    // The top coupons add up to the overview's redemptions.
    let asked = PeriodInput { from: Some("2026-10-17".into()), to: Some("2026-11-05".into()), zone: None };
    let period = asked.resolve("UTC", Utc::now()).unwrap();
    let overview = report::overview(&app.db, &period, now).await.unwrap();
    assert_eq!(overview.top.iter().map(|t| t.redemptions).sum::<i64>(), overview.current.redemptions);
    let previous = report::overview(&app.db, &overview.previous, now).await.unwrap();
    let key = |f: &Figures| (f.redemptions, f.reversals, f.unique_redeemers, f.assignments, f.codes_issued);
    assert_eq!(key(&overview.before), key(&previous.current), "the comparison is the period before");
});

on_both!(campaign_assignments_and_batches_are_counted, |app: TestApp| async move {
    app.login_admin().await;
    let api = app.api().await;
    let id = app
        .live_coupon(coupon(
            "Welcome",
            "Asia/Kolkata",
            json!({"audience": "campaign", "distribution": {"type": "unique"}}),
        ))
        .await;
    let (s, batch) =
        api.post(&format!("/coupons/{id}/codes/generate"), &json!({"count": 20, "pattern": "WEL-######"})).await;
    assert_eq!(s, StatusCode::CREATED, "{batch}");
    for i in 0..8 {
        let (s, _) = api.put(&format!("/users/w{i}"), &json!({"properties": {"city": "Pune"}})).await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, segment) = api.post("/segments", &json!({"name": "Everyone", "rule": {"join": "all", "groups": []}})).await;
    assert_eq!(s, StatusCode::CREATED, "{segment}");
    let (s, campaign) =
        api.post("/campaigns", &json!({"name": "Welcome all", "coupon_id": id, "segment_id": segment["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{campaign}");
    let (s, redeemed) = api
        .post(
            "/redemptions",
            &json!({"user_id": "w3", "coupon_id": id, "order_id": "o1",
                    "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 100000}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{redeemed}");

    app.fold().await;
    let (s, report) = app.call_json::<CouponAnalytics>(&json!({"id": id, "period": {}})).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let figures = &report["current"];
    assert_eq!(figures["codes_issued"], json!(20), "{figures}");
    assert_eq!(figures["assignments"], json!(8));
    assert_eq!(figures["redemptions"], json!(1));
    assert_eq!(figures["unique_redeemers"], json!(1));
    assert_eq!(figures["redemption_rate"], json!(0.125));
    assert_eq!(report["batches"][0]["assigned"], json!(8), "{}", report["batches"]);
    assert_eq!(report["batches"][0]["redeemed"], json!(1));
    assert!(report["charts"]["daily"].as_str().unwrap().contains("\"series\""));

    // A redeemer of a coupon open to everyone is not part of any funnel.
    app.live_coupon(coupon("Open", "Asia/Kolkata", json!({}))).await;
    let (s, open) = api
        .post(
            "/redemptions",
            &json!({"user_id": "walk-in", "code": "OPEN", "order_id": "o2",
                    "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 100000}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{open}");

    let (s, overview) = app.call_json::<OverviewAnalytics>(&json!({"period": {"zone": "Mars/Base"}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{overview}");
    assert!(common::field_error(&overview, "zone").is_some(), "{overview}");
    app.fold().await;
    let (s, overview) = app.call_json::<OverviewAnalytics>(&json!({"period": {}})).await;
    assert_eq!(s, StatusCode::OK, "{overview}");
    assert_eq!(overview["period"]["zone"], json!("Asia/Kolkata"), "the zone coupons use");
    assert_eq!(overview["top"][0]["id"], json!(id));
    assert_eq!(overview["current"]["unique_redeemers"], json!(2));
    assert_eq!(overview["current"]["redemption_rate"], json!(0.125), "{}", overview["current"]);
    // Redeemers, each once, now and in the period before: asked apart from the report.
    let (s, people) = app.call_json::<CountRedeemers>(&json!({"coupon_id": id, "period": {}})).await;
    assert_eq!((s, people), (StatusCode::OK, json!([1, 0])));
    let (s, people) = app.call_json::<CountRedeemers>(&json!({"coupon_id": null, "period": {}})).await;
    assert_eq!((s, people), (StatusCode::OK, json!([2, 0])));
    let (s, _) = app.call_json::<CountRedeemers>(&json!({"coupon_id": null, "period": {"zone": "Mars/Base"}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
});

on_both!(redemptions_export_streams_safe_csv, |app: TestApp| async move {
    let id = app.live_coupon(coupon("Export", "Asia/Kolkata", json!({}))).await;
    let api = app.api().await;
    for (i, user) in ["=HYPERLINK(\"http://evil\")", "+91 phone", "plain"].into_iter().enumerate() {
        let (s, body) = api
            .post(
                "/redemptions",
                &json!({"user_id": user, "code": "EXPORT", "order_id": format!("@order-{i}"),
                        "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 100000}]}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let path = format!("/coupons/{id}/redemptions.csv");
    assert_eq!(app.get(&path).await.0, StatusCode::UNAUTHORIZED, "needs a session");
    app.login_admin().await;
    let (s, csv) = app.get(&path).await;
    assert_eq!(s, StatusCode::OK, "{csv}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("redemption_id,redeemed_at,user_id,order_id,code"), "{csv}");
    assert!(lines[1].contains(",\"'=HYPERLINK(\"\"http://evil\"\")\",'@order-0,EXPORT,INR,100,0,redeemed,,"), "{csv}");
    assert!(lines[2].contains(",'+91 phone,'@order-1,"), "{csv}");
    assert!(lines[1].contains("+05:30"), "times in the coupon's zone: {csv}");
    let (s, empty) = app.get(&format!("{path}?from=2026-01-01&to=2026-01-31")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(empty.lines().count(), 1, "only the header: {empty}");
    let (s, _) = app.get(&format!("{path}?from=2026-02-30")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // The coupon's page shows its redemptions in its own zone, with UTC on hover.
    let (s, page) = app.get(&format!("/coupons/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    let shown = regex::Regex::new(r#"<time datetime="[0-9T:-]+Z" title="[0-9: -]+ UTC">[0-9: -]+ IST</time>"#).unwrap();
    assert!(shown.is_match(&page), "no time in the coupon's zone: {page}");
    // Across coupons: every coupon's redemptions, each line naming its coupon first.
    let other = app.live_coupon(coupon("Other", "UTC", json!({}))).await;
    let (s, body) = api
        .post(
            "/redemptions",
            &json!({"user_id": "plain", "code": "OTHER",
                    "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 100000}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, all) = app.get("/analytics/redemptions.csv").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 5, "{all}");
    assert!(lines[0].starts_with("coupon_id,coupon,redemption_id,redeemed_at,user_id"), "{all}");
    assert!(lines[1].starts_with(&format!("{id},Export,")), "{all}");
    assert!(lines[4].starts_with(&format!("{other},Other,")), "in time order: {all}");
    let analyst = app.browser_as("analyst").await;
    assert_eq!(analyst.get("/analytics/redemptions.csv").await.0, StatusCode::OK, "analysts may read it");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_data_fills_a_fresh_database_once() {
    let app = TestApp::spawn(common::Flavor::Sqlite).await;
    let now = Utc::now();
    let filled = couponry::analytics::demo::fill(&app.db, now).await.expect("demo data").expect("a fresh database");
    assert_eq!(filled.users, 1200);
    assert!(filled.redemptions > 3000, "{filled:?}");
    assert!(filled.reversals > 20, "{filled:?}");
    assert!(couponry::analytics::demo::fill(&app.db, now).await.expect("second run").is_none(), "only once");
    let asked = PeriodInput { from: None, to: None, zone: Some("Asia/Kolkata".into()) };
    let period = asked.resolve("UTC", now).unwrap();
    let overview = report::overview(&app.db, &period, now.timestamp_millis()).await.unwrap();
    let expected = recount(&app.db, None, period.from, period.to, "Asia/Kolkata".parse().unwrap()).await;
    assert_matches(&overview, &expected, "demo overview");
    let top: Vec<&str> = overview.top.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(top.len(), 8, "each of the eight use cases was redeemed this month: {top:?}");
    assert!(app.count("assignments").await > 100, "the campaign and the abandoned carts assigned codes");
    // What stops people has something true to show: validations, and refusals for reasons the
    // use cases make (a card instead of UPI, a trip booked too late, a code typed wrong).
    assert!(overview.current.validations > overview.current.valid_validations, "{:?}", overview.current);
    let reasons: Vec<&str> = overview.refusals.iter().map(|r| r.reason.as_str()).collect();
    for reason in ["cart_conditions_not_met", "code_not_found", "per_user_limit_reached"] {
        assert!(reasons.contains(&reason), "{reason} in {reasons:?}");
    }
}

on_both!(currencies_are_never_added_together, |app: TestApp| async move {
    app.live_coupon(coupon("Rupees", "Asia/Kolkata", json!({}))).await;
    let dollars = app.live_coupon(coupon("Dollars", "America/New_York", json!({"currency": "USD"}))).await;
    let api = app.api().await;
    for (code, currency, price) in [("RUPEES", "INR", 100_000), ("DOLLARS", "USD", 5_000), ("DOLLARS", "USD", 7_000)] {
        let (s, body) = api
            .post(
                "/redemptions",
                &json!({"user_id": format!("c{price}"), "code": code, "order_id": format!("o{price}"),
                        "cart": {"currency": currency, "items": [{"sku": "A", "quantity": 1, "unit_price": price}]}}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let period = PeriodInput::default().resolve("UTC", Utc::now()).unwrap();
    let now = Utc::now().timestamp_millis();
    app.fold().await;
    let all = report::overview(&app.db, &period, now).await.unwrap();
    let given: Vec<(String, i64)> = all.current.discount_given.iter().map(|a| (a.currency.clone(), a.minor)).collect();
    assert_eq!(given, vec![("INR".into(), 10_000), ("USD".into(), 1_200)], "most discount first");
    assert_eq!(all.current.redemptions, 3);
    let today = all.days.last().unwrap();
    assert_eq!(today.discount, vec![10_000, 1_200]);
    let usd = couponry::coupons::store::get(&app.db, dollars).await.unwrap();
    let one = report::coupon(&app.db, &usd, &period, now).await.unwrap();
    assert_eq!(one.current.discount_given, vec![couponry::analytics::Amount { currency: "USD".into(), minor: 1_200 }]);
    assert_eq!(one.current.redemptions, 2);

    // A coupon moved to another currency takes its history along, across coupons too.
    let mut euros = usd.definition.clone();
    euros.currency = couponry::money::Currency::parse("EUR").unwrap();
    couponry::coupons::store::update(&app.db, &Actor::system(), dollars, None, &euros).await.unwrap();
    app.fold().await;
    let all = report::overview(&app.db, &period, now).await.unwrap();
    let given: Vec<(String, i64)> = all.current.discount_given.iter().map(|a| (a.currency.clone(), a.minor)).collect();
    assert_eq!(given, vec![("INR".into(), 10_000), ("EUR".into(), 1_200)]);
});

on_both!(reports_beside_concurrent_writes_stay_exact, |app: TestApp| async move {
    let ids = [
        app.live_coupon(coupon("Alpha", "Asia/Kolkata", json!({}))).await,
        app.live_coupon(coupon("Beta", "Europe/Berlin", json!({"reward": {"type": "cashback", "percent": 5}}))).await,
    ];
    let now = Utc::now();
    let period = PeriodInput::default().resolve("UTC", now).expect("a period");
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4u64)
        .map(|w| {
            let db = app.db.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(w);
                let mut made = Vec::new();
                for i in 0..40 {
                    let at = now - Duration::minutes(rng.gen_range(0..4000));
                    if !made.is_empty() && rng.gen_range(0..4) == 0 {
                        let id = made[rng.gen_range(0..made.len())];
                        redemptions::reverse(&db, id, None, &Actor::system(), now).await.expect("reversed");
                        continue;
                    }
                    let codes = if rng.gen_range(0..4) == 0 { vec!["ALPHA", "BETA"] } else { vec!["ALPHA"] };
                    let request = Request {
                        user_id: format!("u{}", rng.gen_range(0..15)),
                        targets: codes.into_iter().map(|c| Target::Code(c.into())).collect(),
                        cart: cart(&mut rng),
                        order_id: Some(format!("w{w}-{i}")),
                        metadata: Default::default(),
                    };
                    match redemptions::redeem(&db, &request, None, &Attempts::none(), at).await.expect("redeem") {
                        Replayable::Fresh(RedeemOutcome::Redeemed { redemptions, .. }) => made.push(redemptions[0].id),
                        other => panic!("refused: {other:?}"),
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, done, period) = (app.db.clone(), done.clone(), period.clone());
            tokio::spawn(async move {
                let mut reads = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                    // Each reader is also a server whose tick folds, beside the writers.
                    couponry::activity::derived::refresh(&db).await.expect("fold");
                    report::overview(&db, &period, now.timestamp_millis()).await.expect("overview");
                    reads += 1;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        r.await.expect("reader");
    }
    let tz: Tz = "UTC".parse().unwrap();
    app.fold().await;
    let overview = report::overview(&app.db, &period, now.timestamp_millis()).await.unwrap();
    assert_matches(&overview, &recount(&app.db, None, period.from, period.to, tz).await, "all coupons");
    let top: BTreeMap<i64, i64> = overview.top.iter().map(|t| (t.id, t.redemptions)).collect();
    for id in ids {
        let c = couponry::coupons::store::get(&app.db, id).await.unwrap();
        let one = report::coupon(&app.db, &c, &period, now.timestamp_millis()).await.unwrap();
        assert_matches(&one, &recount(&app.db, Some(id), period.from, period.to, tz).await, "one coupon");
        assert_eq!(top.get(&id).copied().unwrap_or(0), one.current.redemptions, "top coupons read from days");
    }
});

/// Redeems `code` once for `user` through the API.
async fn redeem_once(api: &common::Api, code: &str, user: &str) {
    let (s, body) = api
        .post(
            "/redemptions",
            &json!({"user_id": user, "code": code, "order_id": format!("{code}-{user}"),
                    "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 100_000}]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

on_both!(charts_follow_redemptions_within_a_few_ticks, |app: TestApp| async move {
    // The app under test has no tick; a second server on the same database has one, as any
    // server of a deployment does. Reports only read: the tick folds.
    let ticking =
        TestApp::spawn_with_database(&app, |c| c.scheduler_tick = Some(std::time::Duration::from_millis(100))).await;
    app.live_coupon(coupon("Ticked", "UTC", json!({}))).await;
    let api = app.api().await;
    redeem_once(&api, "TICKED", "t1").await;
    redeem_once(&api, "TICKED", "t2").await;
    let period = PeriodInput::default().resolve("UTC", Utc::now()).unwrap();
    let started = std::time::Instant::now();
    loop {
        let overview = report::overview(&app.db, &period, Utc::now().timestamp_millis()).await.unwrap();
        if overview.current.redemptions == 2 && overview.top.first().is_some_and(|t| t.redemptions == 2) {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "not folded: {:?}", overview.current);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(ticking);
});

/// With `COUPONRY_READ_DATABASE_URL`, reports read the replica and everything else the primary.
/// The "replica" here is a second database that received the same kind of writes, but not the
/// same ones: what a report shows tells which database it read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_read_the_replica_when_one_is_set() {
    let replica = TestApp::spawn(common::Flavor::Postgres).await;
    replica.live_coupon(coupon("Replica", "UTC", json!({}))).await;
    let api = replica.api().await;
    for user in ["r1", "r2", "r3"] {
        redeem_once(&api, "REPLICA", user).await;
    }
    replica.fold().await;

    let url = replica.database_url.clone();
    let primary = TestApp::spawn_with(common::Flavor::Postgres, |c| c.read_database_url = Some(url)).await;
    primary.login_admin().await;
    primary.live_coupon(coupon("Primary", "UTC", json!({}))).await;
    redeem_once(&primary.api().await, "PRIMARY", "p1").await;
    primary.fold().await;

    let (s, overview) = primary.call_json::<OverviewAnalytics>(&json!({"period": {"zone": "UTC"}})).await;
    assert_eq!(s, StatusCode::OK, "{overview}");
    assert_eq!(overview["current"]["redemptions"], json!(3), "read from the replica: {}", overview["current"]);
    assert_eq!(overview["top"][0]["name"], json!("Replica"));
    // Writes and everything but reports stay on the primary.
    let (s, coupons) = primary.api().await.get("/coupons").await;
    assert_eq!(s, StatusCode::OK);
    assert!(coupons.to_string().contains("Primary") && !coupons.to_string().contains("Replica"));
}

#[test]
fn a_replica_needs_postgresql() {
    let with = |db: &str, read: &str| {
        couponry::config::Config::from_vars(|name| match name {
            "DATABASE_URL" => Some(db.to_string()),
            "COUPONRY_READ_DATABASE_URL" => Some(read.to_string()),
            _ => None,
        })
    };
    assert!(with("postgres://a/primary", "postgres://b/replica").is_ok());
    let refused = with("sqlite://data/x.db", "postgres://b/replica").unwrap_err();
    assert_eq!(refused.name, "COUPONRY_READ_DATABASE_URL");
    assert!(with("postgres://a/primary", "sqlite://x.db").is_err());
}

/// Checks a cart of `subtotal` minor units against `code` at `door` (`/validate` or
/// `/redemptions`); returns the status.
async fn check(api: &common::Api, door: &str, code: &str, user: &str, subtotal: i64) -> StatusCode {
    let cart = json!({"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": subtotal}]});
    let order = format!("{door}-{code}-{user}-{subtotal}");
    api.post(door, &json!({"user_id": user, "code": code, "cart": cart, "order_id": order})).await.0
}

on_both!(checks_count_what_stops_people, |app: TestApp| async move {
    app.login_admin().await;
    let rule = json!({"qualifying": {"cart": [{"property": "subtotal", "op": "gte", "value": 100_000}]}});
    let id = app.live_coupon(coupon("Bigcart", "UTC", rule)).await;
    let other = app.live_coupon(coupon("Other", "UTC", json!({}))).await;
    let api = app.api().await;
    assert_eq!(check(&api, "/validate", "BIGCART", "c1", 150_000).await, StatusCode::OK);
    assert_eq!(check(&api, "/validate", "BIGCART", "c2", 120_000).await, StatusCode::OK);
    assert_eq!(check(&api, "/validate", "BIGCART", "c3", 5_000).await, StatusCode::OK, "refused, answered 200");
    assert_eq!(check(&api, "/validate", "NOSUCHCODE", "c4", 150_000).await, StatusCode::OK);
    assert_eq!(check(&api, "/validate", "OTHER", "c5", 5_000).await, StatusCode::OK);
    assert_eq!(check(&api, "/redemptions", "BIGCART", "c3", 5_000).await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(check(&api, "/redemptions", "BIGCART", "c1", 150_000).await, StatusCode::CREATED);

    // Nothing is written until the tick; then each count once, however often the tick runs.
    let c = couponry::coupons::store::get(&app.db, id).await.unwrap();
    let period = PeriodInput::default().resolve("UTC", Utc::now()).unwrap();
    let now = Utc::now().timestamp_millis();
    assert_eq!(report::coupon(&app.db, &c, &period, now).await.unwrap().current.validations, 0);
    app.fold().await;
    app.fold().await;

    let one = report::coupon(&app.db, &c, &period, now).await.unwrap();
    let f = &one.current;
    assert_eq!((f.validations, f.valid_validations, f.refused_redemptions), (3, 2, 1), "{f:?}");
    assert_eq!(f.redemptions, 1);
    assert_eq!(one.refusals.len(), 1, "{:?}", one.refusals);
    let r = &one.refusals[0];
    assert_eq!((r.reason.as_str(), r.validate, r.redeem), ("cart_conditions_not_met", 1, 1));
    assert_eq!(r.label, "The cart does not meet the coupon's conditions.");
    assert!(one.charts.refusals.contains("Cart conditions not met"), "{}", one.charts.refusals);

    // Across coupons: the other coupon's check, and the code that matched no coupon.
    let all = report::overview(&app.db, &period, now).await.unwrap();
    assert_eq!((all.current.validations, all.current.valid_validations), (5, 3), "{:?}", all.current);
    let reasons: Vec<(&str, i64, i64)> =
        all.refusals.iter().map(|r| (r.reason.as_str(), r.validate, r.redeem)).collect();
    assert_eq!(reasons, vec![("cart_conditions_not_met", 1, 1), ("code_not_found", 1, 0)]);
    let o = couponry::coupons::store::get(&app.db, other).await.unwrap();
    assert_eq!(report::coupon(&app.db, &o, &period, now).await.unwrap().current.valid_validations, 1);

    // The coupon's page shows the week's checks and its top refusals.
    let (s, activity) = app.call_form::<couponry::coupons::server::GetCouponActivity>(&[("id", &id.to_string())]).await;
    assert_eq!(s, StatusCode::OK, "{activity}");
    assert_eq!(activity["week_validations"], json!(3));
    assert_eq!(activity["week_valid"], json!(2));
    assert_eq!(activity["refusals"][0]["reason"], json!("cart_conditions_not_met"), "{activity}");
    // And the API's statistics carry the same figures.
    let (s, stats) = api.get(&format!("/coupons/{id}/stats")).await;
    assert_eq!(s, StatusCode::OK, "{stats}");
    assert_eq!(stats["figures"]["validations"], json!(3), "{stats}");
});

on_both!(checks_reach_the_tables_at_the_tick, |app: TestApp| async move {
    // The validation goes to a server whose scheduler ticks; nobody folds by hand.
    let server =
        TestApp::spawn_with_database(&app, |c| c.scheduler_tick = Some(std::time::Duration::from_millis(100))).await;
    app.live_coupon(coupon("Tock", "UTC", json!({}))).await;
    let api = common::Api::new(&server.base, &app.api().await.key);
    assert_eq!(check(&api, "/validate", "TOCK", "t1", 10_000).await, StatusCode::OK);
    let period = PeriodInput::default().resolve("UTC", Utc::now()).unwrap();
    let started = std::time::Instant::now();
    loop {
        let all = report::overview(&app.db, &period, Utc::now().timestamp_millis()).await.unwrap();
        if all.current.validations == 1 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "not written: {:?}", all.current);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
});
