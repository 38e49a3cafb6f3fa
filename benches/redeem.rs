//! `POST /redemptions` over HTTP with 32 concurrent clients against a running server, and in the
//! same run the raw database doing the same conditional-update transaction, on SQLite and on
//! PostgreSQL. Prints a Markdown table for BENCHMARKS.md.
//!
//! Run: `bash scripts/bench.sh redeem` (or `cargo bench --features ssr --bench redeem`, with
//! `TEST_DATABASE_URL` pointing at a PostgreSQL server). `BENCH_SECONDS` sets each phase's length;
//! `BENCH_DROP_INDEX` drops an index before the run, to measure what it costs.

// The dashboard's view types are deep: laying them out in an optimized build of this crate
// needs more than the default 128 (the library says the same for itself).
#![recursion_limit = "256"]

use std::time::{Duration, Instant};

use couponry::accounts::audit::Actor;
use couponry::accounts::keys::{store as keys, Scope};
use couponry::config::Config;
use couponry::coupons::{input::CouponInput, status::CouponStatus, store};
use couponry::db::Db;
use couponry::startup;
use leptos::config::LeptosOptions;
use serde_json::json;

const CLIENTS: usize = 32;

struct Run {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or_default()
    }
}

/// Runs `op(client, i)` from `CLIENTS` tasks for `seconds`; counts the operations that succeeded.
async fn drive<F, Fut>(seconds: u64, op: F) -> Run
where
    F: Fn(usize, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let start = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    assert!(op(client, i).await, "an operation failed");
                    latencies.push(t.elapsed());
                    i += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.expect("client task"));
    }
    Run { requests: latencies.len(), elapsed: start.elapsed(), latencies }
}

fn coupon() -> couponry::coupons::definition::CouponDefinition {
    let input: CouponInput = serde_json::from_value(json!({
        "name": "Bench",
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": "all_users",
        "distribution": {"type": "static", "code": "BENCH"},
        "activation": {"type": "time"},
        "expiry": {"type": "never"},
        "limits": {"per_user": 1_000_000, "global": 1_000_000_000,
                   "caps": [{"period": "day", "scope": "global", "limit": 1_000_000_000}]},
        "visibility": "visible",
        "stacking": "exclusive"
    }))
    .expect("input");
    input.parse().expect("valid")
}

/// The same writes a redemption makes, as bare SQL: three conditional counter upserts and the
/// redemption row, in one write transaction.
async fn raw_redeem(db: &Db, coupon_id: i64, user: &str, day: i64) -> bool {
    let Ok(mut tx) = db.begin_write().await else { return false };
    for (bucket_user, period, key, limit) in
        [("", "all", 0, 1_000_000_000_i64), (user, "all", 0, 1_000_000), ("", "day", day, 1_000_000_000)]
    {
        let moved: Result<Option<i64>, _> = sqlx::query_scalar(
            "INSERT INTO usage_counters (coupon_id, user_id, period, period_key, uses, discount, cashback)
             VALUES ($1, $2, $3, $4, 1, 100, 0)
             ON CONFLICT (coupon_id, user_id, period, period_key) DO UPDATE SET
                 uses = usage_counters.uses + 1, discount = usage_counters.discount + excluded.discount
             WHERE usage_counters.uses < $5 RETURNING uses",
        )
        .bind(coupon_id)
        .bind(bucket_user)
        .bind(period)
        .bind(key)
        .bind(limit)
        .fetch_optional(&mut *tx)
        .await;
        if !matches!(moved, Ok(Some(_))) {
            return false;
        }
    }
    let inserted = sqlx::query(
        "INSERT INTO redemptions (coupon_id, user_id, currency, discount, cashback, detail, status, redeemed_at)
         VALUES ($1, $2, 'INR', 100, 0, '{}', 'redeemed', $3)",
    )
    .bind(coupon_id)
    .bind(user)
    .bind(couponry::db::now_ms())
    .execute(&mut *tx)
    .await;
    inserted.is_ok() && tx.commit().await.is_ok()
}

async fn bench(label: &str, database_url: String, seconds: u64) -> (Run, Run) {
    let config = Config {
        admin_email: "bench@example.com".into(),
        admin_password: Some("bench-password-9".into()),
        session_hours: 1,
        validate_per_key: u32::MAX,
        validate_per_user: u32::MAX,
        max_upload_bytes: 64 << 20,
        scheduler_tick: None,
        ..Config::with_database(&database_url)
    };
    let options = LeptosOptions::builder().output_name("couponry").site_root("target/site").build();
    let header_timeout = config.header_timeout;
    let router = startup::build(config, options).await.expect("server builds").router;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(couponry::serve::serve(listener, router, header_timeout, std::future::pending()));

    let db = Db::connect(&database_url, 16).await.expect("bench pool");
    // `BENCH_DROP_INDEX=name` runs without one index: what it costs every redemption.
    if let Ok(index) = std::env::var("BENCH_DROP_INDEX") {
        sqlx::query(&format!("DROP INDEX {index}")).execute(db.pool()).await.expect("index dropped");
    }
    let definition = coupon();
    let created = store::create(&db, &Actor::system(), &definition).await.expect("coupon");
    store::set_status(&db, &Actor::system(), created.id, CouponStatus::Active).await.expect("live");
    let (_, secret) = keys::create(&db, &Actor::system(), "bench", &[Scope::Checkout]).await.expect("key");

    let client = reqwest::Client::builder().pool_max_idle_per_host(CLIENTS).build().expect("client");
    let api = drive(seconds, move |c, i| {
        let (client, base, secret) = (client.clone(), base.clone(), secret.clone());
        async move {
            let body = json!({
                "user_id": format!("api-{c}-{}", i % 500),
                "code": "BENCH",
                "order_id": format!("api-{c}-{i}"),
                "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 1000}]}
            });
            let res = client.post(format!("{base}/api/v1/redemptions")).bearer_auth(&secret).json(&body).send().await;
            res.is_ok_and(|r| r.status() == reqwest::StatusCode::CREATED)
        }
    })
    .await;

    let mut raw_definition = definition.clone();
    raw_definition.distribution = couponry::coupons::definition::Distribution::Static { code: "BENCHRAW".into() };
    let raw_coupon = store::create(&db, &Actor::system(), &raw_definition).await.expect("raw coupon").id;
    let day = chrono::Utc::now().timestamp() / 86_400;
    let raw = drive(seconds, move |c, i| {
        let db = db.clone();
        async move { raw_redeem(&db, raw_coupon, &format!("raw-{c}-{}", i % 500), day).await }
    })
    .await;
    eprintln!("{label}: API {:.0}/s, raw {:.0}/s", api.rate(), raw.rate());
    (api, raw)
}

fn row(db: &str, what: &str, r: &Run) -> String {
    format!(
        "| {db} | {what} | {} | {:.0} | {:.1} | {:.1} |",
        r.requests,
        r.rate(),
        r.percentile(0.5).as_secs_f64() * 1000.0,
        r.percentile(0.99).as_secs_f64() * 1000.0
    )
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("couponry-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = bench("SQLite", format!("sqlite://{}/bench.db?mode=rwc", dir.display()), seconds).await;

    let server =
        std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("couponry_bench_{}", std::process::id());
    let mut admin = {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&server).await.expect("PostgreSQL for the bench")
    };
    sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("bench database");
    let (base, _) = server.rsplit_once('/').expect("server URL has a database");
    let postgres = bench("PostgreSQL", format!("{base}/{name}"), seconds).await;

    println!("| database | path | redemptions | per second | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    for (db, (api, raw)) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
        println!("{}", row(db, "API `POST /redemptions`", api));
        println!("{}", row(db, "raw transaction", raw));
        println!("| {db} | API / raw | | {:.0}% | | |", 100.0 * api.rate() / raw.rate());
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
}
