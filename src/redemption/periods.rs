//! Calendar periods in a coupon's time zone: which day, ISO week, month or year an instant falls
//! in there. Counting on the local calendar date (not on UTC offsets) keeps caps right across
//! DST changes, when a local day lasts 23 or 25 hours.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;

use crate::coupons::definition::{Day, Period, Schedule};

/// The key of the period `at` falls in, in `zone`: days since the common era for a day,
/// `ISO year × 100 + ISO week` for a week, `year × 100 + month` for a month, the year for a year.
pub fn period_key(period: Period, zone: Tz, at: DateTime<Utc>) -> i64 {
    let local = at.with_timezone(&zone).date_naive();
    match period {
        Period::Day => i64::from(local.num_days_from_ce()),
        Period::Week => {
            let week = local.iso_week();
            i64::from(week.year()) * 100 + i64::from(week.week())
        }
        Period::Month => i64::from(local.year()) * 100 + i64::from(local.month()),
        Period::Year => i64::from(local.year()),
    }
}

/// The name the counters table stores for a period.
pub fn period_name(period: Period) -> &'static str {
    match period {
        Period::Day => "day",
        Period::Week => "week",
        Period::Month => "month",
        Period::Year => "year",
    }
}

/// Whether the weekly schedule is open at `at`, read on the local clock of `zone`: a range of
/// today's, or the overnight tail of one of yesterday's.
pub fn schedule_open(schedule: &Schedule, zone: Tz, at: DateTime<Utc>) -> bool {
    let local = at.with_timezone(&zone);
    let day = Day::from_chrono(local.weekday());
    let yesterday = Day::from_chrono(local.weekday().pred());
    let minute = (local.hour() * 60 + local.minute()) as u16;
    schedule.days.iter().any(|d| {
        (d.day == day && (d.ranges.is_empty() || d.ranges.iter().any(|r| r.contains(minute))))
            || (d.day == yesterday && d.ranges.iter().any(|r| r.holds_next_day(minute)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coupons::definition::{DaySchedule, TimeRange};
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn new_york_days_follow_the_local_calendar_across_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // Spring forward, 8 March 2026: the local day has 23 hours (05:00–04:00 UTC).
        let before_midnight = utc(2026, 3, 8, 4, 59); // 23:59 EST, 7 March
        let start = utc(2026, 3, 8, 5, 0); // 00:00 EST, 8 March
        let end = utc(2026, 3, 9, 3, 59); // 23:59 EDT, 8 March
        let next = utc(2026, 3, 9, 4, 0); // 00:00 EDT, 9 March
        let key = |t| period_key(Period::Day, ny, t);
        assert_ne!(key(before_midnight), key(start));
        assert_eq!(key(start), key(end));
        assert_eq!(key(next), key(end) + 1);
        // Fall back, 1 November 2026: the local day has 25 hours.
        assert_eq!(key(utc(2026, 11, 1, 4, 0)), key(utc(2026, 11, 2, 4, 59)));
        assert_ne!(key(utc(2026, 11, 2, 4, 59)), key(utc(2026, 11, 2, 5, 0)));
    }

    #[test]
    fn london_weeks_and_months_are_local() {
        let london: Tz = "Europe/London".parse().unwrap();
        // Sunday 29 March 2026, clocks go forward at 01:00 UTC; the ISO week ends that day.
        let sunday_late = utc(2026, 3, 29, 22, 59); // 23:59 BST, Sunday
        let monday = utc(2026, 3, 29, 23, 0); // 00:00 BST, Monday 30 March
        assert_eq!(period_key(Period::Week, london, sunday_late), 202613);
        assert_eq!(period_key(Period::Week, london, monday), 202614);
        // 31 March 23:30 UTC is already 1 April in BST; on 31 October London is back on GMT.
        assert_eq!(period_key(Period::Month, london, utc(2026, 3, 31, 23, 30)), 202604);
        assert_eq!(period_key(Period::Month, london, utc(2026, 10, 31, 23, 30)), 202610);
        assert_eq!(period_key(Period::Year, london, utc(2026, 12, 31, 23, 59)), 2026);
    }

    #[test]
    fn schedule_reads_the_local_clock() {
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let weekdays = Schedule {
            days: [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]
                .into_iter()
                .map(|day| DaySchedule { day, ranges: vec![TimeRange { start: 14 * 60, end: 17 * 60 }] })
                .collect(),
        };
        // Tuesday 24 Nov 2026, 14:30 IST = 09:00 UTC.
        assert!(schedule_open(&weekdays, kolkata, utc(2026, 11, 24, 9, 0)));
        assert!(!schedule_open(&weekdays, kolkata, utc(2026, 11, 24, 11, 30))); // 17:00 IST
        assert!(!schedule_open(&weekdays, kolkata, utc(2026, 11, 28, 9, 0))); // Saturday
        let all_saturday = Schedule { days: vec![DaySchedule { day: Day::Sat, ranges: vec![] }] };
        assert!(schedule_open(&all_saturday, kolkata, utc(2026, 11, 27, 19, 0)));
        // 00:30 Sat IST
    }

    #[test]
    fn overnight_ranges_run_into_the_next_day() {
        let utc_zone: Tz = "UTC".parse().unwrap();
        let friday_night = Schedule {
            days: vec![DaySchedule { day: Day::Fri, ranges: vec![TimeRange { start: 22 * 60, end: 2 * 60 }] }],
        };
        // Friday 27 Nov 2026.
        assert!(!schedule_open(&friday_night, utc_zone, utc(2026, 11, 27, 21, 59)));
        assert!(schedule_open(&friday_night, utc_zone, utc(2026, 11, 27, 22, 0)));
        assert!(schedule_open(&friday_night, utc_zone, utc(2026, 11, 27, 23, 59)));
        assert!(schedule_open(&friday_night, utc_zone, utc(2026, 11, 28, 0, 0)), "Saturday 00:00");
        assert!(schedule_open(&friday_night, utc_zone, utc(2026, 11, 28, 1, 59)));
        assert!(!schedule_open(&friday_night, utc_zone, utc(2026, 11, 28, 2, 0)));
        assert!(!schedule_open(&friday_night, utc_zone, utc(2026, 11, 27, 1, 0)), "Friday's own early hours");
        // Sunday night runs into Monday: the week wraps.
        let sunday_night =
            Schedule { days: vec![DaySchedule { day: Day::Sun, ranges: vec![TimeRange { start: 23 * 60, end: 60 }] }] };
        assert!(schedule_open(&sunday_night, utc_zone, utc(2026, 11, 30, 0, 30)), "Monday 00:30");
        assert!(!schedule_open(&sunday_night, utc_zone, utc(2026, 12, 1, 0, 30)), "Tuesday 00:30");
    }

    #[test]
    fn new_york_schedule_across_dst() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let happy_hour = Schedule {
            days: Day::ALL
                .into_iter()
                .map(|day| DaySchedule { day, ranges: vec![TimeRange { start: 17 * 60, end: 19 * 60 }] })
                .collect(),
        };
        // 17:30 local is 22:30 UTC in winter and 21:30 UTC in summer.
        assert!(schedule_open(&happy_hour, ny, utc(2026, 3, 7, 22, 30)));
        assert!(schedule_open(&happy_hour, ny, utc(2026, 3, 9, 22, 59))); // 18:59 EDT
        assert!(!schedule_open(&happy_hour, ny, utc(2026, 3, 7, 21, 30))); // 16:30 EST
        assert!(schedule_open(&happy_hour, ny, utc(2026, 3, 9, 21, 30)));
        assert!(!schedule_open(&happy_hour, ny, utc(2026, 3, 9, 23, 0))); // 19:00 EDT
    }
}
