//! A breaker per copy (base URL): a copy that keeps failing is skipped for
//! a while instead of costing every blob of every client a full timeout.
//!
//! - closed: checks go to the copy; `failures` consecutive failed checks
//!   open it (0 turns the breaker off);
//! - open: no checks until `open_ms` have passed; the decision redirects
//!   upstream at once;
//! - half-open (open, time passed): the next check is let through as the
//!   one probe, and every other check is skipped while it runs; its success
//!   closes the breaker, its failure opens it again.
//!
//! A real answer (present or absent) from any check closes the breaker and
//! resets the count. Only the copy's own failures count; an answer that
//! says nothing about its health (a request it rejected) changes nothing.
//! A probe that ends without telling (answered from the Cache API, or
//! rejected) leaves the breaker half-open for the next check.

use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failed checks that open a copy's breaker; 0: never.
    pub failures: u32,
    /// How long an open breaker skips the copy.
    pub open_ms: u64,
    /// After this long a probe is presumed lost and another may start.
    pub probe_stale_ms: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until_ms: u64 },
    Probing { since_ms: u64 },
}

/// What a check that asked the copy says about the copy's health.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// A real answer (present or absent).
    Answered,
    /// The copy's own failure.
    Failed,
    /// Nothing about the copy (it rejected the request the client chose).
    Unknown,
}

/// What a recorded check did to a breaker (the colo copy of the state
/// follows it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    None,
    /// The copy is skipped until `until_ms`.
    Opened {
        until_ms: u64,
    },
    /// The copy is in use again after being open.
    Closed,
}

#[derive(Debug, Default)]
pub struct Breakers {
    copies: HashMap<String, State>,
}

impl Breakers {
    /// Whether checks against `copy` are skipped at `now_ms`: open and not
    /// yet due for a probe, or a probe is running.
    pub fn is_open(&self, copy: &str, now_ms: u64, settings: &BreakerSettings) -> bool {
        match self.copies.get(copy) {
            Some(State::Open { until_ms }) => now_ms < *until_ms,
            Some(State::Probing { since_ms }) => {
                now_ms.saturating_sub(*since_ms) < settings.probe_stale_ms
            }
            _ => false,
        }
    }

    /// A check of `copy` starts (after [`Breakers::is_open`] said no).
    /// Returns whether it is the half-open probe.
    pub fn begin(&mut self, copy: &str, now_ms: u64) -> bool {
        match self.copies.get_mut(copy) {
            Some(state @ (State::Open { .. } | State::Probing { .. })) => {
                *state = State::Probing { since_ms: now_ms };
                true
            }
            _ => false,
        }
    }

    /// Records a check that asked the copy.
    pub fn record(
        &mut self,
        copy: &str,
        health: Health,
        now_ms: u64,
        settings: &BreakerSettings,
    ) -> Transition {
        if health == Health::Unknown {
            self.release_probe(copy, now_ms);
            return Transition::None;
        }
        let state = self
            .copies
            .entry(copy.to_string())
            .or_insert(State::Closed { failures: 0 });
        if health == Health::Answered {
            let was_open = !matches!(state, State::Closed { .. });
            *state = State::Closed { failures: 0 };
            return if was_open {
                Transition::Closed
            } else {
                Transition::None
            };
        }
        let open = |state: &mut State| {
            let until_ms = now_ms.saturating_add(settings.open_ms);
            *state = State::Open { until_ms };
            Transition::Opened { until_ms }
        };
        match *state {
            State::Closed { failures } => {
                let failures = failures.saturating_add(1);
                if settings.failures > 0 && failures >= settings.failures {
                    open(state)
                } else {
                    *state = State::Closed { failures };
                    Transition::None
                }
            }
            // A check that started before the breaker opened.
            State::Open { .. } => Transition::None,
            State::Probing { .. } => open(state),
        }
    }

    /// The probe ended without asking the copy: the next check probes.
    pub fn release_probe(&mut self, copy: &str, now_ms: u64) {
        if let Some(state @ State::Probing { .. }) = self.copies.get_mut(copy) {
            *state = State::Open { until_ms: now_ms };
        }
    }

    /// Whether any copy has a failure counted or is not closed.
    pub fn any_counted(&self) -> bool {
        self.copies
            .values()
            .any(|s| !matches!(s, State::Closed { failures: 0 }))
    }

    /// Another isolate opened the breaker until `until_ms` (read from the
    /// Cache API): skip the copy here too.
    pub fn adopt_open(&mut self, copy: &str, until_ms: u64) {
        let state = self
            .copies
            .entry(copy.to_string())
            .or_insert(State::Closed { failures: 0 });
        match *state {
            State::Open { until_ms: mine } if mine >= until_ms => {}
            _ => *state = State::Open { until_ms },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: BreakerSettings = BreakerSettings {
        failures: 3,
        open_ms: 30_000,
        probe_stale_ms: 3_000,
    };
    const COPY: &str = "https://eu-west-3.example";

    #[test]
    fn opens_after_consecutive_failures() {
        let mut b = Breakers::default();
        assert!(!b.is_open(COPY, 0, &S));
        assert_eq!(b.record(COPY, Health::Failed, 10, &S), Transition::None);
        assert_eq!(b.record(COPY, Health::Failed, 20, &S), Transition::None);
        assert!(!b.is_open(COPY, 20, &S));
        assert_eq!(
            b.record(COPY, Health::Failed, 30, &S),
            Transition::Opened { until_ms: 30_030 }
        );
        assert!(b.is_open(COPY, 30, &S));
        assert!(b.is_open(COPY, 30_029, &S));
        assert!(!b.is_open(COPY, 30_030, &S), "half-open");
        // Other copies are not affected.
        assert!(!b.is_open("https://cdn.example", 31, &S));
    }

    #[test]
    fn an_answer_resets_the_count() {
        let mut b = Breakers::default();
        b.record(COPY, Health::Failed, 0, &S);
        b.record(COPY, Health::Failed, 0, &S);
        assert_eq!(b.record(COPY, Health::Answered, 0, &S), Transition::None);
        b.record(COPY, Health::Failed, 0, &S);
        b.record(COPY, Health::Failed, 0, &S);
        assert!(!b.is_open(COPY, 1, &S));
    }

    #[test]
    fn half_open_lets_one_probe_through() {
        let mut b = Breakers::default();
        for _ in 0..3 {
            b.record(COPY, Health::Failed, 0, &S);
        }
        assert!(b.is_open(COPY, 29_999, &S));
        assert!(!b.is_open(COPY, 30_000, &S));
        assert!(b.begin(COPY, 30_000), "the probe");
        assert!(b.is_open(COPY, 30_001, &S), "others skip while it runs");
        // Probe fails: open again for the full period.
        assert_eq!(
            b.record(COPY, Health::Failed, 30_500, &S),
            Transition::Opened { until_ms: 60_500 }
        );
        assert!(b.is_open(COPY, 60_499, &S));
        // Next probe succeeds: closed.
        assert!(!b.is_open(COPY, 60_500, &S));
        assert!(b.begin(COPY, 60_500));
        assert_eq!(
            b.record(COPY, Health::Answered, 60_600, &S),
            Transition::Closed
        );
        assert!(!b.is_open(COPY, 60_601, &S));
        assert!(!b.begin(COPY, 60_601), "closed: not a probe");
    }

    #[test]
    fn a_lost_probe_does_not_keep_the_copy_skipped() {
        let mut b = Breakers::default();
        for _ in 0..3 {
            b.record(COPY, Health::Failed, 0, &S);
        }
        assert!(b.begin(COPY, 30_000));
        assert!(b.is_open(COPY, 32_999, &S));
        assert!(!b.is_open(COPY, 33_000, &S));
        assert!(b.begin(COPY, 33_000), "a new probe");
    }

    #[test]
    fn a_probe_answered_elsewhere_leaves_it_half_open() {
        let mut b = Breakers::default();
        for _ in 0..3 {
            b.record(COPY, Health::Failed, 0, &S);
        }
        assert!(b.begin(COPY, 30_000));
        b.release_probe(COPY, 30_010);
        assert!(!b.is_open(COPY, 30_010, &S));
        assert!(b.begin(COPY, 30_010));
    }

    #[test]
    fn late_failures_do_not_extend_an_open_breaker() {
        let mut b = Breakers::default();
        for _ in 0..3 {
            b.record(COPY, Health::Failed, 0, &S);
        }
        assert_eq!(b.record(COPY, Health::Failed, 10_000, &S), Transition::None);
        assert!(!b.is_open(COPY, 30_000, &S));
    }

    #[test]
    fn adopted_from_another_isolate() {
        let mut b = Breakers::default();
        b.adopt_open(COPY, 5_000);
        assert!(b.is_open(COPY, 4_999, &S));
        assert!(!b.is_open(COPY, 5_000, &S));
        b.adopt_open(COPY, 1_000);
        assert!(b.begin(COPY, 5_000), "half-open after the adopted time");
    }

    #[test]
    fn a_rejected_request_counts_for_nothing() {
        let mut b = Breakers::default();
        b.record(COPY, Health::Failed, 0, &S);
        b.record(COPY, Health::Failed, 0, &S);
        for i in 0..100 {
            assert_eq!(b.record(COPY, Health::Unknown, i, &S), Transition::None);
        }
        assert!(!b.is_open(COPY, 100, &S));
        // The two failures are still counted: a third opens it. A rejected
        // probe tells nothing either: the next check probes.
        assert_eq!(
            b.record(COPY, Health::Failed, 100, &S),
            Transition::Opened { until_ms: 30_100 }
        );
        assert!(b.begin(COPY, 30_100));
        assert_eq!(
            b.record(COPY, Health::Unknown, 30_110, &S),
            Transition::None
        );
        assert!(!b.is_open(COPY, 30_110, &S));
        assert!(
            b.begin(COPY, 30_110),
            "still half-open: the next check probes"
        );
    }

    #[test]
    fn zero_failures_turns_it_off() {
        let off = BreakerSettings { failures: 0, ..S };
        let mut b = Breakers::default();
        for i in 0..100 {
            assert_eq!(b.record(COPY, Health::Failed, i, &off), Transition::None);
        }
        assert!(!b.is_open(COPY, 100, &off));
    }
}
