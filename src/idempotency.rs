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
    /// A hash of the endpoint and the body's JSON value: the same key on another request is
    /// refused, while a retry that orders its keys or spaces its JSON differently is the same.
    pub request_hash: String,
}

impl Idempotency {
    pub fn new(api_key_id: i64, key: &str, endpoint: &str, body: &[u8]) -> Idempotency {
        let mut hash = Sha256::new();
        hash.update(endpoint.as_bytes());
        hash.update([0]);
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(value) => canonical(&value, &mut hash),
            // Not JSON: the request fails its checks anyway; its bytes are all there is to compare.
            Err(_) => hash.update(body),
        }
        Idempotency { api_key_id, key: key.to_string(), request_hash: hex::encode(hash.finalize()) }
    }
}

/// Feeds `value` to the hash in one spelling: object keys sorted, no spaces.
fn canonical(value: &serde_json::Value, hash: &mut Sha256) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            hash.update(b"{");
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    hash.update(b",");
                }
                canonical(&Value::String(key.clone()), hash);
                hash.update(b":");
                canonical(&map[key], hash);
            }
            hash.update(b"}");
        }
        Value::Array(items) => {
            hash.update(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    hash.update(b",");
                }
                canonical(item, hash);
            }
            hash.update(b"]");
        }
        scalar => hash.update(scalar.to_string().as_bytes()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(body: &str) -> String {
        Idempotency::new(1, "k", "POST /redemptions", body.as_bytes()).request_hash
    }

    #[test]
    fn the_same_json_value_is_the_same_request() {
        let compact = r#"{"user_id":"u","cart":{"items":[{"sku":"A","qty":2}],"subtotal":100},"code":"X"}"#;
        let spaced = "{ \"code\": \"X\",\n  \"cart\": {\"subtotal\": 100, \"items\": [ {\"qty\": 2, \"sku\": \"A\"} ]},\n  \"user_id\": \"u\" }";
        assert_eq!(hash(compact), hash(spaced));
        assert_ne!(hash(compact), hash(&compact.replace("100", "101")), "another value");
        assert_ne!(hash(r#"{"a":[1,2]}"#), hash(r#"{"a":[2,1]}"#), "arrays keep their order");
        assert_ne!(hash(r#"{"a":"1"}"#), hash(r#"{"a":1}"#), "a string is not a number");
        assert_ne!(
            Idempotency::new(1, "k", "POST /validate", b"{}").request_hash,
            Idempotency::new(1, "k", "POST /redemptions", b"{}").request_hash
        );
        assert_eq!(hash("not json"), hash("not json"));
        assert_ne!(hash("not json"), hash("not  json"));
    }
}
