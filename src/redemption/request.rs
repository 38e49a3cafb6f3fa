//! What a validate or redeem asks: one user, one cart, the codes or coupons they name.

use serde::{Deserialize, Serialize};

use super::cart::Cart;
use crate::metadata::Metadata;

/// What the shopper used: a code they typed, or a coupon by id (using the code they hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Code(String),
    Coupon(i64),
}

/// A validate or redeem: one user, one cart, 1 to [`super::stack::MAX_CODES`] codes or coupons.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub user_id: String,
    pub targets: Vec<Target>,
    pub cart: Cart,
    pub order_id: Option<String>,
    /// Kept with each redemption recorded.
    pub metadata: Metadata,
}
