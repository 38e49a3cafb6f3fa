//! The dashboard's plain HTTP routes for codes: the upload (which streams its progress back as
//! JSON lines) and the CSV downloads. They check the session themselves, like server functions.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::import::{self, CodeImport, Progress};
use crate::accounts::audit::Actor;
use crate::accounts::auth::account_for_request;
use crate::accounts::Permission;
use crate::error::AppError;
use crate::http_error::ApiError;
use crate::state::AppState;
use crate::uploads::{spool, SpoolError};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/coupons/{id}/codes/import", post(upload))
        .route("/batches/{id}/codes.csv", get(codes_csv))
        .route("/batches/{id}/problems.csv", get(problems_csv))
}

#[derive(Deserialize)]
pub struct UploadQuery {
    name: Option<String>,
}

/// A file name as shown on the batches page: its last path part, at most 200 characters.
pub fn file_name(name: Option<&str>) -> Option<String> {
    let name = name?.rsplit(['/', '\\']).next()?.trim();
    (!name.is_empty()).then(|| name.chars().filter(|c| !c.is_control()).take(200).collect())
}

/// Receives the whole file first (the browser shows the bytes sent), then answers with one JSON
/// line per stage: rows checked so far, then the stored batch or the refusal with its problems.
async fn upload(
    State(app): State<AppState>,
    Path(coupon_id): Path<i64>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let account = account_for_request(&app.db, &app.config, &headers, Permission::UploadCodes).await?;
    let coupon = super::store::coupon_taking_codes(&app.db, coupon_id).await?;
    let too_large = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > app.config.max_upload_bytes);
    if too_large {
        return Err(ApiError::from(SpoolError::TooLarge { limit_mb: app.config.max_upload_bytes >> 20 }));
    }
    let spooled = spool(body.into_data_stream(), app.config.max_upload_bytes).await.map_err(ApiError::from)?;
    let (sender, receiver) = mpsc::channel::<Progress>(64);
    let name = file_name(query.name.as_deref());
    // The import finishes even if the browser goes away; its batch shows the result.
    tokio::spawn(async move {
        let actor = Actor::from(&account);
        let progress = sender.clone();
        let outcome = import::import(&app.db, &actor, &coupon, name.as_deref(), spooled, |p| {
            let _ = progress.try_send(p);
        })
        .await;
        let last = match outcome {
            Ok(CodeImport::Stored(batch)) => Progress::Stored { batch },
            Ok(CodeImport::Refused { batch, problems }) => Progress::Refused { batch, problems },
            Err(e) => match AppError::from(e) {
                AppError::Invalid(errors) => Progress::Error {
                    message: errors.0.first().map_or_else(|| "the file was refused".into(), |e| e.message.clone()),
                },
                e => Progress::Error { message: e.to_string() },
            },
        };
        let _ = sender.send(last).await;
    });
    let lines = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let progress = receiver.recv().await?;
        let mut line = serde_json::to_vec(&progress).unwrap_or_default();
        line.push(b'\n');
        Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(line)), receiver))
    });
    let mut response = Body::from_stream(lines).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    Ok(response)
}

async fn codes_csv(state: State<AppState>, batch: Path<i64>, headers: HeaderMap) -> Result<Response, ApiError> {
    batch_download(state, batch, headers, "codes", super::export::batch_codes).await
}

async fn problems_csv(state: State<AppState>, batch: Path<i64>, headers: HeaderMap) -> Result<Response, ApiError> {
    batch_download(state, batch, headers, "problems", super::export::problem_report).await
}

/// A batch's CSV (`what` names the file) for an account that may see codes.
async fn batch_download<S>(
    State(app): State<AppState>,
    Path(batch_id): Path<i64>,
    headers: HeaderMap,
    what: &str,
    csv: fn(crate::db::Db, i64) -> S,
) -> Result<Response, ApiError>
where
    S: futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send + 'static,
{
    account_for_request(&app.db, &app.config, &headers, Permission::EditCoupons).await?;
    let batch = super::store::get(&app.db, batch_id).await?;
    let name = format!("batch-{}-coupon-{}-{what}.csv", batch.id, batch.coupon_id);
    Ok(csv_download(&name, Body::from_stream(csv(app.db.clone(), batch_id))))
}

pub fn csv_download(file_name: &str, body: Body) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_lose_their_folders() {
        assert_eq!(file_name(Some("C:\\Users\\me\\codes.csv")).as_deref(), Some("codes.csv"));
        assert_eq!(file_name(Some("/tmp/x/diwali.csv")).as_deref(), Some("diwali.csv"));
        assert_eq!(file_name(Some("  ")), None);
        assert_eq!(file_name(None), None);
    }
}
