//! Codes and batches end to end on SQLite and PostgreSQL: generation and its refusals, uploads
//! (parsing, all-or-nothing, line numbers, a server killed mid-import), voiding, export.

mod common;

use common::{Api, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// A live coupon with unique codes (or the given distribution).
fn coupon(name: &str, distribution: Value) -> Value {
    json!({
        "name": name,
        "currency": "INR",
        "time_zone": "Asia/Kolkata",
        "reward": {"type": "percent_off", "percent": 10},
        "applies_to": {"type": "order"},
        "audience": "all_users",
        "distribution": distribution,
        "activation": {"type": "time"},
        "expiry": {"type": "never"},
        "visibility": "visible",
        "stacking": "exclusive"
    })
}

async fn unique_coupon(app: &TestApp, name: &str) -> i64 {
    app.live_coupon(coupon(name, json!({"type": "unique"}))).await
}

async fn import(api: &Api, coupon: i64, csv: &str) -> (StatusCode, Value) {
    api.post_raw(&format!("/coupons/{coupon}/codes/import?file_name=codes.csv"), csv, "text/csv").await
}

fn problems(body: &Value) -> Vec<(u64, String)> {
    body["error"]["details"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["line"].as_u64().expect("line"), p["problem"].as_str().expect("problem").to_string()))
        .collect()
}

async fn codes_of(app: &TestApp, coupon: i64) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM codes WHERE coupon_id = $1")
        .bind(coupon)
        .fetch_one(app.db.pool())
        .await
        .expect("count")
}

fn redeem(user: &str, code: &str, order: &str) -> Value {
    json!({"user_id": user, "code": code, "order_id": order,
           "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 10000}]}})
}

on_both!(generation_refuses_guessable_patterns_with_the_numbers, |app: TestApp| async move {
    let api = app.api().await;
    let id = unique_coupon(&app, "Generated").await;
    let (status, batch) =
        api.post(&format!("/coupons/{id}/codes/generate"), &json!({"count": 500, "pattern": "gen-****-**"})).await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!((batch["row_count"].as_i64(), batch["counts"]["available"].as_i64()), (Some(500), Some(500)));
    let codes: Vec<String> = sqlx::query_scalar("SELECT code FROM codes WHERE coupon_id = $1")
        .bind(id)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(codes.len(), 500);
    for code in &codes {
        assert!(code.starts_with("GEN-") && code.len() == 11 && &code[8..9] == "-", "{code}");
        assert!(!code[4..].contains(['0', 'O', '1', 'I', 'L']), "look-alike in {code}");
    }

    // 8³ = 512 codes of SM-###: 5 fit (100× each), a sixth would make them guessable.
    let generate = |count: i64, pattern: &str| {
        let (api, path) = (&api, format!("/coupons/{id}/codes/generate"));
        let body = json!({"count": count, "pattern": pattern});
        async move { api.post(&path, &body).await }
    };
    assert_eq!(generate(5, "SM-###").await.0, StatusCode::CREATED);
    let (status, body) = generate(1, "SM-###").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = body["error"]["details"]["fields"][0]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains("512") && message.contains("600") && message.contains("5 codes"), "{message}");
    let (status, body) = generate(0, "ZZ-####").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["details"]["fields"][0]["field"], json!("count"));
    let (status, _) = api
        .post(
            &format!("/coupons/{id}/codes/generate"),
            &json!({"count": 10, "prefix": "P-", "length": 8, "charset": "digits"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(generate(10, "NOPE-****").await.0, StatusCode::CREATED);

    // A coupon with one static code takes no generated ones.
    let fixed = app.live_coupon(coupon("Static", json!({"type": "static", "code": "STATIC-1"}))).await;
    let (status, body) =
        api.post(&format!("/coupons/{fixed}/codes/generate"), &json!({"count": 1, "pattern": "X-******"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        api.post("/coupons/999999/codes/generate", &json!({"count": 1, "pattern": "X-******"})).await.0,
        StatusCode::NOT_FOUND
    );

    // The dashboard's form: numbers arrive as text; a bad one is a field error.
    use couponry::codes::server::GenerateCodes;
    app.login_admin().await;
    let id_text = id.to_string();
    let (status, body) =
        app.call_form::<GenerateCodes>(&[("coupon_id", &id_text), ("count", "lots"), ("pattern", "A-*****")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(common::field_error(&body, "count").is_some(), "{body}");
    let (status, body) =
        app.call_form::<GenerateCodes>(&[("coupon_id", &id_text), ("count", "1,000"), ("pattern", "DASH-*****")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["row_count"], json!(1000));
    assert!(app.count("audit_log WHERE action = 'batch.create'").await >= 5);
});

on_both!(uploads_parse_real_world_files, |app: TestApp| async move {
    let api = app.api().await;
    let id = unique_coupon(&app, "Uploaded").await;
    assert_eq!(api.put("/users/u1", &json!({"properties": {}})).await.0, StatusCode::OK);

    // BOM, CRLF, a header in another order, quotes, a blank line, a date and a date-time.
    let file = "\u{feff}user_id,code,expires_at\r\n,good-001,\r\n\"u1\",\"GOOD-002\",2030-01-01\r\n\r\n,GOOD-003,\"2030-06-01T10:00:00Z\"\r\n";
    let (status, batch) = import(&api, id, file).await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["row_count"], json!(3));
    assert_eq!(batch["file_name"], json!("codes.csv"));
    assert_eq!((batch["counts"]["available"].as_i64(), batch["counts"]["assigned"].as_i64()), (Some(2), Some(1)));
    let (user, expires): (Option<String>, Option<i64>) =
        sqlx::query_as("SELECT user_id, expires_at FROM codes WHERE code = 'GOOD-002'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(user.as_deref(), Some("u1"));
    assert_eq!(expires, Some(1_893_522_600_000), "the end of 2030-01-01 in Asia/Kolkata");
    assert_eq!(app.count("assignments WHERE user_id = 'u1'").await, 1, "a pre-assigned code gives its user the coupon");
    // The pre-assigned code works for its user only.
    assert_eq!(
        api.post("/redemptions", &redeem("someone", "GOOD-002", "o1")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(api.post("/redemptions", &redeem("u1", "good-002", "o2")).await.0, StatusCode::CREATED);

    // No header, LF only, no final newline.
    let (status, batch) = import(&api, id, "NOHEAD-1\nNOHEAD-2").await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["row_count"], json!(2));

    // Every kind of bad row, each reported on its own line; nothing of the file is stored.
    let before = codes_of(&app, id).await;
    let bad = "code,user_id\nOK-0001,\n,\nAB,\n\"MULTI\nLINE\",\nOK-0001,\nGOOD-001,\nOK-0002,ghost\nOK-0003,u1,extra\n\"SAFE,COMMA\",\nOK-0004,\nNUL\0CODE,\n";
    let (status, body) = import(&api, id, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], json!("import_refused"));
    let expected = [
        (3, "empty"),
        (4, "too_short"),
        (5, "bad_characters"),
        (7, "duplicate_in_file"),
        (8, "already_exists"),
        (9, "unknown_user"),
        (10, "wrong_columns"),
        (11, "bad_characters"),
        (13, "bad_characters"),
    ];
    let expected: Vec<(u64, String)> = expected.iter().map(|(l, p)| (*l, p.to_string())).collect();
    assert_eq!(problems(&body), expected);
    assert_eq!(body["error"]["details"]["problem_count"], json!(9));
    assert_eq!(codes_of(&app, id).await, before, "a refused file stores nothing");
    let batch_id = body["error"]["details"]["batch"].as_i64().expect("batch id");

    // The full report, from the dashboard, for an admin.
    app.login_admin().await;
    let (status, report) = app.get(&format!("/batches/{batch_id}/problems.csv")).await;
    assert_eq!(status, StatusCode::OK);
    // Records end in CRLF; the quoted multi-line value keeps its bare LF inside its cell.
    let lines: Vec<&str> = report.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 10, "{report}");
    assert!(lines[3].starts_with("5,bad_characters,") && lines[3].contains("\"MULTI\nLINE\""), "{report}");
    assert_eq!(lines[0], "line,reason,description,value");
    assert!(lines[2].starts_with("4,too_short,"), "{report}");

    // Empty files and wrong content types are refused plainly.
    assert_eq!(import(&api, id, "code\n").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(import(&api, id, "").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = api.post_raw(&format!("/coupons/{id}/codes/import"), "A-1", "application/json").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = import(&api, id, "code,colour\nAAA-1,red\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problems(&body), vec![(1, "unknown_column".to_string())]);
});

on_both!(a_large_file_with_one_bad_row_at_the_end_stores_nothing, |app: TestApp| async move {
    let api = app.api().await;
    let id = unique_coupon(&app, "Large").await;
    let mut file = String::from("code\n");
    for i in 0..99_999 {
        file.push_str(&format!("BIG-{i:07}\n"));
    }
    let good_last = "BIG-LAST-ROW\n";
    let (status, body) = import(&api, id, &format!("{file}BAD LAST ROW\n")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problems(&body), vec![(100_001, "bad_characters".to_string())]);
    assert_eq!(codes_of(&app, id).await, 0);

    let (status, batch) = import(&api, id, &format!("{file}{good_last}")).await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(batch["row_count"], json!(100_000));
    assert_eq!(codes_of(&app, id).await, 100_000);
});

on_both!(batches_export_safely_and_void_their_unused_codes, |app: TestApp| async move {
    let api = app.api().await;
    let id = unique_coupon(&app, "Voidable").await;
    let (status, batch) = import(&api, id, "code\n-MINUS-1\nPLAIN-2\nPLAIN-3\n").await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let batch_id = batch["id"].as_i64().unwrap();
    assert_eq!(api.post("/redemptions", &redeem("v1", "PLAIN-2", "o1")).await.0, StatusCode::CREATED);

    app.login_admin().await;
    let (status, csv) = app.get(&format!("/batches/{batch_id}/codes.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "code,status,user_id,expires_at,assigned_at,redeemed_at");
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("'-MINUS-1,available"), "a leading - must not become a formula: {csv}");
    assert!(lines[2].starts_with("PLAIN-2,redeemed"), "{csv}");

    use couponry::codes::server::VoidBatch;
    let batch_text = batch_id.to_string();
    let analyst = app.browser_as("analyst").await;
    assert_eq!(analyst.call_form::<VoidBatch>(&[("batch_id", &batch_text)]).await.0, StatusCode::FORBIDDEN);
    assert_eq!(analyst.get(&format!("/batches/{batch_id}/codes.csv")).await.0, StatusCode::FORBIDDEN);
    let (status, voided) = app.call_form::<VoidBatch>(&[("batch_id", &batch_text)]).await;
    assert_eq!(status, StatusCode::OK, "{voided}");
    assert_eq!(voided["status"], json!("voided"));
    assert_eq!((voided["counts"]["void"].as_i64(), voided["counts"]["redeemed"].as_i64()), (Some(2), Some(1)));
    let (_, body) = api
        .post(
            "/validate",
            &json!({"user_id": "v2", "code": "PLAIN-3",
        "cart": {"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 10000}]}}),
        )
        .await;
    assert_eq!(body["reasons"][0]["code"], json!("code_not_found"), "{body}");
    assert_eq!(app.call_form::<VoidBatch>(&[("batch_id", &batch_text)]).await.0, StatusCode::CONFLICT);
    assert_eq!(app.count("audit_log WHERE action = 'batch.void'").await, 1);
    // The batch list shows it across coupons and for the coupon.
    let (status, list) = api.get(&format!("/coupons/{id}/batches")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["batches"][0]["status"], json!("voided"));
    // It pages, newest first.
    let (status, newer) = import(&api, id, "code\nLATER-1\n").await;
    assert_eq!(status, StatusCode::CREATED, "{newer}");
    let (_, first) = api.get(&format!("/coupons/{id}/batches?limit=1")).await;
    assert_eq!((first["batches"][0]["id"].clone(), first["has_more"].as_bool()), (newer["id"].clone(), Some(true)));
    let (_, rest) = api.get(&format!("/coupons/{id}/batches?limit=1&starting_after={}", newer["id"])).await;
    assert_eq!((rest["batches"][0]["id"].as_i64(), rest["has_more"].as_bool()), (Some(batch_id), Some(false)));
});

on_both!(dashboard_uploads_are_for_admins_stream_progress_and_have_a_size_limit, |app: TestApp| async move {
    let id = unique_coupon(&app, "Dashboard").await;
    app.login_admin().await;
    let url = format!("{}/coupons/{id}/codes/import?name=diwali.csv", app.base);
    let marketer = app.browser_as("marketer").await;
    let refused = marketer.client.post(&url).header("content-type", "text/csv").body("A-1\n").send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let mut file = String::from("code\n");
    for i in 0..9000 {
        file.push_str(&format!("DASH-{i:05}\n"));
    }
    let response = app.client.post(&url).header("content-type", "text/csv").body(file).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let stages: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert!(stages.iter().any(|s| s["stage"] == json!("checking")), "{text}");
    let last = stages.last().expect("a last stage");
    assert_eq!(last["stage"], json!("stored"), "{text}");
    assert_eq!(last["batch"]["row_count"], json!(9000));
    assert_eq!(last["batch"]["file_name"], json!("diwali.csv"));

    // The test server takes at most 8 MB.
    let api = app.api().await;
    let huge = "A".repeat(9 << 20);
    let (status, body) = import(&api, id, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or_default().contains("8 MB"));
});

/// A server killed in the middle of an import leaves all of the file or none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_import_leaves_no_codes_of_it() {
    let app = TestApp::spawn(common::Flavor::Sqlite).await;
    let api = app.api().await;
    let id = unique_coupon(&app, "Killed").await;
    let server = common::ServerProcess::start(&app.database_url).await;
    let mut file = String::from("code\n");
    for i in 0..300_000 {
        file.push_str(&format!("KILL-{i:07}\n"));
    }
    let upload = {
        let api = api.on(&server.base);
        tokio::spawn(async move { import(&api, id, &file).await })
    };
    // Wait until the import has stored its first steps, then kill the server (SIGKILL).
    let mut began = false;
    for _ in 0..600 {
        if app.count("codes WHERE code LIKE 'KILL-%'").await > 0 {
            began = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(began, "the import never began");
    drop(server);
    let _ = upload.await;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM codes WHERE code LIKE 'KILL-%'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM code_batches ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    eprintln!("killed with the batch {status}, {stored} rows stored");
    match status.as_str() {
        "importing" => {
            // Its steps' rows are stored but not seen; once the batch has been silent for a
            // minute the next tick marks it failed and deletes them.
            let seen: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM codes WHERE code LIKE 'KILL-%' AND {}",
                couponry::codes::store::seen("batch_id")
            ))
            .fetch_one(app.db.pool())
            .await
            .unwrap();
            assert_eq!(seen, 0, "a cut-off import must leave no codes anyone can see");
            let old = couponry::db::now_ms() - 120_000;
            sqlx::query("UPDATE code_batches SET heartbeat_at = $1, created_at = $1")
                .bind(old)
                .execute(app.db.pool())
                .await
                .unwrap();
            assert_eq!(couponry::codes::store::close_interrupted(&app.db).await.unwrap(), 1);
            assert_eq!(app.count("codes WHERE code LIKE 'KILL-%'").await, 0, "its rows are deleted");
        }
        "ready" => assert_eq!(stored, 300_000, "a finished import is whole"),
        other => panic!("unexpected batch status {other}"),
    }
}

on_both!(batch_and_campaign_lists_page_by_keyset, |app: TestApp| async move {
    let api = app.api().await;
    let id = unique_coupon(&app, "Paged").await;
    for _ in 0..5 {
        let (s, body) = api.post(&format!("/coupons/{id}/codes/generate"), &json!({"count": 3, "length": 8})).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let (page, more) = couponry::codes::store::page(&app.db, None, after, 2).await.unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.iter().map(|b| b.id));
        after = page.last().map(|b| b.id);
        if !more {
            break;
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first, each once: {seen:?}");

    let (s, _) = api.put("/users/pager", &json!({"properties": {"city": "Pune"}})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, seg) = api.post("/segments", &json!({"name": "All", "rule": {"join": "all", "groups": []}})).await;
    assert_eq!(s, StatusCode::CREATED, "{seg}");
    let mut open = coupon("Open", json!({"type": "static", "code": "OPENPAGE"}));
    open["audience"] = json!("campaign");
    let open = app.live_coupon(open).await;
    for i in 0..5 {
        let body = json!({"name": format!("C{i}"), "coupon_id": open, "segment_id": seg["id"]});
        let (s, c) = api.post("/campaigns", &body).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
    }
    let (mut names, mut after) = (Vec::new(), None);
    loop {
        let (page, more) = couponry::audience::campaigns::store::page(&app.db, None, after, 2).await.unwrap();
        names.extend(page.iter().map(|c| c.name.clone()));
        after = page.last().map(|c| c.id);
        if !more {
            break;
        }
    }
    assert_eq!(names, vec!["C4", "C3", "C2", "C1", "C0"]);
});

on_both!(one_code_at_a_time_lookup_listing_and_void, |app: TestApp| async move {
    let api = app.api().await;
    let id = unique_coupon(&app, "Single").await;
    let (status, first) = import(&api, id, "code\nONE-1\nTWO-2\nTHR-3\nFOU-4\n").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) = import(&api, id, "code\nFIV-5\n").await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(api.post("/redemptions", &redeem("r1", "THR-3", "o1")).await.0, StatusCode::CREATED);

    // A lookup, as typed.
    let (status, one) = api.get("/codes/%20one-1%20").await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(
        (one["code"].clone(), one["status"].clone(), one["kind"].clone()),
        (json!("ONE-1"), json!("available"), json!("unique"))
    );
    assert_eq!((one["coupon_id"].as_i64(), one["batch_id"].clone()), (Some(id), first["id"].clone()));
    assert_eq!(api.get("/codes/NOPE-9").await.0, StatusCode::NOT_FOUND);

    // The coupon's codes in the order they were made, a page at a time, by status and batch.
    let codes = |body: &Value| -> Vec<String> {
        body["codes"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
    };
    let (status, page) = api.get(&format!("/coupons/{id}/codes?limit=2")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!((codes(&page), page["has_more"].clone()), (vec!["ONE-1".to_string(), "TWO-2".into()], json!(true)));
    let last = page["codes"][1]["id"].clone();
    let (_, rest) = api.get(&format!("/coupons/{id}/codes?limit=3&starting_after={last}")).await;
    assert_eq!(
        (codes(&rest), rest["has_more"].clone()),
        (vec!["THR-3".to_string(), "FOU-4".into(), "FIV-5".into()], json!(false))
    );
    let (_, used) = api.get(&format!("/coupons/{id}/codes?status=redeemed")).await;
    assert_eq!(codes(&used), vec!["THR-3"]);
    assert_eq!(used["codes"][0]["user_id"], json!("r1"));
    assert!(used["codes"][0]["redeemed_at"].as_str().is_some_and(|t| t.ends_with('Z')), "{used}");
    let (_, of_second) = api.get(&format!("/coupons/{id}/codes?batch_id={}", second["id"])).await;
    assert_eq!(codes(&of_second), vec!["FIV-5"]);
    let (status, bad) = api.get(&format!("/coupons/{id}/codes?status=lost")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["details"]["fields"][0]["field"], json!("status"));
    assert_eq!(api.get("/coupons/999999/codes").await.0, StatusCode::NOT_FOUND);

    // Voiding a leaked code stops it at once; twice changes nothing; redeemed and static codes stay.
    let (status, void) = api.post("/codes/one-1/void", &json!({})).await;
    assert_eq!((status, void["status"].clone()), (StatusCode::OK, json!("void")), "{void}");
    let (_, body) = api.post("/validate", &redeem("v9", "ONE-1", "o9")).await;
    assert_eq!(body["reasons"][0]["code"], json!("code_not_found"), "{body}");
    assert_eq!(api.post("/codes/ONE-1/void", &json!({})).await.0, StatusCode::OK);
    assert_eq!(app.count("audit_log WHERE action = 'code.void'").await, 1);
    let (status, redeemed) = api.post("/codes/THR-3/void", &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{redeemed}");
    let fixed = app.live_coupon(coupon("Fixed", json!({"type": "static", "code": "FIXED-10"}))).await;
    assert!(fixed > 0);
    assert_eq!(api.post("/codes/FIXED-10/void", &json!({})).await.0, StatusCode::CONFLICT);
    assert_eq!(api.get("/codes/FIXED-10").await.1["kind"], json!("static"));
});

on_both!(metadata_travels_with_coupons_redemptions_and_codes, |app: TestApp| async move {
    let api = app.api().await;
    // A coupon's metadata is part of its definition: created, shown, merged by PATCH.
    let mut body = coupon("Tagged", json!({"type": "unique"}));
    body["metadata"] = json!({"crm_campaign": "diwali-26", "wave": 2});
    let (status, created) = api.post("/coupons", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["definition"]["metadata"], json!({"crm_campaign": "diwali-26", "wave": 2}));
    let id = created["id"].as_i64().unwrap();
    let change = json!({"definition": {"metadata": {"wave": null, "owner": "growth"}}});
    let (status, patched, _) = api.send(Method::PATCH, &format!("/coupons/{id}"), Some(&change), None).await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["definition"]["metadata"], json!({"crm_campaign": "diwali-26", "owner": "growth"}));
    let mut nested = coupon("Nested", json!({"type": "unique"}));
    nested["metadata"] = json!({"deep": {"x": 1}});
    let (status, bad) = api.post("/coupons", &nested).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["details"]["fields"][0]["field"], json!("metadata.deep"));

    // A code's metadata: set and removed key by key, audited, returned by lookups and listings.
    let (status, _, _) =
        api.send(Method::PATCH, &format!("/coupons/{id}"), Some(&json!({"status": "active"})), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(import(&api, id, "code\nMETA-1\nMETA-2\n").await.0, StatusCode::CREATED);
    let set = json!({"metadata": {"printed_on": "flyer-7", "batch_box": 12}});
    let (status, code, _) = api.send(Method::PATCH, "/codes/meta-1", Some(&set), None).await;
    assert_eq!(status, StatusCode::OK, "{code}");
    assert_eq!(code["metadata"], json!({"printed_on": "flyer-7", "batch_box": 12}));
    let unset = json!({"metadata": {"batch_box": null}});
    let (_, code, _) = api.send(Method::PATCH, "/codes/META-1", Some(&unset), None).await;
    assert_eq!(code["metadata"], json!({"printed_on": "flyer-7"}));
    assert_eq!(api.get("/codes/META-1").await.1["metadata"], json!({"printed_on": "flyer-7"}));
    let (_, listed) = api.get(&format!("/coupons/{id}/codes")).await;
    assert_eq!(
        (listed["codes"][0]["metadata"].clone(), listed["codes"][1]["metadata"].clone()),
        (json!({"printed_on": "flyer-7"}), json!({}))
    );
    assert_eq!(app.count("audit_log WHERE action = 'code.metadata'").await, 2);
    let (status, bad, _) = api.send(Method::PATCH, "/codes/META-1", Some(&json!({"metadata": [1]})), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(api.send(Method::PATCH, "/codes/NOPE-1", Some(&set), None).await.0, StatusCode::NOT_FOUND);

    // A redemption keeps what the app sent, in the answer, the lookup and the listing.
    let mut r = redeem("m1", "META-2", "order-m1");
    r["metadata"] = json!({"pos_terminal": "T-4", "loyalty": true});
    let (status, redeemed) = api.post("/redemptions", &r).await;
    assert_eq!(status, StatusCode::CREATED, "{redeemed}");
    assert_eq!(redeemed["metadata"], json!({"pos_terminal": "T-4", "loyalty": true}));
    let rid = redeemed["id"].as_i64().unwrap();
    assert_eq!(api.get(&format!("/redemptions/{rid}")).await.1["metadata"], redeemed["metadata"]);
    let (_, listed) = api.get("/redemptions?order_id=order-m1").await;
    assert_eq!(listed["redemptions"][0]["metadata"], redeemed["metadata"], "{listed}");
    r["metadata"] = json!({"k": "x".repeat(501)});
    r["order_id"] = json!("order-m2");
    let (status, bad) = api.post("/redemptions", &r).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["error"]["details"]["fields"][0]["field"], json!("metadata.k"));
});

/// Polls a batch until it is no longer importing.
async fn settled(api: &Api, batch: i64) -> Value {
    for _ in 0..600 {
        let (status, b) = api.get(&format!("/batches/{batch}")).await;
        assert_eq!(status, StatusCode::OK, "{b}");
        if b["status"] != json!("importing") {
            return b;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("batch {batch} still importing after 30 s");
}

on_both!(a_background_import_answers_at_once_and_reports_how_far_it_got, |app: TestApp| async move {
    let api = app.api().await;
    let id = unique_coupon(&app, "Background").await;
    let csv = std::iter::once("code".to_string())
        .chain((0..9000).map(|i| format!("BG-{i:05}")))
        .collect::<Vec<_>>()
        .join("\n");
    let path = format!("/coupons/{id}/codes/import?file_name=bg.csv&background=true");
    let (status, started) = api.post_raw(&path, &csv, "text/csv").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    assert_eq!((started["status"].clone(), started["file_name"].clone()), (json!("importing"), json!("bg.csv")));
    let done = settled(&api, started["id"].as_i64().unwrap()).await;
    assert_eq!((done["status"].clone(), done["row_count"].clone()), (json!("ready"), json!(9000)), "{done}");
    assert_eq!(done["byte_count"].as_u64(), Some(csv.len() as u64));
    assert_eq!(codes_of(&app, id).await, 9000);

    // A refused file fails in the background too, with its problems counted and nothing stored.
    let bad = "code\nOK-00001\nBG-00001\nAB\n";
    let (status, started) = api.post_raw(&path, bad, "text/csv").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let failed = settled(&api, started["id"].as_i64().unwrap()).await;
    assert_eq!(failed["status"], json!("failed"), "{failed}");
    assert_eq!(failed["problem_count"], json!(2), "{failed}");
    let (_, of_failed) = api.get(&format!("/coupons/{id}/codes?batch_id={}", failed["id"])).await;
    assert_eq!(of_failed["codes"], json!([]), "{of_failed}");
    // Its stored rows were never seen (the batch never turned ready), and they are deleted in
    // short steps once the batch is marked failed, so the count settles a moment after.
    for _ in 0..200 {
        if codes_of(&app, id).await == 9000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(codes_of(&app, id).await, 9000);
    assert_eq!(api.get("/batches/999999").await.0, StatusCode::NOT_FOUND);
});
