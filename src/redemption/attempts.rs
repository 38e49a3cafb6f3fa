//! Every attempt that names a code — validate, redeem, the dashboard's "try it" — counts against
//! the same per-caller and per-user limits, so codes cannot be guessed faster through any door.

use super::store::{Request, Target};
use crate::config::Config;
use crate::db::Db;
use crate::error::AppError;
use crate::throttle::{self, MINUTE};

/// Who is asking: an API key or a dashboard account.
pub enum Caller {
    Key(i64),
    Account(i64),
}

/// Counts the attempt when it names a code; refuses with [`AppError::RateLimited`] once the
/// caller or the user has made too many this minute. Nothing else is written either way.
pub async fn count(db: &Db, config: &Config, caller: Caller, req: &Request, now_ms: i64) -> Result<(), AppError> {
    if !req.targets.iter().any(|t| matches!(t, Target::Code(_))) {
        return Ok(());
    }
    let caller = match caller {
        Caller::Key(id) => format!("codes:key:{id}"),
        Caller::Account(id) => format!("codes:account:{id}"),
    };
    let buckets =
        [(caller, config.validate_per_key), (format!("codes:user:{}", req.user_id), config.validate_per_user)];
    throttle::hit_all(db, &buckets, MINUTE, now_ms).await
}
