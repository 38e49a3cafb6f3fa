//! Every attempt that names a code — validate, redeem, the dashboard's "try it" — counts against
//! the same per-caller and per-user limits, so codes cannot be guessed faster through any door.

use super::request::{Request, Target};
use crate::config::Config;
use crate::db::Db;
use crate::throttle::ThrottleError;
use crate::throttle::{self, MINUTE};

/// Who is asking: an API key or a dashboard account.
pub enum By {
    Key(i64),
    Account(i64),
}

/// The buckets one attempt counts in, with their limits; none when it names no code.
pub struct Attempts(Vec<(String, u32)>);

impl Attempts {
    pub fn of(config: &Config, by: By, req: &Request) -> Attempts {
        if !req.targets.iter().any(|t| matches!(t, Target::Code(_))) {
            return Attempts(Vec::new());
        }
        let caller = match by {
            By::Key(id) => format!("codes:key:{id}"),
            By::Account(id) => format!("codes:account:{id}"),
        };
        Attempts(vec![
            (caller, config.validate_per_key),
            (format!("codes:user:{}", req.user_id), config.validate_per_user),
        ])
    }

    /// Nothing to count: the engine's own redemptions (demo data, tests of the engine).
    pub fn none() -> Attempts {
        Attempts(Vec::new())
    }

    /// Counts the attempt on its own; refuses with [`ThrottleError::Limited`] once the caller or
    /// the user has made too many this minute.
    pub async fn count(&self, db: &Db, now_ms: i64) -> Result<(), ThrottleError> {
        if self.0.is_empty() {
            return Ok(()); // no connection taken for nothing
        }
        self.count_in(&mut *db.pool().acquire().await?, now_ms).await
    }

    /// Counts the attempt inside a write transaction that is open anyway (SQLite's one writer
    /// then takes its lock once per redemption, not twice). Refused, the transaction is rolled
    /// back by its caller, and the count with it: a bucket over its limit stays over it.
    pub async fn count_in(&self, conn: &mut sqlx::AnyConnection, now_ms: i64) -> Result<(), ThrottleError> {
        if self.0.is_empty() {
            return Ok(());
        }
        throttle::hit_all(conn, &self.0, MINUTE, now_ms).await
    }
}
