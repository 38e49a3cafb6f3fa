//! Server functions for the campaign pages.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::{Campaign, CampaignCounts, CampaignInput, Estimate};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::accounts::audit::Actor;
    pub use crate::accounts::auth::authorize;
    pub use crate::accounts::Permission;
    pub use crate::audience::campaigns::store;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    pub campaign: Campaign,
    pub counts: CampaignCounts,
    pub can_edit: bool,
}

/// What the new-campaign form offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchChoices {
    /// `(id, name, status)` of coupons that can be launched (not paused or archived).
    pub coupons: Vec<(i64, String, String)>,
    pub segments: Vec<(i64, String)>,
}

/// Campaigns per page of the list.
pub const PAGE: i64 = 50;

/// A page of the campaign list, newest first, after the campaign `after`; and whether more follow.
#[server]
pub async fn list_campaigns(after: Option<i64>) -> Result<(Vec<Campaign>, bool), AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    Ok(store::page(&app.db, None, after, PAGE).await?)
}

#[server]
pub async fn get_campaign(id: i64) -> Result<CampaignView, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::ViewCoupons).await?;
    let campaign = store::get(&app.db, id).await?;
    let counts = store::counts(&app.db, &campaign).await?;
    Ok(CampaignView { campaign, counts, can_edit: account.can(Permission::EditCoupons) })
}

#[server]
pub async fn campaign_choices() -> Result<LaunchChoices, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::EditCoupons).await?;
    let coupons: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, status FROM coupons WHERE status IN ('draft', 'active') ORDER BY name LIMIT 1000",
    )
    .fetch_all(app.db.pool())
    .await?;
    let segments: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM segments ORDER BY name LIMIT 1000").fetch_all(app.db.pool()).await?;
    Ok(LaunchChoices { coupons, segments })
}

/// What launching the coupon to the segment would do now, for the form to say before it runs.
#[server]
pub async fn estimate_launch(coupon_id: i64, segment_id: i64) -> Result<Estimate, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::EditCoupons).await?;
    Ok(store::estimate(&app.db, coupon_id, segment_id).await?)
}

/// Creates a campaign: launches it now, or schedules it.
#[server(input = Json)]
pub async fn create_campaign(input: CampaignInput) -> Result<Campaign, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    Ok(store::create(&app.db, &Actor::from(&account), &input, chrono::Utc::now()).await?)
}

#[server]
pub async fn cancel_campaign(id: i64) -> Result<Campaign, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    Ok(store::cancel(&app.db, &Actor::from(&account), id).await?)
}
