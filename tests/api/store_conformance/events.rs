//! Checks of event numbering, paging, retention, live delivery and expiry.

use std::time::Duration;

use reprise::session::{Event, SessionId, Status, Update};
use reprise::store::{Cancel, Claim, FeedMessage, Retention, Store, wire};
use serde_json::{Map, json};

use super::{
    KEEP_ALL, Make, created, next_message, payload, progress, read_page, read_snapshot, request,
};

/// The seqs of the events, which must be consecutive.
fn consecutive(events: &[Event]) -> Vec<u64> {
    let seqs: Vec<u64> = events.iter().map(|event| event.seq).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "gap in {seqs:?}"
    );
    seqs
}

/// Creates a session of `path` and appends `count` progress events to it.
async fn with_events(store: &dyn Store, path: &str, count: u32) -> (SessionId, Vec<Event>) {
    let (lease, snapshot) = created(store, &request(path)).await;
    let mut appended = Vec::new();
    for step in 1..=count {
        appended.push(
            store
                .append(&lease, &progress(f64::from(step)))
                .await
                .expect("append"),
        );
    }
    (snapshot.session_id, appended)
}

pub async fn appends_number_events_without_gaps_and_keep_progress(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (lease, snapshot) = created(store, &request("a.mp4")).await;
    let id = snapshot.session_id;
    let mut stage = Map::new();
    stage.insert("stage".into(), json!("encode"));
    let updates = [
        Update::progress(10.0, stage, Some("frame=100".into())),
        progress(50.0),
        Update::progress(30.0, Map::new(), Some("frame=300".into())),
    ];
    let mut appended = Vec::new();
    for update in &updates {
        appended.push(store.append(&lease, update).await.expect("append"));
    }
    assert_eq!(consecutive(&appended), [2, 3, 4]);
    assert_eq!(payload(&appended[0])["stage"], "encode");
    assert_eq!(
        payload(&appended[2])["progress"],
        50.0,
        "progress went backwards"
    );
    assert_eq!(payload(&appended[2])["seq"], 4);
    for (event, update) in appended.iter().zip(&updates) {
        let json = payload(event);
        let (ts, progress) = (json["ts"].as_u64(), json["progress"].as_f64());
        let head = (
            event.seq,
            wire::format_progress(progress.expect("progress")),
        );
        let tail = wire::update_tail(&id, "a.mp4", update);
        let expected = wire::event_json(head.0, &head.1, ts.expect("ts"), &tail);
        assert_eq!(*event.json, expected, "not the shared wire layout");
    }

    let now = read_snapshot(store, &id).await.expect("session");
    assert_eq!(
        (now.seq, now.progress, now.status),
        (4, 50.0, Status::Processing)
    );
    assert_eq!(now.checkpoint.as_deref(), Some("frame=300"));
    let page = read_page(store, &id, 0, 100).await;
    assert_eq!(consecutive(&page.events), [1, 2, 3, 4]);
    assert_eq!(
        page.events[1..],
        appended[..],
        "read back differs from what append returned"
    );
}

pub async fn events_after_pages_through_the_log(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (id, _) = with_events(store, "a.mp4", 10).await;
    let mut after = 0;
    let mut pages = Vec::new();
    loop {
        let page = read_page(store, &id, after, 4).await;
        assert_eq!((page.first_retained, page.last_seq), (1, 11));
        let Some(last) = page.events.last() else {
            break;
        };
        after = last.seq;
        pages.push(consecutive(&page.events));
    }
    assert_eq!(pages, [vec![1, 2, 3, 4], vec![5, 6, 7, 8], vec![9, 10, 11]]);
    let beyond = read_page(store, &id, 100, 4).await;
    assert!(beyond.events.is_empty());
    assert_eq!(beyond.last_seq, 11);
}

pub async fn retention_trims_only_beyond_both_limits(make: Make) {
    let few = Retention {
        events: 5,
        ms: 0,
        ..KEEP_ALL
    };
    let backend = make(few).await;
    let (id, _) = with_events(&*backend.store, "a.mp4", 30).await;
    let page = read_page(&*backend.store, &id, 0, 1_000).await;
    let seqs = consecutive(&page.events);
    assert!(page.first_retained > 1, "nothing was trimmed: {seqs:?}");
    assert_eq!(
        seqs.first(),
        Some(&page.first_retained),
        "the reader cannot see the gap"
    );
    assert!(
        page.first_retained <= 27,
        "fewer than the last 5 were kept: {seqs:?}"
    );
    assert_eq!((seqs.last(), page.last_seq), (Some(&31), 31));

    let young = Retention {
        events: 5,
        ms: 600_000,
        ..KEEP_ALL
    };
    let backend = make(young).await;
    let (id, _) = with_events(&*backend.store, "a.mp4", 30).await;
    let page = read_page(&*backend.store, &id, 0, 1_000).await;
    assert_eq!(page.first_retained, 1, "young events were trimmed");
    assert_eq!(consecutive(&page.events), (1..=31).collect::<Vec<_>>());
}

pub async fn feed_delivers_appended_events_in_order_until_unsubscribed(make: Make) {
    let mut backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (lease, snapshot) = created(store, &request("a.mp4")).await;
    let id = snapshot.session_id;
    backend.feed.subscribe(&id).await.expect("subscribe");
    let mut appended = Vec::new();
    for step in 1..=20 {
        appended.push(
            store
                .append(&lease, &progress(f64::from(step)))
                .await
                .expect("append"),
        );
    }
    for sent in &appended {
        match next_message(&mut backend.inbox).await {
            FeedMessage::Event(from, got) => {
                assert_eq!(from, id);
                assert_eq!((got.seq, &got.json), (sent.seq, &sent.json));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    backend.feed.unsubscribe(&id);
    for step in 21..=23 {
        store
            .append(&lease, &progress(f64::from(step)))
            .await
            .expect("append");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    if let Ok(late) = backend.inbox.try_recv() {
        panic!("delivered after unsubscribe: {late:?}");
    }

    let (_, other) = created(store, &request("b.mp4")).await;
    backend
        .feed
        .subscribe(&other.session_id)
        .await
        .expect("subscribe");
    let Cancel::Cancelled(cancelled) = store.cancel(&other.session_id).await.expect("cancel")
    else {
        panic!("the running session was not cancelled");
    };
    let delivered = next_message(&mut backend.inbox).await;
    assert_eq!(delivered, FeedMessage::Event(other.session_id, cancelled));
}

pub async fn ended_sessions_expire_after_their_ttl(make: Make) {
    let short = Retention {
        ended_ttl_ms: 200,
        ..KEEP_ALL
    };
    let backend = make(short).await;
    let store = &*backend.store;
    let (lease, ended) = created(store, &request("a.mp4")).await;
    let (_, running) = created(store, &request("b.mp4")).await;
    store
        .note_run(&lease, "ran on conformance")
        .await
        .expect("note_run");
    store
        .append(&lease, &Update::complete(json!({})))
        .await
        .expect("complete");
    assert!(read_snapshot(store, &ended.session_id).await.is_some());

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(read_snapshot(store, &ended.session_id).await, None);
    let page = read_page(store, &ended.session_id, 0, 10).await;
    assert!(page.events.is_empty(), "events outlived their session");
    let log = store.run_log(&ended.session_id).await.expect("run_log");
    assert!(log.is_empty(), "the run log outlived its session: {log:?}");
    assert!(read_snapshot(store, &running.session_id).await.is_some());
    match store.claim(&request("a.mp4")).await.expect("claim") {
        Claim::Created(_, snapshot) => assert_ne!(snapshot.session_id, ended.session_id),
        other => panic!("an expired session still answers claims: {other:?}"),
    }
}
