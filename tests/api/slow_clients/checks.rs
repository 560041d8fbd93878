//! What the tests measure and check: the fast watcher's every event and its latency,
//! and what the slow one reads once it reads again.

use reprise::session::replies::now_ms;

use super::STEPS;
use super::stalling::Read;
use crate::helpers::TestApp;
use crate::sio_client::{Received, SioClient};

/// The longest an event may take from being recorded to reaching the fast watcher,
/// and the most its median may be (both are a few milliseconds here; a watcher held
/// back by the slow one would wait until the slow one reads again, which it does only
/// after the fast one has finished).
const PROMPT_MAX_MS: u64 = 2000;
const PROMPT_MEDIAN_MS: u64 = 100;

pub fn seq(event: &Received) -> u64 {
    event.data["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("no seq in {event:?}"))
}

/// Follows the fast watcher to the end, and checks it got every event after
/// `last_seq` once, in order, and promptly.
pub async fn follow(mut fast: SioClient, last_seq: u64) {
    let mut latencies = Vec::new();
    let mut expected = last_seq + 1;
    loop {
        let event = fast.next().await;
        latencies.push(now_ms().saturating_sub(event.data["ts"].as_u64().unwrap()));
        assert_eq!(seq(&event), expected, "the fast watcher: {event:?}");
        expected += 1;
        if event.name == "processing_complete" {
            break;
        }
    }
    assert_eq!(
        latencies.len(),
        STEPS as usize + 1,
        "every event to the end"
    );
    latencies.sort_unstable();
    let median = latencies[latencies.len() / 2];
    let max = latencies[latencies.len() - 1];
    eprintln!(
        "fast watcher: {} events, latency median {median} ms, max {max} ms",
        latencies.len()
    );
    assert!(
        max <= PROMPT_MAX_MS && median <= PROMPT_MEDIAN_MS,
        "the fast watcher was held back: latency median {median} ms, max {max} ms"
    );
}

/// What a slow watcher reads once it reads again, checked as it comes: events in
/// order, each gap snapshot going forward, every event after one exactly once.
pub struct Resumed {
    pub last: u64,
    read: u64,
    gaps: u64,
    skipped: u64,
}

impl Resumed {
    pub fn after(last_seq: u64) -> Self {
        Self {
            last: last_seq,
            read: 0,
            gaps: 0,
            skipped: 0,
        }
    }

    /// Checks the next event; true once it is the terminal one.
    pub fn take(&mut self, event: &Received) -> bool {
        let (at, last) = (seq(event), self.last);
        self.read += 1;
        if event.name == "resume_session" {
            assert_eq!(event.data["gap"], true, "{event:?}");
            assert!(
                at > last,
                "a gap snapshot goes forward: {last} then {event:?}"
            );
            self.gaps += 1;
            self.skipped += at - last;
        } else {
            assert_eq!(
                at,
                last + 1,
                "after seq {last}, every event once: {event:?}"
            );
        }
        self.last = at;
        event.name == "processing_complete"
    }

    /// Reads with `next` and checks each event until the terminal one; `who` names
    /// the reader in a failure.
    pub async fn drain(&mut self, mut next: impl AsyncFnMut() -> Read, who: &str) {
        loop {
            match next().await {
                Read::Event(event) if self.take(&event) => return,
                Read::Event(_) => {}
                other => panic!("{who} after seq {}: {other:?}", self.last),
            }
        }
    }

    /// Asserts the slow watcher got a gap snapshot and reached the end, and the
    /// counters say so.
    pub async fn check(&self, app: &TestApp) {
        let Self {
            read,
            gaps,
            skipped,
            ..
        } = self;
        eprintln!(
            "slow watcher: {read} events read, {gaps} gap snapshots, {skipped} events skipped"
        );
        assert!(*gaps >= 1, "the slow watcher got no gap snapshot");
        assert_eq!(self.last, STEPS as u64 + 2);
        assert!(counter(app, "slow_client_resyncs").await >= 1);
        assert_eq!(counter(app, "slow_client_disconnects").await, 0);
    }
}

/// The counter `reprise_<name>_total` now.
pub async fn counter(app: &TestApp, name: &str) -> u64 {
    app.scrape().await.value(&format!("reprise_{name}_total"))
}
