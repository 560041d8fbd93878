//! Checks of handing a lease over (a draining instance) and of the run log.

use reprise::session::{SessionId, Status, VideoTag};
use reprise::store::{Claim, FeedMessage, StoreError};

use super::{
    KEEP_ALL, Make, assert_fenced, created, expired, next_message, progress, read_log,
    read_snapshot, request, taken,
};

pub async fn hand_over_lets_another_owner_continue_at_once(make: Make) {
    let mut backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    // Any subscription resolves once the feed is connected, and with it the hand-over
    // channel; this one names no session of the check.
    let elsewhere = SessionId::generate(&VideoTag::of("elsewhere.mp4"));
    backend.feed.subscribe(&elsewhere).await.expect("subscribe");
    let (lease, _) = created(store, &request("a.mp4")).await;
    let id = lease.session_id.clone();
    store.append(&lease, &progress(25.0)).await.expect("append");
    let (other, _) = created(store, &request("b.mp4")).await;

    assert!(store.hand_over(&lease).await.expect("hand_over"));
    assert_eq!(
        expired(store).await,
        std::slice::from_ref(&id),
        "not expired at once"
    );
    let heard = next_message(&mut backend.inbox).await;
    assert_eq!(heard, FeedMessage::HandedOver(id.clone()));
    assert!(
        !store.hand_over(&lease).await.expect("hand_over"),
        "handed over twice"
    );
    assert_fenced(store, &lease, "a handed-over lease").await;
    let before = read_snapshot(store, &id).await.expect("session");
    match store.claim(&request("a.mp4")).await.expect("claim") {
        Claim::Running(snapshot) => assert_eq!(snapshot, before),
        other => panic!("expected Running after the hand-over, got {other:?}"),
    }

    let (next, snapshot) = taken(store, &id, "next").await;
    assert!(next.token > lease.token);
    assert_eq!((snapshot.seq, snapshot.progress), (2, 25.0));
    assert_eq!(snapshot.status, Status::Processing);
    store.append(&next, &progress(30.0)).await.expect("append");
    assert!(
        store.renew(&other, 30_000).await.expect("renew"),
        "another video's lease"
    );
    if let Ok(late) = backend.inbox.try_recv() {
        panic!("unexpected feed message: {late:?}");
    }
}

pub async fn run_log_round_trips_under_the_current_lease(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (lease, _) = created(store, &request("a.mp4")).await;
    let id = lease.session_id.clone();
    assert!(read_log(store, &id).await.is_empty());
    let unknown = SessionId::generate(&VideoTag::of("nowhere.mp4"));
    assert!(read_log(store, &unknown).await.is_empty());

    let lines = [
        "ran on i1 from 1 to 2",
        "ran on i1: \"quoted\"\nsecond line",
        "",
    ];
    for line in lines {
        store.note_run(&lease, line).await.expect("note_run");
    }
    assert_eq!(read_log(store, &id).await, lines);

    assert!(store.hand_over(&lease).await.expect("hand_over"));
    assert_fenced(store, &lease, "a handed-over lease").await;
    let (next, _) = taken(store, &id, "next").await;
    store.note_run(&next, "ran on i2").await.expect("note_run");
    let log = read_log(store, &id).await;
    assert_eq!(
        (log.len(), log.last().map(String::as_str)),
        (4, Some("ran on i2"))
    );

    for n in 0..1_005 {
        store
            .note_run(&next, &format!("line {n}"))
            .await
            .expect("note_run");
    }
    let log = read_log(store, &id).await;
    assert_eq!(log.len(), 1_000, "the run log is not capped");
    assert_eq!(
        (log[0].as_str(), log[999].as_str()),
        ("line 5", "line 1004")
    );

    store.cancel(&id).await.expect("cancel");
    assert_eq!(
        read_log(store, &id).await.len(),
        1_000,
        "kept while the session is"
    );
    match store.note_run(&next, "after the end").await {
        Err(StoreError::Fenced) => {}
        other => panic!("note_run after a cancel gave {other:?}"),
    }
}
