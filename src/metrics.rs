//! Process-wide counters, gauges and histograms, rendered as Prometheus text at
//! `GET /metrics`. Every family's name, type and help text is listed in
//! `tests/api/metrics_names.txt`, which a test holds the rendering to.

mod histogram;
mod redis;
mod sessions;

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub use histogram::Histogram;
pub use redis::{RedisOp, RedisRoundTrips};
pub use sessions::RunGauge;

use histogram::MS_BOUNDS_US;

macro_rules! counters {
    ($($field:ident => $help:literal),* $(,)?) => {
        /// Monotonic counters, gauges and histograms; cheap to update from any task.
        #[derive(Debug)]
        pub struct Metrics {
            $(#[doc = $help] pub $field: AtomicU64,)*
            /// Refused requests, by the code they were refused with.
            refusals: [AtomicU64; REFUSAL_CODES.len()],
            sessions: sessions::Sessions,
            fanout_latency: Histogram<{ MS_BOUNDS_US.len() }>,
            /// Shared with the Redis store's connection, which observes its calls.
            pub redis: Arc<RedisRoundTrips>,
        }

        impl Default for Metrics {
            fn default() -> Self {
                Self {
                    $($field: AtomicU64::new(0),)*
                    refusals: Default::default(),
                    sessions: Default::default(),
                    fanout_latency: Histogram::new(&MS_BOUNDS_US),
                    redis: Arc::default(),
                }
            }
        }

        impl Metrics {
            /// The Prometheus text exposition of every family.
            pub fn render(&self) -> String {
                let mut out = String::new();
                $(
                    let name = concat!("reprise_", stringify!($field), "_total");
                    header(&mut out, name, "counter", $help);
                    let _ = writeln!(out, "{name} {}", self.$field.load(Ordering::Relaxed));
                )*
                self.render_refusals(&mut out);
                self.sessions.render(&mut out);
                self.render_histograms(&mut out);
                out
            }
        }
    };
}

counters! {
    claims => "Claims this instance made (start_processing, POST /api/v1/sessions), whatever they found.",
    sessions_started => "Sessions created by a claim on this instance.",
    sessions_resumed => "Requests answered by joining an existing session.",
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

const FANOUT_LATENCY: &str = "reprise_fanout_latency_seconds";

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

    /// Counts a session that ended (`complete`, `failed`, `cancelled`) through this
    /// instance; other statuses are ignored.
    pub fn ended(&self, status: crate::session::Status) {
        self.sessions.ended(status);
    }

    /// Counts a run of this instance as `queued` until [`RunGauge::processing`], and
    /// then as `processing`, until the gauge is dropped.
    pub fn run_waiting(&self) -> RunGauge<'_> {
        self.sessions.run_waiting()
    }

    /// Observes the time from an event's `ts` (milliseconds since the epoch, set when
    /// it was recorded) until now, when this instance received it from the feed.
    pub fn event_received(&self, ts_ms: u64) {
        let now_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |now| u64::try_from(now.as_micros()).unwrap_or(u64::MAX));
        let latency_us = now_us.saturating_sub(ts_ms.saturating_mul(1_000));
        self.fanout_latency.observe_us(latency_us);
    }

    fn render_refusals(&self, out: &mut String) {
        let name = "reprise_requests_refused_total";
        header(
            out,
            name,
            "counter",
            "Client requests refused, by error code.",
        );
        for (code, counter) in REFUSAL_CODES.iter().zip(&self.refusals) {
            let count = counter.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}{{reason=\"{code}\"}} {count}");
        }
    }

    fn render_histograms(&self, out: &mut String) {
        let help = "Time from an event's recording (its ts) until this instance received it \
                    from the feed, once per event.";
        header(out, FANOUT_LATENCY, "histogram", help);
        self.fanout_latency.render(out, FANOUT_LATENCY, "");
        let (name, help) = (RedisRoundTrips::NAME, RedisRoundTrips::HELP);
        header(out, name, "histogram", help);
        self.redis.render(out);
    }
}

/// The `# HELP` and `# TYPE` lines of a family.
pub fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests;
