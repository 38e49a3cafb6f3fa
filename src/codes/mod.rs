//! Codes: what a shopper types. Normalization and the code alphabet, patterns for generating
//! codes, the rows of an uploaded file, and the batches codes arrive in.

use serde::{Deserialize, Serialize};

use crate::values::CouponCode;

pub mod pattern;
pub mod rows;
pub mod server;

#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod generate;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod lifecycle;
#[cfg(feature = "ssr")]
pub mod single;
#[cfg(feature = "ssr")]
pub mod store;

pub mod pages;

pub use crate::values::{CodeError, MAX_CODE_LEN, MIN_CODE_LEN};

/// Normalizes a code as typed (trimmed, upper-cased) and checks it (see [`CouponCode`]).
pub fn check(text: &str) -> Result<String, CodeError> {
    CouponCode::parse(text).map(CouponCode::into_string)
}

/// [`check`] with the reason in words, for form fields.
pub fn normalize(text: &str) -> Result<String, String> {
    check(text).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchKind {
    Generated,
    Uploaded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    /// An upload being checked and stored right now (or cut off by a server stop).
    Importing,
    Ready,
    /// Refused: nothing of it was stored.
    Failed,
    /// Its unused codes were voided.
    Voided,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn parse(text: &str) -> Option<BatchStatus> {
        crate::wire::parse(text)
    }
}

/// How many of a batch's codes are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CodeCounts {
    pub available: i64,
    pub assigned: i64,
    pub redeemed: i64,
    pub void: i64,
}

impl CodeCounts {
    pub fn total(&self) -> i64 {
        self.available + self.assigned + self.redeemed + self.void
    }
}

/// A batch as pages and the API show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Batch {
    pub id: i64,
    pub coupon_id: i64,
    pub coupon_name: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "uploaded"))]
    pub kind: BatchKind,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "ready"))]
    pub status: BatchStatus,
    pub file_name: Option<String>,
    pub pattern: Option<String>,
    /// Rows stored (or, for a refused upload, rows read); while importing, rows read so far.
    pub row_count: i64,
    /// Bytes of the file; while importing, bytes read so far.
    pub byte_count: i64,
    pub problem_count: i64,
    /// Refused uploads: how many rows had each problem.
    pub problem_summary: Vec<ProblemCount>,
    pub message: Option<String>,
    pub created_by: String,
    /// RFC 3339, UTC.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339::option")]
    pub finished_at: Option<i64>,
    pub counts: CodeCounts,
}

/// What an import reports while it runs, and at its end.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Progress {
    /// Rows read and checked so far, of a file of `bytes`.
    Checking {
        rows: u64,
        bytes_read: u64,
        bytes: u64,
    },
    Stored {
        batch: Batch,
    },
    Refused {
        batch: Batch,
        problems: Vec<rows::RowProblem>,
    },
    Error {
        message: String,
    },
}

/// How many rows of a refused upload had one problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProblemCount {
    /// A stable name: `duplicate_in_file`, `already_exists`, `bad_characters`, …
    pub reason: String,
    pub count: i64,
}

/// A unique-code coupon's pool of free codes, for the warning on its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// Codes nobody holds yet.
    pub free: i64,
    pub total: i64,
    /// The coupon hands codes out itself (trigger events or campaigns), so an empty pool stops it.
    pub hands_out: bool,
}

impl Pool {
    /// Low: under a tenth of the codes, or under 100.
    pub fn level(&self) -> PoolLevel {
        if self.free == 0 {
            PoolLevel::Out
        } else if self.free < 100 || self.free * 10 < self.total {
            PoolLevel::Low
        } else {
            PoolLevel::Fine
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolLevel {
    Fine,
    Low,
    Out,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_upper_cases() {
        assert_eq!(normalize("  diwali-10_x ").as_deref(), Ok("DIWALI-10_X"));
    }

    #[test]
    fn refuses_bad_lengths_and_characters() {
        assert_eq!(check(""), Err(CodeError::Empty));
        assert_eq!(check("AB"), Err(CodeError::TooShort));
        assert_eq!(check(&"A".repeat(65)), Err(CodeError::TooLong));
        assert!(check(&"A".repeat(64)).is_ok());
        assert_eq!(check("SAVE 10"), Err(CodeError::BadCharacter(' ')));
        assert_eq!(check("CAFÉ"), Err(CodeError::BadCharacter('É')));
        assert!(normalize("ab$c").unwrap_err().contains('$'));
    }

    #[test]
    fn pool_levels() {
        let pool = |free, total| Pool { free, total, hands_out: true }.level();
        assert_eq!(pool(0, 10), PoolLevel::Out);
        assert_eq!(pool(50, 60), PoolLevel::Low);
        assert_eq!(pool(500, 10_000), PoolLevel::Low);
        assert_eq!(pool(1_000, 10_000), PoolLevel::Fine);
    }
}
