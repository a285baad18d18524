//! Calendar arithmetic for the range data's dates: the providers' own
//! spellings to seconds since the epoch and back to ISO 8601, without a
//! date library in the wasm.

/// A provider's creation date in seconds since the epoch. AWS writes
/// `2026-07-29-08-27-05`, GCP `2026-07-29T07:05:53.849365` (both UTC);
/// Azure's file has none (empty).
pub fn created_seconds(created: &str) -> Option<i64> {
    let mut fields = [0i64; 6];
    let mut parts = created
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty());
    for field in &mut fields {
        *field = parts.next()?.parse().ok()?;
    }
    let [year, month, day, hour, minute, second] = fields;
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| {
        days_from_civil(year, month as u32, day as u32) * 86_400
            + hour * 3600
            + minute * 60
            + second
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the epoch.
pub fn iso8601(seconds: i64) -> String {
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_dates() {
        // AWS and GCP spell them differently; both are UTC.
        assert_eq!(
            created_seconds("2026-07-29-08-27-05")
                .map(iso8601)
                .as_deref(),
            Some("2026-07-29T08:27:05Z")
        );
        assert_eq!(
            created_seconds("2026-07-29T07:05:53.849365")
                .map(iso8601)
                .as_deref(),
            Some("2026-07-29T07:05:53Z")
        );
        assert_eq!(created_seconds("1970-01-01-00-00-00"), Some(0));
        assert_eq!(created_seconds("2000-03-01-00-00-00"), Some(951_868_800));
        for bad in ["", "-", "2026-13-01-00-00-00", "2026-07-29", "x"] {
            assert_eq!(created_seconds(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn calendar_round_trips() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
        // `date -u -d @1795641928`
        assert_eq!(iso8601(1_795_641_928), "2026-11-25T21:25:28Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }
}
