//! The slow-client policy against the embedded store, with watchers whose queues are
//! plain lists: a fast one without bound and a slow one that holds a few frames.

mod client;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Map, json};
use tokio::sync::mpsc;

use super::*;
use crate::session::{SessionId, Update, VideoTag};
use crate::store::memory::MemoryStore;
use crate::store::{Claim, ClaimRequest, FeedMessage, Lease, Retention, Store};
use client::Client;

/// A hub on the embedded store, with one running session.
struct Setup {
    hub: Hub,
    store: Arc<MemoryStore>,
    feed: mpsc::UnboundedReceiver<FeedMessage>,
    lease: Lease,
    id: SessionId,
    metrics: Arc<Metrics>,
}

async fn setup(policy: SlowClient) -> Setup {
    let (inbox, feed) = mpsc::unbounded_channel();
    let retention = Retention {
        events: 1_000,
        ms: 60_000,
        ended_ttl_ms: 60_000,
    };
    let store = MemoryStore::new(retention, inbox);
    let metrics = Arc::new(Metrics::default());
    let hub = Hub::new(store.clone(), store.clone(), metrics.clone(), policy);
    let claim = ClaimRequest {
        video_path: "v.mp4".into(),
        new_id: SessionId::generate(&VideoTag::of("v.mp4")),
        owner: "test".into(),
        force: false,
        queued: false,
        lease_ttl_ms: 60_000,
    };
    let Ok(Claim::Created(lease, snapshot)) = store.claim(&claim).await else {
        panic!("the claim creates the session");
    };
    let id = snapshot.session_id;
    Setup {
        hub,
        store,
        feed,
        lease,
        id,
        metrics,
    }
}

impl Setup {
    /// Attaches a watcher that has seen the session's first event.
    async fn watch(&self, client: &Arc<Client>) {
        let ticket = self.hub.attach(&self.id, client.clone()).await.unwrap();
        self.hub
            .go_live(&self.id, client.id, ticket, 1, None, Vec::new());
    }

    /// Records `n` progress events and hands each to the hub, letting its tasks run
    /// in between.
    async fn progress(&mut self, n: usize) {
        for _ in 0..n {
            let update = Update::progress(1.0, Map::new(), None);
            self.store.append(&self.lease, &update).await.unwrap();
            self.deliver().await;
        }
    }

    async fn complete(&mut self) {
        let update = Update::complete(json!({ "outputs": [] }));
        self.store.append(&self.lease, &update).await.unwrap();
        self.deliver().await;
    }

    async fn deliver(&mut self) {
        while let Ok(message) = self.feed.try_recv() {
            self.hub.dispatch(message);
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Asserts what a slow watcher read: events in order from seq 2, each gap snapshot
/// going forward, every event after one once; returns the gap snapshots' count.
fn assert_resumes(read: &[(String, u64, bool)], last_seq: u64) -> usize {
    let mut at = 1;
    let mut gaps = 0;
    for (name, seq, gap) in read {
        if name == "resume_session" {
            assert!(*gap && *seq >= at, "{read:?}");
            gaps += 1;
        } else {
            assert_eq!(*seq, at + 1, "{read:?}");
        }
        at = *seq;
    }
    assert_eq!(at, last_seq, "{read:?}");
    gaps
}

#[tokio::test(start_paused = true)]
async fn an_overflow_trades_the_queued_progress_for_one_gap_snapshot() {
    let mut s = setup(SlowClient::Resync).await;
    let (fast, slow) = (Client::new(usize::MAX, true), Client::new(4, true));
    s.watch(&fast).await;
    s.watch(&slow).await;
    s.progress(10).await;
    let first = slow.read();
    assert!(first.len() < 4, "the queued progress went: {first:?}");
    assert!(first[0].0 == "resume_session" && first[0].2, "{first:?}");
    s.progress(2).await;
    s.complete().await;
    let read = [first, slow.read()].concat();
    assert_eq!(assert_resumes(&read, 14), 1);
    let fast_seqs: Vec<u64> = fast.read().iter().map(|e| e.1).collect();
    assert_eq!(fast_seqs, (2..=14).collect::<Vec<_>>());
    assert!(s.metrics.slow_client_resyncs.load(Ordering::Relaxed) >= 1);
}

#[tokio::test(start_paused = true)]
async fn the_terminal_event_follows_a_snapshot_taken_at_the_end() {
    let mut s = setup(SlowClient::Resync).await;
    let slow = Client::new(3, true);
    s.watch(&slow).await;
    s.progress(3).await;
    s.complete().await;
    let read = slow.read();
    let names: Vec<&str> = read.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["resume_session", "processing_complete"], "{read:?}");
    assert_eq!(
        (read[0].1, read[1].1),
        (4, 5),
        "the snapshot stands one before the end"
    );
}

#[tokio::test(start_paused = true)]
async fn disconnect_closes_the_slow_client_only() {
    let mut s = setup(SlowClient::Disconnect).await;
    let (fast, slow) = (Client::new(usize::MAX, true), Client::new(4, true));
    s.watch(&fast).await;
    s.watch(&slow).await;
    s.progress(6).await;
    assert!(slow.closed.load(Ordering::SeqCst));
    assert_eq!(s.hub.counts(), (1, 1), "only the fast watcher is left");
    assert_eq!(fast.read().len(), 6);
    assert_eq!(s.metrics.slow_client_disconnects.load(Ordering::Relaxed), 1);
}

#[tokio::test(start_paused = true)]
async fn a_queue_that_cannot_shed_gets_its_snapshot_once_it_has_room() {
    let mut s = setup(SlowClient::Disconnect).await;
    let slow = Client::new(4, false);
    s.watch(&slow).await;
    s.progress(8).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let first = slow.read();
    assert_eq!(
        first.iter().map(|e| e.1).collect::<Vec<_>>(),
        [2, 3, 4, 5],
        "kept"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    s.complete().await;
    let read = [first, slow.read()].concat();
    assert_eq!(assert_resumes(&read, 10), 1, "{read:?}");
    assert_eq!(s.metrics.slow_client_resyncs.load(Ordering::Relaxed), 1);
}

#[tokio::test(start_paused = true)]
async fn a_snapshot_that_never_fits_ends_in_a_close() {
    let mut s = setup(SlowClient::Resync).await;
    let slow = Client::new(4, true);
    s.watch(&slow).await;
    for _ in 0..4 {
        s.hub.tell_all("notice", |_| "{}".into());
    }
    s.progress(1).await;
    assert!(!slow.closed.load(Ordering::SeqCst), "not yet");
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert!(
        slow.closed.load(Ordering::SeqCst),
        "closed after its retries"
    );
    assert_eq!(s.metrics.slow_client_disconnects.load(Ordering::Relaxed), 1);
}

#[tokio::test(start_paused = true)]
async fn a_replay_longer_than_the_queue_is_paced_without_a_gap() {
    let mut s = setup(SlowClient::Disconnect).await;
    s.progress(9).await;
    let events = s.store.events_after(&s.id, 1, 100).await.unwrap().events;
    let client = Client::new(4, true);
    let ticket = s.hub.attach(&s.id, client.clone()).await.unwrap();
    s.hub.go_live(&s.id, client.id, ticket, 1, None, events);
    let mut read = Vec::new();
    for _ in 0..10 {
        read.extend(client.read());
        tokio::time::sleep(LAGGING_PAUSE * 2).await;
    }
    assert_eq!(
        read.iter().map(|e| e.1).collect::<Vec<_>>(),
        (2..=10).collect::<Vec<_>>()
    );
    assert!(!client.closed.load(Ordering::SeqCst));
    let slow_counts = [
        &s.metrics.slow_client_resyncs,
        &s.metrics.slow_client_disconnects,
    ];
    assert!(slow_counts.iter().all(|c| c.load(Ordering::Relaxed) == 0));
}
