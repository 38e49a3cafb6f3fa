//! The date range a page shows: whole days from `from` to `to` (both included) in a time zone,
//! and the period just before it of the same length, for comparison.

use chrono::{Days, NaiveDate, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::fields::FieldErrors;

/// The longest range a page may ask for (three years of days).
pub const MAX_DAYS: i64 = 1096;
/// The range shown when none is asked for.
pub const DEFAULT_DAYS: i64 = 30;

/// What the page's form (or the API's query string) asks: empty fields take the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
pub struct PeriodInput {
    pub from: Option<String>,
    pub to: Option<String>,
    pub zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Period {
    /// First day, `YYYY-MM-DD`.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub from: NaiveDate,
    /// Last day (included).
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub to: NaiveDate,
    /// IANA time zone the days are counted in.
    pub zone: String,
}

fn blank(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn date(field: &str, text: &str) -> Result<NaiveDate, String> {
    let date =
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("{field} must be a date like 2026-11-24"))?;
    crate::dates::check_date(date).map_err(|e| format!("{field}: {e}"))
}

impl PeriodInput {
    /// The period asked for. Defaults: the last [`DEFAULT_DAYS`] days up to today in the zone,
    /// the zone being `default_zone` (the coupon's, or UTC across coupons).
    pub fn resolve(&self, default_zone: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Period, FieldErrors> {
        let mut errors = FieldErrors::default();
        let zone_text = blank(&self.zone).unwrap_or(default_zone);
        let zone = errors.check(
            "zone",
            zone_text
                .parse::<Tz>()
                .map_err(|_| format!("unknown time zone `{zone_text}` (use a name like Asia/Kolkata)")),
        );
        let today = zone.map(|z| now.with_timezone(&z).date_naive()).unwrap_or_else(|| now.date_naive());
        let to = match blank(&self.to) {
            Some(t) => errors.check("to", date("to", t)),
            None => Some(today),
        };
        let from = match (blank(&self.from), to) {
            (Some(f), _) => errors.check("from", date("from", f)),
            (None, Some(to)) => to.checked_sub_days(Days::new(DEFAULT_DAYS as u64 - 1)),
            (None, None) => None,
        };
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.add("from", "the range must start on or before its last day");
            } else if (to - from).num_days() + 1 > MAX_DAYS {
                errors.add("from", format!("a range may span at most {MAX_DAYS} days"));
            }
        }
        let zone = zone.map(|z| z.name().to_string());
        match (from, to, zone) {
            (Some(from), Some(to), Some(zone)) if errors.is_empty() => Ok(Period { from, to, zone }),
            _ => Err(errors),
        }
    }
}

impl Period {
    /// How many days the period spans.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length that ends the day before this one starts.
    pub fn previous(&self) -> Period {
        let n = self.days() as u64;
        let to = self.from.checked_sub_days(Days::new(1)).unwrap_or(self.from);
        let from = to.checked_sub_days(Days::new(n - 1)).unwrap_or(to);
        Period { from, to, zone: self.zone.clone() }
    }

    pub fn tz(&self) -> Tz {
        self.zone.parse().unwrap_or(Tz::UTC)
    }

    /// Each day of the period, in order.
    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }

    /// The instants (UTC milliseconds) the period starts at and ends before.
    pub fn bounds_ms(&self) -> (i64, i64) {
        let tz = self.tz();
        let end = self.to.checked_add_days(Days::new(1)).unwrap_or(self.to);
        (start_of_day(&tz, self.from), start_of_day(&tz, end))
    }
}

/// When a day starts in a zone: its midnight, or, where a clock change skips midnight, the first
/// instant of the day.
pub fn start_of_day(tz: &Tz, day: NaiveDate) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..=24 * 4)
        .find_map(|q| tz.from_local_datetime(&(midnight + chrono::Duration::minutes(15 * q))).earliest())
        .map(|t| t.timestamp_millis())
        .unwrap_or_else(|| midnight.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn input(from: &str, to: &str, zone: &str) -> PeriodInput {
        PeriodInput { from: Some(from.into()), to: Some(to.into()), zone: Some(zone.into()) }
    }

    #[test]
    fn defaults_are_the_last_thirty_days_in_the_zone() {
        // 20:00 UTC on the 24th is already the 25th in Kolkata.
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 20, 0, 0).unwrap();
        let p = PeriodInput::default().resolve("Asia/Kolkata", now).unwrap();
        assert_eq!(p.to, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        assert_eq!(p.days(), 30);
        assert_eq!(p.zone, "Asia/Kolkata");
        let prev = p.previous();
        assert_eq!(prev.days(), 30);
        assert_eq!(prev.to, p.from.pred_opt().unwrap());
    }

    #[test]
    fn bad_fields_are_named() {
        let now = Utc::now();
        let e = input("2026-13-01", "2026-11-01", "Mars/Olympus").resolve("UTC", now).unwrap_err();
        assert!(e.get("from").is_some());
        assert!(e.get("zone").unwrap().contains("Mars/Olympus"));
        let e = input("2026-11-02", "2026-11-01", "UTC").resolve("UTC", now).unwrap_err();
        assert!(e.get("from").unwrap().contains("start on or before"));
        let e = input("2020-01-01", "2026-11-01", "UTC").resolve("UTC", now).unwrap_err();
        assert!(e.get("from").unwrap().contains("1096"));
        let e = input("10000-12-01", "10000-12-31", "UTC").resolve("UTC", now).unwrap_err();
        assert!(e.get("to").is_some(), "far-future dates are refused, never overflowed");
    }

    #[test]
    fn dst_days_have_their_real_length() {
        // Europe/Berlin: 29 March 2026 has 23 hours, 25 October 2026 has 25.
        let spring = input("2026-03-29", "2026-03-29", "Europe/Berlin").resolve("UTC", Utc::now()).unwrap();
        let (a, b) = spring.bounds_ms();
        assert_eq!(b - a, 23 * 3_600_000);
        let autumn = input("2026-10-25", "2026-10-25", "Europe/Berlin").resolve("UTC", Utc::now()).unwrap();
        let (a, b) = autumn.bounds_ms();
        assert_eq!(b - a, 25 * 3_600_000);
    }

    #[test]
    fn a_day_whose_midnight_is_skipped_starts_at_its_first_instant() {
        // America/Santiago skipped from 00:00 to 01:00 on 6 September 2026.
        let tz: Tz = "America/Santiago".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        let start = start_of_day(&tz, day);
        let local = Utc.timestamp_millis_opt(start).unwrap().with_timezone(&tz);
        assert_eq!(local.date_naive(), day);
        assert_eq!(local.format("%H:%M").to_string(), "01:00");
    }
}
