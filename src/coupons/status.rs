//! The coupon lifecycle: `draft → active ⇄ paused → archived`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CouponStatus {
    Draft,
    Active,
    Paused,
    Archived,
}

impl CouponStatus {
    pub const ALL: [CouponStatus; 4] =
        [CouponStatus::Draft, CouponStatus::Active, CouponStatus::Paused, CouponStatus::Archived];

    pub fn as_str(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn parse(text: &str) -> Option<CouponStatus> {
        crate::wire::parse(text)
    }

    /// The moves the lifecycle allows; every other is refused.
    pub fn can_become(self, next: CouponStatus) -> bool {
        use CouponStatus::*;
        matches!((self, next), (Draft, Active) | (Active, Paused) | (Paused, Active) | (Paused, Archived))
    }

    /// The statuses reachable from this one, for the buttons on the detail page.
    pub fn next(self) -> Vec<CouponStatus> {
        CouponStatus::ALL.into_iter().filter(|n| self.can_become(*n)).collect()
    }

    /// The verb on the button that makes this status.
    pub fn verb(self) -> &'static str {
        match self {
            CouponStatus::Draft => "Back to draft",
            CouponStatus::Active => "Activate",
            CouponStatus::Paused => "Pause",
            CouponStatus::Archived => "Archive",
        }
    }

    /// Archived coupons are history: they can be read and duplicated, not changed.
    pub fn editable(self) -> bool {
        self != CouponStatus::Archived
    }
}

impl std::fmt::Display for CouponStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::CouponStatus::{self, *};

    #[test]
    fn allows_exactly_the_lifecycle() {
        let allowed = [(Draft, Active), (Active, Paused), (Paused, Active), (Paused, Archived)];
        for from in CouponStatus::ALL {
            for to in CouponStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from} → {to}");
            }
        }
    }

    #[test]
    fn parses_its_own_names() {
        for s in CouponStatus::ALL {
            assert_eq!(CouponStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(CouponStatus::parse("deleted"), None);
    }
}
