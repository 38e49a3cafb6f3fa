//! `POST /events`: one event or a batch (a JSON array), all checked before any is stored.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;

use super::caller::Caller;
use super::{parse_body_or_list, ApiError, ApiResult, ErrorBody};
use crate::accounts::keys::Scope;
use crate::audience::events::{self, EventInput, Recorded, MAX_BATCH};
use crate::fields::FieldErrors;
use crate::state::AppState;

/// One event, or a batch of up to 1000 as a JSON array (all stored, or none).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EventsBody {
    Batch(Vec<EventInput>),
    One(EventInput),
}

#[utoipa::path(
    post, path = "/events", tag = "users", request_body = EventsBody,
    description = "Records events and runs what they trigger: event activation, and event-triggered \
        distribution (an assignment and, for unique-code coupons, the next free code).",
    responses(
        (status = 201, body = Recorded),
        (status = 413, body = ErrorBody, description = "Too many events in one batch"),
        (status = 422, body = ErrorBody, description = "Invalid fields, by position in the batch"),
    )
)]
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Recorded>)> {
    caller.require(Scope::Checkout)?;
    let (inputs, batch) = match parse_body_or_list::<EventsBody>(&headers, &body)? {
        EventsBody::Batch(list) => (list, true),
        EventsBody::One(one) => (vec![one], false),
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
    Ok((StatusCode::CREATED, Json(recorded)))
}
