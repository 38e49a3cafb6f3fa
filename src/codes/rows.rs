//! The rows of an uploaded code file: its columns, and what can be wrong with a row.
//!
//! Columns are `code`, optional `user_id` (pre-assigns the code) and `expires_at` (RFC 3339, or a
//! date meaning the end of that day in the coupon's time zone). A first row naming a `code`
//! column is a header and may put the columns in any order; without one they are positional.

use chrono::{DateTime, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::CodeError;

/// What can be wrong with a row. The database-side ones (duplicates, unknown users) are found
/// while storing; the others by looking at the row alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    WrongColumns,
    UnknownColumn,
    NotUtf8,
    Empty,
    TooShort,
    TooLong,
    BadCharacters,
    DuplicateInFile,
    AlreadyExists,
    BadUserId,
    UnknownUser,
    BadDate,
    Expired,
}

impl Problem {
    pub const ALL: [Problem; 13] = [
        Problem::WrongColumns,
        Problem::UnknownColumn,
        Problem::NotUtf8,
        Problem::Empty,
        Problem::TooShort,
        Problem::TooLong,
        Problem::BadCharacters,
        Problem::DuplicateInFile,
        Problem::AlreadyExists,
        Problem::BadUserId,
        Problem::UnknownUser,
        Problem::BadDate,
        Problem::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn parse(text: &str) -> Option<Problem> {
        crate::wire::parse(text)
    }

    /// The problem in plain words.
    pub fn describe(self) -> &'static str {
        match self {
            Problem::WrongColumns => "wrong number of columns",
            Problem::UnknownColumn => "unknown column in the header: use code, user_id, expires_at",
            Problem::NotUtf8 => "not UTF-8 text",
            Problem::Empty => "no code",
            Problem::TooShort => "code shorter than 3 characters",
            Problem::TooLong => "code longer than 64 characters",
            Problem::BadCharacters => "code has characters other than A–Z, 0–9, - and _",
            Problem::DuplicateInFile => "code appears earlier in this file",
            Problem::AlreadyExists => "code already exists in Couponry",
            Problem::BadUserId => "user id is too long or has control characters",
            Problem::UnknownUser => "no such user",
            Problem::BadDate => "expires_at is not an RFC 3339 date-time or a YYYY-MM-DD date",
            Problem::Expired => "expires_at is in the past",
        }
    }
}

impl From<CodeError> for Problem {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::Empty => Problem::Empty,
            CodeError::TooShort => Problem::TooShort,
            CodeError::TooLong => Problem::TooLong,
            CodeError::BadCharacter(_) => Problem::BadCharacters,
        }
    }
}

/// A row that failed, by its line in the file (a quoted field spanning lines counts from its
/// first line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    pub line: u64,
    pub problem: Problem,
    /// The offending text, cut to 100 characters.
    pub value: String,
}

/// A row that passed every check that needs no database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub line: u64,
    pub code: String,
    pub user_id: Option<String>,
    pub expires_at: Option<i64>,
}

/// Where each column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    code: usize,
    user_id: Option<usize>,
    expires_at: Option<usize>,
    width: usize,
}

const MAX_WIDTH: usize = 3;

impl Layout {
    /// Reads the first row: a header (its layout, and no data), or the first data row (the
    /// positional layout its width gives).
    pub fn from_first(fields: &[&[u8]]) -> Result<(Layout, bool), Problem> {
        let names: Vec<String> = fields
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
            .collect();
        if names.iter().any(|n| n == "code") {
            let mut layout = Layout { code: 0, user_id: None, expires_at: None, width: names.len() };
            for (i, name) in names.iter().enumerate() {
                match name.as_str() {
                    "code" => layout.code = i,
                    "user_id" => layout.user_id = Some(i),
                    "expires_at" => layout.expires_at = Some(i),
                    _ => return Err(Problem::UnknownColumn),
                }
            }
            return Ok((layout, true));
        }
        let width = fields.len().clamp(1, MAX_WIDTH);
        let layout = Layout { code: 0, user_id: (width > 1).then_some(1), expires_at: (width > 2).then_some(2), width };
        Ok((layout, false))
    }

    /// Checks one data row. `now_ms` and `zone` read `expires_at`.
    pub fn row(&self, line: u64, fields: &[&[u8]], zone: Tz, now_ms: i64) -> Result<CodeRow, RowProblem> {
        let fail =
            |problem, value: &[u8]| RowProblem { line, problem, value: shorten(&String::from_utf8_lossy(value)) };
        if fields.len() != self.width {
            return Err(fail(Problem::WrongColumns, fields.first().copied().unwrap_or_default()));
        }
        let text = |i: usize| std::str::from_utf8(fields[i]).map_err(|_| fail(Problem::NotUtf8, fields[i]));
        let code = super::check(text(self.code)?).map_err(|e| fail(e.into(), fields[self.code]))?;
        let user_id = match self.user_id {
            Some(i) if !text(i)?.trim().is_empty() => Some(
                crate::values::UserId::parse(text(i)?)
                    .map(crate::values::UserId::into_string)
                    .map_err(|_| fail(Problem::BadUserId, fields[i]))?,
            ),
            _ => None,
        };
        let expires_at = match self.expires_at {
            Some(i) if !text(i)?.trim().is_empty() => {
                let at = parse_expiry(text(i)?, zone).ok_or_else(|| fail(Problem::BadDate, fields[i]))?;
                if at <= now_ms {
                    return Err(fail(Problem::Expired, fields[i]));
                }
                Some(at)
            }
            _ => None,
        };
        Ok(CodeRow { line, code, user_id, expires_at })
    }
}

/// An RFC 3339 date-time, or a date meaning "until the end of that day" in the coupon's zone.
pub fn parse_expiry(text: &str, zone: Tz) -> Option<i64> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return crate::dates::check_instant(at.to_utc()).ok().map(|t| t.timestamp_millis());
    }
    let day = crate::dates::check_date(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?).ok()?;
    let next = day.succ_opt()?.and_hms_opt(0, 0, 0)?;
    // Midnight can fall in a DST gap: the earliest instant at or after it.
    zone.from_local_datetime(&next).earliest().map(|t| t.timestamp_millis())
}

/// The offending text as the report keeps it: 100 characters, a NUL (which PostgreSQL text
/// cannot hold) shown as �.
pub fn shorten(text: &str) -> String {
    text.chars().take(100).map(|c| if c == '\0' { '\u{fffd}' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000; // 2026-09

    fn fields(line: &str) -> Vec<&[u8]> {
        line.split(',').map(str::as_bytes).collect()
    }

    fn first(line: &str) -> (Layout, bool) {
        Layout::from_first(&fields(line)).unwrap()
    }

    #[test]
    fn a_header_names_the_columns_in_any_order() {
        let (layout, header) = first("expires_at,Code,user_id");
        assert!(header);
        let row = layout.row(2, &fields("2030-01-01, ab-123 ,u1"), Tz::UTC, NOW).unwrap();
        assert_eq!(row.code, "AB-123");
        assert_eq!(row.user_id.as_deref(), Some("u1"));
        assert_eq!(row.expires_at, Some(1_893_542_400_000)); // 2030-01-02T00:00Z
        assert_eq!(Layout::from_first(&fields("code,colour")), Err(Problem::UnknownColumn));
        assert!(first("\u{feff}code").1);
    }

    #[test]
    fn without_a_header_columns_are_positional() {
        let (layout, header) = first("ABC-1,u7");
        assert!(!header);
        let row = layout.row(1, &fields("ABC-1,u7"), Tz::UTC, NOW).unwrap();
        assert_eq!((row.code.as_str(), row.user_id.as_deref(), row.expires_at), ("ABC-1", Some("u7"), None));
        assert_eq!(layout.row(2, &fields("ABC-2"), Tz::UTC, NOW).unwrap_err().problem, Problem::WrongColumns);
        let (wide, _) = first("A,B,C,D");
        assert_eq!(wide.row(1, &fields("A,B,C,D"), Tz::UTC, NOW).unwrap_err().problem, Problem::WrongColumns);
    }

    #[test]
    fn each_bad_row_has_its_reason_and_line() {
        let (layout, _) = first("code,user_id,expires_at");
        let problem = |line: &str| layout.row(9, &fields(line), Tz::UTC, NOW).unwrap_err();
        assert_eq!(problem(",u1,").problem, Problem::Empty);
        assert_eq!(problem("AB,,").problem, Problem::TooShort);
        assert_eq!(problem(&format!("{},,", "A".repeat(65))).problem, Problem::TooLong);
        assert_eq!(problem("SAVE 10,,").problem, Problem::BadCharacters);
        assert_eq!(problem("SAVE10,,tomorrow").problem, Problem::BadDate);
        assert_eq!(problem("SAVE10,,2020-01-01").problem, Problem::Expired);
        assert_eq!(problem(&format!("SAVE10,{},", "u".repeat(129))).problem, Problem::BadUserId);
        let p = problem("SAVE 10,,");
        assert_eq!((p.line, p.value.as_str()), (9, "SAVE 10"));
        let nul = problem("AB\0C,,");
        assert_eq!((nul.problem, nul.value.as_str()), (Problem::BadCharacters, "AB\u{fffd}C"));
        let bad_utf8: Vec<&[u8]> = vec![b"AB\xff", b"", b""];
        assert_eq!(layout.row(3, &bad_utf8, Tz::UTC, NOW).unwrap_err().problem, Problem::NotUtf8);
    }

    #[test]
    fn a_date_lasts_until_the_end_of_its_day_in_the_coupon_zone() {
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        // 2030-01-02T00:00+05:30 = 2030-01-01T18:30Z
        assert_eq!(parse_expiry("2030-01-01", kolkata), Some(1_893_522_600_000));
        assert_eq!(parse_expiry("2030-01-01T10:00:00Z", kolkata), Some(1_893_492_000_000));
        assert_eq!(parse_expiry("2030-02-30", kolkata), None);
    }

    #[test]
    fn problems_have_stable_names() {
        for p in Problem::ALL {
            assert_eq!(Problem::parse(p.as_str()), Some(p));
        }
    }
}
