//! Sessions stored in the database (so several servers share them) and the checks every server
//! function starts with.

use axum::http::{header, request::Parts, HeaderMap};
use leptos::prelude::*;
use sha2::{Digest, Sha256};

use super::{Account, Permission};
use crate::config::Config;
use crate::db::{now_ms, Db, StoreError};
use crate::error::AppError;
use crate::state::AppState;
use crate::throttle::ThrottleError;

pub const SESSION_COOKIE: &str = "couponry_session";
/// The name when cookies are marked `Secure`: browsers keep a `__Host-` cookie only from HTTPS,
/// for this exact host, on every path, so no other site or subdomain can set or read it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-couponry_session";

fn cookie_name(config: &Config) -> &'static str {
    if config.secure_cookies {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

fn cookie_attributes(config: &Config) -> &'static str {
    if config.secure_cookies {
        "; Path=/; HttpOnly; SameSite=Lax; Secure"
    } else {
        "; Path=/; HttpOnly; SameSite=Lax"
    }
}

/// The app's state, from the request's context. Read it before any await (see [`authorize`]).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("server function", "no app state in its context"))
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
pub async fn start_session(db: &Db, config: &Config, account_id: i64) -> Result<String, StoreError> {
    let token = new_token();
    let ttl_ms = config.session_hours * 3_600_000;
    let now = now_ms();
    sqlx::query("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(hash_token(&token))
        .bind(account_id)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(db.pool())
        .await?;
    Ok(format!("{}={token}{}; Max-Age={}", cookie_name(config), cookie_attributes(config), ttl_ms / 1000))
}

pub fn clear_cookie(config: &Config) -> String {
    format!("{}={}; Max-Age=0", cookie_name(config), cookie_attributes(config))
}

pub fn session_token(config: &Config, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(config);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, _)| *found == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

pub async fn end_session(db: &Db, token: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash_token(token)).execute(db.pool()).await?;
    Ok(())
}

/// The account of a live session token; disabled accounts and expired sessions have none.
pub async fn account_for_token(db: &Db, token: &str) -> Result<Option<Account>, StoreError> {
    let row = sqlx::query_as::<_, super::store::AccountRow>(
        "SELECT a.id, a.email, a.name, a.role, a.disabled, a.created_at FROM sessions s
         JOIN accounts a ON a.id = s.account_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.disabled = 0",
    )
    .bind(hash_token(token))
    .bind(now_ms())
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Account::from))
}

/// The account behind the current request, if it has a live session.
pub async fn current_account() -> Result<Option<Account>, AppError> {
    let Some(parts) = use_context::<Parts>() else { return Ok(None) };
    let state = state()?;
    let Some(token) = session_token(&state.config, &parts.headers) else { return Ok(None) };
    Ok(account_for_token(&state.db, &token).await?)
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
    db: &Db,
    config: &Config,
    headers: &HeaderMap,
    permission: Permission,
) -> Result<Account, AppError> {
    let token = session_token(config, headers).ok_or(AppError::Unauthenticated)?;
    let account = account_for_token(db, &token).await?.ok_or(AppError::Unauthenticated)?;
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

/// The address a request came from: the peer's, or behind a reverse proxy the last address the
/// proxy added to the header named by `COUPONRY_CLIENT_IP_HEADER` (the one a client cannot forge).
pub fn client_address(config: &Config, parts: &Parts) -> String {
    let from_proxy = config.client_ip_header.as_deref().and_then(|name| {
        let value = parts.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).next_back()?;
        value.rsplit(',').map(str::trim).find(|a| !a.is_empty()).map(str::to_string)
    });
    from_proxy
        .or_else(|| {
            parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Failed logins, counted in the database per email typed and per client address so that
/// guessing stays slow however many servers answer: after 10 failures for one email or 100 from
/// one address within 15 minutes, logins are refused (429) until the window ends. Every failure
/// is written to the audit log.
pub struct LoginGuard {
    email: String,
    address: String,
}

const LOGIN_WINDOW: i64 = 15 * crate::throttle::MINUTE;
const FAILURES_PER_EMAIL: u32 = 10;
const FAILURES_PER_ADDRESS: u32 = 100;

impl LoginGuard {
    pub fn new(email: &str, address: &str) -> LoginGuard {
        let plain = |t: &str| t.trim().chars().filter(|c| !c.is_control()).take(254).collect::<String>();
        LoginGuard { email: plain(email).to_lowercase(), address: plain(address) }
    }

    fn buckets(&self) -> [(String, u32); 2] {
        [
            (format!("login:email:{}", hash_token(&self.email)), FAILURES_PER_EMAIL),
            (format!("login:address:{}", self.address), FAILURES_PER_ADDRESS),
        ]
    }

    /// Refuses while either count is at its limit.
    pub async fn check(&self, db: &crate::db::Db) -> Result<(), ThrottleError> {
        let now = now_ms();
        for (bucket, limit) in self.buckets() {
            crate::throttle::check(db, &bucket, limit, LOGIN_WINDOW, now).await?;
        }
        Ok(())
    }

    /// Counts a failed login and records it in the audit log.
    pub async fn failed(&self, db: &crate::db::Db, account_id: Option<i64>) -> Result<(), StoreError> {
        use super::audit::{self, Actor};
        let buckets = self.buckets();
        let names: Vec<&str> = buckets.iter().map(|(b, _)| b.as_str()).collect();
        crate::throttle::add_all(&mut *db.pool().acquire().await?, &names, LOGIN_WINDOW, now_ms()).await?;
        let actor = Actor { kind: "client", id: None, label: self.address.clone() };
        let entity = account_id.map_or_else(|| self.email.clone(), |id| id.to_string());
        let attempt = serde_json::json!({ "email": self.email, "address": self.address });
        let mut tx = db.begin_write().await?;
        audit::record(&mut tx, &actor, "account.login_failed", ("account", entity), None::<&()>, Some(&attempt))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Deletes expired sessions (housekeeping).
pub async fn sweep_expired_sessions(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let swept = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(db.pool()).await?;
    Ok(swept.rows_affected())
}
