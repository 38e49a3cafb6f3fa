//! Runs the real application (the same `startup::build` as `main`) on a free port, against a
//! fresh SQLite file or a fresh PostgreSQL database, and talks to it over HTTP.
#![allow(dead_code)]

use couponry::config::Config;
use couponry::db::Db;
use couponry::startup;
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use reqwest::StatusCode;
use serde_json::Value;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

#[derive(Debug, Clone, Copy)]
pub enum Flavor {
    Sqlite,
    Postgres,
}

/// Runs one async scenario on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $scenario:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = common::TestApp::spawn(common::Flavor::Sqlite).await;
                ($scenario)(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = common::TestApp::spawn(common::Flavor::Postgres).await;
                ($scenario)(app).await;
            }
        }
    };
}

/// Removes the test's database when the test ends, passed or failed.
enum Cleanup {
    Folder(std::path::PathBuf),
    PgDatabase { server: String, name: String },
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::Folder(path) => {
                let _ = std::fs::remove_dir_all(path);
            }
            Cleanup::PgDatabase { server, name } => {
                let (server, name) = (server.clone(), name.clone());
                // Drop cannot await; a thread with its own runtime can.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                    rt.block_on(async {
                        use sqlx::Connection;
                        let mut conn = sqlx::PgConnection::connect(&server).await.ok()?;
                        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await
                            .ok()
                    })
                })
                .join();
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    /// A client with its own cookie jar: one browser.
    pub client: reqwest::Client,
    /// A pool of its own on the same database, for checking what was stored.
    pub db: Db,
    pub database_url: String,
    /// The server's checkout counts not yet written (its scheduler tick writes them).
    pub checks: couponry::state::CheckCounts,
    _cleanup: Cleanup,
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    format!("{}_{}_{}", std::process::id(), nanos, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The PostgreSQL server the tests use: the test script exports it; a developer's machine
/// with a local server works without it.
pub fn postgres_server() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn fresh_database(flavor: Flavor) -> (String, Cleanup) {
    match flavor {
        Flavor::Sqlite => {
            let dir = std::env::temp_dir().join(format!("couponry-test-{}", unique_suffix()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            (format!("sqlite://{}/test.db?mode=rwc", dir.display()), Cleanup::Folder(dir))
        }
        Flavor::Postgres => {
            use sqlx::Connection;
            let server = postgres_server();
            let name = format!("couponry_t_{}", unique_suffix());
            let mut conn = sqlx::PgConnection::connect(&server)
                .await
                .unwrap_or_else(|e| panic!("no PostgreSQL at {server} ({e}); run the test script, which starts one"));
            sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create database");
            let (base, _) = server.rsplit_once('/').expect("server URL has a database path");
            (format!("{base}/{name}"), Cleanup::PgDatabase { server, name })
        }
    }
}

impl TestApp {
    pub async fn spawn(flavor: Flavor) -> TestApp {
        TestApp::spawn_with(flavor, |_| {}).await
    }

    /// [`TestApp::spawn`] with settings changed from the tests' defaults.
    pub async fn spawn_with(flavor: Flavor, change: impl FnOnce(&mut Config)) -> TestApp {
        let (database_url, cleanup) = fresh_database(flavor).await;
        TestApp::start(database_url, cleanup, change).await
    }

    /// Another server on `app`'s database (as a deployment runs several), with its settings changed.
    pub async fn spawn_with_database(app: &TestApp, change: impl FnOnce(&mut Config)) -> TestApp {
        TestApp::start(app.database_url.clone(), Cleanup::Folder(std::path::PathBuf::new()), change).await
    }

    async fn start(database_url: String, cleanup: Cleanup, change: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config {
            max_connections: 8,
            admin_email: ADMIN_EMAIL.into(),
            admin_password: Some(ADMIN_PASSWORD.into()),
            validate_per_key: 100_000,
            validate_per_user: 30,
            max_upload_bytes: 8 << 20,
            // Tests launch due campaigns themselves, when they choose.
            scheduler_tick: None,
            ..Config::with_database(&database_url)
        };
        change(&mut config);
        let options = LeptosOptions::builder().output_name("couponry").site_root("target/site").build();
        let header_timeout = config.header_timeout;
        let built = startup::build(config, options).await.expect("the app starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound address");
        tokio::spawn(couponry::serve::serve(listener, built.router, header_timeout, std::future::pending()));
        let db = Db::connect(&database_url, 2).await.expect("a second pool");
        let checks = built.state.checks;
        TestApp { base: format!("http://{addr}"), client: new_client(), db, database_url, checks, _cleanup: cleanup }
    }

    /// Another browser on the same server (its own cookies).
    pub fn new_browser(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            client: new_client(),
            db: self.db.clone(),
            database_url: self.database_url.clone(),
            checks: self.checks.clone(),
            _cleanup: Cleanup::Folder(std::path::PathBuf::new()),
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let res = self.client.get(format!("{}{path}", self.base)).send().await.expect("GET");
        let status = res.status();
        (status, res.text().await.unwrap_or_default())
    }

    /// Calls a URL-encoded server function (the default encoding, what `ActionForm` sends).
    pub async fn call_form<F: ServerFn>(&self, fields: &[(&str, &str)]) -> (StatusCode, Value) {
        let res = self.client.post(format!("{}{}", self.base, F::PATH)).form(fields).send().await.expect("POST");
        read(res).await
    }

    /// Calls a JSON-encoded server function.
    pub async fn call_json<F: ServerFn>(&self, body: &Value) -> (StatusCode, Value) {
        let res = self.client.post(format!("{}{}", self.base, F::PATH)).json(body).send().await.expect("POST");
        read(res).await
    }

    pub async fn login(&self, email: &str, password: &str) -> StatusCode {
        use couponry::accounts::server::Login;
        self.call_form::<Login>(&[("email", email), ("password", password)]).await.0
    }

    pub async fn login_admin(&self) {
        assert!(self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.is_success(), "admin logs in");
    }

    /// Creates an account as the logged-in admin and returns a browser logged in as it.
    pub async fn browser_as(&self, role: &str) -> TestApp {
        use couponry::accounts::server::CreateAccount;
        let email = format!("{role}-{}@example.com", unique_suffix());
        let (status, body) = self
            .call_form::<CreateAccount>(&[
                ("email", &email),
                ("name", role),
                ("password", "a-long-password"),
                ("role", role),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "create {role}: {body}");
        let other = self.new_browser();
        assert!(other.login(&email, "a-long-password").await.is_success());
        other
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.db.pool())
            .await
            .expect("count")
    }
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn read(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Waits, when fewer than `needed_ms` are left in the current fixed window of `window_ms` (the
/// throttle's windows start at multiples of their length), for the next window to begin: a test
/// that counts attempts to a limit must not straddle two windows.
pub async fn early_in_window(window_ms: i64, needed_ms: i64) {
    let left = window_ms - chrono::Utc::now().timestamp_millis().rem_euclid(window_ms);
    if left < needed_ms {
        tokio::time::sleep(std::time::Duration::from_millis(left as u64 + 50)).await;
    }
}

/// The message for `field` in a server function's error body
/// (`{"Invalid": [{"field": …, "message": …}]}`).
pub fn field_error(body: &Value, field: &str) -> Option<String> {
    body.get("Invalid")?
        .as_array()?
        .iter()
        .find(|e| e.get("field").and_then(Value::as_str) == Some(field))
        .and_then(|e| e.get("message")?.as_str().map(str::to_string))
}

/// A live coupon with the given settings over a 10%-off-the-order base.
pub fn coupon_input(code: &str, changes: Value) -> Value {
    let mut base = serde_json::json!({
        "name": format!("Coupon {code}"),
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": "all_users",
        "distribution": {"type": "static", "code": code},
        "activation": {"type": "time"},
        "expiry": {"type": "never"},
        "visibility": "visible",
        "stacking": "exclusive"
    });
    for (k, v) in changes.as_object().expect("changes are an object") {
        base[k] = v.clone();
    }
    base
}

/// The JSON API, as an app calls it.
pub struct Api {
    pub base: String,
    pub key: String,
    client: reqwest::Client,
}

impl Api {
    /// A client of the API at `base` (`http://host:port`) with `key`.
    pub fn new(base: &str, key: &str) -> Api {
        Api { base: base.to_string(), key: key.to_string(), client: reqwest::Client::new() }
    }

    pub fn with_key(&self, key: &str) -> Api {
        Api { base: self.base.clone(), key: key.to_string(), client: self.client.clone() }
    }

    pub fn on(&self, base: &str) -> Api {
        Api { base: base.to_string(), key: self.key.clone(), client: self.client.clone() }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        idempotency: Option<&str>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut req = self.client.request(method, format!("{}/api/v1{path}", self.base)).bearer_auth(&self.key);
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(key) = idempotency {
            req = req.header("Idempotency-Key", key);
        }
        let res = req.send().await.expect("API request");
        let headers = res.headers().clone();
        let (status, value) = read(res).await;
        (status, value, headers)
    }

    /// POSTs `body` as it is written, for requests whose spelling matters.
    pub async fn post_text(&self, path: &str, body: &str, idempotency: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .header("Idempotency-Key", idempotency)
            .body(body.to_string())
            .send()
            .await
            .expect("API request");
        read(res).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let (s, v, _) = self.send(reqwest::Method::POST, path, Some(body), None).await;
        (s, v)
    }

    pub async fn put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let (s, v, _) = self.send(reqwest::Method::PUT, path, Some(body), None).await;
        (s, v)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, v, _) = self.send(reqwest::Method::GET, path, None, None).await;
        (s, v)
    }

    /// Posts raw bytes, for bodies that are not JSON.
    pub async fn post_raw(&self, path: &str, body: &str, content_type: &str) -> (StatusCode, Value) {
        self.raw(reqwest::Method::POST, path, body, content_type).await
    }

    /// Sends raw bytes with any method.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &str,
        content_type: &str,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(&self.key)
            .header("content-type", content_type)
            .body(body.to_string())
            .send()
            .await
            .expect("API request");
        read(res).await
    }
}

impl TestApp {
    /// An API key with every scope, and a client that sends it.
    pub async fn api(&self) -> Api {
        use couponry::accounts::keys::{store::create, Scope};
        let (_, secret) =
            create(&self.db, &couponry::accounts::audit::Actor::system(), "tests", &[Scope::Checkout, Scope::Manage])
                .await
                .expect("an API key");
        Api { base: self.base.clone(), key: secret, client: reqwest::Client::new() }
    }

    /// What every server's scheduler tick does: writes the checkout counts and folds new
    /// activity into the analytics rollups (reports only read them).
    pub async fn fold(&self) {
        couponry::activity::checks::flush(&self.checks, &self.db).await.expect("checks written");
        couponry::activity::derived::refresh(&self.db).await.expect("fold");
    }

    /// Creates a coupon from builder input and makes it active; returns its id.
    pub async fn live_coupon(&self, input: Value) -> i64 {
        use couponry::accounts::audit::Actor;
        use couponry::coupons::{input::CouponInput, status::CouponStatus, store};
        let input: CouponInput = serde_json::from_value(input).expect("coupon input");
        let definition = input.parse().unwrap_or_else(|e| panic!("test coupon is valid: {e}"));
        let coupon = store::create(&self.db, &Actor::system(), &definition).await.expect("coupon created");
        store::set_status(&self.db, &Actor::system(), coupon.id, CouponStatus::Active).await.expect("activated");
        coupon.id
    }
}

/// A real `couponry` server process, killed when dropped.
pub struct ServerProcess {
    pub base: String,
    child: std::process::Child,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts the built binary on a free port against `database_url` and waits until it answers.
    pub async fn start(database_url: &str) -> ServerProcess {
        Self::start_with(database_url, &[]).await
    }

    /// Starts the binary with extra environment variables.
    pub async fn start_with(database_url: &str, env: &[(&str, &str)]) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_couponry"))
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "couponry")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("COUPONRY_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("COUPONRY_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the couponry binary starts");
        let server = ServerProcess { base: format!("http://127.0.0.1:{port}"), child };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if client.get(format!("{}/login", server.base)).send().await.is_ok() {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the server on port {port} did not answer within 30 s");
    }
}
