//! Codes at scale, on SQLite and on PostgreSQL, against a real server process (so its peak
//! memory is its own): a 1,000,000-row CSV through `POST /coupons/{id}/codes/import` against the
//! raw database bulk-inserting the same rows in the same run, and 1,000,000 codes generated
//! through `POST /coupons/{id}/codes/generate`. Prints a Markdown table for BENCHMARKS.md.
//!
//! Run: `bash scripts/bench.sh codes` (or `cargo bench --features ssr --bench codes`, with
//! `TEST_DATABASE_URL` pointing at a PostgreSQL server). `BENCH_ROWS` sets the row count.

// The dashboard's view types are deep: laying them out in an optimized build of this crate
// needs more than the default 128 (the library says the same for itself).
#![recursion_limit = "256"]

use std::time::{Duration, Instant};

use couponry::accounts::audit::Actor;
use couponry::accounts::keys::{store as keys, Scope};
use couponry::db::{Backend, Db};
use serde_json::json;

mod support;
use support::{unique_coupon, PgDatabases, Server};

/// Rows per raw INSERT: as many as both databases' parameter limits comfortably allow.
const RAW_CHUNK: usize = 5000;

struct Results {
    import: Duration,
    raw_insert: Duration,
    raw_copy: Option<Duration>,
    generate: Duration,
    peak_mb: f64,
}

/// The same rows as bare SQL in one transaction: multi-row INSERTs into `codes`.
async fn raw_insert(db: &Db, coupon: i64, prefix: &str, rows: usize) -> Duration {
    let start = Instant::now();
    let mut tx = db.begin_write().await.expect("tx");
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO code_batches (coupon_id, kind, status, created_at) VALUES ($1, 'uploaded', 'importing', 0) RETURNING id",
    )
    .bind(coupon)
    .fetch_one(&mut *tx)
    .await
    .expect("batch");
    let mut next = 0;
    while next < rows {
        let n = RAW_CHUNK.min(rows - next);
        // Ids inlined and one anonymous placeholder per row where SQLite wants it: the fastest
        // plain INSERT each database has.
        let values: Vec<String> = (0..n)
            .map(|i| format!("({}, {coupon}, {batch}, 'unique', 'available')", db.backend().param(i + 1)))
            .collect();
        let sql = format!("INSERT INTO codes (code, coupon_id, batch_id, kind, status) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql);
        for i in next..next + n {
            q = q.bind(format!("{prefix}-{i:09}"));
        }
        q.execute(&mut *tx).await.expect("raw insert");
        next += n;
    }
    tx.commit().await.expect("commit");
    start.elapsed()
}

/// PostgreSQL's own bulk path, `COPY … FROM STDIN`, as the strictest baseline.
async fn raw_copy(url: &str, coupon: i64, prefix: &str, rows: usize) -> Duration {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("pg");
    let start = Instant::now();
    let mut tx = conn.begin().await.expect("tx");
    let mut copy =
        tx.copy_in_raw("COPY codes (code, coupon_id, kind, status) FROM STDIN WITH (FORMAT csv)").await.expect("copy");
    let mut chunk = String::with_capacity(1 << 20);
    for i in 0..rows {
        chunk.push_str(&format!("{prefix}-{i:09},{coupon},unique,available\n"));
        if chunk.len() > (1 << 20) - 64 {
            copy.send(chunk.as_bytes()).await.expect("copy data");
            chunk.clear();
        }
    }
    copy.send(chunk.as_bytes()).await.expect("copy data");
    copy.finish().await.expect("copy finish");
    tx.commit().await.expect("commit");
    start.elapsed()
}

/// Import and raw insert each start on a fresh, empty database, so neither pays for the
/// other's index.
async fn bench(label: &str, fresh: &mut impl FnMut() -> String, rows: usize) -> Results {
    let raw_url = fresh();
    let raw_db = Db::connect(&raw_url, 2).await.expect("raw db");
    let raw_coupon = unique_coupon(&raw_db, "Raw", "all_users").await;
    let raw_insert = raw_insert(&raw_db, raw_coupon, "RAW", rows).await;
    eprintln!("{label}: raw INSERT {:.2} s", raw_insert.as_secs_f64());
    let raw_copy = match raw_db.backend() {
        Backend::Postgres => {
            let copy = raw_copy(&raw_url, raw_coupon, "COPY", rows).await;
            eprintln!("{label}: raw COPY {:.2} s", copy.as_secs_f64());
            Some(copy)
        }
        Backend::Sqlite => None,
    };
    raw_db.pool().close().await;

    let url = fresh();
    let db = Db::connect(&url, 2).await.expect("db");
    let import_coupon = unique_coupon(&db, "Import", "all_users").await;
    let generate_coupon = unique_coupon(&db, "Generate", "all_users").await;
    let (_, secret) = keys::create(&db, &Actor::system(), "bench", &[Scope::Manage]).await.expect("key");
    let server = Server::start(&url, &[]).await;
    let client = reqwest::Client::builder().timeout(Duration::from_secs(3600)).build().expect("client");

    let mut file = String::with_capacity(rows * 15 + 8);
    file.push_str("code\n");
    for i in 0..rows {
        file.push_str(&format!("IMP-{i:09}\n"));
    }
    let start = Instant::now();
    let res = client
        .post(format!("{}/api/v1/coupons/{import_coupon}/codes/import?file_name=bench.csv", server.base))
        .bearer_auth(&secret)
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .expect("import");
    let import = start.elapsed();
    let status = res.status();
    let batch: serde_json::Value = res.json().await.expect("import answer");
    assert_eq!(status, reqwest::StatusCode::CREATED, "{batch}");
    assert_eq!(batch["row_count"].as_u64(), Some(rows as u64));
    eprintln!("{label}: import {:.2} s", import.as_secs_f64());

    let start = Instant::now();
    let res = client
        .post(format!("{}/api/v1/coupons/{generate_coupon}/codes/generate", server.base))
        .bearer_auth(&secret)
        .json(&json!({"count": rows, "pattern": "GEN-*****-*****"}))
        .send()
        .await
        .expect("generate");
    let generate = start.elapsed();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    eprintln!("{label}: generate {:.2} s", generate.as_secs_f64());
    let peak_mb = server.peak_mb();
    Results { import, raw_insert, raw_copy, generate, peak_mb }
}

fn per_second(rows: usize, d: Duration) -> String {
    format!("{:.0}", rows as f64 / d.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("BENCH_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("couponry-codes-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut n = 0;
    let mut sqlite_fresh = || {
        n += 1;
        format!("sqlite://{}/bench-{n}.db?mode=rwc", dir.display())
    };
    let sqlite = bench("SQLite", &mut sqlite_fresh, rows).await;

    let mut pg = PgDatabases::connect().await;
    let urls = [pg.fresh("codes").await, pg.fresh("codes").await];
    let mut next = urls.iter();
    let mut pg_fresh = || next.next().expect("a prepared database").clone();
    let postgres = bench("PostgreSQL", &mut pg_fresh, rows).await;

    println!("| database | what | rows | seconds | rows per second | import / raw |");
    println!("|---|---|---|---|---|---|");
    for (db, r) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
        let ratio = |raw: Duration| format!("{:.0}%", 100.0 * raw.as_secs_f64() / r.import.as_secs_f64());
        println!(
            "| {db} | raw multi-row INSERT | {rows} | {:.2} | {} | |",
            r.raw_insert.as_secs_f64(),
            per_second(rows, r.raw_insert)
        );
        if let Some(copy) = r.raw_copy {
            println!("| {db} | raw COPY | {rows} | {:.2} | {} | |", copy.as_secs_f64(), per_second(rows, copy));
        }
        println!(
            "| {db} | API import (CSV over HTTP) | {rows} | {:.2} | {} | **{}** of INSERT{} |",
            r.import.as_secs_f64(),
            per_second(rows, r.import),
            ratio(r.raw_insert),
            r.raw_copy.map(|c| format!(", {} of COPY", ratio(c))).unwrap_or_default()
        );
        println!(
            "| {db} | API generate | {rows} | {:.2} | {} | |",
            r.generate.as_secs_f64(),
            per_second(rows, r.generate)
        );
        println!("| {db} | server peak memory (VmHWM) | | | | {:.0} MB |", r.peak_mb);
    }
    let _ = std::fs::remove_dir_all(&dir);
    pg.drop_all().await;
}
