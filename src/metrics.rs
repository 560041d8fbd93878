//! Process-wide counters, rendered as Prometheus text at `GET /metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($field:ident => $help:literal),* $(,)?) => {
        /// Monotonic counters; cheap to bump from any task.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $(#[doc = $help] pub $field: AtomicU64,)*
            /// Refused requests, by the code they were refused with.
            refusals: [AtomicU64; REFUSAL_CODES.len()],
        }

        impl Metrics {
            /// The Prometheus text exposition of every counter.
            pub fn render(&self) -> String {
                let mut out = String::new();
                $(
                    let name = concat!("reprise_", stringify!($field), "_total");
                    let _ = writeln!(out, "# HELP {name} {}", $help);
                    let _ = writeln!(out, "# TYPE {name} counter");
                    let _ = writeln!(out, "{name} {}", self.$field.load(Ordering::Relaxed));
                )*
                self.render_refusals(&mut out);
                out
            }
        }
    };
}

counters! {
    sessions_started => "Sessions created by a claim on this instance.",
    sessions_resumed => "Requests answered by joining an existing session.",
    sessions_completed => "Sessions this instance ran to completion.",
    sessions_failed => "Sessions this instance ended as failed.",
    sessions_cancelled => "Sessions cancelled through this instance.",
    sessions_taken_over => "Orphaned sessions this instance took over.",
    claim_dedup_hits => "Claims that found the video already queued or processing.",
    events_published => "Session events this instance recorded and published.",
    events_delivered => "Events sent to local watchers, replays included.",
    events_replayed => "Missed events replayed to (re)joining watchers.",
    slow_client_resyncs => "Overflowed client queues whose session progress gave way to a gap snapshot.",
    slow_client_disconnects => "Client connections closed because their outgoing queue overflowed.",
    lease_renew_failures => "Lease renewals that failed or found the lease lost.",
    runs_fenced => "Runs stopped because their lease was superseded or ran out.",
    runs_handed_over => "Runs handed over to another instance on drain.",
    takeover_gave_up => "Sessions failed because they kept losing their owner.",
}

/// The codes a request is refused with (PROTOCOL.md's, but `processing_failed`, which
/// ends a session rather than refusing a request).
pub const REFUSAL_CODES: [&str; 9] = [
    "bad_request",
    "invalid_path",
    "not_found",
    "unknown_session",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "too_many_sessions",
    "unavailable",
];

impl Metrics {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts a request refused with `code`, over any transport.
    pub fn refused(&self, code: &str) {
        let index = REFUSAL_CODES.iter().position(|known| *known == code);
        debug_assert!(index.is_some(), "unknown refusal code {code}");
        if let Some(counter) = index.and_then(|i| self.refusals.get(i)) {
            Self::bump(counter);
        }
    }

    fn render_refusals(&self, out: &mut String) {
        let name = "reprise_requests_refused_total";
        let _ = writeln!(out, "# HELP {name} Client requests refused, by error code.");
        let _ = writeln!(out, "# TYPE {name} counter");
        for (code, counter) in REFUSAL_CODES.iter().zip(&self.refusals) {
            let count = counter.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{reason=\"{code}\"}} {count}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_counter_with_help_and_value() {
        let metrics = Metrics::default();
        Metrics::add(&metrics.events_delivered, 3);
        let text = metrics.render();
        assert!(text.contains(
            "# TYPE reprise_events_delivered_total counter\nreprise_events_delivered_total 3\n"
        ));
        assert!(text.contains("# HELP reprise_sessions_started_total "));
    }

    #[test]
    fn refusals_are_counted_by_reason() {
        let metrics = Metrics::default();
        metrics.refused("rate_limited");
        metrics.refused("rate_limited");
        metrics.refused("not_found");
        let text = metrics.render();
        assert!(text.contains("reprise_requests_refused_total{reason=\"rate_limited\"} 2\n"));
        assert!(text.contains("reprise_requests_refused_total{reason=\"not_found\"} 1\n"));
        assert!(text.contains("reprise_requests_refused_total{reason=\"forbidden\"} 0\n"));
    }
}
