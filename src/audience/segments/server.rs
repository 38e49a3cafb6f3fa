//! Server functions for the segment pages.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::{Preview, Segment, SegmentInput, SegmentListItem};
use crate::conditions::RuleInput;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::accounts::audit::Actor;
    pub use crate::accounts::auth::authorize;
    pub use crate::accounts::Permission;
    pub use crate::audience::segments::store;
}

/// A segment as its page needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentView {
    pub segment: Option<Segment>,
    pub input: SegmentInput,
    pub can_edit: bool,
}

#[server]
pub async fn list_segments() -> Result<Vec<SegmentListItem>, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    Ok(store::list(&app.db).await?)
}

/// The segment `id`, or a blank one to build when `id` is `None`.
#[server]
pub async fn get_segment(id: Option<i64>) -> Result<SegmentView, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::ViewCoupons).await?;
    let segment = match id {
        Some(id) => Some(store::get(&app.db, id).await?),
        None => None,
    };
    Ok(SegmentView {
        input: segment.as_ref().map(SegmentInput::from).unwrap_or_default(),
        segment,
        can_edit: account.can(Permission::EditCoupons),
    })
}

#[server(input = Json)]
pub async fn save_segment(id: Option<i64>, input: SegmentInput) -> Result<Segment, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::EditCoupons).await?;
    let checked = input.parse().map_err(AppError::Invalid)?;
    Ok(store::save(&app.db, &Actor::from(&account), id, &checked).await?)
}

/// Who the rule being edited reaches, as it is edited.
#[server(input = Json)]
pub async fn preview_segment(rule: RuleInput) -> Result<Preview, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewCoupons).await?;
    let mut errors = crate::fields::FieldErrors::default();
    let rule = rule.parse("rule", &mut errors).ok_or(AppError::Invalid(errors))?;
    Ok(store::preview(&app.db, &rule).await?)
}
