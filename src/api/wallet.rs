//! `GET /users/{user_id}/wallet` and `POST /users/{user_id}/wallet/transactions`: cashback
//! balances and the app's own credits and debits.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::caller::Caller;
use super::{parse_body, user_id, ApiError, ApiResult, ErrorBody};
use crate::accounts::keys::Scope;
use crate::state::AppState;
use crate::wallet::{self, Change, Transaction, WalletEntry};

/// A wallet: the balance and the newest transactions first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Wallet {
    pub user_id: String,
    pub balance: i64,
    pub transactions: Vec<WalletEntry>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// How many transactions, newest first (default 50, at most 500).
    limit: Option<i64>,
}

const MAX_PAGE: i64 = 500;

#[utoipa::path(
    get, path = "/users/{user_id}/wallet", tag = "users",
    params(("user_id" = String, Path), Page),
    responses((status = 200, body = Wallet))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<Wallet>> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let limit = page.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    Ok(Json(Wallet {
        balance: wallet::balance(&state.db, &id).await?,
        transactions: wallet::entries(&state.db, &id, limit).await?,
        user_id: id,
    }))
}

/// A credit or debit: `{"type": "credit" | "debit", "points": 250, "note": "spent at checkout"}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionBody {
    /// `credit` or `debit`.
    #[serde(rename = "type", default)]
    kind: String,
    /// Points to move, 1 or more.
    #[serde(default)]
    points: i64,
    note: Option<String>,
}

#[utoipa::path(
    post, path = "/users/{user_id}/wallet/transactions", tag = "users", request_body = TransactionBody,
    description = "Credits or debits points. A debit larger than the balance is refused whole; the balance never goes below zero.",
    params(
        ("user_id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and the same JSON body (key order and spacing aside) get the first answer; another body is a 409"),
    ),
    responses(
        (status = 201, body = Transaction),
        (status = 409, body = ErrorBody, description = "The key was used with another body"),
        (status = 422, body = ErrorBody, description = "Invalid fields, or too few points for the debit"),
    )
)]
pub async fn transact(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    caller.require(Scope::Checkout)?;
    let id = user_id(&id, "user_id")?;
    let endpoint = format!("POST /users/{id}/wallet/transactions");
    let idempotency = super::idempotency(&headers, &caller, &endpoint, &body)?;
    let input: TransactionBody = parse_body(&headers, &body)?;
    let change = Change::parse(&input.kind, input.points, input.note).map_err(ApiError::invalid)?;
    let (answer, replayed) =
        wallet::transact(&state.db, &id, &change, idempotency.as_ref(), chrono::Utc::now()).await?;
    Ok(super::mark_replayed((StatusCode::CREATED, Json(answer)).into_response(), replayed))
}
