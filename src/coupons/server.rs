//! The dashboard's server functions for coupons. Each checks the caller's role, then calls the
//! parser and the store.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::input::CouponInput;
use super::status::CouponStatus;
use super::{Coupon, CouponListItem, DisplayState, ListQuery};
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
pub async fn list_coupons(query: ListQuery) -> Result<Vec<CouponListItem>, AppError> {
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
