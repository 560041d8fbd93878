//! Rendering of the plain families: counters, refusals, sessions by status.

use super::*;
use crate::session::Status;

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

#[test]
fn ended_sessions_are_counted_by_terminal_status() {
    let metrics = Metrics::default();
    metrics.ended(Status::Complete);
    metrics.ended(Status::Cancelled);
    metrics.ended(Status::Cancelled);
    metrics.ended(Status::Processing);
    let text = metrics.render();
    assert!(text.contains("reprise_sessions_ended_total{status=\"complete\"} 1\n"));
    assert!(text.contains("reprise_sessions_ended_total{status=\"failed\"} 0\n"));
    assert!(text.contains("reprise_sessions_ended_total{status=\"cancelled\"} 2\n"));
    assert!(!text.contains("status=\"processing\"} 1"));
}

#[test]
fn a_run_is_queued_then_processing_until_its_gauge_is_dropped() {
    let metrics = Metrics::default();
    let runs = |text: &str, status: &str| -> String {
        let prefix = format!("reprise_runs{{status=\"{status}\"}} ");
        let line = text.lines().find_map(|l| l.strip_prefix(prefix.as_str()));
        line.unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .into()
    };
    let mut first = metrics.run_waiting();
    let second = metrics.run_waiting();
    first.processing();
    first.processing();
    let text = metrics.render();
    assert_eq!(
        (runs(&text, "queued"), runs(&text, "processing")),
        ("1".into(), "1".into())
    );
    drop(first);
    drop(second);
    let text = metrics.render();
    assert_eq!(
        (runs(&text, "queued"), runs(&text, "processing")),
        ("0".into(), "0".into())
    );
}

#[test]
fn fanout_latency_runs_from_the_event_ts_to_now() {
    let metrics = Metrics::default();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    metrics.event_received(now_ms - 30);
    metrics.event_received(now_ms + 5_000);
    let text = metrics.render();
    let name = "reprise_fanout_latency_seconds";
    assert!(
        text.contains(&format!("{name}_bucket{{le=\"0.025\"}} 1\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{name}_bucket{{le=\"0.05\"}} 2\n")),
        "{text}"
    );
    assert!(text.contains(&format!("{name}_count 2\n")));
}
