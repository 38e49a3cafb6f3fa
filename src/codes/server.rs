//! Server functions for the codes pages: a coupon's batches and pool, generation, voiding.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Batch, Pool};
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::accounts::audit::Actor;
    pub use crate::accounts::auth::authorize;
    pub use crate::accounts::Permission;
    pub use crate::codes::store;
}

/// A coupon's codes page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodesOverview {
    pub coupon_id: i64,
    pub coupon_name: String,
    /// The coupon's zone, the one its page shows times in.
    pub time_zone: chrono_tz::Tz,
    /// `None` when the coupon does not use unique codes.
    pub pool: Option<Pool>,
    pub batches: Vec<Batch>,
    pub can_edit: bool,
    pub can_upload: bool,
    /// Largest upload, in MB.
    pub max_upload_mb: u64,
}

#[server]
pub async fn coupon_codes(coupon_id: i64) -> Result<CodesOverview, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::ViewCoupons).await?;
    let coupon = crate::coupons::store::get(&app.db, coupon_id).await?;
    Ok(CodesOverview {
        coupon_id,
        pool: store::pool(&app.db, &coupon).await?,
        time_zone: coupon.definition.time_zone,
        coupon_name: coupon.definition.name,
        batches: store::list(&app.db, Some(coupon_id)).await?,
        can_edit: account.can(Permission::EditCoupons),
        can_upload: account.can(Permission::UploadCodes),
        max_upload_mb: app.config.max_upload_bytes >> 20,
    })
}

/// A page of every coupon's batches, newest first, older than the batch `after`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPage {
    pub batches: Vec<Batch>,
    pub has_more: bool,
    pub can_edit: bool,
}

/// Batches per page of the list across coupons.
pub const PAGE: i64 = 50;

#[server]
pub async fn all_batches(after: Option<i64>) -> Result<BatchPage, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::ViewCoupons).await?;
    let (batches, has_more) = store::page(&app.db, None, after, PAGE).await?;
    Ok(BatchPage { batches, has_more, can_edit: account.can(Permission::EditCoupons) })
}

/// The generation form: numbers arrive as text, so a bad one is a field error, not a 400.
#[server]
pub async fn generate_codes(
    coupon_id: i64,
    count: String,
    pattern: Option<String>,
    prefix: Option<String>,
    length: Option<String>,
    charset: Option<String>,
) -> Result<Batch, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    let mut errors = crate::fields::FieldErrors::default();
    let number = |field: &str, text: &str, errors: &mut crate::fields::FieldErrors| {
        let parsed = text.trim().replace(',', "").parse::<i64>().ok();
        if parsed.is_none() {
            errors.add(field, "enter a whole number");
        }
        parsed
    };
    let count = number("count", &count, &mut errors);
    let length = match length.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(text) => number("length", text, &mut errors),
        None => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let input = super::pattern::GenerateInput { count: count.unwrap_or_default(), pattern, prefix, length, charset };
    let (count, pattern) = input.parse().map_err(AppError::Invalid)?;
    super::generate::generate(&app.db, &Actor::from(&account), coupon_id, count, &pattern)
        .await
        .map_err(|e| crate::answers::codes_at("count", e))
}

#[server]
pub async fn void_batch(batch_id: i64) -> Result<Batch, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    Ok(store::void(&app.db, &Actor::from(&account), batch_id).await?)
}
