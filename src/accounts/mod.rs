//! Dashboard accounts: roles and what they allow, sessions, passwords, the audit log, and the
//! login, accounts and audit pages.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod auth;
pub mod changes;
pub mod keys;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod passwords;
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, plus accounts, API keys and the audit log.
    Admin,
    /// Coupons, campaigns and codes.
    Marketer,
    /// Reads everything, changes nothing.
    Analyst,
}

/// What a role may do; every server function checks one of these on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ViewCoupons,
    EditCoupons,
    ManageAccounts,
    /// Create and revoke the API keys apps use.
    ManageKeys,
    ViewAudit,
    /// Upload files of codes (admins: a file can hand codes to any user).
    UploadCodes,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Marketer, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn parse(text: &str) -> Option<Role> {
        crate::wire::parse(text)
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Marketer => matches!(permission, ViewCoupons | EditCoupons),
            Role::Analyst => matches!(permission, ViewCoupons),
        }
    }
}

/// A dashboard account as pages see it (never its password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
}

impl Account {
    pub fn can(&self, permission: Permission) -> bool {
        !self.disabled && self.role.can(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::{Permission::*, Role::*};

    #[test]
    fn roles_allow_what_the_spec_says() {
        assert!(Admin.can(ManageAccounts) && Admin.can(ViewAudit) && Admin.can(EditCoupons));
        assert!(Marketer.can(EditCoupons) && !Marketer.can(ManageAccounts) && !Marketer.can(ViewAudit));
        assert!(Analyst.can(ViewCoupons) && !Analyst.can(EditCoupons) && !Analyst.can(ManageAccounts));
    }
}
