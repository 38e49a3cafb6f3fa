//! `couponry --demo`: fills a fresh database with three months of a shop running the seed's eight
//! use cases (first purchase, festive, cart abandonment, off-peak free delivery, cashback in
//! Mumbai, early bird, UPI top-up, a weekend game drop): users, coupons made from the same
//! templates "New coupon" offers, code batches, a segment and its campaign, abandoned-cart events,
//! validations, redemptions (refused ones too) and a few reversals, all through the engine calls
//! the API makes, so every figure and chart has something true to show on first start.

use chrono::{DateTime, Duration, Timelike, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::accounts::audit::Actor;
use crate::activity::checks::Door;
use crate::audience::campaigns::CampaignInput;
use crate::audience::events::{self, Event};
use crate::audience::segments::SegmentInput;
use crate::codes::pattern::Pattern;
use crate::conditions::Properties;
use crate::coupons::input::CouponInput;
use crate::coupons::status::CouponStatus;
use crate::db::Db;
use crate::db::StoreError;
use crate::redemption::cart::CartInput;
use crate::redemption::store::{self as redemptions, RedeemOutcome, Replayable, Request, Target};
use crate::state::CheckCounts;

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

/// A template's coupon, live from `start`, with `changes` on top.
fn coupon(key: &str, start: DateTime<Utc>, changes: Value) -> Result<CouponInput, DemoError> {
    let template = crate::coupons::templates::input(key).ok_or_else(|| refused(key, "no such template"))?;
    let mut base = serde_json::to_value(template).map_err(|e| refused(key, e))?;
    base["activation"] = json!({"type": "time", "from": start.to_rfc3339()});
    for (k, v) in changes.as_object().into_iter().flatten() {
        base[k] = v.clone();
    }
    serde_json::from_value(base).map_err(|e| refused(key, e))
}

/// Creates the coupon and makes it active as of `since` (events count from when it went live).
async fn live(db: &Db, input: CouponInput, since: DateTime<Utc>) -> Result<i64, DemoError> {
    let actor = Actor::system();
    let definition = input.parse().map_err(|e| refused("a demo coupon", e))?;
    let created = crate::coupons::store::create(db, &actor, &definition).await?;
    let at = since.timestamp_millis();
    crate::coupons::store::set_status_at(db, &actor, created.id, CouponStatus::Active, at).await?;
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
    let weekend = if weekend(at) { 1.4 } else { 1.0 };
    hour * weekend
}

fn weekend(at: DateTime<Utc>) -> bool {
    chrono::Datelike::weekday(&at.with_timezone(&chrono_tz::Asia::Kolkata)).number_from_monday() >= 6
}

/// Monday to Friday, 14:00 to 17:00 in Kolkata: when delivery is free.
fn off_peak(at: DateTime<Utc>) -> bool {
    !weekend(at) && (14..17).contains(&at.with_timezone(&chrono_tz::Asia::Kolkata).hour())
}

/// The demo's coupons, by use case.
struct Coupons {
    abandoned: i64,
    game_drop: i64,
}

/// The shop's users, as the use cases pick them.
struct Shoppers {
    new: Vec<String>,
    mumbai: Vec<String>,
    gamers: Vec<String>,
}

/// One checkout: the shopper validates, and (mostly) redeems what was valid; now and then one
/// tries a refused code at redeem anyway. Every decision is counted as the API counts it.
struct Checkout<'a> {
    db: &'a Db,
    checks: &'a CheckCounts,
    filled: &'a mut Filled,
    now: DateTime<Utc>,
}

impl Checkout<'_> {
    async fn run(&mut self, rng: &mut StdRng, request: Request, when: DateTime<Utc>) -> Result<(), DemoError> {
        let at = when.timestamp_millis();
        let checked = redemptions::validate(self.db, &request, when).await?;
        redemptions::count_checks(self.checks, Door::Validate, &checked, at);
        if !checked.valid() && rng.gen_range(0..5) > 0 {
            return Ok(());
        }
        let outcome =
            redemptions::redeem(self.db, &request, None, &crate::redemption::attempts::Attempts::none(), when).await?;
        match outcome {
            Replayable::Fresh(RedeemOutcome::Redeemed { redemptions: made, .. }) => {
                self.filled.redemptions += made.len();
                // About one order in forty comes back.
                let back = when + Duration::hours(rng.gen_range(1..72));
                if rng.gen_range(0..40) == 0 && back < self.now {
                    redemptions::reverse(self.db, made[0].id, None, &Actor::system(), back).await?;
                    self.filled.reversals += 1;
                }
            }
            Replayable::Fresh(RedeemOutcome::Refused(s)) => {
                redemptions::count_checks(self.checks, Door::Redeem, &s, at)
            }
            Replayable::Replay(_) => {}
        }
        Ok(())
    }
}

fn cart(
    rng: &mut StdRng,
    category: &str,
    fees: Value,
    properties: Value,
) -> Result<crate::redemption::cart::Cart, DemoError> {
    let input: CartInput = serde_json::from_value(json!({
        "currency": "INR",
        "items": [{"sku": format!("SKU-{}", rng.gen_range(1..60)), "quantity": rng.gen_range(1..4),
                   "unit_price": rng.gen_range(199..4999) * 100, "category": category}],
        "fees": fees,
        "properties": properties,
    }))
    .map_err(|e| refused("demo data", e))?;
    input.parse("cart").map_err(|e| refused("a demo cart", e))
}

fn pick(rng: &mut StdRng, from: &[String]) -> String {
    from.get(rng.gen_range(0..from.len().max(1))).cloned().unwrap_or_else(|| "demo-0000".into())
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
    let shoppers = users(db, &mut rng, &mut filled).await?;
    let coupons = coupons(db, start, now, &mut filled).await?;
    let checks = CheckCounts::default();
    let mut checkout = Checkout { db, checks: &checks, filled: &mut filled, now };

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
            let anyone = format!("demo-{:04}", rng.gen_range(0..USERS));
            let none = json!({});
            let (user, target, cart) = match rng.gen_range(0..100) {
                0..=9 => {
                    // A cart left behind: the app sends the event, the user gets a code of their
                    // own for 48 hours, and some come back for it.
                    let event = Event {
                        user_id: anyone.clone(),
                        name: "cart_abandoned".into(),
                        properties: Properties::new(),
                        occurred_at: when,
                    };
                    events::record(db, &[event], when).await?;
                    let back = when + Duration::hours(rng.gen_range(1..60));
                    if rng.gen_range(0..10) >= 4 || back >= now {
                        continue;
                    }
                    let cart = cart(&mut rng, "Everyday", none, json!({}))?;
                    let request = Request {
                        user_id: anyone,
                        targets: vec![Target::Coupon(coupons.abandoned)],
                        cart,
                        order_id: Some(format!("DEMO-{order:06}")),
                        metadata: Default::default(),
                    };
                    checkout.run(&mut rng, request, back).await?;
                    continue;
                }
                10..=15 => (
                    pick(&mut rng, &shoppers.new),
                    Target::Code("WELCOME20".into()),
                    cart(&mut rng, "Everyday", none, json!({}))?,
                ),
                16..=27 if off_peak(when) => (
                    anyone,
                    Target::Code("FREEDEL".into()),
                    cart(&mut rng, "Everyday", json!({"delivery_fee": 4900}), json!({}))?,
                ),
                28..=38 => (
                    pick(&mut rng, &shoppers.mumbai),
                    Target::Code("MUMBAI5".into()),
                    cart(&mut rng, "Everyday", none, json!({}))?,
                ),
                39..=45 => {
                    let days = rng.gen_range(10..90);
                    (
                        anyone,
                        Target::Code("EARLYBIRD".into()),
                        cart(&mut rng, "Travel", none, json!({"days_before_travel": days}))?,
                    )
                }
                46..=53 => {
                    let method = if rng.gen_range(0..6) == 0 { "card" } else { "upi" };
                    (
                        anyone,
                        Target::Code("UPI50".into()),
                        cart(&mut rng, "Top-up", none, json!({"payment_method": method}))?,
                    )
                }
                54..=63 if weekend(when) => (
                    pick(&mut rng, &shoppers.gamers),
                    Target::Coupon(coupons.game_drop),
                    cart(&mut rng, "in_app", none, json!({}))?,
                ),
                // A shopper who types a code that is not (or no longer) there.
                64..=66 => (
                    anyone,
                    Target::Code(format!("FESTIVE{}", rng.gen_range(10..30))),
                    cart(&mut rng, "Everyday", none, json!({}))?,
                ),
                _ => (anyone, Target::Code("FESTIVE15".into()), cart(&mut rng, "Everyday", none, json!({}))?),
            };
            let request = Request {
                user_id: user,
                targets: vec![target],
                cart,
                order_id: Some(format!("DEMO-{order:06}")),
                metadata: Default::default(),
            };
            checkout.run(&mut rng, request, when).await?;
        }
        at += Duration::hours(1);
    }
    // Charts at once, not at the next tick.
    crate::activity::checks::flush(&checks, db).await?;
    crate::activity::derived::refresh(db).await?;
    Ok(Some(filled))
}

async fn users(db: &Db, rng: &mut StdRng, filled: &mut Filled) -> Result<Shoppers, DemoError> {
    let mut shoppers = Shoppers { new: Vec::new(), mumbai: Vec::new(), gamers: Vec::new() };
    for i in 0..USERS {
        let id = format!("demo-{i:04}");
        let city = CITIES[rng.gen_range(0..CITIES.len())];
        let orders = if rng.gen_bool(0.25) { 0 } else { rng.gen_range(1..40) };
        let gamer = rng.gen_bool(0.3);
        let properties: Properties = serde_json::from_value(json!({
            "city": city,
            "tier": if rng.gen_bool(0.2) { "gold" } else { "standard" },
            "orders": orders,
            "plays_games": gamer,
        }))
        .map_err(|e| refused("demo data", e))?;
        crate::audience::campaigns::sync::save_user(db, &id, &properties).await?;
        if orders == 0 {
            shoppers.new.push(id.clone());
        }
        if city == "Mumbai" {
            shoppers.mumbai.push(id.clone());
        }
        if gamer {
            shoppers.gamers.push(id);
        }
        filled.users += 1;
    }
    Ok(shoppers)
}

/// The eight use cases' coupons, their code batches, and the game drop's segment and campaign.
async fn coupons(db: &Db, start: DateTime<Utc>, now: DateTime<Utc>, filled: &mut Filled) -> Result<Coupons, DemoError> {
    let actor = Actor::system();
    for key in ["first-purchase", "off-peak-delivery", "city-cashback", "early-bird", "upi-top-up"] {
        live(db, coupon(key, start, json!({}))?, start).await?;
    }
    // A season's budget for three months of a growing shop.
    let season = json!({"limits": {"per_user": 4, "global": 10000, "budget_discount": 200_000_000}});
    live(db, coupon("festive", start, season)?, start).await?;
    let abandoned = live(db, coupon("cart-abandonment", start, json!({}))?, start).await?;
    // The drop goes to the segment of players, a code each, by campaign.
    let game_drop = live(db, coupon("gaming-drop", start, json!({"audience": "campaign"}))?, start).await?;
    filled.coupons = 8;

    let back = Pattern::parse("BACK-########").map_err(|e| refused("the demo pattern", e))?;
    crate::codes::generate::generate(db, &actor, abandoned, 1500, &back).await?;
    let drop = Pattern::parse("DROP-########").map_err(|e| refused("the demo pattern", e))?;
    crate::codes::generate::generate(db, &actor, game_drop, 500, &drop).await?;
    let segment: SegmentInput = serde_json::from_value(json!({
        "name": "Players",
        "description": "Shoppers who play the shop's games",
        "rule": {"join": "all", "groups": [
            {"join": "all", "conditions": [{"property": "plays_games", "op": "eq", "value": true}]}
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
        name: "Weekend drop for players".into(),
        coupon_id: Some(game_drop),
        segment_id: Some(segment.id),
        launch_at: None,
        keep_in_sync: false,
    };
    crate::audience::campaigns::store::create(db, &actor, &campaign, now - Duration::days(80)).await?;
    Ok(Coupons { abandoned, game_drop })
}
