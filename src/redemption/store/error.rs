//! What stops a redemption being made, read or reversed.

use crate::db::StoreError;

/// Why a redemption was not made, read or reversed (a refused cart is an answer, not an error).
#[derive(Debug, thiserror::Error)]
pub enum RedemptionError {
    #[error("no such redemption")]
    NotFound,
    #[error("this redemption is reversed: nothing is left to return")]
    AlreadyReversed,
    /// A return from a form made before another return of the same redemption.
    #[error("this redemption changed since the page was loaded: look at it again")]
    Changed,
    /// A partial reverse asked for more than is left, or for a line that is not there.
    #[error("{0}")]
    Invalid(crate::fields::FieldErrors),
    #[error("order {order_id} has already redeemed coupon {coupon_id}")]
    OrderTaken { order_id: String, coupon_id: i64 },
    #[error(transparent)]
    Throttled(#[from] crate::throttle::ThrottleError),
    #[error(transparent)]
    Idempotency(#[from] crate::idempotency::IdempotencyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(RedemptionError);
