//! Attempt counters held in the database, so a limit holds across any number of servers: a
//! fixed window per bucket (an API key, an app user, an account, a client address), one upsert
//! per attempt.

use crate::db::{Db, StoreError};

/// A refused attempt, or the count could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum ThrottleError {
    #[error("too many attempts; try again in {retry_after} s")]
    Limited { retry_after: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(ThrottleError);

pub const MINUTE: i64 = 60_000;

/// Windows older than this are swept by the housekeeping tick; no limit uses a longer window
/// (the longest, the login throttle's, is 15 minutes).
pub const LONGEST_WINDOW: i64 = 60 * MINUTE;

fn window_start(window_ms: i64, now_ms: i64) -> i64 {
    now_ms - now_ms.rem_euclid(window_ms)
}

fn limited(window_ms: i64, now_ms: i64) -> ThrottleError {
    ThrottleError::Limited { retry_after: retry_after(window_ms, now_ms) }
}

/// Whole seconds to the end of the current window, at least one.
fn retry_after(window_ms: i64, now_ms: i64) -> u64 {
    let end = window_start(window_ms, now_ms) + window_ms;
    ((end - now_ms + 999) / 1000).max(1) as u64
}

/// Counts one attempt in each bucket with one statement (one write, where SQLite takes its lock
/// once) and returns each bucket's count in the current window.
pub async fn add_all(
    conn: &mut sqlx::AnyConnection,
    buckets: &[&str],
    window_ms: i64,
    now_ms: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    let mut sorted = buckets.to_vec();
    // The same order everywhere: concurrent upserts of the same rows never deadlock.
    sorted.sort_unstable();
    let rows = (0..sorted.len()).map(|i| format!("(${}, $1, 1)", i + 2)).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES {rows}
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
         RETURNING bucket, hits"
    );
    let mut query = sqlx::query_as::<_, (String, i64)>(&sql).bind(window_start(window_ms, now_ms));
    for bucket in sorted {
        query = query.bind(bucket);
    }
    Ok(query.fetch_all(conn).await?)
}

/// Counts one attempt in each bucket; refuses when any bucket is over its limit.
pub async fn hit_all(
    conn: &mut sqlx::AnyConnection,
    buckets: &[(String, u32)],
    window_ms: i64,
    now_ms: i64,
) -> Result<(), ThrottleError> {
    let names: Vec<&str> = buckets.iter().map(|(b, _)| b.as_str()).collect();
    let counted = add_all(conn, &names, window_ms, now_ms).await?;
    let over =
        counted.iter().any(|(bucket, hits)| buckets.iter().any(|(b, limit)| b == bucket && *hits > i64::from(*limit)));
    if over {
        return Err(limited(window_ms, now_ms));
    }
    Ok(())
}

/// Refuses when `bucket` already holds `limit` attempts in the current window, without counting
/// one: for limits on failures, counted only once an attempt has failed.
pub async fn check(db: &Db, bucket: &str, limit: u32, window_ms: i64, now_ms: i64) -> Result<(), ThrottleError> {
    let hits: Option<i64> = sqlx::query_scalar("SELECT hits FROM rate_limits WHERE bucket = $1 AND window_start = $2")
        .bind(bucket)
        .bind(window_start(window_ms, now_ms))
        .fetch_optional(db.pool())
        .await?;
    if hits.unwrap_or(0) >= i64::from(limit) {
        return Err(limited(window_ms, now_ms));
    }
    Ok(())
}

/// Forgets windows that ended long ago; returns how many were removed.
pub async fn sweep(db: &Db, now_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
        .bind(now_ms - LONGEST_WINDOW)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_counts_to_the_end_of_the_window() {
        let at = 10 * MINUTE + 59_500;
        assert_eq!(retry_after(MINUTE, at), 1);
        assert_eq!(retry_after(MINUTE, 10 * MINUTE), 60);
        assert_eq!(retry_after(15 * MINUTE, 10 * MINUTE + 1), 300);
    }
}
