//! Sweeps what has expired — dashboard sessions, idempotency keys past their keeping time,
//! rate-limit windows long over — so those tables stay the size of what is live. Runs on every
//! server's scheduler tick, at most once an hour each; deleting is safe to race.

use crate::db::{now_ms, Db};

/// How long an `Idempotency-Key` is remembered: a retry within this returns the first answer.
pub const IDEMPOTENCY_KEPT_MS: i64 = 7 * 24 * 3_600_000;

/// How often one server sweeps.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub idempotency_keys: u64,
    pub rate_limits: u64,
}

pub async fn sweep(db: &Db, now: i64) -> Result<Swept, sqlx::Error> {
    let sessions = crate::accounts::auth::sweep_expired_sessions(db, now).await?;
    let idempotency_keys = crate::idempotency::sweep(db, now - IDEMPOTENCY_KEPT_MS).await?;
    Ok(Swept { sessions, idempotency_keys, rate_limits: crate::throttle::sweep(db, now).await? })
}

/// Closes code uploads whose import died with its server (each tick: it is one cheap read
/// unless there is something to close).
pub async fn close_interrupted_uploads(db: &Db) {
    match crate::codes::store::close_interrupted(db).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!("{n} code uploads were cut off by a server stop; marked failed"),
        Err(e) => tracing::warn!(error = %e, "cannot close interrupted uploads; trying again at the next tick"),
    }
}

/// One housekeeping step, logged; failures wait for the next one.
pub async fn run(db: &Db) {
    match sweep(db, now_ms()).await {
        Ok(swept) if swept == Swept::default() => {}
        Ok(swept) => tracing::info!(?swept, "expired rows swept"),
        Err(e) => tracing::warn!(error = %e, "housekeeping failed; trying again at the next step"),
    }
}
