//! A coupon's timing rules: who must hold it to use it, whether it is used with a code of the
//! user's own, and when it becomes usable and stops being usable for one user. Redemption,
//! assignments and the tray all read them from here.

use serde::{Deserialize, Serialize};

use super::definition::{Activation, Audience, CouponDefinition, Distribution, Expiry, ExpiryAnchor};
use super::Coupon;

/// A coupon held by the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentFacts {
    #[serde(with = "crate::dates::rfc3339")]
    pub assigned_at: i64,
    #[serde(with = "crate::dates::rfc3339::option")]
    pub activated_at: Option<i64>,
    pub code_id: Option<i64>,
}

impl CouponDefinition {
    /// Whether using the coupon needs the user to hold an assignment.
    pub fn needs_assignment(&self) -> bool {
        self.audience == Audience::Campaign || matches!(self.distribution, Distribution::EventTriggered { .. })
    }

    /// Whether the coupon is used with a unique code of its own.
    pub fn uses_unique_codes(&self) -> bool {
        matches!(self.distribution, Distribution::Unique | Distribution::EventTriggered { unique_codes: true, .. })
    }
}

impl Coupon {
    /// When the coupon became usable for this user, if it has.
    pub fn activated_at(&self, assignment: Option<&AssignmentFacts>) -> Option<i64> {
        match &self.definition.activation {
            Activation::Event { .. } => assignment.and_then(|a| a.activated_at),
            Activation::Time { from } => {
                let from = from.map(|f| f.timestamp_millis()).or(self.live_since)?;
                Some(assignment.map_or(from, |a| from.max(a.assigned_at)))
            }
        }
    }

    /// When the coupon stops being usable for this user (the earliest of its expiries), if ever.
    pub fn expires_at(&self, assignment: Option<&AssignmentFacts>) -> Option<i64> {
        match &self.definition.expiry {
            Expiry::Never => None,
            Expiry::Fixed { at } => Some(at.timestamp_millis()),
            Expiry::Relative { duration, relative_to } => {
                let anchor = match relative_to {
                    ExpiryAnchor::Assignment => assignment.map(|a| a.assigned_at),
                    ExpiryAnchor::Activation => self.activated_at(assignment),
                }?;
                Some(anchor.saturating_add(duration.seconds() * 1000))
            }
        }
    }
}
