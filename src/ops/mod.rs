//! What an operator watches: `GET /healthz` (is the database reachable), `GET /metrics`
//! (Prometheus' text format), and a request id on every answer and every log line; and what
//! browsers may cache.

pub mod caching;
pub mod metrics;
pub mod request_id;

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::http_error::ApiError;
use crate::state::AppState;

/// How long the health check waits for the database before calling it unreachable.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(health)).route("/metrics", get(metrics::scrape))
}

/// 200 when a query goes through, 503 (with `Retry-After`) when it does not: what a load
/// balancer or an orchestrator's readiness probe asks.
async fn health(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(HEALTH_TIMEOUT, sqlx::query("SELECT 1").execute(state.db.pool())).await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, Json(serde_json::json!({"status": "ok", "database": "ok"}))).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: the database refused a query");
            unreachable_database()
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer within {HEALTH_TIMEOUT:?}");
            unreachable_database()
        }
    }
}

fn unreachable_database() -> Response {
    let mut error = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database cannot be reached");
    error.retry_after = Some(1);
    error.into_response()
}
