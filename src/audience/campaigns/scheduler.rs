//! The background task of every server: launches scheduled campaigns on time, folds new activity
//! into the analytics rollups (so reports only read), and now and then sweeps expired rows (see
//! [`crate::housekeeping`]).

use std::time::Duration;

use crate::db::Db;
use crate::state::CheckCounts;

/// Every `tick`, writes the checkout decisions counted, folds new activity into the rollups and
/// launches the campaigns that are due.
/// Safe to run on many servers at once: see [`crate::activity::derived::refresh`] and
/// [`super::store::launch_due`]. A campaign due while every server was down launches at the
/// first tick after a restart.
pub fn spawn(db: Db, checks: CheckCounts, tick: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut swept_at: Option<tokio::time::Instant> = None;
        loop {
            interval.tick().await;
            crate::housekeeping::close_interrupted_uploads(&db).await;
            if swept_at.is_none_or(|at| at.elapsed() >= crate::housekeeping::EVERY) {
                crate::housekeeping::run(&db).await;
                swept_at = Some(tokio::time::Instant::now());
            }
            if let Err(e) = crate::activity::checks::flush(&checks, &db).await {
                tracing::warn!(error = %e, "cannot write the checkout counts; keeping them for the next tick");
            }
            if let Err(e) = crate::activity::derived::refresh(&db).await {
                tracing::warn!(error = %e, "cannot fold activity into the rollups; trying again at the next tick");
            }
            match super::store::launch_due(&db, chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(launched = n, "scheduled campaigns launched"),
                Err(e) => tracing::warn!(error = %e, "scheduled launches failed; retrying at the next tick"),
            }
        }
    })
}
