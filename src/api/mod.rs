//! The JSON API for apps (`/api/v1`, `Authorization: Bearer <key>`): its router, its error
//! body, and the body parsing every handler shares.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::fields::FieldErrors;
use crate::idempotency::Idempotency;
use crate::startup::AppState;

pub mod caller;
mod coupons;
mod events;
pub mod limits;
mod redemptions;
mod users;
mod wallet;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/validate", post(redemptions::validate))
        .route("/redemptions", post(redemptions::redeem))
        .route("/redemptions/{id}", axum::routing::get(redemptions::show))
        .route("/redemptions/{id}/reverse", post(redemptions::reverse))
        .route("/coupons", axum::routing::get(coupons::list).post(coupons::create))
        .route("/coupons/{id}", axum::routing::get(coupons::show).patch(coupons::patch))
        .route("/coupons/{id}/stats", axum::routing::get(coupons::stats))
        .route("/events", post(events::post))
        .route("/users/{user_id}", put(users::put).get(users::show))
        .route("/users/{user_id}/coupons", axum::routing::get(users::tray))
        .route("/users/{user_id}/wallet", axum::routing::get(wallet::show))
        .route("/users/{user_id}/wallet/transactions", post(wallet::transact))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint") })
}

/// The API's error: `{"error": {"code", "message", "details"}}` with the status that fits.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), details: None, retry_after: None }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = Some(details);
        self
    }

    pub fn invalid(errors: FieldErrors) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "please correct the fields in details")
            .with_details(json!({ "fields": errors.0 }))
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = e.status();
        match e {
            AppError::Invalid(errors) => ApiError::invalid(errors),
            AppError::Unauthenticated => ApiError::new(status, "unauthenticated", e.to_string()),
            AppError::Forbidden => ApiError::new(status, "forbidden", "this API key's scopes do not allow this"),
            AppError::NotFound => ApiError::new(status, "not_found", "not found"),
            AppError::Conflict(m) => ApiError::new(status, "conflict", m),
            AppError::Transport(m) => ApiError::new(status, "bad_request", m),
            AppError::Internal => ApiError::new(status, "internal", e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(details) = self.details {
            error["details"] = details;
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Reads a JSON body into `T`: not JSON, or JSON of the wrong shape, is a 400 that says where.
pub fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> ApiResult<T> {
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/json") || v.contains("+json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let code = if e.is_data() { "invalid_body" } else { "malformed_json" };
        ApiError::new(StatusCode::BAD_REQUEST, code, format!("the body could not be read: {e}"))
    })
}

/// Checks an app's user id, reporting under `field`.
pub fn user_id(text: &str, field: &str) -> ApiResult<String> {
    crate::users::parse_user_id(text).map_err(|message| {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        ApiError::invalid(errors)
    })
}

const MAX_IDEMPOTENCY_KEY: usize = 255;

/// The request's `Idempotency-Key`, if it sent one, tied to the calling key, the endpoint and
/// the body.
pub fn idempotency(
    headers: &HeaderMap,
    caller: &caller::Caller,
    endpoint: &str,
    body: &[u8],
) -> ApiResult<Option<Idempotency>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            format!("an Idempotency-Key has 1–{MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
        ));
    }
    Ok(Some(Idempotency::new(caller.key_id, key, endpoint, body)))
}

/// Tells the app that an answer is the stored one of an earlier request with the same key.
pub fn mark_replayed(mut response: Response, replayed: bool) -> Response {
    if replayed {
        response.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    response
}

/// An id in a path: anything but a positive integer names nothing.
pub fn path_id(text: &str) -> ApiResult<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found"))
}
