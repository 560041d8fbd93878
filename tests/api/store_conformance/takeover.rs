//! Checks of the lease-deadline index and of taking sessions over: only `take_over`
//! does, only once a lease ran out, under a fresh token, a bounded number of times.

use reprise::session::{EventKind, Status, Update};
use reprise::store::{Claim, FeedMessage, Store, TakeOver};
use serde_json::json;

use super::{
    KEEP_ALL, Make, assert_fenced, created, expired, let_expire, next_message, payload, progress,
    read_page, read_snapshot, request, taken,
};

/// Asserts that no lease has run out.
async fn assert_none_expired(store: &dyn Store, why: &str) {
    let listed = expired(store).await;
    assert!(listed.is_empty(), "{why}: {listed:?}");
}

pub async fn claim_of_an_orphan_changes_nothing(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (lease, _) = created(store, &request("a.mp4")).await;
    let id = lease.session_id.clone();
    store.append(&lease, &progress(10.0)).await.expect("append");
    let_expire(store, &lease).await;
    let before = read_snapshot(store, &id).await.expect("session");

    for _ in 0..3 {
        match store.claim(&request("a.mp4")).await.expect("claim") {
            Claim::Running(snapshot) => assert_eq!(snapshot, before),
            other => panic!("expected Running for the orphan, got {other:?}"),
        }
    }
    assert_eq!(read_snapshot(store, &id).await, Some(before));
    assert_eq!(read_page(store, &id, 0, 10).await.last_seq, 2);
    assert_eq!(
        expired(store).await,
        std::slice::from_ref(&id),
        "a claim took a lease"
    );
    assert_fenced(store, &lease, "an orphan's lost lease").await;
    let (next, _) = taken(store, &id, "next").await;
    assert_eq!(
        next.token,
        lease.token + 1,
        "a claim of the orphan used a token"
    );
}

pub async fn expired_leases_lists_only_leases_that_ran_out(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (a, _) = created(store, &request("a.mp4")).await;
    let (b, _) = created(store, &request("b.mp4")).await;
    let (c, _) = created(store, &request("c.mp4")).await;
    assert_none_expired(store, "live leases listed").await;

    let_expire(store, &b).await;
    let_expire(store, &a).await;
    let_expire(store, &c).await;
    let overdue = [
        b.session_id.clone(),
        a.session_id.clone(),
        c.session_id.clone(),
    ];
    assert_eq!(expired(store).await, overdue, "not most overdue first");
    let first_two = store.expired_leases(2).await.expect("expired_leases");
    assert_eq!(first_two, overdue[..2]);
    assert!(
        store
            .expired_leases(0)
            .await
            .expect("expired_leases")
            .is_empty()
    );

    // Ended sessions leave the index, however they ended; renewed ones are not due.
    let (b2, _) = taken(store, &b.session_id, "next").await;
    let complete = Update::complete(json!({}));
    store.append(&b2, &complete).await.expect("complete");
    store.cancel(&a.session_id).await.expect("cancel");
    let (d, _) = created(store, &request("d.mp4")).await;
    let_expire(store, &d).await;
    let (d2, _) = taken(store, &d.session_id, "next").await;
    assert!(store.renew(&d2, 30_000).await.expect("renew"));
    let (e, _) = created(store, &request("e.mp4")).await;
    store.append(&e, &complete).await.expect("complete");
    assert_eq!(expired(store).await, std::slice::from_ref(&c.session_id));
}

pub async fn take_over_of_a_live_or_ended_session_is_not_needed(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (lease, snapshot) = created(store, &request("a.mp4")).await;
    let id = &lease.session_id;
    let not_needed = store.take_over(id, "thief", 30_000, 10).await;
    assert_eq!(not_needed.expect("take_over"), TakeOver::NotNeeded);
    assert_eq!(read_snapshot(store, id).await, Some(snapshot));
    store
        .append(&lease, &progress(5.0))
        .await
        .expect("the owner still writes");
    assert_none_expired(store, "a live lease listed").await;

    store.cancel(id).await.expect("cancel");
    let ended = store.take_over(id, "thief", 30_000, 10).await;
    assert_eq!(ended.expect("take_over"), TakeOver::NotNeeded);
    let unknown = request("nowhere.mp4").new_id;
    let unknown = store.take_over(&unknown, "thief", 30_000, 10).await;
    assert_eq!(unknown.expect("take_over"), TakeOver::NotNeeded);
    assert_eq!(
        read_snapshot(store, id).await.expect("kept").status,
        Status::Cancelled
    );
}

pub async fn stale_owner_is_fenced_after_takeover(make: Make) {
    let backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (a, _) = created(store, &request("a.mp4")).await;
    let checkpointed = Update::progress(20.0, Default::default(), Some("frame=480".into()));
    store.append(&a, &checkpointed).await.expect("append");
    let_expire(store, &a).await;
    assert_fenced(store, &a, "an expired lease").await;

    let (b, taken) = taken(store, &a.session_id, "next").await;
    assert!(
        b.token > a.token,
        "token {} does not supersede {}",
        b.token,
        a.token
    );
    assert_eq!(
        (&b.session_id, &b.video_path),
        (&a.session_id, &a.video_path)
    );
    assert_eq!(taken.session_id, a.session_id);
    assert_eq!(
        (taken.seq, taken.progress, taken.status),
        (2, 20.0, Status::Processing)
    );
    assert_eq!(taken.checkpoint.as_deref(), Some("frame=480"));
    assert_none_expired(store, "the new lease counts as expired").await;
    assert_fenced(store, &a, "a superseded lease").await;
    let again = store.take_over(&a.session_id, "third", 30_000, 10).await;
    assert_eq!(again.expect("take_over"), TakeOver::NotNeeded);

    let next = store.append(&b, &progress(30.0)).await.expect("append");
    assert_eq!(next.seq, 3);
    assert!(matches!(
        store.claim(&request("a.mp4")).await,
        Ok(Claim::Running(_))
    ));
}

pub async fn takeovers_are_counted_and_bounded(make: Make) {
    let mut backend = make(KEEP_ALL).await;
    let store = &*backend.store;
    let (mut lease, first) = created(store, &request("a.mp4")).await;
    let id = first.session_id.clone();
    store.append(&lease, &progress(40.0)).await.expect("append");
    backend.feed.subscribe(&id).await.expect("subscribe");
    for round in 1..=2 {
        let_expire(store, &lease).await;
        match store
            .take_over(&id, "next", 30_000, 2)
            .await
            .expect("take_over")
        {
            TakeOver::Taken(next, _) => lease = next,
            other => panic!("takeover {round} of 2 allowed gave {other:?}"),
        }
    }
    let_expire(store, &lease).await;
    let event = match store
        .take_over(&id, "next", 30_000, 2)
        .await
        .expect("take_over")
    {
        TakeOver::GaveUp(event) => event,
        other => panic!("a third takeover of 2 allowed gave {other:?}"),
    };
    assert_eq!((event.seq, event.kind), (3, EventKind::Failed));
    let json = payload(&event);
    assert_eq!(
        (&json["status"], &json["code"]),
        (&json!("failed"), &json!("processing_failed"))
    );
    assert_eq!(
        (&json["progress"], &json["session_id"]),
        (&json!(40.0), &json!(id.as_str()))
    );
    assert!(
        json["message"].as_str().is_some_and(|m| m.contains('2')),
        "{json}"
    );
    let delivered = next_message(&mut backend.inbox).await;
    assert_eq!(delivered, FeedMessage::Event(id.clone(), event.clone()));
    assert_eq!(read_page(store, &id, 2, 10).await.events, [event]);

    let ended = read_snapshot(store, &id).await.expect("session");
    assert_eq!(
        (ended.status, ended.progress, ended.seq),
        (Status::Failed, 40.0, 3)
    );
    assert_eq!(
        ended.error.map(|e| e.code).as_deref(),
        Some("processing_failed")
    );
    assert_none_expired(store, "a failed session is still indexed").await;
    assert_fenced(store, &lease, "the last owner of a failed session").await;
    let again = store
        .take_over(&id, "next", 30_000, 2)
        .await
        .expect("take_over");
    assert_eq!(again, TakeOver::NotNeeded);
    let (_, retry) = created(store, &request("a.mp4")).await;
    assert_ne!(retry.session_id, id);
}
