//! The dashboard's server functions for coupons. Each checks the caller's role, then calls the
//! parser and the store.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::input::CouponInput;
use super::status::CouponStatus;
use super::{Coupon, CouponPage, DisplayState, ListQuery};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::accounts::audit::Actor;
    pub use crate::accounts::auth::authorize;
    pub use crate::accounts::Permission;
    pub use crate::coupons::store;
}

/// A coupon as its detail and edit pages need it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouponView {
    pub coupon: Coupon,
    pub state: DisplayState,
    pub summary: String,
    pub input: CouponInput,
    pub uses: i64,
    pub can_edit: bool,
    /// Unique-code coupons: how many free codes are left.
    pub pool: Option<crate::codes::Pool>,
}

#[server(input = Json)]
pub async fn list_coupons(query: ListQuery) -> Result<CouponPage, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    Ok(store::list(&app.db, &query).await?)
}

#[server]
pub async fn get_coupon(id: i64) -> Result<CouponView, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::ViewCoupons).await?;
    let db = &app.db;
    let coupon = store::get(db, id).await?;
    let uses = store::global_uses(db, id).await?;
    let pool = crate::codes::store::pool(db, &coupon).await?;
    Ok(CouponView {
        pool,
        state: DisplayState::of(&coupon, uses, crate::db::now_ms()),
        summary: super::summary::describe_definition(&coupon.definition),
        input: CouponInput::from(&coupon.definition),
        can_edit: account.can(Permission::EditCoupons),
        uses,
        coupon,
    })
}

/// How a coupon is doing, for its page: limits used, its code pool, its pace, its latest uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CouponActivity {
    pub usage: crate::redemption::Usage,
    /// Unique-code coupons: its codes by state, over every batch.
    pub codes: Option<crate::codes::CodeCounts>,
    /// Redemptions (net of reversals' discount) over the last seven days, from the rollups.
    pub week_redemptions: i64,
    pub week_discount: i64,
    pub week_cashback: i64,
    /// Checks at validate over the same seven days, and how many found the coupon usable.
    pub week_validations: i64,
    pub week_valid: i64,
    /// Why it was refused over the same seven days, most refusals first (at most five).
    pub refusals: Vec<crate::analytics::RefusalCount>,
    pub recent: Vec<RecentRedemption>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentRedemption {
    pub id: i64,
    pub user_id: String,
    pub code: Option<String>,
    pub order_id: Option<String>,
    pub discount: i64,
    pub cashback: i64,
    pub reversed: bool,
    #[serde(with = "crate::dates::rfc3339")]
    pub redeemed_at: i64,
}

#[server]
pub async fn get_coupon_activity(id: i64) -> Result<CouponActivity, AppError> {
    use crate::analytics::period::Period;
    use crate::redemption::store::{page, usage, Filter, RedemptionStatus};
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    let db = &app.db;
    let coupon = store::get(db, id).await?;
    let now = chrono::Utc::now();
    let d = &coupon.definition;
    let codes = if d.uses_unique_codes() {
        let batches = crate::codes::store::list(db, Some(id)).await?;
        Some(batches.iter().fold(crate::codes::CodeCounts::default(), |mut sum, b| {
            sum.available += b.counts.available;
            sum.assigned += b.counts.assigned;
            sum.redeemed += b.counts.redeemed;
            sum.void += b.counts.void;
            sum
        }))
    } else {
        None
    };
    let today = now.with_timezone(&d.time_zone).date_naive();
    let week = Period { from: today - chrono::Days::new(6), to: today, zone: d.time_zone.name().to_string() };
    let report = crate::analytics::report::coupon(db, &coupon, &week, now.timestamp_millis()).await?;
    let in_currency = |amounts: &[crate::analytics::Amount]| amounts.iter().map(|a| a.minor).sum::<i64>();
    let recent = page(db, &Filter::coupon(id), None, 10)
        .await?
        .0
        .into_iter()
        .map(|r| RecentRedemption {
            id: r.id,
            user_id: r.user_id,
            code: r.code,
            order_id: r.order_id,
            discount: r.discount,
            cashback: r.cashback,
            reversed: r.status == RedemptionStatus::Reversed,
            redeemed_at: r.redeemed_at,
        })
        .collect();
    Ok(CouponActivity {
        usage: usage(db, id, d, now).await?,
        codes,
        week_redemptions: report.current.redemptions,
        week_discount: in_currency(&report.current.discount_given),
        week_cashback: in_currency(&report.current.cashback_given),
        week_validations: report.current.validations,
        week_valid: report.current.valid_validations,
        refusals: report.refusals.into_iter().take(5).collect(),
        recent,
    })
}

/// Creates (no `id`) or updates a coupon from the builder. Invalid input stores nothing and
/// comes back as field errors.
#[server(input = Json)]
pub async fn save_coupon(id: Option<i64>, version: Option<i64>, input: CouponInput) -> Result<i64, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    let definition = input.parse().map_err(AppError::Invalid)?;
    let db = &app.db;
    let actor = Actor::from(&account);
    let coupon = match id {
        None => store::create(db, &actor, &definition).await?,
        Some(id) => store::update(db, &actor, id, version, &definition).await?,
    };
    Ok(coupon.id)
}

#[server]
pub async fn change_status(id: i64, status: String) -> Result<CouponStatus, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    let next = CouponStatus::parse(&status).ok_or_else(|| AppError::field("status", "unknown status"))?;
    let coupon = store::set_status(&app.db, &Actor::from(&account), id, next).await?;
    Ok(coupon.status)
}
