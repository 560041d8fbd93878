//! Logging: human-readable or JSON lines, filtered by `RUST_LOG` (default `info`).
//! Runs, claims, joins and takeovers log inside spans that carry `session_id` and
//! `video`; JSON lines hold them under `span` (the innermost) and `spans`.

use tracing::Dispatch;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber, writing to `sink`. Does nothing if one is
/// already installed (tests call it once per test).
pub fn init<W>(format: LogFormat, default_filter: &str, sink: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = dispatch(format, filter, sink).try_init();
}

/// The subscriber that [`init`] installs, for a scope of its own too
/// (`tracing::dispatcher::set_default`, as a test that reads the lines does).
pub fn dispatch<W>(format: LogFormat, filter: EnvFilter, sink: W) -> Dispatch
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = fmt().with_env_filter(filter).with_writer(sink);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .into(),
        LogFormat::Human => builder.into(),
    }
}

/// Logs a run of failures of one thing once when it starts and once when it ends,
/// however often it fails in between.
#[derive(Debug, Default)]
pub struct Outage {
    since: Option<std::time::Instant>,
    failures: u64,
}

impl Outage {
    /// Counts a failure; the first of a run is logged as a warning with its cause.
    pub fn failed(&mut self, what: &'static str, cause: &dyn std::fmt::Display) {
        if self.since.is_none() {
            tracing::warn!(%cause, what, "failing; further failures are counted, not logged");
            self.since = Some(std::time::Instant::now());
        }
        self.failures += 1;
    }

    /// Ends a run of failures, logging how long it lasted.
    pub fn recovered(&mut self, what: &'static str) {
        if let Some(since) = self.since.take() {
            let down_ms = since.elapsed().as_millis() as u64;
            tracing::info!(what, failures = self.failures, down_ms, "recovered");
            self.failures = 0;
        }
    }
}
