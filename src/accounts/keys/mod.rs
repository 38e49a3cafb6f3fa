//! API keys for apps: created by admins (the secret is shown once and stored only as a hash),
//! scoped, revocable at once on every server.

use serde::{Deserialize, Serialize};

pub mod pages;
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Users, events, trays, validate, redeem, reverse, wallets: what a shop's backend does.
    Checkout,
    /// Coupons and codes: what a back-office integration does.
    Manage,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn parse(text: &str) -> Option<Scope> {
        crate::wire::parse(text.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[serde(with = "crate::dates::rfc3339::option")]
    pub last_used_at: Option<i64>,
    #[serde(with = "crate::dates::rfc3339::option")]
    pub revoked_at: Option<i64>,
}
