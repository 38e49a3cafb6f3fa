//! `PUT /users/{user_id}` and `GET /users/{user_id}`: the app's users and their properties.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::caller::Caller;
use super::{parse_body, user_id, ApiError, ApiResult};
use crate::keys::Scope;
use crate::startup::AppState;
use crate::users::{self, PropertiesInput};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    properties: serde_json::Map<String, Value>,
}

pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let body: Body = parse_body(&headers, &body)?;
    let properties = PropertiesInput(body.properties).parse("properties").map_err(ApiError::invalid)?;
    let user = users::upsert(&state.db, &id, &properties).await?;
    Ok(Json(json!(user)))
}

pub async fn show(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let user = users::get(&state.db, &id).await?.ok_or_else(|| ApiError::from(crate::error::AppError::NotFound))?;
    Ok(Json(json!(user)))
}

pub async fn tray(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let coupons = crate::redemption::tray::for_user(&state.db, &id, chrono::Utc::now()).await?;
    Ok(Json(json!({ "user_id": id, "coupons": coupons })))
}
