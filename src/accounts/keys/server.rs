//! Server functions for the API keys page (admins only).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::ApiKey;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::accounts::audit::Actor;
    pub use crate::accounts::auth::authorize;
    pub use crate::accounts::keys::store;
    pub use crate::accounts::Permission;
}

/// A key just created, with the secret shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewKey {
    pub key: ApiKey,
    pub secret: String,
}

#[server]
pub async fn list_api_keys() -> Result<Vec<ApiKey>, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ManageKeys).await?;
    Ok(store::list(&app.db).await?)
}

/// Checkboxes post `on` when ticked and nothing otherwise.
#[server]
pub async fn create_api_key(
    name: String,
    checkout: Option<String>,
    manage: Option<String>,
) -> Result<NewKey, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::ManageKeys).await?;
    use crate::accounts::keys::Scope;
    let scopes: Vec<Scope> = [(checkout, Scope::Checkout), (manage, Scope::Manage)]
        .into_iter()
        .filter_map(|(ticked, scope)| ticked.is_some().then_some(scope))
        .collect();
    let (key, secret) = store::create(&app.db, &Actor::from(&account), &name, &scopes).await?;
    Ok(NewKey { key, secret })
}

#[server]
pub async fn revoke_api_key(id: i64) -> Result<ApiKey, AppError> {
    use ssr::*;
    let (app, account) = authorize(Permission::ManageKeys).await?;
    Ok(store::revoke(&app.db, &Actor::from(&account), id).await?)
}
