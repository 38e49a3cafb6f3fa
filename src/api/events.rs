//! `POST /events`: one event or a batch (a JSON array), all checked before any is stored.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};

use super::caller::Caller;
use super::{parse_body, ApiError, ApiResult};
use crate::events::{self, EventInput, MAX_BATCH};
use crate::fields::FieldErrors;
use crate::keys::Scope;
use crate::startup::AppState;

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Body {
    Batch(Vec<EventInput>),
    One(EventInput),
}

pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    caller.require(Scope::Checkout)?;
    let (inputs, batch) = match parse_body::<Body>(&headers, &body)? {
        Body::Batch(list) => (list, true),
        Body::One(one) => (vec![one], false),
    };
    if inputs.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", "send at least one event"));
    }
    if inputs.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("send at most {MAX_BATCH} events at once"),
        ));
    }
    let now = chrono::Utc::now();
    let mut errors = FieldErrors::default();
    let parsed: Vec<_> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, e)| e.parse(&if batch { format!("[{i}]") } else { "event".into() }, now, &mut errors))
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let recorded = events::record(&state.db, &parsed, now).await?;
    Ok((StatusCode::CREATED, Json(json!(recorded))))
}
