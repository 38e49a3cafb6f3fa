//! Audiences at scale, on SQLite and on PostgreSQL: 1,000,000 users imported as CSV, segment
//! counts over them, and a campaign launched to all of them with a unique code each, against the
//! raw database running the same INSERT … SELECT and UPDATE … FROM in the same run. Prints a
//! Markdown table for BENCHMARKS.md.
//!
//! Run: `bash scripts/bench.sh audience` (or `cargo bench --features ssr --bench audience`, with
//! `TEST_DATABASE_URL` pointing at a PostgreSQL server). `BENCH_USERS` sets the user count.

// The dashboard's view types are deep: laying them out in an optimized build of this crate
// needs more than the default 128 (the library says the same for itself).
#![recursion_limit = "256"]

use std::time::{Duration, Instant};

use couponry::accounts::audit::Actor;
use couponry::audience::campaigns::CampaignInput;
use couponry::audience::segments::SegmentInput;
use couponry::conditions::RuleInput;
use couponry::db::{Backend, Db};
use serde_json::json;

mod support;
use support::{unique_coupon, PgDatabases};

const CITIES: [&str; 8] = ["Mumbai", "Delhi", "Pune", "Goa", "Agra", "Kochi", "Surat", "Jaipur"];
const CODES_PER_INSERT: usize = 5000;

struct Results {
    import: Duration,
    counts: Vec<(&'static str, i64, Duration)>,
    raw_launch: Duration,
    launch: Duration,
}

/// `n` free codes for a coupon, with bare multi-row INSERTs (set-up, not measured).
async fn codes(db: &Db, coupon: i64, prefix: &str, n: usize) {
    let mut tx = db.begin_write().await.expect("tx");
    for start in (0..n).step_by(CODES_PER_INSERT) {
        let count = CODES_PER_INSERT.min(n - start);
        let values: Vec<String> =
            (0..count).map(|i| format!("({}, {coupon}, 'unique', 'available')", db.backend().param(i + 1))).collect();
        let sql = format!("INSERT INTO codes (code, coupon_id, kind, status) VALUES {}", values.join(", "));
        let mut q = sqlx::query(&sql);
        for i in start..start + count {
            q = q.bind(format!("{prefix}-{i:09}"));
        }
        q.execute(&mut *tx).await.expect("codes");
    }
    tx.commit().await.expect("commit");
}

fn rule(value: serde_json::Value) -> RuleInput {
    serde_json::from_value(value).expect("rule")
}

/// Everyone is 18 or older: the rule reads every user's facets, as a real segment would.
fn adults() -> RuleInput {
    rule(json!({"groups": [{"conditions": [{"property": "age", "op": "gte", "value": 18}]}]}))
}

/// The launch, by hand: the same filter written directly, numbered users joined to numbered
/// free codes, then the codes marked taken — what the app's launch does, minus its checks.
async fn raw_launch(db: &Db, coupon: i64, now: i64) -> Duration {
    let age = match db.backend() {
        Backend::Sqlite => "json_extract(u.facets, '$.\"age\".n')",
        Backend::Postgres => "((u.facets -> 'age' ->> 'n')::float8)",
    };
    let start = Instant::now();
    let mut tx = db.begin_write().await.expect("tx");
    sqlx::query(&format!(
        "INSERT INTO assignments (coupon_id, user_id, code_id, source, assigned_at, expires_at)
         SELECT {coupon}, t.user_id, f.id, 'campaign', {now}, {expires}
         FROM (SELECT u.user_id, ROW_NUMBER() OVER (ORDER BY u.user_id) AS n FROM app_users u WHERE {age} >= 18) t
         JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM codes
               WHERE coupon_id = {coupon} AND status = 'available' AND user_id IS NULL) f ON f.n = t.n",
        expires = now + 30 * 86_400_000
    ))
    .execute(&mut *tx)
    .await
    .expect("raw insert-select");
    sqlx::query(&format!(
        "UPDATE codes SET status = 'assigned', user_id = a.user_id, assigned_at = {now}
         FROM assignments a WHERE a.coupon_id = {coupon} AND a.code_id = codes.id"
    ))
    .execute(&mut *tx)
    .await
    .expect("raw update");
    tx.commit().await.expect("commit");
    start.elapsed()
}

async fn assigned(db: &Db, coupon: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE coupon_id = $1")
        .bind(coupon)
        .fetch_one(db.pool())
        .await
        .expect("count")
}

async fn bench(label: &str, url: &str, users: usize) -> Results {
    let db = Db::connect(url, 4).await.expect("db");
    let actor = Actor::system();

    let mut csv = String::with_capacity(users * 24);
    csv.push_str("user_id,city,age\n");
    for i in 0..users {
        csv.push_str(&format!("user{i:08},{},{}\n", CITIES[i % CITIES.len()], 18 + (i * 7) % 60));
    }
    let start = Instant::now();
    let body = futures_util::stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from(csv))]);
    let spooled = couponry::uploads::spool(body, u64::MAX).await.expect("spooled");
    let outcome =
        couponry::audience::users::import::import(&db, couponry::audience::users::import::Format::Csv, spooled)
            .await
            .expect("import");
    let import = start.elapsed();
    assert!(matches!(outcome, couponry::audience::users::import::UserImport::Stored(ref r) if r.users == users as u64));
    eprintln!("{label}: {users} users imported in {:.2} s", import.as_secs_f64());

    let mut counts = Vec::new();
    for (name, r) in [
        (
            "city = Mumbai",
            rule(json!({"groups": [{"conditions": [{"property": "city", "op": "eq", "value": "mumbai"}]}]})),
        ),
        (
            "(city one of Mumbai, Pune and age ≥ 30) or city = Goa",
            rule(json!({"join": "any", "groups": [
                {"conditions": [{"property": "city", "op": "one_of", "value": ["Mumbai", "Pune"]}, {"property": "age", "op": "gte", "value": 30}]},
                {"conditions": [{"property": "city", "op": "eq", "value": "Goa"}]}]})),
        ),
        ("age ≥ 18 (everyone)", adults()),
    ] {
        let mut errors = couponry::fields::FieldErrors::default();
        let parsed = r.parse("rule", &mut errors).expect("rule parses");
        let start = Instant::now();
        let preview = couponry::audience::segments::store::preview(&db, &parsed).await.expect("preview");
        let took = Duration::from_millis(preview.took_ms as u64);
        eprintln!("{label}: count `{name}` = {} in {:?} (preview {:?})", preview.matching, took, start.elapsed());
        counts.push((name, preview.matching, took));
    }

    let raw_coupon = unique_coupon(&db, "Raw launch", "campaign").await;
    let app_coupon = unique_coupon(&db, "App launch", "campaign").await;
    codes(&db, raw_coupon, "RAW", users).await;
    codes(&db, app_coupon, "APP", users).await;
    let segment = couponry::audience::segments::store::save(
        &db,
        &actor,
        None,
        &SegmentInput { name: "Adults".into(), description: String::new(), rule: adults() }.parse().expect("segment"),
    )
    .await
    .expect("segment saved");

    // The app goes first, so the raw run has the warmer cache: the ratio errs against the app.
    let start = Instant::now();
    let input = CampaignInput {
        name: "Everyone".into(),
        coupon_id: Some(app_coupon),
        segment_id: Some(segment.id),
        launch_at: None,
        keep_in_sync: false,
    };
    let campaign =
        couponry::audience::campaigns::store::create(&db, &actor, &input, chrono::Utc::now()).await.expect("launch");
    let launch = start.elapsed();
    assert_eq!(campaign.matched, users as i64);
    assert_eq!(assigned(&db, app_coupon).await, users as i64);
    eprintln!("{label}: app launch {:.2} s", launch.as_secs_f64());

    let raw_launch = raw_launch(&db, raw_coupon, chrono::Utc::now().timestamp_millis()).await;
    assert_eq!(assigned(&db, raw_coupon).await, users as i64);
    eprintln!("{label}: raw launch {:.2} s", raw_launch.as_secs_f64());
    db.pool().close().await;
    Results { import, counts, raw_launch, launch }
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::var("BENCH_USERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("couponry-audience-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sqlite = bench("SQLite", &format!("sqlite://{}/bench.db?mode=rwc", dir.display()), users).await;

    let mut pg = PgDatabases::connect().await;
    let url = pg.fresh("audience").await;
    let postgres = bench("PostgreSQL", &url, users).await;

    println!("| database | what | users | seconds | |");
    println!("|---|---|---|---|---|");
    for (db, r) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
        println!(
            "| {db} | bulk import, CSV (`PUT /users`) | {users} | {:.2} | {:.0} users/s |",
            r.import.as_secs_f64(),
            users as f64 / r.import.as_secs_f64()
        );
        for (name, matching, took) in &r.counts {
            println!("| {db} | segment count: {name} | {users} | {:.3} | {matching} match |", took.as_secs_f64());
        }
        println!("| {db} | raw INSERT … SELECT + UPDATE … FROM | {users} | {:.2} | |", r.raw_launch.as_secs_f64());
        println!(
            "| {db} | campaign launch, unique codes | {users} | {:.2} | **{:.0}%** of raw |",
            r.launch.as_secs_f64(),
            100.0 * r.raw_launch.as_secs_f64() / r.launch.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    pg.drop_all().await;
}
