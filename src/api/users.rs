//! `PUT /users/{user_id}` and `GET /users/{user_id}`: the app's users and their properties.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::caller::Caller;
use super::{parse_body, user_id, ApiError, ApiResult, ErrorBody};
use crate::keys::Scope;
use crate::redemption::tray::TrayEntry;
use crate::startup::AppState;
use crate::users::AppUser;
use crate::users::{self, PropertiesInput};

/// A user's properties: flat keys with strings, numbers, booleans or lists of strings.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    #[serde(default)]
    #[schema(value_type = Object)]
    properties: serde_json::Map<String, Value>,
}

/// A user's tray: visible coupons usable now, soonest expiry first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tray {
    pub user_id: String,
    pub coupons: Vec<TrayEntry>,
}

#[utoipa::path(
    put, path = "/users/{user_id}", tag = "users", request_body = UserBody,
    description = "Creates the user or replaces their properties. Targeting and qualifying rules read them.",
    params(("user_id" = String, Path, description = "The app's own id for the user")),
    responses((status = 200, body = AppUser), (status = 422, body = ErrorBody, description = "Invalid properties"))
)]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<AppUser>> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let body: UserBody = parse_body(&headers, &body)?;
    let properties = PropertiesInput(body.properties).parse("properties").map_err(ApiError::invalid)?;
    Ok(Json(users::upsert(&state.db, &id, &properties).await?))
}

#[utoipa::path(
    get, path = "/users/{user_id}", tag = "users",
    params(("user_id" = String, Path)),
    responses((status = 200, body = AppUser), (status = 404, body = ErrorBody))
)]
pub async fn show(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<AppUser>> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let user = users::get(&state.db, &id).await?.ok_or_else(|| ApiError::from(crate::error::AppError::NotFound))?;
    Ok(Json(user))
}

#[utoipa::path(
    get, path = "/users/{user_id}/coupons", tag = "users",
    description = "The user's tray: their own assignments and the general coupons they qualify for, \
        visible and usable now, with code, expiry and uses left.",
    params(("user_id" = String, Path)),
    responses((status = 200, body = Tray))
)]
pub async fn tray(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Tray>> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let coupons = crate::redemption::tray::for_user(&state.db, &id, chrono::Utc::now()).await?;
    Ok(Json(Tray { user_id: id, coupons }))
}
