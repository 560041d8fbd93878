//! Checks of the cluster-wide queue: a session claimed as queued is taken by the next
//! instance with a free slot, oldest first, once, under a fresh token that fences its
//! claimer; sessions no longer queued are skipped.

use reprise::session::Status;

use super::{KEEP_ALL, Make, assert_fenced, created, progress, read_snapshot, request};
use reprise::store::Store;

async fn queued(store: &dyn Store, path: &str) -> reprise::store::Lease {
    let mut claim = request(path);
    claim.queued = true;
    let (lease, snapshot) = created(store, &claim).await;
    assert_eq!(snapshot.status, Status::Queued);
    lease
}

pub async fn queued_sessions_are_taken_oldest_first_and_once(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    assert!(store.take_queued("b", 30_000).await.unwrap().is_none());
    created(store, &request("running.mp4")).await;
    let first = queued(store, "first.mp4").await;
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let second = queued(store, "second.mp4").await;

    let (taken, snapshot) = store
        .take_queued("b", 30_000)
        .await
        .unwrap()
        .expect("one waits");
    assert_eq!(taken.session_id, first.session_id, "oldest first");
    assert_eq!(
        snapshot.status,
        Status::Queued,
        "it starts when its run writes"
    );
    assert!(taken.token > first.token, "a fresh token");
    assert_fenced(store, &first, "the claimer of a taken session").await;
    store
        .append(&taken, &progress(5.0))
        .await
        .expect("the taker writes");

    let (next, _) = store
        .take_queued("c", 30_000)
        .await
        .unwrap()
        .expect("another waits");
    assert_eq!(next.session_id, second.session_id);
    assert!(
        store.take_queued("d", 30_000).await.unwrap().is_none(),
        "taken once"
    );
}

pub async fn sessions_no_longer_queued_are_skipped(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let started = queued(store, "started.mp4").await;
    store
        .append(&started, &progress(1.0))
        .await
        .expect("its claimer starts it");
    let cancelled = queued(store, "cancelled.mp4").await;
    store.cancel(&cancelled.session_id).await.expect("cancel");
    let waiting = queued(store, "waiting.mp4").await;

    let (taken, _) = store
        .take_queued("b", 30_000)
        .await
        .unwrap()
        .expect("one waits");
    assert_eq!(taken.session_id, waiting.session_id);
    assert!(store.take_queued("b", 30_000).await.unwrap().is_none());
    let still = read_snapshot(store, &started.session_id).await.unwrap();
    assert_eq!(
        still.status,
        Status::Processing,
        "a started session is left alone"
    );
    store
        .append(&started, &progress(2.0))
        .await
        .expect("its claimer keeps its lease");
}
