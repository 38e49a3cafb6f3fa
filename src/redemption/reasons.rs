//! Why a coupon cannot be used: the fixed list of reason codes, most important first.

use serde::{Deserialize, Serialize};

/// Declared in order of importance: sorting a list of reasons puts the most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    CodeNotFound,
    CouponNotActive,
    NotStarted,
    Expired,
    OutsideRedemptionWindow,
    OutsideSchedule,
    NotActivated,
    NotInAudience,
    NotTargeted,
    CodeAssignedToOtherUser,
    CodeAlreadyUsed,
    CartConditionsNotMet,
    NoEligibleItems,
    CurrencyMismatch,
    PerUserLimitReached,
    GlobalLimitReached,
    BudgetExhausted,
    PeriodCapReached,
    /// Only with several codes: an exclusive coupon in a stack, or one coupon twice.
    NotCombinable,
}

impl Reason {
    pub const ALL: [Reason; 19] = [
        Reason::CodeNotFound,
        Reason::CouponNotActive,
        Reason::NotStarted,
        Reason::Expired,
        Reason::OutsideRedemptionWindow,
        Reason::OutsideSchedule,
        Reason::NotActivated,
        Reason::NotInAudience,
        Reason::NotTargeted,
        Reason::CodeAssignedToOtherUser,
        Reason::CodeAlreadyUsed,
        Reason::CartConditionsNotMet,
        Reason::NoEligibleItems,
        Reason::CurrencyMismatch,
        Reason::PerUserLimitReached,
        Reason::GlobalLimitReached,
        Reason::BudgetExhausted,
        Reason::PeriodCapReached,
        Reason::NotCombinable,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::CodeNotFound => "code_not_found",
            Reason::CouponNotActive => "coupon_not_active",
            Reason::NotStarted => "not_started",
            Reason::Expired => "expired",
            Reason::OutsideRedemptionWindow => "outside_redemption_window",
            Reason::OutsideSchedule => "outside_schedule",
            Reason::NotActivated => "not_activated",
            Reason::NotInAudience => "not_in_audience",
            Reason::NotTargeted => "not_targeted",
            Reason::CodeAssignedToOtherUser => "code_assigned_to_other_user",
            Reason::CodeAlreadyUsed => "code_already_used",
            Reason::CartConditionsNotMet => "cart_conditions_not_met",
            Reason::NoEligibleItems => "no_eligible_items",
            Reason::CurrencyMismatch => "currency_mismatch",
            Reason::PerUserLimitReached => "per_user_limit_reached",
            Reason::GlobalLimitReached => "global_limit_reached",
            Reason::BudgetExhausted => "budget_exhausted",
            Reason::PeriodCapReached => "period_cap_reached",
            Reason::NotCombinable => "not_combinable",
        }
    }

    /// The reason in plain words, for shoppers' apps and the dashboard.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::CodeNotFound => "There is no such code.",
            Reason::CouponNotActive => "This coupon is not active.",
            Reason::NotStarted => "This coupon has not started yet.",
            Reason::Expired => "This coupon has expired.",
            Reason::OutsideRedemptionWindow => "This coupon cannot be redeemed at this time.",
            Reason::OutsideSchedule => "This coupon is not available at this hour or day.",
            Reason::NotActivated => "This coupon is not activated for this user yet.",
            Reason::NotInAudience => "This coupon is not offered to this user.",
            Reason::NotTargeted => "This user is not in the coupon's target group.",
            Reason::CodeAssignedToOtherUser => "This code belongs to another user.",
            Reason::CodeAlreadyUsed => "This code has already been used.",
            Reason::CartConditionsNotMet => "The cart does not meet the coupon's conditions.",
            Reason::NoEligibleItems => "Nothing in the cart is eligible for this coupon.",
            Reason::CurrencyMismatch => "The cart's currency differs from the coupon's.",
            Reason::PerUserLimitReached => "This user has used this coupon as often as allowed.",
            Reason::GlobalLimitReached => "This coupon has been used as often as allowed.",
            Reason::BudgetExhausted => "This coupon's budget cannot cover this discount.",
            Reason::PeriodCapReached => "This coupon has reached its limit for this period.",
            Reason::NotCombinable => "This coupon cannot be combined with the other coupons.",
        }
    }
}

/// One reason a coupon was refused, with what exactly failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub reason: Reason,
    pub message: String,
}

impl Refusal {
    pub fn new(reason: Reason) -> Refusal {
        Refusal { reason, message: reason.describe().to_string() }
    }

    pub fn with(reason: Reason, message: impl Into<String>) -> Refusal {
        Refusal { reason, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_the_spec_order() {
        let mut sorted = Reason::ALL;
        sorted.sort();
        assert_eq!(sorted, Reason::ALL);
        for r in Reason::ALL {
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.code()));
        }
    }
}
