//! The error of the dashboard's server functions: what a page can show.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::fields::FieldErrors;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("please log in")]
    Unauthenticated,
    #[error("your role does not allow this")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("please correct the highlighted fields")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("the database is busy or unreachable; try again in a moment")]
    Unavailable,
    #[error("the server's disk is full; nothing was stored")]
    StorageFull,
    #[error("something went wrong on the server; it has been logged")]
    Internal,
    #[error("{0}")]
    Transport(String),
}

impl AppError {
    /// One field error, for checks that are about a single field.
    pub fn field(field: &str, message: impl Into<String>) -> AppError {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        AppError::Invalid(errors)
    }

    /// The HTTP status that fits the error.
    #[cfg(feature = "ssr")]
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Transport(_) => StatusCode::BAD_REQUEST,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// How long a client should wait before trying again, when waiting helps.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after } => Some(*retry_after),
            AppError::Unavailable => Some(1),
            AppError::StorageFull => Some(60),
            _ => None,
        }
    }

    /// Logs an unexpected failure once, with what was being done, and gives the answer for it.
    #[cfg(feature = "ssr")]
    pub fn internal(context: &str, error: impl std::fmt::Display) -> AppError {
        tracing::error!(%error, "{context}");
        AppError::Internal
    }

    pub fn field_errors(&self) -> FieldErrors {
        match self {
            AppError::Invalid(e) => e.clone(),
            _ => FieldErrors::default(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        crate::db::StoreError::Database(e).into()
    }
}

/// The one place a store failure is logged: as it becomes an answer.
#[cfg(feature = "ssr")]
impl From<crate::db::StoreError> for AppError {
    fn from(e: crate::db::StoreError) -> Self {
        use crate::db::Fault;
        match e.fault() {
            Fault::Unavailable => {
                tracing::warn!(error = %e, "database unavailable");
                AppError::Unavailable
            }
            Fault::Full => {
                tracing::error!(error = %e, "database storage full");
                AppError::StorageFull
            }
            Fault::Raced => AppError::Conflict(format!("{e}; try again")),
            Fault::Bug => {
                tracing::error!(error = %e, "store failure");
                AppError::Internal
            }
        }
    }
}
