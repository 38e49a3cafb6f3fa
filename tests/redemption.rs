//! The app API's validate, redeem and reverse, end to end over HTTP on SQLite and PostgreSQL:
//! quotes, refusals, idempotency, reversal, limits under concurrency, rate limits, bad input.

mod common;

use common::{coupon_input as coupon, Api, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn cart() -> Value {
    json!({
        "currency": "INR",
        "items": [
            {"sku": "SHOE-1", "quantity": 2, "unit_price": 150000, "category": "Shoes"},
            {"sku": "SHIRT-9", "quantity": 1, "unit_price": 99999, "category": "Shirts"}
        ],
        "fees": {"shipping": 4000}
    })
}

fn redeem_body(user: &str, code: &str, order: &str) -> Value {
    json!({"user_id": user, "code": code, "cart": cart(), "order_id": order})
}

/// The reason codes of a decision, most important first.
fn reasons(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["code"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

async fn global_uses(app: &TestApp, coupon: i64) -> i64 {
    couponry::coupons::store::global_uses(&app.db, coupon).await.expect("uses")
}

on_both!(validate_redeem_replay_and_reverse, |app: TestApp| async move {
    let api = app.api().await;
    let id = app.live_coupon(coupon("TENOFF", json!({"limits": {"per_user": 1}}))).await;
    let (status, user) = api.put("/users/u-1", &json!({"properties": {"city": "Mumbai"}})).await;
    assert_eq!(status, StatusCode::OK, "{user}");

    // Validate is case-insensitive on the code and writes nothing.
    let (status, answer) = api.post("/validate", &json!({"user_id": "u-1", "code": " tenoff ", "cart": cart()})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["valid"], json!(true));
    assert_eq!(answer["coupon_id"], json!(id));
    assert_eq!(answer["discount"], json!(40_000));
    assert_eq!(answer["lines"][0]["discount"], json!(30_000));
    assert_eq!(answer["lines"][1]["total"], json!(89_999));
    assert_eq!(app.count("redemptions").await, 0);

    // Redeem, then replay with the same key and body: the first answer again, nothing counted twice.
    let body = redeem_body("u-1", "TENOFF", "order-1");
    let (status, first, _) = api.send(Method::POST, "/redemptions", Some(&body), Some("key-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["discount"], json!(40_000));
    assert_eq!(first["status"], json!("redeemed"));
    let (status, again, headers) = api.send(Method::POST, "/redemptions", Some(&body), Some("key-1")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again, first);
    assert_eq!(headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(app.count("redemptions").await, 1);
    assert_eq!(global_uses(&app, id).await, 1);
    // A retry that orders its keys and spaces its JSON differently is the same request.
    let respelled = format!(
        "{{\n  \"order_id\": \"order-1\",\n  \"cart\": {},\n  \"code\": \"TENOFF\", \"user_id\": \"u-1\"\n}}",
        serde_json::to_string_pretty(&cart()).unwrap()
    );
    let (status, same) = api.post_text("/redemptions", &respelled, "key-1").await;
    assert_eq!((status, &same), (StatusCode::CREATED, &first), "{same}");
    assert_eq!(app.count("redemptions").await, 1);

    // The same key with another body is a conflict.
    let other = redeem_body("u-1", "TENOFF", "order-2");
    let (status, conflict, _) = api.send(Method::POST, "/redemptions", Some(&other), Some("key-1")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["error"]["code"], json!("conflict"));

    // Once per user: a second redemption is refused with the reason.
    let (status, refused) = api.post("/redemptions", &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], json!("redemption_refused"));
    assert_eq!(refused["error"]["details"]["reasons"][0]["code"], json!("per_user_limit_reached"));

    // Reverse gives the use back; reversing again changes nothing.
    let rid = first["id"].as_i64().unwrap();
    let (status, reversed) = api.post(&format!("/redemptions/{rid}/reverse"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reversed}");
    assert_eq!(reversed["status"], json!("reversed"));
    assert_eq!(global_uses(&app, id).await, 0);
    let (status, twice) = api.post(&format!("/redemptions/{rid}/reverse"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(twice, reversed);
    assert_eq!(global_uses(&app, id).await, 0);
    let (status, _) = api.post("/redemptions", &other).await;
    assert_eq!(status, StatusCode::CREATED, "the use came back");
    let (status, _) = api.post("/redemptions/999999/reverse", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

on_both!(limits_hold_under_concurrency, |app: TestApp| async move {
    let api = app.api().await;
    let id = app.live_coupon(coupon("FIFTY", json!({"limits": {"per_user": 1, "global": 50}}))).await;
    // 200 shoppers at once, 150 of them distinct and one who tries 50 times.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let api = api.with_key(&api.key);
        let user = if i < 150 { format!("shopper-{i}") } else { "eager".to_string() };
        tasks.push(tokio::spawn(async move {
            api.post("/redemptions", &redeem_body(&user, "FIFTY", &format!("order-{i}"))).await
        }));
    }
    let mut created = 0;
    let mut eager = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        let (status, body) = task.await.expect("task");
        match status {
            StatusCode::CREATED => {
                created += 1;
                if i >= 150 {
                    eager += 1;
                }
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                let reason = body["error"]["details"]["reasons"][0]["code"].as_str().unwrap_or_default().to_string();
                assert!(
                    reason == "global_limit_reached" || reason == "per_user_limit_reached",
                    "unexpected refusal {body}"
                );
            }
            // The eager one also runs into the attempt limit per user.
            StatusCode::TOO_MANY_REQUESTS if i >= 150 => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(created, 50, "exactly the global limit");
    assert!(eager <= 1, "one user redeemed {eager} times");
    assert_eq!(global_uses(&app, id).await, 50);
    assert_eq!(app.count("redemptions").await, 50);
});

on_both!(period_caps_budget_and_unique_codes, |app: TestApp| async move {
    let api = app.api().await;
    app.live_coupon(coupon("DAILY2", json!({"limits": {"caps": [{"period": "day", "scope": "global", "limit": 2}]}})))
        .await;
    for i in 0..2 {
        let (status, body) = api.post("/redemptions", &redeem_body(&format!("d{i}"), "DAILY2", &format!("o{i}"))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = api.post("/redemptions", &redeem_body("d3", "DAILY2", "o3")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["reasons"][0]["code"], json!("period_cap_reached"));

    // A ₹500 budget covers one ₹400 discount, and refuses the next rather than shrinking it.
    app.live_coupon(coupon("BUDGET", json!({"limits": {"budget_discount": 50000}}))).await;
    assert_eq!(api.post("/redemptions", &redeem_body("b1", "BUDGET", "b1")).await.0, StatusCode::CREATED);
    let (status, body) = api.post("/redemptions", &redeem_body("b2", "BUDGET", "b2")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["reasons"][0]["code"], json!("budget_exhausted"));

    // Unique codes: each used once; a code reserved for one user refuses another, as if it did not
    // exist (an app's answer must not tell a stranger which codes are real).
    let id = app.live_coupon(coupon("IGNORED", json!({"distribution": {"type": "unique"}}))).await;
    for (code, user) in [("UNIQ-AAAA", None), ("UNIQ-BBBB", Some("owner"))] {
        sqlx::query("INSERT INTO codes (code, coupon_id, kind, user_id, status) VALUES ($1, $2, 'unique', $3, $4)")
            .bind(code)
            .bind(id)
            .bind(user)
            .bind(if user.is_some() { "assigned" } else { "available" })
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    assert_eq!(api.post("/redemptions", &redeem_body("x", "uniq-aaaa", "u1")).await.0, StatusCode::CREATED);
    let (_, body) = api.post("/redemptions", &redeem_body("y", "UNIQ-AAAA", "u2")).await;
    assert_eq!(reasons(&body["error"]["details"]), vec!["code_not_found"], "{body}");
    let (_, body) = api.post("/redemptions", &redeem_body("x", "UNIQ-AAAA", "u2")).await;
    assert_eq!(reasons(&body["error"]["details"]), vec!["code_already_used"], "its owner is told: {body}");
    let (_, body) = api.post("/validate", &json!({"user_id": "y", "code": "UNIQ-BBBB", "cart": cart()})).await;
    assert_eq!(reasons(&body), vec!["code_not_found"]);
    assert_eq!(body["coupon_id"], Value::Null);
    let (status, _) = api.post("/redemptions", &redeem_body("owner", "UNIQ-BBBB", "u3")).await;
    assert_eq!(status, StatusCode::CREATED);
});

on_both!(cashback_lands_in_the_wallet_and_leaves_on_reverse, |app: TestApp| async move {
    let api = app.api().await;
    app.live_coupon(coupon("CASH5", json!({"reward": {"type": "cashback", "percent": 5, "max_points": 300}}))).await;
    let (status, r) = api.post("/redemptions", &redeem_body("w", "CASH5", "c1")).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!((r["discount"].as_i64(), r["cashback_points"].as_i64()), (Some(0), Some(300)));
    assert_eq!(
        (r["quote"]["cashback_points"].as_i64(), r["quote"]["eligible_amount"].as_i64()),
        (Some(300), Some(399_999)),
        "{r}"
    );
    assert_eq!(couponry::wallet::balance(&app.db, "w").await.unwrap(), 300);
    // The shopper spends 100 points; the reversal takes the 200 left and records the shortfall.
    sqlx::query("UPDATE wallets SET balance = 200 WHERE user_id = 'w'").execute(app.db.pool()).await.unwrap();
    let (status, _) = api.post(&format!("/redemptions/{}/reverse", r["id"]), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(couponry::wallet::balance(&app.db, "w").await.unwrap(), 0);
    let entries = couponry::wallet::entries(&app.db, "w", 10).await.unwrap();
    assert_eq!((entries[0].kind.as_str(), entries[0].points, entries[0].shortfall), ("reversal", -200, 100));
});

on_both!(redemptions_are_listed_by_filter_a_page_at_a_time, |app: TestApp| async move {
    let api = app.api().await;
    let a = app.live_coupon(coupon("LISTA", json!({}))).await;
    let b = app.live_coupon(coupon("LISTB", json!({}))).await;
    let mut ids = vec![];
    for (i, code) in ["LISTA", "LISTB", "LISTA", "LISTA", "LISTB"].iter().enumerate() {
        let (status, r) =
            api.post("/redemptions", &redeem_body(&format!("lu{}", i % 2), code, &format!("lo{i}"))).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        ids.push(r["id"].as_i64().unwrap());
    }
    let reversed = ids[2];
    assert_eq!(api.post(&format!("/redemptions/{reversed}/reverse"), &json!({})).await.0, StatusCode::OK);
    let listed = |body: &Value| -> Vec<i64> {
        body["redemptions"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
    };
    let newest_first: Vec<i64> = ids.iter().rev().copied().collect();

    let (s, all) = api.get("/redemptions").await;
    assert_eq!(s, StatusCode::OK, "{all}");
    assert_eq!((listed(&all), all["has_more"].clone()), (newest_first.clone(), json!(false)));
    assert!(all["redemptions"][0]["redeemed_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{all}");
    // A page at a time, each after the last one's id.
    let (_, first) = api.get("/redemptions?limit=2").await;
    assert_eq!((listed(&first), first["has_more"].clone()), (newest_first[..2].to_vec(), json!(true)));
    let (_, rest) = api.get(&format!("/redemptions?limit=2&starting_after={}", newest_first[1])).await;
    assert_eq!(listed(&rest), newest_first[2..4].to_vec());
    let (_, last) = api.get(&format!("/redemptions?limit=2&starting_after={}", newest_first[3])).await;
    assert_eq!((listed(&last), last["has_more"].clone()), (newest_first[4..].to_vec(), json!(false)));
    // Each filter, and filters together.
    let (_, of_a) = api.get(&format!("/redemptions?coupon_id={a}")).await;
    assert_eq!(listed(&of_a), vec![ids[3], ids[2], ids[0]]);
    let (_, of_user) = api.get("/redemptions?user_id=lu1").await;
    assert_eq!(listed(&of_user), vec![ids[3], ids[1]]);
    let (_, of_order) = api.get("/redemptions?order_id=lo4").await;
    assert_eq!(listed(&of_order), vec![ids[4]]);
    let (_, undone) = api.get("/redemptions?status=reversed").await;
    assert_eq!(listed(&undone), vec![reversed]);
    let (_, both) = api.get(&format!("/redemptions?coupon_id={b}&user_id=lu0&status=redeemed")).await;
    assert_eq!(listed(&both), vec![ids[4]]);
    // `from` takes what was redeemed at or after an instant, `to` what came before it: together
    // every redemption, once.
    let middle = all["redemptions"][2]["redeemed_at"].as_str().unwrap().to_string();
    let (_, later) = api.get(&format!("/redemptions?from={middle}")).await;
    let (_, earlier) = api.get(&format!("/redemptions?to={middle}")).await;
    assert!(listed(&later).contains(&newest_first[2]) && !listed(&earlier).contains(&newest_first[2]));
    let mut split: Vec<i64> = listed(&later).into_iter().chain(listed(&earlier)).collect();
    split.sort_unstable_by(|x, y| y.cmp(x));
    assert_eq!(split, newest_first);
    let (_, before) = api.get("/redemptions?to=2000-01-01T00:00:00Z").await;
    assert_eq!(listed(&before), Vec::<i64>::new());
    // Bad filters are named, each next to its field.
    let (s, bad) = api.get(&format!("/redemptions?status=gone&from=yesterday&user_id={}", "u".repeat(300))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let mut fields: Vec<&str> =
        bad["error"]["details"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, vec!["from", "status", "user_id"], "{bad}");
    assert_eq!(api.get("/redemptions?limit=many").await.0, StatusCode::BAD_REQUEST);
});

on_both!(keys_are_checked, |app: TestApp| async move {
    let api = app.api().await;
    let body = json!({"user_id": "u", "code": "NOPE", "cart": cart()});
    assert_eq!(api.with_key("").post("/validate", &body).await.0, StatusCode::UNAUTHORIZED);
    let (status, wrong) = api.with_key("cpn_wrong").post("/validate", &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong["error"]["code"], json!("unauthenticated"));
    use couponry::accounts::audit::Actor;
    use couponry::accounts::keys::{store as keys, Scope};
    let (manage_only, secret) = keys::create(&app.db, &Actor::system(), "back office", &[Scope::Manage]).await.unwrap();
    assert_eq!(api.with_key(&secret).post("/validate", &body).await.0, StatusCode::FORBIDDEN);
    keys::revoke(&app.db, &Actor::system(), manage_only.id).await.unwrap();
    let (status, revoked) = api.with_key(&secret).post("/validate", &body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(revoked["error"]["message"].as_str().unwrap().contains("revoked"));
});

on_both!(guessing_codes_is_rate_limited, |app: TestApp| async move {
    common::early_in_window(60_000, 20_000).await;
    let api = app.api().await;
    let mut last = (StatusCode::OK, Value::Null, reqwest::header::HeaderMap::new());
    for i in 0..31 {
        let body = json!({"user_id": "guesser", "code": format!("GUESS-{i}"), "cart": cart()});
        last = api.send(Method::POST, "/validate", Some(&body), None).await;
        if i < 30 {
            assert_eq!(last.0, StatusCode::OK, "{}", last.1);
            assert_eq!(last.1["reasons"][0]["code"], json!("code_not_found"));
        }
    }
    assert_eq!(last.0, StatusCode::TOO_MANY_REQUESTS, "{}", last.1);
    assert!(last.2.get("retry-after").is_some());
    // Another user is not held back by the guesser.
    let body = json!({"user_id": "honest", "code": "SOMECODE", "cart": cart()});
    assert_eq!(api.post("/validate", &body).await.0, StatusCode::OK);
});

async fn refused_field(api: &Api, body: Value, field: &str) {
    let (status, answer) = api.post("/redemptions", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {answer}");
    let fields = answer["error"]["details"]["fields"].as_array().expect("field details");
    assert!(fields.iter().any(|f| f["field"] == json!(field)), "no error at {field}: {answer}");
}

on_both!(bad_input_is_a_clear_4xx_and_stores_nothing, |app: TestApp| async move {
    let api = app.api().await;
    app.live_coupon(coupon("GOOD", json!({}))).await;
    let (status, body) = api.post_raw("/redemptions", "{\"user_id\": ", "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], json!("malformed_json"));
    let (status, body) = api.post_raw("/redemptions", "{\"user_id\": 5}", "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = api.post_raw("/redemptions", "user_id=5", "application/x-www-form-urlencoded").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let with_cart = |cart: Value| json!({"user_id": "u", "code": "GOOD", "cart": cart, "order_id": "o"});
    refused_field(&api, with_cart(json!({"currency": "XYZ", "items": []})), "cart.currency").await;
    refused_field(
        &api,
        with_cart(json!({"currency": "INR", "items": [{"sku": "A", "quantity": 0, "unit_price": 1}]})),
        "cart.items[0].quantity",
    )
    .await;
    refused_field(
        &api,
        with_cart(json!({"currency": "INR", "items": [{"sku": "A", "quantity": -3, "unit_price": 1}]})),
        "cart.items[0].quantity",
    )
    .await;
    refused_field(
        &api,
        with_cart(json!({"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": "ten"}]})),
        "cart.items[0].unit_price",
    )
    .await;
    refused_field(
        &api,
        with_cart(json!({"currency": "INR", "items": [{"sku": "A", "quantity": 1_000_000, "unit_price": 9_000_000_000_000_000i64}]})),
        "cart.items[0].unit_price",
    )
    .await;
    let lines: Vec<Value> =
        (0..5000).map(|i| json!({"sku": format!("S{i}"), "quantity": 1, "unit_price": 1})).collect();
    refused_field(&api, with_cart(json!({"currency": "INR", "items": lines})), "cart.items").await;
    refused_field(&api, json!({"user_id": "", "code": "GOOD", "cart": cart()}), "user_id").await;
    refused_field(&api, json!({"user_id": "u", "cart": cart()}), "code").await;
    refused_field(&api, json!({"user_id": "u", "code": "GOOD"}), "cart").await;
    refused_field(&api, json!({"user_id": "u", "code": "GOOD", "cart": cart(), "order_id": ""}), "order_id").await;

    // Codes that cannot exist are simply not found, whatever their characters.
    for code in ["", "ü-ñícode-🎟", "A", "SELECT * FROM codes"] {
        let (status, body) = api.post("/validate", &json!({"user_id": "u", "code": code, "cart": cart()})).await;
        assert_eq!(status, StatusCode::OK, "{code}: {body}");
        assert_eq!(body["reasons"][0]["code"], json!("code_not_found"));
    }
    let (status, _) = api.post("/redemptions/abc/reverse", &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api.put("/users/u", &json!({"properties": {"bad key": 1, "nested": {"a": 1}}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(app.count("redemptions").await, 0);
    assert_eq!(app.count("app_users").await, 0);
    assert_eq!(app.count("usage_counters").await, 0);
});

on_both!(events_activate_assign_and_fill_the_tray, |app: TestApp| async move {
    let api = app.api().await;
    // First purchase: activates on app_installed, 14 days from activation, once per user.
    let first = app
        .live_coupon(coupon(
            "WELCOME",
            json!({
                "activation": {"type": "event", "event": "app_installed"},
                "expiry": {"type": "relative", "duration": {"value": 14, "unit": "days"}, "relative_to": "activation"},
                "limits": {"per_user": 1}
            }),
        ))
        .await;
    // Cart recovery: event-triggered unique codes, 48 hours, hidden.
    let recovery = app
        .live_coupon(coupon(
            "IGNORED2",
            json!({
                "distribution": {"type": "event_triggered", "event": "cart_abandoned", "unique_codes": true},
                "expiry": {"type": "relative", "duration": {"value": 48, "unit": "hours"}, "relative_to": "assignment"},
                "visibility": "hidden"
            }),
        ))
        .await;
    sqlx::query("INSERT INTO codes (code, coupon_id, kind, status) VALUES ('BACK-0001', $1, 'unique', 'available')")
        .bind(recovery)
        .execute(app.db.pool())
        .await
        .unwrap();

    let (_, body) = api.post("/validate", &json!({"user_id": "new", "code": "WELCOME", "cart": cart()})).await;
    assert_eq!(body["reasons"][0]["code"], json!("not_activated"));
    let (_, tray) = api.get("/users/new/coupons").await;
    assert_eq!(tray["coupons"], json!([]), "not usable yet: {tray}");

    let (status, recorded) = api
        .post(
            "/events",
            &json!([{"user_id": "new", "name": "app_installed"}, {"user_id": "new", "name": "cart_abandoned"}]),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    let changes = recorded["assignments"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{recorded}");
    assert_eq!(changes[1]["code"], json!("BACK-0001"));

    let (_, body) = api.post("/validate", &json!({"user_id": "new", "code": "WELCOME", "cart": cart()})).await;
    assert_eq!(body["valid"], json!(true), "{body}");
    // The recovery coupon is used by id with the user's own code.
    let (_, body) = api.post("/validate", &json!({"user_id": "new", "coupon_id": recovery, "cart": cart()})).await;
    assert_eq!((body["valid"].clone(), body["code"].clone()), (json!(true), json!("BACK-0001")), "{body}");
    let (_, body) =
        api.post("/validate", &json!({"user_id": "someone-else", "code": "BACK-0001", "cart": cart()})).await;
    assert_eq!(reasons(&body), vec!["code_not_found"], "another user's code reads as no code: {body}");

    // The tray shows the visible one with its expiry and uses left; the hidden one is not listed.
    let (_, tray) = api.get("/users/new/coupons").await;
    let coupons = tray["coupons"].as_array().unwrap();
    assert_eq!(coupons.len(), 1, "{tray}");
    assert_eq!(coupons[0]["coupon_id"], json!(first));
    assert_eq!(coupons[0]["code"], json!("WELCOME"));
    assert_eq!(coupons[0]["uses_left"], json!(1));
    assert!(coupons[0]["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{coupons:?}");

    // A second install does not move the activation; a repeated abandonment does not hand out a second code.
    let (_, again) = api.post("/events", &json!({"user_id": "new", "name": "cart_abandoned"})).await;
    assert_eq!(again["assignments"], json!([]));
    let (status, bad) =
        api.post("/events", &json!([{"user_id": "", "name": "x"}, {"user_id": "u", "name": "bad name"}])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["details"]["fields"].as_array().unwrap().len(), 2);
    assert_eq!(app.count("events").await, 3, "nothing of the bad batch was stored");
});

on_both!(coupons_through_the_api, |app: TestApp| async move {
    let api = app.api().await;
    let (status, bad) =
        api.post("/coupons", &coupon("BAD CODE", json!({"reward": {"type": "percent_off", "percent": 101}}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let fields: Vec<&str> =
        bad["error"]["details"]["fields"].as_array().unwrap().iter().filter_map(|f| f["field"].as_str()).collect();
    assert!(fields.contains(&"reward.percent") && fields.contains(&"distribution.code"), "{bad}");
    assert_eq!(app.count("coupons").await, 0);

    let (status, created) = api.post("/coupons", &coupon("APIDEAL", json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], json!("draft"));
    let id = created["id"].as_i64().unwrap();
    let (_, refused) = api.post("/validate", &json!({"user_id": "u", "code": "APIDEAL", "cart": cart()})).await;
    assert_eq!(refused["reasons"][0]["code"], json!("coupon_not_active"));

    let change = json!({"status": "active", "definition": {"name": "API deal", "reward": {"percent": 20}}});
    let (status, live, _) = api.send(Method::PATCH, &format!("/coupons/{id}"), Some(&change), None).await;
    assert_eq!(status, StatusCode::OK, "{live}");
    let (_, shown) = api.get(&format!("/coupons/{id}")).await;
    assert_eq!(shown["status"], json!("active"));
    assert_eq!(shown["definition"]["name"], json!("API deal"));
    assert_eq!(shown["definition"]["reward"]["percent"], json!(20));

    let (status, stale, _) = api
        .send(
            Method::PATCH,
            &format!("/coupons/{id}"),
            Some(&json!({"version": 1, "definition": {"name": "Old"}})),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let (status, _, _) =
        api.send(Method::PATCH, &format!("/coupons/{id}"), Some(&json!({"status": "draft"})), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "active cannot go back to draft");

    assert_eq!(api.post("/redemptions", &redeem_body("s1", "APIDEAL", "o1")).await.0, StatusCode::CREATED);
    let (_, stats) = api.get(&format!("/coupons/{id}/stats")).await;
    assert_eq!(stats["period"]["zone"], json!("Asia/Kolkata"), "{stats}");
    assert_eq!(stats["figures"]["redemptions"], json!(1));
    assert_eq!(stats["figures"]["unique_redeemers"], json!(1));
    assert_eq!(stats["figures"]["discount_given"], json!([{"currency": "INR", "minor": 80_000}]));
    assert_eq!(stats["previous"]["redemptions"], json!(0));
    assert_eq!((stats["redeemers"].clone(), stats["previous_redeemers"].clone()), (json!(1), json!(0)), "{stats}");
    let (status, bad) = api.get(&format!("/coupons/{id}/stats?from=2026-02-30")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["details"]["fields"][0]["field"], json!("from"), "{bad}");
    let (_, list) = api.get("/coupons?search=apideal").await;
    assert_eq!(list["coupons"].as_array().unwrap().len(), 1);
    assert_eq!(api.get("/coupons/424242").await.0, StatusCode::NOT_FOUND);
});

on_both!(tiers_give_the_reward_of_the_highest_step_reached, |app: TestApp| async move {
    let api = app.api().await;
    let tiers = json!({"type": "percent_off", "percent": 10, "tiers": [
        {"from": 200000, "percent": 15},
        {"from": 500000, "percent": 20}
    ]});
    let mut wrong = tiers.clone();
    wrong["tiers"][1]["from"] = json!(100000);
    let (status, bad) = api.post("/coupons", &coupon("TIERED", json!({"reward": wrong}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["details"]["fields"][0]["field"], json!("reward.tiers[1].from"), "{bad}");
    assert_eq!(app.count("coupons").await, 0);

    let id = app.live_coupon(coupon("TIERED", json!({"reward": tiers, "limits": {"budget_discount": 100000}}))).await;
    let (_, shown) = api.get(&format!("/coupons/{id}")).await;
    assert_eq!(shown["definition"]["reward"]["tiers"][1]["percent"], json!(20), "{shown}");
    assert!(
        shown["summary"].as_str().unwrap().starts_with("10% off, 15% off from ₹2,000, 20% off from ₹5,000"),
        "{shown}"
    );

    // ₹3,999.99 of items reaches the ₹2,000 tier: 15%, and ₹1,000.01 more reaches 20%.
    let (_, answer) = api.post("/validate", &json!({"user_id": "u-1", "code": "TIERED", "cart": cart()})).await;
    assert_eq!((answer["discount"].clone(), answer["tier"].clone()), (json!(60_000), json!(0)), "{answer}");
    assert_eq!(answer["next_tier"], json!({"index": 1, "from": 500000, "missing": 100001}));
    let (status, first) = api.post("/redemptions", &redeem_body("u-1", "TIERED", "t-1")).await;
    assert_eq!((status, first["discount"].clone()), (StatusCode::CREATED, json!(60_000)), "{first}");
    assert_eq!(first["quote"]["tier"], json!(0));
    // The budget counts the tier's discount: ₹600 given, ₹400 left, so a second ₹600 is refused.
    let (status, refused) = api.post("/redemptions", &redeem_body("u-2", "TIERED", "t-2")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["details"]["reasons"][0]["code"], json!("budget_exhausted"));
});

on_both!(a_partial_reverse_gives_back_exactly_its_part, |app: TestApp| async move {
    let api = app.api().await;
    let id = app.live_coupon(coupon("PART10", json!({"limits": {"budget_discount": 100000}}))).await;
    app.live_coupon(coupon("PARTCASH", json!({"reward": {"type": "cashback", "percent": 5, "max_points": 300}}))).await;
    let budget_used = |coupon: i64| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT discount FROM usage_counters WHERE coupon_id = $1 AND user_id = '' AND period = 'all'",
            )
            .bind(coupon)
            .fetch_one(db.pool())
            .await
            .unwrap()
        }
    };
    let (_, first) = api.post("/redemptions", &redeem_body("p1", "PART10", "po-1")).await;
    let rid = first["id"].as_i64().unwrap();
    assert_eq!(first["quote"]["lines"][0]["quantity"], json!(2), "{first}");
    let path = format!("/redemptions/{rid}/reverse");

    // One pair of shoes comes back: its ₹150 of the ₹400 discount returns to the budget.
    let one_pair = json!({"lines": [{"index": 0, "quantity": 1}], "reason": "one pair returned"});
    let (status, no_key) = api.post(&path, &one_pair).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{no_key}");
    assert_eq!(no_key["error"]["code"], json!("idempotency_key_required"));
    let (status, part, _) = api.send(Method::POST, &path, Some(&one_pair), Some("ret-1")).await;
    assert_eq!(status, StatusCode::OK, "{part}");
    assert_eq!((part["status"].clone(), part["discount"].clone()), (json!("redeemed"), json!(25_000)));
    assert_eq!(part["returned"]["discount"], json!(15_000), "{part}");
    let (status, again, headers) = api.send(Method::POST, &path, Some(&one_pair), Some("ret-1")).await;
    assert_eq!((status, &again), (StatusCode::OK, &part), "a retry returns nothing twice");
    assert_eq!(headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(budget_used(id).await, 25_000);
    assert_eq!(global_uses(&app, id).await, 1, "the use stays counted");
    let (_, stats) = api.get(&format!("/coupons/{id}/stats")).await;
    assert_eq!(stats["figures"]["discount_given"], json!([{"currency": "INR", "minor": 25_000}]), "{stats}");
    assert_eq!(app.count("audit_log WHERE action = 'redemption.return'").await, 1);

    // More than is left is refused and changes nothing.
    let (status, bad, _) = api.send(Method::POST, &path, Some(&json!({"amount": 400000})), Some("ret-2")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["details"]["fields"][0]["field"], json!("amount"));
    assert_eq!(budget_used(id).await, 25_000);

    // The full reverse afterwards gives back the rest, exactly.
    let (status, reversed) = api.post(&path, &json!({"reason": "order cancelled"})).await;
    assert_eq!((status, reversed["status"].clone()), (StatusCode::OK, json!("reversed")), "{reversed}");
    assert_eq!((budget_used(id).await, global_uses(&app, id).await), (0, 0));
    let (status, late, _) = api.send(Method::POST, &path, Some(&one_pair), Some("ret-3")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");

    // Cashback leaves the wallet by the eligible share: one shoe of ₹3,999.99 is 112 of 300 points.
    let (_, earned) = api.post("/redemptions", &redeem_body("p2", "PARTCASH", "po-2")).await;
    assert_eq!(couponry::wallet::balance(&app.db, "p2").await.unwrap(), 300);
    let path = format!("/redemptions/{}/reverse", earned["id"]);
    let shoe = json!({"lines": [{"index": 0, "quantity": 1}]});
    let (status, part, _) = api.send(Method::POST, &path, Some(&shoe), Some("ret-4")).await;
    assert_eq!((status, part["cashback_points"].clone()), (StatusCode::OK, json!(188)), "{part}");
    assert_eq!(couponry::wallet::balance(&app.db, "p2").await.unwrap(), 188);
});

on_both!(priority_orders_a_stack_and_a_stop_ends_it, |app: TestApp| async move {
    let api = app.api().await;
    let stopper = json!({"reward": {"type": "amount_off", "amount": 10000}, "stacking": "combinable",
                         "priority": 10, "stop_after": true});
    let first = app.live_coupon(coupon("FIRST100", stopper)).await;
    let shoes = app
        .live_coupon(coupon(
            "SHOES20",
            json!({"reward": {"type": "percent_off", "percent": 20}, "stacking": "combinable",
                   "applies_to": {"type": "items", "categories": ["Shoes"]}}),
        ))
        .await;
    let body = json!({"user_id": "s1", "codes": ["SHOES20", "FIRST100"], "cart": cart()});
    let (status, answer) = api.post("/validate", &body).await;
    assert_eq!((status, answer["valid"].clone()), (StatusCode::OK, json!(false)), "{answer}");
    assert_eq!(answer["reasons"][0]["code"], json!("not_combinable"));
    assert_eq!(answer["reasons"][0]["coupon_id"], json!(shoes));
    assert!(answer["reasons"][0]["message"].as_str().unwrap().contains("No coupon applies after"), "{answer}");

    // Without the stop, the higher priority still comes first: ₹100 off the order, then 20% of
    // what it left of the shoes (₹2,925: the ₹100 spread ₹75 to the shoes, ₹25 to the shirt).
    let change = json!({"definition": {"stop_after": false}});
    let (status, shown, _) = api.send(Method::PATCH, &format!("/coupons/{first}"), Some(&change), None).await;
    assert_eq!((status, shown["definition"]["priority"].clone()), (StatusCode::OK, json!(10)), "{shown}");
    let (_, answer) = api.post("/validate", &body).await;
    assert_eq!(answer["valid"], json!(true), "{answer}");
    assert_eq!(answer["coupons"][1]["discount"], json!(10_000));
    let shoes_left = 300_000 - answer["coupons"][1]["lines"][0]["discount"].as_i64().unwrap();
    assert_eq!(answer["coupons"][0]["discount"], json!((shoes_left * 20 + 50) / 100), "{answer}");
});

/// Two server processes on one PostgreSQL: the limits are the database's, not a process's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_postgres_never_pass_a_limit() {
    let app = TestApp::spawn(common::Flavor::Postgres).await;
    let api = app.api().await;
    let id = app.live_coupon(coupon("TWOSERVERS", json!({"limits": {"per_user": 1, "global": 50}}))).await;
    let servers =
        [common::ServerProcess::start(&app.database_url).await, common::ServerProcess::start(&app.database_url).await];
    let mut tasks = Vec::new();
    for i in 0..200 {
        let api = api.on(&servers[i % 2].base);
        let user = if i < 150 { format!("shopper-{i}") } else { "eager".to_string() };
        tasks.push(tokio::spawn(async move {
            api.post("/redemptions", &redeem_body(&user, "TWOSERVERS", &format!("order-{i}"))).await.0
        }));
    }
    let mut created = 0;
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            StatusCode::CREATED => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            StatusCode::TOO_MANY_REQUESTS if i >= 150 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created, 50);
    assert_eq!(global_uses(&app, id).await, 50);
    let eager: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM redemptions WHERE user_id = 'eager'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(eager <= 1);
}

on_both!(admins_manage_api_keys_in_the_dashboard, |app: TestApp| async move {
    use couponry::accounts::keys::server::{CreateApiKey, ListApiKeys, RevokeApiKey};
    app.login_admin().await;
    let (status, body) = app.call_form::<CreateApiKey>(&[("name", ""), ("checkout", "on")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::field_error(&body, "name").is_some(), "{body}");
    let (status, body) = app.call_form::<CreateApiKey>(&[("name", "Shop")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::field_error(&body, "scopes").is_some(), "{body}");
    let (status, created) = app.call_form::<CreateApiKey>(&[("name", "Shop"), ("checkout", "on")]).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    let api = app.api().await.with_key(&secret);
    assert_eq!(api.put("/users/someone", &json!({"properties": {}})).await.0, StatusCode::OK);
    assert_eq!(api.get("/coupons").await.0, StatusCode::FORBIDDEN, "a checkout key cannot manage coupons");
    let (_, list) = app.call_form::<ListApiKeys>(&[]).await;
    let shop = list.as_array().unwrap().iter().find(|k| k["name"] == json!("Shop")).unwrap().clone();
    assert!(shop.get("secret").is_none() && !shop.to_string().contains(&secret), "the secret is never listed");
    let (status, _) = app.call_form::<RevokeApiKey>(&[("id", &shop["id"].to_string())]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(api.put("/users/someone", &json!({"properties": {}})).await.0, StatusCode::UNAUTHORIZED);
    let marketer = app.browser_as("marketer").await;
    assert_eq!(marketer.call_form::<ListApiKeys>(&[]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(marketer.call_form::<CreateApiKey>(&[("name", "x"), ("checkout", "on")]).await.0, StatusCode::FORBIDDEN);
    let (status, _) = marketer.get("/api-keys").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
});

on_both!(stacked_codes_apply_in_order_and_redeem_all_or_nothing, |app: TestApp| async move {
    let api = app.api().await;
    let combinable = |code: &str, changes: Value| {
        let mut c = coupon(code, changes);
        c["stacking"] = json!("combinable");
        c
    };
    let shoes = app
        .live_coupon(combinable(
            "SHOES20",
            json!({"reward": {"type": "percent_off", "percent": 20}, "applies_to": {"type": "items", "categories": ["Shoes"]}}),
        ))
        .await;
    let order = app.live_coupon(combinable("ORDER10", json!({"limits": {"per_user": 1}}))).await;
    let ship = app
        .live_coupon(combinable(
            "FREESHIP",
            json!({"reward": {"type": "percent_off", "percent": 100}, "applies_to": {"type": "fees", "names": ["shipping"]}}),
        ))
        .await;
    app.live_coupon(coupon("ALONE", json!({}))).await;
    let stack =
        |codes: Value, order_id: &str| json!({"user_id": "s-1", "codes": codes, "cart": cart(), "order_id": order_id});

    // Items first (20% of the shoes), then the order (10% of what is left), then shipping.
    let (status, answer) = api.post("/validate", &stack(json!(["FREESHIP", "ORDER10", "SHOES20"]), "o")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["valid"], json!(true), "{answer}");
    let discounts: Vec<i64> =
        answer["coupons"].as_array().unwrap().iter().map(|c| c["discount"].as_i64().unwrap()).collect();
    assert_eq!(discounts, vec![4_000, 34_000, 60_000]);
    assert_eq!(answer["totals"]["discount"], json!(98_000));
    assert_eq!(answer["totals"]["fees"][0]["total"], json!(0));

    // An exclusive coupon is not combined; the answer says which and why.
    let (_, mixed) = api.post("/validate", &stack(json!(["ALONE", "ORDER10"]), "o")).await;
    assert_eq!(mixed["valid"], json!(false));
    assert_eq!(reasons(&mixed["coupons"][0]), vec!["not_combinable"]);
    assert_eq!(mixed["coupons"][1]["valid"], json!(true));
    assert_eq!(mixed["reasons"][0]["coupon_id"], mixed["coupons"][0]["coupon_id"]);
    refused_field(&api, stack(json!(["A1", "A2", "A3", "A4", "A5", "A6"]), "o"), "codes").await;
    refused_field(&api, json!({"user_id": "s-1", "code": "ORDER10", "codes": ["SHOES20"], "cart": cart()}), "codes")
        .await;

    // Redeem records every coupon in one transaction, sharing a group id; a replay answers the same.
    let body = stack(json!(["SHOES20", "ORDER10", "FREESHIP"]), "s-order-1");
    let (status, first, _) = api.send(Method::POST, "/redemptions", Some(&body), Some("stack-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let members = first["redemptions"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    assert!(members.iter().all(|r| r["group_id"] == first["group_id"]));
    assert_eq!(first["totals"]["discount"], json!(98_000));
    let (_, again, _) = api.send(Method::POST, "/redemptions", Some(&body), Some("stack-1")).await;
    assert_eq!(again, first);
    assert_eq!(app.count("redemptions").await, 3);

    // ORDER10 is once per user: the whole second cart is refused, and nothing else moved.
    let (status, refused) = api.post("/redemptions", &stack(json!(["SHOES20", "ORDER10"]), "s-order-2")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(reasons(&refused["error"]["details"]["coupons"][1]), vec!["per_user_limit_reached"]);
    assert_eq!((global_uses(&app, shoes).await, global_uses(&app, order).await), (1, 1));
    assert_eq!(app.count("redemptions").await, 3);

    // Reversing one member reverses the cart's coupons together, and the audit log says who.
    let (status, reversed) = api.post(&format!("/redemptions/{}/reverse", members[1]["id"]), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{reversed}");
    for id in [shoes, order, ship] {
        assert_eq!(global_uses(&app, id).await, 0, "coupon {id}");
    }
    let audit = couponry::accounts::audit::list(&app.db, &Default::default(), None, 10).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "redemption.reverse" && a.actor_label.starts_with("api key")));
    let (status, _) = api.post("/redemptions", &stack(json!(["SHOES20", "ORDER10"]), "s-order-3")).await;
    assert_eq!(status, StatusCode::CREATED, "the uses came back");
});

on_both!(wallet_credits_and_debits_are_idempotent_and_never_overdraw, |app: TestApp| async move {
    let api = app.api().await;
    let (status, empty) = api.get("/users/w-1/wallet").await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!((empty["balance"].as_i64(), empty["transactions"].as_array().map(Vec::len)), (Some(0), Some(0)));

    let path = "/users/w-1/wallet/transactions";
    let credit = json!({"type": "credit", "points": 500, "note": "welcome bonus"});
    let (status, first, _) = api.send(Method::POST, path, Some(&credit), Some("w-key")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["balance"], json!(500));
    let (_, again, headers) = api.send(Method::POST, path, Some(&credit), Some("w-key")).await;
    assert_eq!(again, first);
    assert!(headers.get("idempotent-replayed").is_some());
    let other = json!({"type": "credit", "points": 501});
    let (status, _, _) = api.send(Method::POST, path, Some(&other), Some("w-key")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A debit over the balance is refused whole; concurrent debits never overdraw.
    let (status, over) = api.post(path, &json!({"type": "debit", "points": 800})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{over}");
    assert_eq!(over["error"]["details"]["fields"][0]["field"], json!("points"));
    assert!(over["error"]["details"]["fields"][0]["message"].as_str().is_some_and(|m| m.contains("500")), "{over}");
    let debits: Vec<_> = (0..20)
        .map(|_| {
            let api = api.with_key(&api.key);
            tokio::spawn(async move { api.post(path, &json!({"type": "debit", "points": 100})).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for debit in debits {
        statuses.push(debit.await.expect("task"));
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::CREATED).count(), 5);
    assert!(statuses.iter().all(|s| *s == StatusCode::CREATED || *s == StatusCode::UNPROCESSABLE_ENTITY));
    let (_, wallet) = api.get("/users/w-1/wallet?limit=2").await;
    assert_eq!(wallet["balance"], json!(0));
    assert_eq!(wallet["transactions"].as_array().map(Vec::len), Some(2));
    assert_eq!(wallet["transactions"][0]["kind"], json!("debit"));

    for bad in [
        json!({"type": "gift", "points": 5}),
        json!({"type": "credit", "points": 0}),
        json!({"type": "credit", "points": -5}),
    ] {
        let (status, body) = api.post(path, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, _) = api.post("/users/%20/wallet/transactions", &credit).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
});

/// Every `$ref` in a JSON document, anywhere.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_string()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

on_both!(the_openapi_document_describes_every_endpoint, |app: TestApp| async move {
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.base)).await.expect("openapi");
    assert_eq!(res.status(), StatusCode::OK, "served without a key");
    let doc: Value = res.json().await.expect("JSON");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/validate", "post"),
        ("/redemptions", "post"),
        ("/redemptions", "get"),
        ("/redemptions/{id}", "get"),
        ("/redemptions/{id}/reverse", "post"),
        ("/users/{user_id}", "put"),
        ("/users/{user_id}", "get"),
        ("/users/{user_id}/coupons", "get"),
        ("/users/{user_id}/wallet", "get"),
        ("/users/{user_id}/wallet/transactions", "post"),
        ("/events", "post"),
        ("/coupons", "get"),
        ("/coupons", "post"),
        ("/coupons/{id}", "get"),
        ("/coupons/{id}", "patch"),
        ("/coupons/{id}/stats", "get"),
        ("/coupons/{id}/codes/generate", "post"),
        ("/coupons/{id}/codes/import", "post"),
        ("/coupons/{id}/batches", "get"),
        ("/coupons/{id}/codes", "get"),
        ("/codes/{code}", "get"),
        ("/codes/{code}/void", "post"),
        ("/users", "put"),
        ("/segments", "get"),
        ("/segments", "post"),
        ("/segments/preview", "post"),
        ("/segments/{id}", "get"),
        ("/segments/{id}", "put"),
        ("/campaigns", "get"),
        ("/campaigns", "post"),
        ("/campaigns/{id}", "get"),
        ("/campaigns/{id}/cancel", "post"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not described");
    }
    // Every schema a path or another schema points to is in the document.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20);
    for r in all {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "{r} is not defined");
    }
    // The documented body is the one the handler reads: a described field is accepted.
    let body = &schemas["RedeemBody"]["properties"];
    for field in ["user_id", "code", "coupon_id", "codes", "coupon_ids", "cart", "order_id"] {
        assert!(body.get(field).is_some(), "RedeemBody.{field}");
    }
    assert_eq!(doc["components"]["securitySchemes"]["api_key"]["scheme"], json!("bearer"));
});

on_both!(a_coupon_page_shows_its_limits_used_and_its_latest_redemptions, |app: TestApp| async move {
    use couponry::coupons::server::GetCouponActivity;
    app.login_admin().await;
    let api = app.api().await;
    let limits =
        json!({"global": 10, "budget_discount": 1_000_000, "caps": [{"period": "day", "scope": "global", "limit": 5}]});
    let id = app.live_coupon(coupon("PACE10", json!({"limits": limits}))).await;
    for (user, order) in [("u-1", "o-1"), ("u-2", "o-2")] {
        let (status, body) = api.post("/redemptions", &redeem_body(user, "PACE10", order)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, a) = app.call_form::<GetCouponActivity>(&[("id", &id.to_string())]).await;
    assert_eq!(status, StatusCode::OK, "{a}");
    let usage = &a["usage"];
    assert_eq!((usage["uses"].as_i64(), usage["discount"].as_i64()), (Some(2), Some(80_000)), "{a}");
    assert_eq!(usage["caps"], json!([{"period": "day", "used": 2, "limit": 5}]));
    let users: Vec<&str> = a["recent"].as_array().unwrap().iter().filter_map(|r| r["user_id"].as_str()).collect();
    assert_eq!(users, ["u-2", "u-1"], "newest first");
    assert!(a["codes"].is_null(), "a static code has no pool");
});

on_both!(buy_x_get_y_frees_units_and_asks_for_the_free_item, |app: TestApp| async move {
    let api = app.api().await;
    let shoes = json!({"type": "items", "categories": ["Shoes"]});
    // Refused settings name their field, and nothing is stored.
    let bad = json!({"type": "buy_x_get_y", "buy_quantity": 0, "get_quantity": 1});
    let (status, body) = api.post("/coupons", &coupon("BOGO", json!({"reward": bad, "applies_to": shoes}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"]["fields"][0]["field"], json!("reward.buy_quantity"), "{body}");
    assert_eq!(app.count("coupons").await, 0);

    // Buy 1 pair of shoes, get 1 pair free, with a budget of ₹2,000.
    let bogo = json!({"type": "buy_x_get_y", "buy_quantity": 1, "get_quantity": 1});
    let id = app
        .live_coupon(coupon(
            "BOGO",
            json!({"reward": bogo, "applies_to": shoes, "limits": {"budget_discount": 200000}}),
        ))
        .await;
    let (_, shown) = api.get(&format!("/coupons/{id}")).await;
    assert!(shown["summary"].as_str().unwrap().starts_with("buy 1 of Shoes, get 1 free"), "{shown}");
    let (_, answer) = api.post("/validate", &json!({"user_id": "u-1", "code": "BOGO", "cart": cart()})).await;
    assert_eq!((answer["discount"].clone(), answer["applications"].clone()), (json!(150_000), json!(1)), "{answer}");
    assert_eq!((answer["lines"][0]["bought"].clone(), answer["lines"][0]["got"].clone()), (json!(1), json!(1)));
    let (status, redeemed) = api.post("/redemptions", &redeem_body("u-1", "BOGO", "b-1")).await;
    assert_eq!((status, redeemed["discount"].clone()), (StatusCode::CREATED, json!(150_000)), "{redeemed}");
    // Returning the free pair's line gives its discount back to the budget, exactly.
    let rid = redeemed["id"].as_i64().unwrap();
    let part = json!({"lines": [{"index": 0, "quantity": 2}]});
    let (status, back, _) =
        api.send(Method::POST, &format!("/redemptions/{rid}/reverse"), Some(&part), Some("bogo-return")).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(back["discount"], json!(0), "{back}");
    // The budget, back at ₹2,000, covers another pair but not two.
    let (status, _) = api.post("/redemptions", &redeem_body("u-2", "BOGO", "b-2")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, refused) = api.post("/redemptions", &redeem_body("u-3", "BOGO", "b-3")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["details"]["reasons"][0]["code"], json!("budget_exhausted"));

    // A free gift: buy 2 pairs of shoes, get a shoe-care kit the cart lacks.
    let gift =
        json!({"type": "buy_x_get_y", "buy_quantity": 2, "get_quantity": 1, "get_items": {"skus": ["CARE-KIT"]}});
    app.live_coupon(coupon("GIFT", json!({"reward": gift, "applies_to": shoes}))).await;
    let (_, answer) = api.post("/validate", &json!({"user_id": "u-4", "code": "GIFT", "cart": cart()})).await;
    assert_eq!(answer["valid"], json!(true), "{answer}");
    assert_eq!(answer["add_items"], json!([{"sku": "CARE-KIT", "quantity": 1, "percent": 100}]), "{answer}");
    let mut with_kit = cart();
    with_kit["items"].as_array_mut().unwrap().push(json!({"sku": "CARE-KIT", "quantity": 1, "unit_price": 49900}));
    let (_, answer) = api.post("/validate", &json!({"user_id": "u-4", "code": "GIFT", "cart": with_kit})).await;
    assert_eq!((answer["discount"].clone(), answer["lines"][2]["got"].clone()), (json!(49_900), json!(1)), "{answer}");
    assert!(answer.get("add_items").is_none(), "{answer}");
    // The document describes the new answer fields.
    let (_, doc) = api.get("/openapi.json").await;
    assert!(doc["components"]["schemas"]["AddItem"].is_object(), "AddItem is described");
});
