//! `POST /coupons/{id}/codes/generate`, `POST /coupons/{id}/codes/import` (a `text/csv` body),
//! `GET /coupons/{id}/batches`: the same generation and import as the dashboard. And one code at
//! a time: `GET /coupons/{id}/codes`, `GET`/`PATCH /codes/{code}` (its metadata), `POST /codes/{code}/void`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::caller::Caller;
use super::{parse_body, path_id, ApiError, ApiResult, ErrorBody, PageQuery};
use crate::accounts::keys::Scope;
use crate::codes::http::file_name;
use crate::codes::import::{self, CodeImport};
use crate::codes::pattern::GenerateInput;
use crate::codes::single::{self, CodeFilter, CodeView};
use crate::codes::{generate, store, Batch};
use crate::redemption::decision::CodeStatus;
use crate::state::AppState;
use crate::uploads::spool;
use crate::wire::Named;

const ID: &str = "The coupon's id";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchList {
    pub batches: Vec<Batch>,
    /// More batches follow: ask again with `starting_after` the last one's id.
    pub has_more: bool,
}

#[utoipa::path(
    post, path = "/coupons/{id}/codes/generate", tag = "codes", request_body = GenerateInput,
    params(("id" = i64, Path, description = ID)),
    description = "Generates unique codes from a pattern (`#` digit, `?` letter, `*` either; look-alikes \
        0/O and 1/I/L left out) with a cryptographically secure generator. Refused when the pattern's \
        space is under 100× the codes of its shape.",
    responses(
        (status = 201, body = Batch),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Bad count or pattern, a guessable pattern, or a coupon without unique codes"),
    )
)]
pub async fn generate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Batch>)> {
    caller.require(Scope::Manage)?;
    let id = path_id(&id)?;
    let input: GenerateInput = parse_body(&headers, &body)?;
    let (count, pattern) = input.parse().map_err(ApiError::invalid)?;
    let batch = generate::generate(&state.db, &caller.actor(), id, count, &pattern)
        .await
        .map_err(|e| crate::answers::codes_at("count", e))?;
    Ok((StatusCode::CREATED, Json(batch)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// The file's name, kept on the batch.
    file_name: Option<String>,
    /// `true`: answer 202 as soon as the file is received, with the batch still `importing`, and
    /// import in the background; poll `GET /batches/{id}` (its `Location`) for how far it got.
    background: Option<bool>,
}

#[utoipa::path(
    post, path = "/coupons/{id}/codes/import", tag = "codes",
    params(("id" = i64, Path, description = ID), ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "Columns `code`, optional `user_id` (pre-assigns) and `expires_at` (RFC 3339 or a date); \
            a header row or none; UTF-8 with or without BOM; CRLF or LF; quoted fields."),
    description = "Imports a file of codes all or nothing: any bad row stores nothing and the answer lists \
        the problems by line (the first 300; the rest in the batch's problem report). With `background=true` \
        it answers once the file is received and imports in the background: the batch turns `ready` or \
        `failed` (with `problem_count` and `problem_summary`), and counts rows and bytes read meanwhile.",
    responses(
        (status = 201, body = Batch),
        (status = 202, body = Batch, description = "Received; importing in the background (`background=true`)"),
        (status = 413, body = ErrorBody, description = "Larger than the upload limit"),
        (status = 422, body = ErrorBody, description = "Refused: `details` has `batch`, `problem_count`, `counts` and `problems`"),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    caller.require(Scope::Manage)?;
    let id = path_id(&id)?;
    let is_csv = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.starts_with("text/csv") || v.starts_with("text/plain") || v.starts_with("application/octet-stream")
    });
    if !is_csv {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as text/csv",
        ));
    }
    let coupon = store::coupon_taking_codes(&state.db, id).await?;
    let spooled = spool(body.into_data_stream(), state.config.max_upload_bytes).await.map_err(ApiError::from)?;
    let name = file_name(query.file_name.as_deref());
    if query.background == Some(true) {
        let batch = import::start(&state.db, &caller.actor(), &coupon, name.as_deref(), spooled).await?;
        let location = format!("/api/v1/batches/{}", batch.id);
        return Ok((StatusCode::ACCEPTED, [(axum::http::header::LOCATION, location)], Json(batch)).into_response());
    }
    match import::import(&state.db, &caller.actor(), &coupon, name.as_deref(), spooled, |_| {}).await? {
        CodeImport::Stored(batch) => Ok((StatusCode::CREATED, Json(batch)).into_response()),
        CodeImport::Refused { batch, problems } => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_refused",
            format!("{} rows have problems; nothing was stored", batch.problem_count),
        )
        .with_details(json!({
            "batch": batch.id,
            "problem_count": batch.problem_count,
            "counts": batch.problem_summary,
            "problems": problems,
        }))),
    }
}

#[utoipa::path(
    get, path = "/batches/{id}", tag = "codes", params(("id" = i64, Path, description = "The batch's id")),
    description = "One batch: its status (`importing`, `ready`, `failed`, `voided`), rows and bytes so far, \
        problems and code counts. Poll it after a background import.",
    responses((status = 200, body = Batch), (status = 404, body = ErrorBody))
)]
pub async fn batch(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Batch>> {
    caller.require(Scope::Manage)?;
    Ok(Json(store::get(&state.db, path_id(&id)?).await?))
}

#[utoipa::path(
    get, path = "/coupons/{id}/batches", tag = "codes", params(("id" = i64, Path, description = ID), PageQuery),
    description = "The coupon's code batches newest first, in pages (`limit`, default 100, at most 500); the \
        next page starts after the last batch's id (`starting_after`).",
    responses((status = 200, body = BatchList), (status = 404, body = ErrorBody))
)]
pub async fn batches(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<BatchList>> {
    caller.require(Scope::Manage)?;
    let id = path_id(&id)?;
    crate::coupons::store::get(&state.db, id).await?;
    let (batches, has_more) =
        store::page(&state.db, Some(id), page.starting_after, crate::coupons::page_size(page.limit)).await?;
    Ok(Json(BatchList { batches, has_more }))
}

/// Which of a coupon's codes to list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CodeQuery {
    /// Only this batch's codes.
    pub batch_id: Option<i64>,
    /// `available`, `assigned`, `redeemed` or `void`.
    pub status: Option<String>,
    /// Codes per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The id of the last code of the page before: the page after it.
    pub starting_after: Option<i64>,
}

/// A page of a coupon's codes, in the order they were made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CodeList {
    pub codes: Vec<CodeView>,
    /// More codes follow: ask again with `starting_after` the last one's id.
    pub has_more: bool,
}

#[utoipa::path(
    get, path = "/coupons/{id}/codes", tag = "codes", params(("id" = i64, Path, description = ID), CodeQuery),
    description = "The coupon's codes in the order they were made, a page at a time, by batch and status.",
    responses((status = 200, body = CodeList), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<CodeQuery>,
) -> ApiResult<Json<CodeList>> {
    caller.require(Scope::Manage)?;
    let id = path_id(&id)?;
    let status = match query.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(CodeStatus::named(s).map_err(|m| {
            let mut e = crate::fields::FieldErrors::default();
            e.add("status", m);
            ApiError::invalid(e)
        })?),
    };
    crate::coupons::store::get(&state.db, id).await?;
    let filter = CodeFilter { batch_id: query.batch_id, status };
    let limit = crate::coupons::page_size(query.limit);
    let (codes, has_more) = single::page(&state.db, id, filter, query.starting_after, limit).await?;
    Ok(Json(CodeList { codes, has_more }))
}

#[utoipa::path(
    get, path = "/codes/{code}", tag = "codes", params(("code" = String, Path, description = "The code; case does not matter")),
    description = "One code: its coupon, batch, status, holder and times.",
    responses((status = 200, body = CodeView), (status = 404, body = ErrorBody))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<CodeView>> {
    caller.require(Scope::Manage)?;
    Ok(Json(single::find(&state.db, &code).await?))
}

/// A change to a code: metadata keys to set, or to remove with `null`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CodeChange {
    #[serde(default)]
    #[schema(value_type = Object)]
    metadata: serde_json::Value,
}

#[utoipa::path(
    patch, path = "/codes/{code}", tag = "codes", request_body = CodeChange,
    params(("code" = String, Path, description = "The code; case does not matter")),
    description = "Sets the code's `metadata` keys (a JSON merge: `null` removes a key), audited.",
    responses((status = 200, body = CodeView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CodeView>> {
    caller.require(Scope::Manage)?;
    let change: CodeChange = parse_body(&headers, &body)?;
    Ok(Json(single::update_metadata(&state.db, &caller.actor(), &code, &change.metadata).await?))
}

#[utoipa::path(
    post, path = "/codes/{code}/void", tag = "codes", params(("code" = String, Path, description = "The code; case does not matter")),
    description = "Voids one unique code, free or held, so it stops working at once (a leaked code). A redeemed \
        code is refused (409: reverse its redemption first), as is a coupon's static code; voiding a void code \
        changes nothing.",
    responses((status = 200, body = CodeView, description = "The code, void"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn void(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<CodeView>> {
    caller.require(Scope::Manage)?;
    Ok(Json(single::void(&state.db, &caller.actor(), &code).await?))
}
