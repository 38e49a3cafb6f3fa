//! The one range of dates the engine takes, everywhere a date comes in (coupon settings, launch
//! times, events, code expiries, report periods): 1970-01-01 to 9999-12-31. chrono reads years
//! far beyond it, where day arithmetic overflows and stored milliseconds lose their meaning.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub const OUT_OF_RANGE: &str = "dates go from 1970-01-01 to 9999-12-31";

pub fn check_date(date: NaiveDate) -> Result<NaiveDate, String> {
    if (1970..=9999).contains(&date.year()) {
        Ok(date)
    } else {
        Err(OUT_OF_RANGE.into())
    }
}

pub fn check_instant(at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    check_date(at.date_naive()).map(|_| at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_is_inclusive() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert!(check_date(day(1970, 1, 1)).is_ok());
        assert!(check_date(day(9999, 12, 31)).is_ok());
        assert!(check_date(day(1969, 12, 31)).is_err());
        assert!(check_date(day(10_000, 1, 1)).is_err());
        let early = DateTime::parse_from_rfc3339("1900-01-01T00:00:00Z").map(|t| t.with_timezone(&Utc));
        assert!(early.is_ok_and(|t| check_instant(t).is_err()));
    }
}
