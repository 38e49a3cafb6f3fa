//! Shared UI pieces: the dashboard layout, form fields with their errors, confirmations, the 404 page.

pub mod confirm;
pub mod fields;
pub mod layout;
pub mod not_found;
pub mod pager;
pub mod problem;
pub mod suggestions;

/// Milliseconds since the epoch as `2026-11-24 21:47 UTC`.
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// Percent-encodes text for a URL's query string (a file name, a user id).
pub fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
