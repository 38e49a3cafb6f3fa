//! The error of the HTTP edge: the JSON API and the dashboard's plain routes (uploads, downloads,
//! exports) answer `{"error": {"code", "message", "details"}}` with the status that fits. Domain
//! and store errors turn into it here, once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::fields::FieldErrors;
use crate::uploads::SpoolError;

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable code: `malformed_json`, `invalid_request`, `unauthenticated`, `forbidden`,
    /// `not_found`, `conflict`, `redemption_refused`, `rate_limited`, …
    pub code: String,
    pub message: String,
    /// `{"fields": [{"field", "message"}]}` for invalid fields; the decision for a refused redemption.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
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

/// Every error that answers as the dashboard's error answers the API the same way.
impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        let e: AppError = e.into();
        let status = e.status();
        let retry_after = e.retry_after();
        let mut error = match e {
            AppError::Invalid(errors) => ApiError::invalid(errors),
            AppError::Unauthenticated => ApiError::new(status, "unauthenticated", e.to_string()),
            AppError::Forbidden => ApiError::new(status, "forbidden", e.to_string()),
            AppError::NotFound => ApiError::new(status, "not_found", "not found"),
            AppError::Conflict(m) => ApiError::new(status, "conflict", m),
            AppError::Transport(m) => ApiError::new(status, "bad_request", m),
            AppError::RateLimited { .. } => ApiError::new(status, "rate_limited", e.to_string()),
            AppError::Unavailable => ApiError::new(status, "unavailable", e.to_string()),
            AppError::StorageFull => ApiError::new(status, "storage_full", e.to_string()),
            AppError::Internal => ApiError::new(status, "internal", e.to_string()),
        };
        error.retry_after = retry_after;
        error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_string(), message: self.message, details: self.details },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The API's answer to an upload that could not be spooled.
impl From<SpoolError> for ApiError {
    fn from(e: SpoolError) -> ApiError {
        match e {
            SpoolError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string()),
            SpoolError::BrokenOff => ApiError::new(StatusCode::BAD_REQUEST, "broken_off", e.to_string()),
            SpoolError::Disk(ref io) => {
                tracing::error!(error = %io, "cannot spool an upload");
                ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "disk", e.to_string())
            }
        }
    }
}
