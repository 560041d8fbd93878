//! Process-wide counters, rendered as Prometheus text at `GET /metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($field:ident => $help:literal),* $(,)?) => {
        /// Monotonic counters; cheap to bump from any task.
        #[derive(Debug, Default)]
        pub struct Metrics {
            $(#[doc = $help] pub $field: AtomicU64,)*
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
    lease_renew_failures => "Lease renewals that failed or found the lease lost.",
    runs_fenced => "Runs stopped because their lease was superseded or ran out.",
    runs_handed_over => "Runs handed over to another instance on drain.",
    takeover_gave_up => "Sessions failed because they kept losing their owner.",
    requests_refused => "Client requests refused with a processing_error.",
}

impl Metrics {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
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
}
