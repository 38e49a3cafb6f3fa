//! What an attacker or a fault tries, on SQLite and PostgreSQL: guessing codes through every
//! door, lost and half-applied edits, control characters, open redirects, password guessing,
//! bad settings, outages and full disks, slow clients, axum's own errors, expired rows.

mod common;

use std::time::Duration;

use common::{Api, ServerProcess, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn coupon(code: &str) -> Value {
    common::coupon_input(code, json!({}))
}

fn cart() -> Value {
    json!({"currency": "INR", "items": [{"sku": "SHOE-1", "quantity": 1, "unit_price": 150000}]})
}

fn attempt(user: &str, code: &str, order: &str) -> Value {
    json!({"user_id": user, "code": code, "cart": cart(), "order_id": order})
}

fn reason_codes(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["code"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

async fn try_it(app: &TestApp, coupon_id: i64, user: &str, code: &str) -> (StatusCode, Value) {
    use couponry::redemption::server::TryCoupon;
    let id = coupon_id.to_string();
    app.call_form::<TryCoupon>(&[
        ("coupon_id", &id),
        ("user_id", user),
        ("code", code),
        ("items", "SHOE-1, Shoes, 1, 1500"),
        ("fees", ""),
        ("properties", ""),
    ])
    .await
}

on_both!(guessing_codes_is_limited_through_every_door, |app: TestApp| async move {
    common::early_in_window(60_000, 30_000).await;
    let api = app.api().await;
    let id = app.live_coupon(coupon("REALCODE")).await;
    for i in 0..30 {
        let (status, body) = api.post("/validate", &attempt("guesser", &format!("GUESS-{i}"), "o")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = api.post("/validate", &attempt("guesser", "GUESS-X", "o")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Redeem is the same door: refused before anything is looked up or stored.
    let (status, body, headers) =
        api.send(Method::POST, "/redemptions", Some(&attempt("guesser", "REALCODE", "o-1")), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], json!("rate_limited"));
    assert!(headers.get("retry-after").is_some());
    assert_eq!(app.count("redemptions").await, 0);
    // Guessing through redeem alone is counted too.
    for i in 0..30 {
        let (status, body) = api.post("/redemptions", &attempt("other", &format!("GUESS-{i}"), "o")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let (status, _) = api.post("/redemptions", &attempt("other", "REALCODE", "o-2")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("redemptions").await, 0);
    // And the dashboard's "try it" shares the user's bucket.
    app.login_admin().await;
    let (status, body) = try_it(&app, id, "guesser", "REALCODE").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // Someone else is not held back.
    let (status, body) = api.post("/redemptions", &attempt("honest", "REALCODE", "o-3")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
});

on_both!(strangers_cannot_tell_which_codes_exist, |app: TestApp| async move {
    let api = app.api().await;
    let mut unique = coupon("IGNORED");
    unique["distribution"] = json!({"type": "unique"});
    let id = app.live_coupon(unique).await;
    sqlx::query("INSERT INTO codes (code, coupon_id, kind, user_id, status) VALUES ('HELD-1234', $1, 'unique', 'owner', 'assigned')")
        .bind(id)
        .execute(app.db.pool())
        .await
        .expect("a held code");
    let (_, held) = api.post("/validate", &attempt("stranger", "HELD-1234", "o")).await;
    let (_, none) = api.post("/validate", &attempt("stranger", "NONE-1234", "o")).await;
    let without_code = |mut v: Value| {
        v["code"] = Value::Null;
        v
    };
    assert_eq!(without_code(held.clone()), without_code(none), "a held code reads as a missing one");
    assert_eq!(reason_codes(&held), vec!["code_not_found"]);
    let (status, refused) = api.post("/redemptions", &attempt("stranger", "HELD-1234", "o")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reason_codes(&refused["error"]["details"]), vec!["code_not_found"], "{refused}");
    assert_eq!(refused["error"]["details"]["coupon_id"], Value::Null);
    // Its owner redeems it, and is then told it is used.
    assert_eq!(api.post("/redemptions", &attempt("owner", "HELD-1234", "o1")).await.0, StatusCode::CREATED);
    let (_, used) = api.post("/validate", &attempt("owner", "HELD-1234", "o2")).await;
    assert_eq!(reason_codes(&used), vec!["code_already_used"]);
    let (_, used) = api.post("/validate", &attempt("stranger", "HELD-1234", "o2")).await;
    assert_eq!(reason_codes(&used), vec!["code_not_found"]);
    // The dashboard, whose people own the codes, is told the whole truth.
    app.login_admin().await;
    let (status, answer) = try_it(&app, id, "stranger", "HELD-1234").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let told: Vec<&str> = answer["reasons"].as_array().unwrap().iter().filter_map(|r| r[0].as_str()).collect();
    assert!(told.contains(&"code_assigned_to_other_user"), "{answer}");
});

async fn patch(api: &Api, id: i64, body: &Value) -> (StatusCode, Value) {
    let (status, value, _) = api.send(Method::PATCH, &format!("/coupons/{id}"), Some(body), None).await;
    (status, value)
}

on_both!(concurrent_edits_from_one_version_let_exactly_one_win, |app: TestApp| async move {
    let api = app.api().await;
    let (_, created) = api.post("/coupons", &coupon("RACE")).await;
    let id = created["id"].as_i64().expect("an id");
    let version = created["version"].as_i64().expect("a version");
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let api = api.with_key(&api.key);
            tokio::spawn(async move {
                patch(&api, id, &json!({"version": version, "definition": {"name": format!("Edit {i}")}})).await
            })
        })
        .collect();
    let mut won = Vec::new();
    for task in tasks {
        let (status, body) = task.await.expect("task");
        match status {
            StatusCode::OK => won.push(body["definition"]["name"].as_str().unwrap_or_default().to_string()),
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(won.len(), 1, "exactly one edit wins: {won:?}");
    let (_, shown) = api.get(&format!("/coupons/{id}")).await;
    assert_eq!(shown["definition"]["name"], json!(won[0]));
    assert_eq!(shown["version"], json!(version + 1));
    let audited: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'coupon.update'")
        .fetch_one(app.db.pool())
        .await
        .expect("audit count");
    assert_eq!(audited, 1);

    // The dashboard's builder: the same race through its server function.
    use couponry::coupons::server::SaveCoupon;
    app.login_admin().await;
    let version = version + 1;
    let mut browsers = Vec::new();
    for _ in 0..10 {
        let browser = app.new_browser();
        browser.login_admin().await;
        browsers.push(browser);
    }
    let saves: Vec<_> = browsers
        .into_iter()
        .enumerate()
        .map(|(i, browser)| {
            let mut input = coupon("RACE");
            input["name"] = json!(format!("Builder {i}"));
            tokio::spawn(async move {
                browser.call_json::<SaveCoupon>(&json!({"id": id, "version": version, "input": input})).await
            })
        })
        .collect();
    let mut saved = 0;
    for save in saves {
        let (status, body) = save.await.expect("task");
        match status {
            StatusCode::OK => saved += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(saved, 1, "exactly one builder save wins");
});

on_both!(a_refused_status_change_keeps_the_whole_patch_out, |app: TestApp| async move {
    let api = app.api().await;
    let (_, created) = api.post("/coupons", &coupon("HALF")).await;
    let id = created["id"].as_i64().expect("an id");
    // A draft cannot be paused: the name change in the same PATCH must not be stored either.
    let (status, body) = patch(&api, id, &json!({"status": "paused", "definition": {"name": "Renamed"}})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, shown) = api.get(&format!("/coupons/{id}")).await;
    assert_eq!(shown["definition"]["name"], json!("Coupon HALF"));
    assert_eq!(shown["version"], created["version"]);
    // A status change with a stale version is refused like a definition change.
    let (status, _) = patch(&api, id, &json!({"status": "active", "version": 99})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = patch(&api, id, &json!({"status": "active", "definition": {"name": "Live"}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], json!("active"));
    assert_eq!(body["definition"]["name"], json!("Live"));
});

/// The fields an API error names.
fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["field"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

on_both!(control_characters_are_refused_at_the_edge_with_the_field, |app: TestApp| async move {
    let api = app.api().await;
    let nul = "a\u{0}b";
    let cases: Vec<(Method, &str, Value, &str)> = vec![
        (Method::PUT, "/users/u1", json!({"properties": {"city": nul}}), "properties.city"),
        (Method::PUT, "/users/u1", json!({"properties": {"ci\u{0}ty": "x"}}), "properties.city"),
        (Method::POST, "/redemptions", attempt("u1", "CODE", nul), "order_id"),
        (Method::POST, "/validate", json!({"user_id": "u1", "code": "C\u{1b}D", "cart": cart()}), "code"),
        (
            Method::POST,
            "/coupons",
            {
                let mut c = coupon("NULNAME");
                c["name"] = json!(nul);
                c
            },
            "name",
        ),
        (Method::POST, "/segments", json!({"name": nul, "rule": {"all": []}}), "name"),
        (Method::POST, "/users/u1/wallet/transactions", json!({"type": "credit", "points": 5, "note": nul}), "note"),
        (
            Method::POST,
            "/events",
            json!([{"user_id": "u1", "name": "signup", "properties": {"p": nul}}]),
            "[0].properties.p",
        ),
    ];
    for (method, path, body, field) in cases {
        let (status, answer, _) = api.send(method.clone(), path, Some(&body), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path}: {answer}");
        assert_eq!(error_fields(&answer), vec![field.to_string()], "{method} {path}: {answer}");
    }
    let (status, answer) = api.get("/coupons?search=%00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(error_fields(&answer), vec!["search"]);
    for table in ["app_users", "redemptions", "coupons", "segments", "wallet_entries", "events"] {
        assert_eq!(app.count(table).await, 0, "{table}: nothing stored");
    }
    // CSV cells go through the same rule, reported by line.
    let (status, answer) = api.raw(Method::PUT, "/users", "user_id,city\nu2,x\u{0}y\n", "text/csv").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("U+0000"), "{answer}");
    assert_eq!(app.count("app_users").await, 0);
    // The dashboard: forms and JSON server functions, and page addresses.
    app.login_admin().await;
    use couponry::accounts::keys::server::CreateApiKey;
    use couponry::accounts::server::CreateAccount;
    let (status, body) = app.call_form::<CreateApiKey>(&[("name", nul), ("checkout", "on")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(common::field_error(&body, "name").is_some_and(|m| m.contains("U+0000")), "{body}");
    let (status, body) = app
        .call_form::<CreateAccount>(&[
            ("email", "x@example.com"),
            ("name", nul),
            ("password", "a-long-password"),
            ("role", "analyst"),
        ])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(common::field_error(&body, "name").is_some(), "{body}");
    use couponry::coupons::server::SaveCoupon;
    let mut input = coupon("FORMNUL");
    input["name"] = json!(nul);
    let (status, body) = app.call_json::<SaveCoupon>(&json!({"id": null, "version": null, "input": input})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(common::field_error(&body, "name").is_some(), "{body}");
    let (status, _) = app.get("/coupons?search=%00").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("coupons").await, 0);
    assert_eq!(app.count("accounts").await, 1);
    assert_eq!(app.count("api_keys").await, 1, "only the test's own key");
});

/// Logs in with a raw form post and returns the status and where it sends the browser.
async fn login_to(app: &TestApp, email: &str, password: &str, next: &str) -> (StatusCode, Option<String>) {
    use couponry::accounts::server::Login;
    use leptos::server_fn::ServerFn;
    let res = app
        .client
        .post(format!("{}{}", app.base, Login::PATH))
        .form(&[("email", email), ("password", password), ("next", next)])
        .send()
        .await
        .expect("login");
    let location = res.headers().get("location").and_then(|v| v.to_str().ok()).map(String::from);
    (res.status(), location)
}

on_both!(login_follows_only_plain_local_paths, |app: TestApp| async move {
    for next in
        ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example/", "/a\nb", "/a\rb", "/a\u{7f}"]
    {
        let (status, location) = login_to(&app.new_browser(), ADMIN_EMAIL, ADMIN_PASSWORD, next).await;
        // A control character is refused at the edge; anything else logs in and goes home.
        if next.chars().any(|c| c.is_control() && c != '\t' && c != '\n' && c != '\r') {
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{next:?}");
        } else {
            assert!(status.is_success() || status.is_redirection(), "{next:?}: {status}");
            assert_eq!(location.as_deref(), Some("/coupons"), "{next:?}");
        }
    }
    let (_, location) = login_to(&app.new_browser(), ADMIN_EMAIL, ADMIN_PASSWORD, "/coupons/new?x=1").await;
    assert_eq!(location.as_deref(), Some("/coupons/new?x=1"));
});

on_both!(password_guessing_backs_off_and_is_audited, |app: TestApp| async move {
    // The counts live in fixed 15-minute windows: start early in one, so the hundred logins
    // below (each an argon2 hash) do not straddle two windows.
    common::early_in_window(15 * 60_000, 180_000).await;
    for i in 0..10 {
        assert_eq!(app.login(ADMIN_EMAIL, &format!("wrong-{i}")).await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // The account is now held back, even with the right password, for the rest of the window.
    assert_eq!(app.login(ADMIN_EMAIL, "wrong-x").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.login(&ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    let failures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'account.login_failed'")
        .fetch_one(app.db.pool())
        .await
        .expect("audit");
    assert_eq!(failures, 10);
    // Unknown emails from one address: the address is held back after 100 failures.
    for i in 0..90 {
        assert_eq!(
            app.login(&format!("nobody{i}@example.com"), "wrong-password").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(app.login("someone@example.com", "wrong-password").await, StatusCode::TOO_MANY_REQUESTS);
});

on_both!(easy_passwords_are_refused, |app: TestApp| async move {
    use couponry::accounts::server::CreateAccount;
    app.login_admin().await;
    for password in ["            ", "password123", "jane@example.com", "aaaaaaaaaaaa"] {
        let (status, body) = app
            .call_form::<CreateAccount>(&[
                ("email", "jane@example.com"),
                ("name", "Jane"),
                ("password", password),
                ("role", "analyst"),
            ])
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{password:?}: {body}");
        assert!(common::field_error(&body, "password").is_some(), "{password:?}: {body}");
    }
    assert_eq!(app.count("accounts").await, 1);
});

on_both!(every_api_error_is_the_apis_json, |app: TestApp| async move {
    let api = app.api().await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}/api/v1{path}", app.base);
    let big = format!("{{\"user_id\": \"u\", \"code\": \"{}\"}}", "x".repeat(2 << 20));
    let answers = vec![
        // A client of its own: the server answers before reading the body and drops the connection.
        (
            reqwest::Client::new()
                .post(url("/validate"))
                .bearer_auth(&api.key)
                .header("content-type", "application/json")
                .body(big),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (client.get(url("/users/%FF%FE")).bearer_auth(&api.key), StatusCode::BAD_REQUEST),
        (client.get(url("/coupons?status=active&status=draft")).bearer_auth(&api.key), StatusCode::BAD_REQUEST),
        (client.delete(url("/validate")).bearer_auth(&api.key), StatusCode::METHOD_NOT_ALLOWED),
        (client.put(url("/users/u1")).bearer_auth(&api.key).json(&json!([])), StatusCode::BAD_REQUEST),
        (client.post(url("/redemptions")).bearer_auth(&api.key).json(&json!(["u1", "CODE"])), StatusCode::BAD_REQUEST),
        (client.get(url("/nowhere")).bearer_auth(&api.key), StatusCode::NOT_FOUND),
    ];
    for (request, expected) in answers {
        let res = request.send().await.expect("request");
        let status = res.status();
        let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, expected, "{body}");
        assert!(kind.starts_with("application/json"), "{expected}: {kind}");
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{expected}: {body}");
    }
    assert_eq!(app.count("app_users").await, 0);
    // The document says where these answers happen, and lists the refusal reasons.
    let (_, doc) = api.get("/openapi.json").await;
    let reasons = &doc["components"]["schemas"]["Reason"]["enum"];
    assert!(reasons.as_array().is_some_and(|r| r.contains(&json!("code_not_found")) && r.len() > 15), "{reasons}");
    for (path, method, status) in [
        ("/redemptions", "post", "429"),
        ("/redemptions", "post", "401"),
        ("/validate", "post", "400"),
        ("/coupons/{id}", "patch", "409"),
        ("/coupons/{id}", "get", "404"),
        ("/users/{user_id}", "put", "400"),
    ] {
        assert!(doc["paths"][path][method]["responses"][status].is_object(), "{method} {path} declares {status}");
    }
});

on_both!(expired_rows_are_swept, |app: TestApp| async move {
    use couponry::housekeeping;
    let now = couponry::db::now_ms();
    let api = app.api().await;
    let key_id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM api_keys").fetch_one(app.db.pool()).await.expect("key");
    app.login_admin().await;
    for (age, key) in [(housekeeping::IDEMPOTENCY_KEPT_MS + 1, "old"), (1_000, "new")] {
        sqlx::query(
            "INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at) VALUES ($1, $2, 'h', $3)",
        )
        .bind(key_id)
        .bind(key)
        .bind(now - age)
        .execute(app.db.pool())
        .await
        .expect("a key");
    }
    sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ('gone', 1, $1, $2)")
        .bind(now - 10_000)
        .bind(now - 1)
        .execute(app.db.pool())
        .await
        .expect("an old session");
    sqlx::query("INSERT INTO rate_limits (bucket, window_start, hits) VALUES ('old', $1, 3), ('new', $2, 1)")
        .bind(now - 2 * couponry::throttle::LONGEST_WINDOW)
        .bind(now - 1_000)
        .execute(app.db.pool())
        .await
        .expect("windows");
    let swept = housekeeping::sweep(&app.db, now).await.expect("swept");
    assert_eq!((swept.sessions, swept.idempotency_keys, swept.rate_limits), (1, 1, 1));
    assert_eq!(app.count("sessions").await, 1, "the live session stays");
    assert_eq!(app.count("idempotency_keys").await, 1);
    assert_eq!(app.count("rate_limits").await, 1);
    assert_eq!(api.get("/coupons").await.0, StatusCode::OK);
});

#[test]
fn bad_settings_stop_the_server_with_a_clear_message() {
    for (name, value) in [("COUPONRY_SESSION_HOURS", "-5"), ("COUPONRY_DB_CONNECTIONS", "abc")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_couponry"))
            .env("DATABASE_URL", "sqlite::memory:")
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env(name, value)
            .output()
            .expect("the binary runs");
        assert_eq!(out.status.code(), Some(2), "{name}={value} stops the server");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name) && stderr.contains(value), "{stderr}");
    }
}

/// The API key a process-level test calls with, made straight in the database.
async fn key_for(database_url: &str) -> String {
    use couponry::accounts::keys::{store::create, Scope};
    let db = couponry::db::Db::connect(database_url, 1).await.expect("a pool of the test's own");
    let actor = couponry::accounts::audit::Actor::system();
    create(&db, &actor, "tests", &[Scope::Checkout, Scope::Manage]).await.expect("a key").1
}

/// A database locked past the busy timeout is an outage: 503 with `Retry-After`, nothing stored,
/// and the retry with the same `Idempotency-Key` lands once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_sqlite_database_answers_503_and_the_retry_lands() {
    use sqlx::Connection;
    let app = TestApp::spawn(common::Flavor::Sqlite).await;
    let api = app.api().await;
    app.live_coupon(coupon("LOCKED")).await;
    let path = app.database_url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_string();
    let mut locker = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await.expect("a raw connection");
    sqlx::raw_sql("BEGIN EXCLUSIVE").execute(&mut locker).await.expect("the lock");
    let body = attempt("u1", "LOCKED", "order-1");
    let (status, answer, headers) = api.send(Method::POST, "/redemptions", Some(&body), Some("retry-1")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{answer}");
    assert_eq!(answer["error"]["code"], json!("unavailable"));
    assert!(headers.get("retry-after").is_some());
    sqlx::raw_sql("ROLLBACK").execute(&mut locker).await.expect("unlocked");
    assert_eq!(app.count("redemptions").await, 0);
    let (status, first, _) = api.send(Method::POST, "/redemptions", Some(&body), Some("retry-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again, headers) = api.send(Method::POST, "/redemptions", Some(&body), Some("retry-1")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(first["id"], again["id"]);
    assert_eq!(app.count("redemptions").await, 1);
}

/// A TCP relay to PostgreSQL that the test can cut, as a network or a failover would.
struct Relay {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    async fn to(target: &str) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("addr").port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (flag, target) = (cut.clone(), target.to_string());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let (flag, target) = (flag.clone(), target.clone());
                tokio::spawn(async move {
                    if flag.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let watch = async {
                        while !flag.load(Ordering::SeqCst) {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, () = watch => {} }
                });
            }
        });
        Relay { port, cut }
    }

    fn set_cut(&self, cut: bool) {
        self.cut.store(cut, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_postgresql_answers_503_and_recovers() {
    let app = TestApp::spawn(common::Flavor::Postgres).await;
    let (server, name) = app.database_url.rsplit_once('/').expect("a database path");
    let host = server.rsplit('@').next().unwrap_or_default().to_string();
    let relay = Relay::to(&host).await;
    let through =
        format!("{}@127.0.0.1:{}/{name}", server.rsplit_once('@').map_or("postgres://postgres", |p| p.0), relay.port);
    let key = key_for(&app.database_url).await;
    app.live_coupon(coupon("OUTAGE")).await;
    let process = ServerProcess::start(&through).await;
    let api = Api::new(&process.base, &key);
    assert_eq!(api.post("/redemptions", &attempt("u0", "OUTAGE", "o0")).await.0, StatusCode::CREATED);
    relay.set_cut(true);
    // The relay drops its open connections within 20 ms.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 1..4 {
        let (status, answer, headers) =
            api.send(Method::POST, "/redemptions", Some(&attempt("u1", "OUTAGE", "o1")), Some("outage-1")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "try {i}: {answer}");
        assert!(headers.get("retry-after").is_some());
    }
    relay.set_cut(false);
    let mut landed = None;
    for _ in 0..50 {
        let (status, answer, _) =
            api.send(Method::POST, "/redemptions", Some(&attempt("u1", "OUTAGE", "o1")), Some("outage-1")).await;
        assert!(status == StatusCode::CREATED || status == StatusCode::SERVICE_UNAVAILABLE, "{status}: {answer}");
        if status == StatusCode::CREATED {
            landed = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(landed.is_some(), "the server recovers by itself");
    assert_eq!(app.count("redemptions").await, 2);
}

/// A small file system of its own for the test (tmpfs; needs root, as CI and these machines have).
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let path = std::env::temp_dir().join(format!("couponry-full-{}", std::process::id()));
        std::fs::create_dir_all(&path).ok()?;
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk { path })
    }

    /// Fills what is left with one file; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).expect("a filler file");
        let block = vec![0u8; 64 << 10];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.path).status();
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_507_and_the_server_recovers_when_space_is_back() {
    let Some(disk) = SmallDisk::mount(8) else {
        panic!("this test mounts a small tmpfs: run it as root (the test script does)");
    };
    let url = format!("sqlite://{}/couponry.db?mode=rwc", disk.path.display());
    let server = ServerProcess::start(&url).await;
    let api = Api::new(&server.base, &key_for(&url).await);
    let big = "x".repeat(900);
    let user = |i: usize| json!({"properties": {"note": big, "n": i}});
    assert_eq!(api.put("/users/first", &user(0)).await.0, StatusCode::OK);
    let filler = disk.fill();
    let mut full = 0;
    for i in 0..200 {
        let (status, answer) = api.put(&format!("/users/u{i}"), &user(i)).await;
        assert!(status == StatusCode::OK || status == StatusCode::INSUFFICIENT_STORAGE, "{status}: {answer}");
        if status == StatusCode::INSUFFICIENT_STORAGE {
            assert_eq!(answer["error"]["code"], json!("storage_full"));
            full += 1;
            if full >= 20 {
                break;
            }
        }
    }
    assert!(full >= 20, "the disk filled up");
    std::fs::remove_file(filler).expect("space freed");
    // Every connection of the pool must work again: none was left inside a failed transaction.
    for i in 0..40 {
        let (status, answer) = api.put(&format!("/users/after{i}"), &user(i)).await;
        assert_eq!(status, StatusCode::OK, "write {i} after space came back: {answer}");
    }
    let (status, shown) = api.get("/users/after39").await;
    assert_eq!(status, StatusCode::OK, "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_finish_their_headers_do_not_take_the_server_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    couponry::serve::raise_open_files_limit();
    let dir = std::env::temp_dir().join(format!("couponry-slow-{}", std::process::id()));
    let url = format!("sqlite://{}/couponry.db?mode=rwc", dir.display());
    let server = ServerProcess::start_with(&url, &[("COUPONRY_HEADER_TIMEOUT_S", "2")]).await;
    let address = server.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..1_100 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.expect("a connection");
        stream.write_all(b"GET /login HTTP/1.1\r\nHost: couponry\r\nX-Slow: ").await.expect("a partial header");
        slow.push(stream);
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let res = client.get(format!("{}/login", server.base)).send().await.expect("the server still answers");
    assert_eq!(res.status(), StatusCode::OK);
    // After the header timeout the server has closed every one of them.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for stream in slow.iter_mut() {
        let mut buf = [0u8; 512];
        let closed = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return true,
                    Ok(_) => continue, // a 408 answer first, then the close
                }
            }
        })
        .await;
        assert_eq!(closed, Ok(true), "a slow connection is closed");
    }
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}

on_both!(an_empty_code_pool_hands_out_nothing_and_the_tray_shows_a_codes_own_expiry, |app: TestApp| async move {
    let api = app.api().await;
    let mut triggered = coupon("IGNORED");
    triggered["distribution"] = json!({"type": "event_triggered", "event": "cart_abandoned", "unique_codes": true});
    let id = app.live_coupon(triggered).await;
    let (status, recorded) = api.post("/events", &json!({"user_id": "u1", "name": "cart_abandoned"})).await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    let change = &recorded["assignments"][0];
    assert_eq!(
        (change["assigned"].clone(), change["not_assigned"].clone()),
        (json!(false), json!("no_free_codes")),
        "{recorded}"
    );
    assert_eq!(app.count("assignments").await, 0, "no assignment that could never be used");
    // Once codes arrive, the next event hands one out.
    let (status, imported) =
        api.post_raw(&format!("/coupons/{id}/codes/import"), "code\nBACK-0001\n", "text/csv").await;
    assert!(status.is_success(), "{imported}");
    let (_, recorded) = api.post("/events", &json!({"user_id": "u1", "name": "cart_abandoned"})).await;
    assert_eq!(recorded["assignments"][0]["code"], json!("BACK-0001"), "{recorded}");

    let mut unique = coupon("IGNORED2");
    unique["distribution"] = json!({"type": "unique"});
    let pre = app.live_coupon(unique).await;
    assert_eq!(api.put("/users/u9", &json!({"properties": {}})).await.0, StatusCode::OK);
    let csv = "code,user_id,expires_at\nPRE-0001,u9,2030-01-01T00:00:00Z\n";
    let (status, imported) = api.post_raw(&format!("/coupons/{pre}/codes/import"), csv, "text/csv").await;
    assert!(status.is_success(), "{imported}");
    let (_, tray) = api.get("/users/u9/coupons").await;
    let entry = tray["coupons"].as_array().and_then(|c| c.iter().find(|e| e["coupon_id"] == json!(pre)).cloned());
    assert_eq!(entry.map(|e| e["expires_at"].clone()), Some(json!("2030-01-01T00:00:00.000Z")), "{tray}");
});

on_both!(dates_outside_1970_to_9999_are_refused_everywhere, |app: TestApp| async move {
    let api = app.api().await;
    let mut early = coupon("EARLY");
    early["expiry"] = json!({"type": "fixed", "at": "1969-12-31T23:00:00Z"});
    let (status, body) = api.post("/coupons", &early).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("1970-01-01"), "{body}");
    let (status, body) =
        api.post("/events", &json!({"user_id": "u1", "name": "signup", "occurred_at": "1900-01-01T00:00:00Z"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_fields(&body), vec!["event.occurred_at"]);
    let (status, body) = api.get("/coupons/1/stats?from=1969-01-01&to=1969-01-02").await;
    assert!(status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::NOT_FOUND, "{body}");
    assert_eq!(app.count("coupons").await + app.count("events").await, 0);
});

on_both!(an_import_cut_off_by_a_stop_is_closed_but_a_live_one_is_not, |app: TestApp| async move {
    let mut unique = coupon("IGNORED");
    unique["distribution"] = json!({"type": "unique"});
    let id = app.live_coupon(unique).await;
    let old = couponry::db::now_ms() - 120_000;
    let mut batches = Vec::new();
    for _ in 0..2 {
        let batch: i64 = sqlx::query_scalar(
            "INSERT INTO code_batches (coupon_id, kind, status, created_at) VALUES ($1, 'uploaded', 'importing', $2) RETURNING id",
        )
        .bind(id)
        .bind(old)
        .fetch_one(app.db.pool())
        .await
        .expect("a batch");
        batches.push(batch);
    }
    // A live import marks its batch at every step.
    let mut tx = app.db.begin_write().await.expect("a transaction");
    assert!(couponry::codes::store::step(&mut tx, batches[1], 0, 0).await.expect("marked"));
    tx.commit().await.expect("committed");
    let closed = couponry::codes::store::close_interrupted(&app.db).await.expect("closed");
    assert_eq!(closed, 1);
    assert_eq!(batch_status(&app, batches[0]).await, "failed");
    assert_eq!(batch_status(&app, batches[1]).await, "importing", "a live import is left alone");
});

async fn batch_status(app: &TestApp, batch: i64) -> String {
    sqlx::query_scalar::<_, String>("SELECT status FROM code_batches WHERE id = $1")
        .bind(batch)
        .fetch_one(app.db.pool())
        .await
        .expect("status")
}

/// A CSV of `rows` codes `PREFIX-000000`…, with `tail` appended.
fn code_file(prefix: &str, rows: usize, tail: &str) -> String {
    let mut csv = String::from("code\n");
    for i in 0..rows {
        csv.push_str(&format!("{prefix}-{i:06}\n"));
    }
    csv.push_str(tail);
    csv
}

async fn spooled(csv: String) -> couponry::uploads::Spooled {
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(axum::body::Bytes::from(csv)) });
    couponry::uploads::spool(body, u64::MAX).await.expect("spooled")
}

type ImportAnswer = Result<couponry::codes::import::CodeImport, couponry::codes::store::CodesError>;

/// An import on a thread of its own (with its own runtime and pool, so that blocking it blocks
/// nothing of the server's) that stops after its first step until told to go on, or until
/// `go_on` is dropped, which kills it there as a crash would.
fn paused_import(
    app: &TestApp,
    coupon_id: i64,
    file: couponry::uploads::Spooled,
) -> (
    tokio::task::JoinHandle<Option<ImportAnswer>>,
    tokio::sync::mpsc::UnboundedReceiver<()>,
    std::sync::mpsc::Sender<()>,
) {
    use couponry::codes::Progress;
    let (paused_tx, paused) = tokio::sync::mpsc::unbounded_channel();
    let (go_on, resume) = std::sync::mpsc::channel::<()>();
    let url = app.database_url.clone();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        rt.block_on(async move {
            let db = couponry::db::Db::connect(&url, 2).await.expect("a pool");
            let coupon = couponry::coupons::store::get(&db, coupon_id).await.expect("the coupon");
            let actor = couponry::accounts::audit::Actor::system();
            let mut first = true;
            couponry::codes::import::import(&db, &actor, &coupon, Some("big.csv"), file, move |p| {
                if matches!(p, Progress::Checking { .. }) && std::mem::take(&mut first) {
                    let _ = paused_tx.send(());
                    // Between two steps, as a slow import would be; a dropped sender is a crash.
                    if resume.recv_timeout(Duration::from_secs(60)).is_err() {
                        panic!("the import is cut off here");
                    }
                }
            })
            .await
        })
    });
    let task = tokio::task::spawn_blocking(move || thread.join().ok());
    (task, paused, go_on)
}

on_both!(a_long_import_lets_checkout_through_and_shows_nothing_until_it_is_whole, |app: TestApp| async move {
    let api = app.api().await;
    app.live_coupon(coupon("OPEN10")).await;
    let mut unique = coupon("IGNORED");
    unique["distribution"] = json!({"type": "unique"});
    let id = app.live_coupon(unique).await;
    let (task, mut paused, go_on) = paused_import(&app, id, spooled(code_file("BIG", 10_000, "")).await);
    paused.recv().await.expect("the import took its first step");
    // Between two steps of the import, a checkout goes through (SQLite: the write lock is free).
    let (status, body) =
        tokio::time::timeout(Duration::from_secs(5), api.post("/redemptions", &attempt("u1", "OPEN10", "o-1")))
            .await
            .expect("the redemption did not wait for the import");
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The codes stored so far are not seen: not valid, not free, not counted.
    let (_, early) = api.post("/validate", &attempt("u2", "BIG-000001", "o-2")).await;
    assert_eq!(reason_codes(&early), vec!["code_not_found"], "{early}");
    let coupon_now = couponry::coupons::store::get(&app.db, id).await.expect("the coupon");
    let pool = couponry::codes::store::pool(&app.db, &coupon_now).await.expect("the pool").expect("unique codes");
    assert_eq!((pool.free, pool.total), (0, 0));
    go_on.send(()).expect("the import waits");
    let outcome = task.await.expect("the import task").expect("no crash").expect("the import");
    assert!(matches!(outcome, couponry::codes::import::CodeImport::Stored(_)));
    let (_, later) = api.post("/validate", &attempt("u2", "BIG-000001", "o-2")).await;
    assert_eq!(reason_codes(&later), Vec::<String>::new(), "{later}");
    let pool = couponry::codes::store::pool(&app.db, &coupon_now).await.expect("the pool").expect("unique codes");
    assert_eq!((pool.free, pool.total), (10_000, 10_000));
});

on_both!(a_refused_or_cut_off_import_leaves_no_codes_behind, |app: TestApp| async move {
    use couponry::codes::import::CodeImport;
    let mut unique = coupon("IGNORED");
    unique["distribution"] = json!({"type": "unique"});
    let id = app.live_coupon(unique).await;
    let codes_of = |batch: i64| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM codes WHERE batch_id = $1")
                .bind(batch)
                .fetch_one(db.pool())
                .await
                .expect("a count")
        }
    };
    // A bad row after two steps' worth of good ones: refused, and the good ones are gone.
    let (task, mut paused, go_on) = paused_import(&app, id, spooled(code_file("RF", 9_000, "no\n")).await);
    paused.recv().await.expect("a first step");
    go_on.send(()).expect("the import waits");
    let CodeImport::Refused { batch, problems } = task.await.expect("the task").expect("no crash").expect("an answer")
    else {
        panic!("a file with a bad row is refused");
    };
    assert_eq!(problems.len(), 1);
    assert_eq!(codes_of(batch.id).await, 0);
    // An import cut off mid-way (its task dies, as with kill -9) leaves a batch "importing" with
    // the rows of its first steps, none of them seen; once its mark is old it is closed and they go.
    let (task, mut paused, go_on) = paused_import(&app, id, spooled(code_file("RF", 9_000, "")).await);
    paused.recv().await.expect("a first step");
    let cut: i64 =
        sqlx::query_scalar("SELECT MAX(id) FROM code_batches").fetch_one(app.db.pool()).await.expect("a batch");
    assert!(codes_of(cut).await > 0, "the first step was stored");
    drop(go_on);
    assert!(task.await.expect("the task").is_none(), "the import died");
    let api = app.api().await;
    let (_, unseen) = api.post("/validate", &attempt("u2", "RF-000001", "o")).await;
    assert_eq!(reason_codes(&unseen), vec!["code_not_found"], "{unseen}");
    let old = couponry::db::now_ms() - 120_000;
    sqlx::query("UPDATE code_batches SET heartbeat_at = $1 WHERE id = $2")
        .bind(old)
        .bind(cut)
        .execute(app.db.pool())
        .await
        .expect("aged");
    assert_eq!(couponry::codes::store::close_interrupted(&app.db).await.expect("closed"), 1);
    assert_eq!(batch_status(&app, cut).await, "failed");
    assert_eq!(codes_of(cut).await, 0);
    // The same file then goes in whole.
    let (task, mut paused, go_on) = paused_import(&app, id, spooled(code_file("RF", 9_000, "")).await);
    paused.recv().await.expect("a first step");
    go_on.send(()).expect("the import waits");
    let answer = task.await.expect("the task").expect("no crash").expect("an answer");
    assert!(matches!(answer, CodeImport::Stored(_)));
});
