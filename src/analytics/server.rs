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
