//! The values every layer parses the same way: an app's user id, a coupon code and a money amount.
//! Dependency-free
//! (std and serde only), so the lowest module can use them; each layer turns the error into its own
//! words (a form field, an API problem, a file row's problem).

use serde::{Deserialize, Serialize};

pub const MIN_CODE_LEN: usize = 3;
pub const MAX_CODE_LEN: usize = 64;
pub const MAX_USER_ID_LEN: usize = 128;

/// An app's user id: 1–128 characters, no control characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

/// Why a text is not a user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserIdError {
    #[error("enter a user id")]
    Empty,
    #[error("a user id has at most {MAX_USER_ID_LEN} characters")]
    TooLong,
    #[error("a user id cannot contain control characters")]
    Control,
}

impl UserId {
    pub fn parse(text: &str) -> Result<UserId, UserIdError> {
        let id = text.trim();
        if id.is_empty() {
            Err(UserIdError::Empty)
        } else if id.chars().count() > MAX_USER_ID_LEN {
            Err(UserIdError::TooLong)
        } else if id.chars().any(char::is_control) {
            Err(UserIdError::Control)
        } else {
            Ok(UserId(id.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A code as stored and matched: trimmed, upper-cased, 3–64 characters of `A–Z 0–9 - _`. Codes
/// match case-insensitively because every stored code went through [`CouponCode::parse`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CouponCode(String);

/// Why a text is not a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("enter a code")]
    Empty,
    #[error("at least {MIN_CODE_LEN} characters")]
    TooShort,
    #[error("at most {MAX_CODE_LEN} characters")]
    TooLong,
    #[error("`{0}` is not allowed: use A–Z, 0–9, `-` and `_`")]
    BadCharacter(char),
}

impl CouponCode {
    pub fn parse(text: &str) -> Result<CouponCode, CodeError> {
        let code = text.trim().to_uppercase();
        if code.is_empty() {
            return Err(CodeError::Empty);
        }
        let len = code.chars().count();
        if len < MIN_CODE_LEN {
            return Err(CodeError::TooShort);
        }
        if len > MAX_CODE_LEN {
            return Err(CodeError::TooLong);
        }
        if let Some(bad) =
            code.chars().find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '-' | '_')))
        {
            return Err(CodeError::BadCharacter(bad));
        }
        Ok(CouponCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Largest amount accepted anywhere (minor units): far below `i64::MAX` so that sums of many
/// amounts, and percentages of them, can never overflow.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// A money amount in minor units (paise, cents), from zero to [`MAX_MINOR`]: what a reward, a
/// ceiling, a budget, a price or a fee is. Which currency it is in is its owner's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

/// Why a number is not an amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("cannot be negative")]
    Negative,
    #[error("must be more than zero")]
    Zero,
    #[error("amount is too large")]
    TooLarge,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// Any amount, zero included (a ceiling of zero turns a reward off).
    pub fn new(minor: i64) -> Result<Amount, AmountError> {
        if minor < 0 {
            Err(AmountError::Negative)
        } else if minor > MAX_MINOR {
            Err(AmountError::TooLarge)
        } else {
            Ok(Amount(minor))
        }
    }

    /// An amount that must be given: more than zero.
    pub fn positive(minor: i64) -> Result<Amount, AmountError> {
        if minor <= 0 {
            Err(AmountError::Zero)
        } else {
            Amount::new(minor)
        }
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Amount {
    type Error = AmountError;
    fn try_from(minor: i64) -> Result<Amount, AmountError> {
        Amount::new(minor)
    }
}

impl From<Amount> for i64 {
    fn from(a: Amount) -> i64 {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_trimmed_and_bounded() {
        assert_eq!(UserId::parse("  u-1 ").map(UserId::into_string), Ok("u-1".into()));
        assert_eq!(UserId::parse("   "), Err(UserIdError::Empty));
        assert_eq!(UserId::parse(&"x".repeat(129)), Err(UserIdError::TooLong));
        assert!(UserId::parse(&"é".repeat(128)).is_ok(), "characters, not bytes");
        assert_eq!(UserId::parse("a\u{7}b"), Err(UserIdError::Control));
    }

    #[test]
    fn codes_are_upper_cased_and_checked() {
        assert_eq!(CouponCode::parse(" save-10 ").map(CouponCode::into_string), Ok("SAVE-10".into()));
        assert_eq!(CouponCode::parse("ab"), Err(CodeError::TooShort));
        assert_eq!(CouponCode::parse(&"A".repeat(65)), Err(CodeError::TooLong));
        assert_eq!(CouponCode::parse("SAVE 10"), Err(CodeError::BadCharacter(' ')));
        assert_eq!(CouponCode::parse(""), Err(CodeError::Empty));
    }

    #[test]
    fn amounts_are_bounded_minor_units() {
        assert_eq!(Amount::new(0).map(Amount::minor), Ok(0));
        assert_eq!(Amount::new(-1), Err(AmountError::Negative));
        assert_eq!(Amount::new(MAX_MINOR + 1), Err(AmountError::TooLarge));
        assert_eq!(Amount::positive(0), Err(AmountError::Zero));
        assert_eq!(Amount::positive(-5), Err(AmountError::Zero));
        assert_eq!(Amount::positive(250).map(i64::from), Ok(250));
        assert!(serde_json::from_str::<Amount>("-3").is_err(), "the wire refuses what `new` refuses");
    }
}
