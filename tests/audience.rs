//! Segments and campaigns end to end on SQLite and PostgreSQL: the condition language agrees in
//! SQL and in Rust, launches reach every matching user once (with a code each), refusals store
//! nothing, keep-in-sync, scheduled launches exactly once across servers, a server killed
//! mid-launch.

mod common;

use std::collections::BTreeSet;

use common::{coupon_input, field_error, ServerProcess, TestApp};
use couponry::audience::campaigns::server::{CancelCampaign, CreateCampaign, EstimateLaunch, GetCampaign};
use couponry::audience::segments::server::{PreviewSegment, SaveSegment};
use couponry::audience::users::server::{LookupUser, ReturnPart};
use couponry::conditions::{Condition, Group, Join, Properties, Rule, Test};
use couponry::db::{Db, Sql};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use reqwest::StatusCode;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The condition language: SQL and Rust agree.

const NAMES: &[&str] = &["city", "age", "tags", "born", "vip"];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            "Mumbai",
            " mumbai ",
            "MUMBAI",
            "Delhi",
            "new york",
            "31",
            "31.0",
            "-2.5",
            "1e3",
            "abc",
            "",
            "7",
            "2026-01-02",
            "2025-12-31T23:30:00-02:00",
            "2024-02-30",
            "true",
            "umbrella",
        ])
        .prop_map(|s| json!(s)),
        (-40i64..40).prop_map(|n| json!(n)),
        (-400i32..400).prop_map(|n| json!(f64::from(n) / 8.0)),
        prop::sample::select(vec![0.1, 1e20, -0.0, 31.0, 1000.0]).prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![4 => scalar(), 1 => prop::collection::vec(scalar(), 0..4).prop_map(Value::Array)]
}

fn properties() -> impl Strategy<Value = Properties> {
    prop::collection::btree_map(prop::sample::select(NAMES), value(), 0..5)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn operand() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Mumbai",
        "mumbai",
        "delhi",
        "31",
        "31.0",
        "-2.5",
        "1000",
        "abc",
        "true",
        "7",
        "0.1",
        "umb",
        "new",
        "2026-01-02",
    ])
    .prop_map(String::from)
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![(-40i64..40).prop_map(|n| n as f64), (-400i32..400).prop_map(|n| f64::from(n) / 8.0), Just(0.1)]
}

fn instant() -> impl Strategy<Value = chrono::DateTime<chrono::Utc>> {
    prop::sample::select(vec![
        "2026-01-02T00:00:00Z",
        "2025-12-31T00:00:00Z",
        "2026-01-01T01:30:00Z",
        "2024-03-01T00:00:00Z",
    ])
    .prop_map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc))
}

fn test() -> impl Strategy<Value = Test> {
    prop_oneof![
        operand().prop_map(Test::Eq),
        operand().prop_map(Test::Ne),
        prop::collection::vec(operand(), 1..4).prop_map(Test::OneOf),
        operand().prop_map(Test::Contains),
        Just(Test::Exists),
        number().prop_map(Test::Gt),
        number().prop_map(Test::Gte),
        number().prop_map(Test::Lt),
        number().prop_map(Test::Lte),
        instant().prop_map(Test::Before),
        instant().prop_map(Test::After),
    ]
}

fn join() -> impl Strategy<Value = Join> {
    prop_oneof![Just(Join::All), Just(Join::Any)]
}

fn rule() -> impl Strategy<Value = Rule> {
    let condition = (prop::sample::select(NAMES), test()).prop_map(|(p, test)| Condition { property: p.into(), test });
    let group =
        (join(), prop::collection::vec(condition, 1..4)).prop_map(|(join, conditions)| Group { join, conditions });
    (join(), prop::collection::vec(group, 0..3)).prop_map(|(join, groups)| Rule { join, groups })
}

async fn matching(db: &Db, rule: &Rule) -> BTreeSet<String> {
    let mut sql = Sql::new(db.backend());
    sql.push("SELECT user_id FROM app_users u WHERE ");
    rule.push_sql(&mut sql, "u.facets");
    let ids: Vec<String> =
        sqlx::query_scalar_with(sql.text(), sql.arguments().unwrap()).fetch_all(db.pool()).await.expect("rule query");
    ids.into_iter().collect()
}

on_both!(sql_and_rust_agree, |app: TestApp| async move {
    let app = app; // the whole test app, database and all, lives to the end
    let mut runner = TestRunner::deterministic();
    let strategy = properties();
    let mut users = Vec::new();
    for i in 0..300 {
        let props = strategy.new_tree(&mut runner).unwrap().current();
        couponry::audience::campaigns::sync::save_user(&app.db, &format!("u{i:03}"), &props)
            .await
            .expect("user stored");
        users.push((format!("u{i:03}"), props));
    }
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(ProptestConfig { cases: 400, failure_persistence: None, ..Default::default() });
    let result = runner.run(&rule(), |rule| {
        let expected: BTreeSet<String> =
            users.iter().filter(|(_, p)| rule.holds(p)).map(|(id, _)| id.clone()).collect();
        let got = tokio::task::block_in_place(|| handle.block_on(matching(&app.db, &rule)));
        let only_sql: Vec<_> = got.difference(&expected).collect();
        let only_rust: Vec<_> = expected.difference(&got).collect();
        prop_assert!(
            only_sql.is_empty() && only_rust.is_empty(),
            "rule {rule}: only SQL {only_sql:?}, only Rust {only_rust:?}"
        );
        Ok(())
    });
    result.unwrap();
});

// ---------------------------------------------------------------------------------------------
// Segments and campaigns.

fn coupon(name: &str, distribution: Value) -> Value {
    json!({
        "name": name,
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": "campaign",
        "distribution": distribution,
        "activation": {"type": "time"},
        "expiry": {"type": "relative", "duration": {"value": 7, "unit": "days"}, "relative_to": "assignment"},
        "visibility": "visible",
        "stacking": "exclusive"
    })
}

async fn segment(app: &TestApp, name: &str, rule: Value) -> i64 {
    let (status, body) =
        app.call_json::<SaveSegment>(&json!({"id": null, "input": {"name": name, "rule": rule}})).await;
    assert_eq!(status, StatusCode::OK, "segment saved: {body}");
    body["id"].as_i64().unwrap()
}

fn city_is(city: &str) -> Value {
    json!({"groups": [{"conditions": [{"property": "city", "op": "eq", "value": city}]}]})
}

async fn campaign(app: &TestApp, input: Value) -> (StatusCode, Value) {
    app.call_json::<CreateCampaign>(&json!({ "input": input })).await
}

async fn estimate(app: &TestApp, coupon_id: i64, segment_id: i64) -> Value {
    let (coupon_id, segment_id) = (coupon_id.to_string(), segment_id.to_string());
    let (status, body) = app
        .call_form::<EstimateLaunch>(&[("coupon_id", coupon_id.as_str()), ("segment_id", segment_id.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

on_both!(the_users_page_finds_people_by_the_start_of_their_id, |app: TestApp| async move {
    app.login_admin().await;
    let api = app.api().await;
    for id in ["shopper-1", "shopper-2", "shopper-10", "other"] {
        let (s, body) = api.put(&format!("/users/{id}"), &json!({"properties": {"city": "Pune"}})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (s, found) = app.call_form::<LookupUser>(&[("user_id", "shopper")]).await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert!(found["user"].is_null(), "no user has this id: {found}");
    let similar: BTreeSet<&str> = found["similar"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(similar, BTreeSet::from(["shopper-1", "shopper-10", "shopper-2"]));
    let (_, exact) = app.call_form::<LookupUser>(&[("user_id", "shopper-1")]).await;
    assert_eq!(exact["user"]["properties"]["city"], json!("Pune"));
    assert_eq!(exact["similar"], json!([]), "a user found is not a search");
});

async fn count_where(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await.expect(sql)
}

on_both!(launch_reaches_every_matching_user_once, |app: TestApp| async move {
    app.login_admin().await;
    let api = app.api().await;
    let id = app.live_coupon(coupon("Mumbai 10%", json!({"type": "unique"}))).await;
    let (s, _) =
        api.post(&format!("/coupons/{id}/codes/generate"), &json!({"count": 30, "pattern": "MUM-######"})).await;
    assert_eq!(s, StatusCode::CREATED);
    for i in 0..40 {
        let city = if i % 2 == 0 { "Mumbai" } else { "Pune" };
        let (s, body) = api.put(&format!("/users/u{i}"), &json!({"properties": {"city": city, "age": 20 + i}})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let mumbai = segment(&app, "Mumbai", city_is("mumbai")).await;
    let (_, preview) = app.call_json::<PreviewSegment>(&json!({"rule": city_is("MUMBAI")})).await;
    assert_eq!((preview["matching"].as_i64(), preview["total"].as_i64()), (Some(20), Some(40)), "{preview}");
    assert_eq!(preview["sample"].as_array().unwrap().len(), 8);

    // The form says what a launch will do before it runs: whom it reaches, what codes it takes.
    assert_eq!(estimate(&app, id, mumbai).await, json!({"matched": 20, "already_held": 0, "free_codes": 30}));
    let (s, launched) = campaign(&app, json!({"name": "Diwali", "coupon_id": id, "segment_id": mumbai})).await;
    assert_eq!(s, StatusCode::OK, "{launched}");
    assert_eq!((launched["status"].as_str(), launched["matched"].as_i64()), (Some("launched"), Some(20)));
    let cid = launched["id"].as_i64().unwrap();
    let db = &app.db;
    assert_eq!(count_where(db, &format!("SELECT COUNT(*) FROM assignments WHERE campaign_id = {cid}")).await, 20);
    assert_eq!(
        count_where(db, &format!("SELECT COUNT(DISTINCT code_id) FROM assignments WHERE campaign_id = {cid}")).await,
        20
    );
    // Every code went to the user who holds it, and to no one else.
    assert_eq!(
        count_where(
            db,
            &format!(
                "SELECT COUNT(*) FROM assignments a JOIN codes c ON c.id = a.code_id
                 WHERE a.campaign_id = {cid} AND c.status = 'assigned' AND c.user_id = a.user_id"
            )
        )
        .await,
        20
    );
    let (_, tray) = api.get("/users/u0/coupons").await;
    let entry = &tray["coupons"][0];
    assert_eq!(entry["coupon_id"].as_i64(), Some(id), "{tray}");
    assert!(entry["code"].as_str().unwrap().starts_with("MUM-"));
    let expires = entry["expires_at"].as_str().unwrap_or_default();
    assert!(chrono::DateTime::parse_from_rfc3339(expires).is_ok(), "times are RFC 3339: {tray}");
    let (_, tray) = api.get("/users/u1/coupons").await;
    assert_eq!(tray["coupons"].as_array().unwrap().len(), 0, "Pune is not reached: {tray}");

    // A second campaign to the same users reaches no one twice.
    let (s, again) = campaign(&app, json!({"name": "Again", "coupon_id": id, "segment_id": mumbai})).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!((again["matched"].as_i64(), again["already_held"].as_i64()), (Some(20), Some(20)));
    assert_eq!(app.count("assignments").await, 20);

    // Everyone (40 users, 20 new) needs 20 codes; 10 are free: refused, nothing stored.
    let everyone = segment(&app, "Everyone", json!({"groups": []})).await;
    assert_eq!(estimate(&app, id, everyone).await, json!({"matched": 40, "already_held": 20, "free_codes": 10}));
    let campaigns_before = app.count("campaigns").await;
    let (s, refused) = campaign(&app, json!({"name": "All", "coupon_id": id, "segment_id": everyone})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{refused}");
    assert!(refused.to_string().contains("20 users need a code but only 10 codes are free"), "{refused}");
    assert_eq!((app.count("campaigns").await, app.count("assignments").await), (campaigns_before, 20));

    // An empty segment, a paused coupon: refused with the reason, next to the field.
    let nobody = segment(&app, "Nobody", city_is("Atlantis")).await;
    let (s, body) = campaign(&app, json!({"name": "Empty", "coupon_id": id, "segment_id": nobody})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_error(&body, "segment_id").as_deref(), Some("the segment matches no users"));
    couponry::coupons::store::set_status(
        db,
        &couponry::accounts::audit::Actor::system(),
        id,
        couponry::coupons::status::CouponStatus::Paused,
    )
    .await
    .unwrap();
    let (s, body) = campaign(&app, json!({"name": "Paused", "coupon_id": id, "segment_id": mumbai})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(field_error(&body, "coupon_id").unwrap().contains("paused"), "{body}");

    let (s, view) = app.call_form::<GetCampaign>(&[("id", &cid.to_string())]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((view["counts"]["assigned"].as_i64(), view["counts"]["activated"].as_i64()), (Some(20), Some(20)));
    let audit = count_where(db, "SELECT COUNT(*) FROM audit_log WHERE action = 'campaign.launch'").await;
    assert_eq!(audit, 2);
});

on_both!(keep_in_sync_assigns_users_who_come_to_match, |app: TestApp| async move {
    app.login_admin().await;
    let api = app.api().await;
    let id = app.live_coupon(coupon("VIP", json!({"type": "unique"}))).await;
    api.post(&format!("/coupons/{id}/codes/generate"), &json!({"count": 3, "pattern": "VIP-######"})).await;
    api.put("/users/a", &json!({"properties": {"tier": "gold"}})).await;
    api.put("/users/b", &json!({"properties": {"tier": "silver"}})).await;
    let gold =
        segment(&app, "Gold", json!({"groups": [{"conditions": [{"property": "tier", "op": "eq", "value": "gold"}]}]}))
            .await;
    let (s, c) =
        campaign(&app, json!({"name": "Gold", "coupon_id": id, "segment_id": gold, "keep_in_sync": true})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let holders = |db: Db| async move {
        sqlx::query_scalar::<_, String>(&format!(
            "SELECT a.user_id FROM assignments a JOIN codes c ON c.id = a.code_id WHERE a.coupon_id = {id} ORDER BY a.user_id"
        ))
        .fetch_all(db.pool())
        .await
        .unwrap()
    };
    assert_eq!(holders(app.db.clone()).await, vec!["a"]);
    api.put("/users/b", &json!({"properties": {"tier": "gold"}})).await; // came to match
    api.put("/users/c", &json!({"properties": {"tier": "bronze"}})).await; // does not
    api.put("/users/d", &json!({"properties": {"tier": "Gold"}})).await; // new, matches
    api.put("/users/a", &json!({"properties": {"tier": "gold", "x": 1}})).await; // holds it already
    assert_eq!(holders(app.db.clone()).await, vec!["a", "b", "d"]);
    // The pool is empty now: a fourth user is stored, just without the coupon.
    let (s, _) = api.put("/users/e", &json!({"properties": {"tier": "gold"}})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(holders(app.db.clone()).await, vec!["a", "b", "d"]);
    let (_, view) = app.call_form::<GetCampaign>(&[("id", &c["id"].as_i64().unwrap().to_string())]).await;
    assert_eq!((view["counts"]["assigned"].as_i64(), view["counts"]["synced"].as_i64()), (Some(3), Some(2)), "{view}");
});

on_both!(scheduled_campaigns_launch_once_when_due, |app: TestApp| async move {
    use couponry::audience::campaigns::store::launch_due;
    app.login_admin().await;
    let api = app.api().await;
    let id = app.live_coupon(coupon("Later", json!({"type": "static", "code": "LATER10"}))).await;
    let paused = app.live_coupon(coupon("Paused later", json!({"type": "static", "code": "PAUSED10"}))).await;
    for i in 0..5 {
        api.put(&format!("/users/s{i}"), &json!({"properties": {"city": "Goa"}})).await;
    }
    let goa = segment(&app, "Goa", city_is("Goa")).await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (s, c) =
        campaign(&app, json!({"name": "Later", "coupon_id": id, "segment_id": goa, "launch_at": at.to_rfc3339()}))
            .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["status"].as_str(), Some("scheduled"));
    let (_, p) =
        campaign(&app, json!({"name": "Paused", "coupon_id": paused, "segment_id": goa, "launch_at": at.to_rfc3339()}))
            .await;
    let (_, cancelled) =
        campaign(&app, json!({"name": "Cancelled", "coupon_id": id, "segment_id": goa, "launch_at": at.to_rfc3339()}))
            .await;
    let (s, _) = app.call_form::<CancelCampaign>(&[("id", &cancelled["id"].as_i64().unwrap().to_string())]).await;
    assert_eq!(s, StatusCode::OK);
    couponry::coupons::store::set_status(
        &app.db,
        &couponry::accounts::audit::Actor::system(),
        paused,
        couponry::coupons::status::CouponStatus::Paused,
    )
    .await
    .unwrap();
    assert_eq!(app.count("assignments").await, 0);
    assert_eq!(launch_due(&app.db, chrono::Utc::now()).await.unwrap(), 0, "not due yet");
    let later = at + chrono::Duration::milliseconds(10);
    assert_eq!(launch_due(&app.db, later).await.unwrap(), 1);
    assert_eq!(launch_due(&app.db, later).await.unwrap(), 0, "launched once");
    assert_eq!(app.count("assignments").await, 5);
    let (_, view) = app.call_form::<GetCampaign>(&[("id", &c["id"].as_i64().unwrap().to_string())]).await;
    assert_eq!(view["campaign"]["status"].as_str(), Some("launched"));
    assert!(view["campaign"]["launched_by"].as_str().unwrap().starts_with("schedule set by admin@"), "{view}");
    let (_, view) = app.call_form::<GetCampaign>(&[("id", &p["id"].as_i64().unwrap().to_string())]).await;
    assert_eq!(view["campaign"]["status"].as_str(), Some("failed"));
    assert!(view["campaign"]["message"].as_str().unwrap().contains("paused"), "{view}");
});

/// Two server processes, each with its scheduler ticking, launch one campaign once.
async fn two_servers_launch_once(app: TestApp) {
    app.login_admin().await;
    let api = app.api().await;
    let id = app.live_coupon(coupon("Race", json!({"type": "unique"}))).await;
    api.post(&format!("/coupons/{id}/codes/generate"), &json!({"count": 200, "pattern": "RACE-######"})).await;
    for i in 0..150 {
        api.put(&format!("/users/r{i}"), &json!({"properties": {"city": "Agra"}})).await;
    }
    let agra = segment(&app, "Agra", city_is("Agra")).await;
    let env = [("COUPONRY_SCHEDULER_MS", "50")];
    let one = ServerProcess::start_with(&app.database_url, &env).await;
    let two = ServerProcess::start_with(&app.database_url, &env).await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (s, c) =
        campaign(&app, json!({"name": "Race", "coupon_id": id, "segment_id": agra, "launch_at": at.to_rfc3339()}))
            .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let cid = c["id"].as_i64().unwrap();
    let status = || async {
        sqlx::query_scalar::<_, String>(&format!("SELECT status FROM campaigns WHERE id = {cid}"))
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    for _ in 0..200 {
        if status().await != "scheduled" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(status().await, "launched");
    assert_eq!(app.count("assignments").await, 150);
    let launches = count_where(
        &app.db,
        &format!("SELECT COUNT(*) FROM audit_log WHERE action = 'campaign.launch' AND entity_id = '{cid}'"),
    )
    .await;
    assert_eq!(launches, 1);
    assert_eq!(
        count_where(&app.db, &format!("SELECT COUNT(*) FROM codes WHERE coupon_id = {id} AND status = 'assigned'"))
            .await,
        150
    );
    drop((one, two));
}

on_both!(two_servers_launch_a_scheduled_campaign_once, two_servers_launch_once);

/// A server killed while launching leaves all of the campaign or none of it.
async fn killed_mid_launch(app: TestApp) {
    app.login_admin().await;
    let id = app.live_coupon(coupon("Big", json!({"type": "static", "code": "BIG10"}))).await;
    insert_users(&app.db, 60_000).await;
    let all =
        segment(&app, "Bulk", json!({"groups": [{"conditions": [{"property": "n", "op": "gte", "value": 0}]}]})).await;
    let server = ServerProcess::start(&app.database_url).await;
    let mut browser = app.new_browser();
    browser.base = server.base.clone();
    browser.login_admin().await;
    let launch =
        tokio::spawn(
            async move { campaign(&browser, json!({"name": "Killed", "coupon_id": id, "segment_id": all})).await },
        );
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    drop(server);
    let _ = launch.await;
    let (campaigns, assignments) = (app.count("campaigns").await, app.count("assignments").await);
    assert!(
        (campaigns, assignments) == (0, 0) || (campaigns, assignments) == (1, 60_000),
        "all or nothing: {campaigns} campaigns, {assignments} assignments"
    );
}

on_both!(a_server_killed_mid_launch_leaves_all_or_nothing, killed_mid_launch);

/// Users straight into the table, with their facets, many rows per statement.
async fn insert_users(db: &Db, n: usize) {
    let backend = db.backend();
    for chunk in (0..n).collect::<Vec<_>>().chunks(2000) {
        let mut sql = Sql::new(backend);
        sql.push("INSERT INTO app_users (user_id, properties, facets, created_at, updated_at) VALUES ");
        for (j, i) in chunk.iter().enumerate() {
            let props: Properties = json!({"n": i}).as_object().cloned().unwrap();
            if j > 0 {
                sql.push(", ");
            }
            sql.push("(").bind(couponry::db::Bind::Text(format!("bulk{i:07}"))).push(", ");
            sql.bind(couponry::db::Bind::Text(serde_json::to_string(&props).unwrap())).push(", ");
            sql.push(if matches!(backend, couponry::db::Backend::Postgres) { "CAST(" } else { "(" });
            sql.bind(couponry::db::Bind::Text(couponry::conditions::facets::to_json(&props)));
            sql.push(if matches!(backend, couponry::db::Backend::Postgres) { " AS jsonb)" } else { ")" });
            sql.push(", 0, 0)");
        }
        sqlx::query_with(sql.text(), sql.arguments().unwrap()).execute(db.pool()).await.expect("users inserted");
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk user import and the API.

async fn put_users(api: &common::Api, body: &str, content_type: &str) -> (StatusCode, Value) {
    api.raw(reqwest::Method::PUT, "/users", body, content_type).await
}

fn problems(body: &Value) -> Vec<(Option<u64>, String, String)> {
    body["error"]["details"]["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("problems in {body}"))
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().or(p["index"].as_u64()),
                p["field"].as_str().unwrap().to_string(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

on_both!(bulk_user_import_is_all_or_nothing, |app: TestApp| async move {
    let api = app.api().await;
    let json_body = json!([
        {"user_id": "j1", "properties": {"city": "Mumbai", "tags": ["vip"]}},
        {"user_id": "j2", "properties": {"city": "Pune"}},
        {"user_id": "j3"}
    ]);
    let (s, body) = put_users(&api, &json_body.to_string(), "application/json").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["users"].as_u64(), Some(3));
    let (_, user) = api.get("/users/j1").await;
    assert_eq!(user["properties"]["tags"], json!(["vip"]));

    let csv = "\u{feff}user_id,city,age,zip,vip,note\r\nc1,Mumbai,31,00123,true,\"hello, world\"\r\nc2,Pune,-2.5,411001,FALSE,\r\n";
    let (s, body) = put_users(&api, csv, "text/csv").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, user) = api.get("/users/c1").await;
    assert_eq!(
        user["properties"],
        json!({"city": "Mumbai", "age": 31, "zip": "00123", "vip": true, "note": "hello, world"})
    );
    let (_, user) = api.get("/users/c2").await;
    assert_eq!(user["properties"], json!({"city": "Pune", "age": -2.5, "zip": 411001, "vip": false}));

    // Any bad row: nothing stored, every problem by line.
    let before = app.count("app_users").await;
    let bad = "user_id,city,bad name\nb1,Goa,x\nb2,Goa\n,Goa,y\nb1,Goa,z\n";
    let (s, body) = put_users(&api, bad, "text/csv").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"].as_str(), Some("import_refused"));
    let found = problems(&body);
    assert!(found.contains(&(Some(2), "properties.bad name".into(), found[0].2.clone())), "{found:?}");
    assert!(
        found.iter().any(|(l, f, m)| *l == Some(3) && f == "row" && m.contains("2 columns where the header has 3")),
        "{found:?}"
    );
    assert!(found.iter().any(|(l, f, _)| *l == Some(4) && f == "user_id"), "{found:?}");
    assert!(found.iter().any(|(l, _, m)| *l == Some(5) && m.contains("appears earlier")), "{found:?}");
    assert_eq!(app.count("app_users").await, before);

    let (s, body) = put_users(
        &api,
        r#"[{"user_id": "x1"}, {"user_id": "x2", "properties": {"a": {"b": 1}}}, {"id": 3}]"#,
        "application/json",
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let found = problems(&body);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].1.as_str()), (Some(1), "properties.a"));
    assert_eq!(found[1].0, Some(2));
    let (s, body) = put_users(&api, r#"[{"user_id": "x1"}, "#, "application/json").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(problems(&body)[0].2.contains("not a JSON array"), "{body}");
    assert_eq!(app.count("app_users").await, before);
    let (s, _) = put_users(&api, "user_id\nz", "text/plain").await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Many rows in one go; keep-in-sync campaigns reach the new users who match.
    app.login_admin().await;
    let id = app.live_coupon(coupon("Bulk sync", json!({"type": "static", "code": "SYNC10"}))).await;
    let goa = segment(&app, "Goa people", city_is("goa")).await;
    let (s, c) =
        campaign(&app, json!({"name": "Goa sync", "coupon_id": id, "segment_id": goa, "keep_in_sync": true})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "nobody in Goa yet: {c}");
    put_users(&api, "user_id,city\ng0,Goa\n", "text/csv").await;
    let (s, c) =
        campaign(&app, json!({"name": "Goa sync", "coupon_id": id, "segment_id": goa, "keep_in_sync": true})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let mut csv = String::from("user_id,city,n\n");
    for i in 0..20_000 {
        csv.push_str(&format!("many{i},{},{i}\n", if i % 4 == 0 { "Goa" } else { "Delhi" }));
    }
    let (s, body) = put_users(&api, &csv, "text/csv").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!((body["users"].as_u64(), body["assigned"].as_u64()), (Some(20_000), Some(5_000)));
    assert_eq!(count_where(&app.db, &format!("SELECT COUNT(*) FROM assignments WHERE coupon_id = {id}")).await, 5_001);
});

on_both!(segments_and_campaigns_over_the_api, |app: TestApp| async move {
    let api = app.api().await;
    let id = app.live_coupon(coupon("API", json!({"type": "static", "code": "API10"}))).await;
    for (user, age) in [("p1", 20), ("p2", 35), ("p3", 50)] {
        api.put(&format!("/users/{user}"), &json!({"properties": {"age": age}})).await;
    }
    let (s, body) = api
        .post("/segments", &json!({"name": "", "rule": {"groups": [{"conditions": [{"property": "age", "op": "gte", "value": "old"}]}]}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> =
        body["error"]["details"]["fields"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["name", "rule.groups[0].conditions[0].value"], "{body}");
    let rule = json!({"join": "any", "groups": [
        {"conditions": [{"property": "age", "op": "gte", "value": 30}, {"property": "age", "op": "lt", "value": 40}]},
        {"conditions": [{"property": "age", "op": "eq", "value": "20"}]}]});
    let (s, preview) = api.post("/segments/preview", &json!({"rule": rule})).await;
    assert_eq!(s, StatusCode::OK, "{preview}");
    assert_eq!(preview["matching"].as_i64(), Some(2));
    let (s, seg) = api.post("/segments", &json!({"name": "Thirties or twenty", "rule": rule})).await;
    assert_eq!(s, StatusCode::CREATED, "{seg}");
    assert_eq!(seg["summary"].as_str(), Some("(age ≥ 30 and age < 40) or age is 20"));
    let (s, c) = api.post("/campaigns", &json!({"name": "API", "coupon_id": id, "segment_id": seg["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!((c["status"].as_str(), c["counts"]["assigned"].as_i64()), (Some("launched"), Some(2)));
    let (s, again) = api.get(&format!("/campaigns/{}", c["id"])).await;
    assert_eq!((s, again["matched"].as_i64()), (StatusCode::OK, Some(2)));
    assert_eq!(again["coupon_time_zone"], json!("Asia/Kolkata"), "{again}");
    // Its page writes its times in the coupon's zone, as the coupon's own pages do.
    app.login_admin().await;
    let (s, page) = app.get(&format!("/campaigns/{}", c["id"])).await;
    assert_eq!(s, StatusCode::OK);
    let shown = regex::Regex::new(r#"<time datetime="[0-9T:-]+Z" title="[0-9: -]+ UTC">[0-9: -]+ IST</time>"#).unwrap();
    assert!(shown.is_match(&page), "no time in the coupon's zone: {page}");
    let (s, body) = api.post(&format!("/campaigns/{}/cancel", c["id"]), &json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    // The listing pages newest first and filters by coupon.
    let other = app.live_coupon(coupon("Other", json!({"type": "static", "code": "OTHER10"}))).await;
    let (_, newer) =
        api.post("/campaigns", &json!({"name": "Newer", "coupon_id": other, "segment_id": seg["id"]})).await;
    let (s, first) = api.get("/campaigns?limit=1").await;
    assert_eq!((s, first["has_more"].as_bool()), (StatusCode::OK, Some(true)), "{first}");
    assert_eq!(first["campaigns"][0]["id"], newer["id"]);
    let (_, rest) = api.get(&format!("/campaigns?limit=1&starting_after={}", newer["id"])).await;
    assert_eq!((rest["campaigns"][0]["id"].clone(), rest["has_more"].as_bool()), (c["id"].clone(), Some(false)));
    let (_, mine) = api.get(&format!("/campaigns?coupon_id={id}")).await;
    let ids: Vec<&Value> = mine["campaigns"].as_array().unwrap().iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, vec![&c["id"]], "{mine}");
    let (s, _) = api.get("/campaigns?limit=many").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, tray) = api.get("/users/p1/coupons").await;
    assert_eq!(tray["coupons"][0]["code"].as_str(), Some("API10"), "{tray}");
    let (_, tray) = api.get("/users/p3/coupons").await;
    assert_eq!(tray["coupons"].as_array().unwrap().len(), 0);
});

on_both!(users_stored_before_facets_get_them_at_start, |app: TestApp| async move {
    let app = app;
    sqlx::query(
        "INSERT INTO app_users (user_id, properties, created_at, updated_at) VALUES ('old', '{\"city\": \"Mumbai\"}', 0, 0)",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let mumbai = Rule {
        join: Join::All,
        groups: vec![Group {
            join: Join::All,
            conditions: vec![Condition { property: "city".into(), test: Test::Eq("mumbai".into()) }],
        }],
    };
    assert!(matching(&app.db, &mumbai).await.is_empty());
    assert_eq!(couponry::audience::users::backfill_facets(&app.db).await.unwrap(), 1);
    assert_eq!(matching(&app.db, &mumbai).await, BTreeSet::from(["old".to_string()]));
    assert_eq!(couponry::audience::users::backfill_facets(&app.db).await.unwrap(), 0);
});

on_both!(builders_suggest_the_names_the_app_sent, |app: TestApp| async move {
    use couponry::audience::users::server::SentNames;
    app.login_admin().await;
    let api = app.api().await;
    let (s, _) = api.put("/users/s1", &json!({"properties": {"city": "Pune", "loyalty_tier": "gold"}})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, body) = api.post("/events", &json!({"user_id": "s1", "name": "wishlist_added"})).await;
    assert!(s.is_success(), "{body}");
    let (s, names) = app.call_form::<SentNames>(&[]).await;
    assert_eq!(s, StatusCode::OK, "{names}");
    assert_eq!(names["properties"], json!(["city", "loyalty_tier"]));
    assert_eq!(names["events"], json!(["wishlist_added"]));
});

on_both!(support_refunds_part_of_a_redemption_once, |app: TestApp| async move {
    app.login_admin().await;
    let api = app.api().await;
    app.live_coupon(coupon_input("PARTLY", json!({}))).await;
    let cart = json!({"currency": "INR", "items": [{"sku": "A", "quantity": 2, "unit_price": 100000}]});
    let (s, r) =
        api.post("/redemptions", &json!({"user_id": "buyer", "code": "PARTLY", "cart": cart, "order_id": "o-1"})).await;
    assert_eq!((s, r["discount"].clone()), (StatusCode::CREATED, json!(20_000)), "{r}");
    let id = r["id"].to_string();
    let (_, shown) = app.call_form::<LookupUser>(&[("user_id", "buyer")]).await;
    assert_eq!(shown["redemptions"][0]["discount_minor"], json!(20_000), "{shown}");
    // Half of the ₹2,000 comes back: half the discount with it, typed as the currency reads.
    let form = |discount: &str, amount: &str| {
        vec![
            ("id", id.clone()),
            ("discount", discount.to_string()),
            ("amount", amount.to_string()),
            ("reason", "one returned".into()),
        ]
    };
    let send = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call_form::<ReturnPart>(&fields).await
        }
    };
    let (s, body) = send(form("20000", "1,000.00")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, after) = api.get(&format!("/redemptions/{id}")).await;
    assert_eq!(after["discount"], json!(10_000), "{after}");
    // The same form again (a second click) is refused: the redemption changed meanwhile.
    let (s, body) = send(form("20000", "1,000.00")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    // Too much, or not an amount, is refused next to the field, and nothing moves.
    for amount in ["1500", "12.345", "0", "lots"] {
        let (s, body) = send(form("10000", amount)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{amount}: {body}");
        assert!(field_error(&body, "amount").is_some(), "{amount}: {body}");
    }
    assert_eq!(api.get(&format!("/redemptions/{id}")).await.1["discount"], json!(10_000));
    // An analyst may look but not refund.
    let analyst = app.browser_as("analyst").await;
    let fields = form("10000", "100");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(analyst.call_form::<ReturnPart>(&fields).await.0, StatusCode::FORBIDDEN);
});
