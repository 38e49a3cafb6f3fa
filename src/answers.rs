//! How each domain's error answers: the dashboard's [`AppError`], and through it the API's
//! (`ApiError: From<AppError>`). Field paths and the words a person reads live here, at the edge;
//! a failure nobody can fix by changing the request is logged here, once, with what failed.

use crate::accounts::keys::store::KeyError;
use crate::accounts::store::AccountError;
use crate::audience::campaigns::store::{CampaignError, Refusal};
use crate::audience::segments::store::SegmentError;
use crate::audience::users::import::UserImportError;
use crate::codes::store::CodesError;
use crate::coupons::store::CouponError;
use crate::error::AppError;
use crate::idempotency::IdempotencyError;
use crate::redemption::store::RedemptionError;
use crate::throttle::ThrottleError;
use crate::wallet::WalletError;

fn conflict(e: impl std::fmt::Display) -> AppError {
    AppError::Conflict(e.to_string())
}

fn field(name: &str, e: impl std::fmt::Display) -> AppError {
    AppError::field(name, e.to_string())
}

fn logged(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "{what}");
    AppError::Internal
}

impl From<ThrottleError> for AppError {
    fn from(e: ThrottleError) -> Self {
        match e {
            ThrottleError::Limited { retry_after } => AppError::RateLimited { retry_after },
            ThrottleError::Store(e) => e.into(),
        }
    }
}

impl From<IdempotencyError> for AppError {
    fn from(e: IdempotencyError) -> Self {
        match e {
            IdempotencyError::Reused | IdempotencyError::InProgress => conflict(e),
            IdempotencyError::Store(e) => e.into(),
        }
    }
}

impl From<WalletError> for AppError {
    fn from(e: WalletError) -> Self {
        match e {
            WalletError::TooFew { .. } => field("points", e),
            WalletError::Idempotency(e) => e.into(),
            WalletError::Store(e) => e.into(),
        }
    }
}

impl From<CouponError> for AppError {
    fn from(e: CouponError) -> Self {
        match e {
            CouponError::NotFound => AppError::NotFound,
            CouponError::CodeTaken { .. } => field("distribution.code", e),
            CouponError::Stale
            | CouponError::Archived
            | CouponError::ChangedMeanwhile
            | CouponError::CannotBecome { .. } => conflict(e),
            CouponError::Store(e) => e.into(),
        }
    }
}

impl From<CodesError> for AppError {
    fn from(e: CodesError) -> Self {
        codes_at("file", e)
    }
}

/// A codes error, with a coupon that takes no codes shown at `field` (the file of an upload,
/// the count of a generation).
pub fn codes_at(at: &str, e: CodesError) -> AppError {
    match e {
        CodesError::NoSuchBatch | CodesError::NoSuchCode => AppError::NotFound,
        CodesError::NotUniqueCodes => field(at, e),
        CodesError::PatternTooSmall(_) => field("pattern", e),
        CodesError::EmptyFile => field("file", e),
        CodesError::Invalid(errors) => AppError::Invalid(errors),
        CodesError::ArchivedCoupon
        | CodesError::PatternFull { .. }
        | CodesError::Interrupted
        | CodesError::AlreadyVoided
        | CodesError::StaticCode
        | CodesError::CodeRedeemed
        | CodesError::NotStored => conflict(e),
        CodesError::Spill(_) => logged("code import failed", e),
        CodesError::Coupon(e) => e.into(),
        CodesError::Store(e) => e.into(),
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken => AppError::field("email", "already has an account"),
            AccountError::NotFound => AppError::NotFound,
            AccountError::LastAdmin | AccountError::BadAdminEmail(_) => conflict(e),
            AccountError::Hashing(_) => logged("password hashing failed", e),
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<KeyError> for AppError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::BadName => AppError::field("name", "enter a name of 1–100 characters"),
            KeyError::NoScopes => AppError::field("scopes", "choose at least one scope"),
            KeyError::NotFound => AppError::NotFound,
            KeyError::Revoked => AppError::Unauthenticated,
            KeyError::Store(e) => e.into(),
        }
    }
}

impl From<SegmentError> for AppError {
    fn from(e: SegmentError) -> Self {
        match e {
            SegmentError::NotFound => AppError::NotFound,
            SegmentError::NameTaken => field("name", e),
            SegmentError::Store(e) => e.into(),
        }
    }
}

impl From<CampaignError> for AppError {
    fn from(e: CampaignError) -> Self {
        match e {
            CampaignError::NotFound => AppError::NotFound,
            CampaignError::NoSuchCoupon => field("coupon_id", e),
            CampaignError::NoSuchSegment => field("segment_id", e),
            CampaignError::Invalid(errors) => AppError::Invalid(errors),
            CampaignError::Refused(ref why) => match why {
                Refusal::CouponStopped(_) => field("coupon_id", why),
                Refusal::NoUsers => field("segment_id", why),
                Refusal::TooFewCodes { .. } => conflict(why),
            },
            CampaignError::NotScheduled => conflict(e),
            CampaignError::Coupon(e) => e.into(),
            CampaignError::Store(e) => e.into(),
        }
    }
}

impl From<UserImportError> for AppError {
    fn from(e: UserImportError) -> Self {
        match e {
            UserImportError::Empty => field("body", e),
            UserImportError::Parser(_) => logged("user import failed", e),
            UserImportError::Store(e) => e.into(),
        }
    }
}

impl From<RedemptionError> for AppError {
    fn from(e: RedemptionError) -> Self {
        match e {
            RedemptionError::NotFound => AppError::NotFound,
            RedemptionError::OrderTaken { .. } | RedemptionError::AlreadyReversed | RedemptionError::Changed => {
                conflict(e)
            }
            RedemptionError::Invalid(errors) => AppError::Invalid(errors),
            RedemptionError::Throttled(e) => e.into(),
            RedemptionError::Idempotency(e) => e.into(),
            RedemptionError::Store(e) => e.into(),
        }
    }
}
