//! What the benches share: a live unique-code coupon, and fresh PostgreSQL databases.
#![allow(dead_code)]

use couponry::accounts::audit::Actor;
use couponry::coupons::{input::CouponInput, status::CouponStatus, store};
use couponry::db::Db;
use serde_json::json;

/// A live coupon with unique codes, for `audience` (`all_users` or `campaign`).
pub async fn unique_coupon(db: &Db, name: &str, audience: &str) -> i64 {
    let input: CouponInput = serde_json::from_value(json!({
        "name": name,
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": audience,
        "distribution": {"type": "unique"},
        "activation": {"type": "time"},
        "expiry": {"type": "relative", "duration": {"value": 30, "unit": "days"}, "relative_to": "assignment"},
        "visibility": "visible",
        "stacking": "exclusive"
    }))
    .expect("input");
    let coupon = store::create(db, &Actor::system(), &input.parse().expect("valid")).await.expect("coupon");
    store::set_status(db, &Actor::system(), coupon.id, CouponStatus::Active).await.expect("live");
    coupon.id
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
