//! Rate limits for validation, counted in the database so they hold across servers: a fixed
//! one-minute window per bucket (an API key, a user), one upsert per check.

use axum::http::StatusCode;

use super::ApiError;
use crate::db::Db;
use crate::error::AppError;

const WINDOW_MS: i64 = 60_000;

/// Counts one hit in `bucket`; refuses with 429 and `Retry-After` once `limit` hits were counted
/// in the current minute.
pub async fn hit(db: &Db, bucket: &str, limit: u32, now_ms: i64) -> Result<(), ApiError> {
    let window = now_ms - now_ms.rem_euclid(WINDOW_MS);
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window)
    .fetch_one(db.pool())
    .await
    .map_err(AppError::from)?;
    if hits == 1 {
        // The first hit of a window sweeps windows long past, so the table stays small.
        sqlx::query("DELETE FROM rate_limits WHERE bucket = $1 AND window_start < $2")
            .bind(bucket)
            .bind(window)
            .execute(db.pool())
            .await
            .map_err(AppError::from)?;
    }
    if hits > i64::from(limit) {
        let retry_after = ((window + WINDOW_MS - now_ms) / 1000).max(1) as u64;
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many validations; try again in {retry_after} s"),
        );
        error.retry_after = Some(retry_after);
        return Err(error);
    }
    Ok(())
}
