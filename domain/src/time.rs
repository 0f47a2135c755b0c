//! Jira's time formats, read into UTC milliseconds.
//!
//! Jira writes datetimes as `2024-03-01T10:15:30.000-0800`, which is not RFC 3339 (the offset has
//! no colon). Date-only fields are `YYYY-MM-DD` and mean 00:00 UTC.

use chrono::{DateTime, NaiveDate, Utc};

/// Milliseconds since the Unix epoch, UTC. Every instant in artflow's store and rules is one.
pub type Millis = i64;

/// Milliseconds in a day: days are always `ms / MS_PER_DAY`, never rounded.
pub const MS_PER_DAY: i64 = 86_400_000;

/// A value that is not a Jira date or datetime.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read {value:?} as a Jira date (YYYY-MM-DD) or datetime (YYYY-MM-DDThh:mm:ss[.fff]±hhmm)"
)]
pub struct TimeError {
    pub value: String,
}

/// Reads a Jira datetime (`±hhmm`, `±hh:mm` or `Z`, with or without fractions) into UTC.
pub fn parse_datetime(value: &str) -> Result<DateTime<Utc>, TimeError> {
    let v = value.trim();
    DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f%:z"))
        .or_else(|_| DateTime::parse_from_rfc3339(v))
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| TimeError {
            value: value.to_owned(),
        })
}

/// Reads a date-only value (midnight UTC) or a Jira datetime.
pub fn parse_date_or_datetime(value: &str) -> Result<DateTime<Utc>, TimeError> {
    let v = value.trim();
    if v.len() == 10
        && let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d")
    {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    parse_datetime(v)
}

/// Days as a float: milliseconds / 86,400,000.
pub fn days(ms: i64) -> f64 {
    ms as f64 / MS_PER_DAY as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> Millis {
        parse_date_or_datetime(s).unwrap().timestamp_millis()
    }

    #[test]
    fn offsets_and_fractions() {
        let utc = ms("2024-03-01T18:15:30Z");
        assert_eq!(ms("2024-03-01T10:15:30.000-0800"), utc);
        assert_eq!(ms("2024-03-01T10:15:30-08:00"), utc);
        assert_eq!(ms("2024-03-01T10:15:30-0800"), utc);
        assert_eq!(ms("2024-03-01T23:45:30.000+0530"), utc);
        assert_eq!(ms("2024-03-01T18:15:30.000+0000"), utc);
        assert_eq!(ms("2024-03-01T18:15:30.123Z"), utc + 123);
        assert_eq!(ms("2024-03-01T18:15:30.5+00:00"), utc + 500);
    }

    #[test]
    fn date_only_is_midnight_utc() {
        assert_eq!(ms("2026-01-06"), ms("2026-01-06T00:00:00Z"));
    }

    #[test]
    fn unreadable_values_are_errors_not_panics() {
        for bad in [
            "next tuesday",
            "",
            "2026-13-01",
            "2026-02-30",
            "06/Jan/26",
            "2024-03-01T10:15:30",
        ] {
            let err = parse_date_or_datetime(bad).unwrap_err();
            assert_eq!(err.value, bad);
            assert!(err.to_string().contains("cannot read"));
        }
    }
}
