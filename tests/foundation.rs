//! The foundation end to end over HTTP, on SQLite and on PostgreSQL: sessions, roles, CSRF,
//! the coupon builder's server functions, lifecycle, audit log, and bad input.

mod common;

use common::{field_error, TestApp};
use couponry::accounts::server::{CreateAccount, ListAccounts, ListAudit, Logout, Me, SearchAudit, UpdateAccount};
use couponry::audience::campaigns::server::EstimateLaunch;
use couponry::coupons::server::{ChangeStatus, GetCoupon, ListCoupons, SaveCoupon};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A coupon using every section of the builder.
fn full_coupon(code: &str) -> Value {
    json!({
        "name": "Weekend shoes",
        "description": "10% off shoes on weekends",
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10, "max_discount": 20000},
        "applies_to": {"type": "items", "categories": ["Shoes"], "skus": ["SKU-1"],
                       "conditions": [{"property": "color", "op": "eq", "value": "red"}]},
        "qualifying": {
            "user": [{"property": "city", "op": "eq", "value": "Mumbai"}],
            "items": [{"property": "brand", "op": "one_of", "value": ["Acme", "Zed"]}],
            "cart": [{"property": "subtotal", "op": "gte", "value": 50000}]
        },
        "audience": "all_users",
        "distribution": {"type": "static", "code": code},
        "activation": {"type": "time", "from": "2026-10-20T09:00"},
        "expiry": {"type": "fixed", "at": "2027-12-31T23:59"},
        "limits": {"per_user": 1, "global": 1000,
                   "caps": [{"period": "day", "scope": "global", "limit": 100},
                            {"period": "week", "scope": "per_user", "limit": 1}]},
        "window": {"start": "2026-10-20T00:00", "end": "2027-11-05T00:00"},
        "schedule": {"days": [{"day": "sat", "ranges": [{"start": "10:00", "end": "22:00"}]},
                              {"day": "sun", "ranges": [{"start": "10:00", "end": "22:00"}]}]},
        "visibility": "hidden",
        "targeting": [{"property": "language", "op": "one_of", "value": ["en", "hi"]}],
        "stacking": "combinable"
    })
}

async fn save(app: &TestApp, id: Option<i64>, version: Option<i64>, input: Value) -> (StatusCode, Value) {
    app.call_json::<SaveCoupon>(&json!({"id": id, "version": version, "input": input})).await
}

async fn create(app: &TestApp, code: &str) -> i64 {
    let (status, body) = save(app, None, None, full_coupon(code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_i64().expect("an id")
}

async fn status_to(app: &TestApp, id: i64, status: &str) -> (StatusCode, Value) {
    app.call_form::<ChangeStatus>(&[("id", &id.to_string()), ("status", status)]).await
}

on_both!(login_logout_and_sessions, |app: TestApp| async move {
    let (_, me) = app.call_form::<Me>(&[]).await;
    assert_eq!(me, Value::Null, "nobody is logged in yet");
    assert_eq!(app.login(common::ADMIN_EMAIL, "wrong-password").await, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.login("nobody@example.com", "wrong-password").await, StatusCode::UNPROCESSABLE_ENTITY);
    app.login_admin().await;
    let (_, me) = app.call_form::<Me>(&[]).await;
    assert_eq!(me["role"], "admin");
    assert_eq!(app.count("sessions").await, 1, "the session is stored in the database");
    let (status, _) = app.get("/coupons").await;
    assert_eq!(status, StatusCode::OK);
    app.call_form::<Logout>(&[]).await;
    assert_eq!(app.count("sessions").await, 0);
    let (status, _) = app.get("/coupons").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "logged out: pages send you to the login page");
});

on_both!(pages_need_a_login_and_unknown_ids_are_404, |app: TestApp| async move {
    let res = app.client.get(format!("{}/coupons/new", app.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/login?next=/coupons/new");
    app.login_admin().await;
    for path in ["/coupons/999999", "/coupons/999999/edit", "/coupons/abc", "/no-such-page"] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("not found") || body.contains("Not found"), "{path}: a page says so");
    }
    let (status, body) = app.call_form::<GetCoupon>(&[("id", "424242")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
});

on_both!(cross_site_posts_are_refused, |app: TestApp| async move {
    app.login_admin().await;
    let url = format!("{}{}", app.base, <SaveCoupon as leptos::server_fn::ServerFn>::PATH);
    let body = json!({"id": null, "version": null, "input": full_coupon("CSRF1")});
    let res = app.client.post(&url).header("origin", "http://evil.example").json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.client.post(&url).header("sec-fetch-site", "cross-site").json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("coupons").await, 0);
    let origin = app.base.clone();
    let res = app.client.post(&url).header("origin", origin).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "our own pages may post");
});

on_both!(a_full_coupon_round_trips, |app: TestApp| async move {
    app.login_admin().await;
    let id = create(&app, " weekend10 ").await;
    let (status, view) = app.call_form::<GetCoupon>(&[("id", &id.to_string())]).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let input = &view["input"];
    assert_eq!(input["distribution"]["code"], "WEEKEND10", "codes are normalized");
    assert_eq!(
        input["reward"],
        json!({"type": "percent_off", "percent": 10, "max_discount": 20000, "amount": null, "points": null, "max_points": null})
    );
    assert_eq!(input["limits"]["caps"].as_array().unwrap().len(), 2);
    assert_eq!(input["schedule"]["days"].as_array().unwrap().len(), 2);
    assert_eq!(input["activation"]["from"], "2026-10-20T09:00");
    assert_eq!(input["visibility"], "hidden");
    assert_eq!(input["targeting"][0]["property"], "language");
    let summary = view["summary"].as_str().unwrap();
    assert!(summary.contains("10% off up to ₹200"), "{summary}");
    assert!(summary.contains("Asia/Kolkata"), "{summary}");
    assert!(summary.contains("1,000 in total"), "{summary}");

    // The list finds it by name and by code, and filters by status.
    let list = |search: &str, status: &str| json!({"query": {"search": search, "status": status, "sort": "name"}});
    let (_, found) = app.call_json::<ListCoupons>(&list("weekend", "")).await;
    assert_eq!(found["coupons"].as_array().unwrap().len(), 1, "{found}");
    let (_, found) = app.call_json::<ListCoupons>(&list("WEEKEND1", "")).await;
    assert_eq!(found["coupons"].as_array().unwrap().len(), 1, "{found}");
    let (_, found) = app.call_json::<ListCoupons>(&list("", "active")).await;
    assert_eq!(found["coupons"].as_array().unwrap().len(), 0, "{found}");
    let (_, found) = app.call_json::<ListCoupons>(&list("", "draft")).await;
    assert_eq!(found["coupons"].as_array().unwrap().len(), 1, "{found}");

    // Editing with the version read succeeds once; a second save with the old version is stale.
    let version = view["coupon"]["version"].as_i64().unwrap();
    let mut changed = full_coupon("WEEKEND10");
    changed["name"] = json!("Weekend shoes v2");
    let (status, _) = save(&app, Some(id), Some(version), changed.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = save(&app, Some(id), Some(version), changed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
});

on_both!(invalid_coupons_store_nothing, |app: TestApp| async move {
    app.login_admin().await;
    let cases: Vec<(&str, Value)> = vec![
        ("reward.percent", json!({"type": "percent_off", "percent": 0})),
        ("reward.percent", json!({"type": "percent_off", "percent": 101})),
        ("reward.amount", json!({"type": "amount_off", "amount": -5})),
        ("reward.max_discount", json!({"type": "percent_off", "percent": 5, "max_discount": -1})),
        ("reward.type", json!({"type": "free_lunch"})),
    ];
    for (field, reward) in cases {
        let mut input = full_coupon("BAD1");
        input["reward"] = reward.clone();
        let (status, body) = save(&app, None, None, input).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reward}: {body}");
        assert!(field_error(&body, field).is_some(), "{reward}: error at {field} in {body}");
    }
    let mut input = full_coupon("ab");
    input["time_zone"] = json!("Mars/Olympus");
    input["window"] = json!({"start": "2026-12-01T00:00", "end": "2026-11-01T00:00"});
    input["limits"]["caps"][0]["limit"] = json!(0);
    let (status, body) = save(&app, None, None, input).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["time_zone", "distribution.code", "limits.caps[0].limit"] {
        assert!(field_error(&body, field).is_some(), "error at {field} in {body}");
    }
    assert_eq!(app.count("coupons").await, 0, "nothing stored");
    assert_eq!(app.count("codes").await, 0);
    assert_eq!(app.count("audit_log").await, 1, "only the first admin's creation");

    // Malformed bodies are the caller's fault (400), never a 500.
    let url = format!("{}{}", app.base, <SaveCoupon as leptos::server_fn::ServerFn>::PATH);
    for body in ["{", "[]", "{\"input\": 5}", "{\"id\": \"x\", \"input\": {}}"] {
        let res = app.client.post(&url).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let (status, _) = app.call_form::<GetCoupon>(&[("id", "not-a-number")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("coupons").await, 0);
});

on_both!(static_codes_are_unique_system_wide, |app: TestApp| async move {
    app.login_admin().await;
    let first = create(&app, "SAME-CODE").await;
    let (status, body) = save(&app, None, None, full_coupon("same-code")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(field_error(&body, "distribution.code").unwrap().contains("already"), "{body}");
    assert_eq!(app.count("coupons").await, 1, "the refused coupon left nothing behind");
    // A code the first coupon gave up stays its own (void), so history never points at two
    // coupons; the first coupon can take it back.
    let (_, view) = app.call_form::<GetCoupon>(&[("id", &first.to_string())]).await;
    let version = view["coupon"]["version"].as_i64();
    let (status, _) = save(&app, Some(first), version, full_coupon("OTHER-CODE")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(save(&app, None, None, full_coupon("SAME-CODE")).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = save(&app, Some(first), None, full_coupon("SAME-CODE")).await;
    assert_eq!(status, StatusCode::OK, "taken back");
    let (_, found) =
        app.call_json::<ListCoupons>(&json!({"query": {"search": "OTHER-CODE", "status": "", "sort": ""}})).await;
    assert_eq!(found["coupons"].as_array().unwrap().len(), 1, "a void code still finds its coupon");
    let live: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM codes WHERE status <> 'void'").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(live, 1);
    assert_eq!(app.count("coupons").await, 1);
});

on_both!(lifecycle_moves_and_audit, |app: TestApp| async move {
    app.login_admin().await;
    let id = create(&app, "LIFE1").await;
    assert_eq!(status_to(&app, id, "paused").await.0, StatusCode::CONFLICT, "draft cannot pause");
    assert_eq!(status_to(&app, id, "archived").await.0, StatusCode::CONFLICT, "draft cannot archive");
    assert_eq!(status_to(&app, id, "active").await, (StatusCode::OK, json!("active")));
    assert_eq!(status_to(&app, id, "draft").await.0, StatusCode::CONFLICT);
    assert_eq!(status_to(&app, id, "archived").await.0, StatusCode::CONFLICT, "active must pause first");
    assert_eq!(status_to(&app, id, "paused").await.0, StatusCode::OK);
    assert_eq!(status_to(&app, id, "active").await.0, StatusCode::OK);
    assert_eq!(status_to(&app, id, "paused").await.0, StatusCode::OK);
    assert_eq!(status_to(&app, id, "archived").await.0, StatusCode::OK);
    assert_eq!(status_to(&app, id, "active").await.0, StatusCode::CONFLICT, "archived is final");
    let (status, body) = status_to(&app, id, "deleted").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = save(&app, Some(id), None, full_coupon("LIFE1")).await;
    assert_eq!(status, StatusCode::CONFLICT, "an archived coupon cannot be edited");

    let (status, log) =
        app.call_json::<ListAudit>(&json!({"entity": ["coupon", id.to_string()], "before_id": null})).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["coupon.archived", "coupon.paused", "coupon.active", "coupon.paused", "coupon.active", "coupon.create"],
        "newest first, refused moves not logged"
    );
    let entry = &log[0];
    assert_eq!(entry["actor"].as_str().unwrap(), common::ADMIN_EMAIL);
    assert!(entry["before"].as_str().unwrap().contains("paused"));
    assert!(entry["after"].as_str().unwrap().contains("archived"));
});

on_both!(roles_are_checked_on_the_server, |app: TestApp| async move {
    app.login_admin().await;
    let id = create(&app, "ROLE1").await;
    let analyst = app.browser_as("analyst").await;
    let marketer = app.browser_as("marketer").await;

    // Analysts read, never write.
    assert_eq!(analyst.call_form::<GetCoupon>(&[("id", &id.to_string())]).await.0, StatusCode::OK);
    assert_eq!(save(&analyst, None, None, full_coupon("ROLE2")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(status_to(&analyst, id, "active").await.0, StatusCode::FORBIDDEN);
    assert_eq!(analyst.call_form::<ListAccounts>(&[]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        analyst.call_json::<ListAudit>(&json!({"entity": null, "before_id": null})).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, _) = analyst.get("/coupons/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the builder page refuses analysts too");
    let (status, _) = analyst.get("/accounts").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = analyst.get("/api-keys").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains("Create key"), "the refused page offers nothing the role may not do");
    let estimate = [("coupon_id", "1"), ("segment_id", "1")];
    assert_eq!(analyst.call_form::<EstimateLaunch>(&estimate).await.0, StatusCode::FORBIDDEN);
    let (status, body) = analyst.get("/batches/1/codes.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("your role does not allow this"), "a person is told about their role: {body}");

    // Marketers build coupons but do not manage accounts.
    assert_eq!(save(&marketer, None, None, full_coupon("ROLE3")).await.0, StatusCode::OK);
    assert_eq!(status_to(&marketer, id, "active").await.0, StatusCode::OK);
    let new_account = [("email", "x@example.com"), ("name", "X"), ("password", "long-enough-pw"), ("role", "admin")];
    assert_eq!(marketer.call_form::<CreateAccount>(&new_account).await.0, StatusCode::FORBIDDEN);

    // Nobody logged in: 401.
    let stranger = app.new_browser();
    assert_eq!(stranger.call_form::<GetCoupon>(&[("id", &id.to_string())]).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(save(&stranger, None, None, full_coupon("ROLE4")).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("coupons").await, 2);
});

on_both!(admins_manage_accounts, |app: TestApp| async move {
    app.login_admin().await;
    let bad = [("email", "not-an-email"), ("name", ""), ("password", "short"), ("role", "boss")];
    let (status, body) = app.call_form::<CreateAccount>(&bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["email", "password", "role"] {
        assert!(field_error(&body, field).is_some(), "error at {field} in {body}");
    }
    let good = [("email", "Ann@Example.com"), ("name", "Ann"), ("password", "a-long-password"), ("role", "marketer")];
    let (status, ann) = app.call_form::<CreateAccount>(&good).await;
    assert_eq!(status, StatusCode::OK, "{ann}");
    assert_eq!(ann["email"], "ann@example.com");
    let (status, body) = app.call_form::<CreateAccount>(&good).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "duplicate email: {body}");
    assert!(field_error(&body, "email").is_some());

    // Disabling ends what the account can do; its sessions stop working.
    let ann_browser = app.new_browser();
    assert!(ann_browser.login("ann@example.com", "a-long-password").await.is_success());
    let ann_id = ann["id"].as_i64().unwrap().to_string();
    let (status, _) =
        app.call_form::<UpdateAccount>(&[("id", &ann_id), ("role", "analyst"), ("disabled", "true")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ann_browser.call_form::<Me>(&[]).await.1, Value::Null);
    assert_eq!(ann_browser.login("ann@example.com", "a-long-password").await, StatusCode::UNPROCESSABLE_ENTITY);

    // The last admin cannot be demoted or disabled.
    let (_, me) = app.call_form::<Me>(&[]).await;
    let my_id = me["id"].as_i64().unwrap().to_string();
    let (status, body) =
        app.call_form::<UpdateAccount>(&[("id", &my_id), ("role", "marketer"), ("disabled", "false")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) =
        app.call_form::<UpdateAccount>(&[("id", "999999"), ("role", "marketer"), ("disabled", "false")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, log) = app.call_json::<ListAudit>(&json!({"entity": null, "before_id": null})).await;
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["account.update", "account.create", "account.create"], "{log}");
    assert_eq!(log[2]["actor"], "system", "the first admin was made at start-up");

    // The audit page filters by who, what and when (any case), and pages by id.
    let browser = &app;
    let search = |asked: Value| async move { browser.call_json::<SearchAudit>(&json!({ "query": asked })).await };
    let query = |actor: &str, action: &str, from: &str| json!({"actor": actor, "entity": "account", "action": action, "from": from, "to": "", "before": null});
    let (_, found) = search(query("SYSTEM", "", "")).await;
    let actions: Vec<&str> =
        found["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["account.create"], "{found}");
    assert_eq!(found["older"], Value::Null);
    let (_, found) = search(query("", "UPDATE", "")).await;
    let mut changed: Vec<&str> =
        found["entries"][0]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    changed.sort_unstable();
    assert_eq!(changed, ["disabled", "role"], "only what the update changed: {found}");
    let (status, refused) = search(query("", "", "7 March")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&refused, "from").as_deref(), Some("a date as YYYY-MM-DD"));
    let (_, none) = search(query("", "", "2999-01-01")).await;
    assert_eq!(none["entries"], json!([]));

    let mut tx = app.db.begin_write().await.unwrap();
    for i in 0..150 {
        let actor = couponry::accounts::audit::Actor::system();
        couponry::accounts::audit::record(
            &mut tx,
            &actor,
            "account.touch",
            ("account", i.to_string()),
            None::<&()>,
            Some(&i),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let (_, first) = search(query("", "touch", "")).await;
    assert_eq!(first["entries"].as_array().unwrap().len(), 100);
    let older = first["older"].as_i64().expect("a second page");
    let mut next = query("", "touch", "");
    next["before"] = json!(older);
    let (_, second) = search(next).await;
    assert_eq!(second["entries"].as_array().unwrap().len(), 50);
    assert_eq!(second["older"], Value::Null);
    assert_eq!(second["entries"][0]["entity_id"], json!("49"), "the second page goes on below the first");
});

on_both!(coupon_list_pages_in_every_order, |app: TestApp| async move {
    app.login_admin().await;
    for i in 0..7 {
        let (status, body) = save(&app, None, None, full_coupon(&format!("PAGE{i}"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for sort in ["updated", "created", "name", "status"] {
        let mut seen: Vec<i64> = Vec::new();
        let mut after: Option<i64> = None;
        for _ in 0..5 {
            let query =
                json!({"query": {"search": "", "status": "", "sort": sort, "limit": 3, "starting_after": after}});
            let (status, page) = app.call_json::<ListCoupons>(&query).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let ids: Vec<i64> = page["coupons"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
            assert!(ids.len() <= 3);
            seen.extend(&ids);
            if !page["has_more"].as_bool().unwrap() {
                break;
            }
            after = ids.last().copied();
        }
        let mut unique = seen.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (7, 7), "{sort}: every coupon once, in three pages: {seen:?}");
        if sort == "created" {
            assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first: {seen:?}");
        }
    }
    // The API pages the same way.
    let api = app.api().await;
    let (status, first) = api.get("/coupons?sort=name&limit=5").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["coupons"].as_array().unwrap().len(), 5);
    assert_eq!(first["has_more"], json!(true));
    let last = first["coupons"][4]["id"].as_i64().unwrap();
    let (_, rest) = api.get(&format!("/coupons?sort=name&limit=5&starting_after={last}")).await;
    assert_eq!(rest["coupons"].as_array().unwrap().len(), 2, "{rest}");
    assert_eq!(rest["has_more"], json!(false));
});
