//! What the benches share: live coupons, fresh PostgreSQL databases, a server process.
#![allow(dead_code)]

use couponry::accounts::audit::Actor;
use couponry::coupons::{input::CouponInput, status::CouponStatus, store};
use couponry::db::Db;
use serde_json::json;
use std::time::Duration;

/// A live coupon: 10% off the order, for everyone unless `changes` say otherwise.
pub async fn live_coupon(db: &Db, name: &str, changes: serde_json::Value) -> i64 {
    let mut input = json!({
        "name": name,
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": "all_users",
        "distribution": {"type": "unique"},
        "activation": {"type": "time"},
        "expiry": {"type": "never"},
        "visibility": "visible",
        "stacking": "exclusive"
    });
    for (k, v) in changes.as_object().expect("changes are an object") {
        input[k] = v.clone();
    }
    let input: CouponInput = serde_json::from_value(input).expect("input");
    let coupon = store::create(db, &Actor::system(), &input.parse().expect("valid")).await.expect("coupon");
    store::set_status(db, &Actor::system(), coupon.id, CouponStatus::Active).await.expect("live");
    coupon.id
}

/// A live coupon with unique codes, for `audience` (`all_users` or `campaign`).
pub async fn unique_coupon(db: &Db, name: &str, audience: &str) -> i64 {
    // Only assigned coupons may count their expiry from the assignment.
    let changes = if audience == "campaign" {
        json!({"audience": audience,
               "expiry": {"type": "relative", "duration": {"value": 30, "unit": "days"}, "relative_to": "assignment"}})
    } else {
        json!({"audience": audience})
    };
    live_coupon(db, name, changes).await
}

/// Empty PostgreSQL databases on the tests' server, dropped with this value.
pub struct PgDatabases {
    admin: sqlx::PgConnection,
    names: Vec<String>,
    base: String,
}

impl PgDatabases {
    pub async fn connect() -> PgDatabases {
        use sqlx::Connection;
        let server =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = sqlx::PgConnection::connect(&server).await.expect("PostgreSQL for the bench");
        let (base, _) = server.rsplit_once('/').expect("server URL has a database");
        PgDatabases { admin, names: Vec::new(), base: base.to_string() }
    }

    /// A new empty database's URL.
    pub async fn fresh(&mut self, label: &str) -> String {
        let name = format!("couponry_{label}_bench_{}_{}", std::process::id(), self.names.len());
        sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut self.admin).await.expect("bench database");
        self.names.push(name.clone());
        format!("{}/{name}", self.base)
    }

    pub async fn drop_all(mut self) {
        for name in std::mem::take(&mut self.names) {
            let _ =
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut self.admin).await;
        }
    }
}

/// A server process on `database_url`, killed when dropped.
pub struct Server {
    pub base: String,
    child: std::process::Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the release binary with `env` on top of the bench's settings, and waits for it.
    pub async fn start(database_url: &str, env: &[(&str, &str)]) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_couponry"))
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "couponry")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("COUPONRY_ADMIN_PASSWORD", "bench-password")
            .env("COUPONRY_MAX_UPLOAD_MB", "100")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the couponry binary starts");
        let server = Server { base: format!("http://127.0.0.1:{port}"), child };
        for _ in 0..300 {
            if reqwest::get(format!("{}/login", server.base)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not start");
    }

    /// The most resident memory the process has had, in MB (Linux's VmHWM).
    pub fn peak_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}
