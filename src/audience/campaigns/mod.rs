//! Campaigns: a coupon delivered to a segment, now or at a set time. Launching assigns the coupon
//! (and, for unique-code coupons, a code each) to every matching user in one set-based statement.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::conditions::Rule;
use crate::fields::FieldErrors;

pub mod pages;
#[cfg(feature = "ssr")]
pub mod scheduler;
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod sync;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CampaignStatus {
    Scheduled,
    Launched,
    /// The launch was refused when its time came (see the message); nothing was assigned.
    Failed,
    Cancelled,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn parse(text: &str) -> Option<CampaignStatus> {
        crate::wire::parse(text)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub coupon_id: i64,
    pub coupon_name: String,
    /// The coupon's IANA time zone: the one its launch times are written in.
    pub coupon_time_zone: String,
    pub segment_id: i64,
    pub segment_name: String,
    /// The rule it launches (or launched) with: the segment's, as it was when scheduled.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub rule: Rule,
    pub status: CampaignStatus,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub launch_at: i64,
    pub keep_in_sync: bool,
    pub created_by: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339::option")]
    pub launched_at: Option<i64>,
    pub launched_by: Option<String>,
    /// Users the segment matched at launch, and how many of them already held the coupon.
    pub matched: i64,
    pub already_held: i64,
    pub message: Option<String>,
}

/// What launching a coupon to a segment would do now, counted before it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// Users the segment matches now.
    pub matched: i64,
    /// Of those, users who already hold the coupon (a launch skips them).
    pub already_held: i64,
    /// Codes nobody holds, when the coupon gives each user a code of their own.
    pub free_codes: Option<i64>,
}

impl Estimate {
    /// Users a launch would assign the coupon to.
    pub fn new_users(&self) -> i64 {
        self.matched - self.already_held
    }

    /// Codes missing for a launch to go ahead (a launch never assigns some users and not others).
    pub fn missing_codes(&self) -> i64 {
        self.free_codes.map_or(0, |free| (self.new_users() - free).max(0))
    }
}

/// What a campaign has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignCounts {
    /// Assignments it made, at launch and (keep in sync) since.
    pub assigned: i64,
    /// Of those, assigned after the launch because the user came to match.
    pub synced: i64,
    /// Assigned users whose coupon has become usable (activation by time or by event).
    pub activated: i64,
    /// Assigned users who redeemed the coupon at least once (not reversed).
    pub redeemed: i64,
}

/// A campaign as a client sends it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CampaignInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub coupon_id: Option<i64>,
    #[serde(default)]
    pub segment_id: Option<i64>,
    /// When to launch: absent or empty for now; an RFC 3339 date-time, or a wall-clock time
    /// (`2026-12-01T09:00`) in the coupon's time zone.
    #[serde(default)]
    pub launch_at: Option<String>,
    #[serde(default)]
    pub keep_in_sync: bool,
}

/// A checked campaign input; `launch_at` `None` means now.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub name: String,
    pub coupon_id: i64,
    pub segment_id: i64,
    pub launch_at: Option<DateTime<Utc>>,
    pub keep_in_sync: bool,
}

const MAX_NAME: usize = 100;

impl CampaignInput {
    /// Checks the input; `zone` is the coupon's time zone, for wall-clock launch times.
    pub fn parse(&self, zone: Tz, now: DateTime<Utc>) -> Result<Checked, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", "name the campaign");
        } else if name.chars().count() > MAX_NAME {
            errors.add("name", format!("at most {MAX_NAME} characters"));
        }
        if self.coupon_id.is_none() {
            errors.add("coupon_id", "choose a coupon");
        }
        if self.segment_id.is_none() {
            errors.add("segment_id", "choose a segment");
        }
        let launch_at = match self.launch_at.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => errors.check("launch_at", launch_time(text, zone, now)).map(Some).unwrap_or(None),
        };
        match (self.coupon_id, self.segment_id) {
            (Some(coupon_id), Some(segment_id)) if errors.is_empty() => Ok(Checked {
                name: name.to_string(),
                coupon_id,
                segment_id,
                launch_at,
                keep_in_sync: self.keep_in_sync,
            }),
            _ => Err(errors),
        }
    }
}

fn launch_time(text: &str, zone: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let at = match DateTime::parse_from_rfc3339(text) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => {
            let wall = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
                .map_err(|_| "use a date-time, e.g. 2026-12-01T09:00".to_string())?;
            crate::dates::check_date(wall.date())?;
            zone.from_local_datetime(&wall)
                .earliest()
                .ok_or_else(|| format!("{text} does not exist in {zone} (the clocks skip it)"))?
                .with_timezone(&Utc)
        }
    };
    let at = crate::dates::check_instant(at)?;
    if at < now - chrono::Duration::minutes(1) {
        return Err("that time has passed: leave it empty to launch now".into());
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-26T08:00:00Z").unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_launch_times_in_the_coupon_zone() {
        let input = CampaignInput {
            name: "Mumbai Diwali".into(),
            coupon_id: Some(1),
            segment_id: Some(2),
            launch_at: Some("2026-11-27T09:00".into()),
            keep_in_sync: true,
        };
        let zone: Tz = "Asia/Kolkata".parse().unwrap();
        let checked = input.parse(zone, now()).unwrap();
        assert_eq!(checked.launch_at.unwrap().to_rfc3339(), "2026-11-27T03:30:00+00:00");
        let now_input = CampaignInput { launch_at: Some(" ".into()), ..input.clone() };
        assert_eq!(now_input.parse(zone, now()).unwrap().launch_at, None);
    }

    #[test]
    fn names_each_problem() {
        let e = CampaignInput { launch_at: Some("2026-11-01T09:00".into()), ..Default::default() }
            .parse(Tz::UTC, now())
            .unwrap_err();
        for field in ["name", "coupon_id", "segment_id", "launch_at"] {
            assert!(e.get(field).is_some(), "{field}: {e}");
        }
        let e =
            CampaignInput { launch_at: Some("soon".into()), ..Default::default() }.parse(Tz::UTC, now()).unwrap_err();
        assert!(e.get("launch_at").unwrap().contains("date-time"));
    }
}
