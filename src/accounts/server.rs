//! Server functions for logging in and out, the accounts page and the audit log.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use super::Account;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::accounts::audit::{self, Actor};
    pub use crate::accounts::auth::{self, authorize, state};
    pub use crate::accounts::store::{self, NewAccount};
    pub use crate::accounts::{passwords, Permission, Role};
    pub use axum::http::{header, HeaderValue};
    pub use leptos_axum::ResponseOptions;
}

/// The logged-in account, or `None`.
#[server]
pub async fn me() -> Result<Option<Account>, AppError> {
    ssr::auth::current_account().await
}

/// Only paths of this site are followed after login, so a link cannot send people elsewhere:
/// browsers drop tabs and new lines from URLs and read `\` as `/`, so `/\t/evil.example` would
/// become `//evil.example`; and a header cannot hold control characters at all.
pub fn safe_next(next: &str) -> &str {
    let plain = !next.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    if plain && next.starts_with('/') && !next.starts_with("//") {
        next
    } else {
        "/coupons"
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_plain_local_paths_are_followed() {
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "https://evil.example",
            "/a\nb",
            "/a\rb",
            "/a\u{7f}",
            "/a b",
            "",
            "evil",
        ] {
            assert_eq!(safe_next(bad), "/coupons", "{bad:?}");
        }
        assert_eq!(safe_next("/coupons/3?tab=codes"), "/coupons/3?tab=codes");
    }
}

#[server]
pub async fn login(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use ssr::*;
    let state = state()?;
    let parts = use_context::<axum::http::request::Parts>()
        .ok_or_else(|| AppError::internal("login", "no request parts in its context"))?;
    let address = auth::client_address(&state.config, &parts);
    let guard = auth::LoginGuard::new(&email, &address);
    guard.check(&state.db).await?;
    let found = store::find_for_login(&state.db, &email).await?;
    let (account, hash) = match found {
        Some((a, h)) => (Some(a), h),
        None => (None, passwords::decoy_hash().await),
    };
    let ok = passwords::verify(password, hash).await;
    let account = match account {
        Some(a) if ok && !a.disabled => a,
        Some(a) if ok && a.disabled => return Err(AppError::field("email", "this account is disabled")),
        found => {
            guard.failed(&state.db, found.as_ref().map(|a| a.id)).await?;
            return Err(AppError::field("password", "wrong email or password"));
        }
    };
    let cookie = auth::start_session(&state.db, &state.config, account.id).await?;
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        response.insert_header(header::SET_COOKIE, value);
    }
    leptos_axum::redirect(safe_next(next.as_deref().unwrap_or("/coupons")));
    Ok(())
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    use ssr::*;
    let state = state()?;
    if let Some(parts) = use_context::<axum::http::request::Parts>() {
        if let Some(token) = auth::session_token(&state.config, &parts.headers) {
            auth::end_session(&state.db, &token).await?;
        }
    }
    if let (Some(response), Ok(value)) =
        (use_context::<ResponseOptions>(), HeaderValue::from_str(&auth::clear_cookie(&state.config)))
    {
        response.insert_header(header::SET_COOKIE, value);
    }
    leptos_axum::redirect("/login");
    Ok(())
}

#[server]
pub async fn list_accounts() -> Result<Vec<Account>, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ManageAccounts).await?;
    Ok(store::list(&app.db).await?)
}

#[server]
pub async fn create_account(email: String, name: String, password: String, role: String) -> Result<Account, AppError> {
    use ssr::*;
    let (app, admin) = authorize(Permission::ManageAccounts).await?;
    let new = NewAccount::parse(&email, &name, &password, &role).map_err(AppError::Invalid)?;
    Ok(store::create(&app.db, &Actor::from(&admin), new).await?)
}

#[server]
pub async fn update_account(id: i64, role: String, disabled: bool) -> Result<Account, AppError> {
    use ssr::*;
    let (app, admin) = authorize(Permission::ManageAccounts).await?;
    let role = Role::parse(&role).ok_or_else(|| AppError::field("role", "choose admin, marketer or analyst"))?;
    if id == admin.id && disabled {
        return Err(AppError::Conflict("you cannot disable your own account".into()));
    }
    Ok(store::update(&app.db, &Actor::from(&admin), id, role, disabled).await?)
}

/// One entry of the audit log, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The audit log, newest first: all of it for admins, or one coupon's history for anyone who
/// can see coupons.
#[server(input = Json)]
pub async fn list_audit(entity: Option<(String, String)>, before_id: Option<i64>) -> Result<Vec<AuditEntry>, AppError> {
    use ssr::*;
    let permission = match &entity {
        Some((kind, _)) if kind == "coupon" => Permission::ViewCoupons,
        _ => Permission::ViewAudit,
    };
    let (app, _) = authorize(permission).await?;
    let rows = audit::list(&app.db, entity.as_ref().map(|(k, i)| (k.as_str(), i.as_str())), before_id, 100).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor_label,
            action: r.action,
            entity: r.entity_type,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
        })
        .collect())
}
