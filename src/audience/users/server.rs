//! Server functions for the users page: look a user up, reverse one of their redemptions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::AppUser;
use crate::audience::events::Event;
use crate::audience::tray::TrayEntry;
use crate::error::AppError;
use crate::wallet::WalletEntry;

/// A redemption as the users page lists it, with its money formatted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedemptionRow {
    pub id: i64,
    pub coupon_id: i64,
    pub coupon_name: String,
    pub code: Option<String>,
    pub order_id: Option<String>,
    pub discount: String,
    /// The discount in minor units, which a return form sends back (see [`return_part`]), and
    /// the eligible amount it was computed on, formatted.
    pub discount_minor: i64,
    pub eligible: String,
    pub cashback: i64,
    pub reversed: bool,
    #[serde(with = "crate::dates::rfc3339")]
    pub redeemed_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub user_id: String,
    /// `None` when the app never sent this user.
    pub user: Option<AppUser>,
    pub tray: Vec<TrayEntry>,
    pub redemptions: Vec<RedemptionRow>,
    pub balance: i64,
    pub wallet: Vec<WalletEntry>,
    pub events: Vec<Event>,
    /// `(id, name)` of the segments the user is in now.
    pub segments: Vec<(i64, String)>,
    /// When no user has this id: ids that start with it (a search).
    pub similar: Vec<String>,
    pub can_reverse: bool,
}

#[server]
pub async fn lookup_user(user_id: String) -> Result<UserView, AppError> {
    use crate::accounts::auth::authorize;
    use crate::accounts::Permission;
    use crate::redemption::store::{page, Filter, RedemptionStatus};
    let (app, account) = authorize(Permission::ViewCoupons).await?;
    let user_id = super::parse_user_id(&user_id).map_err(|m| AppError::field("user_id", m))?;
    let db = &app.db;
    let (redemptions, _) = page(db, &Filter::user(&user_id), None, 50).await?;
    let mut coupon_ids: Vec<i64> = redemptions.iter().map(|r| r.coupon_id).collect();
    coupon_ids.sort_unstable();
    coupon_ids.dedup();
    let names = crate::coupons::store::names(db, &coupon_ids).await?;
    let redemptions = redemptions
        .into_iter()
        .map(|r| RedemptionRow {
            id: r.id,
            coupon_id: r.coupon_id,
            coupon_name: names.get(&r.coupon_id).cloned().unwrap_or_else(|| format!("#{}", r.coupon_id)),
            code: r.code,
            order_id: r.order_id,
            discount: crate::money::format_in(&r.currency, r.discount),
            discount_minor: r.discount,
            eligible: crate::money::format_in(&r.currency, r.quote.eligible),
            cashback: r.cashback,
            reversed: r.status == RedemptionStatus::Reversed,
            redeemed_at: r.redeemed_at,
        })
        .collect();
    let user = super::get(db, &user_id).await?;
    let similar = match user {
        Some(_) => Vec::new(),
        None => super::starting_with(db, &user_id, 20).await?,
    };
    let properties = user.as_ref().map(|u| u.properties.clone()).unwrap_or_default();
    Ok(UserView {
        segments: crate::audience::segments::store::containing(db, &properties).await?,
        user,
        tray: crate::audience::tray::for_user(db, &user_id, chrono::Utc::now()).await?,
        redemptions,
        balance: crate::wallet::balance(db, &user_id).await?,
        wallet: crate::wallet::entries(db, &user_id, 20).await?,
        events: crate::audience::events::recent(db, &user_id, 20).await?,
        can_reverse: account.can(Permission::EditCoupons),
        similar,
        user_id,
    })
}

/// Gives back part of a redemption from the dashboard (a partial refund): `amount` of its
/// eligible amount, typed in its currency, returns its share of the discount and cashback.
/// `discount` is the discount the form was made with: if another return came first, this one is
/// refused rather than returning the part twice.
#[server]
pub async fn return_part(id: i64, discount: i64, amount: String, reason: String) -> Result<(), AppError> {
    use crate::accounts::auth::authorize;
    use crate::accounts::Permission;
    use crate::redemption::{returns::Return, store};
    let (app, account) = authorize(Permission::EditCoupons).await?;
    let actor = crate::accounts::audit::Actor::from(&account);
    let redemption = store::get(&app.db, id).await?;
    let mut errors = crate::fields::FieldErrors::default();
    let amount = match crate::money::Currency::parse(&redemption.currency) {
        Some(c) => errors.check("amount", c.parse_major(&amount)),
        None => errors.check("amount", Err(format!("{} is no longer a known currency", redemption.currency))),
    };
    if amount == Some(0) {
        errors.add("amount", "enter an amount above zero");
    }
    let reason = reason.trim();
    if reason.chars().count() > store::MAX_REASON {
        errors.add("reason", format!("at most {} characters", store::MAX_REASON));
    }
    let amount = errors.into_result(|| amount).map_err(AppError::Invalid)?.unwrap_or_default();
    let ret = Return { lines: Vec::new(), amount };
    let reason = (!reason.is_empty()).then_some(reason);
    store::reverse_part(&app.db, id, &ret, reason, &actor, store::Once::Seen(discount), chrono::Utc::now()).await?;
    Ok(())
}

/// Reverses a redemption from the dashboard (an order cancelled by support, say).
#[server]
pub async fn reverse_redemption(id: i64) -> Result<(), AppError> {
    use crate::accounts::auth::authorize;
    use crate::accounts::Permission;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    let actor = crate::accounts::audit::Actor::from(&account);
    crate::redemption::store::reverse(&app.db, id, None, &actor, chrono::Utc::now()).await?;
    Ok(())
}

/// What the app has actually sent: user property and event names, for the builders' suggestions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppNames {
    pub properties: Vec<String>,
    pub events: Vec<String>,
}

#[server]
pub async fn sent_names() -> Result<AppNames, AppError> {
    use crate::accounts::auth::authorize;
    use crate::accounts::Permission;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    Ok(AppNames {
        properties: super::property_names(&app.db).await?,
        events: crate::audience::events::names(&app.db).await?,
    })
}
