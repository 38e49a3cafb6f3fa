//! Analytics at scale, on SQLite and on PostgreSQL: ten million redemptions over a year across
//! 40 coupons, then the per-coupon and overview reports (what the pages' server functions run
//! after the permission check) against the naive aggregate over the raw redemptions in the same
//! run. The rollups are filled by the migration's own backfill statements. Prints a Markdown
//! table for BENCHMARKS.md.
//!
//! Run: `bash scripts/bench.sh analytics` (or `cargo bench --features ssr --bench analytics`,
//! with `TEST_DATABASE_URL` pointing at a PostgreSQL server). `BENCH_REDEMPTIONS` sets the count.

// The dashboard's view types are deep: laying them out in an optimized build of this crate
// needs more than the default 128 (the library says the same for itself).
#![recursion_limit = "256"]

use std::time::{Duration, Instant};

use chrono::Utc;
use couponry::analytics::{report, PeriodInput};
use couponry::db::{Backend, Db};

mod support;
use support::{unique_coupon, PgDatabases};

const COUPONS: i64 = 40;
const CHUNK: i64 = 1_000_000;
const YEAR_MS: i64 = 365 * 86_400_000;
const RUNS: usize = 7;

/// The analytics migrations' backfills (everything after each one's marker line), in order.
fn backfill(backend: Backend) -> String {
    let texts = match backend {
        Backend::Sqlite => [
            include_str!("../migrations/sqlite/0006_analytics.sql"),
            include_str!("../migrations/sqlite/0007_analytics_derived.sql"),
        ],
        Backend::Postgres => [
            include_str!("../migrations/postgres/0006_analytics.sql"),
            include_str!("../migrations/postgres/0007_analytics_derived.sql"),
        ],
    };
    let marker = "-- What happened before this migration.";
    texts.iter().map(|text| &text[text.find(marker).expect("the migration has a backfill")..]).collect()
}

/// `n` redemptions spread over the year before `now`: skewed towards the first coupons, busier
/// by day, one in fifty reversed two hours later.
async fn fill(db: &Db, n: i64, now: i64) {
    let step = YEAR_MS / n;
    let start = now - YEAR_MS;
    for first in (0..n).step_by(CHUNK as usize) {
        let last = (first + CHUNK).min(n) - 1;
        let (with, source) = match db.backend() {
            Backend::Sqlite => (
                format!("WITH RECURSIVE s(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM s WHERE i < {last}) "),
                "s".to_string(),
            ),
            // BIGINT: `i * 7919` passes the int4 range.
            Backend::Postgres => {
                (String::new(), format!("generate_series(CAST({first} AS BIGINT), CAST({last} AS BIGINT)) AS s(i)"))
            }
        };
        let at = format!("({start} + i * {step} + (i * 7919) % {step})");
        let sql = format!(
            "{with}INSERT INTO redemptions (coupon_id, user_id, currency, discount, cashback, detail, status,
                                           redeemed_at, reversed_at)
             SELECT 1 + ((i % 1000) * (i % 1000)) / 25000, 'u' || ((i * 7919) % 400000), 'INR',
                    1000 + (i % 37) * 100, CASE WHEN i % 5 = 0 THEN 200 ELSE 0 END, '{{}}',
                    CASE WHEN i % 50 = 7 THEN 'reversed' ELSE 'redeemed' END, {at},
                    CASE WHEN i % 50 = 7 THEN {at} + 7200000 END
             FROM {source}"
        );
        sqlx::raw_sql(&sql).execute(db.pool()).await.expect("redemptions");
        eprintln!("  {} redemptions", last + 1);
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

async fn timed<F, Fut>(mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    f().await; // warm the cache: the pages are read again and again
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        f().await;
        runs.push(start.elapsed());
    }
    median(runs)
}

/// The naive page: per-day figures straight from the raw redemptions (Kolkata days).
async fn naive(db: &Db, coupon: Option<i64>, (from, to): (i64, i64)) {
    let filter = if coupon.is_some() { "coupon_id = $3 AND " } else { "" };
    let sql = format!(
        "SELECT (redeemed_at + 19800000) / 86400000 AS d, COUNT(*), CAST(SUM(discount) AS BIGINT),
                CAST(SUM(cashback) AS BIGINT), COUNT(DISTINCT user_id)
         FROM redemptions WHERE {filter}status = 'redeemed' AND redeemed_at >= $1 AND redeemed_at < $2
         GROUP BY (redeemed_at + 19800000) / 86400000"
    );
    let mut q = sqlx::query(&sql).bind(from).bind(to);
    if let Some(id) = coupon {
        q = q.bind(id);
    }
    q.fetch_all(db.pool()).await.expect("naive aggregate");
}

struct Row {
    what: String,
    days: i64,
    app: Duration,
    naive: Duration,
}

async fn bench(label: &str, url: &str, n: i64) -> (Vec<Row>, Duration) {
    let db = Db::connect(url, 4).await.expect("db");
    for k in 0..COUPONS {
        unique_coupon(&db, &format!("Bench coupon {k}"), "campaign").await;
    }
    let now = Utc::now().timestamp_millis();
    let start = Instant::now();
    fill(&db, n, now).await;
    eprintln!("{label}: {n} redemptions in {:.1} s", start.elapsed().as_secs_f64());
    let start = Instant::now();
    sqlx::raw_sql(&backfill(db.backend())).execute(db.pool()).await.expect("rollups");
    let rollup = start.elapsed();
    eprintln!("{label}: rollups in {:.1} s", rollup.as_secs_f64());
    // What autovacuum would have done by the time anyone reads a year of data.
    let analyze = if db.backend() == Backend::Postgres { "VACUUM ANALYZE" } else { "ANALYZE" };
    sqlx::raw_sql(analyze).execute(db.pool()).await.expect("analyze");
    let big = couponry::coupons::store::get(&db, 1).await.expect("coupon 1");
    let small = couponry::coupons::store::get(&db, COUPONS).await.expect("last coupon");
    let mut rows = Vec::new();
    for days in [30i64, 365] {
        let asked = PeriodInput {
            from: Some((Utc::now() - chrono::Duration::days(days - 1)).date_naive().to_string()),
            to: None,
            zone: Some("Asia/Kolkata".into()),
        };
        let period = asked.resolve("UTC", Utc::now()).expect("period");
        let bounds = period.bounds_ms();
        for (what, coupon) in [("coupon with the most redemptions", Some(&big)), ("smallest coupon", Some(&small))] {
            let coupon = coupon.expect("coupon");
            let app = timed(|| async {
                report::coupon(&db, coupon, &period, now).await.expect("report");
            })
            .await;
            let raw = timed(|| naive(&db, Some(coupon.id), bounds)).await;
            eprintln!("{label}: {what}, {days} days: {app:?} vs naive {raw:?}");
            rows.push(Row { what: what.to_string(), days, app, naive: raw });
        }
        let app = timed(|| async {
            report::overview(&db, &period, now).await.expect("overview");
        })
        .await;
        let raw = timed(|| naive(&db, None, bounds)).await;
        eprintln!("{label}: overview, {days} days: {app:?} vs naive {raw:?}");
        rows.push(Row { what: "overview (all 40 coupons)".into(), days, app, naive: raw });
    }
    (rows, rollup)
}

#[tokio::main]
async fn main() {
    let n: i64 = std::env::var("BENCH_REDEMPTIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let dir = std::env::temp_dir().join(format!("couponry-analytics-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = bench("SQLite", &format!("sqlite://{}/bench.db?mode=rwc", dir.display()), n).await;
    let _ = std::fs::remove_dir_all(&dir);

    let mut pg = PgDatabases::connect().await;
    let url = pg.fresh("analytics").await;
    let postgres = bench("PostgreSQL", &url, n).await;
    pg.drop_all().await;

    println!("{n} redemptions over a year, 40 coupons; medians of {RUNS} runs after one warm-up.\n");
    println!("| database | report | days | app (rollups) ms | naive aggregate ms |");
    println!("|---|---|---|---|---|");
    for (db, (rows, _)) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
        for r in rows {
            println!(
                "| {db} | {} | {} | {:.1} | {:.1} |",
                r.what,
                r.days,
                r.app.as_secs_f64() * 1000.0,
                r.naive.as_secs_f64() * 1000.0
            );
        }
    }
    println!(
        "\nRollups built from the raw rows by the migration's backfill: {:.1} s on SQLite, {:.1} s on PostgreSQL.",
        sqlite.1.as_secs_f64(),
        postgres.1.as_secs_f64()
    );
}
