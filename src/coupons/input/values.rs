//! Parsers of single values, each with the reason in words when the value is wrong.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::conditions::{self, ConditionInput};
use crate::coupons::definition::*;
use crate::fields::FieldErrors;
use crate::money::Amount;
use crate::wire::Named;

pub const MAX_NAME_LEN: usize = 120;
pub const MAX_DESCRIPTION_LEN: usize = 2_000;
pub(super) const MAX_LIST: usize = 1_000;
pub(super) const MAX_CONDITIONS: usize = 50;
pub(super) const MAX_CAPS: usize = 20;
pub(super) const MAX_TIERS: usize = 20;
/// Ten years, in minutes: longer relative expiries are almost certainly typos.
pub(super) const MAX_DURATION_MINUTES: i64 = 10 * 366 * 24 * 60;

/// Blank optional text means "not given".
pub(super) fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// One of a setting's kinds, by its wire name; blank text is `default` when there is one.
pub(super) fn choice<T: Named>(text: &str, default: Option<T>, what: &str) -> Result<T, String> {
    let text = text.trim();
    if text.is_empty() {
        return default.ok_or_else(|| format!("choose {what}"));
    }
    T::named(text)
}

/// Text with a default when blank: settings most coupons leave as they are.
pub(super) fn or_default<'a>(text: &'a str, default: &'a str) -> &'a str {
    if text.trim().is_empty() {
        default
    } else {
        text
    }
}

pub(super) fn money(value: Option<i64>, required: bool) -> Result<Option<i64>, String> {
    match value {
        None if required => Err("enter an amount".into()),
        None => Ok(None),
        Some(v) => Amount::positive(v).map(|a| Some(a.minor())).map_err(|e| e.to_string()),
    }
}

/// A ceiling such as `max_discount`: zero is allowed (it disables the reward), negatives not.
pub(super) fn ceiling(value: Option<i64>) -> Result<Option<i64>, String> {
    match value {
        Some(v) => Amount::new(v).map(|a| Some(a.minor())).map_err(|e| e.to_string()),
        None => Ok(None),
    }
}

pub(super) fn percent(value: Option<i64>) -> Result<Percent, String> {
    match value {
        None => Err("enter a percentage".into()),
        Some(p @ 1..=100) => Ok(Percent(p as u8)),
        Some(_) => Err("must be from 1 to 100".into()),
    }
}

pub const MAX_PRIORITY: i64 = 1_000;

/// A stacking priority: blank is 0.
pub(super) fn priority(value: Option<i64>) -> Result<i32, String> {
    let p = value.unwrap_or(0);
    if (-MAX_PRIORITY..=MAX_PRIORITY).contains(&p) {
        Ok(p as i32)
    } else {
        Err(format!("from −{MAX_PRIORITY} to {MAX_PRIORITY}"))
    }
}

pub(super) fn count(value: Option<i64>) -> Result<Option<u32>, String> {
    match value {
        None => Ok(None),
        Some(v) if v <= 0 => Err("must be at least 1".into()),
        Some(v) => u32::try_from(v).map(Some).map_err(|_| "is too large".into()),
    }
}

/// Event names as apps send them: `app_installed`, `cart.abandoned`.
pub fn parse_event_name(text: Option<&str>) -> Result<String, String> {
    let name = text.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err("enter an event name".into());
    }
    if name.len() > 64 {
        return Err("at most 64 characters".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')) {
        return Err("use letters, digits, `_`, `.`, `:` or `-`".into());
    }
    Ok(name.to_string())
}

pub fn parse_time_zone(text: &str) -> Result<Tz, String> {
    or_default(text, "UTC")
        .trim()
        .parse::<Tz>()
        .map_err(|_| format!("`{text}` is not an IANA time zone such as Asia/Kolkata"))
}

/// A date-time: RFC 3339 with an offset, or a wall-clock time (`2026-10-20T09:00`) read in the
/// coupon's zone. A wall-clock time that a DST change skips is refused rather than guessed.
pub fn parse_datetime(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return crate::dates::check_instant(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .ok_or_else(|| format!("`{text}` is not a date-time: use YYYY-MM-DDTHH:MM"))?;
    crate::dates::check_date(naive.date())?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("{text} does not exist in {tz} (the clocks skip it)"))
}

pub(super) fn texts(items: &[String], path: &str, max_len: usize, errors: &mut FieldErrors) -> Vec<String> {
    if items.len() > MAX_LIST {
        errors.add(path, format!("at most {MAX_LIST} entries"));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item = item.trim();
        if item.is_empty() {
            errors.add(format!("{path}[{i}]"), "cannot be empty");
        } else if item.len() > max_len {
            errors.add(format!("{path}[{i}]"), format!("at most {max_len} characters"));
        } else if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

pub(super) fn condition_list(
    inputs: &[ConditionInput],
    path: &str,
    errors: &mut FieldErrors,
) -> Vec<crate::conditions::Condition> {
    if inputs.len() > MAX_CONDITIONS {
        errors.add(path, format!("at most {MAX_CONDITIONS} conditions"));
        return Vec::new();
    }
    conditions::parse_all(inputs, path, errors)
}
