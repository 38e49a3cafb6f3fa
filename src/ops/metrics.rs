//! Counters and histograms for `GET /metrics`: requests and their latency by route, checkout
//! decisions and refusals by reason, redemptions, and the database pool. One registry per
//! process; routes are axum's matched paths (`/api/v1/coupons/{id}`), so the label sets stay few.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// Which door a checkout came through: `validate` or `redeem`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    door: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    door: &'static str,
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    decisions: Family<DecisionLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    redemptions: Counter,
    pool: Family<PoolLabels, Gauge>,
}

fn latency_histogram() -> Histogram {
    // 1 ms to ~16 s, doubling.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("couponry");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "Requests answered, by route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        registry.register("http_request_duration_seconds", "Time to answer a request, by route", latency.clone());
        let decisions = Family::<DecisionLabels, Counter>::default();
        registry.register("checkout_decisions", "Checkout decisions (validate, redeem) by outcome", decisions.clone());
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register("checkout_refusals", "Reasons checkouts were refused, each counted", refusals.clone());
        let redemptions = Counter::default();
        registry.register("redemptions", "Redemptions recorded (a stack counts each coupon)", redemptions.clone());
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register("db_connections", "Database pool connections, by state", pool.clone());
        Metrics { registry, requests, latency, decisions, refusals, redemptions, pool }
    }

    /// A checkout decision at `door`: valid, or refused with these reasons.
    pub fn decision(&self, door: &'static str, reasons: &[&'static str]) {
        let outcome = if reasons.is_empty() { "valid" } else { "refused" };
        self.decisions.get_or_create(&DecisionLabels { door, outcome }).inc();
        for reason in reasons {
            self.refusals.get_or_create(&RefusalLabels { door, reason }).inc();
        }
    }

    pub fn redeemed(&self, count: usize) {
        self.redemptions.inc_by(count as u64);
    }
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
}

/// Counts every request and times it, by matched route.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(req).await;
    let metrics = get();
    let status = response.status().as_u16();
    metrics.requests.get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status }).inc();
    metrics.latency.get_or_create(&RouteLabels { method, route }).observe(start.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: the registry in Prometheus' text format, the pool read as it is now.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let metrics = get();
    let size = i64::from(state.db.pool().size());
    let idle = state.db.pool().num_idle() as i64;
    metrics.pool.get_or_create(&PoolLabels { state: "idle" }).set(idle);
    metrics.pool.get_or_create(&PoolLabels { state: "in_use" }).set(size - idle);
    metrics.pool.get_or_create(&PoolLabels { state: "max" }).set(i64::from(state.config.max_connections));
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &metrics.registry) {
        tracing::error!(error = %e, "cannot encode the metrics");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let content_type = HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}
