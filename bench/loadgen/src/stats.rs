//! What the scenarios count: latency histograms in microseconds, errors by kind (the
//! first few of each logged to stderr), sequence tracking, and the clock.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

use crate::procfs::round3;

/// Error messages logged per kind; the rest are only counted.
const LOGGED_PER_KIND: u64 = 3;

/// A latency distribution, recorded in microseconds, reported in milliseconds.
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Self(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"))
    }
}

impl Latency {
    pub fn record_us(&mut self, us: u64) {
        self.0.saturating_record(us.max(1));
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// `{count, mean, p50, p90, p99, max}` in milliseconds.
    pub fn json(&self) -> Value {
        let h = &self.0;
        if h.is_empty() {
            return json!({ "count": 0 });
        }
        let ms = |us: u64| round3(us as f64 / 1000.0);
        json!({
            "count": h.len(),
            "mean": round3(h.mean() / 1000.0),
            "p50": ms(h.value_at_quantile(0.50)),
            "p90": ms(h.value_at_quantile(0.90)),
            "p99": ms(h.value_at_quantile(0.99)),
            "max": ms(h.max()),
        })
    }
}

/// Errors counted by kind.
#[derive(Default)]
pub struct Errors(Mutex<BTreeMap<&'static str, u64>>);

impl Errors {
    pub fn note(&self, kind: &'static str, message: &str) {
        let mut counts = self.0.lock().expect("errors lock");
        let count = counts.entry(kind).or_default();
        *count += 1;
        if *count <= LOGGED_PER_KIND {
            eprintln!("loadgen: {kind} error: {message}");
        }
    }

    pub fn total(&self) -> u64 {
        self.0.lock().expect("errors lock").values().sum()
    }

    pub fn json(&self) -> Value {
        json!(*self.0.lock().expect("errors lock"))
    }
}

/// What the next `seq` a watcher receives says about the stream.
#[derive(Debug, PartialEq)]
pub enum Step {
    Next,
    /// The stream jumped over this many events.
    Gap(u64),
    Duplicate,
}

/// The last `seq` a watcher has seen.
#[derive(Clone, Copy, Debug, Default)]
pub struct SeqTrack {
    pub last: u64,
}

impl SeqTrack {
    pub fn see(&mut self, seq: u64) -> Step {
        if seq <= self.last {
            return Step::Duplicate;
        }
        let missed = seq - self.last - 1;
        self.last = seq;
        if missed == 0 {
            Step::Next
        } else {
            Step::Gap(missed)
        }
    }
}

/// Events after which a session sends nothing more.
pub fn is_terminal(name: &str, has_seq: bool) -> bool {
    matches!(name, "processing_complete" | "processing_cancelled")
        || (name == "processing_error" && has_seq)
}

/// Microseconds since the Unix epoch, the clock the server's `ts` is read against.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_gaps_and_duplicates() {
        let mut track = SeqTrack { last: 3 };
        assert_eq!(track.see(4), Step::Next);
        assert_eq!(track.see(4), Step::Duplicate);
        assert_eq!(track.see(2), Step::Duplicate);
        assert_eq!(track.see(7), Step::Gap(2));
        assert_eq!(track.last, 7);
    }

    #[test]
    fn reports_latency_in_milliseconds() {
        let mut latency = Latency::default();
        assert_eq!(latency.json()["count"], 0);
        for us in [1_000, 2_000, 3_000] {
            latency.record_us(us);
        }
        let max = latency.json()["max"].as_f64().unwrap();
        assert!((max - 3.0).abs() < 0.01, "{max}");
        let errors = Errors::default();
        errors.note("connect", "refused");
        assert_eq!(errors.total(), 1);
        assert_eq!(errors.json()["connect"], 1);
    }
}
