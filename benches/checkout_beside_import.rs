//! Checkout beside a long code import, on SQLite and on PostgreSQL, against a real server
//! process: redemption latency with nothing else running (the baseline, same run), then while
//! `POST /coupons/{id}/codes/import` stores a 4,000,000-row file. Prints a Markdown table for
//! BENCHMARKS.md.
//!
//! Run: `bash scripts/bench.sh checkout_beside_import`. `BENCH_ROWS` sets the file's rows.

// The dashboard's view types are deep: laying them out in an optimized build of this crate
// needs more than the default 128 (the library says the same for itself).
#![recursion_limit = "256"]

use std::time::{Duration, Instant};

use couponry::accounts::audit::Actor;
use couponry::accounts::keys::{store as keys, Scope};
use couponry::db::Db;
use serde_json::json;

mod support;
use support::{live_coupon, unique_coupon, PgDatabases, Server};

/// Redemptions timed with nothing else running.
const BASELINE: usize = 300;

struct Latencies {
    times: Vec<Duration>,
    failed: usize,
}

impl Latencies {
    fn quantile(&self, q: f64) -> f64 {
        let mut sorted = self.times.clone();
        sorted.sort();
        let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(i).map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    }
}

struct Results {
    baseline: Latencies,
    during: Latencies,
    import: Duration,
}

/// One redemption of the open coupon by a new user: its latency, or None when refused.
async fn redeem(client: &reqwest::Client, base: &str, key: &str, n: usize) -> Option<Duration> {
    let body = json!({
        "user_id": format!("shopper-{n}"),
        "code": "OPEN10",
        "order_id": format!("order-{n}"),
        "cart": {"currency": "INR", "items": [{"sku": "SHOE-1", "quantity": 1, "unit_price": 150000}]}
    });
    let start = Instant::now();
    let res = client.post(format!("{base}/api/v1/redemptions")).bearer_auth(key).json(&body).send().await.ok()?;
    let took = start.elapsed();
    (res.status() == reqwest::StatusCode::CREATED).then_some(took)
}

async fn bench(label: &str, url: &str, rows: usize) -> Results {
    let db = Db::connect(url, 2).await.expect("db");
    let import_coupon = unique_coupon(&db, "Import", "all_users").await;
    live_coupon(&db, "Open", json!({"distribution": {"type": "static", "code": "OPEN10"}})).await;
    let (_, key) = keys::create(&db, &Actor::system(), "bench", &[Scope::Manage, Scope::Checkout]).await.expect("key");
    let server = Server::start(url, &[("COUPONRY_VALIDATE_PER_KEY", "10000000")]).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().expect("client");

    let mut baseline = Latencies { times: Vec::new(), failed: 0 };
    for n in 0..BASELINE {
        match redeem(&client, &server.base, &key, n).await {
            Some(took) => baseline.times.push(took),
            None => baseline.failed += 1,
        }
    }

    let mut file = String::with_capacity(rows * 15 + 8);
    file.push_str("code\n");
    for i in 0..rows {
        file.push_str(&format!("IMP-{i:09}\n"));
    }
    let upload = client
        .post(format!("{}/api/v1/coupons/{import_coupon}/codes/import?file_name=bench.csv", server.base))
        .bearer_auth(&key)
        .header("content-type", "text/csv")
        .body(file)
        .send();
    let start = Instant::now();
    let mut upload = std::pin::pin!(upload);
    let mut during = Latencies { times: Vec::new(), failed: 0 };
    let mut n = BASELINE;
    // Checkouts one after another for as long as the import runs.
    let answer = loop {
        tokio::select! {
            answer = &mut upload => break answer.expect("import"),
            took = redeem(&client, &server.base, &key, n) => {
                n += 1;
                match took {
                    Some(took) => during.times.push(took),
                    None => during.failed += 1,
                }
            }
        }
    };
    let import = start.elapsed();
    assert_eq!(answer.status(), reqwest::StatusCode::CREATED, "the import is stored");
    eprintln!("{label}: import {:.1} s, {} checkouts beside it", import.as_secs_f64(), during.times.len());
    db.pool().close().await;
    Results { baseline, during, import }
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(4_000_000);
    let dir = std::env::temp_dir().join(format!("couponry-checkout-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = bench("SQLite", &format!("sqlite://{}/bench.db?mode=rwc", dir.display()), rows).await;
    let mut pg = PgDatabases::connect().await;
    let url = pg.fresh("checkout").await;
    let postgres = bench("PostgreSQL", &url, rows).await;

    println!("| database | checkouts | p50 ms | p99 ms | max ms | refused | import of {rows} rows |");
    println!("|---|---|---|---|---|---|---|");
    for (db, r) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
        for (what, l, import) in [
            ("alone", &r.baseline, String::new()),
            ("beside the import", &r.during, format!("{:.1} s", r.import.as_secs_f64())),
        ] {
            println!(
                "| {db} | {} {what} | {:.1} | {:.1} | {:.1} | {} | {import} |",
                l.times.len(),
                l.quantile(0.5),
                l.quantile(0.99),
                l.quantile(1.0),
                l.failed
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    pg.drop_all().await;
}
