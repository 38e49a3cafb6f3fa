//! Times as people read them, by one rule: a time on a coupon's own pages (its history, its
//! redemptions, its batches, its campaigns) shows in the coupon's time zone, the zone its
//! schedule and window are set in; every other time shows in UTC. Hovering shows the time in
//! UTC, and the element carries the exact instant (`datetime`) for tools.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use leptos::prelude::*;

/// Milliseconds since the epoch as `2026-11-24 21:47 UTC`.
pub fn utc_text(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// The text shown for `at` in `zone`: `2026-11-25 03:17 IST`.
pub fn zoned_text(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// A time: in `zone` when given (the coupon's), else in UTC; UTC on hover.
#[component]
pub fn When(ms: i64, #[prop(into, default = None)] zone: Option<Tz>) -> impl IntoView {
    let at = DateTime::from_timestamp_millis(ms);
    let instant = at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default();
    let utc = utc_text(ms);
    let shown = match (at, zone) {
        (Some(t), Some(z)) if z != Tz::UTC => zoned_text(t, z),
        _ => utc.clone(),
    };
    view! { <time datetime=instant title=utc>{shown}</time> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_name_themselves() {
        let at = DateTime::from_timestamp_millis(1_764_020_820_000).unwrap();
        assert_eq!(utc_text(at.timestamp_millis()), "2025-11-24 21:47 UTC");
        assert_eq!(zoned_text(at, chrono_tz::Asia::Kolkata), "2025-11-25 03:17 IST");
        assert_eq!(zoned_text(at, chrono_tz::Asia::Kathmandu), "2025-11-25 03:32 +0545");
    }
}
