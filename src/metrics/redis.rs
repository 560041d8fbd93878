//! Round-trip times of the store's Redis calls, by what each call does: a fixed set of
//! `op` label values, one histogram each.

use std::fmt::Write;
use std::time::Duration;

use super::histogram::{Histogram, US_BOUNDS_US};

/// What a Redis call of the store does: the `op` label of its round-trip time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedisOp {
    Claim,
    Renew,
    Append,
    Cancel,
    Read,
    List,
    TakeOver,
    TakeQueued,
    HandOver,
    NoteRun,
    ExpiredLeases,
    Snapshot,
    Queue,
    RunLog,
    Ping,
    LoadScript,
}

impl RedisOp {
    pub const ALL: [RedisOp; 16] = [
        RedisOp::Claim,
        RedisOp::Renew,
        RedisOp::Append,
        RedisOp::Cancel,
        RedisOp::Read,
        RedisOp::List,
        RedisOp::TakeOver,
        RedisOp::TakeQueued,
        RedisOp::HandOver,
        RedisOp::NoteRun,
        RedisOp::ExpiredLeases,
        RedisOp::Snapshot,
        RedisOp::Queue,
        RedisOp::RunLog,
        RedisOp::Ping,
        RedisOp::LoadScript,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RedisOp::Claim => "claim",
            RedisOp::Renew => "renew",
            RedisOp::Append => "append",
            RedisOp::Cancel => "cancel",
            RedisOp::Read => "read",
            RedisOp::List => "list",
            RedisOp::TakeOver => "take_over",
            RedisOp::TakeQueued => "take_queued",
            RedisOp::HandOver => "hand_over",
            RedisOp::NoteRun => "note_run",
            RedisOp::ExpiredLeases => "expired_leases",
            RedisOp::Snapshot => "snapshot",
            RedisOp::Queue => "queue",
            RedisOp::RunLog => "run_log",
            RedisOp::Ping => "ping",
            RedisOp::LoadScript => "load_script",
        }
    }
}

/// `reprise_redis_roundtrip_seconds{op}`: shared by the metrics and the store's
/// connection, which observes every call it sends.
#[derive(Debug)]
pub struct RedisRoundTrips {
    by_op: [Histogram<{ US_BOUNDS_US.len() }>; RedisOp::ALL.len()],
}

impl Default for RedisRoundTrips {
    fn default() -> Self {
        Self {
            by_op: [const { Histogram::new(&US_BOUNDS_US) }; RedisOp::ALL.len()],
        }
    }
}

impl RedisRoundTrips {
    pub const NAME: &str = "reprise_redis_roundtrip_seconds";
    pub const HELP: &str = "Round trips of the store's Redis commands and scripts, by operation.";

    pub fn observe(&self, op: RedisOp, took: Duration) {
        self.by_op[op as usize].observe(took);
    }

    /// The sample lines of every operation's histogram.
    pub fn render(&self, out: &mut String) {
        for (op, histogram) in RedisOp::ALL.iter().zip(&self.by_op) {
            let mut labels = String::with_capacity(24);
            let _ = write!(labels, "op=\"{}\"", op.name());
            histogram.render(out, Self::NAME, &labels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_is_listed_at_its_own_index_with_a_distinct_name() {
        for (index, op) in RedisOp::ALL.iter().enumerate() {
            assert_eq!(*op as usize, index);
        }
        let mut names: Vec<_> = RedisOp::ALL.iter().map(|op| op.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), RedisOp::ALL.len());
    }

    #[test]
    fn an_observation_lands_under_its_op() {
        let trips = RedisRoundTrips::default();
        trips.observe(RedisOp::Append, Duration::from_micros(300));
        let mut text = String::new();
        trips.render(&mut text);
        assert!(
            text.contains(
                "reprise_redis_roundtrip_seconds_bucket{op=\"append\",le=\"0.0005\"} 1\n"
            )
        );
        assert!(text.contains("reprise_redis_roundtrip_seconds_count{op=\"claim\"} 0\n"));
    }
}
