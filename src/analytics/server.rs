//! Server functions for the analytics pages (read-only: every role may call them).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::{PeriodInput, Report};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::accounts::auth::authorize;
    pub use crate::accounts::Permission;
    pub use crate::analytics::report;
    pub use crate::coupons::store as coupons;
}

/// A coupon's report; the period defaults to the last 30 days in the coupon's time zone.
#[server(input = Json)]
pub async fn coupon_analytics(id: i64, period: PeriodInput) -> Result<Report, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    let coupon = coupons::get(&app.db, id).await?;
    let now = chrono::Utc::now();
    let period = period.resolve(coupon.definition.time_zone.name(), now).map_err(AppError::Invalid)?;
    Ok(report::coupon(&app.db, &coupon, &period, now.timestamp_millis()).await?)
}

/// The report across coupons; the period defaults to the last 30 days in the time zone most
/// coupons use.
#[server(input = Json)]
pub async fn overview_analytics(period: PeriodInput) -> Result<Report, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    let now = chrono::Utc::now();
    let zone = report::usual_zone(&app.db).await?;
    let period = period.resolve(&zone, now).map_err(AppError::Invalid)?;
    Ok(report::overview(&app.db, &period, now.timestamp_millis()).await?)
}

/// The people who redeemed in the period and in the period before it, each once: exact, and
/// asked apart from the report because it reads every redemption of the range (see
/// `report::redeemers`). `coupon_id` none is across coupons.
#[server(input = Json)]
pub async fn count_redeemers(coupon_id: Option<i64>, period: PeriodInput) -> Result<(i64, i64), AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    let now = chrono::Utc::now();
    let zone = match coupon_id {
        Some(id) => coupons::get(&app.db, id).await?.definition.time_zone.name().to_string(),
        None => report::usual_zone(&app.db).await?,
    };
    let period = period.resolve(&zone, now).map_err(AppError::Invalid)?;
    let current = report::redeemers(&app.db, coupon_id, period.bounds_ms()).await?;
    let before = report::redeemers(&app.db, coupon_id, period.previous().bounds_ms()).await?;
    Ok((current, before))
}
