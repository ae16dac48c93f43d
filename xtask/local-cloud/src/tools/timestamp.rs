//! Times as AWS writes them (`2026-12-02T05:37:54.123Z`), without a date crate.

/// Now, in UTC with milliseconds: `2026-12-02T05:37:54.123Z`.
pub fn now_iso8601() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    iso8601_millis(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
}

/// Seconds since the epoch in UTC, to the second: `2026-12-02T05:37:54Z`.
pub fn iso8601_seconds(seconds: i64) -> String {
    let text = iso8601_millis(seconds.saturating_mul(1000));
    format!("{}Z", text.trim_end_matches(".000Z"))
}

/// Milliseconds since the epoch in UTC: `2026-12-02T05:37:54.123Z`.
pub fn iso8601_millis(millis: i64) -> String {
    let (seconds, millis) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, second) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

/// The date `days` after 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_are_written_as_aws_writes_them() {
        assert_eq!(iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(
            iso8601_millis(1_796_189_874_123),
            "2026-12-02T05:37:54.123Z"
        );
        assert_eq!(iso8601_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(iso8601_seconds(1_796_189_874), "2026-12-02T05:37:54Z");
    }
}
