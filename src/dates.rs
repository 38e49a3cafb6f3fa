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

/// Instants are kept as Unix milliseconds and written on the wire as RFC 3339 in UTC, to the
/// millisecond (`2026-12-07T18:12:21.123Z`): `#[serde(with = "crate::dates::rfc3339")]`, or
/// `rfc3339::option` for an `Option<i64>`. Reading also takes milliseconds, as copies written
/// before this rule hold them.
pub mod rfc3339 {
    use chrono::{DateTime, SecondsFormat};
    use serde::{de, ser, Deserializer, Serializer};
    use std::fmt;

    pub fn text(ms: i64) -> Option<String> {
        DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn serialize<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&text(*ms).ok_or_else(|| ser::Error::custom("instant out of range"))?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        d.deserialize_any(Instant)
    }

    struct Instant;

    impl de::Visitor<'_> for Instant {
        type Value = i64;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an RFC 3339 date-time")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<i64, E> {
            DateTime::parse_from_rfc3339(text).map(|t| t.timestamp_millis()).map_err(E::custom)
        }

        fn visit_i64<E: de::Error>(self, ms: i64) -> Result<i64, E> {
            Ok(ms)
        }

        fn visit_u64<E: de::Error>(self, ms: u64) -> Result<i64, E> {
            i64::try_from(ms).map_err(E::custom)
        }
    }

    pub mod option {
        use serde::{de, Deserializer, Serializer};
        use std::fmt;

        pub fn serialize<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
            match ms {
                Some(ms) => super::serialize(ms, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
            d.deserialize_option(Maybe)
        }

        struct Maybe;

        impl<'de> de::Visitor<'de> for Maybe {
            type Value = Option<i64>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 date-time or null")
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                super::deserialize(d).map(Some)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Times {
        #[serde(with = "rfc3339")]
        at: i64,
        #[serde(with = "rfc3339::option")]
        until: Option<i64>,
    }

    #[test]
    fn instants_travel_as_rfc3339_and_come_back_exact() {
        let times = Times { at: 1_765_131_141_123, until: None };
        let text = serde_json::to_string(&times).unwrap();
        assert_eq!(text, r#"{"at":"2025-12-07T18:12:21.123Z","until":null}"#);
        assert_eq!(serde_json::from_str::<Times>(&text).unwrap(), times);
        let old: Times = serde_json::from_str(r#"{"at":1765131141123,"until":5}"#).unwrap();
        assert_eq!(old, Times { at: 1_765_131_141_123, until: Some(5) });
        let zoned: Times = serde_json::from_str(r#"{"at":"2025-12-07T23:42:21.123+05:30","until":null}"#).unwrap();
        assert_eq!(zoned.at, times.at);
        assert!(serde_json::from_str::<Times>(r#"{"at":"yesterday","until":null}"#).is_err());
    }

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
