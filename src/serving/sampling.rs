//! Which requests leave a trace, and how many requests each trace stands
//! for (docs/operating.md, "Sampling"). One uniform draw per request
//! decides both: its record is logged when the draw is below
//! `LOG_SAMPLE_RATE`, its data point written when below
//! `ANALYTICS_SAMPLE_RATE`, weighted by the inverse of that rate so that
//! weighted sums estimate every count without bias. Answers an operator
//! must see each of are kept whatever the draw, with weight 1.

use super::answer::Answer;
pub use crate::config::operating::SampleRates as Rates;

/// What one request writes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Its record is logged.
    pub log: bool,
    /// Its data point is written, standing for this many requests.
    pub point: Option<f64>,
}

impl Sample {
    /// Whether anything is written (the record is assembled only then).
    pub fn writes(&self, analytics_bound: bool) -> bool {
        self.log || (analytics_bound && self.point.is_some())
    }
}

/// Whether `answer` is kept whatever the sample: every error answer
/// (4xx and 5xx), and every blob redirect for which a copy failed its
/// check or had its breaker open. Two error answers are sampled like the
/// rest, because healthy traffic and abuse produce them by the thousand:
/// 401 (the pull-session challenge) and 429 (the rate limit's refusal).
pub fn always_kept(answer: &Answer<'_>) -> bool {
    match answer.status() {
        401 | 429 => false,
        status if status >= 400 => true,
        _ => answer
            .decision()
            .and_then(|d| d.redirect())
            .is_some_and(|r| r.reason.copy_failed()),
    }
}

/// What a request writes, given whether it is [`always_kept`] and a
/// uniform draw in [0, 1).
pub fn sample(kept: bool, rates: Rates, draw: f64) -> Sample {
    if kept {
        return Sample {
            log: true,
            point: Some(1.0),
        };
    }
    Sample {
        log: draw < rates.log,
        point: (draw < rates.analytics).then(|| 1.0 / rates.analytics),
    }
}

/// The relative standard error of a count of `n` requests estimated from
/// points written at `rate` (Bernoulli sampling, weight `1 / rate`):
/// sqrt((1 - rate) / (rate * n)). Zero at rate 1; infinite at rate 0.
pub fn relative_error(rate: f64, n: f64) -> f64 {
    ((1.0 - rate) / (rate * n)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES: Rates = Rates {
        log: 0.01,
        analytics: 0.25,
    };

    #[test]
    fn a_kept_request_writes_both_with_weight_one() {
        for draw in [0.0, 0.5, 0.999_999] {
            assert_eq!(
                sample(true, RATES, draw),
                Sample {
                    log: true,
                    point: Some(1.0)
                }
            );
        }
    }

    #[test]
    fn an_ordinary_request_is_drawn() {
        assert_eq!(
            sample(false, RATES, 0.005),
            Sample {
                log: true,
                point: Some(4.0)
            }
        );
        assert_eq!(
            sample(false, RATES, 0.1),
            Sample {
                log: false,
                point: Some(4.0)
            }
        );
        assert_eq!(
            sample(false, RATES, 0.25),
            Sample {
                log: false,
                point: None
            }
        );
        let none = Rates {
            log: 0.0,
            analytics: 0.0,
        };
        assert_eq!(
            sample(false, none, 0.0),
            Sample {
                log: false,
                point: None
            }
        );
        let all = Rates {
            log: 1.0,
            analytics: 1.0,
        };
        assert_eq!(
            sample(false, all, 0.999_999),
            Sample {
                log: true,
                point: Some(1.0)
            }
        );
    }

    #[test]
    fn the_error_formula() {
        assert_eq!(relative_error(1.0, 10.0), 0.0);
        // 10 % of 10,000 requests: sqrt(0.9 / 1000) = 3 %.
        assert!((relative_error(0.1, 10_000.0) - 0.03).abs() < 1e-12);
    }
}
