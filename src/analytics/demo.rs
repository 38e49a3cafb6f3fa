//! `couponry --demo`: fills a fresh database with a small shop's three months (users, coupons,
//! a code batch, a campaign, redemptions and a few reversals), made through the same engine calls
//! the API makes, so every figure and chart has something true to show on first start.

use chrono::{DateTime, Duration, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::accounts::audit::Actor;
use crate::audience::campaigns::CampaignInput;
use crate::audience::segments::SegmentInput;
use crate::codes::pattern::Pattern;
use crate::conditions::Properties;
use crate::coupons::input::CouponInput;
use crate::coupons::status::CouponStatus;
use crate::db::Db;
use crate::db::StoreError;

/// Why the demo could not be filled in: its own data refused (a bug in this file), or a store.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo data refused: {0}")]
    Refused(String),
    #[error(transparent)]
    Coupon(#[from] crate::coupons::store::CouponError),
    #[error(transparent)]
    Codes(#[from] crate::codes::store::CodesError),
    #[error(transparent)]
    Segment(#[from] crate::audience::segments::store::SegmentError),
    #[error(transparent)]
    Campaign(#[from] crate::audience::campaigns::store::CampaignError),
    #[error(transparent)]
    Redemption(#[from] crate::redemption::store::RedemptionError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(DemoError);

fn refused(what: &str, e: impl std::fmt::Display) -> DemoError {
    DemoError::Refused(format!("{what}: {e}"))
}
use crate::redemption::cart::CartInput;
use crate::redemption::store::{self as redemptions, RedeemOutcome, Replayable, Request, Target};

const DAYS: i64 = 90;
const USERS: usize = 1200;
const CITIES: [&str; 6] = ["Mumbai", "Pune", "Delhi", "Bengaluru", "Chennai", "Kolkata"];

/// What the demo made.
#[derive(Debug, Default)]
pub struct Filled {
    pub users: usize,
    pub coupons: usize,
    pub redemptions: usize,
    pub reversals: usize,
}

fn coupon(name: &str, start: DateTime<Utc>, changes: Value) -> Result<CouponInput, DemoError> {
    let mut base = crate::coupons::templates::coupon_json(name, &changes);
    base["activation"] = json!({"type": "time", "from": start.to_rfc3339()});
    serde_json::from_value(base).map_err(|e| refused(name, e))
}

async fn live(db: &Db, input: CouponInput) -> Result<i64, DemoError> {
    let actor = Actor::system();
    let definition = input.parse().map_err(|e| refused("a demo coupon", e))?;
    let created = crate::coupons::store::create(db, &actor, &definition).await?;
    crate::coupons::store::set_status(db, &actor, created.id, CouponStatus::Active).await?;
    Ok(created.id)
}

/// How busy an hour is in India: quiet nights, a lunch bump, evening peaks, busier weekends.
fn weight(at: DateTime<Utc>) -> f64 {
    let local = at.with_timezone(&chrono_tz::Asia::Kolkata);
    let hour = match local.hour() {
        0..=5 => 0.15,
        6..=10 => 0.6,
        11..=14 => 1.2,
        15..=18 => 0.9,
        19..=22 => 2.0,
        _ => 0.7,
    };
    let weekend = if chrono::Datelike::weekday(&local).number_from_monday() >= 6 { 1.4 } else { 1.0 };
    hour * weekend
}

/// Fills the database when it has no coupons yet; returns `None` (and changes nothing) otherwise.
pub async fn fill(db: &Db, now: DateTime<Utc>) -> Result<Option<Filled>, DemoError> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM coupons").fetch_one(db.pool()).await?;
    if existing > 0 {
        return Ok(None);
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let start = now - Duration::days(DAYS + 5);
    let mut filled = Filled::default();

    for i in 0..USERS {
        let properties: Properties = serde_json::from_value(json!({
            "city": CITIES[rng.gen_range(0..CITIES.len())],
            "tier": if rng.gen_bool(0.2) { "gold" } else { "standard" },
            "orders": rng.gen_range(0..40),
        }))
        .map_err(|e| refused("demo data", e))?;
        crate::audience::campaigns::sync::save_user(db, &format!("demo-{i:04}"), &properties).await?;
        filled.users += 1;
    }

    let open_to_all = [
        ("Festive 20% off", json!({"type": "percent_off", "percent": 20, "max_discount": 50000}), "FESTIVE20"),
        ("Free delivery", json!({"type": "amount_off", "amount": 4900}), "FREEDEL"),
        ("5% cashback", json!({"type": "cashback", "percent": 5, "max_points": 20000}), "CASH5"),
    ];
    for (name, reward, code) in open_to_all {
        let changes = json!({"reward": reward, "distribution": {"type": "static", "code": code}});
        live(db, coupon(name, start, changes)?).await?;
    }
    let welcome = live(
        db,
        coupon(
            "Welcome ₹150",
            start,
            json!({
                "reward": {"type": "amount_off", "amount": 15000},
                "audience": "campaign",
                "distribution": {"type": "unique"},
            }),
        )?,
    )
    .await?;
    filled.coupons = 4;

    let actor = Actor::system();
    let pattern = Pattern::parse("WELCOME-########").map_err(|e| refused("the demo pattern", e))?;
    crate::codes::generate::generate(db, &actor, welcome, 800, &pattern).await?;
    let segment: SegmentInput = serde_json::from_value(json!({
        "name": "Mumbai and Pune",
        "description": "Shoppers in the two launch cities",
        "rule": {"join": "any", "groups": [
            {"join": "all", "conditions": [{"property": "city", "op": "eq", "value": "Mumbai"}]},
            {"join": "all", "conditions": [{"property": "city", "op": "eq", "value": "Pune"}]}
        ]}
    }))
    .map_err(|e| refused("the demo segment", e))?;
    let segment = crate::audience::segments::store::save(
        db,
        &actor,
        None,
        &segment.parse().map_err(|e| refused("the demo segment", e))?,
    )
    .await?;
    let campaign = CampaignInput {
        name: "Welcome Mumbai and Pune".into(),
        coupon_id: Some(welcome),
        segment_id: Some(segment.id),
        launch_at: None,
        keep_in_sync: false,
    };
    crate::audience::campaigns::store::create(db, &actor, &campaign, now - Duration::days(75)).await?;
    let holders: Vec<String> =
        sqlx::query_scalar("SELECT user_id FROM assignments WHERE coupon_id = $1 ORDER BY user_id")
            .bind(welcome)
            .fetch_all(db.pool())
            .await?;

    // Hour by hour over the last 90 days, busier as the shop grows.
    let first_hour = (now - Duration::days(DAYS)).with_minute(0).and_then(|t| t.with_second(0)).unwrap_or(now);
    let mut at = first_hour;
    let mut order = 0u64;
    while at < now {
        let growth = 0.6 + 0.8 * (at - first_hour).num_hours() as f64 / (DAYS * 24) as f64;
        let expected = 3.2 * weight(at) * growth;
        let n = (expected + rng.gen_range(-0.5..0.5f64)).round().max(0.0) as usize;
        for _ in 0..n {
            order += 1;
            let when = at + Duration::seconds(rng.gen_range(0..3600));
            if when >= now {
                break;
            }
            let (user, target) = match rng.gen_range(0..100) {
                0..=44 => (format!("demo-{:04}", rng.gen_range(0..USERS)), Target::Code("FESTIVE20".into())),
                45..=69 => (format!("demo-{:04}", rng.gen_range(0..USERS)), Target::Code("FREEDEL".into())),
                70..=89 => (format!("demo-{:04}", rng.gen_range(0..USERS)), Target::Code("CASH5".into())),
                _ if !holders.is_empty() => (holders[rng.gen_range(0..holders.len())].clone(), Target::Coupon(welcome)),
                _ => continue,
            };
            let cart: CartInput = serde_json::from_value(json!({
                "currency": "INR",
                "items": [{"sku": format!("SKU-{}", rng.gen_range(1..60)), "quantity": rng.gen_range(1..4),
                           "unit_price": rng.gen_range(199..4999) * 100, "category": "Everyday"}]
            }))
            .map_err(|e| refused("demo data", e))?;
            let request = Request {
                user_id: user,
                targets: vec![target],
                cart: cart.parse("cart").map_err(|e| refused("a demo cart", e))?,
                order_id: Some(format!("DEMO-{order:06}")),
            };
            let outcome =
                redemptions::redeem(db, &request, None, &crate::redemption::attempts::Attempts::none(), when).await?;
            if let Replayable::Fresh(RedeemOutcome::Redeemed { redemptions: made, .. }) = outcome {
                filled.redemptions += made.len();
                // About one order in forty comes back.
                if rng.gen_range(0..40) == 0 {
                    let back = when + Duration::hours(rng.gen_range(1..72));
                    if back < now {
                        redemptions::reverse(db, made[0].id, &actor, back).await?;
                        filled.reversals += 1;
                    }
                }
            }
        }
        at += Duration::hours(1);
    }
    // Charts at once, not at the next tick.
    crate::activity::derived::refresh(db).await?;
    Ok(Some(filled))
}
