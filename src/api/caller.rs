//! The extractor that turns a request's bearer token into the calling API key.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;

use super::ApiError;
use crate::accounts::audit::Actor;
use crate::accounts::keys::store::{self, KeyError};
use crate::accounts::keys::Scope;
use crate::state::AppState;

/// The key a request came with, checked: present, known, not revoked.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: i64,
    pub scopes: Vec<Scope>,
}

impl Caller {
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("this API key lacks the `{}` scope", scope.as_str()),
            ))
        }
    }

    pub fn actor(&self) -> Actor {
        Actor { kind: "api_key", id: Some(self.key_id), label: format!("api key {}", self.key_id) }
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unauthenticated("send your API key as `Authorization: Bearer <key>`"))?;
        let secret = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <key>`"))?;
        match store::authenticate(&state.db, secret).await {
            Ok(Some((key_id, scopes))) => Ok(Caller { key_id, scopes }),
            Ok(None) => Err(unauthenticated("unknown API key")),
            Err(KeyError::Revoked) => Err(unauthenticated("this API key has been revoked")),
            Err(e) => Err(e.into()),
        }
    }
}
