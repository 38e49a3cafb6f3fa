//! Shared UI pieces: the dashboard layout, form fields with their errors, confirmations, the 404 page.

pub mod confirm;
pub mod fields;
pub mod layout;
pub mod not_found;
pub mod pager;
pub mod problem;
pub mod suggestions;
pub mod time;

/// Percent-encodes text for a URL's query string (a file name, a user id).
pub fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
