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
    /// The fields that changed, read from `before` and `after`.
    pub changes: Vec<super::changes::Change>,
}

/// What the audit page asks for, as its query string has it (blank parts are no filter).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub actor: String,
    pub entity: String,
    pub action: String,
    /// Days in UTC, `YYYY-MM-DD`, both included.
    pub from: String,
    pub to: String,
    pub before: Option<i64>,
}

/// A page of the audit log, and where the next (older) one starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub older: Option<i64>,
}

/// Rows on one page of the audit log.
#[cfg(feature = "ssr")]
const AUDIT_PAGE: i64 = 100;

#[cfg(feature = "ssr")]
fn entry(r: ssr::audit::AuditRow) -> AuditEntry {
    AuditEntry {
        changes: super::changes::changes(r.before.as_deref(), r.after.as_deref()),
        id: r.id,
        at: r.at,
        actor: r.actor_label,
        action: r.action,
        entity: r.entity_type,
        entity_id: r.entity_id,
        before: r.before,
        after: r.after,
    }
}

/// The whole audit log for admins: filtered, newest first, a page at a time.
#[server(input = Json)]
pub async fn search_audit(query: AuditQuery) -> Result<AuditPage, AppError> {
    use ssr::*;
    let (app, _) = authorize(Permission::ViewAudit).await?;
    let mut errors = crate::fields::FieldErrors::default();
    let day = |text: &str| chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d");
    let mut bound = |field: &str, text: &str, days_after: u64| {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match day(text) {
            Ok(d) => (d + chrono::Days::new(days_after)).and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()),
            Err(_) => {
                errors.add(field, "a date as YYYY-MM-DD");
                None
            }
        }
    };
    let since = bound("from", &query.from, 0);
    let until = bound("to", &query.to, 1);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    fn blank(text: &str) -> Option<&str> {
        Some(text.trim()).filter(|t| !t.is_empty())
    }
    let filter = audit::Filter {
        entity_type: blank(&query.entity),
        actor: blank(&query.actor),
        action: blank(&query.action),
        since,
        until,
        ..Default::default()
    };
    let rows = audit::list(&app.db, &filter, query.before, AUDIT_PAGE + 1).await?;
    let older = (rows.len() as i64 > AUDIT_PAGE).then(|| rows[AUDIT_PAGE as usize - 1].id);
    Ok(AuditPage { entries: rows.into_iter().take(AUDIT_PAGE as usize).map(entry).collect(), older })
}

/// One entity's history (a coupon's page), or the newest of the whole log; newest first.
#[server(input = Json)]
pub async fn list_audit(entity: Option<(String, String)>, before_id: Option<i64>) -> Result<Vec<AuditEntry>, AppError> {
    use ssr::*;
    let permission = match &entity {
        Some((kind, _)) if kind == "coupon" => Permission::ViewCoupons,
        _ => Permission::ViewAudit,
    };
    let (app, _) = authorize(permission).await?;
    let filter = audit::Filter { entity: entity.as_ref().map(|(k, i)| (k.as_str(), i.as_str())), ..Default::default() };
    Ok(audit::list(&app.db, &filter, before_id, AUDIT_PAGE).await?.into_iter().map(entry).collect())
}
