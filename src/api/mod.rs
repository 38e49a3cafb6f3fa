//! The JSON API for apps (`/api/v1`, `Authorization: Bearer <key>`): its router, its error
//! body, and the body parsing every handler shares.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::fields::FieldErrors;
use crate::idempotency::Idempotency;
use crate::state::AppState;

mod audience;
pub mod caller;
mod codes;
mod coupons;
mod events;
mod redemptions;
mod users;
mod wallet;

/// The OpenAPI document's frame; the paths and schemas come from the handlers' annotations.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Couponry API",
        description = "Validate, redeem and reverse coupons; send users and events; manage coupons. \
            Amounts are integers in the currency's minor unit. Errors are `{\"error\": {\"code\", \"message\", \"details\"}}`."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerKey),
    components(schemas(ErrorBody)),
    tags(
        (name = "checkout", description = "Validate, redeem and reverse at checkout (scope `checkout`)"),
        (name = "users", description = "The app's users, their events, tray and wallet (scope `checkout`)"),
        (name = "coupons", description = "Manage coupons with the builder's definition (scope `manage`)"),
        (name = "codes", description = "Generate and upload unique codes in batches (scope `manage`)"),
        (name = "audience", description = "Segments of users and the campaigns that deliver coupons to them (scope `manage`)"),
    )
)]
struct ApiDoc;

struct BearerKey;

impl utoipa::Modify for BearerKey {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("An API key created by an admin on the API keys page.".into());
        components.add_security_scheme("api_key", SecurityScheme::Http(scheme));
        openapi.security = Some(vec![SecurityRequirement::new("api_key", Vec::<String>::new())]);
    }
}

/// The API's routes and its OpenAPI document, made from the same list so they cannot differ.
fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(<ApiDoc as utoipa::OpenApi>::openapi())
        .routes(routes!(redemptions::validate))
        .routes(routes!(redemptions::redeem, redemptions::list))
        .routes(routes!(redemptions::show))
        .routes(routes!(redemptions::reverse))
        .routes(routes!(users::bulk))
        .routes(routes!(users::put, users::show))
        .routes(routes!(users::tray))
        .routes(routes!(wallet::show))
        .routes(routes!(wallet::transact))
        .routes(routes!(events::post))
        .routes(routes!(coupons::list, coupons::create))
        .routes(routes!(coupons::show, coupons::patch))
        .routes(routes!(coupons::stats))
        .routes(routes!(codes::generate))
        .routes(routes!(codes::import))
        .routes(routes!(codes::batches))
        .routes(routes!(codes::batch))
        .routes(routes!(codes::list))
        .routes(routes!(codes::show, codes::update))
        .routes(routes!(codes::void))
        .routes(routes!(audience::list_segments, audience::create_segment))
        .routes(routes!(audience::preview))
        .routes(routes!(audience::show_segment, audience::update_segment))
        .routes(routes!(audience::list_campaigns, audience::create_campaign))
        .routes(routes!(audience::show_campaign))
        .routes(routes!(audience::cancel_campaign))
        .split_for_parts()
}

/// The OpenAPI 3 description of the API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = routes().1;
        doc.info.version = env!("CARGO_PKG_VERSION").to_string();
        declare_common_answers(&mut doc);
        doc
    })
}

/// The answers every endpoint can give, declared on each operation that does not declare them
/// itself: no or a revoked key, a key without the scope, an unreadable body or query, an id that
/// names nothing, too many attempts, and the database being unreachable or full.
fn declare_common_answers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{Content, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", Content::new(Some(Ref::from_schema_name("ErrorBody"))))
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let mut answers = vec![
                ("401", "No API key, or an unknown or revoked one (`unauthenticated`)"),
                ("403", "The key lacks the scope (`forbidden`)"),
                ("503", "The database is busy or unreachable (`unavailable`): retry after `Retry-After`"),
            ];
            if operation.request_body.is_some() {
                answers.push(("400", "Not JSON, not an object, or the wrong shape (`malformed_json`, `invalid_body`)"));
                answers.push(("413", "The body is over the size limit (`body_too_large`)"));
                answers.push(("422", "Invalid fields, in `details.fields`"));
                answers.push(("507", "The server's disk is full (`storage_full`); nothing was stored"));
            }
            if operation.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
                answers.push(("400", "A parameter could not be read (`bad_request`)"));
                answers.push(("422", "Invalid fields, in `details.fields`"));
            }
            if path.contains('{') {
                answers.push(("404", "Nothing has this id (`not_found`)"));
            }
            for (status, description) in answers {
                operation.responses.responses.entry(status.to_string()).or_insert_with(|| error(description).into());
            }
        }
    }
}

/// The API: its routes, a JSON body limit of `max_json_bytes`, and every answer that is an error
/// in the API's JSON shape, including axum's own (a body over the limit, a path or query that
/// cannot be read, a method the path does not take).
pub fn router(max_json_bytes: usize) -> Router<AppState> {
    routes()
        .0
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such API endpoint") })
        .layer(axum::middleware::map_response(json_errors))
        .layer(axum::extract::DefaultBodyLimit::max(max_json_bytes))
}

/// Rewrites an error answer that is not JSON (axum's rejections are plain text) into the API's
/// error body, keeping its status and its message.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_request",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let text = axum::body::to_bytes(response.into_body(), 16 << 10).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = match (text.trim(), status) {
        ("", StatusCode::METHOD_NOT_ALLOWED) => "this endpoint does not take this method".to_string(),
        ("", _) => status.canonical_reason().unwrap_or("error").to_lowercase(),
        (text, _) => text.to_string(),
    };
    let mut answer = ApiError::new(status, code, message).into_response();
    if let Some(allow) = allow {
        answer.headers_mut().insert(axum::http::header::ALLOW, allow);
    }
    answer
}

pub use crate::http_error::{ApiError, ApiResult, ErrorBody, ErrorDetail};

/// Reads a JSON object body into `T`: not JSON, not an object, or the wrong shape is a 400 that
/// says where; text breaking the text rule is a 422 with its field.
pub fn parse_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> ApiResult<T> {
    let value = read_json(headers, body)?;
    if !value.is_object() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "the body must be a JSON object"));
    }
    from_json(value)
}

/// Reads any JSON body (an object, or a list of them) into `T`.
pub fn parse_body_or_list<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> ApiResult<T> {
    from_json(read_json(headers, body)?)
}

fn from_json<T: DeserializeOwned>(value: Value) -> ApiResult<T> {
    serde_json::from_value(value)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", format!("the body could not be read: {e}")))
}

fn read_json(headers: &HeaderMap, body: &Bytes) -> ApiResult<Value> {
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
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("the body could not be read: {e}"))
    })?;
    crate::text::check_json(&value).map_err(ApiError::invalid)?;
    Ok(value)
}

/// Checks an app's user id, reporting under `field`.
pub fn user_id(text: &str, field: &str) -> ApiResult<String> {
    crate::audience::users::parse_user_id(text).map_err(|message| {
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

/// A page of a list that runs newest first: `limit` items after the item `starting_after`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The id of the last item of the page before: the page after it.
    pub starting_after: Option<i64>,
}
