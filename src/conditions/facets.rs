//! Facets: what a condition can read of one property value, derived once, in Rust.
//!
//! A user's properties are stored as sent and, beside them, as facets: the lowercased text, the
//! number, the instant and the list elements each value stands for. Every test compares facets
//! with plain `=`, `<`, `>` and substring checks, in Rust for one user and in SQL for millions,
//! so the two forms cannot drift apart on parsing or case folding: neither re-reads the raw value.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The properties a condition reads: a user's, an item's attributes, a cart's.
pub type Properties = serde_json::Map<String, serde_json::Value>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facet {
    /// The text a scalar reads as, trimmed and ASCII-lowercased (`true`, `31`, `mumbai`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<String>,
    /// The number: a JSON number, or text that is a plain decimal number (`"31"`, `"-2.5e3"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<f64>,
    /// The instant, in UTC milliseconds: text that is an RFC 3339 date-time or a date (midnight UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<i64>,
    /// A list's elements as text, as `t` reads a scalar.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub l: Vec<String>,
    /// A list's elements that are numbers, as `n` reads a scalar.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ln: Vec<f64>,
}

/// Every property's facet, by name; a null property has none (it is not set).
pub type Facets = BTreeMap<String, Facet>;

/// The facets of a set of properties.
pub fn of(properties: &Properties) -> Facets {
    properties.iter().filter_map(|(name, value)| facet(value).map(|f| (name.clone(), f))).collect()
}

/// The facets as stored beside the properties.
pub fn to_json(properties: &Properties) -> String {
    serde_json::to_string(&of(properties)).unwrap_or_else(|_| "{}".into())
}

/// The facet of one value; `None` for null.
pub fn facet(value: &serde_json::Value) -> Option<Facet> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::Array(items) => Some(Facet {
            l: items.iter().filter_map(text).collect(),
            ln: items.iter().filter_map(number).collect(),
            ..Facet::default()
        }),
        scalar => Some(Facet { t: text(scalar), n: number(scalar), d: instant(scalar), ..Facet::default() }),
    }
}

/// How text compares: trimmed, ASCII letters lowercased (as SQLite's `lower` folds them).
pub fn fold(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}

fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(fold(s)),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(n) => n.as_f64().filter(|n| n.is_finite()),
        serde_json::Value::String(s) => decimal(s),
        _ => None,
    }
}

fn instant(value: &serde_json::Value) -> Option<i64> {
    value.as_str().and_then(|s| parse_instant(s).ok()).map(|t| t.timestamp_millis())
}

/// A plain decimal number (`12`, `-0.5`, `3e4`), not `inf`, `NaN` or hex: what a person means
/// by a number in a property.
pub fn decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, frac)) => {
            (digits(whole) || whole.is_empty()) && (digits(frac) || frac.is_empty()) && mantissa.len() > 1
        }
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    if !(mantissa_ok && exponent_ok) {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// An RFC 3339 date-time, or a date meaning its midnight in UTC.
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
        .ok_or_else(|| "enter a date (YYYY-MM-DD) or an RFC 3339 date-time".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_each_kind_of_value() {
        let f = facet(&json!(" Mumbai ")).unwrap();
        assert_eq!((f.t.as_deref(), f.n, f.d), (Some("mumbai"), None, None));
        let f = facet(&json!("31")).unwrap();
        assert_eq!((f.t.as_deref(), f.n), (Some("31"), Some(31.0)));
        let f = facet(&json!(2.5)).unwrap();
        assert_eq!((f.t.as_deref(), f.n), (Some("2.5"), Some(2.5)));
        let f = facet(&json!(true)).unwrap();
        assert_eq!((f.t.as_deref(), f.n), (Some("true"), None));
        let f = facet(&json!("2026-01-02")).unwrap();
        assert_eq!(f.d, Some(DateTime::parse_from_rfc3339("2026-01-02T00:00:00Z").unwrap().timestamp_millis()));
        let f = facet(&json!(["VIP", 7, null])).unwrap();
        assert_eq!((f.l, f.ln), (vec!["vip".to_string(), "7".to_string()], vec![7.0]));
        assert_eq!(facet(&json!(null)), None);
    }

    #[test]
    fn numbers_are_plain_decimals() {
        for ok in ["0", "-12", "+3", "1.5", ".5", "5.", "1e3", "2.5E-2"] {
            assert!(decimal(ok).is_some(), "{ok}");
        }
        for bad in ["", ".", "-", "inf", "NaN", "0x10", "1e", "1,5", "1 000", "e5", "1e400"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
    }
}
