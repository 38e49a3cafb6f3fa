//! API key rows: creation, listing, revocation, and finding the key behind a secret.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{ApiKey, Scope};
use crate::accounts::audit::{self, Actor};
use crate::db::{now_ms, Db, StoreError};

/// Why a key was not made, found or accepted.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a key's name has 1–100 characters")]
    BadName,
    #[error("a key needs at least one scope")]
    NoScopes,
    #[error("no such key")]
    NotFound,
    #[error("this API key has been revoked")]
    Revoked,
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(KeyError);

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
}

fn parse_scopes(text: &str) -> Vec<Scope> {
    text.split(',').filter_map(Scope::parse).collect()
}

type KeyRow = (i64, String, String, String, i64, Option<i64>, Option<i64>);

fn from_row((id, name, prefix, scopes, created_at, last_used_at, revoked_at): KeyRow) -> ApiKey {
    ApiKey { id, name, prefix, scopes: parse_scopes(&scopes), created_at, last_used_at, revoked_at }
}

const KEY_COLUMNS: &str = "id, name, prefix, scopes, created_at, last_used_at, revoked_at";

/// Creates a key; returns it with its secret, which is not kept and cannot be shown again.
pub async fn create(db: &Db, actor: &Actor, name: &str, scopes: &[Scope]) -> Result<(ApiKey, String), KeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(KeyError::BadName);
    }
    if scopes.is_empty() {
        return Err(KeyError::NoScopes);
    }
    // 32 random bytes: far beyond guessing, so a fast hash is enough to store it.
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("cpn_{}", hex::encode(bytes));
    let prefix = secret[..12].to_string();
    let mut tx = db.begin_write().await?;
    let row: KeyRow = sqlx::query_as(&format!(
        "INSERT INTO api_keys (name, prefix, key_hash, scopes, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {KEY_COLUMNS}"
    ))
    .bind(name)
    .bind(&prefix)
    .bind(hash(&secret))
    .bind(scopes_text(scopes))
    .bind(actor.account_id())
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    let key = from_row(row);
    audit::record(&mut tx, actor, "api_key.create", ("api_key", key.id.to_string()), None::<&()>, Some(&key)).await?;
    tx.commit().await?;
    Ok((key, secret))
}

pub async fn list(db: &Db) -> Result<Vec<ApiKey>, StoreError> {
    let rows: Vec<KeyRow> =
        sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id DESC")).fetch_all(db.pool()).await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Revokes a key at once, for every server (they all read the same table).
pub async fn revoke(db: &Db, actor: &Actor, id: i64) -> Result<ApiKey, KeyError> {
    let mut tx = db.begin_write().await?;
    let row: Option<KeyRow> = sqlx::query_as(&format!(
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING {KEY_COLUMNS}"
    ))
    .bind(now_ms())
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let key = from_row(row.ok_or(KeyError::NotFound)?);
    audit::record(&mut tx, actor, "api_key.revoke", ("api_key", id.to_string()), None::<&()>, Some(&key)).await?;
    tx.commit().await?;
    Ok(key)
}

/// The live key behind a secret: `Ok(None)` when unknown, `Err(Revoked)` when revoked.
pub async fn authenticate(db: &Db, secret: &str) -> Result<Option<(i64, Vec<Scope>)>, KeyError> {
    let found: Option<(i64, String, Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT id, scopes, revoked_at, last_used_at FROM api_keys WHERE key_hash = $1")
            .bind(hash(secret))
            .fetch_optional(db.pool())
            .await?;
    let Some((key_id, scopes, revoked, last_used)) = found else { return Ok(None) };
    if revoked.is_some() {
        return Err(KeyError::Revoked);
    }
    // Written at most once a minute per key, so busy keys do not queue writes.
    let now = now_ms();
    if last_used.is_none_or(|t| t < now - 60_000) {
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(key_id)
        .bind(now - 60_000)
        .execute(db.pool())
        .await?;
    }
    Ok(Some((key_id, parse_scopes(&scopes))))
}
