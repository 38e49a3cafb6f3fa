//! Sessions stored in the database (so several servers share them) and the checks every server
//! function starts with.

use axum::http::{header, request::Parts, HeaderMap};
use leptos::prelude::*;
use sha2::{Digest, Sha256};

use super::{Account, Permission};
use crate::db::now_ms;
use crate::error::AppError;
use crate::startup::AppState;

pub const SESSION_COOKIE: &str = "couponry_session";

/// The app's state, from the request's context. Read it before any await (see [`authorize`]).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or(AppError::Internal)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Starts a session and returns the `Set-Cookie` value that carries it. The cookie is HttpOnly
/// (scripts cannot read it) and SameSite=Lax (other sites' forms cannot post with it).
pub async fn start_session(state: &AppState, account_id: i64) -> Result<String, AppError> {
    let token = new_token();
    let ttl_ms = state.config.session_hours * 3_600_000;
    let now = now_ms();
    sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(hash_token(&token))
        .bind(account_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(state.db.pool())
        .await?;
    Ok(format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}", ttl_ms / 1000))
}

pub fn clear_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

pub async fn end_session(state: &AppState, token: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash_token(token)).execute(state.db.pool()).await?;
    Ok(())
}

/// The account of a live session token; disabled accounts and expired sessions have none.
pub async fn account_for_token(state: &AppState, token: &str) -> Result<Option<Account>, AppError> {
    let row = sqlx::query_as::<_, super::store::AccountRow>(
        "SELECT a.id, a.email, a.name, a.role, a.disabled, a.created_at FROM sessions s
         JOIN accounts a ON a.id = s.account_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled = 0",
    )
    .bind(hash_token(token))
    .bind(now_ms())
    .fetch_optional(state.db.pool())
    .await?;
    Ok(row.map(Account::from))
}

/// The account behind the current request, if it has a live session.
pub async fn current_account() -> Result<Option<Account>, AppError> {
    let Some(parts) = use_context::<Parts>() else { return Ok(None) };
    let Some(token) = session_token(&parts.headers) else { return Ok(None) };
    account_for_token(&state()?, &token).await
}

/// The app's state and the current account, if it may do `permission`. The state is read before
/// the first await: while a page renders on the server, a resource's future can outlive the
/// reactive owner it was made in, the context goes with the owner, and the page would then
/// hydrate an error.
pub async fn authorize(permission: Permission) -> Result<(AppState, Account), AppError> {
    let state = state()?;
    Ok((state, require(permission).await?))
}

/// The account of a plain HTTP request (a dashboard download or upload) if it may do `permission`.
pub async fn account_for_request(
    state: &AppState,
    headers: &HeaderMap,
    permission: Permission,
) -> Result<Account, AppError> {
    let token = session_token(headers).ok_or(AppError::Unauthenticated)?;
    let account = account_for_token(state, &token).await?.ok_or(AppError::Unauthenticated)?;
    if account.can(permission) {
        Ok(account)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The current account if it may do `permission`; the reason otherwise.
pub async fn require(permission: Permission) -> Result<Account, AppError> {
    let account = current_account().await?.ok_or(AppError::Unauthenticated)?;
    if account.can(permission) {
        Ok(account)
    } else {
        Err(AppError::Forbidden)
    }
}
