//! When to try a registry request again, and after how long: 429 and 503
//! wait as `Retry-After` says (seconds or an HTTP date), other transient
//! answers and network errors back off exponentially.

use std::time::{Duration, SystemTime};

/// Tries of one request, the first included.
pub const ATTEMPTS: u32 = 6;
/// No wait longer than this, whatever `Retry-After` says.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// What came back from one try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer<'a> {
    Status {
        status: u16,
        retry_after: Option<&'a str>,
    },
    /// No answer: connection refused or reset, a timeout.
    NetworkError,
}

/// How long to wait before try `attempt + 1` (attempt counts from 1), or
/// `None` when the answer is final or the tries are spent.
pub fn wait_before_next(answer: Answer<'_>, attempt: u32, now: SystemTime) -> Option<Duration> {
    if attempt >= ATTEMPTS {
        return None;
    }
    let backoff = FIRST_BACKOFF
        .saturating_mul(1 << (attempt - 1).min(8))
        .min(MAX_WAIT);
    match answer {
        Answer::Status {
            status: 429 | 503,
            retry_after,
        } => Some(
            retry_after
                .and_then(|v| retry_after_delay(v, now))
                .unwrap_or(backoff)
                .min(MAX_WAIT),
        ),
        Answer::Status {
            status: 408 | 500 | 502 | 504,
            ..
        }
        | Answer::NetworkError => Some(backoff),
        Answer::Status { .. } => None,
    }
}

/// `Retry-After`: delay-seconds or an HTTP date.
pub fn retry_after_delay(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form HTTP sends.
fn httpdate(text: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + m * 60 + s;
    u64::try_from(secs)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + NOW
    }

    #[test]
    fn too_many_requests_waits_as_retry_after_says() {
        let s = |status, retry_after| Answer::Status {
            status,
            retry_after,
        };
        assert_eq!(
            wait_before_next(s(429, Some("2")), 1, now()),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            wait_before_next(s(503, Some("Sun, 06 Nov 1994 08:49:40 GMT")), 1, now()),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait_before_next(s(429, Some("Sun, 06 Nov 1994 08:00:00 GMT")), 1, now()),
            Some(Duration::ZERO)
        );
        assert_eq!(
            wait_before_next(s(429, Some("86400")), 1, now()),
            Some(MAX_WAIT)
        );
        assert_eq!(
            wait_before_next(s(429, None), 1, now()),
            Some(FIRST_BACKOFF)
        );
        assert_eq!(
            wait_before_next(s(429, Some("soon")), 3, now()),
            Some(FIRST_BACKOFF * 4)
        );
    }

    #[test]
    fn transient_answers_back_off_and_final_ones_do_not_retry() {
        assert_eq!(
            wait_before_next(Answer::NetworkError, 2, now()),
            Some(FIRST_BACKOFF * 2)
        );
        assert_eq!(
            wait_before_next(
                Answer::Status {
                    status: 502,
                    retry_after: None
                },
                1,
                now()
            ),
            Some(FIRST_BACKOFF)
        );
        for status in [200, 401, 403, 404] {
            assert_eq!(
                wait_before_next(
                    Answer::Status {
                        status,
                        retry_after: None
                    },
                    1,
                    now()
                ),
                None
            );
        }
        assert_eq!(
            wait_before_next(Answer::NetworkError, ATTEMPTS, now()),
            None
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(httpdate("Sun, 06 Nov 1994 08:49:37 GMT"), Some(now()));
        assert_eq!(
            httpdate("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(SystemTime::UNIX_EPOCH)
        );
        assert_eq!(httpdate("yesterday"), None);
    }
}
