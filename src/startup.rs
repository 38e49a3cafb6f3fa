//! Builds the whole application from a config: used by `main` and by the integration tests,
//! so tests run the server exactly as production does.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::accounts::auth;
use crate::app::{shell, App};
use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot create the first admin: {0}")]
    Bootstrap(crate::accounts::store::AccountError),
}

/// The application, ready to serve.
pub struct Built {
    pub router: Router,
    /// The first admin's login, when this start created it.
    pub first_login: Option<FirstLogin>,
    pub state: AppState,
}

impl Built {
    /// What a server does once it has stopped taking requests: writes the checks it counted.
    pub async fn stopped(&self) {
        if let Err(e) = crate::activity::checks::flush(&self.state.checks, &self.state.db).await {
            tracing::warn!(error = %e, "cannot write the last checkout counts");
        }
    }
}

/// The first admin's login, when this start created it.
pub struct FirstLogin {
    pub email: String,
    pub password: String,
}

pub async fn build(config: Config, leptos_options: LeptosOptions) -> Result<Built, StartupError> {
    let mut db = Db::connect(&config.database_url, config.max_connections).await?;
    if let Some(url) = &config.read_database_url {
        db = db.with_reads(url, config.max_connections).await?;
    }
    let first = crate::accounts::store::bootstrap_admin(&db, &config.admin_email, config.admin_password.as_deref())
        .await
        .map_err(StartupError::Bootstrap)?
        .map(|(email, password)| FirstLogin { email, password });
    crate::housekeeping::close_interrupted_uploads(&db).await;
    match crate::audience::users::backfill_facets(&db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("{n} users got the facets segments read"),
        Err(e) => tracing::warn!("cannot fill in user facets: {e}"),
    }
    let checks = crate::state::CheckCounts::default();
    if let Some(tick) = config.scheduler_tick {
        crate::audience::campaigns::scheduler::spawn(db.clone(), checks.clone(), tick);
    }
    let state = AppState { leptos_options: leptos_options.clone(), db, config: Arc::new(config), checks };
    let routes = generate_route_list(App);
    let router = Router::new()
        .nest("/api/v1", crate::api::router(state.config.max_json_bytes))
        .merge(crate::codes::http::router())
        .merge(crate::analytics::export::router())
        .merge(crate::ops::router())
        .leptos_routes_with_context(&state, routes, || {}, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn_with_state(state.clone(), login_wall))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(middleware::from_fn(text_rule))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(state.config.body_timeout))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(middleware::from_fn(crate::ops::caching::layer))
        .layer(middleware::from_fn(crate::ops::metrics::track))
        .layer(middleware::from_fn(crate::ops::request_id::layer))
        .with_state(state.clone());
    Ok(Built { router, first_login: first, state })
}

/// The largest server-function body the text rule reads (the builder's JSON is a few KB).
const MAX_SERVER_FN_BODY: usize = 4 << 20;

/// The text rule at the edge ([`crate::text`]): a query string, or the body of a dashboard
/// server-function call, holding a control character is refused with 422 and the field, before
/// anything runs. API bodies are checked where they are read; uploaded files cell by cell.
async fn text_rule(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let kind = if path.starts_with("/api/v1/") {
        Entry::Api
    } else if path.starts_with("/api/") {
        Entry::ServerFn(path.to_string())
    } else {
        Entry::Page
    };
    if let Err(errors) = crate::text::check_form(req.uri().query().unwrap_or_default().as_bytes()) {
        return kind.refuse(errors);
    }
    let Entry::ServerFn(_) = kind else { return next.run(req).await };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_SERVER_FN_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let checked = if json { server_fn_json(&bytes) } else { crate::text::check_form(&bytes) };
    if let Err(errors) = checked {
        return kind.refuse(errors);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// A JSON server-function body is an object of its arguments; a field is named as the page names
/// it, from inside the argument (`name`, not `input.name`).
fn server_fn_json(bytes: &[u8]) -> Result<(), crate::fields::FieldErrors> {
    let Ok(serde_json::Value::Object(arguments)) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(()); // not ours to read: the server function answers it
    };
    let mut errors = crate::fields::FieldErrors::default();
    for (name, value) in &arguments {
        if let Err(found) = crate::text::check_json(value) {
            for e in found.0 {
                errors.add(if e.field == "body" { name.clone() } else { e.field }, e.message);
            }
        }
    }
    errors.into_result(|| ())
}

/// Where a request comes in, for the shape of its refusal.
enum Entry {
    Api,
    ServerFn(String),
    Page,
}

impl Entry {
    fn refuse(&self, errors: crate::fields::FieldErrors) -> Response {
        match self {
            Entry::Api => crate::http_error::ApiError::invalid(errors).into_response(),
            Entry::ServerFn(path) => {
                let body = serde_json::to_string(&AppError::Invalid(errors)).unwrap_or_default();
                let mut response = (StatusCode::UNPROCESSABLE_ENTITY, body).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
                if let Ok(path) = header::HeaderValue::from_str(path) {
                    headers.insert(leptos::server_fn::error::SERVER_FN_ERROR_HEADER, path);
                }
                response
            }
            Entry::Page => {
                (StatusCode::UNPROCESSABLE_ENTITY, format!("This address cannot be read: {errors}")).into_response()
            }
        }
    }
}

/// CSRF defence for the dashboard: besides SameSite cookies, a state-changing request must come
/// from our own pages (browsers send `Origin` and `Sec-Fetch-Site` on every POST).
async fn same_origin_writes(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !req.uri().path().starts_with("/api/v1/") {
        let headers = req.headers();
        let text = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
        if text("sec-fetch-site").is_some_and(|s| s == "cross-site" || s == "same-site") {
            return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
        }
        if let (Some(origin), Some(host)) = (text("origin"), text("host")) {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin);
            if origin_host != host {
                return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
            }
        }
    }
    next.run(req).await
}

/// Server functions answer every error with 500; give each the status that fits it, so a
/// refused role is a 403 and a bad field a 422, never a 500.
async fn server_fn_status(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "error body too large").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Pages need a session: without one, a page request is sent to the login page (and back after).
async fn login_wall(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let public = path == "/login"
        || path == "/healthz"
        || path == "/metrics"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path.contains('.')
        || req.method() != Method::GET;
    if public {
        return next.run(req).await;
    }
    let signed_in = match auth::session_token(&state.config, req.headers()) {
        Some(token) => matches!(auth::account_for_token(&state.db, &token).await, Ok(Some(_))),
        None => false,
    };
    if signed_in {
        next.run(req).await
    } else {
        let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let target = format!("/login?next={}", urlencode(next_path));
        Redirect::to(&target).into_response()
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
