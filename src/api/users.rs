//! `PUT /users/{user_id}` and `GET /users/{user_id}`: the app's users and their properties.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::caller::Caller;
use super::{parse_body, user_id, ApiError, ApiResult, ErrorBody};
use crate::accounts::keys::Scope;
use crate::audience::tray::TrayEntry;
use crate::audience::users::AppUser;
use crate::audience::users::{self, PropertiesInput};
use crate::state::AppState;

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
    Ok(Json(crate::audience::campaigns::sync::save_user(&state.db, &id, &properties).await?))
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
    let coupons = crate::audience::tray::for_user(&state.db, &id, chrono::Utc::now()).await?;
    Ok(Json(Tray { user_id: id, coupons }))
}

#[utoipa::path(
    put, path = "/users", tag = "users",
    request_body(content = String, content_type = "text/csv",
        description = "A JSON array of `{\"user_id\", \"properties\"}` (`application/json`), or CSV (`text/csv`) \
            with a header row: a `user_id` column and one column per property. CSV cells: empty is unset, \
            `true`/`false` are booleans, plain numbers without leading zeros are numbers, anything else is text."),
    description = "Creates or updates many users at once, all or nothing: any bad row stores nothing and the \
        answer lists the problems (by CSV line or array index; the first 300, with the total). Keep-in-sync \
        campaigns reach the users who now match them.",
    responses(
        (status = 200, body = crate::audience::users::import::ImportReport),
        (status = 413, body = ErrorBody, description = "Larger than the upload limit"),
        (status = 415, body = ErrorBody, description = "Neither JSON nor CSV"),
        (status = 422, body = ErrorBody, description = "Refused: `details` has `problem_count` and `problems`"),
    )
)]
pub async fn bulk(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Json<crate::audience::users::import::ImportReport>> {
    use crate::audience::users::import::{import, Format, UserImport};
    caller.require(Scope::Checkout)?;
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let format = if content_type.starts_with("application/json") {
        Format::Json
    } else if content_type.starts_with("text/csv") {
        Format::Csv
    } else {
        return Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send application/json (an array of users) or text/csv",
        ));
    };
    let spooled =
        crate::uploads::spool(body.into_data_stream(), state.config.max_upload_bytes).await.map_err(ApiError::from)?;
    match import(&state.db, format, spooled).await? {
        UserImport::Stored(report) => Ok(Json(report)),
        UserImport::Refused { problems, total } => Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "import_refused",
            format!("{total} problems; nothing was stored"),
        )
        .with_details(serde_json::json!({ "problem_count": total, "problems": problems }))),
    }
}
