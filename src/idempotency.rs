//! Idempotency keys: a retried request with the same key and body gets the first answer back;
//! the same key with another body is a conflict. The key is claimed first in the transaction that
//! does the work, so two concurrent retries cannot both do it.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::db::{StoreError, Tx};

/// Why a key cannot be used for this request.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("this Idempotency-Key was used with a different request")]
    Reused,
    #[error("a request with this Idempotency-Key is in progress")]
    InProgress,
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(IdempotencyError);

/// An `Idempotency-Key` and the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub api_key_id: i64,
    pub key: String,
    /// A hash of the endpoint and the body: the same key on another request is refused.
    pub request_hash: String,
}

impl Idempotency {
    pub fn new(api_key_id: i64, key: &str, endpoint: &str, body: &[u8]) -> Idempotency {
        let mut hash = Sha256::new();
        hash.update(endpoint.as_bytes());
        hash.update([0]);
        hash.update(body);
        Idempotency { api_key_id, key: key.to_string(), request_hash: hex::encode(hash.finalize()) }
    }
}

/// Records the key as taken by this transaction. When another request took it first, returns
/// that request's stored answer (waiting for it to commit), or a conflict if it was another request.
pub async fn claim(tx: &mut Tx, idem: &Idempotency, now: DateTime<Utc>) -> Result<Option<String>, IdempotencyError> {
    let claimed: Option<String> = sqlx::query_scalar(
        "INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (api_key_id, key) DO NOTHING RETURNING key",
    )
    .bind(idem.api_key_id)
    .bind(&idem.key)
    .bind(&idem.request_hash)
    .bind(now.timestamp_millis())
    .fetch_optional(&mut **tx)
    .await?;
    if claimed.is_some() {
        return Ok(None);
    }
    let (hash, response): (String, Option<String>) =
        sqlx::query_as("SELECT request_hash, response FROM idempotency_keys WHERE api_key_id = $1 AND key = $2")
            .bind(idem.api_key_id)
            .bind(&idem.key)
            .fetch_one(&mut **tx)
            .await?;
    if hash != idem.request_hash {
        return Err(IdempotencyError::Reused);
    }
    response.map(Some).ok_or(IdempotencyError::InProgress)
}

/// Stores the answer a replay will get, in the transaction that claimed the key.
pub async fn finish(tx: &mut Tx, idem: &Idempotency, status: u16, response: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE idempotency_keys SET response = $1, status_code = $2 WHERE api_key_id = $3 AND key = $4")
        .bind(response)
        .bind(i64::from(status))
        .bind(idem.api_key_id)
        .bind(&idem.key)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Forgets keys first used before `before` (housekeeping).
pub async fn sweep(db: &crate::db::Db, before: i64) -> Result<u64, sqlx::Error> {
    let swept =
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(db.pool()).await?;
    Ok(swept.rows_affected())
}
