//! What an operator relies on, on SQLite and PostgreSQL: the health check, the Prometheus
//! metrics (requests, checkout decisions and refusals by reason, redemptions, the pool), and a
//! request id on every answer.

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::json;

/// The value of the metric line that starts with `series` (name and labels), 0 when absent.
fn value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics(app: &TestApp) -> String {
    let res = app.client.get(format!("{}/metrics", app.base)).send().await.expect("metrics");
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    res.text().await.expect("text")
}

on_both!(health_metrics_and_request_ids_answer_without_a_login, |app: TestApp| async move {
    let res = app.client.get(format!("{}/healthz", app.base)).send().await.expect("health");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<serde_json::Value>().await.expect("json"), json!({"status": "ok", "database": "ok"}));

    let before = metrics(&app).await;
    let api = app.api().await;
    app.live_coupon(common::coupon_input("OPS10", json!({}))).await;
    let cart = json!({"currency": "INR", "items": [{"sku": "A", "quantity": 1, "unit_price": 100000}]});
    let (status, body) = api.post("/redemptions", &json!({"user_id": "u1", "code": "OPS10", "cart": cart})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = api.post("/validate", &json!({"user_id": "u1", "code": "NOPE-404", "cart": cart})).await;
    assert_eq!(status, StatusCode::OK);
    let after = metrics(&app).await;
    let grew = |series: &str| value(&after, series) - value(&before, series);
    assert!(grew("couponry_redemptions_total") >= 1.0, "{after}");
    assert!(grew(r#"couponry_checkout_decisions_total{door="redeem",outcome="valid"}"#) >= 1.0, "{after}");
    assert!(grew(r#"couponry_checkout_refusals_total{door="validate",reason="code_not_found"}"#) >= 1.0, "{after}");
    let answered = r#"couponry_http_requests_total{method="POST",route="/api/v1/redemptions",status="201"}"#;
    assert!(grew(answered) >= 1.0, "{after}");
    assert!(after.contains(r#"couponry_http_request_duration_seconds_bucket{le="#), "{after}");
    assert!(value(&after, r#"couponry_db_connections{state="max"}"#) >= 1.0, "{after}");

    // A sane id from the caller comes back; anything else is replaced by a fresh one.
    let sent = |id: &'static str| {
        let req = app.client.get(format!("{}/healthz", app.base)).header("x-request-id", id);
        async move {
            let res = req.send().await.expect("health");
            res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(String::from).expect("an id")
        }
    };
    assert_eq!(sent("lb-7f3a.01").await, "lb-7f3a.01");
    let fresh = sent("two words").await;
    assert!(fresh != "two words" && fresh.len() == 16, "{fresh}");
});
